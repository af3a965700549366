"""Encrypted backups and restore.

A backup is itself a SQLCipher file, written with `sqlcipher_export` to a
temporary name beside the destination, verified (every page's HMAC and the
structure), then renamed into place. Two kinds:

- **Same key** (default): encrypted with the store's own key. A small
  companion file `FILE.keys.json` carries what restore needs to find that key
  again: the key record (no secret in it), the recovery blob (wrapped by the
  recovery code) and, for passphrase custody, the wrapped key file. Restore
  works on this computer through its keyring, or anywhere with the recovery code.
- **Backup passphrase**: encrypted with SQLCipher's own passphrase key
  derivation, for a copy kept off site. Restoring it gives the store a fresh
  key under this computer's custody and a new recovery code.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlcipher3

from clinic_inbox.core import audit, workstation_identity
from clinic_inbox.core.home import STORE_FILE, Clinic, clinic_exists
from clinic_inbox.core.keys import (
    CUSTODY_FILE,
    RECOVERY_FILE,
    WRAPPED_KEY_FILE,
    KeyCustody,
    PassphraseProvider,
    Secrets,
    write_private,
)
from clinic_inbox.core.keyslots import SLOTS_FILE
from clinic_inbox.core.private_files import private_dir
from clinic_inbox.core.store import StoreError, StoreExistsError, cipher
from clinic_inbox.core.store import file_checks as fc
from clinic_inbox.core.store.connection import Store

MIN_BACKUP_PASSPHRASE = 12
KEYS_SUFFIX = ".keys.json"


class BackupError(StoreError):
    pass


class PurgesUnknown(BackupError):
    """A backup of a clinic that purges, restored without a purge list newer than it."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    size: int
    schema_version: int
    messages: int
    with_passphrase: bool


def keys_file(backup: Path) -> Path:
    return Path(f"{backup}{KEYS_SUFFIX}")


def write_backup(
    clinic: Clinic,
    dest: Path,
    *,
    passphrase: str | None = None,
    actor: tuple[int | None, str] = (None, "system"),
) -> BackupInfo:
    """Write and verify a backup. `actor` is who asked (the scheduler is "system");
    access is the caller's to check (services.backup_store)."""
    dest = Path(dest).resolve()
    if passphrase is not None and len(passphrase) < MIN_BACKUP_PASSPHRASE:
        raise BackupError(f"A backup passphrase needs at least {MIN_BACKUP_PASSPHRASE} characters.")
    if dest.exists():
        raise BackupError(f"{dest} already exists; choose a new file name.")
    private_dir(dest.parent)
    tmp = dest.with_name(f".{dest.name}.partial")
    tmp.unlink(missing_ok=True)
    store = clinic.store
    with store.transaction():
        audit.append(
            store,
            clinic.audit_key,
            actor[0],
            actor[1],
            "backup",
            detail={"file": dest.name, "passphrase": passphrase is not None},
        )
    try:
        # A passphrase backup stands alone: it carries the audit key, inside its
        # encryption, so that the restored audit trail still verifies.
        extra: dict[str, str | None] = {
            "backup_audit_key": clinic.secrets.audit_key.hex() if passphrase else None,
            # when it was made, and whether the clinic purges: a restore of it then needs
            # the purges made since (core/purge_ledger.py)
            "backup_made_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "backup_purges": "1" if _clinic_purges(clinic) else None,
        }
        cipher.export_copy(
            store.conn,
            tmp,
            cipher.key_sql(clinic.secrets.db_key, passphrase),
            store.schema_version(),
            extra,
        )
        info = verify_backup(
            tmp, key=None if passphrase else clinic.secrets.db_key, passphrase=passphrase
        )
    except (sqlcipher3.Error, BackupError) as exc:
        tmp.unlink(missing_ok=True)
        raise BackupError(
            f"The backup could not be written or verified ({exc}). Nothing was replaced."
        ) from None
    if passphrase is None:
        companion = {
            "made_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "custody": json.loads((clinic.home / CUSTODY_FILE).read_text("utf-8")),
        }
        for name, label in (
            (RECOVERY_FILE, "recovery"),
            (WRAPPED_KEY_FILE, "wrapped_key"),
            (SLOTS_FILE, "key_slots"),  # the staff key slots (core.staff_keys)
        ):
            if (clinic.home / name).exists():
                companion[label] = json.loads((clinic.home / name).read_text("utf-8"))
        write_private(keys_file(dest), json.dumps(companion, indent=2).encode("utf-8"))
    os.replace(tmp, dest)
    _carry_tombstones(clinic, dest.parent, extra["backup_purges"] is not None)
    return BackupInfo(
        dest, dest.stat().st_size, info.schema_version, info.messages, passphrase is not None
    )


