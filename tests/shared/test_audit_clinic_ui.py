"""The administrator's audit screen with a shared server: "who viewed" lists every
workstation's entries and "Verify the chain" checks the clinic's whole trail (real
PostgreSQL, keys in a real gnome-keyring, offscreen Qt)."""

from __future__ import annotations

import os

import pytest
from test_audit_clinic import Clinic3
from workstations import login

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture()
def three(tmp_path, secret_service, empty_db):
    c = Clinic3(tmp_path, secret_service.backend(), empty_db)
    c.ship_all()
    yield c
    c.close()


def test_who_viewed_covers_every_workstation(qtbot, three, secret_service):
    from clinic_inbox.ui.actions import InlineRunner
    from clinic_inbox.ui.admin import AdminDialog

    a = three.ws["a"]
    with secret_service.activated():  # the app finds the keyring as it would at a desk
        dlg = AdminDialog(a, login(a, "admin"), runner=InlineRunner(a))
        qtbot.addWidget(dlg)
        assert dlg.every_ws.isChecked() and not dlg.every_ws.isHidden()
        dlg.patient_filter.setText(str(three.patient["a"]))
        dlg.refresh_audit()
        rows = [
            [dlg.audit_table.item(r, c).text() for c in range(7)]
            for r in range(dlg.audit_table.rowCount())
        ]
        views = [r for r in rows if r[2] == "thread.view"]
        assert len({r[6] for r in views}) == 3, rows  # one view on each workstation
        assert {r[1] for r in views} == {"dr.patel"}
        assert {r[4] for r in views} == {str(three.thread["a"])}
        dlg.verify()
        text = dlg.verify_result.text()
        assert "Audit trail intact" in text and "Clinic audit trail intact" in text, text
        # unticked: this computer's trail only, as before
        dlg.every_ws.setChecked(False)
        dlg.refresh_audit()
        local = {dlg.audit_table.item(r, 6).text() for r in range(dlg.audit_table.rowCount())}
        assert local == {"this computer"}
    last = a.store.execute("SELECT action, detail FROM audit ORDER BY id DESC LIMIT 5").fetchall()
    assert any(act == "audit.view" and '"clinic":true' in d for act, d in last), last


def test_the_break_glass_review_tab_covers_every_workstation(qtbot, three, secret_service):
    """The review tab used to list this computer's openings only."""
    from test_audit_clinic import REASON

    from clinic_inbox.core import services
    from clinic_inbox.ui.actions import InlineRunner
    from clinic_inbox.ui.admin import AdminDialog

    a, b = three.ws["a"], three.ws["b"]
    services.break_glass(
        b, login(b, "nurse.chen"), three.thread["b"], REASON, "kettle orbit maple frost"
    )
    services.break_glass(
        a, login(a, "nurse.chen"), three.thread["a"], REASON, "kettle orbit maple frost"
    )
    three.ship_all()
    with secret_service.activated():
        dlg = AdminDialog(a, login(a, "admin"), runner=InlineRunner(a))
        qtbot.addWidget(dlg)
        t = dlg.glass_table
        heads = [t.horizontalHeaderItem(c).text() for c in range(t.columnCount())]
        rows = [[t.item(r, c).text() for c in range(9)] for r in range(t.rowCount())]
    assert heads[:3] == ["#", "Workstation", "Who"], heads
    assert len(rows) == 2, rows  # B's opening and A's own
    assert {r[2] for r in rows} == {"Nurse Mei Chen"}
    number = services.seen_as(a, login(a, "admin"), [three.thread["a"]])[three.thread["a"]]
    assert {r[3] for r in rows} == {number.label}  # the clinic's number, as A shows it
    assert {r[5] for r in rows} == {REASON}
    here = [r for r in rows if r[1].endswith("(this computer)")]
    there = [r for r in rows if not r[1].endswith("(this computer)")]
    assert len(here) == len(there) == 1
    # neither reviewed yet; a mark made on any workstation shows on every one
    # (test_break_glass_marks)
    assert here[0][8] == there[0][8] == "not yet"
    assert here[0][4] == there[0][4] != "Unknown"  # the patient, as A knows them
    last = a.store.execute("SELECT action, detail FROM audit ORDER BY id DESC LIMIT 3").fetchall()
    assert any(act == "break_glass.review" and '"clinic":true' in d for act, d in last), last
