"""Issue 16: the mail and portal passwords are sealed in the store, not in the keyring.

As an insider would try it: a program of the desktop user reads every item of the real
Secret Service (gnome-keyring on a private D-Bus); the `clinic-inbox` command runs in
its own process; sync talks to a real Dovecot, a real SMTP server and the loopback FHIR
server.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlcipher3
from support.clinic_details import INIT_DETAILS

from clinic_inbox.core import account_secrets, passwords, services
from clinic_inbox.core.accounts import FhirAccount, ImapAccount, add_fhir_account, add_imap_account
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import SERVICE, CustodyRecord, KeyCustody, Secrets
from clinic_inbox.core.model import Role
from clinic_inbox.core.staff_keys import open_signed_in, release
from clinic_inbox.core.store.migrations import MIGRATIONS

REPO = Path(__file__).resolve().parents[2]
STORES = REPO / "tests" / "fixtures" / "stores"
TEST_KEY = bytes.fromhex("5e" * 32)  # the saved stores' published key
AUDIT_KEY = bytes.fromhex("a7" * 32)
ADMIN, ADMIN_PW = "boss", "granite willow echo lantern"
OLD_PW = "kettle orbit maple frost"  # dr.old's, in the saved store
MAILBOX, MAIL_PW = "inbox@clinic.test", "imap account secret 7781"
PORTAL_TOKEN = "portal bearer token 5512"

# A program of the desktop user: every secret the Secret Service hands out unprompted.
KEYRING_DUMP = r"""
import json, secretstorage
bus = secretstorage.dbus_init()
found = []
for collection in secretstorage.get_all_collections(bus):
    if collection.is_locked():
        collection.unlock()
    for item in collection.get_all_items():
        found.append(item.get_secret().decode("utf-8", "replace"))
