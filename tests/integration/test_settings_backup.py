"""Settings > Backups on a real encrypted store: the folder, interval and number kept
checked (every problem named), written to clinic.toml whole and used by the next
automatic backup without a restart; "Back up now" writes a verified backup there and
keeps only the newest; the last attempt's time and result (also a failure) are kept;
administrators only; audited by the names of the settings, never the folder."""

from __future__ import annotations

import time
import tomllib
from datetime import UTC, datetime, timedelta

import pytest
from support.clinics import new_clinic

from clinic_inbox.core import audit, services
from clinic_inbox.core import services_settings_backup as backups
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.backup_schedule import run_scheduled_backup, scheduled_backups
from clinic_inbox.core.backup_settings import BackupSettings, last_result
from clinic_inbox.core.clinic_setup import SetupError
from clinic_inbox.core.config import load_config


def _actions(clinic, name):
    return [e for e in audit.entries(clinic.store) if e.action == name]


def test_settings_checked_saved_and_used_by_the_next_backup(tmp_path):
    clinic, admin, _doc = new_clinic(tmp_path / "c")
    with clinic:
        own = clinic.home / "clinic.toml"
        own.write_text(own.read_text() + '\n[mail]\ntrusted_authserv_id = "mx.test.example"\n')
        clinic.config = load_config(clinic.home)
        state = backups.backup_state(clinic, admin)
        assert state.folder == clinic.home / "backups" and state.latest is None
        assert state.settings == BackupSettings("", 24.0, 7) and state.last is None
        text = own.read_text()

        a_file = tmp_path / "not-a-folder"
        a_file.write_text("x")
        with pytest.raises(SetupError) as caught:
            backups.save_backup_settings(clinic, admin, BackupSettings("usb/backups", 0, 0))
        said = "\n".join(caught.value.problems)
        assert "once a week" in said and "Keep between 1" in said and "full path" in said
        with pytest.raises(SetupError, match="cannot be written"):
            backups.save_backup_settings(
                clinic, admin, BackupSettings(str(a_file / "inside"), 24, 7)
            )
        assert own.read_text() == text and _actions(clinic, "settings.backup") == []

        usb = tmp_path / "usb" / "clinic"
        changed = backups.save_backup_settings(clinic, admin, BackupSettings(str(usb), 6, 2))
        assert changed == ["folder", "every_hours", "keep"]
        cfg = clinic.config  # in use at once
        assert (cfg.backup_folder, cfg.backup_every_hours, cfg.backup_keep) == (str(usb), 6, 2)
        data = tomllib.loads(own.read_text())
        assert data["backup"] == {"folder": str(usb), "every_hours": 6.0, "keep": 2}
        assert data["mail"]["trusted_authserv_id"] == "mx.test.example"  # kept
        (entry,) = _actions(clinic, "settings.backup")
        assert entry.detail == {"changed": ["folder", "every_hours", "keep"]}
        assert "usb" not in str(entry.detail)
        assert backups.save_backup_settings(clinic, admin, BackupSettings(str(usb), 6, 2)) == []

        # the scheduler reads the clinic's policy: the new folder and interval, no restart
        info = run_scheduled_backup(clinic)
        assert info is not None and info.path.parent == usb
        assert run_scheduled_backup(clinic) is None  # not due for 6 hours
        assert run_scheduled_backup(clinic, datetime.now(UTC) + timedelta(hours=6, minutes=1))

        # only administrators; the refusal is on the record
        doc = services.login(clinic, "dr.patel", "kettle orbit maple frost")
        with pytest.raises(AccessDenied):
            backups.save_backup_settings(clinic, doc, BackupSettings("", 24, 7))
        with pytest.raises(AccessDenied):
            backups.back_up_now(clinic, doc)
        assert _actions(clinic, "settings.backup.refused")[0].actor == "dr.patel"
        assert _actions(clinic, "backup.refused")[0].actor == "dr.patel"


def test_back_up_now_keeps_the_newest_and_records_each_result(tmp_path):
    clinic, admin, _doc = new_clinic(tmp_path / "c")
    with clinic:
        usb = tmp_path / "usb"
        backups.save_backup_settings(clinic, admin, BackupSettings(str(usb), 24, 2))
        made = []
        for _ in range(3):
            made.append(backups.back_up_now(clinic, admin).path)
            time.sleep(1.1)  # backups are named by the second
        assert scheduled_backups(usb) == made[1:]  # the oldest went: 2 kept
        assert [e.actor for e in _actions(clinic, "backup")] == ["admin"] * 3
        last = last_result(clinic.home)
        assert last is not None and last.ok and "messages" in last.words
        assert backups.backup_state(clinic, admin).latest == made[-1]
        assert oct((clinic.home / "last-backup.json").stat().st_mode & 0o777) == "0o600"

        # the drive is gone (a file where the folder was): the failure is said and kept
        for p in usb.iterdir():
            p.unlink()
        usb.rmdir()
        usb.write_text("not a folder")
        with pytest.raises(OSError):
            backups.back_up_now(clinic, admin)
        last = last_result(clinic.home)
        assert last is not None and not last.ok and "did not work" in last.words
