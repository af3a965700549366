"""`clinic-inbox restore` of a backup of a clinic that purges, on another computer:
refused without the clinic's live purged.json written after the backup; done with
`--purged FILE`; done with `--only-copy` (an administrator's word, audited). Real CLI
processes on a copy of the demo clinic with a retention period set."""

from __future__ import annotations

from support.insider import audit_rows, run_cli

from clinic_inbox.core import purge_ledger


def _purging_backup(home):
    with open(home / "clinic.toml", "a") as fh:
        fh.write("\n[retention]\nkeep_days_after_filing = 365\n")
    out = home / "backups" / "clinic-20261130T020000Z.db"
    done = run_cli(home, "backup", "--out", str(out), user="admin")
    assert done.returncode == 0, done.stderr
    assert (home / purge_ledger.LEDGER_FILE).is_file()  # the live list, stamped now
    return out


def test_restore_elsewhere_needs_the_live_list_or_the_administrators_word(demo_home, tmp_path):
    backup = _purging_backup(demo_home)
    bare = tmp_path / "elsewhere"
    refused = run_cli(bare, "restore", str(backup), user="admin")
    assert refused.returncode == 1, refused.stdout
    assert "purged.json" in refused.stderr and "Nothing was restored." in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (bare / "clinic.db").exists() and not (bare / purge_ledger.LEDGER_FILE).exists()

    brought = tmp_path / "brought"
    done = run_cli(
        brought, "restore", str(backup), "--purged", str(demo_home / purge_ledger.LEDGER_FILE),
        user="admin",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert not audit_rows(brought, "restore.only_copy")

    word = tmp_path / "only-copy"
    done = run_cli(word, "restore", str(backup), "--only-copy", user="admin")
    assert done.returncode == 0, done.stderr
    [said] = audit_rows(word, "restore.only_copy")
    assert said.detail["backup_made_at"] and "only copy" in said.reason
    assert [e.actor for e in audit_rows(word, "restore")] == ["admin"]
    assert run_cli(word, "audit", "verify", user="admin").returncode == 0