print(json.dumps(found))
"""


@pytest.fixture()
def dovecot():
    from support.dovecot import DovecotServer, DovecotUnavailable

    try:
        server = DovecotServer().start()
    except DovecotUnavailable as exc:
        pytest.fail(str(exc))
    server.add_user(MAILBOX, MAIL_PW)
    yield server
    server.close()


@pytest.fixture()
def smtp_server():
    from support.smtp_server import SmtpServer

    server = SmtpServer().start()
    yield server
    server.close()


@pytest.fixture()
def fhir_server():
    from support.fhir import FhirServer, FhirUnavailable

    try:
        server = FhirServer(token=PORTAL_TOKEN).start()
    except FhirUnavailable as exc:
        pytest.fail(str(exc))
    yield server
    server.close()


def _env(secret_service, home: Path, password: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS", "CLINIC_INBOX"))}
    env.update(secret_service.env)
    env.pop("PYTHON_KEYRING_BACKEND", None)
    env["CLINIC_INBOX_HOME"] = str(home)
    if password is not None:
        env["CLINIC_INBOX_PASSWORD"] = password
    return env


def cli(secret_service, home: Path, *args: str, user=None, password=None, stdin=None):
    who = ["--user", user] if user else []
    return subprocess.run(
        [sys.executable, "-m", "clinic_inbox", *who, *args],
        env=_env(secret_service, home, password),
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def keyring_items(secret_service, home: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", KEYRING_DUMP],
        env=_env(secret_service, home),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _imap(dovecot, smtp_server) -> ImapAccount:
    return ImapAccount(
        name="Clinic email",
        host=dovecot.host,
        port=dovecot.port,
        username=MAILBOX,
        security="none",
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        smtp_security="none",
    )


def _mail(subject: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Chloé Roy <chloe.roy@example.org>"
    msg["To"] = MAILBOX
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{subject.replace(' ', '.')}@example.org>"
    msg.set_content("Could I renew my prescription please?")
    return msg.as_bytes()


def _raw_rows(home: Path, db_key: bytes) -> list[tuple[str, bytes]]:
    """What a program holding the store key reads in the table, with plain SQLCipher."""
    db = sqlcipher3.connect(str(home / "clinic.db"))
    try:
        db.execute(f"PRAGMA key = \"x'{db_key.hex()}'\"")
        return [(r[0], bytes(r[1])) for r in db.execute("SELECT * FROM account_secrets")]
    finally:
        db.close()


def test_no_keyring_item_holds_an_account_password(
    tmp_path, secret_service, dovecot, smtp_server, fhir_server
):
    home = tmp_path / "c"
    made = cli(secret_service, home, "init", "--admin", ADMIN, *INIT_DETAILS, password=ADMIN_PW)
    assert made.returncode == 0, made.stderr
    added = cli(
        secret_service, home, "account", "add-imap", "--name", "Clinic email",
        "--host", dovecot.host, "--port", str(dovecot.port), "--username", MAILBOX,
        "--security", "none", "--smtp-host", smtp_server.host,
        "--smtp-port", str(smtp_server.port), "--smtp-security", "none", "--password-stdin",
        user=ADMIN, password=ADMIN_PW, stdin=MAIL_PW + "\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "sealed in the encrypted store" in added.stdout
    portal = cli(
        secret_service, home, "account", "add-fhir", "--name", "Portal",
        "--base-url", fhir_server.base_url, "--practitioner", "dr-1", "--token-stdin",
        user=ADMIN, password=ADMIN_PW, stdin=PORTAL_TOKEN + "\n",
    )  # fmt: skip
    assert portal.returncode == 0, portal.stderr
    items = keyring_items(secret_service, home)
    assert items  # the key slots' secret is there: the reader did read the keyring
    assert not [i for i in items if MAIL_PW in i or PORTAL_TOKEN in i]
    # sync logs in to the real Dovecot and the token-checking portal with them
    dovecot.append_many(MAILBOX, [_mail("Refill please")])
    synced = cli(secret_service, home, "sync", "--once", user=ADMIN, password=ADMIN_PW)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert "Clinic email: 1 new messages" in synced.stdout, synced.stdout
    # and inside the store they are sealed a second time: the store key alone shows
    # neither (a dump of the table, a copy of the rows)
    found = release(home, KeyCustody(home, secret_service.backend()), ADMIN, ADMIN_PW)
    rows = _raw_rows(home, found.db_key)
    assert sorted(name for name, _ in rows) == ["Clinic email", "Portal"]
    for _name, sealed in rows:
        assert MAIL_PW.encode() not in sealed and PORTAL_TOKEN.encode() not in sealed
    said = cli(secret_service, home, "doctor", user=ADMIN, password=ADMIN_PW)
    assert "Account secrets: 2 of 2 accounts' passwords sealed in the store" in said.stdout


def test_a_clinic_without_a_keyring_keeps_account_passwords(tmp_path, dovecot, smtp_server):
    """Refused before (no keyring, no account passwords); sealed in the store now."""
    home = tmp_path / "c"
    custody = KeyCustody(home, backend=None, detect=False)
    clinic, _code = create_clinic(home, lambda _p, _c: "a long clinic passphrase", custody)
    with clinic:
        assert clinic.custody.method == "passphrase"
        services.create_first_admin(clinic, ADMIN, "The Boss", ADMIN_PW)
        admin = services.login(clinic, ADMIN, ADMIN_PW, sleep=lambda _s: None)
        services.add_imap_account(clinic, admin, _imap(dovecot, smtp_server), MAIL_PW)
        assert clinic.credentials.get("Clinic email") == MAIL_PW
        from clinic_inbox.sources.connection_check import check_stored

        assert all(ok for ok, _ in check_stored(clinic, "Clinic email"))
        created = clinic.store.one("SELECT count(*) FROM audit WHERE action = 'account.create'")
        assert created == 1


def test_a_secret_is_bound_to_its_account_and_its_clinic():
    sealed = account_secrets.seal(AUDIT_KEY, "Clinic email", MAIL_PW)
    assert account_secrets.unseal(AUDIT_KEY, "Clinic email", sealed) == MAIL_PW
    with pytest.raises(account_secrets.AccountSecretDamaged, match="Add the account's password"):
        account_secrets.unseal(AUDIT_KEY, "Portal", sealed)  # a row moved to another account
    with pytest.raises(account_secrets.AccountSecretDamaged):
        account_secrets.unseal(bytes(32), "Clinic email", sealed)  # another clinic's key


# the step's number changes as branches merge; the schema just before it does not matter
_BEFORE = next(m.version for m in MIGRATIONS if m.name.endswith("_account_secrets")) - 1


def _old_clinic(home: Path, secret_service, dovecot, smtp_server, fhir_server) -> str:
    """A clinic as versions before account secrets left it: a saved store at the schema
    just before that step, raw keys
    in the keyring, its accounts' password and token in the keyring too."""
    home.mkdir(mode=0o700)
    shutil.copy(STORES / "schema-v10.db", home / "clinic.db")
    found = Secrets(TEST_KEY, AUDIT_KEY)
    store_id = "7f7c6a52-0000-4000-8000-00000000a014"
    backend = secret_service.backend()
    backend.set_password(SERVICE, f"{store_id}:db", found.db_key.hex())
    backend.set_password(SERVICE, f"{store_id}:audit", found.audit_key.hex())
    backend.set_password(SERVICE, f"{store_id}:account:Clinic email", MAIL_PW)
    backend.set_password(SERVICE, f"{store_id}:account:Portal", PORTAL_TOKEN)
    rec = CustodyRecord(
        store_id, "keyring", "keyring.backends.SecretService.Keyring", found.key_check(), "x"
    )
    (home / "custody.json").write_bytes(rec.to_json())
    (home / "custody.json").chmod(0o600)
    from clinic_inbox.core.store import open_store
    from clinic_inbox.core.store import queries as q
    from clinic_inbox.core.store import signin_queries as sq
    from clinic_inbox.core.store.migrations import migrate

    with open_store(home / "clinic.db", TEST_KEY, upgrade=False) as store:
        migrate(store, _BEFORE)  # the last schema before account secrets came into the store
        assert "account_secrets" not in str(
            store.execute("SELECT name FROM sqlite_master").fetchall()
        )
        with store.transaction():
            sq.set_password(store, 1, passwords.hash_password(OLD_PW), reset_by=None, now="x")
            q.add_staff(store, ADMIN, "The Boss", Role.ADMIN, passwords.hash_password(ADMIN_PW))
            add_imap_account(store, _imap(dovecot, smtp_server))
            add_fhir_account(
                store,
                FhirAccount(name="Portal", base_url=fhir_server.base_url, practitioners=["dr-1"]),
            )
    return store_id


