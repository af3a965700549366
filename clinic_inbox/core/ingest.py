"""Storing one incoming message: patient matching, threading, triage, clocks.

Source-neutral: the email and portal adapters hand over an `Incoming`; this
module decides where it goes. It runs inside the caller's transaction so the
sync checkpoint advances together with the message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from clinic_inbox.core import clock, senders, threading
from clinic_inbox.core.config import ClinicConfig
from clinic_inbox.core.model import Category, Direction, Priority, Source, Status
from clinic_inbox.core.shared_ops import record as record_shared
from clinic_inbox.core.store import consent_queries as cq
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
    # who really sent it (sources/sender_check.py); None: not checked (the portal)
    sender_check: str | None = None
    sender_check_detail: str | None = None
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


@dataclass(frozen=True)
class _Placement:
    thread_id: int | None
    patient_id: int | None
    suggested_patient_id: int | None
    claims_thread_id: int | None
    hold_reasons: tuple[str, ...]
    held: bool = False  # a shared address or an unverified sender: a patient's, for access


_SHARED_ADDRESS = (
    "This email address is registered to {n} patients, so it was filed under none of "
    "them. Link it to the right patient."
)
_HELD_UNVERIFIED = (
    "The sender could not be verified, so this was not filed under the patient whose "
    "address it uses. Confirm the sender (for example by phoning the patient), then link it."
)
_CLAIMS = (
    "It claims to continue conversation #{t}, which belongs to a patient this address is "
    "not registered to. It was kept apart from that conversation."
)
_CLAIMS_UNLINKED = (
    "It claims to continue conversation #{t}, which another sender started. It was kept "
    "apart from that conversation."
)


def _place(store: Store, cfg: ClinicConfig, msg: Incoming, received: datetime) -> _Placement:
    """Which patient and conversation a message goes to, and what holds it for a person."""
    trusted = senders.sender_trusted(msg.sender_check, cfg.require_verified_sender)
    patient_id, suggested, held, shared = msg.patient_id, None, [], False
    if patient_id is None and msg.sender_address:
        found = q.find_patients_by_email(store, msg.sender_address)
        if len(found) == 1 and trusted:
            patient_id = found[0]
        elif len(found) == 1:
            suggested = found[0]
            held.append(_HELD_UNVERIFIED)
        elif len(found) > 1:
            shared = True
            held.append(_SHARED_ADDRESS.format(n=len(found)))
        elif trusted:
            # someone authorised to write for one patient (a proxy): filed under that patient
            for_whom = cq.patients_with_active_proxy(store, msg.sender_address, received.date())
            if len(for_whom) == 1:
                patient_id = for_whom[0]
    references = [r for r in [msg.in_reply_to, *msg.references] if r]
    claimed, claimed_patient = None, None
    for thread_id, thread_patient in sq.threads_by_message_ids(store, references):
        if senders.may_write_into(
            store,
            int(thread_id),
            thread_patient,
            sender=msg.sender_address,
            patient_id=msg.patient_id,
            trusted=trusted,
        ):
            # the reference settles an address shared by several patients
            joined_patient = patient_id if thread_patient is None else thread_patient
            return _Placement(int(thread_id), joined_patient, None, None, ())
        if claimed is None:
            claimed, claimed_patient = int(thread_id), thread_patient
    if claimed is not None:
        # A claim refused: a conversation of its own, never one found by its subject.
        if suggested is not None and claimed_patient == suggested:
            claimed = None  # the patient's own address, unverified: held as such above
        else:
            held.append((_CLAIMS if claimed_patient else _CLAIMS_UNLINKED).format(t=claimed))
        return _Placement(
            None, patient_id, suggested, claimed, tuple(held), shared or suggested is not None
        )
    thread_id = threading.find_thread(
        store,
        patient_id=patient_id,
        sender=msg.sender_address,
        subject=msg.subject,
        received_at=received,
    )
    return _Placement(
        thread_id, patient_id, suggested, None, tuple(held), shared or suggested is not None
    )


def _raise(a: Priority, b: Priority) -> Priority:
    return a if a.rank <= b.rank else b


def reopened(status: Status) -> Status | None:
    """The status a conversation takes when its patient writes again (None: unchanged)."""
    if status is Status.DONE:
        return Status.NEW
    if status is Status.WAITING:
        return Status.IN_PROGRESS
    return None


def _share_reopen(
    store: Store,
    thread_id: int,
    status: str,
    priority: str,
    sensitive: bool,
    changes: dict[str, object],
) -> None:
    """On a shared queue, what a new message changed (reopened, raised, made sensitive)
    goes to the server as the system's change: otherwise only the fetching workstation
    saw it and the others kept the conversation "Done" (found by the mail fault harness).
    A raise and the flag merge toward safety. The reopen is the server's, in its order
    (shared.reopen_schema): this copy's status may be older than the server's."""
    if changes["priority"] != Priority(priority):
        record_shared(store, thread_id, "priority", Priority(changes["priority"]).value, None)
    if changes["sensitive"] and not sensitive:
        record_shared(store, thread_id, "sensitive", "true", None)


def ingest(
    store: Store,
    cfg: ClinicConfig,
    rules: Rules | Callable[[], Rules],
    msg: Incoming,
    *,
    index: bool = True,
) -> Ingested:
    """`index` False: the caller adds the message to the search index later in the same
    transaction (queries.index_messages: one statement for a sync's whole batch).
    `rules` may be a call that compiles them: made only when `msg` is not triaged yet
    (a sync whose workers triage never compiles them itself)."""
    if not store.in_transaction:
        raise RuntimeError("ingest runs inside the caller's transaction")
    received = msg.received_at.astimezone(UTC)
    place = _place(store, cfg, msg, received)
    patient_id = place.patient_id
    result = msg.triaged or triage(
        msg.subject,
        msg.body_text,
        rules() if callable(rules) else rules,
        msg.sender_priority,
        msg.sender_category,
    )
    priority, category = result.priority, result.category
    if msg.needs_review and priority is not Priority.URGENT:
        # Unparsed content cannot be triaged: it must not wait in the administrative pile.
        priority = _raise(priority, Priority.ROUTINE)
    thread_id = place.thread_id
    needs_review = msg.needs_review or bool(place.hold_reasons)
    review_reason = " ".join(
        [*place.hold_reasons, *([msg.review_reason] if msg.review_reason else [])]
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
        if (again := reopened(status)) is not None:
            # The patient wrote again: the conversation needs attention, with a fresh clock.
            changes["status"] = again
            changes["due_at"] = due
            changes["clock_paused_remaining"] = None
        elif t_due is None or due < t_due:
            changes["due_at"] = due
        q.update_thread(store, thread_id, **changes)
        _share_reopen(store, thread_id, t_status, t_priority, bool(t_sensitive), changes)
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
            needs_review=needs_review,
            review_reason=review_reason or None,
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
            sender_check=msg.sender_check,
            sender_check_detail=msg.sender_check_detail,
            claims_thread_id=place.claims_thread_id,
            attachments=msg.attachments,
        ),
        index=index,
        thread_is_new=new_thread,  # created above at this message's time
    )
    unverified = msg.sender_check == senders.UNVERIFIED
    if unverified or place.claims_thread_id or place.held:
        sq.flag_thread(
            store,
            thread_id,
            sender_unverified=unverified,
            claims_thread_id=place.claims_thread_id,
            suggested_patient_id=place.suggested_patient_id,
            held=place.held,
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
