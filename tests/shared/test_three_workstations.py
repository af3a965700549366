"""Three workstations, three processes, one real PostgreSQL.

Each workstation has its own data folder and its own keyring (a gnome-keyring on a
private D-Bus). Workstation A receives the mail and publishes it; then assignments,
status changes and notes made on A must appear on B and C within 2 s. The server's
data directory, a pg_dump and every NOTIFY payload must hold none of the patients'
names, addresses, subjects, bodies or notes. A row tampered with on the server is
refused by a workstation that pulls it, and nothing of it is applied.
"""

from __future__ import annotations

import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from support.fast_kdf import child_pythonpath
from workstations import login, new_workstation, receive

from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.shared import server as srv
from clinic_inbox.shared import sync

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CHANGES = 50
CONVERSATIONS = 5
SECRETS = [
    b"Quennell",
    "Zoë".encode(),
    b"zoe.quennell",
    b"thyroxine",
    b"levothyroxine",
    b"Called the pharmacy",
    b"renewal-",
]


class Workstation:
    """A driver process and the events it prints."""

    def __init__(self, name: str, home: Path, env: dict[str, str]) -> None:
        self.name = name
        self.events: queue.Queue[dict] = queue.Queue()
        self.log: list[dict] = []
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "ws_driver.py"), str(home)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **env, "PYTHONPATH": child_pythonpath(ROOT)},
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            event = json.loads(line)
            self.log.append(event)
            self.events.put(event)

    def send(self, **cmd: object) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()

    def wait(self, kind: str, timeout: float = 30, match=lambda e: True) -> dict:  # noqa: ANN001
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                err = self.proc.stderr.read() if self.proc.poll() is not None else ""
                raise AssertionError(
                    f"{self.name}: no {kind} event in {timeout} s. {err} {self.log[-4:]}"
                )
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if event["event"] == kind and match(event):
                return event

    def state(self, conv: str) -> dict:
        self.send(cmd="state", conv=conv)
        return self.wait("state")

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send(cmd="quit")
                self.proc.wait(15)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


@pytest.fixture()
def keyrings(keyring_factory):
    return [keyring_factory() for _ in range(3)]


def _listen(dsn: str, stop: threading.Event, payloads: list[tuple[str, str]]) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("LISTEN clinic_changes")
        conn.execute("LISTEN clinic_presence")
        while not stop.is_set():
            for n in conn.notifies(timeout=0.2):
                payloads.append((n.channel, n.payload))


def _prepare(tmp_path, postgres, keyrings, db: str) -> tuple[str, list[Path], list[str]]:  # noqa: ANN001
    """Three clinic folders joined to one server; A's conversations published."""
    dsn = postgres.create_database(db)
    homes = [tmp_path / n for n in ("ws-a", "ws-b", "ws-c")]
    clinics = [new_workstation(h, k.backend()) for h, k in zip(homes, keyrings, strict=True)]
    a = clinics[0]
    custody = [
        KeyCustody(c.home, backend=k.backend()) for c, k in zip(clinics, keyrings, strict=True)
    ]
    init = srv.init_server(a, login(a, "admin"), dsn, custody[0])
    for c, cust in zip(clinics[1:], custody[1:], strict=True):
        srv.connect_workstation(c, login(c, "admin"), dsn, init.clinic_code, cust)
    threads = receive(a, CONVERSATIONS)
    link = srv.open_link(a, custody[0])
    convs = [sync.publish_conversation(a, link, t, None) for t in threads]
    link.conn.close()
    for c in clinics:
        c.close()
    return dsn, homes, convs


