"""Issue 16: the app's sign-in says in plain words that a copied clinic must join the
shared server again. A clinic without a keyring (staff key slots, sealed) that had
joined a server, its data folder copied elsewhere; the real sign-in dialog offscreen,
real SQLCipher. The original's sign-in says nothing of the kind."""

from __future__ import annotations

import shutil

from clinic_inbox.core import services, staff_keys, workstation_identity, workstation_secrets
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.ui import login
from clinic_inbox.ui.login import OpeningSignIn

ADMIN_PW = "granite willow echo lantern"
PASSPHRASE = "the clinic's shared passphrase 2024"


def _sign_in(qtbot, home, monkeypatch) -> list[tuple[str, str]]:  # noqa: ANN001
    said: list[tuple[str, str]] = []
    monkeypatch.setattr(
        login.QMessageBox, "information", lambda _parent, title, text: said.append((title, text))
    )
    dlg = OpeningSignIn(home, sleep=lambda s: None)
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.username.setText("boss")
    dlg.password.setText(ADMIN_PW)
    dlg.try_login()
    qtbot.waitUntil(lambda: not dlg.checking, timeout=60_000)
    assert dlg.session is not None, dlg.error.text()
    dlg.clinic.close()
    return said


def test_a_copied_clinic_is_told_to_join_again_at_sign_in(qtbot, tmp_path, monkeypatch):
    home = tmp_path / "front-desk"
    clinic, _ = create_clinic(
        home, lambda _p, _c: PASSPHRASE, KeyCustody(home, backend=None, detect=False)
    )
    with clinic:
        services.create_first_admin(clinic, "boss", "The Boss", ADMIN_PW)
        assert staff_keys.enable_staff_slots(clinic, "boss", ADMIN_PW) == []
        with clinic.store.transaction():  # as `server connect` leaves it
            shq.link(clinic.store, "clinic-1", "ws-1", "server.clinic.lan:5432/clinic")
            workstation_secrets.put(
                clinic.store, clinic.audit_key, workstation_secrets.SHARED_LINK, "{}"
            )
        workstation_identity.remember_place(clinic)
    copy = tmp_path / "elsewhere" / "clinic"
    shutil.copytree(home, copy)

    (notice,) = _sign_in(qtbot, copy, monkeypatch)
    assert notice[0] == "Please note"
    assert notice[1].startswith(
        "This computer's copy of the clinic is now used on another computer or in another "
        "data folder than before, so it no longer exchanges changes with the clinic's "
        "shared server (server.clinic.lan:5432/clinic)"
    )
    assert "Every message on this computer is kept." in notice[1]
    assert _sign_in(qtbot, home, monkeypatch) == []  # the original: nothing to say
