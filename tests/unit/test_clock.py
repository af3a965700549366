"""Response clocks in working hours: measuring, pausing while waiting on the patient,
resuming with what was left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from support.clinics import new_clinic
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
    admin = services.login(clinic, "admin", "kettle orbit maple frost")
    services.add_staff(
        clinic, admin, "desk", "Front Desk", Role.RECEPTIONIST, "plum harbor socket tundra"
    )
    session = services.login(clinic, "desk", "plum harbor socket tundra")
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


def test_answering_the_patient_stops_the_clock_and_their_next_message_starts_a_fresh_one(
    tmp_path,
):
    from clinic_inbox.core import ingest
    from clinic_inbox.core.accounts import FhirAccount
    from clinic_inbox.core.model import Source
    from clinic_inbox.core.triage import load_rules

    home = tmp_path / "c"
    c, admin, doc = new_clinic(home)
    acct = services.add_fhir_account(
        c,
        admin,
        FhirAccount(name="Portal", base_url="http://127.0.0.1:9/fhir", practitioners=["p"]),
        None,
    )
    rules = load_rules(home)
    with c.store.transaction():
        pid = q.add_patient(c.store, "Núñez", "José", "1990-01-01", "RFH-2", "pat-77", doc.id)

    def patient_writes(n: int, at: datetime, reply_to: str | None = None):
        msg = ingest.Incoming(
            source=Source.PORTAL,
            account_id=acct,
            received_at=at,
            sender_address="portal:pat-77",
            subject="Sick note for work",
            body_text="Could I have a sick note for last week, please?",
            message_id=f"<Communication/comm-{n}@portal>",
            in_reply_to=reply_to,
            fhir_resource_id=f"comm-{n}",
            fhir_version="1",
            patient_id=pid,
        )
        with c.store.transaction():
            return ingest.ingest(c.store, c.config, rules, msg)

    mon_9 = datetime(2026, 11, 23, 9, 0, tzinfo=CFG.tz)
    first = patient_writes(1, mon_9)
    row = q.get_thread(c.store, first.thread_id)
    assert datetime.fromisoformat(row.due_at) == clock.due_at(c.config, mon_9, row.priority)

    session = services.login(c, "dr.patel", "kettle orbit maple frost")
    services.queue_reply(c, session, first.thread_id, "Yes, it is ready at the front desk.")
    row = q.get_thread(c.store, first.thread_id)
    assert row.due_at is None and row.status is Status.IN_PROGRESS, "answered: no clock"
    services.set_status(c, session, first.thread_id, Status.WAITING)
    services.set_status(c, session, first.thread_id, Status.IN_PROGRESS)
    assert q.get_thread(c.store, first.thread_id).due_at is None, "waiting does not restart it"

    wed_10 = datetime(2026, 11, 25, 10, 0, tzinfo=CFG.tz)
    again = patient_writes(2, wed_10, reply_to="<Communication/comm-1@portal>")
    assert again.thread_id == first.thread_id
    row = q.get_thread(c.store, first.thread_id)
    assert datetime.fromisoformat(row.due_at) == clock.due_at(c.config, wed_10, row.priority)

    # moving it to a phone call tells the patient, so it waits with no clock to resume
    services.move_to_call_or_visit(c, session, first.thread_id, "call", "needs a conversation")
    row = q.get_thread(c.store, first.thread_id)
    assert row.status is Status.WAITING and row.due_at is None
    assert q.clock_paused_remaining(c.store, first.thread_id) is None
    c.close()
