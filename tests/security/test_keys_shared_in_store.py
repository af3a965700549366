"""Issue 16: the shared queue's keys are sealed in the store, not in the keyring.

The clinic keys with the workstation's server login, the workstation's Ed25519 audit
signing key and its pending join key used to sit in the OS keyring in clear, readable
by any process of the desktop user. As an insider would look for them: a program of
the desktop user reads every item of the real Secret Service (gnome-keyring on a
private D-Bus); `clinic-inbox` runs in its own processes against a real PostgreSQL.
An older workstation's keyring entries move into the store at the next open, audited
once per key, and a process killed (SIGKILL) between the store's commit and the
keyring's delete loses nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.clinic_details import INIT_DETAILS

from clinic_inbox.core import services, workstation_secrets
from clinic_inbox.core.home import create_clinic, open_clinic
from clinic_inbox.core.keys import SERVICE, KeyCustody
from clinic_inbox.core.staff_keys import open_signed_in, release
from clinic_inbox.core.store import open_store
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import workstation_secret_queries as wsq

REPO = Path(__file__).resolve().parents[2]
ADMIN, ADMIN_PW = "boss", "granite willow echo lantern"
ALLOW_SKIP = os.environ.get("CLINIC_INBOX_ALLOW_SKIP") == "1"

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


@pytest.fixture(scope="module")
def postgres():
    from support.postgres import PostgresServer, PostgresUnavailable

    try:
        server = PostgresServer().start()
    except PostgresUnavailable as exc:
        if ALLOW_SKIP:
            pytest.skip(str(exc))
        pytest.fail(str(exc))
    yield server
    server.stop("immediate")
    server.close()


def _dsn(postgres, db: str) -> str:
    from support.postgres import SUPERUSER

    postgres.create_database(db)
    return f"host={postgres.host} port={postgres.port} dbname={db} user={SUPERUSER}"


def _env(secret_service, home: Path, server_pw: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS", "CLINIC_INBOX"))}
    env.update(secret_service.env)
    env.pop("PYTHON_KEYRING_BACKEND", None)
    env.update({"CLINIC_INBOX_HOME": str(home), "CLINIC_INBOX_PASSWORD": ADMIN_PW})
    if server_pw is not None:
        env["CLINIC_INBOX_SERVER_PASSWORD"] = server_pw
    return env


def cli(secret_service, home: Path, *args: str, server_pw: str | None = None, user=ADMIN):
    who = ["--user", user] if user else []
    return subprocess.run(
        [sys.executable, "-m", "clinic_inbox", *who, *args],
        env=_env(secret_service, home, server_pw),
        cwd=REPO,
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


def _secrets_in_store(secret_service, home: Path) -> dict[str, str]:
    """What the store holds, read the way only a signed-in person's keys can."""
    custody = KeyCustody(home, secret_service.backend())
    found = release(home, custody, ADMIN, ADMIN_PW)
    with open_clinic(home, _never, custody, found=found, upgrade=False) as clinic:
        return {n: workstation_secrets.get(clinic, n) or "" for n in wsq.names(clinic.store)}


def _never(prompt: str, confirm: bool) -> str:
    raise AssertionError("keyring custody: no passphrase expected")


def _pieces(value: str) -> list[str]:
    """The secret parts of a kept value: each key in hex, and the server password."""
    try:
        d = json.loads(value)
    except ValueError:
        return [value]  # the signing key: hex itself
    out = [d[k] for k in ("keys", "key") if k in d]
    dsn = d.get("dsn", "")
    out += [p.split("=", 1)[1] for p in dsn.split() if p.startswith("password=")]
    return out


