"""A patient writing again reopens the conversation on every workstation.

Found by the mail fault harness (replicas differed in a conversation's status): the
ingest rule "a new message reopens a finished conversation" (and raises its priority,
sets its sensitive flag) changed only the fetching workstation's copy. The others
received the message and kept "Done"; the server too. Now the server applies the rule as
the message reaches it (test_reopen_server_order); a status set meanwhile elsewhere meets
the rule again (the patient wrote after it). Two workstations on a real PostgreSQL.
"""

from __future__ import annotations

from workstations import login, new_workstation, writes_again

from clinic_inbox.core import services
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Priority, Status
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import server as srv
from clinic_inbox.shared import sync


def _mail(clinic, n: int, body: str, reply_to: str | None = None) -> int:  # noqa: ANN001
    return writes_again(clinic, n, body, f"<reopen-{n}@example.org>", reply_to)


def test_a_patient_writing_again_reopens_the_conversation_everywhere(
    tmp_path, empty_db, keyring_factory
):
    rings = [keyring_factory(), keyring_factory()]
    homes = [tmp_path / "ws-a", tmp_path / "ws-b"]
    a, b = (new_workstation(h, r.backend()) for h, r in zip(homes, rings, strict=True))
    ca, cb = (KeyCustody(h, backend=r.backend()) for h, r in zip(homes, rings, strict=True))
    init = srv.init_server(a, login(a, "admin"), empty_db, ca)
    srv.connect_workstation(b, login(b, "admin"), empty_db, init.clinic_code, cb)
    la, lb = srv.open_link(a, ca), srv.open_link(b, cb)
    try:
        t = _mail(a, 1, "Could I renew my levothyroxine please?")  # A fetches (the holder)
        conv = sync.publish_conversation(a, la, t, None)
        sync.pull(b, lb)
        tb = shq.thread_by_uuid(b.store, conv)
        services.set_status(b, login(b, "dr.patel"), tb, Status.DONE)  # answered on B
        sync.push(b, lb)
        sync.pull(a, la)
        assert q.get_thread(a.store, t).status is Status.DONE

        # the patient writes again, urgently; A fetches it into the same conversation
        assert _mail(a, 2, "I have crushing chest pain", reply_to="<reopen-1@example.org>") == t
        mine = q.get_thread(a.store, t)
        assert mine.status is Status.NEW  # the ingest rule, here
        sync.publish_conversation(a, la, t, None)
        sync.push(a, la)
        sync.pull(b, lb)
        sync.pull(a, la)
        on_b = q.get_thread(b.store, tb)
        assert b.store.one("SELECT count(*) FROM messages WHERE thread_id = ?", (tb,)) == 2
        assert on_b.status is Status.NEW  # reopened on B too, not left "Done"
        assert on_b.priority == mine.priority
        assert mine.priority is not Priority.ROUTINE or on_b.priority is Priority.ROUTINE
        assert q.get_thread(a.store, t).status is Status.NEW
        assert shq.pending_count(a.store) == shq.pending_count(b.store) == 0

        # again, but Dr Patel on B closes it before A's reopen reaches the server: the
        # patient wrote after her "Done", so the rule applies again to the server's status
        # (a finished conversation must not hide a new message), and both agree
        services.set_status(b, login(b, "dr.patel"), tb, Status.WAITING)
        sync.push(b, lb)
        sync.pull(a, la)
        assert _mail(a, 3, "Still waiting", reply_to="<reopen-2@example.org>") == t
        assert q.get_thread(a.store, t).status is Status.IN_PROGRESS  # here, for now
        services.set_status(b, login(b, "dr.patel"), tb, Status.DONE)
        sync.push(b, lb)
        sync.publish_conversation(a, la, t, None)  # the server reopens it (its order)
        pushed = sync.push(a, la)
        assert (pushed.conflicts, pushed.waiting) == (0, 0)
        sync.pull(a, la)
        sync.pull(b, lb)
        assert q.get_thread(a.store, t).status is Status.NEW
        assert q.get_thread(b.store, tb).status is Status.NEW
        assert shq.conflicts(a.store) == []  # no card for nobody

        # a person on A changes the status after the reopen, before A reaches the server,
        # while B closes it first: the person's change is what A sends after the reopen
        # lost (not the reopen again), and both copies end as the server has it
        assert _mail(a, 4, "One more thing", reply_to="<reopen-3@example.org>") == t
        services.set_status(b, login(b, "dr.patel"), tb, Status.DONE)
        sync.push(b, lb)
        services.set_status(a, login(a, "dr.patel"), t, Status.WAITING)
        sync.publish_conversation(a, la, t, None)
        for _ in range(3):
            sync.push(a, la)
            sync.pull(a, la)
        sync.pull(b, lb)
        assert shq.pending_count(a.store) == 0
        assert q.get_thread(a.store, t).status is q.get_thread(b.store, tb).status
        assert b.store.one("SELECT count(*) FROM messages WHERE thread_id = ?", (tb,)) == 4
    finally:
        la.conn.close()
        lb.conn.close()
        a.close()
        b.close()


def test_publishing_does_not_hide_a_change_not_pulled_yet(tmp_path, empty_db, keyring_factory):
    """Publishing new mail of a known conversation took the server's field versions
    without their values: a status changed elsewhere and not pulled yet was then
    skipped by the pull as already seen, and this copy kept the old one for good."""
    rings = [keyring_factory(), keyring_factory()]
    homes = [tmp_path / "ws-a", tmp_path / "ws-b"]
    a, b = (new_workstation(h, r.backend()) for h, r in zip(homes, rings, strict=True))
    ca, cb = (KeyCustody(h, backend=r.backend()) for h, r in zip(homes, rings, strict=True))
    init = srv.init_server(a, login(a, "admin"), empty_db, ca)
    srv.connect_workstation(b, login(b, "admin"), empty_db, init.clinic_code, cb)
    la, lb = srv.open_link(a, ca), srv.open_link(b, cb)
    try:
        t = _mail(a, 1, "Could I renew my levothyroxine please?")
        conv = sync.publish_conversation(a, la, t, None)
        sync.pull(b, lb)
        tb = shq.thread_by_uuid(b.store, conv)
        services.set_status(b, login(b, "dr.patel"), tb, Status.IN_PROGRESS)
        sync.push(b, lb)
        # A has not pulled that yet; the patient writes again and A publishes it
        assert _mail(a, 2, "And my ramipril too", reply_to="<reopen-1@example.org>") == t
        sync.publish_conversation(a, la, t, None)
        sync.pull(a, la)
        assert q.get_thread(a.store, t).status is Status.IN_PROGRESS  # not left "New"
        assert q.get_thread(b.store, tb).status is Status.IN_PROGRESS
    finally:
        la.conn.close()
        lb.conn.close()
        a.close()
        b.close()
