"""SQL of the store's copy of the sign-in gate's counts (core.signin_gate): one `meta`
value, hashed names and counts only."""

from __future__ import annotations

import json
from typing import Any

from clinic_inbox.core.store.connection import Store
from clinic_inbox.core.store.queries import get_meta, set_meta

META_GATE_COPY = "signin_gate_copy"


def get(store: Store) -> dict[str, Any] | None:
    value = get_meta(store, META_GATE_COPY)
    if not value:
        return None
    try:
        found = json.loads(value)
    except ValueError:
        return None  # unreadable: the next open writes a fresh one
    return found if isinstance(found, dict) else None


def put(store: Store, copy: dict[str, Any]) -> None:
    set_meta(store, META_GATE_COPY, json.dumps(copy, sort_keys=True))
