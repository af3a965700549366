"""Conflicts: changes this workstation made that the server did not apply because
someone else's reached it first. The person sees what was kept, by whom and when,
and may apply theirs anyway: that is simply their change made again, now on top of
the value they have seen (so it goes through the same access check, audit entry and
queue as any change)."""

from __future__ import annotations

from dataclasses import dataclass

from clinic_inbox.core import access, audit, services
from clinic_inbox.core.changes import Outcome, run
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Priority, Status
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_patient_queries as spq
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import (
    SharedQueueError,
    conflict_settle,
    patient_conflicts,
    refusals,
    staff_conflicts,
)
from clinic_inbox.shared.push import NEW_MESSAGE


def open_conflicts(clinic: Clinic, session: services.Session) -> list[shq.Conflict]:
    """This person's conflicts not yet settled; the changes the server refused are the
    administrators' to see too (a turned-off account never signs in to see its own)."""
    admin = access.can_manage_staff(session.staff)
    return [
        c
        for c in shq.conflicts(clinic.store)
        if not c.seen
        and (
            c.actor_id is None
            or c.actor_id == session.staff.id
            or (admin and refusals.code_of(c.their_by) is not None)
        )
    ]


def apply_anyway(clinic: Clinic, session: services.Session, op_id: str, reason: str = "") -> None:
    found = [c for c in shq.conflicts(clinic.store) if c.op_id == op_id]
    if not found or found[0].seen:
        raise SharedQueueError("There is no open conflict with that number.")
    c = found[0]
    refused = conflict_settle.why_not_again(c, session.staff.id)
    if refused:
        raise SharedQueueError(refused)
    if c.field == "status":
        services.set_status(clinic, session, c.thread_id, Status(c.mine))
    elif c.field == "priority":
        services.set_priority(
            clinic,
            session,
            c.thread_id,
            Priority(c.mine),
            reason or "applied again after a conflict",
        )
    elif c.field == "sensitive":
        services.mark_sensitive(clinic, session, c.thread_id, c.mine == "true", reason)
    elif c.field == "assignee":
        row = q.staff_login_row(clinic.store, c.mine) if c.mine else None
        services.assign(clinic, session, c.thread_id, row[0].id if row else None)
    elif c.field == "note":
        # a refused note (a note is never beaten by another): the same note sent again
        services.send_note_again(clinic, session, c.thread_id, int(c.mine))
    elif c.field == "patient":
        # filed again under the person's patient: the same access check as any link
        if c.mine:
            pid = spq.patient_by_uuid(clinic.store, c.mine)
            if pid is None:
                raise SharedQueueError("That patient is not on this computer any more.")
            services.link_patient(clinic, session, c.thread_id, pid)
        else:
            from clinic_inbox.core.services_patients import unlink_patient

            unlink_patient(clinic, session, c.thread_id, forget_sender=False)
    else:
        raise SharedQueueError(f"A {c.field} change cannot be applied again.")
    dismiss(clinic, session, op_id)


def dismiss(clinic: Clinic, session: services.Session, op_id: str) -> None:
    """The person has seen it and keeps what the server has (audited: a decision)."""
    found = [c for c in shq.conflicts(clinic.store) if c.op_id == op_id]
    with clinic.store.transaction():
        shq.mark_conflict_seen(clinic.store, op_id)
        audit.append(
            clinic.store,
            clinic.audit_key,
            session.staff.id,
            session.staff.username,
            "shared.conflict_kept_theirs",
            thread_id=found[0].thread_id if found else None,
            detail={"conflict": op_id, "field": found[0].field if found else None},
        )


# -- for the app (run on its writer thread; each returns what changed) ---------------------
@dataclass(frozen=True)
class Shown:
    """One conflict in words a receptionist understands."""

    op_id: str
    thread_id: int
    conversation: str  # its subject, or what this person may see of it
    what: str  # "Status", "Assigned to"...
    yours: str
    theirs: str
    who: str  # who made the change that was kept
    when: str | None
    number: str = ""  # the conversation's number as people see it ("#7")
    patient_id: int | None = None  # an edit of this patient's record, not a conversation
    # refused by a check on the clinic's server (not beaten by another change): why,
    # in plain words ("the account of Mei Chen is turned off on the clinic's server")
    refused: str = ""
    # whether this person may make their change again from the card: an administrator
    # sees others' refused changes to know of them, not to make them as their own
    can_apply: bool = True


