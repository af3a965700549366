"""The ingest lease on a real PostgreSQL: one workstation at a time publishes new mail.

- Taking, renewing, expiring and handing over the lease, on the server's clock; a
  holder whose holding ended (paused past the expiry, another took over) publishes
  nothing, and its conversation can still join the one the new holder publishes.
- Two workstation processes that both stored the same mail (as each one's own sync
  does today): the holder publishes it automatically; killed with SIGKILL in the
  middle of the batch, the other takes the lease after the expiry and publishes the
  rest; the restarted one adopts what the server has. Every message is on the server
  once, and each workstation holds each conversation once.
"""

from __future__ import annotations

import time

import psycopg
import pytest
from test_three_workstations import Workstation
from workstations import login, new_workstation, receive

from clinic_inbox.core import services
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Status
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import ingest_lease
from clinic_inbox.shared import server as srv
from clinic_inbox.shared.sync import publish_conversation, pull, push

BATCH = 60
LEASE = 3  # seconds, so the test waits little for the expiry


def _join_two(tmp_path, dsn: str, rings) -> tuple[list, list[KeyCustody]]:  # noqa: ANN001
    homes = [tmp_path / "ws-a", tmp_path / "ws-b"]
    clinics = [new_workstation(h, r.backend()) for h, r in zip(homes, rings, strict=True)]
    custody = [KeyCustody(h, backend=r.backend()) for h, r in zip(homes, rings, strict=True)]
    init = srv.init_server(clinics[0], login(clinics[0], "admin"), dsn, custody[0])
    srv.connect_workstation(
        clinics[1], login(clinics[1], "admin"), dsn, init.clinic_code, custody[1]
    )
    return clinics, custody


def _server_counts(dsn: str) -> tuple[int, int, int]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT (SELECT count(*) FROM conversation), (SELECT count(*) FROM message), "
            "(SELECT count(DISTINCT identity) FROM message)"
        ).fetchone()


def test_the_lease_is_held_by_one_and_fences_a_holder_whose_time_ran_out(
    tmp_path, empty_db, keyring_factory
):
    (a, b), custody = _join_two(tmp_path, empty_db, [keyring_factory(), keyring_factory()])
    ta = receive(a, 2, "a")
    tb = receive(b, 2, "a")  # the same two e-mails, stored on B too
    link_a, link_b = srv.open_link(a, custody[0]), srv.open_link(b, custody[1])
    try:
        first = ingest_lease.take(link_a, seconds=1)
        assert first is not None
        assert ingest_lease.take(link_b, seconds=1) is None  # held by A
        renewed = ingest_lease.take(link_a, seconds=1)
        assert renewed == first  # a renewal in time keeps the holding
        conv = publish_conversation(a, link_a, ta[0], None, first)
        assert _server_counts(empty_db)[:2] == (1, 1)

        time.sleep(1.3)  # A is paused past the expiry; B takes over
        taken = ingest_lease.take(link_b, seconds=30)
        assert taken is not None and taken.epoch == first.epoch + 1
        with pytest.raises(ingest_lease.LeaseLost) as lost:
            publish_conversation(a, link_a, ta[1], None, first)
        assert "Another workstation took over" in str(lost.value)
        assert _server_counts(empty_db)[:2] == (1, 1)  # nothing of it reached the server
        assert shq.thread_uuid(a.store, ta[1]) is None  # and it may still join the clinic's
        assert ingest_lease.take(link_a) is None  # A waking up does not get it back

        # B, the holder, publishes: its copy of the first mail joins A's conversation
        assert publish_conversation(b, link_b, tb[0], None, taken) == conv
        second = publish_conversation(b, link_b, tb[1], None, taken)
        assert _server_counts(empty_db) == (2, 2, 2)
        pull(a, link_a)  # A's own copy of the second mail becomes the clinic's conversation
        assert shq.thread_uuid(a.store, ta[1]) == second
        assert a.store.one("SELECT count(*) FROM threads") == 2

        # A was killed between keeping a new conversation's id and the server's commit:
        # the id is A's alone; when B's publication of that mail arrives, A adopts it
        more_a, more_b = receive(a, 1, "late"), receive(b, 1, "late")
        with a.store.transaction():
            shq.set_thread_uuid(a.store, more_a[0], "0f0e0d0c-0000-4000-8000-000000000001")
        late = publish_conversation(b, link_b, more_b[0], None, taken)
        pull(a, link_a)
        assert shq.thread_uuid(a.store, more_a[0]) == late
        assert a.store.one("SELECT count(*) FROM threads") == 3

        ingest_lease.release(link_b, taken)  # a clean stop hands over at once
        again = ingest_lease.take(link_a)
        assert again is not None and again.epoch == taken.epoch + 1
    finally:
        link_a.conn.close()
        link_b.conn.close()
        a.close()
        b.close()


