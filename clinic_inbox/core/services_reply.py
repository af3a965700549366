"""A staff reply as staff send it: the patient's agreement checked for the channel the
reply will take (email or the patient portal), a refusal audited, and the clinic's
standard footer added in the conversation's language.

core/services.queue_reply builds and queues the message (and checks email consent
again inside its transaction); this module is what the app and the CLI call, so that a
refused reply leaves an audit entry (a refusal raised inside that transaction would be
rolled back with it) and every reply carries the footer.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinic_inbox.core import consent, footer
from clinic_inbox.core import services as sv
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.consent import ConsentNeeded
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.language import detect_language
from clinic_inbox.core.signin import Session
from clinic_inbox.core.store import compose_queries as compq
from clinic_inbox.core.store import consent_queries as cq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import sync_queries as sq


def reply_channel(clinic: Clinic, thread_id: int, patient_id: int | None) -> str | None:
    """The channel a reply in this conversation takes, as services.queue_reply chooses
    it: the channel of the patient's latest message, or of the clinic's first message
    when the clinic wrote first and the patient has not answered."""
    last = sq.last_inbound(clinic.store, thread_id)
    if last is None:
        first = compq.first_outbound(clinic.store, thread_id) if patient_id else None
        return first[1] if first else None
    return last.source if last.source in ("email", "portal") else None


def reply_language(clinic: Clinic, row: q.ThreadRow) -> str:
    """The conversation's language: that of the patient's latest words."""
    return detect_language(row.snippet or "", clinic.config.languages)


def _consent_detail(
    clinic: Clinic, session: Session, row: q.ThreadRow, channel: str | None, reason: str | None
) -> dict:
    """What the audit records about the agreement; raises ConsentNeeded (or
    AccessDenied, for a proxy outside their authorisation with no other address)."""
    from clinic_inbox.core import services_consent as scons

    if channel == "email":
        return scons.email_reply_check(clinic, session, row.id, row.patient_id, reason)[1]
    if channel != "portal" or not clinic.config.consent_required or row.patient_id is None:
        return {}
    patient = q.get_patient(clinic.store, row.patient_id)
    if patient is None:
        return {}
    today = scons._today(clinic)
    given = consent.check_reply(
        patient.display_name,
        cq.current_agreement(clinic.store, row.patient_id),
        "portal",
        today,
        reason,
    )
    return {"consent_reason": given} if given else {}


def _refused(
    clinic: Clinic, session: Session, row: q.ThreadRow, channel: str | None, exc: AccessDenied
) -> None:
    """The refusal, audited in its own transaction and without any name in it."""
    from clinic_inbox.core import services_consent as scons

    agreement = cq.current_agreement(clinic.store, row.patient_id) if row.patient_id else None
    why = (
        consent.refusal_code(agreement, channel or "email", scons._today(clinic))
        if row.patient_id is not None
        else f"{channel}: clinical advice to a sender not linked to a patient"
    )
    if not isinstance(exc, ConsentNeeded):
        why = f"{channel}: the proxy who wrote is outside their authorisation"
    with clinic.store.transaction():
        sv._audit(
            clinic,
            session,
            "reply.refused",
            patient_id=row.patient_id,
            thread_id=row.id,
            reason=why,
            detail={"channel": channel},
        )


@dataclass(frozen=True)
class ReplyPreview:
    channel: str | None
    language: str
    text: str  # what the patient reads: the reply, the footer, the signature


def preview_reply(clinic: Clinic, session: Session, thread_id: int, body: str) -> ReplyPreview:
    """The reply as the patient will read it, without sending or keeping anything."""
    row, d = sv._acting(clinic, session, thread_id)
    if not d.reply:
        raise AccessDenied(d.why_not or "You may not reply in this conversation.")
    language = reply_language(clinic, row)
    text = footer.with_footer(body, clinic.config, language, clinic.home)
    signed = f"{text.rstrip()}\n\n{sv._signature(clinic, session, d)}\n"
    return ReplyPreview(reply_channel(clinic, thread_id, row.patient_id), language, signed)


def queue_reply(
    clinic: Clinic, session: Session, thread_id: int, body: str, consent_reason: str | None = None
) -> int:
    """Reply to the patient (services.queue_reply), after checking their agreement for
    the channel the reply takes; a refusal is audited and raised in plain words."""
    if not body.strip():
        raise ValueError("The reply is empty.")
    row, d = sv._acting(clinic, session, thread_id)
    if not d.reply:
        raise AccessDenied(d.why_not or "You may not reply in this conversation.")
    channel = reply_channel(clinic, thread_id, row.patient_id)
    try:
        detail = _consent_detail(clinic, session, row, channel, consent_reason)
    except AccessDenied as exc:
        _refused(clinic, session, row, channel, exc)
        raise
    text = footer.with_footer(body, clinic.config, reply_language(clinic, row), clinic.home)
    clinic_started = sq.last_inbound(clinic.store, thread_id) is None
    with clinic.store.transaction():
        item = sv.queue_reply(clinic, session, thread_id, text, consent_reason=consent_reason)
        if detail and (channel != "email" or clinic_started):
            # services.queue_reply records it for a reply to an email; the rest here
            sv._audit(
                clinic,
                session,
                "reply.consent",
                patient_id=row.patient_id,
                thread_id=thread_id,
                detail={"outbox_id": item, "channel": channel, **detail},
            )
    return item
