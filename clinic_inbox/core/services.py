"""One function per user action. Each checks access, does the work and writes
its audit entry in one transaction. The CLI and the GUI call only these."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from clinic_inbox.core import (
    access,
    accounts,
    audit,
    clock,
    filing,
    outgoing,
    passwords,
    presence_relay,
    signin,
)
from clinic_inbox.core import staff_keys as key_slots  # follow passwords (issue 16 item 7)
from clinic_inbox.core.access import AccessDenied, Decision, Grant, ThreadFacts
from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.core.audit_anchor import AnchorSink
from clinic_inbox.core.audit_check import AuditReport, full_check
from clinic_inbox.core.backup import BackupInfo
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.language import detect_language
from clinic_inbox.core.model import (
    Category,
    Direction,
    MessageSummary,
    Patient,
    Priority,
    Role,
    Source,
    Staff,
    Status,
    ThreadDetail,
)
from clinic_inbox.core.senders import reply_address
from clinic_inbox.core.shared_ops import record as queue_shared
from clinic_inbox.core.signin import (  # noqa: F401 - part of this module's interface
    AccountLocked,
    AuthError,
    PasswordChangeRequired,
    Session,
    SessionEnded,
)
from clinic_inbox.core.store import access_queries as aq
from clinic_inbox.core.store import export_queries as eq
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import signin_queries
from clinic_inbox.core.store import sync_queries as sq

BREAK_GLASS_MINUTES = 30


class NotFound(Exception):
    pass


def _now() -> datetime:
    return datetime.now(UTC)


def _audit(clinic: Clinic, session: Session | None, action: str, **kw: object) -> None:
    actor_id = session.staff.id if session else None
    actor = session.staff.username if session else "system"
    audit.append(clinic.store, clinic.audit_key, actor_id, actor, action, **kw)  # type: ignore[arg-type]


def _refuse(clinic: Clinic, session: Session | None, action: str, why: str, **kw: object) -> None:
    """Record a refused attempt in its own transaction (the refusal itself must not be
    rolled back with the action), then refuse in plain words."""
    with clinic.store.transaction():
        _audit(clinic, session, action, reason=why, **kw)
    raise AccessDenied(why)


# Replies and notes are read by people and rendered in a text widget: a whole book
# pasted by mistake (or on purpose) would freeze the board and bloat every backup.
MAX_TEXT_CHARS = 100_000


def _check_text(text: str, what: str) -> None:
    if "\x00" in text:
        raise ValueError(
            f"The {what} contains a NUL character (an invisible zero byte); remove it."
        )
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(
            f"The {what} is {len(text):,} characters long; the limit is {MAX_TEXT_CHARS:,}. "
            "Shorten it, or send the rest as a letter."
        )


def _fresh(clinic: Clinic, session: Session) -> Staff:
    """The session's person as the store knows them now: a disabled account stops at once."""
    # disabled, or password reset by an administrator: "Your session ended" (SessionEnded)
    staff = q.get_staff(clinic.store, session.staff.id)
    return signin.still_valid(clinic.store, staff, session.started_at)


# -- staff and sessions ----------------------------------------------------------
def _check_new_password(
    clinic: Clinic, password: str, username: str, display_name: str = ""
) -> None:
    """The clinic's password rules (core.passwords); WeakPasswordError says what to change."""
    passwords.require_strong(
        password, username=username, display_name=display_name, clinic_name=clinic.config.name
    )


def create_first_admin(clinic: Clinic, username: str, display_name: str, password: str) -> Staff:
    """Only possible on a clinic without staff: the first run creates the administrator."""
    _check_new_password(clinic, password, username, display_name)
    with clinic.store.transaction():
        if q.staff_count(clinic.store):
            raise AccessDenied("This clinic already has staff; ask an administrator.")
        sid = q.add_staff(
            clinic.store, username, display_name, Role.ADMIN, passwords.hash_password(password)
        )
        _audit(clinic, None, "staff.create", detail={"staff_id": sid, "role": "admin"})
        key_slots.keep_slot(clinic, username, password, why="first administrator")
        staff = q.get_staff(clinic.store, sid)
    assert staff is not None
    return staff


def add_staff(
    clinic: Clinic, session: Session, username: str, display_name: str, role: Role, password: str
) -> Staff:
    access.require(
        access.can_manage_staff(_fresh(clinic, session)), "Only an administrator can add staff."
    )
    _check_new_password(clinic, password, username, display_name)
    if not username.strip() or any(c.isspace() for c in username):
        raise ValueError("A user name needs at least one character and no spaces.")
    with clinic.store.transaction():
        if q.staff_login_row(clinic.store, username):
            raise ValueError(f"There is already a staff member with the user name {username!r}.")
        sid = q.add_staff(
            clinic.store, username, display_name, role, passwords.hash_password(password)
        )
        _audit(clinic, session, "staff.create", detail={"staff_id": sid, "role": role.value})
        key_slots.keep_slot(clinic, username, password, why="staff added")
        staff = q.get_staff(clinic.store, sid)
    assert staff is not None
    return staff


def set_staff_active(clinic: Clinic, session: Session, username: str, active: bool) -> Staff:
    access.require(
        access.can_manage_staff(_fresh(clinic, session)), "Only an administrator can disable staff."
    )
    with clinic.store.transaction():
        row = q.staff_login_row(clinic.store, username)
        if row is None:
            raise NotFound(f"There is no staff member {username!r}.")
        staff = row[0]
        if staff.id == session.staff.id and not active:
            raise ValueError("You cannot disable your own account.")
        q.set_staff_active(clinic.store, staff.id, active)
        _audit(
            clinic,
            session,
            "staff.enable" if active else "staff.disable",
            detail={"staff_id": staff.id},
        )
        if not active:
            key_slots.drop_slot(clinic, staff.username)
            signin.end_sessions(clinic.store, staff.id)
    return dataclasses.replace(staff, active=active)


