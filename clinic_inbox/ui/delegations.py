"""Delegations in the app: a physician lets a nurse or the front desk handle parts of
their inbox (some categories, sensitive or not, replying on their behalf, filing to
the chart, until a date), sees what is granted, and revokes it."""

from __future__ import annotations

from datetime import UTC, datetime, time

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinic_inbox.core import app_actions, app_loads, services
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Category, Role, Staff
from clinic_inbox.ui.actions import InlineRunner, Runner, plain_error

COLUMNS = ["Physician", "To", "What", "Sensitive", "Reply", "File", "Until", "State"]


def _local_day(iso: str | None, clinic: Clinic) -> str:
    if not iso:
        return "no end"
    return datetime.fromisoformat(iso).astimezone(clinic.config.tz).strftime("%d %b %Y")


class DelegationsDialog(QDialog):
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
        # grants and revokes run on the app's writer; the board hears "access changed"
        self.runner: Runner = runner if runner is not None else InlineRunner(clinic, self)
        self.setWindowTitle("Delegations")
        self.resize(900, 620)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setAccessibleName("Delegations in force and past")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.revoke = QPushButton("Revoke the selected delegation")
        self.revoke.clicked.connect(self._revoke)
        # the form's categories, flags and end date become the selected one's (audited)
        self.change = QPushButton("Give the selected delegation the choices below")
        self.change.clicked.connect(self._change)

        form_box = QGroupBox("Delegate part of an inbox")
        form = QFormLayout(form_box)
        self.physician = QComboBox()
        self.physician.setAccessibleName("Physician")
        self.delegate = QComboBox()
        self.delegate.setAccessibleName("Delegate to")
        self.categories = QListWidget()
        self.categories.setAccessibleName("Categories")
        self.categories.setMaximumHeight(150)
        for c in Category:
            item = QListWidgetItem(c.label)
            item.setData(Qt.ItemDataRole.UserRole, c.value)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.categories.addItem(item)
        self.everything = QCheckBox("Every category")
        self.everything.toggled.connect(self.categories.setDisabled)
        self.sensitive = QCheckBox("Including messages marked sensitive")
        self.reply = QCheckBox('May reply on my behalf (signed "on behalf of")')
        self.file = QCheckBox("May file conversations to the chart")
        self.until = QDateEdit(QDate.currentDate().addDays(14))
        self.until.setCalendarPopup(True)
        self.until.setDisplayFormat("dd MMM yyyy")
        self.until.setMinimumDate(QDate.currentDate())
        self.until.setAccessibleName("Until")
        self.no_end = QCheckBox("No end date")
        self.no_end.toggled.connect(self.until.setDisabled)
        grant = QPushButton("Grant")
        grant.clicked.connect(self._grant)
        form.addRow("Physician:", self.physician)
        form.addRow("To:", self.delegate)
        form.addRow("Categories:", self.categories)
        form.addRow("", self.everything)
        form.addRow("", self.sensitive)
        form.addRow("", self.reply)
        form.addRow("", self.file)
        until_row = QHBoxLayout()
        until_row.addWidget(self.until)
        until_row.addWidget(self.no_end)
        until_row.addStretch(1)
        form.addRow("Until (end of day):", until_row)
        form.addRow("", grant)
        self.form_box = form_box
        form_box.setEnabled(False)  # until the staff list has been read

        self.info = QLabel("")
        self.info.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("<b>Delegations</b> — every change is in the audit trail"))
        lay.addWidget(self.table, 1)
        lay.addWidget(self.revoke)
        lay.addWidget(self.change)
        lay.addWidget(form_box)
        lay.addWidget(self.info)
        self.refresh()

    def refresh(self) -> None:
        """Read the staff and the delegations on the runner; the table fills when they come."""
        self.runner.submit(
            app_loads.delegations,
            self.session,
            done=self._show,
            failed=lambda exc: self.info.setText(plain_error(exc)),
            owner=self,
        )

    def _show(self, load: app_loads.DelegationsLoad) -> None:
        self._fill_people(load.staff)
        now = datetime.now(UTC)
        rows = load.rows
        # the physician must see a delegation an administrator set up in their name
        by_admin = load.by_administrator
        self.table.setRowCount(len(rows))
        self._ids = []
        for r, (doc, to, g) in enumerate(rows):
            what = (
                "Every category"
                if g.categories is None
                else ", ".join(sorted(c.label for c in g.categories))
            )
            state = "revoked" if g.revoked_at else ("in force" if g.active(now) else "ended")
            if g.id in by_admin:
                state += " · set up by an administrator"
            values = [
                doc,
                to,
                what,
                "yes" if g.include_sensitive else "no",
                "yes" if g.can_reply else "no",
                "yes" if g.can_file else "no",
                _local_day(g.ends_at, self.clinic),
                state,
            ]
            for c, v in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(v))
            self._ids.append(g.id)

    def _fill_people(self, staff: list[Staff]) -> None:
        me = self.session.staff
        for combo in (self.physician, self.delegate):
            chosen = combo.currentData()
            combo.clear()
            if combo is self.physician:
                people = [
                    (s.display_name, s.username)
                    for s in staff
                    if s.role is Role.PHYSICIAN
                    and s.active
                    and (me.role is Role.ADMIN or s.id == me.id)
                ]
            else:
                people = [
                    (f"{s.display_name} ({s.role.value})", s.username)
                    for s in staff
                    if s.active and s.role is not Role.ADMIN
                ]
            for words, username in people:
                combo.addItem(words, username)
            combo.setCurrentIndex(max(combo.findData(chosen), 0))
        self.form_box.setEnabled(self.physician.count() > 0)

    def _terms(self) -> tuple[list[Category] | None, datetime | None] | None:
        """The form's categories and end (None, said in the dialog, when none is ticked)."""
        cats = None
        if not self.everything.isChecked():
            cats = [
                Category(self.categories.item(i).data(Qt.ItemDataRole.UserRole))
                for i in range(self.categories.count())
                if self.categories.item(i).checkState() == Qt.CheckState.Checked
            ]
            if not cats:
                self.info.setText('Tick at least one category, or "Every category".')
                return None
        ends = None
        if not self.no_end.isChecked():
            day = self.until.date().toPython()
            ends = datetime.combine(day, time(23, 59), tzinfo=self.clinic.config.tz)
        return cats, ends

    def _change(self) -> None:
        from clinic_inbox.core.services_staff_edits import edit_delegation_action

        row = self.table.currentRow()
        if row < 0 or row >= len(self._ids):
            self.info.setText("Select a delegation first.")
            return
        terms = self._terms()
        if terms is None:
            return
        cats, ends = terms

        def changed(_: object) -> None:
            self.info.setText("Changed.")
            self.refresh()

        self.runner.submit(
            edit_delegation_action,
            self.session,
            self._ids[row],
            cats,
            self.sensitive.isChecked(),
            self.reply.isChecked(),
            self.file.isChecked(),
            ends,
            done=changed,
            failed=lambda exc: QMessageBox.warning(self, "Not changed", plain_error(exc)),
            owner=self,
        )

    def _grant(self) -> None:
        terms = self._terms()
        if terms is None:
            return
        cats, ends = terms
        to = self.delegate.currentText()

        def granted(_: object) -> None:
            self.info.setText(f"Granted to {to}.")
            self.refresh()

        self.runner.submit(
            app_actions.grant_delegation,
            self.session,
            self.physician.currentData(),
            self.delegate.currentData(),
            cats,
            self.sensitive.isChecked(),
            self.reply.isChecked(),
            self.file.isChecked(),
            ends,
            done=granted,
            failed=lambda exc: self.info.setText(plain_error(exc)),
            owner=self,
        )

    def _revoke(self) -> None:
        row = self.table.currentRow()
        if row < 0 or row >= len(self._ids):
            self.info.setText("Select a delegation first.")
            return

        def revoked(_: object) -> None:
            self.info.setText("Revoked.")
            self.refresh()

        self.runner.submit(
            app_actions.revoke_delegation,
            self.session,
            self._ids[row],
            done=revoked,
            failed=lambda exc: QMessageBox.warning(self, "Not revoked", plain_error(exc)),
            owner=self,
        )
