"""Sign-in and unlock dialogs (the form is designed in forms/login.ui)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from PySide6.QtCore import QFile, QObject, Qt, Signal
from PySide6.QtUiTools import QUiLoader
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from clinic_inbox.core import app_actions, app_loads, services, staff_keys
from clinic_inbox.core.app_reads import StoreError
from clinic_inbox.core.config import load_config
from clinic_inbox.core.home import Clinic, StoreDamagedError
from clinic_inbox.core.keys import KeyCustodyError
from clinic_inbox.shared import SharedQueueError  # noqa: F401 - registers the server contact of capped sign-ins
from clinic_inbox.ui.actions import ActionRunner, Runner, plain_error

FORMS = Path(__file__).resolve().parents[2] / "forms"
if not FORMS.is_dir():  # an installed wheel carries them as clinic_inbox/forms
    FORMS = Path(__file__).resolve().parents[1] / "forms"


def load_form(name: str, parent: QWidget | None = None) -> QWidget:
    f = QFile(str(FORMS / name))
    if not f.open(QFile.OpenModeFlag.ReadOnly):
        raise FileNotFoundError(FORMS / name)
    try:
        return QUiLoader().load(f, parent)
    finally:
        f.close()


class LoginDialog(QDialog):
    """Asks who is at the desk. On success `.session` is set. The password is checked on
    the runner's writer (Argon2, and the slow-down after wrong passwords, take seconds):
    the window stays alive meanwhile."""

    def __init__(
        self,
        clinic: Clinic,
        parent: QWidget | None = None,
        *,
        sleep=None,  # noqa: ANN001
        runner: Runner | None = None,
    ) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.session: services.Session | None = None
        self._sleep = sleep
        self.runner: Runner = runner if runner is not None else ActionRunner(clinic, self)
        self._own_runner = runner is None
        self._build(clinic.config.name, [])
        # the demo's user names: a store read, on the runner like every other
        self.runner.submit(app_loads.demo_users, done=self._show_demo_users, owner=self)

    def _build(self, clinic_name: str, demo_users: list[str]) -> None:
        form = load_form("login.ui", self)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(form)
        self.setWindowTitle(form.windowTitle())
        self.resize(form.size())
        self.username: QLineEdit = form.findChild(QLineEdit, "username")
        self.password: QLineEdit = form.findChild(QLineEdit, "password")
        self.error: QLabel = form.findChild(QLabel, "error")
        self.demo_note: QLabel = form.findChild(QLabel, "demoNote")
        name: QLabel = form.findChild(QLabel, "clinicName")
        name.setText(clinic_name)
        f = name.font()
        f.setPointSizeF(f.pointSizeF() + 4)
        f.setBold(True)
        name.setFont(f)
        self.error.setStyleSheet("color: #c62828;")
        buttons: QDialogButtonBox = form.findChild(QDialogButtonBox, "buttons")
        self.sign_in = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.sign_in.setText("Sign in")
        buttons.accepted.connect(self.try_login)
        buttons.rejected.connect(self.reject)
        self.demo_note.setVisible(False)
        self._show_demo_users(demo_users)
        self.username.setFocus()

    def _show_demo_users(self, demo_users: list[str]) -> None:
        if demo_users:
            users = ", ".join(demo_users)
            self.demo_note.setText(
                f"<b>Demo clinic</b> — invented patients only. Every password is <b>demo</b>"
                f" (only the demo may keep so short a password).<br>Users: {users}"
            )
            self.demo_note.setTextFormat(Qt.TextFormat.RichText)
            self.demo_note.setVisible(True)

    @property
    def checking(self) -> bool:
        return not self.sign_in.isEnabled()

    def try_login(self, new_password: str | None = None) -> None:
        if self.checking:
            return  # one check at a time
        self.session = None
        self.sign_in.setEnabled(False)
        self.error.setText("Checking…")
        self.runner.submit(
            app_actions.login,
            self.username.text().strip(),
            self.password.text(),
            sleep=self._sleep,
            new_password=new_password,
            done=self._signed_in,
            failed=self._refused,
            owner=self,
        )

    def _signed_in(self, session: services.Session) -> None:
        self.sign_in.setEnabled(True)
        self.error.setText("")
        self.session = session
        for notice in session.notices:
            QMessageBox.information(self, "Please note", notice)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        self.sign_in.setEnabled(True)
        self.session = None
        if isinstance(exc, services.PasswordChangeRequired):
            # after an administrator's reset: the person chooses their own password
            try:
                new = self._ask_new_password(str(exc))
            except services.AuthError as differ:
                exc, new = differ, None
            if new is not None:
                self.try_login(new_password=new)
                return
        self.error.setText(plain_error(exc))
        self.password.clear()
        self.password.setFocus()

    def done(self, result: int) -> None:
        if self._own_runner:
            self.runner.stop()
        super().done(result)

    def _ask_new_password(self, why: str) -> str | None:
        """After an administrator's reset: the person chooses their own password."""
        first, ok = QInputDialog.getText(
            self, "Choose a new password", why, QLineEdit.EchoMode.Password
        )
        if not ok:
            return None
        again, ok = QInputDialog.getText(
            self, "Choose a new password", "Type it again:", QLineEdit.EchoMode.Password
        )
        if not ok:
            return None
        if again != first:
            raise services.AuthError("The two passwords differ; your password was not changed.")
        return first


