"""Opening and creating the SQLCipher store.

Rules kept here, in one place:
- the key is 32 random bytes given as a raw key in the very first statement;
- a store is never created over an existing file and never opened unencrypted;
- a failed open leaves the file on disk byte-for-byte as it was;
- temporary tables and sort spills stay in memory, so no plaintext temp file is written.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlcipher3

from clinic_inbox.core.store import cipher
from clinic_inbox.core.store.migrations import MIGRATIONS, migrate

SCHEMA_VERSION = max(m.version for m in MIGRATIONS)
SQLITE_HEADER = b"SQLite format 3\x00"
KEY_BYTES = cipher.KEY_BYTES
# 64 MiB page cache: encrypted FTS queries are ~7x faster than with the default 2 MiB.
CACHE_KIB = 65536
BUSY_TIMEOUT_MS = 15000  # how long a statement waits for another connection's lock
LOCK_RETRY_S = 0.002  # a write transaction's start tries again this often meanwhile


class StoreError(Exception):
    """A store problem with a message a receptionist can act on."""


class StoreMissingError(StoreError):
    pass


class StoreExistsError(StoreError):
    pass


class UnencryptedStoreError(StoreError):
    pass


class StoreUnreadableError(StoreError):
    """SQLCipher could not read the file: a wrong key or a damaged file."""


class Store:
    """One connection to the encrypted store.

    Writes go through `transaction()`, which takes SQLite's write lock up front
    (BEGIN IMMEDIATE) so that a unit of work either lands whole or not at all.
    """

    def __init__(self, conn: sqlcipher3.Connection, path: Path, encrypted: bool = True) -> None:
        self._conn = conn
        self.path = path
        self.encrypted = encrypted
        self._lock = threading.RLock()
        self._depth = 0
        # Called after a commit that appended audit entries (the audit counter kept
        # outside the store, core.audit_witness); set by whoever opened the store.
        self.after_audit_commit: Callable[[Store], None] | None = None
        self._audit_appended = False
        self._on_commit: list[Callable[[], None]] = []

    # -- plumbing -------------------------------------------------------------
    @property
    def conn(self) -> sqlcipher3.Connection:
        return self._conn

    def execute(self, sql: str, params: Any = ()) -> sqlcipher3.Cursor:
        return self._conn.execute(sql, params)

    def executemany(self, sql: str, rows: Any) -> sqlcipher3.Cursor:
        return self._conn.executemany(sql, rows)

    def one(self, sql: str, params: Any = ()) -> Any:
        row = self._conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Nested calls join the outer transaction."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            self._begin_immediate()
            self._depth = 1
            try:
                yield self
            except BaseException:
                self._depth = 0
                self._audit_appended = False
                self._on_commit.clear()  # a write rolled back changed nothing
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._depth = 0
                done, self._on_commit = self._on_commit, []
                self._conn.execute("COMMIT")
                for fn in done:
                    fn()
                if self._audit_appended:
                    self._audit_appended = False
                    if self.after_audit_commit is not None:
                        self.after_audit_commit(self)

    def _begin_immediate(self) -> None:
        """Take the write lock, trying again every LOCK_RETRY_S while another connection
        holds it (the sync's batches). SQLite's own busy handler sleeps in growing steps
        up to 100 ms and keeps missing the short gaps between one batch and the next: an
        action waited up to 1.7 s behind them in a measure, against 78 ms this way."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        self._conn.execute("PRAGMA busy_timeout = 0")
        try:
            while True:
                try:
                    self._conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlcipher3.OperationalError as exc:
                    if "locked" not in str(exc) or time.monotonic() >= deadline:
                        raise
                time.sleep(LOCK_RETRY_S)  # the GIL is free meanwhile
        finally:
            self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    def after_commit(self, fn: Callable[[], None]) -> None:
        """Run `fn` once the open transaction commits (never if it rolls back); at
        once outside a transaction (what was written is already committed)."""
        with self._lock:
            if self._depth:
                self._on_commit.append(fn)
                return
        fn()

    def note_audit_append(self) -> None:
        """The open transaction appended audit entries (see after_audit_commit)."""
        self._audit_appended = True

    @contextmanager
    def savepoint(self) -> Iterator[Store]:
        """A nested unit inside a transaction: one bad message rolls back alone."""
        if not self._depth:
            raise RuntimeError("a savepoint needs an open transaction")
        self._conn.execute("SAVEPOINT unit")
        noted = len(self._on_commit)
        try:
            yield self
        except BaseException:
            del self._on_commit[noted:]  # what the unit reported was rolled back with it
            self._conn.execute("ROLLBACK TO unit")
            self._conn.execute("RELEASE unit")
            raise
        else:
            self._conn.execute("RELEASE unit")

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    def schema_version(self) -> int:
        return int(self.one("PRAGMA user_version"))

    def cipher_version(self) -> str:
        return str(self.one("PRAGMA cipher_version") or "")

    def integrity_check(self) -> list[str]:
        """SQLCipher's page HMAC check plus SQLite's structural check; [] when sound."""
        problems: list[str] = []
        try:
            if self.encrypted:
                problems += cipher.page_problems(self._conn)
            rows = [r[0] for r in self._conn.execute("PRAGMA quick_check")]
        except sqlcipher3.DatabaseError as exc:
            return [*problems, f"the file is damaged ({exc})"]
        if rows != ["ok"]:
            problems += rows
        return problems

    def close(self) -> None:
        try:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlcipher3.Error:
            pass
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _configure(conn: sqlcipher3.Connection) -> None:
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def _connect(path: Path, key: bytes | None, mode: str) -> sqlcipher3.Connection:
    # the writer and the sync clone their own connection, but one may be closed elsewhere
    return cipher.connect(path, key, mode, any_thread=True)


def pages_are_sound(path: Path, key: bytes) -> bool:
    """Every page's HMAC checks out, read on a connection of its own that writes nothing
    (read-only, no checkpoint on close), so it can run beside the app's own connection."""
    try:
        conn = _connect(Path(path), key, "ro")
    except sqlcipher3.Error:
        return False
    try:
        return not cipher.page_problems(conn)
    except sqlcipher3.Error:  # any failure to read a page means damage
        return False
    finally:
        conn.close()


def create_store(path: Path, key: bytes, *, encrypted: bool = True) -> Store:
    """Create a new, empty, fully migrated store. Refuses to touch an existing file.

    `encrypted=False` exists only for the encryption-cost benchmark.
    """
    path = Path(path)
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if p.exists():
            raise StoreExistsError(
                f"A clinic store already exists at {path}. Clinic Inbox never creates a new "
                "store over an existing one."
            )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Claim the file first with owner-only permissions, before any data exists.
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    conn = _connect(path, key if encrypted else None, "rw")
    try:
        _configure(conn)
        store = Store(conn, path, encrypted)
        migrate(store)
    except BaseException:
        conn.close()
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            p.unlink(missing_ok=True)
        raise
    return store


def open_store(path: Path, key: bytes, *, encrypted: bool = True, upgrade: bool = True) -> Store:
    """Open an existing store. A failed open changes nothing on disk."""
    path = Path(path)
    if not path.exists():
        raise StoreMissingError(f"No clinic store was found at {path}.")
    with open(path, "rb") as fh:
        header = fh.read(16)
    if encrypted and header == SQLITE_HEADER:
        raise UnencryptedStoreError(
            f"The file {path} is an unencrypted database. Clinic Inbox only opens encrypted "
            "stores and has not changed the file."
        )
    if len(header) < 16:
        raise StoreUnreadableError(f"The store file {path} is empty or truncated.")
    conn = _connect(path, key if encrypted else None, "rw")
    try:
        # The first read proves the key before anything is written (WAL mode, migrations).
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError as exc:
        conn.close()
        raise StoreUnreadableError(
            "The store could not be read: the key does not match or the file is damaged."
        ) from exc
    store = Store(conn, path, encrypted)
    try:
        _configure(conn)
        if upgrade:
            migrate(store)
    except sqlcipher3.DatabaseError as exc:
        conn.close()
        raise StoreUnreadableError(
            "The store could not be read: part of the file is damaged."
        ) from exc
    except BaseException:
        conn.close()
        raise
    return store
