"""Storing one incoming message: patient matching, threading, triage, clocks.

Source-neutral: the email and portal adapters hand over an `Incoming`; this
module decides where it goes. It runs inside the caller's transaction so the
sync checkpoint advances together with the message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from clinic_inbox.core import clock, threading
from clinic_inbox.core.config import ClinicConfig
from clinic_inbox.core.model import Category, Direction, Priority, Source, Status
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import sync_queries as sq
from clinic_inbox.core.store.connection import Store
from clinic_inbox.core.triage import Rules, TriageResult, triage


@dataclass
class Incoming:
    source: Source
    account_id: int
    received_at: datetime  # aware
    sender_address: str
    sender_name: str | None = None
    recipients: str = ""
    subject: str = ""
    body_text: str = ""
    body_html: str | None = None
    attachments: list[q.NewAttachment] = field(default_factory=list)
    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    content_hash: str | None = None
    imap_mailbox: str | None = None
    imap_uidvalidity: int | None = None
    imap_uid: int | None = None
    fhir_resource_id: str | None = None
    fhir_version: str | None = None
    patient_id: int | None = None  # set by the portal, whose identity is stronger than an address
    sender_priority: Priority | None = None
    sender_category: Category | None = None
    sender_priority_raw: str | None = None  # as the portal said it: routine, urgent, asap, stat
    sender_category_raw: str | None = None
    needs_review: bool = False
    review_reason: str | None = None
    raw_source: bytes | None = None
    auto_submitted: bool = False
    # triage done ahead (by a parse worker, with the same rules): saves the writer's time
    triaged: TriageResult | None = None


@dataclass(frozen=True)
class Ingested:
    message_id: int
    thread_id: int
    new_thread: bool
    priority: Priority
    patient_id: int | None
    triage_reason: str | None


def match_patient(store: Store, address: str) -> int | None:
    """Exactly one patient with this address; several or none leave it unmatched."""
    found = q.find_patients_by_email(store, address) if address else []
    return found[0] if len(found) == 1 else None


def _raise(a: Priority, b: Priority) -> Priority:
    return a if a.rank <= b.rank else b


def ingest(store: Store, cfg: ClinicConfig, rules: Rules, msg: Incoming) -> Ingested:
    if not store.in_transaction:
        raise RuntimeError("ingest runs inside the caller's transaction")
    received = msg.received_at.astimezone(UTC)
    patient_id = msg.patient_id or match_patient(store, msg.sender_address)
    result = msg.triaged or triage(
        msg.subject, msg.body_text, rules, msg.sender_priority, msg.sender_category
    )
    priority, category = result.priority, result.category
    if msg.needs_review and priority is not Priority.URGENT:
        # Unparsed content cannot be triaged: it must not wait in the administrative pile.
        priority = _raise(priority, Priority.ROUTINE)
    references = [r for r in [msg.in_reply_to, *msg.references] if r]
    thread_id = threading.find_thread(
        store,
        references=references,
        patient_id=patient_id,
        sender=msg.sender_address,
        subject=msg.subject,
        received_at=received,
    )
    received_iso = received.isoformat(timespec="seconds")
    due = clock.due_at(cfg, received, priority).isoformat(timespec="seconds")
    new_thread = thread_id is None
    if thread_id is None:
        thread_id = q.create_thread(
            store,
            q.NewThread(
                subject=msg.subject or "(no subject)",
                category=category,
                priority=priority,
                created_at=received_iso,
                patient_id=patient_id,
                sensitive=result.sensitive,
                due_at=due,
            ),
        )
    else:
        t_priority, t_status, t_due, t_sensitive = sq.thread_state(store, thread_id)
        changes: dict[str, object] = {
            "priority": _raise(Priority(t_priority), priority),
            "sensitive": bool(t_sensitive or result.sensitive),
        }
        status = Status(t_status)
        if status in (Status.DONE, Status.WAITING):
            # The patient wrote again: the conversation needs attention, with a fresh clock.
            changes["status"] = Status.NEW if status is Status.DONE else Status.IN_PROGRESS
            changes["due_at"] = due
            changes["clock_paused_remaining"] = None
        elif t_due is None or due < t_due:
            changes["due_at"] = due
        q.update_thread(store, thread_id, **changes)
    message_pk = q.insert_message(
        store,
        q.NewMessage(
            thread_id=thread_id,
            source=msg.source,
            direction=Direction.INBOUND,
            received_at=received_iso,
            sender=msg.sender_address,
            sender_name=msg.sender_name,
            recipients=msg.recipients,
            subject=msg.subject,
            body_text=msg.body_text,
            body_html=msg.body_html,
            patient_id=patient_id,
            account_id=msg.account_id,
            category=category,
            priority=priority,
            triage_reason=result.reason if result.reasons else None,
            sensitive=result.sensitive,
            needs_review=msg.needs_review,
            review_reason=msg.review_reason,
            imap_mailbox=msg.imap_mailbox,
            imap_uidvalidity=msg.imap_uidvalidity,
            imap_uid=msg.imap_uid,
            message_id_header=msg.message_id,
            in_reply_to=msg.in_reply_to,
            references_header=" ".join(msg.references) or None,
            fhir_resource_id=msg.fhir_resource_id,
            fhir_version=msg.fhir_version,
            content_hash=msg.content_hash,
            raw_source=msg.raw_source,
            sender_priority=msg.sender_priority_raw,
            sender_category=msg.sender_category_raw,
            attachments=msg.attachments,
        ),
    )
    return Ingested(
        message_pk,
        thread_id,
        new_thread,
        priority,
        patient_id,
        result.reason if result.reasons else None,
    )


def update_portal_message(
    store: Store, cfg: ClinicConfig, rules: Rules, message_pk: int, msg: Incoming
) -> Priority:
    """A new version of a portal resource replaces the stored content; triage may only
    raise the priority of the message and its thread."""
    if not store.in_transaction:
        raise RuntimeError("update runs inside the caller's transaction")
    result = msg.triaged or triage(
        msg.subject, msg.body_text, rules, msg.sender_priority, msg.sender_category
    )
    row = sq.message_triage_state(store, message_pk)
    priority = _raise(Priority(row.priority), result.priority)
    sq.replace_message_content(
        store,
        message_pk,
        subject=msg.subject,
        body_text=msg.body_text,
        fhir_version=msg.fhir_version,
        content_hash=msg.content_hash,
        priority=priority,
        sensitive=bool(row.sensitive or result.sensitive),
        triage_reason=result.reason if result.reasons else row.triage_reason,
        needs_review=msg.needs_review,
        review_reason=msg.review_reason,
        sender_priority=msg.sender_priority_raw,
        sender_category=msg.sender_category_raw,
        attachments=msg.attachments,
    )
    t_priority, _, _, t_sensitive = sq.thread_state(store, row.thread_id)
    q.update_thread(
        store,
        row.thread_id,
        priority=_raise(Priority(t_priority), priority),
        sensitive=bool(t_sensitive or result.sensitive),
    )
    q.index_message(store, message_pk)
    return priority
