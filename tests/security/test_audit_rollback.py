"""Rolling the audit trail back, as an insider with the desktop account would try:
copy an older clinic.db back, cut the tail, delete entries and recompute the chain
with the audit key, restore an old backup. Real CLI processes, real SQLCipher."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from support.insider_cli import ADMIN, ADMIN_PASSWORD, NURSE_PASSWORD, PASSPHRASE, new_clinic, run

from clinic_inbox.core import audit
from clinic_inbox.core.home import open_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.store import queries as q


def _open(home):
    return open_clinic(home, lambda p, c: PASSPHRASE, KeyCustody(home, detect=False))


def _work(home, times: int = 3) -> None:
    """Ordinary signed-in commands: each writes audit entries."""
    for _ in range(times):
        assert run(home, "--user", "nurse.chen", "list", password=NURSE_PASSWORD).returncode == 0


def _copy_store(home, dest) -> None:
    with _open(home) as clinic:  # a checkpoint: the whole store is in clinic.db
        clinic.store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy2(home / "clinic.db", dest)


def _put_back(saved, home) -> None:
    for name in ("clinic.db-wal", "clinic.db-shm"):
        (home / name).unlink(missing_ok=True)
    shutil.copy2(saved, home / "clinic.db")


def _damage(path) -> None:
    """A torn write in the third page: the store no longer passes its page check."""
    data = bytearray(path.read_bytes())
    data[2 * 4096 + 100 : 2 * 4096 + 164] = bytes(64)
    path.write_bytes(bytes(data))


def _verify(home):
    done = run(home, "--user", ADMIN, "audit", "verify", password=ADMIN_PASSWORD)
    assert "Traceback" not in done.stderr
    return done


def _rechain(home, drop: set[int], forge: int = 0) -> None:
    """What someone holding the audit key can do: delete entries, add harmless-looking
    ones, renumber and recompute every MAC and the signed head record."""
    with _open(home) as clinic:
        store, key = clinic.store, clinic.audit_key
        cols = "at, actor_id, actor, action, patient_id, thread_id, message_id, reason, detail"
        rows = [
            r[1:]
            for r in store.execute(f"SELECT id, {cols} FROM audit ORDER BY id")
            if r[0] not in drop
        ]
        rows += [rows[-1][:3] + ("logout",) + rows[-1][4:]] * forge
        with store.transaction():
            # the append-only triggers stop the app, not someone holding the key
            store.execute("DROP TRIGGER audit_no_delete")
            store.execute("DELETE FROM audit")
            prev = audit.GENESIS
            for i, row in enumerate(rows, 1):
                content = (i, *row)
                mac = audit._mac(key, prev, content)
                store.execute(
                    f"INSERT INTO audit (id, {cols}, prev_mac, mac) VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*content, prev, mac),
                )
                prev = mac
            head = [len(rows), prev, audit._head_mac(key, len(rows), prev)]
            q.set_meta(store, audit.HEAD_KEY, json.dumps(head))
            store.execute(
                "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit "
                "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
            )
        store.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@pytest.fixture()
def home(tmp_path):
    h = tmp_path / "clinic"
    new_clinic(h)
    _work(h, 1)
    return h


def test_an_untouched_trail_verifies_with_its_counter(home):
    done = _verify(home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Audit trail intact" in done.stdout
    assert "is in this history" in done.stdout  # the counter file was compared
    assert "no mail account is set up" in done.stdout  # and says what was not checked


def test_a_copied_back_store_is_named_older_than_its_counter(home, tmp_path):
    _copy_store(home, tmp_path / "old.db")
    _work(home, 3)
    _put_back(tmp_path / "old.db", home)
    done = _verify(home)
    assert done.returncode == 1
    assert "this store is OLDER than its anchor" in done.stdout
    assert "An older copy of the store file was put back" in done.stdout
    # using the old copy for a while does not wash it clean: the counter keeps what it saw
    _work(home, 6)
    again = _verify(home)
    assert again.returncode == 1
    assert "REWRITTEN" in again.stdout or "OLDER" in again.stdout


def test_a_cut_tail_with_a_re_signed_head_is_caught_by_the_counter(home):
    _work(home, 2)
    with _open(home) as clinic:
        last = q.get_meta(clinic.store, audit.HEAD_KEY)
        count = json.loads(last)[0]
    _rechain(home, drop={count, count - 1, count - 2})
    with _open(home) as clinic:
        assert audit.verify(clinic.store, clinic.audit_key).ok  # the chain alone is fooled
    done = _verify(home)
    assert done.returncode == 1 and "OLDER" in done.stdout
    # three cut; the verifying administrator's own sign-in has written one since
    assert re.search(r"the store holds \d+\. .* [23] audit entries are gone", done.stdout)


def test_entries_deleted_and_the_chain_recomputed_are_named_a_rewritten_history(home):
    _work(home, 2)
    with _open(home) as clinic:
        views = [e.id for e in audit.entries(clinic.store) if e.action == "login"]
    _rechain(home, drop=set(views[:2]), forge=4)  # as many entries as before, and more
    with _open(home) as clinic:
        assert audit.verify(clinic.store, clinic.audit_key).ok  # the chain alone is fooled
    done = _verify(home)
    assert done.returncode == 1
    assert "the audit history was REWRITTEN" in done.stdout
    assert "recomputed with the audit key" in done.stdout


def test_a_restore_is_recorded_as_a_new_epoch_and_told_apart_from_a_rollback(home, tmp_path):
    backup = tmp_path / "b.db"
    done = run(home, "--user", ADMIN, "backup", "--out", str(backup), password=ADMIN_PASSWORD)
    assert done.returncode == 0, done.stderr
    _work(home, 3)
    _copy_store(home, tmp_path / "before-restore.db")
    with _open(home) as clinic:
        replaced = audit.verify(clinic.store, clinic.audit_key).checked
    _damage(home / "clinic.db")  # --replace-damaged takes only a store that cannot be read
    restored = run(home, "--user", ADMIN, "restore", str(backup), "--replace-damaged")
    assert restored.returncode == 0, restored.stderr
    done = _verify(home)
    assert done.returncode == 0, done.stdout
    assert f"replacing a history of {replaced} entries" in done.stdout
    assert "epoch 1 began" in done.stdout
    with _open(home) as clinic:
        restores = [e for e in audit.entries(clinic.store) if e.action == "audit.restore"]
        assert len(restores) == 1 and restores[0].detail["replaced"]["count"] == replaced
    # putting the pre-restore store back afterwards is a rollback, and is named one
    _put_back(tmp_path / "before-restore.db", home)
    rolled = _verify(home)
    assert rolled.returncode == 1
    assert "OLDER" in rolled.stdout and "restore (epoch 1)" in rolled.stdout


def test_the_counter_is_owner_only_and_holds_only_the_head(home):
    files = list(Path(os.environ["XDG_STATE_HOME"], "clinic-inbox").glob("audit-*.json"))
    assert files
    for f in files:
        assert f.stat().st_mode & 0o077 == 0
        data = json.loads(f.read_text())
        assert set(data["record"]) == {"store_id", "place", "epoch", "count", "head", "at", "mac"}
