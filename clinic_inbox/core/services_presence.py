"""Presence: who else has a conversation open right now."""

from __future__ import annotations

from datetime import timedelta

from clinic_inbox.core import presence_relay
from clinic_inbox.core.changes import Changes, note
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.services_common import _now
from clinic_inbox.core.signin import Session
from clinic_inbox.core.store import queries as q

# -- presence ------------------------------------------------------------------
PRESENCE_WINDOW = timedelta(minutes=3)


def mark_presence(clinic: Clinic, session: Session, thread_id: int, activity: str) -> None:
    """Say that this person has the conversation open ("viewing") or is writing ("replying")."""
    if activity not in ("viewing", "replying"):
        raise ValueError("activity is viewing or replying")
    with clinic.store.transaction():
        left = q.clear_presence(clinic.store, session.staff.id)
        q.set_presence(clinic.store, thread_id, session.staff.id, activity)
        # the "who else has it open" line of the one opened and of any this person left
        note(clinic.store, Changes(presence=frozenset([thread_id, *left])))
    # the other workstations hear it through the shared server, when there is one
    presence_relay.announce(clinic.store.path, session.staff.id, thread_id, activity)


def others_on_thread(clinic: Clinic, session: Session, thread_id: int) -> list[tuple[str, str]]:
    """Who else has this conversation open, or is replying, in the last few minutes:
    here, and on the clinic's other workstations."""
    since = (_now() - PRESENCE_WINDOW).isoformat(timespec="seconds")
    found = {
        sid: (name, act)
        for sid, name, act in q.presence(clinic.store, thread_id, since)
        if sid != session.staff.id
    }
    elsewhere = presence_relay.remote_others(clinic.store.path, thread_id, session.staff.id)
    for sid, act in elsewhere:
        person = q.get_staff(clinic.store, sid) if sid is not None else None
        name = person.display_name if person else "someone on another workstation"
        if sid is None or sid not in found or act == "replying":
            found[sid if sid is not None else -len(found) - 1] = (name, act)
    return list(found.values())
