"""`server init`, `server connect`, publish, push and pull against a real PostgreSQL,
with every workstation's clinic keys in a real keyring (gnome-keyring)."""

from __future__ import annotations

import psycopg
import pytest
from workstations import login, new_workstation, receive

from clinic_inbox.core import services
from clinic_inbox.core.model import Priority, Status
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import SharedQueueError, sync
from clinic_inbox.shared import server as srv
from clinic_inbox.shared.schema import SCHEMA_VERSION
from clinic_inbox.shared.seal import TamperedError


@pytest.fixture()
def keyring(secret_service):
    return secret_service.backend()


def _ws(tmp_path, name, keyring):
    return new_workstation(tmp_path / name, keyring)


def _custody(clinic, keyring):
    from clinic_inbox.core.keys import KeyCustody

    return KeyCustody(clinic.home, backend=keyring)


def _link(clinic, keyring):
    return srv.open_link(clinic, _custody(clinic, keyring))


def _three(tmp_path, keyring, dsn):
    a, b, c = (_ws(tmp_path, n, keyring) for n in "abc")
    init = srv.init_server(a, login(a, "admin"), dsn, _custody(a, keyring))
    for ws in (b, c):
        srv.connect_workstation(
            ws, login(ws, "admin"), dsn, init.clinic_code, _custody(ws, keyring)
        )
    return a, b, c, init


def test_init_then_connect_then_a_change_reaches_the_others(tmp_path, keyring, empty_db):
    a, b, c, init = _three(tmp_path, keyring, empty_db)
    assert "-" in init.clinic_code
    (t,) = receive(a, 1)
    la, lb, lc = (_link(ws, keyring) for ws in (a, b, c))
    conv = sync.publish_conversation(a, la, t, None)
    for ws, link in ((b, lb), (c, lc)):
        got = sync.pull(ws, link)
        assert [ch.kind for ch in got.applied] == ["conversation", "message"]
        tb = shq.thread_by_uuid(ws.store, conv)
        assert q.get_thread(ws.store, tb).subject == "Renewal of thyroxine tablets 0"
    doc = login(a, "dr.patel")
    nurse_id = q.staff_login_row(a.store, "nurse.chen")[0].id
    services.assign(a, doc, t, nurse_id)
    services.set_status(a, doc, t, Status.IN_PROGRESS)
    services.add_note(a, doc, t, "Called the pharmacy about Zoë's tablets")
    pushed = sync.push(a, la)
    assert (pushed.applied, pushed.conflicts) == (3, 0)
    assert shq.pending_count(a.store) == 0
    for ws, link in ((b, lb), (c, lc)):
        sync.pull(ws, link)
        tb = shq.thread_by_uuid(ws.store, conv)
        row = q.get_thread(ws.store, tb)
        assert row.status is Status.IN_PROGRESS
        assert row.assigned_to_id == q.staff_login_row(ws.store, "nurse.chen")[0].id
        assert [n[2] for n in q.thread_notes(ws.store, tb)] == [
            "Called the pharmacy about Zoë's tablets"
        ]
    # a second push has nothing to send; a second pull nothing to apply
    assert sync.push(a, la).applied == 0
    assert sync.pull(b, lb).applied == []


def test_first_to_the_server_wins_and_the_loser_sees_a_conflict(tmp_path, keyring, empty_db):
    a, b, _c, _ = _three(tmp_path, keyring, empty_db)
    (t,) = receive(a, 1)
    la, lb = _link(a, keyring), _link(b, keyring)
    conv = sync.publish_conversation(a, la, t, None)
    sync.pull(b, lb)
    tb = shq.thread_by_uuid(b.store, conv)
    # both change the status from the same version; b also raises the priority
    services.set_status(a, login(a, "dr.patel"), t, Status.DONE)
    services.set_status(b, login(b, "dr.patel"), tb, Status.WAITING)
    services.set_priority(b, login(b, "dr.patel"), tb, Priority.URGENT, "chest pain mentioned")
    services.set_priority(a, login(a, "dr.patel"), t, Priority.ADMIN, "only a form")
    assert sync.push(a, la).applied == 2
    pushed = sync.push(b, lb)
    assert (pushed.applied, pushed.conflicts) == (1, 1)  # the raise merges, the status loses
    (card,) = shq.conflicts(b.store, tb)
    assert (card.field, card.mine, card.theirs, card.their_by) == (
        "status",
        "waiting_on_patient",
        "done",
        "dr.patel",
    )
    assert q.get_thread(b.store, tb).status is Status.DONE  # b takes the server's value
    sync.pull(a, la)
    assert q.get_thread(a.store, t).priority is Priority.URGENT

    # b's doctor applies theirs anyway: a new change on top of what they have now seen
    from clinic_inbox.shared import conflicts

    doc_b = login(b, "dr.patel")
    assert [c.op_id for c in conflicts.open_conflicts(b, doc_b)] == [card.op_id]
    assert conflicts.open_conflicts(b, login(b, "nurse.chen")) == []
    conflicts.apply_anyway(b, doc_b, card.op_id)
    assert conflicts.open_conflicts(b, doc_b) == []
    assert sync.push(b, lb).applied == 1
    sync.pull(a, la)
    assert q.get_thread(a.store, t).status is Status.WAITING


