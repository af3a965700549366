"""Mail fetched while the clinic's server was away, and what people did with it.

Two workstations of one clinic on a real PostgreSQL, each with its own SQLCipher store
and keyring. While B cannot reach the server it fetches the same mail as A (the same
Message-IDs) and people work on it there: an assignment, a note, a status. When B is
back, A's copy of that mail is already the clinic's: B's conversations join it by
message identity (no conversation or message twice), and what was done on B follows
through the ordinary rules: an assignment nobody else changed applies everywhere, the
note is added everywhere, a status someone changed on the server meanwhile, and a
patient link to another patient than the server's, become conflict cards for their
author. The workstation that held the ingest lease when the
server went away fetches on at once; another waits for the long-outage delay. Through
a crash of the server with real mail (Dovecot, aiosmtpd): the holder fetches, the
safety reply goes at once, the receipt waits and goes once when the server is back.
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
from workstations import login, new_workstation, receive

from clinic_inbox.core import services
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Status
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import conflicts, sync
from clinic_inbox.shared import server as srv


def _patient(ws, family, given, born, chart):  # noqa: ANN001, ANN202
    doc = q.staff_login_row(ws.store, "dr.patel")[0].id
    with ws.store.transaction():
        return q.add_patient(ws.store, family, given, born, chart, None, doc)


def _pair(tmp_path, dsn, keyring_factory):  # noqa: ANN001, ANN202
    rings = [keyring_factory(), keyring_factory()]
    homes = [tmp_path / "ws-a", tmp_path / "ws-b"]
    a, b = (new_workstation(h, r.backend()) for h, r in zip(homes, rings, strict=True))
    ca, cb = (KeyCustody(h, backend=r.backend()) for h, r in zip(homes, rings, strict=True))
    init = srv.init_server(a, login(a, "admin"), dsn, ca)
    srv.connect_workstation(b, login(b, "admin"), dsn, init.clinic_code, cb)
    return a, b, ca, cb


def test_mail_fetched_during_an_outage_joins_the_clinics_with_what_was_done_on_it(
    tmp_path, empty_db, keyring_factory
):
    a, b, ca, cb = _pair(tmp_path, empty_db, keyring_factory)
    la, lb = srv.open_link(a, ca), srv.open_link(b, cb)
    try:
        # the same two e-mails fetched on both: A (the holder) and B (cut off)
        on_a = receive(a, 2)
        on_b = receive(b, 2)
        convs = [sync.publish_conversation(a, la, t, None) for t in on_a]  # A's first
        # on B, offline: Dr Patel assigns the first to the nurse and notes something;
        # she puts the second on "Waiting on patient"
        patel_b = login(b, "dr.patel")
        nurse_b = q.staff_login_row(b.store, "nurse.chen")[0].id
        services.assign(b, patel_b, on_b[0], nurse_b)
        services.add_note(b, patel_b, on_b[0], "Asked the pharmacy to hold the refill")
        services.set_status(b, patel_b, on_b[1], Status.WAITING)
        # and files the second under Zoë, while A files it under Otto: two patients
        zoe = _patient(b, "Quennell", "Zoë", "1990-01-01", "QZ-1")
        services.link_patient(b, patel_b, on_b[1], zoe)
        assert shq.pending_count(b.store) == 0  # provisional: nothing queued for a server
        # meanwhile on A, Dr Patel closes the second one on the server and files it
        patel_a = login(a, "dr.patel")
        services.set_status(a, patel_a, on_a[1], Status.DONE)
        services.link_patient(a, patel_a, on_a[1], _patient(a, "Brannigan", "Otto", None, "OB-7"))
        sync.push(a, la)

        # B is back: A's conversations are adopted by message identity
        sync.pull(b, lb)
        assert [shq.thread_by_uuid(b.store, cv) for cv in convs] == on_b
        assert b.store.one("SELECT count(*) FROM threads") == 2
        assert b.store.one("SELECT count(*) FROM messages") == 2
        # the server's values first, then B's people's changes through the rules
        assert q.get_thread(b.store, on_b[1]).patient_id == zoe  # kept until it is settled
        pushed = sync.push(b, lb)
        # assignee and note apply; the status and the patient link lost to A's
        assert (pushed.applied, pushed.conflicts) == (2, 2)
        sync.pull(a, la)
        first_a = q.get_thread(a.store, on_a[0])
        assert first_a.assigned_to == "Nurse Mei Chen"  # nobody else had changed it
        notes = [r[2] for r in q.thread_notes(a.store, on_a[0])]
        assert notes == ["Asked the pharmacy to hold the refill"]
        assert q.get_thread(a.store, on_a[1]).status is Status.DONE  # first to the server
        assert q.get_thread(b.store, on_b[1]).status is Status.DONE
        cards = {c.what: c for c in conflicts.shown(b, login(b, "dr.patel")).value}
        assert (cards["Status"].yours, cards["Status"].theirs) == ("Waiting on patient", "Done")
        assert cards["Status"].thread_id == on_b[1]
        # never a silent change of patient: B's link is a card, the conversation filed as
        # the server has it
        assert cards["Patient"].yours.startswith("Quennell, Zoë")
        assert cards["Patient"].theirs.startswith("Brannigan, Otto")
        otto_b = q.get_patient(b.store, q.get_thread(b.store, on_b[1]).patient_id)
        assert otto_b.family_name == "Brannigan"
        # nothing is carried twice
        assert sync.push(b, lb).applied == 0
        sync.pull(a, la)
        assert len(q.thread_notes(a.store, on_a[0])) == 1
    finally:
        la.conn.close()
        lb.conn.close()
        a.close()
        b.close()


@pytest.fixture()
def own_postgres():
    from support.postgres import PostgresServer

    server = PostgresServer().start()
    yield server
    server.close()


def test_the_last_holder_fetches_on_at_once_when_the_server_goes_away(
    tmp_path, own_postgres, keyring_factory
):
    from clinic_inbox.shared.live import LiveSync

    dsn = own_postgres.create_database("outage")
    a, b, ca, cb = _pair(tmp_path, dsn, keyring_factory)
    live_a = LiveSync(a, custody=ca, app="ws-a", ingest=True, lease_seconds=3).start()
    live_b = None
    try:
        deadline = time.monotonic() + 15
        while not live_a.holds_lease:
            assert time.monotonic() < deadline, "A did not take the lease"
            time.sleep(0.1)
        live_b = LiveSync(b, custody=cb, app="ws-b", ingest=True, offline_grace=600).start()
        assert live_b.connected.wait(30)
        time.sleep(0.5)
        assert live_a.may_fetch() and not live_b.may_fetch()
        own_postgres.stop("immediate")  # the server crashes
        deadline = time.monotonic() + 20
        while live_a.connected.is_set() or live_b.connected.is_set():
            assert time.monotonic() < deadline, "the outage was not noticed"
            time.sleep(0.1)
        assert not live_a.holds_lease
        assert live_a.may_fetch()  # the last holder fetches on, provisionally
        assert not live_b.may_fetch()  # the other only after the long-outage delay
    finally:
        live_a.stop()
        if live_b is not None:
            live_b.stop()
        a.close()
        b.close()


def _until(check, what: str, seconds: float = 20) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_through_a_server_crash_the_holder_fetches_safety_goes_receipts_wait_then_once(
    tmp_path,
    own_postgres,
    keyring_factory,
    dovecot,  # noqa: F811
    smtp_server,  # noqa: F811
):
    from clinic_inbox.shared.live import LiveSync
    from clinic_inbox.sources import sync as mail_sync

    dovecot.add_user(MAILBOX, PASSWORD)
    dsn = own_postgres.create_database("outage_mail")
    a, b, ca, cb = _pair(tmp_path, dsn, keyring_factory)
    for ws in (a, b):
        _add_mailbox(ws, dovecot, smtp_server)
    live_a = LiveSync(a, custody=ca, app="ws-a", ingest=True, lease_seconds=3).start()
    live_b = None
    try:
        _until(lambda: live_a.holds_lease, "A did not take the lease")
        live_b = LiveSync(b, custody=cb, app="ws-b", ingest=True, offline_grace=600).start()
        assert live_b.connected.wait(30)
        own_postgres.stop(mode="immediate")  # the server crashes
        _until(lambda: not (live_a.connected.is_set() or live_b.connected.is_set()), "no outage")
        dovecot.append_many(
            MAILBOX,
            [
                _mail(1, "Could I renew my ramipril prescription please?"),
                _mail(2, "I have crushing chest pain and I cannot breathe"),
            ],
        )
        # the last holder fetches on (provisionally); the other does not
        on_a = mail_sync.run_once(a, fetch=live_a.may_fetch())
        on_b = mail_sync.run_once(b, fetch=live_b.may_fetch())
        assert (on_a.stored, on_b.stored) == (2, 0)
        sent = smtp_server.messages()
        assert [m["To"] for m in sent] == ["patient2@patients.example"]  # the safety reply
        assert sent[0]["Subject"].startswith("Important")
        assert on_a.outbox.waiting == 1  # the receipt waits for the server's claim

        own_postgres.start()  # the server is back
        _until(lambda: live_a.connected.is_set() and live_b.connected.is_set(), "no reconnect")
        # both mail syncs go on as in the app (the lease may go either way on reconnect)
        reports = []
        deadline = time.monotonic() + 40
        while not all(len(shq.shared_threads(ws.store)) == 2 for ws in (a, b)):
            assert time.monotonic() < deadline, "the outage's mail did not join the clinic's"
            for ws, live in ((a, live_a), (b, live_b)):
                reports.append(mail_sync.run_once(ws, fetch=live.may_fetch()))
                live.nudge()
            time.sleep(0.5)
        for ws, live in ((a, live_a), (b, live_b)):  # one more send each
            reports.append(mail_sync.run_once(ws, fetch=live.may_fetch()))
        for ws in (a, b):  # each message once on each workstation
            assert ws.store.one("SELECT count(*) FROM messages WHERE direction = 'in'") == 2
            assert ws.store.one("SELECT count(*) FROM threads") == 2
        sent = smtp_server.messages()
        receipts = [m for m in sent if m["Subject"].startswith("Your message to")]
        safety = [m for m in sent if m["Subject"].startswith("Important")]
        assert [m["To"] for m in receipts] == ["patient1@patients.example"]  # once
        # the safety reply went during the outage, and was claimed on the server when it
        # came back: the workstation that fetched the same mail afterwards sent none
        assert [m["To"] for m in safety] == ["patient2@patients.example"]
    finally:
        live_a.stop()
        if live_b is not None:
            live_b.stop()
        a.close()
        b.close()


def test_an_unexpected_fault_in_the_live_sync_is_said_and_retried(
    tmp_path, empty_db, keyring_factory, monkeypatch
):
    """A fault the live sync did not foresee (here injected once into its push) used to
    end its thread silently: the workstation stopped sharing with nobody told."""
    from clinic_inbox.shared import live as live_mod
    from clinic_inbox.shared.live import LiveSync

    a, b, ca, cb = _pair(tmp_path, empty_db, keyring_factory)
    real, calls = live_mod.push, []

    def fails_once(clinic, link):  # noqa: ANN001, ANN202
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("injected")
        return real(clinic, link)

    monkeypatch.setattr(live_mod, "push", fails_once)
    errors: list[str] = []
    live_b = LiveSync(b, custody=cb, app="ws-b", on_error=errors.append).start()
    la = srv.open_link(a, ca)
    try:
        (t,) = receive(a, 1)
        sync.publish_conversation(a, la, t, None)
        _until(lambda: len(shq.shared_threads(b.store)) == 1, "B's live sync did not go on", 30)
        assert len(calls) >= 2
        assert any("unexpected problem" in e and "RuntimeError" in e for e in errors), errors
    finally:
        live_b.stop()
        la.conn.close()
        a.close()
        b.close()
