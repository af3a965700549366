"""The access policy: one place that answers "may this person do that?".

Services ask it; the UI only hides what it would refuse anyway. The role
rules (delegations, sensitivity, break-glass) are filled in by the access
issue; until then every active staff member may see every message, as the
foundation issue specifies, and only administrators manage staff.
"""

from __future__ import annotations

from clinic_inbox.core.model import Role, Staff
from clinic_inbox.core.store.queries import ThreadRow


class AccessDenied(Exception):
    """Refused by the policy; the message says why in plain words."""


def can_view_body(staff: Staff, thread: ThreadRow) -> bool:
    return staff.active


def can_manage_staff(staff: Staff) -> bool:
    return staff.active and staff.role is Role.ADMIN


def require(allowed: bool, why: str) -> None:
    if not allowed:
        raise AccessDenied(why)


def can_manage_settings(staff: Staff) -> bool:
    return staff.active and staff.role is Role.ADMIN


def can_reply(staff: Staff, thread: ThreadRow) -> bool:
    return staff.active and staff.role is not Role.ADMIN