def reset_password(clinic: Clinic, session: Session, username: str, new_password: str) -> None:
    """Your own password, or (administrators) someone else's: then it is a temporary
    one, to be replaced at that person's next sign-in, where they are told who reset it."""
    me = _fresh(clinic, session)
    is_self = me.username.lower() == username.lower()
    access.require(
        is_self or access.can_manage_staff(me), "Only an administrator can reset passwords."
    )
    with clinic.store.transaction():
        row = q.staff_login_row(clinic.store, username)
        if row is None:
            raise NotFound(f"There is no staff member {username!r}.")
        _check_new_password(clinic, new_password, row[0].username, row[0].display_name)
        signin_queries.set_password(
            clinic.store,
            row[0].id,
            passwords.hash_password(new_password),
            reset_by=None if is_self else me.id,
            now=q.utcnow(),
        )
        _audit(
            clinic,
            session,
            "staff.password_change" if is_self else "staff.password_reset",
            detail={"staff_id": row[0].id, "must_change": not is_self},
        )
        key_slots.keep_slot(
            clinic, row[0].username, new_password, why="own change" if is_self else "reset"
        )
        if not is_self:
            signin.end_sessions(clinic.store, row[0].id)


def unlock_account(clinic: Clinic, session: Session, username: str) -> bool:
    """Lift a sign-in lockout (administrators). True if there was one to lift."""
    me = _fresh(clinic, session)
    access.require(access.can_manage_staff(me), "Only an administrator can unlock accounts.")
    return signin.unlock(clinic, me, username)


def list_staff(clinic: Clinic, session: Session) -> list[Staff]:
    """Any signed-in staff member may see who works here (to assign, to delegate)."""
    _fresh(clinic, session)
    return q.list_staff(clinic.store)


