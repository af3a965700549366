"""Issue 16: an administrator of a clinic without a keyring protects the store with each
person's own password from the app (Administration > Store protection), not only with
`clinic-inbox key seal`. Real SQLCipher, the product's own Argon2id cost for these
slots, the app's own writer thread (ActionRunner), the dialog offscreen. Saves
store-protection.png (support.screenshots)."""

from __future__ import annotations

import json

import pytest

from clinic_inbox.core import services, staff_keys
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.keyslots import KeySlots
from clinic_inbox.core.model import Role
from clinic_inbox.ui.actions import ActionRunner
from clinic_inbox.ui.admin import AdminDialog
from clinic_inbox.ui.admin_keys import TURN_ON

ADMIN_PW = "granite willow echo lantern"
STAFF_PW = "kettle orbit maple frost"
PASSPHRASE = "the clinic's shared passphrase 2024"


def _passphrase(_prompt: str, _confirm: bool) -> str:
    return PASSPHRASE


@pytest.fixture()
def clinic(tmp_path):
    home = tmp_path / "c"
    clinic, _ = create_clinic(home, _passphrase, KeyCustody(home, backend=None, detect=False))
    services.create_first_admin(clinic, "boss", "The Boss", ADMIN_PW)
    admin = services.login(clinic, "boss", ADMIN_PW)
    services.add_staff(clinic, admin, "nurse.chen", "Nurse Mei Chen", Role.NURSE, STAFF_PW)
    services.add_staff(
        clinic, admin, "reception.moreau", "Claire Moreau", Role.RECEPTIONIST, STAFF_PW
    )
    yield clinic
    clinic.close()


def _record(clinic) -> dict:  # noqa: ANN001
    return json.loads((clinic.home / "custody.json").read_text())


def _audited(clinic, action: str) -> list[str]:  # noqa: ANN001
    return [
        r[0] for r in clinic.store.execute("SELECT actor FROM audit WHERE action = ?", (action,))
    ]


def test_an_administrator_turns_on_staff_slots_from_administration(qtbot, clinic, shots):
    admin = services.login(clinic, "boss", ADMIN_PW)
    runner = ActionRunner(clinic)
    try:
        dlg = AdminDialog(clinic, admin, runner=runner)
        qtbot.addWidget(dlg)
        dlg.resize(1000, 640)
        dlg.show()
        tab = dlg.keys_tab
        dlg.tabs.setCurrentWidget(tab)
        qtbot.waitUntil(lambda: tab.state.text() != "", timeout=30_000)
        assert "opens with the clinic's shared passphrase" in tab.state.text()
        assert tab.turn_on.isVisible() and tab.turn_on.text() == TURN_ON
        assert "whoever knows it can open everything" in tab.explain.text()
        assert dlg.grab().save(str(shots / "store-protection.png"))

        tab.turn_on.click()  # no password typed
        assert "Type your own password first" in tab.message.text()

        tab._confirmed = lambda: False  # the administrator answers No
        tab.password.setText(ADMIN_PW)
        tab.turn_on.click()
        assert tab.message.text() == "Nothing was changed."
        assert not _record(clinic).get("staff_slots")

        tab._confirmed = lambda: True
        tab.password.setText("not my password at all")
        tab.turn_on.click()
        qtbot.waitUntil(lambda: tab.turn_on.isEnabled(), timeout=60_000)
        assert "not right" in tab.message.text()
        assert not _record(clinic).get("staff_slots")  # a mistyped password changes nothing

        tab.password.setText(ADMIN_PW)
        tab.turn_on.click()
        # the GUI thread is back at once: the stretching runs on the writer thread
        assert not tab.turn_on.isEnabled() and tab.busy.isVisible()
        assert "takes a few seconds" in tab.message.text()
        assert tab.password.text() == ""
        qtbot.waitUntil(lambda: tab.turn_on.isEnabled(), timeout=120_000)
        assert tab.message.text().startswith("Done: your own password now opens the store")
        assert not tab.busy.isVisible() and not tab.turn_on.isVisible()
        items = [tab.waiting.item(i).text() for i in range(tab.waiting.count())]
        assert items == ["nurse.chen", "reception.moreau"]
        assert "still works until everyone below has signed in once" in tab.state.text()

        rec = _record(clinic)
        assert rec["staff_slots"] is True and not rec.get("sealed")
        assert KeySlots(clinic.home, rec["store_id"], None).has("boss")
        assert _audited(clinic, "key.staff_slots_enabled") == ["boss"]
        assert "boss" in _audited(clinic, "reauth")

        # a colleague signs in once, with the passphrase one last time: one fewer waiting
        opened, _ = staff_keys.open_signed_in(
            clinic.home,
            "nurse.chen",
            STAFF_PW,
            ask_passphrase=_passphrase,
            custody=KeyCustody(clinic.home, backend=None, detect=False),
        )
        opened.close()
        tab.refresh()
        qtbot.waitUntil(lambda: tab.waiting.count() == 1, timeout=30_000)
        assert tab.waiting.item(0).text() == "reception.moreau"
    finally:
        runner.stop()


def test_only_an_administrator_may_and_the_refusal_is_audited(clinic):
    nurse = services.login(clinic, "nurse.chen", STAFF_PW)
    with pytest.raises(AccessDenied, match="Only an administrator"):
        services.turn_on_staff_slots(clinic, nurse, STAFF_PW)
    assert _audited(clinic, "key.staff_slots_refused") == ["nurse.chen"]
    assert not _record(clinic).get("staff_slots")


def test_the_demo_keeps_its_published_passphrase(tmp_path):
    from clinic_inbox import demo

    home = tmp_path / "demo"
    clinic, _, _ = demo.create_demo_clinic(home, KeyCustody(home, detect=False))
    with clinic:
        admin = services.login(clinic, "admin", "demo")
        assert not services.key_protection(clinic, admin).can_turn_on
        with pytest.raises(AccessDenied, match="keeps its published passphrase"):
            services.turn_on_staff_slots(clinic, admin, "demo")
        assert not _record(clinic).get("staff_slots")
