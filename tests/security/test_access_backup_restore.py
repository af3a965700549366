"""Copying the store out and putting an old one back are an administrator's acts.

Issue 16: `--user reception.singh backup --out x.cib --passphrase` copied out every
message; `restore OLD --replace-damaged` on a healthy store, with no sign-in at all,
rolled the clinic and its audit trail back."""

from __future__ import annotations

import stat

from support.insider import audit_rows, open_demo, run_cli

LONG = {"CLINIC_INBOX_BACKUP_PASSPHRASE": "an offsite passphrase of my own"}
BACKUP_NAME = "clinic-20261130T020000Z.db"  # the name the scheduler gives


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _admin_backup(home):
    out = home / "backups" / BACKUP_NAME
    done = run_cli(home, "backup", "--out", str(out), user="admin")
    assert done.returncode == 0, done.stderr
    return out


def _damage(store) -> bytes:
    data = bytearray(store.read_bytes())
    data[-4096 + 300 : -4096 + 364] = bytes(64)  # a torn write in the last page
    store.write_bytes(bytes(data))
    return bytes(data)


def test_staff_who_are_not_administrators_cannot_copy_the_store(demo_home, tmp_path):
    for who in ("reception.singh", "nurse.chen", "dr.patel"):
        out = tmp_path / f"{who}.cib"
        done = run_cli(demo_home, "backup", "--out", str(out), "--passphrase", user=who, env=LONG)
        assert done.returncode == 1, done.stdout
        assert "Only an administrator may make a backup" in done.stderr
        assert "Traceback" not in done.stderr
        assert not out.exists() and not list(tmp_path.glob(f"*{who}*"))
    refused = audit_rows(demo_home, "backup.refused")
    assert [e.actor for e in refused] == ["reception.singh", "nurse.chen", "dr.patel"]
    assert all("administrator" in (e.reason or "") for e in refused)
    assert not audit_rows(demo_home, "backup")


def test_an_administrators_backup_is_owner_only_and_audited(demo_home, tmp_path):
    out = tmp_path / "new-folder" / "copy.cib"
    done = run_cli(demo_home, "backup", "--out", str(out), "--passphrase", user="admin", env=LONG)
    assert done.returncode == 0, done.stderr
    assert _mode(out) == 0o600 and _mode(out.parent) == 0o700
    same_key = _admin_backup(demo_home)
    assert (
        _mode(same_key) == 0o600
        and _mode(same_key.with_name(same_key.name + ".keys.json")) == 0o600
    )
    assert [e.actor for e in audit_rows(demo_home, "backup")] == ["admin", "admin"]


def test_a_restore_needs_an_administrators_sign_in(demo_home, tmp_path):
    backup = _admin_backup(demo_home)
    target = tmp_path / "elsewhere"
    nobody = run_cli(target, "restore", str(backup))
    assert nobody.returncode == 1 and "needs an administrator" in nobody.stderr
    desk = run_cli(target, "restore", str(backup), user="reception.singh")
    assert desk.returncode == 1 and "Only an administrator may restore" in desk.stderr
    assert "Traceback" not in desk.stderr
    assert not (target / "clinic.db").exists() and not (target / "custody.json").exists()
    wrong = run_cli(target, "restore", str(backup), user="admin", password="not it")
    assert wrong.returncode == 1 and "not right" in wrong.stderr
    assert not (target / "clinic.db").exists()
    done = run_cli(target, "restore", str(backup), user="admin")
    assert done.returncode == 0, done.stderr
    restored = audit_rows(target, "restore")
    assert [(e.actor, e.detail["replaced_damaged_store"]) for e in restored] == [("admin", False)]
    verify = run_cli(target, "audit", "verify", user="admin")
    assert verify.returncode == 0 and "intact" in verify.stdout


def test_replace_damaged_refuses_a_store_that_is_not_damaged(demo_home):
    _admin_backup(demo_home)
    # work done after the backup: a rollback would make these entries vanish
    assert run_cli(demo_home, "show", "1", user="dr.patel").returncode == 0
    before = len(audit_rows(demo_home))
    for who in ("admin", "reception.singh"):
        done = run_cli(demo_home, "restore", "latest", "--replace-damaged", user=who)
        assert done.returncode == 1, done.stdout
        assert "not damaged" in done.stderr and "not replaced" in done.stderr
    assert run_cli(demo_home, "restore", "latest", "--replace-damaged").returncode == 1
    assert not list(demo_home.glob("damaged-*"))
    rows = audit_rows(demo_home)
    assert len(rows) > before, "nothing was rolled back"
    refusals = [e for e in rows if e.action == "restore.refused"]
    assert [e.actor for e in refusals] == ["admin", "reception.singh"]
    assert run_cli(demo_home, "audit", "verify", user="admin").returncode == 0


def test_replacing_a_damaged_store_is_an_administrators_audited_act(demo_home):
    _admin_backup(demo_home)
    store = demo_home / "clinic.db"
    damaged = _damage(store)
    desk = run_cli(demo_home, "restore", "latest", "--replace-damaged", user="reception.singh")
    assert desk.returncode == 1 and "Only an administrator may restore" in desk.stderr
    assert store.read_bytes() == damaged, "the damaged store is back where it was"
    assert not list(demo_home.glob("damaged-*"))
    done = run_cli(demo_home, "restore", "latest", "--replace-damaged", user="admin")
    assert done.returncode == 0, done.stderr
    aside = list(demo_home.glob("damaged-*"))
    assert len(aside) == 1 and (aside[0] / "clinic.db").read_bytes() == damaged
    entries = audit_rows(demo_home, "restore")
    assert [(e.actor, e.detail) for e in entries] == [
        ("admin", {"backup": BACKUP_NAME, "replaced_damaged_store": True})
    ]
    with open_demo(demo_home) as clinic:
        assert clinic.store.integrity_check() == []


def test_the_apps_offer_of_the_latest_backup_needs_an_administrator(demo_home, qapp, monkeypatch):
    """The same act from the app's start-up screen: the typed sign-in is the only
    thing answered for the person (the dialogs are real, their answers given here)."""
    from PySide6.QtWidgets import QInputDialog, QMessageBox

    from clinic_inbox.ui import app

    _admin_backup(demo_home)
    damaged = _damage(demo_home / "clinic.db")
    answers: list[tuple[str, bool]] = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QMessageBox, "critical", lambda *a, **k: None)
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: answers.pop(0))
    monkeypatch.setattr(app, "qt_passphrase", lambda prompt, confirm: "")
    answers[:] = [("reception.singh", True), ("demo", True)]
    assert app.offer_latest_backup(demo_home, "damaged") is False
    assert (demo_home / "clinic.db").read_bytes() == damaged
    answers[:] = [("admin", True), ("demo", True)]
    assert app.offer_latest_backup(demo_home, "damaged") is True
    assert [e.actor for e in audit_rows(demo_home, "restore")] == ["admin"]
