"""The identities of every patient's record, for finding one person recorded twice
(core.patient_duplicates decides; nothing here changes a record)."""

from __future__ import annotations

from clinic_inbox.core.store.connection import Store


def patient_identities(
    store: Store,
) -> list[tuple[int, str, str, str | None, str | None, str | None]]:
    """(id, family name, given name, birth date, chart number, portal id) of every
    patient, oldest first. A few columns of every row: a clinic's tens of thousands
    of patients take milliseconds."""
    return [
        tuple(r)
        for r in store.execute(
            "SELECT id, family_name, given_name, birth_date, chart_number, portal_id "
            "FROM patients ORDER BY id"
        )
    ]


def distinct_pairs(store: Store) -> set[tuple[int, int]]:
    """Pairs an administrator found to be two people (lower id first)."""
    return {
        (int(a), int(b)) for a, b in store.execute("SELECT low_id, high_id FROM distinct_patients")
    }


def mark_distinct(store: Store, a: int, b: int, staff_id: int | None, at: str) -> bool:
    """Record that two records are two people; False when it was already recorded."""
    low, high = sorted((a, b))
    cur = store.execute(
        "INSERT OR IGNORE INTO distinct_patients (low_id, high_id, decided_by, decided_at) "
        "VALUES (?, ?, ?, ?)",
        (low, high, staff_id, at),
    )
    return cur.rowcount == 1


def unmark_distinct(store: Store, a: int, b: int) -> bool:
    """Take back a "two people" decision; False when there was none."""
    low, high = sorted((a, b))
    cur = store.execute(
        "DELETE FROM distinct_patients WHERE low_id = ? AND high_id = ?", (low, high)
    )
    return cur.rowcount == 1