FIELD_WORDS = {
    "status": "Status",
    "assignee": "Assigned to",
    "priority": "Priority",
    "sensitive": "Sensitive",
    "patient": "Patient",
    "note": "Note",
}


def _words(clinic: Clinic, f: str, value: str) -> str:
    if f == "note":
        return "Your note" if value else "No note"
    if f == "status":
        return Status(value).label if value else "?"
    if f == "priority":
        return Priority(value).label if value else "?"
    if f == "sensitive":
        return "Marked sensitive" if value == "true" else "Not sensitive"
    if f == "patient":
        pid = spq.patient_by_uuid(clinic.store, value) if value else None
        p = q.get_patient(clinic.store, pid) if pid is not None else None
        if p is None:
            return "No patient" if not value else "a patient not known on this computer"
        born = f", born {p.birth_date}" if p.birth_date else ""
        return f"{p.family_name}, {p.given_name}{born}"
    if f == "assignee":
        row = q.staff_login_row(clinic.store, value) if value and value != "?" else None
        if row is not None:
            return row[0].display_name
        return "Nobody (team pool)" if not value else "someone not known on this computer"
    return value


def _person(clinic: Clinic, username: str | None) -> str:
    if refusals.code_of(username) is not None:
        return "the clinic's server"
    if username == NEW_MESSAGE:
        # read in the card as "What the patient's new message did (kept)": it reopened it
        return "the patient's new message"
    row = q.staff_login_row(clinic.store, username) if username else None
    return row[0].display_name if row else "Someone on another workstation"


def _refused(clinic: Clinic, their_by: str | None, actor_id: int | None) -> str:
    """Why the clinic's server refused a change, in words naming its author; "" for a
    change another one beat."""
    code = refusals.code_of(their_by)
    if code is None:
        return ""
    author = q.get_staff(clinic.store, actor_id) if actor_id is not None else None
    return refusals.words(code, author.display_name if author else "this user")


def shown(clinic: Clinic, session: services.Session) -> Outcome:
    """This person's open conflicts, in words, for the conflict screen."""
    rows = open_conflicts(clinic, session)
    cards = services.board_threads(clinic, session, {c.thread_id for c in rows})
    out = []
    for c in rows:
        card = cards.get(c.thread_id)
        out.append(
            Shown(
                c.op_id,
                c.thread_id,
                card.row.subject if card is not None else "a conversation you may not see",
                FIELD_WORDS.get(c.field, c.field),
                _words(clinic, c.field, c.mine),
                _words(clinic, c.field, c.theirs),
                _person(clinic, c.their_by),
                c.their_at,
                card.number if card is not None else "",
                refused=_refused(clinic, c.their_by, c.actor_id),
                can_apply=not conflict_settle.why_not_again(c, session.staff.id),
            )
        )
    out += patient_conflicts.shown(clinic, session)
    out += staff_conflicts.shown(clinic, session)
    return Outcome(out)


def settle(clinic: Clinic, session: services.Session, op_id: str, mine: bool) -> Outcome:
    """The person's choice on one conflict: theirs stays (`mine` False) or theirs is
    replaced by the person's own change, made again (`mine` True)."""
    # what changed is what the services making the change again report (theirs kept:
    # nothing on the board changes)
    if patient_conflicts.is_one(clinic, op_id):
        return Outcome(*run(patient_conflicts.settle, clinic, session, op_id, mine))
    if staff_conflicts.is_one(clinic, op_id):
        return Outcome(*run(staff_conflicts.settle, clinic, session, op_id, mine))
    return Outcome(*run(apply_anyway if mine else dismiss, clinic, session, op_id))
