"""Shared by the service modules: refusing in plain words, the audit entry, the
session's person as the store knows them now, and the limits on typed text."""

from __future__ import annotations

from datetime import UTC, datetime

from clinic_inbox.core import audit, signin
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Staff
from clinic_inbox.core.signin import Session
from clinic_inbox.core.store import queries as q

BREAK_GLASS_MINUTES = 30


class NotFound(Exception):
    pass


class Joined(NotFound):
    """The conversation was joined with (folded into) another one: the shared queue found
    its messages filed in a conversation the clinic's server already had."""

    def __init__(self, thread_id: int, into: int, label: str = "", into_label: str = "") -> None:
        self.label = label or f"#{thread_id}"
        super().__init__(
            f"Conversation {self.label} was joined with conversation "
            f"{into_label or f'#{into}'}: its messages had also come in on another workstation."
        )
        self.thread_id = thread_id
        self.into = into


def _now() -> datetime:
    return datetime.now(UTC)


def _audit(clinic: Clinic, session: Session | None, action: str, **kw: object) -> None:
    actor_id = session.staff.id if session else None
    actor = session.staff.username if session else "system"
    audit.append(clinic.store, clinic.audit_key, actor_id, actor, action, **kw)  # type: ignore[arg-type]


def _refuse(clinic: Clinic, session: Session | None, action: str, why: str, **kw: object) -> None:
    """Record a refused attempt in its own transaction (the refusal itself must not be
    rolled back with the action), then refuse in plain words."""
    with clinic.store.transaction():
        _audit(clinic, session, action, reason=why, **kw)
    raise AccessDenied(why)


# Replies and notes are read by people and rendered in a text widget: a whole book
# pasted by mistake (or on purpose) would freeze the board and bloat every backup.
MAX_TEXT_CHARS = 100_000


def _check_text(text: str, what: str) -> None:
    if "\x00" in text:
        raise ValueError(
            f"The {what} contains a NUL character (an invisible zero byte); remove it."
        )
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(
            f"The {what} is {len(text):,} characters long; the limit is {MAX_TEXT_CHARS:,}. "
            "Shorten it, or send the rest as a letter."
        )


def _fresh(clinic: Clinic, session: Session) -> Staff:
    """The session's person as the store knows them now: a disabled account stops at once."""
    # disabled, or password reset by an administrator: "Your session ended" (SessionEnded)
    staff = q.get_staff(clinic.store, session.staff.id)
    return signin.still_valid(clinic.store, staff, session.started_at)
