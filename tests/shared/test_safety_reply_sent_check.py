"""A safety reply sent during a server outage is not sent again by another workstation.

Found by the mail fault harness: the workstation that fetches during an outage sends
safety replies without a claim (one twice beats none). After the outage, another
workstation fetched the same mail, claimed first on the server (the first one had not
reported its sends yet) and sent the same safety reply again: same Message-ID, but a
second e-mail to a frightened patient. Now an automatic reply found in the shared Sent
folder is not sent again. Real Dovecot, SMTP (aiosmtpd) and PostgreSQL.
"""

from __future__ import annotations

from test_auto_reply_once import (  # noqa: F401 - fixtures
    MAILBOX,
    PASSWORD,
    _add_mailbox,
    _mail,
    dovecot,
    smtp_server,
)
from workstations import login, new_workstation

from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.shared import server as srv
from clinic_inbox.shared.live import LiveSync
from clinic_inbox.sources import sync


def test_a_safety_reply_in_the_sent_folder_is_not_sent_again(
    tmp_path,
    empty_db,
    keyring_factory,
    dovecot,  # noqa: F811
    smtp_server,  # noqa: F811
):
    dovecot.add_user(MAILBOX, PASSWORD)
    rings = [keyring_factory(), keyring_factory()]
    homes = [tmp_path / "ws-a", tmp_path / "ws-b"]
    a, b = (new_workstation(h, r.backend()) for h, r in zip(homes, rings, strict=True))
    ca, cb = (KeyCustody(h, backend=r.backend()) for h, r in zip(homes, rings, strict=True))
    init = srv.init_server(a, login(a, "admin"), empty_db, ca)
    srv.connect_workstation(b, login(b, "admin"), empty_db, init.clinic_code, cb)
    for ws in (a, b):
        _add_mailbox(ws, dovecot, smtp_server)
    dovecot.append_many(MAILBOX, [_mail(1, "I have crushing chest pain and I cannot breathe")])
    # A cannot ask the server (its live sync is not running): the safety reply goes
    # unclaimed, and its copy is filed in the Sent folder
    alone = sync.run_once(a)
    assert (alone.stored, alone.outbox.sent) == (1, 1)
    assert len(smtp_server.messages()) == 1
    # B fetches the same mail with the server there: nobody claimed this safety reply,
    # so B's claim succeeds, but the Sent folder shows it went already
    live_b = LiveSync(b, custody=cb, app="ws-b").start()
    try:
        assert live_b.connected.wait(30)
        on_b = sync.run_once(b)
    finally:
        live_b.stop()
    assert on_b.stored == 1
    assert (on_b.outbox.sent, on_b.outbox.elsewhere) == (0, 1), on_b.outbox
    sent = smtp_server.messages()
    assert len(sent) == 1, [m["Subject"] for m in sent]  # the patient got it once
    a.close()
    b.close()
