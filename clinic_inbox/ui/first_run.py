"""The first run: when no clinic exists, a short sequence sets one up in the app.

The clinic's own details (nothing from the demo), opening hours and turnaround, the
administrator (checked before anything is written), an optional email account with
"Test connection", then the recovery code, shown once. Network checks and the
creation itself run on worker threads; results come back by signal, and only the
GUI thread touches widgets.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTime, Signal
from PySide6.QtGui import QPageSize, QPdfWriter, QTextDocument
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from clinic_inbox.core.clinic_setup import (
    ClinicDetails,
    FirstAdmin,
    FirstRunResult,
    SetupError,
    run_first_setup,
    timezone_choices,
)
from clinic_inbox.core.config import DAYS, load_config
from clinic_inbox.core.keys import MIN_PASSPHRASE

TURNAROUND = [
    ("urgent", "Urgent"),
    ("same_day", "Same day"),
    ("routine", "Routine"),
    ("admin", "Admin"),
]


class Worker(QObject):
    """Runs one function on a thread of its own; the answer comes back by signal, on
    the GUI thread (a queued connection), so the function never touches a widget."""

    finished = Signal(object, object)  # value, error

    def run(self, fn: Callable[[], Any]) -> threading.Thread:
        def body() -> None:
            try:
                value = fn()
            except BaseException as exc:  # noqa: BLE001 - handed to the GUI thread
                self.finished.emit(None, exc)
            else:
                self.finished.emit(value, None)

        thread = threading.Thread(target=body, name="first-run", daemon=True)
        thread.start()
        return thread


def start_connection_test(page: Any, account: Any, probe: Callable[[], Any]) -> None:
    """Test connection, for a page with `result`, `test` and `worker`: the account's own
    fields are checked first, then `probe` runs on the worker (it holds plain values,
    never a widget); the answer comes back to the page's `_tested`."""
    try:
        account.validate()
    except ValueError as exc:
        page.result.setText(str(exc))
        return
    page.test.setEnabled(False)
    page.result.setText("Testing… (this can take up to 15 seconds)")
    page.thread = page.worker.run(probe)


def _problem_label() -> QLabel:
    label = QLabel("")
    label.setWordWrap(True)
    label.setStyleSheet("color: #b00020;")
    label.setAccessibleName("What to correct")
    return label


def _show_problems(page: QWidget, label: QLabel, problems: list[str]) -> None:
    label.setText("\n".join(problems))
    if page.layout() is not None:
        page.layout().activate()  # the label's new height now, not at the next event


def _clear_on_edit(page: QWidget, problem: QLabel) -> None:
    """What was wrong goes away as soon as the person starts correcting it."""
    for edit in page.findChildren(QLineEdit):
        edit.textChanged.connect(lambda _t: problem.setText(""))


class ClinicPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Your clinic")
        self.setSubTitle(
            "Patients see these details on every automatic reply and on the urgent safety "
            "reply. Nothing is filled in for you: enter your clinic's own."
        )
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. Elm Street Family Practice")
        self.phone = QLineEdit()
        self.phone.setPlaceholderText("the number patients call")
        self.timezone = QComboBox()
        self.timezone.setEditable(True)
        self.timezone.addItems(timezone_choices())
        self.timezone.setCurrentIndex(-1)
        self.timezone.lineEdit().setPlaceholderText("choose or type, e.g. America/Toronto")
        self.emergency = QLineEdit("911")
        self.crisis = QLineEdit("9-8-8")
        self.confirm_numbers = QCheckBox(
            "These are the right emergency and crisis numbers for our patients"
        )
        self.english = QCheckBox("English")
        self.english.setChecked(True)
        self.french = QCheckBox("French")
        langs = QHBoxLayout()
        langs.addWidget(self.english)
        langs.addWidget(self.french)
        langs.addStretch(1)
        form = QFormLayout()
        form.addRow("Clinic name:", self.name)
        form.addRow("Telephone:", self.phone)
        form.addRow("Time zone:", self.timezone)
        form.addRow("Emergency number:", self.emergency)
        form.addRow("Crisis line:", self.crisis)
        form.addRow("", self.confirm_numbers)
        form.addRow("Answers patients in:", langs)
        note = QLabel(
            "911 and 9-8-8 are the Canadian numbers: the safety reply tells a patient who "
            "may need urgent care to call them. Change them if your patients call others."
        )
        note.setWordWrap(True)
        self.problem = _problem_label()
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(note)
        lay.addWidget(self.problem)
        lay.addStretch(1)
        _clear_on_edit(self, self.problem)

    def languages(self) -> tuple[str, ...]:
        return tuple(c for c, box in (("en", self.english), ("fr", self.french)) if box.isChecked())

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        wizard: FirstRunWizard = self.wizard()  # type: ignore[assignment]
        problems = wizard.details().problems()
        if not self.confirm_numbers.isChecked():
            problems.append("Tick the box to confirm the emergency and crisis numbers.")
        if not self.languages():
            problems.append("Choose at least one language the clinic answers in.")
        _show_problems(self, self.problem, problems)
        return not problems


class HoursPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Opening hours and turnaround")
        self.setSubTitle(
            "Response clocks run only while the clinic is open. Patients are told the "
            "turnaround for their kind of message."
        )
        defaults = load_config().hours  # the shipped template hours, a starting point
        grid = QGridLayout()
        self.days: dict[int, tuple[QCheckBox, QTimeEdit, QTimeEdit]] = {}
        for i, day in enumerate(DAYS):
            open_box = QCheckBox(day.title())
            opens, closes = defaults.get(i, (time(8, 30), time(17, 0)))
            a = QTimeEdit(QTime(opens.hour, opens.minute))
            b = QTimeEdit(QTime(closes.hour, closes.minute))
            for t in (a, b):
                t.setDisplayFormat("HH:mm")
            open_box.setChecked(i in defaults)
            open_box.toggled.connect(a.setEnabled)
            open_box.toggled.connect(b.setEnabled)
            a.setEnabled(i in defaults)
            b.setEnabled(i in defaults)
            grid.addWidget(open_box, i, 0)
            grid.addWidget(QLabel("opens"), i, 1)
            grid.addWidget(a, i, 2)
            grid.addWidget(QLabel("closes"), i, 3)
            grid.addWidget(b, i, 4)
            self.days[i] = (open_box, a, b)
        hours_box = QGroupBox("Open on")
        hours_box.setLayout(grid)
        shipped = load_config().turnaround_hours
        turn = QFormLayout()
        self.turnaround: dict[str, QDoubleSpinBox] = {}
        for key, label in TURNAROUND:
            spin = QDoubleSpinBox()
            spin.setRange(0.25, 24 * 14)
            spin.setDecimals(2)
            spin.setSuffix(" working hours")
            spin.setValue(next(v for p, v in shipped.items() if p.value == key))
            turn.addRow(f"{label}:", spin)
            self.turnaround[key] = spin
        turn_box = QGroupBox("Answer within")
        turn_box.setLayout(turn)
        self.problem = _problem_label()
        row = QHBoxLayout()
        row.addWidget(hours_box, 3)
        row.addWidget(turn_box, 2)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        self.holidays = QLineEdit()
        self.holidays.setPlaceholderText("e.g. 2027-01-01, 2027-02-15, 2027-07-01")
        self.holidays.setAccessibleName("Holidays")
        closed = QFormLayout()
        closed.addRow("Closed on (holidays):", self.holidays)
        lay.addLayout(closed)
        lay.addWidget(self.problem)
        lay.addStretch(1)
        _clear_on_edit(self, self.problem)

    def hours(self) -> dict[int, tuple[str, str]]:
        return {
            i: (a.time().toString("HH:mm"), b.time().toString("HH:mm"))
            for i, (box, a, b) in self.days.items()
            if box.isChecked()
        }

    def holiday_dates(self) -> tuple[tuple[date, ...], list[str]]:
        days, problems = [], []
        for part in (p.strip() for p in self.holidays.text().replace(";", ",").split(",")):
            if not part:
                continue
            try:
                days.append(date.fromisoformat(part))
            except ValueError:
                problems.append(f"{part} is not a date like 2027-07-01.")
        return tuple(days), problems

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        problems = ClinicDetails("x", "000", "UTC", hours=self.hours()).problems()
        problems += self.holiday_dates()[1]
        if not self.hours():
            problems.append("Tick at least one day the clinic is open.")
        _show_problems(self, self.problem, problems)
        return not problems


