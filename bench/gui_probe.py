"""Child process for the responsiveness benchmark: the board open on a large clinic,
a 5 ms timer on the GUI thread, and assign / status actions every 100 ms, first
without a sync, then while the app's own sync loop pulls a mailbox from Dovecot.

    python -m bench.gui_probe HOME HOST PORT USER PASSWORD ACTIONS

Prints one JSON line: the event loop's longest stall and 99th percentile of the gaps
between ticks, and each action's time from the click to its card repainted (p50/p95),
without and with the sync running. The sync pass runs in a process of its own, as in
the app, or with BENCH_SYNC=thread on the sync loop's thread in this process.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TICK_MS = 5
SYNC_IN = os.environ.get("BENCH_SYNC", "process")  # where the sync pass runs
ACTION_EVERY_MS = 100
# BENCH_STALL_TRACE=1: a watchdog thread samples the GUI thread's stack whenever the loop
# has not ticked for this long (where the longest stalls come from; in the JSON)
STALL_TRACE_MS = float(os.environ.get("BENCH_STALL_TRACE", "0") or 0) and 25.0


class StallTrace:
    """Samples the GUI thread's Python stack (and the other threads' innermost frames)
    every few ms while the event loop has not ticked for STALL_TRACE_MS."""

    def __init__(self) -> None:
        import threading
        from collections import deque

        from PySide6.QtCore import QCoreApplication, QObject

        self.main = threading.get_ident()
        self.last = time.perf_counter()
        self.samples: list[dict] = []
        # the events the loop delivered last (an app-wide filter sees each one begin)
        self.events: deque = deque(maxlen=6)
        events = self.events

        class Seen(QObject):
            def eventFilter(self, obj, ev) -> bool:  # noqa: ANN001, N802
                events.append((time.perf_counter(), ev.type().name, type(obj).__name__))
                return False

        self._filter = Seen()
        QCoreApplication.instance().installEventFilter(self._filter)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="stall-trace")

    def tick(self) -> None:
        self.last = time.perf_counter()

    def start(self) -> StallTrace:
        self._thread.start()
        return self

    def stop(self) -> None:
        from PySide6.QtCore import QCoreApplication

        QCoreApplication.instance().removeEventFilter(self._filter)
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        import traceback

        while not self._stop.wait(0.003):
            late = (time.perf_counter() - self.last) * 1000
            if late < STALL_TRACE_MS:
                continue
            frames = sys._current_frames()  # noqa: SLF001
            main = frames.get(self.main)
            stack = (
                [
                    f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno} {f.name}"
                    for f in traceback.extract_stack(main)[-14:]
                ]
                if main is not None
                else []
            )
            others = {
                str(tid): (
                    lambda fr: (
                        f"{fr.f_code.co_filename.rsplit('/', 1)[-1]}:{fr.f_lineno} {fr.f_code.co_name}"
                    )
                )(fr)
                for tid, fr in frames.items()
                if tid not in (self.main, threading_ident())
            }
            now = time.perf_counter()
            seen = [(round((now - t) * 1000, 1), n, o) for t, n, o in list(self.events)]
            self.samples.append(
                {
                    "events": seen,
                    "late_ms": round(late, 1),
                    "at": round(self.last, 3),
                    "main": stack,
                    "others": others,
                }
            )


def threading_ident() -> int:
    import threading

    return threading.get_ident()


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else 0.0


def reload(app, win) -> dict:  # noqa: ANN001
    """F5 on the whole board: how long until it is read again and painted, and the event
    loop's longest stall meanwhile (the read runs on the runner, the paint here)."""
    from PySide6.QtCore import QElapsedTimer, QTimer

    gaps: list[float] = []
    clock, ticker = QElapsedTimer(), QTimer()
    ticker.setInterval(TICK_MS)
    ticker.timeout.connect(lambda: gaps.append(clock.restart()))
    took = []
    for _ in range(3):
        started = time.perf_counter()
        clock.start()
        ticker.start()
        win.refresh()
        while win.loading:
            app.processEvents()
            time.sleep(0.0005)
        app.processEvents()
        ticker.stop()
        took.append((time.perf_counter() - started) * 1000)
    return {
        "reload_ms": sorted(took)[1],
        "reload_longest_stall_ms": max(gaps, default=0.0),
    }


