"""The conversation panel: patient header, every message, notes, and actions."""

from __future__ import annotations

import dataclasses
import html

from PySide6.QtCore import QSize, QUrl
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from clinic_inbox.core import app_actions, app_consent, services
from clinic_inbox.core.changes import Changes
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Direction, MessageDetail, Priority, Status, ThreadDetail
from clinic_inbox.core.senders import SENDER_WORDS, sender_warnings
from clinic_inbox.ui import palette
from clinic_inbox.ui.actions import InlineRunner, Runner, plain_error
from clinic_inbox.ui.consent_header import ConsentHeader

ATTACHMENT_WINDOW = "attachment-window"
# (label, name): only if the clinic's own templates file cannot be read
TEMPLATES = [
    ("Prescription sent", "refill_sent"),
    ("Results normal", "results_normal"),
    ("Appointment booked", "appointment_booked"),
    ("Please call the clinic", "please_call"),
]


def _local(clinic: Clinic, iso: str | None) -> str:
    from datetime import datetime

    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(clinic.config.tz).strftime("%a %d %b %Y, %H:%M")


def render_thread(
    clinic: Clinic,
    t: ThreadDetail,
    notes: list[tuple] | None = None,
    dark: bool = False,
    written_for: dict[int, str] | None = None,
) -> str:
    """The conversation as HTML: our own markup around escaped text; nothing remote."""
    c = palette.html_colours(dark)
    key = palette.level_key(t.priority, any(m.needs_review for m in t.messages), t.patient is None)
    colour = palette.LEVELS[key][0]
    p = t.patient
    who = (
        (
            f"<b>{html.escape(p.display_name)}</b> · born {html.escape(p.birth_date or '?')} · "
            f"chart {html.escape(p.chart_number or '—')}"
        )
        if p
        else "<b>Unknown sender</b> — link to a patient"
    )
    parts = [
        f"<div style='border-left:6px solid {colour};padding-left:8px'>"
        f"<div style='font-size:large'>{html.escape(t.number + '  ' if t.number else '')}"
        f"{html.escape(t.subject)}</div>"
        f"<div>{who}</div>"
        f"<div><span style='color:{colour};font-weight:bold'>{palette.label(key)}</span> · "
        f"{t.category.label} · {t.status.label}"
        + (" · <b>Sensitive</b>" if t.sensitive else "")
        + (f" · assigned to {html.escape(t.assigned_to)}" if t.assigned_to else "")
        + "</div>"
    ]
    for warning in sender_warnings(t.messages):
        parts.append(f"<div style='color:{colour};font-weight:bold'>{html.escape(warning)}</div>")
    if t.access_note:
        parts.append(f"<div style='color:{c['muted']}'><i>{html.escape(t.access_note)}</i></div>")
    if t.filed_document_id:
        parts.append(
            f"<div>Filed to chart {_local(clinic, t.filed_at)} as {html.escape(t.filed_document_id)}</div>"
        )
    parts.append("</div><hr>")
    for m in t.messages:
        arrow = "From the patient" if m.direction is Direction.INBOUND else "To the patient"
        if written_for and m.id in written_for:
            arrow = f"From {html.escape(written_for[m.id])}"  # a proxy, not the patient
        head = f"<b>{html.escape(m.sender)}</b> — {arrow} · {_local(clinic, m.received_at)} · {m.source.value}"
        parts.append(f"<p style='margin-bottom:2px'>{head}</p>")
        if m.sender_check in SENDER_WORDS:
            words = SENDER_WORDS[m.sender_check] + (
                f": {m.sender_check_detail}" if m.sender_check_detail else ""
            )
            parts.append(f"<p style='color:{c['quiet']};margin:0'>{html.escape(words)}</p>")
        if m.triage_reason:
            parts.append(f"<p style='color:{colour};margin:0'>{html.escape(m.triage_reason)}</p>")
        urgent = palette.LEVELS[palette.level_key(Priority.URGENT, False, False)][0]
        parts += _delivery_lines(clinic, m, urgent, c["quiet"])
        if m.needs_review and m.review_reason:
            parts.append(
                f"<p style='color:{c['quiet']};margin:0'>Needs review: {html.escape(m.review_reason)}</p>"
            )
        if m.body is None:
            parts.append(
                f"<p style='color:{c['quiet']}'><i>You do not have access to the content of this message.</i></p>"
            )
        elif m.body_html:
            # Sanitised when it arrived (nh3): no script, no remote content; cid: images resolve below.
            parts.append(f"<div style='margin-left:12px'>{m.body_html}</div>")
        else:
            body = html.escape(m.body).replace("\n", "<br>")
            parts.append(f"<p style='margin-left:12px'>{body}</p>")
        for a in m.attachments:
            parts.append(
                f"<p style='margin-left:12px'>📎 <a href='attachment:{a.id}'>{html.escape(a.filename)}</a> "
                f"({a.content_type}, {a.size:,} bytes)</p>"
            )
        parts.append("<hr>")
    if notes:
        parts.append("<p><b>Internal notes</b> (not sent to the patient)</p>")
        for _, author, body, at in notes:
            parts.append(
                f"<p style='background:{c['note_bg']};color:{c['note_fg']}'>{html.escape(author)}, {_local(clinic, at)}: "
                f"{html.escape(body)}</p>"
            )
    return "".join(parts)


