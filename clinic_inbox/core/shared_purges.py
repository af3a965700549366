"""Purges waiting to be published through the clinic's shared server (the publishing
is clinic_inbox/shared/purge_op.py). Kept in the store's meta table, written in the
purge's own transaction: a purge made offline or just before a crash goes out later."""

from __future__ import annotations

import json

from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.core.store.connection import Store

PENDING_KEY = "shared_purges_pending"


def pending(store: Store) -> list[int]:
    return [int(t) for t in json.loads(q.get_meta(store, PENDING_KEY) or "[]")]


def remember(store: Store, thread_ids: list[int]) -> None:
    """Publish these purges later: only conversations the server knows, and nothing
    on a workstation that works alone."""
    if shq.linked_clinic(store) is None:
        return
    shared = [t for t in thread_ids if shq.thread_uuid(store, t) is not None]
    if shared:
        q.set_meta(store, PENDING_KEY, json.dumps(sorted({*pending(store), *shared})))