class AdminPage(QWizardPage):
    def __init__(self, needs_passphrase: bool, why_no_keyring: str) -> None:
        super().__init__()
        self.setTitle("The administrator")
        self.setSubTitle(
            "The administrator adds staff and accounts and keeps the audit trail; they do "
            "not read patients' messages. Use at least 12 characters: three or four "
            "unrelated words are easy to remember."
        )
        self.username = QLineEdit()
        self.username.setPlaceholderText("e.g. admin or j.martin")
        self.display = QLineEdit()
        self.password = QLineEdit()
        self.again = QLineEdit()
        for w in (self.password, self.again):
            w.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout()
        form.addRow("User name:", self.username)
        form.addRow("Full name:", self.display)
        form.addRow("Password:", self.password)
        form.addRow("Password again:", self.again)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        self.passphrase = QLineEdit()
        self.passphrase_again = QLineEdit()
        self.needs_passphrase = needs_passphrase
        if needs_passphrase:
            for w in (self.passphrase, self.passphrase_again):
                w.setEchoMode(QLineEdit.EchoMode.Password)
            box = QGroupBox("The clinic's key passphrase")
            inner = QFormLayout(box)
            why = QLabel(
                f"Because {why_no_keyring}, the key that encrypts the clinic's messages is "
                "protected by a passphrase, asked each time the app starts on this computer. "
                f"At least {MIN_PASSPHRASE} characters."
            )
            why.setWordWrap(True)
            inner.addRow(why)
            inner.addRow("Passphrase:", self.passphrase)
            inner.addRow("Passphrase again:", self.passphrase_again)
            lay.addWidget(box)
        self.problem = _problem_label()
        lay.addWidget(self.problem)
        lay.addStretch(1)
        _clear_on_edit(self, self.problem)

    def admin(self) -> FirstAdmin:
        name = self.username.text().strip()
        return FirstAdmin(name, self.display.text().strip() or name, self.password.text())

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        wizard: FirstRunWizard = self.wizard()  # type: ignore[assignment]
        problems = []
        if self.password.text() != self.again.text():
            problems.append("The two passwords differ.")
        problems += self.admin().problems(wizard.details().name)
        if self.needs_passphrase:
            if len(self.passphrase.text()) < MIN_PASSPHRASE:
                problems.append(f"The passphrase needs at least {MIN_PASSPHRASE} characters.")
            elif self.passphrase.text() != self.passphrase_again.text():
                problems.append("The two passphrases differ.")
        _show_problems(self, self.problem, problems)
        return not problems


