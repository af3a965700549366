"""A held reply discarded by its author shows as not sent on the other workstations too.

Three workstations of one clinic on a real PostgreSQL (their own SQLCipher stores, a
real gnome-keyring). Dr Patel answers Zoë from A and, not knowing, from B; A's answer
reaches the server first, so B's is held. B's reply reached A and C when B published
the conversation (as every reply does). Its author discards it on B: the discard is
published (a MAC under the clinic keys over the reply's keyed identity) and A and C,
when they pull, show that reply as not sent, with an audit entry; a discard the server
changed is refused, nothing of that pull applied.
"""

from __future__ import annotations

import psycopg
import pytest
from test_shared_patients import (  # noqa: F401 - `keyring` is a fixture
    _link,
    _portal_conversation,
    _three,
    keyring,
)
from workstations import login

from clinic_inbox.core import services
from clinic_inbox.core.store import compose_queries as cq
from clinic_inbox.core.store import reply_hold_queries as hq
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import reply_hold, sync
from clinic_inbox.shared.seal import TamperedError


def _held_reply_of_b(tmp_path, ring, dsn):  # noqa: ANN001, ANN202
    a, b, c = _three(tmp_path, ring, dsn)
    la, lb, lc = _link(a, ring), _link(b, ring), _link(c, ring)
    t, tb = _portal_conversation(a, la, b, lb)
    mine = services.queue_reply(b, login(b, "dr.patel"), tb, "Your sick note is ready.")
    services.queue_reply(a, login(a, "dr.patel"), t, "Yes, it is at the front desk.")
    sync.publish_conversation(a, la, t, None)  # A's answer first
    sync.pull(b, lb)
    (held,) = reply_hold.held_replies(b, login(b, "dr.patel"))
    assert held.outbox_id == mine
    sync.publish_conversation(b, lb, tb, None)  # B's reply reaches the server, held or not
    sync.pull(a, la)
    sync.pull(c, lc)
    ident = b.store.one("SELECT shared_identity FROM messages WHERE id = ?", (held.message_id,))
    assert ident is not None
    on_a, on_c = (shq.message_by_identity(ws.store, ident) for ws in (a, c))
    assert on_a is not None and on_c is not None
    assert cq.delivery(a.store, on_a)[0] is None  # shown as a reply, like any other
    return (a, b, c), (la, lb, lc), held, (on_a, on_c)


def _close(wss, links):  # noqa: ANN001, ANN202
    for link in links:
        link.conn.close()
    for ws in wss:
        ws.close()


def test_a_discard_on_b_shows_the_reply_as_not_sent_on_a_and_c(
    tmp_path,
    keyring,  # noqa: F811
    empty_db,
):
    (a, b, c), (la, lb, lc), held, (on_a, on_c) = _held_reply_of_b(tmp_path, keyring, empty_db)
    reply_hold.discard_held(b, login(b, "dr.patel"), held.outbox_id)
    sync.push(b, lb)
    with psycopg.connect(empty_db) as conn:
        assert conn.execute("SELECT count(*) FROM message_discard").fetchone()[0] == 1
    pulled_a, pulled_c = sync.pull(a, la), sync.pull(c, lc)
    assert cq.delivery(a.store, on_a)[0] == "cancelled"
    assert cq.delivery(c.store, on_c)[0] == "cancelled"
    assert pulled_a.changes.threads  # the open conversation is read again
    for ws in (a, c):
        actions = [r[0] for r in ws.store.execute("SELECT action FROM audit")]
        assert "reply.discard_held.shared" in actions
    # B's own discard, come back from the server, changes nothing there; nothing twice
    sync.pull(b, lb)
    assert sync.push(b, lb).applied == 0
    with psycopg.connect(empty_db) as conn:
        assert conn.execute("SELECT count(*) FROM message_discard").fetchone()[0] == 1
    assert hq.held_replies(b.store) == []
    assert pulled_c.applied
    _close((a, b, c), (la, lb, lc))


def test_a_discard_made_offline_goes_out_at_the_next_push(
    tmp_path,
    keyring,  # noqa: F811
    empty_db,
):
    (a, b, c), (la, lb, lc), held, (on_a, _on_c) = _held_reply_of_b(tmp_path, keyring, empty_db)
    lb.conn.close()  # B loses the server
    reply_hold.discard_held(b, login(b, "dr.patel"), held.outbox_id)
    lb = _link(b, keyring)  # back
    sync.push(b, lb)
    sync.pull(a, la)
    assert cq.delivery(a.store, on_a)[0] == "cancelled"
    _close((a, b, c), (la, lb, lc))


def test_a_discard_changed_on_the_server_is_refused(
    tmp_path,
    keyring,  # noqa: F811
    empty_db,
):
    (a, b, c), (la, lb, lc), held, (on_a, _on_c) = _held_reply_of_b(tmp_path, keyring, empty_db)
    reply_hold.discard_held(b, login(b, "dr.patel"), held.outbox_id)
    sync.push(b, lb)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        conn.execute(
            "UPDATE change_log SET ref = split_part(ref, '|', 1) || '|' || repeat('0', 64) "
            "WHERE kind = 'discard'"
        )
    with pytest.raises(TamperedError):
        sync.pull(a, la)
    assert cq.delivery(a.store, on_a)[0] is None  # nothing of that pull applied
    _close((a, b, c), (la, lb, lc))
