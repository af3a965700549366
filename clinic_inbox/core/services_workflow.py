"""Working a conversation: assign, status, priority, sensitive, notes, and filing it
under a patient (with its physician)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from clinic_inbox.core import access, clock, numbers
from clinic_inbox.core.access import AccessDenied, Decision
from clinic_inbox.core.changes import Changes, note
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Patient, Priority, Role, Status
from clinic_inbox.core.services_common import NotFound, _audit, _check_text, _fresh, _now, _refuse
from clinic_inbox.core.services_reading import _decide, decision_for
from clinic_inbox.core.shared_ops import record as queue_shared
from clinic_inbox.core.signin import Session
from clinic_inbox.core.store import access_queries as aq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq


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
        if row.assigned_to_id != staff_id:
            note(clinic.store, Changes.of(thread_id))
        queue_shared(clinic.store, thread_id, "assignee", str(staff_id or ""), session.staff.id)
        _audit(
            clinic,
            session,
            "thread.assign",
            patient_id=row.patient_id,
            thread_id=thread_id,
            detail={"from": row.assigned_to_id, "to": staff_id},
        )


def set_status(
    clinic: Clinic, session: Session, thread_id: int, status: Status, *, file_on_done: bool = True
) -> None:
    """The new status. Done also files to the chart when the clinic asks for it, unless
    the caller files it itself afterwards (the app: after the card is repainted)."""
    with clinic.store.transaction():
        row, _ = _acting(clinic, session, thread_id)
        _change_status(clinic, row, status)
        if row.status is not status:
            note(clinic.store, Changes.of(thread_id))
        queue_shared(clinic.store, thread_id, "status", status.value, session.staff.id)
        _audit(
            clinic,
            session,
            "thread.status",
            patient_id=row.patient_id,
            thread_id=thread_id,
            detail={"from": row.status.value, "to": status.value},
        )
    if status is Status.DONE and file_on_done:  # the clinic may file every finished exchange
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
        if row.priority is not priority:
            note(clinic.store, Changes.of(thread_id))
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
        if row.sensitive != sensitive:
            note(clinic.store, Changes.of(thread_id))
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


def send_note_again(clinic: Clinic, session: Session, thread_id: int, note_id: int) -> None:
    """A note of this person's that the clinic's server refused (their account was turned
    off there), sent again as it was written: the same words and time, one note."""
    with clinic.store.transaction():
        row, d = _acting(clinic, session, thread_id)
        access.require(d.body, "Notes are for those who can read the conversation.")
        found = shq.note_row(clinic.store, note_id)
        if found is None or found[0] != thread_id:
            raise NotFound("That note is no longer on this computer.")
        if found[1] != session.staff.id:
            raise AccessDenied("Only the person who wrote a note can send it again.")
        queue_shared(clinic.store, thread_id, "note", str(note_id), session.staff.id)
        _audit(
            clinic,
            session,
            "thread.note_sent_again",
            patient_id=row.patient_id,
            thread_id=thread_id,
            detail={"note_id": note_id},
        )


def add_note(clinic: Clinic, session: Session, thread_id: int, text: str) -> int:
    if not text.strip():
        raise ValueError("The note is empty.")
    _check_text(text, "note")
    with clinic.store.transaction():
        row, d = _acting(clinic, session, thread_id)
        access.require(d.body, "Notes are for those who can read the conversation.")
        note_id = q.add_note(clinic.store, thread_id, session.staff.id, text.strip())
        note(clinic.store, Changes.of(thread_id))
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
    # the conversation's number as people read it ("#7": the clinic's, with a server)
    number: str = ""

    def describe(self) -> str:
        said = self.number or f"#{self.thread_id}"
        words = f"Conversation {said} is now filed under patient {self.patient_id}."
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
            return LinkResult(
                thread_id, patient_id, 0, 0, False, number=numbers.label_of(clinic.store, thread_id)
            )
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
        note(clinic.store, Changes.of(thread_id))
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
        said = numbers.label_of(clinic.store, thread_id)
    return LinkResult(thread_id, patient_id, len(take), apart, flagged, withheld, said)


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
        moving = q.list_threads(clinic.store, q.ThreadFilter(patient_id=patient_id))
        for t in moving:
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
        if patient.responsible_physician_id != physician_id:
            # who may read the patient's conversations: each card's decision may differ
            note(clinic.store, Changes.of_threads(t.id for t in moving))
        _audit(
            clinic,
            session,
            "patient.physician",
            patient_id=patient_id,
            detail={"from": patient.responsible_physician_id, "to": physician_id},
        )


def staff_id_named(clinic: Clinic, session: Session, username: str) -> int:
    """The staff member with that user name (to name a responsible physician by it)."""
    _fresh(clinic, session)
    row = q.staff_login_row(clinic.store, username)
    if row is None:
        raise NotFound(f"There is no staff member {username!r}.")
    return row[0].id