class EmailPage(QWizardPage):
    """Optional: the clinic's mailbox, with sensible ports and a real test."""

    def __init__(self, has_keyring: bool = True, why_no_keyring: str = "") -> None:
        super().__init__()
        self.setTitle("The clinic's email (optional)")
        self.setSubTitle(
            "The mailbox patients write to. Leave it empty to add it later in Settings."
        )
        self.keyring_note = QLabel(
            ""
            if has_keyring
            else (
                f"Because {why_no_keyring}, Clinic Inbox cannot keep the mailbox's password "
                "on this computer yet, so the account will not be saved. You can still test "
                "it here. Add it once the computer has a keyring (GNOME Keyring, KWallet, "
                "macOS Keychain or Windows Credential Locker)."
            )
        )
        self.keyring_note.setWordWrap(True)
        # account passwords are sealed in the store now (core.account_secrets): kept
        # with or without a keyring, so the old warning no longer applies
        self.keyring_note.setVisible(False)
        # the same Designer form as Settings' email account, without its name row
        from clinic_inbox.ui.login import load_form

        fields = load_form("account_imap.ui")
        form: QFormLayout = fields.layout()
        form.setRowVisible(fields.findChild(QLineEdit, "name"), False)
        self.address: QLineEdit = fields.findChild(QLineEdit, "address")
        self.host: QLineEdit = fields.findChild(QLineEdit, "host")
        self.smtp_host: QLineEdit = fields.findChild(QLineEdit, "smtp_host")
        self.password: QLineEdit = fields.findChild(QLineEdit, "password")
        self.port: QSpinBox = fields.findChild(QSpinBox, "port")
        self.smtp_port: QSpinBox = fields.findChild(QSpinBox, "smtp_port")
        self.security: QComboBox = fields.findChild(QComboBox, "security")
        self.smtp_security: QComboBox = fields.findChild(QComboBox, "smtp_security")
        fields.findChild(QLabel, "addressLabel").setText("Email &address:")
        fields.findChild(QLabel, "passwordLabel").setText("Pass&word:")
        self.address.setPlaceholderText("inbox@yourclinic.ca")
        self.host.setPlaceholderText("imap.yourclinic.ca")
        self.smtp_host.setPlaceholderText("smtp.yourclinic.ca (empty: same as above)")
        self.password.setPlaceholderText("")
        for box in (self.security, self.smtp_security):
            for label, value in (
                ("Secure (TLS)", "tls"),
                ("STARTTLS", "starttls"),
                ("None (test servers only)", "none"),
            ):
                box.addItem(label, value)
        self.port.setValue(993)
        self.smtp_port.setValue(465)
        self.security.currentIndexChanged.connect(self._default_port)
        self.smtp_security.currentIndexChanged.connect(self._default_smtp_port)
        self.test = QPushButton("Test connection")
        self.result = QLabel("")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay = QVBoxLayout(self)
        lay.addWidget(self.keyring_note)
        lay.addWidget(fields)
        row = QHBoxLayout()
        row.addWidget(self.test)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addWidget(self.result)
        lay.addStretch(1)
        self.worker = Worker()
        self.worker.finished.connect(self._tested)
        self.test.clicked.connect(self.run_test)
        self.thread: threading.Thread | None = None

    def _default_port(self) -> None:
        self.port.setValue({"tls": 993}.get(self.security.currentData(), 143))

    def _default_smtp_port(self) -> None:
        self.smtp_port.setValue(
            {"tls": 465, "starttls": 587}.get(self.smtp_security.currentData(), 25)
        )

    def given(self) -> bool:
        return bool(self.address.text().strip() or self.host.text().strip())

    def account(self) -> Any:
        from clinic_inbox.core.accounts import ImapAccount

        address = self.address.text().strip()
        return ImapAccount(
            name="Clinic email",
            host=self.host.text().strip(),
            port=self.port.value(),
            username=address,
            security=self.security.currentData(),
            smtp_host=self.smtp_host.text().strip(),
            smtp_port=self.smtp_port.value(),
            smtp_security=self.smtp_security.currentData(),
            from_address=address,
        )

    def run_test(self) -> None:
        from clinic_inbox.sources.connection_check import check_account

        account, password = self.account(), self.password.text()
        start_connection_test(self, account, lambda: check_account(account, password))

    def _tested(self, answers: Any, error: BaseException | None) -> None:
        self.test.setEnabled(True)
        if error is not None:
            self.result.setText(f"The test could not run: {error}")
            return
        lines = [("Works: " if ok else "Problem: ") + text for ok, text in answers]
        self.result.setText("\n".join(lines))
        self.tested_ok = all(ok for ok, _ in answers)

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        if not self.given():
            return True
        try:
            self.account().validate()
        except ValueError as exc:
            self.result.setText(str(exc))
            return False
        if not self.password.text():
            self.result.setText("Enter the mailbox's password, or empty the address to skip.")
            return False
        return True


class DonePage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Create the clinic")
        self.setSubTitle("Press Create. The recovery code appears here, once.")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.code = QLabel("")
        self.code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.code.setStyleSheet("font-family: monospace; font-size: 15pt; font-weight: bold;")
        self.code.setAccessibleName("Recovery code")
        self.save = QPushButton("Save as PDF…")
        self.save.setVisible(False)
        self.create = QPushButton("Create the clinic")
        self.note = QLabel("")
        self.note.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.create, 0, Qt.AlignmentFlag.AlignLeft)
        lay.addWidget(self.status)
        lay.addWidget(self.code)
        lay.addWidget(self.save, 0, Qt.AlignmentFlag.AlignLeft)
        lay.addWidget(self.note)
        lay.addStretch(1)
        self.done = False

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        return self.done


