"""Sign-in and unlock dialogs (the form is designed in forms/login.ui)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QFile, Qt
from PySide6.QtUiTools import QUiLoader
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from clinic_inbox.core import services
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.store import queries as q

FORMS = Path(__file__).resolve().parents[2] / "forms"


def load_form(name: str, parent: QWidget | None = None) -> QWidget:
    f = QFile(str(FORMS / name))
    if not f.open(QFile.OpenModeFlag.ReadOnly):
        raise FileNotFoundError(FORMS / name)
    try:
        return QUiLoader().load(f, parent)
    finally:
        f.close()


class LoginDialog(QDialog):
    """Asks who is at the desk. On success `.session` is set."""

    def __init__(self, clinic: Clinic, parent: QWidget | None = None, *, sleep=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.clinic = clinic
        self.session: services.Session | None = None
        self._sleep = sleep
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
        name.setText(clinic.config.name)
        f = name.font()
        f.setPointSizeF(f.pointSizeF() + 4)
        f.setBold(True)
        name.setFont(f)
        self.error.setStyleSheet("color: #c62828;")
        buttons: QDialogButtonBox = form.findChild(QDialogButtonBox, "buttons")
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign in")
        buttons.accepted.connect(self.try_login)
        buttons.rejected.connect(self.reject)
        self.demo_note.setVisible(False)
        if q.get_meta(clinic.store, "demo") == "1":
            users = ", ".join(
                s.username for s in q.list_staff(clinic.store, include_inactive=False)
            )
            self.demo_note.setText(
                f"<b>Demo clinic</b> — invented patients only. Every password is <b>demo</b>.<br>"
                f"Users: {users}"
            )
            self.demo_note.setTextFormat(Qt.TextFormat.RichText)
            self.demo_note.setVisible(True)
        self.username.setFocus()

    def try_login(self) -> None:
        kw = {"sleep": self._sleep} if self._sleep else {}
        try:
            self.session = services.login(
                self.clinic, self.username.text().strip(), self.password.text(), **kw
            )
        except services.AuthError as exc:
            self.session = None
            self.error.setText(str(exc))
            self.password.clear()
            self.password.setFocus()
            return
        self.accept()


class UnlockDialog(QDialog):
    """The screen lock: the same person's password, or sign out for someone else."""

    def __init__(
        self, clinic: Clinic, session: services.Session, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.clinic, self.session = clinic, session
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
        buttons.addButton("Unlock", QDialogButtonBox.ButtonRole.AcceptRole)
        other = buttons.addButton("Switch user", QDialogButtonBox.ButtonRole.ResetRole)
        other.clicked.connect(self._switch)
        buttons.accepted.connect(self.try_unlock)
        lay.addWidget(buttons)

    def _switch(self) -> None:
        self.switch_user = True
        self.accept()

    def try_unlock(self) -> None:
        try:
            services.reauthenticate(
                self.clinic, self.session, self.password.text(), purpose="unlock"
            )
        except services.AuthError as exc:
            self.error.setText(str(exc))
            self.password.clear()
            return
        self.accept()
