"""Every workstation files a message in the same shared conversation.

The mail fault harness found one replica with a patient's e-mail in a conversation of
its own while the other two had it, with a reply, in another: the lease holder was
killed between keeping a new conversation's id and the server's commit; the next
holder published the same mail in its own conversation; the first one, holder again,
published its copy under the id it had kept before it pulled the other's. The server
took the conversation but not the message (it had it already, elsewhere), and that
copy marked the message as published where it was. Now a copy whose conversation the
server never accepted joins the server's one, and a message the server holds in
another conversation moves there, with what hangs off it.
"""

from __future__ import annotations

import psycopg
from workstations import Joined, login, receive, writes_again

from clinic_inbox.core import services
from clinic_inbox.core.model import Status
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import ingest_lease
from clinic_inbox.shared.sync import publish_conversation, pull, push

STALE = "0f0e0d0c-0000-4000-8000-0000000000aa"


def _server(dsn: str) -> tuple[int, int, int]:
    """(conversations, conversations with no message, messages)"""
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT (SELECT count(*) FROM conversation), (SELECT count(*) FROM conversation c "
            "WHERE NOT EXISTS (SELECT 1 FROM message m WHERE m.conv = c.id)), "
            "(SELECT count(*) FROM message)"
        ).fetchone()


def _where(clinic, header: str) -> str | None:  # noqa: ANN001
    """The shared conversation this copy files the e-mail with that Message-ID in."""
    return clinic.store.one(
        "SELECT t.uuid FROM messages m JOIN threads t ON t.id = m.thread_id "
        "WHERE m.message_id_header = ? AND m.direction = 'in'",
        (header,),
    )


def test_a_killed_holders_kept_id_gives_way_to_the_conversation_the_server_has(
    tmp_path, empty_db, keyring_factory
):
    joined = Joined(tmp_path, empty_db, keyring_factory, 2)
    a, b = joined.clinics
    la, lb = joined.links
    try:
        ta = receive(a, 1, "k")[0]  # A, the holder, fetched the e-mail
        status_by = login(a, "dr.patel")
        services.set_status(a, status_by, ta, Status.IN_PROGRESS)  # and someone took it
        with a.store.transaction():  # its publication kept an id, then A was killed
            shq.set_thread_uuid(a.store, ta, STALE)
        tb = receive(b, 1, "k")[0]  # B took over and fetched it again from the checkpoint
        taken = ingest_lease.take(lb, seconds=1)
        assert taken is not None
        shared = publish_conversation(b, lb, tb, None, taken)
        ingest_lease.release(lb, taken)

        # A restarted, holds the lease again and publishes before it has pulled
        fence = ingest_lease.take(la)
        assert fence is not None
        assert publish_conversation(a, la, ta, None, fence) == shared
        assert _server(empty_db) == (1, 0, 1)  # no second, empty conversation
        assert shq.thread_uuid(a.store, ta) == shared
        pull(a, la)
        push(a, la)  # the change made here goes as its author's
        pull(b, lb)
        header = "<renewal-k0@example.org>"
        assert _where(a, header) == _where(b, header) == shared
        assert a.store.one("SELECT count(*) FROM threads") == 1
        assert shq.threads_to_publish(a.store) == []
        assert shq.thread_state(b.store, tb).status == Status.IN_PROGRESS.value
    finally:
        joined.close()


def test_a_message_the_server_holds_in_another_conversation_moves_there(
    tmp_path, empty_db, keyring_factory
):
    """The patient writes again. A threads it into her first conversation; B, the
    holder, had not pulled that one yet and published it as a new conversation. A's copy
    of it moves to that conversation when A publishes, or when A pulls it first."""
    joined = Joined(tmp_path, empty_db, keyring_factory, 2)
    a, b = joined.clinics
    la, lb = joined.links
    try:
        first = "<again-1@example.org>"
        t1 = writes_again(a, 1, "Could I renew my levothyroxine?", first, None)
        e = publish_conversation(a, la, t1, None)
        # B fetches her second e-mail before it has pulled the first conversation
        tb = writes_again(b, 2, "Me again: the pharmacy is closed.", "<again-2@example.org>", first)
        y = publish_conversation(b, lb, tb, None)
        assert y != e
        # A had fetched it too (as holder, killed before publishing): into her first one
        assert (
            writes_again(a, 2, "Me again: the pharmacy is closed.", "<again-2@example.org>", first)
            == t1
        )
        publish_conversation(a, la, t1, None)
        pull(a, la)
        pull(b, lb)
        for header, conv in ((first, e), ("<again-2@example.org>", y)):
            assert _where(a, header) == _where(b, header) == conv, header
        assert _server(empty_db)[:2] == (2, 0)
        assert shq.threads_to_publish(a.store) == []
    finally:
        joined.close()
