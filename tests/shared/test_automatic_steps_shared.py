"""Two automatic steps of every sync are shared changes (issue 14's leftovers).

A follow-up coming due (Waiting → New) and an absent physician's conversations handed to
the cover changed only the copy of the workstation that ran the step: the server and the
other workstations kept "Waiting" and the absent physician. Now each is queued as the
system's change, like a person's; two workstations making the same automatic change
make one change on the server and no conflict card, and a person's change that reached
the server first stands without a card for nobody. Two workstations on a real PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from workstations import STAFF_PASSWORD, Joined, login, receive

from clinic_inbox.core import followup, services
from clinic_inbox.core import services_compose as sc
from clinic_inbox.core import services_cover as cover
from clinic_inbox.core.model import Role, Status
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import sync


def _server_field(dsn: str, conv: str, field: str) -> tuple[int, str, str]:
    import psycopg

    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT v, value, changed_by FROM conversation_field WHERE conv = %s AND field = %s",
            (conv, field),
        ).fetchone()


def _receipts(dsn: str, conv: str, field: str) -> list[str]:
    import psycopg

    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT outcome FROM op_receipt WHERE conv = %s AND field = %s ORDER BY at",
            (conv, field),
        ).fetchall()
    return [r[0] for r in rows]


def test_follow_ups_and_cover_handovers_reach_every_workstation_once(
    tmp_path, empty_db, keyring_factory
):
    def covering_physician(clinic) -> None:  # noqa: ANN001 - on both, as staff are shared
        services.add_staff(
            clinic,
            login(clinic, "admin"),
            "dr.okafor",
            "Dr Chinedu Okafor",
            Role.PHYSICIAN,
            STAFF_PASSWORD,
        )

    joined = Joined(tmp_path, empty_db, keyring_factory, 2, covering_physician)
    a, b = joined.clinics
    la, lb = joined.links
    try:
        t1, t2, t3 = receive(a, 3)
        with a.store.transaction():  # Dr Patel's patient (the cover takes hers)
            zoe = q.add_patient(
                a.store,
                "Quennell",
                "Zoë",
                "1961-04-02",
                "CH-88412",
                responsible_physician_id=q.staff_login_row(a.store, "dr.patel")[0].id,
            )
        for t in (t1, t2):
            services.link_patient(a, login(a, "reception.moreau"), t, zoe)
        convs = [sync.publish_conversation(a, la, t, None) for t in (t1, t2, t3)]
        sync.push(a, la)
        sync.pull(b, lb)
        b1, b2, b3 = (shq.thread_by_uuid(b.store, c) for c in convs)
        on_b = q.get_patient(b.store, q.get_thread(b.store, b2).patient_id)
        assert on_b.responsible_physician_id == q.staff_login_row(b.store, "dr.patel")[0].id

        # -- a follow-up coming due, run on both workstations --------------------------
        patel_a, patel_b = login(a, "dr.patel"), login(b, "dr.patel")
        services.set_status(a, patel_a, t1, Status.WAITING)
        sync.push(a, la)
        sync.pull(b, lb)
        by = date.today() + timedelta(days=2)
        sc.set_follow_up(a, patel_a, t1, by)
        sc.set_follow_up(b, patel_b, b1, by)  # the same date noted on B
        later = datetime.now(UTC) + timedelta(days=3)
        v_before = _server_field(empty_db, convs[0], "status")[0]
        assert followup.bring_back(a, later) == [t1]
        assert followup.bring_back(b, later) == [b1]  # before B hears of A's
        sync.push(a, la)
        pushed = sync.push(b, lb)
        assert (pushed.applied, pushed.conflicts) == (1, 0)  # the same value: no conflict
        for ws, link in ((a, la), (b, lb)):
            sync.pull(ws, link)
        v, value, by_whom = _server_field(empty_db, convs[0], "status")
        assert (v, value, by_whom) == (v_before + 1, "new", "system")  # one change
        assert _receipts(empty_db, convs[0], "status")[-2:] == ["applied", "applied"]
        assert q.get_thread(a.store, t1).status is q.get_thread(b.store, b1).status is Status.NEW
        assert shq.conflicts(a.store) == shq.conflicts(b.store) == []

        # -- a follow-up on A alone reaches B (it kept "Waiting") -----------------------
        services.set_status(a, patel_a, t3, Status.WAITING)
        sc.set_follow_up(a, patel_a, t3, by)
        sync.push(a, la)
        sync.pull(b, lb)
        assert q.get_thread(b.store, b3).status is Status.WAITING
        assert followup.bring_back(a, later) == [t3]
        sync.push(a, la)
        sync.pull(b, lb)
        assert q.get_thread(b.store, b3).status is Status.NEW
        assert _server_field(empty_db, convs[2], "status")[1] == "new"

        # -- Dr Patel away, Dr Okafor covers: the handover is the clinic's ---------------
        services.assign(a, patel_a, t2, patel_a.staff.id)
        services.assign(a, patel_a, t1, patel_a.staff.id)
        sync.push(a, la)
        sync.pull(b, lb)
        now = datetime.now(UTC)
        for ws, session in ((a, patel_a), (b, patel_b)):
            cover.mark_away(
                ws,
                session,
                physician="dr.patel",
                starts_at=now - timedelta(minutes=1),
                ends_at=now + timedelta(days=5),
                cover="dr.okafor",
            )
        okafor_a = q.staff_login_row(a.store, "dr.okafor")[0].id
        okafor_b = q.staff_login_row(b.store, "dr.okafor")[0].id
        chen_b = q.staff_login_row(b.store, "nurse.chen")[0].id
        # meanwhile a person on B gives conversation 1 to Nurse Chen, first to the server
        services.assign(b, patel_b, b1, chen_b)
        sync.push(b, lb)
        assert set(cover.forward_queues(a)) >= {t1, t2}  # A has not pulled Chen's yet
        assert set(cover.forward_queues(b)) >= {b2}
        sync.push(a, la)
        pushed = sync.push(b, lb)
        assert pushed.conflicts == 0
        for ws, link in ((a, la), (b, lb)):
            sync.pull(ws, link)
        assert q.get_thread(a.store, t2).assigned_to_id == okafor_a
        assert q.get_thread(b.store, b2).assigned_to_id == okafor_b
        assert _server_field(empty_db, convs[1], "assignee")[2] == "system"
        # the person's change stands, on both, and nobody gets a card for the system
        assert (
            q.get_thread(a.store, t1).assigned_to_id
            == q.staff_login_row(a.store, "nurse.chen")[0].id
        )
        assert q.get_thread(b.store, b1).assigned_to_id == chen_b
        assert shq.conflicts(a.store) == shq.conflicts(b.store) == []
        assert shq.pending_count(a.store) == shq.pending_count(b.store) == 0
        assert cover.forward_queues(a) == cover.forward_queues(b) == []  # once
    finally:
        joined.close()
