"""The last ingest-lease holder is remembered across an app restart.

Through a server outage the workstation that held the ingest lease keeps fetching the
clinic's mail (provisionally). That it was the holder used to live only in memory: a
restart of the app during the outage forgot it, and nobody fetched until the
long-outage delay had passed. Now it is kept in the local store. Real PostgreSQL
(crashed with `-m immediate`), real Dovecot and SMTP, two workstations.
"""

from __future__ import annotations

import time

import pytest
from test_auto_reply_once import (  # noqa: F401 - fixtures
    MAILBOX,
    PASSWORD,
    _add_mailbox,
    _mail,
    dovecot,
    smtp_server,
)
from workstations import login, new_workstation, reopen

from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.core.triage import load_rules, triage
from clinic_inbox.shared import server as srv
from clinic_inbox.shared.live import LiveSync
from clinic_inbox.sources import sync as mail_sync


@pytest.fixture()
def own_postgres():
    from support.postgres import PostgresServer

    server = PostgresServer().start()
    yield server
    server.close()


def _until(check, what: str, seconds: float = 20) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_the_holder_restarted_during_an_outage_fetches_on(
    tmp_path,
    own_postgres,
    keyring_factory,
    dovecot,  # noqa: F811
    smtp_server,  # noqa: F811
):
    dovecot.add_user(MAILBOX, PASSWORD)
    dsn = own_postgres.create_database("restart")
    rings = [keyring_factory(), keyring_factory()]
    homes = [tmp_path / "ws-a", tmp_path / "ws-b"]
    a, b = (new_workstation(h, r.backend()) for h, r in zip(homes, rings, strict=True))
    ca, cb = (KeyCustody(h, backend=r.backend()) for h, r in zip(homes, rings, strict=True))
    init = srv.init_server(a, login(a, "admin"), dsn, ca)
    srv.connect_workstation(b, login(b, "admin"), dsn, init.clinic_code, cb)
    for ws in (a, b):
        _add_mailbox(ws, dovecot, smtp_server)
    # the triage rules and models loaded now, as the app does at start: the restarted
    # holder's first sync must not spend its 3-second lease reading them (on a busy machine
    # that took longer than the lease, and the safety reply then waited as it should)
    triage("", "warm-up", load_rules())
    live_a = LiveSync(a, custody=ca, app="ws-a", ingest=True, lease_seconds=3).start()
    live_b = LiveSync(b, custody=cb, app="ws-b", ingest=True, offline_grace=600)
    try:
        _until(lambda: live_a.holds_lease, "A did not take the lease")
        live_b.start()
        assert live_b.connected.wait(30)
        assert shq.was_last_holder(a.store) and not shq.was_last_holder(b.store)
        own_postgres.stop("immediate")  # the server crashes...
        _until(lambda: not (live_a.connected.is_set() or live_b.connected.is_set()), "no outage")
    finally:
        live_a.stop()  # ...and both apps are closed (the lease cannot be handed over)
        live_b.stop()
        a.close()
        b.close()

    # both started again while the server is still away
    a, b = reopen(homes[0], rings[0].backend()), reopen(homes[1], rings[1].backend())
    live_a = LiveSync(a, custody=ca, app="ws-a", ingest=True, lease_seconds=3, offline_grace=600)
    live_b = LiveSync(b, custody=cb, app="ws-b", ingest=True, offline_grace=600)
    try:
        assert not live_a.may_fetch()  # before the server was even asked: not yet
        live_a.start()
        live_b.start()
        _until(live_a.may_fetch, "the restarted holder did not fetch on", 15)
        time.sleep(1.0)  # B tried the server too by now
        assert not live_b.may_fetch()  # B never held it: it waits the long-outage delay
        dovecot.append_many(
            MAILBOX,
            [
                _mail(1, "Could I renew my ramipril prescription please?"),
                _mail(2, "I have crushing chest pain and I cannot breathe"),
            ],
        )
        on_a = mail_sync.run_once(a, fetch=live_a.may_fetch())
        on_b = mail_sync.run_once(b, fetch=live_b.may_fetch())
        assert (on_a.stored, on_b.stored) == (2, 0)  # provisionally, on A only
        sent = smtp_server.messages()
        assert [m["To"] for m in sent] == ["patient2@patients.example"]  # the safety reply
        assert on_a.outbox.waiting == 1  # the receipt waits for the server

        own_postgres.start()  # the server is back: A's mail joins the clinic's, once
        _until(lambda: live_a.connected.is_set() and live_b.connected.is_set(), "no reconnect")
        deadline = time.monotonic() + 40
        while not all(len(shq.shared_threads(ws.store)) == 2 for ws in (a, b)):
            assert time.monotonic() < deadline, "the outage's mail did not join the clinic's"
            for ws, live in ((a, live_a), (b, live_b)):
                mail_sync.run_once(ws, fetch=live.may_fetch())
                live.nudge()
            time.sleep(0.5)
        for ws, live in ((a, live_a), (b, live_b)):
            mail_sync.run_once(ws, fetch=live.may_fetch())
            assert ws.store.one("SELECT count(*) FROM messages WHERE direction = 'in'") == 2
        sent = smtp_server.messages()
        assert sorted(m["To"] for m in sent) == [
            "patient1@patients.example",  # the receipt, once, after the outage
            "patient2@patients.example",
        ]
    finally:
        live_a.stop()
        live_b.stop()

    # a clean stop with the server there hands the lease over: no longer the last holder
    holder = [ws for ws in (a, b) if shq.was_last_holder(ws.store)]
    assert holder == [], "a clean stop released the lease and forgot it"
    a.close()
    b.close()