def _moves(home: Path, secret_service) -> int:
    clinic, _s = open_signed_in(
        home, ADMIN, ADMIN_PW, custody=KeyCustody(home, secret_service.backend())
    )
    with clinic:
        return clinic.store.one("SELECT count(*) FROM audit WHERE action = 'account.secret_moved'")


def test_an_older_clinics_keyring_entries_move_in_once_and_sync_still_works(
    tmp_path, secret_service, dovecot, smtp_server, fhir_server
):
    home = tmp_path / "old"
    store_id = _old_clinic(home, secret_service, dovecot, smtp_server, fhir_server)
    assert MAIL_PW in keyring_items(secret_service, home)  # the hole being closed
    dovecot.append_many(MAILBOX, [_mail("Old clinic new mail")])
    synced = cli(secret_service, home, "sync", "--once", user="dr.old", password=OLD_PW)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert "Portal: 0 new messages" in synced.stdout  # the portal took the moved token
    assert "Outbox: 1 sent" in synced.stdout  # the acknowledgement left by SMTP
    items = keyring_items(secret_service, home)
    assert not [i for i in items if MAIL_PW in i or PORTAL_TOKEN in i]
    backend = secret_service.backend()
    assert backend.get_password(SERVICE, f"{store_id}:account:Clinic email") is None
    assert "Clinic email: 1 new messages" in synced.stdout, synced.stdout
    said = cli(secret_service, home, "doctor", user=ADMIN, password=ADMIN_PW)
    assert "2 of 2 accounts' passwords sealed in the store, none in the keyring" in said.stdout
    assert "(2 moved in from the keyring)" in said.stdout
    # exactly once: two moves audited, and opening again moves nothing more
    assert _moves(home, secret_service) == 2
    # a copy an older version writes into the keyring afterwards is not taken over the
    # store's own: the store's is the one in use
    backend.set_password(SERVICE, f"{store_id}:account:Clinic email", "stale")
    assert _moves(home, secret_service) == 2
    from clinic_inbox.sources.connection_check import check_stored

    clinic, _s = open_signed_in(
        home, ADMIN, ADMIN_PW, custody=KeyCustody(home, secret_service.backend())
    )
    with clinic:
        assert clinic.credentials.get("Clinic email") == MAIL_PW
        assert all(ok for ok, _ in check_stored(clinic, "Clinic email"))
        assert all(ok for ok, _ in check_stored(clinic, "Portal"))


