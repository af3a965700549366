"""Where an email's ingest time goes: CPU per message of each stage, one process, no
network, on the benchmark's corpus (in the sync the stages overlap across processes)."""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.core.config import load_config
from clinic_inbox.core.store import create_store
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.triage import load_rules, triage
from clinic_inbox.sources import email_sync, mime, mime_lean
from clinic_inbox.sources.imap import Fetched

STORE_BATCH = email_sync.MAX_BATCH
ACCOUNT = ImapAccount(
    name="x", host="127.0.0.1", port=1, username="bench", security="none",
    smtp_host="127.0.0.1", smtp_security="none", id=1,
)  # fmt: skip


def _cpu_ms(fn, items: list) -> float:  # noqa: ANN001
    """CPU (not wall) milliseconds per item: not inflated by other processes' load."""
    started = time.process_time()
    for x in items:
        fn(x)
    return (time.process_time() - started) * 1000 / len(items)


def stage_costs(raw: list[bytes]) -> dict:
    # IMAP delivers CRLF line ends, as the sync sees them
    raw = [r.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") for r in raw]
    rules, cfg = load_rules(), load_config()
    triage("warm up", "the rules and dictionaries load once", rules)
    now = datetime.now(UTC) - timedelta(days=2)  # mail from before today: not acknowledged
    fetched = [Fetched(i + 1, r, len(r), now) for i, r in enumerate(raw)]
    out = {
        "messages": len(raw),
        "lean_share": sum(mime_lean.read(r) is not None for r in raw) / len(raw),
        "parse_stdlib_ms": _cpu_ms(mime.parse_email_stdlib, raw),
        "parse_lean_ms": _cpu_ms(mime.parse_email, raw),
    }
    msgs = []
    out["parse_and_sender_check_ms"] = _cpu_ms(
        lambda f: msgs.append(email_sync.to_incoming(ACCOUNT, f, 1, mime.DEFAULT_LIMITS)),
        fetched,
    )

    def triaged(m) -> None:  # noqa: ANN001
        m.triaged = triage(m.subject, m.body_text, rules, m.sender_priority, m.sender_category)

    out["triage_ms"] = _cpu_ms(triaged, msgs)
    folder = Path(tempfile.mkdtemp(prefix="bench-stages-"))
    store = create_store(folder / "s.db", os.urandom(32))
    with store.transaction():
        q.ensure_account(store, "x", "imap")
    # as the sync stores a batch: its look-ups, threading, inserts, index and checkpoint
    clinic = SimpleNamespace(store=store, config=cfg)
    report = email_sync.SyncReport("x")
    started = time.process_time()
    for start in range(0, len(msgs), STORE_BATCH):
        part = msgs[start : start + STORE_BATCH]
        email_sync._store_batch(  # noqa: SLF001 - the sync's own batch, timed alone
            clinic, rules, ACCOUNT, 1, fetched[start : start + len(part)], report,  # type: ignore[arg-type]
            mime.DEFAULT_LIMITS, part,
        )  # fmt: skip
    out["store_with_index_ms"] = (time.process_time() - started) * 1000 / len(msgs)
    ids = [r[0] for r in store.execute("SELECT id FROM messages ORDER BY id")]
    started = time.process_time()
    for start in range(0, len(ids), STORE_BATCH):
        with store.transaction():
            q.index_messages(store, ids[start : start + STORE_BATCH])
    out["index_ms"] = (time.process_time() - started) * 1000 / len(ids)
    store.close()
    return out
