"""Issue 16 item 7: the store key is released to staff, not to the desktop account.

Each attempt runs as an insider would: the `clinic-inbox` command in a real process,
a program of the same desktop user reading the real Secret Service (gnome-keyring on a
private D-Bus), and the services the app calls.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.clinic_details import INIT_DETAILS

from clinic_inbox.core import audit, passwords, services
from clinic_inbox.core.home import create_clinic, open_clinic
from clinic_inbox.core.keys import SERVICE, CustodyRecord, KeyCustody, Secrets, SignInNeededError
from clinic_inbox.core.keyslots import SLOTS_FILE
from clinic_inbox.core.model import Role
from clinic_inbox.core.staff_keys import open_signed_in

REPO = Path(__file__).resolve().parents[2]
STORES = REPO / "tests" / "fixtures" / "stores"
TEST_KEY = bytes.fromhex("5e" * 32)  # the saved stores' published key
ADMIN, ADMIN_PW = "boss", "granite willow echo lantern"
NURSE, NURSE_PW = "nurse.chen", "kettle orbit maple frost"
NEW_PW = "violet tundra harbor meadow"

# A program of the desktop user: reads every secret the Secret Service gives without a
# prompt and tries each 32-byte value as the store's raw SQLCipher key.
KEYRING_READER = r"""
import sys, secretstorage, sqlcipher3
bus = secretstorage.dbus_init()
found = []
for collection in secretstorage.get_all_collections(bus):
    if collection.is_locked():
        collection.unlock()
    for item in collection.get_all_items():
        found.append(item.get_secret().decode("utf-8", "replace").strip())
opened = 0
for text in found:
    try:
        key = bytes.fromhex(text)
    except ValueError:
        continue
    if len(key) != 32:
        continue
    db = sqlcipher3.connect(sys.argv[1])
    db.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        opened += 1
    except sqlcipher3.DatabaseError:
        pass
    db.close()
