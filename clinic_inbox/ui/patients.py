"""Patients in the app: find, add and correct (name, date of birth, chart number, the
email addresses they write from). Every read and change runs on the app's writer
through services_patients (access checked, audited)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_inbox.core import app_actions_patients as actions
from clinic_inbox.core import services
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Patient
from clinic_inbox.core.services_patients import PatientDetails
from clinic_inbox.ui.actions import InlineRunner, Runner, plain_error


class PatientForm(QDialog):
    """Add a patient (`patient` None) or correct one. `saved` holds the result."""

    def __init__(
        self,
        clinic: Clinic,
        session: services.Session,
        runner: Runner,
        patient: Patient | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.clinic, self.session, self.runner, self.patient = clinic, session, runner, patient
        self.saved: Patient | None = None
        self.setWindowTitle("Correct a patient's details" if patient else "Add a patient")
        self.family, self.given = QLineEdit(), QLineEdit()
        self.born = QLineEdit()
        self.born.setPlaceholderText("YYYY-MM-DD, e.g. 1984-02-29")
        self.chart = QLineEdit()
        self.chart.setPlaceholderText("the chart number in your EMR")
        self.emails = QPlainTextEdit()
        self.emails.setPlaceholderText("one address per line")
        self.emails.setFixedHeight(72)
        if patient is not None:
            self.family.setText(patient.family_name)
            self.given.setText(patient.given_name)
            self.born.setText(patient.birth_date or "")
            self.chart.setText(patient.chart_number or "")
            self.emails.setPlainText("\n".join(patient.emails))
        form = QFormLayout()
        form.addRow("Family name:", self.family)
        form.addRow("Given name:", self.given)
        form.addRow("Date of birth:", self.born)
        form.addRow("Chart number:", self.chart)
        form.addRow("Email addresses:", self.emails)
        self.problem = QLabel("")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b00020;")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.problem)
        lay.addWidget(self.buttons)
        self.resize(520, 340)

    def details(self) -> PatientDetails:
        return PatientDetails(
            self.family.text(),
            self.given.text(),
            self.born.text(),
            self.chart.text(),
            tuple(self.emails.toPlainText().split()),
        )

    def save(self) -> None:
        def done(p: Patient) -> None:
            self.saved = p
            self.accept()

        def failed(exc: BaseException) -> None:
            self.problem.setText(plain_error(exc))

        if self.patient is None:
            self.runner.submit(
                actions.add_patient, self.session, self.details(), done=done, failed=failed,
                owner=self,
            )  # fmt: skip
        else:
            self.runner.submit(
                actions.edit_patient, self.session, self.patient.id, self.details(), done=done,
                failed=failed, owner=self,
            )  # fmt: skip


class PatientsDialog(QDialog):
    def __init__(
        self,
        clinic: Clinic,
        session: services.Session,
        parent: QWidget | None = None,
        runner: Runner | None = None,
    ) -> None:
        super().__init__(parent)
        self.clinic, self.session = clinic, session
        self.runner: Runner = runner if runner is not None else InlineRunner(clinic, self)
        self.setWindowTitle("Patients — Clinic Inbox")
        self.query = QLineEdit()
        self.query.setPlaceholderText("Name, chart number or date of birth, then Enter")
        self.query.returnPressed.connect(self.search)
        self.results = QListWidget()
        self.results.itemDoubleClicked.connect(lambda _i: self.edit_selected())
        self.add = QPushButton("Add a patient…")
        self.edit = QPushButton("Correct the selected patient…")
        self.add.clicked.connect(self.add_patient)
        self.edit.clicked.connect(self.edit_selected)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.found: dict[int, Patient] = {}
        self.form: PatientForm | None = None  # tests reach it here
        row = QHBoxLayout()
        row.addWidget(self.add)
        row.addWidget(self.edit)
        row.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addWidget(self.query)
        lay.addWidget(self.results, 1)
        lay.addLayout(row)
        lay.addWidget(self.message)
        self.resize(620, 460)

    def search(self) -> None:
        self.message.setText("")
        self.runner.submit(
            actions.find_patients,
            self.session,
            self.query.text(),
            done=self._found,
            failed=lambda exc: self.message.setText(plain_error(exc)),
            owner=self,
        )

    def _found(self, found: list[Patient]) -> None:
        self.results.clear()
        self.found = {p.id: p for p in found}
        for p in found:
            item = QListWidgetItem(
                f"{p.family_name}, {p.given_name}  —  born {p.birth_date or 'unknown'}  —  "
                f"chart {p.chart_number or 'none'}"
            )
            item.setData(Qt.ItemDataRole.UserRole, p.id)
            self.results.addItem(item)
        if not found:
            self.message.setText("No patient matches. Add them with the button.")

    def _open_form(self, patient: Patient | None) -> None:
        self.form = PatientForm(self.clinic, self.session, self.runner, patient, self)
        if self.form.exec() and self.form.saved is not None:
            p = self.form.saved
            self.query.setText(p.chart_number or f"{p.family_name} {p.given_name}")
            self.search()
            self.message.setText(
                f"Saved: {p.given_name} {p.family_name}, born {p.birth_date or 'unknown'}."
            )

    def add_patient(self) -> None:
        self._open_form(None)

    def edit_selected(self) -> None:
        item = self.results.currentItem()
        if item is None:
            self.message.setText("Choose a patient in the list first.")
            return
        self._open_form(self.found[int(item.data(Qt.ItemDataRole.UserRole))])
