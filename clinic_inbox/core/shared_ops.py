"""Changes to shared conversation state, queued for the clinic's server.

Called by the services inside the action's own transaction, beside its audit entry, so
that a change made offline (or just before a crash) is pushed later, exactly once.
Nothing happens on a workstation that has not joined a server, or for a conversation
the server does not know yet. No keys and no network here: the pusher
(`clinic_inbox.shared.sync`) turns local ids into clinic-wide ones and seals notes.
"""

from __future__ import annotations

import uuid

from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.core.store.connection import Store

SHARED_FIELDS = ("status", "assignee", "priority", "sensitive")


def record(store: Store, thread_id: int, field: str, value: str, actor_id: int | None) -> None:
    """Queue one change. `value` is the new value as the server spells it, except for
    `assignee` (the local staff id, or "" for nobody) and `note` (the local note id)."""
    if not store.in_transaction:
        raise RuntimeError("a shared change is queued in the same transaction as the action")
    if shq.linked_clinic(store) is None or shq.thread_uuid(store, thread_id) is None:
        return
    base = 0 if field == "note" else shq.field_version(store, thread_id, field)
    # what the patient had written by then: a Done must not close over newer words
    seen = shq.patient_message_count(store, thread_id) if field == "status" else None
    shq.enqueue_op(store, str(uuid.uuid4()), thread_id, field, base, value, actor_id, seen)
