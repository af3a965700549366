"""Replies: queued for the email or portal sender, signed, checked against the
consent and the sender's verification; moving a conversation to a call or a visit."""

from __future__ import annotations

from clinic_inbox.core import access, accounts, outgoing
from clinic_inbox.core.access import Decision
from clinic_inbox.core.changes import Changes, note
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.language import detect_language
from clinic_inbox.core.model import Direction, Role, Source, Status
from clinic_inbox.core.senders import reply_address
from clinic_inbox.core.services_common import _audit, _check_text
from clinic_inbox.core.services_workflow import _acting, _change_status
from clinic_inbox.core.shared_ops import record as queue_shared
from clinic_inbox.core.signin import Session
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import sync_queries as sq


# -- replies -------------------------------------------------------------------
def _queue_reply_unchecked(
    clinic: Clinic,
    session: Session,
    thread_id: int,
    body: str,
    consent_reason: str | None = None,
    *,
    footer_text: str = "",
) -> int:
    """Build and queue a reply; it waits in the outbox until the network takes it.
    Private: only services_reply.queue_reply calls it, after the portal consent check
    and with the clinic's footer (`footer_text`, placed under the signature). The email
    agreement is checked again here, inside the transaction that writes."""
    if not body.strip():
        raise ValueError("The reply is empty.")
    _check_text(body, "reply")
    store = clinic.store
    with store.transaction():
        row, d = _acting(clinic, session, thread_id)
        access.require(d.reply, d.why_not or "You may not reply in this conversation.")
        last = sq.last_inbound(store, thread_id)
        if last is None and row.patient_id is not None:  # the clinic wrote first
            from clinic_inbox.core import services_compose

            return services_compose.continue_thread(
                clinic, session, row, d, body, footer_text=footer_text
            )
        if last is not None and last.source == "portal":
            return _queue_portal_reply(clinic, session, row, d, last, body, footer_text)
        if last is None or last.source != "email" or not last.sender:
            raise ValueError("This conversation has no patient email address to reply to.")
        account = next(
            (a for a in accounts.imap_accounts(store) if a.id == last.account_id), None
        ) or accounts.demo_email_sender(store, last.account_id)
        if account is None or not account.sender_address:
            raise ValueError("The mail account this message came from is not set up for sending.")
        subject = last.subject if last.subject.lower().startswith("re:") else f"Re: {last.subject}"
        message_id = outgoing.new_message_id(outgoing.domain_of(account.sender_address))
        refs = [r for r in (last.references or "").split() if r]
        if last.message_id:
            refs.append(last.message_id)
        me = session.staff.display_name
        from clinic_inbox.core.services_consent import email_reply_check

        # the patient's agreement; a proxy is answered only within their authorisation
        to_proxy, consent_detail = email_reply_check(
            clinic, session, thread_id, row.patient_id, consent_reason
        )
        # the patient's registered address, never simply whoever wrote last
        to_address = to_proxy or reply_address(store, thread_id, row.patient_id)
        signed = signed_text(body, _signature(clinic, session, d), footer_text)
        raw = outgoing.build_email(
            from_address=account.sender_address,
            from_name=f"{me} ({clinic.config.name})",
            to_address=to_address,
            subject=subject,
            body=signed,
            message_id=message_id,
            in_reply_to=last.message_id,
            references=refs,
            sent_by=session.staff.username,
        )
        item = _queue_outgoing(
            clinic,
            session,
            row,
            d,
            kind="email",
            source=Source.EMAIL,
            sender=account.sender_address,
            recipients=to_address,
            subject=subject,
            body=signed,
            account_id=account.id,
            message_id=message_id,
            in_reply_to=last.message_id,
            payload=raw,
            extra=consent_detail,
        )
    return item


MOVE_KINDS = {"call": ("a phone call", "please_call"), "visit": ("a visit", "please_book")}


def move_to_call_or_visit(
    clinic: Clinic,
    session: Session,
    thread_id: int,
    kind: str,
    reason: str,
    *,
    tell_patient: bool = True,
) -> None:
    """Take a conversation out of messaging (too complex, or needs an examination), as
    the guidelines ask: an internal note says why, the patient is asked to call or to
    book (standard wording), and the conversation waits on the patient. One
    transaction, one audit entry."""
    if kind not in MOVE_KINDS:
        raise ValueError("Choose a phone call or a visit.")
    what, template = MOVE_KINDS[kind]
    _check_text(reason, "reason")
    from clinic_inbox.core import services_reply

    # a standard letter asking to call or book carries no clinical advice: it may go to
    # a patient without an email agreement (recorded), never to one who opted out; it
    # goes the way every reply goes (services_reply: the footer, a proxy greeted)
    letter_reason = f"standard letter ({template})"
    if tell_patient:
        services_reply.check_reply(clinic, session, thread_id, letter_reason)
    with clinic.store.transaction():
        row, d = _acting(clinic, session, thread_id)
        words = f"Moved to {what}" + (f": {reason.strip()}" if reason.strip() else ".")
        q.add_note(clinic.store, thread_id, session.staff.id, words)
        note(clinic.store, Changes.of(thread_id))
        if tell_patient:
            # in the language of the patient's latest words (the thread's snippet)
            lang = detect_language(row.snippet or "", clinic.config.languages)
            greet = services_reply.greeting_name(clinic, row)
            _, body = outgoing.render_template(
                template, outgoing.standard_fields(clinic.config, greet, lang), lang
            )
            services_reply.queue_checked(
                clinic, session, thread_id, body.strip(), consent_reason=letter_reason
            )
            row = q.get_thread(clinic.store, thread_id) or row  # the reply stopped the clock
        moved = Status.WAITING if tell_patient else Status.IN_PROGRESS
        _change_status(clinic, row, moved)
        queue_shared(clinic.store, thread_id, "status", moved.value, session.staff.id)
        _audit(
            clinic,
            session,
            "thread.moved_offline",
            patient_id=row.patient_id,
            thread_id=thread_id,
            reason=reason.strip() or None,
            detail={"to": kind, "patient_told": tell_patient},
        )


