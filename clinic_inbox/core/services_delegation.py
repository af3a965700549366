"""Delegations (a physician lets someone read their patients' conversations) and
break-glass (reading one outside the rules, flagged for review)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from clinic_inbox.core import access
from clinic_inbox.core.access import Grant
from clinic_inbox.core.changes import Changes, note
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Category, Role
from clinic_inbox.core.services_common import (
    BREAK_GLASS_MINUTES,
    NotFound,
    _audit,
    _check_text,
    _fresh,
    _now,
)
from clinic_inbox.core.services_staff_sessions import reauthenticate
from clinic_inbox.core.shared_staff_ops import record_delegation
from clinic_inbox.core.signin import Session
from clinic_inbox.core.store import access_queries as aq
from clinic_inbox.core.store import queries as q


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
        note(clinic.store, Changes(access=True))  # who may read what: every card
        record_delegation(clinic.store, "delegation.add", did, me.id)  # to the others
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
        if aq.revoke_delegation(clinic.store, delegation_id) is not None:
            record_delegation(clinic.store, "delegation.revoke", delegation_id, me.id)
        note(clinic.store, Changes(access=True))  # who may read what: every card
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
        note(clinic.store, Changes.of(thread_id))  # this card opens to this person
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
