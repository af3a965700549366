"""Parsing and triage in worker processes give exactly what the writer would compute
itself, and a worker that dies costs speed, never a message."""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime

from support.hostile_mail import hostile_messages
from support.mailgen import corpus

from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.core.triage import load_rules, triage
from clinic_inbox.sources import mime
from clinic_inbox.sources.imap import Fetched
from clinic_inbox.sources.parse_pool import ParsePool, parse_batch

ACCOUNT = ImapAccount(
    name="x", host="127.0.0.1", port=1, username="u", security="none",
    smtp_host="127.0.0.1", smtp_security="none", id=1,
)  # fmt: skip


def _batch() -> list[Fetched]:
    raws = corpus(60, seed=3) + [raw for _, raw in hostile_messages(include_huge=False)][:10]
    when = datetime(2026, 11, 20, tzinfo=UTC)
    return [Fetched(i + 1, r, len(r), when) for i, r in enumerate(raws)]


def test_workers_parse_and_triage_as_the_writer_would():
    rules, batch = load_rules(), _batch()
    inline = parse_batch(ACCOUNT, 7, batch, mime.DEFAULT_LIMITS)
    with ParsePool(expected=10_000, rules=rules, workers=2) as pool:
        assert pool.parallel
        parallel = pool.submit(ACCOUNT, 7, batch, mime.DEFAULT_LIMITS).result()
    assert [m.imap_uid for m in parallel] == [f.uid for f in batch]
    for a, b in zip(inline, parallel, strict=True):
        expected = triage(a.subject, a.body_text, rules, a.sender_priority, a.sender_category)
        assert b.triaged == expected
        b.triaged = None
        assert a == b


def test_a_dead_worker_falls_back_to_parsing_here():
    batch = _batch()
    with ParsePool(expected=10_000, rules=load_rules(), workers=2) as pool:
        first = pool.submit(ACCOUNT, 7, batch, mime.DEFAULT_LIMITS).result()
        for pid in list(pool._pool._processes):  # noqa: SLF001 - the test kills the workers
            os.kill(pid, signal.SIGKILL)
        again = pool.submit(ACCOUNT, 7, batch, mime.DEFAULT_LIMITS).result()
        assert not pool.parallel  # not used again
        third = pool.submit(ACCOUNT, 7, batch, mime.DEFAULT_LIMITS).result()
    assert len(first) == len(again) == len(third) == len(batch)
    assert [m.subject for m in again] == [m.subject for m in first]


def test_small_syncs_parse_inline():
    with ParsePool(expected=20, workers=2) as pool:
        assert not pool.parallel


def test_workers_check_senders_as_the_writer_would():
    """DKIM verification is pure given the bytes and the DNS answers: the workers,
    each with its copy of the test's DNS, reach the same verdicts."""
    from email.message import EmailMessage
    from email.policy import SMTP

    from support.dkim_keys import SigningKey, TestDns

    from clinic_inbox.sources.sender_check import KeyCache, SenderChecker

    key = SigningKey.make("patients.example")
    dns = TestDns()
    dns.publish(key)
    raws = []
    for i in range(8):
        msg = EmailMessage(policy=SMTP)
        msg["From"] = f"p{i}@patients.example"
        msg["To"] = "inbox@clinic.example"
        msg["Subject"] = f"Refill {i}"
        msg["Message-ID"] = f"<dk{i}@patients.example>"
        msg.set_content("Please renew my metformin.")
        raw = msg.as_bytes()
        raws.append(key.sign(raw) if i % 2 == 0 else raw.replace(b"From: p", b"From: q"))
    when = datetime(2026, 11, 20, tzinfo=UTC)
    batch = [Fetched(i + 1, r, len(r), when) for i, r in enumerate(raws)]
    checker = SenderChecker("", KeyCache(dns))
    inline = parse_batch(ACCOUNT, 7, batch, mime.DEFAULT_LIMITS, None, checker)
    with ParsePool(expected=10_000, workers=2, checker=checker) as pool:
        assert pool.parallel
        parallel = pool.submit(ACCOUNT, 7, batch, mime.DEFAULT_LIMITS).result()
    verdicts = [m.sender_check for m in inline]
    assert verdicts == ["verified", "unverified"] * 4
    assert [m.sender_check for m in parallel] == verdicts
    assert [m.sender_check_detail for m in parallel] == [m.sender_check_detail for m in inline]


def test_workers_triage_with_the_clinics_own_rules_or_the_shipped_ones(tmp_path):
    """Workers load the rules themselves (the fork server has the shipped ones ready):
    a clinic with its own rules file is triaged by it, one without by the shipped rules,
    and rules built otherwise travel whole."""
    from dataclasses import replace

    from clinic_inbox.core.model import Priority
    from clinic_inbox.sources.parse_pool import RulesRef
    from clinic_inbox.sources.sync_rules import RulesLater

    when = datetime(2026, 11, 20, tzinfo=UTC)
    raws = [
        raw.replace(b"Subject: ", b"Subject: a dog bit my hand, ", 1) if i % 3 == 0 else raw
        for i, raw in enumerate(corpus(24, seed=9))
    ]
    batch = [Fetched(i + 1, r, len(r), when) for i, r in enumerate(raws)]
    plain = tmp_path / "plain"
    plain.mkdir()
    own = tmp_path / "own"
    own.mkdir()
    (own / "triage_rules.toml").write_text(
        '[[red_flag]]\nid = "custom"\nlabel = "dog bite"\npatterns = ["dog bit"]\n'
    )
    shipped = load_rules()
    assert RulesRef(load_rules(plain)).resolve() is shipped  # no file: the shipped rules
    assert RulesRef(load_rules(own)).resolve() is load_rules(own)
    other = replace(shipped, context=lambda *a: True)  # built otherwise: sent whole
    assert RulesRef(other).rules is other
    # not compiled yet (a sync pass's rules): named by their folder, left uncompiled here
    for folder, resolved in ((plain, shipped), (own, load_rules(own))):
        later = RulesLater(folder)
        ref = RulesRef(later)
        assert ref.rules is None and ref.resolve() is resolved
        assert not later.compiled
    for folder in (plain, own):
        rules = load_rules(folder)
        for given in (rules, RulesLater(folder)):
            with ParsePool(expected=10_000, rules=given, workers=2) as pool:
                assert pool.parallel
                got = pool.submit(ACCOUNT, 7, batch, mime.DEFAULT_LIMITS).result()
            for m in got:
                assert m.triaged == triage(m.subject, m.body_text, rules)
            urgent = [m.triaged.priority is Priority.URGENT for m in got]
            assert any(urgent) == (folder is own)


def test_prestart_starts_the_fork_server_the_workers_come_from():
    """prestart() starts the workers' fork server at once (it warms up meanwhile, beside
    the caller's own start); the workers of a pool made later are forked by that server."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import os\n"
        "from multiprocessing import forkserver\n"
        "from clinic_inbox.sources import parse_pool\n"
        "parse_pool.prestart()\n"
        "server = forkserver._forkserver._forkserver_pid\n"
        "with parse_pool.ParsePool(10_000, workers=2) as pool:\n"
        "    parent = pool._pool.submit(os.getppid).result()\n"
        "print(server is not None and server == parent)\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "True"
