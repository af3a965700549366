"""Absences in the app: mark a physician away (from, to) with the colleague who covers,
see who is away, cancel; and the warning when an absent physician's patients wait
with nobody covering."""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QFormLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinic_inbox.core import app_compose, app_loads, services
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Role, Staff
from clinic_inbox.ui.actions import InlineRunner, Runner, plain_error

COLUMNS = ["Physician", "From", "To", "Covered by"]


class AbsencesDialog(QDialog):
    def __init__(
        self,
        clinic: Clinic,
        session: services.Session,
        parent: QWidget | None = None,
        *,
        runner: Runner | None = None,
    ) -> None:
        super().__init__(parent)
        self.clinic, self.session = clinic, session
        self.runner: Runner = runner if runner is not None else InlineRunner(clinic, self)
        self.setWindowTitle("Absences and cover")
        self.resize(760, 560)
        self.warning = QLabel("")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color:#c62828;font-weight:bold")
        self.warning.setAccessibleName("Uncovered patients")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setAccessibleName("Absences running and to come")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.cancel_button = QPushButton("Cancel the selected absence (the cover's access ends)")
        self.cancel_button.clicked.connect(self._cancel)

        box = QGroupBox("Mark a physician away")
        form = QFormLayout(box)
        self.physician = QComboBox()
        self.physician.setAccessibleName("Physician")
        # dates and times are the clinic's, wherever this computer's clock is set
        self.tz = clinic.config.tz
        here = datetime.now(self.tz).replace(tzinfo=None, second=0, microsecond=0)
        self.start = QDateTimeEdit(QDateTime(here))
        self.end = QDateTimeEdit(QDateTime(here + timedelta(days=7)))
        for w, name in ((self.start, "Away from"), (self.end, "Back on")):
            w.setCalendarPopup(True)
            w.setDisplayFormat("yyyy-MM-dd HH:mm")
            w.setAccessibleName(name)
        self.cover = QComboBox()
        self.cover.setAccessibleName("Covered by")
        self.cover.addItem("Nobody (the board will warn)", None)
        form.addRow("Physician", self.physician)
        form.addRow("Away from", self.start)
        form.addRow("Back on", self.end)
        form.addRow("Covered by", self.cover)
        self.mark = QPushButton("Mark away")
        self.mark.clicked.connect(self._mark)
        form.addRow(
            QLabel(
                "The colleague covering reads, answers and files this physician's messages "
                "for exactly these dates (sensitive ones stay with the physician); new "
                "messages go to them. Everything is recorded in the audit trail."
            )
        )
        form.addRow(self.mark)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Problem")
        self.box = box
        box.setEnabled(False)  # until the physicians are read

        lay = QVBoxLayout(self)
        for w in (self.warning, self.table, self.cancel_button, box, self.error):
            lay.addWidget(w)
        self.runner.submit(
            app_loads.staff,
            session,
            done=self._fill_physicians,
            failed=lambda exc: self.error.setText(plain_error(exc)),
            owner=self,
        )
        self.reload()

    def _fill_physicians(self, staff: list[Staff]) -> None:
        me = self.session.staff
        physicians = [s for s in staff if s.role is Role.PHYSICIAN and s.active]
        for s in physicians:
            if me.role is Role.ADMIN or s.id == me.id:
                self.physician.addItem(s.display_name, s.username)
            self.cover.addItem(s.display_name, s.username)
        self.box.setEnabled(self.physician.count() > 0)

    def _local(self, iso: str) -> str:
        return (
            datetime.fromisoformat(iso)
            .astimezone(self.clinic.config.tz)
            .strftime("%a %d %b %Y %H:%M")
        )

    def reload(self) -> None:
        self.runner.submit(
            app_compose.absences, self.session, done=self._show, failed=self._failed, owner=self
        )

    def _show(self, result: tuple) -> None:
        absences, uncovered = result
        self.table.setRowCount(len(absences))
        for row, a in enumerate(absences):
            values = [
                a.physician,
                self._local(a.starts_at),
                self._local(a.ends_at),
                a.cover or "NOBODY",
            ]
            for col, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, a.id)
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        lines = [
            f"{u.physician} is away with nobody covering; waiting: "
            + ", ".join(f"{name} ({n})" for _, name, n in u.patients)
            for u in uncovered
        ]
        self.warning.setText("\n".join(lines))
        self.warning.setVisible(bool(lines))

    def _mark(self) -> None:
        self.error.setText("")
        self.runner.submit(
            app_compose.mark_away,
            self.session,
            physician=self.physician.currentData(),
            starts_at=self.start.dateTime().toPython().replace(tzinfo=self.tz),
            ends_at=self.end.dateTime().toPython().replace(tzinfo=self.tz),
            cover=self.cover.currentData(),
            done=lambda _id: self.reload(),
            failed=self._failed,
            owner=self,
        )

    def _cancel(self) -> None:
        item = self.table.item(self.table.currentRow(), 0) if self.table.currentRow() >= 0 else None
        if item is None:
            self.error.setText("Choose an absence in the list first.")
            return
        self.runner.submit(
            app_compose.cancel_absence,
            self.session,
            int(item.data(Qt.ItemDataRole.UserRole)),
            done=lambda _: self.reload(),
            failed=self._failed,
            owner=self,
        )

    def _failed(self, exc: BaseException) -> None:
        self.error.setText(plain_error(exc))