def test_three_workstations_share_one_queue_live_and_sealed(tmp_path, postgres, keyrings):
    dsn, homes, convs = _prepare(tmp_path, postgres, keyrings, "three_ws")
    payloads: list[tuple[str, str]] = []
    stop = threading.Event()
    listener = threading.Thread(target=_listen, args=(dsn, stop, payloads), daemon=True)
    listener.start()
    ws = [
        Workstation(n, h, k.env) for n, h, k in zip(("A", "B", "C"), homes, keyrings, strict=True)
    ]
    try:
        for w in ws:
            w.wait("ready", timeout=60)
        A, B, C = ws
        for w in (B, C):  # the published conversations reach B and C at start
            deadline = time.monotonic() + 10
            while w.state(convs[-1])["threads"] < CONVERSATIONS:
                assert time.monotonic() < deadline, f"{w.name} did not receive the conversations"
                time.sleep(0.1)

        latencies: list[float] = []
        people = ["nurse.chen", "reception.moreau"]
        statuses = ["new", "in_progress", "waiting_on_patient", "done"]
        expected: dict[str, dict] = {c: {"notes": []} for c in convs}
        for i in range(CHANGES):
            conv = convs[i % CONVERSATIONS]
            kind = ("assign", "status", "note")[i % 3]
            for w in (B, C):  # forget events of earlier changes
                while not w.events.empty():
                    w.events.get_nowait()
            if kind == "assign":
                who = people[1] if expected[conv].get("assignee") == people[0] else people[0]
                A.send(cmd="assign", conv=conv, to=who, **{"as": "dr.patel"})
                expected[conv]["assignee"] = who
                ref = "assignee"
            elif kind == "status":
                now = expected[conv].get("status", "new")  # always a real change
                new = statuses[(statuses.index(now) + 1) % len(statuses)]
                A.send(cmd="status", conv=conv, status=new, **{"as": "dr.patel"})
                expected[conv]["status"] = new
                ref = "status"
            else:
                text = f"Called the pharmacy about Zoë Quennell's tablets ({i})"
                A.send(cmd="note", conv=conv, text=text, **{"as": "dr.patel"})
                expected[conv]["notes"].append(text)
                ref = None
            t0 = A.wait("done")["t0"]
            for w in (B, C):
                got = w.wait(
                    "applied",
                    timeout=10,
                    match=lambda e, conv=conv, ref=ref, kind=kind: any(
                        ch[2] == conv and (ch[3] == ref if ref else ch[1] == "note")
                        for ch in e["changes"]
                    ),
                )
                latencies.append(got["t"] - t0)

        names = {"nurse.chen": "Nurse Mei Chen", "reception.moreau": "Claire Moreau"}
        for conv, want in expected.items():
            for w in (B, C):
                got = w.state(conv)
                assert got["status"] == want.get("status", got["status"])
                if "assignee" in want:
                    assert got["assignee"] == names[want["assignee"]]
                assert got["notes"] == want["notes"]
        p50 = statistics.median(latencies)
        p95 = statistics.quantiles(latencies, n=20)[18]
        print(
            f"\npropagation A -> B, C over {CHANGES} changes ({len(latencies)} arrivals): "
            f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
        )
        assert max(latencies) < 2.0, sorted(latencies)[-5:]

        # -- an idle workstation's live sync costs little CPU -----------------------------
        B.send(cmd="cpu")
        before = B.wait("cpu")["seconds"]
        time.sleep(5)
        B.send(cmd="cpu")
        idle = (B.wait("cpu")["seconds"] - before) / 5
        print(f"idle live sync: {idle * 100:.1f}% of one core")
        assert idle < 0.01

        # -- presence: "Dr Patel is replying" on A shows on B within 2 s, and goes ------
        def others_on_b() -> list:
            B.send(cmd="others", conv=convs[1], **{"as": "nurse.chen"})
            return B.wait("others")["others"]

        assert others_on_b() == []
        while not B.events.empty():
            B.events.get_nowait()
        A.send(cmd="present", conv=convs[1], activity="replying", **{"as": "dr.patel"})
        t0 = A.wait("done")["t0"]
        shown = B.wait("presence", timeout=5)["t"] - t0
        assert others_on_b() == [["dr.patel", "replying"]]
        A.send(cmd="present", conv=convs[1], activity=None, **{"as": "dr.patel"})
        A.wait("done")
        B.wait("presence", timeout=5)
        assert others_on_b() == []
        print(f"presence A -> B: {shown * 1000:.0f} ms")
        assert shown < 2.0

        # -- a row tampered with on the server is refused, and nothing of it applied ------
        C.close()
        A.send(
            cmd="note", conv=convs[0], text="A note C must not see tampered", **{"as": "dr.patel"}
        )
        A.wait("done")
        B.wait("applied", match=lambda e: any(ch[1] == "note" for ch in e["changes"]))
        with psycopg.connect(dsn, autocommit=True) as conn:
            # a valid ciphertext of another note, put in place of the newest one
            conn.execute(
                "UPDATE note SET body = (SELECT body FROM note ORDER BY created_at LIMIT 1) "
                "WHERE id = (SELECT ref::uuid FROM change_log WHERE kind = 'note' "
                "ORDER BY seq DESC LIMIT 1)"
            )
        C2 = Workstation("C", homes[2], keyrings[2].env)
        ws[2] = C2
        err = C2.wait("error", timeout=60, match=lambda e: "integrity check" in e["message"])
        assert "nothing on this computer changed" in err["message"]
        assert C2.state(convs[0])["notes"] == expected[convs[0]]["notes"]
    finally:
        for w in ws:
            w.close()
        stop.set()
        listener.join(5)

    # -- nothing readable on the server ------------------------------------------------------
    assert payloads and all(
        (ch == "clinic_changes" and p.isdigit()) or (ch == "clinic_presence" and p == "")
        for ch, p in payloads
    ), payloads[:5]
    # a plain canary proves the scan would find plain text where it looks
    canary = b"canary-plain-text-7f3a"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE scan_canary (t text)")
        conn.execute("INSERT INTO scan_canary VALUES (%s)", (canary.decode(),))
    dump = postgres.pg_dump("three_ws")
    assert b"COPY public.note" in dump and canary in dump
    # the three audit trails are in the scan too (the live sync ships them, sealed)
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT count(DISTINCT chain) FROM audit_entry").fetchone()[0] == 3
    postgres.checkpoint()
    found_canary = False
    for path in postgres.data.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found_canary = found_canary or canary in data
            for secret in SECRETS:
                assert secret not in data, f"{secret!r} found in {path}"
    assert found_canary
    for secret in SECRETS:
        assert secret not in dump, f"{secret!r} found in the pg_dump"
        assert secret not in postgres.log.read_bytes(), f"{secret!r} found in the server's log"


