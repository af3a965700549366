"""The break-glass review over every workstation: one answer for the command line
(`break-glass-review --clinic`) and the app's review tab (Administration).

The decision is `audit_clinic.break_glass_review_clinic`'s: physicians and
administrators only (an administrator sees every opening, a physician those of their
own patients), the openings read from the clinic's audit trail on the server (where
the reason stays sealed: only a workstation holding the clinic's keys opens it), and
the review itself recorded in this computer's trail. Here each opening is told as this
computer knows it: the person's full name, the patient, the conversation's number, and
whether it was reviewed: by whom, when and on which workstation, from the marks every
workstation pulls (shared.glass_review_op), wherever the opening was made.

`mark_reviewed` is the action that marks one reviewed, for the tab and the command line
alike: an opening made here is marked here even while the server is away (the mark
waits and goes when it is back); one made on another workstation is found in the
clinic's trail first (so the server must answer), and checked to be the person's to
review as the list is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import psycopg

from clinic_inbox.core import access, services
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.services_common import NotFound
from clinic_inbox.core.services_glass_review import Reviewed, record_review_elsewhere
from clinic_inbox.core.store import audit_ship_queries as asq
from clinic_inbox.core.store import break_glass_mark_queries as bq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import (
    ServerUnreachable,
    SharedQueueError,
    glass_review_op,
    key_rotation,
    refusals,
    staff_sync,
)
from clinic_inbox.shared.audit_clinic import (
    ClinicEntry,
    break_glass_review_clinic,
    clinic_entries,
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
    reviewed_at: str | None  # when it was first marked reviewed (UTC, ISO), on any computer
    workstation_id: str | None = None  # the one it was made on (None: working alone)
    reviewed_by: str | None = None  # who marked it reviewed (full name)
    reviewed_on: str | None = None  # the workstation it was marked on (its name)
    reviewed_here: bool = False  # ...this computer
    review_waiting: bool = False  # marked here, not on the clinic's server yet

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _review_of(
    marks: dict[tuple[str, int], bq.Mark],
    names: dict[str, str],
    here: str | None,
    ws: str | None,
    opening: int | None,
    local: tuple | None,
) -> dict[str, Any]:
    """The reviewed fields of one opening: its first mark (made on any workstation), else
    (an opening made here) the review recorded on it here."""
    mark = marks.get((ws, opening)) if ws is not None and opening is not None else None
    if mark is not None:
        return {
            "reviewed_at": mark.reviewed_at,
            "reviewed_by": names.get(mark.reviewer.casefold()) or mark.reviewer_name,
            "reviewed_on": mark.ws_name,
            "reviewed_here": mark.ws == here,
            "review_waiting": not mark.on_server,
        }
    if local is not None and local[7]:
        return {"reviewed_at": local[7], "reviewed_by": local[8], "reviewed_here": True}
    return {"reviewed_at": None}


def _full_names(clinic: Clinic) -> dict[str, str]:
    return {s.username.casefold(): s.display_name for s in q.list_staff(clinic.store)}


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
    local = {r[0]: r for r in services.break_glass_review(clinic, session)}
    marks = bq.first_marks(clinic.store)
    full = _full_names(clinic)
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
                workstation_id=e.chain or None,
                **_review_of(
                    marks,
                    full,
                    link.workstation_id,
                    e.chain,
                    bg if isinstance(bg, int) else None,
                    local.get(bg) if mine else None,
                ),
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
    here = shq.workstation_id(clinic.store)
    marks = bq.first_marks(clinic.store)
    full = _full_names(clinic)
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
            workstation_id=here,
            **_review_of(marks, full, here, here, r[0], r),
        )
        for r in rows
    ]


# -- the action ---------------------------------------------------------------------------
def mark_reviewed(
    clinic: Clinic, session: Any, opening: int, workstation: str | None = None
) -> Reviewed:
    """Mark the break-glass opening `opening` (its number on the workstation it was made
    on) reviewed. `workstation`: that workstation's id or name, None for this computer.
    Refused, before the server is asked, for anyone but physicians and administrators; a
    physician marks the openings of their own patients only. The mark goes to the
    server at once when it answers, else with the next exchange (an opening made here),
    or not at all (one made elsewhere: it cannot be checked then)."""
    staff, admin = may_review_break_glass(clinic, session)
    here = shq.workstation_id(clinic.store)
    if workstation in (None, "", here, THIS_COMPUTER):
        done = services.mark_break_glass_reviewed(clinic, session, opening)
        if here is None or not done.new:
            return done
        try:
            link = open_link(clinic)
        except SharedQueueError:
            return done  # it waits here; the next exchange sends it
        try:
            return _send(clinic, link, done)
        finally:
            link.conn.close()
    if here is None:
        raise SharedQueueError(
            "This computer works alone (no shared server): it has only its own openings."
        )
    try:
        link = open_link(clinic)
    except ServerUnreachable as exc:
        raise ServerUnreachable(
            f"{exc} An opening made on another computer is marked reviewed only while the "
            "server can be reached (it is checked there first)."
        ) from None
    try:
        ws, ws_name = _workstation(link, workstation)
        if ws == here:
            link.conn.close()
            return mark_reviewed(clinic, session, opening)
        found = [
            e
            for e in clinic_entries(clinic, link, action="break_glass")
            if e.chain == ws and e.detail.get("break_glass_id") == opening
        ]
        if not found:
            raise NotFound(f"There is no break-glass opening number {opening} from {ws_name}.")
        e = found[0]
        if not admin and e.patient_id not in set(asq.patients_of_physician(clinic.store, staff.id)):
            raise access.AccessDenied(
                "A physician marks the break-glass openings of their own patients only."
            )
        done = record_review_elsewhere(clinic, session, ws, opening, e.patient_id, e.thread_id)
        if not done.new:
            return done
        return _send(clinic, link, done)
    finally:
        if not link.conn.closed:
            link.conn.close()


def _send(clinic: Clinic, link: Link, done: Reviewed) -> Reviewed:
    """Send the marks that wait (this one among them), as a push does; a refusal of this
    one is said in words. If the server cannot take it now it waits here, and the next
    exchange (the live sync, `server sync`) sends it and says why if it cannot."""
    try:
        key_rotation.keep_current(clinic, link, complete=False)  # sealed under the newest
        with key_rotation.refusal_said(clinic, link):
            # the clinic's staff as this computer has them first: a physician added here
            # since the last exchange is a reviewer the server knows
            staff_sync.push(clinic, link)
            sent = glass_review_op.publish(clinic, link)
    except (SharedQueueError, psycopg.Error):
        return done
    for mark, code in sent.refused:
        if mark == done.mark:
            raise access.AccessDenied(
                f"The clinic's shared server {link.label} refused this review: "
                f"{refusals.words(code, done.by)}. The opening shows as not reviewed."
            )
    kept = bq.get(clinic.store, done.mark) if done.mark else None
    return replace(done, on_server=kept is not None and kept.on_server)


def _workstation(link: Link, given: str) -> tuple[str, str]:
    """(id, name) of a workstation named by its id or by its name in the review."""
    try:
        with link.conn.transaction():
            rows = link.conn.execute(
                "SELECT id::text, name FROM workstation UNION "
                "SELECT ws::text, name FROM audit_signer"
            ).fetchall()
    except psycopg.OperationalError as exc:
        raise server_error(link, exc) from None
    by_id = {i: n for i, n in rows if i == given}
    if by_id:
        return given, next(iter(by_id.values()))
    named = {i for i, n in rows if n.casefold() == given.casefold()}
    if len(named) == 1:
        return named.pop(), given
    if named:
        raise SharedQueueError(
            f"Several workstations are named {given!r}: give the workstation's id instead."
        )
    raise NotFound(f"The clinic's server knows no workstation {given!r}.")
