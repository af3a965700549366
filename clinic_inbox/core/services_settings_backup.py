"""Settings > Backups (administrators): where the automatic backups go, how often, how
many are kept, and "Back up now". Every change audited by the names of the settings
changed, never their values; in use at once (the scheduler reads clinic.config)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.backup import BackupInfo
from clinic_inbox.core.backup_schedule import (
    PREFIX,
    STAMP,
    backup_folder,
    latest_backup,
    prune,
)
from clinic_inbox.core.backup_settings import (
    BackupSettings,
    LastResult,
    last_result,
    merged_text,
    record_result,
)
from clinic_inbox.core.changes import Outcome
from clinic_inbox.core.clinic_file import own_settings
from clinic_inbox.core.clinic_setup import SetupError
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.services_settings import _admin, write_policy
from clinic_inbox.core.services_store_admin import backup_store
from clinic_inbox.core.signin import Session


@dataclass(frozen=True)
class BackupState:
    """What the Backups tab shows."""

    settings: BackupSettings
    folder: Path  # where they go (the default folder when none is set)
    latest: Path | None  # the newest complete automatic backup
    last: LastResult | None  # how the last attempt went


def backup_state(clinic: Clinic, session: Session) -> BackupState:
    _admin(clinic, session, "settings.view")
    return BackupState(
        BackupSettings.of(clinic.config),
        backup_folder(clinic.home, clinic.config),
        latest_backup(clinic.home, clinic.config),
        last_result(clinic.home),
    )


def save_backup_settings(clinic: Clinic, session: Session, new: BackupSettings) -> list[str]:
    """Checked (every problem named: SetupError), written to clinic.toml whole or not at
    all, audited by name. Returns the names of the settings that changed."""
    _admin(clinic, session, "settings.backup")
    new = new.cleaned()
    problems = new.problems(clinic.home)
    if problems:
        raise SetupError(problems)
    changed = new.changed(BackupSettings.of(clinic.config))
    if changed:
        text = merged_text(own_settings(clinic.home), new)
        write_policy(clinic, session, text, "settings.backup", changed)
    return changed


def save_backup_settings_action(clinic: Clinic, session: Session, new: BackupSettings) -> Outcome:
    return Outcome(save_backup_settings(clinic, session, new))


def back_up_now(clinic: Clinic, session: Session) -> BackupInfo:
    """An automatic backup made now, whatever the schedule: in the clinic's backup
    folder, counted among those kept. The backup audits itself (who asked); a refusal
    is audited by backup_store. The result is recorded for the tab either way."""
    now = datetime.now(UTC)
    folder = backup_folder(clinic.home, clinic.config)
    try:
        info = backup_store(clinic, session, folder / f"{PREFIX}{now:{STAMP}}.db")
    except Exception as exc:
        if not isinstance(exc, AccessDenied):
            record_result(clinic.home, False, f"did not work: {exc}", now)
        raise
    prune(folder, clinic.config.backup_keep)
    record_result(clinic.home, True, f"made ({info.messages:,} messages)", now)
    return info
