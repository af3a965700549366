"""Staff accounts and sessions: the first administrator, adding and disabling staff,
passwords, signing in and out."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from clinic_inbox.core import access, passwords, presence_relay, signin
from clinic_inbox.core import staff_keys as key_slots  # follow passwords (issue 16 item 7)
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.changes import Changes, note
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Role, Staff
from clinic_inbox.core.services_common import NotFound, _audit, _fresh
from clinic_inbox.core.shared_staff_ops import record_staff
from clinic_inbox.core.signin import Session
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import signin_queries


# -- staff and sessions ----------------------------------------------------------
def _check_new_password(
    clinic: Clinic, password: str, username: str, display_name: str = ""
) -> None:
    """The clinic's password rules (core.passwords); WeakPasswordError says what to change."""
    passwords.require_strong(
        password, username=username, display_name=display_name, clinic_name=clinic.config.name
    )


def create_first_admin(clinic: Clinic, username: str, display_name: str, password: str) -> Staff:
    """Only possible on a clinic without staff: the first run creates the administrator."""
    _check_new_password(clinic, password, username, display_name)
    with clinic.store.transaction():
        if q.staff_count(clinic.store):
            raise AccessDenied("This clinic already has staff; ask an administrator.")
        sid = q.add_staff(
            clinic.store, username, display_name, Role.ADMIN, passwords.hash_password(password)
        )
        _audit(clinic, None, "staff.create", detail={"staff_id": sid, "role": "admin"})
        key_slots.keep_slot(clinic, username, password, why="first administrator")
        staff = q.get_staff(clinic.store, sid)
    assert staff is not None
    return staff


def add_staff(
    clinic: Clinic, session: Session, username: str, display_name: str, role: Role, password: str
) -> Staff:
    access.require(
        access.can_manage_staff(_fresh(clinic, session)), "Only an administrator can add staff."
    )
    _check_new_password(clinic, password, username, display_name)
    if not username.strip() or any(c.isspace() for c in username):
        raise ValueError("A user name needs at least one character and no spaces.")
    with clinic.store.transaction():
        if q.staff_login_row(clinic.store, username):
            raise ValueError(f"There is already a staff member with the user name {username!r}.")
        sid = q.add_staff(
            clinic.store, username, display_name, role, passwords.hash_password(password)
        )
        note(clinic.store, Changes(staff=True))  # the team list and the filters
        _audit(clinic, session, "staff.create", detail={"staff_id": sid, "role": role.value})
        record_staff(clinic.store, "staff.add", sid, session.staff.id, password=password)
        key_slots.keep_slot(clinic, username, password, why="staff added")
        staff = q.get_staff(clinic.store, sid)
    assert staff is not None
    return staff


def set_staff_active(clinic: Clinic, session: Session, username: str, active: bool) -> Staff:
    access.require(
        access.can_manage_staff(_fresh(clinic, session)), "Only an administrator can disable staff."
    )
    with clinic.store.transaction():
        row = q.staff_login_row(clinic.store, username)
        if row is None:
            raise NotFound(f"There is no staff member {username!r}.")
        staff = row[0]
        if staff.id == session.staff.id and not active:
            raise ValueError("You cannot disable your own account.")
        q.set_staff_active(clinic.store, staff.id, active)
        if staff.active != active:
            note(clinic.store, Changes(staff=True))  # the team list and the filters
            kind = "staff.enable" if active else "staff.disable"
            record_staff(clinic.store, kind, staff.id, session.staff.id)  # to the others
        _audit(
            clinic,
            session,
            "staff.enable" if active else "staff.disable",
            detail={"staff_id": staff.id},
        )
        if not active:
            key_slots.drop_slot(clinic, staff.username)
            signin.end_sessions(clinic.store, staff.id)
    return dataclasses.replace(staff, active=active)


def reset_password(clinic: Clinic, session: Session, username: str, new_password: str) -> None:
    """Your own password, or (administrators) someone else's: then it is a temporary
    one, to be replaced at that person's next sign-in, where they are told who reset it."""
    me = _fresh(clinic, session)
    is_self = me.username.lower() == username.lower()
    access.require(
        is_self or access.can_manage_staff(me), "Only an administrator can reset passwords."
    )
    with clinic.store.transaction():
        row = q.staff_login_row(clinic.store, username)
        if row is None:
            raise NotFound(f"There is no staff member {username!r}.")
        _check_new_password(clinic, new_password, row[0].username, row[0].display_name)
        signin_queries.set_password(
            clinic.store,
            row[0].id,
            passwords.hash_password(new_password),
            reset_by=None if is_self else me.id,
            now=q.utcnow(),
        )
        _audit(
            clinic,
            session,
            "staff.password_change" if is_self else "staff.password_reset",
            detail={"staff_id": row[0].id, "must_change": not is_self},
        )
        record_staff(  # to the others, with the key for their slot there
            clinic.store, "staff.password", row[0].id, me.id, password=new_password
        )
        key_slots.keep_slot(
            clinic, row[0].username, new_password, why="own change" if is_self else "reset"
        )
        if not is_self:
            signin.end_sessions(clinic.store, row[0].id)


def unlock_account(clinic: Clinic, session: Session, username: str) -> bool:
    """Lift a sign-in lockout (administrators). True if there was one to lift."""
    me = _fresh(clinic, session)
    access.require(access.can_manage_staff(me), "Only an administrator can unlock accounts.")
    return signin.unlock(clinic, me, username)


def list_staff(clinic: Clinic, session: Session) -> list[Staff]:
    """Any signed-in staff member may see who works here (to assign, to delegate)."""
    _fresh(clinic, session)
    return q.list_staff(clinic.store)


def login(
    clinic: Clinic,
    username: str,
    password: str,
    *,
    new_password: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Session:
    """Check a password (see core.signin: slow-down, lockout, forced change)."""
    return signin.sign_in(clinic, username, password, new_password=new_password, sleep=sleep)


def reauthenticate(
    clinic: Clinic,
    session: Session,
    password: str,
    *,
    purpose: str = "unlock",
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Ask for the password again (unlock, export, break-glass)."""
    signin.reauthenticate(
        clinic, session.staff, password, purpose=purpose, session_id=session.id, sleep=sleep
    )


def logout(clinic: Clinic, session: Session) -> None:
    with clinic.store.transaction():
        left = q.clear_presence(clinic.store, session.staff.id)
        note(clinic.store, Changes(presence=frozenset(left)))
        _audit(clinic, session, "logout", detail={"session": session.id})
    presence_relay.announce(clinic.store.path, session.staff.id, None, None)
