"""Administration > Settings: the clinic's details, hours and turnaround (from
forms/settings_clinic.ui), its mail and portal accounts, and merging duplicate
patients. Administrators only; every change goes through one service on the app's
writer and comes back by signal. Saved settings apply at once, without a restart.
"""

from __future__ import annotations

from PySide6.QtCore import QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QTabWidget,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from clinic_inbox.core import access, services
from clinic_inbox.core import services_settings as settings
from clinic_inbox.core.clinic_file import parse_holidays
from clinic_inbox.core.clinic_setup import ClinicDetails, SetupError, timezone_choices
from clinic_inbox.core.home import Clinic
from clinic_inbox.ui.actions import InlineRunner, Runner, plain_error
from clinic_inbox.ui.login import load_form

TURNAROUND = ("urgent", "same_day", "routine", "admin")


def error_words(exc: BaseException) -> str:
    """Every problem on its own line; the rest as the app words any failure."""
    if isinstance(exc, SetupError):
        return "\n".join(exc.problems)
    return plain_error(exc)


class ClinicTab(QWidget):
    """The clinic's details and policy, from the Designer form."""

    def __init__(self, clinic: Clinic, session: services.Session, runner: Runner) -> None:
        super().__init__()
        self.clinic, self.session, self.runner = clinic, session, runner
        self.form = load_form("settings_clinic.ui", self)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.form)
        f = self.form
        self.name: QLineEdit = f.findChild(QLineEdit, "name")
        self.phone: QLineEdit = f.findChild(QLineEdit, "phone")
        self.timezone: QComboBox = f.findChild(QComboBox, "timezone")
        self.emergency: QLineEdit = f.findChild(QLineEdit, "emergency")
        self.crisis: QLineEdit = f.findChild(QLineEdit, "crisis")
        self.english: QCheckBox = f.findChild(QCheckBox, "english")
        self.french: QCheckBox = f.findChild(QCheckBox, "french")
        self.holidays: QLineEdit = f.findChild(QLineEdit, "holidays")
        self.problem: QLabel = f.findChild(QLabel, "problem")
        self.said: QLabel = f.findChild(QLabel, "said")
        self.save: QPushButton = f.findChild(QPushButton, "save")
        self.days = {
            i: (
                f.findChild(QCheckBox, f"open{i}"),
                f.findChild(QTimeEdit, f"opens{i}"),
                f.findChild(QTimeEdit, f"closes{i}"),
            )
            for i in range(7)
        }
        for box, a, b in self.days.values():
            box.toggled.connect(a.setEnabled)
            box.toggled.connect(b.setEnabled)
        self.turnaround = {k: f.findChild(QDoubleSpinBox, f"turn_{k}") for k in TURNAROUND}
        self.timezone.addItems(timezone_choices())
        self.save.clicked.connect(self.submit)
        for edit in f.findChildren(QLineEdit):
            edit.textEdited.connect(lambda _t: self.problem.setText(""))
        self.fill(settings.clinic_details(clinic, session))

    def fill(self, d: ClinicDetails) -> None:
        self.name.setText(d.name)
        self.phone.setText(d.phone)
        self.timezone.setCurrentText(d.timezone)
        self.emergency.setText(d.emergency_number)
        self.crisis.setText(d.crisis_line)
        self.english.setChecked("en" in d.languages)
        self.french.setChecked("fr" in d.languages)
        self.holidays.setText(", ".join(x.isoformat() for x in d.holidays))
        for i, (box, a, b) in self.days.items():
            opens, closes = (d.hours or {}).get(i, ("08:30", "17:00"))
            a.setTime(QTime.fromString(opens, "HH:mm"))
            b.setTime(QTime.fromString(closes, "HH:mm"))
            box.setChecked(i in (d.hours or {}))
            a.setEnabled(box.isChecked())
            b.setEnabled(box.isChecked())
        for key, spin in self.turnaround.items():
            spin.setValue((d.turnaround_hours or {}).get(key, spin.value()))

    def details(self) -> tuple[ClinicDetails, list[str]]:
        """What the form says, and what could not even be read (a mistyped date)."""
        holidays, problems = parse_holidays(self.holidays.text())
        langs = tuple(c for c, b in (("en", self.english), ("fr", self.french)) if b.isChecked())
        hours = {
            i: (a.time().toString("HH:mm"), b.time().toString("HH:mm"))
            for i, (box, a, b) in self.days.items()
            if box.isChecked()
        }
        details = ClinicDetails(
            name=self.name.text(),
            phone=self.phone.text(),
            timezone=self.timezone.currentText().strip(),
            emergency_number=self.emergency.text(),
            crisis_line=self.crisis.text(),
            languages=langs,
            hours=hours,
            holidays=holidays,
            turnaround_hours={k: s.value() for k, s in self.turnaround.items()},
        )
        return details, problems

    def submit(self) -> None:
        details, problems = self.details()
        self.said.setText("")
        if problems:
            self.problem.setText("\n".join(problems))
            return
        self.save.setEnabled(False)
        self.runner.submit(
            settings.save_clinic_details_action,
            self.session,
            details,
            done=self._saved,
            failed=self._failed,
            owner=self,
        )

    def _saved(self, changed: list[str]) -> None:
        self.save.setEnabled(True)
        self.problem.setText("")
        # the writer has its own copy of the clinic: this window's reads the file too
        from clinic_inbox.core.config import load_config

        self.clinic.config = load_config(self.clinic.home)
        window = self.window().parentWidget()  # the main window names the clinic
        if isinstance(window, QMainWindow):
            window.setWindowTitle(f"Clinic Inbox — {self.clinic.config.name}")
        if changed:
            names = ", ".join(c.replace("_", " ") for c in changed)
            self.said.setText(f"Saved ({names}). New messages and letters use it from now on.")
        else:
            self.said.setText("Nothing had changed.")

    def _failed(self, exc: BaseException) -> None:
        self.save.setEnabled(True)
        self.problem.setText(error_words(exc))


