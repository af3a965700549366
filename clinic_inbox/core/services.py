"""One function per user action. Each checks access, does the work and writes
its audit entry in one transaction. The CLI and the GUI call only these."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from clinic_inbox.core import access, accounts, audit, outgoing, passwords
from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import (
    Direction,
    MessageSummary,
    Role,
    Source,
    Staff,
    Status,
    ThreadDetail,
)
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import sync_queries as sq


class AuthError(Exception):
    pass


class NotFound(Exception):
    pass


@dataclass(frozen=True)
class Session:
    staff: Staff
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


def _audit(clinic: Clinic, session: Session | None, action: str, **kw: object) -> None:
    actor_id = session.staff.id if session else None
    actor = session.staff.username if session else "system"
    audit.append(clinic.store, clinic.audit_key, actor_id, actor, action, **kw)  # type: ignore[arg-type]


# -- staff and sessions ----------------------------------------------------------
def create_first_admin(clinic: Clinic, username: str, display_name: str, password: str) -> Staff:
    """Only possible on a clinic without staff: the first run creates the administrator."""
    _check_new_password(password)
    with clinic.store.transaction():
        if q.staff_count(clinic.store):
            raise access.AccessDenied("This clinic already has staff; ask an administrator.")
        sid = q.add_staff(
            clinic.store, username, display_name, Role.ADMIN, passwords.hash_password(password)
        )
        staff = q.get_staff(clinic.store, sid)
        assert staff is not None
        _audit(clinic, None, "staff.create", detail={"staff_id": sid, "role": "admin"})
    return staff


def add_staff(
    clinic: Clinic, session: Session, username: str, display_name: str, role: Role, password: str
) -> Staff:
    access.require(access.can_manage_staff(session.staff), "Only an administrator can add staff.")
    _check_new_password(password)
    with clinic.store.transaction():
        if q.staff_login_row(clinic.store, username):
            raise ValueError(f"There is already a staff member with the user name {username!r}.")
        sid = q.add_staff(
            clinic.store, username, display_name, role, passwords.hash_password(password)
        )
        _audit(clinic, session, "staff.create", detail={"staff_id": sid, "role": role.value})
        staff = q.get_staff(clinic.store, sid)
    assert staff is not None
    return staff


def _check_new_password(password: str) -> None:
    if len(password) < passwords.MIN_LENGTH:
        raise ValueError(f"A password needs at least {passwords.MIN_LENGTH} characters.")


def list_staff(clinic: Clinic, session: Session) -> list[Staff]:
    return q.list_staff(clinic.store)


def login(
    clinic: Clinic, username: str, password: str, *, sleep: Callable[[float], None] = time.sleep
) -> Session:
    """Check a password. Failures are counted, slowed down and audited."""
    row = q.staff_login_row(clinic.store, username)
    if row is None:
        with clinic.store.transaction():
            _audit(clinic, None, "login.failed", detail={"reason": "unknown user"})
        raise AuthError("The user name or password is not right.")
    staff, stored_hash, failures, _ = row
    sleep(passwords.failure_delay(failures))
    ok, rehash = passwords.check_password(stored_hash, password)
    with clinic.store.transaction():
        if not ok or not staff.active:
            q.record_login_failure(clinic.store, staff.id)
            _audit(
                clinic,
                None,
                "login.failed",
                detail={"staff_id": staff.id, "reason": "disabled" if ok else "bad password"},
            )
        else:
            q.record_login_success(clinic.store, staff.id, rehash)
            session = Session(staff)
            _audit(clinic, session, "login", detail={"session": session.id})
            return session
    if ok:
        raise AuthError("This account is disabled. Ask an administrator.")
    raise AuthError("The user name or password is not right.")


def logout(clinic: Clinic, session: Session) -> None:
    with clinic.store.transaction():
        _audit(clinic, session, "logout", detail={"session": session.id})


# -- messages ------------------------------------------------------------------
def list_messages(
    clinic: Clinic, session: Session, flt: q.MessageFilter | None = None
) -> list[MessageSummary]:
    """Headers only: listing is not a view of message contents."""
    return q.list_messages(clinic.store, flt)


def list_threads(clinic: Clinic, session: Session, limit: int | None = None) -> list[q.ThreadRow]:
    return q.list_threads(clinic.store, limit=limit)


def show_thread(clinic: Clinic, session: Session, thread_id: int) -> ThreadDetail:
    """The whole conversation; reading it is audited in the same transaction."""
    with clinic.store.transaction():
        row = q.get_thread(clinic.store, thread_id)
        if row is None:
            raise NotFound(f"There is no conversation number {thread_id}.")
        may_read = access.can_view_body(session.staff, row)
        messages = q.thread_messages(clinic.store, thread_id, with_body=may_read)
        patient = q.get_patient(clinic.store, row.patient_id) if row.patient_id else None
        _audit(
            clinic,
            session,
            "thread.view" if may_read else "thread.view_header",
            patient_id=row.patient_id,
            thread_id=thread_id,
            detail={"messages": [m.id for m in messages]},
        )
    return ThreadDetail(
        id=row.id,
        subject=row.subject,
        patient=patient,
        category=row.category,
        priority=row.priority,
        status=row.status,
        assigned_to=row.assigned_to,
        due_at=row.due_at,
        sensitive=row.sensitive,
        messages=tuple(messages),
    )


# -- accounts ------------------------------------------------------------------
def add_imap_account(clinic: Clinic, session: Session, account: ImapAccount, password: str) -> int:
    """Settings into the store, the password into the keyring, one audit entry."""
    access.require(
        access.can_manage_settings(session.staff), "Only an administrator can add mail accounts."
    )
    account.validate()
    if clinic.credentials is None:
        raise access.AccessDenied("No keyring is available for account passwords.")
    with clinic.store.transaction():
        account_id = accounts.add_imap_account(clinic.store, account)
        clinic.credentials.set(account.name, password)
        _audit(clinic, session, "account.create", detail={"account_id": account_id, "kind": "imap"})
    return account_id


# -- replies -------------------------------------------------------------------
def queue_reply(clinic: Clinic, session: Session, thread_id: int, body: str) -> int:
    """Write a reply to the patient; it waits in the outbox until the network takes it."""
    if not body.strip():
        raise ValueError("The reply is empty.")
    store = clinic.store
    with store.transaction():
        row = q.get_thread(store, thread_id)
        if row is None:
            raise NotFound(f"There is no conversation number {thread_id}.")
        access.require(
            access.can_reply(session.staff, row), "You may not reply in this conversation."
        )
        last = sq.last_inbound(store, thread_id)
        if last is None or last.source != "email" or not last.sender:
            raise ValueError("This conversation has no patient email address to reply to.")
        account = next((a for a in accounts.imap_accounts(store) if a.id == last.account_id), None)
        if account is None or not account.sender_address:
            raise ValueError("The mail account this message came from is not set up for sending.")
        subject = last.subject if last.subject.lower().startswith("re:") else f"Re: {last.subject}"
        message_id = outgoing.new_message_id(outgoing.domain_of(account.sender_address))
        refs = [r for r in (last.references or "").split() if r]
        if last.message_id:
            refs.append(last.message_id)
        signed = f"{body.rstrip()}\n\n{session.staff.display_name}\n{clinic.config.name}\n"
        raw = outgoing.build_email(
            from_address=account.sender_address,
            from_name=f"{session.staff.display_name} ({clinic.config.name})",
            to_address=last.sender,
            subject=subject,
            body=signed,
            message_id=message_id,
            in_reply_to=last.message_id,
            references=refs,
            sent_by=session.staff.username,
        )
        out_pk = q.insert_message(
            store,
            q.NewMessage(
                thread_id=thread_id,
                source=Source.EMAIL,
                direction=Direction.OUTBOUND,
                received_at=q.utcnow(),
                sender=account.sender_address,
                sender_name=session.staff.display_name,
                recipients=last.sender,
                subject=subject,
                body_text=signed,
                patient_id=row.patient_id,
                account_id=account.id,
                category=row.category,
                priority=row.priority,
                message_id_header=message_id,
                in_reply_to=last.message_id,
                author_staff_id=session.staff.id,
            ),
        )
        item = oq.enqueue(
            store,
            kind="email",
            purpose="reply",
            idempotency_key=message_id,
            payload=raw,
            thread_id=thread_id,
            message_id=out_pk,
            account_id=account.id,
        )
        if row.status is Status.NEW:
            q.update_thread(store, thread_id, status=Status.IN_PROGRESS)
        _audit(
            clinic,
            session,
            "reply.queue",
            patient_id=row.patient_id,
            thread_id=thread_id,
            message_id=out_pk,
            detail={"outbox_id": item},
        )
    return item
