"""The reopen rule in the server's order (issue 14's leftovers).

Before, the rule "a patient writing again reopens a finished conversation" ran against
the fetching workstation's own copy: a "Done" made on another workstation and not
pulled there yet stayed Done over the patient's new words, on every replica alike. Now
the server applies it as the message reaches it, and a Done whose author had not seen
the patient's newer words loses (first to the server wins) with a card saying why.
Three workstations on a real PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from workstations import Joined, login, writes_again

from clinic_inbox.core import services
from clinic_inbox.core.model import Direction, Source, Status
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import conflicts, ingest_lease, sync


def _mail(clinic, n: int, body: str) -> int:  # noqa: ANN001
    first = "<order-1@example.org>"
    return writes_again(clinic, n, body, f"<order-{n}@example.org>", None if n == 1 else first)


def _outbound(clinic, thread_id: int, n: int, author: int | None) -> None:  # noqa: ANN001
    """A reply (a person's, or automatic with no author) as the sender records it."""
    with clinic.store.transaction():
        q.insert_message(
            clinic.store,
            q.NewMessage(
                thread_id=thread_id,
                source=Source.EMAIL,
                direction=Direction.OUTBOUND,
                received_at=datetime.now(UTC).isoformat(timespec="seconds"),
                sender="clinic@example.org",
                recipients="zoe.quennell@example.org",
                subject="Re: my thyroxine",
                body_text="We have sent the renewal to your pharmacy.",
                message_id_header=f"<reply-{n}@clinic.example.org>",
                author_staff_id=author,
            ),
        )


def _status(clinic, thread_id: int) -> Status:  # noqa: ANN001
    return q.get_thread(clinic.store, thread_id).status


def test_a_patient_message_after_a_done_reopens_it_in_server_order(
    tmp_path, empty_db, keyring_factory
):
    joined = Joined(tmp_path, empty_db, keyring_factory, 3)
    a, b, c = joined.clinics
    la, lb, lc = joined.links
    try:
        t = _mail(a, 1, "Could I renew my levothyroxine please?")  # A fetches
        conv = sync.publish_conversation(a, la, t, None)
        sync.pull(b, lb)
        sync.pull(c, lc)
        tb, tc = shq.thread_by_uuid(b.store, conv), shq.thread_by_uuid(c.store, conv)

        # 1. Dr Patel closes it on B; A has not pulled that when the patient writes again
        services.set_status(b, login(b, "dr.patel"), tb, Status.DONE)
        assert sync.push(b, lb).applied == 1
        assert _mail(a, 2, "Sorry, also my ramipril") == t
        assert _status(a, t) is Status.NEW  # A's copy never saw the Done
        sync.publish_conversation(a, la, t, None)
        for ws, link in ((a, la), (b, lb), (c, lc)):
            sync.push(ws, link)
            sync.pull(ws, link)
        for ws, tid in ((a, t), (b, tb), (c, tc)):
            row = q.get_thread(ws.store, tid)
            assert row.status is Status.NEW  # open again, everywhere (it stayed Done)
            assert q.clock_paused_remaining(ws.store, tid) is None  # its clock runs
            assert row.due_at
            assert ws.store.one("SELECT count(*) FROM messages WHERE thread_id = ?", (tid,)) == 2
        assert shq.conflicts(b.store) == []  # Dr Patel's Done was first: no card

        # 2. a message that truly came before the Done does not reopen it: B has it
        services.set_status(b, login(b, "dr.patel"), tb, Status.DONE)
        sync.push(b, lb)
        for ws, link in ((a, la), (c, lc)):
            sync.publish_conversation(a, la, t, None)  # republished: nothing new
            sync.pull(ws, link)
        assert _status(a, t) is _status(c, tc) is _status(b, tb) is Status.DONE

        # 3. Waiting on the patient, and the patient answers: In progress again
        services.set_status(b, login(b, "nurse.chen"), tb, Status.WAITING)
        sync.push(b, lb)
        assert _mail(a, 3, "Here is the pharmacy's fax number") == t
        sync.publish_conversation(a, la, t, None)
        for ws, link in ((a, la), (b, lb), (c, lc)):
            sync.pull(ws, link)
        assert _status(a, t) is _status(b, tb) is _status(c, tc) is Status.IN_PROGRESS
        assert shq.pending_count(a.store) == 0

        # 4. staff's own replies and automatic replies never reopen
        services.set_status(b, login(b, "dr.patel"), tb, Status.DONE)
        sync.push(b, lb)
        sync.pull(a, la)
        _outbound(a, t, 1, login(a, "nurse.chen").staff.id)
        _outbound(a, t, 2, None)
        sync.publish_conversation(a, la, t, None)
        for ws, link in ((a, la), (b, lb), (c, lc)):
            sync.pull(ws, link)
        assert _status(a, t) is _status(b, tb) is _status(c, tc) is Status.DONE
        assert c.store.one("SELECT count(*) FROM messages WHERE thread_id = ?", (tc,)) == 5

        # 5. a Done made offline on C reaches the server after the patient's new words:
        # it does not close over them; C's Dr Patel gets a card saying why
        services.set_status(b, login(b, "dr.patel"), tb, Status.IN_PROGRESS)
        sync.push(b, lb)
        sync.pull(c, lc)
        services.set_status(c, login(c, "dr.patel"), tc, Status.DONE)  # C is offline
        assert _mail(a, 4, "It is getting worse, can someone call me?") == t
        sync.publish_conversation(a, la, t, None)
        pushed = sync.push(c, lc)  # C is back
        assert (pushed.applied, pushed.conflicts) == (0, 1)
        for ws, link in ((a, la), (b, lb), (c, lc)):
            sync.pull(ws, link)
        assert _status(a, t) is _status(b, tb) is _status(c, tc) is Status.IN_PROGRESS
        for ws, tid in ((a, t), (b, tb), (c, tc)):
            # the nurse's reply had stopped the clock; the patient's words start it again
            # on every workstation, as on the one that fetched them
            assert q.get_thread(ws.store, tid).due_at is not None, ws.home.name
            assert q.clock_paused_remaining(ws.store, tid) is None
        card = conflicts.shown(c, login(c, "dr.patel")).value[0]
        assert card.who == "the patient's new message"  # "What ... did (kept)"
        assert (card.yours, card.theirs) == (Status.DONE.label, Status.IN_PROGRESS.label)

        # 6. the same offline Done, but made after C had pulled the new message: it
        # applies (its author saw everything the patient wrote)
        sync.pull(c, lc)
        services.set_status(c, login(c, "dr.patel"), tc, Status.DONE)
        assert sync.push(c, lc).applied == 1
        for ws, link in ((a, la), (b, lb)):
            sync.pull(ws, link)
        assert _status(a, t) is _status(b, tb) is _status(c, tc) is Status.DONE
    finally:
        joined.close()


def test_a_reopen_made_here_is_settled_when_its_message_comes_back_by_pull(
    tmp_path, empty_db, keyring_factory
):
    # (the mail fault harness once ended with one replica "done" and two "new" at the same
    # status version: a reopen made by a workstation's own ingest, whose publication never
    # completed there, and whose message came back to it by pull)
    joined = Joined(tmp_path, empty_db, keyring_factory, 2)
    a, b = joined.clinics
    la, lb = joined.links
    try:
        t = _mail(a, 1, "Could I renew my levothyroxine please?")
        conv = sync.publish_conversation(a, la, t, None)
        sync.pull(b, lb)
        tb = shq.thread_by_uuid(b.store, conv)

        # A fetches the patient's new words and Dr Patel, having read them, closes it
        # there; A's publication of them has not happened, its Done goes out (seen 2 of 2)
        assert _mail(a, 2, "Sorry, also my ramipril") == t
        services.set_status(a, login(a, "dr.patel"), t, Status.DONE)
        assert sync.push(a, la).applied == 1
        sync.pull(b, lb)
        assert _status(b, tb) is Status.DONE
        assert shq.field_version(b.store, tb, "status") == 2

        # B fetches the same e-mail again (its fetch checkpoint was not saved): its ingest
        # reopens its own copy, and B loses the lease before its publication commits
        fence = ingest_lease.take(lb)
        assert fence is not None
        assert _mail(b, 2, "Sorry, also my ramipril") == tb
        assert _status(b, tb) is Status.NEW
        ingest_lease.release(lb, fence)
        assert ingest_lease.take(la) is not None
        with pytest.raises(ingest_lease.LeaseLost):
            sync.publish_conversation(b, lb, tb, None, fence)

        # A publishes the message: the server does not reopen (the Done's author saw it)
        sync.publish_conversation(a, la, t, None)
        for ws, link in ((a, la), (b, lb)):
            sync.push(ws, link)
            sync.pull(ws, link)
        assert shq.pending_count(b.store) == 0
        assert shq.field_version(a.store, t, "status") == 2
        assert shq.field_version(b.store, tb, "status") == 2
        assert _status(a, t) is Status.DONE
        assert _status(b, tb) is Status.DONE  # before: "new" at version 2, for good
    finally:
        joined.close()
