"""User actions for messages the clinic starts: preview, send (now or later), bulk
reminders, cancel, follow-up. Each checks access through core.access and writes its
audit entry in the same transaction, like every service."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from clinic_inbox.core import (
    access,
    accounts,
    compose,
    consent,
    footer,
    outgoing,
    outgoing_fhir,
    proxies,
)
from clinic_inbox.core import services as sv
from clinic_inbox.core.access import AccessDenied, Decision, ThreadFacts
from clinic_inbox.core.changes import Changes, note
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Category, Direction, Patient, Priority, Source, Status
from clinic_inbox.core.proxies import Proxy
from clinic_inbox.core.services_reply_queue import signed_text
from clinic_inbox.core.signin import Session
from clinic_inbox.core.store import access_queries as aq
from clinic_inbox.core.store import compose_queries as cq
from clinic_inbox.core.store import consent_queries as consq
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.store import queries as q

MAX_BULK = 500
MAX_SCHEDULE_AHEAD = timedelta(days=366)


@dataclass(frozen=True)
class Request:
    """What the person writing chose: a template and its fields, or their own words."""

    template: str | None = None
    fields: dict[str, str] | None = None
    subject: str = ""
    body: str = ""
    category: Category = Category.OTHER
    education: tuple[str, ...] = ()
    language: str | None = None
    channel: str | None = None  # "email" or "portal"; None: what the patient has
    send_at: datetime | None = None
    # why it may go by a channel the patient has not agreed to (recorded); [consent]
    consent_reason: str | None = None
    # an authorised proxy to write to instead of the patient (their own address)
    to_proxy: int | None = None


@dataclass(frozen=True)
class Preview:
    patient_id: int
    patient_name: str
    channel: str
    to: str  # the address, or "the patient portal"
    subject: str
    body: str  # exactly what the patient will read, signature included
    category: Category
    send_at: datetime | None
    # a channel the patient has not agreed to, with the reason staff gave, or a proxy
    consent_note: str | None = None


@dataclass(frozen=True)
class Started:
    thread_id: int
    message_id: int
    outbox_id: int
    patient_id: int


@dataclass(frozen=True)
class _Route:
    kind: str
    account: accounts.ImapAccount | accounts.FhirAccount
    to: str
    consent_reason: str | None = None  # staff's reason, when the agreement does not cover it
    proxy: Proxy | None = None


def _route(
    clinic: Clinic,
    patient: Patient,
    wanted: str | None,
    *,
    reason: str | None = None,
    proxy_id: int | None = None,
    category: Category = Category.OTHER,
) -> _Route:
    """Portal when the patient has one and the clinic has a portal, else their registered
    email address; never an address typed for the occasion. With `[consent] required`,
    only a channel the patient agreed to, unless staff give a reason (recorded); never
    by any channel to a patient who opted out or whom the clinic stopped writing to."""
    route = _plain_route(clinic, patient, wanted)
    if proxy_id is not None:
        return _proxy_route(clinic, patient, proxy_id, category, route)
    if not clinic.config.consent_required:
        return route
    from clinic_inbox.core.services_consent import _today

    today = _today(clinic)
    agreement = consq.current_agreement(clinic.store, patient.id)
    if consent.allows(agreement, route.kind, today):
        return route
    if wanted is None and route.kind == "portal" and consent.allows(agreement, "email", today):
        # the portal is the default, but the patient agreed to email only
        try:
            return _plain_route(clinic, patient, "email")
        except compose.ComposeError:
            pass
    given = consent.check_reply(patient.display_name, agreement, route.kind, today, reason)
    return _Route(route.kind, route.account, route.to, consent_reason=given)


def _proxy_route(
    clinic: Clinic, patient: Patient, proxy_id: int, category: Category, route: _Route | None
) -> _Route:
    """To an authorised proxy's own address: only within their scope and dates (and the
    clinic's age rules), never when the patient's electronic messages ended."""
    from clinic_inbox.core.services_consent import _today

    proxy = consq.get_proxy(clinic.store, proxy_id)
    if proxy is None or proxy.patient_id != patient.id:
        raise compose.ComposeError(f"{patient.display_name} has no proxy number {proxy_id}.")
    today = _today(clinic)
    state = consent.state_of(consq.current_agreement(clinic.store, patient.id), today)
    if clinic.config.consent_required and state in (consent.State.OPTED_OUT, consent.State.ENDED):
        raise consent.ConsentNeeded(
            f"{patient.display_name}'s electronic messages have ended: nothing is sent by "
            f"email about them, to them or to {proxy.name}. Phone them."
        )
    v = proxies.verdict(proxy, patient.birth_date, category, False, today, clinic.config.minors)
    if not v.allowed:
        raise consent.ConsentNeeded(f"Not to {proxy.name}: {v.why}")
    senders = [a for a in accounts.imap_accounts(clinic.store) if a.sender_address]
    if not senders and route is not None and route.kind == "email":
        senders = [route.account]  # the demo clinic's sender
    if not senders:
        raise compose.ComposeError("No mail account is set up for sending. Ask an administrator.")
    return _Route("email", senders[0], proxy.address, proxy=proxy)


def _plain_route(clinic: Clinic, patient: Patient, wanted: str | None) -> _Route:
    store = clinic.store
    portals: list = accounts.fhir_accounts(store)
    senders: list = [a for a in accounts.imap_accounts(store) if a.sender_address]
    demo = cq.demo_account_ids(store)
    if len(demo) == 2 and not senders and not portals:
        # the demo clinic: written and queued like a real message, never sent
        senders = [accounts.demo_email_sender(store, demo[0])]
        portals = [accounts.demo_portal(store, demo[1])]
    email = cq.patient_email(store, patient.id)
    name = f"{patient.given_name} {patient.family_name}"
    if wanted not in (None, "email", "portal"):
        raise compose.ComposeError("Choose email or the patient portal.")
    if wanted in (None, "portal") and patient.portal_id and portals:
        return _Route("portal", portals[0], "the patient portal")
    if wanted in (None, "email") and email and senders:
        return _Route("email", senders[0], email)
    if wanted == "portal":
        raise compose.ComposeError(f"{name} has no patient portal account known to the clinic.")
    if wanted == "email" and not email:
        raise compose.ComposeError(f"{name} has no registered email address.")
    if (email and not senders) or (patient.portal_id and not portals):
        raise compose.ComposeError(
            "No mail or portal account is set up for sending. Ask an administrator."
        )
    raise compose.ComposeError(
        f"{name} has no registered email address or portal account: please call them."
    )


def _decision(clinic: Clinic, session: Session, patient: Patient, category: Category) -> Decision:
    """The same policy as for a conversation about this patient in this category: the
    front desk may write about appointments and forms, never results."""
    staff = sv._fresh(clinic, session)
    facts = ThreadFacts(
        category=category,
        sensitive=False,
        physician_id=patient.responsible_physician_id,
        patient_known=True,
    )
    return access.decide(staff, facts, aq.grants_to(clinic.store, staff.id), now=sv._now())


def _check_send_at(send_at: datetime | None, now: datetime) -> datetime | None:
    if send_at is None:
        return None
    if send_at.tzinfo is None:
        raise compose.ComposeError("The sending time needs a time zone.")
    if send_at <= now:
        raise compose.ComposeError("The sending time has passed: choose a later one, or send now.")
    if send_at - now > MAX_SCHEDULE_AHEAD:
        raise compose.ComposeError("A message can be kept for at most a year.")
    return send_at.astimezone(UTC)


def _prepare(
    clinic: Clinic, session: Session, patient_id: int, req: Request
) -> tuple[Patient, Decision, _Route, compose.Draft, str, datetime | None]:
    patient = q.get_patient(clinic.store, patient_id)
    if patient is None:
        raise sv.NotFound(f"There is no patient number {patient_id}.")
    language = req.language or clinic.config.languages[0]
    # to a proxy: the letter greets the proxy, and says whom it is about (below)
    proxy = consq.get_proxy(clinic.store, req.to_proxy) if req.to_proxy is not None else None
    proxy = proxy if proxy is not None and proxy.patient_id == patient.id else None
    greet = proxies.first_name(proxy.name) if proxy else patient.given_name
    standard = outgoing.standard_fields(
        clinic.config, outgoing.name_or_greeting(greet, language), language
    )
    draft = compose.render(
        req.template,
        language,
        standard,
        req.fields or {},
        subject=req.subject,
        body=req.body,
        category=req.category,
        education=req.education,
    )
    if proxy is not None:
        draft = compose.Draft(
            subject=draft.subject,
            body=proxies.addressed_to_proxy(
                draft.body, proxy.name, patient.display_name, patient.given_name, language
            ),
            category=draft.category,
        )
    sv._check_text(draft.body, "message")
    d = _decision(clinic, session, patient, draft.category)
    if not d.reply:
        raise AccessDenied(
            f"You may not write to patients about “{draft.category.label}”: "
            "that is for the patient's physician or their delegates."
        )
    route = _route(
        clinic,
        patient,
        req.channel,
        reason=req.consent_reason,
        proxy_id=req.to_proxy,
        category=draft.category,
    )
    signed = f"{draft.body.rstrip()}\n\n{sv._signature(clinic, session, d)}\n"
    signed = footer.with_footer(
        signed, clinic.config, language, clinic.home, to_proxy=route.proxy is not None
    )
    return patient, d, route, draft, signed, _check_send_at(req.send_at, sv._now())


def preview_message(clinic: Clinic, session: Session, patient_id: int, req: Request) -> Preview:
    """What would be sent, to whom and how, without sending or keeping anything."""
    patient, _, route, draft, signed, at = _prepare(clinic, session, patient_id, req)
    return Preview(
        patient_id=patient.id,
        patient_name=f"{patient.given_name} {patient.family_name}",
        channel=route.kind,
        to=route.to,
        subject=draft.subject,
        body=signed,
        category=draft.category,
        send_at=at,
        consent_note=_consent_note(route),
    )


@dataclass(frozen=True)
class Recipient:
    """One patient of a bulk send, as the preview lists them: their letter and how it
    goes, or why they cannot receive it (in words naming them)."""

    patient_id: int
    patient_name: str
    preview: Preview | None
    why_not: str | None = None

    @property
    def can_receive(self) -> bool:
        return self.preview is not None

    def line(self) -> str:
        p = self.preview
        if p is None:
            return f"{self.patient_name}: cannot receive it. {self.why_not}"
        how = "the patient portal" if p.channel == "portal" else f"email to {p.to}"
        note = f". {p.consent_note}" if p.consent_note else ""
        return f"{self.patient_name}: by {how}{note}"


def preview_each(
    clinic: Clinic, session: Session, patient_ids: list[int], req: Request
) -> list[Recipient]:
    """Every patient of a bulk send, each with their own letter and channel, or why
    they cannot receive it; nothing is kept or sent. A problem with the message itself
    (a field left empty, a time passed) or a refusal by the access policy stops the
    whole preview, as it stops the send."""
    ids = _check_bulk(clinic, session, patient_ids)
    language = req.language or clinic.config.languages[0]
    compose.render(
        req.template,
        language,
        outgoing.standard_fields(clinic.config, "-", language),
        req.fields or {},
        subject=req.subject,
        body=req.body,
        category=req.category,
        education=req.education,
    )
    _check_send_at(req.send_at, sv._now())
    out = []
    for pid in ids:
        patient = q.get_patient(clinic.store, pid)
        name = f"{patient.given_name} {patient.family_name}" if patient else f"Patient {pid}"
        try:
            out.append(Recipient(pid, name, preview_message(clinic, session, pid, req)))
        except consent.ConsentNeeded as exc:  # before AccessDenied: it is one
            out.append(Recipient(pid, name, None, str(exc)))
        except (compose.ComposeError, sv.NotFound) as exc:
            out.append(Recipient(pid, name, None, str(exc)))
    return out


def _consent_note(route: _Route) -> str | None:
    if route.proxy is not None:
        return f"To {route.proxy.describe()}, who is authorised to receive it."
    if route.consent_reason:
        by = consent.CHANNEL_BY.get(route.kind, route.kind)
        return f"Not covered by the patient's agreement: goes {by} because: {route.consent_reason}"
    return None


def _queue_one(
    clinic: Clinic, session: Session, patient_id: int, req: Request, *, batch: str | None = None
) -> Started:
    store = clinic.store
    patient, d, route, draft, signed, at = _prepare(clinic, session, patient_id, req)
    now = q.utcnow()
    thread_id = q.create_thread(
        store,
        q.NewThread(
            subject=draft.subject,
            category=draft.category,
            priority=Priority.ADMIN if draft.category.administrative else Priority.ROUTINE,
            created_at=now,
            patient_id=patient.id,
            status=Status.WAITING,
            assigned_to=session.staff.id,
        ),
    )
    me = session.staff.display_name
    if route.kind == "email":
        account = route.account
        message_id = outgoing.new_message_id(outgoing.domain_of(account.sender_address))
        # one message, one patient: the only recipient is this patient's own address
        payload = outgoing.build_email(
            from_address=account.sender_address,
            from_name=f"{me} ({clinic.config.name})",
            to_address=route.to,
            subject=draft.subject,
            body=signed,
            message_id=message_id,
            sent_by=session.staff.username,
        )
        sender, recipients, source = account.sender_address, route.to, Source.EMAIL
    else:
        account = route.account
        resource, message_id = _portal_message(session, account, patient, draft, signed, d)
        payload = json.dumps(resource, sort_keys=True).encode("utf-8")
        sender, source = f"portal:{account.name}", Source.PORTAL
        recipients = f"Patient/{patient.portal_id}"
    out_pk = q.insert_message(
        store,
        q.NewMessage(
            thread_id=thread_id,
            source=source,
            direction=Direction.OUTBOUND,
            received_at=now,
            sender=sender,
            sender_name=me,
            recipients=recipients,
            subject=draft.subject,
            body_text=signed,
            patient_id=patient.id,
            account_id=account.id,
            category=draft.category,
            priority=Priority.ADMIN if draft.category.administrative else Priority.ROUTINE,
            message_id_header=message_id,
            author_staff_id=session.staff.id,
        ),
    )
    item = oq.enqueue(
        store,
        kind=route.kind,
        purpose="start",
        idempotency_key=message_id,
        payload=payload,
        thread_id=thread_id,
        message_id=out_pk,
        account_id=account.id,
    )
    if at is not None:
        cq.set_send_after(store, item, at.isoformat(timespec="seconds"))
    note(store, Changes.of(thread_id, outbox=True, messages=[out_pk]))  # a new card
    sv._audit(
        clinic,
        session,
        "message.start",
        patient_id=patient.id,
        thread_id=thread_id,
        message_id=out_pk,
        detail={
            "outbox_id": item,
            "channel": route.kind,
            "template": req.template,
            "category": draft.category.value,
            "send_after": at.isoformat(timespec="seconds") if at else None,
            "on_behalf_of": d.delegate_of,
            "batch": batch,
            **({"consent_reason": route.consent_reason} if route.consent_reason else {}),
            **({"to_proxy": route.proxy.id} if route.proxy else {}),
        },
    )
    return Started(thread_id, out_pk, item, patient.id)


def _portal_message(
    session: Session,
    account: accounts.FhirAccount,
    patient: Patient,
    draft: compose.Draft,
    text: str,
    d: Decision,
) -> tuple[dict, str]:
    """A Communication the clinic starts: to the patient, about nothing earlier."""
    ident = f"urn:uuid:{uuid.uuid4()}"
    practitioner = account.staff_practitioners.get(session.staff.username)
    display = session.staff.display_name + (
        f" on behalf of {d.delegate_of}" if d.delegate_of else ""
    )
    resource: dict = {
        "resourceType": "Communication",
        "identifier": [{"system": outgoing_fhir.REPLY_ID_SYSTEM, "value": ident}],
        "status": "completed",
        "sent": sv._now().isoformat(timespec="seconds").replace("+00:00", "Z"),
        "subject": {"reference": f"Patient/{patient.portal_id}"},
        "recipient": [{"reference": f"Patient/{patient.portal_id}"}],
        "sender": {"display": display},
        "topic": {"text": draft.subject},
        "payload": [{"contentString": text}],
        "category": [
            {"coding": [{"system": "urn:clinic-inbox:category", "code": draft.category.value}]}
        ],
    }
    if practitioner:
        resource["sender"]["reference"] = f"Practitioner/{practitioner}"
    outgoing_fhir.validate(resource)
    return resource, ident


def start_message(clinic: Clinic, session: Session, patient_id: int, req: Request) -> Started:
    """Write to one patient first: a new conversation, the message in the outbox (now,
    or kept until `req.send_at`), audited."""
    _check_or_refuse(clinic, session, [patient_id], req)
    with clinic.store.transaction():
        return _queue_one(clinic, session, patient_id, req)


@dataclass(frozen=True)
class Skipped:
    patient_id: int
    why: str  # in plain words, naming the patient


def _problems(
    clinic: Clinic, session: Session, ids: list[int], req: Request
) -> tuple[list[tuple[int, str]], list[Skipped], list[tuple[int, str]]]:
    """Everything that would stop the send, per patient, before anything is written:
    (refused by the access policy, cannot be reached, refused by the agreement with
    the audit's unnamed reason)."""
    from clinic_inbox.core.services_consent import _today

    refused, unreachable, consent_refused = [], [], []
    for pid in ids:
        try:
            _prepare(clinic, session, pid, req)
        except consent.ConsentNeeded as exc:
            unreachable.append(Skipped(pid, str(exc)))
            agreement = consq.current_agreement(clinic.store, pid)
            code = (
                f"proxy {req.to_proxy}: outside the authorisation or the agreement"
                if req.to_proxy is not None
                else consent.refusal_code(agreement, req.channel or "any channel", _today(clinic))
            )
            consent_refused.append((pid, code))
        except AccessDenied as exc:
            refused.append((pid, str(exc)))  # the policy's words: no patient names
        except (compose.ComposeError, sv.NotFound) as exc:
            unreachable.append(Skipped(pid, str(exc)))
    return refused, unreachable, consent_refused


def _audit_refusals(
    clinic: Clinic,
    session: Session,
    refused: list[tuple[int, str]],
    consent_refused: list[tuple[int, str]],
    lead: str,
) -> None:
    """Refusals are audited in their own transaction (they must not roll back)."""
    if not refused and not consent_refused:
        return
    with clinic.store.transaction():
        if refused:
            sv._audit(
                clinic,
                session,
                "message.start.refused",
                patient_id=refused[0][0] if len(refused) == 1 else None,
                reason=lead + " ".join(dict.fromkeys(w for _, w in refused)),
                detail={"patients": [p for p, _ in refused]},
            )
        for pid, code in consent_refused:
            sv._audit(
                clinic,
                session,
                "message.start.refused",
                patient_id=pid,
                reason=code,
                detail={"patients": [pid], "consent": True},
            )


def _check_or_refuse(clinic: Clinic, session: Session, ids: list[int], req: Request) -> None:
    """All or nothing: any patient who cannot get the message stops the whole send,
    and the error names each one and why."""
    refused, unreachable, consent_refused = _problems(clinic, session, ids, req)
    lead = "Nothing was sent. " if len(ids) > 1 else ""
    _audit_refusals(clinic, session, refused, consent_refused, lead)
    if refused:
        raise AccessDenied(lead + " ".join(dict.fromkeys(w for _, w in refused)))
    if len(ids) == 1 and consent_refused:
        # one patient: the same refusal staff get on a reply (the app asks for a reason)
        raise consent.ConsentNeeded(unreachable[0].why)
    if unreachable:
        raise compose.ComposeError(lead + " ".join(dict.fromkeys(u.why for u in unreachable)))


def _check_bulk(clinic: Clinic, session: Session, patient_ids: list[int]) -> list[int]:
    ids = list(dict.fromkeys(patient_ids))
    if not ids:
        raise compose.ComposeError("Choose at least one patient.")
    if len(ids) > MAX_BULK:
        raise compose.ComposeError(f"At most {MAX_BULK} patients at a time.")
    return ids


def bulk_reminder(
    clinic: Clinic, session: Session, patient_ids: list[int], req: Request
) -> list[Started]:
    """One individual message per patient (never one message to many: no patient sees
    another's address). All or nothing: if one patient cannot be written to, nothing is
    queued and the message says who."""
    ids = _check_bulk(clinic, session, patient_ids)
    _check_or_refuse(clinic, session, ids, req)
    batch = f"b{int(sv._now().timestamp())}-{session.staff.id}"
    with clinic.store.transaction():
        return [_queue_one(clinic, session, pid, req, batch=batch) for pid in ids]


@dataclass(frozen=True)
class BulkResult:
    started: list[Started]
    skipped: list[Skipped]  # who got nothing, and why

    def summary(self) -> str:
        head = f"{len(self.started)} message{'s' if len(self.started) != 1 else ''} queued."
        if not self.skipped:
            return head
        return "\n".join(
            [f"{head} Not sent to {len(self.skipped)}:"] + [f"- {s.why}" for s in self.skipped]
        )


def bulk_send_skipping(
    clinic: Clinic, session: Session, patient_ids: list[int], req: Request
) -> BulkResult:
    """A bulk reminder to everyone who can get it: a patient who cannot (no agreement
    to any channel the clinic has, opted out, no address) is skipped and named with
    the reason. Nothing is half sent: the messages are queued in one transaction or
    none is. A refusal by the access policy still stops everything."""
    ids = _check_bulk(clinic, session, patient_ids)
    refused, unreachable, consent_refused = _problems(clinic, session, ids, req)
    _audit_refusals(clinic, session, refused, consent_refused, "Nothing was sent. ")
    if refused:
        raise AccessDenied("Nothing was sent. " + " ".join(dict.fromkeys(w for _, w in refused)))
    skipped = {u.patient_id for u in unreachable}
    batch = f"b{int(sv._now().timestamp())}-{session.staff.id}"
    with clinic.store.transaction():
        started = [
            _queue_one(clinic, session, pid, req, batch=batch) for pid in ids if pid not in skipped
        ]
        if unreachable:
            sv._audit(
                clinic,
                session,
                "message.start.skipped",
                detail={"batch": batch, "patients": sorted(skipped)},
            )
    return BulkResult(started, unreachable)


def cancel_scheduled(clinic: Clinic, session: Session, outbox_id: int) -> None:
    """Cancel a message kept for later, before it leaves: its author, or whoever may
    answer in that conversation."""
    store = clinic.store
    with store.transaction():
        item = cq.get_scheduled(store, outbox_id)
        if item is None:
            raise sv.NotFound(
                "There is no message waiting to be sent later with that number (it may "
                "have been sent or cancelled already, or you may not see it)."
            )
        row, d = sv._acting(clinic, session, item.thread_id)
        if item.author_id != session.staff.id:
            access.require(d.reply, "Only its author or someone who may answer can cancel it.")
        if not cq.cancel(store, outbox_id):
            raise ValueError("The message has started to leave; it can no longer be cancelled.")
        note(store, Changes.of(item.thread_id, outbox=True))  # its line says cancelled
        sv._audit(
            clinic,
            session,
            "message.cancel",
            patient_id=row.patient_id,
            thread_id=item.thread_id,
            message_id=item.message_id,
            detail={"outbox_id": outbox_id, "send_after": item.send_after},
        )


def scheduled_messages(clinic: Clinic, session: Session) -> list[cq.Scheduled]:
    """Messages kept for later that this person may read (subjects name results)."""
    staff = sv._fresh(clinic, session)
    out = []
    for s in cq.scheduled(clinic.store):
        facts = aq.thread_facts(clinic.store, s.thread_id)
        if facts and sv._decide(clinic, staff, facts, s.thread_id, sv._now()).body:
            out.append(s)
    return out


# -- follow-up ----------------------------------------------------------------------
def set_follow_up(clinic: Clinic, session: Session, thread_id: int, by: date | None) -> None:
    """ "Follow up by <date>": if the patient has not written by then, the conversation
    comes back to New, labelled. None removes it."""
    if by is not None and by < sv._now().astimezone(clinic.config.tz).date():
        raise ValueError("The follow-up date has passed: choose today or later.")
    with clinic.store.transaction():
        row, _ = sv._acting(clinic, session, thread_id)
        cq.set_follow_up(clinic.store, thread_id, by.isoformat() if by else None)
        note(clinic.store, Changes.of(thread_id))
        sv._audit(
            clinic,
            session,
            "thread.follow_up",
            patient_id=row.patient_id,
            thread_id=thread_id,
            detail={"by": by.isoformat() if by else None},
        )


# -- writing again before the patient has answered ------------------------------------
def continue_thread(
    clinic: Clinic,
    session: Session,
    row: q.ThreadRow,
    d: Decision,
    body: str,
    *,
    footer_text: str = "",
) -> int:
    """A reply in a conversation the clinic began and the patient has not answered yet
    (the reply's queueing calls this, inside its transaction and access check): to the
    patient's own address or portal, as the first message went."""
    store = clinic.store
    patient = q.get_patient(store, row.patient_id) if row.patient_id else None
    if patient is None:
        raise ValueError("This conversation has no patient to write to.")
    first = cq.first_outbound(store, row.id)
    route = _plain_route(clinic, patient, first[1] if first else None)
    if clinic.config.consent_required:
        # an opted-out patient gets nothing, whatever the reason; a missing agreement
        # (reason needed) is checked by services_reply.queue_reply, which staff use
        from clinic_inbox.core.services_consent import _today

        agreement = consq.current_agreement(store, patient.id)
        if consent.state_of(agreement, _today(clinic)) in (
            consent.State.OPTED_OUT,
            consent.State.ENDED,
        ):
            consent.check_reply(patient.display_name, agreement, route.kind, _today(clinic), None)
    subject = row.subject if row.subject.lower().startswith("re:") else f"Re: {row.subject}"
    signed = signed_text(body, sv._signature(clinic, session, d), footer_text)
    if route.kind == "email":
        account = route.account
        message_id = outgoing.new_message_id(outgoing.domain_of(account.sender_address))
        earlier = first[0] if first and first[0] and not first[0].startswith("urn:") else None
        payload = outgoing.build_email(
            from_address=account.sender_address,
            from_name=f"{session.staff.display_name} ({clinic.config.name})",
            to_address=route.to,
            subject=subject,
            body=signed,
            message_id=message_id,
            in_reply_to=earlier,
            references=[earlier] if earlier else None,
            sent_by=session.staff.username,
        )
        sender, recipients = account.sender_address, route.to
    else:
        account = route.account
        draft = compose.Draft(subject=subject, body=body, category=row.category)
        resource, message_id = _portal_message(session, account, patient, draft, signed, d)
        payload = json.dumps(resource, sort_keys=True).encode("utf-8")
        earlier = None
        sender, recipients = f"portal:{account.name}", f"Patient/{patient.portal_id}"
    return sv._queue_outgoing(
        clinic,
        session,
        row,
        d,
        kind=route.kind,
        source=Source.EMAIL if route.kind == "email" else Source.PORTAL,
        sender=sender,
        recipients=recipients,
        subject=subject,
        body=signed,
        account_id=account.id,
        message_id=message_id,
        in_reply_to=earlier,
        payload=payload,
    )