def _clinic_purges(clinic: Clinic) -> bool:
    """Does this clinic purge (a retention period set, or a purge already made)?"""
    from clinic_inbox.core import purge_ledger
    from clinic_inbox.core.services_retention import keep_days

    try:
        purging = keep_days(clinic) is not None
    except ValueError:
        purging = True  # a retention setting it cannot read: assume it purges
    return purging or (clinic.home / purge_ledger.LEDGER_FILE).exists()


def _carry_tombstones(clinic: Clinic, folder: Path, purges: bool) -> None:
    """The purge tombstones go wherever backups go: an older backup kept in the same
    (off-site) folder is then purged again when it is restored anywhere. The data
    folder's live ledger is stamped again too: it knows every purge up to now."""
    from clinic_inbox.core import purge_ledger

    known = purge_ledger.read_all([clinic.home / purge_ledger.LEDGER_FILE], clinic.audit_key)
    if known or purges:
        purge_ledger.add([clinic.home, folder], clinic.audit_key, known)


def _open(path: Path, key: bytes | None, passphrase: str | None) -> sqlcipher3.Connection:
    return cipher.connect(path, key, "ro", passphrase=passphrase)


def verify_backup(path: Path, *, key: bytes | None, passphrase: str | None = None) -> BackupInfo:
    """Open, check every page's HMAC and the structure; BackupError if unsound."""
    path = Path(path)
    if not path.exists():
        raise BackupError(f"There is no backup file at {path}.")
    conn = _open(path, key, passphrase)
    try:
        if not fc.readable(conn):
            raise BackupError(
                "This backup cannot be opened with that key or passphrase, or it is damaged."
            )
        try:
            problems = cipher.page_problems(conn) + fc.structure_problems(conn)
        except sqlcipher3.DatabaseError as exc:
            problems = [str(exc)]
        if problems:
            raise BackupError("This backup is damaged and cannot be restored.")
        version = fc.schema_version(conn)
        messages = fc.message_count(conn)
    finally:
        conn.close()
    return BackupInfo(path, path.stat().st_size, version, messages, passphrase is not None)


