"""The desktop app, offscreen, driven as a person would: sign in, the board,
filters, search, drag and drop, the thread view, reply, assignment, the lock,
and a synced message arriving. Screenshots for the README are saved here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QMimeData, Qt

from clinic_inbox.core import services, views
from clinic_inbox.core.model import Category, Direction, Priority, Role, Source, Status
from clinic_inbox.core.store import queries as q
from clinic_inbox.ui.actions import InlineRunner
from clinic_inbox.ui.board import MIME
from clinic_inbox.ui.login import LoginDialog
from clinic_inbox.ui.main_window import MainWindow


def _window(qtbot, clinic, user="dr.patel"):
    session = services.login(clinic, user, "demo")
    win = MainWindow(clinic, session, InlineRunner(clinic))
    qtbot.addWidget(win)
    win.resize(1600, 940)
    win.show()
    return win


def _cards(win):
    return [b for col in win.board.columns.values() for b in col.model.rows]


def test_login_says_it_is_a_demo_and_refuses_a_wrong_password(qtbot, demo_clinic, shots):
    dlg = LoginDialog(demo_clinic, sleep=lambda s: None, runner=InlineRunner(demo_clinic))
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.demo_note.isVisible() and "every password is" in dlg.demo_note.text().lower()
    assert "reception.moreau" in dlg.demo_note.text()
    dlg.username.setText("dr.patel")
    dlg.password.setText("wrong")
    dlg.try_login()
    assert dlg.session is None and "not right" in dlg.error.text()
    dlg.grab().save(str(shots / "login.png"))
    dlg.password.setText("demo")
    dlg.try_login()
    assert dlg.session is not None and dlg.session.staff.username == "dr.patel"


def test_board_urgent_first_colour_and_words(qtbot, demo_clinic, shots):
    win = _window(qtbot, demo_clinic)
    win.views.setCurrentRow(list(views.View).index(views.View.ALL))
    new = win.board.columns[Status.NEW].model.rows
    assert new, "the demo has new conversations"
    ranks = [b.row.priority.rank for b in new]
    assert ranks == sorted(ranks), "urgent cards stay on top"
    text = win.board.columns[Status.NEW].model.index(0).data(Qt.ItemDataRole.AccessibleTextRole)
    assert text.split(".")[0] in ("URGENT", "Same day", "Routine", "Admin", "Needs review")
    win.grab().save(str(shots / "main-window.png"))


def test_cards_say_how_many_attachments_a_conversation_has(qtbot, demo_clinic):
    win = _window(qtbot, demo_clinic)
    win.views.setCurrentRow(list(views.View).index(views.View.ALL))
    with_files = [b for b in _cards(win) if b.row.attachment_count]
    assert with_files, "the demo has conversations with attachments"
    b = with_files[0]
    stored = demo_clinic.store.execute(
        "SELECT count(*) FROM attachments a JOIN messages m ON m.id = a.message_id "
        "WHERE m.thread_id = ?",
        (b.row.id,),
    ).fetchone()[0]
    assert b.row.attachment_count == stored
    col = win.board.columns[b.row.status].model
    text = col.index(col.rows.index(b)).data(Qt.ItemDataRole.ToolTipRole)
    assert f"{stored} attachment" in text
    plain = next(b for b in _cards(win) if not b.row.attachment_count)
    col = win.board.columns[plain.row.status].model
    assert "attachment" not in col.index(col.rows.index(plain)).data(Qt.ItemDataRole.ToolTipRole)


def test_receptionist_sees_headers_not_clinical_content(qtbot, demo_clinic):
    win = _window(qtbot, demo_clinic, "reception.moreau")
    win.views.setCurrentRow(list(views.View).index(views.View.ALL))
    clinical = [b for b in _cards(win) if not b.row.category.administrative and b.row.patient_id]
    assert clinical and all(b.row.snippet is None and not b.decision.body for b in clinical)
    win.open_thread(clinical[0].row.id)
    assert "do not have access" in win.panel.view.toPlainText()


def test_filters_views_and_search(qtbot, demo_clinic):
    win = _window(qtbot, demo_clinic)
    win.views.setCurrentRow(list(views.View).index(views.View.ALL))
    total = len(_cards(win))
    win.category.setCurrentIndex(win.category.findData(Category.REFILL))
    assert 0 < len(_cards(win)) < total and all(
        b.row.category is Category.REFILL for b in _cards(win)
    )
    win.category.setCurrentIndex(0)
    win.priority.setCurrentIndex(win.priority.findData(Priority.URGENT))
    assert all(b.row.priority is Priority.URGENT for b in _cards(win))
    win.priority.setCurrentIndex(0)
    win.search.setText("metformin")
    win.refresh()
    found = _cards(win)
    assert found and len(found) < total
    win.search.setText("")
    win.views.setCurrentRow(list(views.View).index(views.View.UNMATCHED))
    assert all(b.row.patient_id is None for b in _cards(win))
    counts = win.views.item(list(views.View).index(views.View.UNMATCHED)).text()
    assert "(" in counts


def test_drag_a_card_to_another_column_changes_status(qtbot, demo_clinic):
    win = _window(qtbot, demo_clinic)
    win.views.setCurrentRow(list(views.View).index(views.View.MINE))
    card = win.board.columns[Status.NEW].model.rows[0].row
    target = win.board.columns[Status.IN_PROGRESS].model
    data = QMimeData()
    data.setData(MIME, str(card.id).encode())
    assert target.canDropMimeData(data, Qt.DropAction.MoveAction, -1, -1, target.index(-1))
    target.dropMimeData(data, Qt.DropAction.MoveAction, -1, -1, target.index(-1))
    assert q.get_thread(demo_clinic.store, card.id).status is Status.IN_PROGRESS
    assert card.id in [b.row.id for b in win.board.columns[Status.IN_PROGRESS].model.rows]


def test_drop_a_card_on_a_person_assigns_it_and_on_the_pool_unassigns(qtbot, demo_clinic):
    win = _window(qtbot, demo_clinic, "reception.moreau")
    win.views.setCurrentRow(list(views.View).index(views.View.POOL))
    card = next(b.row for b in _cards(win) if b.decision.act and b.row.category.administrative)
    nurse = next(s for s in q.list_staff(demo_clinic.store) if s.role is Role.NURSE)
    rows = {win.team.item(i).data(Qt.ItemDataRole.UserRole): i for i in range(win.team.count())}
    assert win.team.acceptDrops() and nurse.id in rows
    data = QMimeData()
    data.setData(MIME, str(card.id).encode())
    model = win.team.model()
    # what Qt's view does when a card is let go over the nurse's row
    model.dropMimeData(data, Qt.DropAction.MoveAction, -1, -1, model.index(rows[nurse.id], 0))
    assert q.get_thread(demo_clinic.store, card.id).assigned_to_id == nurse.id
    model.dropMimeData(data, Qt.DropAction.MoveAction, -1, -1, model.index(rows[-1], 0))
    assert q.get_thread(demo_clinic.store, card.id).assigned_to_id is None


def test_link_an_unknown_sender_to_a_patient_from_the_conversation(qtbot, demo_clinic):
    from PySide6.QtCore import QTimer

    win = _window(qtbot, demo_clinic, "reception.singh")
    unmatched = [
        b.row for b in services.board(demo_clinic, win.session) if b.row.patient_id is None
    ]
    tid = unmatched[-1].id
    win.open_thread(tid)
    assert win.panel.link.isVisible()
    patient = q.get_patient(demo_clinic.store, 7)

    def pick() -> None:
        dlg = win.panel.link_dialog
        dlg.query.setText(f"{patient.family_name.lower()} {patient.chart_number}")
        dlg.search()
        assert dlg.results.count() == 1 and patient.birth_date in dlg.results.item(0).text()
        dlg.choose("patient")
        dlg.results.setCurrentRow(0)  # nothing is chosen for the person
        QTimer.singleShot(0, lambda: dlg.confirm_box.property("link_button").click())
        dlg.accept()  # asks first, naming the patient

    QTimer.singleShot(0, pick)
    win.panel._link_patient()
    assert q.get_thread(demo_clinic.store, tid).patient_id == patient.id
    assert not win.panel.link.isVisible()  # the conversation now has its patient header
    assert patient.family_name in win.panel.view.toPlainText()


def test_move_a_conversation_to_a_phone_call(qtbot, demo_clinic):
    from PySide6.QtCore import QTimer

    win = _window(qtbot, demo_clinic)
    own = [
        b.row
        for b in services.board(demo_clinic, win.session)
        if b.decision.via == "own" and b.row.status is Status.NEW
    ]
    tid = own[0].id
    win.open_thread(tid)
    assert win.panel.move.isEnabled()

    def fill() -> None:
        dlg = win.panel.move_dialog
        dlg.kind.setCurrentIndex(dlg.kind.findData("call"))
        dlg.reason.setText("three questions, easier by phone")
        dlg.tell.setChecked(False)  # the demo has no mail server to send from
        dlg.accept()

    QTimer.singleShot(0, fill)
    win.panel._move()
    assert q.get_thread(demo_clinic.store, tid).status is Status.IN_PROGRESS
    assert "Moved to a phone call: three questions" in win.panel.view.toPlainText()


def test_replies_can_be_written_in_the_demo_and_wait_in_the_outbox(qtbot, demo_clinic):
    from clinic_inbox.core.store import outbox_queries as oq

    win = _window(qtbot, demo_clinic)
    own = [
        b.row
        for b in services.board(demo_clinic, win.session)
        if b.decision.via == "own"
        and b.decision.reply
        and b.row.patient_id
        and b.row.category is Category.REFILL
    ]
    before = oq.counts(demo_clinic.store).get("pending", 0)
    for source in (Source.EMAIL, Source.PORTAL):
        tid = next(t.id for t in own if t.source is source)
        win.open_thread(tid)
        win.panel.reply.setPlainText("Your prescription has been sent to the pharmacy.")
        win.panel._send()
        assert "Your prescription has been sent" in win.panel.view.toPlainText()
    assert oq.counts(demo_clinic.store).get("pending", 0) == before + 2
    # the replies' changes name the outbox: the status line follows without a reload
    assert f"{before + 2} replies queued (demo: nothing is sent)" in win.sync_text.text()


def test_thread_view_reply_note_and_assignment(qtbot, demo_clinic, shots):
    win = _window(qtbot, demo_clinic)
    own = [
        b
        for b in services.board(demo_clinic, win.session)
        if b.decision.via == "own"
        and b.row.source is Source.EMAIL
        and b.row.category is Category.RESULTS
        and b.row.status is not Status.DONE
        and b.row.message_count >= 2
    ]
    tid = own[0].row.id
    win.board.select(tid)
    win.open_thread(tid)
    shown = win.panel.view.toPlainText()
    thread = q.get_thread(demo_clinic.store, tid)
    assert thread.patient in shown
    win.panel.reply.setPlainText(
        "Lab report is in the chart; the nurse will call back to explain it."
    )
    win.panel._note()
    assert "Internal notes" in win.panel.view.toPlainText()
    assert "Lab report is in the chart" in win.panel.view.toPlainText()
    nurse = next(s for s in q.list_staff(demo_clinic.store) if s.username == "nurse.chen")
    win.panel.assign.setCurrentIndex(win.panel.assign.findData(nurse.id))
    win.panel._assign()
    assert q.get_thread(demo_clinic.store, tid).assigned_to == nurse.display_name
    win.grab().save(str(shots / "thread-view.png"))


def test_idle_lock_hides_patient_data_and_blocks_action(qtbot, demo_clinic):
    win = _window(qtbot, demo_clinic)
    tid = _cards(win)[0].row.id
    win.open_thread(tid)
    win.idle.setInterval(50)
    win.idle.start()
    qtbot.waitUntil(lambda: win.locked, timeout=3000)
    assert not _cards(win) and win.panel.thread_id is None
    assert win.stack.currentWidget() is win.lock_screen
    win.open_thread(tid)
    win.refresh()
    assert win.panel.thread_id is None and not _cards(win)
    assert not win.unlock("wrong").ok
    assert win.locked
    assert win.unlock("demo").ok and not win.locked and _cards(win)


def test_a_synced_message_appears_live(qtbot, demo_clinic):
    win = _window(qtbot, demo_clinic)
    win.views.setCurrentRow(list(views.View).index(views.View.ALL))
    before = len(_cards(win))
    with demo_clinic.store.transaction():
        tid = q.create_thread(
            demo_clinic.store,
            q.NewThread(
                "Chest pain now",
                Category.OTHER,
                Priority.URGENT,
                q.utcnow(),
                due_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat(timespec="seconds"),
            ),
        )
        q.insert_message(
            demo_clinic.store,
            q.NewMessage(
                tid,
                Source.EMAIL,
                Direction.INBOUND,
                q.utcnow(),
                sender="new@x.example",
                subject="Chest pain now",
                body_text="I have chest pain",
            ),
        )

    from clinic_inbox.sources.background import LoopStatus
    from clinic_inbox.sources.email_sync import SyncReport
    from clinic_inbox.sources.sync import RunReport

    report = RunReport([SyncReport("Clinic email", stored=1, urgent=[tid], touched={tid})])
    status = LoopStatus(offline={"Clinic email": "The mail server is not answering."})
    win.on_sync_report(report, status)
    # the sync's changes are gathered for a moment, then only the new card is added
    qtbot.waitUntil(lambda: len(_cards(win)) == before + 1, timeout=3000)
    new_cards = [b.row for b in win.board.columns[Status.NEW].model.rows]
    at = [r.id for r in new_cards].index(tid)
    assert all(r.priority is Priority.URGENT for r in new_cards[: at + 1]), "with the urgent"
    assert "Offline" in win.sync_text.text() and win.banner.isVisible()
    assert "1 new URGENT message" in win.statusBar().currentMessage()
    assert "Chest" not in win.statusBar().currentMessage()  # no patient detail on a shared screen


def test_file_to_chart_from_the_thread_view(qtbot, demo_clinic, tmp_path):
    win = _window(qtbot, demo_clinic)
    own = [b for b in services.board(demo_clinic, win.session) if b.decision.via == "own"]
    tid = own[-1].row.id
    win.open_thread(tid)
    assert win.panel.export.isEnabled()
    win.panel.export_to(str(tmp_path), "wrong")
    assert "not right" in win.panel.info.text()
    win.panel.export_to(str(tmp_path), "demo")
    assert win.panel.info.text().startswith("Filed to the chart as")
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".hl7", ".json", ".pdf"]
    assert "Filed to chart" in win.panel.view.toPlainText()


def test_administration_staff_audit_and_break_glass(qtbot, demo_clinic, shots):
    from clinic_inbox.ui.admin import AdminDialog

    # the audit tab shows reads too: open one conversation first (the test must not
    # depend on what earlier tests happened to open)
    patel = services.login(demo_clinic, "dr.patel", "demo")
    readable = next(b for b in services.board(demo_clinic, patel) if b.decision.body)
    services.show_thread(demo_clinic, patel, readable.row.id)
    admin = services.login(demo_clinic, "admin", "demo")
    dlg = AdminDialog(demo_clinic, admin, runner=InlineRunner(demo_clinic))
    qtbot.addWidget(dlg)
    dlg.new_user.setText("locum.ng")
    dlg.new_name.setText("Dr Li Ng")
    dlg.new_role.setCurrentIndex(dlg.new_role.findData(Role.PHYSICIAN))
    dlg.new_password.setText("locum")
    dlg.add_staff()
    assert "at least 12 characters" in dlg.message.text()  # even in the demo
    dlg.new_password.setText("lantern quarry mosaic drift")
    dlg.add_staff()
    assert "Added" in dlg.message.text()
    users = [dlg.staff_table.item(r, 0).text() for r in range(dlg.staff_table.rowCount())]
    assert "locum.ng" in users
    dlg.staff_table.setCurrentCell(users.index("locum.ng"), 0)
    dlg.new_password.setText("violet tundra harbor 42")
    dlg.reset_selected()
    assert "was reset" in dlg.message.text() and "next sign-in" in dlg.message.text()
    with pytest.raises(services.PasswordChangeRequired, match="reset by an administrator"):
        services.login(demo_clinic, "locum.ng", "violet tundra harbor 42")
    locum = services.login(
        demo_clinic, "locum.ng", "violet tundra harbor 42", new_password="plum harbor socket tundra"
    )
    assert locum.staff.username == "locum.ng" and "reset by an administrator" in locum.notices[0]
    dlg.staff_table.setCurrentCell(users.index("locum.ng"), 0)
    dlg.disable_selected()
    assert "disabled" in dlg.message.text()
    actions = [dlg.audit_table.item(r, 2).text() for r in range(dlg.audit_table.rowCount())]
    assert "staff.disable" in actions and "thread.view" in actions
    dlg.verify()
    assert "intact" in dlg.verify_result.text()
    dlg.tabs.setCurrentIndex(1)
    dlg.resize(1000, 640)
    dlg.grab().save(str(shots / "audit-trail.png"))
    from clinic_inbox.core.access import AccessDenied

    with pytest.raises(AccessDenied):
        AdminDialog(demo_clinic, services.login(demo_clinic, "dr.patel", "demo"))


def test_break_glass_from_the_thread_view(qtbot, demo_clinic):
    win = _window(qtbot, demo_clinic, "nurse.chen")
    hidden = [b for b in services.board(demo_clinic, win.session) if not b.decision.body]
    tid = hidden[0].row.id
    win.open_thread(tid)
    assert (
        win.panel.glass.isVisibleTo(win.panel)
        and "do not have access" in win.panel.view.toPlainText()
    )
    win.panel.break_glass("x", "demo")
    assert "full sentence" in win.panel.info.text()
    win.panel.break_glass("Patient is in the waiting room with chest pain", "demo")
    assert win.panel.info.text().startswith("Opened with break-glass")
    assert "break-glass" in win.panel.view.toPlainText() and not win.panel.glass.isVisibleTo(
        win.panel
    )


def test_an_opening_is_marked_reviewed_in_the_review_tab(qtbot, demo_clinic):
    """A clinic without a shared server: the tab's button marks the selected opening."""
    from clinic_inbox.ui.admin import AdminDialog

    nurse = services.login(demo_clinic, "nurse.chen", "demo")
    hidden = [b for b in services.board(demo_clinic, nurse) if not b.decision.body]
    services.break_glass(
        demo_clinic, nurse, hidden[-1].row.id, "Her husband phoned: she is confused today", "demo"
    )
    admin = services.login(demo_clinic, "admin", "demo")
    dlg = AdminDialog(demo_clinic, admin, runner=InlineRunner(demo_clinic))
    qtbot.addWidget(dlg)
    t = dlg.glass_table

    def rows() -> list[list[str]]:
        return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]

    at = next(i for i, r in enumerate(rows()) if r[4].startswith("Her husband phoned"))
    assert rows()[at][7] == "not yet" and not dlg.glass_mark.isEnabled()
    t.selectRow(at)
    assert dlg.glass_mark.isEnabled()
    dlg.glass_mark.click()
    assert dlg.message.text().endswith("marked reviewed."), dlg.message.text()
    assert rows()[at][7].startswith(f"reviewed by {admin.staff.display_name} on "), rows()[at]
    t.selectRow(at)
    assert not dlg.glass_mark.isEnabled()  # once is enough


