"""The break-glass review over every workstation: one answer for the command line
(`break-glass-review --clinic`) and the app's review tab (Administration).

The decision is `audit_clinic.break_glass_review_clinic`'s: physicians and
administrators only (an administrator sees every opening, a physician those of their
own patients), the openings read from the clinic's audit trail on the server (where
the reason stays sealed: only a workstation holding the clinic's keys opens it), and
the review itself recorded in this computer's trail. Here each opening is told as this
computer knows it: the person's full name, the patient, the conversation's number, and,
for an opening made here, when it was reviewed here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import psycopg

from clinic_inbox.core import services
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.store import queries as q
from clinic_inbox.shared.audit_clinic import (
    ClinicEntry,
    break_glass_review_clinic,
    may_review_break_glass,
)
from clinic_inbox.shared.replica import server_error
from clinic_inbox.shared.server import Link, open_link

THIS_COMPUTER = "this computer"


@dataclass(frozen=True)
class GlassOpening:
    workstation: str  # the name it joined with (THIS_COMPUTER when the server is away)
    this_computer: bool
    opening: int | None  # its number on the workstation that made it
    staff: str  # user name
    staff_name: str  # full name, as this computer knows them (else the user name)
    at: str  # when it was opened (UTC, ISO)
    until: str | None
    conversation: str | None  # clinic-wide id
    number: str  # the conversation's number as people read it ("#12"), or why none
    thread_id: int | None  # this computer's id of it, when it holds it
    patient_id: int | None  # this computer's number for the patient, when it knows them
    patient: str | None  # their name, as this computer knows them
    reason: str | None
    reviewed_at: str | None  # openings made here: when reviewed here

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _numbers(link: Link, convs: set[str]) -> dict[str, int]:
    """The clinic's numbers of conversations this computer has not received yet."""
    if not convs:
        return {}
    try:
        with link.conn.transaction():
            rows = link.conn.execute(
                "SELECT id::text, number FROM conversation WHERE id = ANY(%s::uuid[])",
                (sorted(convs),),
            ).fetchall()
    except psycopg.OperationalError as exc:
        raise server_error(link, exc) from None
    return {c: int(n) for c, n in rows}


def _told(
    clinic: Clinic, session: Any, link: Link, entries: list[ClinicEntry]
) -> list[GlassOpening]:
    names = {s.username: s.display_name for s in q.list_staff(clinic.store)}
    seen = services.seen_as(clinic, session, [e.thread_id for e in entries if e.thread_id])
    elsewhere = _numbers(
        link, {e.conversation for e in entries if e.conversation and not e.thread_id}
    )
    reviewed = {r[0]: r[7] for r in services.break_glass_review(clinic, session)}
    out = []
    for e in entries:
        mine = e.chain == link.workstation_id
        bg = e.detail.get("break_glass_id")
        patient = q.get_patient(clinic.store, e.patient_id) if e.patient_id else None
        if e.thread_id is not None:
            number = seen[e.thread_id].label
        elif e.conversation in elsewhere:
            number = f"#{elsewhere[e.conversation]} (not on this computer yet)"
        else:
            number = "not on this computer"
        out.append(
            GlassOpening(
                workstation=e.workstation,
                this_computer=mine,
                opening=int(bg) if isinstance(bg, int) else None,
                staff=e.actor,
                staff_name=names.get(e.actor) or e.actor,
                at=e.at,
                until=e.detail.get("until"),
                conversation=e.conversation,
                number=number,
                thread_id=e.thread_id,
                patient_id=e.patient_id,
                patient=f"{patient.given_name} {patient.family_name}" if patient else None,
                reason=e.reason,
                reviewed_at=reviewed.get(bg) if mine else None,
            )
        )
    out.sort(key=lambda o: o.at, reverse=True)  # the newest first, as the local review
    return out


def review(clinic: Clinic, session: Any) -> list[GlassOpening]:
    """Every workstation's break-glass openings this person may review (refused, before
    the server is asked, for anyone else). Raises SharedQueueError (ServerUnreachable
    when the server does not answer) in words for the desk."""
    may_review_break_glass(clinic, session)  # a refusal never reaches the server
    link = open_link(clinic)
    try:
        entries = break_glass_review_clinic(clinic, session, link)
        return _told(clinic, session, link, entries)
    finally:
        link.conn.close()


def this_computer(clinic: Clinic, session: Any) -> list[GlassOpening]:
    """This computer's own openings, in the same shape (the server cannot be asked): the
    local review, with its own access check."""
    rows = services.break_glass_review(clinic, session)
    seen = services.seen_as(clinic, session, [r[2] for r in rows])
    return [
        GlassOpening(
            workstation=THIS_COMPUTER,
            this_computer=True,
            opening=r[0],
            staff="",
            staff_name=r[1],
            at=r[5],
            until=r[6],
            conversation=None,
            number=seen[r[2]].label,
            thread_id=r[2],
            patient_id=None,
            patient=r[3],
            reason=r[4],
            reviewed_at=r[7],
        )
        for r in rows
    ]
