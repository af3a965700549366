"""The thread as a FHIR R4 transaction Bundle: one DocumentReference (the PDF)
and one Communication per message, validated with fhir.resources' R4B models."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

from clinic_inbox.core.export.document import ChartDocument

DOC_SYSTEM = "urn:clinic-inbox:document"
CHART_SYSTEM = "urn:clinic-inbox:chart-number"
MSGID_SYSTEM = "urn:ietf:rfc:5322"
PORTAL_SYSTEM = "urn:clinic-inbox:portal-communication"


def _clinic(doc: Any) -> dict[str, Any]:
    """The clinic as a Reference: its identifier, and its name when it has one (a
    clinic set up before names were asked for has none; FHIR refuses an empty one)."""
    ref: dict[str, Any] = {
        "identifier": {"system": "urn:clinic-inbox:clinic", "value": doc.clinic_id}
    }
    if (doc.clinic_name or "").strip():
        ref["display"] = doc.clinic_name
    return ref


def _instant(dt) -> str:  # noqa: ANN001
    return dt.isoformat(timespec="seconds").replace("+00:00", "Z")


def _patient_ref(doc: ChartDocument) -> dict[str, Any]:
    if doc.patient_fhir_id:
        return {"reference": f"Patient/{doc.patient_fhir_id}", "display": doc.patient_name}
    if doc.chart_number:
        return {
            "identifier": {"system": CHART_SYSTEM, "value": doc.chart_number},
            "display": doc.patient_name,
        }
    return {"display": doc.patient_name}


def render_bundle(doc: ChartDocument, pdf_bytes: bytes) -> dict[str, Any]:
    patient = _patient_ref(doc)
    doc_url = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, doc.document_id)}"
    docref: dict[str, Any] = {
        "resourceType": "DocumentReference",
        # LOINC 34109-9 "Note": a clinical note; the patient's messages are filed as one.
        "masterIdentifier": {"system": DOC_SYSTEM, "value": doc.document_id},
        "identifier": [
            {"system": f"{DOC_SYSTEM}:thread", "value": f"{doc.clinic_id}-{doc.conversation_ref}"}
        ],
        "status": "current",
        "docStatus": "final",
        "type": {
            "coding": [{"system": "http://loinc.org", "code": "34109-9", "display": "Note"}],
            "text": "Patient messages",
        },
        "category": [{"text": f"Patient messaging — {doc.category}"}],
        "subject": patient,
        "date": _instant(doc.exported_at),
        "author": [{"display": doc.exported_by}],
        "custodian": _clinic(doc),
        "description": doc.title,
        "securityLabel": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
                        "code": "R" if doc.sensitive else "N",
                        "display": "restricted" if doc.sensitive else "normal",
                    }
                ]
            }
        ],
        "content": [
            {
                "attachment": {
                    "contentType": "application/pdf",
                    "language": "en",
                    "data": base64.b64encode(pdf_bytes).decode("ascii"),
                    "size": len(pdf_bytes),
                    # FHIR R4's Attachment.hash is a base64 SHA-1.
                    "hash": base64.b64encode(hashlib.sha1(pdf_bytes).digest()).decode("ascii"),  # noqa: S324
                    "title": f"{doc.title} ({doc.patient_name})",
                    "creation": _instant(doc.exported_at),
                },
            }
        ],
    }
    if doc.replaces_document_id:
        docref["relatesTo"] = [
            {
                "code": "replaces",
                "target": {"identifier": {"system": DOC_SYSTEM, "value": doc.replaces_document_id}},
            }
        ]
    entries = [
        {
            "fullUrl": doc_url,
            "resource": docref,
            "request": {
                "method": "POST",
                "url": "DocumentReference",
                "ifNoneExist": f"identifier={DOC_SYSTEM}:thread|{doc.clinic_id}-{doc.conversation_ref}-v{doc.version}",
            },
        }
    ]
    docref["identifier"][0]["value"] = f"{doc.clinic_id}-{doc.conversation_ref}-v{doc.version}"
    urls: dict[int, str] = {}
    for m in doc.messages:
        url = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{doc.clinic_id}/{doc.conversation_ref}/{doc.message_ref(m)}')}"
        urls[m.id] = url
        ident = (
            {"system": MSGID_SYSTEM, "value": m.message_id_header}
            if m.message_id_header
            else {
                "system": PORTAL_SYSTEM,
                "value": m.fhir_resource_id or f"{doc.clinic_id}-{doc.message_ref(m)}",
            }
        )
        staff = {"display": m.sender}
        comm: dict[str, Any] = {
            "resourceType": "Communication",
            "identifier": [ident],
            "status": "completed",
            "subject": patient,
            "sent": _instant(m.sent_at),
            "received": _instant(m.received_at),
            "sender": patient if m.direction == "in" else staff,
            "recipient": [_clinic(doc)] if m.direction == "in" else [patient],
            "payload": [{"contentString": m.body or "(no text)"}]
            + [
                {
                    "contentAttachment": {
                        "contentType": a.content_type,
                        "title": a.filename,
                        "size": a.size,
                        "hash": base64.b64encode(bytes.fromhex(a.sha256)[:20]).decode(),
                    }
                }
                for a in m.attachments
            ],
            "partOf": [{"reference": doc_url}],
            "topic": {"text": m.subject or doc.title},
        }
        if m.in_reply_to_id in urls:
            comm["inResponseTo"] = [{"reference": urls[m.in_reply_to_id]}]
        entries.append(
            {
                "fullUrl": url,
                "resource": comm,
                "request": {
                    "method": "POST",
                    "url": "Communication",
                    "ifNoneExist": f"identifier={ident['system']}|{ident['value']}",
                },
            }
        )
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def validate_bundle(bundle: dict[str, Any]) -> None:
    """Raise ValueError, in words, if a FHIR server would refuse this Bundle."""
    from fhir.resources.R4B.bundle import Bundle

    try:
        Bundle.model_validate(bundle)
    except Exception as exc:  # noqa: BLE001 - pydantic ValidationError
        raise ValueError(f"The FHIR export is not valid: {str(exc).splitlines()[0]}") from None
