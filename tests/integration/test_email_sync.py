"""Email end to end against a real Dovecot and a real SMTP server on 127.0.0.1.

Uses the `dovecot`, `smtp_server` and `secret_service` fixtures: nothing is mocked.
"""

from __future__ import annotations

import email
import email.policy
import os
import random
import signal
import subprocess
import sys
import sysconfig
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.mailgen import corpus, make_message

from clinic_inbox.core import audit, services
from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Role
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import sync_queries as sq
from clinic_inbox.sources import sync

MAILBOX_USER = "inbox@clinic.example"
MAILBOX_PASSWORD = "mailbox-password"
REPO = Path(__file__).resolve().parents[2]


def _no_passphrase(prompt: str, confirm: bool) -> str:
    raise AssertionError("the keyring holds the key; no passphrase should be asked")


def _new_mail_clinic(home, dovecot, smtp_server, secret_service, **account_options):
    """A clinic in `home` with an administrator and one loopback mail account."""
    dovecot.add_user(MAILBOX_USER, MAILBOX_PASSWORD)
    clinic, _ = create_clinic(
        home, _no_passphrase, KeyCustody(home, backend=secret_service.backend())
    )
    services.create_first_admin(clinic, "admin", "Alex Admin", "quartz lantern meadow violin")
    admin = services.login(clinic, "admin", "quartz lantern meadow violin")
    account = ImapAccount(
        name="Clinic email",
        host=dovecot.host,
        port=dovecot.port,
        username=MAILBOX_USER,
        security="none",
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        smtp_security="none",
        from_address=MAILBOX_USER,
        **account_options,
    )
    services.add_imap_account(clinic, admin, account, MAILBOX_PASSWORD)
    return clinic, admin


@pytest.fixture()
def mail_clinic(tmp_path, dovecot, smtp_server, secret_service):
    home = tmp_path / "clinic"
    clinic, admin = _new_mail_clinic(home, dovecot, smtp_server, secret_service)
    services.add_staff(
        clinic, admin, "dr.patel", "Dr Anjali Patel", Role.PHYSICIAN, "kettle orbit maple frost"
    )
    clinic.test_env = {  # type: ignore[attr-defined]
        **secret_service.env,
        "CLINIC_INBOX_HOME": str(home),
        "CLINIC_INBOX_PASSWORD": "quartz lantern meadow violin",
    }
    yield clinic
    clinic.close()


def _emails(clinic) -> list[tuple]:
    return clinic.store.execute(
        "SELECT imap_uidvalidity, imap_uid, message_id_header, content_hash FROM messages "
        "WHERE direction = 'in' AND source = 'email'"
    ).fetchall()


def _assert_exactly_once(clinic, expected: int) -> None:
    rows = _emails(clinic)
    assert len(rows) == expected
    assert len({(r[0], r[1]) for r in rows}) == expected, "an IMAP identity was stored twice"
    assert len({r[2] for r in rows}) == expected, "a message was stored twice"


def test_500_then_nothing_then_50_incrementally(mail_clinic, dovecot):
    dovecot.append_many(MAILBOX_USER, corpus(500))
    seen: list[tuple[int, int]] = []
    report = sync.run_once(mail_clinic, send=False, progress=lambda a, d, t: seen.append((d, t)))
    assert report.stored == 500 and not any(a.error for a in report.accounts)
    assert seen[-1] == (500, 500)
    _assert_exactly_once(mail_clinic, 500)
    assert sync.run_once(mail_clinic, send=False).stored == 0
    dovecot.append_many(MAILBOX_USER, corpus(50, start=500))
    assert sync.run_once(mail_clinic, send=False).stored == 50
    _assert_exactly_once(mail_clinic, 550)
    # the server is left as it was: nothing deleted, moved or marked read
    assert dovecot.message_count(MAILBOX_USER, "INBOX") == 550
    found = q.list_messages(mail_clinic.store, q.MessageFilter(search="atorvastatin"))
    assert found and all(m.source.value == "email" for m in found)
    assert audit.verify(mail_clinic.store, mail_clinic.audit_key).ok


