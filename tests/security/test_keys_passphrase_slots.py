"""Issue 16 item 7 for a clinic without a keyring: the key is released to staff, not to
whoever knows the one shared passphrase.

The `clinic-inbox` command in its own processes, no keyring at all (the `fail`
backend), real SQLCipher, the product's own Argon2id cost for these slots: an
administrator turns staff key slots on (`key seal`), each colleague's next sign-in
writes their slot, then the passphrase-wrapped key file goes and only a staff password
(or the recovery code) opens the store; key change and a backup restored elsewhere keep
working.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.clinic_details import INIT_DETAILS

from clinic_inbox.core.keys import KeyCustody, SignInNeededError
from clinic_inbox.core.keyslots import HARD_COST, SLOTS_FILE

REPO = Path(__file__).resolve().parents[2]
ADMIN, ADMIN_PW = "boss", "granite willow echo lantern"
NURSE, NURSE_PW = "nurse.chen", "kettle orbit maple frost"
PASSPHRASE = "the clinic's shared passphrase 2024"


def cli(home: Path, *args: str, user=None, password=None, passphrase=None, stdin=None, env=None):
    full = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS", "CLINIC_INBOX"))}
    full.update(
        {"CLINIC_INBOX_HOME": str(home), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    )
    if password is not None:
        full["CLINIC_INBOX_PASSWORD"] = password
    if passphrase is not None:
        full["CLINIC_INBOX_PASSPHRASE"] = passphrase
    full.update(env or {})
    who = ["--user", user] if user else []
    return subprocess.run(
        [sys.executable, "-m", "clinic_inbox", *who, *args],
        env=full,
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _record(home: Path) -> dict:
    return json.loads((home / "custody.json").read_text())


@pytest.fixture()
def clinic_home(tmp_path) -> tuple[Path, str]:
    """A clinic without a keyring, an administrator and a nurse; returns the recovery code."""
    home = tmp_path / "c"
    made = cli(
        home, "init", "--admin", ADMIN, *INIT_DETAILS, password=ADMIN_PW, passphrase=PASSPHRASE
    )
    assert made.returncode == 0, made.stderr
    assert _record(home)["method"] == "passphrase"
    code = made.stdout.split("RECOVERY CODE", 1)[1].splitlines()[1].strip()
    added = cli(
        home, "user", "add", NURSE, "--role", "nurse", user=ADMIN, password=ADMIN_PW,
        passphrase=PASSPHRASE, env={"CLINIC_INBOX_NEW_PASSWORD": NURSE_PW},
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    return home, code


def test_staff_slots_replace_the_shared_passphrase(clinic_home):
    home, _code = clinic_home
    assert not (home / SLOTS_FILE).exists()  # nothing changes until an administrator asks
    turned_on = cli(home, "key", "seal", user=ADMIN, password=ADMIN_PW, passphrase=PASSPHRASE)
    assert turned_on.returncode == 0, turned_on.stderr
    assert "Staff key slots are on" in turned_on.stdout and NURSE in turned_on.stdout
    said = cli(home, "doctor", user=ADMIN, password=ADMIN_PW)  # her slot opens, no passphrase
    assert said.returncode == 0, said.stderr
    assert "1 active staff have not signed in since key slots came" in said.stdout
    assert "the clinic's passphrase still opens the store" in said.stdout
    assert (home / "key.wrapped").exists() and not _record(home)["sealed"]

    # the nurse signs in once more with the passphrase: her slot; now everyone has one
    first = cli(home, "list", user=NURSE, password=NURSE_PW, passphrase=PASSPHRASE)
    assert first.returncode == 0, first.stderr
    rec = _record(home)
    assert rec["sealed"] and rec["staff_slots"]
    assert not (home / "key.wrapped").exists()  # the passphrase opens nothing any more
    slots = json.loads((home / SLOTS_FILE).read_text())
    assert sorted(slots["slots"]) == [ADMIN, NURSE]
    assert (home / SLOTS_FILE).stat().st_mode & 0o777 == 0o600
    for slot in slots["slots"].values():  # no keyring half: the dearer stretching
        assert slot["memory_cost"] == HARD_COST["memory_cost"]

    # each password alone opens the store; the passphrase, a wrong password or no
    # sign-in open nothing
    again = cli(home, "list", user=NURSE, password=NURSE_PW)
    assert again.returncode == 0, again.stderr
    wrong = cli(home, "list", user=NURSE, password="plum harbor socket tundra")
    assert wrong.returncode == 1 and "not right" in wrong.stderr
    assert "Traceback" not in wrong.stderr
    nobody = cli(home, "list", passphrase=PASSPHRASE)
    assert nobody.returncode != 0 and "opens only when a staff member signs in" in nobody.stderr
    with pytest.raises(SignInNeededError):
        KeyCustody(home, backend=None, detect=False).load(lambda _p, _c: PASSPHRASE)
    said = cli(home, "doctor", user=ADMIN, password=ADMIN_PW)
    assert "Key custody:     staff key slots: the store key is released by staff" in said.stdout


def test_recovery_key_change_and_a_restored_backup_keep_working(clinic_home, tmp_path):
    home, code = clinic_home
    on = cli(home, "key", "seal", user=ADMIN, password=ADMIN_PW, passphrase=PASSPHRASE)
    assert on.returncode == 0, on.stderr
    now = cli(home, "key", "seal", user=ADMIN, password=ADMIN_PW)  # sealed at once
    assert now.returncode == 0, now.stderr
    assert "reset it for them" in now.stdout and NURSE in now.stdout
    assert _record(home)["sealed"] and not (home / "key.wrapped").exists()
    reset = cli(
        home, "user", "reset", NURSE, user=ADMIN, password=ADMIN_PW,
        env={"CLINIC_INBOX_NEW_PASSWORD": "violet tundra harbor 42"},
    )  # fmt: skip
    assert reset.returncode == 0, reset.stderr

    # the slots file lost: the recovery code opens the store for the administrator
    (home / SLOTS_FILE).unlink()
    lost = cli(home, "list", user=ADMIN, password=ADMIN_PW)
    assert lost.returncode == 1 and "not right" in lost.stderr
    back = cli(
        home, "key", "recover", "--code-stdin", user=ADMIN, password=ADMIN_PW, stdin=code + "\n"
    )
    assert back.returncode == 0, back.stdout + back.stderr
    assert cli(home, "list", user=ADMIN, password=ADMIN_PW).returncode == 0

    # a key change seals the new key to every slot
    changed = cli(home, "key", "change", user=ADMIN, password=ADMIN_PW)
    assert changed.returncode == 0, changed.stdout + changed.stderr
    assert cli(home, "list", user=ADMIN, password=ADMIN_PW).returncode == 0

    # a backup (same key) restored into another folder opens by the same password
    out = tmp_path / "b.cib"
    saved = cli(home, "backup", "--out", str(out), user=ADMIN, password=ADMIN_PW)
    assert saved.returncode == 0, saved.stderr
    other = tmp_path / "restored"
    restored = cli(other, "restore", str(out), user=ADMIN, password=ADMIN_PW)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    opened = cli(other, "doctor", user=ADMIN, password=ADMIN_PW)
    assert opened.returncode == 0, opened.stderr
    assert "staff key slots" in opened.stdout


def test_a_passphrase_backup_is_restored_as_a_sealed_clinic(clinic_home, tmp_path):
    """A fresh key on the new computer: released to the restoring administrator's slot
    at once, never left behind one shared passphrase; colleagues need a reset."""
    home, _code = clinic_home
    out = tmp_path / "offsite.cib"
    offsite = {"CLINIC_INBOX_BACKUP_PASSPHRASE": "an offsite passphrase of my own"}
    saved = cli(
        home, "backup", "--out", str(out), "--passphrase", user=ADMIN, password=ADMIN_PW,
        passphrase=PASSPHRASE, env=offsite,
    )  # fmt: skip
    assert saved.returncode == 0, saved.stderr
    other = tmp_path / "new-computer"
    restored = cli(
        other, "restore", str(out), "--passphrase", user=ADMIN, password=ADMIN_PW,
        passphrase="a new passphrase for this computer", env=offsite,
    )  # fmt: skip
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert f"need a password reset (`user reset NAME`) before they can sign in: {NURSE}" in (
        restored.stdout
    )
    code = restored.stdout.split("RECOVERY CODE", 1)[1].splitlines()[1].strip()
    rec = _record(other)
    assert rec["method"] == "passphrase" and rec["sealed"] and rec["staff_slots"]
    assert not (other / "key.wrapped").exists()
    assert sorted(json.loads((other / SLOTS_FILE).read_text())["slots"]) == [ADMIN]
    assert cli(other, "list", user=ADMIN, password=ADMIN_PW).returncode == 0
    nurse = cli(other, "list", user=NURSE, password=NURSE_PW, passphrase=PASSPHRASE)
    assert nurse.returncode == 1 and "not right" in nurse.stderr
    reset = cli(
        other, "user", "reset", NURSE, user=ADMIN, password=ADMIN_PW,
        env={"CLINIC_INBOX_NEW_PASSWORD": "violet tundra harbor 42"},
    )  # fmt: skip
    assert reset.returncode == 0, reset.stderr
    assert sorted(json.loads((other / SLOTS_FILE).read_text())["slots"]) == [ADMIN, NURSE]
    # the new recovery code works on the restored clinic
    (other / SLOTS_FILE).unlink()
    back = cli(
        other, "key", "recover", "--code-stdin", user=ADMIN, password=ADMIN_PW, stdin=code + "\n"
    )
    assert back.returncode == 0, back.stdout + back.stderr
