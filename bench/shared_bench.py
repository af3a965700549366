"""Shared queue: how long a change made on one workstation takes to show on another.

Two workstation processes (tests/shared/ws_driver.py), each with its own clinic folder
and its own keyring (a gnome-keyring on a private D-Bus), one real PostgreSQL on
127.0.0.1. Workstation A assigns, changes status and adds notes; the time is from A's
service call returning to B having applied the change in its own SQLCipher store
(B's "applied" event), for every change.
"""

from __future__ import annotations

import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DRIVER = ROOT / "tests" / "shared" / "ws_driver.py"
sys.path.insert(0, str(ROOT / "tests" / "shared"))
sys.path.insert(0, str(ROOT / "tests"))


class _Process:
    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.events: queue.Queue[dict] = queue.Queue()
        self.last: list[dict] = []
        self.proc = subprocess.Popen(
            [sys.executable, str(DRIVER), str(home)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            event = json.loads(line)
            self.last.append(event)
            self.events.put(event)

    def send(self, **cmd: object) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()

    def wait(self, kind: str, timeout: float = 30, match=lambda e: True) -> dict:  # noqa: ANN001
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                break
            if event["event"] == kind and match(event):
                return event
        raise RuntimeError(
            f"no {kind} event from a workstation within {timeout} s (last: {self.last[-3:]})"
        )

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send(cmd="quit")
                self.proc.wait(15)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


def propagation(changes: int = 50, conversations: int = 5) -> dict:
    from support.postgres import PostgresServer
    from support.secret_service import SecretService
    from workstations import login, new_workstation, receive

    from clinic_inbox.core.keys import KeyCustody
    from clinic_inbox.shared import server as srv
    from clinic_inbox.shared import sync

    server = PostgresServer().start()
    rings = [SecretService().start() for _ in range(2)]
    procs: list[_Process] = []
    try:
        dsn = server.create_database("bench_shared")
        base = Path(tempfile.mkdtemp(prefix="bench-shared-"))
        homes = [base / "ws-a", base / "ws-b"]
        clinics = [new_workstation(h, r.backend()) for h, r in zip(homes, rings, strict=True)]
        custody = [
            KeyCustody(c.home, backend=r.backend()) for c, r in zip(clinics, rings, strict=True)
        ]
        a, b = clinics
        init = srv.init_server(a, login(a, "admin"), dsn, custody[0])
        srv.connect_workstation(b, login(b, "admin"), dsn, init.clinic_code, custody[1])
        link = srv.open_link(a, custody[0])
        convs = [sync.publish_conversation(a, link, t, None) for t in receive(a, conversations)]
        link.conn.close()
        for c in clinics:
            c.close()
        procs = [_Process(h, r.env) for h, r in zip(homes, rings, strict=True)]
        for p in procs:
            p.wait("ready", timeout=90)
        pa, pb = procs
        latencies: list[float] = []
        people = ["nurse.chen", "reception.moreau"]
        statuses = ["new", "in_progress", "waiting_on_patient", "done"]
        status_now = {c: "new" for c in convs}  # each change a real one (else nothing moves)
        assignee_now: dict[str, str] = {}
        for i in range(changes):
            conv = convs[i % conversations]
            kind = ("assign", "status", "note")[i % 3]
            while not pb.events.empty():
                pb.events.get_nowait()
            if kind == "assign":
                who = people[1] if assignee_now.get(conv) == people[0] else people[0]
                assignee_now[conv] = who
                pa.send(cmd="assign", conv=conv, to=who, **{"as": "dr.patel"})
                ref = "assignee"
            elif kind == "status":
                new = statuses[(statuses.index(status_now[conv]) + 1) % len(statuses)]
                status_now[conv] = new
                pa.send(cmd="status", conv=conv, status=new, **{"as": "dr.patel"})
                ref = "status"
            else:
                pa.send(cmd="note", conv=conv, text=f"bench note {i}", **{"as": "dr.patel"})
                ref = None
            t0 = pa.wait("done")["t0"]
            got = pb.wait(
                "applied",
                timeout=10,
                match=lambda e, conv=conv, ref=ref: any(
                    ch[2] == conv and (ch[3] == ref if ref else ch[1] == "note")
                    for ch in e["changes"]
                ),
            )
            latencies.append(got["t"] - t0)
        return {
            "changes": len(latencies),
            "p50_ms": statistics.median(latencies) * 1000,
            "p95_ms": statistics.quantiles(latencies, n=20)[18] * 1000,
            "max_ms": max(latencies) * 1000,
        }
    finally:
        for p in procs:
            p.close()
        for r in rings:
            r.stop()
        server.close()


if __name__ == "__main__":
    print(propagation(int(sys.argv[1]) if len(sys.argv) > 1 else 50))