def _queue_outgoing(
    clinic: Clinic,
    session: Session,
    row: q.ThreadRow,
    d: Decision,
    *,
    kind: str,
    source: Source,
    sender: str,
    recipients: str,
    subject: str,
    body: str,
    account_id: int | None,
    message_id: str,
    in_reply_to: str | None,
    payload: bytes,
    extra: dict | None = None,
) -> int:
    """The reply shows in the thread at once, waits in the outbox, and is audited."""
    store = clinic.store
    out_pk = q.insert_message(
        store,
        q.NewMessage(
            thread_id=row.id,
            source=source,
            direction=Direction.OUTBOUND,
            received_at=q.utcnow(),
            sender=sender,
            sender_name=session.staff.display_name,
            recipients=recipients,
            subject=subject,
            body_text=body,
            patient_id=row.patient_id,
            account_id=account_id,
            category=row.category,
            priority=row.priority,
            message_id_header=message_id,
            in_reply_to=in_reply_to,
            author_staff_id=session.staff.id,
        ),
    )
    item = oq.enqueue(
        store,
        kind=kind,
        purpose="reply",
        idempotency_key=message_id,
        payload=payload,
        thread_id=row.id,
        message_id=out_pk,
        account_id=account_id,
    )
    # The patient has been answered: the published turnaround is met and the clock stops
    # (the patient's next message starts a fresh one). Automatic acknowledgements do not
    # come through here, so they never stop it.
    q.update_thread(
        store,
        row.id,
        status=Status.IN_PROGRESS if row.status is Status.NEW else row.status,
        due_at=None,
        clock_paused_remaining=None,
    )
    if row.status is Status.NEW:
        queue_shared(store, row.id, "status", Status.IN_PROGRESS.value, session.staff.id)
    # the reply shows in the conversation, the card's clock stops, one more waits to go
    note(store, Changes.of(row.id, outbox=True, messages=[out_pk]))
    _audit(
        clinic,
        session,
        "reply.queue",
        patient_id=row.patient_id,
        thread_id=row.id,
        message_id=out_pk,
        detail={"outbox_id": item, "on_behalf_of": d.delegate_of, "kind": kind, **(extra or {})},
    )
    return item


def signed_text(body: str, signature: str, footer_text: str = "") -> str:
    """What the patient reads: the words, the signature, then the clinic's footer."""
    text = f"{body.rstrip()}\n\n{signature}\n"
    return f"{text}\n{footer_text.strip()}\n" if footer_text.strip() else text


def _signature(clinic: Clinic, session: Session, d: Decision) -> str:
    me = session.staff.display_name
    if d.delegate_of:
        return f"Sent by {me} on behalf of {d.delegate_of}\n{clinic.config.name}"
    return f"{me}\n{clinic.config.name}"


def _queue_portal_reply(
    clinic: Clinic,
    session: Session,
    row: q.ThreadRow,
    d: Decision,
    last: sq.LastInbound,
    body: str,
    footer_text: str = "",
) -> int:
    """A portal reply: a Communication answering the patient's message, sent once."""
    from clinic_inbox.core import outgoing_fhir

    store = clinic.store
    account = next(
        (a for a in accounts.fhir_accounts(store) if a.id == last.account_id), None
    ) or accounts.demo_portal(store, last.account_id)
    if account is None:
        raise ValueError("The portal account this message came from is no longer set up.")
    resource_id = sq.fhir_resource_of(store, last.id)
    patient = q.get_patient(store, row.patient_id) if row.patient_id else None
    practitioner = account.staff_practitioners.get(session.staff.username)
    if practitioner is None and d.delegate_of is None and account.practitioners:
        practitioner = account.practitioners[0] if session.staff.role is Role.PHYSICIAN else None
    signed = signed_text(body, _signature(clinic, session, d), footer_text)
    display = session.staff.display_name + (
        f" on behalf of {d.delegate_of}" if d.delegate_of else ""
    )
    resource, ident = outgoing_fhir.build_reply(
        in_response_to=resource_id or "",
        patient_portal_id=patient.portal_id if patient else None,
        sender_practitioner=practitioner,
        sender_display=display,
        text=signed,
        category=row.category.value,
    )
    import json as _json

    item = _queue_outgoing(
        clinic,
        session,
        row,
        d,
        kind="portal",
        source=Source.PORTAL,
        sender=f"portal:{account.name}",
        recipients=f"Patient/{patient.portal_id}" if patient and patient.portal_id else "",
        subject=f"Re: {last.subject}",
        body=signed,
        account_id=account.id,
        message_id=ident,
        in_reply_to=last.message_id,
        payload=_json.dumps(resource, sort_keys=True).encode("utf-8"),
    )
    return item
