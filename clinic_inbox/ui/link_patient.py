"""Linking a message from an unknown address to a patient's chart: type part of a
name, a chart number or a birth date, pick the patient, confirm.

Linking is deliberate: Enter searches, it never links; the chosen patient is always
confirmed in a second step that names them (name, date of birth, chart number), with
Cancel as the default button. A message from a daughter about her mother was once
filed under another patient in one keystroke."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from clinic_inbox.core import app_actions, services
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Patient
from clinic_inbox.ui.actions import InlineRunner, Runner, plain_error

WHO = [
    ("patient", "The patient: remember this address for their next messages"),
    ("proxy", "Someone writing for them, authorised on their record (caregiver, parent…)"),
    ("other", "Someone else: file it under the patient, remember nothing"),
]


class LinkPatientDialog(QDialog):
    def __init__(
        self,
        clinic: Clinic,
        session: services.Session,
        sender: str,
        parent: QWidget | None = None,
        runner: Runner | None = None,
    ) -> None:
        super().__init__(parent)
        self.clinic, self.session = clinic, session
        # the search is audited (a write): it runs on the app's writer
        self.runner: Runner = runner if runner is not None else InlineRunner(clinic, self)
        self.patient_id: int | None = None
        self.sender = sender
        self._found_patients: dict[int, Patient] = {}
        self.confirm_box: QMessageBox | None = None  # tests reach it here
        self.setWindowTitle("Link to a patient")
        intro = QLabel(
            f"This message came from <b>{sender or 'an unknown address'}</b>, which is not "
            "on any chart. Find the patient it is about (check the date of birth), then "
            "say who wrote it."
        )
        intro.setWordWrap(True)
        self.query = QLineEdit()
        self.query.setPlaceholderText("Name, chart number or date of birth (YYYY-MM-DD)")
        self.query.setAccessibleName("Find a patient")
        self.results = QListWidget()
        self.results.setAccessibleName("Patients found")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Link…")
        ok.setEnabled(False)
        # no button answers Enter: Enter searches (in the box) or asks (in the list)
        for b in self.buttons.buttons():
            if isinstance(b, QPushButton):
                b.setAutoDefault(False)
                b.setDefault(False)
        # who wrote decides whose address this becomes: never a proxy's as the patient's own
        self.who = QButtonGroup(self)
        self.who_box = QGroupBox("Who wrote it?")
        who_lay = QVBoxLayout(self.who_box)
        for key, words in WHO:
            button = QRadioButton(words)
            button.setObjectName(f"who-{key}")
            self.who.addButton(button)
            who_lay.addWidget(button)
        lay = QVBoxLayout(self)
        for w in (intro, self.query, self.results, self.who_box, self.buttons):
            lay.addWidget(w)
        self.query.returnPressed.connect(self.search)
        self.results.currentRowChanged.connect(lambda _r: self._can_link())
        self.who.buttonToggled.connect(lambda *_: self._can_link())
        self.results.itemDoubleClicked.connect(lambda _i: self.request_link())
        self.results.installEventFilter(self)
        self.buttons.accepted.connect(self.request_link)
        self.buttons.rejected.connect(self.reject)
        self.resize(560, 420)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.query.hasFocus():
                self.search()
            return  # never QDialog's default: that would link without asking
        super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if (
            watched is self.results
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self.request_link()
            return True
        return super().eventFilter(watched, event)

    def search(self) -> None:
        self.results.clear()
        self.runner.submit(
            app_actions.find_patients,
            self.session,
            self.query.text(),
            done=self._found,
            failed=lambda exc: self.results.addItem(QListWidgetItem(plain_error(exc))),
            owner=self,
        )

    def _found(self, found: list) -> None:
        self.results.clear()
        self._found_patients = {p.id: p for p in found}
        for p in found:
            born = p.birth_date or "birth date unknown"
            item = QListWidgetItem(
                f"{p.family_name}, {p.given_name}  —  born {born}  —  chart {p.chart_number or '?'}"
            )
            item.setData(Qt.ItemDataRole.UserRole, p.id)
            self.results.addItem(item)
        if not found:
            self.results.addItem(QListWidgetItem("No patient matches; try fewer letters."))
            self.results.item(0).setFlags(Qt.ItemFlag.NoItemFlags)
        # nothing is chosen for the person, even when one patient matches

    def _can_link(self) -> None:
        ok = self.results.currentRow() >= 0 and self.sender_is is not None
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def choose(self, key: str) -> None:
        self.who_box.findChild(QRadioButton, f"who-{key}").setChecked(True)

    @property
    def sender_is(self) -> str | None:
        checked = self.who.checkedButton()
        return checked.objectName().removeprefix("who-") if checked else None

    def chosen(self) -> Patient | None:
        item = self.results.currentItem()
        if item is None or item.data(Qt.ItemDataRole.UserRole) is None:
            return None
        return self._found_patients.get(int(item.data(Qt.ItemDataRole.UserRole)))

    def request_link(self) -> None:
        """Ask, naming the patient, before anything is linked."""
        patient = self.chosen()
        if patient is None or self.sender_is is None:
            return  # "Link" waits for both answers (see _can_link)
        box = confirmation(self, patient, self.sender if self.sender_is == "patient" else "")
        self.confirm_box = box
        box.exec()
        if box.clickedButton() is box.property("link_button"):
            self.patient_id = patient.id
            super().accept()

    def accept(self) -> None:
        self.request_link()


def _born(iso: str | None) -> str:
    if not iso:
        return "date of birth not on record"
    try:
        return f"born {date.fromisoformat(iso).strftime('%-d %B %Y')} ({iso})"
    except ValueError:
        return f"born {iso}"


def confirmation(parent: QWidget, patient: Patient, sender: str) -> QMessageBox:
    """ "File under Marie Roy, born 2 June 1941, chart EMR-5?" with Cancel the default."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Link to this patient?")
    box.setText(
        f"File this conversation under <b>{patient.given_name} {patient.family_name}</b>, "
        f"{_born(patient.birth_date)}, chart {patient.chart_number or 'number not on record'}?"
    )
    box.setInformativeText(
        "Check the date of birth with what the message says. "
        + (f"Messages from {sender} will go to this patient's chart from now on." if sender else "")
    )
    link = box.addButton(
        f"Link to {patient.given_name} {patient.family_name}", QMessageBox.ButtonRole.AcceptRole
    )
    cancel = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.setProperty("link_button", link)
    return box


def ask_unlink(parent: QWidget, patient: Patient) -> bool | None:
    """Confirm taking a conversation off `patient`'s chart. None: cancelled; else
    whether to take the sender's address off that patient's record too."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Take off this chart?")
    box.setText(
        f"Take this conversation off the chart of <b>{patient.given_name} "
        f"{patient.family_name}</b>, {_born(patient.birth_date)}?"
    )
    box.setInformativeText(
        "It goes back to the unlinked messages, to be filed under the right patient. "
        "This is recorded in the audit trail."
    )
    forget = QCheckBox(f"Also remove the sender's address from {patient.given_name}'s record")
    forget.setChecked(True)
    box.setCheckBox(forget)
    take = box.addButton("Take off this chart", QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    parent.setProperty("unlink_box", box)  # tests reach it here
    box.exec()
    if box.clickedButton() is not take:
        return None
    return forget.isChecked()
