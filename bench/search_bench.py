"""Search, ours against notmuch over the same messages.

Every message of a clinic store is written to a Maildir (subject, sender, recipients,
date, body, and the patient's name as the From display name, so notmuch sees the text
our FTS index covers), indexed with `notmuch new`, and the same queries are timed in
both. Hits per query are counted in both, to show they answer the same questions.

    python -m bench.search_bench HOME [--repeat 2] [--keep]

HOME is a clinic folder (e.g. one made by `bench.scale_clinic`). The store is opened
without migrations and only read; the maildir and the notmuch database go to a new
temporary folder, removed afterwards unless --keep.
"""

from __future__ import annotations

import argparse
import functools
import json
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.policy import EmailPolicy, default
from pathlib import Path

from bench import peers
from bench.common import QUERIES, p50_p95
from clinic_inbox.core.store import queries as q

BATCH = 2000

_ROWS_SQL = """
SELECT m.id, m.sender, m.sender_name, m.recipients, m.subject, m.received_at, m.body_text,
       CASE WHEN p.id IS NULL THEN NULL ELSE p.given_name || ' ' || p.family_name END
FROM messages m LEFT JOIN patients p ON p.id = m.patient_id
WHERE m.id > ? ORDER BY m.id LIMIT ?
"""

_ADDR = re.compile(r'^([^@\s<>(),;:"\[\]\\]+)@([A-Za-z0-9.-]+)$')


class _CachedRegistry(HeaderRegistry):
    """HeaderRegistry makes a new header class on every lookup; make each once.

    (clinic_inbox.core.mail_policy.RememberingHeaders also remembers every parsed
    value in a small LRU; here, where Date and Message-ID never repeat, that measured
    50% slower than this plus the memo below.)
    """

    @functools.cache  # noqa: B019 - one registry, lives for the process
    def __getitem__(self, name: str) -> type:
        return super().__getitem__(name)


# Headers that repeat from message to message (the clinic's address, patients' names,
# the demo's subjects, the MIME headers): parsed and folded once per distinct value.
_REPEATING = frozenset(
    {"from", "to", "subject", "content-type", "content-transfer-encoding", "mime-version"}
)


class _BenchPolicy(EmailPolicy):
    """policy.default with parsing and folding memoised for the headers that repeat
    (folding is the larger half). The bytes are those policy.default writes:
    `python -m bench.search_bench HOME --check-policy` compares every message."""

    def header_store_parse(self, name, value):  # noqa: ANN001, ANN201
        if type(value) is str and name.lower() in _REPEATING:
            return _parsed(name, value)
        return super().header_store_parse(name, value)

    def fold_binary(self, name, value):  # noqa: ANN001, ANN201
        if name.lower() in _REPEATING and _parsed_ids.get(id(value)) is value:
            return _folded(name, id(value))
        return super().fold_binary(name, value)


POLICY = _BenchPolicy(header_factory=_CachedRegistry())
_parsed_ids: dict[int, object] = {}  # id -> the memoised header object (kept alive)


@functools.cache
def _parsed(name: str, value: str) -> tuple:
    stored = EmailPolicy.header_store_parse(POLICY, name, value)
    _parsed_ids[id(stored[1])] = stored[1]
    return stored


@functools.cache
def _folded(name: str, ident: int) -> bytes:
    return EmailPolicy.fold_binary(POLICY, name, _parsed_ids[ident])


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _address(display_name: str, value: str) -> Address:
    """An Address for a stored sender/recipient; portal ids (`portal:pat-0423`) and other
    non-addresses become `<...>@bench.invalid` so the header stays valid."""
    value = value.strip()
    m = _ADDR.match(value)
    if m:
        return Address(display_name, m[1], m[2])
    local = re.sub(r"[^A-Za-z0-9._-]+", "-", value).strip("-.") or "unknown"
    return Address(display_name, local, "bench.invalid")