def test_same_message_id_twice_keeps_both(mail_clinic, dovecot):
    a = make_message(1)
    b = a.replace(b"Reference 1-1.", b"Reference 1-1, corrected.")
    dovecot.append_many(MAILBOX_USER, [a, b, a])  # the exact copy too: three deliveries
    assert sync.run_once(mail_clinic, send=False).stored == 3


def _run_cli_sync(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "clinic_inbox", "--user", "admin", "sync", "--once", "--no-send"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )


def test_killed_sync_stores_each_message_exactly_once(mail_clinic, dovecot):
    dovecot.append_many(MAILBOX_USER, corpus(600, seed=7))
    rnd = random.Random(42)
    kills = 0
    for _ in range(6):
        proc = _run_cli_sync(mail_clinic.test_env)
        time.sleep(rnd.uniform(0.8, 3.0))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    proc = _run_cli_sync(mail_clinic.test_env)
    assert proc.wait(timeout=300) == 0, proc.stderr.read().decode()
    _assert_exactly_once(mail_clinic, 600)
    assert mail_clinic.store.integrity_check() == []
    assert audit.verify(mail_clinic.store, mail_clinic.audit_key).ok
    print(f"\nsync killed {kills} times; 600 messages stored exactly once")


def test_dovecot_stopped_mid_sync_then_restarted(mail_clinic, dovecot):
    dovecot.append_many(MAILBOX_USER, corpus(400, seed=3))
    stopper = threading.Timer(0.5, dovecot.stop)
    stopper.start()
    first = sync.run_once(mail_clinic, send=False)
    stopper.join()
    assert first.accounts[0].offline or first.stored == 400
    if first.accounts[0].offline:
        assert "mail server" in first.accounts[0].error
    dovecot.start()
    sync.run_once(mail_clinic, send=False)
    _assert_exactly_once(mail_clinic, 400)


def test_uidvalidity_change_rematches_without_duplicates(mail_clinic, dovecot):
    dovecot.append_many(MAILBOX_USER, corpus(30, seed=5))
    sync.run_once(mail_clinic, send=False)
    old = dovecot.uidvalidity(MAILBOX_USER, "INBOX")
    dovecot.reset_uidvalidity(MAILBOX_USER, "INBOX")
    assert dovecot.uidvalidity(MAILBOX_USER, "INBOX") != old
    dovecot.append_many(MAILBOX_USER, corpus(5, seed=5, start=30))
    report = sync.run_once(mail_clinic, send=False)
    assert report.accounts[0].uidvalidity_changed
    assert report.accounts[0].rematched == 30 and report.stored == 5
    _assert_exactly_once(mail_clinic, 35)
    assert {r[0] for r in _emails(mail_clinic)} == {dovecot.uidvalidity(MAILBOX_USER, "INBOX")}
    assert sq.sync_events(mail_clinic.store, kind="uidvalidity_changed")


def _cpython_email_corpus() -> list[bytes]:
    folder = Path(sysconfig.get_paths()["stdlib"]) / "test" / "test_email" / "data"
    if not folder.is_dir():
        if os.environ.get("CLINIC_INBOX_ALLOW_SKIP") == "1":
            pytest.skip("CPython's email test data is not installed")
        pytest.fail(
            f"CPython's email test messages are missing ({folder}); use a Python that ships its test suite"
        )
    return [p.read_bytes() for p in sorted(folder.glob("msg_*.txt"))]


def test_cpython_and_hostile_messages_are_stored_or_set_aside(mail_clinic, dovecot):
    from support.hostile_mail import hostile_messages  # noqa: PLC0415 - written beside the parser tests

    corpus_ = _cpython_email_corpus() + [raw for _, raw in hostile_messages(include_huge=False)]
    dovecot.append_many(MAILBOX_USER, corpus_)
    started = time.monotonic()
    report = sync.run_once(mail_clinic, send=False)
    assert time.monotonic() - started < 240
    assert not report.accounts[0].error
    rows = mail_clinic.store.execute(
        "SELECT needs_review, review_reason, body_html FROM messages WHERE direction = 'in'"
    ).fetchall()
    assert len(rows) == len(corpus_)
    for needs_review, reason, html in rows:
        assert not needs_review or reason
        assert "<script" not in (html or "").lower()


