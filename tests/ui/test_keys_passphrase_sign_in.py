"""The app's sign-in for a clinic without a keyring once staff key slots sealed it
(issue 16 item 7): the app asks for a password, not the old shared passphrase, and a
wrong password opens nothing. Real SQLCipher, the real sign-in dialog offscreen."""

from __future__ import annotations

from clinic_inbox.core import services, staff_keys
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.ui.app import _released_at_sign_in
from clinic_inbox.ui.login import OpeningSignIn

ADMIN_PW = "granite willow echo lantern"
PASSPHRASE = "the clinic's shared passphrase 2024"


def test_a_sealed_clinic_without_a_keyring_opens_by_password(qtbot, tmp_path):
    home = tmp_path / "c"
    custody = KeyCustody(home, backend=None, detect=False)
    clinic, _ = create_clinic(home, lambda _p, _c: PASSPHRASE, custody)
    with clinic:
        services.create_first_admin(clinic, "boss", "The Boss", ADMIN_PW)
        assert not _released_at_sign_in(home)  # the passphrase still opens it first
        assert staff_keys.enable_staff_slots(clinic, "boss", ADMIN_PW) == []
        assert clinic.custody.sealed  # the only member of staff has a slot
    assert _released_at_sign_in(home)
    dlg = OpeningSignIn(home, sleep=lambda s: None)
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.username.setText("boss")
    dlg.password.setText(PASSPHRASE)  # the old passphrase is not a password here
    dlg.try_login()
    qtbot.waitUntil(lambda: not dlg.checking, timeout=60_000)
    assert dlg.clinic is None and dlg.session is None and "not right" in dlg.error.text()
    dlg.password.setText(ADMIN_PW)
    dlg.try_login()
    qtbot.waitUntil(lambda: not dlg.checking, timeout=60_000)
    assert dlg.session is not None and dlg.session.staff.username == "boss"
    with dlg.clinic as opened:
        assert services.list_staff(opened, dlg.session)[0].username == "boss"
