"""Cover for absences: a physician away (from, to) and the colleague who covers.

Marking the absence creates the cover's delegation for exactly those dates (all
categories, reply and file; sensitive messages stay with the physician), audited
in the same transaction. While it runs, every sync hands the absent physician's
open conversations (theirs or nobody's) to the cover, each handover audited; at
its end date the delegation lapses by itself and nothing more is forwarded. An
absence without cover is allowed, and the board warns which patients wait.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from clinic_inbox.core import access, audit
from clinic_inbox.core import services as sv
from clinic_inbox.core.changes import Changes, note
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Role
from clinic_inbox.core.shared_ops import record as record_shared
from clinic_inbox.core.signin import Session
from clinic_inbox.core.store import cover_queries as cv
from clinic_inbox.core.store import queries as q


def _staff(clinic: Clinic, username: str):  # noqa: ANN202 - Staff
    row = q.staff_login_row(clinic.store, username)
    if row is None:
        raise sv.NotFound(f"There is no staff member called {username}.")
    return row[0]


def _stamp(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("The dates need a time zone.")
    return at.astimezone(UTC).isoformat(timespec="seconds")


def mark_away(
    clinic: Clinic,
    session: Session,
    *,
    physician: str,
    starts_at: datetime,
    ends_at: datetime,
    cover: str | None,
) -> int:
    """The physician (or an administrator for them) marks an absence; returns its id."""
    me = sv._fresh(clinic, session)
    doc = _staff(clinic, physician)
    access.require(
        access.can_delegate_for(me, doc),
        "Only the physician, or an administrator for them, can mark a physician away.",
    )
    start, end = _stamp(starts_at), _stamp(ends_at)
    if end <= start:
        raise ValueError("The absence must end after it starts.")
    if end <= sv._now().isoformat(timespec="seconds"):
        raise ValueError("That absence is already over.")
    colleague = _staff(clinic, cover) if cover else None
    if colleague is not None and (
        colleague.role is not Role.PHYSICIAN or not colleague.active or colleague.id == doc.id
    ):
        raise ValueError("The cover must be another active physician.")
    with clinic.store.transaction():
        if cv.overlapping(clinic.store, doc.id, start, end):
            raise ValueError(f"{doc.display_name} is already marked away for part of those dates.")
        delegation = None
        if colleague is not None:
            delegation = sv.grant_delegation(
                clinic,
                session,
                physician=doc.username,
                delegate=colleague.username,
                categories=None,
                include_sensitive=False,
                can_reply=True,
                can_file=True,
                starts_at=starts_at,
                ends_at=ends_at,
            )
        absence = cv.add_absence(
            clinic.store,
            physician_id=doc.id,
            cover_id=colleague.id if colleague else None,
            starts_at=start,
            ends_at=end,
            delegation_id=delegation,
            created_by=me.id,
        )
        # the cover's delegation, and the board's "away without cover" line: read it again
        note(clinic.store, Changes(access=True))
        sv._audit(
            clinic,
            session,
            "cover.absence",
            detail={
                "absence_id": absence,
                "physician_id": doc.id,
                "cover_id": colleague.id if colleague else None,
                "delegation_id": delegation,
                "starts_at": start,
                "ends_at": end,
            },
        )
    return absence


def cancel_absence(clinic: Clinic, session: Session, absence_id: int) -> None:
    """The physician is back early (or the plan changed): the cover's delegation ends."""
    me = sv._fresh(clinic, session)
    access.require(
        me.role in (Role.PHYSICIAN, Role.ADMIN),
        "Only the physician, or an administrator for them, can change an absence.",
    )
    with clinic.store.transaction():
        a = cv.get_absence(clinic.store, absence_id)
        if a is None:
            raise sv.NotFound(f"There is no absence number {absence_id}.")
        doc = q.get_staff(clinic.store, a.physician_id)
        access.require(
            doc is not None and access.can_delegate_for(me, doc),
            "Only the physician, or an administrator for them, can change an absence.",
        )
        cv.cancel_absence(clinic.store, absence_id)
        if a.delegation_id is not None:
            sv.revoke_delegation(clinic, session, a.delegation_id)
        note(clinic.store, Changes(access=True))
        sv._audit(clinic, session, "cover.cancel", detail={"absence_id": absence_id})


def absences(clinic: Clinic, session: Session) -> list[cv.Absence]:
    """Running and coming absences: who is away and who covers (no patient data)."""
    sv._fresh(clinic, session)
    return cv.absences(clinic.store, sv._now().isoformat(timespec="seconds"), upcoming=True)


def forward_queues(clinic: Clinic, now: datetime | None = None) -> list[int]:
    """Hand each absent physician's open conversations to their cover (run by every
    sync, after the pull, so new messages go straight to the cover). Returns the
    conversations handed over."""
    at = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    moved = []
    with clinic.store.transaction():
        for a in cv.absences(clinic.store, at):
            if a.cover_id is None:
                continue
            for thread_id, patient_id, assignee in cv.queue_to_forward(
                clinic.store, a.physician_id
            ):
                q.update_thread(clinic.store, thread_id, assigned_to=a.cover_id)
                # for every workstation of a shared queue, as the system's change
                record_shared(clinic.store, thread_id, "assignee", str(a.cover_id), None)
                audit.append(
                    clinic.store,
                    clinic.audit_key,
                    None,
                    "system",
                    "thread.assign",
                    patient_id=patient_id,
                    thread_id=thread_id,
                    reason=f"{a.physician} is away; {a.cover} covers",
                    detail={"from": assignee, "to": a.cover_id, "absence_id": a.id},
                )
                moved.append(thread_id)
        note(clinic.store, Changes.of_threads(moved))
    return moved


@dataclass(frozen=True)
class Uncovered:
    physician: str
    until: str
    patients: list[tuple[int, str, int]]  # (patient, name, open conversations)


def uncovered(clinic: Clinic, session: Session) -> list[Uncovered]:
    """Absent physicians without cover whose patients wait on the clinic: the board's
    warning. Names and counts only (what the front desk sees on a card anyway)."""
    staff = sv._fresh(clinic, session)
    access.require(staff.role is not Role.ADMIN, "Administrators do not handle patient messages.")
    at = sv._now().isoformat(timespec="seconds")
    out = []
    for a in cv.absences(clinic.store, at):
        if a.cover_id is None:
            waiting = cv.open_patients_of(clinic.store, a.physician_id)
            if waiting:
                out.append(Uncovered(a.physician, a.ends_at, waiting))
    return out
