"""Cards for staff and delegation changes the clinic's server did not take (another
administrator's reached it first, or the author was no longer an administrator), and
for a person whose role here differed from the clinic's when this workstation joined.
Shown on the same conflict screen as conversations and patients' records; applying
one's own anyway is the change made again through the staff services (same access
check, audit entry and queue)."""

from __future__ import annotations

from clinic_inbox.core import access, services
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Role
from clinic_inbox.core.store import shared_staff_queries as ssq
from clinic_inbox.shared import SharedQueueError, conflict_settle

WHAT = {
    "staff.add": "New staff member",
    "staff.role": "Role",
    "staff.disable": "Account off",
    "staff.enable": "Account on",
    "staff.password": "Password",
    "staff.adopt": "Role on this computer",
    "delegation.add": "Delegation",
    "delegation.revoke": "Delegation revoked",
    "staff.name": "Display name",
    "delegation.edit": "Delegation's scope",
}


def _mine(clinic: Clinic, session: services.Session) -> list[ssq.AccessConflict]:
    """The person's own cards; those of nobody (a role taken on when joining) are the
    administrators'."""
    me = session.staff
    return [
        c
        for _id, c, _at in ssq.conflicts(clinic.store)
        if c.actor_id == me.id or (c.actor_id is None and access.can_manage_staff(me))
    ]


def is_one(clinic: Clinic, op_id: str) -> bool:
    return any(c.op_id == op_id for _id, c, _at in ssq.conflicts(clinic.store))


def shown(clinic: Clinic, session: services.Session) -> list:  # noqa: ANN201 - list[Shown]
    from clinic_inbox.shared.conflicts import Shown

    out = []
    for c in _mine(clinic, session):
        s = ssq.staff_row(clinic.store, c.staff_id) if c.staff_id is not None else None
        about = f"the account of {s.display_name} ({s.username})" if s else "a delegation"
        out.append(
            Shown(
                c.op_id,
                0,
                about,
                WHAT.get(c.kind, c.kind),
                c.mine,
                c.theirs,
                c.their_by
                or ("The clinic" if c.kind == "staff.adopt" else "Another administrator"),
                c.their_at,
            )
        )
    return out


def settle(clinic: Clinic, session: services.Session, op_id: str, mine: bool) -> None:
    conflict_settle.settle(
        clinic,
        session,
        op_id,
        mine,
        cards=_mine(clinic, session),
        again=_again,
        mark_seen=ssq.mark_conflict_seen,
        detail=lambda c: {"kind": c.kind, "staff_id": c.staff_id},
    )


def _again(clinic: Clinic, session: services.Session, c: ssq.AccessConflict) -> None:
    from clinic_inbox.core.services_staff import set_role

    s = ssq.staff_row(clinic.store, c.staff_id) if c.staff_id is not None else None
    if s is None:
        raise SharedQueueError(
            "This change cannot be made again from here: make it again in Staff or Delegations."
        )
    if c.kind == "staff.role":
        set_role(clinic, session, s.username, Role(c.mine))
    elif c.kind == "staff.adopt":  # "nurse", or "nurse (account off)"
        set_role(clinic, session, s.username, Role(c.mine.split(" ")[0]))
    elif c.kind == "staff.enable":
        services.set_staff_active(clinic, session, s.username, True)
    elif c.kind == "staff.name":
        services.set_display_name(clinic, session, s.username, c.mine)
    else:
        raise SharedQueueError(
            "This change cannot be made again from here: make it again in Staff (a new "
            "password is typed again, it is never kept)."
        )
