"""The compose dialog, offscreen, driven as a person would; its screenshot is saved for
the README. Its own demo clinic, so that the messages it starts change no other test."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from clinic_inbox.core import services
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.store import queries as q
from clinic_inbox.ui.actions import InlineRunner
from clinic_inbox.ui.compose import ComposeDialog
from clinic_inbox.ui.main_window import MainWindow


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    from clinic_inbox import demo
    from clinic_inbox.core.keys import KeyCustody

    home = tmp_path_factory.mktemp("compose-demo")
    clinic, _, _ = demo.create_demo_clinic(home, KeyCustody(home, detect=False))
    yield clinic
    clinic.close()


def _dialog(qtbot, clinic, user):
    session = services.login(clinic, user, "demo")
    dlg = ComposeDialog(clinic, session, runner=InlineRunner(clinic))
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def _choose_template(dlg, name):
    dlg.template.setCurrentIndex(dlg.template.findData(name))


def _patient_of(clinic, username):
    staff = next(s for s in q.list_staff(clinic.store) if s.username == username)
    pid = clinic.store.one(
        "SELECT id FROM patients WHERE responsible_physician_id = ? AND portal_id IS NOT NULL "
        "ORDER BY id LIMIT 1",
        (staff.id,),
    )
    return q.get_patient(clinic.store, pid)


def test_a_physician_finds_a_patient_previews_in_french_and_sends(qtbot, clinic, shots):
    dlg = _dialog(qtbot, clinic, "dr.patel")
    patient = _patient_of(clinic, "dr.patel")
    dlg.search.setText(patient.chart_number)
    dlg.find()
    assert dlg.chosen_patients() == [patient.id]
    _choose_template(dlg, "results_normal")
    assert dlg.own_box.isHidden() and not dlg.fields_box.isHidden()
    dlg._field_edits["test"].setText("bilan lipidique")
    dlg.language.setCurrentIndex(dlg.language.findData("fr"))
    for i in range(dlg.education.count()):
        if dlg.education.item(i).data(Qt.ItemDataRole.UserRole) == "cholesterol":
            dlg.education.item(i).setCheckState(Qt.CheckState.Checked)
    assert not dlg.send_button.isEnabled()  # nothing goes out unseen
    dlg.follow.setChecked(True)
    dlg.preview()
    shown = dlg.preview_view.toPlainText()
    assert f"To {patient.given_name} {patient.family_name}, by the patient portal" in shown
    assert "Subject: Vos résultats : bilan lipidique" in shown and "Bonjour" in shown
    assert "medlineplus.gov/cholesterol" in shown
    assert dlg.send_button.isEnabled()
    dlg.resize(1040, 680)
    dlg.grab().save(str(shots / "compose.png"))
    # a change after the preview hides Send until the new text has been seen
    dlg._field_edits["test"].setText("bilan thyroïdien")
    assert not dlg.send_button.isEnabled()
    dlg.preview()
    before = oq.counts(clinic.store).get("pending", 0)
    dlg.send()
    assert dlg.result() == dlg.DialogCode.Accepted and len(dlg.started) == 1
    thread = q.get_thread(clinic.store, dlg.started[0].thread_id)
    assert thread.patient_id == patient.id and "thyroïdien" in thread.subject
    assert oq.counts(clinic.store).get("pending", 0) == before + 1
    assert (
        clinic.store.one("SELECT follow_up_by FROM threads WHERE id = ?", (thread.id,))
        == dlg.follow_by.date().toPython().isoformat()
    )


def _agreed_patient_of(clinic, username):
    """A patient of this physician with a portal account and an agreement in force."""
    staff = next(s for s in q.list_staff(clinic.store) if s.username == username)
    pid = clinic.store.one(
        "SELECT p.id FROM patients p JOIN consents c ON c.patient_id = p.id "
        "WHERE p.responsible_physician_id = ? AND p.portal_id IS NOT NULL "
        "AND c.ended_on IS NULL AND c.channels LIKE '%email%' ORDER BY p.id LIMIT 1",
        (staff.id,),
    )
    return q.get_patient(clinic.store, pid)


def test_the_front_desk_is_told_no_for_results_and_sends_one_reminder_each(qtbot, clinic):
    dlg = _dialog(qtbot, clinic, "reception.moreau")
    a, b = _agreed_patient_of(clinic, "dr.patel"), _agreed_patient_of(clinic, "dr.okafor")
    dlg.add_patient(a.id, a.family_name)
    dlg.add_patient(b.id, b.family_name)
    _choose_template(dlg, "results_normal")
    dlg._field_edits["test"].setText("x")
    dlg.preview()
    assert "physician" in dlg.error.text() and not dlg.send_button.isEnabled()
    assert dlg.preview_view.toPlainText() == ""
    _choose_template(dlg, "reminder")
    dlg._field_edits["what"].setText("your flu shot")
    dlg._field_edits["when"].setText("Friday at 10:00")
    dlg.channel.setCurrentIndex(dlg.channel.findData("email"))
    dlg.later.setChecked(True)
    dlg.preview()
    shown = dlg.preview_view.toPlainText()
    assert "2 patients each receive their own message" in shown and "by email to" in shown
    dlg.send()
    assert len(dlg.started) == 2
    assert len({s.thread_id for s in dlg.started}) == 2
    kept = [oq.get(clinic.store, s.outbox_id) for s in dlg.started]
    assert all(k.state == "pending" for k in kept)
    assert all(
        clinic.store.one("SELECT send_after FROM outbox WHERE id = ?", (k.id,)) for k in kept
    )


def test_new_message_is_in_the_toolbar_except_for_administrators(qtbot, clinic):
    for user, has in (("dr.patel", True), ("reception.singh", True), ("admin", False)):
        win = MainWindow(clinic, services.login(clinic, user, "demo"), InlineRunner(clinic))
        qtbot.addWidget(win)
        assert hasattr(win, "compose_action") is has


def test_the_conversation_says_later_cancelled_or_not_delivered(qtbot, clinic):
    from datetime import UTC, datetime, timedelta

    from clinic_inbox.core import services_compose as sc
    from clinic_inbox.core.store import compose_queries as cq
    from clinic_inbox.ui.thread_panel import render_thread

    session = services.login(clinic, "dr.patel", "demo")
    patient = _patient_of(clinic, "dr.patel")
    req = sc.Request(
        template="follow_up",
        fields={"topic": "your knee"},
        channel="email",
        send_at=datetime.now(UTC) + timedelta(days=1),
    )
    later = sc.start_message(clinic, session, patient.id, req)

    def shown(thread_id):
        detail = services.show_thread(clinic, session, thread_id)
        return render_thread(clinic, detail)

    assert "Waiting to be sent on" in shown(later.thread_id)
    sc.cancel_scheduled(clinic, session, later.outbox_id)
    page = shown(later.thread_id)
    assert "Cancelled before it was sent" in page and "Waiting to be sent" not in page
    now = sc.start_message(
        clinic, session, patient.id, sc.Request(**{**req.__dict__, "send_at": None})
    )
    assert "Waiting to be sent" not in shown(now.thread_id)
    with clinic.store.transaction():
        cq.mark_not_delivered(clinic.store, now.message_id, "5.1.1 user unknown")
    page = shown(now.thread_id)
    assert "Not delivered: the patient did not get this message. Please call them." in page
    assert "5.1.1 user unknown" in page


def test_a_physician_marks_herself_away_is_warned_then_names_a_cover(qtbot, clinic, shots):
    from clinic_inbox.ui.absences import AbsencesDialog

    session = services.login(clinic, "dr.patel", "demo")
    dlg = AbsencesDialog(clinic, session, runner=InlineRunner(clinic))
    qtbot.addWidget(dlg)
    dlg.show()
    assert [dlg.physician.itemData(i) for i in range(dlg.physician.count())] == ["dr.patel"]
    dlg.start.setDateTime(dlg.start.dateTime().addSecs(-120))  # the clinic's time, now
    dlg.end.setDateTime(dlg.start.dateTime().addDays(3))
    dlg._mark()
    assert dlg.error.text() == "" and dlg.table.rowCount() == 1
    assert dlg.table.item(0, 3).text() == "NOBODY"
    assert dlg.warning.isVisible()
    assert dlg.warning.text().startswith("Dr Anjali Patel is away with nobody covering; waiting: ")
    dlg.resize(900, 620)
    dlg.grab().save(str(shots / "absences.png"))
    dlg.table.setCurrentCell(0, 0)
    dlg._cancel()
    assert dlg.table.rowCount() == 0 and not dlg.warning.isVisible()
    dlg.cover.setCurrentIndex(dlg.cover.findData("dr.okafor"))
    dlg._mark()
    assert dlg.table.item(0, 3).text() == "Dr Chinedu Okafor"
    okafor = services.login(clinic, "dr.okafor", "demo")
    patel_patient = _patient_of(clinic, "dr.patel")
    [some] = q.list_threads(clinic.store, q.ThreadFilter(patient_id=patel_patient.id))[:1]
    assert services.decision_for(clinic, okafor, some.id).delegate_of == "Dr Anjali Patel"
    # the same dates again are refused in plain words
    dlg._mark()
    assert "already marked away" in dlg.error.text()


def test_the_board_warns_of_uncovered_patients_and_has_the_new_views(qtbot, clinic):
    from datetime import UTC, datetime, timedelta

    from clinic_inbox.core import services_cover, views

    admin = services.login(clinic, "admin", "demo")
    services_cover.mark_away(
        clinic,
        admin,
        physician="dr.lindqvist",
        starts_at=datetime.now(UTC) - timedelta(minutes=5),
        ends_at=datetime.now(UTC) + timedelta(days=1),
        cover=None,
    )
    win = MainWindow(
        clinic, services.login(clinic, "reception.singh", "demo"), InlineRunner(clinic)
    )
    qtbot.addWidget(win)
    win.show()
    assert win.status_text.text().startswith("⚠ Dr Erik Lindqvist is away without cover: ")
    labels = [win.views.item(i).text() for i in range(win.views.count())]
    assert any(t.startswith("Done, not filed  (") for t in labels)
    assert any(t.startswith("Not delivered: call  (") for t in labels)
    assert len(labels) == len(views.View)


def test_the_timer_runs_while_a_clinician_has_a_conversation_open(qtbot, clinic):
    from clinic_inbox.core.store import billing_queries as bq

    win = MainWindow(clinic, services.login(clinic, "dr.okafor", "demo"), InlineRunner(clinic))
    qtbot.addWidget(win)
    win.show()
    own = [
        b.row.id
        for b in services.board(clinic, win.session)
        if b.decision.via == "own" and b.decision.body
    ]
    win.open_thread(own[0])
    me = win.session.staff.id
    assert bq.running(clinic.store, me, own[0]) is not None
    win.open_thread(own[1])  # the first timer stops, the second starts
    assert bq.running(clinic.store, me, own[0]) is None
    assert bq.running(clinic.store, me, own[1]) is not None
    win.panel.clear()
    assert bq.running(clinic.store, me, own[1]) is None
    # the front desk records no time
    desk = MainWindow(
        clinic, services.login(clinic, "reception.moreau", "demo"), InlineRunner(clinic)
    )
    qtbot.addWidget(desk)
    desk.open_thread(own[0])
    assert (
        clinic.store.one(
            "SELECT count(*) FROM time_entries WHERE staff_id = ?", (desk.session.staff.id,)
        )
        == 0
    )


def test_file_everything_shown_in_done_not_filed(qtbot, clinic, tmp_path):
    from clinic_inbox.core import views
    from clinic_inbox.core.model import Status
    from clinic_inbox.ui import batch_file

    win = MainWindow(clinic, services.login(clinic, "dr.lindqvist", "demo"), InlineRunner(clinic))
    qtbot.addWidget(win)
    win.show()
    win.views.setCurrentRow(list(views.View).index(views.View.UNFILED))
    shown = batch_file.unfiled_shown(win)
    assert shown, "the demo has finished, unfiled conversations"
    before = win.views.item(list(views.View).index(views.View.UNFILED)).text()
    batch_file.file_shown(win, str(tmp_path), "demo")
    filed = [t for t in shown if q.get_thread(clinic.store, t).filed_at is not None]
    assert win.batch_summary.startswith(f"{len(filed)} conversations filed to {tmp_path}.")
    assert filed and len(list(tmp_path.glob("*.pdf"))) == len(filed)
    for t in set(shown) - set(filed):  # each one not filed is named, with why
        assert f"Conversation {t} was not filed: " in win.batch_summary
    assert all(q.get_thread(clinic.store, t).status is Status.DONE for t in shown)
    win.refresh()
    after = win.views.item(list(views.View).index(views.View.UNFILED)).text()
    assert after != before


def test_no_agreement_asks_for_a_reason_then_shows_it_and_the_footer(qtbot, clinic, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    asked = []
    monkeypatch.setattr(
        QInputDialog,
        "getText",
        lambda parent, title, text: (asked.append(text), ("verbal consent by phone", True))[1],
    )
    dlg = _dialog(qtbot, clinic, "reception.moreau")
    pid = clinic.store.one(
        "SELECT id FROM patients WHERE id NOT IN (SELECT patient_id FROM consents) "
        "AND responsible_physician_id IS NOT NULL ORDER BY id LIMIT 1"
    )
    assert pid is not None  # the demo's patient who never agreed
    patient = q.get_patient(clinic.store, pid)
    dlg.add_patient(patient.id, patient.family_name)
    _choose_template(dlg, "reminder")
    dlg._field_edits["what"].setText("your flu shot")
    dlg._field_edits["when"].setText("Friday at 10:00")
    dlg.channel.setCurrentIndex(dlg.channel.findData("email"))
    dlg.preview()
    assert asked and "has not agreed to email messages" in asked[0]
    shown = dlg.preview_view.toPlainText()
    assert "Not covered by the patient's agreement" in shown and "verbal consent" in shown
    assert "Do not use e-mail for emergencies" in shown  # the standard footer
    dlg.send()
    [started] = dlg.started
    entry = clinic.store.one(
        "SELECT detail FROM audit WHERE action = 'message.start' AND thread_id = ?",
        (started.thread_id,),
    )
    assert "verbal consent by phone" in entry
