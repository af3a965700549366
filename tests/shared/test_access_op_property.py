"""The server's `apply_access_op`, on a real PostgreSQL, under random interleavings of
staff changes from three workstations (made on what each last saw, pushed in any
order, replayed after a crash, pulled now and then).

Properties:
- every operation gets exactly one receipt; a replay returns the same one;
- an operation whose author is not an active administrator is refused and changes
  nothing;
- turning an account off always applies (monotone): right after it, the account is off;
- the account comes back on, or its role changes, only by an operation made on the
  version the server had (so an "on" made without seeing a later "off" never undoes it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from own_names import speak_for

from clinic_inbox.shared.schema import ddl

WS = [str(uuid.UUID(int=i + 1)) for i in range(3)]
TARGET = "ref-moreau"
ROLES = ["receptionist", "nurse", "physician"]


@pytest.fixture(scope="module")
def server(postgres):
    dsn = postgres.create_database("access_op_property")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for script in ddl():
            conn.execute(script)
        speak_for(conn, *WS)  # the owner login plays the three workstations
        conn.execute(
            "INSERT INTO server_info (schema_version, clinic_id, clinic_check) "
            "VALUES (6, gen_random_uuid(), 'x')"
        )
    conn = psycopg.connect(dsn, autocommit=True)
    yield conn
    conn.close()


def _apply(conn, op_id, ws, kind, base, role, by):  # noqa: ANN001, ANN202, PLR0913
    return conn.execute(
        "SELECT outcome, v FROM apply_access_op(%s, %s, %s, %s, %s, %s, NULL, %s, '\\x01')",
        (op_id, ws, kind, TARGET if kind != "staff.add" else by, base, role, by),
    ).fetchone()


def _reset(conn: psycopg.Connection) -> None:
    conn.execute("TRUNCATE access_op, delegation, staff_member, change_log CASCADE")
    conn.execute("UPDATE change_counter SET seq = 0")
    assert _apply(conn, str(uuid.uuid4()), WS[0], "staff.add", 0, "admin", "ref-admin")[0] == (
        "applied"
    )
    for who, role in ((TARGET, "receptionist"), ("ref-chen", "nurse")):
        got = conn.execute(
            "SELECT outcome FROM apply_access_op(%s, %s, 'staff.add', %s, 0, %s, NULL, "
            "'ref-admin', '\\x01')",
            (str(uuid.uuid4()), WS[0], who, role),
        ).fetchone()
        assert got[0] == "applied"


def _state(conn: psycopg.Connection) -> tuple[str, int, bool, int]:
    return conn.execute(
        "SELECT role, role_v, active, active_v FROM staff_member WHERE id = %s", (TARGET,)
    ).fetchone()


@dataclass
class Seen:
    role_v: int = 1
    active_v: int = 1
    queue: list[tuple] = field(default_factory=list)


step = st.one_of(
    st.tuples(
        st.just("make"),
        st.integers(0, 2),
        st.sampled_from(["staff.disable", "staff.enable", "staff.role"]),
        st.sampled_from(ROLES),
        st.sampled_from(["ref-admin", "ref-admin", "ref-chen"]),
    ),
    st.tuples(st.just("push"), st.integers(0, 2)),
    st.tuples(st.just("pull"), st.integers(0, 2)),
    st.tuples(st.just("replay"), st.integers(0, 50)),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(step, min_size=1, max_size=30))
def test_random_interleavings_keep_the_rules(server, steps):
    conn = server
    _reset(conn)
    seen = [Seen() for _ in WS]
    receipts: dict[str, tuple] = {}
    for s in steps:
        if s[0] == "make":
            _, w, kind, role, by = s
            base = seen[w].role_v if kind == "staff.role" else seen[w].active_v
            seen[w].queue.append((str(uuid.uuid4()), kind, base, role, by))
        elif s[0] == "push":
            w = s[1]
            for op_id, kind, base, role, by in seen[w].queue:
                before = _state(conn)
                outcome, v = _apply(conn, op_id, WS[w], kind, base, role, by)
                after = _state(conn)
                assert op_id not in receipts
                receipts[op_id] = (outcome, v)
                if by != "ref-admin":  # a nurse's change: refused, nothing changed
                    assert outcome == "refused" and after == before
                elif kind == "staff.disable":  # monotone: always, and off right after
                    assert outcome == "applied" and after[2] is False
                    assert after[3] == before[3] + 1
                elif kind == "staff.enable":
                    assert (outcome == "applied") == (base == before[3])
                    assert after[2] is (True if outcome == "applied" else before[2])
                else:
                    assert (outcome == "applied") == (base == before[1])
                    assert after[0] == (role if outcome == "applied" else before[0])
                if outcome == "applied" and kind == "staff.role":
                    seen[w].role_v = v
                elif outcome == "applied" and v == base + 1:  # nobody else's came between
                    seen[w].active_v = v
            seen[w].queue.clear()
        elif s[0] == "pull":
            role, role_v, _active, active_v = _state(conn)
            seen[s[1]].role_v, seen[s[1]].active_v = role_v, active_v
        elif receipts:  # a replay after a crash: the same receipt, nothing changes
            op_id = sorted(receipts)[s[1] % len(receipts)]
            row = conn.execute(
                "SELECT kind, base_v, role, by_ref, ws::text FROM access_op WHERE op_id = %s",
                (op_id,),
            ).fetchone()
            before = _state(conn)
            again = _apply(conn, op_id, row[4], row[0], row[1], row[2], row[3])
            assert tuple(again) == receipts[op_id] and _state(conn) == before
    # every operation pushed has exactly one receipt on the server
    counted = conn.execute(
        "SELECT count(*) FROM access_op WHERE target = %s AND kind <> 'staff.add'", (TARGET,)
    ).fetchone()[0]
    assert counted == len(receipts)