def login(
    clinic: Clinic,
    username: str,
    password: str,
    *,
    new_password: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Session:
    """Check a password (see core.signin: slow-down, lockout, forced change)."""
    return signin.sign_in(clinic, username, password, new_password=new_password, sleep=sleep)


def reauthenticate(
    clinic: Clinic,
    session: Session,
    password: str,
    *,
    purpose: str = "unlock",
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Ask for the password again (unlock, export, break-glass)."""
    signin.reauthenticate(
        clinic, session.staff, password, purpose=purpose, session_id=session.id, sleep=sleep
    )


def logout(clinic: Clinic, session: Session) -> None:
    with clinic.store.transaction():
        q.clear_presence(clinic.store, session.staff.id)
        _audit(clinic, session, "logout", detail={"session": session.id})
    presence_relay.announce(clinic.store.path, session.staff.id, None, None)


# -- access decisions ------------------------------------------------------------
def _decide(
    clinic: Clinic, staff: Staff, facts: ThreadFacts, thread_id: int, now: datetime
) -> Decision:
    grants = aq.grants_to(clinic.store, staff.id)
    bg = aq.break_glass_active(clinic.store, staff.id, thread_id, now)
    return access.decide(staff, facts, grants, now=now, break_glass=bg)


def decision_for(clinic: Clinic, session: Session, thread_id: int) -> Decision:
    facts = aq.thread_facts(clinic.store, thread_id)
    if facts is None:
        raise NotFound(f"There is no conversation number {thread_id}.")
    return _decide(clinic, _fresh(clinic, session), facts, thread_id, _now())


def masked_subject(category: Category) -> str:
    return f"{category.label} message (details hidden)"


_NEUTRAL_REASON = {
    Priority.URGENT: "Urgent: clinical red flag",
    Priority.SAME_DAY: "Same day: needs a clinician today",
    Priority.ROUTINE: "Routine",
    Priority.ADMIN: "Administrative",
}


def neutral_reason(priority: Priority, reason: str | None) -> str | None:
    """What a header-only viewer is told of why a message was triaged: the level, never
    the topic or the patient's words ("Sensitive: HIV", "'ending it all'")."""
    return _NEUTRAL_REASON[priority] if reason else None


def _audit_search(clinic: Clinic, session: Session, where: str, text: str, found: int) -> None:
    """Every search is on the record; the words are sealed (see core/sealed_terms)."""
    from clinic_inbox.core import sealed_terms

    with clinic.store.transaction():
        _audit(
            clinic,
            session,
            "search",
            detail={
                "in": where,
                "terms": sealed_terms.seal(clinic.audit_key, text),
                "results": found,
            },
        )


class _Decider:
    """Decisions for many rows at once, with the grants read once."""

    def __init__(self, clinic: Clinic, staff: Staff) -> None:
        self.staff = staff
        self.now = _now()
        self.grants = aq.grants_to(clinic.store, staff.id)
        self.glass = aq.break_glass_threads(clinic.store, staff.id, self.now)

    def __call__(self, thread_id: int, facts: ThreadFacts) -> Decision:
        return access.decide(
            self.staff, facts, self.grants, now=self.now, break_glass=thread_id in self.glass
        )


def list_messages(
    clinic: Clinic, session: Session, flt: q.MessageFilter | None = None
) -> list[MessageSummary]:
    """Headers for everyone who may see them; subject and snippet only with body access.

    A search matches the contents only of messages the viewer may read; in the others
    only the patient's name (which their header shows) counts. Searches are audited."""
    decide = _Decider(clinic, _fresh(clinic, session))
    flt = flt or q.MessageFilter()
    search = (flt.search or "").strip() or None
    by_name = q.messages_matching_names(clinic.store, search) if search else set()
    out: list[MessageSummary] = []
    offset, size = flt.offset, flt.limit
    while True:
        batch = q.list_messages(clinic.store, dataclasses.replace(flt, offset=offset, limit=size))
        for m in batch:
            facts = ThreadFacts(
                m.thread_category or m.category,
                m.thread_sensitive,
                m.physician_id,
                m.patient_id is not None or m.thread_held,
            )
            d = decide(m.thread_id, facts)
            if not d.header:
                continue
            if search and not d.body and m.id not in by_name:
                continue  # it matched only in words this person may not read
            if not d.body:
                m = dataclasses.replace(m, subject=masked_subject(facts.category), snippet=None)
            out.append(m)
        # Rows dropped above must not shorten a limited search: read on (in growing
        # steps: a word found mostly in hidden contents) until it is full.
        if not search or size is None or len(batch) < size or len(out) >= (flt.limit or 0):
            break
        offset += len(batch)
        size *= 2
    if flt.limit is not None:
        out = out[: flt.limit]
    if search:
        _audit_search(clinic, session, "list", search, len(out))
    return out


@dataclass(frozen=True)
class BoardThread:
    row: q.ThreadRow
    decision: Decision


def board(clinic: Clinic, session: Session, flt: q.ThreadFilter | None = None) -> list[BoardThread]:
    """Conversations this person may see, each with what they may do with it."""
    decide = _Decider(clinic, _fresh(clinic, session))
    search = ((flt.search if flt else None) or "").strip() or None
    rows = q.list_threads(clinic.store, flt)
    by_name = q.threads_matching_names(clinic.store, search) if search else set()
    out = []
    for t in rows:
        known = t.patient_id is not None or t.held_for_review
        facts = ThreadFacts(t.category, t.sensitive, t.physician_id, known)
        d = decide(t.id, facts)
        if not d.header:
            continue
        if search and not d.body and t.id not in by_name:
            continue  # matched only in contents this person may not read
        if not d.body:
            t = dataclasses.replace(t, subject=masked_subject(t.category), snippet=None)
        out.append(BoardThread(t, d))
    if search:
        _audit_search(clinic, session, "board", search, len(out))
    return out


def board_threads(
    clinic: Clinic, session: Session, thread_ids: Iterable[int]
) -> dict[int, BoardThread | None]:
    """The named conversations as `board` shows them, to refresh a few cards after a
    change; None for one that is gone or that this person may no longer see."""
    decide = _Decider(clinic, _fresh(clinic, session))
    out: dict[int, BoardThread | None] = {}
    for tid in thread_ids:
        t = q.get_thread(clinic.store, tid)
        out[tid] = None
        if t is None:
            continue
        facts = ThreadFacts(t.category, t.sensitive, t.physician_id, t.patient_id is not None)
        d = decide(t.id, facts)
        if d.header:
            if not d.body:
                t = dataclasses.replace(t, subject=masked_subject(t.category), snippet=None)
            out[tid] = BoardThread(t, d)
    return out


def list_threads(clinic: Clinic, session: Session, limit: int | None = None) -> list[q.ThreadRow]:
    return [b.row for b in board(clinic, session, q.ThreadFilter(limit=limit))]


def show_thread(
    clinic: Clinic, session: Session, thread_id: int, *, shown: ThreadDetail | None = None
) -> ThreadDetail:
    """The whole conversation as this person may see it; the view is audited. `shown`
    is what is already on their screen: a refresh that shows nothing new (the same
    messages, the same access) records no second view."""
    staff = _fresh(clinic, session)
    with clinic.store.transaction():
        row = q.get_thread(clinic.store, thread_id)
        facts = aq.thread_facts(clinic.store, thread_id)
        if row is None or facts is None:
            raise NotFound(f"There is no conversation number {thread_id}.")
        d = _decide(clinic, staff, facts, thread_id, _now())
        if not d.header:
            raise AccessDenied(d.why_not or "You may not open this conversation.")
        messages = q.thread_messages(clinic.store, thread_id, with_body=d.body)
        if not d.body:
            messages = [
                dataclasses.replace(
                    m,
                    subject=masked_subject(row.category),
                    triage_reason=neutral_reason(m.priority, m.triage_reason),
                )
                for m in messages
            ]
        patient = q.get_patient(clinic.store, row.patient_id) if row.patient_id else None
        seen = (
            shown is not None
            and shown.id == thread_id
            and shown.body_visible == d.body
            and {(m.id, m.body) for m in messages} <= {(m.id, m.body) for m in shown.messages}
        )
        if not seen:
            _audit(
                clinic,
                session,
                "thread.view" if d.body else "thread.view_header",
                patient_id=row.patient_id,
                thread_id=thread_id,
                detail={"messages": [m.id for m in messages], "via": d.via},
            )
    return ThreadDetail(
        id=row.id,
        subject=row.subject if d.body else masked_subject(row.category),
        patient=patient,
        category=row.category,
        priority=row.priority,
        status=row.status,
        assigned_to=row.assigned_to,
        due_at=row.due_at,
        sensitive=row.sensitive,
        messages=tuple(messages),
        access_note=d.as_delegate_note or (d.why_not or None),
        body_visible=d.body,
        can_reply=d.reply,
        filed_at=row.filed_at,
        filed_document_id=row.filed_document_id,
    )


def attachment_data(clinic: Clinic, session: Session, attachment_id: int) -> tuple[str, str, bytes]:
    """(filename, sniffed type, bytes) for the in-app viewer; audited like a view."""
    staff = _fresh(clinic, session)
    with clinic.store.transaction():
        found = q.get_attachment(clinic.store, attachment_id)
        if found is None:
            raise NotFound("That attachment no longer exists.")
        thread_id, patient_id, filename, ctype, data = found
        facts = aq.thread_facts(clinic.store, thread_id)
        assert facts is not None
        d = _decide(clinic, staff, facts, thread_id, _now())
        access.require(d.body, d.why_not or "You may not open this attachment.")
        _audit(
            clinic,
            session,
            "attachment.view",
            patient_id=patient_id,
            thread_id=thread_id,
            detail={"attachment_id": attachment_id},
        )
    return filename, ctype, data


# -- workflow ------------------------------------------------------------------
def _acting(clinic: Clinic, session: Session, thread_id: int) -> tuple[q.ThreadRow, Decision]:
    row = q.get_thread(clinic.store, thread_id)
    facts = aq.thread_facts(clinic.store, thread_id)
    if row is None or facts is None:
        raise NotFound(f"There is no conversation number {thread_id}.")
    d = _decide(clinic, _fresh(clinic, session), facts, thread_id, _now())
    access.require(d.act, d.why_not or "You may not change this conversation.")
    return row, d


def assign(clinic: Clinic, session: Session, thread_id: int, staff_id: int | None) -> None:
    with clinic.store.transaction():
        row, _ = _acting(clinic, session, thread_id)
        if staff_id is not None:
            target = q.get_staff(clinic.store, staff_id)
            if target is None or not target.active:
                raise ValueError("That staff member does not exist or is disabled.")
        q.update_thread(clinic.store, thread_id, assigned_to=staff_id)
        queue_shared(clinic.store, thread_id, "assignee", str(staff_id or ""), session.staff.id)
        _audit(
            clinic,
            session,
            "thread.assign",
            patient_id=row.patient_id,
            thread_id=thread_id,
            detail={"from": row.assigned_to_id, "to": staff_id},
        )


def set_status(clinic: Clinic, session: Session, thread_id: int, status: Status) -> None:
    with clinic.store.transaction():
        row, _ = _acting(clinic, session, thread_id)
        _change_status(clinic, row, status)
        queue_shared(clinic.store, thread_id, "status", status.value, session.staff.id)
        _audit(
            clinic,
            session,
            "thread.status",
            patient_id=row.patient_id,
            thread_id=thread_id,
            detail={"from": row.status.value, "to": status.value},
        )
    if status is Status.DONE:  # the clinic may file every finished exchange at once
        from clinic_inbox.core import autofile

        autofile.after_done(clinic, thread_id, session.staff.id)


def _change_status(clinic: Clinic, row: q.ThreadRow, status: Status) -> None:
    """The new status, with the response clock paused or resumed to match."""
    clock_fields = _clock_on_status_change(clinic, row, status, _now())
    q.update_thread(clinic.store, row.id, status=status, **clock_fields)


def _clock_on_status_change(
    clinic: Clinic, row: q.ThreadRow, status: Status, now: datetime
) -> dict[str, object]:
    """Waiting on the patient pauses the response clock (keeping the working time that
    was left); taking the conversation back up resumes it from there."""
    if status is Status.WAITING and row.status is not Status.WAITING and row.due_at:
        left = clock.working_seconds_between(clinic.config, now, datetime.fromisoformat(row.due_at))
        return {"clock_paused_remaining": left}
    if row.status is Status.WAITING and status in (Status.NEW, Status.IN_PROGRESS):
        left = q.clock_paused_remaining(clinic.store, row.id)
        if left is not None:
            due = clock.resume_due_at(clinic.config, now, left)
            return {"due_at": due.isoformat(timespec="seconds"), "clock_paused_remaining": None}
    return {}


def set_priority(
    clinic: Clinic, session: Session, thread_id: int, priority: Priority, reason: str
) -> None:
    if not reason.strip():
        raise ValueError("Say why the priority changes: it is kept in the record.")
    _check_text(reason, "reason")
    with clinic.store.transaction():
        row, _ = _acting(clinic, session, thread_id)
        q.update_thread(clinic.store, thread_id, priority=priority)
        queue_shared(clinic.store, thread_id, "priority", priority.value, session.staff.id)
        _audit(
            clinic,
            session,
            "thread.priority",
            patient_id=row.patient_id,
            thread_id=thread_id,
            reason=reason.strip(),
            detail={"from": row.priority.value, "to": priority.value},
        )


def mark_sensitive(
    clinic: Clinic, session: Session, thread_id: int, sensitive: bool, reason: str = ""
) -> None:
    with clinic.store.transaction():
        row, d = _acting(clinic, session, thread_id)
        # Lifting the flag is for those who can read the content.
        access.require(
            sensitive or d.body, "Only those allowed to read it can lift the sensitive flag."
        )
        q.update_thread(clinic.store, thread_id, sensitive=sensitive)
        queue_shared(
            clinic.store, thread_id, "sensitive", "true" if sensitive else "false", session.staff.id
        )
        _audit(
            clinic,
            session,
            "thread.sensitive",
            patient_id=row.patient_id,
            thread_id=thread_id,
            reason=reason or None,
            detail={"sensitive": sensitive},
        )


def add_note(clinic: Clinic, session: Session, thread_id: int, text: str) -> int:
    if not text.strip():
        raise ValueError("The note is empty.")
    _check_text(text, "note")
    with clinic.store.transaction():
        row, d = _acting(clinic, session, thread_id)
        access.require(d.body, "Notes are for those who can read the conversation.")
        note_id = q.add_note(clinic.store, thread_id, session.staff.id, text.strip())
        queue_shared(clinic.store, thread_id, "note", str(note_id), session.staff.id)
        _audit(
            clinic,
            session,
            "thread.note",
            patient_id=row.patient_id,
            thread_id=thread_id,
            detail={"note_id": note_id},
        )
    return note_id


def thread_notes(
    clinic: Clinic, session: Session, thread_id: int
) -> list[tuple[int, str, str, str]]:
    """The internal notes of a conversation, for those who may read it (the view of the
    conversation, audited by show_thread, covers them)."""
    d = decision_for(clinic, session, thread_id)
    access.require(d.body, d.why_not or "Notes are for those who can read the conversation.")
    return q.thread_notes(clinic.store, thread_id)


def find_patients(clinic: Clinic, session: Session, text: str) -> list[Patient]:
    """Demographics for linking a message to a chart; every role that acts on messages
    may look patients up. The search is audited (how many were found, not the words)."""
    staff = _fresh(clinic, session)
    access.require(staff.role is not Role.ADMIN, "Administrators do not handle patient messages.")
    found = q.search_patients(clinic.store, text)
    with clinic.store.transaction():
        _audit(clinic, session, "patient.search", detail={"found": len(found)})
    return found


@dataclass(frozen=True)
class LinkResult:
    """What a link did; the CLI and the app say it in words."""

    thread_id: int
    patient_id: int
    addresses_added: int
    # Sender addresses already on another patient's record: not taken, so that patient's
    # future mail still reaches their chart (an address of two patients matches nobody).
    addresses_kept_apart: int
    break_glass: bool
    # Not taken because nothing says the sender is the patient: the conversation claimed
    # to continue another one, or its sender is unverified and nobody confirmed them.
    addresses_withheld: int = 0

    def describe(self) -> str:
        words = f"Conversation {self.thread_id} is now filed under patient {self.patient_id}."
        if self.addresses_added:
            words += " The sender's address will be recognised next time."
        if self.addresses_kept_apart:
            words += (
                " The sender's address already belongs to another patient, so it was not "
                "added to this patient's record: their mail keeps going to their own chart."
            )
        if self.addresses_withheld:
            words += (
                " The sender's address was not added to this patient's record: nothing shows "
                "yet that the patient wrote it (an unconfirmed sender, or a message claiming "
                "to continue another conversation)."
            )
        if self.break_glass:
            words += " This move used break-glass: it is flagged for review."
        return words


def link_patient(
    clinic: Clinic,
    session: Session,
    thread_id: int,
    patient_id: int,
    *,
    remember_sender: bool = True,
) -> LinkResult:
    """File a conversation under a patient (and remember the sender's address).

    A privileged change: it decides who may read the conversation from now on, so the
    policy (access.may_relink) is asked with the conversation as it is and as it would
    be under the new patient. Refusals are audited."""
    staff = _fresh(clinic, session)
    with clinic.store.transaction():
        row = q.get_thread(clinic.store, thread_id)
        facts = aq.thread_facts(clinic.store, thread_id)
        if row is None or facts is None:
            raise NotFound(f"There is no conversation number {thread_id}.")
        target = q.get_patient(clinic.store, patient_id)
        if target is None:
            raise NotFound(f"There is no patient number {patient_id}.")
        now = _now()
        d_now = _decide(clinic, staff, facts, thread_id, now)
        moved = dataclasses.replace(
            facts, physician_id=target.responsible_physician_id, patient_known=True
        )
        d_after = _decide(clinic, staff, moved, thread_id, now)
        allowed, flagged, why = access.may_relink(
            staff,
            d_now,
            d_after,
            facts.physician_id,
            target.responsible_physician_id,
            facts.patient_known,
        )
    if not allowed:
        _refuse(
            clinic,
            session,
            "thread.link_patient.refused",
            why,
            patient_id=patient_id,
            thread_id=thread_id,
            detail={"previous_patient": row.patient_id},
        )
    with clinic.store.transaction():
        if row.patient_id == patient_id:
            return LinkResult(thread_id, patient_id, 0, 0, False)
        take, apart, withheld = [], 0, 0
        # a proxy's or a stranger's address never becomes the patient's own (issue 16:
        # nor one from a conversation that claimed another's, or an unconfirmed sender)
        unproven = row.claims_thread_id is not None or row.sender_unverified
        for address in q.inbound_senders(clinic.store, thread_id) if remember_sender else []:
            owners = set(q.find_patients_by_email(clinic.store, address)) - {patient_id}
            if owners:
                apart += 1
            elif unproven:
                withheld += 1
            else:
                take.append(address)
        q.link_thread_to_patient(
            clinic.store, thread_id, patient_id, remember=take, previous=row.patient_id
        )
        if row.patient_id is not None:
            # the previous patient's own trail shows that the conversation left it
            _audit(
                clinic,
                session,
                "thread.unlink_patient",
                patient_id=row.patient_id,
                thread_id=thread_id,
                reason="break-glass" if flagged else None,
                detail={"to_patient": patient_id},
            )
        _audit(
            clinic,
            session,
            "thread.link_patient",
            patient_id=patient_id,
            thread_id=thread_id,
            reason="break-glass" if flagged else None,
            detail={
                "previous_patient": row.patient_id,
                "addresses_added": len(take),
                "addresses_kept_apart": apart,
                "addresses_withheld": withheld,
                "break_glass": flagged,
            },
        )
    return LinkResult(thread_id, patient_id, len(take), apart, flagged, withheld)


def set_responsible_physician(
    clinic: Clinic, session: Session, patient_id: int, physician_id: int | None
) -> None:
    staff = _fresh(clinic, session)
    with clinic.store.transaction():
        patient = q.get_patient(clinic.store, patient_id)
        if patient is None:
            raise NotFound("That patient does not exist.")
        if physician_id is not None:
            doc = q.get_staff(clinic.store, physician_id)
            if doc is None or doc.role is not Role.PHYSICIAN:
                raise ValueError("The responsible physician must be a physician.")
        allowed = (
            staff.role is Role.ADMIN
            or staff.id == patient.responsible_physician_id
            or (staff.role is not Role.PHYSICIAN and patient.responsible_physician_id is None)
        )
        access.require(allowed, "Only the patient's physician or an administrator can change this.")
        # Like a link, this decides who reads the patient's conversations: it must never
        # open one to the person making the change (a nurse delegated by Dr X giving
        # Dr X a patient whose messages she could not read).
        now = _now()
        for t in q.list_threads(clinic.store, q.ThreadFilter(patient_id=patient_id)):
            facts = aq.thread_facts(clinic.store, t.id)
            assert facts is not None
            moved = dataclasses.replace(facts, physician_id=physician_id)
            if (
                _decide(clinic, staff, moved, t.id, now).body
                and not _decide(clinic, staff, facts, t.id, now).body
            ):
                raise AccessDenied(
                    "This change would let you read this patient's messages, which you cannot "
                    "read now: ask the physician or an administrator to make it."
                )
        aq.set_responsible_physician(clinic.store, patient_id, physician_id)
        _audit(
            clinic,
            session,
            "patient.physician",
            patient_id=patient_id,
            detail={"from": patient.responsible_physician_id, "to": physician_id},
        )


# -- delegation and break-glass ----------------------------------------------------
def grant_delegation(
    clinic: Clinic,
    session: Session,
    *,
    physician: str,
    delegate: str,
    categories: list[Category] | None = None,
    include_sensitive: bool = False,
    can_reply: bool = False,
    can_file: bool = False,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> int:
    me = _fresh(clinic, session)
    with clinic.store.transaction():
        doc_row = q.staff_login_row(clinic.store, physician)
        del_row = q.staff_login_row(clinic.store, delegate)
        if doc_row is None or del_row is None:
            raise NotFound("Both the physician and the delegate must be staff members.")
        doc, dlg = doc_row[0], del_row[0]
        access.require(
            access.can_delegate_for(me, doc), "Only the physician or an administrator can delegate."
        )
        if dlg.role is Role.ADMIN or not dlg.active:
            raise ValueError("Delegate to an active physician, nurse or receptionist.")
        if doc.id == dlg.id:
            raise ValueError("A physician cannot delegate to themselves.")
        start = (starts_at or _now()).astimezone(UTC).isoformat(timespec="seconds")
        end = ends_at.astimezone(UTC).isoformat(timespec="seconds") if ends_at else None
        if end is not None and end <= start:
            raise ValueError("The delegation must end after it starts.")
        did = aq.add_delegation(
            clinic.store,
            physician_id=doc.id,
            delegate_id=dlg.id,
            categories=categories,
            include_sensitive=include_sensitive,
            can_view=True,
            can_reply=can_reply,
            can_file=can_file,
            starts_at=start,
            ends_at=end,
            created_by=me.id,
        )
        # An administrator may set a delegation up for a physician (away, ill), but it
        # opens that physician's patients to someone else: flagged, and shown to the
        # physician in their own list of delegations.
        by_admin = me.id != doc.id
        _audit(
            clinic,
            session,
            "delegation.grant",
            reason="granted by an administrator for the physician" if by_admin else None,
            detail={
                "by_administrator": by_admin,
                "delegation_id": did,
                "physician_id": doc.id,
                "delegate_id": dlg.id,
                "categories": None if categories is None else sorted(c.value for c in categories),
                "sensitive": include_sensitive,
                "reply": can_reply,
                "file": can_file,
                "starts_at": start,
                "ends_at": end,
            },
        )
    return did


def list_delegations(clinic: Clinic, session: Session) -> list[tuple[str, str, Grant]]:
    """(physician name, delegate name, grant) that this person may see: their own as a
    physician, those given to them, or all for an administrator."""
    me = _fresh(clinic, session)
    names = {s.id: s.display_name for s in q.list_staff(clinic.store)}
    out = []
    for delegate_id, g in aq.delegations(clinic.store):
        if me.role is Role.ADMIN or me.id in (g.physician_id, delegate_id):
            out.append((names.get(g.physician_id, "?"), names.get(delegate_id, "?"), g))
    return out


@dataclass(frozen=True)
class DelegationView:
    """One delegation as the delegations list shows it."""

    grant: Grant
    physician: str
    delegate: str
    granted_by: str
    by_administrator: bool  # set up by an administrator, not by the physician


def delegation_views(clinic: Clinic, session: Session) -> list[DelegationView]:
    """Only the delegations this person is concerned by: those of their own inbox, those
    given to them; an administrator sees all. Each says who granted it."""
    me = _fresh(clinic, session)
    staff = {s.id: s for s in q.list_staff(clinic.store)}
    creators = aq.delegation_creators(clinic.store)
    out = []
    for delegate_id, g in aq.delegations(clinic.store):
        if me.role is not Role.ADMIN and me.id not in (g.physician_id, delegate_id):
            continue
        creator = staff.get(creators.get(g.id, -1))
        out.append(
            DelegationView(
                g,
                staff[g.physician_id].username if g.physician_id in staff else "?",
                staff[delegate_id].username if delegate_id in staff else "?",
                creator.username if creator else "?",
                creator is not None and creator.id != g.physician_id,
            )
        )
    return out


def revoke_delegation(clinic: Clinic, session: Session, delegation_id: int) -> None:
    me = _fresh(clinic, session)
    with clinic.store.transaction():
        mine = [g for _, g in aq.delegations(clinic.store) if g.id == delegation_id]
        if not mine:
            raise NotFound("There is no such delegation.")
        doc = q.get_staff(clinic.store, mine[0].physician_id)
        assert doc is not None
        access.require(
            access.can_delegate_for(me, doc), "Only the physician or an administrator can revoke."
        )
        aq.revoke_delegation(clinic.store, delegation_id)
        _audit(clinic, session, "delegation.revoke", detail={"delegation_id": delegation_id})


def break_glass(
    clinic: Clinic,
    session: Session,
    thread_id: int,
    reason: str,
    password: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> datetime:
    """Open a conversation one could not read, for a stated reason; returns when it closes."""
    staff = _fresh(clinic, session)
    access.require(access.can_break_glass(staff), "Only physicians and nurses can use break-glass.")
    if len(reason.strip()) < 10:
        raise ValueError("Give the clinical reason for opening this message (a full sentence).")
    _check_text(reason, "reason")
    reauthenticate(clinic, session, password, purpose="break-glass", sleep=sleep)
    now = _now()
    until = now + timedelta(minutes=BREAK_GLASS_MINUTES)
    with clinic.store.transaction():
        facts = aq.thread_facts(clinic.store, thread_id)
        if facts is None:
            raise NotFound(f"There is no conversation number {thread_id}.")
        row = q.get_thread(clinic.store, thread_id)
        bg = aq.open_break_glass(clinic.store, staff.id, thread_id, reason.strip(), now, until)
        _audit(
            clinic,
            session,
            "break_glass",
            patient_id=row.patient_id if row else None,
            thread_id=thread_id,
            reason=reason.strip(),
            detail={"break_glass_id": bg, "until": until.isoformat(timespec="seconds")},
        )
    return until


def break_glass_review(clinic: Clinic, session: Session) -> list[tuple]:
    staff = _fresh(clinic, session)
    if staff.role is Role.ADMIN:
        return aq.break_glass_review(clinic.store)
    access.require(
        staff.role is Role.PHYSICIAN, "The break-glass review is for physicians and administrators."
    )
    return aq.break_glass_review(clinic.store, staff.id)


# -- accounts ------------------------------------------------------------------
def add_imap_account(clinic: Clinic, session: Session, account: ImapAccount, password: str) -> int:
    """Settings into the store, the password into the keyring, one audit entry."""
    access.require(
        access.can_manage_settings(_fresh(clinic, session)),
        "Only an administrator can add mail accounts.",
    )
    account.validate()
    if clinic.credentials is None:
        raise AccessDenied("No keyring is available for account passwords.")
    with clinic.store.transaction():
        account_id = accounts.add_imap_account(clinic.store, account)
        clinic.credentials.set(account.name, password)
        _audit(clinic, session, "account.create", detail={"account_id": account_id, "kind": "imap"})
    return account_id


# -- replies -------------------------------------------------------------------
def queue_reply(
    clinic: Clinic, session: Session, thread_id: int, body: str, consent_reason: str | None = None
) -> int:
    """Write a reply to the patient; it waits in the outbox until the network takes it.
    By email only with the patient's agreement, or a reason staff give (recorded)."""
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

            return services_compose.continue_thread(clinic, session, row, d, body)
        if last is not None and last.source == "portal":
            return _queue_portal_reply(clinic, session, row, d, last, body)
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
        signed = f"{body.rstrip()}\n\n{_signature(clinic, session, d)}\n"
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
    with clinic.store.transaction():
        row, d = _acting(clinic, session, thread_id)
        note = f"Moved to {what}" + (f": {reason.strip()}" if reason.strip() else ".")
        q.add_note(clinic.store, thread_id, session.staff.id, note)
        if tell_patient:
            patient = q.get_patient(clinic.store, row.patient_id) if row.patient_id else None
            # in the language of the patient's latest words (the thread's snippet)
            lang = detect_language(row.snippet or "", clinic.config.languages)
            _, body = outgoing.render_template(
                template,
                outgoing.standard_fields(
                    clinic.config, patient.given_name if patient else "", lang
                ),
                lang,
            )
            # a standard letter asking to call or book carries no clinical advice: it
            # may go to a patient without an email agreement (recorded), never to one
            # who opted out
            queue_reply(
                clinic,
                session,
                thread_id,
                body.strip(),
                consent_reason=f"standard letter ({template})",
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


def _signature(clinic: Clinic, session: Session, d: Decision) -> str:
    me = session.staff.display_name
    if d.delegate_of:
        return f"Sent by {me} on behalf of {d.delegate_of}\n{clinic.config.name}"
    return f"{me}\n{clinic.config.name}"


def _queue_portal_reply(
    clinic: Clinic, session: Session, row: q.ThreadRow, d: Decision, last: sq.LastInbound, body: str
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
    signed = f"{body.rstrip()}\n\n{_signature(clinic, session, d)}\n"
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


def add_fhir_account(
    clinic: Clinic, session: Session, account: accounts.FhirAccount, token: str | None
) -> int:
    access.require(
        access.can_manage_settings(_fresh(clinic, session)),
        "Only an administrator can add portal accounts.",
    )
    account.validate()
    with clinic.store.transaction():
        account_id = accounts.add_fhir_account(clinic.store, account)
        if token:
            if clinic.credentials is None:
                raise AccessDenied("No keyring is available for the portal token.")
            clinic.credentials.set(account.name, token)
        _audit(clinic, session, "account.create", detail={"account_id": account_id, "kind": "fhir"})
    return account_id


# -- filing to the chart -------------------------------------------------------------
def export_thread(
    clinic: Clinic,
    session: Session,
    thread_id: int,
    *,
    formats: tuple[str, ...],
    out_dir: Path,
    password: str,
    include_notes: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> filing.FiledDocument:
    """File a conversation to the chart. The password is asked again first."""
    bad = [f for f in formats if f not in filing.FORMATS]
    if bad or not formats:
        raise ValueError(f"Choose formats among {', '.join(filing.FORMATS)}.")
    reauthenticate(clinic, session, password, purpose="export", sleep=sleep)
    row, d = _acting(clinic, session, thread_id)
    access.require(
        d.body and d.file, d.why_not or "You may not file this conversation to the chart."
    )
    _require_confirmed_sender(clinic, thread_id)
    previous = eq.last_export(clinic.store, thread_id)
    version = previous.version + 1 if previous else 1
    doc = filing.build_document(
        clinic,
        thread_id,
        exported_by=session.staff.display_name,
        include_notes=include_notes,
        version=version,
        replaces=previous.document_id if previous else None,
    )
    paths, bundle = filing.render_and_write(doc, formats, out_dir)
    try:
        with clinic.store.transaction():
            eq.record_export(
                clinic.store,
                thread_id=thread_id,
                version=version,
                document_id=doc.document_id,
                replaces=doc.replaces_document_id,
                formats=",".join(formats),
                content_hash=doc.content_sha256(),
                exported_by=session.staff.id,
                exported_at=doc.exported_at.isoformat(timespec="seconds"),
                destination=str(out_dir),
            )
            q.update_thread(
                clinic.store,
                thread_id,
                filed_at=doc.exported_at.isoformat(timespec="seconds"),
                filed_document_id=doc.document_id,
            )
            _audit(
                clinic,
                session,
                "export",
                patient_id=row.patient_id,
                thread_id=thread_id,
                detail={
                    "document_id": doc.document_id,
                    "version": version,
                    "formats": list(formats),
                    "notes": include_notes,
                },
            )
    except BaseException:
        for p in paths:
            p.unlink(missing_ok=True)
        raise
    return filing.FiledDocument(
        thread_id,
        doc.document_id,
        version,
        doc.replaces_document_id,
        tuple(paths),
        doc.content_sha256(),
        bundle,
    )


# -- sender checks -------------------------------------------------------------
SENDER_NOT_VERIFIED = (
    "This conversation holds email whose sender is not verified: nothing proves it came "
    "from the patient. Confirm the sender first (for example by phoning the patient), "
    "then file it to the chart."
)


def _require_confirmed_sender(clinic: Clinic, thread_id: int) -> None:
    if clinic.config.require_verified_sender and sq.thread_sender_unverified(
        clinic.store, thread_id
    ):
        raise AccessDenied(SENDER_NOT_VERIFIED)


def confirm_sender(clinic: Clinic, session: Session, thread_id: int, how: str) -> None:
    """A person confirms who sent the conversation's unverified email (they phoned the
    patient, saw them at the desk). Linking it to a chart stays a separate step."""
    if len(how.strip()) < 10:
        raise ValueError("Say how you confirmed the sender (a full sentence): it is kept.")
    with clinic.store.transaction():
        row, d = _acting(clinic, session, thread_id)
        # like linking, a statement about who wrote: for those who may read what was written
        access.require(d.body, "Only those who may read this conversation can confirm its sender.")
        if not sq.thread_sender_unverified(clinic.store, thread_id):
            raise ValueError("Every sender in this conversation is already verified.")
        confirmed = sq.confirm_thread_senders(clinic.store, thread_id)
        _audit(
            clinic,
            session,
            "thread.sender_confirmed",
            patient_id=row.patient_id,
            thread_id=thread_id,
            reason=how.strip(),
            detail={"messages": confirmed, "suggested_patient": row.suggested_patient_id},
        )


# -- presence ------------------------------------------------------------------
PRESENCE_WINDOW = timedelta(minutes=3)


def mark_presence(clinic: Clinic, session: Session, thread_id: int, activity: str) -> None:
    """Say that this person has the conversation open ("viewing") or is writing ("replying")."""
    if activity not in ("viewing", "replying"):
        raise ValueError("activity is viewing or replying")
    with clinic.store.transaction():
        q.clear_presence(clinic.store, session.staff.id)
        q.set_presence(clinic.store, thread_id, session.staff.id, activity)
    # the other workstations hear it through the shared server, when there is one
    presence_relay.announce(clinic.store.path, session.staff.id, thread_id, activity)


def others_on_thread(clinic: Clinic, session: Session, thread_id: int) -> list[tuple[str, str]]:
    """Who else has this conversation open, or is replying, in the last few minutes:
    here, and on the clinic's other workstations."""
    since = (_now() - PRESENCE_WINDOW).isoformat(timespec="seconds")
    found = {
        sid: (name, act)
        for sid, name, act in q.presence(clinic.store, thread_id, since)
        if sid != session.staff.id
    }
    elsewhere = presence_relay.remote_others(clinic.store.path, thread_id, session.staff.id)
    for sid, act in elsewhere:
        person = q.get_staff(clinic.store, sid) if sid is not None else None
        name = person.display_name if person else "someone on another workstation"
        if sid is None or sid not in found or act == "replying":
            found[sid if sid is not None else -len(found) - 1] = (name, act)
    return list(found.values())


# -- the store as a whole: backup, restore, health, audit -------------------------------
def backup_store(
    clinic: Clinic, session: Session, dest: Path, passphrase: str | None = None
) -> BackupInfo:
    """A full, verified copy of the store: an administrator's act. A refusal is audited."""
    from clinic_inbox.core.backup import write_backup

    staff = check_backup_allowed(clinic, session, dest, passphrase is not None)
    return write_backup(clinic, dest, passphrase=passphrase, actor=(staff.id, staff.username))


def check_backup_allowed(
    clinic: Clinic, session: Session, dest: Path, with_passphrase: bool
) -> Staff:
    """Refuse (and audit the attempt) unless an administrator asks."""
    staff = _fresh(clinic, session)
    if not access.can_copy_store(staff):
        _refuse(
            clinic,
            session,
            "backup.refused",
            "Only an administrator may make a backup of the clinic's store: it holds every "
            "patient's messages. Ask your administrator.",
            detail={"file": Path(dest).name, "passphrase": with_passphrase},
        )
    return staff


def restore_sign_in(
    username: str, password: str, *, backup_name: str, replaced_damaged: bool
) -> Callable[[Clinic], None]:
    """The check a restore runs on the store it has just put in place, before keeping it:
    the person signs in as an administrator of that store (its staff are the backup's),
    and the restore is written into its audit trail. Any failure undoes the restore."""

    def check(clinic: Clinic) -> None:
        session = login(clinic, username, password)
        staff = _fresh(clinic, session)
        access.require(
            access.can_copy_store(staff),
            "Only an administrator may restore a backup: nothing was restored.",
        )
        with clinic.store.transaction():
            _audit(
                clinic,
                session,
                "restore",
                detail={"backup": backup_name, "replaced_damaged_store": replaced_damaged},
            )

    # a clinic whose key is released to staff opens through this person's key slot
    check.release = lambda home, custody: key_slots.release(home, custody, username, password)  # type: ignore[attr-defined]
    return check


def refuse_replacing_sound_store(clinic: Clinic, session: Session | None, backup_name: str) -> None:
    """`restore --replace-damaged` on a store that opens and whose pages check out: that
    would only roll the clinic (and its audit trail) back. Refused and audited."""
    _refuse(
        clinic,
        session,
        "restore.refused",
        "The clinic's store is not damaged: it opens and every page checks out, so it was "
        "not replaced. --replace-damaged is only for a store that cannot be read.",
        detail={"backup": backup_name},
    )


@dataclass(frozen=True)
class StoreHealth:
    cipher_version: str
    custody: str
    schema_version: int
    problems: list[str]
    # (staff, patients, messages): for administrators only, None for everyone else
    counts: tuple[int, int, int] | None


def store_health(clinic: Clinic, session: Session) -> StoreHealth:
    """What `doctor` shows. Any signed-in person may check that the store is sound and
    how its key is kept (nothing of it is secret); the counts are the administrator's."""
    staff = _fresh(clinic, session)
    counts = None
    if access.can_see_store_counts(staff):
        counts = (
            q.staff_count(clinic.store),
            q.patient_count(clinic.store),
            q.message_count(clinic.store),
        )
    return StoreHealth(
        clinic.store.cipher_version(),
        clinic.custody.describe(),
        clinic.store.schema_version(),
        clinic.store.integrity_check(),
        counts,
    )


def verify_audit(
    clinic: Clinic,
    session: Session,
    sinks: Sequence[AnchorSink] = (),
    why_no_sink: str | None = None,
) -> AuditReport:
    """Check the audit chain and compare it with its counter and anchors kept outside
    the store (core.audit_check; physicians and administrators); the check is recorded."""
    access.require(
        access.can_read_audit(_fresh(clinic, session)),
        "Checking the audit trail is for physicians and administrators.",
    )
    result = full_check(clinic, list(sinks), why_no_sink)
    with clinic.store.transaction():
        _audit(clinic, session, "audit.verify", detail={"ok": result.ok, "checked": result.checked})
    return result


def export_audit(
    clinic: Clinic,
    session: Session,
    *,
    patient_id: int | None = None,
    since: str | None = None,
    until: str | None = None,
) -> list[audit.AuditEntry]:
    """The audit entries for an export, read and recorded in one transaction. Search
    terms stay sealed in them (see core/sealed_terms)."""
    access.require(
        access.can_export_audit(_fresh(clinic, session)),
        "Only an administrator (privacy officer) can export the audit trail.",
    )
    with clinic.store.transaction():
        rows = audit.entries(clinic.store, patient_id=patient_id, since=since, until=until)
        _audit(
            clinic,
            session,
            "audit.export",
            patient_id=patient_id,
            detail={"rows": len(rows), "since": since, "until": until},
        )
    return rows


def audit_trail(
    clinic: Clinic, session: Session, *, patient_id: int | None = None
) -> list[audit.AuditEntry]:
    """The audit screen of the app (administrators): the same rule as the export; the
    viewing is recorded (who looked at which patient's trail)."""
    access.require(
        access.can_export_audit(_fresh(clinic, session)),
        "Only an administrator (privacy officer) can read the audit trail.",
    )
    with clinic.store.transaction():
        rows = audit.entries(clinic.store, patient_id=patient_id)
        _audit(clinic, session, "audit.view", patient_id=patient_id, detail={"rows": len(rows)})
    return rows


def reveal_search_terms(clinic: Clinic, session: Session, entry_id: int) -> str:
    """Unseal the words of one audited search, for an investigation; itself audited."""
    from clinic_inbox.core import sealed_terms

    access.require(
        access.can_export_audit(_fresh(clinic, session)),
        "Only an administrator (privacy officer) can read the words of a search.",
    )
    with clinic.store.transaction():
        found = [e for e in audit.entries(clinic.store) if e.id == entry_id]
        if not found or found[0].action != "search":
            raise NotFound(f"Audit entry {entry_id} is not a search.")
        words = sealed_terms.unseal(clinic.audit_key, str(found[0].detail.get("terms", "")))
        _audit(clinic, session, "audit.reveal_search", detail={"entry": entry_id})
    return words


def list_accounts(clinic: Clinic, session: Session) -> list[tuple[int, str, str, dict]]:
    """Mail and portal accounts (server names and user names): the administrator's."""
    access.require(
        access.can_manage_settings(_fresh(clinic, session)),
        "Only an administrator can list the mail and portal accounts.",
    )
    return accounts.all_accounts(clinic.store)
