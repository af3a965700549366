"""Time spent on conversations, for billing e-visits: the rules, as pure functions.

A timer runs while a clinician has a conversation open or writes in it; each sign
of activity adds the time since the previous one, unless that gap is longer than
IDLE_LIMIT (then the gap is idle and counts nothing). Minutes per patient and per
clinician are summed over periods (7 days from the first minute of a period) and
mapped to the clinic's codes in resources/billing_codes.toml.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from functools import cache

from clinic_inbox.core.resources import resource_path

IDLE_LIMIT = timedelta(minutes=5)
MAX_ENTERED_MINUTES = 600  # one sitting; more is a typing mistake


def accumulate(active_seconds: float, last_active: datetime, now: datetime) -> float:
    """The active time after a sign of activity at `now`."""
    gap = (now - last_active).total_seconds()
    if gap <= 0 or gap > IDLE_LIMIT.total_seconds():
        return active_seconds
    return active_seconds + gap


@dataclass(frozen=True)
class Code:
    set: str
    roles: frozenset[str]
    code: str
    min: int
    max: int | None


@dataclass(frozen=True)
class Codes:
    period_days: int
    codes: tuple[Code, ...]

    def for_minutes(self, role: str, minutes: int) -> Code | None:
        for c in self.codes:
            if role in c.roles and c.min <= minutes and (c.max is None or minutes <= c.max):
                return c
        return None


@cache
def load_codes() -> Codes:
    data = tomllib.loads(resource_path("billing_codes.toml").read_text("utf-8"))
    return Codes(
        int(data.get("period_days", 7)),
        tuple(
            Code(c["set"], frozenset(c["roles"]), str(c["code"]), int(c["min"]), c.get("max"))
            for c in data.get("codes", [])
        ),
    )


@dataclass(frozen=True)
class Entry:
    patient_id: int
    patient: str
    staff_id: int
    staff: str
    role: str
    at: datetime
    seconds: float


@dataclass(frozen=True)
class Line:
    """One billable (or not) period of one clinician's time with one patient."""

    patient_id: int
    patient: str
    clinician: str
    role: str
    starts: datetime
    ends: datetime
    minutes: int
    code: str | None
    code_set: str | None


def periods(entries: list[Entry], codes: Codes, tz: tzinfo) -> list[Line]:
    """A period starts on the (clinic's) day of a clinician's first minute with a
    patient and lasts `period_days` whole days; time after that opens the next one."""
    out: list[Line] = []
    key = lambda e: (e.patient_id, e.staff_id)  # noqa: E731
    for (_pid, _sid), group in _grouped(sorted(entries, key=lambda e: (key(e), e.at)), key):
        start: datetime | None = None
        end: datetime | None = None
        total, first = 0.0, group[0]
        for e in group:
            if end is None or e.at >= end:
                if start is not None and end is not None:
                    out.append(_line(first, start, end, total, codes))
                day = e.at.astimezone(tz).date()
                start = datetime.combine(day, time(0), tz)
                end = datetime.combine(day + timedelta(days=codes.period_days), time(0), tz)
                total, first = 0.0, e
            total += e.seconds
        assert start is not None and end is not None
        out.append(_line(first, start, end, total, codes))
    return sorted(out, key=lambda ln: (ln.starts, ln.patient, ln.clinician))


def _grouped(items: list[Entry], key):  # noqa: ANN001, ANN202
    groups: dict = {}
    for e in items:
        groups.setdefault(key(e), []).append(e)
    return groups.items()


def _line(e: Entry, starts: datetime, ends: datetime, seconds: float, codes: Codes) -> Line:
    minutes = int(seconds // 60 + (1 if seconds % 60 >= 30 else 0))
    code = codes.for_minutes(e.role, minutes)
    return Line(
        e.patient_id,
        e.patient,
        e.staff,
        e.role,
        starts,
        ends,
        minutes,
        code.code if code else None,
        code.set if code else None,
    )
