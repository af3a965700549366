"""Queries for sharing edits of patients' records with the clinic's server, field by
field (`clinic_inbox.shared.patient_edits`). Values are kept as the server's JSON text."""

from __future__ import annotations

import json
from dataclasses import dataclass

from clinic_inbox.core.store import access_queries as aq
from clinic_inbox.core.store import patient_queries as pq
from clinic_inbox.core.store.connection import Store
from clinic_inbox.core.store.queries import get_meta, get_patient, set_meta, utcnow

META_AUDIT_SEEN = "shared_patient_audit_seen"
# what a person did to a patient's record, whose author an edit carries
EDIT_ACTIONS = ("patient.edit", "patient.physician", "thread.link_patient", "patient.create")


# -- which patients to compare ---------------------------------------------------------
def anything_since_last_pass(store: Store) -> bool:
    """Whether the audit moved on since the last pass (read without a write lock)."""
    last = int(get_meta(store, META_AUDIT_SEEN) or 0)
    return int(store.one("SELECT coalesce(max(id), 0) FROM audit") or 0) > last


def touched_since_last_pass(store: Store) -> tuple[list[tuple[int, str]], int]:
    """Shared patients named by an audit entry since the last pass (an edit, a physician
    change, an address learned by linking...), and the audit position reached. Reading
    the audit since a mark keeps each pass small at any number of patients."""
    last = int(get_meta(store, META_AUDIT_SEEN) or 0)
    top = store.one("SELECT coalesce(max(id), 0) FROM audit") or 0
    if top <= last:
        return [], last  # nothing written since: no pass to record either
    rows = store.execute(
        "SELECT DISTINCT p.id, p.uuid FROM audit a JOIN patients p ON p.id = a.patient_id "
        "WHERE a.id > ? AND a.id <= ? AND p.uuid IS NOT NULL ORDER BY p.id",
        (last, top),
    ).fetchall()
    return [(r[0], r[1]) for r in rows], int(top)


def mark_pass(store: Store, audit_id: int) -> None:
    set_meta(store, META_AUDIT_SEEN, str(int(audit_id)))


def last_editor(store: Store, patient_id: int) -> int | None:
    marks = ", ".join("?" for _ in EDIT_ACTIONS)
    return store.one(
        f"SELECT actor_id FROM audit WHERE patient_id = ? AND actor_id IS NOT NULL "
        f"AND action IN ({marks}) ORDER BY id DESC LIMIT 1",
        (patient_id, *EDIT_ACTIONS),
    )


# -- what the server had -----------------------------------------------------------------
@dataclass(frozen=True)
class Seen:
    v: int
    value: str  # JSON


def seen_fields(store: Store, patient_id: int) -> dict[str, Seen]:
    return {
        r[0]: Seen(r[1], r[2])
        for r in store.execute(
            "SELECT field, v, seen FROM shared_patient_fields WHERE patient_id = ?", (patient_id,)
        )
    }


def set_seen(store: Store, patient_id: int, field: str, v: int, value: str) -> None:
    store.execute(
        "INSERT INTO shared_patient_fields (patient_id, field, v, seen) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (patient_id, field) DO UPDATE SET v = excluded.v, seen = excluded.seen",
        (patient_id, field, int(v), value),
    )


def remember(store: Store, patient_id: int, values: dict[str, str]) -> None:
    """The record as published or first received: the base of later edits (version 0
    until the server has an edit of that field)."""
    for field, value in values.items():
        store.execute(
            "INSERT OR IGNORE INTO shared_patient_fields (patient_id, field, v, seen) "
            "VALUES (?, ?, 0, ?)",
            (patient_id, field, value),
        )


# -- edits waiting for the server --------------------------------------------------------
@dataclass(frozen=True)
class EditOp:
    op_id: str
    patient_id: int
    field: str
    base_v: int
    value: str
    actor_id: int | None


def add_op(store: Store, op: EditOp) -> None:
    store.execute(
        "INSERT INTO shared_patient_ops (op_id, patient_id, field, base_v, value, actor_id, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (op.op_id, op.patient_id, op.field, op.base_v, op.value, op.actor_id, utcnow()),
    )


def ops(store: Store) -> list[EditOp]:
    return [
        EditOp(*r)
        for r in store.execute(
            "SELECT op_id, patient_id, field, base_v, value, actor_id FROM shared_patient_ops "
            "ORDER BY rowid"
        )
    ]


def op_pending(store: Store, patient_id: int, field: str) -> bool:
    found = store.one(
        "SELECT 1 FROM shared_patient_ops WHERE patient_id = ? AND field = ?", (patient_id, field)
    )
    return found is not None


def drop_op(store: Store, op_id: str) -> None:
    store.execute("DELETE FROM shared_patient_ops WHERE op_id = ?", (op_id,))


# -- conflicts ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PatientConflict:
    op_id: str
    patient_id: int
    field: str
    mine: str  # JSON
    theirs: str  # JSON
    their_by: str | None
    their_at: str | None
    actor_id: int | None


def add_conflict(store: Store, c: PatientConflict) -> None:
    store.execute(
        "INSERT OR IGNORE INTO shared_patient_conflicts (op_id, patient_id, field, mine, "
        "theirs, their_by, their_at, actor_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            c.op_id,
            c.patient_id,
            c.field,
            c.mine,
            c.theirs,
            c.their_by,
            c.their_at,
            c.actor_id,
            utcnow(),
        ),
    )


def open_conflicts(store: Store) -> list[PatientConflict]:
    return [
        PatientConflict(*r)
        for r in store.execute(
            "SELECT op_id, patient_id, field, mine, theirs, their_by, their_at, actor_id "
            "FROM shared_patient_conflicts WHERE seen = 0 ORDER BY id"
        )
    ]


def mark_conflict_seen(store: Store, op_id: str) -> None:
    store.execute("UPDATE shared_patient_conflicts SET seen = 1 WHERE op_id = ?", (op_id,))


# -- writing a field received from the server ---------------------------------------------
def write_field(store: Store, patient_id: int, field: str, value: object) -> None:
    """One field of the record as the server has it (the physician as a local staff id,
    already translated). Names re-index the patient's messages, as an edit here does."""
    if field == "physician":
        aq.set_responsible_physician(store, patient_id, value)  # type: ignore[arg-type]
        return
    p = get_patient(store, patient_id)
    if p is None:
        return
    rec = {
        "family_name": p.family_name,
        "given_name": p.given_name,
        "birth_date": p.birth_date,
        "chart_number": p.chart_number,
        "emails": tuple(p.emails),
    }
    rec[field] = tuple(value) if field == "emails" else value  # type: ignore[arg-type]
    pq.update_patient(
        store,
        patient_id,
        str(rec["family_name"] or ""),
        str(rec["given_name"] or ""),
        rec["birth_date"],  # type: ignore[arg-type]
        rec["chart_number"],  # type: ignore[arg-type]
        rec["emails"],  # type: ignore[arg-type]
    )


def chart_number_holder(store: Store, chart_number: str, patient_id: int) -> int | None:
    """Another patient here with this chart number (unique here)."""
    return store.one(
        "SELECT id FROM patients WHERE chart_number = ? AND id <> ?", (chart_number, patient_id)
    )


def as_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
