"""Automatic acknowledgements, as the messaging guidelines ask.

- The first message of a new email thread gets a receipt stating the clinic's
  published turnaround and that email is not for emergencies.
- A message triaged urgent gets the safety reply at once, even mid-thread.
- Never to auto-replies, bulk mail or mailer daemons (RFC 3834), never more
  than one acknowledgement of a kind per thread per day, never for messages that
  arrived more than a day ago (a first sync of an old mailbox writes to nobody).
The reply is stored as an outgoing message and queued in the outbox in the
caller's transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from clinic_inbox.core import outgoing
from clinic_inbox.core.config import ClinicConfig
from clinic_inbox.core.ingest import Incoming, Ingested
from clinic_inbox.core.model import Category, Direction, Priority, Source
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store.connection import Store

ACK_WITHIN_HOURS = 24  # only messages that arrived this recently are acknowledged


def _turnaround_words(cfg: ClinicConfig, priority: Priority) -> str:
    hours = cfg.turnaround_hours.get(priority, 16)
    if hours <= 8:
        return f"{hours:g} working hours"
    days = hours / 8
    return f"{days:g} working day" + ("" if days == 1 else "s")


def maybe_acknowledge(
    store: Store,
    cfg: ClinicConfig,
    msg: Incoming,
    result: Ingested,
    *,
    from_address: str,
    now: datetime | None = None,
) -> int | None:
    """Queue an acknowledgement if one is due; returns the outbox id or None."""
    if msg.source is not Source.EMAIL or msg.auto_submitted or not msg.sender_address:
        return None
    if msg.needs_review and not msg.subject:
        return None
    urgent = result.priority is Priority.URGENT
    if not urgent and not result.new_thread:
        return None
    purpose = "safety" if urgent else "ack"
    now = now or datetime.now(UTC)
    if msg.received_at < now - timedelta(hours=ACK_WITHIN_HOURS):
        # an old message found by a first sync or after a long outage: a receipt days
        # later helps nobody, and connecting a mailbox must not email every past sender
        return None
    since = (now - timedelta(days=1)).isoformat(timespec="seconds")
    if oq.acknowledged_since(store, result.thread_id, since, (purpose,)):
        return None
    patient = q.get_patient(store, result.patient_id) if result.patient_id else None
    fields = {
        **outgoing.standard_fields(cfg, patient.given_name if patient else "patient"),
        "turnaround": _turnaround_words(cfg, result.priority),
        "subject": " ".join((msg.subject or "your message").split())[:120],
    }
    template = "safety" if urgent else "acknowledgement"
    subject, body = outgoing.render_template(template, fields)
    message_id = outgoing.new_message_id(outgoing.domain_of(from_address))
    try:
        raw = outgoing.build_email(
            from_address=from_address,
            from_name=cfg.name,
            to_address=msg.sender_address,
            subject=subject,
            body=body,
            message_id=message_id,
            in_reply_to=msg.message_id,
            references=[*msg.references, msg.message_id] if msg.message_id else msg.references,
            auto_submitted=True,
        )
    except outgoing.HeaderInjectionError:
        return None  # a forged sender address is not answered automatically
    stamp = now.isoformat(timespec="seconds")
    out_pk = q.insert_message(
        store,
        q.NewMessage(
            thread_id=result.thread_id,
            source=Source.EMAIL,
            direction=Direction.OUTBOUND,
            received_at=stamp,
            sender=from_address,
            sender_name=f"{cfg.name} (automatic reply)",
            recipients=msg.sender_address,
            subject=subject,
            body_text=body,
            patient_id=result.patient_id,
            account_id=msg.account_id,
            category=Category.OTHER,
            priority=Priority.ROUTINE,
            message_id_header=message_id,
            in_reply_to=msg.message_id,
        ),
    )
    return oq.enqueue(
        store,
        kind="email",
        purpose=purpose,
        idempotency_key=message_id,
        payload=raw,
        thread_id=result.thread_id,
        message_id=out_pk,
        account_id=msg.account_id,
    )
