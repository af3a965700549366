"""E-visit time on a scripted day of work, on a real encrypted store: the timer leaves
idle gaps out, entered and corrected minutes need a reason, minutes per patient and
7-day period map to the clinic's codes, and the CSV is private and formula-safe."""

from __future__ import annotations

import csv
import stat
from datetime import UTC, datetime, timedelta

import pytest
from support.clinics import new_clinic

from clinic_inbox.core import billing_time, services
from clinic_inbox.core import services_billing as sb
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.model import Category, Direction, Priority, Role, Source
from clinic_inbox.core.store import queries as q

PW = "kettle orbit maple frost"
# a Monday in the past, so that nothing is "in the future"
DAY = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


def at(minutes: float, days: int = 0) -> datetime:
    return DAY + timedelta(days=days, minutes=minutes)


@pytest.fixture()
def clinic(tmp_path):
    clinic, admin, patel = new_clinic(tmp_path / "c")
    services.add_staff(clinic, admin, "nurse.chen", "Mei Chen", Role.NURSE, PW)
    services.add_staff(clinic, admin, "reception.moreau", "Élise Moreau", Role.RECEPTIONIST, PW)
    with clinic.store.transaction():
        # a patient whose name would run as a formula in a spreadsheet
        ids = [
            q.add_patient(clinic.store, "Tremblay", "Luc", None, "C-1", None, patel.id),
            q.add_patient(clinic.store, "SUM(A1)", '=HYPERLINK("x")', None, "C-2", None, patel.id),
        ]
        threads = []
        for pid in ids:
            tid = q.create_thread(
                clinic.store,
                q.NewThread(
                    subject="Question",
                    category=Category.RESULTS,
                    priority=Priority.ROUTINE,
                    created_at=q.utcnow(),
                    patient_id=pid,
                ),
            )
            q.insert_message(
                clinic.store,
                q.NewMessage(
                    thread_id=tid,
                    source=Source.EMAIL,
                    direction=Direction.INBOUND,
                    received_at=q.utcnow(),
                    sender="p@patients.example",
                    body_text="?",
                    patient_id=pid,
                    category=Category.RESULTS,
                ),
            )
            threads.append(tid)
    clinic.threads = threads  # type: ignore[attr-defined]
    yield clinic
    clinic.close()


def test_the_timer_counts_activity_and_leaves_idle_gaps_out():
    t0 = DAY
    s = billing_time.accumulate(0, t0, t0 + timedelta(minutes=3))
    assert s == 180
    assert billing_time.accumulate(s, t0, t0 + timedelta(minutes=6)) == 180  # idle: nothing
    assert billing_time.accumulate(s, t0, t0 - timedelta(minutes=1)) == 180  # clock went back


