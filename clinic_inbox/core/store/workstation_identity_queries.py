"""SQL of this workstation's identity on the shared server: where it was last used, and
the record of one retired because the store was copied (core.workstation_identity).

Rows of the store's `meta` table, like the link itself (shared_queries): values of the
store as a whole, needing no schema step of their own.
"""

from __future__ import annotations

import json
from typing import Any

from clinic_inbox.core.store.audit_ship_queries import META_SHIPPED
from clinic_inbox.core.store.connection import Store
from clinic_inbox.core.store.queries import get_meta, set_meta
from clinic_inbox.core.store.shared_queries import META_CLINIC, META_SERVER, META_WS

META_PLACE = "shared_identity_place"
META_RETIRED = "shared_identity_retired"


def place(store: Store) -> tuple[str, str] | None:
    """(workstation id, place digest) where this store's identity was last used."""
    value = get_meta(store, META_PLACE)
    if not value:
        return None
    try:
        ws, where = json.loads(value)
        return str(ws), str(where)
    except (ValueError, TypeError):
        return None  # unreadable: taken as never recorded


def set_place(store: Store, workstation_id: str, where: str) -> None:
    set_meta(store, META_PLACE, json.dumps([workstation_id, where]))


def unlink(store: Store) -> None:
    """The link to the server goes, and what this workstation's audit chain on that server
    had reached (a workstation joined again ships its whole chain under its new id). The
    pull cursor stays, as do the conversations it pulled; so does the clinic anchor last
    seen on the server (the clinic's, not this workstation's)."""
    store.execute(
        "DELETE FROM meta WHERE key IN (?, ?, ?, ?, ?)",
        (META_CLINIC, META_WS, META_SERVER, META_PLACE, META_SHIPPED),
    )


def retired(store: Store) -> dict[str, Any] | None:
    value = get_meta(store, META_RETIRED)
    if not value:
        return None
    try:
        found = json.loads(value)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def set_retired(store: Store, record: dict[str, Any]) -> None:
    set_meta(store, META_RETIRED, json.dumps(record, sort_keys=True))
