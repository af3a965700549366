"""Delegations, break-glass openings and the facts the access policy needs."""

from __future__ import annotations

import json
from datetime import datetime

from clinic_inbox.core.access import Grant, ThreadFacts
from clinic_inbox.core.model import Category
from clinic_inbox.core.store.connection import Store
from clinic_inbox.core.store.queries import utcnow

_GRANT_SQL = """
SELECT d.id, d.physician_id, s.display_name, d.categories, d.include_sensitive, d.can_view,
       d.can_reply, d.can_file, d.starts_at, d.ends_at, d.revoked_at
FROM delegations d JOIN staff s ON s.id = d.physician_id
"""


def _grant(r: tuple) -> Grant:
    cats = None if r[3] == "*" else frozenset(Category(c) for c in json.loads(r[3]))
    return Grant(
        r[0], r[1], r[2], cats, bool(r[4]), bool(r[5]), bool(r[6]), bool(r[7]), r[8], r[9], r[10]
    )


def grants_to(store: Store, delegate_id: int) -> list[Grant]:
    return [
        _grant(r)
        for r in store.execute(
            _GRANT_SQL + " WHERE d.delegate_id = ? ORDER BY d.id", (delegate_id,)
        )
    ]


def delegations(store: Store, physician_id: int | None = None) -> list[tuple[int, Grant]]:
    """(delegate id, grant) pairs, for the delegation screen."""
    sql = "SELECT d.delegate_id, " + _GRANT_SQL.strip().removeprefix("SELECT")
    params: tuple = ()
    if physician_id is not None:
        sql += " WHERE d.physician_id = ?"
        params = (physician_id,)
    return [(r[0], _grant(r[1:])) for r in store.execute(sql + " ORDER BY d.id", params)]


def delegation_creators(store: Store) -> dict[int, int]:
    """Delegation id -> the staff member who granted it."""
    return {r[0]: r[1] for r in store.execute("SELECT id, created_by FROM delegations")}


def add_delegation(
    store: Store,
    *,
    physician_id: int,
    delegate_id: int,
    categories: list[Category] | None,
    include_sensitive: bool,
    can_view: bool,
    can_reply: bool,
    can_file: bool,
    starts_at: str,
    ends_at: str | None,
    created_by: int,
) -> int:
    cats = "*" if categories is None else json.dumps(sorted(c.value for c in categories))
    cur = store.execute(
        "INSERT INTO delegations (physician_id, delegate_id, categories, include_sensitive, "
        "can_view, can_reply, can_file, starts_at, ends_at, created_by, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            physician_id,
            delegate_id,
            cats,
            int(include_sensitive),
            int(can_view),
            int(can_reply),
            int(can_file),
            starts_at,
            ends_at,
            created_by,
            utcnow(),
        ),
    )
    return int(cur.lastrowid)


def revoke_delegation(store: Store, delegation_id: int) -> int | None:
    """Returns the physician id of the revoked delegation, or None if there was none."""
    row = store.execute(
        "SELECT physician_id FROM delegations WHERE id = ? AND revoked_at IS NULL", (delegation_id,)
    ).fetchone()
    if row is None:
        return None
    store.execute("UPDATE delegations SET revoked_at = ? WHERE id = ?", (utcnow(), delegation_id))
    return int(row[0])


def thread_facts(store: Store, thread_id: int) -> ThreadFacts | None:
    row = store.execute(
        "SELECT t.category, t.sensitive, "
        "coalesce(p.responsible_physician_id, sp.responsible_physician_id), "
        "t.patient_id IS NOT NULL OR t.held_for_review FROM threads t "
        "LEFT JOIN patients p ON p.id = t.patient_id "
        "LEFT JOIN patients sp ON sp.id = t.suggested_patient_id WHERE t.id = ?",
        (thread_id,),
    ).fetchone()
    if row is None:
        return None
    return ThreadFacts(Category(row[0]), bool(row[1]), row[2], bool(row[3]))


