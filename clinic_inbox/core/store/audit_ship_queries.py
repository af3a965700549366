"""Local SQL for shipping the audit chain to the clinic's server and reading it back:
the entries after a position, and what turns local ids into clinic-wide ones."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from clinic_inbox.core.store.connection import Store
from clinic_inbox.core.store.queries import get_meta, set_meta

META_ANCHOR_SEEN = "audit_clinic_anchor_seen"
META_SHIPPED = "audit_clinic_shipped"


@dataclass(frozen=True)
class LocalEntry:
    id: int
    at: str
    actor_id: int | None
    actor: str
    action: str
    patient_id: int | None
    thread_id: int | None
    message_id: int | None
    reason: str | None
    detail: str
    prev_mac: str
    mac: str


def entries_after(store: Store, after: int, limit: int) -> list[LocalEntry]:
    rows = store.execute(
        "SELECT id, at, actor_id, actor, action, patient_id, thread_id, message_id, reason, "
        "detail, prev_mac, mac FROM audit WHERE id > ? ORDER BY id LIMIT ?",
        (after, limit),
    )
    return [LocalEntry(*r) for r in rows]


def macs_upto(store: Store, last: int) -> dict[int, str]:
    return dict(store.execute("SELECT id, mac FROM audit WHERE id <= ?", (last,)))


def patient_identity_parts(store: Store, patient_id: int) -> dict[str, Any] | None:
    row = store.execute(
        "SELECT chart_number, portal_id, family_name, given_name, birth_date, uuid "
        "FROM patients WHERE id = ?",
        (patient_id,),
    ).fetchone()
    if row is None:
        return None
    keys = ("chart_number", "portal_id", "family_name", "given_name", "birth_date", "uuid")
    return dict(zip(keys, row, strict=True))


def all_patient_ids(store: Store) -> list[int]:
    return [r[0] for r in store.execute("SELECT id FROM patients ORDER BY id")]


def patients_of_physician(store: Store, staff_id: int) -> list[int]:
    return [
        r[0]
        for r in store.execute(
            "SELECT id FROM patients WHERE responsible_physician_id = ?", (staff_id,)
        )
    ]


def thread_uuids(store: Store, thread_ids: set[int]) -> dict[int, str]:
    """Local conversation -> clinic-wide id; a conversation folded into another one
    (core.store.fold_queries) is named by the one it was folded into."""
    if not thread_ids:
        return {}
    marks = ",".join("?" * len(thread_ids))
    return dict(
        store.execute(
            f"SELECT i.id, t.uuid FROM (SELECT id, id AS via FROM threads WHERE id IN ({marks}) "
            f"UNION ALL SELECT thread_id, into_id FROM folded_threads "
            f"WHERE thread_id IN ({marks})) i JOIN threads t ON t.id = i.via "
            "WHERE t.uuid IS NOT NULL",
            (*thread_ids, *thread_ids),
        )
    )


def threads_by_uuid(store: Store) -> dict[str, int]:
    return {u: i for i, u in store.execute("SELECT id, uuid FROM threads WHERE uuid IS NOT NULL")}


def message_identity_rows(store: Store, message_ids: set[int]) -> dict[int, dict[str, Any]]:
    if not message_ids:
        return {}
    marks = ",".join("?" * len(message_ids))
    rows = store.execute(
        "SELECT id, message_id_header, fhir_resource_id, shared_identity FROM messages "
        f"WHERE id IN ({marks})",
        tuple(message_ids),
    )
    return {
        r[0]: {
            "id": r[0],
            "message_id_header": r[1],
            "fhir_resource_id": r[2],
            "shared_identity": r[3],
        }
        for r in rows
    }


def anchor_seen(store: Store) -> tuple[int, str] | None:
    """The clinic anchor this workstation last saw on the server (position, hash)."""
    value = get_meta(store, META_ANCHOR_SEEN)
    if not value:
        return None
    pos, h = json.loads(value)
    return int(pos), str(h)


def set_anchor_seen(store: Store, pos: int, h: str) -> None:
    old = anchor_seen(store)
    if old is None or pos >= old[0]:
        set_meta(store, META_ANCHOR_SEEN, json.dumps([int(pos), h]))


def shipped(store: Store) -> tuple[int, int, str] | None:
    """(epoch, seq, mac) of the last entry this workstation knows the server took."""
    value = get_meta(store, META_SHIPPED)
    if not value:
        return None
    epoch, seq, mac = json.loads(value)
    return int(epoch), int(seq), str(mac)


def set_shipped(store: Store, epoch: int, seq: int, mac: str) -> None:
    set_meta(store, META_SHIPPED, json.dumps([int(epoch), int(seq), mac]))
