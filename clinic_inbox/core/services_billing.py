"""User actions for e-visit time: start and stop the timer on a conversation, enter or
correct minutes (with a reason), and the billing report (CSV, 0600, cells escaped),
each checked against the access policy and audited."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

from clinic_inbox.core import access, billing_time
from clinic_inbox.core import services as sv
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Role
from clinic_inbox.core.private_files import csv_cell, open_private, private_dir
from clinic_inbox.core.signin import Session
from clinic_inbox.core.store import billing_queries as bq

CLINICIANS = (Role.PHYSICIAN, Role.NURSE)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds")


def _clinician_on(clinic: Clinic, session: Session, thread_id: int):  # noqa: ANN202
    row, d = sv._acting(clinic, session, thread_id)
    access.require(
        session.staff.role in CLINICIANS and d.body,
        "Only the clinicians who may read the conversation record e-visit time.",
    )
    return row


def start_timer(
    clinic: Clinic, session: Session, thread_id: int, now: datetime | None = None
) -> int:
    """Start (or keep running) this clinician's timer on the conversation."""
    at = now or sv._now()
    with clinic.store.transaction():
        row = _clinician_on(clinic, session, thread_id)
        found = bq.running(clinic.store, session.staff.id, thread_id)
        if found is not None:
            return found.id
        entry = bq.start(clinic.store, thread_id, row.patient_id, session.staff.id, _iso(at))
        sv._audit(
            clinic,
            session,
            "time.start",
            patient_id=row.patient_id,
            thread_id=thread_id,
            detail={"entry_id": entry},
        )
    return entry


def activity(clinic: Clinic, session: Session, thread_id: int, now: datetime | None = None) -> None:
    """A sign of work (reading, typing): counts the time since the last one, unless
    the clinician was idle. Not audited: the start and stop are."""
    at = now or sv._now()
    with clinic.store.transaction():
        e = bq.running(clinic.store, session.staff.id, thread_id)
        if e is None or e.last_active_at is None:
            return
        last = datetime.fromisoformat(e.last_active_at)
        bq.set_active(
            clinic.store, e.id, billing_time.accumulate(e.active_seconds, last, at), _iso(at)
        )


def stop_timer(
    clinic: Clinic, session: Session, thread_id: int, now: datetime | None = None
) -> float:
    """Stop the timer; returns the active minutes it recorded."""
    at = now or sv._now()
    with clinic.store.transaction():
        row = _clinician_on(clinic, session, thread_id)
        e = bq.running(clinic.store, session.staff.id, thread_id)
        if e is None:
            raise ValueError("No timer is running on this conversation.")
        seconds = e.active_seconds
        if e.last_active_at:
            seconds = billing_time.accumulate(seconds, datetime.fromisoformat(e.last_active_at), at)
        bq.set_active(clinic.store, e.id, seconds, _iso(at))
        bq.stop(clinic.store, e.id, _iso(at))
        sv._audit(
            clinic,
            session,
            "time.stop",
            patient_id=row.patient_id,
            thread_id=thread_id,
            detail={"entry_id": e.id, "seconds": round(seconds)},
        )
    return seconds / 60


def _check_minutes(minutes: float, reason: str) -> None:
    if not 0 < minutes <= billing_time.MAX_ENTERED_MINUTES:
        raise ValueError(f"Enter between 1 and {billing_time.MAX_ENTERED_MINUTES} minutes.")
    if len(reason.strip()) < 5:
        raise ValueError("Say why the time is entered or changed: it is kept in the record.")
    sv._check_text(reason, "reason")


def enter_minutes(
    clinic: Clinic,
    session: Session,
    thread_id: int,
    minutes: float,
    reason: str,
    at: datetime | None = None,
) -> int:
    """Minutes worked on a conversation away from the timer (a call about it...)."""
    _check_minutes(minutes, reason)
    when = at or sv._now()
    if when > sv._now() + timedelta(minutes=1):
        raise ValueError("Time cannot be entered for the future.")
    with clinic.store.transaction():
        row = _clinician_on(clinic, session, thread_id)
        entry = bq.enter(
            clinic.store,
            thread_id,
            row.patient_id,
            session.staff.id,
            _iso(when),
            minutes * 60,
            reason.strip(),
        )
        sv._audit(
            clinic,
            session,
            "time.enter",
            patient_id=row.patient_id,
            thread_id=thread_id,
            reason=reason.strip(),
            detail={"entry_id": entry, "minutes": minutes},
        )
    return entry


