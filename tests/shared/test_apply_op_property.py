"""The server's `apply_op`, on a real PostgreSQL, under random interleavings of the
operations of three workstations (edits made offline, pushes, replays after a crash,
pulls in any order).

Properties:
- every operation gets exactly one receipt, applied or conflict; a replay returns it;
- a compare-and-set field changes only for an operation that saw its current version,
  except a priority raise and the setting of the sensitive flag, which always apply:
  so a raise or a flag is never undone by someone who had not seen it;
- once everyone has pushed and pulled, the three replicas equal the server, and every
  note is everywhere exactly once.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from own_names import speak_for

from clinic_inbox.shared.schema import ddl

WS = [str(uuid.UUID(int=i + 1)) for i in range(3)]
CONV = str(uuid.UUID(int=99))
RANK = {"urgent": 0, "same_day": 1, "routine": 2, "admin": 3}
VALUES = {
    "status": ["new", "in_progress", "waiting_on_patient", "done"],
    "assignee": ["", "ref-patel", "ref-chen", "ref-moreau"],
    "priority": list(RANK),
    "sensitive": ["true", "false"],
}
START = {"status": "new", "assignee": "", "priority": "routine", "sensitive": "false"}


@pytest.fixture(scope="module")
def server(postgres):
    dsn = postgres.create_database("apply_op_property")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for script in ddl():
            conn.execute(script)
        speak_for(conn, *WS)  # the owner login plays the three workstations
        conn.execute(
            "INSERT INTO server_info (schema_version, clinic_id, clinic_check) "
            "VALUES (1, gen_random_uuid(), 'x')"
        )
    conn = psycopg.connect(dsn, autocommit=True)
    yield dsn, conn
    conn.close()


def _reset(conn: psycopg.Connection) -> None:
    conn.execute(
        "TRUNCATE op_receipt, note, conversation_field, message, change_log, conversation CASCADE"
    )
    conn.execute("UPDATE change_counter SET seq = 0")
    conn.execute(
        "SELECT publish_conversation(%s, %s, 'ref-admin', '\\x00', %s, %s::uuid[], %s)",
        (CONV, WS[0], list(START.values()), [str(uuid.uuid4()) for _ in START], ["mac"] * 4),
    )


@dataclass
class Op:
    op_id: str
    ws: int
    field: str
    base_v: int
    value: str


@dataclass
class Replica:
    fields: dict[str, list] = field(default_factory=lambda: {f: [1, v] for f, v in START.items()})
    notes: set[str] = field(default_factory=set)
    queue: list[Op] = field(default_factory=list)
    sent: list[Op] = field(default_factory=list)


def _apply(conn: psycopg.Connection, op: Op) -> tuple:
    return conn.execute(
        "SELECT outcome, server_v, server_value, seq FROM apply_op(%s, %s, %s, %s, %s, %s, %s, "
        "now(), %s, 'mac')",
        (
            op.op_id,
            WS[op.ws],
            CONV,
            op.field,
            op.base_v,
            op.value,
            f"ref-ws{op.ws}",
            b"\x00" if op.field == "note" else None,
        ),
    ).fetchone()


def _server_fields(conn: psycopg.Connection) -> dict[str, tuple[int, str]]:
    return {
        f: (v, value)
        for f, v, value in conn.execute(
            "SELECT field, v, value FROM conversation_field WHERE conv = %s", (CONV,)
        )
    }


step = st.one_of(
    st.tuples(
        st.just("edit"),
        st.integers(0, 2),
        st.sampled_from(["status", "assignee", "priority", "sensitive", "note"]),
        st.integers(0, 3),
    ),
    st.tuples(st.just("push"), st.integers(0, 2)),
    st.tuples(st.just("pull"), st.integers(0, 2)),
    st.tuples(st.just("replay"), st.integers(0, 2)),
)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=40))
# a flag set by someone who had not seen it lifted; a raise by someone who had not seen
# it lowered; two first-wins races
@example(
    steps=[
        ("edit", 0, "sensitive", 0),
        ("push", 0),
        ("edit", 0, "sensitive", 1),
        ("push", 0),
        ("edit", 1, "sensitive", 0),
        ("push", 1),
    ]
)
@example(
    steps=[
        ("edit", 0, "priority", 3),
        ("push", 0),
        ("edit", 2, "priority", 1),
        ("push", 2),
        ("edit", 1, "status", 3),
        ("edit", 2, "status", 2),
        ("push", 2),
        ("push", 1),
        ("replay", 1),
    ]
)
def test_apply_op_converges_and_never_undoes_an_unseen_raise(server, steps):
    _, conn = server
    _reset(conn)
    reps = [Replica() for _ in WS]
    receipts: dict[str, tuple] = {}
    made: list[Op] = []

    def push_one(w: int) -> None:
        rep = reps[w]
        if not rep.queue:
            return
        op = rep.queue.pop(0)
        before = _server_fields(conn)
        outcome, server_v, server_value, seq = _apply(conn, op)
        assert op.op_id not in receipts
        receipts[op.op_id] = (outcome, server_v, server_value, seq)
        rep.sent.append(op)
        if op.field == "note":
            assert outcome == "applied"
            return
        old_v, old_value = before[op.field]
        if (op.field == "priority" and RANK[op.value] < RANK[old_value]) or (
            op.field == "sensitive" and op.value == "true"
        ):
            # toward safety: applies whatever its author had seen
            assert outcome == "applied" and server_value == op.value, (op, before[op.field])
        if outcome == "applied" and server_value != old_value:
            # a change: either its author had seen the current version, or it is a merge
            # toward safety
            seen = op.base_v == old_v
            raise_ = op.field == "priority" and RANK[op.value] < RANK[old_value]
            flag = op.field == "sensitive" and op.value == "true"
            assert seen or raise_ or flag, (op, before[op.field])
            assert server_v == old_v + 1 and server_value == op.value and seq is not None
        elif outcome == "applied":
            assert (server_v, server_value) == (old_v, old_value) and seq is None
        else:
            assert (server_v, server_value) == (old_v, old_value) and seq is None
            assert op.base_v != old_v and server_value != op.value
        if outcome == "applied":
            for later in rep.queue:  # as the client does: rebase its own later changes
                if later.field == op.field and later.base_v == op.base_v:
                    later.base_v = server_v
        if not any(q.field == op.field for q in rep.queue):
            rep.fields[op.field] = [server_v, server_value]

    def pull(w: int) -> None:
        rep = reps[w]
        for f, (v, value) in _server_fields(conn).items():
            if not any(q.field == f for q in rep.queue) and v > rep.fields[f][0]:
                rep.fields[f] = [v, value]
        rep.notes |= {str(n) for (n,) in conn.execute("SELECT id FROM note")}

    for kind, w, *rest in steps:
        rep = reps[w]
        if kind == "edit":
            f, i = rest
            if f == "note":
                note = str(uuid.uuid4())
                op = Op(str(uuid.uuid4()), w, "note", 0, note)
                rep.notes.add(note)
            else:
                value = VALUES[f][i % len(VALUES[f])]
                op = Op(str(uuid.uuid4()), w, f, rep.fields[f][0], value)
                rep.fields[f][1] = value  # the local change shows at once
            rep.queue.append(op)
            made.append(op)
        elif kind == "push":
            push_one(w)
        elif kind == "pull":
            pull(w)
        elif kind == "replay" and rep.sent:
            op = rep.sent[-1]  # the receipt was lost in a crash: the same op again
            again = _apply(conn, op)
            assert again == receipts[op.op_id]
    for w in range(3):
        while reps[w].queue:
            push_one(w)
    for w in range(3):
        pull(w)

    # exactly one receipt per operation, whatever happened
    counted = dict(conn.execute("SELECT op_id::text, count(*) FROM op_receipt GROUP BY op_id"))
    assert counted == {op.op_id: 1 for op in made}
    server_now = {f: [v, value] for f, (v, value) in _server_fields(conn).items()}
    notes = {str(n) for (n,) in conn.execute("SELECT id FROM note")}
    assert notes == {op.value for op in made if op.field == "note"}
    for rep in reps:
        assert rep.fields == server_now
        assert rep.notes == notes
    # the change log has no gaps and names every change once
    seqs = [s for (s,) in conn.execute("SELECT seq FROM change_log ORDER BY seq")]
    assert seqs == list(range(1, len(seqs) + 1))
    changed = sorted(r[3] for r in receipts.values() if r[3] is not None)
    assert changed == seqs[1:]  # seq 1 is the conversation itself


def test_concurrent_writers_never_let_a_reader_skip_a_change(server, postgres):
    """Writers on four connections; a reader pulling by cursor all the while must see
    every change number, in order, with no gap (a late-committing number never appears
    after a higher one was read)."""
    dsn, conn = server
    _reset(conn)
    stop = threading.Event()
    seen: list[int] = []
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            with psycopg.connect(dsn, autocommit=True) as c:
                for i in range(60):
                    op = Op(str(uuid.uuid4()), n % 3, "note", 0, str(uuid.uuid4()))
                    with c.transaction():
                        _apply(c, op)
                        if i % 7 == 0:
                            c.execute("SELECT pg_sleep(0.005)")  # commit late now and then
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    def reader() -> None:
        with psycopg.connect(dsn, autocommit=True) as c:
            cursor = 1
            while True:
                writers_done = stop.is_set()  # before the query: a read after the last commit
                rows = c.execute(
                    "SELECT seq FROM change_log WHERE seq > %s ORDER BY seq", (cursor,)
                ).fetchall()
                for (s,) in rows:
                    seen.append(s)
                    cursor = s
                if writers_done and not rows:
                    break

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    r = threading.Thread(target=reader)
    r.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    r.join(30)
    assert not errors
    assert seen == list(range(2, 2 + 4 * 60))


def test_the_same_operation_pushed_twice_at_once_gets_one_receipt(server):
    """A workstation that retries while its first attempt is still in flight (a timeout
    on a slow link): both calls return the same receipt, and the change happens once."""
    dsn, conn = server
    _reset(conn)
    barrier = threading.Barrier(2)
    for n in range(20):
        op = Op(str(uuid.uuid4()), 0, "status", n + 1, VALUES["status"][(n + 1) % 4])
        answers: list[tuple] = []

        def attempt(op: Op = op, answers: list[tuple] = answers) -> None:
            with psycopg.connect(dsn, autocommit=True) as c:
                barrier.wait()
                answers.append(_apply(c, op))

        both = [threading.Thread(target=attempt) for _ in range(2)]
        for t in both:
            t.start()
        for t in both:
            t.join()
        assert len(answers) == 2 and answers[0] == answers[1] and answers[0][0] == "applied"
    assert conn.execute("SELECT count(*) FROM op_receipt").fetchone() == (20,)
    assert _server_fields(conn)["status"][0] == 21
