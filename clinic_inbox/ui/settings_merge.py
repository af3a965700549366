"""Settings > Duplicate patients: the records that may be one person twice (same name
and date of birth, or names differing only by accents, capitals or hyphens) listed as
"possible duplicate" with the merge one click away; or find the two records by hand.
Either way, choose which is kept and merge after a confirmation that names both
(Cancel is the default). Nothing is ever merged without that confirmation."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
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
from clinic_inbox.core import services_patient_duplicates as services_dup
from clinic_inbox.core import services_patient_merge as merge
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Patient
from clinic_inbox.core.patient_duplicates import PatientIdentity, PossibleDuplicate
from clinic_inbox.core.services_patients import search_patients
from clinic_inbox.ui.actions import Runner, plain_error


def _line(p: Patient) -> str:
    return (
        f"{p.family_name}, {p.given_name} — born {p.birth_date or 'unknown'} — chart "
        f"{p.chart_number or 'none'} — no. {p.id}"
    )


def _patient(p: PatientIdentity) -> Patient:
    # what the merge needs of a listed record (its id and the words the labels show)
    return Patient(p.id, p.family_name, p.given_name, p.birth_date, p.chart_number, p.portal_id)


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
        self.suspects_title = QLabel("Possible duplicates")
        self.suspects = QListWidget()
        self.suspects.setAccessibleName("Possible duplicate records")
        self.suspects.setWordWrap(True)
        self.suspects.setAlternatingRowColors(True)  # where one pair ends
        self.suspects.itemDoubleClicked.connect(lambda _i: self.merge_suspect())
        self.merge_suspect_button = QPushButton("Merge these two…")
        self.merge_suspect_button.clicked.connect(self.merge_suspect)
        self.swap_button = QPushButton("Keep the other one")
        self.swap_button.setToolTip("Keep the second record and merge the first into it")
        self.swap_button.clicked.connect(lambda: self.merge_suspect(swap=True))
        self.distinct_button = QPushButton("Not the same person…")
        self.distinct_button.setToolTip("Two people: stop listing these two records")
        self.distinct_button.clicked.connect(self.ask_distinct)
        self.marked_button = QPushButton("Marked as two people…")
        self.marked_button.setToolTip("The pairs marked as two people, to take a decision back")
        self.marked_button.clicked.connect(self.show_marked)
        self.marked_dialog: MarkedDialog | None = None  # tests reach it here
        look = QPushButton("Look again")
        look.clicked.connect(self.load_suspects)
        suspect_row = QHBoxLayout()
        suspect_row.addWidget(self.merge_suspect_button)
        suspect_row.addWidget(self.swap_button)
        suspect_row.addWidget(self.distinct_button)
        suspect_row.addStretch(1)
        suspect_row.addWidget(self.marked_button)
        suspect_row.addWidget(look)
        by_hand = QLabel("Or find the two records yourself:")
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
        lay.addWidget(self.suspects_title)
        lay.addWidget(self.suspects, 1)
        lay.addLayout(suspect_row)
        lay.addWidget(by_hand)
        lay.addLayout(row)
        lay.addWidget(self.results, 1)
        lay.addLayout(picks)
        lay.addWidget(self.keep_label)
        lay.addWidget(self.dup_label)
        lay.addWidget(self.merge_button, 0, Qt.AlignmentFlag.AlignLeft)
        lay.addWidget(self.result)
        self.chosen: dict[str, Patient] = {}
        self.confirm_box: QMessageBox | None = None  # tests reach the question here
        self.load_suspects()

    def load_suspects(self) -> None:
        """The possible duplicates as the store holds them now (a sync or an import
        may have made new ones since the tab was opened), looked for on the runner."""
        self.suspects_title.setText("Possible duplicates: looking…")
        self.runner.submit(
            services_dup.possible_duplicates_action,
            self.session,
            done=self._show_suspects,
            failed=lambda exc: self.result.setText(plain_error(exc)),
            owner=self,
        )

    def _show_suspects(self, found: list[PossibleDuplicate]) -> None:
        self.suspects.clear()
        for d in found:
            item = QListWidgetItem(
                f"Possible duplicate: {d.describe()}\n   {d.keep.line()}\n   {d.duplicate.line()}"
            )
            item.setData(Qt.ItemDataRole.UserRole, d)
            self.suspects.addItem(item)
        if found:
            self.suspects.setCurrentRow(0)
            self.suspects_title.setText(
                f"Possible duplicates ({len(found)}): check each with the patient's file; "
                "nothing is merged until you confirm"
            )
        else:
            self.suspects_title.setText("Possible duplicates: none found")
        for b in (self.merge_suspect_button, self.swap_button, self.distinct_button):
            b.setEnabled(bool(found))

    def show_marked(self) -> None:
        try:
            pairs = services_dup.marked_distinct(self.clinic, self.session)
        except Exception as exc:  # noqa: BLE001 - said in words
            self.result.setText(plain_error(exc))
            return
        self.marked_dialog = MarkedDialog(self, pairs)
        self.marked_dialog.exec()
        self.load_suspects()  # a decision taken back lists its pair again

    def ask_distinct(self) -> None:
        """Two people after all: asked first (Cancel is the default), then not listed."""
        item = self.suspects.currentItem()
        if item is None:
            self.result.setText("Choose a possible duplicate in the list first.")
            return
        d: PossibleDuplicate = item.data(Qt.ItemDataRole.UserRole)
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Two different people?")
        box.setText(
            f"{d.keep.line()}\n{d.duplicate.line()}\n\nYou checked, and these are two "
            "different people? They will no longer be listed as a possible duplicate."
        )
        yes = box.addButton("Two people", QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(cancel)
        box.setProperty("distinct_button", yes)
        self.confirm_box = box
        box.exec()
        if box.clickedButton() is not yes:
            return
        self.runner.submit(
            services_dup.not_the_same_person_action,
            self.session,
            d.keep.id,
            d.duplicate.id,
            done=lambda _v: self._distinct_done(d),
            failed=lambda exc: self._failed(exc),
            owner=self,
        )

    def _distinct_done(self, d: PossibleDuplicate) -> None:
        self.result.setText(
            f"No longer listed: {d.keep.display_name} (no. {d.keep.id}) and "
            f"{d.duplicate.display_name} (no. {d.duplicate.id}) are two people."
        )
        self.load_suspects()

    def merge_suspect(self, swap: bool = False) -> None:
        """The chosen pair goes to the same confirmation as a pair found by hand."""
        item = self.suspects.currentItem()
        if item is None:
            self.result.setText("Choose a possible duplicate in the list first.")
            return
        d: PossibleDuplicate = item.data(Qt.ItemDataRole.UserRole)
        keep, dup = (d.duplicate, d.keep) if swap else (d.keep, d.duplicate)
        self.chosen = {"keep": _patient(keep), "duplicate": _patient(dup)}
        self._show_chosen()
        self.ask_merge()

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
        self._show_chosen()

    def _show_chosen(self) -> None:
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
        self.load_suspects()

    def _failed(self, exc: BaseException) -> None:
        self.merge_button.setEnabled(len(self.chosen) == 2)
        self.result.setText(plain_error(exc))


class MarkedDialog(QDialog):
    """The pairs marked as two people; a wrong decision is taken back here."""

    def __init__(self, tab: MergeTab, pairs: list[tuple[PatientIdentity, PatientIdentity]]) -> None:
        super().__init__(tab)
        self.tab = tab
        self.setWindowTitle("Marked as two people — Clinic Inbox")
        self.list = QListWidget()
        self.list.setAccessibleName("Pairs marked as two people")
        self.list.setAlternatingRowColors(True)
        for a, b in pairs:
            item = QListWidgetItem(f"{a.line()}\n{b.line()}")
            item.setData(Qt.ItemDataRole.UserRole, (a.id, b.id))
            self.list.addItem(item)
        self.take_back = QPushButton("Take back: they may be one person")
        self.take_back.clicked.connect(self.undo)
        self.take_back.setEnabled(bool(pairs))
        self.said = QLabel("" if pairs else "No pair is marked as two people.")
        self.said.setWordWrap(True)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.list, 1)
        lay.addWidget(self.take_back, 0, Qt.AlignmentFlag.AlignLeft)
        lay.addWidget(self.said)
        lay.addWidget(close)
        self.resize(760, 360)

    def undo(self) -> None:
        item = self.list.currentItem()
        if item is None:
            self.said.setText("Choose a pair in the list first.")
            return
        a, b = item.data(Qt.ItemDataRole.UserRole)
        self.tab.runner.submit(
            services_dup.take_back_distinct_action,
            self.tab.session,
            a,
            b,
            done=lambda _v: self._taken_back(item),
            failed=lambda exc: self.said.setText(plain_error(exc)),
            owner=self,
        )

    def _taken_back(self, item: QListWidgetItem) -> None:
        self.list.takeItem(self.list.row(item))
        self.said.setText("Taken back: the pair is listed again if it still looks like one person.")
