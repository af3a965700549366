"""Settings > Backups (a Designer form) and Urgent words driven as an administrator would: a folder that
cannot be used is named, the new settings saved and used at once, "Back up now" makes a
backup in that folder, and the tab says when the last one was made and how it went."""

from __future__ import annotations

import time

from support.clinics import new_clinic

from clinic_inbox.core.backup_schedule import scheduled_backups
from clinic_inbox.ui.actions import InlineRunner
from clinic_inbox.ui.settings import SettingsDialog


def test_backups_are_set_made_now_and_the_last_result_shown(qtbot, tmp_path, shots):
    clinic, admin, _doc = new_clinic(tmp_path / "c")
    with clinic:
        dlg = SettingsDialog(clinic, admin, runner=InlineRunner(clinic))
        qtbot.addWidget(dlg)
        dlg.show()
        dlg.tabs.setCurrentWidget(dlg.backups_tab)
        tab = dlg.backups_tab
        assert tab.every.value() == 24 and tab.keep.value() == 7 and tab.folder.text() == ""
        assert "No automatic backup has been made yet" in tab.last.text()
        assert str(clinic.home / "backups") in tab.last.text()
        tab.folder.setText("backups-on-usb")
        tab.submit()
        assert "full path" in tab.problem.text() and tab.save.isEnabled()
        usb = tmp_path / "usb"
        tab.folder.setText(str(usb))
        tab.every.setValue(12)
        tab.keep.setValue(3)
        tab.submit()
        assert tab.problem.text() == "", tab.problem.text()
        assert "Saved (folder, every hours, keep)" in tab.said.text()
        cfg = clinic.config  # the window's own clinic (the scheduler's) uses it at once
        assert (cfg.backup_folder, cfg.backup_every_hours, cfg.backup_keep) == (str(usb), 12, 3)
        # the app's own scheduler (a worker thread) uses the new folder, and says how it went
        from clinic_inbox.ui.backup_worker import BackupScheduler

        told = []
        scheduler = BackupScheduler(clinic)
        scheduler.finished.connect(told.append)
        scheduler.check_now().join(120)
        qtbot.waitUntil(lambda: bool(told), timeout=10_000)
        assert told[0].startswith("Automatic backup made"), told
        (automatic,) = scheduled_backups(usb)
        tab.refresh()
        assert "Last attempt:" in tab.last.text() and automatic.name in tab.last.text()
        time.sleep(1.1)  # backups are named by the second
        tab.back_up_now()
        assert not tab.now.isEnabled() and "you can go on working" in tab.said.text()
        qtbot.waitUntil(tab.now.isEnabled, timeout=120_000)
        assert tab.said.text().startswith("Backup made:"), tab.problem.text()
        made = scheduled_backups(usb)[-1]
        automatic.unlink()
        automatic.with_name(automatic.name + ".keys").unlink(missing_ok=True)
        assert made.name in tab.last.text() and "Last attempt:" in tab.last.text()
        dlg.resize(1000, 620)
        qtbot.wait(20)
        dlg.grab().save(str(shots / "settings-backups.png"))
        # a failure is said in words, and the tab keeps it
        made.unlink()
        made.with_name(made.name + ".keys").unlink(missing_ok=True)
        for p in usb.iterdir():
            p.unlink()
        usb.rmdir()
        usb.write_text("the drive was unplugged")
        tab.back_up_now()
        qtbot.waitUntil(tab.now.isEnabled, timeout=120_000)
        assert tab.problem.text() and "Traceback" not in tab.problem.text()
        assert "The last attempt FAILED" in tab.last.text()
        assert tab.now.isEnabled()


def test_the_clinics_urgent_words_are_saved_and_read_at_once(qtbot, tmp_path, shots):
    from clinic_inbox.core.model import Priority
    from clinic_inbox.core.triage import load_rules, triage

    clinic, admin, _doc = new_clinic(tmp_path / "c")
    with clinic:
        dlg = SettingsDialog(clinic, admin, runner=InlineRunner(clinic))
        qtbot.addWidget(dlg)
        dlg.show()
        dlg.tabs.setCurrentWidget(dlg.words_tab)
        tab = dlg.words_tab
        assert tab.lists["en"].toPlainText() == ""
        tab.lists["en"].setPlainText("pump alarm\nok\n")
        tab.submit()
        assert "“ok”" in tab.problem.text() and tab.save.isEnabled()
        tab.lists["en"].setPlainText("Pump  alarm\npump alarm\nsensor error\n")
        tab.lists["fr"].setPlainText("pompe sonne")
        tab.submit()
        assert tab.problem.text() == "" and "Saved" in tab.said.text()
        assert tab.lists["en"].toPlainText() == "Pump alarm\nsensor error"  # as kept
        msg = "The pump alarm keeps beeping since yesterday, can someone look at the settings?"
        assert triage("Q", msg, load_rules(clinic.home)).priority is Priority.URGENT
        dlg.resize(1000, 620)
        qtbot.wait(20)
        dlg.grab().save(str(shots / "settings-urgent-words.png"))
