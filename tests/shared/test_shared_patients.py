"""Patients, patient links, conversation numbers, the response clock and the fetch
checkpoint, shared through a real PostgreSQL between workstations with real SQLCipher
stores and keyrings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from support.fast_kdf import child_pythonpath
from workstations import STAFF_PASSWORD, login, new_workstation, receive

from clinic_inbox.core import services
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.services_patients import PatientDetails, add_patient
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_patient_queries as spq
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import checkpoints, conflicts, ingest_lease, sync
from clinic_inbox.shared import server as srv
from clinic_inbox.shared.seal import TamperedError

ZOE = PatientDetails("Quennell", "Zoë", "1990-01-01", "QZ-1", ("zoe.quennell0@example.org",))
OTTO = PatientDetails("Brannigan", "Otto", "1961-07-14", "OB-7")


@pytest.fixture()
def keyring(secret_service):
    return secret_service.backend()


def _custody(clinic, keyring):
    return KeyCustody(clinic.home, backend=keyring)


def _link(clinic, keyring):
    return srv.open_link(clinic, _custody(clinic, keyring))


def _three(tmp_path, keyring, dsn):
    a, b, c = (new_workstation(tmp_path / n, keyring) for n in "abc")
    init = srv.init_server(a, login(a, "admin"), dsn, _custody(a, keyring))
    for ws in (b, c):
        srv.connect_workstation(
            ws, login(ws, "admin"), dsn, init.clinic_code, _custody(ws, keyring)
        )
    return a, b, c


def _server(dsn, sql):
    """One value read from the server by its owner (not through a workstation's link,
    whose transactions this would hold open)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(sql).fetchone()[0]


def _patient_of_doctor(ws, d: PatientDetails) -> int:
    doc = q.staff_login_row(ws.store, "dr.patel")[0].id
    with ws.store.transaction():
        return q.add_patient(
            ws.store, d.family_name, d.given_name, d.birth_date, d.chart_number, None, doc
        )


def _patient_of(ws, thread_id):
    row = q.get_thread(ws.store, thread_id)
    return q.get_patient(ws.store, row.patient_id) if row.patient_id else None


def test_a_patient_link_reaches_the_others_sealed_and_under_one_patient(
    tmp_path, keyring, postgres, empty_db
):
    a, b, c = _three(tmp_path, keyring, empty_db)
    la, lb, lc = (_link(ws, keyring) for ws in (a, b, c))
    t1, t2 = receive(a, 2)
    convs = [sync.publish_conversation(a, la, t, None) for t in (t1, t2)]
    for ws, link in ((b, lb), (c, lc)):
        sync.pull(ws, link)
    # the same patient registered on a and on c independently (same chart number)
    zoe_a = add_patient(a, login(a, "admin"), ZOE)
    zoe_c = add_patient(c, login(c, "admin"), ZOE)
    services.link_patient(a, login(a, "reception.moreau"), t1, zoe_a.id)
    t2_c = shq.thread_by_uuid(c.store, convs[1])
    services.link_patient(c, login(c, "reception.moreau"), t2_c, zoe_c.id)
    assert sync.push(a, la).applied == 1
    assert sync.push(c, lc).applied == 1
    assert (
        _server(empty_db, "SELECT count(*) FROM patient") == 1
    )  # c's registration found a's patient by its keyed chart number
    assert spq.patient_uuid(a.store, zoe_a.id) == spq.patient_uuid(c.store, zoe_c.id)
    for ws, link in ((a, la), (b, lb), (c, lc)):
        sync.pull(ws, link)
        got = [_patient_of(ws, shq.thread_by_uuid(ws.store, conv)) for conv in convs]
        assert [(p.family_name, p.given_name, p.chart_number) for p in got] == [
            ("Quennell", "Zoë", "QZ-1")
        ] * 2
        assert got[0].id == got[1].id  # one patient here too
        # (an address learned later, by a link on one workstation, stays there for now)
        assert "zoe.quennell0@example.org" in got[0].emails
    assert len(q.search_patients(b.store, "Quennell")) == 1
    # nothing readable on the server: not the name, chart number or address
    dump = postgres.pg_dump(psycopg.conninfo.conninfo_to_dict(empty_db)["dbname"])
    for text in ("Quennell", "Zoë", "QZ-1", "zoe.quennell0", "1990-01-01"):
        assert text.encode() not in dump, text
    # a patient record changed on the server is refused, and nothing of the pull applied
    (t3,) = receive(a, 1, tag="x")
    conv3 = sync.publish_conversation(a, la, t3, None)
    services.link_patient(a, login(a, "reception.moreau"), t3, zoe_a.id)
    sync.push(a, la)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        # one byte flipped (set to zero, it stayed the same where it was zero already:
        # one sealed value in 256, and the test failed on CI once for it)
        conn.execute(
            "UPDATE patient SET payload = set_byte(payload, 19, get_byte(payload, 19) # 255)"
        )
    cursor = shq.cursor(b.store)
    with pytest.raises(TamperedError, match="patient"):
        sync.pull(b, lb)
    assert shq.cursor(b.store) == cursor and shq.thread_by_uuid(b.store, conv3) is None


