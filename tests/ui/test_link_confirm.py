"""Linking is deliberate: Enter never links, the chosen patient is confirmed by name,
date of birth and chart number, and a wrong link can be taken back."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer

from clinic_inbox.core import services
from clinic_inbox.core.store import queries as q
from clinic_inbox.ui.actions import InlineRunner
from clinic_inbox.ui.main_window import MainWindow


def _window(qtbot, clinic, user):
    session = services.login(clinic, user, "demo")
    win = MainWindow(clinic, session, InlineRunner(clinic))
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    return win


def _unmatched(clinic, win):
    """An unlinked administrative conversation: the front desk still reads it once it
    is filed, so it may also take it back (a clinical one is its physician's)."""
    rows = [
        b.row
        for b in services.board(clinic, win.session)
        if b.row.patient_id is None and b.row.category.administrative and not b.row.sensitive
    ]
    return rows[0].id


def test_enter_never_links_and_the_confirmation_names_the_patient(qtbot, demo_clinic, shots):
    win = _window(qtbot, demo_clinic, "reception.moreau")
    tid = _unmatched(demo_clinic, win)
    win.open_thread(tid)
    patient = q.get_patient(demo_clinic.store, 9)
    seen: dict[str, object] = {}

    def first_cancel_then_link() -> None:
        dlg = win.panel.link_dialog
        dlg.query.setText(patient.birth_date)  # the one match of a typed date of birth
        qtbot.keyClick(dlg.query, Qt.Key.Key_Return)  # searches
        assert dlg.results.count() >= 1 and dlg.isVisible()
        qtbot.keyClick(dlg.query, Qt.Key.Key_Return)  # again: still nothing linked
        assert dlg.isVisible() and dlg.patient_id is None
        row = next(
            i for i in range(dlg.results.count())
            if dlg.results.item(i).data(Qt.ItemDataRole.UserRole) == patient.id
        )  # fmt: skip
        dlg.results.setCurrentRow(row)
        dlg.choose("patient")  # who wrote it (the consent rules)

        def look_and_cancel() -> None:
            box = dlg.confirm_box
            seen["text"] = box.text()
            seen["default"] = box.defaultButton().text()
            box.grab().save(str(shots / "link-confirm.png"))
            qtbot.keyClick(box, Qt.Key.Key_Return)  # Enter on the question is Cancel

        QTimer.singleShot(0, look_and_cancel)
        dlg.results.setFocus()
        qtbot.keyClick(dlg.results, Qt.Key.Key_Return)  # asks
        assert dlg.isVisible() and dlg.patient_id is None
        dlg.grab().save(str(shots / "link-search.png"))

        def confirm() -> None:
            box = dlg.confirm_box
            box.property("link_button").click()

        QTimer.singleShot(0, confirm)
        dlg.request_link()

    QTimer.singleShot(0, first_cancel_then_link)
    win.panel._link_patient()
    text = str(seen["text"])
    assert patient.given_name in text and patient.family_name in text
    assert patient.birth_date in text and patient.chart_number in text
    assert seen["default"] == "Cancel"
    assert q.get_thread(demo_clinic.store, tid).patient_id == patient.id
    assert win.panel.unlink.isVisible() and not win.panel.link.isVisible()

    # and taken back: the question names her too, Cancel first
    def cancel() -> None:
        box = win.panel.property("unlink_box")
        assert patient.family_name in box.text() and box.defaultButton().text() == "Cancel"
        box.grab().save(str(shots / "unlink-confirm.png"))
        box.defaultButton().click()

    QTimer.singleShot(0, cancel)
    win.panel._unlink_patient()
    assert q.get_thread(demo_clinic.store, tid).patient_id == patient.id

    def take_off() -> None:
        box = win.panel.property("unlink_box")
        next(b for b in box.buttons() if b.text() == "Take off this chart").click()

    QTimer.singleShot(0, take_off)
    win.panel._unlink_patient()
    assert q.get_thread(demo_clinic.store, tid).patient_id is None
    assert win.panel.link.isVisible() and not win.panel.unlink.isVisible()
    # the conversation by the number its header shows, the patient by the name the
    # question gave, not by the record id the CLI prints
    said = win.panel.info.text()
    name = f"{patient.given_name} {patient.family_name}"
    assert said.startswith(f"Conversation #{tid} is no longer filed under {name}; "), said
    assert f"patient {patient.id}" not in said
    actions = [
        r[0]
        for r in demo_clinic.store.execute(
            "SELECT action FROM audit WHERE thread_id = ? AND action LIKE 'thread.%link%' "
            "ORDER BY id",
            (tid,),
        )
    ]
    assert actions[-2:] == ["thread.link_patient", "thread.unlink_patient"]
