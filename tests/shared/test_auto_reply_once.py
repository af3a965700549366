"""Receipts and safety replies go out once per clinic, however many workstations fetch.

Two workstations of one clinic on a real PostgreSQL, both with the clinic's mailbox on
a real Dovecot and its SMTP server (aiosmtpd): each fetches the same new mail and
queues the same receipts and safety reply, and the real SMTP server receives each
once. The other workstation records its copies as sent from elsewhere once their copies
are in the Sent folder. A pass without the live sync claims by itself
(test_sync_once_receipts has the server out of reach).
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

import psycopg
import pytest
from workstations import login, new_workstation

from clinic_inbox.core import services
from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.shared import server as srv
from clinic_inbox.shared.live import LiveSync
from clinic_inbox.sources import sync

MAILBOX = "inbox@clinic.example"
PASSWORD = "mailbox-password"


def _serve(start, unavailable):  # noqa: ANN001, ANN202
    try:
        server = start()
    except unavailable as exc:
        if os.environ.get("CLINIC_INBOX_ALLOW_SKIP") == "1":
            pytest.skip(str(exc))
        pytest.fail(str(exc))
    return server


@pytest.fixture()
def dovecot():
    from support.dovecot import DovecotServer, DovecotUnavailable

    server = _serve(lambda: DovecotServer().start(), DovecotUnavailable)
    yield server
    server.close()


@pytest.fixture()
def smtp_server():
    from support.smtp_server import SmtpServer

    server = _serve(lambda: SmtpServer().start(), RuntimeError)
    yield server
    server.close()


def _mail(n: int, body: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Patient {n} <patient{n}@patients.example>"
    msg["To"] = MAILBOX
    msg["Subject"] = f"Question {n}"
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = f"<q{n}-{time.time_ns()}@patients.example>"
    msg.set_content(body)
    return bytes(msg)


def _add_mailbox(clinic, dovecot, smtp_server) -> None:  # noqa: ANN001
    account = ImapAccount(
        name="Clinic email",
        host=dovecot.host,
        port=dovecot.port,
        username=MAILBOX,
        security="none",
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        smtp_security="none",
        from_address=MAILBOX,
    )
    services.add_imap_account(clinic, login(clinic, "admin"), account, PASSWORD)


def test_each_receipt_and_safety_reply_reaches_the_patient_once_per_clinic(
    tmp_path, empty_db, keyring_factory, dovecot, smtp_server
):
    dovecot.add_user(MAILBOX, PASSWORD)
    rings = [keyring_factory(), keyring_factory()]
    homes = [tmp_path / "ws-a", tmp_path / "ws-b"]
    clinics = [new_workstation(h, r.backend()) for h, r in zip(homes, rings, strict=True)]
    custody = [KeyCustody(h, backend=r.backend()) for h, r in zip(homes, rings, strict=True)]
    a, b = clinics
    init = srv.init_server(a, login(a, "admin"), empty_db, custody[0])
    srv.connect_workstation(b, login(b, "admin"), empty_db, init.clinic_code, custody[1])
    for c in clinics:
        _add_mailbox(c, dovecot, smtp_server)
    dovecot.append_many(
        MAILBOX,
        [
            _mail(1, "Could I renew my ramipril prescription please?"),
            _mail(2, "Can I move my appointment on Monday to the afternoon?"),
            _mail(3, "I have crushing chest pain and I cannot breathe"),
        ],
    )
    lives = [
        LiveSync(c, custody=k, app=f"ws-{i}").start()
        for i, (c, k) in enumerate(zip(clinics, custody, strict=True))
    ]
    try:
        first = sync.run_once(a)
        second = sync.run_once(b)  # the same mail, fetched again on B
    finally:
        for live in lives:
            live.stop()
    assert (first.stored, second.stored) == (3, 3)
    assert (first.outbox.sent, first.outbox.elsewhere) == (3, 0), first.outbox
    assert (second.outbox.sent, second.outbox.elsewhere) == (0, 3), second.outbox
    sent = smtp_server.messages()
    receipts = [m for m in sent if m["Subject"].startswith("Your message to")]
    safety = [m for m in sent if m["Subject"].startswith("Important")]
    assert len(sent) == 3 and len(receipts) == 2 and len(safety) == 1, [m["Subject"] for m in sent]
    assert sorted(m["To"] for m in receipts) == [
        "patient1@patients.example",
        "patient2@patients.example",
    ]
    assert safety[0]["To"] == "patient3@patients.example"
    assert oq.counts(b.store).get("sent") == 3  # B's copies settled, none left to send
    # B's copies carry the Message-IDs that went out: had two left, mail programs show one
    on_b = {i.idempotency_key for i in oq.in_state(b.store, "sent", "email")}
    assert on_b == {m["Message-ID"] for m in sent}
    with psycopg.connect(empty_db) as conn:
        claims = conn.execute("SELECT key FROM auto_reply_claim").fetchall()
    assert len(claims) == 3
    assert not any("patients.example" in k for (k,) in claims)  # keyed, nothing readable

    # -- without the live sync (a one-off `sync --once`, the app's sync process) the pass
    # claims on the server itself: the receipt and the safety reply go, each once -----------
    dovecot.append_many(
        MAILBOX,
        [
            _mail(4, "Is the clinic open on Saturday?"),
            _mail(5, "I have crushing chest pain and I cannot breathe"),
        ],
    )
    alone = sync.run_once(a)
    assert alone.outbox.sent == 2 and alone.outbox.waiting == 0, alone.outbox
    again = sync.run_once(b)  # B fetches the same two: A's copies are in the Sent folder
    assert (again.outbox.sent, again.outbox.elsewhere) == (0, 2), again.outbox
    assert [m["To"] for m in smtp_server.messages()[3:]] == [
        "patient4@patients.example",
        "patient5@patients.example",
    ]
    for c in clinics:
        c.close()


def _until(check, what: str, seconds: float = 15) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_only_the_lease_holder_fetches_and_the_next_one_continues_without_doubles(
    tmp_path, postgres, empty_db, keyring_factory, dovecot, smtp_server
):
    dovecot.add_user(MAILBOX, PASSWORD)
    rings = [keyring_factory(), keyring_factory()]
    homes = [tmp_path / "ws-a", tmp_path / "ws-b"]
    clinics = [new_workstation(h, r.backend()) for h, r in zip(homes, rings, strict=True)]
    custody = [KeyCustody(h, backend=r.backend()) for h, r in zip(homes, rings, strict=True)]
    a, b = clinics
    init = srv.init_server(a, login(a, "admin"), empty_db, custody[0])
    srv.connect_workstation(b, login(b, "admin"), empty_db, init.clinic_code, custody[1])
    for c in clinics:
        _add_mailbox(c, dovecot, smtp_server)
    dovecot.append_many(
        MAILBOX,
        [
            _mail(1, "Could I renew my ramipril prescription please?"),
            _mail(2, "Can I move my appointment on Monday to the afternoon?"),
            _mail(3, "I have crushing chest pain and I cannot breathe"),
        ],
    )
    live_a = LiveSync(a, custody=custody[0], app="ws-a", ingest=True, lease_seconds=3).start()
    _until(lambda: live_a.holds_lease, "A did not take the lease")
    live_b = LiveSync(b, custody=custody[1], app="ws-b", ingest=True, lease_seconds=3).start()
    try:
        assert live_b.connected.wait(30)
        first = sync.run_once(a, fetch=live_a.holds_lease)
        live_a.nudge()  # A publishes what it stored
        on_b = sync.run_once(b, fetch=live_b.holds_lease)  # B does not fetch...
        assert (first.stored, on_b.stored) == (3, 0)
        count = "SELECT count(*) FROM messages WHERE direction = 'in'"
        _until(lambda: b.store.one(count) == 3, "...it receives A's mail from the server")
        # ...by the clinic's mail account, as B knows it: a reply from B goes by it
        by_account = b.store.one(
            "SELECT count(*) FROM messages m JOIN accounts a ON a.id = m.account_id "
            "WHERE m.direction = 'in' AND a.name = 'Clinic email'"
        )
        assert by_account == 3
        # a reply written on B (not the holder) reaches A: any workstation publishes its own
        from clinic_inbox.core.store import shared_queries as shq

        pulled = b.store.one(
            "SELECT thread_id FROM messages WHERE direction = 'in' AND subject = 'Question 1'"
        )
        services.queue_reply(b, login(b, "dr.patel"), pulled, "The renewal is at the pharmacy.")
        live_b.nudge()
        conv = shq.thread_uuid(b.store, pulled)
        on_a = shq.thread_by_uuid(a.store, conv)
        _until(
            lambda: (
                a.store.one(
                    "SELECT count(*) FROM messages WHERE thread_id = ? AND direction = 'out' "
                    "AND body_text LIKE '%renewal is at the pharmacy%'",
                    (on_a,),
                )
                == 1
            ),
            "B's reply did not reach A",
        )

        live_a.stop()  # A shuts down (or dies: the lease then expires in 3 s)
        _until(lambda: live_b.holds_lease, "B did not take over the lease")
        dovecot.append_many(
            MAILBOX,
            [
                _mail(4, "Is the clinic open on Saturday?"),
                _mail(5, "I have crushing chest pain and I cannot breathe"),
            ],
        )
        # B continues where A's publications stopped (the checkpoint on the server): it
        # reads only the two new messages, none of A's three again
        taken = sync.run_once(b, fetch=live_b.holds_lease)
        assert (taken.stored, taken.accounts[0].skipped) == (2, 0), taken.accounts
        assert b.store.one(count) == 5
        assert b.store.one("SELECT count(*) FROM threads") == 5
        dupes = b.store.one(
            "SELECT count(*) FROM (SELECT message_id_header FROM messages "
            "WHERE direction = 'in' GROUP BY message_id_header HAVING count(*) > 1)"
        )
        assert dupes == 0
        live_b.nudge()
        with psycopg.connect(empty_db) as conn:
            _until(
                lambda: conn.execute("SELECT count(*) FROM conversation").fetchone()[0] == 5,
                "B did not publish the new mail",
            )
    finally:
        live_a.stop()
        live_b.stop()
    sent = smtp_server.messages()
    automatic = [m for m in sent if m["Auto-Submitted"] == "auto-replied"]
    # receipts for 1, 2 and 4, safety replies for 3 and 5: each once
    assert sorted(m["To"] for m in automatic) == [
        f"patient{i}@patients.example" for i in range(1, 6)
    ]
    # and Dr Patel's reply from B, once
    assert [m["To"] for m in sent if m not in automatic] == ["patient1@patients.example"]
    for c in clinics:
        c.close()
    # the lease, the claims and the published mail: nothing readable on the server
    dump = postgres.pg_dump(psycopg.conninfo.conninfo_to_dict(empty_db)["dbname"])
    assert b"COPY public.auto_reply_claim" in dump and b"COPY public.ingest_lease" in dump
    assert init.workstation_id.encode() in dump  # the scan sees plain values where they are
    for secret in (b"patients.example", b"Patient 1", b"ramipril", b"chest pain", b"Question"):
        assert secret not in dump, secret