def test_two_links_at_once_the_first_wins_and_the_other_sees_it(tmp_path, keyring, empty_db):
    a, b, _c = _three(tmp_path, keyring, empty_db)
    la, lb = _link(a, keyring), _link(b, keyring)
    (t,) = receive(a, 1)
    conv = sync.publish_conversation(a, la, t, None)
    sync.pull(b, lb)
    tb = shq.thread_by_uuid(b.store, conv)
    # both Dr Patel's patients (so she may read and refile the conversation under either)
    zoe = _patient_of_doctor(a, ZOE)
    otto = _patient_of_doctor(b, OTTO)
    services.link_patient(a, login(a, "dr.patel"), t, zoe)
    services.link_patient(b, login(b, "dr.patel"), tb, otto)
    assert sync.push(a, la).applied == 1
    pushed = sync.push(b, lb)
    assert (pushed.applied, pushed.conflicts) == (0, 1)
    # b is filed as the server has it (Zoë, pulled with the receipt), and b's doctor sees why
    assert _patient_of(b, tb).family_name == "Quennell"
    doc_b = login(b, "dr.patel")
    (card,) = conflicts.open_conflicts(b, doc_b)
    assert card.field == "patient"
    words = conflicts.shown(b, doc_b).value[0]
    assert (words.what, words.yours, words.theirs) == (
        "Patient",
        "Brannigan, Otto, born 1961-07-14",
        "Quennell, Zoë, born 1990-01-01",
    )
    assert words.who == "Dr Anjali Patel"
    # applied anyway: through the same link service, then to the server and to a
    conflicts.apply_anyway(b, doc_b, card.op_id)
    assert sync.push(b, lb).applied == 1
    sync.pull(a, la)
    assert _patient_of(a, t).family_name == "Brannigan"
    assert conflicts.open_conflicts(b, doc_b) == []


