"""Cover for absences on a real encrypted store: the audited, time-limited delegation,
the queue handed to the cover, its end, and the warning when nobody covers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support.clinics import new_clinic

from clinic_inbox.core import services
from clinic_inbox.core import services_cover as cover
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.model import Category, Direction, Priority, Role, Source
from clinic_inbox.core.store import queries as q

PW = "kettle orbit maple frost"


@pytest.fixture()
def clinic(tmp_path):
    clinic, admin, patel = new_clinic(tmp_path / "c")
    okafor = services.add_staff(clinic, admin, "dr.okafor", "Dr Chinedu Okafor", Role.PHYSICIAN, PW)
    services.add_staff(clinic, admin, "reception.moreau", "Élise Moreau", Role.RECEPTIONIST, PW)
    with clinic.store.transaction():
        clinic.luc = q.add_patient(clinic.store, "Tremblay", "Luc", None, "C-1", None, patel.id)  # type: ignore[attr-defined]
    clinic.patel, clinic.okafor = patel, okafor  # type: ignore[attr-defined]
    yield clinic
    clinic.close()


def _new_message(clinic, text="My results?", category=Category.RESULTS, sensitive=False):
    with clinic.store.transaction():
        tid = q.create_thread(
            clinic.store,
            q.NewThread(
                subject="Results",
                category=category,
                priority=Priority.ROUTINE,
                created_at=q.utcnow(),
                patient_id=clinic.luc,
                sensitive=sensitive,
            ),
        )
        q.insert_message(
            clinic.store,
            q.NewMessage(
                thread_id=tid,
                source=Source.EMAIL,
                direction=Direction.INBOUND,
                received_at=q.utcnow(),
                sender="luc@patients.example",
                body_text=text,
                patient_id=clinic.luc,
                category=category,
            ),
        )
    return tid


def _login(clinic, who):
    return services.login(clinic, who, PW)


def test_cover_reads_answers_and_takes_the_queue_until_the_end_date(clinic):
    before = _new_message(clinic)
    patel = _login(clinic, "dr.patel")
    now = datetime.now(UTC)
    absence = cover.mark_away(
        clinic,
        patel,
        physician="dr.patel",
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(days=3),
        cover="dr.okafor",
    )
    okafor = _login(clinic, "dr.okafor")
    d = services.decision_for(clinic, okafor, before)
    assert d.body and d.reply and d.delegate_of == "Dr Anjali Patel"
    secret = _new_message(clinic, "private", sensitive=True)
    assert not services.decision_for(clinic, okafor, secret).body  # sensitive stays with Patel
    new = _new_message(clinic, "Is my prescription ready?", Category.REFILL)
    moved = cover.forward_queues(clinic)
    assert set(moved) == {before, new}  # the sensitive one stays with Dr Patel
    assert {q.get_thread(clinic.store, t).assigned_to_id for t in moved} == {clinic.okafor.id}
    entries = clinic.store.execute(
        "SELECT actor, reason FROM audit WHERE action = 'thread.assign'"
    ).fetchall()
    assert len(entries) == 2 and entries[0] == (
        "system",
        "Dr Anjali Patel is away; Dr Chinedu Okafor covers",
    )
    assert clinic.store.one("SELECT count(*) FROM audit WHERE action = 'cover.absence'") == 1
    assert clinic.store.one("SELECT count(*) FROM audit WHERE action = 'delegation.grant'") == 1
    assert cover.forward_queues(clinic) == []  # handed over once
    # after the end date: nothing is forwarded and the delegation has lapsed
    later = now + timedelta(days=3, minutes=1)
    after = _new_message(clinic, "Another question")
    assert cover.forward_queues(clinic, later) == []
    assert q.get_thread(clinic.store, after).assigned_to_id is None
    from clinic_inbox.core import access
    from clinic_inbox.core.store import access_queries as aq

    facts = aq.thread_facts(clinic.store, after)
    grants = aq.grants_to(clinic.store, clinic.okafor.id)
    assert not access.decide(clinic.okafor, facts, grants, now=later).body
    assert [a.id for a in cover.absences(clinic, patel)] == [absence]


def test_only_the_physician_or_an_administrator_marks_an_absence(clinic):
    now = datetime.now(UTC)
    for who in ("reception.moreau", "dr.okafor"):
        with pytest.raises(AccessDenied):
            cover.mark_away(
                clinic,
                _login(clinic, who),
                physician="dr.patel",
                starts_at=now,
                ends_at=now + timedelta(days=1),
                cover="dr.okafor",
            )
    admin = services.login(clinic, "admin", "quartz lantern meadow violin")
    with pytest.raises(ValueError, match="another active physician"):
        cover.mark_away(
            clinic,
            admin,
            physician="dr.patel",
            starts_at=now,
            ends_at=now + timedelta(days=1),
            cover="reception.moreau",
        )
    cover.mark_away(
        clinic,
        admin,
        physician="dr.patel",
        starts_at=now,
        ends_at=now + timedelta(days=1),
        cover="dr.okafor",
    )
    with pytest.raises(ValueError, match="already marked away"):
        cover.mark_away(
            clinic,
            admin,
            physician="dr.patel",
            starts_at=now + timedelta(hours=2),
            ends_at=now + timedelta(days=2),
            cover=None,
        )


def test_an_absence_without_cover_is_warned_about_with_the_waiting_patients(clinic):
    _new_message(clinic)
    patel = _login(clinic, "dr.patel")
    now = datetime.now(UTC)
    absence = cover.mark_away(
        clinic,
        patel,
        physician="dr.patel",
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(days=1),
        cover=None,
    )
    desk = _login(clinic, "reception.moreau")
    [warn] = cover.uncovered(clinic, desk)
    assert warn.physician == "Dr Anjali Patel" and warn.patients == [
        (clinic.luc, "Luc Tremblay", 1)
    ]
    assert cover.forward_queues(clinic) == []
    cover.cancel_absence(clinic, patel, absence)
    assert cover.uncovered(clinic, desk) == []


def test_cancelling_an_absence_ends_the_covers_delegation(clinic):
    tid = _new_message(clinic)
    patel = _login(clinic, "dr.patel")
    now = datetime.now(UTC)
    absence = cover.mark_away(
        clinic,
        patel,
        physician="dr.patel",
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(days=5),
        cover="dr.okafor",
    )
    okafor = _login(clinic, "dr.okafor")
    assert services.decision_for(clinic, okafor, tid).body
    cover.cancel_absence(clinic, patel, absence)
    assert not services.decision_for(clinic, okafor, tid).body
    assert cover.absences(clinic, patel) == []


def test_a_held_message_from_the_patients_address_goes_to_the_cover_too(clinic):
    tid = _new_message(clinic, "from my address, not verified")
    with clinic.store.transaction():  # as ingest leaves an unverified sender's message
        clinic.store.execute(
            "UPDATE threads SET patient_id = NULL, suggested_patient_id = ?, held_for_review = 1 "
            "WHERE id = ?",
            (clinic.luc, tid),
        )
    now = datetime.now(UTC)
    cover.mark_away(
        clinic,
        _login(clinic, "dr.patel"),
        physician="dr.patel",
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(days=1),
        cover="dr.okafor",
    )
    assert cover.forward_queues(clinic) == [tid]
    assert services.decision_for(clinic, _login(clinic, "dr.okafor"), tid).body
