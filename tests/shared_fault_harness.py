"""The shared-queue fault harness: three workstation processes (tests/shared/fault_ws.py)
work one queue on a real PostgreSQL, each through its own TCP relay
(support/link_cutter.py), while this process, at random moments, kills workstations
with SIGKILL (and starts them again), crashes PostgreSQL (`pg_ctl stop -m immediate`)
and starts it again, cuts a workstation's link (connections closed) and stalls one (a
black hole: nothing passes until it heals). Staff actions keep coming throughout:
views, assignments, status changes and notes, all audited.

Afterwards, every link healed and each workstation settled (push, pull, audit
shipment, round after round until every replica has pulled up to the server's latest
change), it checks: no queued change left anywhere; every note stored exactly once
on the server and in every replica; the three replicas identical (a canonical digest
of each shared conversation: status, assignee, notes); every workstation's audit chain
intact, on the server exactly once and in order, and the whole clinic trail verifying
(links, signed heads, anchor chain); SQLCipher's integrity checks on every store; no
patient text in the server's files, a pg_dump or its log. It prints its counts.

Mail and portal ingest under the fenced lease, acknowledgements and replies, with
Dovecot and FHIR restarts: tests/shared/fault_harness_mail.py (built on this one).

Standalone:  python tests/shared_fault_harness.py --seconds 300 --kills 20 --crashes 4
In the suite: tests/shared/test_shared_fault_harness.py runs it at CI size.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "shared"))

from fault_common import strike  # noqa: E402
from support.fast_kdf import child_pythonpath  # noqa: E402
from support.link_cutter import LinkCutter  # noqa: E402
from support.postgres import PostgresServer  # noqa: E402
from support.secret_service import SecretService, SecretServiceUnavailable  # noqa: E402
from workstations import login, new_workstation, receive, reopen  # noqa: E402

from clinic_inbox.core import audit  # noqa: E402
from clinic_inbox.core.keys import KeyCustody  # noqa: E402
from clinic_inbox.core.store import audit_queries as aq  # noqa: E402
from clinic_inbox.core.store import shared_queries as shq  # noqa: E402
from clinic_inbox.shared import SharedQueueError, sync  # noqa: E402
from clinic_inbox.shared import server as srv  # noqa: E402
from clinic_inbox.shared.audit_clinic import verify_clinic  # noqa: E402
from clinic_inbox.shared.audit_ship import ship  # noqa: E402

NAMES = ("a", "b", "c")
SECRETS = [b"Quennell", "Zoë".encode(), b"levothyroxine", b"thyroxine", b"zoe.quennell"]


@dataclass
class Result:
    seconds: float = 0
    kills: int = 0
    server_crashes: int = 0
    cuts: int = 0
    stalls: int = 0
    starts: int = 0
    notes: int = 0  # distinct notes written on the workstations
    notes_on_server: int = 0
    note_problems: list[str] = field(default_factory=list)
    pending_left: int = 0
    conflicts: int = 0
    replicas_identical: bool = False
    audit_entries: int = 0
    verify_seconds: float = 0  # `audit verify --clinic`'s check of the whole trail
    audit_problems: list[str] = field(default_factory=list)
    integrity: list[str] = field(default_factory=list)
    phi_found: list[str] = field(default_factory=list)
    proof: Result | None = None  # the same checks after deliberate damage (see _prove)

    @property
    def ok(self) -> bool:
        return (
            not self.note_problems
            and self.pending_left == 0
            and self.replicas_identical
            and not self.audit_problems
            and not self.integrity
            and not self.phi_found
            and self.notes == self.notes_on_server
        )

    def line(self) -> str:
        return (
            f"shared fault harness: {self.seconds:.0f} s, {self.kills} workstation kills "
            f"({self.starts} starts), {self.server_crashes} server crashes, {self.cuts} cut "
            f"links, {self.stalls} stalled links; {self.notes} notes written, "
            f"{self.notes_on_server} on the server, problems: {self.note_problems or 'none'}; "
            f"{self.conflicts} conflicts shown; {self.pending_left} changes left queued; "
            f"replicas {'identical' if self.replicas_identical else 'DIFFERENT'}; "
            f"{self.audit_entries} audit entries shipped (clinic check "
            f"{self.verify_seconds:.2f} s), audit "
            f"{'intact' if not self.audit_problems else self.audit_problems}; integrity "
            f"{'ok' if not self.integrity else self.integrity}; patient text on the server: "
            f"{self.phi_found or 'none'}"
        )


class Fleet:
    """The three workstation processes, started again after each kill."""

    def __init__(self, homes: dict[str, Path], keyring: SecretService, rnd: random.Random) -> None:
        self.homes, self.keyring, self.rnd = homes, keyring, rnd
        self.env = keyring.env
        self.procs: dict[str, subprocess.Popen] = {}
        self.starts = 0
        self.logs = {n: open(h.parent / f"{n}.log", "ab") for n, h in homes.items()}  # noqa: SIM115

    def start(self, n: str) -> None:
        self.starts += 1
        self.keyring.ensure_running()  # a test daemon, not the product: see ensure_running
        self.procs[n] = subprocess.Popen(
            [
                sys.executable,
                str(HERE / "shared" / "fault_ws.py"),
                str(self.homes[n]),
                n,
                str(self.rnd.randrange(1 << 30)),
            ],
            env={**os.environ, **self.env, "PYTHONPATH": child_pythonpath(REPO)},
            stdin=subprocess.DEVNULL,
            stdout=self.logs[n],
            stderr=self.logs[n],
        )

    def kill(self, n: str) -> None:
        p = self.procs[n]
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
        p.wait()

    def kill_left(self) -> None:
        """Tearing down: any still running (a failure on the way) is killed."""
        for p in self.procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()

    def stop_all(self, timeout: float = 60) -> list[str]:
        """Ask each to stop (it finishes its live sync); kill those that do not."""
        for h in self.homes.values():
            (h / "STOP").touch()
        stuck = []
        deadline = time.monotonic() + timeout
        for n, p in self.procs.items():
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                stuck.append(n)
                p.kill()
                p.wait()
        for f in self.logs.values():
            f.close()
        return stuck


def join(work: Path, pg: PostgresServer, keyring: SecretService, relays):  # noqa: ANN001, ANN201
    """The three workstations, each joined to a new clinic server through its own relay
    (a prepares it). Returns (dsn, homes, open clinics, their key custody)."""
    dsn = pg.create_database("shared_fault")  # the name _check dumps
    backend = keyring.backend()
    homes = {n: work / f"ws-{n}" for n in NAMES}

    def via(n: str) -> str:
        return dsn.replace(f"port={pg.port}", f"port={relays[n].port}")

    ws = {n: new_workstation(h, backend) for n, h in homes.items()}
    custody = {n: KeyCustody(w.home, backend=backend) for n, w in ws.items()}
    init = srv.init_server(ws["a"], login(ws["a"], "admin"), via("a"), custody["a"])
    for n in NAMES[1:]:
        srv.connect_workstation(ws[n], login(ws[n], "admin"), via(n), init.clinic_code, custody[n])
    return dsn, homes, ws, custody


def _prepare(work: Path, pg: PostgresServer, keyring: SecretService, relays, conversations: int):  # noqa: ANN001, ANN202
    dsn, homes, ws, custody = join(work, pg, keyring, relays)
    threads = receive(ws["a"], conversations)
    link = srv.open_link(ws["a"], custody["a"])
    for t in threads:
        sync.publish_conversation(ws["a"], link, t, None)
    link.conn.close()
    for w in ws.values():
        w.close()
    return dsn, homes


SETTLE_TIMEOUT = 90  # seconds for the stopped workstations to settle (a loaded machine)


def latest_change(dsn: str) -> int:
    """The server's latest change number: where every replica's pull cursor must be."""
    with psycopg.connect(dsn, connect_timeout=5) as conn:
        return int(conn.execute("SELECT coalesce(max(seq), 0) FROM change_log").fetchone()[0])


def _pull_all(clinic, link) -> None:  # noqa: ANN001
    """Pull until the cursor stops moving (a batch's count of applied changes is no
    measure: staff and delegation rows advance the cursor without being counted)."""
    while True:
        before = shq.cursor(clinic.store)
        if sync.pull(clinic, link).cursor == before:
            return


def _settle(
    homes: dict[str, Path], backend, dsn: str, timeout: float = SETTLE_TIMEOUT
) -> list[str]:  # noqa: ANN001
    """With the workstation processes stopped: each workstation, in turn, pushes what it
    still has queued, pulls up to the server's latest change and ships its audit trail,
    round after round, until a whole round put nothing new on the server and every
    replica has pulled up to the server's latest change with nothing left queued. Only
    then may the replicas be compared: one that has not yet pulled the others' last
    changes differs for no fault of the queue (the mail harness once said "replicas
    DIFFERENT" under load, after a fixed three rounds). Settling changes nothing a
    replica holds apart from what it pulls: a real difference is still one. Returns
    what is still behind after `timeout` (empty: settled)."""
    started = time.monotonic()
    rounds = 0
    while True:
        before = latest_change(dsn)
        held: dict[str, tuple[int, int]] = {}  # ws -> (its cursor, changes still queued)
        for n, h in homes.items():
            clinic = reopen(h, backend)
            try:
                link = srv.open_link(clinic, KeyCustody(h, backend=backend))
                try:
                    sync.push(clinic, link)
                    _pull_all(clinic, link)
                    ship(clinic, link, KeyCustody(h, backend=backend))
                finally:
                    link.conn.close()
                held[n] = (shq.cursor(clinic.store), shq.pending_count(clinic.store))
            finally:
                clinic.close()
        rounds += 1
        latest = latest_change(dsn)
        if latest == before and all(held[n] == (latest, 0) for n in held):
            return []
        if time.monotonic() - started > timeout:
            behind = ", ".join(
                f"{n} pulled to #{cur} with {queued} changes queued"
                for n, (cur, queued) in held.items()
            )
            return [
                f"the replicas did not settle in {timeout:.0f} s ({rounds} rounds of push, "
                f"pull and audit shipment): the server's latest change is #{latest}; {behind}"
            ]


def _digest(clinic) -> tuple[str, dict]:  # noqa: ANN001
    """A canonical digest of the shared conversations as this replica holds them."""
    store = clinic.store
    out = {}
    for tid, uuid in shq.shared_threads(store):
        status, assignee = store.execute(
            "SELECT t.status, s.username FROM threads t LEFT JOIN staff s ON s.id = t.assigned_to "
            "WHERE t.id = ?",
            (tid,),
        ).fetchone()
        notes = sorted(
            r[0] for r in store.execute("SELECT body FROM thread_notes WHERE thread_id = ?", (tid,))
        )
        out[uuid] = {"status": status, "assignee": assignee, "notes": notes}
    text = json.dumps(out, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest(), out


def _check(res: Result, homes, backend, pg: PostgresServer, dsn: str) -> None:  # noqa: ANN001
    digests, notes_per_ws = {}, {}
    chains: dict[str, tuple[str, int, int]] = {}
    for n, h in homes.items():
        clinic = reopen(h, backend)
        try:
            store = clinic.store
            res.pending_left += shq.pending_count(store)
            res.conflicts += int(store.one("SELECT count(*) FROM shared_conflicts") or 0)
            digests[n], state = _digest(clinic)
            notes_per_ws[n] = [t for conv in state.values() for t in conv["notes"]]
            v = audit.verify(store, clinic.audit_key)
            if not v.ok:
                res.audit_problems.append(f"{n}: {v.describe()}")
            chains[n] = (shq.workstation_id(store), aq.epoch(store), aq.head(store)[0])
            ok = store.one("PRAGMA integrity_check")
            if ok != "ok":
                res.integrity.append(f"{n}: integrity_check {ok}")
            bad = list(store.execute("PRAGMA cipher_integrity_check"))
            if bad:
                res.integrity.append(f"{n}: cipher_integrity_check {len(bad)} problems")
            if n == "a":
                link = srv.open_link(clinic, KeyCustody(h, backend=backend))
                try:
                    started = time.monotonic()
                    report = verify_clinic(clinic, link)
                    res.verify_seconds = time.monotonic() - started
                    if not report.ok:
                        res.audit_problems.append(report.describe())
                finally:
                    link.conn.close()
        finally:
            clinic.close()
    res.replicas_identical = len(set(digests.values())) == 1
    written = set(notes_per_ws["a"])
    res.notes = len(written)
    for n, notes in notes_per_ws.items():
        if len(notes) != len(set(notes)):
            res.note_problems.append(f"{n}: {len(notes) - len(set(notes))} notes doubled")
        if set(notes) != written:
            res.note_problems.append(f"{n}: {len(set(notes) ^ written)} notes differ from A's")
    with psycopg.connect(dsn) as conn:
        res.notes_on_server = conn.execute("SELECT count(*) FROM note").fetchone()[0]
        res.audit_entries = conn.execute("SELECT count(*) FROM audit_entry").fetchone()[0]
        for n, (ws, epoch, count) in chains.items():
            got = conn.execute(
                "SELECT count(*), coalesce(max(seq), 0) FROM audit_entry WHERE chain = %s AND epoch = %s",
                (ws, epoch),
            ).fetchone()
            if tuple(got) != (count, count):
                res.audit_problems.append(
                    f"{n}: {count} local audit entries, server holds {got[0]} (last {got[1]})"
                )
    dump = pg.pg_dump("shared_fault")
    pg.checkpoint()
    blobs = [("pg_dump", dump), ("server log", pg.log.read_bytes())]
    for path in pg.data.rglob("*"):
        if path.is_file():
            blobs.append((str(path.relative_to(pg.data)), path.read_bytes()))
    for where, data in blobs:
        for s in SECRETS:
            if s in data:
                res.phi_found.append(f"{s.decode(errors='replace')} in {where}")


def _keyring() -> SecretService:
    """gnome-keyring sometimes fails to create its first collection on a loaded machine
    ("Prompt dismissed"): a fresh daemon is tried, up to three times."""
    for attempt in range(3):
        try:
            return SecretService().start()
        except SecretServiceUnavailable:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def run(
    seconds: float = 60,
    kills: int = 4,
    crashes: int = 1,
    cuts: int = 1,
    stalls: int = 1,
    conversations: int = 4,
    seed: int = 11,
    log=print,  # noqa: ANN001
    prove: bool = True,
) -> Result:
    rnd = random.Random(seed)
    res = Result()
    work = Path(tempfile.mkdtemp(prefix="ci-shared-harness-"))
    pg = PostgresServer().start()
    try:
        keyring = _keyring()
    except BaseException:
        pg.close()
        raise
    relays = {n: LinkCutter(pg.host, pg.port) for n in NAMES}
    fleet = None
    try:
        dsn, homes = _prepare(work, pg, keyring, relays, conversations)
        fleet = Fleet(homes, keyring, rnd)
        for n in NAMES:
            fleet.start(n)
        events = (
            [("kill", rnd.choice(NAMES)) for _ in range(kills)]
            + [("crash", None)] * crashes
            + [("cut", rnd.choice(NAMES)) for _ in range(cuts)]
            + [("stall", rnd.choice(NAMES)) for _ in range(stalls)]
        )
        times = sorted(rnd.uniform(3, max(4.0, seconds - 8)) for _ in events)
        rnd.shuffle(events)
        t0 = time.monotonic()
        for at, (kind, who) in zip(times, events, strict=True):
            time.sleep(max(0.0, t0 + at - time.monotonic()))
            heal = strike(kind, who, fleet=fleet, pg=pg, relays=relays)
            if kind == "kill":
                res.kills += 1
                time.sleep(rnd.uniform(0.2, 2.0))
            elif kind == "crash":
                res.server_crashes += 1
                time.sleep(rnd.uniform(1.0, 4.0))
            else:
                res.cuts += kind == "cut"
                res.stalls += kind == "stall"
                time.sleep(rnd.uniform(2.0, 5.0))
            heal()
            log(f"  {time.monotonic() - t0:6.1f} s  {kind} {who or ''}")
        time.sleep(max(0.0, t0 + seconds - time.monotonic()))
        res.seconds = time.monotonic() - t0
        res.starts = fleet.starts
        stuck = fleet.stop_all()
        if stuck:
            log(f"  did not stop when asked (killed): {stuck}")
        try:
            res.audit_problems += _settle(homes, keyring.backend(), dsn)
        except SharedQueueError as exc:
            res.audit_problems.append(f"settling failed: {exc}")
        _check(res, homes, keyring.backend(), pg, dsn)
        if prove:
            res.proof = _prove(homes, keyring.backend(), pg, dsn)
    finally:
        if fleet is not None:
            fleet.kill_left()
        for r in relays.values():
            r.close()
        keyring.stop()
        pg.close()
        shutil.rmtree(work, ignore_errors=True)
    return res


def _prove(homes, backend, pg: PostgresServer, dsn: str) -> Result:  # noqa: ANN001
    """The checks can fail: the server's operator deletes one shipped audit entry and
    one note; the same checks must now report both."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            "DELETE FROM audit_entry WHERE (chain, seq) IN "
            "(SELECT chain, seq FROM audit_entry WHERE seq > 1 ORDER BY arrival LIMIT 1)"
        )
        conn.execute("DELETE FROM note WHERE id IN (SELECT id FROM note LIMIT 1)")
    proof = Result()
    _check(proof, homes, backend, pg, dsn)
    return proof


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--kills", type=int, default=8)
    ap.add_argument("--crashes", type=int, default=2)
    ap.add_argument("--cuts", type=int, default=2)
    ap.add_argument("--stalls", type=int, default=2)
    ap.add_argument("--conversations", type=int, default=6)
    ap.add_argument("--seed", type=int, default=11)
    a = ap.parse_args()
    res = run(a.seconds, a.kills, a.crashes, a.cuts, a.stalls, a.conversations, a.seed)
    print(res.line())
    if res.proof is not None:
        print("after deleting one audit entry and one note on the server: " + res.proof.line())
    return 0 if res.ok and res.proof is not None and not res.proof.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
