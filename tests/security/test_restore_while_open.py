"""Issue 16 leftover: putting a backup back while the app has the clinic open is
refused (it would go on writing the replaced file, and `audit verify` would then cry
rollback); once the app is closed the same restore runs."""

from __future__ import annotations

from support.insider import open_demo, run_cli

from clinic_inbox.core import audit

BACKUP_NAME = "clinic-20261130T020000Z.db"  # the name the scheduler gives


def _damage(store) -> bytes:
    data = bytearray(store.read_bytes())
    data[-4096 + 300 : -4096 + 364] = bytes(64)  # a torn write in the last page
    store.write_bytes(bytes(data))
    return bytes(data)


def test_restore_waits_for_the_app_to_close(demo_home):
    out = demo_home / "backups" / BACKUP_NAME
    assert run_cli(demo_home, "backup", "--out", str(out), user="admin").returncode == 0
    store = demo_home / "clinic.db"
    app = open_demo(demo_home)  # the app, still running on this computer
    try:
        damaged = _damage(store)
        done = run_cli(demo_home, "restore", "latest", "--replace-damaged", user="admin")
        assert done.returncode == 1, done.stdout
        assert "has this clinic open" in done.stderr and "Nothing was changed" in done.stderr
        assert "Traceback" not in done.stderr
        assert store.read_bytes() == damaged and not list(demo_home.glob("damaged-*"))
    finally:
        app.close()
    done = run_cli(demo_home, "restore", "latest", "--replace-damaged", user="admin")
    assert done.returncode == 0, done.stderr
    with open_demo(demo_home) as clinic:
        assert audit.verify(clinic.store, clinic.audit_key).ok
    verify = run_cli(demo_home, "audit", "verify", user="admin")
    assert verify.returncode == 0, verify.stdout + verify.stderr
