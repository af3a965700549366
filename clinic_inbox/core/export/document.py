"""A neutral chart document, assembled from a thread, that every renderer reads."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ChartAttachment:
    filename: str
    content_type: str
    size: int
    sha256: str
    data: bytes | None  # kept for images and PDFs, which the PDF copy embeds


@dataclass(frozen=True)
class ChartMessage:
    id: int
    direction: str  # "in" | "out"
    source: str  # "email" | "portal"
    sender: str
    recipients: str
    sent_at: datetime
    received_at: datetime
    subject: str
    body: str
    message_id_header: str | None
    fhir_resource_id: str | None
    in_reply_to_id: int | None
    attachments: tuple[ChartAttachment, ...] = ()


@dataclass(frozen=True)
class ChartNote:
    author: str
    at: datetime
    body: str


@dataclass(frozen=True)
class ChartDocument:
    clinic_name: str
    clinic_id: str
    thread_id: int
    title: str
    category: str
    priority: str
    sensitive: bool
    patient_name: str
    patient_family: str
    patient_given: str
    birth_date: str | None
    chart_number: str | None
    portal_id: str | None
    patient_fhir_id: str | None
    physician_name: str | None
    physician_fhir_id: str | None
    exported_by: str
    exported_at: datetime
    version: int
    document_id: str
    replaces_document_id: str | None
    messages: tuple[ChartMessage, ...]
    notes: tuple[ChartNote, ...] = ()
    number: str = ""  # the conversation's number as staff read it ("#7"), for the header
    # With a shared server, the conversation's clinic-wide name ("C40", its clinic number),
    # so that every workstation filing it writes the same identifiers; None alone (the
    # local id, as always).
    conversation_key: str | None = None

    @property
    def conversation_ref(self) -> str:
        """The conversation in document identifiers."""
        return self.conversation_key or str(self.thread_id)

    def message_ref(self, m: ChartMessage) -> str:
        """A message in document identifiers: alone its local id, as always; with a
        shared server what every workstation knows it by (its Message-ID or portal id,
        else its conversation and time)."""
        if self.conversation_key is None:
            return str(m.id)
        found = m.message_id_header or m.fhir_resource_id
        return found or f"{self.conversation_key}@{m.sent_at.isoformat()}"

    def content_sha256(self) -> str:
        """A hash of what was said (not of when it was exported), printed on every page."""
        content = {
            "thread": self.thread_id if self.conversation_key is None else self.conversation_key,
            "patient": [self.patient_name, self.birth_date, self.chart_number, self.portal_id],
            "messages": [
                [
                    m.id if self.conversation_key is None else self.message_ref(m),
                    m.direction,
                    m.sender,
                    m.recipients,
                    m.sent_at.isoformat(),
                    m.subject,
                    m.body,
                    [a.sha256 for a in m.attachments],
                ]
                for m in self.messages
            ],
            "notes": [[n.author, n.at.isoformat(), n.body] for n in self.notes],
        }
        return hashlib.sha256(
            json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()
