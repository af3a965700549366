"""Conflicts: changes this workstation made that the server did not apply because
someone else's reached it first. The person sees what was kept, by whom and when,
and may apply theirs anyway: that is simply their change made again, now on top of
the value they have seen (so it goes through the same access check, audit entry and
queue as any change)."""

from __future__ import annotations

from clinic_inbox.core import services
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Priority, Status
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import SharedQueueError


def open_conflicts(clinic: Clinic, session: services.Session) -> list[shq.Conflict]:
    """This person's conflicts not yet settled."""
    return [
        c
        for c in shq.conflicts(clinic.store)
        if not c.seen and (c.actor_id is None or c.actor_id == session.staff.id)
    ]


def apply_anyway(clinic: Clinic, session: services.Session, op_id: str, reason: str = "") -> None:
    found = [c for c in shq.conflicts(clinic.store) if c.op_id == op_id]
    if not found or found[0].seen:
        raise SharedQueueError("There is no open conflict with that number.")
    c = found[0]
    if c.actor_id is not None and c.actor_id != session.staff.id:
        raise SharedQueueError("Only the person whose change was not applied can apply it anyway.")
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
    else:
        raise SharedQueueError(f"A {c.field} change cannot be applied again.")
    dismiss(clinic, session, op_id)


def dismiss(clinic: Clinic, session: services.Session, op_id: str) -> None:
    """The person has seen it and keeps what the server has."""
    with clinic.store.transaction():
        shq.mark_conflict_seen(clinic.store, op_id)