class _Answer(QObject):
    """Carries the sign-in thread's answer to the GUI thread (queued signals)."""

    opened = Signal(object)
    failed = Signal(object)


class OpeningSignIn(LoginDialog):
    """Sign-in before the store is open: the password releases the store's key
    (core.staff_keys), so nothing of the clinic is read before it is right. On success
    `.clinic` is the opened clinic and `.session` the person's session; a damaged store
    is left in `.damaged` for the caller to offer the latest backup."""

    def __init__(
        self,
        home: Path,
        parent: QWidget | None = None,
        *,
        sleep=None,  # noqa: ANN001
        demo_users: list[str] | None = None,
    ) -> None:
        QDialog.__init__(self, parent)
        self.home = Path(home)
        self.clinic: Clinic | None = None  # type: ignore[assignment]
        self.session = None
        self.damaged: Exception | None = None
        self._sleep = sleep
        self._own_runner = False
        self._busy = False
        self._build(load_config(self.home).name, demo_users or [])
        self._answer = _Answer()
        self._answer.opened.connect(self._opened)
        self._answer.failed.connect(self._failed)

    @property
    def checking(self) -> bool:
        return self._busy

    def try_login(self, new_password: str | None = None) -> None:
        if self._busy:
            return
        self._busy = True
        self.session = None
        self.sign_in.setEnabled(False)
        self.error.setText("Checking…")
        user, password = self.username.text().strip(), self.password.text()
        sleep = self._sleep or time.sleep

        def check() -> None:  # Argon2 and the slow-down after wrong passwords take seconds
            try:
                opened = staff_keys.open_signed_in(
                    self.home, user, password, new_password=new_password, sleep=sleep
                )
            except BaseException as exc:  # noqa: BLE001 - shown in plain words
                self._answer.failed.emit(exc)
            else:
                self._answer.opened.emit(opened)

        threading.Thread(target=check, name="sign-in", daemon=True).start()

    def _opened(self, opened: tuple[Clinic, services.Session]) -> None:
        self._busy = False
        clinic, session = opened
        if not self.isVisible():  # closed while the password was checked
            clinic.close()
            return
        self.clinic = clinic
        self._signed_in(session)

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        if isinstance(exc, StoreDamagedError):
            self.damaged = exc
            self.reject()
            return
        if isinstance(exc, (KeyCustodyError, StoreError)):
            self.sign_in.setEnabled(True)
            self.error.setText(str(exc))  # written for the person at the desk
            return
        self._refused(exc)


class UnlockDialog(QDialog):
    """The screen lock: the same person's password, or sign out for someone else."""

    def __init__(
        self,
        clinic: Clinic,
        session: services.Session,
        parent: QWidget | None = None,
        runner: Runner | None = None,
    ) -> None:
        super().__init__(parent)
        self.clinic, self.session = clinic, session
        self.runner: Runner = runner if runner is not None else ActionRunner(clinic, self)
        self._own_runner = runner is None
        self.switch_user = False
        self.setWindowTitle("Locked — Clinic Inbox")
        lay = QVBoxLayout(self)
        lay.addWidget(
            QLabel(f"Locked. {session.staff.display_name}, enter your password to continue.")
        )
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        lay.addWidget(self.password)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #c62828;")
        lay.addWidget(self.error)
        buttons = QDialogButtonBox()
        self.unlock_button = buttons.addButton("Unlock", QDialogButtonBox.ButtonRole.AcceptRole)
        other = buttons.addButton("Switch user", QDialogButtonBox.ButtonRole.ResetRole)
        other.clicked.connect(self._switch)
        buttons.accepted.connect(self.try_unlock)
        lay.addWidget(buttons)

    def _switch(self) -> None:
        self.switch_user = True
        self.accept()

    def try_unlock(self) -> None:
        if not self.unlock_button.isEnabled():
            return
        self.unlock_button.setEnabled(False)
        self.error.setText("Checking…")

        def refused(exc: BaseException) -> None:
            self.unlock_button.setEnabled(True)
            self.error.setText(plain_error(exc))
            self.password.clear()

        self.runner.submit(
            app_actions.reauthenticate,
            self.session,
            self.password.text(),
            "unlock",
            done=lambda _: self.accept(),
            failed=refused,
            owner=self,
        )

    def done(self, result: int) -> None:
        if self._own_runner:
            self.runner.stop()
        super().done(result)
