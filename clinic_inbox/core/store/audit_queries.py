"""Reads of the audit chain's head and history, for anchoring and verification."""

from __future__ import annotations

import json
from collections.abc import Iterator
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


def details_of(store: Store, action: str) -> list[dict[str, Any]]:
    """The details of every entry of one action, oldest first."""
    return [
        json.loads(r[0] or "{}")
        for r in store.execute("SELECT detail FROM audit WHERE action = ? ORDER BY id", (action,))
    ]


# -- the chain's entries (core.audit holds the MACs) ------------------------------------
ENTRY_COLUMNS = "id, at, actor_id, actor, action, patient_id, thread_id, message_id, reason, detail"


def insert_entry(store: Store, content: tuple[Any, ...], prev_mac: str, mac: str) -> None:
    """One entry: its ten content columns in ENTRY_COLUMNS order, then its links."""
    store.execute(
        f"INSERT INTO audit ({ENTRY_COLUMNS}, prev_mac, mac) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (*content, prev_mac, mac),
    )


def count(store: Store) -> int:
    return int(store.one("SELECT count(*) FROM audit"))


def chain(store: Store) -> Iterator[tuple[Any, ...]]:
    """Every entry in order: the ten content columns, then prev_mac and mac."""
    yield from store.execute(f"SELECT {ENTRY_COLUMNS}, prev_mac, mac FROM audit ORDER BY id")


def entry_rows(
    store: Store, patient_id: int | None = None, since: str | None = None, until: str | None = None
) -> list[tuple[Any, ...]]:
    """The content columns of the entries about a patient and/or in a time range."""
    where: list[str] = []
    params: list[Any] = []
    if patient_id is not None:
        where.append("patient_id = ?")
        params.append(patient_id)
    if since:
        where.append("at >= ?")
        params.append(since)
    if until:
        where.append("at < ?")
        params.append(until)
    sql = f"SELECT {ENTRY_COLUMNS} FROM audit"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return [tuple(r) for r in store.execute(sql + " ORDER BY id", params)]
