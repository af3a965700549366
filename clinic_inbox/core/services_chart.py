"""Filing to the chart: a conversation exported as PDF, FHIR and HL7 for the
patient's record."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from clinic_inbox.core import access, filing
from clinic_inbox.core.changes import Changes, note
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.services_common import _audit, _fresh
from clinic_inbox.core.services_senders import _require_confirmed_sender
from clinic_inbox.core.services_staff_sessions import reauthenticate
from clinic_inbox.core.services_workflow import _acting
from clinic_inbox.core.signin import Session
from clinic_inbox.core.store import export_queries as eq
from clinic_inbox.core.store import queries as q


# -- filing to the chart -------------------------------------------------------------
def export_thread(
    clinic: Clinic,
    session: Session,
    thread_id: int,
    *,
    formats: tuple[str, ...],
    out_dir: Path,
    password: str,
    include_notes: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> filing.FiledDocument:
    """File a conversation to the chart. The password is asked again first."""
    bad = [f for f in formats if f not in filing.FORMATS]
    if bad or not formats:
        raise ValueError(f"Choose formats among {', '.join(filing.FORMATS)}.")
    reauthenticate(clinic, session, password, purpose="export", sleep=sleep)
    row, d = _acting(clinic, session, thread_id)
    access.require(
        d.body and d.file, d.why_not or "You may not file this conversation to the chart."
    )
    _require_confirmed_sender(clinic, thread_id)
    previous = eq.last_export(clinic.store, thread_id)
    version = previous.version + 1 if previous else 1
    doc = filing.build_document(
        clinic,
        thread_id,
        exported_by=session.staff.display_name,
        include_notes=include_notes,
        version=version,
        replaces=previous.document_id if previous else None,
    )
    paths, bundle = filing.render_and_write(doc, formats, out_dir)
    try:
        with clinic.store.transaction():
            eq.record_export(
                clinic.store,
                thread_id=thread_id,
                version=version,
                document_id=doc.document_id,
                replaces=doc.replaces_document_id,
                formats=",".join(formats),
                content_hash=doc.content_sha256(),
                exported_by=session.staff.id,
                exported_at=doc.exported_at.isoformat(timespec="seconds"),
                destination=str(out_dir),
            )
            q.update_thread(
                clinic.store,
                thread_id,
                filed_at=doc.exported_at.isoformat(timespec="seconds"),
                filed_document_id=doc.document_id,
            )
            note(clinic.store, Changes.of(thread_id))  # its card says "filed"
            _audit(
                clinic,
                session,
                "export",
                patient_id=row.patient_id,
                thread_id=thread_id,
                detail={
                    "document_id": doc.document_id,
                    "version": version,
                    "formats": list(formats),
                    "notes": include_notes,
                },
            )
    except BaseException:
        for p in paths:
            p.unlink(missing_ok=True)
        raise
    return filing.FiledDocument(
        thread_id,
        doc.document_id,
        version,
        doc.replaces_document_id,
        tuple(paths),
        doc.content_sha256(),
        bundle,
    )


def finished_since(clinic: Clinic, session: Session, since: str) -> list[int]:
    """The conversations finished since a date (ISO), for filing them as a batch; each
    is then checked and audited on its own by export_thread. Only numbers here."""
    _fresh(clinic, session)  # a disabled account or a reset password stops here
    return eq.finished_threads_since(clinic.store, since)
