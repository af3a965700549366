"""Settings > Backups, from forms/settings_backups.ui: the folder, how often, how many
kept, "Back up now" on a thread of its own (the window stays usable), and how the last
backup went, in the clinic's time. Saved settings are used by the next automatic
backup without a restart."""

from __future__ import annotations

import threading

from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from clinic_inbox.core import services
from clinic_inbox.core import services_settings_backup as backups
from clinic_inbox.core.backup import BackupInfo
from clinic_inbox.core.backup_settings import BackupSettings
from clinic_inbox.core.home import Clinic
from clinic_inbox.ui.actions import Runner, plain_error
from clinic_inbox.ui.first_run import Worker
from clinic_inbox.ui.login import load_form
from clinic_inbox.ui.settings import error_words


class BackupsTab(QWidget):
    def __init__(self, clinic: Clinic, session: services.Session, runner: Runner) -> None:
        super().__init__()
        self.clinic, self.session, self.runner = clinic, session, runner
        self.form = load_form("settings_backups.ui", self)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.form)
        f = self.form
        self.folder: QLineEdit = f.findChild(QLineEdit, "folder")
        self.every: QSpinBox = f.findChild(QSpinBox, "every")
        self.keep: QSpinBox = f.findChild(QSpinBox, "keep")
        self.save: QPushButton = f.findChild(QPushButton, "save")
        self.now: QPushButton = f.findChild(QPushButton, "now")
        self.choose: QPushButton = f.findChild(QPushButton, "choose")
        self.last: QLabel = f.findChild(QLabel, "last")
        self.problem: QLabel = f.findChild(QLabel, "problem")
        self.said: QLabel = f.findChild(QLabel, "said")
        self.save.clicked.connect(self.submit)
        self.now.clicked.connect(self.back_up_now)
        self.choose.clicked.connect(self.pick_folder)
        self.folder.textEdited.connect(lambda _t: self.problem.setText(""))
        self.worker = Worker()
        self.worker.finished.connect(self._now_done)
        self.thread: threading.Thread | None = None
        self.refresh(fill=True)

    def refresh(self, fill: bool = False) -> None:
        try:
            state = backups.backup_state(self.clinic, self.session)
        except Exception as exc:  # noqa: BLE001 - said in words
            self.problem.setText(plain_error(exc))
            return
        if fill:
            self.folder.setText(state.settings.folder)
            self.every.setValue(round(state.settings.every_hours))
            self.keep.setValue(state.settings.keep)
        lines = [f"Backups go to {state.folder}."]
        if state.last is not None:
            when = state.last.at.astimezone(self.clinic.config.tz)
            how = "Last attempt" if state.last.ok else "The last attempt FAILED"
            lines.append(f"{how}: {when:%a %d %b %Y, %H:%M}, {state.last.words}.")
        if state.latest is not None:
            lines.append(f"Newest backup kept: {state.latest.name}.")
        else:
            lines.append("No automatic backup has been made yet.")
        self.last.setText("\n".join(lines))

    def pick_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(
            self, "Folder for the backups", self.folder.text()
        )
        if chosen:
            self.folder.setText(chosen)

    def settings(self) -> BackupSettings:
        return BackupSettings(self.folder.text(), float(self.every.value()), self.keep.value())

    def submit(self) -> None:
        self.said.setText("")
        self.problem.setText("")
        self.save.setEnabled(False)
        self.runner.submit(
            backups.save_backup_settings_action,
            self.session,
            self.settings(),
            done=self._saved,
            failed=self._failed,
            owner=self,
        )

    def _saved(self, changed: list[str]) -> None:
        self.save.setEnabled(True)
        # the writer has its own copy of the clinic; the window's (the scheduler's) too
        from clinic_inbox.core.config import load_config

        self.clinic.config = load_config(self.clinic.home)
        if changed:
            names = ", ".join(c.replace("_", " ") for c in changed)
            self.said.setText(f"Saved ({names}). The next automatic backup uses it.")
        else:
            self.said.setText("Nothing had changed.")
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.save.setEnabled(True)
        self.now.setEnabled(True)
        self.problem.setText(error_words(exc))
        self.refresh()

    def back_up_now(self) -> None:
        """On a thread of its own with its own connection, as the scheduled backups:
        the app's writer stays free for everyone's actions while a large store copies."""
        self.said.setText("Backing up… you can go on working.")
        self.problem.setText("")
        self.now.setEnabled(False)
        clinic, session = self.clinic, self.session

        def job() -> BackupInfo:
            with clinic.clone() as twin:
                return backups.back_up_now(twin, session)

        self.thread = self.worker.run(job)

    def _now_done(self, value: object, error: BaseException | None) -> None:
        if error is not None:
            self._failed(error)
        else:
            self._backed_up(value)  # type: ignore[arg-type]

    def _backed_up(self, info: BackupInfo) -> None:
        self.now.setEnabled(True)
        self.said.setText(f"Backup made: {info.path.name} ({info.messages:,} messages).")
        self.refresh()
