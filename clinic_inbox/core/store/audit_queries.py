"""Reads of the audit chain's head and history, for anchoring and verification."""

from __future__ import annotations

import json
from typing import Any

from clinic_inbox.core.store.connection import Store

EPOCH_KEY = "audit_epoch"
RESTORE_ACTION = "audit.restore"


def head(store: Store) -> tuple[int, str | None]:
    """(number of the last entry, its MAC); (0, None) for an empty trail."""
    row = store.execute("SELECT id, mac FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    return (int(row[0]), row[1]) if row else (0, None)


def mac_at(store: Store, entry_id: int) -> str | None:
    return store.one("SELECT mac FROM audit WHERE id = ?", (entry_id,))


def epoch(store: Store) -> int:
    value = store.one("SELECT value FROM meta WHERE key = ?", (EPOCH_KEY,))
    return int(value) if value else 0


def set_epoch(store: Store, value: int) -> None:
    store.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (EPOCH_KEY, str(value)),
    )


def restores(store: Store) -> list[tuple[int, str, dict[str, Any]]]:
    """(entry id, time, detail) of every recorded restore, oldest first."""
    return [
        (int(r[0]), r[1], json.loads(r[2] or "{}"))
        for r in store.execute(
            "SELECT id, at, detail FROM audit WHERE action = ? ORDER BY id", (RESTORE_ACTION,)
        )
    ]