print(len(found), opened)
"""


def _env(secret_service, home: Path, password: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS", "CLINIC_INBOX"))}
    env.update(secret_service.env)
    env.pop("PYTHON_KEYRING_BACKEND", None)
    env["CLINIC_INBOX_HOME"] = str(home)
    if password is not None:
        env["CLINIC_INBOX_PASSWORD"] = password
    return env


def cli(secret_service, home: Path, *args: str, user: str | None = None, password=None, **kw):
    who = ["--user", user] if user else []
    return subprocess.run(
        [sys.executable, "-m", "clinic_inbox", *who, *args],
        env={**_env(secret_service, home, password), **kw.pop("env", {})},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        **kw,
    )


def read_keyring_and_try(secret_service, home: Path) -> tuple[int, int]:
    """(secrets the desktop user read, how many of them opened the store)."""
    done = subprocess.run(
        [sys.executable, "-c", KEYRING_READER, str(home / "clinic.db")],
        env=_env(secret_service, home, None),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    found, opened = map(int, done.stdout.split())
    return found, opened


def _never(prompt: str, confirm: bool) -> str:
    raise AssertionError("a clinic with a keyring asks for no passphrase")


def _no_sleep(_s: float) -> None:
    pass


def _clinic_with_nurse(home: Path, secret_service):
    clinic, code = create_clinic(home, _never, KeyCustody(home, secret_service.backend()))
    with clinic:
        services.create_first_admin(clinic, ADMIN, "The Boss", ADMIN_PW)
        admin = services.login(clinic, ADMIN, ADMIN_PW, sleep=_no_sleep)
        services.add_staff(clinic, admin, NURSE, "Nurse Chen", Role.NURSE, NURSE_PW)
    return code


def _open(home, secret_service, user, password, **kw):
    return open_signed_in(
        home, user, password, custody=KeyCustody(home, secret_service.backend()), **kw
    )


def test_the_keyring_alone_opens_nothing_a_password_does(tmp_path, secret_service):
    home = tmp_path / "c"
    done = cli(secret_service, home, "init", "--admin", ADMIN, *INIT_DETAILS, password=ADMIN_PW)
    assert done.returncode == 0, done.stderr
    assert "released by staff passwords" in done.stdout
    found, opened = read_keyring_and_try(secret_service, home)
    assert found >= 1 and opened == 0
    # no command opens the store without a person: not even to say who works here
    bare = cli(secret_service, home, "user", "list")
    assert bare.returncode == 1 and "signs in" in bare.stderr
    wrong = cli(secret_service, home, "doctor", user=ADMIN, password="not the password at all")
    assert wrong.returncode == 1 and "not right" in wrong.stderr
    right = cli(secret_service, home, "doctor", user=ADMIN, password=ADMIN_PW)
    assert right.returncode == 0, right.stderr
    assert "released by staff passwords" in right.stdout
    # a command that works without a person at the desk (sync) runs on the signed-in keys
    sync = cli(secret_service, home, "sync", "--once", user=ADMIN, password=ADMIN_PW)
    assert sync.returncode == 0, sync.stderr
    before = json.loads((home / "custody.json").read_text())["key_check"]
    # the key changes with slots too (tests/security/test_keys_change_sealed.py)
    change = cli(secret_service, home, "key", "change", user=ADMIN, password=ADMIN_PW)
    assert change.returncode == 0, change.stderr
    assert json.loads((home / "custody.json").read_text())["key_check"] != before
    rec = json.loads((home / "custody.json").read_text())
    assert rec["sealed"] is True
    backend = secret_service.backend()
    assert backend.get_password(SERVICE, f"{rec['store_id']}:db") is None
    assert backend.get_password(SERVICE, f"{rec['store_id']}:audit") is None


def test_a_receptionist_opens_the_store_but_her_role_still_limits_what_she_sees(
    tmp_path, secret_service
):
    home = tmp_path / "demo"
    made = cli(secret_service, home, "demo", "--no-gui")
    assert made.returncode == 0, made.stderr
    assert json.loads((home / "custody.json").read_text())["sealed"] is True
    assert read_keyring_and_try(secret_service, home)[1] == 0
    desk = cli(secret_service, home, "list", "--json", user="reception.singh", password="demo")
    assert desk.returncode == 0, desk.stderr
    rows = json.loads(desk.stdout)
    doctor = cli(secret_service, home, "list", "--json", user="dr.patel", password="demo")
    own = json.loads(doctor.stdout)
    assert rows and own

    def hidden(listed: list[dict]) -> set:
        return {r["id"] for r in listed if r["subject"].endswith("(details hidden)")}

    # the same store, opened by both passwords: what reception sees only as a header,
    # the physician reads in full
    assert hidden(rows) - hidden(own) and not hidden(own) - hidden(rows)
    refused = cli(
        secret_service, home, "backup", "--out", str(tmp_path / "x.cib"),
        user="reception.singh", password="demo",
    )  # fmt: skip
    assert refused.returncode == 1 and not (tmp_path / "x.cib").exists()


def test_wrong_passwords_while_the_store_is_closed_lock_and_are_audited(tmp_path, secret_service):
    home = tmp_path / "c"
    _clinic_with_nurse(home, secret_service)
    for _ in range(passwords.LOCK_AFTER - 1):
        with pytest.raises(services.AuthError, match="not right"):
            _open(home, secret_service, NURSE, "plum harbor socket tundra", sleep=_no_sleep)
    with pytest.raises(services.AccountLocked):
        _open(home, secret_service, NURSE, "plum harbor socket tundra", sleep=_no_sleep)
    # locked: even the right password opens nothing now
    with pytest.raises(services.AccountLocked):
        _open(home, secret_service, NURSE, NURSE_PW, sleep=_no_sleep)
    clinic, admin = _open(home, secret_service, ADMIN, ADMIN_PW, sleep=_no_sleep)
    with clinic:
        assert services.unlock_account(clinic, admin, NURSE)
    clinic, nurse = _open(home, secret_service, NURSE, NURSE_PW, sleep=_no_sleep)
    with clinic:
        entries = audit.entries(clinic.store)
        closed = [e for e in entries if e.detail.get("while_store_closed")]
        assert [e.action for e in closed].count("login.failed") == passwords.LOCK_AFTER
        assert "login.locked" in [e.action for e in closed]
        assert "login.refused" in [e.action for e in closed]
        assert all(e.detail.get("staff_id") == nurse.staff.id for e in closed)
        assert entries[-1].action == "login" and entries[-1].actor == NURSE
        assert audit.verify(clinic.store, clinic.audit_key).ok


def test_reset_and_disable_update_the_slots(tmp_path, secret_service):
    home = tmp_path / "c"
    _clinic_with_nurse(home, secret_service)
    temporary = "copper lantern river basin"
    clinic, admin = _open(home, secret_service, ADMIN, ADMIN_PW, sleep=_no_sleep)
    with clinic:
        services.reset_password(clinic, admin, NURSE, temporary)
    with pytest.raises(services.AuthError, match="not right"):
        _open(home, secret_service, NURSE, NURSE_PW, sleep=_no_sleep)
    with pytest.raises(services.PasswordChangeRequired):
        _open(home, secret_service, NURSE, temporary, sleep=_no_sleep)
    clinic, nurse = _open(
        home, secret_service, NURSE, temporary, new_password=NEW_PW, sleep=_no_sleep
    )
    clinic.close()
    with pytest.raises(services.AuthError):  # the temporary one is gone from her slot too
        _open(home, secret_service, NURSE, temporary, sleep=_no_sleep)
    clinic, nurse = _open(home, secret_service, NURSE, NEW_PW, sleep=_no_sleep)
    clinic.close()
    clinic, admin = _open(home, secret_service, ADMIN, ADMIN_PW, sleep=_no_sleep)
    with clinic:
        services.set_staff_active(clinic, admin, NURSE, False)
        services.set_staff_active(clinic, admin, NURSE, True)  # enabled again: no slot yet
    slots = json.loads((home / SLOTS_FILE).read_text())["slots"]
    assert NURSE not in slots and ADMIN in slots
    with pytest.raises(services.AuthError, match="not right"):
        _open(home, secret_service, NURSE, NEW_PW, sleep=_no_sleep)
    clinic, admin = _open(home, secret_service, ADMIN, ADMIN_PW, sleep=_no_sleep)
    with clinic:
        services.reset_password(clinic, admin, NURSE, temporary)
    clinic, nurse = _open(
        home, secret_service, NURSE, temporary, new_password=NEW_PW, sleep=_no_sleep
    )
    with clinic:
        assert nurse.staff.username == NURSE


def test_the_recovery_code_opens_when_the_keyring_secret_is_gone(tmp_path, secret_service):
    home = tmp_path / "c"
    code = _clinic_with_nurse(home, secret_service)
    store_id = json.loads((home / "custody.json").read_text())["store_id"]
    secret_service.backend().delete_password(SERVICE, f"{store_id}:slot-secret")
    lost = cli(secret_service, home, "list", user=ADMIN, password=ADMIN_PW)
    assert lost.returncode == 1 and "recovery code" in lost.stderr
    wrong = cli(
        secret_service, home, "key", "recover", "--code-stdin",
        user=ADMIN, password=ADMIN_PW, input="AAAA-BBBB-CCCC-DDDD\n",
    )  # fmt: skip
    assert wrong.returncode == 1 and "not the one" in wrong.stderr
    done = cli(
        secret_service, home, "key", "recover", "--code-stdin",
        user=ADMIN, password=ADMIN_PW, input=code + "\n",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "reset their passwords" in done.stdout
    again = cli(secret_service, home, "list", user=ADMIN, password=ADMIN_PW)
    assert again.returncode == 0, again.stderr
    # the keyring still holds no raw key, and the nurse needs a reset
    assert read_keyring_and_try(secret_service, home)[1] == 0
    nurse = cli(secret_service, home, "list", user=NURSE, password=NURSE_PW)
    assert nurse.returncode == 1 and "not right" in nurse.stderr


def test_a_backup_carries_the_slots(tmp_path, secret_service):
    home, other = tmp_path / "c", tmp_path / "restored"
    _clinic_with_nurse(home, secret_service)
    out = tmp_path / "b.cib"
    made = cli(secret_service, home, "backup", "--out", str(out), user=ADMIN, password=ADMIN_PW)
    assert made.returncode == 0, made.stderr
    assert "key_slots" in json.loads(out.with_name(out.name + ".keys.json").read_text())
    back = cli(
        secret_service, home, "--home", str(other), "restore", str(out),
        user=ADMIN, password=ADMIN_PW,
    )  # fmt: skip
    assert back.returncode == 0, back.stderr
    nurse = cli(secret_service, other, "list", user=NURSE, password=NURSE_PW)
    assert nurse.returncode == 0, nurse.stderr


def _legacy_clinic(home: Path, secret_service, version: int) -> str:
    """A clinic as the app left it before key slots: a saved older store, its raw key and
    audit key in the keyring, two staff."""
    home.mkdir(mode=0o700)
    shutil.copy(STORES / f"schema-v{version}.db", home / "clinic.db")
    found = Secrets(TEST_KEY, bytes.fromhex("a7" * 32))
    store_id = f"7f7c6a52-0000-4000-8000-{version:012d}"
    backend = secret_service.backend()
    backend.set_password(SERVICE, f"{store_id}:db", found.db_key.hex())
    backend.set_password(SERVICE, f"{store_id}:audit", found.audit_key.hex())
    rec = CustodyRecord(
        store_id, "keyring", "keyring.backends.SecretService.Keyring", found.key_check(), "x"
    )
    (home / "custody.json").write_bytes(rec.to_json())
    (home / "custody.json").chmod(0o600)
    from clinic_inbox.core.store import open_store
    from clinic_inbox.core.store import queries as q
    from clinic_inbox.core.store import signin_queries as sq

    with open_store(home / "clinic.db", TEST_KEY) as store, store.transaction():
        sq.set_password(store, 1, passwords.hash_password(NURSE_PW), reset_by=None, now="x")
        q.add_staff(store, ADMIN, "The Boss", Role.ADMIN, passwords.hash_password(ADMIN_PW))
    return store_id


@pytest.mark.parametrize("version", [1, 10])
def test_an_older_clinic_moves_to_slots_on_first_sign_ins(tmp_path, secret_service, version):
    home = tmp_path / "old"
    store_id = _legacy_clinic(home, secret_service, version)
    assert read_keyring_and_try(secret_service, home)[1] == 1  # the hole being closed
    first = cli(secret_service, home, "list", "--json", user="dr.old", password=NURSE_PW)
    assert first.returncode == 0, first.stderr
    assert [r["subject"] for r in json.loads(first.stdout)] == ["Old refill"]
    # one of two has a slot: the raw key stays until everyone can open by password
    assert not json.loads((home / "custody.json").read_text()).get("sealed")
    said = cli(secret_service, home, "doctor", user="dr.old", password=NURSE_PW)
    assert "Key slots:       1 active staff have not signed in" in said.stdout
    admin = cli(secret_service, home, "doctor", user=ADMIN, password=ADMIN_PW)
    assert admin.returncode == 0, admin.stderr
    assert json.loads((home / "custody.json").read_text())["sealed"] is True
    assert secret_service.backend().get_password(SERVICE, f"{store_id}:db") is None
    assert read_keyring_and_try(secret_service, home)[1] == 0
    with pytest.raises(SignInNeededError):
        open_clinic(home, _never, KeyCustody(home, secret_service.backend()))
    again = cli(secret_service, home, "show", "1", user="dr.old", password=NURSE_PW)
    assert again.returncode == 0, again.stderr
    assert "levothyroxine" in again.stdout


def test_background_work_uses_the_session_keys(tmp_path, secret_service):
    """The app's sync worker opens its own connection: from the signed-in session's
    keys, since the keyring no longer holds them."""
    home = tmp_path / "c"
    _clinic_with_nurse(home, secret_service)
    clinic, _nurse = _open(home, secret_service, NURSE, NURSE_PW, sleep=_no_sleep)
    with clinic:
        worker = clinic.clone()
        try:
            assert worker.store.schema_version() == clinic.store.schema_version()
        finally:
            worker.store.close()


def test_an_administrator_seals_an_older_clinic_at_once(tmp_path, secret_service):
    from clinic_inbox.core.store import open_store
    from clinic_inbox.core.store import queries as q

    home = tmp_path / "old"
    store_id = _legacy_clinic(home, secret_service, 10)
    with open_store(home / "clinic.db", TEST_KEY) as store, store.transaction():
        q.add_staff(store, NURSE, "Nurse Chen", Role.NURSE, passwords.hash_password(NEW_PW))
    desk = cli(secret_service, home, "key", "seal", user="dr.old", password=NURSE_PW)
    assert desk.returncode == 1 and "Only an administrator" in desk.stderr
    assert secret_service.backend().get_password(SERVICE, f"{store_id}:db")  # not yet
    done = cli(secret_service, home, "key", "seal", user=ADMIN, password=ADMIN_PW)
    assert done.returncode == 0, done.stderr
    assert "released by staff passwords" in done.stdout
    assert NURSE in done.stdout and "dr.old" not in done.stdout.split(":")[-1]
    assert read_keyring_and_try(secret_service, home)[1] == 0
    refused = cli(secret_service, home, "list", user=NURSE, password=NEW_PW)
    assert refused.returncode == 1 and "not right" in refused.stderr
    temporary = "copper lantern river basin"
    reset = cli(
        secret_service, home, "user", "reset", NURSE, user=ADMIN, password=ADMIN_PW,
        env={"CLINIC_INBOX_NEW_PASSWORD": temporary},
    )  # fmt: skip
    assert reset.returncode == 0, reset.stderr
    back = cli(
        secret_service, home, "list", user=NURSE, password=temporary,
        env={"CLINIC_INBOX_NEW_PASSWORD": "amber falcon prairie whistle"},
    )  # fmt: skip
    assert back.returncode == 0, back.stderr
