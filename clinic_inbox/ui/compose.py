"""Writing to patients first: the compose dialog (its form is forms/compose.ui).

Choose one patient or several (each gets a message of their own), a template or
your own words, reading from the clinic's library, now or later, and a follow-up
date. The preview shows exactly what the patient receives, and by which channel,
before anything is sent; for several patients it lists every one (channel, or why they
cannot receive it) and shows the letter of the one selected."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from PySide6.QtCore import QDate, QDateTime, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_inbox.core import app_actions, app_compose, compose, services
from clinic_inbox.core import services_compose as sc
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Category
from clinic_inbox.ui.actions import InlineRunner, Runner, plain_error
from clinic_inbox.ui.login import load_form

OWN_WORDS = ""
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}


class ComposeDialog(QDialog):
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
        self.started: list[sc.Started] = []
        # why it may go by a channel the patient has not agreed to (asked, then recorded)
        self.consent_reason: str | None = None
        self._reason_for: tuple[int, ...] = ()
        form = load_form("compose.ui", self)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.addWidget(form)
        self.setWindowTitle(form.windowTitle())
        f = form.findChild
        self.search: QLineEdit = f(QLineEdit, "patientSearch")
        self.patients: QListWidget = f(QListWidget, "patientList")
        self.template: QComboBox = f(QComboBox, "templateCombo")
        self.language: QComboBox = f(QComboBox, "languageCombo")
        self.channel: QComboBox = f(QComboBox, "channelCombo")
        self.fields_box: QGroupBox = f(QGroupBox, "fieldsBox")
        self.own_box: QGroupBox = f(QGroupBox, "ownWordsBox")
        self.subject: QLineEdit = f(QLineEdit, "subjectEdit")
        self.category: QComboBox = f(QComboBox, "categoryCombo")
        self.body: QPlainTextEdit = f(QPlainTextEdit, "bodyEdit")
        self.education: QListWidget = f(QListWidget, "educationList")
        self.later: QCheckBox = f(QCheckBox, "laterCheck")
        self.later_at: QDateTimeEdit = f(QDateTimeEdit, "laterEdit")
        self.follow: QCheckBox = f(QCheckBox, "followCheck")
        self.follow_by: QDateEdit = f(QDateEdit, "followEdit")
        self.preview_view: QPlainTextEdit = f(QPlainTextEdit, "previewView")
        self.error: QLabel = f(QLabel, "errorLabel")
        self.buttons: QDialogButtonBox = f(QDialogButtonBox, "buttonBox")
        self._field_edits: dict[str, QLineEdit] = {}
        # a bulk send's preview: every patient, their channel, whether they can receive
        # it; the letter shown is the selected one's (not in the .ui form: built here)
        self.recipients = QListWidget()
        self.recipients.setAccessibleName("Who receives it")
        self.recipients.setMaximumHeight(120)
        self.recipients.setWordWrap(True)  # a reason is a sentence: shown whole
        self.recipients.setVisible(False)
        self.recipients.currentRowChanged.connect(self._show_recipient)
        self._recipients: list[sc.Recipient] = []
        right = form.findChild(QVBoxLayout, "right")  # the preview's column of the form
        right.insertWidget(right.indexOf(self.preview_view), self.recipients)
        self._fill_choices()
        self.preview_button = QPushButton("&Preview")
        self.send_button = QPushButton("&Send")
        self.buttons.addButton(self.preview_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.send_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.send_button.setEnabled(False)  # only once the preview has been seen
        self.preview_button.clicked.connect(self.preview)
        self.send_button.clicked.connect(self.send)
        self.buttons.rejected.connect(self.reject)
        self.search.returnPressed.connect(self.find)
        for signal in (
            self.template.currentIndexChanged,
            self.language.currentIndexChanged,
            self.channel.currentIndexChanged,
            self.category.currentIndexChanged,
            self.patients.itemSelectionChanged,
            self.education.itemChanged,
            self.later.toggled,
            self.later_at.dateTimeChanged,
            self.subject.textChanged,
            self.body.textChanged,
        ):
            signal.connect(self._stale)
        self.template.currentIndexChanged.connect(self._template_changed)
        self.later.toggled.connect(self.later_at.setEnabled)
        self.follow.toggled.connect(self.follow_by.setEnabled)
        self._template_changed()
        self.resize(1040, 680)

    # -- choices ---------------------------------------------------------------------
    def _fill_choices(self) -> None:
        langs = [lang for lang in self.clinic.config.languages if lang in compose.LANGUAGES]
        for lang in langs or ["en"]:
            self.language.addItem(LANGUAGE_NAMES.get(lang, lang), lang)
        for t in compose.templates().values():
            self.template.addItem(t.label, t.name)
        self.template.addItem("Your own words", OWN_WORDS)
        self.channel.addItem("What the patient has (portal first)", None)
        self.channel.addItem("Email", "email")
        self.channel.addItem("Patient portal", "portal")
        for c in Category:
            self.category.addItem(c.label, c.value)
        self.category.setCurrentIndex(list(Category).index(Category.OTHER))
        for e in compose.education_library().values():
            item = QListWidgetItem(e.title)
            item.setData(Qt.ItemDataRole.UserRole, e.key)
            item.setToolTip(e.url)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.education.addItem(item)
        # the clinic's time, wherever this computer's clock is set
        here = datetime.now(self.clinic.config.tz).replace(tzinfo=None, second=0, microsecond=0)
        self.later_at.setDateTime(QDateTime(here + timedelta(hours=1)))
        self.later_at.setMinimumDateTime(QDateTime(here))
        self.later_at.setEnabled(False)
        self.follow_by.setDate(QDate.currentDate().addDays(7))
        self.follow_by.setMinimumDate(QDate.currentDate())
        self.follow_by.setEnabled(False)

    def _template_changed(self) -> None:
        name = self.template.currentData()
        layout: QFormLayout = self.fields_box.layout()
        while layout.rowCount():
            layout.removeRow(0)
        self._field_edits = {}
        if name:
            for field in compose.template(name).fields:
                edit = QLineEdit()
                edit.setAccessibleName(field.replace("_", " "))
                edit.textChanged.connect(self._stale)
                layout.addRow(field.replace("_", " ").capitalize(), edit)
                self._field_edits[field] = edit
        self.fields_box.setVisible(bool(name))
        self.own_box.setVisible(not name)

    def _stale(self, *_: object) -> None:
        """Anything changed: the preview no longer shows what would be sent."""
        self.send_button.setEnabled(False)
        if hasattr(self, "recipients"):  # built after the signals are connected
            self.recipients.setVisible(False)

    # -- patients --------------------------------------------------------------------
    def find(self) -> None:
        self.runner.submit(
            app_actions.find_patients,
            self.session,
            self.search.text(),
            done=self._found,
            failed=self._failed,
            owner=self,
        )

    def _found(self, found: list) -> None:
        chosen = {it.data(Qt.ItemDataRole.UserRole) for it in self.patients.selectedItems()}
        # keep the patients already chosen, add the ones found
        for i in reversed(range(self.patients.count())):
            if self.patients.item(i).data(Qt.ItemDataRole.UserRole) not in chosen:
                self.patients.takeItem(i)
        for p in found:
            if p.id in chosen:
                continue
            item = QListWidgetItem(
                f"{p.family_name}, {p.given_name} — born {p.birth_date or '?'} — "
                f"chart {p.chart_number or '?'}"
            )
            item.setData(Qt.ItemDataRole.UserRole, p.id)
            self.patients.addItem(item)
        if len(found) == 1 and not chosen:
            self.patients.item(0).setSelected(True)

    def add_patient(self, patient_id: int, label: str) -> None:
        """Start with a patient chosen (from a conversation, or by a test)."""
        item = QListWidgetItem(label)
        item.setData(Qt.ItemDataRole.UserRole, patient_id)
        self.patients.addItem(item)
        item.setSelected(True)

    def chosen_patients(self) -> list[int]:
        return [
            int(self.patients.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.patients.count())
            if self.patients.item(i).isSelected()
        ]

    # -- the message -------------------------------------------------------------------
    def request(self) -> sc.Request:
        name = self.template.currentData() or None
        education = tuple(
            self.education.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.education.count())
            if self.education.item(i).checkState() == Qt.CheckState.Checked
        )
        send_at = None
        if self.later.isChecked():
            send_at = self.later_at.dateTime().toPython().replace(tzinfo=self.clinic.config.tz)
        return sc.Request(
            template=name,
            fields={k: e.text() for k, e in self._field_edits.items()},
            subject=self.subject.text() if not name else "",
            body=self.body.toPlainText() if not name else "",
            category=Category(self.category.currentData()),
            education=education,
            language=self.language.currentData(),
            channel=self.channel.currentData(),
            send_at=send_at,
            # a reason given for one patient is not carried to another
            consent_reason=self.consent_reason
            if self._reason_for == tuple(self.chosen_patients())
            else None,
        )

    def follow_up_date(self) -> date | None:
        return self.follow_by.date().toPython() if self.follow.isChecked() else None

    def preview(self) -> None:
        self.error.setText("")
        self.runner.submit(
            app_compose.preview,
            self.session,
            self.chosen_patients(),
            self.request(),
            done=self._previewed,
            failed=self._failed,
            owner=self,
        )

    def _previewed(self, result: tuple[sc.Preview, int] | list[sc.Recipient]) -> None:
        if isinstance(result, list):
            self._previewed_each(result)
            return
        self._recipients = []
        self.recipients.clear()
        self.recipients.setVisible(False)
        p, count = result
        self._show_letter(p, count)
        self.send_button.setEnabled(True)

    def _previewed_each(self, recipients: list[sc.Recipient]) -> None:
        """A bulk send: everyone listed; Send only when every one of them can receive it
        (the send is all or nothing)."""
        self._recipients = recipients
        self.recipients.blockSignals(True)
        self.recipients.clear()
        for r in recipients:
            item = QListWidgetItem(("✓ " if r.can_receive else "✗ ") + r.line())
            item.setData(Qt.ItemDataRole.UserRole, r.patient_id)
            item.setToolTip(r.line())
            if not r.can_receive:
                item.setForeground(Qt.GlobalColor.darkRed)
            self.recipients.addItem(item)
        self.recipients.blockSignals(False)
        self.recipients.setVisible(True)
        cannot = [r for r in recipients if not r.can_receive]
        first = next((i for i, r in enumerate(recipients) if r.can_receive), 0)
        self.recipients.setCurrentRow(first)
        self._show_recipient(first)
        if cannot:
            self.error.setText(
                f"{len(cannot)} of {len(recipients)} patients cannot receive it (✗): "
                "take them off the list to send."
            )
        self.send_button.setEnabled(not cannot)

    def _show_recipient(self, row: int) -> None:
        if not 0 <= row < len(self._recipients):
            return
        r = self._recipients[row]
        if r.preview is None:
            self.preview_view.setPlainText(f"{r.patient_name} cannot receive it.\n\n{r.why_not}")
            return
        self._show_letter(r.preview, sum(x.can_receive for x in self._recipients))

    def _show_letter(self, p: sc.Preview, count: int) -> None:
        how = "the patient portal" if p.channel == "portal" else f"email to {p.to}"
        when = (
            f"at {p.send_at.astimezone(self.clinic.config.tz).strftime('%Y-%m-%d %H:%M')}"
            if p.send_at
            else "at the next sync"
        )
        head = f"To {p.patient_name}, by {how}, {when}."
        if p.consent_note:
            head += f"\n{p.consent_note}"
        if count > 1:
            head += (
                f"\n{count} patients each receive their own message like this one, "
                "with their own name; no one sees another's address."
            )
        self.preview_view.setPlainText(f"{head}\n\nSubject: {p.subject}\n\n{p.body}")

    def send(self) -> None:
        self.runner.submit(
            app_compose.send,
            self.session,
            self.chosen_patients(),
            self.request(),
            self.follow_up_date(),
            done=self._sent,
            failed=self._failed,
            owner=self,
        )

    def _sent(self, started: list[sc.Started]) -> None:
        self.started = started
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        from clinic_inbox.core.consent import ConsentNeeded

        self.send_button.setEnabled(False)
        self.recipients.setVisible(False)
        self.error.setText(plain_error(exc))
        if isinstance(exc, ConsentNeeded) and "has not agreed" in str(exc):
            # one patient without an agreement to this channel: staff may say why it
            # may go anyway (recorded with the message), then preview again
            reason, ok = QInputDialog.getText(self, "No agreement on record", str(exc))
            if ok and reason.strip():
                self.consent_reason = reason.strip()
                self._reason_for = tuple(self.chosen_patients())
                self.preview()