def test_acknowledgements_once_per_new_thread_and_not_to_auto_replies(
    mail_clinic, dovecot, smtp_server
):
    auto = make_message(900).replace(b"Subject:", b"Auto-Submitted: auto-replied\r\nSubject:", 1)
    bulk = make_message(901).replace(b"Subject:", b"Precedence: bulk\r\nSubject:", 1)
    daemon = make_message(902).replace(
        b"From: ", b"From: MAILER-DAEMON <mailer-daemon@x.example>\r\nX-Old-From: ", 1
    )
    dovecot.append_many(MAILBOX_USER, [make_message(1), make_message(2), auto, bulk, daemon])
    sync.run_once(mail_clinic)
    sent = smtp_server.messages()
    assert len(sent) == 2
    assert all(m["Auto-Submitted"] == "auto-replied" for m in sent)
    assert all("911" in m.get_content() or "emergency" in m.get_content().lower() for m in sent)
    # a follow-up in the same thread gets no second acknowledgement
    follow = make_message(1).replace(b"<m1-1@patients.example>", b"<m1-1b@patients.example>")
    follow = follow.replace(
        b"Subject: ", b"In-Reply-To: <m1-1@patients.example>\r\nSubject: Re: ", 1
    )
    dovecot.append_many(MAILBOX_USER, [follow])
    sync.run_once(mail_clinic)
    assert len(smtp_server.messages()) == 2
    # and the copies are in the Sent folder
    assert dovecot.message_count(MAILBOX_USER, "Sent") == 2
    # mail that arrived days ago (a first sync of an old mailbox) is stored, not answered
    old = datetime.now(UTC) - timedelta(days=3)
    dovecot.append_many(MAILBOX_USER, [make_message(3), make_message(4)], arrived=old)
    report = sync.run_once(mail_clinic)
    assert report.stored == 2
    assert len(smtp_server.messages()) == 2


def test_replies_wait_while_smtp_is_down_and_go_once(mail_clinic, dovecot, smtp_server):
    dovecot.append_many(MAILBOX_USER, [make_message(5)])
    sync.run_once(mail_clinic, send=False)
    doc = services.login(mail_clinic, "dr.patel", "kettle orbit maple frost")
    thread_id = q.list_threads(mail_clinic.store)[0].id
    with mail_clinic.store.transaction():  # dr.patel is this patient's physician
        pid = q.list_threads(mail_clinic.store)[0].patient_id
        if pid:
            mail_clinic.store.execute(
                "UPDATE patients SET responsible_physician_id = 2 WHERE id = ?", (pid,)
            )
    smtp_server.stop()
    item = services.queue_reply(
        mail_clinic, doc, thread_id, "Your prescription is ready at the pharmacy."
    )
    report = sync.run_once(mail_clinic)
    assert report.outbox.sent == 0
    assert oq.get(mail_clinic.store, item).state == "pending"
    smtp_server.start()
    with mail_clinic.store.transaction():
        oq.retry_now(mail_clinic.store)
    sync.run_once(mail_clinic)
    sync.run_once(mail_clinic)
    replies = [m for m in smtp_server.messages() if "prescription is ready" in m.get_content()]
    assert len(replies) == 1
    assert replies[0]["In-Reply-To"] == "<m1-5@patients.example>"
    assert oq.get(mail_clinic.store, item).state == "sent"


def test_interrupted_send_is_reconciled_from_the_sent_folder(mail_clinic, dovecot, smtp_server):
    dovecot.append_many(MAILBOX_USER, [make_message(6)])
    sync.run_once(mail_clinic, send=False)
    items = oq.in_state(mail_clinic.store, "pending", "email")
    assert len(items) == 1  # the acknowledgement
    item = items[0]
    # as if killed after the server took it and the copy was filed, before "sent" was recorded
    from clinic_inbox.core.accounts import imap_accounts
    from clinic_inbox.sources.imap import ImapConnection

    account = imap_accounts(mail_clinic.store)[0]
    with ImapConnection(account, MAILBOX_PASSWORD) as conn:
        conn.append(account.sent_folder, item.payload)
    with mail_clinic.store.transaction():
        oq.mark_sending(mail_clinic.store, item.id)
    report = sync.run_once(mail_clinic)
    assert report.outbox.reconciled == 1 and report.outbox.sent == 0
    assert smtp_server.messages() == []
    assert oq.get(mail_clinic.store, item.id).state == "sent"


