"""Settings > Email and portal accounts: edit, test (on a worker thread, never the
GUI's) and remove the clinic's accounts. A password or token left empty keeps the
one already kept."""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinic_inbox.core import services
from clinic_inbox.core import services_settings as settings
from clinic_inbox.core.accounts import FhirAccount, ImapAccount
from clinic_inbox.core.home import Clinic
from clinic_inbox.ui.actions import Runner, plain_error
from clinic_inbox.ui.first_run import Worker, start_connection_test
from clinic_inbox.ui.login import load_form

SECURITY = [("Secure (TLS)", "tls"), ("STARTTLS", "starttls"), ("None (test servers only)", "none")]
KEEP = "leave empty to keep the one kept"


def _form(owner: QWidget, name: str) -> QWidget:
    """A Designer form filling `owner` edge to edge."""
    form = load_form(name, owner)
    lay = QVBoxLayout(owner)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(form)
    return form


class ImapEditor(QWidget):
    """The email account's fields, from forms/account_imap.ui."""

    def __init__(self) -> None:
        super().__init__()
        form = _form(self, "account_imap.ui")
        self.name: QLineEdit = form.findChild(QLineEdit, "name")
        self.address: QLineEdit = form.findChild(QLineEdit, "address")
        self.host: QLineEdit = form.findChild(QLineEdit, "host")
        self.smtp_host: QLineEdit = form.findChild(QLineEdit, "smtp_host")
        self.password: QLineEdit = form.findChild(QLineEdit, "password")
        self.port: QSpinBox = form.findChild(QSpinBox, "port")
        self.smtp_port: QSpinBox = form.findChild(QSpinBox, "smtp_port")
        self.security: QComboBox = form.findChild(QComboBox, "security")
        self.smtp_security: QComboBox = form.findChild(QComboBox, "smtp_security")
        for box in (self.security, self.smtp_security):
            for label, value in SECURITY:
                box.addItem(label, value)
        self.kept: ImapAccount | None = None

    def fill(self, a: ImapAccount) -> None:
        self.kept = a
        self.name.setText(a.name)
        self.address.setText(a.username)
        self.host.setText(a.host)
        self.port.setValue(a.port)
        self.security.setCurrentIndex(self.security.findData(a.security))
        self.smtp_host.setText(a.smtp_host)
        self.smtp_port.setValue(a.smtp_port)
        self.smtp_security.setCurrentIndex(self.smtp_security.findData(a.smtp_security))
        self.password.clear()

    def account(self) -> ImapAccount:
        assert self.kept is not None
        from dataclasses import replace

        address = self.address.text().strip()
        return replace(
            self.kept,
            name=self.name.text().strip(),
            username=address,
            host=self.host.text().strip(),
            port=self.port.value(),
            security=self.security.currentData(),
            smtp_host=self.smtp_host.text().strip(),
            smtp_port=self.smtp_port.value(),
            smtp_security=self.smtp_security.currentData(),
            # the sender follows a changed address unless the clinic set its own
            from_address=address
            if self.kept.from_address in ("", self.kept.username)
            else self.kept.from_address,
        )


class FhirEditor(QWidget):
    """The portal account's fields, from forms/account_fhir.ui."""

    def __init__(self) -> None:
        super().__init__()
        form = _form(self, "account_fhir.ui")
        self.name: QLineEdit = form.findChild(QLineEdit, "name")
        self.base_url: QLineEdit = form.findChild(QLineEdit, "base_url")
        self.token: QLineEdit = form.findChild(QLineEdit, "token")
        self.practitioners: QLineEdit = form.findChild(QLineEdit, "practitioners")
        self.organization: QLineEdit = form.findChild(QLineEdit, "organization")
        self.kept: FhirAccount | None = None

    def fill(self, a: FhirAccount) -> None:
        self.kept = a
        self.name.setText(a.name)
        self.base_url.setText(a.base_url)
        self.practitioners.setText(", ".join(a.practitioners))
        self.organization.setText(a.organization or "")
        self.token.clear()

    def account(self) -> FhirAccount:
        assert self.kept is not None
        from dataclasses import replace

        return replace(
            self.kept,
            name=self.name.text().strip(),
            base_url=self.base_url.text().strip(),
            practitioners=[p.strip() for p in self.practitioners.text().split(",") if p.strip()],
            organization=self.organization.text().strip() or None,
        )