def _date(received_at: str) -> datetime:
    try:
        d = datetime.fromisoformat(received_at)
    except (TypeError, ValueError):
        return datetime(1970, 1, 1, tzinfo=UTC)
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def message_bytes(row: tuple, policy: EmailPolicy = POLICY) -> bytes:
    """One stored message as RFC 5322 bytes (EmailMessage, policy default)."""
    mid, sender, sender_name, recipients, subject, received_at, body, patient = row
    msg = EmailMessage(policy=policy)
    msg["Message-ID"] = f"<m{mid}@bench>"
    msg["Date"] = _date(received_at)
    msg["From"] = str(_address(_one_line(patient or sender_name), sender or ""))
    to = [str(_address("", r)) for r in (recipients or "").split(",") if r.strip()]
    if to:
        msg["To"] = ", ".join(to)
    msg["Subject"] = _one_line(subject)
    msg.set_content(body or "")
    return msg.as_bytes()


def _write_batch(cur: str, rows: list[tuple]) -> int:
    for row in rows:
        with open(os.path.join(cur, f"m{row[0]}.bench:2,S"), "wb") as fh:
            fh.write(message_bytes(row))
    return len(rows)


def export_maildir(clinic, maildir: Path) -> int:  # noqa: ANN001
    """Write every message of the clinic store to `maildir` (cur/, new/, tmp/), one file
    per message; return how many. Rows are read in batches in this process and
    written by a pool of forked workers (this is bench code: straight SQL)."""
    maildir = Path(maildir)
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    cur = str(maildir / "cur")
    workers = min(os.cpu_count() or 1, 8)
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        pool = None
    else:
        pool = multiprocessing.get_context("fork").Pool(workers)
    pending, count, last = [], 0, 0
    try:
        while True:
            # Read in the main thread only: the store's connection is not shared.
            rows = [tuple(r) for r in clinic.store.execute(_ROWS_SQL, (last, BATCH))]
            if not rows:
                break
            last = rows[-1][0]
            if pool is None:
                count += _write_batch(cur, rows)
            else:
                pending.append(pool.apply_async(_write_batch, (cur, rows)))
        count += sum(p.get() for p in pending)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    return count


def check_policy(clinic) -> int:  # noqa: ANN001
    """Messages whose bytes differ between POLICY and policy.default (should be 0)."""
    differ, last = 0, 0
    while rows := [tuple(r) for r in clinic.store.execute(_ROWS_SQL, (last, BATCH))]:
        last = rows[-1][0]
        differ += sum(message_bytes(r) != message_bytes(r, default) for r in rows)
    return differ


def _write_notmuch_config(workdir: Path, maildir: Path) -> None:
    """The same config as peers.mbsync_notmuch_ingest writes, for this maildir."""
    (workdir / "notmuch-config").write_text(
        f"""[database]
path={maildir}

[user]
name=Bench
primary_email=inbox@bench.invalid

[new]
tags=unread;inbox;
ignore=

[maildir]
synchronize_flags=true
"""
    )


def notmuch_index(workdir: Path, maildir: Path) -> float:
    """Write a notmuch config in `workdir` for `maildir`, run `notmuch new`; seconds."""
    workdir, maildir = Path(workdir), Path(maildir)
    workdir.mkdir(parents=True, exist_ok=True)
    _write_notmuch_config(workdir, maildir.resolve())
    t = time.perf_counter()
    peers._run(["notmuch", "new", "--quiet"], workdir)
    return time.perf_counter() - t


def search_latency(clinic, queries: list[str], repeat: int = 2) -> tuple[float, float]:  # noqa: ANN001
    """p50 and p95 in ms of our search, 200 newest matches per query."""
    times = []
    for _ in range(repeat):
        for text in queries:
            t = time.perf_counter()
            q.list_messages(clinic.store, q.MessageFilter(search=text, limit=200))
            times.append((time.perf_counter() - t) * 1000)
    return p50_p95(times)


