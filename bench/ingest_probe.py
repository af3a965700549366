"""One email sync in a process of its own, so its peak memory is its own (the benchmark
holds the whole corpus in memory; the sync process does not).

    python -m bench.ingest_probe HOST PORT USER N [BATCH]

BATCH: a fixed batch size; without it, the app's own growing batches.

Prints one JSON line: seconds, messages, CPU seconds of the sync process (from the start
of the sync: the clinic's creation apart, as cpu_setup_s) and of its parse workers, the
sync process's peak RSS (ru_maxrss) and the workers' largest RSS sampled every 0.2 s (a
spawned child's ru_maxrss starts from its parent's, so it says nothing of its own). Workers forked by the fork server are its children, not this process's: the
server is stopped (and so reaped) before the CPU is read, so theirs and its own count.
`CLINIC_INBOX_MIME=stdlib` in the environment gives the stdlib-only parse path.
"""

from __future__ import annotations

import json
import resource
import sys
import threading
from pathlib import Path
from types import SimpleNamespace


def _children_rss_mb() -> list[float]:
    pids: list[str] = []
    for task in Path("/proc/self/task").iterdir():
        try:
            pids += (task / "children").read_text().split()
        except OSError:
            continue
    out = []
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out.append(int(line.split()[1]) / 1024)
        except OSError:
            continue
    return out


class _Sampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0.0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            self.peak = max([self.peak, *_children_rss_mb()])


def _stop_fork_server() -> None:
    from multiprocessing import forkserver

    server = forkserver._forkserver  # noqa: SLF001 - the bench reaps it to count its CPU
    if server._forkserver_pid is not None:  # noqa: SLF001
        server._stop()  # noqa: SLF001


def main() -> int:
    from bench.__main__ import clinic_sync
    from clinic_inbox.sources import mime_lean

    host, port, user, n = sys.argv[1:5]
    batch = int(sys.argv[5]) if len(sys.argv) > 5 else None
    server = SimpleNamespace(host=host, port=int(port))  # all clinic_sync needs of it
    sampler = _Sampler()
    sampler.start()
    setup: list[
        resource.struct_rusage
    ] = []  # the clinic's creation (scrypt, Argon2) is not the sync's

    def started() -> None:
        setup.append(resource.getrusage(resource.RUSAGE_SELF))

    elapsed, clinic = clinic_sync(server, int(n), user=user, batch_size=batch, on_start=started)  # type: ignore[arg-type]
    sampler.done.set()
    clinic.store.close()
    _stop_fork_server()
    me = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "messages": int(n),
                "lean_reader": mime_lean.ENABLED,
                "cpu_sync_s": me.ru_utime + me.ru_stime - setup[0].ru_utime - setup[0].ru_stime,
                "cpu_setup_s": setup[0].ru_utime + setup[0].ru_stime,
                "cpu_workers_s": workers.ru_utime + workers.ru_stime,
                "peak_rss_mb": me.ru_maxrss / 1024,
                "peak_rss_worker_mb": sampler.peak,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