def test_a_tampered_server_row_is_refused_and_nothing_is_applied(tmp_path, keyring, empty_db):
    a, b, _c, _ = _three(tmp_path, keyring, empty_db)
    t1, t2 = receive(a, 2)
    la, lb = _link(a, keyring), _link(b, keyring)
    sync.publish_conversation(a, la, t1, None)
    sync.publish_conversation(a, la, t2, None)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        # move one conversation's sealed snapshot onto the other (a valid ciphertext)
        conn.execute(
            "UPDATE conversation SET snapshot = (SELECT snapshot FROM conversation "
            "ORDER BY number LIMIT 1) WHERE number = (SELECT max(number) FROM conversation)"
        )
    before = q.message_count(b.store), shq.cursor(b.store)
    with pytest.raises(TamperedError, match="failed its integrity check"):
        sync.pull(b, lb)
    assert (q.message_count(b.store), shq.cursor(b.store)) == before


def test_another_clinics_server_or_another_schema_is_refused_untouched(
    tmp_path, keyring, postgres, empty_db
):
    a = _ws(tmp_path, "a", keyring)
    srv.init_server(a, login(a, "admin"), empty_db, _custody(a, keyring))
    other_db = postgres.create_database("other_clinic")
    o = _ws(tmp_path, "o", keyring)
    srv.init_server(o, login(o, "admin"), other_db, _custody(o, keyring))
    # a's kept link pointed at the other clinic's server: refused by name
    from clinic_inbox.shared import clinic_keys

    found = clinic_keys.load(a)
    clinic_keys.save(a, clinic_keys.ServerLink(other_db, found.keys))
    with pytest.raises(SharedQueueError, match="belongs to another clinic"):
        srv.open_link(a, _custody(a, keyring))
    clinic_keys.save(a, found)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        conn.execute("UPDATE server_info SET schema_version = %s", (SCHEMA_VERSION + 1,))
    with pytest.raises(SharedQueueError, match="newer Clinic Inbox"):
        srv.open_link(a, _custody(a, keyring))
    with psycopg.connect(other_db, autocommit=True) as conn:
        conn.execute("UPDATE server_info SET schema_version = 0")
    with pytest.raises(
        SharedQueueError, match=r"127\.0\.0\.1:\d+/other_clinic has an older schema"
    ):
        srv.open_link(o, _custody(o, keyring))
    with psycopg.connect(other_db, autocommit=True) as conn:
        conn.execute("UPDATE server_info SET schema_version = %s", (SCHEMA_VERSION,))
    # init on a prepared server, or on a non-empty database, changes nothing
    n = _ws(tmp_path, "n", keyring)
    with pytest.raises(SharedQueueError, match="newer Clinic Inbox"):
        srv.init_server(n, login(n, "admin"), empty_db, _custody(n, keyring))
    assert shq.linked_clinic(n.store) is None
    with pytest.raises(SharedQueueError, match="does not unlock"):
        srv.connect_workstation(n, login(n, "admin"), other_db, "AAAA-BBBB", _custody(n, keyring))
    assert shq.linked_clinic(n.store) is None


def test_a_workflow_value_or_note_author_changed_on_the_server_is_refused(
    tmp_path, keyring, empty_db
):
    a, b, _c, _ = _three(tmp_path, keyring, empty_db)
    (t,) = receive(a, 1)
    la, lb = _link(a, keyring), _link(b, keyring)
    conv = sync.publish_conversation(a, la, t, None)
    sync.pull(b, lb)
    tb = shq.thread_by_uuid(b.store, conv)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        # plain on the server so it can merge, but not forgeable: the MAC fails
        conn.execute(
            "UPDATE conversation_field SET value = 'done', v = v + 1 WHERE field = 'status'"
        )
        conn.execute("SELECT next_change('field', %s, 'status', gen_random_uuid())", (conv,))
    cursor = shq.cursor(b.store)
    with pytest.raises(TamperedError, match="conversation .*status.*failed its integrity"):
        sync.pull(b, lb)
    assert q.get_thread(b.store, tb).status is Status.NEW
    assert shq.cursor(b.store) == cursor
    # a change that loses to the forged value: its receipt is refused too, and it stays queued
    services.set_status(b, login(b, "dr.patel"), tb, Status.WAITING)
    with pytest.raises(TamperedError):
        sync.push(b, lb)
    assert shq.pending_count(b.store) == 1
    # a note whose author was swapped on the server
    services.add_note(a, login(a, "dr.patel"), t, "Zoë asked for a call back")
    sync.push(a, la)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        conn.execute("UPDATE conversation_field SET value = 'new' WHERE field = 'status'")
        conn.execute("DELETE FROM change_log WHERE kind = 'field'")
        conn.execute("UPDATE note SET author = 'someone-else'")
    with pytest.raises(TamperedError, match="another author"):
        sync.pull(b, lb)
    assert q.thread_notes(b.store, tb) == []


