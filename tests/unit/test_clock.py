"""Response clocks in working hours: measuring, pausing while waiting on the patient,
resuming with what was left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from test_backup import clinic as clinic  # noqa: F401, PLC0414

from clinic_inbox.core import clock, services
from clinic_inbox.core.config import load_config
from clinic_inbox.core.model import Category, Priority, Role, Status
from clinic_inbox.core.store import queries as q

CFG = load_config()


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 6, 1)),
    hours=st.floats(min_value=0.25, max_value=60),
)
def test_measuring_undoes_adding(start, hours):
    start = start.replace(tzinfo=UTC)
    due = clock.add_working_hours(CFG, start, hours)
    assert abs(clock.working_seconds_between(CFG, start, due) - hours * 3600) < 1
    assert clock.working_seconds_between(CFG, due, start) == -clock.working_seconds_between(
        CFG, start, due
    )


def test_a_weekend_counts_nothing():
    fri_close = datetime(2026, 11, 27, 16, 0, tzinfo=CFG.tz)  # Friday closes at 16:00
    mon_open = datetime(2026, 11, 30, 8, 30, tzinfo=CFG.tz)
    assert clock.working_seconds_between(CFG, fri_close, mon_open) == 0


def test_waiting_on_the_patient_pauses_the_clock_and_resuming_keeps_what_was_left(
    clinic,  # noqa: F811
    monkeypatch,
):
    admin = services.login(clinic, "admin", "demo")
    services.add_staff(clinic, admin, "desk", "Front Desk", Role.RECEPTIONIST, "desk-password-1")
    session = services.login(clinic, "desk", "desk-password-1")
    tue_9 = datetime(2026, 11, 24, 9, 0, tzinfo=CFG.tz)
    due = clock.add_working_hours(clinic.config, tue_9, 16)  # routine: 16 working hours
    with clinic.store.transaction():
        tid = q.create_thread(
            clinic.store,
            q.NewThread("Forms", Category.FORMS, Priority.ROUTINE, tue_9.isoformat(), None),
        )
        q.update_thread(clinic.store, tid, due_at=due.isoformat(timespec="seconds"))
    # two working hours later the clinic asks the patient something
    paused_at = tue_9 + timedelta(hours=2)
    monkeypatch.setattr(services, "_now", lambda: paused_at.astimezone(UTC))
    services.set_status(clinic, session, tid, Status.WAITING)
    assert q.clock_paused_remaining(clinic.store, tid) == 14 * 3600
    # a week later the conversation is taken up again: 14 working hours remain
    back = paused_at + timedelta(days=7)
    monkeypatch.setattr(services, "_now", lambda: back.astimezone(UTC))
    services.set_status(clinic, session, tid, Status.IN_PROGRESS)
    row = q.get_thread(clinic.store, tid)
    resumed_due = datetime.fromisoformat(row.due_at)
    assert resumed_due == clock.add_working_hours(clinic.config, back, 14)
    assert q.clock_paused_remaining(clinic.store, tid) is None
