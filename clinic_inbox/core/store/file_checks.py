"""Reads on a connection of its own to a store file that is not the open store: a
backup, a re-encrypted copy before it replaces the store. Opened by `cipher.connect`;
core.backup and core.rekey decide what the answers mean."""

from __future__ import annotations

import sqlcipher3


def readable(conn: sqlcipher3.Connection) -> bool:
    """Does the key given open the file? (The first read is where a wrong key fails.)"""
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError:
        return False
    return True


def structure_problems(conn: sqlcipher3.Connection) -> list[str]:
    """SQLite's structural check: [] when sound."""
    rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check")]
    return [] if rows == ["ok"] else rows


def schema_version(conn: sqlcipher3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def message_count(conn: sqlcipher3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM messages").fetchone()[0])


def meta_value(conn: sqlcipher3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None
