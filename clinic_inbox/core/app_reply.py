"""The app's reply preview (like core/app_actions.py): the one service call it wraps.
No Qt here."""

from __future__ import annotations

from clinic_inbox.core import services_reply
from clinic_inbox.core.changes import Outcome
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.signin import Session


def preview_reply(clinic: Clinic, session: Session, thread_id: int, body: str) -> Outcome:
    """The reply exactly as it would go out (nothing is kept or sent): the words, the
    signature and the clinic's footer, in the conversation's language."""
    if not body.strip():
        raise ValueError("Write the reply first: the preview shows it as the patient will read it.")
    return Outcome(services_reply.preview_reply(clinic, session, thread_id, body))
