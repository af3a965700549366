"""SQL for the time clinicians spend on conversations."""

from __future__ import annotations

from dataclasses import dataclass

from clinic_inbox.core.store.connection import Store
from clinic_inbox.core.store.queries import utcnow


@dataclass(frozen=True)
class TimeEntry:
    id: int
    thread_id: int
    patient_id: int | None
    staff_id: int
    started_at: str
    last_active_at: str | None
    active_seconds: float
    stopped_at: str | None
    how: str
    reason: str | None


_COLS = (
    "id, thread_id, patient_id, staff_id, started_at, last_active_at, active_seconds, "
    "stopped_at, how, reason"
)


def running(store: Store, staff_id: int, thread_id: int) -> TimeEntry | None:
    row = store.execute(
        f"SELECT {_COLS} FROM time_entries WHERE staff_id = ? AND thread_id = ? "
        "AND stopped_at IS NULL",
        (staff_id, thread_id),
    ).fetchone()
    return TimeEntry(*row) if row else None


def get(store: Store, entry_id: int) -> TimeEntry | None:
    row = store.execute(f"SELECT {_COLS} FROM time_entries WHERE id = ?", (entry_id,)).fetchone()
    return TimeEntry(*row) if row else None


def start(store: Store, thread_id: int, patient_id: int | None, staff_id: int, at: str) -> int:
    cur = store.execute(
        "INSERT INTO time_entries (thread_id, patient_id, staff_id, started_at, last_active_at, "
        "how, created_at) VALUES (?, ?, ?, ?, ?, 'timer', ?)",
        (thread_id, patient_id, staff_id, at, at, utcnow()),
    )
    return int(cur.lastrowid)


def set_active(store: Store, entry_id: int, seconds: float, at: str) -> None:
    store.execute(
        "UPDATE time_entries SET active_seconds = ?, last_active_at = ? WHERE id = ?",
        (seconds, at, entry_id),
    )


def stop(store: Store, entry_id: int, at: str) -> None:
    store.execute("UPDATE time_entries SET stopped_at = ? WHERE id = ?", (at, entry_id))


def enter(
    store: Store,
    thread_id: int,
    patient_id: int | None,
    staff_id: int,
    at: str,
    seconds: float,
    reason: str,
) -> int:
    cur = store.execute(
        "INSERT INTO time_entries (thread_id, patient_id, staff_id, started_at, active_seconds, "
        "stopped_at, how, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, 'entered', ?, ?)",
        (thread_id, patient_id, staff_id, at, seconds, at, reason, utcnow()),
    )
    return int(cur.lastrowid)


def edit(store: Store, entry_id: int, seconds: float, reason: str) -> None:
    store.execute(
        "UPDATE time_entries SET active_seconds = ?, reason = ? WHERE id = ?",
        (seconds, reason, entry_id),
    )


def finished_between(
    store: Store, start: str, end: str, staff_id: int | None = None
) -> list[tuple[int, str, int, str, str, str, float]]:
    """(patient, patient name, clinician, name, role, started, seconds) of stopped time
    with a known patient, started in [start, end)."""
    sql = (
        "SELECT e.patient_id, p.given_name || ' ' || p.family_name, e.staff_id, s.display_name, "
        "s.role, e.started_at, e.active_seconds FROM time_entries e "
        "JOIN patients p ON p.id = e.patient_id JOIN staff s ON s.id = e.staff_id "
        "WHERE e.stopped_at IS NOT NULL AND e.started_at >= ? AND e.started_at < ?"
    )
    params: list = [start, end]
    if staff_id is not None:
        sql += " AND e.staff_id = ?"
        params.append(staff_id)
    return [tuple(r) for r in store.execute(sql + " ORDER BY e.started_at", params)]


def minutes_by_clinician(store: Store, since: str) -> list[tuple[str, int]]:
    """(clinician, minutes recorded) since a time: the dashboard's e-visit panel."""
    return [
        (r[0], int(round((r[1] or 0) / 60)))
        for r in store.execute(
            "SELECT s.display_name, sum(e.active_seconds) FROM time_entries e "
            "JOIN staff s ON s.id = e.staff_id WHERE e.started_at >= ? "
            "GROUP BY s.id ORDER BY s.display_name",
            (since,),
        )
    ]