def restore_backup(
    backup: Path,
    home: Path,
    ask_passphrase: PassphraseProvider,
    *,
    backup_passphrase: str | None = None,
    recovery_code: str | None = None,
    custody: KeyCustody | None = None,
    authorize: Callable[[Clinic], None] | None = None,
    purged_file: Path | None = None,
    only_copy: bool = False,
) -> tuple[BackupInfo, str | None]:
    """Restore into an empty data folder. Returns the info and, when the restored
    store got a fresh key (passphrase backups), the new recovery code to show once.
    `authorize` runs on the restored clinic before it is kept (the administrator's
    sign-in and the audit entry: services.restore_sign_in); if it raises, nothing is kept.
    A backup of a clinic that purges needs its live purge list written after it
    (`purged_file`, or one in `home`), or `only_copy`: the administrator's word that this
    backup is the only copy left (audited); else PurgesUnknown and nothing is kept."""
    home = Path(home)
    backup = Path(backup).resolve()
    if clinic_exists(home):
        raise StoreExistsError(
            f"{home} already holds a clinic. Restore only into an empty data folder (use --home)."
        )
    if not backup.exists():
        raise BackupError(f"There is no backup file at {backup}.")
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    placed: list[Path] = []
    try:
        if backup_passphrase is not None:
            info = verify_backup(backup, key=None, passphrase=backup_passphrase)
            source = _open(backup, None, backup_passphrase)
            kept = fc.meta_value(source, "backup_audit_key")
            source.close()
            custody = custody or KeyCustody(home)
            found, code = custody.create(
                ask_passphrase, keep_audit_key=bytes.fromhex(kept) if kept else None
            )
            placed += [home / CUSTODY_FILE, home / WRAPPED_KEY_FILE, home / RECOVERY_FILE]
            source = _open(backup, None, backup_passphrase)
            new_id = custody.record().store_id
        else:
            companion = keys_file(backup)
            if not companion.exists():
                raise BackupError(
                    f"The key companion file {companion.name} is missing beside the backup."
                )
            data = json.loads(companion.read_text("utf-8"))
            write_private(home / CUSTODY_FILE, json.dumps(data["custody"]).encode())
            placed.append(home / CUSTODY_FILE)
            for label, name in (
                ("recovery", RECOVERY_FILE),
                ("wrapped_key", WRAPPED_KEY_FILE),
                ("key_slots", SLOTS_FILE),
            ):
                if label in data:
                    write_private(home / name, json.dumps(data[label]).encode())
                    placed.append(home / name)
            custody = custody or KeyCustody(home)
            release = getattr(authorize, "release", None)
            if recovery_code:
                found = custody.recover(recovery_code, ask_passphrase)
            elif custody.record().sealed and release is not None:
                # the key is released by the administrator's own key slot
                found = release(home, custody)
            else:
                found = custody.load(ask_passphrase)
            info = verify_backup(backup, key=found.db_key)
            code = None
            source = _open(backup, found.db_key, None)
            new_id = None
        try:
            cipher.export_copy(
                source,
                home / STORE_FILE,
                cipher.key_sql(found.db_key, None),
                info.schema_version,
                {"backup_audit_key": None},
            )
        finally:
            source.close()
        placed.append(home / STORE_FILE)
        _finish(
            home / STORE_FILE,
            found,
            new_id,
            authorize,
            custody,
            ledgers=[backup.parent],
            purged_files=[Path(purged_file)] if purged_file else [],
            only_copy=only_copy,
        )
        seal = getattr(authorize, "seal_restored", None)
        if new_id is not None and seal is not None:
            # a fresh key: released to the restoring administrator's slot at once, not
            # left raw in the keyring or behind a shared passphrase (core.staff_keys)
            seal(home, custody, found)
    except BaseException:
        for p in placed + [home / f"{STORE_FILE}-wal", home / f"{STORE_FILE}-shm"]:
            p.unlink(missing_ok=True)
        raise
    return info, code