def test_a_change_made_while_a_refused_publication_held_the_id_waits_and_then_goes(
    tmp_path, empty_db, keyring_factory
):
    """A person changes a conversation while the holder's publication of it is on its
    way: the id is kept here, so the change is queued under it; the server refuses the
    publication (the lease was lost) and the id is forgotten. The change waits (push
    does not fail on it, nor on what is queued after it) and reaches the server once
    the conversation is there."""
    (a, b), custody = _join_two(tmp_path, empty_db, [keyring_factory(), keyring_factory()])
    ta, tb = receive(a, 2, "a"), receive(b, 2, "a")
    link_a, link_b = srv.open_link(a, custody[0]), srv.open_link(b, custody[1])
    try:
        first = ingest_lease.take(link_a, seconds=1)
        assert first is not None
        shared = publish_conversation(a, link_a, ta[0], None, first)
        time.sleep(1.3)
        taken = ingest_lease.take(link_b, seconds=30)
        assert taken is not None
        with a.store.transaction():  # the publication's id, kept before the server answers
            shq.set_thread_uuid(a.store, ta[1], "0f0e0d0c-0000-4000-8000-000000000002")
        doc = login(a, "dr.patel")
        services.set_status(a, doc, ta[1], Status.IN_PROGRESS)
        services.set_status(a, doc, ta[0], Status.WAITING)  # queued after it
        with a.store.transaction():  # the server refused it: publish forgets the id
            shq.forget_thread_uuid(a.store, ta[1], "0f0e0d0c-0000-4000-8000-000000000002")

        pushed = push(a, link_a)
        assert (pushed.applied, pushed.waiting) == (1, 1)  # the other change went
        with psycopg.connect(empty_db) as conn:
            assert conn.execute(
                "SELECT value FROM conversation_field WHERE conv = %s AND field = 'status'",
                (shared,),
            ).fetchone() == (Status.WAITING.value,)

        second = publish_conversation(b, link_b, tb[1], None, taken)
        pull(a, link_a)  # A's copy joins the clinic's conversation
        assert shq.thread_uuid(a.store, ta[1]) == second
        pushed = push(a, link_a)
        assert pushed.waiting == 0 and shq.pending_count(a.store) == 0
        with psycopg.connect(empty_db) as conn:
            assert conn.execute(
                "SELECT value FROM conversation_field WHERE conv = %s AND field = 'status'",
                (second,),
            ).fetchone() == (Status.IN_PROGRESS.value,)
    finally:
        link_a.conn.close()
        link_b.conn.close()
        a.close()
        b.close()


def test_a_reopen_the_server_did_not_make_gives_way_to_the_servers_status(
    tmp_path, empty_db, keyring_factory
):
    """A publication whose message was on the server already (the holder was killed
    after the server took it): whoever closed the conversation had seen that message, so
    the server does not reopen it. This copy had reopened it when the message arrived,
    at the version of the Done it had pulled; after publishing it shows the server's
    Done, as every other copy does (a pull would never bring that version again)."""
    (a, b), custody = _join_two(tmp_path, empty_db, [keyring_factory(), keyring_factory()])
    ta = receive(a, 1, "r")
    link_a, link_b = srv.open_link(a, custody[0]), srv.open_link(b, custody[1])
    try:
        shared = publish_conversation(a, link_a, ta[0], None)
        pull(b, link_b)
        tb = shq.thread_by_uuid(b.store, shared)
        services.set_status(b, login(b, "dr.patel"), tb, Status.DONE)
        assert push(b, link_b).applied == 1
        pull(a, link_a)
        assert shq.thread_state(a.store, ta[0]).status == Status.DONE.value
        version = shq.field_version(a.store, ta[0], "status")
        with a.store.transaction():  # what ingest does when the patient's message comes
            a.store.execute("UPDATE threads SET status = ? WHERE id = ?", (Status.NEW.value, ta[0]))
        publish_conversation(a, link_a, ta[0], None)
        assert shq.thread_state(a.store, ta[0]).status == Status.DONE.value
        assert shq.field_version(a.store, ta[0], "status") == version
        assert shq.pending_count(a.store) == 0
        # a person's change queued here is theirs to send, never overwritten
        services.set_status(a, login(a, "dr.patel"), ta[0], Status.WAITING)
        publish_conversation(a, link_a, ta[0], None)
        assert shq.thread_state(a.store, ta[0]).status == Status.WAITING.value
        assert push(a, link_a).applied == 1
    finally:
        link_a.conn.close()
        link_b.conn.close()
        a.close()
        b.close()


