"""Issue 16: the lockout counter of the closed store cannot be deleted or rolled back
for more guesses, and a password that only just passes makes offline guesses dearer.

Against the real Secret Service (gnome-keyring on a private D-Bus); the gate's files
are deleted, copied back and edited as the desktop user could.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from clinic_inbox.core import audit, passwords, services
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import SERVICE, KeyCustody
from clinic_inbox.core.keyslots import COST, HARD_COST, SLOTS_FILE
from clinic_inbox.core.model import Role
from clinic_inbox.core.staff_keys import open_signed_in

ADMIN, ADMIN_PW = "boss", "granite willow echo lantern"
NURSE, NURSE_PW = "nurse.chen", "kettle orbit maple frost"
WRONG = "plum harbor socket tundra"
JUST_PASSES = "Bluebird2024!"  # 13 characters, zxcvbn 3: accepted, not strong


def _never(prompt: str, confirm: bool) -> str:
    raise AssertionError("a clinic with a keyring asks for no passphrase")


def _no_sleep(_s: float) -> None:
    pass


def _clinic(home: Path, secret_service) -> str:
    clinic, _code = create_clinic(home, _never, KeyCustody(home, secret_service.backend()))
    with clinic:
        services.create_first_admin(clinic, ADMIN, "The Boss", ADMIN_PW)
        admin = services.login(clinic, ADMIN, ADMIN_PW, sleep=_no_sleep)
        services.add_staff(clinic, admin, NURSE, "Nurse Chen", Role.NURSE, NURSE_PW)
        return clinic.custody.store_id


def _open(home, secret_service, user, password):
    return open_signed_in(
        home, user, password, custody=KeyCustody(home, secret_service.backend()), sleep=_no_sleep
    )


def _guess(home, secret_service, times: int) -> None:
    for _ in range(times):
        with pytest.raises(services.AuthError, match="not right"):
            _open(home, secret_service, NURSE, WRONG)


def _gate_files(home: Path) -> list[Path]:
    return sorted((home / "locks").glob("gate-*.json"))


def test_deleting_or_copying_back_the_count_buys_no_guesses(tmp_path, secret_service):
    home = tmp_path / "c"
    _clinic(home, secret_service)
    _guess(home, secret_service, 2)
    early = tmp_path / "early"
    shutil.copytree(home / "locks", early)  # a copy taken after two guesses
    _guess(home, secret_service, passwords.LOCK_AFTER - 3)
    # the desktop user deletes the counting files: the keyring copy still counts
    for f in _gate_files(home):
        f.unlink()
    with pytest.raises(services.AuthError):
        _open(home, secret_service, NURSE, WRONG)  # the 7th, not a fresh 1st
    # ... and copies the early files back: the keyring's newer copy wins
    for f in early.iterdir():
        shutil.copy(f, home / "locks" / f.name)
    with pytest.raises(services.AccountLocked):
        _open(home, secret_service, NURSE, WRONG)  # the 8th locks
    with pytest.raises(services.AccountLocked):
        _open(home, secret_service, NURSE, NURSE_PW)


def test_an_edited_count_counts_for_nothing(tmp_path, secret_service):
    home = tmp_path / "c"
    _clinic(home, secret_service)
    _guess(home, secret_service, passwords.LOCK_AFTER - 1)
    for f in _gate_files(home):  # "failures": 0 and a newer number, without the keyring's key
        data = json.loads(f.read_text())
        if "failures" in data:
            data.update(failures=0, seq=10**9)
        else:
            data["seq"] = 10**9
        f.write_text(json.dumps(data))
    with pytest.raises(services.AccountLocked):
        _open(home, secret_service, NURSE, WRONG)


def test_wiping_both_copies_is_noticed_at_the_next_sign_in(tmp_path, secret_service):
    home = tmp_path / "c"
    store_id = _clinic(home, secret_service)
    clinic, _s = _open(home, secret_service, ADMIN, ADMIN_PW)  # the store sees the counter
    clinic.close()
    _guess(home, secret_service, passwords.LOCK_AFTER - 1)
    # everything the desktop user can reach: the files and the keyring copy
    shutil.rmtree(home / "locks")
    secret_service.backend().delete_password(SERVICE, f"{store_id}:signin-gate")
    _guess(home, secret_service, 1)  # counted from nothing again: this is the residual risk
    clinic, _s = _open(home, secret_service, NURSE, NURSE_PW)
    with clinic:
        said = [e for e in audit.entries(clinic.store) if e.action == "login.gate_rolled_back"]
        assert len(said) == 1
        assert said[0].detail["started_again"] is True
        assert audit.verify(clinic.store, clinic.audit_key).ok
    # an ordinary sign-in afterwards says nothing more
    clinic, _s = _open(home, secret_service, ADMIN, ADMIN_PW)
    with clinic:
        assert [e.action for e in audit.entries(clinic.store)].count("login.gate_rolled_back") == 1


def test_an_administrator_unlock_clears_both_copies(tmp_path, secret_service):
    home = tmp_path / "c"
    _clinic(home, secret_service)
    _guess(home, secret_service, passwords.LOCK_AFTER - 1)
    with pytest.raises(services.AccountLocked):
        _open(home, secret_service, NURSE, WRONG)
    clinic, admin = _open(home, secret_service, ADMIN, ADMIN_PW)
    with clinic:
        assert services.unlock_account(clinic, admin, NURSE)
    clinic, _nurse = _open(home, secret_service, NURSE, NURSE_PW)
    clinic.close()


def test_a_password_that_only_just_passes_gets_a_dearer_slot(tmp_path, secret_service):
    assert passwords.weakness(JUST_PASSES, username="pat.doe") is None  # it is allowed
    home = tmp_path / "c"
    _clinic(home, secret_service)
    clinic, admin = _open(home, secret_service, ADMIN, ADMIN_PW)
    with clinic:
        services.add_staff(clinic, admin, "pat.doe", "Pat Doe", Role.RECEPTIONIST, JUST_PASSES)
    slots = json.loads((home / SLOTS_FILE).read_text())["slots"]
    for name, want in ((NURSE, COST), (ADMIN, COST), ("pat.doe", HARD_COST)):
        assert {k: slots[name][k] for k in COST} == want, name
    # the dearer slot opens with its own cost (read from the slot)
    clinic, s = _open(home, secret_service, "pat.doe", JUST_PASSES)
    with clinic:
        assert s.staff.username == "pat.doe"
        made = [e for e in audit.entries(clinic.store) if e.action == "key.slot"]
        assert made[-1].detail["argon2id_mib"] == HARD_COST["memory_cost"] // 1024
