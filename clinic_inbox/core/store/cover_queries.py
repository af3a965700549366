"""SQL for physicians' absences and who covers them."""

from __future__ import annotations

from dataclasses import dataclass

from clinic_inbox.core.store.connection import Store
from clinic_inbox.core.store.queries import utcnow


@dataclass(frozen=True)
class Absence:
    id: int
    physician_id: int
    physician: str
    cover_id: int | None
    cover: str | None
    starts_at: str
    ends_at: str
    delegation_id: int | None


_SQL = (
    "SELECT a.id, a.physician_id, p.display_name, a.cover_id, c.display_name, a.starts_at, "
    "a.ends_at, a.delegation_id FROM absences a JOIN staff p ON p.id = a.physician_id "
    "LEFT JOIN staff c ON c.id = a.cover_id WHERE a.cancelled_at IS NULL"
)


def add_absence(
    store: Store,
    *,
    physician_id: int,
    cover_id: int | None,
    starts_at: str,
    ends_at: str,
    delegation_id: int | None,
    created_by: int,
) -> int:
    cur = store.execute(
        "INSERT INTO absences (physician_id, cover_id, starts_at, ends_at, delegation_id, "
        "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (physician_id, cover_id, starts_at, ends_at, delegation_id, created_by, utcnow()),
    )
    return int(cur.lastrowid)


def get_absence(store: Store, absence_id: int) -> Absence | None:
    row = store.execute(_SQL + " AND a.id = ?", (absence_id,)).fetchone()
    return Absence(*row) if row else None


def cancel_absence(store: Store, absence_id: int) -> None:
    store.execute("UPDATE absences SET cancelled_at = ? WHERE id = ?", (utcnow(), absence_id))


def absences(store: Store, at: str | None = None, *, upcoming: bool = False) -> list[Absence]:
    """Absences running at `at` (or, with upcoming, also those still to come)."""
    if at is None:
        return [Absence(*r) for r in store.execute(_SQL + " ORDER BY a.starts_at")]
    cond = " AND a.ends_at > ?" + ("" if upcoming else " AND a.starts_at <= ?")
    params = (at,) if upcoming else (at, at)
    return [Absence(*r) for r in store.execute(_SQL + cond + " ORDER BY a.starts_at", params)]


def overlapping(store: Store, physician_id: int, starts_at: str, ends_at: str) -> bool:
    return (
        store.one(
            "SELECT 1 FROM absences WHERE physician_id = ? AND cancelled_at IS NULL "
            "AND starts_at < ? AND ends_at > ?",
            (physician_id, ends_at, starts_at),
        )
        is not None
    )


def queue_to_forward(store: Store, physician_id: int) -> list[tuple[int, int | None, int | None]]:
    """(conversation, patient, assignee) of the physician's open conversations that are
    theirs or nobody's: what the cover takes over. A message held for review because
    its sender is not verified counts as the patient's whose address it used (as it
    does for access). Sensitive ones stay: only the physician may read them."""
    return [
        (r[0], r[1], r[2])
        for r in store.execute(
            "SELECT t.id, coalesce(t.patient_id, t.suggested_patient_id), t.assigned_to "
            "FROM threads t LEFT JOIN patients p ON p.id = t.patient_id "
            "LEFT JOIN patients sp ON sp.id = t.suggested_patient_id AND t.held_for_review "
            "WHERE coalesce(p.responsible_physician_id, sp.responsible_physician_id) = ? "
            "AND t.status != 'done' AND NOT t.sensitive "
            "AND (t.assigned_to IS NULL OR t.assigned_to = ?) ORDER BY t.id",
            (physician_id, physician_id),
        )
    ]


def open_patients_of(store: Store, physician_id: int) -> list[tuple[int, str, int]]:
    """(patient, name, open conversations) of a physician's patients waiting on the clinic."""
    return [
        (r[0], r[1], int(r[2]))
        for r in store.execute(
            "SELECT p.id, p.given_name || ' ' || p.family_name, count(t.id) FROM patients p "
            "JOIN threads t ON t.patient_id = p.id "
            "WHERE p.responsible_physician_id = ? AND t.status IN ('new', 'in_progress') "
            "GROUP BY p.id ORDER BY p.family_name, p.given_name",
            (physician_id,),
        )
    ]


def covering_for_patient(store: Store, patient_id: int, at: str) -> Absence | None:
    """The running, covered absence of this patient's physician, if any."""
    row = store.execute(
        _SQL + " AND a.physician_id = (SELECT responsible_physician_id FROM patients WHERE id = ?) "
        "AND a.cover_id IS NOT NULL AND a.starts_at <= ? AND a.ends_at > ? LIMIT 1",
        (patient_id, at, at),
    ).fetchone()
    return Absence(*row) if row else None
