"""Held replies discarded here, waiting to be published through the clinic's shared
server (the publishing is clinic_inbox/shared/discard_op.py). Kept in the store's meta
table, written in the discard's own transaction: one made offline or just before a
crash goes out later. Nothing is kept on a workstation that works alone."""

from __future__ import annotations

import json

from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.core.store.connection import Store

PENDING_KEY = "shared_discards_pending"


def pending(store: Store) -> list[int]:
    """The local ids of the discarded replies not yet on the server as discarded."""
    return [int(m) for m in json.loads(q.get_meta(store, PENDING_KEY) or "[]")]


def remember(store: Store, message_id: int) -> None:
    if shq.linked_clinic(store) is None:
        return
    q.set_meta(store, PENDING_KEY, json.dumps(sorted({*pending(store), message_id})))


def forget(store: Store, message_id: int) -> None:
    q.set_meta(store, PENDING_KEY, json.dumps([m for m in pending(store) if m != message_id]))
