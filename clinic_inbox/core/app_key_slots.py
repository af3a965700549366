"""The app's key-protection actions (like core/app_terms.py): the one service call each
wraps, run on the app's writer thread. No Qt here."""

from __future__ import annotations

from clinic_inbox.core import services_key_slots
from clinic_inbox.core.changes import Outcome
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.signin import Session


def key_protection(clinic: Clinic, session: Session) -> Outcome:
    return Outcome(services_key_slots.key_protection(clinic, session))


def turn_on_staff_slots(clinic: Clinic, session: Session, password: str) -> Outcome:
    return Outcome(services_key_slots.turn_on_staff_slots(clinic, session, password))
