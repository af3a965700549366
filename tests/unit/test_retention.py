"""Nothing kept forever: after filing and the clinic's retention period, a purge
leaves no trace of a conversation in the store file (its decrypted pages are read
back byte by byte), keeps what is on legal hold, and writes its audit entry."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.clinics import new_clinic
from support.sqlcipher_pages import first_page_is_sqlite, holds

from clinic_inbox.core import audit, services
from clinic_inbox.core import services_retention as ret
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.model import Category, Direction, Priority, Source, Status
from clinic_inbox.core.store import queries as q

DOC_PW = "kettle orbit maple frost"
ADMIN_PW = "quartz lantern meadow violin"


@pytest.fixture()
def clinic(tmp_path):
    clinic, admin, patel = new_clinic(tmp_path / "c")
    with clinic.store.transaction():
        clinic.pid = q.add_patient(clinic.store, "Tremblay", "Luc", None, "C-1", None, patel.id)  # type: ignore[attr-defined]
    yield clinic
    clinic.close()


def _conversation(clinic, marker: str) -> int:
    with clinic.store.transaction():
        tid = q.create_thread(
            clinic.store,
            q.NewThread(
                subject=f"About {marker}",
                category=Category.RESULTS,
                priority=Priority.ROUTINE,
                created_at=q.utcnow(),
                patient_id=clinic.pid,
            ),
        )
        q.insert_message(
            clinic.store,
            q.NewMessage(
                thread_id=tid,
                source=Source.EMAIL,
                direction=Direction.INBOUND,
                received_at=q.utcnow(),
                sender="luc@patients.example",
                body_text=f"My private words {marker} " * 40,
                patient_id=clinic.pid,
                category=Category.RESULTS,
                attachments=[
                    q.NewAttachment("scan.txt", "text/plain", f"scan {marker}".encode() * 300)
                ],
            ),
        )
    doc = services.login(clinic, "dr.patel", DOC_PW)
    services.add_note(clinic, doc, tid, f"note about {marker}")
    services.set_status(clinic, doc, tid, Status.DONE)
    return tid


def _file(clinic, tid, out: Path) -> None:
    out.mkdir(exist_ok=True)
    doc = services.login(clinic, "dr.patel", DOC_PW)
    services.export_thread(
        clinic, doc, tid, formats=("fhir",), out_dir=out, password=DOC_PW, sleep=lambda s: None
    )


def _policy(clinic, text: str) -> None:
    (clinic.home / "clinic.toml").write_text(text)


def test_the_default_keeps_everything(clinic, tmp_path):
    tid = _conversation(clinic, "KEEPME")
    _file(clinic, tid, tmp_path / "chart")
    admin = services.login(clinic, "admin", ADMIN_PW)
    report = ret.purge(clinic, admin, datetime.now(UTC) + timedelta(days=3650))
    assert report.kept_forever and report.threads == []
    with pytest.raises(ValueError, match="at least 30"):
        _policy(clinic, "[retention]\nkeep_days_after_filing = 3\n")
        ret.purge(clinic, admin)


def test_purge_leaves_no_trace_in_the_file_and_keeps_held_and_unfiled(clinic, tmp_path):
    marks = {k: f"{k}-{uuid.uuid4().hex[:12]}" for k in ("gone", "held", "unfiled", "newer")}
    gone, held, unfiled, newer = (_conversation(clinic, marks[k]) for k in marks)
    for tid in (gone, held, newer):
        _file(clinic, tid, tmp_path / "chart")
    # a message came after filing: it is not in the chart, so the inbox keeps it
    with clinic.store.transaction():
        q.insert_message(
            clinic.store,
            q.NewMessage(
                thread_id=newer,
                source=Source.EMAIL,
                direction=Direction.INBOUND,
                received_at=(datetime.now(UTC) + timedelta(minutes=5)).isoformat(
                    timespec="seconds"
                ),
                sender="luc@patients.example",
                body_text="one more thing",
                patient_id=clinic.pid,
            ),
        )
        clinic.store.execute("UPDATE threads SET status = 'done' WHERE id = ?", (newer,))
    admin = services.login(clinic, "admin", ADMIN_PW)
    ret.set_legal_hold(clinic, admin, held, "Records request from the college, file 2026-114")
    _policy(clinic, "[retention]\nkeep_days_after_filing = 365\n")

    key, path = clinic.secrets.db_key, clinic.store.path
    clinic.store.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    assert first_page_is_sqlite(path, key)  # the reading below is a real decryption
    assert holds(path, key, marks["gone"].encode())  # so its "not found" means something
    assert not ret.purge(clinic, admin, datetime.now(UTC) + timedelta(days=300)).threads

    doc = services.login(clinic, "dr.patel", DOC_PW)
    with pytest.raises(AccessDenied):
        ret.purge(clinic, doc, datetime.now(UTC) + timedelta(days=400))
    report = ret.purge(clinic, admin, datetime.now(UTC) + timedelta(days=400))
    assert report.threads == [gone] and report.messages == 1

    assert not holds(path, key, marks["gone"].encode())
    assert not Path(f"{path}-wal").exists() or not holds(Path(f"{path}-wal"), key, b"gone-")
    assert Path(f"{path}-wal").stat().st_size == 0  # everything is in the main file now
    for kept in ("held", "unfiled", "newer"):
        assert holds(path, key, marks[kept].encode())
    row = q.get_thread(clinic.store, gone)
    assert row.subject == "(removed from the inbox after filing)" and row.message_count == 0
    assert q.list_messages(clinic.store, q.MessageFilter(search=marks["gone"])) == []
    assert len(q.list_messages(clinic.store, q.MessageFilter(search=marks["held"]))) == 1
    [entry] = [e for e in audit.entries(clinic.store) if e.action == "retention.purge"]
    assert entry.thread_id == gone and entry.actor == "admin"
    assert audit.verify(clinic.store, clinic.audit_key).ok
    assert clinic.store.integrity_check() == []


def test_marking_done_files_to_the_chart_when_the_clinic_asks(clinic, tmp_path):
    import json

    chart = tmp_path / "chart-drop"
    chart.mkdir()
    _policy(
        clinic, f'[filing]\non_done = true\nformats = ["pdf", "fhir"]\ndestination = "{chart}"\n'
    )
    tid = _conversation(clinic, "AUTOFILED")  # marks it done
    files = sorted(p.name for p in chart.iterdir())
    row = q.get_thread(clinic.store, tid)
    assert row.filed_document_id and files == [
        f"{row.filed_document_id}.fhir.json",
        f"{row.filed_document_id}.pdf",
    ]
    bundle = json.loads((chart / files[0]).read_text())
    assert bundle["resourceType"] == "Bundle"
    assert (chart / files[1]).read_bytes().startswith(b"%PDF")
    [entry] = [e for e in audit.entries(clinic.store) if e.action == "export"]
    assert entry.actor == "system" and entry.thread_id == tid
    # marking it done again files nothing new
    doc = services.login(clinic, "dr.patel", DOC_PW)
    services.set_status(clinic, doc, tid, Status.DONE)
    assert len(list(chart.iterdir())) == 2
    # a folder that went away: the conversation stays done, not filed, and says why
    chart.rename(tmp_path / "moved")
    other = _conversation(clinic, "NOTFILED")
    row = q.get_thread(clinic.store, other)
    assert row.status is Status.DONE and row.filed_at is None
    [failed] = [e for e in audit.entries(clinic.store) if e.action == "export.auto_failed"]
    assert failed.thread_id == other and "could not be written" in failed.reason
    # a setting with no destination: still done, not filed, and the reason is kept
    _policy(clinic, "[filing]\non_done = true\n")
    third = _conversation(clinic, "BADSETTING")
    assert q.get_thread(clinic.store, third).status is Status.DONE
    reasons = [e.reason for e in audit.entries(clinic.store) if e.action == "export.auto_failed"]
    assert any("needs `destination`" in r for r in reasons)


def test_batch_filing_files_what_it_may_and_names_the_rest(clinic, tmp_path):
    from clinic_inbox.core import services_filing
    from clinic_inbox.core.signin import AuthError

    chart = tmp_path / "chart"
    chart.mkdir()
    a, b = _conversation(clinic, "BATCH-A"), _conversation(clinic, "BATCH-B")
    doc = services.login(clinic, "dr.patel", DOC_PW)
    services.set_status(clinic, doc, b, Status.IN_PROGRESS)  # taken up again
    with pytest.raises(AuthError):
        services_filing.file_batch(
            clinic,
            doc,
            [a, b],
            formats=("pdf",),
            out_dir=chart,
            password="wrong password here",
            sleep=lambda s: None,
        )
    assert list(chart.iterdir()) == []
    done = services_filing.file_batch(
        clinic,
        doc,
        [a, b, 999],
        formats=("pdf",),
        out_dir=chart,
        password=DOC_PW,
        sleep=lambda s: None,
    )
    assert [t for t, _ in done.filed] == [a]
    assert dict(done.skipped)[b] == "it is not done yet"
    assert "999" in dict(done.skipped)[999]
    assert [p.name for p in chart.iterdir()] == [f"{done.filed[0][1]}.pdf"]
    assert q.get_thread(clinic.store, a).filed_document_id == done.filed[0][1]
    entries = [e for e in audit.entries(clinic.store) if e.action == "export"]
    assert [(e.actor, e.thread_id) for e in entries] == [("dr.patel", a)]
