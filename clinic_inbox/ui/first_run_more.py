"""The first run's later, optional steps: the patient portal (with Test connection on a
worker thread), the first colleagues with temporary passwords, and patients from a CSV
export of the clinic's EMR, previewed with every bad line named before anything is
imported. Each page checks what it was given; nothing is written until Create."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyledItemDelegate,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWizardPage,
)

from clinic_inbox.core.accounts import FhirAccount
from clinic_inbox.core.clinic_setup import FirstStaff, csv_preview, staff_problems
from clinic_inbox.core.model import Role

ROLES = [
    ("Receptionist", Role.RECEPTIONIST),
    ("Nurse", Role.NURSE),
    ("Physician", Role.PHYSICIAN),
    ("Administrator", Role.ADMIN),
]
STAFF_ROWS = 6
PREVIEW_ROWS = 200


def _problem_label() -> QLabel:
    label = QLabel("")
    label.setWordWrap(True)
    label.setStyleSheet("color: #b00020;")
    label.setAccessibleName("What to correct")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class PortalPage(QWizardPage):
    """Optional: the clinic's patient portal (FHIR R4), tested before it is kept."""

    def __init__(self, has_keyring: bool = True, why_no_keyring: str = "") -> None:
        from clinic_inbox.ui.first_run import Worker

        super().__init__()
        self.setTitle("The patient portal (optional)")
        self.setSubTitle(
            "If patients write to the clinic through a portal, enter the address and the "
            "access token its provider gave you. Leave it empty to add it later in Settings."
        )
        self.base_url = QLineEdit()
        self.base_url.setPlaceholderText("https://portal.yourclinic.ca/fhir/R4")
        self.base_url.setAccessibleName("Portal address")
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setAccessibleName("Access token")
        self.practitioners = QLineEdit()
        self.practitioners.setPlaceholderText("Practitioner ids, separated by commas")
        self.organization = QLineEdit()
        self.organization.setPlaceholderText("or the clinic's Organization id")
        form = QFormLayout()
        form.addRow("Portal address:", self.base_url)
        form.addRow("Access token:", self.token)
        form.addRow("Messages to practitioners:", self.practitioners)
        form.addRow("Or to the organisation:", self.organization)
        self.test = QPushButton("Test connection")
        self.test.clicked.connect(self.run_test)
        self.result = QLabel("")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        note = QLabel(
            ""
            if has_keyring
            else f"Because {why_no_keyring}, the portal's token cannot be kept on this "
            "computer yet: the portal can be tested here and added once a keyring exists."
        )
        note.setWordWrap(True)
        note.setVisible(not has_keyring)
        lay = QVBoxLayout(self)
        lay.addWidget(note)
        lay.addLayout(form)
        row = QHBoxLayout()
        row.addWidget(self.test)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addWidget(self.result)
        lay.addStretch(1)
        self.worker = Worker()
        self.worker.finished.connect(self._tested)
        self.thread: threading.Thread | None = None

    def given(self) -> bool:
        return bool(self.base_url.text().strip())

    def account(self) -> FhirAccount:
        return FhirAccount(
            name="Patient portal",
            base_url=self.base_url.text().strip(),
            practitioners=[p.strip() for p in self.practitioners.text().split(",") if p.strip()],
            organization=self.organization.text().strip() or None,
        )

    def run_test(self) -> None:
        from clinic_inbox.sources.connection_check import check_fhir
        from clinic_inbox.ui.first_run import start_connection_test

        account, token = self.account(), self.token.text() or None
        start_connection_test(self, account, lambda: check_fhir(account, token))

    def _tested(self, said: Any, error: BaseException | None) -> None:
        from clinic_inbox.ui.actions import plain_error

        self.test.setEnabled(True)
        if error is not None:
            words = str(error) if isinstance(error, Exception) else plain_error(error)
            self.result.setText(f"Problem: {words}")
        else:
            self.result.setText(f"Works: {said}")

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        if not self.given():
            return True
        try:
            self.account().validate()
        except ValueError as exc:
            self.result.setText(str(exc))
            return False
        return True


class _PasswordCell(QStyledItemDelegate):
    """The temporary password column: typed and shown as dots, never in clear."""

    def createEditor(self, parent, option, index):  # noqa: ANN001, ANN201, N802 - Qt's
        editor = QLineEdit(parent)
        editor.setEchoMode(QLineEdit.EchoMode.Password)
        return editor

    def displayText(self, value, locale) -> str:  # noqa: ANN001, N802 - Qt's name
        return "●" * 10 if value else ""  # not even its length shown


