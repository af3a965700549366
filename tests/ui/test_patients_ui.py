"""Patients added and corrected in the app (a clinic with email alone had no way to),
and an administrator's role change taking effect without a restart."""

from __future__ import annotations

from PySide6.QtCore import QTimer

from clinic_inbox.core import services
from clinic_inbox.core.model import Role
from clinic_inbox.core.store import queries as q
from clinic_inbox.ui.actions import InlineRunner
from clinic_inbox.ui.patients import PatientsDialog


def test_reception_adds_then_corrects_a_patient_in_the_app(qtbot, demo_clinic, shots):
    session = services.login(demo_clinic, "reception.singh", "demo")
    dlg = PatientsDialog(demo_clinic, session, runner=InlineRunner(demo_clinic))
    qtbot.addWidget(dlg)
    dlg.show()
    before = q.patient_count(demo_clinic.store)

    def fill_wrong_then_right() -> None:
        form = dlg.form
        form.family.setText("Okonkwo")
        form.given.setText("Adaeze")
        form.born.setText("1990-02-30")
        form.chart.setText("NEW-2026-1")
        form.emails.setPlainText("ada.okonkwo@example.org")
        form.save()
        assert form.isVisible() and "not a date of birth" in form.problem.text()
        form.grab().save(str(shots / "patient-add.png"))
        form.born.setText("1990-02-28")
        form.save()

    QTimer.singleShot(0, fill_wrong_then_right)
    dlg.add_patient()
    assert q.patient_count(demo_clinic.store) == before + 1
    assert "Saved: Adaeze Okonkwo" in dlg.message.text()
    assert dlg.results.count() == 1
    pid = next(iter(dlg.found))
    # the address is on her record: her next email goes to her chart
    assert q.find_patients_by_email(demo_clinic.store, "ada.okonkwo@example.org") == [pid]
    dlg.results.setCurrentRow(0)

    def correct() -> None:
        form = dlg.form
        assert form.born.text() == "1990-02-28"
        form.born.setText("1990-03-01")
        form.save()

    QTimer.singleShot(0, correct)
    dlg.edit_selected()
    assert q.get_patient(demo_clinic.store, pid).birth_date == "1990-03-01"
    dlg.grab().save(str(shots / "patients.png"))


def test_an_administrators_role_change_applies_at_once(qtbot, demo_clinic):
    from clinic_inbox.ui.admin import AdminDialog

    admin = services.login(demo_clinic, "admin", "demo")
    services.add_staff(
        demo_clinic, admin, "temp.desk", "Temp Desk", Role.RECEPTIONIST, "plum harbor socket tundra"
    )
    dlg = AdminDialog(demo_clinic, admin, runner=InlineRunner(demo_clinic))
    qtbot.addWidget(dlg)
    dlg.refresh_staff()
    row = next(
        r
        for r in range(dlg.staff_table.rowCount())
        if dlg.staff_table.item(r, 0).text() == "temp.desk"
    )
    dlg.staff_table.setCurrentCell(row, 0)
    dlg.new_role.setCurrentIndex(dlg.new_role.findData(Role.NURSE))
    dlg.role_selected()
    assert "temp.desk is now nurse" in dlg.message.text()
    shown = {
        dlg.staff_table.item(r, 0).text(): dlg.staff_table.item(r, 2).text()
        for r in range(dlg.staff_table.rowCount())
    }
    assert shown["temp.desk"] == "nurse"  # the list is read again
    session = services.login(demo_clinic, "temp.desk", "plum harbor socket tundra")
    assert session.staff.role is Role.NURSE
