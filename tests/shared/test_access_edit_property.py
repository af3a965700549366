"""The server's `apply_access_edit`, on a real PostgreSQL, under random interleavings of
delegation edits, revocations and display-name changes from three workstations (made
on what each last saw, pushed in any order, replayed after a crash, pulled now and then).

Properties:
- every operation gets exactly one receipt; a replay returns the same one and changes
  nothing;
- an edit applies only when made on the version the server had (first to the server
  wins), and then the server holds exactly its terms;
- a revoked delegation stays revoked, and no edit applies to it after the revocation;
- a name change by someone who is not an active administrator is refused.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from own_names import speak_for

from clinic_inbox.shared.schema import SCHEMA_VERSION, ddl

WS = [str(uuid.UUID(int=i + 1)) for i in range(3)]
DELEGATION = str(uuid.UUID(int=99))
DOC, NURSE, ADMIN = "ref-patel", "ref-chen", "ref-admin"


@pytest.fixture(scope="module")
def server(postgres):
    dsn = postgres.create_database("access_edit_property")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for script in ddl():
            conn.execute(script)
        speak_for(conn, *WS)  # the owner login plays the three workstations
        conn.execute(
            "INSERT INTO server_info (schema_version, clinic_id, clinic_check) "
            "VALUES (%s, gen_random_uuid(), 'x')",
            (SCHEMA_VERSION,),
        )
    conn = psycopg.connect(dsn, autocommit=True)
    yield conn
    conn.close()


def _terms(reply: bool, cats: str) -> dict:
    return {
        "physician": DOC,
        "delegate": NURSE,
        "categories": cats,
        "include_sensitive": False,
        "can_view": True,
        "can_reply": reply,
        "can_file": False,
        "starts_at": "2026-01-01T00:00:00+00:00",
        "ends_at": None,
        "created_at": "2026-01-01T00:00:00+00:00",
    }


def _access_op(conn, kind, target, role, terms, by):  # noqa: ANN001, ANN202, PLR0913
    got = conn.execute(
        "SELECT outcome FROM apply_access_op(%s, %s, %s, %s, 0, %s, %s::jsonb, %s, '\\x01')",
        (str(uuid.uuid4()), WS[0], kind, target, role, json.dumps(terms) if terms else None, by),
    ).fetchone()
    assert got[0] == "applied"


def _reset(conn: psycopg.Connection) -> None:
    conn.execute("TRUNCATE access_op, delegation, staff_member, change_log CASCADE")
    conn.execute("UPDATE change_counter SET seq = 0")
    _access_op(conn, "staff.add", ADMIN, "admin", None, ADMIN)
    _access_op(conn, "staff.add", DOC, "physician", None, ADMIN)
    _access_op(conn, "staff.add", NURSE, "nurse", None, ADMIN)
    _access_op(conn, "delegation.add", DELEGATION, None, _terms(False, "*"), DOC)


def _edit(conn, op_id, ws, kind, base, terms, by):  # noqa: ANN001, ANN202, PLR0913
    target = DELEGATION if kind == "delegation.edit" else NURSE
    return conn.execute(
        "SELECT outcome, v FROM apply_access_edit(%s, %s, %s, %s, %s, %s::jsonb, %s, '\\x01')",
        (op_id, ws, kind, target, base, json.dumps(terms) if terms else None, by),
    ).fetchone()


def _state(conn: psycopg.Connection) -> tuple:
    d = conn.execute(
        "SELECT terms, terms_v, revoked_at IS NOT NULL FROM delegation WHERE id = %s",
        (DELEGATION,),
    ).fetchone()
    n = conn.execute("SELECT name_v FROM staff_member WHERE id = %s", (NURSE,)).fetchone()
    return (d[0], d[1], d[2], n[0])


@dataclass
class Seen:
    terms_v: int = 0
    name_v: int = 0
    queue: list[tuple] = field(default_factory=list)


step = st.one_of(
    st.tuples(
        st.just("make"),
        st.integers(0, 2),
        st.sampled_from(["delegation.edit", "delegation.edit", "staff.name", "revoke"]),
        st.booleans(),
        st.sampled_from(["*", '["refill"]', '["refill", "results"]']),
        st.sampled_from([DOC, ADMIN, NURSE]),
    ),
    st.tuples(st.just("push"), st.integers(0, 2)),
    st.tuples(st.just("pull"), st.integers(0, 2)),
    st.tuples(st.just("replay"), st.integers(0, 50)),
)


@settings(
    max_examples=50,
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
            _, w, kind, reply, cats, by = s
            base = seen[w].name_v if kind == "staff.name" else seen[w].terms_v
            seen[w].queue.append((str(uuid.uuid4()), kind, base, _terms(reply, cats), by))
        elif s[0] == "push":
            w = s[1]
            for op_id, kind, base, terms, by in seen[w].queue:
                before = _state(conn)
                if kind == "revoke":
                    conn.execute(
                        "SELECT outcome FROM apply_access_op(%s, %s, 'delegation.revoke', %s, "
                        "0, NULL, NULL, %s, '\\x01')",
                        (op_id, WS[w], DELEGATION, by),
                    )
                    after = _state(conn)
                    if by in (DOC, ADMIN):  # revoked, for good
                        assert after[2] is True
                    continue
                outcome, v = _edit(conn, op_id, WS[w], kind, base, terms, by)
                after = _state(conn)
                assert op_id not in receipts
                receipts[op_id] = (outcome, v)
                if kind == "staff.name":
                    if by != ADMIN:
                        assert outcome == "refused"
                    else:
                        assert (outcome == "applied") == (base == before[3])
                    assert after[3] == before[3] + (outcome == "applied")
                    assert after[:3] == before[:3]
                    continue
                if by == NURSE:  # the delegate may not widen her own delegation
                    assert outcome == "refused" and after == before
                elif before[2]:  # revoked: nothing brings it back
                    assert outcome == "conflict" and after == before
                else:
                    assert (outcome == "applied") == (base == before[1])
                if outcome == "applied":
                    assert after[0] == terms and after[1] == before[1] + 1 and v == after[1]
                    if v == base + 1:
                        seen[w].terms_v = v
                else:
                    assert after[:2] == before[:2]
                assert after[2] == before[2]  # an edit neither revokes nor restores
            seen[w].queue.clear()
        elif s[0] == "pull":
            _terms_now, terms_v, _revoked, name_v = _state(conn)
            seen[s[1]].terms_v, seen[s[1]].name_v = terms_v, name_v
        elif receipts:  # a replay after a crash: the same receipt, nothing changes
            op_id = sorted(receipts)[s[1] % len(receipts)]
            row = conn.execute(
                "SELECT kind, base_v, terms, by_ref, ws::text FROM access_op WHERE op_id = %s",
                (op_id,),
            ).fetchone()
            before = _state(conn)
            again = _edit(conn, op_id, row[4], row[0], row[1], row[2], row[3])
            assert tuple(again) == receipts[op_id] and _state(conn) == before
    counted = conn.execute(
        "SELECT count(*) FROM access_op WHERE kind IN ('staff.name', 'delegation.edit')"
    ).fetchone()[0]
    assert counted == len(receipts)
