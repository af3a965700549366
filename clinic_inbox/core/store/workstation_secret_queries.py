"""SQL of this workstation's sealed secrets (core.workstation_secrets holds the sealing).

They are rows of the store's `meta` table under one prefix: a handful of values that
belong to the store as a whole, so they need no table (and no schema step) of their own.
"""

from __future__ import annotations

from clinic_inbox.core.store.connection import Store
from clinic_inbox.core.store.queries import utcnow

_PREFIX = "ws_secret:"
_MOVED = "ws_secret_moved:"


def get(store: Store, name: str) -> str | None:
    return store.one("SELECT value FROM meta WHERE key = ?", (_PREFIX + name,))


def put(store: Store, name: str, sealed_text: str, *, moved: bool = False) -> None:
    rows = [(_PREFIX + name, sealed_text)]
    if moved:
        rows.append((_MOVED + name, utcnow()))
    for key, value in rows:
        store.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


def delete(store: Store, name: str) -> bool:
    return store.execute("DELETE FROM meta WHERE key = ?", (_PREFIX + name,)).rowcount > 0


def names(store: Store) -> list[str]:
    rows = store.execute(
        "SELECT substr(key, ?) FROM meta WHERE substr(key, 1, ?) = ? ORDER BY 1",
        (len(_PREFIX) + 1, len(_PREFIX), _PREFIX),
    )
    return [r[0] for r in rows]


def moved(store: Store) -> list[str]:
    """Names once taken in from the keyring (kept after the secret itself goes)."""
    rows = store.execute(
        "SELECT substr(key, ?) FROM meta WHERE substr(key, 1, ?) = ? ORDER BY 1",
        (len(_MOVED) + 1, len(_MOVED), _MOVED),
    )
    return [r[0] for r in rows]