def test_no_keyring_item_holds_a_shared_queue_key(tmp_path, secret_service, postgres):
    first, newcomer = tmp_path / "front-desk", tmp_path / "office"
    for home in (first, newcomer):
        made = cli(secret_service, home, "init", "--admin", ADMIN, *INIT_DETAILS, user=None)
        assert made.returncode == 0, made.stderr
    dsn, pw = _dsn(postgres, "keys_in_store"), postgres.password
    done = cli(secret_service, first, "server", "init", "--dsn", dsn, server_pw=pw)
    assert done.returncode == 0, done.stderr
    asked = cli(secret_service, newcomer, "server", "join", "--dsn", dsn, server_pw=pw)
    assert asked.returncode == 0, asked.stderr
    fpr = asked.stdout.split("FINGERPRINT:", 1)[1].split()[0]
    waiting = _secrets_in_store(secret_service, newcomer)
    assert list(waiting) == [workstation_secrets.JOIN_REQUEST]
    join_key = _pieces(waiting[workstation_secrets.JOIN_REQUEST])
    approved = cli(secret_service, first, "server", "approve", fpr)
    assert approved.returncode == 0, approved.stderr
    finished = cli(secret_service, newcomer, "server", "join", "--finish")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    for home in (first, newcomer):  # each works the queue with what its store holds
        synced = cli(secret_service, home, "server", "sync")
        assert synced.returncode == 0, synced.stdout + synced.stderr

    kept = {home: _secrets_in_store(secret_service, home) for home in (first, newcomer)}
    for home in (first, newcomer):  # the join key went once the newcomer was enrolled
        assert sorted(kept[home]) == ["audit-sign", "shared"]
    pieces = join_key + [p for held in kept.values() for v in held.values() for p in _pieces(v)]
    assert pw in pieces and len(pieces) >= 7  # clinic keys, logins, signing keys, join key
    items = keyring_items(secret_service, first)
    assert items  # the key slots' secrets are there: the reader did read the keyring
    assert not [i for i in items for p in pieces if p in i]

    said = cli(secret_service, first, "doctor")
    assert said.returncode == 0, said.stderr
    assert (
        "Shared-queue keys: sealed in the store: this computer's audit signing key, the "
        "shared server's clinic keys and login; none in the keyring"
    ) in said.stdout, said.stdout


# -- an older workstation: its keys in the keyring, as versions before this one kept them


def _workstation(home: Path, backend) -> None:  # noqa: ANN001
    clinic, _code = create_clinic(home, _never, KeyCustody(home, backend))
    with clinic:
        services.create_first_admin(clinic, ADMIN, "The Boss", ADMIN_PW)


def _as_an_older_version_left_it(home: Path, backend) -> dict[str, str]:  # noqa: ANN001
    """Each sealed secret back in the keyring in clear, the store's copy gone."""
    custody = KeyCustody(home, backend)
    found = release(home, custody, ADMIN, ADMIN_PW)
    with open_clinic(home, _never, custody, found=found, upgrade=False) as clinic:
        values = {n: workstation_secrets.get(clinic, n) for n in wsq.names(clinic.store)}
        with clinic.store.transaction():
            for name in values:
                wsq.delete(clinic.store, name)
            clinic.store.execute(
                "DELETE FROM meta WHERE key = ?", (workstation_secrets.CHECKED_META,)
            )
        store_id = clinic.custody.store_id
    for name, value in values.items():
        backend.set_password(SERVICE, f"{store_id}:{name}", value)
    return values


# The process that moves them dies the moment it would delete the first keyring copy.
DIES_AT_DELETE = r"""
import os, signal, sys
from pathlib import Path
from keyring.backends import SecretService
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.staff_keys import open_signed_in

class Keyring(SecretService.Keyring):
    def delete_password(self, service, username):
        if username.endswith((":shared", ":audit-sign", ":shared-join")):
            os.kill(os.getpid(), signal.SIGKILL)
        return super().delete_password(service, username)

Keyring.__module__ = "keyring.backends.SecretService"  # the class the key record names
home = Path(sys.argv[1])
open_signed_in(home, sys.argv[2], sys.argv[3], custody=KeyCustody(home, Keyring()))
print("not killed")
"""


def _moves(store) -> int:  # noqa: ANN001
    return store.one("SELECT count(*) FROM audit WHERE action = 'workstation.secret_moved'")


