"""Linking a message from an unknown address to a patient's chart: type part of a
name, a chart number or a birth date, pick the patient, confirm."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from clinic_inbox.core import app_actions, services
from clinic_inbox.core.home import Clinic
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
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Link")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
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
        self.results.itemDoubleClicked.connect(lambda _i: self.accept())
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.resize(520, 420)

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
        elif len(found) == 1:
            self.results.setCurrentRow(0)

    def _can_link(self) -> None:
        ok = self.results.currentRow() >= 0 and self.sender_is is not None
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def choose(self, key: str) -> None:
        self.who_box.findChild(QRadioButton, f"who-{key}").setChecked(True)

    @property
    def sender_is(self) -> str | None:
        checked = self.who.checkedButton()
        return checked.objectName().removeprefix("who-") if checked else None

    def accept(self) -> None:
        item = self.results.currentItem()
        if item is None or item.data(Qt.ItemDataRole.UserRole) is None:
            return
        if self.sender_is is None:
            return  # "Link" waits for the answer (see _can_link)
        self.patient_id = int(item.data(Qt.ItemDataRole.UserRole))
        super().accept()