def _finish(
    path: Path,
    found: Secrets,
    new_store_id: str | None,
    authorize: Callable[[Clinic], None] | None = None,
    custody: KeyCustody | None = None,
    ledgers: list[Path] | None = None,
    purged_files: list[Path] | None = None,
    only_copy: bool = False,
) -> None:
    """Check the restored store and record the restore in its audit trail: a new epoch
    naming what this folder's counter had witnessed before (the history it replaces),
    so that `audit verify` tells this restore from a copied-back store. Conversations
    purged since the backup was taken (tombstones in the data folder or beside the
    backup) are purged again before anyone opens it."""
    from clinic_inbox.core.audit_anchor import store_head
    from clinic_inbox.core.audit_witness import LocalWitness
    from clinic_inbox.core.config import load_config
    from clinic_inbox.core.store import audit_queries as aq
    from clinic_inbox.core.store import open_store
    from clinic_inbox.core.store import queries as q

    home = path.parent
    backend = custody.backend if custody is not None else None
    with open_store(path, found.db_key) as store:
        before_id = q.get_meta(store, "store_id") or ""
        replaced = LocalWitness(before_id, home, found.audit_key, backend).latest()
        from_backup = store_head(store)
        epoch = max(from_backup.epoch, replaced.epoch if replaced else 0) + 1
        with store.transaction():
            if new_store_id:
                q.set_meta(store, "store_id", new_store_id)
            q.set_meta(store, "restored_at", datetime.now(UTC).isoformat(timespec="seconds"))
            aq.set_epoch(store, epoch)
            audit.append(
                store,
                found.audit_key,
                None,
                "system",
                aq.RESTORE_ACTION,
                detail={
                    "epoch": epoch,
                    "backup": {
                        "epoch": from_backup.epoch,
                        "count": from_backup.count,
                        "head": from_backup.head,
                    },
                    "replaced": None
                    if replaced is None
                    else {
                        "store_id": replaced.store_id,
                        "epoch": replaced.epoch,
                        "count": replaced.count,
                        "head": replaced.head,
                        "at": replaced.at,
                    },
                },
            )
        # a restored copy must not go on as the shared server's workstation it came from
        workstation_identity.after_restore(store, found.audit_key, home, new_store_id or before_id)
        _reapply_purges(store, found.audit_key, home, ledgers or [], purged_files or [], only_copy)
        witness = LocalWitness(new_store_id or before_id, home, found.audit_key, backend)
        witness.advance(store)
        problems = store.integrity_check()
        if problems:
            raise BackupError("The restored store failed its integrity check; nothing was kept.")
        if authorize is not None:
            assert custody is not None
            authorize(
                Clinic(home, store, found, load_config(home), custody.record(), witness=witness)
            )


def _reapply_purges(
    store: Store,
    audit_key: bytes,
    home: Path,
    folders: list[Path],
    purged_files: list[Path],
    only_copy: bool,
) -> None:
    from clinic_inbox.core import purge_ledger
    from clinic_inbox.core.services_retention import reapply_purges

    files = [f / purge_ledger.LEDGER_FILE for f in [home, *folders]] + purged_files
    as_of = _purges_known_since_backup(store, audit_key, files, only_copy)
    reapply_purges(store, audit_key, files)
    known = purge_ledger.read_all(files, audit_key)
    if known or as_of:
        # the restored clinic keeps the tombstones for its own later restores, stamped
        # with what was known, not with now: a failed restore must not leave a list
        # that a second attempt would take for the current one
        purge_ledger.add([home], audit_key, known, as_of=as_of)


def _purges_known_since_backup(
    store: Store, audit_key: bytes, files: list[Path], only_copy: bool
) -> str | None:
    """For a backup of a clinic that purges: the time up to which a live purge list
    written after the backup knows every purge; else, with the administrator's word
    that this is the only copy left, the backup's own time (audited); else refuse."""
    from clinic_inbox.core import purge_ledger
    from clinic_inbox.core.store import queries as q

    made = q.get_meta(store, "backup_made_at")
    if not made or q.get_meta(store, "backup_purges") != "1":
        return None
    made_at = datetime.fromisoformat(made)
    known = purge_ledger.live_as_of(files, audit_key)
    if known is not None and known >= made_at:
        return known.isoformat(timespec="seconds")
    if not only_copy:
        raise PurgesUnknown(
            f"This backup was made on {made_at:%Y-%m-%d at %H:%M} UTC by a clinic that "
            "removes old conversations (retention). Any removed after that date would come "
            "back with it, and no list of removals (purged.json) newer than the backup "
            "was found. Bring the clinic's current purged.json (from its data folder) and "
            "restore again with it; or, if this backup is the only copy of the clinic "
            "left, an administrator can confirm that and restore it as it is (recorded in "
            "the audit trail). Nothing was restored."
        )
    with store.transaction():
        audit.append(
            store,
            audit_key,
            None,
            "system",
            "restore.only_copy",
            reason="no list of removals newer than the backup: an administrator confirmed "
            "this backup is the only copy left",
            detail={
                "backup_made_at": made,
                "live_list_as_of": known.isoformat(timespec="seconds") if known else None,
            },
        )
    return made
