"""Administration → Workstations (with a shared server): the computers enrolled on the
clinic's server; approving one by the fingerprint on its screen; revoking one, which
renews the clinic's key so that what is written afterwards is closed to it."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinic_inbox.shared import workstations_app
from clinic_inbox.ui.actions import Runner, plain_error

COLUMNS = ["Name", "Fingerprint", "State", "Decided", "Workstation"]
STATES = {"pending": "waiting for approval", "approved": "enrolled", "revoked": "revoked"}


class WorkstationsTab(QWidget):
    def __init__(self, clinic: Any, session: Any, runner: Runner, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.clinic, self.session, self.runner = clinic, session, runner
        self.rows: list[workstations_app.WorkstationRow] = []
        lay = QVBoxLayout(self)
        self.key_note = QLabel("")
        self.key_note.setWordWrap(True)
        lay.addWidget(self.key_note)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(self.table)
        row = QHBoxLayout()
        self.fingerprint = QLineEdit()
        self.fingerprint.setPlaceholderText("Fingerprint shown on the new computer")
        self.approve_button = QPushButton("Approve")
        self.approve_button.clicked.connect(self.approve)
        self.revoke_button = QPushButton("Revoke selected…")
        self.revoke_button.clicked.connect(self.revoke_selected)
        for w in (self.fingerprint, self.approve_button, self.revoke_button):
            row.addWidget(w)
        lay.addLayout(row)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        self.refresh()

    def refresh(self) -> None:
        self.runner.submit(
            workstations_app.workstations,
            self.session,
            done=self._show,
            failed=lambda exc: self.message.setText(plain_error(exc)),
            owner=self,
        )

    def _show(self, answer: tuple[list[workstations_app.WorkstationRow], int]) -> None:
        self.rows, version = answer
        self.key_note.setText(
            f"The clinic's key is at version {version}. Revoking a workstation renews it: "
            "what is written afterwards cannot be read with the keys that computer holds."
        )
        self.table.setRowCount(len(self.rows))
        for r, w in enumerate(self.rows):
            name = f"{w.name} (this computer)" if w.this_computer else w.name
            values = [name, w.fingerprint, STATES.get(w.state, w.state), w.decided]
            for c, value in enumerate([*values, w.workstation_id]):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()

    def confirm(self, text: str) -> bool:
        """Asked before a workstation is revoked (a test answers for the person)."""
        answer = QMessageBox.question(self, "Revoke this workstation?", text)
        return answer == QMessageBox.StandardButton.Yes

    def revoke_selected(self) -> None:
        r = self.table.currentRow()
        if r < 0 or r >= len(self.rows):
            self.message.setText("Select the workstation to revoke first.")
            return
        w = self.rows[r]
        if w.this_computer:
            self.message.setText("This computer cannot revoke itself: do it from another one.")
            return
        if not self.confirm(
            f"{w.name} will no longer reach the shared server, and the clinic's key is "
            "renewed for every other workstation. What that computer already holds stays "
            "on it. Revoke it?"
        ):
            return

        def done(key_id: int | None) -> None:
            renewed = f" The clinic's key was renewed (version {key_id})." if key_id else ""
            self.message.setText(f"{w.name} can no longer reach the shared server.{renewed}")
            self.refresh()

        self.runner.submit(
            workstations_app.revoke,
            self.session,
            w.workstation_id,
            done=done,
            failed=lambda exc: self.message.setText(plain_error(exc)),
            owner=self,
        )

    def approve(self) -> None:
        fpr = self.fingerprint.text().strip()
        if not fpr:
            self.message.setText("Type the fingerprint shown on the new computer first.")
            return

        def done(p: Any) -> None:
            self.message.setText(f"Approved {p.name}; it can now finish joining.")
            self.fingerprint.clear()
            self.refresh()

        self.runner.submit(
            workstations_app.approve,
            self.session,
            fpr,
            done=done,
            failed=lambda exc: self.message.setText(plain_error(exc)),
            owner=self,
        )
