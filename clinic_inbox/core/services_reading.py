"""Reading conversations: the access decision for each, the board, one conversation
shown (and audited), attachments."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from clinic_inbox.core import access, numbers
from clinic_inbox.core.access import AccessDenied, Decision, ThreadFacts
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Category, MessageSummary, Priority, Staff, ThreadDetail
from clinic_inbox.core.services_common import Joined, NotFound, _audit, _fresh, _now
from clinic_inbox.core.signin import Session
from clinic_inbox.core.store import access_queries as aq
from clinic_inbox.core.store import fold_queries as fq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store.queries import MessageFilter


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
    clinic: Clinic, session: Session, flt: MessageFilter | None = None
) -> list[MessageSummary]:
    """Headers for everyone who may see them; subject and snippet only with body access.

    A search matches the contents only of messages the viewer may read; in the others
    only the patient's name (which their header shows) counts. Searches are audited."""
    decide = _Decider(clinic, _fresh(clinic, session))
    flt = flt or MessageFilter()
    search = (flt.search or "").strip() or None
    by_name = q.messages_matching_names(clinic.store, search) if search else set()
    out: list[MessageSummary] = []
    # "#7" or "7": the messages of the conversation people call 7 come first
    by_number = _numbered(clinic, search)
    if by_number is not None and flt.offset == 0:
        number_flt = dataclasses.replace(flt, search=None, thread_id=by_number, offset=0)
        for m in q.list_messages(clinic.store, number_flt):
            facts = ThreadFacts(
                m.thread_category or m.category,
                m.thread_sensitive,
                m.physician_id,
                m.patient_id is not None or m.thread_held,
            )
            d = decide(m.thread_id, facts)
            if d.header:
                by_name.add(m.id)  # its number is on every header they see
                out.append(
                    m
                    if d.body
                    else dataclasses.replace(
                        m, subject=masked_subject(facts.category), snippet=None
                    )
                )
    numbered = {m.id for m in out}
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
            if not d.header or m.id in numbered:
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
    number: str = ""  # as people read it: the clinic's number with a shared server


def _numbered(clinic: Clinic, search: str | None) -> int | None:
    """The conversation a search names by its number ("#7", "7"), if there is one."""
    n = numbers.typed_number(search)
    return None if n is None else numbers.find(clinic.store, n)


def board(clinic: Clinic, session: Session, flt: q.ThreadFilter | None = None) -> list[BoardThread]:
    """Conversations this person may see, each with what they may do with it. A search
    for a number alone ("#7", "7") finds the conversation of that number first."""
    decide = _Decider(clinic, _fresh(clinic, session))
    search = ((flt.search if flt else None) or "").strip() or None
    rows = q.list_threads(clinic.store, flt)
    by_name = q.threads_matching_names(clinic.store, search) if search else set()
    by_number = _numbered(clinic, search)
    if by_number is not None:
        found = q.get_thread(clinic.store, by_number)
        rows = ([found] if found else []) + [t for t in rows if t.id != by_number]
        by_name.add(by_number)  # the number is on every card they may see
    is_shared = numbers.shared(clinic.store)
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
        out.append(BoardThread(t, d, numbers.label(t.id, t.shared_number, is_shared)))
    if search:
        _audit_search(clinic, session, "board", search, len(out))
    return out


def board_threads(
    clinic: Clinic, session: Session, thread_ids: Iterable[int]
) -> dict[int, BoardThread | None]:
    """The named conversations as `board` shows them, to refresh a few cards after a
    change; None for one that is gone or that this person may no longer see."""
    decide = _Decider(clinic, _fresh(clinic, session))
    is_shared = numbers.shared(clinic.store)
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
            out[tid] = BoardThread(t, d, numbers.label(t.id, t.shared_number, is_shared))
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
            into = fq.folded_into(clinic.store, {thread_id}).get(thread_id)
            if into is not None:  # the caller may open that one (its own access decision)
                is_shared = numbers.shared(clinic.store)
                kept = q.get_thread(clinic.store, into)
                raise Joined(
                    thread_id,
                    into,
                    numbers.label(thread_id, None, is_shared),  # never numbered by the server
                    numbers.label(into, kept.shared_number if kept else None, is_shared),
                )
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
        can_act=d.act,
        can_file=d.body and d.file,
        can_break_glass=not d.body and access.can_break_glass(staff),
        number=numbers.label(row.id, row.shared_number, numbers.shared(clinic.store)),
        held_reply=row.has_held_reply,
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


def clinic_number(clinic: Clinic, session: Session, thread_id: int) -> int | None:
    """The conversation's clinic-wide number (with a shared server, every workstation
    shows the same one), for those who may see the conversation at all."""
    from clinic_inbox.core.store.shared_patient_queries import shared_number

    d = decision_for(clinic, session, thread_id)
    access.require(d.header, d.why_not or "You may not open this conversation.")
    return shared_number(clinic.store, thread_id)


def numbers_shared(clinic: Clinic) -> bool:
    """Whether conversations carry the clinic's numbers here (a shared server)."""
    return numbers.shared(clinic.store)


number_label = numbers.label  # "#7": what the list and the cards print


@dataclass(frozen=True)
class SeenAs:
    """A conversation's number as people read it on this workstation."""

    label: str  # "#7"; "#12 (this computer)" for one the server has not numbered yet
    number: int  # for --json: the clinic's number when it has one, else the local one
    clinic_number: int | None  # the clinic's number (None alone or not numbered yet)


def seen_as(clinic: Clinic, session: Session, thread_ids: Iterable[int]) -> dict[int, SeenAs]:
    """How people read these conversations' numbers, for a command to print after
    acting on them. Numbers only, no patient data: the person's account must still be
    current, no more (an administrator reviewing break-glass openings reads them too)."""
    from clinic_inbox.core.store.shared_patient_queries import shared_number

    _fresh(clinic, session)
    is_shared = numbers.shared(clinic.store)
    out = {}
    for tid in dict.fromkeys(thread_ids):
        mine = shared_number(clinic.store, tid) if is_shared else None
        out[tid] = SeenAs(
            numbers.label(tid, mine, is_shared), numbers.shown(tid, mine, is_shared), mine
        )
    return out