def main(home: str, host: str, port: str, user: str, password: str, actions: str) -> int:
    from PySide6.QtCore import QElapsedTimer, QTimer

    from bench.common import MemoryKeyring, open_bench_clinic
    from clinic_inbox.core import services, views
    from clinic_inbox.core.accounts import ImapAccount
    from clinic_inbox.core.credentials import Credentials
    from clinic_inbox.core.keys import KeyCustody
    from clinic_inbox.core.model import Status
    from clinic_inbox.sources.background import SyncLoop
    from clinic_inbox.ui.actions import ActionRunner
    from clinic_inbox.ui.app import application
    from clinic_inbox.ui.board import BoardRole, CardDelegate
    from clinic_inbox.ui.main_window import MainWindow, SyncBridge

    app = application()
    custody = KeyCustody(Path(home), detect=os.environ.get("BENCH_KEYRING") == "1")
    clinic = open_bench_clinic(Path(home), os.environ["BENCH_PASSPHRASE"], custody)
    clinic.credentials = Credentials(clinic, MemoryKeyring())  # cloned by the sync loop
    admin = services.login(clinic, "admin", "demo")
    services.add_imap_account(
        clinic,
        admin,
        ImapAccount(
            name="Bench mail",
            host=host,
            port=int(port),
            username=user,
            security="none",
            from_address=user,
        ),
        password,
    )
    session = services.login(clinic, "reception.moreau", "demo")
    runner = ActionRunner(clinic)
    win = MainWindow(clinic, session, runner)
    win.resize(1600, 940)
    win.show()
    win.views.setCurrentRow(list(views.View).index(views.View.ALL))
    while win.loading:  # the board is read on the runner; wait for it to be painted
        app.processEvents()
        time.sleep(0.001)
    app.processEvents()

    # when each card was last painted: the moment an action's result is on screen
    painted: dict[int, float] = {}

    class Timed(CardDelegate):
        def paint(self, p, option, index) -> None:  # noqa: ANN001
            b = index.data(BoardRole)
            if b is not None:
                painted[b.row.id] = time.perf_counter()
            super().paint(p, option, index)

    for col in win.board.columns.values():
        col.view.setItemDelegate(Timed(col.view))
    app.processEvents()
    me = session.staff.id

    def phase(seconds_cap: float, until=None) -> dict:  # noqa: ANN001
        """Tick and act until `until()` is true (or the cap); gaps and action latencies."""
        gaps: list[float] = []
        latencies: list[float] = []
        clock = QElapsedTimer()
        ticker = QTimer()
        ticker.setInterval(TICK_MS)
        big: list[tuple[int, float]] = []  # the longest gaps and when they ended

        trace = StallTrace().start() if STALL_TRACE_MS else None

        def tick() -> None:
            if trace is not None:
                trace.tick()
            gap = clock.restart()
            gaps.append(gap)
            if gap > 40:
                big.append((gap, round(time.perf_counter() - started, 3)))

        ticker.timeout.connect(tick)
        # the interpreter's cyclic garbage collections meanwhile (they stop every thread)
        collections: list[tuple[float, int, float]] = []  # (ms, generation, when)
        gc_began: list[float] = []

        def on_gc(phase_name: str, info: dict) -> None:
            if phase_name == "start":
                gc_began[:] = [time.perf_counter()]
            elif gc_began:
                now = time.perf_counter()
                took = (now - gc_began[0]) * 1000
                collections.append((round(took, 1), info["generation"], round(now - started, 3)))

        gc.callbacks.append(on_gc)
        waiting: dict[int, float] = {}
        n = {"done": 0}
        # where the time goes: click to the writer's answer here, then answer to paint
        answer_ms: list[float] = []
        paint_ms: list[float] = []
        answered_at: dict[int, float] = {}

        def heard(changes) -> None:  # noqa: ANN001 - the runner's answer reached the window
            now = time.perf_counter()
            for tid in changes.threads:
                if tid in waiting and tid not in answered_at:
                    answered_at[tid] = now
                    answer_ms.append((now - waiting[tid]) * 1000)

        win.runner.changed.connect(heard)
        last = [time.perf_counter()]

        def act() -> None:
            # a card on screen that this receptionist may act on, top of New or In progress
            for status in (Status.NEW, Status.IN_PROGRESS):
                rows = win.board.columns[status].model.rows[:6]
                pick = next((b for b in rows if b.decision.act and b.row.id not in waiting), None)
                if pick is not None:
                    break
            if pick is None or (until is None and n["done"] >= int(actions)):
                return
            n["done"] += 1
            tid = pick.row.id
            waiting[tid] = last[0] = time.perf_counter()
            # the window's own paths, as a drop or a shortcut runs them (they select the
            # card afterwards, so a card that moved column is scrolled into view)
            if n["done"] % 2:
                win._assign_dropped(tid, None if pick.row.assigned_to_id == me else me)
            else:
                new = Status.IN_PROGRESS if pick.row.status is Status.NEW else Status.NEW
                win._dropped(tid, new)

        def check() -> None:
            for tid, at in list(waiting.items()):
                if painted.get(tid, 0) > at:
                    latencies.append((painted[tid] - at) * 1000)
                    if tid in answered_at:
                        paint_ms.append((painted[tid] - answered_at.pop(tid)) * 1000)
                    del waiting[tid]

        actor = QTimer()
        actor.setInterval(ACTION_EVERY_MS)
        actor.timeout.connect(act)
        watcher = QTimer()
        watcher.setInterval(1)
        watcher.timeout.connect(check)
        started = time.perf_counter()
        cpu_started = time.process_time()  # this process's CPU: the GIL's other users
        clock.start()
        for t in (ticker, actor, watcher):
            t.start()
        while time.perf_counter() - started < seconds_cap:
            app.processEvents()
            if until is not None and until():
                break
            if until is None and n["done"] >= int(actions) and not waiting:
                break
            if until is None and n["done"] >= int(actions) and time.perf_counter() - last[0] > 3:
                break  # an answer that never painted is counted as missing, not waited for
            time.sleep(0.0005)
        for t in (ticker, actor, watcher):
            t.stop()
        gc.callbacks.remove(on_gc)
        win.runner.changed.disconnect(heard)
        stacks: dict[float, dict] = {}  # by the tick the stall followed
        if trace is not None:
            trace.stop()
            for smp in trace.samples:
                st = stacks.setdefault(
                    smp["at"],
                    {"late_ms": 0.0, "at_s": round(smp["at"] - started, 3), "samples": []},
                )
                st["late_ms"] = max(st["late_ms"], smp["late_ms"])
                st["samples"].append({k: smp[k] for k in ("late_ms", "main", "others", "events")})
        return {
            "stall_stacks": sorted(stacks.values(), key=lambda d: -d["late_ms"])[:12],
            "seconds": time.perf_counter() - started,
            "process_cpu_s": time.process_time() - cpu_started,
            "stalls_over_40ms": sorted(big, reverse=True)[:8],  # (ms, seconds into the phase)
            "longest_stall_ms": max(gaps, default=0.0),
            "gc_pauses_over_20ms": sorted(c for c in collections if c[0] > 20)[-8:],
            "gc_total_ms": round(sum(c[0] for c in collections), 1),
            "p99_gap_ms": _pct(gaps, 0.99),
            "actions": n["done"],
            "repainted": len(latencies),
            "action_p50_ms": _pct(latencies, 0.5),
            "action_p95_ms": _pct(latencies, 0.95),
            "answer_p50_ms": _pct(answer_ms, 0.5),
            "answer_p95_ms": _pct(answer_ms, 0.95),
            "answer_to_paint_p50_ms": _pct(paint_ms, 0.5),
            "answer_to_paint_p95_ms": _pct(paint_ms, 0.95),
        }

    # how long the window spends applying each batch of changes (a sync's burst above all)
    applying: list[float] = []
    apply = win.apply_changes

    def timed_apply(changes, **kw) -> None:  # noqa: ANN001, ANN003
        t = time.perf_counter()
        apply(changes, **kw)
        applying.append((time.perf_counter() - t) * 1000)

    win.apply_changes = timed_apply  # type: ignore[method-assign]
    # the window's own slot (it paints the cards an answer brings, then calls the timed
    # apply_changes above for the rest); connecting apply_changes itself skipped that path
    win.runner.changed.disconnect()
    win.runner.changed.connect(win._local_changes)
    quiet = phase(60)
    quiet["longest_apply_ms"] = max(applying, default=0.0)
    applying.clear()
    quiet.update(reload(app, win))
    reports: list = []
    bridge = SyncBridge()
    bridge.report.connect(win.on_sync_report)
    bridge.report.connect(lambda r, s: reports.append((r, time.perf_counter())))
    loop = SyncLoop(
        clinic,
        interval=3600,
        idle=False,
        on_report=lambda r, s: bridge.report.emit(r, s),
        actor_id=me,
        actor="reception.moreau",
        # BENCH_SYNC=thread: the pass on the loop's thread, as before, for comparison
        own_process=SYNC_IN != "thread",
    )
    if os.environ.get("BENCH_SYNC_NICE"):  # try the sync process at another priority
        from clinic_inbox.sources import sync_process

        sync_process.PROCESS_NICE = int(os.environ["BENCH_SYNC_NICE"])
    sync_started = time.perf_counter()
    loop.start()
    # through the sync and one second after its report (its burst reaches the board)
    syncing = phase(3600, until=lambda: bool(reports) and time.perf_counter() > reports[0][1] + 1)
    syncing["longest_apply_ms"] = max(applying, default=0.0)
    syncing["report_at_s"] = round(reports[0][1] - sync_started, 3) if reports else None
    loop.stop()
    runner.stop()
    stored = reports[0][0].stored if reports else 0
    print(
        json.dumps(
            {"quiet": quiet, "syncing": syncing, "synced_messages": stored, "sync_in": SYNC_IN}
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