def test_dashboard_counts_and_screenshot(qtbot, demo_clinic, shots):
    from clinic_inbox.core import dashboard

    data = dashboard.build(demo_clinic.store, demo_clinic.config)
    assert len(data.per_day) == 30 and sum(n for _, n in data.per_day) > 100
    assert data.open > 0 and len(data.physicians) == 3
    assert any(f.median_response_hours is not None for f in data.physicians)
    win = _window(qtbot, demo_clinic)
    win.show_dashboard()
    assert win.stack.currentIndex() == 2
    win.grab().save(str(shots / "dashboard.png"))
    win.show_dashboard()
    assert win.stack.currentIndex() == 0


def test_templates_priority_with_reason_and_sensitive_flag(qtbot, demo_clinic):
    win = _window(qtbot, demo_clinic)
    own = [
        b
        for b in services.board(demo_clinic, win.session)
        if b.decision.via == "own" and b.row.source is Source.EMAIL and not b.row.sensitive
    ]
    tid = own[0].row.id
    win.open_thread(tid)
    win.panel.template.setCurrentIndex(win.panel.template.findData("please_call"))
    win.panel._template()
    assert "613-555-0142" in win.panel.reply.toPlainText()
    win.panel.change_priority(Priority.SAME_DAY, "the patient called: worse today")
    assert q.get_thread(demo_clinic.store, tid).priority is Priority.SAME_DAY
    from clinic_inbox.core import audit

    assert any(
        e.action == "thread.priority" and e.reason == "the patient called: worse today"
        for e in audit.entries(demo_clinic.store)
    )
    win.panel._sensitive()
    assert q.get_thread(demo_clinic.store, tid).sensitive
    assert "Lift" in win.panel.sensitive.text()