class SettingsDialog(QDialog):
    def __init__(
        self,
        clinic: Clinic,
        session: services.Session,
        parent: QWidget | None = None,
        *,
        runner: Runner | None = None,
    ) -> None:
        super().__init__(parent)
        access.require(
            access.can_manage_settings(session.staff), "Only an administrator can open Settings."
        )
        from clinic_inbox.ui.settings_accounts import AccountsTab
        from clinic_inbox.ui.settings_backups import BackupsTab
        from clinic_inbox.ui.settings_merge import MergeTab
        from clinic_inbox.ui.settings_templates import TemplatesTab
        from clinic_inbox.ui.settings_triage_words import UrgentWordsTab

        self.clinic, self.session = clinic, session
        self.runner: Runner = runner if runner is not None else InlineRunner(clinic, self)
        self.setWindowTitle("Settings — Clinic Inbox")
        self.tabs = QTabWidget()
        self.clinic_tab = ClinicTab(clinic, session, self.runner)
        self.accounts_tab = AccountsTab(clinic, session, self.runner)
        self.merge_tab = MergeTab(clinic, session, self.runner)
        self.tabs.addTab(self.clinic_tab, "The clinic")
        self.tabs.addTab(self.accounts_tab, "Email and portal accounts")
        self.tabs.addTab(self.merge_tab, "Duplicate patients")
        self.backups_tab = BackupsTab(clinic, session, self.runner)
        self.tabs.addTab(self.backups_tab, "Backups")
        self.words_tab = UrgentWordsTab(clinic, session, self.runner)
        self.tabs.addTab(self.words_tab, "Urgent words")
        self.templates_tab = TemplatesTab(clinic, session, self.runner)
        self.tabs.addTab(self.templates_tab, "Reply templates")
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.tabs)
        lay.addWidget(close)
        # fits a 1366x768 laptop screen with the taskbar
        self.resize(1000, 620)
