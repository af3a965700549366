"""The thread as an HL7 v2.5.1 MDM^T02 message (original document with content),
the PDF carried base64-encoded in OBX-5, every text field escaped."""

from __future__ import annotations

import base64
import uuid

from clinic_inbox.core.export.document import ChartDocument

SEG = "\r"


def escape(text: str | None) -> str:
    """HL7 escape sequences for the delimiters; line breaks as \\X0D\\X0A hex escapes."""
    if not text:
        return ""
    out = (
        text.replace("\\", "\\E\\")
        .replace("|", "\\F\\")
        .replace("^", "\\S\\")
        .replace("&", "\\T\\")
        .replace("~", "\\R\\")
    )
    return out.replace("\r\n", "\\X0D0A\\").replace("\n", "\\X0A\\").replace("\r", "\\X0D\\")


def _ts(dt) -> str:  # noqa: ANN001
    return dt.strftime("%Y%m%d%H%M%S") + "+0000"


def render_mdm(
    doc: ChartDocument,
    pdf_bytes: bytes,
    *,
    sending_app: str = "CLINIC-INBOX",
    sending_facility: str | None = None,
    receiving_app: str = "EMR",
    receiving_facility: str = "",
    control_id: str | None = None,
) -> bytes:
    e = escape
    now = _ts(doc.exported_at)
    control = control_id or uuid.uuid4().hex[:20]
    facility = sending_facility or doc.clinic_id
    ids = []
    if doc.chart_number:
        ids.append(f"{e(doc.chart_number)}^^^{e(facility)}^MR")
    if doc.portal_id:
        ids.append(f"{e(doc.portal_id)}^^^{e(facility)}-PORTAL^PT")
    dob = (doc.birth_date or "").replace("-", "")
    segments = [
        f"MSH|^~\\&|{e(sending_app)}|{e(facility)}|{e(receiving_app)}|{e(receiving_facility)}|{now}||"
        f"MDM^T02^MDM_T02|{e(control)}|P|2.5.1|||AL|NE||UNICODE UTF-8",
        f"EVN|T02|{now}",
        f"PID|1||{'~'.join(ids)}||{e(doc.patient_family)}^{e(doc.patient_given)}||{dob}",
        f"PV1|1|O|||||{e(doc.physician_name or '')}",
        # TXA: 2 type (CN consultation/communication note), 3 presentation (AP other application data),
        # 4 activity time, 5 originator, 12 unique document number, 13 parent (replaced) document,
        # 16 file name, 17 completion (AU authenticated), 18 confidentiality (R restricted / U usual),
        # 19 availability (AV available).
        "TXA|1|CN|AP|"
        + now
        + "|"
        + e(doc.exported_by)
        + "|||||||"
        + e(doc.document_id)
        + "|"
        + e(doc.replaces_document_id or "")
        + "|||"
        + e(f"{doc.document_id}.pdf")
        + "|AU|"
        + ("R" if doc.sensitive else "U")
        + "|AV",
        "OBX|1|ED|34109-9^Note^LN^^"
        + e(doc.title)
        + "||^AP^PDF^Base64^"
        + base64.b64encode(pdf_bytes).decode("ascii")
        + "||||||F",
    ]
    return (SEG.join(segments) + SEG).encode("utf-8")
