"""Staff roles: an administrator's change, checked through core.access and audited in
the same transaction."""

from __future__ import annotations

import dataclasses

from clinic_inbox.core import access
from clinic_inbox.core.changes import Changes, Outcome, note, run
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Role, Staff
from clinic_inbox.core.services import NotFound, Session, _audit, _fresh, _refuse
from clinic_inbox.core.shared_staff_ops import record_staff
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import staff_queries as stq


def set_role(clinic: Clinic, session: Session, username: str, role: Role) -> Staff:
    me = _fresh(clinic, session)
    if not access.can_manage_staff(me):
        _refuse(clinic, session, "staff.role.refused", "Only an administrator can change roles.")
    with clinic.store.transaction():
        row = q.staff_login_row(clinic.store, username)
        if row is None:
            raise NotFound(f"There is no staff member {username!r}.")
        staff = row[0]
        if staff.role is role:
            return staff
        if staff.id == me.id:
            raise ValueError("You cannot change your own role; another administrator can.")
        if staff.role is Role.ADMIN and staff.active and stq.active_admins(clinic.store) <= 1:
            raise ValueError("The clinic needs at least one administrator.")
        if staff.role is Role.PHYSICIAN and stq.patients_in_care(clinic.store, staff.id):
            raise ValueError(
                f"{staff.display_name} is the responsible physician of "
                f"{stq.patients_in_care(clinic.store, staff.id)} patients. Give them another "
                "physician first (clinic-inbox patient physician), then change the role."
            )
        stq.set_role(clinic.store, staff.id, role)
        record_staff(clinic.store, "staff.role", staff.id, me.id, role.value)  # to the others
        # the team list, and who may read what: every card
        note(clinic.store, Changes(staff=True, access=True))
        _audit(
            clinic,
            session,
            "staff.role",
            detail={"staff_id": staff.id, "from": staff.role.value, "to": role.value},
        )
    return dataclasses.replace(staff, role=role)


def set_role_action(clinic: Clinic, session: Session, username: str, role: Role) -> Outcome:
    """For the app's writer: the change and what to refresh (who may read what)."""
    return Outcome(*run(set_role, clinic, session, username, role))
