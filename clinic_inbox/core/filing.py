"""Filing a conversation to the medical record: PDF, FHIR transaction Bundle, HL7 v2 MDM.

The files are written atomically (a hidden temporary name, then a rename) and
only into the folder the person chose. A later export of the same thread is a
new version that names the one it replaces.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from clinic_inbox.core import numbers
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.store import export_queries as eq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.core.store.connection import Store

FORMATS = ("pdf", "fhir", "hl7v2")
_EMBED = ("image/png", "image/jpeg", "image/gif", "application/pdf")


@dataclass(frozen=True)
class FiledDocument:
    thread_id: int
    document_id: str
    version: int
    replaces: str | None
    paths: tuple[Path, ...]
    content_hash: str
    bundle: dict | None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "clinic"


def _aware(iso: str) -> datetime:
    value = datetime.fromisoformat(iso)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def build_document(
    clinic: Clinic,
    thread_id: int,
    *,
    exported_by: str,
    include_notes: bool,
    version: int,
    replaces: str | None,
):  # noqa: ANN201 - ChartDocument
    from clinic_inbox.core.export.document import (
        ChartAttachment,
        ChartDocument,
        ChartMessage,
        ChartNote,
    )

    store = clinic.store
    row = q.get_thread(store, thread_id)
    if row is None:
        raise ValueError(f"There is no conversation number {thread_id}.")
    patient = q.get_patient(store, row.patient_id) if row.patient_id else None
    physician = (
        q.get_staff(store, patient.responsible_physician_id)
        if patient and patient.responsible_physician_id
        else None
    )
    by_header: dict[str, int] = {}
    messages = []
    for r in eq.export_messages(store, thread_id):
        (
            mid,
            direction,
            source,
            sender,
            _addr,
            rcpts,
            received,
            subject,
            body,
            msgid,
            fhir_id,
            irt,
        ) = r
        if msgid:
            by_header[msgid] = mid
        atts = tuple(
            ChartAttachment(fn, ct, size, sha, data if ct in _EMBED else None)
            for fn, ct, size, sha, data in eq.message_attachments(store, mid)
        )
        when = _aware(received)
        messages.append(
            ChartMessage(
                id=mid,
                direction=direction,
                source=source,
                sender=sender,
                recipients=rcpts,
                sent_at=when,
                received_at=when,
                subject=subject,
                body=body,
                message_id_header=msgid,
                fhir_resource_id=fhir_id,
                in_reply_to_id=by_header.get(irt) if irt else None,
                attachments=atts,
            )
        )
    notes = (
        tuple(
            ChartNote(author, _aware(at), body)
            for _, author, body, at in q.thread_notes(store, thread_id)
        )
        if include_notes
        else ()
    )
    now = datetime.now(UTC).replace(microsecond=0)
    key, document_id = _document_names(store, row, version)
    return ChartDocument(
        clinic_name=clinic.config.name,
        clinic_id=_slug(clinic.config.name),
        thread_id=thread_id,
        title=row.subject,
        category=row.category.value,
        priority=row.priority.value,
        sensitive=row.sensitive,
        patient_name=patient.display_name if patient else "Unidentified patient",
        patient_family=patient.family_name if patient else "",
        patient_given=patient.given_name if patient else "",
        birth_date=patient.birth_date if patient else None,
        chart_number=patient.chart_number if patient else None,
        portal_id=patient.portal_id if patient else None,
        patient_fhir_id=patient.portal_id if patient else None,
        physician_name=physician.display_name if physician else None,
        physician_fhir_id=None,
        exported_by=exported_by,
        exported_at=now,
        version=version,
        document_id=document_id,
        replaces_document_id=replaces,
        messages=tuple(messages),
        notes=notes,
        number=numbers.label(row.id, row.shared_number, numbers.shared(store)),
        conversation_key=key,
    )


def _document_names(store: Store, row: q.ThreadRow, version: int) -> tuple[str | None, str]:
    """The conversation's name in document identifiers and the document's id.

    Alone: the local id and a random suffix, as always. With a shared server and a
    conversation the server has numbered: its clinic number, and an id every
    workstation filing this version of it makes alike (a digest of the clinic, the
    number and the version), so the chart's conditional create keeps one copy. A
    conversation not numbered yet (written offline) keeps the local form."""
    if numbers.shared(store) and row.shared_number is not None:
        clinic = shq.linked_clinic(store) or ""
        n = int(row.shared_number)
        digest = hashlib.sha256(f"{clinic}|{n}|{version}".encode()).hexdigest()[:8]
        return f"C{n}", f"CI-C{n}-{version}-{digest}"
    return None, f"CI-{row.id}-{version}-{uuid.uuid4().hex[:8]}"


def _write_atomic(folder: Path, name: str, data: bytes) -> Path:
    final = folder / name
    tmp = folder / f".{name}.partial"
    fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    os.fchmod(fd, 0o600)  # a leftover partial file would keep its old mode
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, final)
    return final


def render_and_write(
    doc, formats: tuple[str, ...], out_dir: Path
) -> tuple[list[Path], dict | None]:  # noqa: ANN001
    from clinic_inbox.core.export import fhir_bundle, hl7v2, pdf

    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise ValueError(f"The folder {out_dir} does not exist.")
    pdf_bytes = pdf.render_pdf(doc)
    outputs: list[tuple[str, bytes]] = []
    bundle = None
    if "pdf" in formats:
        outputs.append((f"{doc.document_id}.pdf", pdf_bytes))
    if "fhir" in formats:
        bundle = fhir_bundle.render_bundle(doc, pdf_bytes)
        fhir_bundle.validate_bundle(bundle)
        outputs.append(
            (
                f"{doc.document_id}.fhir.json",
                json.dumps(bundle, indent=2, ensure_ascii=False).encode(),
            )
        )
    if "hl7v2" in formats:
        outputs.append((f"{doc.document_id}.hl7", hl7v2.render_mdm(doc, pdf_bytes)))
    written: list[Path] = []
    try:
        for name, data in outputs:
            written.append(_write_atomic(out_dir, name, data))
    except BaseException:
        for p in written:
            p.unlink(missing_ok=True)
        raise
    return written, bundle
