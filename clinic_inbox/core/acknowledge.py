"""Automatic acknowledgements, as the messaging guidelines ask.

- The first message of a new email thread gets a receipt stating the clinic's
  published turnaround and that email is not for emergencies.
- A message triaged urgent gets the safety reply at once, even mid-thread, by email
  or, for a portal message, as a portal Communication (the portal acknowledges
  routine messages itself, so those get nothing from us).
- Never to auto-replies, bulk mail or mailer daemons (RFC 3834), never more
  than one acknowledgement of a kind per thread per day, never for messages that
  arrived more than a day ago (a first sync of an old mailbox writes to nobody).
- In the patient's language when it is one of the clinic's, else the clinic's first.
- Never repeating the incoming subject or anything else from it: a forged message
  with a link in its subject must not have that link sent on from the clinic's
  real address.
The reply is stored as an outgoing message and queued in the outbox in the
caller's transaction.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from clinic_inbox.core import consent_ack, outgoing, outgoing_fhir, send_claims
from clinic_inbox.core.accounts import FhirAccount
from clinic_inbox.core.changes import Changes, note
from clinic_inbox.core.config import ClinicConfig
from clinic_inbox.core.cover_words import cover_sentence
from clinic_inbox.core.ingest import Incoming, Ingested
from clinic_inbox.core.language import message_language
from clinic_inbox.core.model import Category, Direction, Priority, Source
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store.connection import Store

ACK_WITHIN_HOURS = 24  # only messages that arrived this recently are acknowledged

_AUTOMATIC = {"en": "automatic reply", "fr": "réponse automatique"}


def _turnaround_words(cfg: ClinicConfig, priority: Priority, language: str = "en") -> str:
    hours = cfg.turnaround_hours.get(priority, 16)
    if language == "fr":
        if hours <= 8:
            return f"{hours:g} heure{'s' if hours >= 2 else ''} ouvrable{'s' if hours >= 2 else ''}"
        days = hours / 8
        plural = "s" if days >= 2 else ""
        return f"{days:g} jour{plural} ouvrable{plural}".replace(".", ",")
    if hours <= 8:
        return f"{hours:g} working hour" + ("" if hours == 1 else "s")
    days = hours / 8
    return f"{days:g} working day" + ("" if days == 1 else "s")


def language_of(cfg: ClinicConfig, msg: Incoming) -> str:
    """The language to answer `msg` in: the patient's own words decide."""
    return message_language(msg.subject, msg.body_text, cfg.languages)


def _is_due(store: Store, msg: Incoming, result: Ingested, purpose: str, now: datetime) -> bool:
    if msg.received_at < now - timedelta(hours=ACK_WITHIN_HOURS):
        # an old message found by a first sync or after a long outage: a receipt days
        # later helps nobody, and connecting a mailbox must not email every past sender
        return False
    since = (now - timedelta(days=1)).isoformat(timespec="seconds")
    return not oq.acknowledged_since(store, result.thread_id, since, (purpose,))


def _letter(
    store: Store,
    cfg: ClinicConfig,
    msg: Incoming,
    result: Ingested,
    urgent: bool,
    template: str = "acknowledgement",
) -> tuple[str, str, str]:
    """(language, subject, body) of the receipt or safety reply: fixed wording, with
    nothing taken from the incoming message."""
    language = language_of(cfg, msg)
    patient = q.get_patient(store, result.patient_id) if result.patient_id else None
    # greeted by name only when the patient wrote: a proxy is not "Dear Rosa"
    own = patient is not None and (
        msg.source is Source.PORTAL or msg.sender_address.lower() in patient.emails
    )
    fields = {
        **outgoing.standard_fields(
            cfg,
            outgoing.name_or_greeting(patient.given_name if own else None, language),
            language,
        ),
        "turnaround": _turnaround_words(cfg, result.priority, language),
    }
    subject, body = outgoing.render_template("safety" if urgent else template, fields, language)
    # who answers while the patient's physician is away: told to the patient only
    covering = cover_sentence(store, result.patient_id, language, cfg.tz) if own else None
    if covering and not urgent and template == "acknowledgement":
        first, sep, rest = body.partition("\n\n")
        second, sep2, tail = rest.partition("\n\n")
        body = f"{first}{sep}{second}\n\n{covering}{sep2}{tail}"
    return language, subject, body


