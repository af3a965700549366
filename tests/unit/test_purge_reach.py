"""A retention purge reaches the backups taken before it: the purge leaves tombstones
(numbers only) in the data folder and beside the backups, and restoring an older
backup purges those conversations again before the restored store is opened. Real
SQLCipher files, read back page by page; a planted ledger deletes nothing."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from support.clinics import PASSPHRASE, new_clinic
from support.sqlcipher_pages import first_page_is_sqlite, holds

from clinic_inbox.core import audit, backup, purge_ledger, services
from clinic_inbox.core import services_retention as ret
from clinic_inbox.core.home import STORE_FILE, open_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Category, Direction, Priority, Source, Status
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import retention_queries as rq

DOC_PW = "kettle orbit maple frost"


def ask(prompt: str, confirm: bool) -> str:
    return PASSPHRASE


def _conversation(clinic, pid: int, marker: str) -> int:
    with clinic.store.transaction():
        tid = q.create_thread(
            clinic.store,
            q.NewThread(f"About {marker}", Category.RESULTS, Priority.ROUTINE, q.utcnow(), pid),
        )
        q.insert_message(
            clinic.store,
            q.NewMessage(
                tid,
                Source.EMAIL,
                Direction.INBOUND,
                q.utcnow(),
                sender="luc@patients.example",
                body_text=f"My private words {marker} " * 40,
                patient_id=pid,
                category=Category.RESULTS,
            ),
        )
    doc = services.login(clinic, "dr.patel", DOC_PW)
    services.set_status(clinic, doc, tid, Status.DONE)
    return tid


def _setup(tmp_path):
    clinic, admin, patel = new_clinic(tmp_path / "c")
    with clinic.store.transaction():
        pid = q.add_patient(clinic.store, "Tremblay", "Luc", None, "C-1", None, patel.id)
    marks = {k: f"{k}-{uuid.uuid4().hex[:12]}" for k in ("gone", "kept")}
    gone, kept = (
        _conversation(clinic, pid, marks["gone"]),
        _conversation(clinic, pid, marks["kept"]),
    )
    doc = services.login(clinic, "dr.patel", DOC_PW)
    (tmp_path / "chart").mkdir()
    services.export_thread(
        clinic,
        doc,
        gone,
        formats=("fhir",),
        out_dir=tmp_path / "chart",
        password=DOC_PW,
        sleep=lambda s: None,
    )
    return clinic, admin, gone, kept, marks


def _purge(clinic, admin):
    with open(clinic.home / "clinic.toml", "a") as fh:
        fh.write("[retention]\nkeep_days_after_filing = 365\n")
    return ret.purge(clinic, admin, datetime.now(UTC) + timedelta(days=400))


def test_restoring_a_backup_from_before_the_purge_purges_again(tmp_path):
    clinic, admin, gone, kept, marks = _setup(tmp_path)
    older = clinic.home / "backups" / "before-purge.db"
    backup.write_backup(clinic, older)
    assert _purge(clinic, admin).threads == [gone]
    # tombstones in the data folder and beside the backups; numbers only
    for folder in (clinic.home, clinic.home / "backups"):
        text = (folder / purge_ledger.LEDGER_FILE).read_text()
        assert marks["gone"] not in text and "Tremblay" not in text and "About" not in text
        assert [e["thread"] for e in json.loads(text)["entries"]] == [gone]
        assert oct((folder / purge_ledger.LEDGER_FILE).stat().st_mode & 0o777) == "0o600"
    key = clinic.secrets.db_key
    clinic.close()
    assert first_page_is_sqlite(older, key)
    assert holds(older, key, marks["gone"].encode())  # the old backup still has the words

    target = tmp_path / "restored"
    backup.restore_backup(older, target, ask, custody=KeyCustody(target, detect=False))
    store_file = target / STORE_FILE
    assert not holds(store_file, key, marks["gone"].encode())
    assert holds(store_file, key, marks["kept"].encode())
    with open_clinic(target, ask, KeyCustody(target, detect=False)) as restored:
        row = q.get_thread(restored.store, gone)
        assert row.message_count == 0 and row.subject.startswith("(removed")
        assert q.list_messages(restored.store, q.MessageFilter(search=marks["gone"])) == []
        assert len(q.list_messages(restored.store, q.MessageFilter(search=marks["kept"]))) == 1
        actions = [e.action for e in audit.entries(restored.store)]
        assert actions[-2:] == ["audit.restore", "retention.purge.reapplied"]
        [again] = [
            e for e in audit.entries(restored.store) if e.action == "retention.purge.reapplied"
        ]
        assert again.thread_id == gone and again.actor == "system"
        assert audit.verify(restored.store, restored.audit_key).ok
    # the restored clinic keeps the tombstones for its own later restores
    assert (target / purge_ledger.LEDGER_FILE).is_file()


def test_restoring_a_damaged_store_in_place_reads_the_data_folder_ledger(tmp_path):
    from clinic_inbox.core import backup_schedule

    clinic, admin, gone, kept, marks = _setup(tmp_path)
    elsewhere = tmp_path / "usb" / "copy.db"  # a copy kept away from the ledger beside backups
    backup.write_backup(clinic, elsewhere)
    _purge(clinic, admin)
    home, key = clinic.home, clinic.secrets.db_key
    clinic.close()
    backup_schedule.replace_damaged_store(
        home, elsewhere, ask, custody=KeyCustody(home, detect=False)
    )
    assert not holds(home / STORE_FILE, key, marks["gone"].encode())
    assert holds(home / STORE_FILE, key, marks["kept"].encode())


def test_a_planted_or_altered_ledger_deletes_nothing(tmp_path):
    clinic, admin, gone, kept, marks = _setup(tmp_path)
    out = clinic.home / "backups" / "b.db"
    backup.write_backup(clinic, out)
    created = rq.created_at(clinic.store, kept)
    # someone writes tombstones: one with a made-up MAC, one signed with another key
    forged = purge_ledger.Tombstone(kept, created, "2026-01-01T00:00:00+00:00")
    other = purge_ledger.Tombstone(gone, rq.created_at(clinic.store, gone), "x")
    (out.parent / purge_ledger.LEDGER_FILE).write_text(
        json.dumps(
            {
                "entries": [
                    {"thread": kept, "created_at": created, "purged_at": forged.purged_at,
                     "mac": "00" * 32},
                    {"thread": gone, "created_at": other.created_at, "purged_at": "x",
                     "mac": other.mac(b"k" * 32)},
                ]
            }
        )
    )  # fmt: skip
    assert purge_ledger.read(out.parent / purge_ledger.LEDGER_FILE, clinic.audit_key) == ([], 2)
    key = clinic.secrets.db_key
    clinic.close()
    target = tmp_path / "restored"
    backup.restore_backup(out, target, ask, custody=KeyCustody(target, detect=False))
    for m in marks.values():
        assert holds(target / STORE_FILE, key, m.encode())
    with open_clinic(target, ask, KeyCustody(target, detect=False)) as restored:
        assert not [
            e for e in audit.entries(restored.store) if e.action == "retention.purge.reapplied"
        ]


def test_a_tombstone_for_a_reused_number_leaves_the_new_conversation(tmp_path):
    clinic, admin, gone, kept, marks = _setup(tmp_path)
    # genuine MAC, but the conversation with that number was created at another time
    stale = purge_ledger.Tombstone(kept, "1999-01-01T00:00:00+00:00", "2026-01-01")
    purge_ledger.add([clinic.home], clinic.audit_key, [stale])
    assert (
        ret.reapply_purges(clinic.store, clinic.audit_key, [clinic.home / purge_ledger.LEDGER_FILE])
        == []
    )
    assert q.get_thread(clinic.store, kept).message_count == 1
    clinic.close()


def test_an_off_site_folder_gets_the_tombstones_with_its_next_backup(tmp_path):
    clinic, admin, gone, kept, marks = _setup(tmp_path)
    usb = tmp_path / "usb"
    backup.write_backup(clinic, usb / "monday.db")  # taken before the purge
    _purge(clinic, admin)
    assert not (usb / purge_ledger.LEDGER_FILE).exists()
    backup.write_backup(clinic, usb / "friday.db")  # the next copy carries the tombstones
    key = clinic.secrets.db_key
    clinic.close()
    target = tmp_path / "elsewhere"
    backup.restore_backup(usb / "monday.db", target, ask, custody=KeyCustody(target, detect=False))
    assert not holds(target / STORE_FILE, key, marks["gone"].encode())
    assert holds(target / STORE_FILE, key, marks["kept"].encode())


def test_a_store_file_copied_back_from_before_the_purge_is_purged_when_opened(tmp_path):
    import shutil

    clinic, admin, gone, kept, marks = _setup(tmp_path)
    clinic.store.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    shutil.copy(clinic.home / STORE_FILE, tmp_path / "old-store.db")
    _purge(clinic, admin)
    home, key = clinic.home, clinic.secrets.db_key
    clinic.close()
    for suffix in ("-wal", "-shm"):
        (home / f"{STORE_FILE}{suffix}").unlink(missing_ok=True)
    shutil.copy(tmp_path / "old-store.db", home / STORE_FILE)
    assert holds(home / STORE_FILE, key, marks["gone"].encode())
    with open_clinic(home, ask, KeyCustody(home, detect=False)) as again:
        assert q.get_thread(again.store, gone).message_count == 0
        assert [e.thread_id for e in audit.entries(again.store) if e.action.endswith("reapplied")]
    assert not holds(home / STORE_FILE, key, marks["gone"].encode())
