"""A workstation's own copy of an automatic portal reply, shown once (issue 14's leftovers).

Two workstations make the same automatic portal reply (the same derived Message-ID).
One sends first: the portal names its Communication, the sender's copy is renamed after
it and published under that name. The other pulled that copy before publishing its own,
found nothing of the same name (its own still had the derived Message-ID) and kept both:
that conversation showed the reply twice on that workstation, for good (recording its
own send then found the Communication taken and left its copy as it was). And a copy
published before its sending and again after it (a workstation killed between the
server's commit and its own) reached the server under two identities: every replica
showed it twice. A reply is now named by the Message-ID it was made with, before and
after its sending. Two workstations on a real PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from workstations import Joined, receive

from clinic_inbox.core.model import Direction, Source
from clinic_inbox.core.store import compose_queries as cq
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import sync

DERIVED = "<auto-safety-{}0123456789abcdef0123456789abcde@clinic.example>"


def _auto_reply(clinic, thread_id: int, n: int) -> tuple[int, int]:  # noqa: ANN001
    """The automatic portal reply as acknowledge makes it: the message and its outbox
    item, both named by the derived Message-ID."""
    store = clinic.store
    with store.transaction():
        portal = q.ensure_account(store, "Portal", "fhir", {})
        mid = q.insert_message(
            store,
            q.NewMessage(
                thread_id=thread_id,
                source=Source.PORTAL,
                direction=Direction.OUTBOUND,
                received_at=datetime.now(UTC).isoformat(timespec="seconds"),
                sender="clinic",
                subject="Important",
                body_text="If this is an emergency, call 112 now.",
                account_id=portal,
                message_id_header=DERIVED.format(n),
            ),
        )
        item = oq.enqueue(
            store,
            kind="portal",
            purpose="safety",
            idempotency_key=DERIVED.format(n),
            payload=json.dumps({"resourceType": "Communication"}).encode(),
            thread_id=thread_id,
            message_id=mid,
            account_id=portal,
        )
    return mid, item


def _sent(clinic, mid: int, item: int, communication: str) -> bool:  # noqa: ANN001
    """What the portal sender records once the conditional create answered."""
    with clinic.store.transaction():
        oq.mark_sent(clinic.store, item)
        return cq.record_portal_copy(clinic.store, mid, communication)


def _copies(clinic, thread_id: int) -> int:  # noqa: ANN001
    return clinic.store.one(
        "SELECT count(*) FROM messages WHERE thread_id = ? AND direction = 'out'", (thread_id,)
    )


def _on_server(dsn: str, conv: str) -> int:
    import psycopg

    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT count(*) FROM message WHERE conv = %s", (conv,)).fetchone()[0]


def test_a_workstations_own_portal_reply_is_shown_once(tmp_path, empty_db, keyring_factory):
    joined = Joined(tmp_path, empty_db, keyring_factory, 2)
    a, b = joined.clinics
    la, lb = joined.links
    try:
        t1, t2 = receive(a, 2)
        c1, c2 = (sync.publish_conversation(a, la, t, None) for t in (t1, t2))
        sync.pull(b, lb)
        b1, b2 = shq.thread_by_uuid(b.store, c1), shq.thread_by_uuid(b.store, c2)

        # 1. both make the reply; B sends first and publishes its renamed copy; A pulls
        # it before publishing its own
        mine_a, item_a = _auto_reply(a, t1, 1)
        mine_b, item_b = _auto_reply(b, b1, 1)
        assert _sent(b, mine_b, item_b, "comm-41")
        sync.publish_conversation(b, lb, b1, None)
        sync.pull(a, la)
        assert _copies(a, t1) == 1  # its own copy is B's: not a second one
        sync.publish_conversation(a, la, t1, None)
        _sent(a, mine_a, item_a, "comm-41")  # the conditional create: B's Communication
        sync.pull(a, la)
        sync.pull(b, lb)
        assert _copies(a, t1) == _copies(b, b1) == 1
        assert _on_server(empty_db, c1) == 2  # the patient's message and the one reply

        # 2. A publishes its reply before sending it and is killed before it keeps the
        # server's name for it; started again, it sends, then publishes again
        mine, item = _auto_reply(a, t2, 2)
        sync.publish_conversation(a, la, t2, None)
        with a.store.transaction():  # what the kill left: the server's commit, not A's
            a.store.execute("UPDATE messages SET shared_identity = NULL WHERE id = ?", (mine,))
        assert _sent(a, mine, item, "comm-42")
        sync.publish_conversation(a, la, t2, None)
        for ws, link in ((a, la), (b, lb)):
            sync.pull(ws, link)
        assert _on_server(empty_db, c2) == 2  # one identity for the reply
        assert _copies(a, t2) == _copies(b, b2) == 1
    finally:
        joined.close()
