"""The board's views (mine, delegated to me, team pool, unmatched, needs review, all)
and filters, as plain functions over what the service layer returns."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from clinic_inbox.core.model import Category, Priority, Role, Source, Staff, Status
from clinic_inbox.core.services import BoardThread


class View(StrEnum):
    MINE = "mine"
    DELEGATED = "delegated"
    POOL = "pool"
    UNMATCHED = "unmatched"
    REVIEW = "review"
    NOT_DELIVERED = "not_delivered"
    FOLLOW_UP = "follow_up"
    UNFILED = "unfiled"
    ALL = "all"

    @property
    def label(self) -> str:
        return {
            View.MINE: "Mine",
            View.DELEGATED: "Delegated to me",
            View.POOL: "Team pool",
            View.UNMATCHED: "Unmatched",
            View.REVIEW: "Needs review",
            View.NOT_DELIVERED: "Not delivered: call",
            View.FOLLOW_UP: "Follow-up due",
            View.UNFILED: "Done, not filed",
            View.ALL: "All",
        }[self]


@dataclass(frozen=True)
class Filters:
    physician_id: int | None = None
    category: Category | None = None
    priority: Priority | None = None
    source: Source | None = None


def in_view(b: BoardThread, view: View, me: Staff) -> bool:
    t = b.row
    if view is View.ALL:
        return True
    if view is View.MINE:
        own = me.role is Role.PHYSICIAN and t.physician_id == me.id and t.assigned_to_id is None
        return t.assigned_to_id == me.id or own
    if view is View.DELEGATED:
        return b.decision.via == "delegate"
    if view is View.POOL:
        return t.assigned_to_id is None and t.status is not Status.DONE
    if view is View.UNMATCHED:
        return t.patient_id is None
    if view is View.REVIEW:
        return t.needs_review
    if view is View.NOT_DELIVERED:
        return t.not_delivered and t.status is not Status.DONE
    if view is View.FOLLOW_UP:
        return t.follow_up_due
    if view is View.UNFILED:
        # the chart must hold every finished exchange; the board shows the latest ones
        return t.status is Status.DONE and t.filed_at is None and t.patient_id is not None
    return False


def passes(b: BoardThread, f: Filters) -> bool:
    t = b.row
    return (
        (f.physician_id is None or t.physician_id == f.physician_id)
        and (f.category is None or t.category is f.category)
        and (f.priority is None or t.priority is f.priority)
        and (f.source is None or t.source is f.source)
    )


def counts(threads: Iterable[BoardThread], me: Staff) -> dict[View, int]:
    """Open conversations per view (Done ones are not counted as work waiting, except
    in "Done, not filed", whose work is the filing)."""
    out = dict.fromkeys(View, 0)
    for b in threads:
        if b.row.status is Status.DONE:
            out[View.UNFILED] += in_view(b, View.UNFILED, me)
            continue
        for v in View:
            if in_view(b, v, me):
                out[v] += 1
    return out


def due_text(due_at: str | None, now: datetime | None = None) -> str:
    """'due in 3 h', 'overdue by 2 d', or '' when there is no clock."""
    if not due_at:
        return ""
    now = now or datetime.now(UTC)
    delta = datetime.fromisoformat(due_at) - now
    seconds = delta.total_seconds()
    span = abs(seconds)
    if span < 3600:
        amount = f"{max(int(span // 60), 1)} min"
    elif span < 48 * 3600:
        amount = f"{int(span // 3600)} h"
    else:
        amount = f"{int(span // 86400)} d"
    return f"due in {amount}" if seconds >= 0 else f"overdue by {amount}"