def test_a_scripted_week_of_work_gives_minutes_and_codes(clinic, tmp_path):
    luc_thread, odd_thread = clinic.threads
    doc = services.login(clinic, "dr.patel", PW)
    # Monday: Dr Patel reads and answers Luc for 7 active minutes over 23 (a 16-minute
    # interruption in the middle does not count)
    sb.start_timer(clinic, doc, luc_thread, now=at(0))
    for m in (2, 4, 20, 21):
        sb.activity(clinic, doc, luc_thread, now=at(m))
    assert round(sb.stop_timer(clinic, doc, luc_thread, now=at(23))) == 7
    # Wednesday: a phone call about the same messages, entered by hand
    sb.enter_minutes(clinic, doc, luc_thread, 6, "Phoned Luc about the results", at=at(0, days=2))
    # the nurse spends 6 minutes on the same patient
    nurse = services.login(clinic, "nurse.chen", PW)
    with pytest.raises(AccessDenied):  # she reads only what is delegated to her
        sb.start_timer(clinic, nurse, luc_thread, now=at(30))
    services.grant_delegation(clinic, doc, physician="dr.patel", delegate="nurse.chen")
    sb.start_timer(clinic, nurse, luc_thread, now=at(30))
    sb.activity(clinic, nurse, luc_thread, now=at(33))
    sb.stop_timer(clinic, nurse, luc_thread, now=at(36))
    # the other patient: 4 minutes, not billable
    sb.enter_minutes(clinic, doc, odd_thread, 4, "Read the forwarded report", at=at(60))
    # nine days later a new period begins for Luc
    entry = sb.enter_minutes(clinic, doc, luc_thread, 3, "Quick follow-up read", at=at(0, days=9))
    sb.edit_minutes(clinic, doc, entry, 25, "Also wrote the referral letter")

    admin = services.login(clinic, "admin", "quartz lantern meadow violin")
    lines = sb.billing_lines(clinic, admin, DAY - timedelta(days=1), DAY + timedelta(days=14))
    got = [(ln.patient, ln.clinician, ln.minutes, ln.code) for ln in lines]
    assert got == [  # by period, then patient and clinician
        ('=HYPERLINK("x") SUM(A1)', "Dr Anjali Patel", 4, None),
        ("Luc Tremblay", "Dr Anjali Patel", 13, "99422"),
        ("Luc Tremblay", "Mei Chen", 6, "98970"),
        ("Luc Tremblay", "Dr Anjali Patel", 25, "99423"),
    ]
    # a physician's report is her own time only
    assert {
        ln.clinician
        for ln in sb.billing_lines(clinic, nurse, DAY - timedelta(days=1), DAY + timedelta(days=14))
    } == {"Mei Chen"}
    desk = services.login(clinic, "reception.moreau", PW)
    with pytest.raises(AccessDenied):
        sb.billing_lines(clinic, desk, DAY, DAY + timedelta(days=14))

    out = tmp_path / "billing" / "nov.csv"
    assert (
        sb.export_billing_csv(clinic, admin, DAY - timedelta(days=1), DAY + timedelta(days=14), out)
        == 4
    )
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0] == sb.HEADER
    assert rows[1][1] == '\'=HYPERLINK("x") SUM(A1)'  # shown, never run
    assert rows[2][4:8] == ["2026-11-02", "2026-11-08", "13", "99422"]
    pdf = tmp_path / "billing" / "nov.pdf"
    sb.export_billing_pdf(clinic, admin, DAY - timedelta(days=1), DAY + timedelta(days=14), pdf)
    assert stat.S_IMODE(pdf.stat().st_mode) == 0o600
    from pypdf import PdfReader

    text = " ".join(" ".join(p.extract_text() for p in PdfReader(pdf).pages).split())
    assert "Luc Tremblay" in text and "99422" in text and "98970" in text and "99423" in text
    assert "4 periods, 3 billable, 48 minutes in all." in text
    actions = [
        r[0]
        for r in clinic.store.execute(
            "SELECT action FROM audit WHERE action LIKE 'time.%' OR action = 'billing.export'"
        )
    ]
    assert actions.count("time.start") == 2 and actions.count("time.enter") == 3
    assert actions.count("time.edit") == 1 and actions[-2:] == ["billing.export"] * 2


def test_the_dashboard_shows_the_weeks_e_visit_minutes(clinic):
    from clinic_inbox.core import dashboard

    doc = services.login(clinic, "dr.patel", PW)
    now = datetime.now(UTC)
    sb.enter_minutes(
        clinic, doc, clinic.threads[0], 12, "Phoned the patient", at=now - timedelta(days=1)
    )
    sb.enter_minutes(
        clinic, doc, clinic.threads[0], 30, "Last month's call", at=now - timedelta(days=20)
    )
    assert dashboard.build(clinic.store, clinic.config).evisit_minutes == [("Dr Anjali Patel", 12)]


def test_entered_or_corrected_time_needs_a_reason_and_its_own_author(clinic):
    doc = services.login(clinic, "dr.patel", PW)
    with pytest.raises(ValueError, match="Say why"):
        sb.enter_minutes(clinic, doc, clinic.threads[0], 5, "", at=at(0))
    with pytest.raises(ValueError, match="between 1 and"):
        sb.enter_minutes(clinic, doc, clinic.threads[0], 5000, "a whole week", at=at(0))
    with pytest.raises(ValueError, match="future"):
        sb.enter_minutes(
            clinic,
            doc,
            clinic.threads[0],
            5,
            "tomorrow's call",
            at=datetime.now(UTC) + timedelta(days=1),
        )
    entry = sb.enter_minutes(clinic, doc, clinic.threads[0], 5, "Phoned the patient", at=at(0))
    services.grant_delegation(clinic, doc, physician="dr.patel", delegate="nurse.chen")
    nurse = services.login(clinic, "nurse.chen", PW)
    with pytest.raises(AccessDenied, match="Only the clinician who recorded it"):
        sb.edit_minutes(clinic, nurse, entry, 50, "I think it was longer")
