"""Two staff changes made after the fact: a person's display name, and a delegation's
scope. Each is an administrator's (a delegation's scope also its physician's), checked
through core.access, audited and queued for the clinic's server in one transaction."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from clinic_inbox.core import access
from clinic_inbox.core.changes import Changes, Outcome, note, run
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Category
from clinic_inbox.core.services_common import NotFound, _audit, _check_text, _fresh, _refuse
from clinic_inbox.core.shared_staff_ops import record_delegation, record_staff
from clinic_inbox.core.signin import Session
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_staff_queries as ssq

MAX_NAME = 120


def set_display_name(clinic: Clinic, session: Session, username: str, display_name: str) -> None:
    """The name colleagues see for a person (on cards, replies, the team list)."""
    me = _fresh(clinic, session)
    if not access.can_manage_staff(me):
        _refuse(clinic, session, "staff.name.refused", "Only an administrator can change names.")
    name = " ".join(display_name.split())
    if not name:
        raise ValueError("A display name needs at least one letter.")
    if len(name) > MAX_NAME:
        raise ValueError(f"A display name is at most {MAX_NAME} characters.")
    _check_text(name, "display name")
    with clinic.store.transaction():
        row = q.staff_login_row(clinic.store, username)
        if row is None:
            raise NotFound(f"There is no staff member {username!r}.")
        staff = row[0]
        if staff.display_name == name:
            return
        ssq.set_display_name(clinic.store, staff.id, name)
        record_staff(clinic.store, "staff.name", staff.id, me.id)  # to the others
        note(clinic.store, Changes(staff=True))  # the team list and the cards' names
        _audit(clinic, session, "staff.name", detail={"staff_id": staff.id})


def set_display_name_action(
    clinic: Clinic, session: Session, username: str, display_name: str
) -> Outcome:
    """For the app's writer: the change and what to refresh (the team list)."""
    return Outcome(*run(set_display_name, clinic, session, username, display_name))


def edit_delegation(
    clinic: Clinic,
    session: Session,
    delegation_id: int,
    *,
    categories: list[Category] | None,
    include_sensitive: bool,
    can_reply: bool,
    can_file: bool,
    ends_at: datetime | None,
) -> None:
    """Change what a delegation covers (categories, sensitive conversations, replying,
    filing, its end). Its physician's or an administrator's; a revoked one stays revoked
    (grant a new one instead)."""
    me = _fresh(clinic, session)
    with clinic.store.transaction():
        t = ssq.delegation_terms(clinic.store, delegation_id)
        if t is None:
            raise NotFound("There is no such delegation.")
        doc = q.get_staff(clinic.store, t["physician_id"])
        if doc is None or not access.can_delegate_for(me, doc):
            refused = "Only the physician or an administrator can change a delegation."
        else:
            refused = None
    if refused:
        _refuse(clinic, session, "delegation.edit.refused", refused)
    end = ends_at.astimezone(UTC).isoformat(timespec="seconds") if ends_at else None
    with clinic.store.transaction():
        t = ssq.delegation_terms(clinic.store, delegation_id)
        assert t is not None
        if t["revoked_at"]:
            raise ValueError("This delegation was revoked; grant a new one instead.")
        if end is not None and end <= t["starts_at"]:
            raise ValueError("The delegation must end after it starts.")
        cats = "*" if categories is None else json.dumps(sorted(c.value for c in categories))
        ssq.set_terms(
            clinic.store,
            delegation_id,
            t
            | {
                "categories": cats,
                "include_sensitive": include_sensitive,
                "can_reply": can_reply,
                "can_file": can_file,
                "ends_at": end,
            },
        )
        record_delegation(clinic.store, "delegation.edit", delegation_id, me.id)  # to the others
        note(clinic.store, Changes(access=True))  # who may read what: every card
        by_admin = me.id != t["physician_id"]
        _audit(
            clinic,
            session,
            "delegation.edit",
            reason="changed by an administrator for the physician" if by_admin else None,
            detail={
                "by_administrator": by_admin,
                "delegation_id": delegation_id,
                "categories": None if categories is None else sorted(c.value for c in categories),
                "sensitive": include_sensitive,
                "reply": can_reply,
                "file": can_file,
                "ends_at": end,
            },
        )


def edit_delegation_action(
    clinic: Clinic,
    session: Session,
    delegation_id: int,
    categories: list[Category] | None,
    include_sensitive: bool,
    can_reply: bool,
    can_file: bool,
    ends_at: datetime | None,
) -> Outcome:
    """For the app's writer: the edit and what to refresh (who may read what)."""
    return Outcome(
        *run(
            edit_delegation,
            clinic,
            session,
            delegation_id,
            categories=categories,
            include_sensitive=include_sensitive,
            can_reply=can_reply,
            can_file=can_file,
            ends_at=ends_at,
        )
    )
