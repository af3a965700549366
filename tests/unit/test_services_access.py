"""The services obey the policy: no path returns a body the policy denies.

A real encrypted store; hypothesis builds random clinics of threads,
delegations and break-glass openings, and every read path is checked.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinic_inbox.core import access, audit, services
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Category, Direction, Priority, Role, Source
from clinic_inbox.core.store import access_queries as aq
from clinic_inbox.core.store import queries as q

PASS = "correct horse battery staple"
SECRET = "secret-body-"


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    home = tmp_path_factory.mktemp("clinic")
    c, _ = create_clinic(home, lambda p, confirm: PASS, KeyCustody(home, detect=False))
    services.create_first_admin(c, "admin", "Alex Admin", "kettle orbit maple frost")
    admin = services.login(c, "admin", "kettle orbit maple frost")
    for name, role in [
        ("dr.a", Role.PHYSICIAN),
        ("dr.b", Role.PHYSICIAN),
        ("nurse", Role.NURSE),
        ("desk", Role.RECEPTIONIST),
    ]:
        services.add_staff(c, admin, name, name.title(), role, "kettle orbit maple frost")
    yield c
    c.close()


@pytest.fixture(scope="module")
def sessions(clinic):
    return {
        n: services.login(clinic, n, "kettle orbit maple frost", sleep=lambda s: None)
        for n in ("admin", "dr.a", "dr.b", "nurse", "desk")
    }


_counter = itertools.count()


def _thread(clinic, physician_id, category, sensitive, patient=True):
    n = next(_counter)
    with clinic.store.transaction():
        pid = (
            q.add_patient(
                clinic.store,
                f"Family{n}",
                f"Given{n}",
                "1970-01-01",
                f"C{n}",
                responsible_physician_id=physician_id,
            )
            if patient
            else None
        )
        tid = q.create_thread(
            clinic.store,
            q.NewThread(
                f"subject-{n}",
                category,
                Priority.ROUTINE,
                q.utcnow(),
                patient_id=pid,
                sensitive=sensitive,
            ),
        )
        mid = q.insert_message(
            clinic.store,
            q.NewMessage(
                tid,
                Source.EMAIL,
                Direction.INBOUND,
                q.utcnow(),
                sender=f"p{n}@example.org",
                subject=f"subject-{n}",
                body_text=f"{SECRET}{n}",
                patient_id=pid,
                category=category,
                sensitive=sensitive,
                attachments=[q.NewAttachment("scan.png", "image/png", b"\x89PNG" + bytes(10))],
            ),
        )
    return tid, mid


def _staff_id(clinic, name):
    return q.staff_login_row(clinic.store, name)[0].id


def test_receptionist_sees_header_not_body_of_clinical(clinic, sessions):
    tid, _ = _thread(clinic, _staff_id(clinic, "dr.a"), Category.RESULTS, False)
    t = services.show_thread(clinic, sessions["desk"], tid)
    assert t.patient is not None and t.category is Category.RESULTS
    assert all(m.body is None and m.body_html is None and not m.attachments for m in t.messages)
    assert SECRET not in t.subject + "".join(m.subject for m in t.messages)
    rows = [m for m in services.list_messages(clinic, sessions["desk"]) if m.thread_id == tid]
    assert rows and rows[0].snippet is None and rows[0].subject.endswith("(details hidden)")
    with pytest.raises(access.AccessDenied):
        services.attachment_data(
            clinic,
            sessions["desk"],
            q.thread_messages(clinic.store, tid, True)[0].attachments[0].id,
        )
    assert services.show_thread(clinic, sessions["dr.a"], tid).messages[0].body.startswith(SECRET)


def test_views_are_audited_in_the_same_transaction(clinic, sessions):
    tid, _ = _thread(clinic, _staff_id(clinic, "dr.a"), Category.REFILL, False)
    before = len(audit.entries(clinic.store))
    services.show_thread(clinic, sessions["dr.a"], tid)
    services.show_thread(clinic, sessions["desk"], tid)
    new = audit.entries(clinic.store)[before:]
    assert [(e.actor, e.action, e.thread_id) for e in new] == [
        ("dr.a", "thread.view", tid),
        ("desk", "thread.view_header", tid),
    ]
    assert audit.verify(clinic.store, clinic.audit_key).ok


def test_delegation_expiry_and_revocation(clinic, sessions):
    tid, _ = _thread(clinic, _staff_id(clinic, "dr.a"), Category.RESULTS, False)
    did = services.grant_delegation(
        clinic,
        sessions["dr.a"],
        physician="dr.a",
        delegate="nurse",
        categories=[Category.RESULTS],
        can_reply=True,
    )
    t = services.show_thread(clinic, sessions["nurse"], tid)
    assert t.body_visible and t.access_note == "You see this as Dr.A's delegate."
    with pytest.raises(access.AccessDenied):
        services.revoke_delegation(clinic, sessions["dr.b"], did)
    services.revoke_delegation(clinic, sessions["dr.a"], did)
    assert not services.show_thread(clinic, sessions["nurse"], tid).body_visible
    with pytest.raises(access.AccessDenied):
        services.grant_delegation(clinic, sessions["dr.b"], physician="dr.a", delegate="nurse")
    past = datetime.now(UTC) - timedelta(days=2)
    services.grant_delegation(
        clinic,
        sessions["admin"],
        physician="dr.a",
        delegate="nurse",
        starts_at=past,
        ends_at=past + timedelta(hours=1),
    )
    assert not services.show_thread(clinic, sessions["nurse"], tid).body_visible


def test_break_glass_needs_password_reason_and_is_reviewed(clinic, sessions):
    tid, _ = _thread(clinic, _staff_id(clinic, "dr.a"), Category.RESULTS, True)
    nurse = sessions["nurse"]
    assert not services.show_thread(clinic, nurse, tid).body_visible
    with pytest.raises(services.AuthError):
        services.break_glass(
            clinic,
            nurse,
            tid,
            "patient collapsed in the waiting room",
            "wrong",
            sleep=lambda s: None,
        )
    with pytest.raises(ValueError):
        services.break_glass(
            clinic, nurse, tid, "x", "kettle orbit maple frost", sleep=lambda s: None
        )
    with pytest.raises(access.AccessDenied):
        services.break_glass(
            clinic, sessions["desk"], tid, "I want to read this please", "kettle orbit maple frost"
        )
    services.break_glass(
        clinic,
        nurse,
        tid,
        "patient collapsed in the waiting room",
        "kettle orbit maple frost",
        sleep=lambda s: None,
    )
    t = services.show_thread(clinic, nurse, tid)
    assert t.body_visible and "break-glass" in t.access_note
    review = services.break_glass_review(clinic, sessions["dr.a"])
    assert any(r[2] == tid and "collapsed" in r[4] for r in review)
    assert any(r[2] == tid for r in services.break_glass_review(clinic, sessions["admin"]))
    assert not any(r[2] == tid for r in services.break_glass_review(clinic, sessions["dr.b"]))
    assert [e.action for e in audit.entries(clinic.store) if e.thread_id == tid].count(
        "break_glass"
    ) == 1

    # marking it reviewed (a workstation that works alone): its patient's physician or an
    # administrator; not another physician, a nurse or the desk
    (bg,) = [r[0] for r in review if r[2] == tid]
    with pytest.raises(access.AccessDenied, match="own patients only"):
        services.mark_break_glass_reviewed(clinic, sessions["dr.b"], bg)
    for who in ("nurse", "desk"):
        with pytest.raises(access.AccessDenied, match="physicians and administrators"):
            services.mark_break_glass_reviewed(clinic, sessions[who], bg)
    with pytest.raises(services.NotFound):
        services.mark_break_glass_reviewed(clinic, sessions["admin"], bg + 1000)
    done = services.mark_break_glass_reviewed(clinic, sessions["dr.a"], bg)
    assert done.new and done.mark is None and done.workstation is None
    again = services.mark_break_glass_reviewed(clinic, sessions["admin"], bg)
    assert (again.new, again.by, again.at) == (False, done.by, done.at)
    (row,) = [r for r in services.break_glass_review(clinic, sessions["admin"]) if r[0] == bg]
    assert (row[7], row[8]) == (done.at, done.by)
    marked = [e for e in audit.entries(clinic.store) if e.action == "break_glass.reviewed"]
    assert len(marked) == 1 and marked[0].thread_id == tid
    assert marked[0].detail["break_glass_id"] == bg


def test_disabled_account_stops_at_once(clinic, sessions):
    admin = sessions["admin"]
    services.add_staff(clinic, admin, "temp", "Temp", Role.NURSE, "kettle orbit maple frost")
    s = services.login(clinic, "temp", "kettle orbit maple frost")
    services.set_staff_active(clinic, admin, "temp", False)
    with pytest.raises(access.AccessDenied):
        services.list_messages(clinic, s)
    with pytest.raises(services.AuthError):
        services.login(clinic, "temp", "kettle orbit maple frost", sleep=lambda s: None)


def test_failed_logins_are_counted_and_slowed(clinic, sessions):
    services.add_staff(
        clinic, sessions["admin"], "slow", "Slow", Role.NURSE, "kettle orbit maple frost"
    )
    waits: list[float] = []
    for _ in range(5):
        with pytest.raises(services.AuthError):
            services.login(clinic, "slow", "nope", sleep=waits.append)
    assert waits[:3] == [0.0, 0.0, 0.0] and waits[3] > 0 and waits[4] > waits[3]
    services.login(clinic, "slow", "kettle orbit maple frost", sleep=waits.append)
    assert waits[-1] > 0  # the correct password still waits out the penalty
    services.login(clinic, "slow", "kettle orbit maple frost", sleep=waits.append)
    assert waits[-1] == 0.0
    with pytest.raises(services.AuthError, match="not right"):
        services.login(clinic, "nobody-here", "x")
    assert any(e.action == "login.failed" for e in audit.entries(clinic.store))


def test_admin_never_reads_bodies_and_only_admin_manages_staff(clinic, sessions):
    tid, _ = _thread(clinic, _staff_id(clinic, "dr.a"), Category.APPOINTMENT, False)
    assert not services.show_thread(clinic, sessions["admin"], tid).body_visible
    with pytest.raises(access.AccessDenied):
        services.add_staff(
            clinic, sessions["dr.a"], "x", "X", Role.NURSE, "kettle orbit maple frost"
        )


STAFF = ["admin", "dr.a", "dr.b", "nurse", "desk"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    physician=st.sampled_from(["dr.a", "dr.b", None]),
    category=st.sampled_from(list(Category)),
    sensitive=st.booleans(),
    patient=st.booleans(),
    grants=st.lists(
        st.tuples(
            st.sampled_from(["dr.a", "dr.b"]),
            st.sampled_from(["dr.b", "nurse", "desk", "dr.a"]),
            st.one_of(st.none(), st.sets(st.sampled_from(list(Category)), min_size=1, max_size=3)),
            st.booleans(),
            st.sampled_from(["active", "expired", "revoked"]),
        ),
        max_size=3,
    ),
    glass=st.sets(st.sampled_from(STAFF), max_size=2),
)
def test_no_service_path_returns_a_body_the_policy_denies(
    clinic, sessions, physician, category, sensitive, patient, grants, glass
):
    doc_id = _staff_id(clinic, physician) if physician else None
    tid, mid = _thread(clinic, doc_id, category, sensitive, patient=patient)
    now = datetime.now(UTC)
    with clinic.store.transaction():
        for _, g in aq.delegations(clinic.store):  # each example starts with none active
            aq.revoke_delegation(clinic.store, g.id)
        for doc, dlg, cats, sens, state in grants:
            if doc == dlg:
                continue
            start = now - timedelta(days=1) if state != "expired" else now - timedelta(days=3)
            end = now + timedelta(days=1) if state != "expired" else now - timedelta(days=2)
            did = aq.add_delegation(
                clinic.store,
                physician_id=_staff_id(clinic, doc),
                delegate_id=_staff_id(clinic, dlg),
                categories=None if cats is None else sorted(cats),
                include_sensitive=sens,
                can_view=True,
                can_reply=False,
                can_file=False,
                starts_at=start.isoformat(timespec="seconds"),
                ends_at=end.isoformat(timespec="seconds"),
                created_by=1,
            )
            if state == "revoked":
                aq.revoke_delegation(clinic.store, did)
        for who in glass:
            aq.open_break_glass(
                clinic.store,
                _staff_id(clinic, who),
                tid,
                "test",
                now - timedelta(minutes=1),
                now + timedelta(minutes=30),
            )
    secret = f"{SECRET}"
    for name in STAFF:
        s = sessions[name]
        allowed = services.decision_for(clinic, s, tid).body
        t = services.show_thread(clinic, s, tid)
        bodies = [m.body or "" for m in t.messages] + [t.subject]
        assert (any(secret in b for b in bodies)) == allowed, (name, allowed)
        listed = [m for m in services.list_messages(clinic, s, q.MessageFilter(thread_id=tid))]
        assert all((secret in (m.snippet or "")) == allowed for m in listed)
        # a search for words of the body finds it only for those who may read it
        words = q.thread_messages(clinic.store, tid, True)[0].body
        found = services.list_messages(clinic, s, q.MessageFilter(search=words))
        assert any(m.thread_id == tid for m in found) == allowed, (name, "list search")
        found = services.board(clinic, s, q.ThreadFilter(search=words))
        assert any(b.row.id == tid for b in found) == allowed, (name, "board search")
        board = [
            b for b in services.board(clinic, s, q.ThreadFilter(patient_id=None)) if b.row.id == tid
        ]
        assert all((b.row.snippet is not None) == allowed for b in board)
        att = q.thread_messages(clinic.store, tid, True)[0].attachments[0].id
        if allowed:
            assert services.attachment_data(clinic, s, att)[2].startswith(b"\x89PNG")
        else:
            with pytest.raises(access.AccessDenied):
                services.attachment_data(clinic, s, att)
        # and the policy's own invariants hold whatever the path
        if name == "admin":
            assert not allowed
        if sensitive and allowed and name != physician and name not in glass:
            assert any(
                dlg == name and sens and st_ == "active" for _, dlg, _, sens, st_ in grants
            ) or (not patient and name.startswith("dr."))
