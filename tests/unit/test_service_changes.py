"""Every writing service reports exactly what it changed (issue 19).

A copy of the demo clinic per test (a real encrypted store). The store is read
before and after each service, and the `Changes` the service reported under
`changes.run` must name exactly the conversations, "who else has it open" lines,
outbox, team and access rules that differ: no fewer (a card left stale on screen),
no more (cards repainted for nothing). A refused or failed action changes nothing and
reports nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.insider import make_demo, open_demo

from clinic_inbox.core import app_actions, app_reads, services
from clinic_inbox.core import services_patients as sp
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.changes import NOTHING, Changes, recording, run
from clinic_inbox.core.model import Category, Priority, Role, Status
from clinic_inbox.core.store import access_queries as aq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import sync_queries as sq

NO_WAIT = {"sleep": lambda s: None}


@dataclass
class Demo:
    clinic: object
    doc: services.Session  # Dr Patel
    nurse: services.Session
    admin: services.Session
    home: Path


@pytest.fixture()
def demo(tmp_path):
    home = make_demo(tmp_path / "clinic")
    clinic = open_demo(home)

    def sign_in(user: str) -> services.Session:
        return services.login(clinic, user, "demo", **NO_WAIT)

    yield Demo(clinic, sign_in("dr.patel"), sign_in("nurse.chen"), sign_in("admin"), tmp_path)
    clinic.close()


def _snapshot(d: Demo, viewer: services.Session) -> dict:
    """What the screens show, read straight from the store: every conversation's row,
    notes and card (with the viewer's access decision), the presence lines, the replies
    waiting, the team and the delegations."""
    store = d.clinic.store
    rows = {t.id: t for t in q.list_threads(store, q.ThreadFilter())}
    cards = services.board_threads(d.clinic, viewer, list(rows))
    return {
        "threads": {
            tid: (rows[tid], tuple(q.thread_notes(store, tid)), cards[tid]) for tid in rows
        },
        "presence": {tid: tuple(q.presence(store, tid, "")) for tid in rows},
        # every message's id, in every conversation (those added are the ones named)
        "messages": frozenset(m.id for tid in rows for m in q.thread_messages(store, tid, False)),
        "outbox": app_reads.replies_waiting(d.clinic),
        "staff": tuple(q.list_staff(store)),
        "access": tuple(aq.delegations(store)),
    }


def _differs(before: dict, after: dict) -> Changes:
    def changed(key: str, absent: object = None) -> frozenset[int]:
        b, a = before[key], after[key]
        return frozenset(t for t in set(b) | set(a) if b.get(t, absent) != a.get(t, absent))

    return Changes(
        threads=changed("threads"),
        messages=after["messages"] - before["messages"],
        presence=changed("presence", ()),  # a new conversation: nobody has it open
        outbox=before["outbox"] != after["outbox"],
        staff=before["staff"] != after["staff"],
        access=before["access"] != after["access"],
    )


def _check(d: Demo, viewer: services.Session, fn, *args, **kwargs) -> tuple[object, Changes]:  # noqa: ANN001
    before = _snapshot(d, viewer)
    value, reported = run(fn, *args, **kwargs)
    found = _differs(before, _snapshot(d, viewer))
    assert found, "the action was meant to change something"
    if found.access:  # who may read what changed: every card may differ
        assert reported.access and reported.whole_board
    if reported.whole_board:  # the board is read again whole: no card can stay stale
        found = Changes(
            threads=reported.threads,
            messages=found.messages,
            presence=found.presence,
            outbox=found.outbox,
            staff=found.staff,
            access=reported.access,
        )
    assert reported == found
    return value, reported


def _thread(d: Demo, session: services.Session, *, linked: bool = True, **want) -> q.ThreadRow:
    """A conversation this person may act on and read, as the test needs it."""
    for b in services.board(d.clinic, session, q.ThreadFilter()):
        t = b.row
        if not (b.decision.act and b.decision.body) or (t.patient_id is not None) != linked:
            continue
        if all(getattr(t, k) == v for k, v in want.items()):
            return t
    raise LookupError(f"the demo has no such conversation: {want}")


def _email_thread(d: Demo, session: services.Session) -> q.ThreadRow:
    for b in services.board(d.clinic, session, q.ThreadFilter()):
        t = b.row
        last = sq.last_inbound(d.clinic.store, t.id)
        if (
            b.decision.reply
            and t.patient_id is not None
            and last is not None
            and last.source == "email"
            and not t.sender_unverified
        ):
            return t
    raise LookupError("no email conversation to answer")


# -- the conversation's workflow ---------------------------------------------------------
def test_assign_names_the_one_card(demo):
    t = _thread(demo, demo.doc, assigned_to_id=None)
    _, ch = _check(demo, demo.doc, services.assign, demo.clinic, demo.doc, t.id, demo.doc.staff.id)
    assert ch.threads == {t.id}


def test_assigning_to_whom_it_already_is_changes_nothing(demo):
    t = _thread(demo, demo.doc, assigned_to_id=None)
    services.assign(demo.clinic, demo.doc, t.id, demo.doc.staff.id)
    before = _snapshot(demo, demo.doc)
    _, ch = run(services.assign, demo.clinic, demo.doc, t.id, demo.doc.staff.id)
    assert ch == NOTHING and not _differs(before, _snapshot(demo, demo.doc))


def test_status_priority_sensitive_and_note_each_name_their_card(demo):
    t = _thread(demo, demo.doc, status=Status.NEW, sensitive=False)
    for fn, *args in (
        (services.set_status, Status.IN_PROGRESS),
        (
            services.set_priority,
            Priority.URGENT if t.priority is not Priority.URGENT else Priority.ROUTINE,
            "seen at the desk",
        ),
        (services.mark_sensitive, True, "family matter"),
        (services.add_note, "Called back, no answer."),
    ):
        _, ch = _check(demo, demo.doc, fn, demo.clinic, demo.doc, t.id, *args)
        assert ch.threads == {t.id} and not ch.outbox


def test_a_refused_action_reports_nothing(demo):
    t = _thread(demo, demo.doc)
    before = _snapshot(demo, demo.doc)
    with pytest.raises(AccessDenied):
        run(services.assign, demo.clinic, demo.admin, t.id, None)  # admins do not handle messages
    with pytest.raises(ValueError):
        run(services.set_priority, demo.clinic, demo.doc, t.id, Priority.URGENT, "  ")
    assert not _differs(before, _snapshot(demo, demo.doc))


def test_a_write_rolled_back_reports_nothing_even_inside_a_recording(demo):
    t = _thread(demo, demo.doc, assigned_to_id=None)
    with pytest.raises(RuntimeError):
        with recording() as rec:
            with demo.clinic.store.transaction():
                services.assign(demo.clinic, demo.doc, t.id, demo.doc.staff.id)
                raise RuntimeError("the power went")
    assert rec.changes == NOTHING
    assert q.get_thread(demo.clinic.store, t.id).assigned_to_id is None


def test_the_app_action_hands_the_service_s_changes_to_the_window(demo):
    t = _thread(demo, demo.doc, status=Status.NEW)
    out = app_actions.set_status(demo.clinic, demo.doc, t.id, Status.IN_PROGRESS)
    assert out.changes == Changes.of(t.id)
    again = app_actions.set_status(demo.clinic, demo.doc, t.id, Status.IN_PROGRESS)
    assert again.changes == NOTHING  # nothing moved: nothing to repaint


# -- patients ------------------------------------------------------------------------------
def test_linking_and_unlinking_name_the_conversation(demo):
    t = _thread(demo, demo.doc, linked=False)
    patient_id = _thread(demo, demo.doc).patient_id  # one of Dr Patel's own patients
    _check(demo, demo.doc, services.link_patient, demo.clinic, demo.doc, t.id, patient_id)
    _, ch = _check(demo, demo.doc, sp.unlink_patient, demo.clinic, demo.doc, t.id)
    assert ch.threads == {t.id}


def test_a_new_patient_name_names_every_card_of_that_patient(demo):
    t = _thread(demo, demo.doc)
    p = q.get_patient(demo.clinic.store, t.patient_id)
    details = sp.PatientDetails(
        family_name=p.family_name + "-Renamed",
        given_name=p.given_name,
        birth_date=p.birth_date,
        chart_number=p.chart_number,
        emails=tuple(p.emails),
    )
    _, ch = _check(demo, demo.doc, sp.edit_patient, demo.clinic, demo.admin, p.id, details)
    filed = {r.id for r in q.list_threads(demo.clinic.store, q.ThreadFilter(patient_id=p.id))}
    assert ch.threads == filed and t.id in filed


# -- replies and the outbox ----------------------------------------------------------------
def test_a_reply_names_its_card_and_the_outbox(demo):
    t = _email_thread(demo, demo.doc)
    _, ch = _check(
        demo, demo.doc, services.queue_reply, demo.clinic, demo.doc, t.id, "See you Monday."
    )
    assert ch == Changes.of(t.id, outbox=True, messages=ch.messages) and len(ch.messages) == 1


def test_moving_to_a_call_names_the_card_and_the_outbox_only_when_the_patient_is_told(demo):
    t = _email_thread(demo, demo.doc)
    _, ch = _check(
        demo,
        demo.doc,
        services.move_to_call_or_visit,
        demo.clinic,
        demo.doc,
        t.id,
        "call",
        "needs a talk",
    )
    assert ch == Changes.of(t.id, outbox=True, messages=ch.messages) and len(ch.messages) == 1
    other = _thread(demo, demo.doc, status=Status.NEW)
    _, quiet = _check(
        demo,
        demo.doc,
        services.move_to_call_or_visit,
        demo.clinic,
        demo.doc,
        other.id,
        "visit",
        "examine",
        tell_patient=False,
    )
    assert quiet == Changes.of(other.id)


def test_a_new_message_names_its_new_card_its_line_and_the_outbox_and_the_app_says_so(demo):
    """The app's "New message" hands on what the compose services noted (no list kept
    by hand beside them): the new conversation, its message, the outbox."""
    from clinic_inbox.core import app_compose
    from clinic_inbox.core import services_compose as sc

    patient_id = _thread(demo, demo.doc).patient_id
    req = sc.Request(subject="Your results", body="All normal.", category=Category.RESULTS)
    started, ch = _check(demo, demo.doc, sc.start_message, demo.clinic, demo.doc, patient_id, req)
    assert ch == Changes.of(started.thread_id, outbox=True, messages=[started.message_id])
    follow = datetime.now(UTC).date() + timedelta(days=7)
    out = app_compose.send(demo.clinic, demo.doc, [patient_id], req, follow_up_by=follow)
    (again,) = out.value
    assert out.changes == Changes.of(again.thread_id, outbox=True, messages=[again.message_id])


def test_filing_to_the_chart_names_the_card(demo, tmp_path):
    t = _thread(demo, demo.doc, sender_unverified=False)
    (tmp_path / "chart").mkdir()
    _, ch = _check(
        demo,
        demo.doc,
        services.export_thread,
        demo.clinic,
        demo.doc,
        t.id,
        formats=("fhir",),
        out_dir=tmp_path / "chart",
        password="demo",
        **NO_WAIT,
    )
    assert ch == Changes.of(t.id)


def test_confirming_a_sender_names_the_card(demo):
    t = _thread(demo, demo.doc)
    with demo.clinic.store.transaction():  # as the sync flags mail from an unknown sender
        sq.flag_thread(demo.clinic.store, t.id, sender_unverified=True)
    _, ch = _check(
        demo,
        demo.doc,
        services.confirm_sender,
        demo.clinic,
        demo.doc,
        t.id,
        "phoned the patient back",
    )
    assert ch == Changes.of(t.id)


# -- access, staff, presence ---------------------------------------------------------------------
def test_break_glass_names_the_card_it_opens(demo):
    for b in services.board(demo.clinic, demo.nurse, q.ThreadFilter()):
        if b.decision.header and not b.decision.body:
            break
    else:
        pytest.fail("the demo has no conversation the nurse could break the glass on")
    _, ch = _check(
        demo,
        demo.nurse,
        services.break_glass,
        demo.clinic,
        demo.nurse,
        b.row.id,
        "patient on the phone with chest pain",
        "demo",
        **NO_WAIT,
    )
    assert ch == Changes.of(b.row.id)


def test_a_delegation_granted_or_revoked_reaches_every_card(demo):
    did, ch = _check(
        demo,
        demo.nurse,
        services.grant_delegation,
        demo.clinic,
        demo.doc,
        physician="dr.patel",
        delegate="nurse.chen",
        categories=[Category.REFILL],
        ends_at=datetime.now(UTC) + timedelta(days=3),
    )
    assert ch.access and ch.whole_board
    _, gone = _check(demo, demo.nurse, services.revoke_delegation, demo.clinic, demo.doc, did)
    assert gone.access


def test_the_team_changes_name_the_team_and_a_password_reset_names_nothing(demo):
    _, ch = _check(
        demo,
        demo.admin,
        services.add_staff,
        demo.clinic,
        demo.admin,
        "dr.new",
        "Dr New",
        Role.PHYSICIAN,
        "quartz lantern meadow violin",
    )
    assert ch == Changes(staff=True)
    _, off = _check(
        demo, demo.admin, services.set_staff_active, demo.clinic, demo.admin, "dr.new", False
    )
    assert off == Changes(staff=True)
    _, reset = run(
        services.reset_password,
        demo.clinic,
        demo.admin,
        "nurse.chen",
        "quartz lantern meadow violin",
    )
    assert reset == NOTHING  # no screen shows a password


def test_presence_names_the_conversation_opened_and_the_one_left(demo):
    a = _thread(demo, demo.doc)
    b = next(
        x.row
        for x in services.board(demo.clinic, demo.doc, q.ThreadFilter())
        if x.row.id != a.id and x.decision.header
    )
    _, first = _check(
        demo, demo.doc, services.mark_presence, demo.clinic, demo.doc, a.id, "viewing"
    )
    assert first == Changes(presence=frozenset({a.id}))
    _, moved = _check(
        demo, demo.doc, services.mark_presence, demo.clinic, demo.doc, b.id, "viewing"
    )
    assert moved == Changes(presence=frozenset({a.id, b.id}))
    _, gone = _check(demo, demo.doc, services.logout, demo.clinic, demo.doc)
    assert gone == Changes(presence=frozenset({b.id}))


# -- absences and batch filing ---------------------------------------------------------------------
def test_an_absence_and_its_forwarding_name_the_access_and_the_cards_handed_over(demo):
    from clinic_inbox.core import services_cover

    now = datetime.now(UTC)
    _, away = _check(
        demo,
        demo.doc,
        services_cover.mark_away,
        demo.clinic,
        demo.doc,
        physician="dr.patel",
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(days=2),
        cover="dr.okafor",
    )
    assert away.access
    moved, handed = _check(demo, demo.doc, services_cover.forward_queues, demo.clinic)
    assert moved and handed == Changes.of_threads(moved)


def test_batch_filing_names_each_card_filed(demo, tmp_path):
    from clinic_inbox.core import services_filing

    done = [
        b.row.id
        for b in services.board(demo.clinic, demo.doc, q.ThreadFilter())
        if b.row.status is Status.DONE
        and b.row.filed_at is None
        and b.row.patient_id is not None
        and not b.row.sender_unverified
        and b.decision.file
    ][:3]
    assert done, "the demo has finished conversations not filed yet"
    (tmp_path / "chart").mkdir()
    result, ch = _check(
        demo,
        demo.doc,
        services_filing.file_batch,
        demo.clinic,
        demo.doc,
        done,
        formats=("fhir",),
        out_dir=tmp_path / "chart",
        password="demo",
        **NO_WAIT,
    )
    assert ch == Changes.of_threads(t for t, _ in result.filed) and result.filed


def test_merging_two_records_of_one_patient_reaches_every_card(demo):
    from clinic_inbox.core import services_patient_merge as pm

    keep = q.get_patient(demo.clinic.store, _thread(demo, demo.doc).patient_id)
    twin = sp.add_patient(
        demo.clinic, demo.admin, sp.PatientDetails(keep.family_name, keep.given_name)
    )
    t = _thread(demo, demo.doc, linked=False)
    services.link_patient(demo.clinic, demo.doc, t.id, twin.id)
    _, ch = _check(demo, demo.doc, pm.merge_patients, demo.clinic, demo.admin, keep.id, twin.id)
    assert ch.access and ch.whole_board  # the conversation moved to the record kept


def test_a_purge_names_the_conversations_it_removed(demo, tmp_path):
    from clinic_inbox.core import services_retention

    # only a finished conversation is purged (the demo's first open one made it flaky)
    t = _thread(demo, demo.doc, sender_unverified=False, status=Status.DONE)
    (tmp_path / "chart").mkdir()
    services.export_thread(
        demo.clinic,
        demo.doc,
        t.id,
        formats=("fhir",),
        out_dir=tmp_path / "chart",
        password="demo",
        **NO_WAIT,
    )
    with open(demo.clinic.home / "clinic.toml", "a") as fh:
        fh.write("\n[retention]\nkeep_days_after_filing = 30\n")
    later = datetime.now(UTC) + timedelta(days=400)
    report, ch = _check(demo, demo.doc, services_retention.purge, demo.clinic, demo.admin, later)
    assert t.id in report.threads and ch == Changes.of_threads(report.threads)
