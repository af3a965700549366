"""The e-visit timer behind the conversation panel: it runs while a clinician who may
read the conversation has it open, counts reading and writing (idle gaps are left
out by core/billing_time.py), and stops when another conversation opens or the
panel clears. Nothing here decides who may record time: the service does."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject

from clinic_inbox.core import app_compose
from clinic_inbox.core.model import Role
from clinic_inbox.ui.actions import Runner

# a sign of activity at most this often (each is a small write on the writer thread)
ACTIVITY_EVERY_S = 20.0


class VisitTimer(QObject):
    def __init__(self, runner: Runner, session, parent: QObject | None = None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.runner, self.session = runner, session
        self.thread_id: int | None = None
        self._last_activity = 0.0
        self.enabled = session.staff.role in (Role.PHYSICIAN, Role.NURSE)

    def opened(self, thread_id: int, can_read: bool) -> None:
        if not self.enabled or thread_id == self.thread_id:
            return
        self.stop()
        if can_read:
            self.thread_id = thread_id
            self._last_activity = time.monotonic()
            self.runner.submit(app_compose.timer_start, self.session, thread_id, owner=self)

    def activity(self) -> None:
        if self.thread_id is None or time.monotonic() - self._last_activity < ACTIVITY_EVERY_S:
            return
        self._last_activity = time.monotonic()
        self.runner.submit(app_compose.timer_activity, self.session, self.thread_id, owner=self)

    def stop(self) -> None:
        if self.thread_id is not None:
            self.runner.submit(app_compose.timer_stop, self.session, self.thread_id, owner=self)
        self.thread_id = None