def test_an_older_workstations_keys_move_in_once_even_when_killed_between(
    tmp_path, secret_service, postgres
):
    from clinic_inbox.shared import audit_ship, sync
    from clinic_inbox.shared import server as srv

    backend = secret_service.backend()
    home = tmp_path / "old"
    _workstation(home, backend)
    dsn = f"{_dsn(postgres, 'older_ws')} password={postgres.password}"
    clinic, session = open_signed_in(home, ADMIN, ADMIN_PW, custody=KeyCustody(home, backend))
    with clinic:
        srv.init_server(clinic, session, dsn)
        store_id = clinic.custody.store_id
    values = _as_an_older_version_left_it(home, backend)
    assert sorted(values) == ["audit-sign", "shared"]
    items = keyring_items(secret_service, home)
    assert [i for i in items if i == values["audit-sign"]]  # the hole being closed

    killed = subprocess.run(
        [sys.executable, "-c", DIES_AT_DELETE, str(home), ADMIN, ADMIN_PW],
        env=_env(secret_service, home),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert killed.returncode == -9, killed.stdout + killed.stderr
    # killed after the store's commit: both moved and audited, the keyring copies still there
    found = release(home, KeyCustody(home, backend), ADMIN, ADMIN_PW)
    with open_store(home / "clinic.db", found.db_key, upgrade=False) as store:
        assert wsq.names(store) == ["audit-sign", "shared"]
        assert _moves(store) == 2
        assert q.get_meta(store, workstation_secrets.CHECKED_META) is None
    assert backend.get_password(SERVICE, f"{store_id}:audit-sign") == values["audit-sign"]

    # the next open deletes the keyring copies and moves nothing again
    clinic, session = open_signed_in(home, ADMIN, ADMIN_PW, custody=KeyCustody(home, backend))
    with clinic:
        assert _moves(clinic.store) == 2
        assert q.get_meta(clinic.store, workstation_secrets.CHECKED_META) == "1"
        for name, value in values.items():
            assert backend.get_password(SERVICE, f"{store_id}:{name}") is None
            assert workstation_secrets.get(clinic, name) == value
        # the same signing key signs: a new one would be refused by the server, which
        # registered the old one at `server init` (this process's cache of it emptied)
        audit_ship._keys.clear()
        audit_ship._registered.clear()
        link = srv.open_link(clinic)
        try:
            sync.pull(clinic, link)
            assert audit_ship.ship(clinic, link).on_server > 0
        finally:
            link.conn.close()
    items = keyring_items(secret_service, home)
    assert not [i for i in items for v in values.values() if v in i]
    # a stale copy written into the keyring afterwards is not taken over the store's own
    backend.set_password(SERVICE, f"{store_id}:audit-sign", "00" * 32)
    clinic, _s = open_signed_in(home, ADMIN, ADMIN_PW, custody=KeyCustody(home, backend))
    with clinic:
        assert _moves(clinic.store) == 2
        assert workstation_secrets.get(clinic, "audit-sign") == values["audit-sign"]


def test_a_sealed_secret_is_bound_to_its_name_and_its_clinic():
    audit_key = bytes.fromhex("a7" * 32)
    sealed = workstation_secrets.seal(audit_key, "shared", "the clinic keys")
    assert workstation_secrets.unseal(audit_key, "shared", sealed) == "the clinic keys"
    with pytest.raises(workstation_secrets.WorkstationSecretDamaged, match="server connect"):
        workstation_secrets.unseal(audit_key, "audit-sign", sealed)  # moved to another name
    with pytest.raises(workstation_secrets.WorkstationSecretDamaged):
        workstation_secrets.unseal(bytes(32), "shared", sealed)  # another clinic's key


def test_a_clinic_without_a_keyring_can_work_with_a_shared_server(tmp_path, postgres):
    """Refused before (the keys needed a keyring); kept in the store now."""
    from clinic_inbox.shared import audit_ship, clinic_keys, sync
    from clinic_inbox.shared import server as srv

    home = tmp_path / "no-keyring"
    passphrase = "a long clinic passphrase"
    custody = KeyCustody(home, backend=None, detect=False)
    clinic, _code = create_clinic(home, lambda _p, _c: passphrase, custody)
    dsn = f"{_dsn(postgres, 'no_keyring')} password={postgres.password}"
    with clinic:
        assert clinic.custody.method == "passphrase"
        services.create_first_admin(clinic, ADMIN, "The Boss", ADMIN_PW)
        admin = services.login(clinic, ADMIN, ADMIN_PW, sleep=lambda _s: None)
        done = srv.init_server(clinic, admin, dsn, custody)
        assert clinic_keys.load(clinic).keys.clinic_id == done.clinic_id
    # opened again with the passphrase: the keys come from the store
    again = open_clinic(home, lambda _p, _c: passphrase, KeyCustody(home, None, detect=False))
    with again:
        link = srv.open_link(again)
        try:
            sync.pull(again, link)
            assert audit_ship.ship(again, link).on_server > 0
        finally:
            link.conn.close()
        said = workstation_secrets.describe(again)
        assert said.startswith("sealed in the store: this computer's audit signing key")
