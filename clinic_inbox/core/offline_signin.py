"""Sign-ins on a workstation that has lost touch with the clinic's server are capped.

Staff accounts are replicated (shared.staff_sync): an account turned off on another
computer is turned off here only once this workstation hears from the server. After
longer than the clinic allows without contact (`[shared] offline_sign_in_hours`,
12 h by default), only administrators may sign in here. A workstation that has never
synced yet (just joined) is not capped: its first sync follows the join at once.

Before refusing, the server is asked once (`check`): a workstation that was only
switched off overnight reaches it, applies what waits there (accounts turned off
first) and signs the person in. Core has no network: `clinic_inbox.shared` registers
how to reach the server (`on_capped`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from clinic_inbox.core.model import Role, Staff
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.core.store import shared_staff_queries as ssq

Contact = Callable[[Any], bool]  # the clinic -> True once the server answered and was pulled
_contact: Contact | None = None


def on_capped(contact: Contact) -> None:
    """How to reach the server before refusing a sign-in (set by clinic_inbox.shared)."""
    global _contact
    _contact = contact


def check(clinic, staff: Staff) -> tuple[str | None, bool]:  # noqa: ANN001
    """(why this person may not sign in here now, or None; whether the server was
    reached and pulled just now, so the caller reads the person's account again)."""
    why = refusal(clinic, staff)
    if why is None or _contact is None:
        return why, False
    try:
        reached = _contact(clinic)
    except Exception:  # noqa: BLE001 - still out of touch: the refusal stands, said plainly
        reached = False
    return (refusal(clinic, staff) if reached else why), reached


def refusal(clinic, staff: Staff, now: datetime | None = None) -> str | None:  # noqa: ANN001
    """Why this person may not sign in here now, in plain words; None if they may."""
    store = clinic.store
    if staff.role is Role.ADMIN or shq.linked_clinic(store) is None:
        return None
    last = ssq.last_sync(store)
    if last is None:
        return None
    limit = timedelta(hours=clinic.config.offline_sign_in_hours)
    since = datetime.fromisoformat(last)
    if (now or datetime.now(UTC)) - since <= limit:
        return None
    local = since.astimezone(clinic.config.tz).strftime("%d %B %Y at %H:%M")
    hours = f"{clinic.config.offline_sign_in_hours:g}"
    return (
        f"This computer has not reached the clinic's shared server since {local}, longer "
        f"than the clinic allows ({hours} hours). Until it reconnects only an administrator "
        "can sign in here, because an account turned off on another computer may not be "
        "turned off here yet. Check the network connection or call IT support."
    )
