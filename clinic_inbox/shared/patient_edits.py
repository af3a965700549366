"""Edits of a patient's record, shared field by field: family name, given name, birth
date, chart number, responsible physician, and the addresses they write from (the ones
learned when a conversation is linked to them, too).

Like patient links (patient_links.py), an edit is found by comparing the record here
with the server's as last seen here (`shared_patient_fields`), for the patients an
audit entry named since the last pass; the edit services stay as they are, with their
access checks and audit entries. Each changed field goes to the server's
`apply_patient_op` as one operation, its value sealed (bound to the patient, the field
and the operation): first to the server wins. The loser's record takes the server's
value and its author gets a conflict card (conflicts.py), except addresses only added,
which merge: no address a patient wrote from is lost. An edit the server refuses (its
author's account turned off there: refusals.py) leaves the queue too, the record here
takes the server's value, and its author and the administrators get a card that
says why.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg

from clinic_inbox.core import audit
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.store import shared_patient_edit_queries as epq
from clinic_inbox.core.store import shared_patient_queries as spq
from clinic_inbox.core.store.connection import Store
from clinic_inbox.shared import refusals
from clinic_inbox.shared.replica import StaffMap, server_error
from clinic_inbox.shared.seal import ClinicKeys, open_sealed, seal
from clinic_inbox.shared.server import Link

FIELDS = ("family_name", "given_name", "birth_date", "chart_number", "physician", "emails")
TABLE = "patient_field"


@dataclass
class EditPush:
    applied: int = 0
    conflicts: int = 0
    merged: int = 0  # addresses added on both sides, kept together
    refused: int = 0  # refused by a check on the server (a card for their author)


def wire_record(store: Store, staff: StaffMap, patient_id: int) -> dict[str, str] | None:
    """The shared fields of a patient as the server carries them (JSON; the physician by
    their clinic-wide reference)."""
    rec = spq.patient_record(store, patient_id)
    if rec is None:
        return None
    rec["physician"] = staff.ref_of.get(rec["physician"], "") if rec["physician"] else ""
    rec["emails"] = sorted({str(a).strip().lower() for a in rec["emails"]})
    return {f: epq.as_json(rec[f]) for f in FIELDS}


def remember(store: Store, staff: StaffMap, patient_id: int) -> None:
    """The record as just published or received: what later edits are compared with."""
    now = wire_record(store, staff, patient_id)
    if now is not None:
        epq.remember(store, patient_id, now)


def _seal(keys: ClinicKeys, patient: str, field: str, op_id: str, value: str) -> bytes:
    return seal(keys, TABLE, f"{patient}:{op_id}", field, 1, value.encode())


def open_value(link: Link, patient: str, field: str, op_id: str, blob: bytes) -> str:
    """A field's sealed value from the server (a value moved to another patient or
    field, or changed, fails here: nothing of that pull or push is applied)."""
    raw = open_sealed(link.keys, TABLE, f"{patient}:{op_id}", field, 1, blob, link.label)
    return raw.decode()


def _queue_field(
    store: Store, staff: StaffMap, patient_id: int, field: str, now: dict[str, str]
) -> bool:
    seen = epq.seen_fields(store, patient_id).get(field)
    if seen is None:  # shared before edits were: its value now is the base
        epq.set_seen(store, patient_id, field, 0, now[field])
        return False
    if now[field] == seen.value or epq.op_pending(store, patient_id, field):
        return False
    actor = epq.last_editor(store, patient_id)
    epq.add_op(
        store,
        epq.EditOp(str(uuid.uuid4()), patient_id, field, seen.v, now[field], actor),
    )
    return True


def queue_changes(clinic: Clinic, link: Link) -> int:
    """Queue the edits made here since the last pass; returns how many fields."""
    store = clinic.store
    staff = StaffMap(clinic, link.keys)
    queued = 0
    if not epq.anything_since_last_pass(store):
        return 0  # the usual pass: no write lock taken
    with store.transaction():
        touched, top = epq.touched_since_last_pass(store)
        for patient_id, _uuid in touched:
            now = wire_record(store, staff, patient_id)
            if now is None:
                continue
            for field in FIELDS:
                queued += _queue_field(store, staff, patient_id, field, now)
        epq.mark_pass(store, top)
    return queued


def _write(store: Store, staff: StaffMap, patient_id: int, field: str, value_json: str) -> bool:
    """Write the server's value of one field here; False when it cannot be (a chart
    number another patient here holds: left as it is, never two patients under one)."""
    value: Any = json.loads(value_json)
    if field == "physician":
        value = staff.local(value) if value else None
    if field == "chart_number" and value and epq.chart_number_holder(store, value, patient_id):
        return False
    epq.write_field(store, patient_id, field, value)
    return True


def push(clinic: Clinic, link: Link) -> EditPush:
    store, keys = clinic.store, link.keys
    staff = StaffMap(clinic, keys)
    result = EditPush()
    for op in epq.ops(store):
        patient = spq.patient_uuid(store, op.patient_id)
        if patient is None:
            continue
        by = staff.ref_of.get(op.actor_id, "system") if op.actor_id else "system"
        sealed = _seal(keys, patient, op.field, op.op_id, op.value)
        try:
            with link.conn.transaction():
                receipt = link.conn.execute(
                    "SELECT outcome, server_v, server_value, server_op::text, server_by, "
                    "server_at FROM apply_patient_op(%s, %s, %s, %s, %s, %s, %s)",
                    (op.op_id, link.workstation_id, patient, op.field, op.base_v, sealed, by),
                ).fetchone()
        except psycopg.errors.NoDataFound:  # the patient is not on the server yet
            continue
        except psycopg.OperationalError as exc:
            raise server_error(link, exc) from None
        except psycopg.Error as exc:
            if not refusals.is_refusal(exc):
                raise
            # a check on the server said no (a turned-off account): its author is told,
            # and the rest goes on (before, every later push failed on it for good)
            _refused(clinic, link, staff, op, patient, exc)
            result.refused += 1
            continue
        outcome, server_v, blob, server_op, server_by, server_at = receipt
        theirs = open_value(link, patient, op.field, server_op, bytes(blob)) if blob else None
        with store.transaction():
            epq.drop_op(store, op.op_id)
            if outcome == "applied":
                result.applied += 1
                epq.set_seen(store, op.patient_id, op.field, server_v, op.value)
                now = wire_record(store, staff, op.patient_id)
                if now is not None:  # changed again while it travelled: that goes next
                    _queue_field(store, staff, op.patient_id, op.field, now)
                continue
            assert theirs is not None  # a conflict names the value that was first
            base = epq.seen_fields(store, op.patient_id).get(op.field)
            epq.set_seen(store, op.patient_id, op.field, server_v, theirs)
            if op.field == "emails" and base is not None:
                added = set(json.loads(op.value)) - set(json.loads(base.value))
                removed = set(json.loads(base.value)) - set(json.loads(op.value))
                if not removed:  # only added here: kept beside theirs, sent again
                    merged = epq.as_json(sorted(set(json.loads(theirs)) | added))
                    _write(store, staff, op.patient_id, op.field, merged)
                    now = wire_record(store, staff, op.patient_id)
                    if now is not None:
                        _queue_field(store, staff, op.patient_id, op.field, now)
                    result.merged += 1
                    continue
            result.conflicts += 1
            mine, kept = _card_values(staff, op.field, op.value, theirs)
            epq.add_conflict(
                store,
                epq.PatientConflict(
                    op.op_id,
                    op.patient_id,
                    op.field,
                    mine,
                    kept,
                    staff.name(server_by),
                    server_at.isoformat(timespec="seconds") if server_at else None,
                    op.actor_id,
                ),
            )
            # first to the server wins: the record here takes the kept value
            _write(store, staff, op.patient_id, op.field, theirs)
            audit.append(
                store,
                clinic.audit_key,
                None,
                "system",
                "shared.patient_conflict",
                patient_id=op.patient_id,
                detail={"field": op.field, "op": op.op_id},
            )
    return result


def _card_values(staff: StaffMap, field: str, mine: str, kept: str) -> tuple[str, str]:
    """Both values as a card shows them: a physician by user name, not by reference."""
    if field != "physician":
        return mine, kept
    return _physician_name(staff, mine), _physician_name(staff, kept)


def _physician_name(staff: StaffMap, value_json: str) -> str:
    return epq.as_json(staff.name(json.loads(value_json)) or "")


def _server_value(
    link: Link, store: Store, op: epq.EditOp, patient: str
) -> tuple[int, str | None, str | None]:
    """(version, value, when) of one field as the server has it now; with no edit of
    it there, the value it was published with (as last seen here)."""
    try:
        with link.conn.transaction():
            row = link.conn.execute(
                "SELECT v, value, op::text, changed_at FROM patient_field "
                "WHERE patient = %s AND field = %s",
                (patient, op.field),
            ).fetchone()
    except psycopg.OperationalError as exc:
        raise server_error(link, exc) from None
    if row is not None:
        v, blob, server_op, at = row
        value = open_value(link, patient, op.field, server_op, bytes(blob))
        return int(v), value, at.isoformat(timespec="seconds") if at else None
    base = epq.seen_fields(store, op.patient_id).get(op.field)
    return 0, base.value if base is not None else None, None


def _refused(
    clinic: Clinic,
    link: Link,
    staff: StaffMap,
    op: epq.EditOp,
    patient: str,
    exc: psycopg.Error,
) -> None:
    """An edit the server refused: off the queue, the record here as the server has it,
    a card for its author (and the administrators) saying why in plain words, and an
    audit entry with a reason code only (nothing of the server's message)."""
    store = clinic.store
    code = refusals.reason(exc)
    server_v, theirs, at = _server_value(link, store, op, patient)
    with store.transaction():
        epq.drop_op(store, op.op_id)
        if theirs is not None:
            epq.set_seen(store, op.patient_id, op.field, server_v, theirs)
            _write(store, staff, op.patient_id, op.field, theirs)
        mine, kept = _card_values(
            staff, op.field, op.value, theirs if theirs is not None else op.value
        )
        epq.add_conflict(
            store,
            epq.PatientConflict(
                op.op_id,
                op.patient_id,
                op.field,
                mine,
                kept,
                refusals.marker(code),
                at,
                op.actor_id,
            ),
        )
        refusals.audit_refused(
            clinic, link.label, exc, code, op.field, op.actor_id, patient_id=op.patient_id
        )


# -- the pull's side ---------------------------------------------------------------------
def fetch_fields(link: Link, wanted: set[str]) -> dict[tuple[str, str], tuple[int, str, str]]:
    """(patient, field) -> (version, value, by) for the patients named, unsealed (inside
    the pull's server transaction: a tampered value refuses the whole pull)."""
    if not wanted:
        return {}
    rows = link.conn.execute(
        "SELECT patient::text, field, v, value, op::text, changed_by FROM patient_field "
        "WHERE patient = ANY(%s::uuid[])",
        (sorted(wanted),),
    ).fetchall()
    return {
        (pid, f): (int(v), open_value(link, pid, f, op, bytes(blob)), by)
        for pid, f, v, blob, op, by in rows
    }


def apply_pulled(
    clinic: Clinic, staff: StaffMap, patient: str, field: str, got: tuple[int, str, str] | None
) -> None:
    """Another workstation's edit, inside the pull's transaction. A field with an edit
    of ours on its way is left to that edit's receipt (applied, or a conflict card)."""
    store = clinic.store
    pid = spq.patient_by_uuid(store, patient)
    if pid is None or got is None or field not in FIELDS:
        return
    v, value, _by = got
    seen = epq.seen_fields(store, pid).get(field)
    if epq.op_pending(store, pid, field) or (seen is not None and seen.v >= v):
        return
    if _write(store, staff, pid, field, value):
        epq.set_seen(store, pid, field, v, value)