def test_who_else_is_replying_is_shown(qtbot, demo_clinic):
    doc = _window(qtbot, demo_clinic)
    desk = _window(qtbot, demo_clinic, "reception.moreau")
    tid = next(b.row.id for b in services.board(demo_clinic, desk.session) if b.decision.reply)
    desk.open_thread(tid)
    desk.panel.reply.setPlainText("Hello, we can see you on Tuesday")
    doc.open_thread(tid)
    assert "Julie Moreau is writing a reply" in doc.panel.info.text()


def test_inline_images_and_attachments_open_inside_the_app(qtbot, demo_clinic, tmp_path):
    from PySide6.QtCore import QUrl
    from support.mailgen import tiny_png

    win = _window(qtbot, demo_clinic)
    png = tiny_png(7)
    with demo_clinic.store.transaction():
        pid = q.add_patient(
            demo_clinic.store,
            "Inline",
            "Ina",
            "1990-01-01",
            "INL-1",
            responsible_physician_id=win.session.staff.id,
        )
        tid = q.create_thread(
            demo_clinic.store,
            q.NewThread("Rash photo", Category.OTHER, Priority.ROUTINE, q.utcnow(), pid),
        )
        q.insert_message(
            demo_clinic.store,
            q.NewMessage(
                tid,
                Source.EMAIL,
                Direction.INBOUND,
                q.utcnow(),
                sender="ina@x.example",
                subject="Rash photo",
                body_text="See the photo",
                body_html='<p>See the photo</p><img src="cid:rash9">',
                patient_id=pid,
                attachments=[q.NewAttachment("rash.png", "image/png", png, "image/png", "rash9")],
            ),
        )
    win.open_thread(tid)
    assert win.panel.cid_image("rash9") == png
    assert win.panel.view.loadResource(2, QUrl("http://tracker.example/p.gif")) is None
    assert win.panel.view.loadResource(2, QUrl("cid:rash9")) is not None
    att = q.thread_messages(demo_clinic.store, tid, True)[0].attachments[0]
    win.panel.open_attachment(att.id)
    assert win.panel.attachment_dialog.windowTitle() == "rash.png"