def edit_minutes(
    clinic: Clinic, session: Session, entry_id: int, minutes: float, reason: str
) -> None:
    """Correct one's own recorded time, saying why (the old value stays in the audit)."""
    _check_minutes(minutes, reason)
    access.require(
        sv._fresh(clinic, session).role in CLINICIANS, "Only clinicians record e-visit time."
    )
    with clinic.store.transaction():
        e = bq.get(clinic.store, entry_id)
        if e is None or e.stopped_at is None:
            raise sv.NotFound("There is no finished time entry with that number.")
        access.require(
            e.staff_id == session.staff.id, "Only the clinician who recorded it can change it."
        )
        row = _clinician_on(clinic, session, e.thread_id)
        bq.edit(clinic.store, entry_id, minutes * 60, reason.strip())
        sv._audit(
            clinic,
            session,
            "time.edit",
            patient_id=row.patient_id,
            thread_id=e.thread_id,
            reason=reason.strip(),
            detail={
                "entry_id": entry_id,
                "from_seconds": round(e.active_seconds),
                "to_minutes": minutes,
            },
        )


def billing_lines(
    clinic: Clinic, session: Session, start: datetime, end: datetime
) -> list[billing_time.Line]:
    """Periods starting in [start, end): a physician or nurse sees their own; the
    administrator (who does the billing) everyone's. Names, minutes, codes: no content."""
    staff = sv._fresh(clinic, session)
    access.require(
        staff.role in (*CLINICIANS, Role.ADMIN),
        "Only clinicians and the administrator may see the billing report.",
    )
    mine = None if staff.role is Role.ADMIN else staff.id
    # a period may have begun up to period_days before `start`: read from there
    codes = billing_time.load_codes()
    since = start - timedelta(days=codes.period_days)
    rows = bq.finished_between(clinic.store, _iso(since), _iso(end), mine)
    entries = [
        billing_time.Entry(r[0], r[1], r[2], r[3], r[4], datetime.fromisoformat(r[5]), r[6])
        for r in rows
    ]
    lines = billing_time.periods(entries, codes, clinic.config.tz)
    return [ln for ln in lines if start <= ln.starts < end]


HEADER = [
    "patient_id",
    "patient",
    "clinician",
    "role",
    "period_start",
    "period_end",
    "minutes",
    "code",
    "code_set",
]


def export_billing_csv(
    clinic: Clinic, session: Session, start: datetime, end: datetime, out: Path
) -> int:
    """The report as CSV, owner-only, every cell escaped against formula injection;
    audited (it names patients). Returns the number of lines."""
    lines = billing_lines(clinic, session, start, end)
    tz = clinic.config.tz
    private_dir(out.parent)
    with open_private(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for ln in lines:
            w.writerow(
                csv_cell(v)
                for v in (
                    ln.patient_id,
                    ln.patient,
                    ln.clinician,
                    ln.role,
                    ln.starts.astimezone(tz).date().isoformat(),
                    (ln.ends.astimezone(tz) - timedelta(seconds=1)).date().isoformat(),
                    ln.minutes,
                    ln.code or "",
                    ln.code_set or "",
                )
            )
    with clinic.store.transaction():
        sv._audit(
            clinic,
            session,
            "billing.export",
            detail={"lines": len(lines), "from": _iso(start), "to": _iso(end)},
        )
    return len(lines)


def export_billing_pdf(
    clinic: Clinic, session: Session, start: datetime, end: datetime, out: Path
) -> int:
    """The same report as a PDF (owner-only file), audited."""
    from clinic_inbox.core.export.billing_pdf import render_billing_pdf

    lines = billing_lines(clinic, session, start, end)
    tz = clinic.config.tz
    data = render_billing_pdf(
        clinic.config.name,
        lines,
        start.astimezone(tz).date(),
        (end - timedelta(seconds=1)).astimezone(tz).date(),
        tz,
    )
    private_dir(out.parent)
    with open_private(out, "wb") as fh:
        fh.write(data)
    with clinic.store.transaction():
        sv._audit(
            clinic,
            session,
            "billing.export",
            detail={"lines": len(lines), "from": _iso(start), "to": _iso(end), "format": "pdf"},
        )
    return len(lines)
