"""The sync pass in a process of its own, so its Python work never competes with the
window for the app's interpreter lock (issue 19: the event loop stalled up to ~100 ms
while a sync ran on a thread of the app's process).

The app's `SyncLoop` keeps its timing, back-off, IDLE watchers and the shared lease in
the app; only the pass itself (`run_once`) runs here. The child is started once, with
nothing on its command line or in its environment but what any spawned Python gets; the
store key and the audit key reach it over the pipe, in memory. Each pass is asked for
with the clinic's current policy and whether to fetch; the child answers with small
messages: progress, then the pass's `RunReport` (its typed `Changes` included), or the
name of what went wrong. The store's own transactions make every pass exactly-once
whichever process runs it, so a killed child loses nothing: the next pass (a new child)
takes up from the last committed batch.

No Qt here.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from clinic_inbox.core.config import ClinicConfig
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.keys import CustodyRecord
from clinic_inbox.sources.email_sync import Progress
from clinic_inbox.sources.sync import RunReport

# The pass gives way to the window on a busy computer, as its parse workers do (they
# add their own 10 on top). At the size on the loaded 2-core machine: longest
# stall / p99 during the sync 188 / 29 and 49 / 20 ms at 5, 374 / 84 and 158 / 49 ms at
# 0 (two runs each, README); the sync took no longer.
PROCESS_NICE = 5
STOP_GRACE = 10.0  # seconds a stopped pass has to finish its batch before it is killed
START_TIMEOUT = 60.0  # a child that cannot open the store in this long is given up


class SyncProcessError(RuntimeError):
    """The sync process failed or ended during a pass (the loop says it in plain words)."""


@dataclass(frozen=True)
class _Opening:
    """What the child needs to open the clinic: sent over the pipe, never written down.
    repr=False on the keys: nothing prints them."""

    home: Path
    store_path: Path
    keys: bytes = field(repr=False)  # Secrets.pack(): the store key and the audit key
    custody: CustodyRecord = field(repr=False)
    config: ClinicConfig = field(repr=False)
    witness_folder: Path | None = None  # the audit counter's folder, as the app's


@dataclass(frozen=True)
class _Pass:
    actor_id: int | None
    actor: str
    fetch: bool
    config: ClinicConfig = field(repr=False)  # the policy as Settings last saved it


class SyncProcess:
    """The app's side: starts the child on the first pass, keeps it for the next ones,
    and ends it at `close()` (or when a pass fails: the next pass starts a fresh one)."""

    def __init__(self, clinic: Clinic) -> None:
        self._clinic = clinic
        self._proc: Any = None  # multiprocessing.Process (the spawn context's)
        self._conn: Connection | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _start(self) -> Connection:
        if self._conn is not None and self._proc is not None and self._proc.is_alive():
            return self._conn
        self._end(kill=True)
        ctx = multiprocessing.get_context("spawn")  # a clean process: the app has threads
        mine, theirs = ctx.Pipe(duplex=True)
        # not a daemon: the child starts its own parse workers; it dies with the app
        # all the same (die_with_parent: with the thread starting it, the sync loop's,
        # which ends it anyway) and stops when the pipe says the app went away
        proc = ctx.Process(
            target=child_main,
            args=(theirs, os.getpid()),
            name="clinic-inbox-sync-process",
            daemon=False,
        )
        proc.start()
        theirs.close()
        _give_way(proc.pid)
        c = self._clinic
        witness = c.witness
        mine.send(
            _Opening(
                home=Path(c.home),
                store_path=Path(c.store.path),
                keys=c.secrets.pack(),
                custody=c.custody,
                config=c.config,
                witness_folder=witness.folder if witness is not None else None,
            )
        )
        try:
            if not mine.poll(START_TIMEOUT):
                raise SyncProcessError("the sync process did not start")
            try:
                ready = mine.recv()
            except (EOFError, OSError) as exc:
                raise SyncProcessError("the sync process ended as it started") from exc
            if ready != ("ready",):
                raise SyncProcessError(f"the sync process could not open the store ({ready[1]})")
        except SyncProcessError:
            proc.kill()
            proc.join(1)
            mine.close()
            raise
        self._proc, self._conn = proc, mine
        return mine

    def run(
        self,
        clinic: Clinic,
        *,
        actor_id: int | None = None,
        actor: str = "system",
        progress: Progress | None = None,
        stop: threading.Event | None = None,
        fetch: bool = True,
    ) -> RunReport:
        """One pass in the child, the same answer `run_once` gives; raises
        SyncProcessError when the child fails or ends before answering."""
        conn = self._start()
        conn.send(("pass", _Pass(actor_id, actor, fetch, clinic.config)))
        stop_sent = False
        stop_at: float | None = None
        while True:
            if stop is not None and stop.is_set() and not stop_sent:
                conn.send(("stop",))  # the child ends the pass after its current batch
                stop_sent, stop_at = True, time.monotonic()
            if stop_at is not None and time.monotonic() - stop_at > STOP_GRACE:
                self._end(kill=True)
                raise SyncProcessError("the sync process did not stop in time")
            try:
                if not conn.poll(0.2):
                    continue
                msg = conn.recv()
            except (EOFError, OSError) as exc:
                self._end(kill=True)
                raise SyncProcessError("the sync process ended during a pass") from exc
            kind = msg[0]
            if kind == "progress":
                if progress is not None:
                    progress(msg[1], msg[2], msg[3])
            elif kind == "report":
                return msg[1]
            else:  # "failed": the child is fine to reuse, but a fresh one costs little
                self._end(kill=False)
                raise SyncProcessError(f"the sync pass failed ({msg[1]})")

    def close(self, timeout: float = 5.0) -> None:
        self._end(kill=False, timeout=timeout)

    def _end(self, *, kill: bool, timeout: float = 5.0) -> None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if conn is not None:
            try:
                if not kill:
                    conn.send(("quit",))
            except OSError:
                pass
        if proc is not None:
            if kill:
                proc.kill()
            proc.join(timeout)
            if proc.is_alive():
                proc.kill()
                proc.join(1)
        if conn is not None:
            conn.close()


# -- the child ---------------------------------------------------------------------------
def _give_way(pid: int) -> None:
    """Lower the child's priority from here, at once: set by the child itself, it came
    after the imports of its first second (the app's main module, the whole sync),
    which then stalled the window as much as the pass on a thread did."""
    if not PROCESS_NICE or not hasattr(os, "setpriority"):
        return
    try:
        mine = os.getpriority(os.PRIO_PROCESS, 0)
        os.setpriority(os.PRIO_PROCESS, pid, min(mine + PROCESS_NICE, 19))
    except OSError:
        pass  # not allowed here: the pass runs at the app's priority


def child_main(conn: Connection, app_pid: int) -> None:
    """The sync process: open the clinic from what the pipe brings, then run passes
    until told to quit or the app goes away."""
    from clinic_inbox.core.hardening import worker_start

    worker_start(app_pid)  # no core dumps, and it ends when the app does
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the app decides when a pass stops
    try:
        opening: _Opening = conn.recv()
        clinic = _open(opening)
    except Exception as exc:  # noqa: BLE001 - said to the app by name, never the detail
        conn.send(("failed", type(exc).__name__))
        return
    del opening
    conn.send(("ready",))
    stop = threading.Event()
    passes: list[_Pass | None] = []
    wake = threading.Condition()

    def listen() -> None:
        """Reads the app's messages while a pass runs (a stop must reach it)."""
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                msg = ("quit",)  # the app is gone: stop at once, quit after
            with wake:
                if msg[0] == "pass":
                    stop.clear()
                    passes.append(msg[1])
                elif msg[0] in ("stop", "quit"):
                    stop.set()
                    if msg[0] == "quit":
                        passes.append(None)
                wake.notify()
            if msg[0] == "quit":
                return

    threading.Thread(target=listen, name="sync-process-pipe", daemon=True).start()
    from clinic_inbox.sources.sync import run_once

    try:
        while True:
            with wake:
                while not passes:
                    wake.wait()
                job = passes.pop(0)
            if job is None:
                return
            clinic.config = job.config

            def progress(account: str, done: int, total: int) -> None:
                try:
                    conn.send(("progress", account, done, total))
                except OSError:
                    stop.set()  # the app is gone: end after this batch, nothing is lost

            try:
                report = run_once(
                    clinic,
                    actor_id=job.actor_id,
                    actor=job.actor,
                    progress=progress,
                    stop=stop,
                    fetch=job.fetch,
                )
            except Exception as exc:  # noqa: BLE001 - the app's loop reports it, plainly
                _send(conn, ("failed", type(exc).__name__))
                continue
            _send(conn, ("report", report))
    finally:
        clinic.close()


def _send(conn: Connection, msg: tuple) -> None:
    try:
        conn.send(msg)
    except OSError:
        pass  # the app is gone; what the pass wrote is committed


def _open(o: _Opening) -> Clinic:
    from clinic_inbox.core.audit_witness import LocalWitness
    from clinic_inbox.core.keys import Secrets
    from clinic_inbox.core.store import open_store

    secrets = Secrets.unpack(o.keys)
    store = open_store(o.store_path, secrets.db_key, upgrade=False)
    witness = (
        LocalWitness(o.custody.store_id, o.home, secrets.audit_key, None, o.witness_folder)
        if o.witness_folder is not None
        else None
    )
    return Clinic(o.home, store, secrets, o.config, o.custody, None, witness)