def test_dark_mode_board_and_conversation(qtbot, demo_clinic, shots, qapp):
    from clinic_inbox.ui import palette
    from clinic_inbox.ui.app import apply_theme

    apply_theme(qapp, "dark")
    try:
        win = _window(qtbot, demo_clinic)
        own = [b for b in services.board(demo_clinic, win.session) if b.decision.via == "own"]
        pick = next(b for b in own if b.row.priority is Priority.URGENT)
        win.board.select(pick.row.id)
        win.open_thread(pick.row.id)
        image = win.grab().toImage()
        assert palette.is_dark(win.palette())
        # the window is dark where nothing is drawn, and the conversation too
        assert image.pixelColor(5, image.height() - 40).lightness() < 80
        panel = win.panel.view
        spot = panel.mapTo(win, panel.rect().bottomRight()) - panel.rect().topLeft() * 0
        assert image.pixelColor(spot.x() - 30, spot.y() - 30).lightness() < 80
        image.save(str(shots / "dark-mode.png"))
    finally:
        apply_theme(qapp, "light")


def test_a_physician_delegates_refills_to_the_nurse_and_revokes(qtbot, demo_clinic, shots):
    from clinic_inbox.ui.delegations import DelegationsDialog

    session = services.login(demo_clinic, "dr.patel", "demo")
    nurse = services.login(demo_clinic, "nurse.chen", "demo")

    def delegated() -> int:
        return sum(1 for b in services.board(demo_clinic, nurse) if b.decision.via == "delegate")

    before = delegated()
    dlg = DelegationsDialog(demo_clinic, session)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.physician.count() == 1  # a physician delegates only their own inbox
    dlg.delegate.setCurrentIndex(dlg.delegate.findData("nurse.chen"))
    for i in range(dlg.categories.count()):
        if dlg.categories.item(i).data(Qt.ItemDataRole.UserRole) == Category.REFILL.value:
            dlg.categories.item(i).setCheckState(Qt.CheckState.Checked)
    dlg.reply.setChecked(True)
    dlg._grant()
    assert "Granted" in dlg.info.text()
    row = dlg.table.rowCount() - 1
    assert dlg.table.item(row, 1).text().startswith("Grace Chen")
    assert dlg.table.item(row, 2).text() == Category.REFILL.label
    assert dlg.table.item(row, 7).text() == "in force"
    assert delegated() > before
    dlg.grab().save(str(shots / "delegations.png"))
    dlg.table.selectRow(row)
    dlg._revoke()
    assert dlg.table.item(row, 7).text() == "revoked"
    assert delegated() == before


