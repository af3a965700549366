"""Delivery status notifications (RFC 3464 "bounces") tied back to the message they
concern, so that a conversation never says "answered" when the patient got nothing.

A bounce is plain email: anyone can write one. One is believed only if
- it names, as the original Message-ID, a message this clinic sent (the identifiers
  are 128 random bits: only the recipient's mail system has seen it), and that
  message has left the outbox;
- its failed Final-Recipient is the very address that message was sent to.
(No check on times: the mail server's clock and ours may differ, and a report naming
an identifier can only have been written after the message carrying it went out.)
Whatever else arrives is left as the ordinary message it is. What a believed bounce
can do is limited on purpose: the message is marked "not delivered" and the
conversation returns to New asking for a phone call. Nothing is deleted or resent.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from email.message import Message
from email.utils import parseaddr

from clinic_inbox.core import audit
from clinic_inbox.core.outgoing_fhir import REPLY_ID_SYSTEM
from clinic_inbox.core.store import compose_queries as cq
from clinic_inbox.core.store.connection import Store

MAX_DETAIL = 300


@dataclass(frozen=True)
class Recipient:
    final_recipient: str
    action: str  # failed, delayed, delivered, relayed, expanded
    status: str  # e.g. 5.1.1
    diagnostic: str


@dataclass(frozen=True)
class Dsn:
    original_message_id: str | None
    recipients: tuple[Recipient, ...]

    @property
    def failed(self) -> list[Recipient]:
        return [r for r in self.recipients if r.action == "failed"]


def _address(field: str) -> str:
    """'rfc822; Luc@Patients.example' -> 'luc@patients.example'."""
    _, _, value = field.partition(";")
    return parseaddr((value or field).strip())[1].strip().lower()


def _one_line(text: str) -> str:
    return " ".join(str(text).split())[:MAX_DETAIL]


def parse_dsn(raw: bytes) -> Dsn | None:
    """The delivery report in `raw`, or None when it is not one (any other message)."""
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    except Exception:  # noqa: BLE001 - a malformed message is simply not a report
        return None
    if msg.get_content_type() != "multipart/report":
        return None
    if (msg.get_param("report-type") or "").lower() != "delivery-status":
        return None
    recipients: list[Recipient] = []
    original: str | None = None
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            blocks = part.get_payload()
            if not isinstance(blocks, list):
                continue
            for block in blocks[1:]:  # the first block is about the message, not a recipient
                if not isinstance(block, Message) or not block.get("Final-Recipient"):
                    continue
                recipients.append(
                    Recipient(
                        final_recipient=_address(str(block.get("Final-Recipient"))),
                        action=str(block.get("Action", "")).strip().lower(),
                        status=_one_line(block.get("Status", "")),
                        diagnostic=_one_line(block.get("Diagnostic-Code", "")),
                    )
                )
        elif ctype in ("text/rfc822-headers", "message/rfc822") and original is None:
            original = _original_id(part)
    return Dsn(original, tuple(recipients)) if recipients else None


def _original_id(part: Message) -> str | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        inner = payload[0]  # message/rfc822
    else:
        text = part.get_payload(decode=True) or b""
        inner = email.message_from_bytes(text, policy=email.policy.compat32)
    found = inner.get("Message-ID")
    return str(found).strip() if found else None


@dataclass(frozen=True)
class Matched:
    message_id: int
    thread_id: int
    patient_id: int | None
    recipient: Recipient


def match(store: Store, dsn: Dsn) -> Matched | None:
    """The message of ours this report is about, if it passes every check above."""
    if not dsn.original_message_id:
        return None
    sent = cq.sent_message_by_id(store, dsn.original_message_id)
    if sent is None:
        return None
    message_pk, thread_id, patient_id, recipients = sent
    ours = {_address(r) for r in recipients.split(",") if r.strip()}
    for r in dsn.failed:
        if r.final_recipient and r.final_recipient in ours:
            return Matched(message_pk, thread_id, patient_id, r)
    return None


def record(store: Store, audit_key: bytes, raw: bytes) -> Matched | None:
    """Mark the message a believed bounce concerns as not delivered, bring its
    conversation back to New, and audit it (inside the caller's transaction)."""
    dsn = parse_dsn(raw)
    if dsn is None or not dsn.failed:
        return None
    found = match(store, dsn)
    if found is None:
        return None
    r = found.recipient
    detail = _one_line(f"{r.status} {r.diagnostic}".strip())
    if not cq.mark_not_delivered(store, found.message_id, detail):
        return found  # already known: the same report twice changes nothing
    audit.append(
        store,
        audit_key,
        None,
        "system",
        "message.not_delivered",
        patient_id=found.patient_id,
        thread_id=found.thread_id,
        message_id=found.message_id,
        detail={"status": r.status[:20]},
    )
    return found


# -- the portal's word on a message of ours ----------------------------------------------
_NOT_DELIVERED = ("not-done", "entered-in-error", "stopped")


def portal_state(resource: dict, ident: str, patient_ref: str) -> tuple[str, str | None] | None:
    """('read', when) or ('not_delivered', why) from the portal's copy of a message we
    sent, or None (nothing new). The copy must carry our identifier and our patient:
    a resource about anything else says nothing about this message."""
    ids = {
        i.get("value") for i in resource.get("identifier", []) if i.get("system") == REPLY_ID_SYSTEM
    }
    recipients = {r.get("reference") for r in resource.get("recipient", [])}
    if ident not in ids or patient_ref not in recipients:
        return None
    status = str(resource.get("status", ""))
    if status in _NOT_DELIVERED:
        reason = resource.get("statusReason", {}) or {}
        return "not_delivered", _one_line(reason.get("text") or status)
    received = resource.get("received")
    if isinstance(received, str) and received:
        return "read", received[:40]
    return None


def record_portal_state(
    store: Store,
    audit_key: bytes,
    message_id: int,
    thread_id: int,
    patient_id: int | None,
    state: tuple[str, str | None],
) -> bool:
    """Keep what the portal reported about one message of ours (in the caller's
    transaction); a failure brings the conversation back to New, audited."""
    kind, detail = state
    if kind == "read":
        return cq.mark_read(store, message_id, detail or "")
    if not cq.mark_not_delivered(store, message_id, detail or "the portal could not deliver it"):
        return False
    audit.append(
        store,
        audit_key,
        None,
        "system",
        "message.not_delivered",
        patient_id=patient_id,
        thread_id=thread_id,
        message_id=message_id,
        detail={"channel": "portal"},
    )
    return True