def test_changes_queued_offline_survive_a_sigkill_and_arrive_once(tmp_path, postgres, keyrings):
    dsn, homes, convs = _prepare(tmp_path, postgres, keyrings, "three_ws_kill")
    A = Workstation("A", homes[0], keyrings[0].env)
    B = Workstation("B", homes[1], keyrings[1].env)
    try:
        A.wait("ready", timeout=60)
        B.wait("ready", timeout=60)
        A.send(cmd="offline")
        A.wait("done")
        texts = [f"Burst note {i}" for i in range(12)]
        for text in texts:
            A.send(cmd="note", conv=convs[0], text=text, **{"as": "dr.patel"})
            A.wait("done")
        A.send(cmd="status", conv=convs[0], status="done", **{"as": "dr.patel"})
        A.wait("done")
        time.sleep(0.5)
        assert B.state(convs[0])["notes"] == []  # nothing left A while offline
        A.proc.kill()  # SIGKILL, with 13 changes waiting in its store
        A.proc.wait()
        A = Workstation("A", homes[0], keyrings[0].env)
        A.wait("ready", timeout=60)
        pushed = A.wait("pushed", timeout=30)
        assert (pushed["applied"], pushed["conflicts"]) == (13, 0)
        deadline = time.monotonic() + 10
        while (got := B.state(convs[0]))["status"] != "done":
            assert time.monotonic() < deadline, got
            time.sleep(0.2)
        time.sleep(1.0)  # and nothing arrives twice, late
        got = B.state(convs[0])
        assert got["notes"] == texts and got["status"] == "done"
        with psycopg.connect(dsn) as conn:
            receipts = conn.execute(
                "SELECT count(*), count(DISTINCT op_id) FROM op_receipt"
            ).fetchone()
        assert receipts == (13, 13)
    finally:
        A.close()
        B.close()