def test_keyboard_assign_to_me_priority_and_the_shortcut_list(qtbot, demo_clinic):
    win = _window(qtbot, demo_clinic, "nurse.chen")
    win.views.setCurrentRow(list(views.View).index(views.View.POOL))
    card = next(b.row for b in _cards(win) if b.decision.act and b.row.assigned_to_id is None)
    win.activateWindow()  # shortcuts belong to the active window
    qtbot.waitUntil(win.isActiveWindow, timeout=3000)
    assert win.board.select(card.id)
    ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(win.board.columns[card.status].view, Qt.Key.Key_M, ctrl_shift)
    assert q.get_thread(demo_clinic.store, card.id).assigned_to_id == win.session.staff.id
    # it has left the pool; the priority shortcut opens it and its priority list
    win.views.setCurrentRow(list(views.View).index(views.View.MINE))
    assert win.board.select(card.id)
    qtbot.keyClick(win.board.columns[card.status].view, Qt.Key.Key_P, ctrl_shift)
    assert win.panel.thread_id == card.id
    assert win.panel.priority.hasFocus() or win.panel.priority.view().isVisible()
    win.panel.priority.hidePopup()
    qtbot.keyClick(win, Qt.Key.Key_F1)
    listed = win.shortcuts_box.text()
    for words in ("Assign to me", "Change priority", "Next conversation", "Write a reply"):
        assert words in listed
    win.shortcuts_box.close()


