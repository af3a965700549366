"""Parse workers hold patient messages in memory: they end the moment the app does,
even when it is killed, although they are forked by a fork server, not by the app."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
APP = """
import os, sys, time
from clinic_inbox.sources.parse_pool import ParsePool
pool = ParsePool(10_000, workers=2)
assert pool.parallel
for job in [pool._pool.submit(time.sleep, 1) for _ in range(2)]:  # both workers up
    job.result(timeout=120)
busy = [pool._pool.submit(time.sleep, 300) for _ in range(2)]  # as if mid-batch
time.sleep(0.5)
print(*pool._pool._processes, flush=True)
time.sleep(600)
"""


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie holds no memory


def _parent(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("PPid:"):
            return int(line.split()[1])
    raise AssertionError("no parent")


def test_workers_and_their_fork_server_end_when_the_app_is_killed():
    app = subprocess.Popen(
        [sys.executable, "-c", APP],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        workers = [int(p) for p in app.stdout.readline().split()]
        assert len(workers) == 2 and all(_running(p) for p in workers)
        servers = {_parent(p) for p in workers}
        assert servers != {app.pid}, "forked by a fork server, not by the app"
        app.send_signal(signal.SIGKILL)
        app.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(map(_running, [*workers, *servers])):
            time.sleep(0.05)
        assert not any(map(_running, workers)), "a parse worker outlived the app"
        assert not any(map(_running, servers)), "the fork server outlived the app"
    finally:
        app.kill()
        app.wait()
