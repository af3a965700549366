"""Issue 16: a clinic without a keyring keeps its lockout count inside the store too.

Without a keyring the sign-in gate's files (core.signin_gate) are its only copy, and
nothing authenticates them: the desktop user could delete them for more guesses. The
store now keeps a copy of every count at each sign-in; the next sign-in puts back any
count the files lost (the higher wins), audited in plain words. Real SQLCipher, the
product's own Argon2id slots, the files deleted and copied back as the desktop user
could; guesses go through the app's own sign-in (`open_signed_in`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from clinic_inbox.core import passwords, services, signin_gate, staff_keys
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Role

ADMIN, ADMIN_PW = "boss", "granite willow echo lantern"
NURSE, NURSE_PW = "nurse.chen", "kettle orbit maple frost"
WRONG = "plum harbor socket tundra"
PASSPHRASE = "the clinic's shared passphrase 2024"


def _passphrase(_prompt: str, _confirm: bool) -> str:
    return PASSPHRASE


def _no_sleep(_s: float) -> None:
    pass


def _open(home: Path, user: str, password: str):  # noqa: ANN202
    return staff_keys.open_signed_in(
        home,
        user,
        password,
        ask_passphrase=_passphrase,
        custody=KeyCustody(home, backend=None, detect=False),
        sleep=_no_sleep,
    )


@pytest.fixture()
def home(tmp_path) -> Path:
    """A clinic without a keyring, sealed: only staff passwords open it."""
    home = tmp_path / "c"
    clinic, _ = create_clinic(home, _passphrase, KeyCustody(home, backend=None, detect=False))
    with clinic:
        services.create_first_admin(clinic, ADMIN, "The Boss", ADMIN_PW)
        admin = services.login(clinic, ADMIN, ADMIN_PW, sleep=_no_sleep)
        services.add_staff(clinic, admin, NURSE, "Nurse Chen", Role.NURSE, NURSE_PW)
        assert staff_keys.enable_staff_slots(clinic, ADMIN, ADMIN_PW) == [NURSE]
    opened, _ = _open(home, NURSE, NURSE_PW)  # with the passphrase one last time: sealed
    opened.close()
    rec = json.loads((home / "custody.json").read_text())
    assert rec["method"] == "passphrase" and rec["sealed"] is True
    return home


def _guess(home: Path, times: int) -> None:
    for _ in range(times):
        with pytest.raises(services.AuthError, match="not right"):
            _open(home, NURSE, WRONG)


def _failures(home: Path) -> int:
    store_id = json.loads((home / "custody.json").read_text())["store_id"]
    return signin_gate.read(home, store_id, NURSE).failures


def _put_back_entries(home: Path) -> list[dict]:
    clinic, _ = _open(home, ADMIN, ADMIN_PW)
    with clinic:
        rows = clinic.store.execute(
            "SELECT detail FROM audit WHERE action = 'login.gate_put_back' ORDER BY id"
        )
        return [json.loads(r[0]) for r in rows]


def test_deleting_the_gate_files_buys_no_guesses_past_the_next_sign_in(home):
    _guess(home, 5)
    assert _failures(home) == 5
    opened, _ = _open(home, ADMIN, ADMIN_PW)  # the store takes a copy of the counts
    opened.close()

    shutil.rmtree(home / "locks")  # as the desktop user could: every count gone
    assert _failures(home) == 0

    (entry,) = _put_back_entries(home)  # the next sign-in by anyone puts it back
    assert _failures(home) == 5
    assert entry["what"].startswith(
        "The count of failed sign-ins kept in the files beside the store was lower than the "
        "copy inside the store for: nurse.chen."
    )
    assert "The higher count was put back, so the lockout still holds." in entry["what"]
    assert entry["names_put_back"] == 1 and len(entry["staff_ids"]) == 1

    # so the lock comes after the guesses the lockout allows in all, not 8 more
    left = passwords.LOCK_AFTER - 5
    _guess(home, left - 1)
    with pytest.raises(services.AccountLocked):
        _open(home, NURSE, WRONG)
    with pytest.raises(services.AccountLocked):
        _open(home, NURSE, NURSE_PW)  # locked even with the right password


def test_an_older_gate_file_copied_back_is_put_back_too(home):
    _guess(home, 2)
    saved = home.parent / "gate-then"
    shutil.copytree(home / "locks", saved)
    _guess(home, 4)
    opened, _ = _open(home, ADMIN, ADMIN_PW)
    opened.close()
    shutil.rmtree(home / "locks")
    shutil.copytree(saved, home / "locks")  # the files as they were at 2 failures
    assert _failures(home) == 2
    (entry,) = _put_back_entries(home)
    assert "nurse.chen" in entry["what"]
    assert _failures(home) == 6


def test_a_count_cleared_by_a_sign_in_stays_cleared(home):
    """No false alarm: the nurse's own sign-in clears her count, the copy follows."""
    _guess(home, 3)
    opened, _ = _open(home, ADMIN, ADMIN_PW)
    opened.close()
    opened, _ = _open(home, NURSE, NURSE_PW)
    opened.close()
    assert _failures(home) == 0
    assert _put_back_entries(home) == []
    assert _failures(home) == 0
    # nor when the files were wiped meanwhile and she then signed in (a new counter run)
    _guess(home, 2)
    opened, _ = _open(home, ADMIN, ADMIN_PW)
    opened.close()
    shutil.rmtree(home / "locks")
    opened, _ = _open(home, NURSE, NURSE_PW)  # her password proves it: cleared
    opened.close()
    assert _failures(home) == 0
    assert _put_back_entries(home) == []
