"""The app's held-reply actions (like core/app_actions.py): the one service call each
wraps, and what it changed, for the conversation panel's "Your reply is held". No Qt."""

from __future__ import annotations

from clinic_inbox.core.changes import Outcome, run
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.services import Session
from clinic_inbox.core.store import reply_hold_queries as hq
from clinic_inbox.shared import reply_hold


def held_here(clinic: Clinic, session: Session, thread_id: int) -> Outcome:
    """The held replies of the open conversation (a read: changes nothing)."""
    return Outcome(reply_hold.held_here(clinic, session, thread_id))


def send_anyway(clinic: Clinic, session: Session, outbox_id: int) -> Outcome:
    """Release the author's held reply: it goes at the next send, as any reply."""
    thread_id = next(
        (w.thread_id for w in hq.held_replies(clinic.store) if w.outbox_id == outbox_id), None
    )
    _, changes = run(reply_hold.send_anyway, clinic, session, outbox_id)
    return Outcome(thread_id, changes)


def discard(clinic: Clinic, session: Session, outbox_id: int) -> Outcome:
    return Outcome(*run(reply_hold.discard_held, clinic, session, outbox_id))
