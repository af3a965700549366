"""Marking a break-glass opening reviewed: one action, by a physician (openings on their
own patients) or an administrator (any), as the break-glass review decides who sees
what. The mark and its audit entry are written in one transaction.

A workstation that works alone records the review on the opening
(`break_glass.reviewed_by/_at`), as before. With a shared server the review is also a
mark (core/store/break_glass_mark_queries.py) that names the opening by the workstation
it was made on and its number there; it waits in this store until the server has it
(shared/glass_review_op.py sends it with the next exchange, so a mark made while the
server is away goes when it is back), and every other workstation pulls it.

Openings made on this computer are marked here (`mark_break_glass_reviewed`), with or
without the server. One made on another workstation is known only from the clinic's
audit trail on the server: shared/break_glass_clinic.py finds it there, checks it is the
person's to review, and records the mark with `record_review_elsewhere`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from clinic_inbox.core import access
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Role, Staff
from clinic_inbox.core.services_common import NotFound, _audit, _fresh
from clinic_inbox.core.signin import Session
from clinic_inbox.core.store import access_queries as aq
from clinic_inbox.core.store import break_glass_mark_queries as bq
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.core.store.queries import utcnow

ACTION = "break_glass.reviewed"
WHO_REVIEWS = "The break-glass review is for physicians and administrators."


@dataclass(frozen=True)
class Reviewed:
    opening: int  # its number on the workstation it was made on
    workstation: str | None  # that workstation's id (None: a workstation that works alone)
    by: str  # the reviewer's full name
    at: str  # when it was marked (UTC, ISO)
    new: bool  # False: it had been reviewed before, by `by` at `at`; nothing written
    mark: str | None = None  # the mark's clinic-wide id (with a shared server)
    on_server: bool = False  # the server has it already


def reviewer(clinic: Clinic, session: Session) -> tuple[Staff, bool]:
    """(the person as the store holds them now, whether an administrator); refused for
    anyone but physicians and administrators."""
    staff = _fresh(clinic, session)
    admin = staff.role is Role.ADMIN
    access.require(admin or staff.role is Role.PHYSICIAN, WHO_REVIEWS)
    return staff, admin


def _earlier(mark: bq.Mark, opening: int) -> Reviewed:
    return Reviewed(
        opening,
        mark.opening_ws,
        mark.reviewer_name,
        mark.reviewed_at,
        False,
        mark.id,
        mark.on_server,
    )


def mark_break_glass_reviewed(clinic: Clinic, session: Session, opening: int) -> Reviewed:
    """Mark the break-glass opening number `opening`, made on this computer, reviewed.
    One reviewed before (here or on another workstation) is not marked again: the answer
    names who reviewed it and when."""
    staff, admin = reviewer(clinic, session)
    store = clinic.store
    with store.transaction():
        rows = aq.break_glass_review(store, None, opening)
        if not rows:
            raise NotFound(f"There is no break-glass opening number {opening} on this computer.")
        if not admin and not aq.break_glass_review(store, staff.id, opening):
            raise access.AccessDenied(
                "A physician marks the break-glass openings of their own patients only."
            )
        ws = shq.workstation_id(store)
        earlier = bq.first_mark(store, ws, opening) if ws is not None else None
        if earlier is not None:
            return _earlier(earlier, opening)
        row = rows[0]
        if row[7]:  # reviewed before this computer worked with a server, or alone
            return Reviewed(opening, ws, row[8] or "", row[7], False)
        at = utcnow()
        aq.mark_break_glass_reviewed(store, opening, staff.id, at)
        thread_id, patient_id = aq.break_glass_opening(store, opening) or (None, None)
        mark = _keep(clinic, session, staff, ws, opening, at, patient_id, thread_id)
    return Reviewed(opening, ws, staff.display_name, at, True, mark)


def record_review_elsewhere(
    clinic: Clinic,
    session: Session,
    workstation: str,
    opening: int,
    patient_id: int | None,
    thread_id: int | None,
) -> Reviewed:
    """The mark of an opening made on another workstation (found in the clinic's trail and
    checked to be this person's to review by shared.break_glass_clinic): kept here to be
    sent to the server, with its audit entry."""
    staff, _admin = reviewer(clinic, session)
    store = clinic.store
    with store.transaction():
        if shq.workstation_id(store) is None:
            raise access.AccessDenied(
                "This computer works alone: it can mark only its own break-glass openings."
            )
        earlier = bq.first_mark(store, workstation, opening)
        if earlier is not None:
            return _earlier(earlier, opening)
        at = utcnow()
        mark = _keep(clinic, session, staff, workstation, opening, at, patient_id, thread_id)
    return Reviewed(opening, workstation, staff.display_name, at, True, mark)


def _keep(
    clinic: Clinic,
    session: Session,
    staff: Staff,
    opening_ws: str | None,
    opening: int,
    at: str,
    patient_id: int | None,
    thread_id: int | None,
) -> str | None:
    """The mark (with a shared server) and the audit entry, in the caller's transaction."""
    store = clinic.store
    here = shq.workstation_id(store)
    mark = None
    if here is not None and opening_ws is not None:
        mark = str(uuid.uuid4())
        bq.add(
            store,
            bq.Mark(
                mark,
                opening_ws,
                opening,
                staff.username,
                staff.display_name,
                at,
                here,
                None,
                False,
            ),
        )
    _audit(
        clinic,
        session,
        ACTION,
        patient_id=patient_id,
        thread_id=thread_id,
        detail={"break_glass_id": opening, "workstation": opening_ws, "mark": mark},
    )
    return mark
