"""The background sync loop the app runs: no Qt here, plain threads.

- A sync pass (pull every account, send what waits) runs every `interval`
  seconds, at once after `retry_now()`, and at once when an IDLE watcher hears
  that new mail arrived.
- When a pass finds a source offline, the next try backs off (30 s, 1 min ...
  up to 10 min) unless someone clicks "retry now".
- Results go to a callback; the UI turns them into signals. Nothing here
  touches a widget.
- Each pass runs in a process of its own (sources.sync_process) unless
  `own_process=False`: on the loop's thread, its Python work competed with the
  window for the interpreter lock and stalled the event loop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from clinic_inbox.core import accounts as acc
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.sources.errors import SourceError
from clinic_inbox.sources.imap import ImapConnection
from clinic_inbox.sources.sync import RunReport, run_once
from clinic_inbox.sources.sync_process import SyncProcess

log = logging.getLogger(__name__)

MAX_BACKOFF = 600.0
STOPPED = "The last sync stopped unexpectedly; will try again."


@dataclass
class LoopStatus:
    running: bool = False
    last_sync_at: datetime | None = None
    offline: dict[str, str] = field(default_factory=dict)  # account -> plain reason
    queued: int = 0
    failures_in_a_row: int = 0
    next_try_in: float = 0.0


def backoff_seconds(failures: int) -> float:
    return 0.0 if failures <= 0 else min(30.0 * 2 ** (failures - 1), MAX_BACKOFF)


class SyncLoop:
    def __init__(
        self,
        clinic: Clinic,
        *,
        interval: float = 120.0,
        on_report: Callable[[RunReport, LoopStatus], None] | None = None,
        on_progress: Callable[[str, int, int], None] | None = None,
        actor_id: int | None = None,
        actor: str = "system",
        idle: bool = True,
        may_fetch: Callable[[], bool] | None = None,
        own_process: bool = True,
    ) -> None:
        self._parent = clinic
        self._own_process = own_process
        # With a shared server, only the workstation holding the ingest lease fetches;
        # the others only send what waits (and receive the mail from the server).
        self._may_fetch = may_fetch
        self.interval = interval
        self.on_report = on_report
        self.on_progress = on_progress
        self.actor_id, self.actor = actor_id, actor
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._watchers: list[threading.Thread] = []
        self._idle = idle
        self.status = LoopStatus()
        self.process: SyncProcess | None = None  # the pass's process, once started

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="clinic-inbox-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        for w in self._watchers:
            w.join(0.1)
        self._thread = None

    def retry_now(self) -> None:
        self.status.failures_in_a_row = 0
        self._wake.set()

    # -- the loop ---------------------------------------------------------------
    def _run(self) -> None:
        clinic = self._parent.clone()  # its own connection: the GUI's stays free
        passes = SyncProcess(clinic) if self._own_process else None
        self.process = passes
        try:
            if self._idle:
                self._start_idle_watchers(clinic)
            while not self._stop.is_set():
                self.status.running = True
                # the clinic's policy as Settings last saved it (the window reloads it)
                clinic.config = self._parent.config
                try:
                    if self._wake.is_set():  # "retry now" or new mail: queued replies go too
                        with clinic.store.transaction():
                            oq.retry_now(clinic.store)
                    self._wake.clear()
                    report = (passes.run if passes is not None else run_once)(
                        clinic,
                        actor_id=self.actor_id,
                        actor=self.actor,
                        progress=self.on_progress,
                        stop=self._stop,
                        fetch=self._may_fetch() if self._may_fetch is not None else True,
                    )
                    failed = False
                except Exception as exc:  # noqa: BLE001 - the loop must survive anything
                    log.error("sync pass failed: %s", type(exc).__name__)
                    report, failed = RunReport(), True
                self._update_status(clinic, report, failed)
                if self.on_report:
                    self.on_report(report, self.status)
                wait = self.interval
                if self.status.offline:
                    wait = max(backoff_seconds(self.status.failures_in_a_row), 5.0)
                if report.outbox.unclaimed_waiting:
                    # a safety reply waits for the clinic's server a short while only:
                    # the next pass asks again, or sends it, when that wait is over
                    wait = min(wait, max(report.outbox.unclaimed_wait_seconds, 5.0))
                self.status.next_try_in = wait
                self._wake.wait(wait)
        finally:
            if passes is not None:
                passes.close()
            clinic.close()

    def _update_status(self, clinic: Clinic, report: RunReport, failed: bool = False) -> None:
        self.status.running = False
        self.status.last_sync_at = datetime.now(UTC)
        self.status.offline = {a.account: a.error or "" for a in report.accounts if a.offline}
        if failed:  # said to the person (it was set, then overwritten here, before)
            self.status.offline["sync"] = STOPPED
        self.status.failures_in_a_row = (
            self.status.failures_in_a_row + 1 if self.status.offline else 0
        )
        self.status.queued = oq.counts(clinic.store).get("pending", 0) + oq.counts(
            clinic.store
        ).get("sending", 0)

    # -- IDLE ----------------------------------------------------------------------
    def _start_idle_watchers(self, clinic: Clinic) -> None:
        for account in acc.imap_accounts(clinic.store):
            try:
                password = clinic.credentials.get(account.name) if clinic.credentials else ""
            except Exception:  # noqa: BLE001 - the sync pass reports it
                continue
            t = threading.Thread(
                target=self._watch, args=(account, password), name=f"idle-{account.id}", daemon=True
            )
            t.start()
            self._watchers.append(t)

    def _watch(self, account: acc.ImapAccount, password: str) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                with ImapConnection(account, password, timeout=60) as conn:
                    conn.select(account.mailbox)
                    failures = 0
                    while not self._stop.is_set():
                        if conn.idle_wait(25.0):  # short rounds so stop() is prompt
                            self._wake.set()
            except SourceError:
                failures += 1
                self._stop.wait(backoff_seconds(failures))
            except Exception:  # noqa: BLE001 - a watcher never kills the app
                failures += 1
                time.sleep(1)