def test_conversation_numbers_are_the_same_everywhere(tmp_path, keyring, secret_service, empty_db):
    keyring_env = secret_service.env
    a, b, c = _three(tmp_path, keyring, empty_db)
    la, lb, lc = (_link(ws, keyring) for ws in (a, b, c))
    receive(c, 3, tag="c")  # c's own local numbers run ahead of a's
    mine = receive(a, 4)
    convs = [sync.publish_conversation(a, la, t, None) for t in mine]
    sync.pull(b, lb)
    sync.pull(c, lc)
    numbers = [
        _server(empty_db, f"SELECT number FROM conversation WHERE id = '{cv}'") for cv in convs
    ]
    for ws in (a, b, c):
        threads = [shq.thread_by_uuid(ws.store, cv) for cv in convs]
        assert [spq.shared_number(ws.store, t) for t in threads] == numbers
        assert [spq.thread_by_number(ws.store, n) for n in numbers] == threads
    assert [shq.thread_by_uuid(c.store, cv) for cv in convs] != mine  # local ids differ
    # `show` finds it by that number (typed as people see it) and names it by it too
    on_c = shq.thread_by_uuid(c.store, convs[0])
    c.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS", "CLINIC_INBOX"))}
    env.update(
        {
            **keyring_env,
            "CLINIC_INBOX_HOME": str(c.home),
            "CLINIC_INBOX_PASSWORD": STAFF_PASSWORD,
            "PYTHONPATH": child_pythonpath(Path(__file__).resolve().parents[2]),
        }
    )
    done = subprocess.run(
        [
            *(sys.executable, "-m", "clinic_inbox", "--user", "dr.patel"),
            *("show", f"#{numbers[0]}", "--json"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["clinic_number"] == numbers[0] and shown["number"] == f"#{numbers[0]}"
    assert shown["id"] == on_c != numbers[0]  # its local id here is another number


def _portal_conversation(a, la, b, lb):
    """A portal message from Zoë (Dr Patel's patient) on a, published, pulled by b."""
    from datetime import UTC, datetime

    from clinic_inbox.core import ingest
    from clinic_inbox.core.accounts import FhirAccount
    from clinic_inbox.core.model import Source
    from clinic_inbox.core.triage import load_rules

    # the same portal account on both (a reply goes out by the account of that name)
    acct, _ = (
        services.add_fhir_account(
            ws,
            login(ws, "admin"),
            FhirAccount(name="Portal", base_url="http://127.0.0.1:9/fhir", practitioners=["p"]),
            None,
        )
        for ws in (a, b)
    )
    doc = login(a, "dr.patel")
    with a.store.transaction():
        pid = q.add_patient(a.store, "Quennell", "Zoë", "1990-01-01", "QZ-1", "pat-9", doc.staff.id)
        got = ingest.ingest(
            a.store,
            a.config,
            load_rules(a.home),
            ingest.Incoming(
                source=Source.PORTAL,
                account_id=acct,
                received_at=datetime.now(UTC),
                sender_address="portal:pat-9",
                subject="Sick note",
                body_text="Could I have a sick note for last week, please?",
                message_id="<Communication/comm-9@portal>",
                fhir_resource_id="comm-9",
                fhir_version="1",
                patient_id=pid,
            ),
        )
    conv = sync.publish_conversation(a, la, got.thread_id, None)
    sync.push(a, la)  # the link made at ingest goes with it
    sync.pull(b, lb)
    return got.thread_id, shq.thread_by_uuid(b.store, conv)


def test_a_reply_from_one_workstation_stops_the_clock_on_the_others(tmp_path, keyring, empty_db):
    a, b, _c = _three(tmp_path, keyring, empty_db)
    la, lb = _link(a, keyring), _link(b, keyring)
    t, tb = _portal_conversation(a, la, b, lb)
    assert _patient_of(b, tb).portal_id == "pat-9"
    assert q.get_thread(b.store, tb).due_at is not None  # the clock runs on b
    services.queue_reply(a, login(a, "dr.patel"), t, "Yes, it is ready at the front desk.")
    assert q.get_thread(a.store, t).due_at is None
    assert shq.replies_to_publish(a.store) == [t]
    sync.publish_conversation(a, la, t, None)  # as LiveSync does for a reply written here
    sync.push(a, la)
    sync.pull(b, lb)
    assert q.get_thread(b.store, tb).due_at is None  # answered: stopped on b as well
    authors = [v for v in spq.message_authors(b.store, tb).values() if v]
    assert authors == [q.staff_login_row(b.store, "dr.patel")[0].id]


def test_a_reply_written_while_another_workstation_answered_is_held(tmp_path, keyring, empty_db):
    from clinic_inbox.core.access import AccessDenied
    from clinic_inbox.core.store import outbox_queries as oq
    from clinic_inbox.shared import reply_hold

    a, b, _c = _three(tmp_path, keyring, empty_db)
    la, lb = _link(a, keyring), _link(b, keyring)
    t, tb = _portal_conversation(a, la, b, lb)
    doc_b = login(b, "dr.patel")
    # b writes a reply (it waits in b's outbox: b is offline from the portal just now)
    mine = services.queue_reply(b, doc_b, tb, "Your sick note is at the front desk.")
    assert [i.id for i in oq.due(b.store, "portal")] == [mine]
    # meanwhile a answers the same patient, and its reply reaches b
    services.queue_reply(a, login(a, "dr.patel"), t, "Yes, it is ready at the front desk.")
    sync.publish_conversation(a, la, t, None)
    sync.pull(b, lb)
    assert oq.due(b.store, "portal") == []  # held: the sender does not take it
    (held,) = reply_hold.held_replies(b, doc_b)
    assert held.outbox_id == mine
    assert "Dr Anjali Patel answered this patient first, from another workstation" in held.why
    assert "sends this one anyway or discards it" in held.why
    # b's own reply, published and pulled back, holds nothing of b's
    sync.publish_conversation(b, lb, tb, None)
    sync.pull(a, la)
    assert [i.state for i in oq.in_state(a.store, "pending", "portal")] == ["pending"]
    assert oq.due(a.store, "portal") != []
    # only the author sends it anyway, and that is on the record
    with pytest.raises(AccessDenied):
        reply_hold.send_anyway(b, login(b, "nurse.chen"), mine)
    reply_hold.send_anyway(b, doc_b, mine)
    assert [i.id for i in oq.due(b.store, "portal")] == [mine]
    actions = [r[0] for r in b.store.execute("SELECT action FROM audit ORDER BY id")]
    assert actions[-1] == "reply.send_anyway"
    assert "reply.send_anyway.refused" in actions


def test_a_new_lease_holder_continues_from_the_server_checkpoint(tmp_path, keyring, empty_db):
    from clinic_inbox.core.store import sync_queries as sq

    a, b, _c = _three(tmp_path, keyring, empty_db)
    la, lb = _link(a, keyring), _link(b, keyring)
    threads = receive(a, 5)  # UIDs 1..5 of the "Inbox" account
    with a.store.transaction():
        acct = q.ensure_account(a.store, "Inbox", "imap", {})
        sq.set_checkpoint(a.store, acct, "imap:INBOX", uidvalidity=1, last_uid=5)
    fence = ingest_lease.take(la, seconds=30)
    for t in threads[:3]:
        sync.publish_conversation(a, la, t, None, fence)
    last: dict = {}
    assert checkpoints.save(a, la, fence, last) == 1
    assert checkpoints.save(a, la, fence, last) == 0  # nothing moved
    # only what is published counts: UIDs 4 and 5 wait, so the checkpoint says 3
    with b.store.transaction():
        acct_b = q.ensure_account(b.store, "Inbox", "imap", {})
    assert checkpoints.adopt(b, lb) == 1
    assert sq.get_checkpoint(b.store, acct_b, "imap:INBOX").last_uid == 3
    for t in threads[3:]:
        sync.publish_conversation(a, la, t, None, fence)
    assert checkpoints.save(a, la, fence, last) == 1
    assert checkpoints.adopt(b, lb) == 1
    assert sq.get_checkpoint(b.store, acct_b, "imap:INBOX").last_uid == 5
    # the plain columns are not what a workstation takes: only the sealed values
    with psycopg.connect(empty_db, autocommit=True) as conn:
        conn.execute("UPDATE source_checkpoint SET last_uid = 999")
    assert checkpoints.adopt(b, lb) == 0
    assert sq.get_checkpoint(b.store, acct_b, "imap:INBOX").last_uid == 5
    with psycopg.connect(empty_db, autocommit=True) as conn:
        # one byte flipped (set to zero, it stayed the same where it was zero already)
        conn.execute(
            "UPDATE source_checkpoint SET place = set_byte(place, 19, get_byte(place, 19) # 255)"
        )
    with pytest.raises(TamperedError):
        checkpoints.adopt(b, lb)
    # a holding that is over writes nothing
    ingest_lease.release(la, fence)
    assert ingest_lease.take(lb, seconds=30) is not None
    with a.store.transaction():
        sq.set_checkpoint(a.store, acct, "imap:INBOX", uidvalidity=1, last_uid=9)
    with pytest.raises(ingest_lease.LeaseLost):
        checkpoints.save(a, la, fence, last)


def test_the_clinic_trail_names_a_shared_patient_by_one_id_everywhere(tmp_path, keyring, empty_db):
    """Zoë is registered on a with a chart number and on b without one: the keyed
    chart number alone would split her trail in two; the shared patient id joins it."""
    from clinic_inbox.shared.audit_clinic import clinic_entries
    from clinic_inbox.shared.audit_ship import ship

    a, b, _c = _three(tmp_path, keyring, empty_db)
    la, lb = _link(a, keyring), _link(b, keyring)
    t1, t2 = receive(a, 2)
    convs = [sync.publish_conversation(a, la, t, None) for t in (t1, t2)]
    sync.pull(b, lb)
    zoe_a = add_patient(a, login(a, "admin"), ZOE)
    services.link_patient(a, login(a, "reception.moreau"), t1, zoe_a.id)
    sync.push(a, la)
    sync.pull(b, lb)
    zoe_b = _patient_of(b, shq.thread_by_uuid(b.store, convs[0])).id
    with b.store.transaction():  # b's copy of her record has no chart number
        b.store.execute("UPDATE patients SET chart_number = NULL WHERE id = ?", (zoe_b,))
    t2_b = shq.thread_by_uuid(b.store, convs[1])
    services.link_patient(b, login(b, "reception.moreau"), t2_b, zoe_b)
    sync.push(b, lb)
    for ws, link in ((a, la), (b, lb)):
        ship(ws, link, _custody(ws, keyring))
    for ws, link, pid in ((a, la, zoe_a.id), (b, lb, zoe_b)):
        links = [
            (e.workstation, e.conversation)
            for e in clinic_entries(ws, link, patient_id=pid)
            if e.action == "thread.link_patient"
        ]
        assert sorted(c for _w, c in links) == sorted(convs), links
        assert len({w for w, _c in links}) == 2  # one made on each workstation