def open_break_glass(
    store: Store, staff_id: int, thread_id: int, reason: str, started: datetime, expires: datetime
) -> int:
    cur = store.execute(
        "INSERT INTO break_glass (staff_id, thread_id, reason, started_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (
            staff_id,
            thread_id,
            reason,
            started.isoformat(timespec="seconds"),
            expires.isoformat(timespec="seconds"),
        ),
    )
    return int(cur.lastrowid)


def break_glass_active(store: Store, staff_id: int, thread_id: int, now: datetime) -> bool:
    return (
        store.one(
            "SELECT 1 FROM break_glass WHERE staff_id = ? AND thread_id = ? AND started_at <= ? "
            "AND expires_at > ?",
            (
                staff_id,
                thread_id,
                now.isoformat(timespec="seconds"),
                now.isoformat(timespec="seconds"),
            ),
        )
        is not None
    )


def break_glass_threads(store: Store, staff_id: int, now: datetime) -> set[int]:
    stamp = now.isoformat(timespec="seconds")
    return {
        r[0]
        for r in store.execute(
            "SELECT thread_id FROM break_glass WHERE staff_id = ? AND started_at <= ? AND expires_at > ?",
            (staff_id, stamp, stamp),
        )
    }


def break_glass_review(
    store: Store, physician_id: int | None = None, bg_id: int | None = None
) -> list[tuple]:
    """Openings to review: (id, staff name, thread id, patient, reason, started, expires,
    reviewed_at, reviewer's name); a physician's are those of their own patients."""
    sql = (
        "SELECT b.id, s.display_name, b.thread_id, "
        "CASE WHEN p.id IS NULL THEN NULL ELSE p.given_name || ' ' || p.family_name END, "
        "b.reason, b.started_at, b.expires_at, b.reviewed_at, r.display_name "
        "FROM break_glass b JOIN staff s ON s.id = b.staff_id JOIN threads t ON t.id = b.thread_id "
        "LEFT JOIN patients p ON p.id = t.patient_id "
        "LEFT JOIN staff r ON r.id = b.reviewed_by"
    )
    where, params = [], []
    if physician_id is not None:
        where.append("p.responsible_physician_id = ?")
        params.append(physician_id)
    if bg_id is not None:
        where.append("b.id = ?")
        params.append(bg_id)
    if where:
        sql += " WHERE " + " AND ".join(where)
    return store.execute(sql + " ORDER BY b.id DESC", tuple(params)).fetchall()


def break_glass_opening(store: Store, bg_id: int) -> tuple[int, int | None] | None:
    """(conversation, its patient) of an opening made here, or None."""
    row = store.execute(
        "SELECT b.thread_id, t.patient_id FROM break_glass b JOIN threads t ON t.id = b.thread_id "
        "WHERE b.id = ?",
        (bg_id,),
    ).fetchone()
    return (int(row[0]), row[1]) if row else None


def mark_break_glass_reviewed(
    store: Store, bg_id: int, reviewer_id: int, at: str | None = None
) -> bool:
    """The first review of an opening made here; False if it was reviewed before."""
    cur = store.execute(
        "UPDATE break_glass SET reviewed_by = ?, reviewed_at = ? "
        "WHERE id = ? AND reviewed_at IS NULL",
        (reviewer_id, at or utcnow(), bg_id),
    )
    return cur.rowcount > 0


def unmark_break_glass_reviewed(store: Store, bg_id: int, at: str) -> None:
    """A review the clinic's server refused: the opening shows as not reviewed again."""
    store.execute(
        "UPDATE break_glass SET reviewed_by = NULL, reviewed_at = NULL "
        "WHERE id = ? AND reviewed_at = ?",
        (bg_id, at),
    )


def set_responsible_physician(store: Store, patient_id: int, physician_id: int | None) -> None:
    store.execute(
        "UPDATE patients SET responsible_physician_id = ? WHERE id = ?", (physician_id, patient_id)
    )
