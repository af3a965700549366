"""Response clocks: a due time counted in the clinic's working hours."""

from __future__ import annotations

from datetime import datetime, timedelta

from clinic_inbox.core.config import ClinicConfig
from clinic_inbox.core.model import Priority


def add_working_hours(cfg: ClinicConfig, start: datetime, hours: float) -> datetime:
    """`start` plus `hours` of opening time, skipping nights, weekends and holidays."""
    if not cfg.hours:
        return start + timedelta(hours=hours)
    local = start.astimezone(cfg.tz)
    remaining = timedelta(hours=hours)
    for _ in range(3660):  # ten years of days: a bound, never reached with sane hours
        span = cfg.hours.get(local.weekday())
        if span and local.date() not in cfg.holidays:
            opens = local.replace(hour=span[0].hour, minute=span[0].minute, second=0, microsecond=0)
            closes = local.replace(
                hour=span[1].hour, minute=span[1].minute, second=0, microsecond=0
            )
            begin = max(local, opens)
            if begin < closes:
                available = closes - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(start.tzinfo)
                remaining -= available
        local = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    raise ValueError("the clinic's opening hours never open")


def due_at(cfg: ClinicConfig, received: datetime, priority: Priority) -> datetime:
    return add_working_hours(cfg, received, cfg.turnaround_hours.get(priority, 24.0))


def working_seconds_between(cfg: ClinicConfig, start: datetime, end: datetime) -> float:
    """Opening time from `start` to `end` in seconds (negative when `end` is earlier):
    what a paused response clock keeps, and how a response time is measured."""
    if end < start:
        return -working_seconds_between(cfg, end, start)
    if not cfg.hours:
        return (end - start).total_seconds()
    total = 0.0
    local, stop = start.astimezone(cfg.tz), end.astimezone(cfg.tz)
    while local < stop:
        span = cfg.hours.get(local.weekday())
        if span and local.date() not in cfg.holidays:
            opens = local.replace(hour=span[0].hour, minute=span[0].minute, second=0, microsecond=0)
            closes = local.replace(
                hour=span[1].hour, minute=span[1].minute, second=0, microsecond=0
            )
            begin, finish = max(local, opens), min(stop, closes)
            if finish > begin:
                total += (finish - begin).total_seconds()
        local = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return total


def resume_due_at(cfg: ClinicConfig, now: datetime, remaining_seconds: float) -> datetime:
    """The due time of a clock that restarts with `remaining_seconds` of working time
    (an overdue clock restarts overdue by the same amount, in calendar time)."""
    if remaining_seconds <= 0:
        return now + timedelta(seconds=remaining_seconds)
    return add_working_hours(cfg, now, remaining_seconds / 3600)
