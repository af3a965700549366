"""Changes of yours that another workstation's change beat to the clinic's server.

Two people changed the same thing (one of them offline, or at the same moment): the
first to reach the server was kept. This screen says it out loud, one card per
change: what you did, what the other person did and when, what the clinic's queue
shows now; and lets you choose: keep theirs, or apply yours anyway (your change
made again, checked and audited like any change). Nothing is decided silently.
"""

from __future__ import annotations

import html
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from clinic_inbox.core import services
from clinic_inbox.shared import conflicts
from clinic_inbox.ui.actions import Runner, plain_error


def _when(at: str | None) -> str:
    if not at:
        return ""
    try:
        t = datetime.fromisoformat(at).astimezone()
    except ValueError:
        return ""
    return f" at {t:%H:%M} on {t:%d %b}"


class ConflictCard(QFrame):
    chosen = Signal(str, bool)  # op id, True: apply mine anyway

    def __init__(self, c: conflicts.Shown, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.op_id = c.op_id
        self.setObjectName("conflictCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(f"Conflict on {c.what.lower()}")
        if c.patient_id is not None or not c.thread_id:  # a patient's record, an account
            named = html.escape(c.conversation)
        else:
            named = f"“{html.escape(c.conversation)}” (conversation {c.number or c.thread_id})"
        title = QLabel(f"<b>{html.escape(c.what)}</b> of {named}")
        title.setTextFormat(Qt.TextFormat.RichText)
        title.setWordWrap(True)
        grid = QGridLayout()
        if c.refused:  # a check on the server said no: nobody else was first
            grid.addWidget(QLabel("What was done here (refused)"), 0, 0)
            grid.addWidget(QLabel("What the clinic's queue shows (kept)"), 0, 1)
        else:
            grid.addWidget(QLabel("What you did (not applied)"), 0, 0)
            grid.addWidget(QLabel(f"What {c.who} did{_when(c.when)} (kept)"), 0, 1)
        mine, theirs = QLabel(c.yours), QLabel(c.theirs)
        for label in (mine, theirs):
            label.setObjectName("conflictValue")
            label.setStyleSheet("font-size: 15px; font-weight: 600;")
        grid.addWidget(mine, 1, 0)
        grid.addWidget(theirs, 1, 1)
        now = QLabel(
            f"The clinic's server refused this change: {c.refused}. It was not applied, "
            f"and every workstation shows “{c.theirs}”. Ask your administrator if this "
            "seems wrong."
            if c.refused
            else f"{c.who}'s change reached the clinic's server first, so every workstation "
            f"shows “{c.theirs}” now."
        )
        now.setWordWrap(True)
        self.keep = QPushButton(f"Keep “{c.theirs}”")
        self.mine = QPushButton(f"Apply mine anyway: “{c.yours}”")
        self.keep.clicked.connect(lambda: self.chosen.emit(self.op_id, False))
        self.mine.clicked.connect(lambda: self.chosen.emit(self.op_id, True))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.keep)
        buttons.addWidget(self.mine)
        # someone else's refused change, shown to an administrator: to know of, not to
        # make again as their own
        self.mine.setVisible(c.can_apply)
        box = QVBoxLayout(self)
        box.addWidget(title)
        box.addLayout(grid)
        box.addWidget(now)
        box.addLayout(buttons)


class ConflictsDialog(QDialog):
    settled = Signal()

    def __init__(
        self,
        clinic: object,
        session: services.Session,
        runner: Runner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session, self.runner = session, runner
        self._decided = False
        self.setWindowTitle("Changes not applied: someone else was first")
        self.resize(760, 520)
        intro = QLabel(
            "While you worked, someone on another workstation changed the same thing and "
            "reached the clinic's server first. Their change was kept. For each one, keep "
            "theirs or apply yours anyway. A change the clinic's server refused (an "
            "account turned off, a delegation revoked) says why."
        )
        intro.setWordWrap(True)
        self.info = QLabel("")
        self.info.setWordWrap(True)
        self.cards = QVBoxLayout()
        self.cards.addStretch(1)
        inner = QWidget()
        inner.setLayout(self.cards)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.info)
        layout.addWidget(close)
        self.load()

    def load(self) -> None:
        self.runner.submit(
            conflicts.shown, self.session, done=self._show, failed=self._failed, owner=self
        )

    def card_widgets(self) -> list[ConflictCard]:
        return [
            w
            for i in range(self.cards.count())
            if isinstance(w := self.cards.itemAt(i).widget(), ConflictCard)
        ]

    def _show(self, rows: list[conflicts.Shown]) -> None:
        for card in self.card_widgets():
            self.cards.removeWidget(card)
            card.deleteLater()
        for c in rows:
            card = ConflictCard(c)
            card.chosen.connect(self._choose)
            self.cards.insertWidget(self.cards.count() - 1, card)
        if not rows:
            done = self.info.text() if self._decided else ""
            self.info.setText(f"{done} Nothing (else) waits for your decision.".strip())

    def _choose(self, op_id: str, mine: bool) -> None:
        def done(_: object) -> None:
            self._decided = True
            self.info.setText(
                "Your change was made again; it reaches the other workstations now."
                if mine
                else "Kept as it is on the other workstations."
            )
            self.settled.emit()
            self.load()

        self.runner.submit(
            conflicts.settle,
            self.session,
            op_id,
            mine,
            done=done,
            failed=self._failed,
            owner=self,
        )

    def _failed(self, exc: BaseException) -> None:
        self.info.setText(
            str(exc) if isinstance(exc, conflicts.SharedQueueError) else plain_error(exc)
        )