def test_mail_ingested_on_several_workstations_stays_one_conversation(tmp_path, keyring, empty_db):
    """Until one workstation ingests for all (the lease, next), each may fetch the same
    mail: pulled or published, a conversation whose mail is already here is joined, not
    doubled."""
    a, b, c, _ = _three(tmp_path, keyring, empty_db)
    ta, tb, tc = receive(a, 2), receive(b, 2), receive(c, 2)
    la, lb, lc = (_link(ws, keyring) for ws in (a, b, c))
    services.set_status(a, login(a, "dr.patel"), ta[0], Status.IN_PROGRESS)
    convs = [sync.publish_conversation(a, la, t, None) for t in ta]
    sync.pull(b, lb)  # b adopts: its own two conversations get the clinic's ids
    assert [shq.thread_uuid(b.store, t) for t in tb] == convs
    assert q.message_count(b.store) == 2
    assert q.get_thread(b.store, tb[0]).status is Status.IN_PROGRESS
    # c publishes without pulling first: it joins the server's conversations
    assert [sync.publish_conversation(c, lc, t, None) for t in tc] == convs
    assert la.conn.execute("SELECT count(*) FROM conversation").fetchone() == (2,)
    assert la.conn.execute("SELECT count(*) FROM message").fetchone() == (2,)
    assert q.get_thread(c.store, tc[0]).status is Status.IN_PROGRESS
    sync.pull(c, lc)
    assert q.message_count(c.store) == 2
    assert len(shq.shared_threads(c.store)) == 2


def test_a_reply_and_a_move_to_a_call_share_their_status_change(tmp_path, keyring, empty_db):
    from datetime import UTC, datetime

    from clinic_inbox.core import ingest
    from clinic_inbox.core.accounts import FhirAccount
    from clinic_inbox.core.model import Source
    from clinic_inbox.core.triage import load_rules

    a, b, _c, _ = _three(tmp_path, keyring, empty_db)
    admin = login(a, "admin")
    acct = services.add_fhir_account(
        a,
        admin,
        FhirAccount(name="Portal", base_url="http://127.0.0.1:9/fhir", practitioners=["p"]),
        None,
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
    la, lb = _link(a, keyring), _link(b, keyring)
    conv = sync.publish_conversation(a, la, got.thread_id, None)
    sync.pull(b, lb)
    tb = shq.thread_by_uuid(b.store, conv)
    services.queue_reply(a, doc, got.thread_id, "Yes, it is ready at the front desk.")
    sync.push(a, la)
    sync.pull(b, lb)
    assert q.get_thread(b.store, tb).status is Status.IN_PROGRESS
    services.move_to_call_or_visit(a, doc, got.thread_id, "call", "needs a conversation")
    sync.push(a, la)
    sync.pull(b, lb)
    assert q.get_thread(b.store, tb).status is Status.WAITING


def test_a_new_message_in_a_shared_conversation_is_published_again(tmp_path, keyring, empty_db):
    from datetime import UTC, datetime

    from clinic_inbox.core.ingest import Incoming, ingest
    from clinic_inbox.core.model import Source
    from clinic_inbox.core.triage import load_rules

    a, b, _c, _ = _three(tmp_path, keyring, empty_db)
    (t,) = receive(a, 1)
    la, lb = _link(a, keyring), _link(b, keyring)
    conv = sync.publish_conversation(a, la, t, None)
    assert shq.threads_to_publish(a.store) == []
    with a.store.transaction():
        again = ingest(
            a.store,
            a.config,
            load_rules(a.home),
            Incoming(
                source=Source.EMAIL,
                account_id=q.ensure_account(a.store, "Inbox", "imap", {}),
                received_at=datetime.now(UTC),
                sender_address="zoe.quennell0@example.org",
                subject="Re: Renewal of thyroxine tablets 0",
                body_text="Any news about my tablets?",
                message_id="<renewal-again@example.org>",
                in_reply_to="<renewal-0@example.org>",
            ),
        )
    assert again.thread_id == t and shq.threads_to_publish(a.store) == [t]
    sync.pull(b, lb)
    tb = shq.thread_by_uuid(b.store, conv)
    assert sync.publish_conversation(a, la, t, None) == conv
    got = sync.pull(b, lb)
    assert [ch.kind for ch in got.applied] == ["message"]
    assert q.get_thread(b.store, tb).message_count == 2