class StaffPage(QWizardPage):
    """Optional: the first colleagues, each with a temporary password to give them in
    person; they choose their own at their first sign-in."""

    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Your colleagues (optional)")
        self.setSubTitle(
            "Add the people who will use Clinic Inbox now, or later under Administration. "
            "Each temporary password (at least 12 characters) is replaced by the person "
            "at their first sign-in."
        )
        self.table = QTableWidget(STAFF_ROWS, 4)
        self.table.setHorizontalHeaderLabels(
            ["User name", "Full name", "Role", "Temporary password"]
        )
        self.table.setAccessibleName("Staff to add")
        self.roles: list[QComboBox] = []
        for r in range(STAFF_ROWS):
            box = QComboBox()
            for label, role in ROLES:
                box.addItem(label, role)
            self.table.setCellWidget(r, 2, box)
            self.roles.append(box)
        self.password_cells = _PasswordCell(self.table)
        self.table.setItemDelegateForColumn(3, self.password_cells)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(0, 130)
        self.table.setColumnWidth(1, 200)
        self.table.setColumnWidth(2, 130)
        # six rows, no empty space below them: what to correct stays in view beneath
        self.table.resizeRowsToContents()
        rows_height = sum(self.table.rowHeight(r) for r in range(STAFF_ROWS))
        self.table.setFixedHeight(
            rows_height + self.table.horizontalHeader().sizeHint().height() + 4
        )
        self.problem = _problem_label()
        self.table.itemChanged.connect(lambda _i: self.problem.setText(""))
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)
        lay.addWidget(self.problem)
        lay.addStretch(1)

    def set_row(self, row: int, username: str, name: str, role: Role, password: str) -> None:
        self.table.setItem(row, 0, QTableWidgetItem(username))
        self.table.setItem(row, 1, QTableWidgetItem(name))
        self.roles[row].setCurrentIndex(self.roles[row].findData(role))
        self.table.setItem(row, 3, QTableWidgetItem(password))

    def _text(self, row: int, col: int) -> str:
        item = self.table.item(row, col)
        return item.text().strip() if item is not None else ""

    def staff(self) -> list[FirstStaff]:
        out = []
        for r in range(STAFF_ROWS):
            user, name, pw = self._text(r, 0), self._text(r, 1), self._text(r, 3)
            if user or name or pw:
                out.append(FirstStaff(user, name, Role(self.roles[r].currentData()), pw))
        return out

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        wizard = self.wizard()
        admin = wizard.admin_page.admin()  # type: ignore[attr-defined]
        clinic_name = wizard.details().name  # type: ignore[attr-defined]
        problems = staff_problems(self.staff(), admin.username, clinic_name)
        self.problem.setText("\n".join(problems))
        self.layout().activate()  # the label's full height now, not at the next event
        return not problems


class PatientsPage(QWizardPage):
    """Optional: patients from the EMR's CSV export, shown before anything is kept."""

    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Your patients (optional)")
        self.setSubTitle(
            "Choose a CSV export from your EMR with the columns family_name, given_name, "
            "birth_date, chart_number and email (several addresses separated by ;). "
            "Messages from these addresses are then filed under the right patient. Every "
            "line must be right: nothing is imported until all are."
        )
        self.choose = QPushButton("Choose a CSV file…")
        self.choose.clicked.connect(self._ask_file)
        self.clear = QPushButton("Do not import")
        self.clear.clicked.connect(lambda: self.load(None))
        self.file_label = QLabel("No file chosen.")
        self.file_label.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.choose)
        row.addWidget(self.clear)
        row.addWidget(self.file_label, 1)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(
            ["Family name", "Given name", "Born", "Chart", "Email"]
        )
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setAccessibleName("Patients in the file")
        self.problem = _problem_label()
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.problem)
        self.text: str | None = None
        self.problems: list[tuple[int, str]] = []

    def _ask_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "The patients' CSV file", str(Path.home()), "CSV (*.csv *.txt)"
        )
        if path:
            self.load(Path(path))

    def load(self, path: Path | None) -> None:
        """Read and preview a file (or forget it). The text stays in memory only."""
        self.table.setRowCount(0)
        self.problem.setText("")
        self.text, self.problems = None, []
        if path is None:
            self.file_label.setText("No file chosen.")
            return
        try:
            text = path.read_text("utf-8-sig")
        except UnicodeDecodeError:
            self.file_label.setText(
                f"{path.name} is not a UTF-8 text file. Export it again as CSV (UTF-8)."
            )
            return
        except OSError as exc:
            self.file_label.setText(f"{path.name} could not be read: {exc.strerror}.")
            return
        rows, problems = csv_preview(text)
        self.text, self.problems = text, problems
        bad = {n for n, _ in problems}
        self.table.setRowCount(min(len(rows), PREVIEW_ROWS))
        self.table.setVerticalHeaderLabels([str(n) for n, _ in rows[:PREVIEW_ROWS]])
        for r, (n, d) in enumerate(rows[:PREVIEW_ROWS]):
            values = [d.family_name, d.given_name, d.birth_date or "", d.chart_number or "",
                      "; ".join(d.emails)]  # fmt: skip
            for c, v in enumerate(values):
                item = QTableWidgetItem(v)
                if n in bad:
                    item.setBackground(Qt.GlobalColor.yellow)
                    item.setToolTip("This line needs correcting (see below).")
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        more = f" (the first {PREVIEW_ROWS} shown)" if len(rows) > PREVIEW_ROWS else ""
        if problems:
            self.file_label.setText(
                f"{path.name}: {len(rows)} lines{more}, {len(bad)} to correct. Correct the "
                "file in your EMR or a spreadsheet and choose it again, or do not import."
            )
            self.problem.setText("\n".join(f"Line {n}: {why}" for n, why in problems))
        else:
            self.file_label.setText(f"{path.name}: {len(rows)} patients ready to import{more}.")

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        if self.problems:
            self.problem.setText(
                "Nothing can be imported while lines need correcting:\n"
                + "\n".join(f"Line {n}: {why}" for n, why in self.problems)
            )
            self.layout().activate()
            return False
        return True
