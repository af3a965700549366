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
from PySide6.QtWidgets import QPushButton

from clinic_inbox.core.changes import Changes
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.shared import conflicts
from clinic_inbox.shared.live import LiveSync
from clinic_inbox.shared.pull import Applied, changes_of
from clinic_inbox.shared.push import PushResult
from clinic_inbox.ui.conflicts_dialog import ConflictsDialog
from clinic_inbox.ui.main_window import MainWindow

SERVER = "Shared server"  # as the offline banner names it


class LiveRefresh(QObject):
    # emitted on the live sync's thread, received on the GUI thread (queued connection)
    arrived = Signal(object)  # Changes
    problem = Signal(str)
    conflicted = Signal()  # some of this workstation's changes were not applied
    lease_taken = Signal()  # this workstation now fetches the clinic's new mail

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
            on_connected=lambda: self.problem.emit(""),
            interval=interval,
            custody=custody,
            ingest=True,  # competes for the ingest lease; the holder publishes new mail
            on_lease=lambda held: self.lease_taken.emit() if held else None,
        )
        self.arrived.connect(window.post_changes)
        self.problem.connect(self._show_problem)
        window.runner.changed.connect(self._local)
        # "2 changes not applied": opens the conflict screen; shown only when some wait
        self.conflicts = QPushButton("")
        self.conflicts.setAccessibleName("Changes not applied")
        self.conflicts.setVisible(False)
        self.conflicts.clicked.connect(self.show_conflicts)
        window.statusBar().addPermanentWidget(self.conflicts)
        self.conflicted.connect(self.count_conflicts)

    @classmethod
    def for_window(cls, clinic: Clinic, window: MainWindow) -> LiveRefresh | None:
        """Started for a workstation that works with a shared server; None for a
        clinic that works alone (nothing changes for it)."""
        if not LiveSync.wanted(clinic):
            return None
        return cls(clinic, window).start()

    def start(self) -> LiveRefresh:
        self.live.start()
        self.count_conflicts()
        return self

    def may_fetch(self) -> bool:
        """For the mail sync (on its thread): fetch while holding the lease, or when the
        server has been away longer than a lease (LiveSync.may_fetch)."""
        return self.live.may_fetch()

    def nudge(self) -> None:
        """The mail sync stored something: the lease holder publishes it now."""
        self.live.nudge()

    def stop(self) -> None:
        self.live.stop()
        for signal, slot in (
            (self.window.runner.changed, self._local),
            (self.arrived, self.window.post_changes),
        ):
            try:  # nothing more reaches the window, even a change already on its way
                signal.disconnect(slot)
            except (RuntimeError, TypeError):
                pass  # the window is gone already

    # -- on the live sync's thread: signals only ----------------------------------------
    def _applied(self, applied: list[Applied]) -> None:
        changes = changes_of(applied)
        if changes:
            self.arrived.emit(changes)

    def _pushed(self, result: PushResult) -> None:
        if result.conflicts or result.staff_conflicts or result.refused:
            self.conflicted.emit()  # the board shows the kept values; the button says so
        if result.staff_conflicts:  # a role or account set back to the clinic's here
            self.arrived.emit(Changes(staff=True, access=True))

    def _presence(self, threads: set[int]) -> None:
        if threads:
            self.arrived.emit(Changes(presence=frozenset(threads)))

    # -- on the GUI thread ----------------------------------------------------------------
    def _local(self, changes: Changes) -> None:
        if changes.threads or changes.access or changes.staff:
            self.live.nudge()

    def count_conflicts(self) -> None:
        w = self.window
        w.runner.submit(conflicts.shown, w.session, done=self._counted, owner=self.conflicts)

    def _counted(self, rows: list[conflicts.Shown]) -> None:
        n = len(rows)
        self.conflicts.setText(f"{n} change{'s' if n != 1 else ''} not applied: see why")
        self.conflicts.setVisible(n > 0)

    def show_conflicts(self) -> ConflictsDialog:
        w = self.window
        dlg = ConflictsDialog(w.clinic, w.session, w.runner, w)
        dlg.settled.connect(self.count_conflicts)
        dlg.show()
        return dlg

    def _show_problem(self, text: str) -> None:
        """The offline banner names the shared server while it is away (or refuses a
        row); it goes when the live sync works again. Work goes on meanwhile."""
        self.window.set_offline(SERVER, text or None)
