"""Issue 16: a store restored on another computer starts a new count of failed sign-ins,
and the audit says so in words a privacy officer reads calmly; the same count wiped in
place is still reported as a possible rollback (tests/security/test_keys_gate.py).

Real processes (`clinic-inbox backup`, `restore`), two real gnome-keyrings standing for
two computers' keyrings.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.clinic_details import INIT_DETAILS

from clinic_inbox.core import audit
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.staff_keys import ELSEWHERE_WORDS, open_signed_in

REPO = Path(__file__).resolve().parents[2]
ADMIN, ADMIN_PW = "boss", "granite willow echo lantern"
BACKUP_PW = "an offsite passphrase of my own"


@pytest.fixture()
def other_computers_keyring():
    from support.secret_service import SecretService

    service = SecretService().start()
    yield service
    service.stop()


def cli(keyring, home: Path, *args: str, user: str | None = ADMIN):  # noqa: ANN001
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS", "CLINIC_INBOX"))}
    env.update(keyring.env)
    env.pop("PYTHON_KEYRING_BACKEND", None)
    env.update(
        CLINIC_INBOX_HOME=str(home),
        CLINIC_INBOX_PASSWORD=ADMIN_PW,
        CLINIC_INBOX_BACKUP_PASSPHRASE=BACKUP_PW,
    )
    who = ["--user", user] if user else []
    return subprocess.run(
        [sys.executable, "-m", "clinic_inbox", *who, *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _gate_entries(home: Path, keyring) -> list[audit.AuditEntry]:  # noqa: ANN001
    clinic, _s = open_signed_in(home, ADMIN, ADMIN_PW, custody=KeyCustody(home, keyring.backend()))
    with clinic:
        return [e for e in audit.entries(clinic.store) if e.action.startswith("login.gate_")]


def test_a_store_restored_on_another_computer_is_not_called_a_rollback(
    tmp_path, secret_service, other_computers_keyring
):
    home, elsewhere = tmp_path / "front-desk", tmp_path / "new-computer"
    made = cli(secret_service, home, "init", "--admin", ADMIN, *INIT_DETAILS, user=None)
    assert made.returncode == 0, made.stderr
    seen = cli(secret_service, home, "doctor")  # a sign-in: the store sees the count
    assert seen.returncode == 0, seen.stderr
    out = tmp_path / "offsite.cib"
    done = cli(secret_service, home, "backup", "--out", str(out), "--passphrase")
    assert done.returncode == 0, done.stderr

    back = cli(other_computers_keyring, elsewhere, "restore", str(out), "--passphrase")
    assert back.returncode == 0, back.stdout + back.stderr
    # under its fresh key the restored clinic is sealed at once: the new computer's
    # keyring holds no store key, only the key slots' secret
    rec = KeyCustody(elsewhere, detect=False).record()
    assert rec.method == "keyring" and rec.sealed
    kept = other_computers_keyring.backend()
    assert kept.get_password("clinic-inbox", f"{rec.store_id}:db") is None
    assert kept.get_password("clinic-inbox", f"{rec.store_id}:slot-secret")
    opened = cli(other_computers_keyring, elsewhere, "doctor")
    assert opened.returncode == 0, opened.stderr
    said = _gate_entries(elsewhere, other_computers_keyring)
    assert [e.action for e in said] == ["login.gate_started_elsewhere"]
    assert said[0].detail["what"] == ELSEWHERE_WORDS
    assert "expected after a restore or a move" in said[0].detail["what"]
    assert said[0].detail["started_again"] is True
    # the first computer's own store, signed in again, has nothing to say
    assert _gate_entries(home, secret_service) == []
