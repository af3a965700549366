"""The clinic's automatic backups as Settings shows and changes them: where they go,
how often, how many are kept (the `[backup]` table of the clinic's clinic.toml), and
how the last attempt went (a small file beside the store, no patient data in it).

No Qt; core/services_settings_backup.py checks access and audits.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomli_w

from clinic_inbox.core.clinic_file import _HEADER
from clinic_inbox.core.config import ClinicConfig
from clinic_inbox.core.private_files import private_dir

LAST_RESULT_FILE = "last-backup.json"
MAX_EVERY_HOURS = 24 * 7  # a week: more would leave too much to lose
MAX_KEEP = 365


@dataclass(frozen=True)
class BackupSettings:
    folder: str  # empty: "backups" in the data folder
    every_hours: float
    keep: int

    @classmethod
    def of(cls, config: ClinicConfig) -> BackupSettings:
        return cls(config.backup_folder, config.backup_every_hours, config.backup_keep)

    def cleaned(self) -> BackupSettings:
        return BackupSettings(self.folder.strip(), float(self.every_hours), int(self.keep))

    def problems(self, home: Path) -> list[str]:
        out = []
        if not 1 <= self.every_hours <= MAX_EVERY_HOURS:
            out.append(
                f"Make a backup at least once a week and at most every hour "
                f"(1 to {MAX_EVERY_HOURS} hours)."
            )
        if not 1 <= self.keep <= MAX_KEEP:
            out.append(f"Keep between 1 and {MAX_KEEP} backups.")
        if self.folder:
            out += _folder_problems(Path(self.folder).expanduser(), Path(home))
        return out

    def changed(self, before: BackupSettings) -> list[str]:
        """Which settings differ, by name (the audit entry's words; never values)."""
        return [
            n for n in ("folder", "every_hours", "keep") if getattr(self, n) != getattr(before, n)
        ]


def _folder_problems(folder: Path, home: Path) -> list[str]:
    if not folder.is_absolute():
        return [f"Give the backup folder's full path (like /media/backup/clinic), not {folder}."]
    try:
        private_dir(folder)
        probe = folder / ".clinic-inbox-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        return [
            f"Backups cannot be written to {folder} ({exc.strerror or exc}). Check that the "
            "drive is connected and that this computer's user may write there."
        ]
    if folder.resolve() == home.resolve():
        return ["Choose a folder of its own for the backups, not the clinic's data folder."]
    return []


def merged_text(own: dict[str, Any], settings: BackupSettings) -> str:
    """The clinic's clinic.toml with the new [backup] table; everything else kept."""
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in own.items()}
    table = dict(data.get("backup") or {})
    table.update(folder=settings.folder, every_hours=settings.every_hours, keep=settings.keep)
    data["backup"] = table
    return _HEADER + tomli_w.dumps(data)


@dataclass(frozen=True)
class LastResult:
    at: datetime
    ok: bool
    words: str  # what Settings says: "made (1,234 messages)" or why it failed


def record_result(home: Path, ok: bool, words: str, at: datetime | None = None) -> None:
    """Written after each attempt (automatic or "Back up now"); owner-only, replaced
    whole. Words name files and errors, never a patient."""
    at = at or datetime.now(UTC)
    path = Path(home) / LAST_RESULT_FILE
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"at": at.isoformat(), "ok": ok, "words": words}, fh)
    os.replace(tmp, path)


def last_result(home: Path) -> LastResult | None:
    try:
        data = json.loads((Path(home) / LAST_RESULT_FILE).read_text("utf-8"))
        return LastResult(datetime.fromisoformat(data["at"]), bool(data["ok"]), str(data["words"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