def _our_total(clinic, text: str) -> int:  # noqa: ANN001
    """Every FTS match of `text`, without list_messages' limit."""
    fts = q.fts_query(text)
    if not fts:
        return 0
    return clinic.store.one(
        "SELECT count(*) FROM message_search WHERE message_search MATCH ?", (fts,)
    )


def _notmuch_count(workdir: Path, text: str) -> int:
    # Words as separate terms (AND), as notmuch_search_latency runs them.
    return int(peers._run(["notmuch", "count", *text.split()], workdir).strip() or 0)


def compare(clinic, queries: list[str], workdir: Path, repeat: int = 2) -> dict:  # noqa: ANN001
    """Export, index, then time and count the queries in both; all figures in one dict."""
    missing = peers.ensure_tools()
    if missing:
        raise RuntimeError(missing)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    maildir = workdir / "mail"

    t = time.perf_counter()
    messages = export_maildir(clinic, maildir)
    export_s = time.perf_counter() - t
    notmuch_new_s = notmuch_index(workdir, maildir)
    indexed = int(peers._run(["notmuch", "count", "*"], workdir).strip())

    ours_p50, ours_p95 = search_latency(clinic, queries, repeat)
    nm_p50, nm_p95 = peers.notmuch_search_latency(workdir, queries, repeat)
    startup = peers.notmuch_startup_ms(workdir)

    hits = {}
    for text in queries:
        ours = q.list_messages(clinic.store, q.MessageFilter(search=text, limit=200))
        hits[text] = {
            "ours": len(ours),
            "ours_all": _our_total(clinic, text),
            "notmuch": _notmuch_count(workdir, text),
        }
    ours_hit = {t for t, h in hits.items() if h["ours"]}
    nm_hit = {t for t, h in hits.items() if h["notmuch"]}
    return {
        "messages": messages,
        "notmuch_indexed": indexed,
        "export_s": export_s,
        "notmuch_new_s": notmuch_new_s,
        "queries": len(queries),
        "repeat": repeat,
        "ours_p50_ms": ours_p50,
        "ours_p95_ms": ours_p95,
        "notmuch_p50_ms": nm_p50,
        "notmuch_p95_ms": nm_p95,
        "notmuch_startup_ms": startup,
        "ours_queries_with_results": len(ours_hit),
        "notmuch_queries_with_results": len(nm_hit),
        "both_with_results": len(ours_hit & nm_hit),
        "only_ours": [t for t in queries if t in ours_hit - nm_hit],
        "only_notmuch": [t for t in queries if t in nm_hit - ours_hit],
        # ours is capped at list_messages' limit of 200; ours_all is every FTS match.
        "same_count": sum(h["ours_all"] == h["notmuch"] for h in hits.values()),
        "hits": hits,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.search_bench")
    ap.add_argument("home", type=Path, help="clinic folder")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--keep", action="store_true", help="keep the maildir and notmuch database")
    ap.add_argument(
        "--check-policy",
        action="store_true",
        help="only check that the memoised policy writes the bytes policy.default writes",
    )
    args = ap.parse_args(argv)

    from clinic_inbox.core.home import open_clinic
    from clinic_inbox.core.keys import KeyCustody

    passphrase = os.environ.get("BENCH_PASSPHRASE", "bench passphrase 123")
    work = Path(tempfile.mkdtemp(prefix="bench-notmuch-"))
    try:
        # upgrade=False: a benchmark reads the store, it never migrates it.
        with open_clinic(
            args.home,
            lambda p, c: passphrase,
            KeyCustody(args.home, detect=False),
            upgrade=False,
        ) as clinic:
            if args.check_policy:
                result = {"messages_differing_from_policy_default": check_policy(clinic)}
            else:
                result = compare(clinic, QUERIES, work, repeat=args.repeat)
    finally:
        if args.keep:
            print(f"work folder kept: {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
