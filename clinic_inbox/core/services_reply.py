"""A staff reply, the only way one is written: the patient's agreement checked for the
channel the reply will take (email or the patient portal), a refusal audited, a reply
to a proxy greeting the proxy and naming the patient, and the clinic's standard footer
under the signature, in the conversation's language.

`services.queue_reply` is `queue_reply` here. The code that builds and queues the
message (services_reply_queue._queue_reply_unchecked) is private to this module: no
caller reaches the outbox without the footer and the consent check.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinic_inbox.core import access, consent, footer, proxies
from clinic_inbox.core.access import AccessDenied, Decision
from clinic_inbox.core.consent import ConsentNeeded
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.language import detect_language
from clinic_inbox.core.proxies import Proxy
from clinic_inbox.core.services_common import _audit
from clinic_inbox.core.services_reply_queue import (
    _queue_reply_unchecked,
    _signature,
    signed_text,
)
from clinic_inbox.core.services_workflow import _acting
from clinic_inbox.core.signin import Session
from clinic_inbox.core.store import compose_queries as compq
from clinic_inbox.core.store import consent_queries as cq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import sync_queries as sq


def reply_channel(clinic: Clinic, thread_id: int, patient_id: int | None) -> str | None:
    """The channel a reply in this conversation takes: the channel of the patient's
    latest message, or of the clinic's first message when the clinic wrote first and
    the patient has not answered."""
    last = sq.last_inbound(clinic.store, thread_id)
    if last is None:
        first = compq.first_outbound(clinic.store, thread_id) if patient_id else None
        return first[1] if first else None
    return last.source if last.source in ("email", "portal") else None


def reply_language(clinic: Clinic, row: q.ThreadRow) -> str:
    """The conversation's language: that of the patient's latest words."""
    return detect_language(row.snippet or "", clinic.config.languages)


def reply_proxy(clinic: Clinic, row: q.ThreadRow) -> Proxy | None:
    """The proxy a reply here goes to: the one who wrote last, within their
    authorisation today (outside it, the reply goes to the patient)."""
    from clinic_inbox.core import services_consent as scons

    found = scons.proxy_writing(clinic, row.id, row.patient_id)
    return found[0] if found is not None and found[1].allowed else None


def greeting_name(clinic: Clinic, row: q.ThreadRow) -> str:
    """Whom a standard letter in this conversation greets: the proxy who wrote, else
    the patient ('' when the conversation has no patient)."""
    proxy = reply_proxy(clinic, row)
    if proxy is not None:
        return proxies.first_name(proxy.name)
    patient = q.get_patient(clinic.store, row.patient_id) if row.patient_id else None
    return patient.given_name if patient else ""


def _words(clinic: Clinic, row: q.ThreadRow, body: str, language: str) -> str:
    """The staff's words as the reader gets them: to a proxy, greeting the proxy and
    naming the patient."""
    proxy = reply_proxy(clinic, row)
    patient = q.get_patient(clinic.store, row.patient_id) if row.patient_id else None
    if proxy is None or patient is None:
        return body
    return proxies.addressed_to_proxy(
        body, proxy.name, patient.display_name, patient.given_name, language
    )


def _footer(clinic: Clinic, row: q.ThreadRow, language: str) -> str:
    """The clinic's footer, in the proxy's wording when the reply goes to a proxy."""
    to_proxy = reply_proxy(clinic, row) is not None
    return footer.render(clinic.config, language, clinic.home, to_proxy=to_proxy)


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
        _audit(
            clinic,
            session,
            "reply.refused",
            patient_id=row.patient_id,
            thread_id=row.id,
            reason=why,
            detail={"channel": channel},
        )


def _may_reply(clinic: Clinic, session: Session, thread_id: int) -> tuple[q.ThreadRow, Decision]:
    row, d = _acting(clinic, session, thread_id)
    access.require(d.reply, d.why_not or "You may not reply in this conversation.")
    return row, d


@dataclass(frozen=True)
class ReplyPreview:
    channel: str | None
    language: str
    text: str  # what the patient reads: the reply, the signature, the footer
    to_proxy: str | None = None  # "Carmen Delgado (caregiver)" when a proxy gets it
    # what Queue reply would meet: no agreement (it will ask why), or a refusal
    warning: str | None = None

    def heading(self) -> str:
        """One line above the text: by which channel, to whom, in which language."""
        if self.channel is None:
            return (
                "This conversation has no email address or portal account to answer: "
                "nothing can be sent from here. Call the patient."
            )
        how = "the patient portal" if self.channel == "portal" else "email"
        who = (
            f"to {self.to_proxy}, who wrote for the patient" if self.to_proxy else "to the patient"
        )
        lang = LANGUAGE_NAMES.get(self.language, self.language)
        return f"By {how}, {who}, in {lang}:"


LANGUAGE_NAMES = {"en": "English", "fr": "French"}


def preview_reply(clinic: Clinic, session: Session, thread_id: int, body: str) -> ReplyPreview:
    """The reply exactly as it will go out, without sending or keeping anything."""
    row, d = _may_reply(clinic, session, thread_id)
    language = reply_language(clinic, row)
    text = signed_text(
        _words(clinic, row, body, language),
        _signature(clinic, session, d),
        _footer(clinic, row, language),
    )
    channel = reply_channel(clinic, thread_id, row.patient_id)
    try:  # the check sending will make, without a reason given (nothing is audited)
        _consent_detail(clinic, session, row, channel, None)
        warning = None
    except AccessDenied as exc:
        warning = str(exc)
    proxy = reply_proxy(clinic, row)
    who = (
        f"{proxy.name} ({proxies.RELATIONSHIPS.get(proxy.relationship, proxy.relationship)})"
        if proxy
        else None
    )
    return ReplyPreview(channel, language, text, who, warning)


def check_reply(
    clinic: Clinic, session: Session, thread_id: int, consent_reason: str | None = None
) -> None:
    """May this reply go? Access and the patient's agreement for the channel it takes;
    a refusal is audited in a transaction of its own (a refusal raised inside the
    writing transaction would be rolled back with it) and raised in plain words."""
    row, _ = _may_reply(clinic, session, thread_id)
    channel = reply_channel(clinic, thread_id, row.patient_id)
    try:
        _consent_detail(clinic, session, row, channel, consent_reason)
    except AccessDenied as exc:
        _refused(clinic, session, row, channel, exc)
        raise


def queue_checked(
    clinic: Clinic, session: Session, thread_id: int, body: str, consent_reason: str | None = None
) -> int:
    """Queue the reply in the caller's transaction (or one of its own), checking the
    agreement again where the reply is written. Callers run check_reply first so that
    a refusal leaves its audit entry."""
    with clinic.store.transaction():
        row, _ = _may_reply(clinic, session, thread_id)
        channel = reply_channel(clinic, thread_id, row.patient_id)
        detail = _consent_detail(clinic, session, row, channel, consent_reason)
        language = reply_language(clinic, row)
        clinic_started = sq.last_inbound(clinic.store, thread_id) is None
        item = _queue_reply_unchecked(
            clinic,
            session,
            thread_id,
            _words(clinic, row, body, language),
            consent_reason=consent_reason,
            footer_text=_footer(clinic, row, language),
        )
        if detail and (channel != "email" or clinic_started):
            # the queued email reply records it itself; the rest here
            _audit(
                clinic,
                session,
                "reply.consent",
                patient_id=row.patient_id,
                thread_id=thread_id,
                detail={"outbox_id": item, "channel": channel, **detail},
            )
    return item


def queue_reply(
    clinic: Clinic, session: Session, thread_id: int, body: str, consent_reason: str | None = None
) -> int:
    """Reply to the patient (or the proxy who wrote for them): the agreement checked
    for the channel the reply takes, a refusal audited and raised in plain words, the
    footer under the signature. It waits in the outbox until the network takes it."""
    if not body.strip():
        raise ValueError("The reply is empty.")
    check_reply(clinic, session, thread_id, consent_reason)
    return queue_checked(clinic, session, thread_id, body, consent_reason)
