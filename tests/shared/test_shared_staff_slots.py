"""A person added, or given a new password, on one workstation signs in at another's start.

Two workstations of one clinic on a real PostgreSQL, each with its own data folder,
SQLCipher store and gnome-keyring; both use per-staff key slots (their stores open
only with a staff password). The workstation where the password is typed derives the
key it makes for a slot and sends it, sealed with the clinic keys, with the staff
operation; the other makes the person's slot from it when it pulls, while unlocked.
B's pull and B's sign-in at start are separate processes (the CLI), as at the clinic.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from support.fast_kdf import child_pythonpath
from workstations import ADMIN_PASSWORD, STAFF_PASSWORD, login, new_workstation

from clinic_inbox.core import services, staff_keys
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.keyslots import SLOTS_FILE
from clinic_inbox.core.model import Role
from clinic_inbox.core.signin import AuthError, PasswordChangeRequired
from clinic_inbox.core.staff_keys import open_signed_in
from clinic_inbox.shared import server as srv
from clinic_inbox.shared import sync

REPO = Path(__file__).resolve().parents[2]
NEW_PW = "saffron glacier lantern oboe"
OTHER_PW = "walnut comet harbour tulip"


class Clinic2:
    """A (driven in this process) and B (closed; opened by a sign-in, or by the CLI)."""

    def __init__(self, tmp_path: Path, empty_db: str, keyring_factory) -> None:  # noqa: ANN001
        self.rings = [keyring_factory(), keyring_factory()]
        self.homes = [tmp_path / "ws-a", tmp_path / "ws-b"]
        a, b = (
            new_workstation(h, r.backend()) for h, r in zip(self.homes, self.rings, strict=True)
        )
        ca, cb = (self.custody(0), self.custody(1))
        init = srv.init_server(a, login(a, "admin"), empty_db, ca)
        srv.connect_workstation(b, login(b, "admin"), empty_db, init.clinic_code, cb)
        self.a, self.la = a, srv.open_link(a, ca)
        lb = srv.open_link(b, cb)
        sync.push(a, self.la)  # A publishes the clinic's staff, B adopts them
        sync.pull(b, lb)
        lb.conn.close()
        b.close()  # B is locked from here on, until someone signs in there

    def custody(self, i: int) -> KeyCustody:
        return KeyCustody(self.homes[i], backend=self.rings[i].backend())

    def start_b(self, username: str, password: str, **kw):  # noqa: ANN003, ANN201
        """B's app start: the password opens the store through the person's slot."""
        return open_signed_in(self.homes[1], username, password, custody=self.custody(1), **kw)

    def cli_b(self, username: str, password: str, *args: str) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS", "CLINIC_INBOX"))}
        env.update(self.rings[1].env)
        env.pop("PYTHON_KEYRING_BACKEND", None)
        env.update({"CLINIC_INBOX_HOME": str(self.homes[1]), "CLINIC_INBOX_PASSWORD": password})
        env["PYTHONPATH"] = child_pythonpath(REPO)
        return subprocess.run(
            [sys.executable, "-m", "clinic_inbox", "--user", username, *args],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def b_slot(self, username: str) -> dict | None:
        data = json.loads((self.homes[1] / SLOTS_FILE).read_text("utf-8"))
        return data["slots"].get(username)

    def close(self) -> None:
        self.la.conn.close()
        self.a.close()


@pytest.fixture()
def clinic(tmp_path, empty_db, keyring_factory):
    c = Clinic2(tmp_path, empty_db, keyring_factory)
    yield c
    c.close()


def ok(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def _pull_on_b_as(c: Clinic2, username: str, password: str) -> None:
    """Someone signed in on B (its own process) and its sync ran."""
    ok(c.cli_b(username, password, "server", "sync"))


def test_a_nurse_added_on_a_signs_in_at_bs_start_after_b_synced(clinic, empty_db):
    c = clinic
    services.add_staff(c.a, login(c.a, "admin"), "nurse.roy", "Nurse Léa Roy", Role.NURSE, NEW_PW)
    assert sync.push(c.a, c.la).staff == 1
    _pull_on_b_as(c, "admin", ADMIN_PASSWORD)  # B unlocked by a colleague; it pulls
    made = c.b_slot("nurse.roy")
    assert made is not None and made.get("travelled") is True
    # her own sign-in at B's start, in a process of its own: her password opens the store
    ok(c.cli_b("nurse.roy", NEW_PW, "list"))
    # that sign-in replaced the slot with one of B's own (fresh salt, not travelled)
    mine = c.b_slot("nurse.roy")
    assert "travelled" not in mine and mine["salt"] != made["salt"]
    # the slot key went sealed: nothing of it on the server in clear, nor kept on A or B
    with psycopg.connect(empty_db) as conn:
        plain = " ".join(str(r) for r in conn.execute("SELECT * FROM access_op"))
        blobs = b"".join(bytes(r[0]) for r in conn.execute("SELECT sealed FROM access_op"))
    assert made["salt"] not in plain and made["salt"].encode() not in blobs
    assert c.a.store.one("SELECT count(*) FROM shared_access_slot_keys") == 0
    b, _ = c.start_b("admin", ADMIN_PASSWORD)
    with b:
        assert b.store.one("SELECT count(*) FROM shared_access_slot_keys") == 0
        audit = [
            json.loads(r[0] or "{}")
            for r in b.store.execute("SELECT detail FROM audit WHERE action = 'key.slot'")
        ]
    assert any(d.get("from_another_computer") for d in audit if isinstance(d, dict))


def test_a_workstation_locked_since_the_add_says_so_in_plain_words(clinic):
    c = clinic
    services.add_staff(c.a, login(c.a, "admin"), "nurse.roy", "Nurse Léa Roy", Role.NURSE, NEW_PW)
    sync.push(c.a, c.la)
    # B stayed locked: it never pulled the key for her slot
    with pytest.raises(AuthError) as refused:
        c.start_b("nurse.roy", NEW_PW)
    assert "This computer has not yet received your account." in str(refused.value)
    assert str(refused.value) == staff_keys.NOT_RECEIVED
    # a known person's wrong password is still just that
    with pytest.raises(AuthError) as wrong:
        c.start_b("nurse.chen", "not her password at all")
    assert "has not yet received" not in str(wrong.value)
    # a colleague signs in at B once (its sync pulls), then she can
    b, _ = c.start_b("dr.patel", STAFF_PASSWORD)
    with b:
        lb = srv.open_link(b, c.custody(1))
        try:
            sync.pull(b, lb)
        finally:
            lb.conn.close()
    b, session = c.start_b("nurse.roy", NEW_PW)
    with b:
        assert session.staff.username == "nurse.roy"


def test_a_reset_on_a_opens_b_with_the_temporary_password_then_her_own(clinic):
    c = clinic
    services.reset_password(c.a, login(c.a, "admin"), "nurse.chen", OTHER_PW)
    sync.push(c.a, c.la)
    _pull_on_b_as(c, "admin", ADMIN_PASSWORD)
    # the temporary password opens B's store; the sign-in then asks for her own
    with pytest.raises(PasswordChangeRequired):
        c.start_b("nurse.chen", OTHER_PW)
    with pytest.raises(AuthError):
        c.start_b("nurse.chen", STAFF_PASSWORD)  # her old slot was replaced
    b, session = c.start_b("nurse.chen", OTHER_PW, new_password=NEW_PW)
    with b:
        assert session.staff.username == "nurse.chen"
    b, _ = c.start_b("nurse.chen", NEW_PW)
    b.close()


def test_a_person_changing_their_own_password_on_a_uses_it_at_bs_start(clinic):
    c = clinic
    chen = login(c.a, "nurse.chen")
    services.reset_password(c.a, chen, "nurse.chen", NEW_PW)
    sync.push(c.a, c.la)
    _pull_on_b_as(c, "dr.patel", STAFF_PASSWORD)
    b, session = c.start_b("nurse.chen", NEW_PW)
    with b:
        assert session.staff.username == "nurse.chen"
    with pytest.raises(AuthError):
        c.start_b("nurse.chen", STAFF_PASSWORD)


def test_the_password_chosen_at_bs_start_opens_a_at_its_start(clinic):
    c = clinic
    services.reset_password(c.a, login(c.a, "admin"), "nurse.chen", OTHER_PW)
    sync.push(c.a, c.la)
    _pull_on_b_as(c, "admin", ADMIN_PASSWORD)
    b, _ = c.start_b("nurse.chen", OTHER_PW, new_password=NEW_PW)  # her own, chosen on B
    b.close()
    b, _ = c.start_b("admin", ADMIN_PASSWORD)
    with b:
        lb = srv.open_link(b, c.custody(1))
        try:
            assert sync.push(b, lb).staff == 1  # her change, with its slot key
        finally:
            lb.conn.close()
    sync.pull(c.a, c.la)  # A, open, pulls it
    c.la.conn.close()
    c.a.close()
    c.a, session = open_signed_in(c.homes[0], "nurse.chen", NEW_PW, custody=c.custody(0))
    c.la = srv.open_link(c.a, c.custody(0))
    assert session.staff.username == "nurse.chen" and not session.notices
