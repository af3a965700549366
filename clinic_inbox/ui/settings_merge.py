"""Settings > Duplicate patients: find the two records of one person, choose which is
kept, and merge after a confirmation that names both (Cancel is the default)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_inbox.core import services
from clinic_inbox.core import services_patient_merge as merge
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Patient
from clinic_inbox.core.services_patients import search_patients
from clinic_inbox.ui.actions import Runner, plain_error


def _line(p: Patient) -> str:
    return (
        f"{p.family_name}, {p.given_name} — born {p.birth_date or 'unknown'} — chart "
        f"{p.chart_number or 'none'} — no. {p.id}"
    )


class MergeTab(QWidget):
    def __init__(self, clinic: Clinic, session: services.Session, runner: Runner) -> None:
        super().__init__()
        self.clinic, self.session, self.runner = clinic, session, runner
        intro = QLabel(
            "When one person has two records (for example one made by a portal sync and one "
            "imported from the EMR), merge them: the duplicate's conversations, email "
            "addresses, agreements and proxies move to the record you keep."
        )
        intro.setWordWrap(True)
        self.query = QLineEdit()
        self.query.setPlaceholderText("Name, chart number or date of birth (YYYY-MM-DD)")
        self.query.setAccessibleName("Find a patient")
        find = QPushButton("Find")
        find.clicked.connect(self.find)
        self.query.returnPressed.connect(self.find)
        row = QHBoxLayout()
        row.addWidget(self.query, 1)
        row.addWidget(find)
        self.results = QListWidget()
        self.results.setAccessibleName("Patients found")
        self.keep_button = QPushButton("Keep this record")
        self.dup_button = QPushButton("This one is the duplicate")
        self.keep_button.clicked.connect(lambda: self.choose("keep"))
        self.dup_button.clicked.connect(lambda: self.choose("duplicate"))
        picks = QHBoxLayout()
        picks.addWidget(self.keep_button)
        picks.addWidget(self.dup_button)
        picks.addStretch(1)
        self.keep_label = QLabel("Record kept: not chosen")
        self.dup_label = QLabel("Duplicate: not chosen")
        self.merge_button = QPushButton("Merge…")
        self.merge_button.setEnabled(False)
        self.merge_button.clicked.connect(self.ask_merge)
        self.result = QLabel("")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addLayout(row)
        lay.addWidget(self.results, 1)
        lay.addLayout(picks)
        lay.addWidget(self.keep_label)
        lay.addWidget(self.dup_label)
        lay.addWidget(self.merge_button, 0, Qt.AlignmentFlag.AlignLeft)
        lay.addWidget(self.result)
        self.chosen: dict[str, Patient] = {}
        self.confirm_box: QMessageBox | None = None  # tests reach the question here

    def find(self) -> None:
        text = self.query.text().strip()
        if not text:
            return
        try:
            found = search_patients(self.clinic, self.session, text)
        except Exception as exc:  # noqa: BLE001 - said in words
            self.result.setText(plain_error(exc))
            return
        self.results.clear()
        for p in found:
            item = QListWidgetItem(_line(p))
            item.setData(Qt.ItemDataRole.UserRole, p)
            self.results.addItem(item)
        self.result.setText("" if found else "No patient matches.")

    def choose(self, which: str) -> None:
        item = self.results.currentItem()
        if item is None:
            self.result.setText("Choose a patient in the list first.")
            return
        self.chosen[which] = item.data(Qt.ItemDataRole.UserRole)
        for key, label, title in (
            ("keep", self.keep_label, "Record kept"),
            ("duplicate", self.dup_label, "Duplicate"),
        ):
            p = self.chosen.get(key)
            label.setText(f"{title}: {_line(p) if p else 'not chosen'}")
        self.merge_button.setEnabled(len(self.chosen) == 2)

    def ask_merge(self) -> None:
        keep, dup = self.chosen.get("keep"), self.chosen.get("duplicate")
        if keep is None or dup is None:
            return
        try:
            preview = merge.preview_merge(self.clinic, self.session, keep.id, dup.id)
        except Exception as exc:  # noqa: BLE001 - two people, the same record...: said
            self.result.setText(plain_error(exc))
            return
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Merge these two records?")
        box.setText(preview.describe())
        go = box.addButton("Merge", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(cancel)
        box.setProperty("merge_button", go)
        self.confirm_box = box
        box.exec()
        if box.clickedButton() is not go:
            self.result.setText("Nothing was merged.")
            return
        self.merge_button.setEnabled(False)
        self.runner.submit(
            merge.merge_patients_action,
            self.session,
            keep.id,
            dup.id,
            done=self._merged,
            failed=lambda exc: self._failed(exc),
            owner=self,
        )

    def _merged(self, patient: Patient) -> None:
        self.chosen.clear()
        self.keep_label.setText("Record kept: not chosen")
        self.dup_label.setText("Duplicate: not chosen")
        self.results.clear()
        self.result.setText(
            f"Merged: {patient.display_name} now has one record (no. {patient.id})."
        )

    def _failed(self, exc: BaseException) -> None:
        self.merge_button.setEnabled(len(self.chosen) == 2)
        self.result.setText(plain_error(exc))
