"""Figures for the dashboard: messages per day, open and overdue work, and how
fast each physician's patients get an answer against the published turnaround."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from clinic_inbox.core import clock
from clinic_inbox.core.config import ClinicConfig
from clinic_inbox.core.store import billing_queries as bq
from clinic_inbox.core.store import compose_queries as cq
from clinic_inbox.core.store import dashboard_queries as dq
from clinic_inbox.core.store.connection import Store


@dataclass(frozen=True)
class PhysicianFigures:
    name: str
    open: int
    overdue: int
    median_response_hours: float | None
    target_hours: float
    answered: int


@dataclass
class Dashboard:
    per_day: list[tuple[date, int]] = field(default_factory=list)
    open: int = 0
    overdue: int = 0
    urgent_open: int = 0
    not_delivered: int = 0  # open conversations whose message did not reach the patient
    follow_up_due: int = 0  # back in New: the patient did not answer by the date
    scheduled: int = 0  # messages kept for a later time
    done_not_filed: int = 0  # finished conversations of a patient not yet in the chart
    evisit_minutes: list[tuple[str, int]] = field(default_factory=list)  # last 7 days
    busiest_patients: list[tuple[str, int]] = field(default_factory=list)  # last 30 days
    physicians: list[PhysicianFigures] = field(default_factory=list)


def build(
    store: Store, cfg: ClinicConfig, days: int = 30, now: datetime | None = None
) -> Dashboard:
    """Counts only (no message content), so every role may see the dashboard."""
    now = now or datetime.now(UTC)
    tz = cfg.tz
    start = (now - timedelta(days=days - 1)).astimezone(tz).date()
    counts = {start + timedelta(days=i): 0 for i in range(days)}
    since = (now - timedelta(days=days + 1)).isoformat(timespec="seconds")
    for received in dq.inbound_received_since(store, since):
        d = datetime.fromisoformat(received).astimezone(tz).date()
        if d in counts:
            counts[d] += 1
    out = Dashboard(per_day=sorted(counts.items()))
    stamp = now.isoformat(timespec="seconds")
    out.open, out.overdue, out.urgent_open = dq.open_overdue_urgent(store, stamp)
    out.not_delivered = len(cq.not_delivered_open(store))
    out.follow_up_due = len(cq.follow_up_due_threads(store))
    out.scheduled = len(cq.scheduled(store, stamp))
    out.done_not_filed = cq.done_not_filed_count(store)
    week = (now - timedelta(days=7)).isoformat(timespec="seconds")
    out.evisit_minutes = bq.minutes_by_clinician(store, week)
    month = (now - timedelta(days=30)).isoformat(timespec="seconds")
    out.busiest_patients = cq.busiest_patients(store, month)
    target = cfg.turnaround_hours
    for sid, name in dq.active_physicians(store):
        open_, overdue = dq.physician_open_overdue(store, sid, stamp)
        # response time: first inbound message of a thread to the first reply after it
        waits = []
        for first_in, first_out in dq.first_message_and_reply(store, sid):
            if first_in and first_out and first_out > first_in:
                # in working hours, like the published turnaround it is compared with
                worked = clock.working_seconds_between(
                    cfg, datetime.fromisoformat(first_in), datetime.fromisoformat(first_out)
                )
                waits.append(worked / 3600)
        out.physicians.append(
            PhysicianFigures(
                name,
                open_,
                overdue,
                statistics.median(waits) if waits else None,
                target.get(_routine(), 16.0),
                len(waits),
            )
        )
    return out


def _routine():  # noqa: ANN202
    from clinic_inbox.core.model import Priority

    return Priority.ROUTINE
