"""Turning on staff key slots for a clinic without a keyring, as an administrator's action
(issue 16): the same step as `clinic-inbox key seal`, for the app's Administration.

A clinic whose computer has no secure keyring keeps its store key wrapped by one shared
passphrase (core.keys): whoever knows it opens everything. With staff key slots
(core.staff_keys) each person's own password releases the key; the passphrase stops
working once everyone has signed in once with their own password.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from clinic_inbox.core import access, signin, staff_keys
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.keys import CustodyRecord, KeyCustody
from clinic_inbox.core.services_common import _fresh, _refuse
from clinic_inbox.core.signin import Session

REFUSED = "Only an administrator may change how this computer's store is protected."


@dataclass(frozen=True)
class KeyProtection:
    """What Administration shows about the store's key."""

    custody: str  # core.keys' own description, in words
    can_turn_on: bool  # a keyring-less clinic still opened by its shared passphrase
    slots_on: bool  # staff key slots are on (for a keyring-less clinic)
    sealed: bool  # the shared passphrase (or the keyring alone) opens nothing any more
    waiting: list[str] = field(default_factory=list)  # active staff without a slot yet
    record: CustodyRecord | None = field(default=None, repr=False, compare=False)


def _view(clinic: Clinic) -> KeyProtection:
    rec = clinic.custody
    return KeyProtection(
        rec.describe(),
        rec.method == "passphrase" and not rec.demo and not (rec.staff_slots or rec.sealed),
        bool(rec.staff_slots or (rec.sealed and rec.method == "passphrase")),
        bool(rec.sealed),
        staff_keys.without_slot(clinic),
        rec,
    )


def key_protection(clinic: Clinic, session: Session) -> KeyProtection:
    staff = _fresh(clinic, session)
    access.require(access.can_manage_staff(staff), REFUSED)
    clinic.custody = KeyCustody(clinic.home, None, detect=False).record()  # another may have
    return _view(clinic)


def turn_on_staff_slots(clinic: Clinic, session: Session, password: str) -> KeyProtection:
    """The administrator's own password, checked like a sign-in (counted, locked, audited),
    becomes their key slot; colleagues get theirs at their next sign-in. Returns the new
    state, with who still needs to sign in once."""
    staff = _fresh(clinic, session)
    if not access.can_manage_staff(staff):
        _refuse(clinic, session, "key.staff_slots_refused", REFUSED)
    clinic.custody = KeyCustody(clinic.home, None, detect=False).record()
    access.require(
        not clinic.custody.demo,
        "The demo clinic keeps its published passphrase (anyone may open it: it holds no "
        "real patient). Nothing was changed.",
    )
    access.require(
        _view(clinic).can_turn_on,
        "This computer's store is already released by each person's own password, or its "
        "key is kept by the system keyring. Nothing was changed.",
    )
    # a mistyped password would become the administrator's slot: it must be theirs
    signin.reauthenticate(clinic, staff, password, purpose="staff key slots", session_id=session.id)
    staff_keys.enable_staff_slots(
        clinic, staff.username, password, actor=(staff.id, staff.username)
    )
    return _view(clinic)
