"""Encrypted backups: verified, restorable only into an empty folder, audit chain intact."""

from __future__ import annotations

import pytest

from clinic_inbox.core import audit, backup, services
from clinic_inbox.core.home import create_clinic, open_clinic
from clinic_inbox.core.keys import KeyCustody, WrongPassphraseError
from clinic_inbox.core.model import Category, Direction, Priority, Source
from clinic_inbox.core.store import StoreExistsError
from clinic_inbox.core.store import queries as q

PASS = "correct horse battery staple"
OFFSITE = "offsite backup passphrase"


def ask(prompt: str, confirm: bool) -> str:
    return PASS


@pytest.fixture()
def clinic(tmp_path):
    home = tmp_path / "clinic"
    c, code = create_clinic(home, ask, KeyCustody(home, detect=False))
    services.create_first_admin(c, "admin", "Admin", "kettle orbit maple frost")
    with c.store.transaction():
        pid = q.add_patient(c.store, "Lefèvre", "Zoë", "1984-02-29", "RFH-1")
        tid = q.create_thread(
            c.store, q.NewThread("Refill", Category.REFILL, Priority.ROUTINE, q.utcnow(), pid)
        )
        q.insert_message(
            c.store,
            q.NewMessage(
                tid,
                Source.EMAIL,
                Direction.INBOUND,
                q.utcnow(),
                sender="zoe@example.org",
                subject="Refill metformin",
                body_text="Please renew my metformin",
                patient_id=pid,
            ),
        )
    c.recovery_code = code  # type: ignore[attr-defined]
    yield c
    c.close()


def _bytes_contain(path, needle: str) -> bool:
    data = path.read_bytes()
    return needle.encode() in data or needle.encode("utf-16-le") in data


def test_same_key_backup_restores_with_the_key_custody(clinic, tmp_path):
    out = tmp_path / "backups" / "monday.db"
    info = backup.write_backup(clinic, out)
    assert info.messages == 1 and out.exists() and backup.keys_file(out).exists()
    assert not out.read_bytes().startswith(b"SQLite format 3")
    assert not _bytes_contain(out, "metformin") and not _bytes_contain(out, "Lefèvre")
    assert not any(p.name.endswith(".partial") for p in out.parent.iterdir())
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(backup.BackupError):
        backup.write_backup(clinic, out)  # never overwrites
    target = tmp_path / "restored"
    info2, code = backup.restore_backup(out, target, ask, custody=KeyCustody(target, detect=False))
    assert code is None and info2.messages == 1
    with open_clinic(target, ask, KeyCustody(target, detect=False)) as restored:
        assert q.message_count(restored.store) == 1
        assert audit.verify(restored.store, restored.audit_key).ok
        assert [
            m.subject for m in q.list_messages(restored.store, q.MessageFilter(search="metformin"))
        ]


def test_restore_with_the_recovery_code_elsewhere(clinic, tmp_path):
    out = tmp_path / "b.db"
    backup.write_backup(clinic, out)
    target = tmp_path / "other-computer"
    with pytest.raises(WrongPassphraseError):
        backup.restore_backup(
            out, target, ask, recovery_code="AAAA-BBBB", custody=KeyCustody(target, detect=False)
        )
    assert not (target / "clinic.db").exists()
    code = clinic.recovery_code.lower().replace("-", " ")
    backup.restore_backup(
        out,
        target,
        lambda p, c: "a new passphrase 123",
        recovery_code=code,
        custody=KeyCustody(target, detect=False),
    )
    with open_clinic(
        target, lambda p, c: "a new passphrase 123", KeyCustody(target, detect=False)
    ) as r:
        assert q.message_count(r.store) == 1


def test_passphrase_backup_gets_a_fresh_key_and_keeps_the_audit_chain(clinic, tmp_path):
    out = tmp_path / "offsite.db"
    with pytest.raises(backup.BackupError):
        backup.write_backup(clinic, out, passphrase="short")
    backup.write_backup(clinic, out, passphrase=OFFSITE)
    assert not backup.keys_file(out).exists()
    with pytest.raises(backup.BackupError):
        backup.verify_backup(out, key=None, passphrase="wrong passphrase!!")
    target = tmp_path / "r"
    info, code = backup.restore_backup(
        out, target, ask, backup_passphrase=OFFSITE, custody=KeyCustody(target, detect=False)
    )
    assert code and info.messages == 1
    with open_clinic(target, ask, KeyCustody(target, detect=False)) as r:
        assert r.secrets.db_key != clinic.secrets.db_key
        assert audit.verify(r.store, r.audit_key).ok
        assert q.get_meta(r.store, "backup_audit_key") is None


def test_restore_refuses_a_folder_with_a_clinic_and_damaged_backups(clinic, tmp_path):
    out = tmp_path / "b.db"
    backup.write_backup(clinic, out)
    with pytest.raises(StoreExistsError):
        backup.restore_backup(out, clinic.home, ask)
    damaged = tmp_path / "damaged.db"
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    backup.keys_file(damaged).write_bytes(backup.keys_file(out).read_bytes())
    target = tmp_path / "t"
    with pytest.raises(backup.BackupError, match="damaged"):
        backup.restore_backup(damaged, target, ask, custody=KeyCustody(target, detect=False))
    assert not (target / "clinic.db").exists() and not (target / "custody.json").exists()