def test_the_holder_killed_mid_batch_another_takes_over_nothing_lost_or_doubled(
    tmp_path, empty_db, keyring_factory
):
    rings = [keyring_factory(), keyring_factory()]
    (a, b), _ = _join_two(tmp_path, empty_db, rings)
    homes = [a.home, b.home]
    receive(b, BATCH, "k")  # both workstations store the same mail, as their syncs do
    for c in (a, b):
        c.close()
    env = [{**r.env, "CLINIC_INBOX_TEST_LEASE": str(LEASE)} for r in rings]
    A = Workstation("A", homes[0], env[0])
    B = None
    try:
        A.wait("ready", timeout=60)
        A.wait("lease", timeout=10, match=lambda e: e["held"])
        B = Workstation("B", homes[1], env[1])
        B.wait("ready", timeout=60)
        A.send(cmd="receive", n=BATCH, tag="k")  # A's sync stores the batch
        for _ in range(5):  # A is publishing the batch
            A.wait("published", timeout=30)
        A.proc.kill()  # SIGKILL, in the middle of it
        A.proc.wait()
        killed_at = time.monotonic()
        on_server = _server_counts(empty_db)
        print(f"\nA killed after publishing {on_server[0]} of {BATCH} conversations")
        assert on_server[0] < BATCH, "A finished before the kill: the test proves nothing"
        assert B.wait("lease", timeout=LEASE * 4, match=lambda e: e["held"])
        took = time.monotonic() - killed_at
        print(f"B took the lease {took:.1f} s after the kill (lease {LEASE} s)")
        assert took < LEASE + LEASE / 3 + 2
        deadline = time.monotonic() + 30
        while _server_counts(empty_db)[0] < BATCH:
            assert time.monotonic() < deadline, _server_counts(empty_db)
            time.sleep(0.2)
        A = Workstation("A", homes[0], env[0])
        A.wait("ready", timeout=60)
        time.sleep(1.0)  # anything late or doubled would arrive now
        assert _server_counts(empty_db) == (BATCH, BATCH, BATCH)
        for w in (A, B):
            w.send(cmd="counts")
            got = w.wait("counts")
            assert (got["threads"], got["messages"], got["shared"]) == (BATCH, BATCH, BATCH), (
                w.name,
                got,
            )
    finally:
        A.close()
        if B is not None:
            B.close()


def test_the_mail_sync_fetches_on_the_holder_and_anywhere_once_the_server_is_long_away(
    tmp_path, empty_db, keyring_factory
):
    from clinic_inbox.shared import clinic_keys
    from clinic_inbox.shared.live import LiveSync

    (a, b), custody = _join_two(tmp_path, empty_db, [keyring_factory(), keyring_factory()])
    errors: list[str] = []
    live_a = LiveSync(
        a, custody=custody[0], app="ws-a", ingest=True, lease_seconds=3, on_error=errors.append
    ).start()
    live_b = LiveSync(
        b, custody=custody[1], app="ws-b", ingest=True, lease_seconds=3, on_error=errors.append
    )
    try:
        deadline = time.monotonic() + 15
        while not live_a.holds_lease:  # A first (else B might take it)
            assert time.monotonic() < deadline, ("A did not take the lease", errors)
            time.sleep(0.1)
        live_b.start()
        assert live_b.connected.wait(30), errors
        time.sleep(0.5)
        assert live_a.may_fetch() and not live_b.may_fetch()  # one fetches, not both
    finally:
        live_a.stop()
        live_b.stop()
    # B's server is out of reach (here: its address now leads nowhere)
    found = clinic_keys.load(b)
    assert found is not None
    clinic_keys.save(b, clinic_keys.ServerLink("host=127.0.0.1 port=9 dbname=x user=y", found.keys))
    cut = LiveSync(b, custody=custody[1], app="ws-b", ingest=True, offline_grace=1.5).start()
    try:
        assert not cut.may_fetch()  # a short absence: the holder may still be fetching
        time.sleep(2.0)
        assert cut.may_fetch()  # a long one: urgent mail must still be answered
        assert not cut.connected.is_set()
    finally:
        cut.stop()
        a.close()
        b.close()
