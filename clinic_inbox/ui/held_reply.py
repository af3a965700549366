"""The conversation panel's "Your reply is held" banner.

A reply written here is held when someone else's answer to the same patient reached
the clinic's server first (clinic_inbox.shared.reply_hold). The banner says whose
answer and from where; the reply's author may send theirs anyway or discard it (both
recorded); anyone else is told whose reply waits, with no buttons.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_inbox.core.signin import Session
from clinic_inbox.shared import app_reply_hold
from clinic_inbox.shared.reply_hold import HeldView
from clinic_inbox.ui.actions import Runner, plain_error


class HeldRow(QFrame):
    """One held reply: what happened, and the author's two choices."""

    def __init__(self, held: HeldView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.held = held
        self.setFrameShape(QFrame.Shape.StyledPanel)
        # amber, as a warning: the words carry the meaning, the colour only helps
        self.setStyleSheet("HeldRow { background: #fff4e0; border: 1px solid #a65e00; }")
        self.words = QLabel(held.words)
        self.words.setWordWrap(True)
        self.words.setStyleSheet("color: #3d2a00;")
        self.words.setAccessibleName("Held reply")
        self.send = QPushButton("Send mine anyway")
        self.send.setToolTip("Your reply goes to the patient at the next send; this is recorded")
        self.discard = QPushButton("Discard mine")
        self.discard.setToolTip("Your reply is never sent; this is recorded")
        lay = QHBoxLayout(self)
        lay.addWidget(self.words, 1)
        for b in (self.send, self.discard):
            b.setVisible(held.mine)
            lay.addWidget(b)


class HeldReplyBanner(QWidget):
    def __init__(self, session: Session, runner: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.runner = session, runner
        self.thread_id: int | None = None
        self.rows: list[HeldRow] = []
        self.notice = QLabel("")
        self.notice.setWordWrap(True)
        self._lay = QVBoxLayout(self)
        self._lay.setContentsMargins(0, 0, 0, 0)
        self._lay.addWidget(self.notice)
        self.notice.setVisible(False)
        self.setVisible(False)

    def confirm(self, text: str) -> bool:
        """Asked before a reply is discarded (a test answers for the person)."""
        answer = QMessageBox.question(self, "Discard your reply?", text)
        return answer == QMessageBox.StandardButton.Yes

    def follow(self, thread_id: int | None, held: bool = True) -> None:
        """Show the held replies of the open conversation (asked again at each refresh
        that says it has one, or while some are shown: a pull holds a reply while the
        conversation is open). Nothing is asked of a conversation with none."""
        if thread_id != self.thread_id:
            self.notice.setVisible(False)
        self.thread_id = thread_id
        if thread_id is None or not (held or self.rows):
            self._show([])
            return
        self.runner.submit(
            app_reply_hold.held_here,
            self.session,
            thread_id,
            done=lambda rows, tid=thread_id: self._show(rows) if tid == self.thread_id else None,
            failed=lambda exc: self._show([]),
            owner=self,
        )

    def _show(self, held: list[HeldView]) -> None:
        for row in self.rows:
            self._lay.removeWidget(row)
            row.deleteLater()
        self.rows = []
        for h in held:
            row = HeldRow(h, self)
            row.send.clicked.connect(lambda _=False, i=h.outbox_id: self._send(i))
            row.discard.clicked.connect(lambda _=False, i=h.outbox_id: self._discard(i))
            self._lay.insertWidget(len(self.rows), row)
            self.rows.append(row)
        self.setVisible(bool(self.rows) or self.notice.isVisible())

    def _say(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(True)
        self.setVisible(True)

    def _failed(self, exc: BaseException) -> None:
        QMessageBox.warning(self, "Not done", plain_error(exc))
        self.follow(self.thread_id)

    def _send(self, outbox_id: int) -> None:
        self.runner.submit(
            app_reply_hold.send_anyway,
            self.session,
            outbox_id,
            done=lambda _: self._say(
                "Your reply is no longer held: it goes to the patient at the next send."
            ),
            failed=self._failed,
            owner=self,
        )

    def _discard(self, outbox_id: int) -> None:
        if not self.confirm("Your reply will never be sent to the patient. Discard it?"):
            return
        self.runner.submit(
            app_reply_hold.discard,
            self.session,
            outbox_id,
            done=lambda _: self._say("Your reply was discarded: it will not be sent."),
            failed=self._failed,
            owner=self,
        )