class AccountsTab(QWidget):
    def __init__(self, clinic: Clinic, session: services.Session, runner: Runner) -> None:
        super().__init__()
        self.clinic, self.session, self.runner = clinic, session, runner
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Name", "Kind", "Server", "User"])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.currentCellChanged.connect(lambda *_: self.show_selected())
        self.imap, self.fhir = ImapEditor(), FhirEditor()
        self.editors = QStackedWidget()
        self.editors.addWidget(
            QLabel("Choose an account in the list to change, test or remove it.")
        )
        self.editors.addWidget(self.imap)
        self.editors.addWidget(self.fhir)
        self.add_email = QPushButton("New email account")
        self.add_portal = QPushButton("New portal account")
        self.add_email.clicked.connect(lambda: self.start_new("imap"))
        self.add_portal.clicked.connect(lambda: self.start_new("fhir"))
        self.test = QPushButton("Test connection")
        self.save = QPushButton("Save changes")
        self.remove = QPushButton("Remove account…")
        self.test.clicked.connect(self.run_test)
        self.save.clicked.connect(self.submit)
        self.remove.clicked.connect(self.ask_remove)
        buttons = QHBoxLayout()
        for b in (self.test, self.save, self.remove):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.add_email)
        buttons.addWidget(self.add_portal)
        self.result = QLabel("")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result.setAccessibleName("What happened")
        lay = QVBoxLayout(self)
        lay.addWidget(self.table, 2)
        lay.addWidget(self.editors, 3)
        lay.addLayout(buttons)
        lay.addWidget(self.result)
        if clinic.credentials is not None and not clinic.credentials.available:
            note = QLabel(clinic.credentials.why_unavailable())
            note.setWordWrap(True)
            lay.addWidget(note)
        self.ids: list[int] = []
        self.kept: settings.KeptAccount | None = None
        self.new_kind: str | None = None  # "imap"/"fhir" while a new account is typed
        self.remove_box: QMessageBox | None = None  # tests reach the question here
        self.worker = Worker()
        self.worker.finished.connect(self._tested)
        self.thread: threading.Thread | None = None
        self.refresh()

    # -- the list --------------------------------------------------------------------
    def refresh(self, select: int | None = None) -> None:
        rows = services.list_accounts(self.clinic, self.session)
        rows = [r for r in rows if r[2] in ("imap", "fhir")]
        self.ids = [r[0] for r in rows]
        self.table.setRowCount(len(rows))
        for i, (_id, name, kind, cfg) in enumerate(rows):
            values = [
                name,
                {"imap": "email", "fhir": "portal"}[kind],
                str(cfg.get("host") or cfg.get("base_url") or ""),
                str(cfg.get("username") or ", ".join(cfg.get("practitioners") or [])),
            ]
            for c, v in enumerate(values):
                self.table.setItem(i, c, QTableWidgetItem(v))
        self.table.resizeColumnsToContents()
        if select in self.ids:
            self.table.setCurrentCell(self.ids.index(select), 0)
            self.show_selected()  # the same row emits no change: read the account again
        else:
            self.kept = None
            self.editors.setCurrentIndex(0)
        self._enable()

    def _enable(self) -> None:
        editing = self.kept is not None or self.new_kind is not None
        self.test.setEnabled(editing)
        self.save.setEnabled(editing)
        self.remove.setEnabled(self.kept is not None)

    def start_new(self, kind: str) -> None:
        """An empty form with sensible defaults; Save adds the account."""
        self.table.clearSelection()
        self.kept, self.new_kind = None, kind
        if kind == "imap":
            self.imap.fill(ImapAccount("Clinic email", "", 993, ""))
            self.imap.password.setPlaceholderText("the mailbox's password")
            self.editors.setCurrentWidget(self.imap)
        else:
            self.fhir.fill(FhirAccount("Patient portal", ""))
            self.fhir.token.setPlaceholderText("the access token the portal gave the clinic")
            self.editors.setCurrentWidget(self.fhir)
        self.result.setText("A new account: fill it in, test it, then Save changes.")
        self._enable()

    def show_selected(self) -> None:
        row = self.table.currentRow()
        if row < 0 or row >= len(self.ids):
            return
        try:
            self.kept = settings.get_account(self.clinic, self.session, self.ids[row])
        except Exception as exc:  # noqa: BLE001 - said, never a traceback
            self.result.setText(plain_error(exc))
            return
        self.new_kind = None
        self.imap.password.setPlaceholderText(KEEP)
        self.fhir.token.setPlaceholderText(KEEP)
        editor = self.imap if self.kept.kind == "imap" else self.fhir
        editor.fill(self.kept.account)  # type: ignore[arg-type]
        self.editors.setCurrentWidget(editor)
        self.result.setText("")
        self._enable()

    def editor(self) -> ImapEditor | FhirEditor:
        kind = self.kept.kind if self.kept is not None else self.new_kind
        return self.imap if kind == "imap" else self.fhir

    def typed_secret(self) -> str | None:
        edit = self.imap.password if self.editor() is self.imap else self.fhir.token
        return edit.text() or None

    # -- test --------------------------------------------------------------------------
    def run_test(self) -> None:
        """A real sign-in with what the form says, on a worker thread."""
        from clinic_inbox.sources import connection_check as check

        if self.kept is None and self.new_kind is None:
            return
        try:
            account = self.editor().account()
        except ValueError as exc:
            self.result.setText(str(exc))
            return
        typed, creds = self.typed_secret(), self.clinic.credentials
        kept_name = self.kept.account.name if self.kept is not None else None

        def probe() -> list[tuple[bool, str]]:
            secret = typed
            if secret is None and kept_name is not None:
                try:
                    secret = creds.get(kept_name) if creds is not None else None
                except Exception as exc:  # noqa: BLE001 - the keyring's own plain words
                    return [(False, str(exc))]
            if isinstance(account, ImapAccount):
                return check.check_account(account, secret or "")
            try:
                return [(True, check.check_fhir(account, secret))]
            except check.SourceError as exc:
                return [(False, str(exc))]

        start_connection_test(self, account, probe)

    def _tested(self, answers: Any, error: BaseException | None) -> None:
        self._enable()
        if error is not None:
            self.result.setText(f"The test could not run: {plain_error(error)}")
            return
        self.result.setText(
            "\n".join(("Works: " if ok else "Problem: ") + text for ok, text in answers)
        )

    # -- save and remove -----------------------------------------------------------------
    def submit(self) -> None:
        if self.kept is None and self.new_kind is None:
            return
        try:
            account = self.editor().account()
        except ValueError as exc:
            self.result.setText(str(exc))
            return
        if self.kept is None:
            self.save.setEnabled(False)
            self.runner.submit(
                settings.add_account_action,
                self.session,
                account,
                self.typed_secret(),
                done=lambda kept: self._saved(kept, f"{kept.account.name} was added."),
                failed=self._failed,
                owner=self,
            )
            return
        account_id = self.kept.id
        self.save.setEnabled(False)
        self.runner.submit(
            settings.update_account_action,
            self.session,
            account_id,
            account,
            self.typed_secret(),
            done=lambda kept: self._saved(kept, f"{kept.account.name} was saved."),
            failed=self._failed,
            owner=self,
        )

    def _saved(self, kept: settings.KeptAccount, said: str) -> None:
        self.refresh(select=kept.id)
        self.result.setText(said)

    def _failed(self, exc: BaseException) -> None:
        self._enable()
        self.result.setText(plain_error(exc))

    def ask_remove(self) -> None:
        if self.kept is None:
            return
        name, account_id = self.kept.account.name, self.kept.id
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Remove this account?")
        box.setText(f"Stop using the account <b>{name}</b>?")
        box.setInformativeText(
            "It will no longer be synced and its password is forgotten. Messages that "
            "came through it stay in the clinic's record. Replies still waiting to go out "
            "through it must be sent first."
        )
        remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(cancel)
        box.setProperty("remove_button", remove)
        self.remove_box = box
        box.exec()
        if box.clickedButton() is not remove:
            return
        self.runner.submit(
            settings.remove_account_action,
            self.session,
            account_id,
            done=self._removed,
            failed=self._failed,
            owner=self,
        )

    def _removed(self, said: str) -> None:
        self.refresh()
        self.result.setText(said)
