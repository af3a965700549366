"""Administration's "Store protection" tab: an administrator of a clinic without a
keyring protects this computer's store with each person's own password (staff key
slots, core.services_key_slots) instead of the one shared passphrase. The slow part
(each password is stretched) runs on the app's writer thread; the tab shows that it
is working, then who still needs to sign in once."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_inbox.core import app_key_slots
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.services_key_slots import KeyProtection
from clinic_inbox.core.signin import Session
from clinic_inbox.ui.actions import Runner, plain_error

TURN_ON = "Protect this computer's store with each person's own password"

EXPLAIN = (
    "Today the store of patient messages on this computer opens with the clinic's shared "
    "passphrase: whoever knows it can open everything, whoever they are. This computer "
    "has no system keyring to hold the key, so the store can be protected with each "
    "person's own password instead.\n\n"
    "After you turn this on, each colleague signs in once more as usual (with the shared "
    "passphrase and their own password). As soon as everyone has, the shared passphrase "
    "opens nothing: only a staff password, or the clinic's recovery code, does. Keep the "
    "recovery code locked away. Each person's password then guards the key by itself, "
    "so it should be a long one."
)

CONFIRM = (
    "Protect the store with each person's own password?\n\n"
    "From now on, your own password opens Clinic Inbox on this computer. Colleagues sign "
    "in once more with the shared passphrase; after that the shared passphrase stops "
    "working. This cannot be turned back here."
)

WORKING = (
    "Protecting the store… this takes a few seconds (your password is made slow to "
    "guess). You can keep working in the other windows."
)


class KeyProtectionTab(QWidget):
    def __init__(
        self, clinic: Clinic, session: Session, runner: Runner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.clinic, self.session, self.runner = clinic, session, runner
        self.state = QLabel("")
        self.state.setWordWrap(True)
        self.explain = QLabel(EXPLAIN)
        self.explain.setWordWrap(True)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Your own password, to confirm it is you")
        self.turn_on = QPushButton(TURN_ON)
        self.turn_on.clicked.connect(self._turn_on)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # no steps to count: it shows that work goes on
        self.busy.hide()
        self.waiting_label = QLabel("Colleagues who still need to sign in once:")
        self.waiting = QListWidget()
        self.waiting.setMaximumHeight(180)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.password, 1)
        row.addWidget(self.turn_on)
        lay = QVBoxLayout(self)
        lay.addWidget(self.state)
        lay.addWidget(self.explain)
        lay.addLayout(row)
        lay.addWidget(self.busy)
        lay.addWidget(self.message)
        lay.addWidget(self.waiting_label)
        lay.addWidget(self.waiting)
        lay.addStretch(1)
        self.refresh()

    def refresh(self) -> None:
        self.runner.submit(
            app_key_slots.key_protection,
            self.session,
            done=self._show,
            failed=lambda exc: self.message.setText(plain_error(exc)),
            owner=self,
        )

    def _show(self, view: KeyProtection) -> None:
        if view.record is not None:
            self.clinic.custody = view.record  # the writer changed it on its own connection
        if view.can_turn_on:
            said = "This computer's store opens with the clinic's shared passphrase."
        elif view.slots_on and not view.sealed:
            said = (
                "The store is protected by each person's own password. The shared passphrase "
                "still works until everyone below has signed in once."
            )
        elif view.slots_on:
            said = (
                "The store opens only with each person's own password (or the recovery "
                "code); the shared passphrase opens nothing."
            )
        else:
            said = f"How the store's key is kept: {view.custody}."
        self.state.setText(said)
        for w in (self.explain, self.password, self.turn_on):
            w.setVisible(view.can_turn_on)
        self.waiting.clear()
        self.waiting.addItems(view.waiting)
        shown = view.slots_on and bool(view.waiting)
        self.waiting_label.setVisible(shown)
        self.waiting.setVisible(shown)

    def _confirmed(self) -> bool:
        asked = QMessageBox.question(
            self,
            "Store protection",
            CONFIRM,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return asked == QMessageBox.StandardButton.Yes

    def _turn_on(self) -> None:
        if not self.password.text():
            self.message.setText("Type your own password first, to confirm it is you.")
            return
        if not self._confirmed():
            self.message.setText("Nothing was changed.")
            return
        password = self.password.text()
        self.password.clear()
        self.turn_on.setEnabled(False)
        self.busy.show()
        self.message.setText(WORKING)
        self.runner.submit(
            app_key_slots.turn_on_staff_slots,
            self.session,
            password,
            done=self._done,
            failed=self._failed,
            owner=self,
        )

    def _done(self, view: KeyProtection) -> None:
        self.busy.hide()
        self.turn_on.setEnabled(True)
        self._show(view)
        if view.waiting:
            self.message.setText(
                "Done: your own password now opens the store. Ask the colleagues listed "
                "below to sign in once; then the shared passphrase stops working."
            )
        else:
            self.message.setText("Done: the store now opens only with each person's password.")

    def _failed(self, exc: BaseException) -> None:
        self.busy.hide()
        self.turn_on.setEnabled(True)
        self.message.setText(plain_error(exc))
