"""The off-site gap of the purge (issue 18): a backup of a clinic that purges, copied
off site before a purge and restored elsewhere, cannot learn of that purge from the
list copied with it. The restore refuses (nothing kept) unless it is given the
clinic's live purged.json written after the backup, or an administrator confirms the
backup is the only copy left (audited). Real SQLCipher files, read back page by page."""

from __future__ import annotations

import json
import shutil
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from support.clinics import PASSPHRASE, new_clinic
from support.sqlcipher_pages import holds

from clinic_inbox.core import audit, backup, purge_ledger, services
from clinic_inbox.core import services_retention as ret
from clinic_inbox.core.home import STORE_FILE, open_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Category, Direction, Priority, Source, Status
from clinic_inbox.core.store import queries as q

DOC_PW = "kettle orbit maple frost"
OFFSITE = "an offsite passphrase of our own"


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
                tid, Source.EMAIL, Direction.INBOUND, q.utcnow(), sender="luc@patients.example",
                body_text=f"My private words {marker} " * 40, patient_id=pid,
                category=Category.RESULTS,
            ),
        )  # fmt: skip
    services.set_status(clinic, services.login(clinic, "dr.patel", DOC_PW), tid, Status.DONE)
    return tid


@pytest.fixture()
def purging(tmp_path):
    """A clinic with a retention period, one conversation filed (due for purging in a
    year) and one not; an off-site copy ("usb") made before the purge, then the purge."""
    clinic, admin, patel = new_clinic(tmp_path / "c")
    with open(clinic.home / "clinic.toml", "a") as fh:
        fh.write("[retention]\nkeep_days_after_filing = 365\n")
    with clinic.store.transaction():
        pid = q.add_patient(clinic.store, "Tremblay", "Luc", None, "C-1", None, patel.id)
    marks = {k: f"{k}-{uuid.uuid4().hex[:12]}" for k in ("gone", "kept")}
    gone = _conversation(clinic, pid, marks["gone"])
    _conversation(clinic, pid, marks["kept"])
    (tmp_path / "chart").mkdir()
    services.export_thread(
        clinic, services.login(clinic, "dr.patel", DOC_PW), gone, formats=("fhir",),
        out_dir=tmp_path / "chart", password=DOC_PW, sleep=lambda s: None,
    )  # fmt: skip
    usb = tmp_path / "usb"
    backup.write_backup(clinic, usb / "monday.db")  # the copy that goes off site
    backup.write_backup(clinic, usb / "monday.cib", passphrase=OFFSITE)  # one standing alone
    assert ret.purge(clinic, admin, datetime.now(UTC) + timedelta(days=400)).threads == [gone]
    # the off-site folder never gets a newer backup: its list is as of Monday
    assert purge_ledger.read_all([usb / purge_ledger.LEDGER_FILE], clinic.audit_key) == []
    key = clinic.secrets.db_key
    home = clinic.home
    clinic.close()
    return tmp_path, home, usb / "monday.db", key, marks, gone


def test_restoring_elsewhere_without_the_live_list_is_refused_and_keeps_nothing(purging):
    tmp, home, monday, key, marks, _ = purging
    target = tmp / "elsewhere"
    with pytest.raises(backup.PurgesUnknown) as err:
        backup.restore_backup(monday, target, ask, custody=KeyCustody(target, detect=False))
    words = str(err.value)
    assert "no list of removals (purged.json) newer than the backup" in words
    assert "only copy of the clinic" in words and words.endswith("Nothing was restored.")
    assert not (target / STORE_FILE).exists()
    assert not (target / purge_ledger.LEDGER_FILE).exists()  # a retry is refused again
    with pytest.raises(backup.PurgesUnknown):
        backup.restore_backup(monday, target, ask, custody=KeyCustody(target, detect=False))


def test_with_the_clinics_live_list_the_restore_purges_again(purging):
    tmp, home, monday, key, marks, gone = purging
    brought = tmp / "from-the-clinic" / "purged.json"  # copied from the data folder
    brought.parent.mkdir()
    shutil.copy(home / purge_ledger.LEDGER_FILE, brought)
    target = tmp / "elsewhere"
    backup.restore_backup(
        monday, target, ask, custody=KeyCustody(target, detect=False), purged_file=brought
    )
    assert not holds(target / STORE_FILE, key, marks["gone"].encode())
    assert holds(target / STORE_FILE, key, marks["kept"].encode())
    with open_clinic(target, ask, KeyCustody(target, detect=False)) as restored:
        again = [e for e in audit.entries(restored.store) if e.action.startswith("retention")]
        assert [(e.action, e.thread_id) for e in again][-1] == ("retention.purge.reapplied", gone)
        assert not [e for e in audit.entries(restored.store) if e.action == "restore.only_copy"]
        stamp = purge_ledger.read_stamp(target / purge_ledger.LEDGER_FILE, restored.audit_key)
        assert stamp.live
        assert stamp.as_of == purge_ledger.read_stamp(brought, restored.audit_key).as_of


