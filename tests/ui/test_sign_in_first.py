"""The app's sign-in for a clinic whose key is released by staff passwords (issue 16
item 7): nothing opens before the password is right, against the real Secret Service."""

from __future__ import annotations

from clinic_inbox.core import services
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.ui.login import OpeningSignIn

ADMIN_PW = "granite willow echo lantern"


def _never(prompt: str, confirm: bool) -> str:
    raise AssertionError("no passphrase with a keyring")


def test_the_password_opens_the_store_and_a_wrong_one_opens_nothing(
    qtbot, tmp_path, secret_service
):
    home = tmp_path / "c"
    with secret_service.activated():
        clinic, _ = create_clinic(home, _never, KeyCustody(home, secret_service.backend()))
        with clinic:
            services.create_first_admin(clinic, "boss", "The Boss", ADMIN_PW)
        dlg = OpeningSignIn(home, sleep=lambda s: None)
        qtbot.addWidget(dlg)
        dlg.show()
        assert not dlg.demo_note.isVisible()
        dlg.username.setText("boss")
        dlg.password.setText("not the password at all")
        dlg.try_login()
        qtbot.waitUntil(lambda: not dlg.checking, timeout=30_000)
        assert dlg.clinic is None and dlg.session is None and "not right" in dlg.error.text()
        assert dlg.password.text() == ""
        dlg.password.setText(ADMIN_PW)
        dlg.try_login()
        qtbot.waitUntil(lambda: not dlg.checking, timeout=30_000)
        assert dlg.session is not None and dlg.session.staff.username == "boss"
        assert dlg.clinic is not None
        with dlg.clinic as opened:
            assert services.list_staff(opened, dlg.session)[0].username == "boss"