def maybe_acknowledge(
    store: Store,
    cfg: ClinicConfig,
    msg: Incoming,
    result: Ingested,
    *,
    from_address: str,
    now: datetime | None = None,
) -> int | None:
    """Queue an email acknowledgement if one is due; returns the outbox id or None."""
    if msg.source is not Source.EMAIL or msg.auto_submitted or not msg.sender_address:
        return None
    if msg.needs_review and not msg.subject:
        return None
    urgent = result.priority is Priority.URGENT
    if not urgent and not result.new_thread:
        return None
    purpose = "safety" if urgent else "ack"
    now = now or datetime.now(UTC)
    if not _is_due(store, msg, result, purpose, now):
        return None
    # the safety advice goes to anyone; the usual receipt only to a patient who agreed
    template = "acknowledgement" if urgent else consent_ack.receipt_for(store, cfg, result, now)
    language, subject, body = _letter(store, cfg, msg, result, urgent, template)
    domain = outgoing.domain_of(from_address)
    message_id = send_claims.automatic_message_id(
        store, purpose, msg.message_id, domain
    ) or outgoing.new_message_id(domain)
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
    return _queue_automatic(
        store,
        msg,
        result,
        now,
        source=Source.EMAIL,
        kind="email",
        purpose=purpose,
        ident=message_id,
        sender=from_address,
        sender_name=f"{cfg.name} ({_AUTOMATIC.get(language, _AUTOMATIC['en'])})",
        recipients=msg.sender_address,
        subject=subject,
        body=body,
        payload=raw,
    )


def _queue_automatic(
    store: Store,
    msg: Incoming,
    result: Ingested,
    now: datetime,
    *,
    source: Source,
    kind: str,
    purpose: str,
    ident: str,
    sender: str,
    sender_name: str,
    recipients: str,
    subject: str,
    body: str,
    payload: bytes,
) -> int:
    """Store an automatic reply in its conversation and queue it in the outbox, in the
    caller's transaction: the one way receipts and safety replies leave, email or portal."""
    out_pk = q.insert_message(
        store,
        q.NewMessage(
            thread_id=result.thread_id,
            source=source,
            direction=Direction.OUTBOUND,
            received_at=now.isoformat(timespec="seconds"),
            sender=sender,
            sender_name=sender_name,
            recipients=recipients,
            subject=subject,
            body_text=body,
            patient_id=result.patient_id,
            account_id=msg.account_id,
            category=Category.OTHER,
            priority=Priority.ROUTINE,
            message_id_header=ident,
            in_reply_to=msg.message_id,
        ),
    )
    queued = oq.enqueue(
        store,
        kind=kind,
        purpose=purpose,
        idempotency_key=ident,
        payload=payload,
        thread_id=result.thread_id,
        message_id=out_pk,
        account_id=msg.account_id,
    )
    # the receipt or safety reply is a line of its conversation, like any message stored
    note(store, Changes.of(result.thread_id, outbox=True, messages=[out_pk]))
    return queued


def _portal_patient_id(store: Store, msg: Incoming, result: Ingested) -> str | None:
    patient = q.get_patient(store, result.patient_id) if result.patient_id else None
    if patient is not None and patient.portal_id:
        return patient.portal_id
    sender = msg.sender_address.removeprefix("portal:")
    if "/" in sender:  # a relative's own account (RelatedPerson/…), not a patient id
        return None
    return sender if msg.sender_address.startswith("portal:") and sender != "unknown" else None


def maybe_portal_safety_reply(
    store: Store,
    cfg: ClinicConfig,
    account: FhirAccount,
    msg: Incoming,
    result: Ingested,
    *,
    now: datetime | None = None,
) -> int | None:
    """Queue the safety reply to an urgent portal message, as a portal Communication;
    returns the outbox id or None. Its identifier is derived from the message it
    answers, so a second attempt for the same message (a re-sync, a sync that died
    halfway) is the same resource and never a second reply."""
    if msg.source is not Source.PORTAL or result.priority is not Priority.URGENT:
        return None
    if not msg.fhir_resource_id:
        return None
    portal_patient = _portal_patient_id(store, msg, result)
    if portal_patient is None:
        return None  # nobody to address it to
    now = now or datetime.now(UTC)
    if not _is_due(store, msg, result, "safety", now):
        return None
    ident = outgoing_fhir.derived_ident(account.base_url, msg.fhir_resource_id, "safety")
    if oq.has_key(store, ident):
        return None
    language, subject, body = _letter(store, cfg, msg, result, urgent=True)
    display = f"{cfg.name} ({_AUTOMATIC.get(language, _AUTOMATIC['en'])})"
    resource, _ = outgoing_fhir.build_reply(
        in_response_to=msg.fhir_resource_id,
        patient_portal_id=portal_patient,
        sender_practitioner=None,
        sender_display=display,
        text=f"{subject}\n\n{body}",
        now=now,
        ident=ident,
    )
    return _queue_automatic(
        store,
        msg,
        result,
        now,
        source=Source.PORTAL,
        kind="portal",
        purpose="safety",
        ident=ident,
        sender=f"portal:{account.name}",
        sender_name=display,
        recipients=f"Patient/{portal_patient}",
        subject=subject,
        body=body,
        payload=json.dumps(resource, sort_keys=True).encode("utf-8"),
    )
