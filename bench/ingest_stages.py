"""Where an email's ingest time goes: CPU per message of each stage, one process, no
network, on the benchmark's corpus (in the sync the stages overlap across processes)."""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.core.config import load_config
from clinic_inbox.core.ingest import ingest
from clinic_inbox.core.store import create_store
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.triage import load_rules, triage
from clinic_inbox.sources import email_sync, mime, mime_lean
from clinic_inbox.sources.imap import Fetched

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
    now = datetime.now(UTC)
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
    ids: list[int] = []
    started = time.process_time()
    for start in range(0, len(msgs), 200):
        with store.transaction():
            ids.extend(ingest(store, cfg, rules, m).message_id for m in msgs[start : start + 200])
    out["store_with_index_ms"] = (time.process_time() - started) * 1000 / len(msgs)
    started = time.process_time()
    for start in range(0, len(ids), 200):
        with store.transaction():
            for mid in ids[start : start + 200]:
                q.index_message(store, mid)
    out["index_ms"] = (time.process_time() - started) * 1000 / len(ids)
    store.close()
    return out
