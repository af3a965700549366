"""Administration's "Terms of messages" tab, offscreen on a demo clinic of its own:
the administrator edits the terms in English and French and publishes version 2; a
patient who agreed to version 1 is then shown "agreed to version 1 (current 2)" in the
conversation's header. Saves (support.screenshots) terms-tab.png."""

from __future__ import annotations

import pytest

from clinic_inbox.core import audit, consent, services
from clinic_inbox.core.store import queries as q
from clinic_inbox.ui.actions import InlineRunner
from clinic_inbox.ui.admin import AdminDialog
from clinic_inbox.ui.main_window import MainWindow

ROSA = 4  # agreed to the demo's terms, version 1


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    from clinic_inbox import demo
    from clinic_inbox.core.keys import KeyCustody

    home = tmp_path_factory.mktemp("terms-demo")
    clinic, _, _ = demo.create_demo_clinic(home, KeyCustody(home, detect=False))
    yield clinic
    clinic.close()


def test_the_administrator_publishes_new_terms_and_older_agreements_say_so(qtbot, clinic, shots):
    admin = services.login(clinic, "admin", "demo")
    dlg = AdminDialog(clinic, admin, runner=InlineRunner(clinic))
    qtbot.addWidget(dlg)
    dlg.resize(1000, 640)
    dlg.show()
    tab = dlg.terms_tab
    dlg.tabs.setCurrentWidget(tab)
    assert "In force: version 1" in tab.current.text()
    assert set(tab.edits) == set(clinic.config.languages) == {"en", "fr"}
    assert tab.edits["en"].toPlainText() == consent.terms_text("v1", "en", clinic.home)
    assert tab.publish.text() == "Publish as version 2"
    # French left as it was, English changed: still a new version of both
    tab.edits["en"].setPlainText("")
    tab.publish.click()
    assert "Write the terms in English" in tab.message.text()
    assert consent.terms_versions(clinic.home) == ["v1"]
    new_en = consent.terms_text("v1", "en", clinic.home).rstrip() + (
        "\nWe now also answer portal messages on Saturday mornings."
    )
    tab.edits["en"].setPlainText(new_en)
    tab.publish.click()
    assert tab.message.text().startswith("Version 2 published.")
    assert consent.terms_versions(clinic.home) == ["v1", "v2"]
    assert consent.terms_text("v2", "en", clinic.home).strip() == new_en.strip()
    assert "In force: version 2" in tab.current.text()
    assert "to an older version)" in tab.current.text()  # the demo's agreements are to v1
    assert tab.publish.text() == "Publish as version 3"
    assert [
        e.detail["version"] for e in audit.entries(clinic.store) if e.action == "terms.publish"
    ] == ["v2"]
    dlg.grab().save(str(shots / "terms-tab.png"))

    # a physician opens Rosa's conversation: her agreement is to version 1
    doc = services.login(clinic, "dr.patel", "demo")
    win = MainWindow(clinic, doc, InlineRunner(clinic))
    qtbot.addWidget(win)
    win.show()
    tid = next(t.id for t in q.list_threads(clinic.store, q.ThreadFilter(patient_id=ROSA)))
    win.open_thread(tid)
    assert "Agreed to version 1 (current 2)" in win.panel.consent_header.line.text()
