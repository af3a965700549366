"""Changing the store's encryption key (after staff leave, or on a schedule).

The store is copied, re-encrypted, into `clinic.db.rekey`, verified, and the new key
is kept in the custody's "next" slots; only then does one rename put the new file in
place, after which the new key is promoted. A process killed at any moment leaves:

- before the rename: the old file, which the old key opens (the staged key is
  discarded at the next open);
- after the rename: the new file, whose key is already kept (promoted at the next
  open).

Either way the clinic opens with no one doing anything. The audit key is not
changed, so the trail keeps verifying across the change.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import sqlcipher3

from clinic_inbox.core import audit
from clinic_inbox.core.home import STORE_FILE, open_clinic, store_path
from clinic_inbox.core.keys import KeyCustody, PassphraseProvider, Secrets, new_recovery_code
from clinic_inbox.core.store import StoreError, cipher
from clinic_inbox.core.store import file_checks as fc

PARTIAL = f"{STORE_FILE}.rekey"


class KeyChangeError(StoreError):
    pass


def change_key(
    home: Path,
    ask_passphrase: PassphraseProvider,
    custody: KeyCustody | None = None,
    *,
    actor_id: int | None = None,
    actor: str = "system",
    found: Secrets | None = None,
) -> str:
    """Re-encrypt the store under a new key; returns the new recovery code (the old
    one no longer opens the store). The app must be closed: this needs the only
    connection. `found`: the keys a signed-in administrator's slot released, for a
    clinic whose key only staff passwords release (every slot then takes the new key
    in one write of the slots file, core.keyslots)."""
    home = Path(home)
    custody = custody or KeyCustody(home)
    partial = home / PARTIAL
    with open_clinic(home, ask_passphrase, custody, check=True, found=found) as clinic:
        new = Secrets(secrets.token_bytes(32), clinic.secrets.audit_key)
        code = new_recovery_code()
        partial.unlink(missing_ok=True)
        with clinic.store.transaction():
            audit.append(clinic.store, clinic.audit_key, actor_id, actor, "key.change")
        version = clinic.store.schema_version()
        messages = fc.message_count(clinic.store.conn)
        cipher.export_copy(clinic.store.conn, partial, cipher.key_sql(new.db_key), version)
        _verify(partial, new.db_key, messages)
        custody.stage_next(new, code, ask_passphrase)
    # the store is closed and its WAL folded in; a WAL left now belongs to the old file
    _drop_wal(home)
    _put_in_place(partial, store_path(home))  # the one moment the key changes
    custody.promote_next(new)
    return code


def settle_interrupted_change(
    home: Path, custody: KeyCustody, current: Secrets, ask_passphrase: PassphraseProvider
) -> Secrets:
    """At open, when a key change was staged: find which key the file on disk has,
    finish or forget the change, and return the key that opens the store."""
    if _opens(store_path(home), current.db_key):
        custody.discard_next()
        (home / PARTIAL).unlink(missing_ok=True)
        return current
    nxt = custody.load_next(ask_passphrase)
    if nxt is not None and _opens(store_path(home), nxt.db_key):
        custody.promote_next(nxt)
        return nxt
    return current  # neither: open_clinic reports the store as damaged


def _opens(path: Path, key: bytes) -> bool:
    try:
        conn = cipher.connect(path, key, "ro")
    except sqlcipher3.Error:
        return False
    try:
        return fc.readable(conn)
    finally:
        conn.close()


def _verify(path: Path, key: bytes, messages: int) -> None:
    conn = cipher.connect(path, key, "ro")
    try:
        problems = cipher.page_problems(conn)
        got = fc.message_count(conn)
    finally:
        conn.close()
    if problems or got != messages:
        path.unlink(missing_ok=True)
        raise KeyChangeError(
            "The re-encrypted copy did not check out, so the key was not changed. "
            "Nothing was lost; try again, or call your IT support."
        )


def _drop_wal(home: Path) -> None:
    wal = home / f"{STORE_FILE}-wal"
    if wal.exists() and wal.stat().st_size > 0:
        raise KeyChangeError(
            "Another program still has the clinic's store open (close Clinic Inbox on this "
            "computer first). The key was not changed."
        )
    for suffix in ("-wal", "-shm"):
        (home / f"{STORE_FILE}{suffix}").unlink(missing_ok=True)


def _put_in_place(src: Path, dst: Path) -> None:
    os.replace(src, dst)
    _fsync_dir(dst.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
