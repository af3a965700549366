"""Issue 16 leftover: a session open when an administrator resets that person's
password, or disables them, ends at its next action ("Your session ended")."""

from __future__ import annotations

import pytest
from support.clinics import new_clinic

from clinic_inbox.core import services
from clinic_inbox.core.model import Role

NURSE_PW, TEMPORARY, OWN = (
    "plum harbor socket tundra",
    "copper lantern river basin",
    "violet tundra harbor meadow",
)


def _no_sleep(_s: float) -> None:
    pass


@pytest.fixture()
def clinic_and_nurse(tmp_path):
    clinic, admin, _doc = new_clinic(tmp_path / "c")
    services.add_staff(clinic, admin, "nurse.chen", "Nurse Chen", Role.NURSE, NURSE_PW)
    nurse = services.login(clinic, "nurse.chen", NURSE_PW, sleep=_no_sleep)
    yield clinic, admin, nurse
    clinic.close()


def test_a_reset_ends_the_open_session_and_a_new_sign_in_works(clinic_and_nurse):
    clinic, admin, nurse = clinic_and_nurse
    assert services.list_messages(clinic, nurse) == []  # working before
    services.reset_password(clinic, admin, "nurse.chen", TEMPORARY)
    with pytest.raises(services.SessionEnded, match="Your session ended: sign in again"):
        services.list_messages(clinic, nurse)
    with pytest.raises(services.SessionEnded):
        services.board(clinic, nurse)
    # the administrator's own session is untouched
    assert services.list_staff(clinic, admin)
    with pytest.raises(services.PasswordChangeRequired):
        services.login(clinic, "nurse.chen", TEMPORARY, sleep=_no_sleep)
    again = services.login(clinic, "nurse.chen", TEMPORARY, new_password=OWN, sleep=_no_sleep)
    assert services.list_messages(clinic, again) == []
    # the session that was open at the reset stays ended (whoever still has that
    # window does not get it back by her signing in elsewhere)
    with pytest.raises(services.SessionEnded):
        services.list_messages(clinic, nurse)
    # her own change of password ends nothing
    services.reset_password(clinic, again, "nurse.chen", NURSE_PW)
    assert services.list_messages(clinic, again) == []


def test_disabling_ends_the_open_session(clinic_and_nurse):
    clinic, admin, nurse = clinic_and_nurse
    services.set_staff_active(clinic, admin, "nurse.chen", False)
    with pytest.raises(services.SessionEnded, match="disabled"):
        services.list_messages(clinic, nurse)
    with pytest.raises(services.AuthError):
        services.login(clinic, "nurse.chen", NURSE_PW, sleep=_no_sleep)
    services.set_staff_active(clinic, admin, "nurse.chen", True)
    with pytest.raises(services.SessionEnded):  # enabled again: that old session stays ended
        services.list_messages(clinic, nurse)
    back = services.login(clinic, "nurse.chen", NURSE_PW, sleep=_no_sleep)
    assert services.list_messages(clinic, back) == []