def test_offline_banner_says_why_what_waits_and_retries_now(qtbot, demo_clinic, shots):
    from clinic_inbox.core.store import outbox_queries as oq
    from clinic_inbox.sources.background import LoopStatus
    from clinic_inbox.sources.errors import explain
    from clinic_inbox.sources.sync import RunReport

    doctor = services.login(demo_clinic, "dr.patel", "demo")
    own = next(
        b.row.id
        for b in services.board(demo_clinic, doctor)
        if b.decision.via == "own" and b.row.source is Source.EMAIL and b.decision.reply
    )
    services.queue_reply(demo_clinic, doctor, own, "We have booked you for Thursday.")
    win = _window(qtbot, demo_clinic, "reception.moreau")
    assert not win.banner.isVisible()
    reason = str(explain(ConnectionRefusedError(), "mail server", "mail.riverside.example:993"))
    status = LoopStatus(offline={"Clinic email": reason}, failures_in_a_row=2, next_try_in=60)
    win.on_sync_report(RunReport(), status)
    assert win.banner.isVisible()
    text = win.banner.text.text()
    assert "Working offline" in text and "mail.riverside.example:993 is not answering" in text
    assert "stays readable and searchable" in text and "tries again by itself at" in text
    queued = oq.counts(demo_clinic.store)
    assert f"{queued['pending'] + queued.get('sending', 0)} repl" in text
    tries = []
    win.retry.triggered.connect(lambda: tries.append(1))
    qtbot.mouseClick(win.banner.button, Qt.MouseButton.LeftButton)
    assert tries == [1], "Retry now runs a sync at once"
    win.grab().save(str(shots / "offline.png"))
    win.on_sync_report(RunReport(), LoopStatus())
    assert not win.banner.isVisible()
