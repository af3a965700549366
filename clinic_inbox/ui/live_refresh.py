"""The other workstations' changes on this board, live.

`LiveSync` (clinic_inbox.shared.live) pulls what the others changed on its own thread
and store connection. Here its callbacks become `Changes` values carried to the GUI
thread by a queued signal and handed to `MainWindow.post_changes`, the same path the
mail sync's changes take: the sync thread never touches a widget. A local action
(any `Changes` the writer reports) nudges the live sync, so it reaches the others at
once instead of at the next timer.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from clinic_inbox.core.changes import Changes
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared.live import LiveSync
from clinic_inbox.shared.pull import Applied
from clinic_inbox.shared.push import PushResult
from clinic_inbox.ui.main_window import MainWindow


def changes_of(applied: list[Applied]) -> Changes:
    """What a pull changed, as the board understands it."""
    return Changes.of_threads(a.thread_id for a in applied if a.thread_id is not None)


class LiveRefresh(QObject):
    # emitted on the live sync's thread, received on the GUI thread (queued connection)
    arrived = Signal(object)  # Changes
    problem = Signal(str)

    def __init__(
        self,
        clinic: Clinic,
        window: MainWindow,
        *,
        custody: KeyCustody | None = None,
        interval: float = 15.0,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.live = LiveSync(
            clinic,
            on_applied=self._applied,
            on_pushed=self._pushed,
            on_presence=self._presence,
            on_error=self.problem.emit,
            interval=interval,
            custody=custody,
        )
        self.arrived.connect(window.post_changes)
        self.problem.connect(self._show_problem)
        window.runner.changed.connect(self._local)

    @classmethod
    def for_window(cls, clinic: Clinic, window: MainWindow) -> LiveRefresh | None:
        """Started for a workstation that works with a shared server; None for a
        clinic that works alone (nothing changes for it)."""
        if shq.linked_clinic(clinic.store) is None:
            return None
        return cls(clinic, window).start()

    def start(self) -> LiveRefresh:
        self.live.start()
        return self

    def stop(self) -> None:
        try:
            self.window.runner.changed.disconnect(self._local)
        except (RuntimeError, TypeError):
            pass  # the window (and its runner's connection) is gone already
        self.live.stop()

    # -- on the live sync's thread: signals only ----------------------------------------
    def _applied(self, applied: list[Applied]) -> None:
        changes = changes_of(applied)
        if changes:
            self.arrived.emit(changes)

    def _pushed(self, result: PushResult) -> None:
        if result.conflicts:
            # the server kept another value: the cards show it (pulled next)
            self.problem.emit(
                f"{result.conflicts} of your changes met a newer one made on another "
                "workstation; the board shows the clinic's current values."
            )

    def _presence(self, threads: set[int]) -> None:
        if threads:
            self.arrived.emit(Changes(presence=frozenset(threads)))

    # -- on the GUI thread ----------------------------------------------------------------
    def _local(self, changes: Changes) -> None:
        if changes.threads or changes.access or changes.staff:
            self.live.nudge()

    def _show_problem(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 15_000)
