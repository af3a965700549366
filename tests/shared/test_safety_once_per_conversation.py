"""One safety reply a day per conversation, whichever workstation fetches.

Found by the mail fault harness: a patient wrote urgently twice in one conversation,
the two messages were fetched by two workstations (the lease changed hands between
them), and each sent its own safety reply: the "already answered today" check read
only the fetching workstation's own outbox. The other workstation's safety reply
reaches every replica as a message of the conversation, with the clinic's derived
Message-ID; the check now sees it there. Two workstations on a real PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

from workstations import login, new_workstation

from clinic_inbox.core import acknowledge
from clinic_inbox.core.config import load_config
from clinic_inbox.core.ingest import Incoming, ingest
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Priority, Source
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.core.triage import load_rules
from clinic_inbox.shared import server as srv
from clinic_inbox.shared import sync

CLINIC = "inbox@clinic.example"


def _fetch(  # noqa: ANN202
    clinic,  # noqa: ANN001
    n: int,
    reply_to: str | None = None,
    sender: str = "zoe.quennell@example.org",
):
    """Mail n, urgent, stored as the mail sync does: (thread, automatic reply queued)."""
    cfg = load_config(clinic.home)
    with clinic.store.transaction():
        acct = q.ensure_account(clinic.store, "Inbox", "imap", {})
    msg = Incoming(
        source=Source.EMAIL,
        account_id=acct,
        received_at=datetime.now(UTC),
        sender_address=sender,
        sender_name="Zoë Quennell",
        subject="Re: my chest" if reply_to else "my chest",
        body_text="I have crushing chest pain and I cannot breathe",
        message_id=f"<urgent-{n}@example.org>",
        in_reply_to=reply_to,
        references=[reply_to] if reply_to else [],
        imap_mailbox="INBOX",
        imap_uidvalidity=1,
        imap_uid=n,
    )
    with clinic.store.transaction():
        got = ingest(clinic.store, cfg, load_rules(clinic.home), msg)
        assert got.priority is Priority.URGENT
        queued = acknowledge.maybe_acknowledge(clinic.store, cfg, msg, got, from_address=CLINIC)
    return got.thread_id, queued


def test_a_second_urgent_message_fetched_elsewhere_gets_no_second_safety_reply(
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
        t, first = _fetch(a, 1)  # A holds the lease: it fetches and answers
        assert first is not None
        conv = sync.publish_conversation(a, la, t, None)
        sync.pull(b, lb)
        tb = shq.thread_by_uuid(b.store, conv)
        # the lease moved to B; the patient writes urgently again, in the same conversation
        t2, second = _fetch(b, 2, reply_to="<urgent-1@example.org>")
        assert t2 == tb
        assert second is None  # A's safety reply today covers the conversation
        # a conversation B never saw answered still gets its own
        t3, third = _fetch(b, 3, sender="otto.brannigan@example.org")
        assert t3 != tb
        assert third is not None
    finally:
        la.conn.close()
        lb.conn.close()
        a.close()
        b.close()
