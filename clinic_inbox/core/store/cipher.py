"""SQLCipher in one place: how a key is given, how a file is opened with it, how an
encrypted copy is written, how its pages are checked.

The store's connection, backups and the key change all go through here, so the rules
hold everywhere: the key comes before anything is read, given as a raw 32-byte key (or,
for an off-site backup only, a passphrase SQLCipher derives a key from); SQLCipher
never prints to stderr; temporary data stays in memory; a copy is owner-only from its
first byte.
"""

from __future__ import annotations

import os
from pathlib import Path

import sqlcipher3

KEY_BYTES = 32


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def key_sql(key: bytes | None = None, passphrase: str | None = None) -> str:
    """The key as SQL: a raw key literal, or a quoted passphrase."""
    if passphrase is not None:
        return _sql_string(passphrase)
    if key is None or len(key) != KEY_BYTES:
        raise ValueError("the store key must be 32 bytes")
    return f"\"x'{key.hex()}'\""


def connect(
    path: Path,
    key: bytes | None,
    mode: str,
    *,
    passphrase: str | None = None,
    any_thread: bool = False,
) -> sqlcipher3.Connection:
    """Open `path` (mode "ro", "rw" or "rwc") and give the key before anything is read.
    No key and no passphrase: an unencrypted file (only the encryption-cost benchmark)."""
    conn = sqlcipher3.connect(
        f"file:{path}?mode={mode}", uri=True, isolation_level=None, check_same_thread=not any_thread
    )
    # SQLCipher would print decryption failures on stderr; we report them ourselves.
    conn.execute("PRAGMA cipher_log_level = NONE").fetchall()
    if key is not None or passphrase is not None:
        conn.execute(f"PRAGMA key = {key_sql(key, passphrase)}")
    conn.execute("PRAGMA temp_store = MEMORY")  # sorts and temp tables never spill plaintext
    return conn


def export_copy(
    conn: sqlcipher3.Connection,
    target: Path,
    target_key_sql: str,
    version: int,
    meta: dict[str, str | None] | None = None,
) -> None:
    """Write the whole database behind `conn` to `target`, encrypted with the key given
    (as `key_sql` makes it), its schema version and `meta` rows set (None deletes)."""
    old_umask = os.umask(0o077)  # the new file is owner-only from its first byte
    try:
        conn.execute(f"ATTACH DATABASE ? AS target KEY {target_key_sql}", (str(target),))
        try:
            conn.execute("SELECT sqlcipher_export('target')").fetchall()
            conn.execute(f"PRAGMA target.user_version = {int(version)}")
            for k, v in (meta or {}).items():
                if v is None:
                    conn.execute("DELETE FROM target.meta WHERE key = ?", (k,))
                else:
                    conn.execute(
                        "INSERT OR REPLACE INTO target.meta (key, value) VALUES (?, ?)", (k, v)
                    )
        finally:
            conn.execute("DETACH DATABASE target")
    finally:
        os.umask(old_umask)


def page_problems(conn: sqlcipher3.Connection) -> list[str]:
    """Every page whose HMAC does not check out (empty when all are sound)."""
    return [str(r[0]) for r in conn.execute("PRAGMA cipher_integrity_check")]
