"""The server goes away (a crash: `pg_ctl stop -m immediate`) while a workstation works:
its changes stay queued in its own store, the error says so in plain words, and after
the restart each change reaches the server exactly once, including one whose answer
was lost on the way back."""

from __future__ import annotations

import pytest
from workstations import login, new_workstation, receive

from clinic_inbox.core import services
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Priority, Status
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import SharedQueueError, sync
from clinic_inbox.shared import server as srv
from clinic_inbox.shared.seal import field_mac


@pytest.fixture()
def own_postgres():
    from support.postgres import PostgresServer

    server = PostgresServer().start()
    yield server
    server.close()


def test_changes_wait_through_a_server_crash_and_arrive_once(
    tmp_path, own_postgres, secret_service
):
    dsn = own_postgres.create_database("outage")
    kr = secret_service.backend()
    a, b = new_workstation(tmp_path / "a", kr), new_workstation(tmp_path / "b", kr)
    init = srv.init_server(a, login(a, "admin"), dsn, KeyCustody(a.home, backend=kr))
    srv.connect_workstation(
        b, login(b, "admin"), dsn, init.clinic_code, KeyCustody(b.home, backend=kr)
    )
    (t,) = receive(a, 1)
    la = srv.open_link(a, KeyCustody(a.home, backend=kr))
    conv = sync.publish_conversation(a, la, t, None)

    own_postgres.stop(mode="immediate")
    doc = login(a, "dr.patel")
    services.set_status(a, doc, t, Status.IN_PROGRESS)  # works offline, on the replica
    services.add_note(a, doc, t, "Left a voicemail for Zoë")
    services.set_priority(a, doc, t, Priority.SAME_DAY, "sounds worse")
    assert shq.pending_count(a.store) == 3
    with pytest.raises(SharedQueueError, match="stopped answering.*wait on this computer"):
        sync.push(a, la)
    assert shq.pending_count(a.store) == 3
    with pytest.raises(SharedQueueError, match="Could not connect to the shared server"):
        srv.open_link(b, KeyCustody(b.home, backend=kr))

    own_postgres.start()
    la = srv.open_link(a, KeyCustody(a.home, backend=kr))
    # the first change reached the server, but its answer was lost (a crash right after
    # the server's commit): the same operation is sent again on the next push
    first = shq.pending_ops(a.store)[0]
    with la.conn.transaction():
        la.conn.execute(
            "SELECT * FROM apply_op(%s, %s, %s, %s, %s, %s, 'x', NULL, NULL, %s)",
            (
                first.op_id,
                la.workstation_id,
                conv,
                first.field,
                first.base_v,
                first.value,
                field_mac(la.keys, conv, first.field, first.value, first.op_id),
            ),
        )
    pushed = sync.push(a, la)
    assert (pushed.applied, pushed.conflicts) == (3, 0)
    receipts = la.conn.execute("SELECT count(*), count(DISTINCT op_id) FROM op_receipt").fetchone()
    assert receipts == (3, 3)
    assert la.conn.execute(
        "SELECT v FROM conversation_field WHERE field = 'status'"
    ).fetchone() == (2,)
    lb = srv.open_link(b, KeyCustody(b.home, backend=kr))
    sync.pull(b, lb)
    tb = shq.thread_by_uuid(b.store, conv)
    row = q.get_thread(b.store, tb)
    assert (row.status, row.priority) == (Status.IN_PROGRESS, Priority.SAME_DAY)
    assert [n[2] for n in q.thread_notes(b.store, tb)] == ["Left a voicemail for Zoë"]
