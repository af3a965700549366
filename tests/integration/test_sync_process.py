"""The sync pass in a process of its own (sources.sync_process), against a real Dovecot
and SMTP server and a real SQLCipher store: the same answer as a pass on a thread, the
keys never on its command line or in its environment, stopped when asked, and a child
killed mid-pass loses nothing and stores nothing twice. Also: receipts and safety
replies are named in a pass's typed changes."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from support.mailgen import corpus, make_message

from clinic_inbox.core import services
from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.sources import sync
from clinic_inbox.sources.background import SyncLoop
from clinic_inbox.sources.sync_process import SyncProcess, SyncProcessError

USER, PASSWORD = "inbox@clinic.example", "mailbox-password"
OLD = datetime.now(UTC) - timedelta(days=3)  # from before today: stored, not answered


@pytest.fixture()
def mail_clinic(tmp_path, dovecot, smtp_server, secret_service):
    dovecot.add_user(USER, PASSWORD)
    home = tmp_path / "clinic"
    clinic, _ = create_clinic(
        home, lambda p, c: "unused", KeyCustody(home, backend=secret_service.backend())
    )
    services.create_first_admin(clinic, "admin", "Alex Admin", "quartz lantern meadow violin")
    admin = services.login(clinic, "admin", "quartz lantern meadow violin")
    services.add_imap_account(
        clinic,
        admin,
        ImapAccount(
            name="Clinic email",
            host=dovecot.host,
            port=dovecot.port,
            username=USER,
            security="none",
            smtp_host=smtp_server.host,
            smtp_port=smtp_server.port,
            smtp_security="none",
            from_address=USER,
        ),
        PASSWORD,
    )
    yield clinic
    clinic.close()


def _inbound(clinic) -> list[tuple]:  # noqa: ANN001
    return clinic.store.execute(
        "SELECT imap_uid, count(*) FROM messages WHERE direction = 'in' GROUP BY imap_uid"
    ).fetchall()


def _message_ids(clinic, after: int) -> set[int]:  # noqa: ANN001
    rows = clinic.store.execute("SELECT id FROM messages WHERE id > ?", (after,))
    return {r[0] for r in rows}


def test_a_pass_in_its_own_process_stores_everything_and_reports_it_typed(mail_clinic, dovecot):
    dovecot.deliver_many(USER, corpus(600, seed=3), arrived=OLD)
    passes = SyncProcess(mail_clinic)
    progress: list[int] = []
    try:
        report = passes.run(mail_clinic, progress=lambda a, d, t: progress.append(d))
        child = passes.pid
        assert child is not None and child != os.getpid()
        # the keys reached it over the pipe: nothing of them in its argv or environment
        key_hex = mail_clinic.secrets.db_key.hex()
        raw = (
            open(f"/proc/{child}/cmdline", "rb").read()
            + open(f"/proc/{child}/environ", "rb").read()
        )
        assert mail_clinic.secrets.db_key not in raw and key_hex.encode() not in raw.lower()
        assert mail_clinic.secrets.audit_key not in raw
        # below the app's priority, so the window comes first on a busy computer
        assert os.getpriority(os.PRIO_PROCESS, child) == os.getpriority(os.PRIO_PROCESS, 0) + 5
        assert report.stored == 600 and progress and progress[-1] > 0
        rows = _inbound(mail_clinic)
        assert len(rows) == 600 and all(n == 1 for _, n in rows)
        assert report.changes.messages == _message_ids(mail_clinic, 0)
        # the same child answers the next pass (started once), with nothing new to store
        again = passes.run(mail_clinic)
        assert again.stored == 0 and passes.pid == child
    finally:
        passes.close()
    assert passes.pid is None


def test_a_killed_sync_process_loses_nothing_and_stores_nothing_twice(mail_clinic, dovecot):
    n = 600  # parsed by the workers (PARALLEL_FROM); the kill lands after the first batch
    dovecot.deliver_many(USER, corpus(n, seed=4), arrived=OLD)
    passes = SyncProcess(mail_clinic)
    killed = threading.Event()

    def kill_midway(account: str, done: int, total: int) -> None:
        if killed.is_set() or done >= total or not _inbound(mail_clinic):
            return  # until a batch is committed and more are on their way
        killed.set()
        os.kill(passes.pid, signal.SIGKILL)  # type: ignore[arg-type]

    try:
        with pytest.raises(SyncProcessError):
            passes.run(mail_clinic, progress=kill_midway)
        assert killed.is_set()
        part = len(_inbound(mail_clinic))
        assert 0 < part < n, part  # the kill came mid-pass
        report = passes.run(mail_clinic)  # a fresh child takes up where the batch ended
        assert report.stored == n - part
    finally:
        passes.close()
    rows = _inbound(mail_clinic)
    assert len(rows) == n and all(count == 1 for _, count in rows)
    ok = mail_clinic.store.execute("PRAGMA cipher_integrity_check").fetchall()
    assert ok == []


def test_stopping_the_loop_stops_the_pass_in_its_process(mail_clinic, dovecot):
    # asked to stop once its second batch is fetched, the pass stores what it fetched
    # and ends: batches grow 50, 100, 200, 400, 400, so it is hundreds of messages short
    n = 1200
    dovecot.deliver_many(USER, corpus(n, seed=8), arrived=OLD)
    progress: list[int] = []
    reports = []
    loop = SyncLoop(
        mail_clinic,
        interval=3600,
        idle=False,
        on_progress=lambda a, d, t: progress.append(d),
        on_report=lambda r, s: reports.append(r),
    )
    loop.start()
    deadline = time.monotonic() + 120
    while not (progress and progress[-1] > 0) and time.monotonic() < deadline:
        time.sleep(0.02)
    child = loop.process.pid if loop.process is not None else None
    assert child is not None
    started = time.monotonic()
    loop.stop(timeout=15)
    assert time.monotonic() - started < 12  # the batch under way finishes, no more
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)  # ended, not left behind
    stored = len(_inbound(mail_clinic))
    assert 0 < stored < n
    # what it stored is whole: the next pass (on a thread this time) stores the rest once
    assert sync.run_once(mail_clinic, send=False).stored == n - stored
    rows = _inbound(mail_clinic)
    assert len(rows) == n and all(count == 1 for _, count in rows)


def test_a_sync_process_killed_under_the_loop_is_said_in_plain_words(mail_clinic, dovecot):
    """The child killed mid-pass (out of memory, say): the app's loop reports that the
    sync stopped and will try again, in words, and the next pass stores the rest once."""
    n = 600  # parsed by the workers (PARALLEL_FROM); killed after the first batch
    dovecot.deliver_many(USER, corpus(n, seed=12), arrived=OLD)
    reports: list[tuple] = []
    progress: list[int] = []
    loop = SyncLoop(
        mail_clinic,
        interval=3600,
        idle=False,
        on_progress=lambda a, d, t: progress.append(d),
        on_report=lambda r, s: reports.append((r, dict(s.offline))),
    )
    loop.start()
    try:
        deadline = time.monotonic() + 120
        while not _inbound(mail_clinic) and time.monotonic() < deadline:
            time.sleep(0.01)  # a batch committed, more on their way
        os.kill(loop.process.pid, signal.SIGKILL)  # type: ignore[union-attr, arg-type]
        while not reports and time.monotonic() < deadline:
            time.sleep(0.02)
        report, offline = reports[0]
        assert report.stored == 0 and not report.changes
        assert offline == {"sync": "The last sync stopped unexpectedly; will try again."}
        part = len(_inbound(mail_clinic))
        assert 0 < part < n
        loop.retry_now()
        while len(reports) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        report, offline = reports[1]
        assert offline == {} and report.stored == n - part
    finally:
        loop.stop()
    rows = _inbound(mail_clinic)
    assert len(rows) == n and all(count == 1 for _, count in rows)


def test_a_child_that_cannot_open_the_store_says_so_without_the_key(mail_clinic):
    wrong = type(mail_clinic.secrets)(b"\x01" * 32, mail_clinic.secrets.audit_key)
    real, mail_clinic.secrets = mail_clinic.secrets, wrong
    passes = SyncProcess(mail_clinic)
    try:
        with pytest.raises(SyncProcessError) as err:
            passes.run(mail_clinic)
    finally:
        mail_clinic.secrets = real
        passes.close()
    assert "could not open the store" in str(err.value)
    assert wrong.db_key.hex() not in str(err.value) and real.db_key.hex() not in str(err.value)


def test_receipts_and_safety_replies_are_in_the_changes_of_the_pass(mail_clinic, dovecot):
    """A new conversation from today gets an automatic receipt: the outgoing message is
    named in the pass's `Changes.messages` beside the patient's, with the outbox."""
    before = mail_clinic.store.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0]
    dovecot.append_many(USER, [make_message(1), make_message(2)])
    report = sync.run_once(mail_clinic, send=False)
    out = {
        r[0]
        for r in mail_clinic.store.execute(
            "SELECT id FROM messages WHERE direction = 'out' AND id > ?", (before,)
        )
    }
    assert len(out) == 2, "each new conversation got its receipt"
    changes = report.changes
    assert out <= changes.messages
    assert changes.messages == _message_ids(mail_clinic, before)
    assert changes.outbox
    threads = {
        mail_clinic.store.execute("SELECT thread_id FROM messages WHERE id = ?", (m,)).fetchone()[0]
        for m in out
    }
    assert threads <= changes.threads