def _delivery_lines(clinic: Clinic, m: MessageDetail, colour: str, quiet: str) -> list[str]:
    """What became of a message of ours, when it is not simply sent."""
    if m.delivery == "not_delivered":
        why = f" ({html.escape(m.delivery_detail)})" if m.delivery_detail else ""
        return [
            f"<p style='color:{colour};font-weight:bold;margin:0'>Not delivered: the patient "
            f"did not get this message. Please call them.{why}</p>"
        ]
    if m.delivery == "read":
        return [f"<p style='color:{quiet};margin:0'>Read by the patient on the portal.</p>"]
    if m.delivery == "cancelled":
        return [f"<p style='color:{quiet};margin:0'>Cancelled before it was sent.</p>"]
    if m.send_after:
        return [
            f"<p style='color:{quiet};margin:0'>Waiting to be sent on "
            f"{_local(clinic, m.send_after)}.</p>"
        ]
    return []


class SafeBrowser(QTextBrowser):
    """Shows only what is in the store: cid: images from the message's own
    attachments (audited), nothing from the network, ever."""

    def __init__(self, panel: ThreadPanel) -> None:
        super().__init__(panel)
        self.panel = panel

    def loadResource(self, kind: int, url: QUrl):  # noqa: ANN201, N802
        if url.scheme() == "cid":
            data = self.panel.cid_image(url.toString()[4:])
            if data is not None:
                image = QImage()
                image.loadFromData(data)
                return image
        return None  # http, https, file, data: never loaded


def _labelled(label: QLabel, field: QWidget) -> QHBoxLayout:
    """A label and its field side by side, as one piece that a flow layout moves."""
    pair = QHBoxLayout()
    pair.setContentsMargins(0, 0, 0, 0)
    pair.addWidget(label)
    pair.addWidget(field, 1)
    label.setBuddy(field)
    return pair


