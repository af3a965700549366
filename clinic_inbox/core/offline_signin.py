"""Sign-ins on a workstation that has lost touch with the clinic's server are capped.

Staff accounts are replicated (shared.staff_sync): an account turned off on another
computer is turned off here only once this workstation hears from the server. After
longer than the clinic allows without contact (`[shared] offline_sign_in_hours`,
12 h by default), only administrators may sign in here. A workstation that has never
synced yet (just joined) is not capped: its first sync follows the join at once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from clinic_inbox.core.model import Role, Staff
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.core.store import shared_staff_queries as ssq


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