def test_a_move_killed_before_the_keyring_was_cleaned_moves_nothing_twice(
    tmp_path, secret_service, dovecot, smtp_server, fhir_server
):
    home = tmp_path / "old"
    store_id = _old_clinic(home, secret_service, dovecot, smtp_server, fhir_server)
    backend = secret_service.backend()

    def delete_fails(*_a: str) -> None:  # the process dies between the commit and the keyring
        raise RuntimeError("killed")

    # the same keyring (its class name is what the custody record checks), minus deletes
    dying = type("Keyring", (), {"__module__": "keyring.backends.SecretService"})()
    dying.get_password, dying.set_password = backend.get_password, backend.set_password
    dying.delete_password = delete_fails
    clinic, _s = open_signed_in(home, "dr.old", OLD_PW, custody=KeyCustody(home, dying))
    with clinic:
        assert clinic.credentials.get("Clinic email") == MAIL_PW
    assert backend.get_password(SERVICE, f"{store_id}:account:Clinic email") == MAIL_PW
    assert _moves(home, secret_service) == 2  # the next open cleans up, moves nothing again
    assert backend.get_password(SERVICE, f"{store_id}:account:Clinic email") is None
    assert backend.get_password(SERVICE, f"{store_id}:account:Portal") is None


def test_a_restored_backup_keeps_its_account_passwords(tmp_path, secret_service, dovecot):
    """They travel inside the store (the keyring's copies never did); the restore gives
    the store a new database key and keeps the audit key they are sealed under."""
    home, other = tmp_path / "c", tmp_path / "restored"
    made = cli(secret_service, home, "init", "--admin", ADMIN, *INIT_DETAILS, password=ADMIN_PW)
    assert made.returncode == 0, made.stderr
    added = cli(
        secret_service, home, "account", "add-imap", "--name", "Clinic email",
        "--host", dovecot.host, "--port", str(dovecot.port), "--username", MAILBOX,
        "--security", "none", "--smtp-security", "none", "--password-stdin",
        user=ADMIN, password=ADMIN_PW, stdin=MAIL_PW + "\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    out = tmp_path / "b.cib"
    backup = cli(secret_service, home, "backup", "--out", str(out), user=ADMIN, password=ADMIN_PW)
    assert backup.returncode == 0, backup.stderr
    back = cli(
        secret_service, home, "--home", str(other), "restore", str(out),
        user=ADMIN, password=ADMIN_PW,
    )  # fmt: skip
    assert back.returncode == 0, back.stderr
    dovecot.append_many(MAILBOX, [_mail("After the restore")])
    synced = cli(secret_service, other, "sync", "--once", user=ADMIN, password=ADMIN_PW)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert "Clinic email: 1 new messages" in synced.stdout, synced.stdout