class FirstRunWizard(QWizard):
    """Sets up a clinic in `home`. `created` is True once it exists."""

    def __init__(
        self,
        home: Path,
        parent: QWidget | None = None,
        *,
        keyring: tuple[bool, str] | None = None,
        custody: Any | None = None,
    ) -> None:
        super().__init__(parent)
        self.home = Path(home)
        self.setWindowTitle("Clinic Inbox — set up your clinic")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.custody = custody  # tests give a KeyCustody on their own keyring
        if custody is not None:
            keyring = (custody.secure_backend_available, custody.why_no_keyring)
        if keyring is None:
            from clinic_inbox.core.keys import detect_secure_backend

            backend, why = detect_secure_backend()
            keyring = (backend is not None, why)
        has_keyring, why = keyring
        self.clinic_page = ClinicPage()
        self.hours_page = HoursPage()
        self.admin_page = AdminPage(not has_keyring, why)
        self.email_page = EmailPage(has_keyring, why)
        from clinic_inbox.ui.first_run_more import PatientsPage, PortalPage, StaffPage

        self.portal_page = PortalPage(has_keyring, why)
        self.staff_page = StaffPage()
        self.patients_page = PatientsPage()
        self.done_page = DonePage()
        for page in (
            self.clinic_page,
            self.hours_page,
            self.admin_page,
            self.email_page,
            self.portal_page,
            self.staff_page,
            self.patients_page,
            self.done_page,
        ):
            self.addPage(page)
        self.result_: FirstRunResult | None = None
        self.created = False
        self.worker = Worker()
        self.worker.finished.connect(self._created)
        self.done_page.create.clicked.connect(self.create_clinic)
        self.done_page.save.clicked.connect(self._save_pdf)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, False)
        self.resize(740, 540)

    def details(self) -> ClinicDetails:
        c, h = self.clinic_page, self.hours_page
        return ClinicDetails(
            name=c.name.text(),
            phone=c.phone.text(),
            timezone=c.timezone.currentText().strip(),
            emergency_number=c.emergency.text(),
            crisis_line=c.crisis.text(),
            languages=c.languages() or ("en",),
            hours=h.hours(),
            holidays=h.holiday_dates()[0],
            turnaround_hours={k: s.value() for k, s in h.turnaround.items()},
        )

    def create_clinic(self) -> None:
        page = self.done_page
        page.create.setEnabled(False)
        self.button(QWizard.WizardButton.BackButton).setEnabled(False)
        page.status.setText("Creating the clinic…")
        details, admin = self.details(), self.admin_page.admin()
        passphrase = self.admin_page.passphrase.text()
        email = self.email_page
        account = email.account() if email.given() else None
        account_password = email.password.text()
        home, custody = self.home, self.custody
        portal = self.portal_page.account() if self.portal_page.given() else None
        token, staff = self.portal_page.token.text(), self.staff_page.staff()
        patients = self.patients_page.text
        self.thread = self.worker.run(
            lambda: run_first_setup(
                home,
                details,
                admin,
                lambda p, c: passphrase,
                account,
                account_password,
                custody,
                portal=portal,
                portal_token=token,
                staff=staff,
                patients_csv=patients,
            )
        )

    def _created(self, result: FirstRunResult | None, error: BaseException | None) -> None:
        page = self.done_page
        if error is not None or result is None:
            words = "\n".join(error.problems) if isinstance(error, SetupError) else str(error)
            page.status.setText(
                f"The clinic was not created, and nothing was left behind: {words}\n"
                "Go back, correct it and try again."
            )
            page.create.setEnabled(True)
            self.button(QWizard.WizardButton.BackButton).setEnabled(True)
            return
        self.result_ = result
        self.created = True
        page.create.setVisible(False)
        page.setTitle("Your clinic is ready")
        page.setSubTitle("Keep the recovery code below safe. It is shown only this once.")
        page.status.setText(
            f"The clinic's messages are encrypted (their key: {result.custody}). If that "
            "key is ever lost, this recovery code restores access. Save it as a PDF and "
            "print it, then lock it away (not on this computer)."
        )
        page.note.setText("\n".join(x for x in [result.account_note, *result.notes] if x))
        page.code.setText(result.recovery_code)
        page.save.setVisible(True)
        page.done = True
        page.completeChanged.emit()
        self.button(QWizard.WizardButton.BackButton).setEnabled(False)

    def _save_pdf(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the recovery code", str(Path.home() / "recovery-code.pdf"), "PDF (*.pdf)"
        )
        if path:
            self.save_recovery_pdf(Path(path))

    def save_recovery_pdf(self, path: Path) -> None:
        assert self.result_ is not None
        writer = QPdfWriter(str(path))
        writer.setPageSize(QPageSize(QPageSize.PageSizeId.Letter))
        doc = QTextDocument()
        name = self.clinic_page.name.text().strip()
        doc.setHtml(
            f"<h2>Clinic Inbox recovery code</h2><p>{name}</p>"
            f"<p style='font-size:18pt; font-family:monospace'><b>{self.result_.recovery_code}</b></p>"
            "<p>With this code, <i>clinic-inbox key recover</i> restores access to the "
            "clinic's messages if the key is lost. Lock it away.</p>"
        )
        doc.print_(writer)
