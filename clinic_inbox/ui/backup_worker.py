"""Automatic backups while the app is open: a timer on the GUI thread starts a worker
thread with its own store connection; the worker never touches widgets, it only
emits a sentence for the status bar."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QTimer, Signal

from clinic_inbox.core.backup_schedule import run_scheduled_backup
from clinic_inbox.core.backup_settings import record_result
from clinic_inbox.core.home import Clinic

CHECK_EVERY_MS = 15 * 60_000  # a backup is written only when the clinic's interval has passed
FIRST_CHECK_MS = 30_000  # not at the very start: the board comes first


class BackupScheduler(QObject):
    finished = Signal(str)  # a sentence for the status bar

    def __init__(self, clinic: Clinic, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self._busy = threading.Lock()
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_EVERY_MS)
        self.timer.timeout.connect(self.check_now)

    def start(self) -> None:
        self.timer.start()
        QTimer.singleShot(FIRST_CHECK_MS, self.check_now)

    def check_now(self) -> threading.Thread | None:
        if not self._busy.acquire(blocking=False):
            return None  # one backup at a time
        worker = threading.Thread(target=self._work, name="backup", daemon=True)
        worker.start()
        return worker

    def _work(self) -> None:
        try:
            with self.clinic.clone() as clinic:
                info = run_scheduled_backup(clinic)
            if info is not None:
                record_result(self.clinic.home, True, f"made ({info.messages:,} messages)")
                self.finished.emit(f"Automatic backup made ({info.messages:,} messages).")
        except Exception as exc:  # noqa: BLE001 - any failure is reported, never raised
            record_result(self.clinic.home, False, f"did not work: {exc}")
            self.finished.emit(
                f"The automatic backup did not work ({exc}). Your messages are safe; "
                "it will be tried again."
            )
        finally:
            self._busy.release()
