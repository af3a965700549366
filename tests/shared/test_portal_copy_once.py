"""One portal Communication, one message, even when it reaches a replica twice.

Found by the mail fault harness: two workstations queued the same automatic portal
reply; the portal's conditional create gave both the one Communication. One published
its copy before sending (named by the derived Message-ID), the other after (named by
the Communication), so the server held it under two identities. On the workstation
that pulled the second, the store's UNIQUE rule on (account, Communication) failed the
pull, every time: its live sync stopped receiving anything. On the one that pulled the
other's first, recording its own send failed the same way and left the reply
"sending" for ever. Both now keep the one message. Real SQLCipher stores.
"""

from __future__ import annotations

from datetime import UTC, datetime

from workstations import new_workstation, receive

from clinic_inbox.core.model import Direction, Source
from clinic_inbox.core.store import compose_queries as cq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared.replica import place_message


def _portal_reply(store, thread_id: int, account: int) -> int:  # noqa: ANN001
    with store.transaction():
        return q.insert_message(
            store,
            q.NewMessage(
                thread_id=thread_id,
                source=Source.PORTAL,
                direction=Direction.OUTBOUND,
                received_at=datetime.now(UTC).isoformat(timespec="seconds"),
                sender="clinic",
                subject="Important",
                body_text="Call 112 now.",
                account_id=account,
                message_id_header="<auto-safety-0123456789abcdef@clinic.example>",
            ),
        )


def test_a_communication_pulled_under_its_other_identity_is_kept_once(tmp_path, secret_service):
    ws = new_workstation(tmp_path / "ws", secret_service.backend())
    try:
        store = ws.store
        (t,) = receive(ws, 1)
        account = store.one("SELECT account_id FROM messages WHERE thread_id = ?", (t,))
        mine = _portal_reply(store, t, account)
        with store.transaction():  # sent here, published under the Communication's name
            cq.record_portal_copy(store, mine, "comm-42")
            shq.set_message_identity(store, mine, "identity-after-sending")
        # the other workstation's copy of the same Communication, as the server has it
        theirs = {
            k: v
            for k, v in next(m for m in shq.thread_messages(store, t) if m["id"] == mine).items()
            if k not in ("id", "shared_identity")
        }
        with store.transaction():
            place_message(store, t, "identity-before-sending", theirs)
        assert store.one("SELECT count(*) FROM messages WHERE fhir_resource_id = 'comm-42'") == 1

        # the other way round: the other's copy is here first, then ours is sent and the
        # portal answers with the same Communication
        second = _portal_reply(store, t, account)
        with store.transaction():
            assert not cq.record_portal_copy(store, second, "comm-42")
        assert store.one("SELECT count(*) FROM messages WHERE fhir_resource_id = 'comm-42'") == 1
    finally:
        ws.close()
