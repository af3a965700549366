"""Automatic backups while the app runs, and putting the latest one back when the
store is found damaged at start.

Scheduled backups are same-key backups (see `core.backup`) named by their UTC time
in the clinic's backup folder; the newest `keep` are kept. A damaged store is never
deleted: its files move to a `damaged-…` folder for IT support before the backup is
restored in its place.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from clinic_inbox.core import open_lock
from clinic_inbox.core.backup import BackupInfo, keys_file, restore_backup, write_backup
from clinic_inbox.core.config import ClinicConfig, load_config
from clinic_inbox.core.home import STORE_FILE, Clinic
from clinic_inbox.core.keys import (
    CUSTODY_FILE,
    RECOVERY_FILE,
    WRAPPED_KEY_FILE,
    KeyCustody,
    PassphraseProvider,
)
from clinic_inbox.core.keyslots import SLOTS_FILE

PREFIX = "clinic-"
STAMP = "%Y%m%dT%H%M%SZ"


def backup_folder(home: Path, config: ClinicConfig | None = None) -> Path:
    config = config or load_config(home)
    return Path(config.backup_folder).expanduser() if config.backup_folder else home / "backups"


def _made_at(path: Path) -> datetime | None:
    try:
        return datetime.strptime(path.stem.removeprefix(PREFIX), STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


def scheduled_backups(folder: Path) -> list[Path]:
    """Complete scheduled backups (file and key companion), oldest first."""
    if not folder.is_dir():
        return []
    found = [
        p for p in folder.glob(f"{PREFIX}*.db") if _made_at(p) is not None and keys_file(p).exists()
    ]
    return sorted(found, key=lambda p: _made_at(p) or datetime.min.replace(tzinfo=UTC))


def latest_backup(home: Path, config: ClinicConfig | None = None) -> Path | None:
    found = scheduled_backups(backup_folder(home, config))
    return found[-1] if found else None


def backup_due(clinic: Clinic, now: datetime | None = None) -> bool:
    now = now or datetime.now(UTC)
    latest = latest_backup(clinic.home, clinic.config)
    made = _made_at(latest) if latest else None
    return made is None or now - made >= timedelta(hours=clinic.config.backup_every_hours)


def run_scheduled_backup(clinic: Clinic, now: datetime | None = None) -> BackupInfo | None:
    """Write a backup if the last one is older than the clinic's interval, then keep
    only the newest ones. None when no backup was due."""
    now = now or datetime.now(UTC)
    if not backup_due(clinic, now):
        return None
    folder = backup_folder(clinic.home, clinic.config)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = write_backup(clinic, folder / f"{PREFIX}{now:{STAMP}}.db")
    prune(folder, clinic.config.backup_keep)
    return info


def prune(folder: Path, keep: int) -> None:
    """Only the newest `keep` automatic backups stay (with their key companions)."""
    for old in scheduled_backups(folder)[:-keep]:
        old.unlink(missing_ok=True)
        keys_file(old).unlink(missing_ok=True)


_STORE_FILES = (STORE_FILE, f"{STORE_FILE}-wal", f"{STORE_FILE}-shm")
_KEY_FILES = (CUSTODY_FILE, WRAPPED_KEY_FILE, RECOVERY_FILE, SLOTS_FILE)


def replace_damaged_store(
    home: Path,
    backup: Path,
    ask_passphrase: PassphraseProvider,
    *,
    recovery_code: str | None = None,
    custody: KeyCustody | None = None,
    authorize: Callable[[Clinic], None] | None = None,
) -> tuple[BackupInfo, Path]:
    """Move the damaged store (and its key records) into a new `damaged-…` folder and
    restore `backup` in its place. On any failure the damaged files are moved back,
    so the folder is never left without the store it had."""
    home = Path(home)
    # never under a running app: it would go on writing the file being replaced
    with open_lock.exclusive(home):
        return _replace_damaged(home, backup, ask_passphrase, recovery_code, custody, authorize)


def _replace_damaged(
    home: Path,
    backup: Path,
    ask_passphrase: PassphraseProvider,
    recovery_code: str | None,
    custody: KeyCustody | None,
    authorize: Callable[[Clinic], None] | None,
) -> tuple[BackupInfo, Path]:
    aside = home / f"damaged-{datetime.now(UTC):{STAMP}}"
    aside.mkdir(mode=0o700)
    moved: list[str] = []
    try:
        for name in _STORE_FILES + _KEY_FILES:
            if (home / name).exists():
                os.replace(home / name, aside / name)
                moved.append(name)
        # the key records travel with the backup's companion; the keyring entry is the same
        info, _ = restore_backup(
            backup,
            home,
            ask_passphrase,
            recovery_code=recovery_code,
            custody=custody,
            authorize=authorize,
        )
    except BaseException:
        for name in moved:
            os.replace(aside / name, home / name)
        shutil.rmtree(aside, ignore_errors=True)
        raise
    # the damaged copy stays encrypted; IT support may want it, nobody else can read it
    return info, aside
