"""Keeping this workstation in step with the server, in the background.

One thread, its own store connection and two server connections: one that LISTENs
(a notification only wakes us: its payload is a change number, never patient data),
one that pushes and pulls. It pulls by cursor on every wake-up, every `interval`
seconds and after a reconnect, so a lost notification delays a change, never loses it.
`nudge()` after a local change pushes it at once. No Qt here: the app (later) connects
`on_applied` to its refresh.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import psycopg

from clinic_inbox.core.home import Clinic
from clinic_inbox.shared import SharedQueueError
from clinic_inbox.shared.schema import CHANGES_CHANNEL
from clinic_inbox.shared.server import APP_NAME, Link, connect, open_link
from clinic_inbox.shared.sync import PULL_BATCH, Applied, PushResult, pull, push

Listener = Callable[[list[Applied]], None]


class LiveSync:
    def __init__(
        self,
        clinic: Clinic,
        *,
        on_applied: Listener | None = None,
        on_pushed: Callable[[PushResult], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        interval: float = 15.0,
        app: str = APP_NAME,
    ) -> None:
        self._source = clinic
        self._on_applied = on_applied or (lambda changes: None)
        self._on_pushed = on_pushed or (lambda r: None)
        self._on_error = on_error or (lambda msg: None)
        self._interval = interval
        self._app = app
        self._nudged = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="shared-sync", daemon=True)
        self.connected = threading.Event()

    def start(self) -> LiveSync:
        self._thread.start()
        return self

    def nudge(self) -> None:
        """A local change is queued: push it now."""
        self._nudged.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    # -- the thread ------------------------------------------------------------------
    def _run(self) -> None:
        clinic = self._source.clone()
        backoff = 1.0
        try:
            while not self._stop.is_set():
                try:
                    self._session(clinic)
                    backoff = 1.0
                except (SharedQueueError, psycopg.Error) as exc:
                    self.connected.clear()
                    self._on_error(
                        str(exc)
                        if isinstance(exc, SharedQueueError)
                        else "The shared server connection was lost; retrying."
                    )
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, self._interval)
        finally:
            clinic.close()

    def _session(self, clinic: Clinic) -> None:
        link = open_link(clinic, app=self._app)
        listener = connect(link.dsn, autocommit=True, app=self._app)
        try:
            listener.execute(f"LISTEN {CHANGES_CHANNEL}")
            self.connected.set()
            self._sync(clinic, link)
            last = time.monotonic()
            while not self._stop.is_set():
                woke = False
                for _ in listener.notifies(timeout=0.1, stop_after=1):
                    woke = True
                if self._nudged.is_set():
                    self._nudged.clear()
                    woke = True
                if woke or time.monotonic() - last >= self._interval:
                    self._sync(clinic, link)
                    last = time.monotonic()
        finally:
            listener.close()
            link.conn.close()

    def _sync(self, clinic: Clinic, link: Link) -> None:
        pushed = push(clinic, link)
        if pushed.applied or pushed.conflicts:
            self._on_pushed(pushed)
        while True:
            result = pull(clinic, link)
            if result.applied:
                self._on_applied(result.applied)
            if len(result.applied) < PULL_BATCH:
                break