class ThreadPanel(QWidget):
    """Opens, shows and acts on one conversation. Every read that is audited and every
    change runs on the runner's writer; the panel renders what comes back."""

    MIN_WIDTH = 380  # the conversation stays readable beside the board

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """At least MIN_WIDTH, and never less than its rows need: a width set from the
        outside would let the splitter squeeze the rows until their widgets overlap."""
        hint = super().minimumSizeHint()
        return QSize(max(hint.width(), self.MIN_WIDTH), hint.height())

    def __init__(
        self,
        clinic: Clinic,
        session: services.Session,
        runner: Runner | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.clinic, self.session = clinic, session
        self.runner: Runner = runner if runner is not None else InlineRunner(clinic, self)
        # the panel hears its own actions' changes (the window forwards the sync's)
        self.runner.changed.connect(self._own_changes)
        self.thread_id: int | None = None
        self._wanted: int | None = None  # the conversation last asked for
        self._detail: ThreadDetail | None = None
        self._others: list[tuple[str, str]] = []
        self._images: dict[str, bytes] = {}  # cid -> bytes, fetched (and audited) on opening
        self._notice = ""  # what the last action said, kept across refreshes
        self.view = SafeBrowser(self)
        self.view.setOpenLinks(False)
        self.view.anchorClicked.connect(self._link)
        self.view.setAccessibleName("Conversation")
        # the patient's agreement and proxies, under the conversation's own header
        self.consent_header = ConsentHeader(clinic, session, self.runner, self)
        self._written_for: dict[int, str] = {}
        self._notes: list[tuple] = []
        self.consent_header.written_for.connect(self._proxies_known)
        from clinic_inbox.ui.held_reply import HeldReplyBanner

        self.held = HeldReplyBanner(session, self.runner, self)  # "Your reply is held"
        self.assign = QComboBox()
        self.assign.setAccessibleName("Assign to")
        # its names change with each conversation: never narrower than the longest
        # ("Nobody (team pool)" lost its last character at 1366 wide)
        self.assign.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.status = QComboBox()
        self.status.setAccessibleName("Status")
        for s in Status:
            self.status.addItem(s.label, s)
        self.template = QComboBox()
        self.template.setAccessibleName("Reply template")
        self._fill_templates()
        self.priority = QComboBox()
        self.priority.setAccessibleName("Priority")
        for p in Priority:
            self.priority.addItem(p.label, p)
        self.sensitive = QPushButton("Mark sensitive")
        self.reply = QPlainTextEdit()
        self.reply.setPlaceholderText("Write a reply to the patient, or an internal note…")
        self.reply.setAccessibleName("Reply or note")
        self.reply.setMaximumHeight(110)
        self.send = QPushButton("Queue reply")
        self.preview_reply = QPushButton("Preview reply…")
        self.preview_reply.setToolTip(
            "Exactly what the patient will read: your words, your signature and the "
            "clinic's footer, in the conversation's language"
        )
        self.note = QPushButton("Add internal note")
        self.glass = QPushButton("Open with break-glass…")
        self.glass.setToolTip(
            "For a clinical emergency: opens this message for 30 minutes; recorded and reviewed"
        )
        self.move = QPushButton("Call or visit…")
        self.move.setToolTip("Take this conversation to a phone call or a visit")
        self.link = QPushButton("Link to patient…")
        self.link.setToolTip("The sender is not on any chart: find the patient who wrote")
        self.unlink = QPushButton("Wrong patient…")
        self.unlink.setToolTip("Take this conversation off the chart it is filed under")
        self.confirm = QPushButton("Confirm sender…")
        self.confirm.setToolTip(
            "Nothing proves who sent this email: confirm it (e.g. by phone); it is recorded"
        )
        self.export = QPushButton("File to chart…")
        self.export.setToolTip(
            "PDF, FHIR and HL7 copies into a folder your EMR imports; asks your password"
        )
        self.info = QLabel("")
        self.info.setWordWrap(True)
        # wraps onto a second row in a narrow pane instead of cutting the buttons' words
        from clinic_inbox.ui.flow_layout import FlowLayout

        # "Assign: [...]" and "Status: [...]" share the pane's width, each never below
        # what its words need: in a narrow pane Status goes under Assign instead of the
        # assignee running into it
        self.status_label = QLabel("Status:")
        row = FlowLayout(fill=True)
        row.add_layout(_labelled(QLabel("Assign:"), self.assign))
        row.add_layout(_labelled(self.status_label, self.status))
        row2 = FlowLayout(fill=True)
        row2.add_layout(_labelled(QLabel("Priority:"), self.priority))
        row2.addWidget(self.template)
        buttons = FlowLayout()
        buttons.addWidget(self.send)
        buttons.addWidget(self.preview_reply)
        buttons.addWidget(self.note)
        buttons.addWidget(self.sensitive)
        buttons.addWidget(self.move)
        buttons.addWidget(self.link)
        buttons.addWidget(self.unlink)
        buttons.addWidget(self.confirm)
        buttons.addWidget(self.glass)
        buttons.addWidget(self.export)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.consent_header)
        lay.addWidget(self.held)
        lay.addWidget(self.view, 1)
        lay.addLayout(row)
        lay.addLayout(row2)
        lay.addWidget(self.reply)
        lay.addLayout(buttons)
        lay.addWidget(self.info)
        self.send.clicked.connect(self._send)
        self.preview_reply.clicked.connect(self._preview_reply)
        self.note.clicked.connect(self._note)
        self.export.clicked.connect(self._export)
        self.link.clicked.connect(self._link_patient)
        self.unlink.clicked.connect(self._unlink_patient)
        self.confirm.clicked.connect(self._confirm_sender)
        self.move.clicked.connect(self._move)
        self.glass.clicked.connect(self._glass)
        self.assign.activated.connect(self._assign)
        self.status.activated.connect(self._status)
        self.priority.activated.connect(self._priority)
        self.sensitive.clicked.connect(self._sensitive)
        self.template.activated.connect(self._template)
        self.reply.textChanged.connect(self._typing)
        from clinic_inbox.ui.visit_timer import VisitTimer

        self.visit_timer = VisitTimer(self.runner, self.session, self)  # e-visit time
        self.reply.textChanged.connect(self.visit_timer.activity)
        self.clear()

    def clear(self) -> None:
        if hasattr(self, "visit_timer"):
            self.visit_timer.stop()
        self.thread_id = self._wanted = None
        self._detail = None
        self._images = {}
        self._notice = ""
        self.view.setHtml(
            "<p style='color:#777'>Open a conversation from the board (Enter or double-click).</p>"
        )
        for w in (
            self.assign,
            self.status,
            self.reply,
            self.send,
            self.preview_reply,
            self.note,
            self.export,
            self.priority,
            self.sensitive,
            self.template,
            self.move,
        ):
            w.setEnabled(False)
        self.glass.setVisible(False)
        self.link.setVisible(False)
        self.unlink.setVisible(False)
        self.confirm.setVisible(False)
        self.consent_header.follow(None, None)
        self.held.follow(None)
        self._written_for = {}
        self.info.setText("")

    def show_thread(self, thread_id: int) -> None:
        """A person opens a conversation: an audited view, read on the writer."""
        self._wanted = thread_id
        self.runner.submit(
            app_actions.open_thread,
            self.session,
            thread_id,
            done=self._opened,
            failed=self._not_opened,
            owner=self,
        )

    def reload(self) -> None:
        """Show the open conversation as it is now (after a change, new mail): no second
        "viewed" entry unless something the person has not seen is now on screen."""
        if self.thread_id is None or self._detail is None:
            return
        self.runner.submit(
            app_actions.open_thread,
            self.session,
            self.thread_id,
            shown=self._detail,
            images_loaded=frozenset(self._images),
            done=self._refreshed,
            failed=self._not_opened,
            owner=self,
        )

    def detach(self) -> None:
        """Its window closed: stop listening to the shared runner and show nothing."""
        self.runner.changed.disconnect(self._own_changes)
        self.clear()

    def _own_changes(self, changes: Changes) -> None:
        # this person's own "viewing" or "replying" is for the others: the line here
        # lists only them, so it needs no second read of the conversation
        self.on_changes(dataclasses.replace(changes, presence=frozenset()))

    def on_changes(self, changes: Changes) -> None:
        if self.thread_id is not None and (
            self.thread_id in changes.threads
            or self.thread_id in changes.presence
            or changes.access
        ):
            self.reload()

    def _not_opened(self, exc: BaseException) -> None:
        self.clear()
        self.info.setText(plain_error(exc))

    def _opened(self, view: app_actions.ThreadView) -> None:
        joined = view.joined_from is not None and view.joined_from == self._wanted
        if joined:
            # the conversation on screen (or asked for) was joined with this one by the
            # shared queue: follow it, and say so
            self._wanted = view.detail.id
        if view.detail.id != self._wanted:
            return  # another conversation was asked for since (or the screen locked)
        if view.detail.id != self.thread_id:
            self._notice = ""
        if joined:
            self._notice = view.joined_note
        self._images = {}
        self._refreshed(view)
        self.visit_timer.opened(view.detail.id, view.detail.body_visible)

    def _refreshed(self, view: app_actions.ThreadView) -> None:
        if view.joined_from is not None and view.joined_from == self._wanted:
            self._opened(view)  # a refresh found it joined with another: opened anew
            return
        if view.detail.id != self._wanted:
            return
        t = view.detail
        self.thread_id = t.id
        self._detail = t
        self._others = view.others
        self._images.update(view.images)
        self._notes = view.notes
        self._render()
        self.assign.blockSignals(True)
        self.assign.clear()
        self.assign.addItem("Nobody (team pool)", None)
        for s in view.staff:
            self.assign.addItem(s.display_name, s.id)
            if s.display_name == t.assigned_to:
                self.assign.setCurrentIndex(self.assign.count() - 1)
        # no name cut; a very long one may be, rather than push the window past a laptop
        self.assign.setMinimumWidth(min(self.assign.sizeHint().width(), 280))
        self.assign.setToolTip(self.assign.currentText())
        self.assign.blockSignals(False)
        self._fill_templates()  # as Settings last saved them
        self.status.setCurrentIndex(list(Status).index(t.status))
        self.priority.setCurrentIndex(list(Priority).index(t.priority))
        self.sensitive.setText("Lift sensitive flag" if t.sensitive else "Mark sensitive")
        self.consent_header.follow(t.patient.id if t.patient else None, t.id)
        self.held.follow(t.id, t.held_reply)
        # the buttons follow the access decision that came with the conversation
        acting = t.can_act
        for w in (self.assign, self.status, self.priority, self.sensitive):
            w.setEnabled(acting)
        self.template.setEnabled(t.can_reply)
        self.reply.setEnabled(t.can_reply or t.body_visible)
        self.send.setEnabled(t.can_reply)
        self.preview_reply.setEnabled(t.can_reply)
        self.note.setEnabled(t.body_visible and acting)
        self.export.setEnabled(t.can_file)
        self.glass.setVisible(t.can_break_glass)
        self.link.setVisible(t.patient is None and acting)
        self.unlink.setVisible(t.patient is not None and acting and t.body_visible)
        self.confirm.setVisible(acting and any(m.sender_check == "unverified" for m in t.messages))
        self.move.setEnabled(acting and t.body_visible)
        self.info.setText(
            self.presence_text()
            or self._notice
            or ("" if t.can_reply else "You cannot reply in this conversation.")
        )

    def _render(self) -> None:
        if self._detail is None:
            return
        self.view.setHtml(
            render_thread(
                self.clinic,
                self._detail,
                self._notes,
                dark=palette.is_dark(self.palette()),
                written_for=self._written_for,
            )
        )

    def _proxies_known(self, written_for: dict[int, str]) -> None:
        if written_for != self._written_for:
            self._written_for = written_for
            self._render()

    def _say(self, text: str) -> None:
        self._notice = text
        self.info.setText(text)

    def _guard(self, fn, *args, done=None, **kwargs) -> bool:  # noqa: ANN001, ANN002, ANN003
        """Run an action on the open conversation; the board and this panel refresh
        from the changes it reports, a refusal is shown in plain words."""
        if self.thread_id is None:
            return False

        def failed(exc: BaseException) -> None:
            QMessageBox.warning(self, "Not done", plain_error(exc))
            self.reload()  # the lists show what is stored, not what was refused

        self.runner.submit(
            fn,
            self.session,
            self.thread_id,
            *args,
            done=done,
            failed=failed,
            owner=self,
            **kwargs,
        )
        return True

    def _send(self) -> None:
        def sent(_: object) -> None:
            self.reply.clear()
            self._say("Reply queued: it goes out at the next sync, or when the network is back.")

        def refused(exc: BaseException) -> None:
            from clinic_inbox.core.consent import ConsentNeeded

            if not isinstance(exc, ConsentNeeded) or "opted out" in str(exc):
                QMessageBox.warning(self, "Not sent", plain_error(exc))
                self.reload()
                return
            # no email agreement: staff say why this reply may go by email (recorded)
            reason, ok = QInputDialog.getText(self, "No agreement to email", str(exc))
            if ok and reason.strip():
                self._guard(app_consent.queue_reply, body, reason.strip(), done=sent)

        body = self.reply.toPlainText()
        if self.thread_id is not None:
            self.runner.submit(
                app_actions.queue_reply, self.session, self.thread_id, body,
                done=sent, failed=refused, owner=self,
            )  # fmt: skip

    def _preview_reply(self) -> None:
        """The reply as it will go out; 'Queue this reply' there queues it as Queue reply."""
        from clinic_inbox.core import app_reply
        from clinic_inbox.ui.reply_preview import ReplyPreviewDialog

        def shown(preview: object) -> None:
            self.reply_preview = ReplyPreviewDialog(preview, self)  # tests reach it here
            self.reply_preview.accepted.connect(self._send)
            self.reply_preview.open()

        self._guard(app_reply.preview_reply, self.reply.toPlainText(), done=shown)

    def _note(self) -> None:
        self._guard(
            app_actions.add_note, self.reply.toPlainText(), done=lambda _: self.reply.clear()
        )

    def _move(self) -> None:
        from clinic_inbox.ui.move_dialog import MoveDialog

        if self.thread_id is None:
            return
        dlg = MoveDialog(bool(self._detail.can_reply), self)
        self.move_dialog = dlg  # tests reach it here
        if dlg.exec():
            told = dlg.tell.isChecked()
            self._guard(
                app_actions.move_to_call_or_visit,
                dlg.kind.currentData(),
                dlg.reason.text(),
                told,
                done=lambda _: self._say(
                    "Moved. " + ("The patient's message is in the outbox." if told else "")
                ),
            )

    def confirm_sender(self, how: str) -> bool:
        return self._guard(app_actions.confirm_sender, how)

    def _confirm_sender(self) -> None:
        how, ok = QInputDialog.getText(
            self, "Confirm sender", "How did you confirm who sent it? (kept in the record)"
        )
        if ok:
            self.confirm_sender(how)

    def _link_patient(self) -> None:
        from clinic_inbox.ui.link_patient import LinkPatientDialog

        if self.thread_id is None:
            return
        first_in = next((m for m in self._detail.messages if m.direction.value == "in"), None)
        dlg = LinkPatientDialog(
            self.clinic, self.session, first_in.sender if first_in else "", self, self.runner
        )
        self.link_dialog = dlg  # tests reach it here
        if dlg.exec() and dlg.patient_id is not None:
            self._guard(app_consent.link_as, dlg.patient_id, dlg.sender_is)

    def _unlink_patient(self) -> None:
        from clinic_inbox.ui.link_patient import ask_unlink

        if self.thread_id is None or self._detail is None or self._detail.patient is None:
            return
        patient = self._detail.patient
        answer = ask_unlink(self, patient)
        if answer is not None:
            from clinic_inbox.core import app_actions_patients

            # by name, as the question named the patient: people here know no record ids
            self._guard(
                app_actions_patients.unlink_patient,
                answer,
                done=lambda out: self._say(out.describe(patient=patient.display_name)),
            )

    def _assign(self) -> None:
        self._guard(app_actions.assign, self.assign.currentData())

    def _status(self) -> None:
        self._guard(app_actions.set_status, Status(self.status.currentData()))

    def export_to(self, folder: str, password: str, include_notes: bool = False) -> None:
        """File the open conversation (password check, PDF, FHIR and HL7 on the writer);
        then its emails go to the Filed folder on the network worker, if the clinic asks
        for it, so a slow mail server holds up no other action. The panel's info line
        says how each went."""
        from pathlib import Path

        from clinic_inbox.core import app_filing
        from clinic_inbox.sources.filed_folder import move_filed

        if self.thread_id is None:
            self._say("Open a conversation first.")
            return

        def said(head: str, lines: list[str]) -> str:
            return " ".join(
                [head]
                + [ln[0].upper() + ln[1:] + ("" if ln.endswith(".") else ".") for ln in lines]
            )

        def filed(done: app_filing.Filed) -> None:
            doc = done.document
            head = f"Filed to the chart as {doc.document_id} (version {doc.version}) in {folder}."
            if not done.move_waits:
                self._say(head)
                return
            self._say(f"{head} Moving its emails to the Filed folder on the mail server…")
            self.runner.network.submit(
                app_filing.move_filed,
                self.session,
                doc.thread_id,
                move=move_filed,
                done=lambda m: self._say(said(head, m.lines())),
                failed=lambda exc: self._say(
                    f"{head} Its emails stay where they are for now: {plain_error(exc)}"
                ),
                owner=self,
            )

        def refused(exc: BaseException) -> None:
            words = plain_error(exc)
            self._say(words if isinstance(exc, services.AuthError) else f"Not filed: {words}")

        self._say("Filing to the chart…")
        self.runner.submit(
            app_filing.file_thread,
            self.session,
            self.thread_id,
            Path(folder),
            password,
            include_notes,
            done=filed,
            failed=refused,
            owner=self,
        )

    def _export(self) -> None:
        from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit

        folder = QFileDialog.getExistingDirectory(self, "Folder your EMR imports from")
        if not folder:
            return
        password, ok = QInputDialog.getText(
            self,
            "Confirm it is you",
            "Your password, to file this conversation to the chart:",
            QLineEdit.EchoMode.Password,
        )
        if ok:
            self.export_to(folder, password)

    def break_glass(self, reason: str, password: str) -> None:
        """Open a hidden conversation for a stated reason; the info line says until when."""
        if self.thread_id is None:
            self._say("Open a conversation first.")
            return

        def opened(until: object) -> None:
            local = until.astimezone(self.clinic.config.tz)  # type: ignore[attr-defined]
            self._say(
                f"Opened with break-glass until {local:%H:%M}. "
                "This is recorded and will be reviewed."
            )

        self.runner.submit(
            app_actions.break_glass,
            self.session,
            self.thread_id,
            reason,
            password,
            done=opened,
            failed=lambda exc: self._say(plain_error(exc)),
            owner=self,
        )

    def _glass(self) -> None:
        from PySide6.QtWidgets import QInputDialog, QLineEdit

        reason, ok = QInputDialog.getText(
            self, "Break-glass", "The clinical reason for opening this message:"
        )
        if not ok:
            return
        password, ok = QInputDialog.getText(
            self, "Confirm it is you", "Your password:", QLineEdit.EchoMode.Password
        )
        if ok:
            self.break_glass(reason, password)

    def _priority(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        new = Priority(self.priority.currentData())
        reason, ok = QInputDialog.getText(
            self, "Change priority", f"Why is this now {new.label.lower()}?"
        )
        if ok:
            self.change_priority(new, reason)
        elif self._detail is not None:  # put the list back to what it is
            self.priority.setCurrentIndex(list(Priority).index(self._detail.priority))

    def change_priority(self, new: Priority, reason: str) -> None:
        self._guard(app_actions.set_priority, new, reason)

    def _sensitive(self) -> None:
        detail = self._detail
        if detail is not None:
            self._guard(
                app_actions.mark_sensitive, not detail.sensitive, "marked in the conversation view"
            )

    def _fill_templates(self) -> None:
        from clinic_inbox.core import reply_templates

        try:
            found = [(t.label, t.name) for t in reply_templates.catalogue(self.clinic.home)]
        except reply_templates.TemplateError:
            found = list(TEMPLATES)  # an unreadable clinic file: the shipped ones still work
        self.template.blockSignals(True)
        self.template.clear()
        self.template.addItem("Template…", None)
        for label, name in found:
            self.template.addItem(label, name)
        self.template.blockSignals(False)

    def _template(self) -> None:
        from clinic_inbox.core import outgoing, reply_templates
        from clinic_inbox.core.language import detect_language

        name = self.template.currentData()
        detail = self._detail
        self.template.setCurrentIndex(0)
        if not name or detail is None:
            return
        # in the language of the patient's latest words the viewer may read
        said = next((m.body for m in reversed(detail.messages) if m.body), "") or ""
        lang = detect_language(said, self.clinic.config.languages)
        fields = outgoing.standard_fields(
            self.clinic.config, detail.patient.given_name if detail.patient else "", lang
        )
        try:
            body = reply_templates.render(self.clinic.home, name, fields, lang)
        except reply_templates.TemplateError as exc:
            self.info.setText(str(exc))
            return
        # at the cursor: what was already typed stays
        self.reply.textCursor().insertText(body.strip())

    def presence_text(self) -> str:
        if self.thread_id is None:
            return ""
        others = self._others
        replying = [n for n, a in others if a == "replying"]
        viewing = [n for n, a in others if a == "viewing"]
        parts = []
        if replying:
            parts.append(
                f"{', '.join(replying)} {'is' if len(replying) == 1 else 'are'} writing a reply: "
                "check before you answer the patient."
            )
        if viewing:
            parts.append(f"Also open for {', '.join(viewing)}.")
        return " ".join(parts)

    def _typing(self) -> None:
        if (
            self.thread_id is not None
            and self.reply.toPlainText()
            and not getattr(self, "_replying", False)
        ):
            self._replying = True
            self.runner.submit(app_actions.mark_replying, self.session, self.thread_id, owner=self)
        elif not self.reply.toPlainText():
            self._replying = False

    def cid_image(self, content_id: str) -> bytes | None:
        """An inline image of the open conversation: fetched (and audited) on the writer
        when the conversation was opened, never read here."""
        return self._images.get(content_id)

    def _link(self, url: QUrl) -> None:
        if url.scheme() == "attachment" and url.path().isdigit():
            self.open_attachment(int(url.path()))
        # other links are never followed from here

    def open_attachment(self, attachment_id: int) -> None:
        """An attachment opened inside the app, from memory: never written to disk. It is
        read (and the view audited) on the writer; `attachment_dialog` shows it."""
        if self._wanted is None:
            return  # nothing is open (the screen is locked): nothing is read
        self.runner.submit(
            app_actions.attachment,
            self.session,
            attachment_id,
            done=self._show_attachment,
            failed=lambda exc: self.info.setText(plain_error(exc)),
            owner=self,
        )

    def _show_attachment(self, found: tuple[str, str, bytes]) -> QWidget | None:
        from PySide6.QtWidgets import QDialog, QScrollArea

        if self._wanted is None:
            return None  # the screen locked (or the panel closed) while it was being read
        name, ctype, data = found
        dlg = QDialog(self)
        dlg.setObjectName(ATTACHMENT_WINDOW)  # the idle lock closes these
        dlg.setWindowTitle(name)
        lay = QVBoxLayout(dlg)
        if ctype.startswith("image/"):
            label = QLabel()
            label.setPixmap(QPixmap.fromImage(QImage.fromData(data)))
            area = QScrollArea()
            area.setWidget(label)
            lay.addWidget(area)
        elif ctype.startswith("text/") or ctype.endswith("json"):
            text = QTextBrowser()
            text.setPlainText(data.decode("utf-8", "replace"))
            lay.addWidget(text)
        else:
            lay.addWidget(
                QLabel(
                    f"{name}: {ctype}, {len(data):,} bytes. This type cannot be shown inside "
                    "Clinic Inbox; it stays in the encrypted store and goes with the "
                    "conversation when it is filed to the chart."
                )
            )
        dlg.resize(640, 480)
        dlg.show()
        self.attachment_dialog = dlg  # tests reach it here
        return dlg