def test_mark_read_and_filed_folder_are_opt_in(tmp_path, dovecot, smtp_server, secret_service):
    from clinic_inbox.sources.filed_folder import move_filed

    clinic, _ = _new_mail_clinic(
        tmp_path / "c2", dovecot, smtp_server, secret_service, mark_read=True, filed_folder="Filed"
    )
    dovecot.append_many(MAILBOX_USER, corpus(3, seed=9))
    sync.run_once(clinic, send=False)
    thread_id = q.list_threads(clinic.store)[0].id
    moved, problems = move_filed(clinic, thread_id)
    assert moved == 1 and problems == []
    assert dovecot.message_count(MAILBOX_USER, "Filed") == 1
    assert dovecot.message_count(MAILBOX_USER, "INBOX") == 2
    assert sync.run_once(clinic, send=False).stored == 0  # nothing comes back as new
    clinic.close()


def test_plain_connections_only_to_this_computer():
    from clinic_inbox.core.accounts import AccountError

    with pytest.raises(AccountError, match="only allowed to this computer"):
        ImapAccount(
            name="x",
            host="mail.example.org",
            port=143,
            username="u",
            security="none",
            smtp_host="mail.example.org",
            smtp_security="tls",
        ).validate()


def test_tls_verifies_the_server_certificate(tmp_path, secret_service):
    from support.dovecot import DovecotServer

    from clinic_inbox.sources.errors import CertificateError
    from clinic_inbox.sources.imap import ImapConnection

    server = DovecotServer(tls=True).start()
    try:
        server.add_user(MAILBOX_USER, MAILBOX_PASSWORD)
        base = dict(
            name="TLS",
            host="127.0.0.1",
            port=server.tls_port,
            username=MAILBOX_USER,
            security="tls",
            smtp_host="127.0.0.1",
            smtp_security="tls",
        )
        with pytest.raises(CertificateError, match="could not be verified"):
            ImapConnection(ImapAccount(**base), MAILBOX_PASSWORD).connect()
        with ImapConnection(ImapAccount(**base, ca_file=server.ca_file), MAILBOX_PASSWORD) as conn:
            assert conn.select("INBOX").exists == 0
        starttls = dict(base, port=server.port, security="starttls", ca_file=server.ca_file)
        with ImapConnection(ImapAccount(**starttls), MAILBOX_PASSWORD) as conn:
            assert conn.select("INBOX").uidvalidity > 0
    finally:
        server.close()


def test_move_to_a_visit_notes_why_tells_the_patient_and_waits(mail_clinic, dovecot):
    from clinic_inbox.core.model import Status

    dovecot.append_many(MAILBOX_USER, [make_message(7)])
    sync.run_once(mail_clinic, send=False)
    doc = services.login(mail_clinic, "dr.patel", "kettle orbit maple frost")
    thread = q.list_threads(mail_clinic.store)[0]
    with mail_clinic.store.transaction():
        if thread.patient_id:
            mail_clinic.store.execute(
                "UPDATE patients SET responsible_physician_id = 2 WHERE id = ?",
                (thread.patient_id,),
            )
    before = len(oq.in_state(mail_clinic.store, "pending", "email"))
    services.move_to_call_or_visit(
        mail_clinic, doc, thread.id, "visit", "needs an examination of the knee"
    )
    after = q.get_thread(mail_clinic.store, thread.id)
    assert after.status is Status.WAITING
    notes = q.thread_notes(mail_clinic.store, thread.id)
    assert any("Moved to a visit: needs an examination" in n[2] for n in notes)
    pending = oq.in_state(mail_clinic.store, "pending", "email")
    assert len(pending) == before + 1
    sent = email.message_from_bytes(pending[-1].payload, policy=email.policy.default)
    assert "please book a visit" in sent.get_content()
    entries = [e for e in audit.entries(mail_clinic.store) if e.action == "thread.moved_offline"]
    assert entries and entries[-1].reason == "needs an examination of the knee"
