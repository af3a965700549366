"""Who has a conversation open, clinic-wide ("Dr Patel is replying").

Ephemeral and plain on the server (an UNLOGGED table): a conversation id, a keyed
staff reference, a workstation id, "viewing" or "replying", and an expiry. A
workstation that dies simply stops renewing its row, which expires after the TTL.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinic_inbox.shared.server import Link

TTL_SECONDS = 60


@dataclass(frozen=True)
class Presence:
    conversation: str
    staff_ref: str
    workstation: str
    activity: str


def announce(link: Link, staff_ref: str, conversation: str | None, activity: str | None) -> None:
    """This person now has `conversation` open (or nothing, with None)."""
    if activity is not None and activity not in ("viewing", "replying"):
        raise ValueError("activity is viewing or replying")
    with link.conn.transaction():
        link.conn.execute(
            "SELECT set_presence(%s, %s, %s, %s, %s)",
            (conversation, staff_ref, link.workstation_id, activity, TTL_SECONDS),
        )


def current(link: Link) -> list[Presence]:
    with link.conn.transaction():
        rows = link.conn.execute(
            "SELECT conv::text, staff, ws::text, activity FROM presence "
            "WHERE expires_at > clock_timestamp() ORDER BY conv, staff"
        ).fetchall()
    return [Presence(*r) for r in rows]