def test_the_administrators_word_that_it_is_the_only_copy_is_audited(purging):
    tmp, home, monday, key, marks, _ = purging
    target = tmp / "elsewhere"
    backup.restore_backup(
        monday, target, ask, custody=KeyCustody(target, detect=False), only_copy=True
    )
    # nothing could tell it of the purge: the words are back, and the trail says why
    assert holds(target / STORE_FILE, key, marks["gone"].encode())
    with open_clinic(target, ask, KeyCustody(target, detect=False)) as restored:
        [said] = [e for e in audit.entries(restored.store) if e.action == "restore.only_copy"]
        assert "only copy" in said.reason and said.detail["live_list_as_of"] is None
        assert audit.verify(restored.store, restored.audit_key).ok


def test_an_older_altered_or_copied_list_does_not_count(purging):
    tmp, home, monday, key, marks, _ = purging
    from clinic_inbox.core.keys import KeyCustody as KC

    with open_clinic(home, ask, KC(home, detect=False)) as clinic:
        audit_key = clinic.audit_key
    # a live list written before the backup was made
    old = tmp / "old-home"
    old.mkdir()
    (old / STORE_FILE).write_bytes(b"")  # beside a store: written as a live list
    purge_ledger.add([old], audit_key, [], as_of="2020-01-01T00:00:00+00:00")
    assert purge_ledger.read_stamp(old / purge_ledger.LEDGER_FILE, audit_key).live
    # the live list with its date moved forward by hand
    altered = tmp / "altered.json"
    data = json.loads((home / purge_ledger.LEDGER_FILE).read_text())
    data["as_of"] = "2099-01-01T00:00:00+00:00"
    altered.write_text(json.dumps(data))
    assert purge_ledger.read_stamp(altered, audit_key) is None
    # a copy beside backups, however new, is not the live list
    copy = tmp / "copy-folder"
    purge_ledger.add([copy], audit_key, [])
    assert not purge_ledger.read_stamp(copy / purge_ledger.LEDGER_FILE, audit_key).live
    for n, brought in enumerate(
        (old / purge_ledger.LEDGER_FILE, altered, copy / purge_ledger.LEDGER_FILE)
    ):
        target = tmp / f"elsewhere-{n}"
        with pytest.raises(backup.PurgesUnknown):
            backup.restore_backup(
                monday, target, ask, custody=KeyCustody(target, detect=False), purged_file=brought
            )
        assert not (target / STORE_FILE).exists()


def test_a_clinic_that_does_not_purge_restores_as_before(tmp_path):
    clinic, _, _ = new_clinic(tmp_path / "c")
    backup.write_backup(clinic, tmp_path / "usb" / "b.db")
    clinic.close()
    assert not (tmp_path / "usb" / purge_ledger.LEDGER_FILE).exists()
    target = tmp_path / "elsewhere"
    backup.restore_backup(
        tmp_path / "usb" / "b.db", target, ask, custody=KeyCustody(target, detect=False)
    )
    assert (target / STORE_FILE).exists()


def test_a_passphrase_backup_off_site_is_held_to_the_same_rule(purging):
    tmp, home, monday, key, marks, _ = purging
    offsite = monday.with_name("monday.cib")
    target = tmp / "elsewhere"
    with pytest.raises(backup.PurgesUnknown):
        backup.restore_backup(
            offsite,
            target,
            ask,
            backup_passphrase=OFFSITE,
            custody=KeyCustody(target, detect=False),
        )
    assert not (target / STORE_FILE).exists()
    backup.restore_backup(
        offsite, target, ask, backup_passphrase=OFFSITE, custody=KeyCustody(target, detect=False),
        purged_file=home / purge_ledger.LEDGER_FILE,
    )  # fmt: skip
    with open_clinic(target, ask, KeyCustody(target, detect=False)) as restored:
        assert q.list_messages(restored.store, q.MessageFilter(search=marks["gone"])) == []
        assert len(q.list_messages(restored.store, q.MessageFilter(search=marks["kept"]))) == 1
