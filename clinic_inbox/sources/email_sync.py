"""Pulling one IMAP mailbox into the store, exactly once per message.

A message's identity is (account, mailbox, UIDVALIDITY, UID). Each fetched
batch is stored in one or more short transactions, each of which also advances
the high-water mark past the messages it stored, so a kill or a dropped connection at any moment is followed by a run that
stores each message exactly once. After a UIDVALIDITY change every message
is fetched again and re-matched to its stored copy by Message-ID plus a hash
of its content; only messages with no stored copy are added.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from clinic_inbox.core import acknowledge, bounces
from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.ingest import Incoming, ingest
from clinic_inbox.core.model import Source
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import sync_queries as sq
from clinic_inbox.core.triage import Rules
from clinic_inbox.sources import mime, parse_pool
from clinic_inbox.sources.errors import SourceError
from clinic_inbox.sources.imap import Fetched, ImapConnection
from clinic_inbox.sources.parse_pool import ParsePool
from clinic_inbox.sources.prefetch import read_ahead
from clinic_inbox.sources.sender_check import UNVERIFIED, SenderCheck, SenderChecker, check_sender
from clinic_inbox.sources.sync_rules import RulesLater

log = logging.getLogger(__name__)

# Batches grow from FIRST_BATCH (the first messages and checkpoint come quickly) to
# MAX_BATCH: each batch costs two IMAP round trips, a transaction and a hand-over to
# the workers, about 15% of a sync's time at 50 a batch. BATCH_BYTES caps a batch of
# large messages, so memory stays bounded whatever the mailbox holds.
FIRST_BATCH = 50
MAX_BATCH = 400
BATCH_BYTES = 16 * 1024 * 1024
IN_FLIGHT = 2  # batches parsed ahead of the one being stored (bounds memory)
# A batch is stored in transactions of about this long each (each with its checkpoint,
# so each is whole): the app's own writes (an assign, a status) wait for one of these,
# not for a batch of 400 messages (0.2-0.9 s on a 100,000-message store), and between
# two the sync pauses long enough for a waiting write (it tries every 2 ms) to get in.
STORE_SLICE_S = 0.03
SLICE_PAUSE_S = 0.004
Progress = Callable[[str, int, int], None]


@dataclass
class SyncReport:
    account: str
    stored: int = 0
    skipped: int = 0
    rematched: int = 0
    review: int = 0
    acknowledged: int = 0
    urgent: list[int] = field(default_factory=list)  # thread ids of new urgent messages
    new_threads: list[int] = field(default_factory=list)
    touched: set[int] = field(default_factory=set)  # every conversation a message joined
    messages: set[int] = field(default_factory=set)  # every message stored (not receipts)
    error: str | None = None
    offline: bool = False
    uidvalidity_changed: bool = False


def scope(mailbox: str) -> str:
    return f"imap:{mailbox}"


UNREADABLE = "The message could not be read, so its sender could not be checked."
TOO_LARGE = (
    "Only the header of this large message was downloaded, so its sender could not be checked."
)
_DEFAULT_CHECKER = SenderChecker()  # real DNS, no trusted mail server


def checker_for(clinic: Clinic) -> SenderChecker:
    return SenderChecker(trusted_authserv_id=clinic.config.trusted_authserv_id)


def to_incoming(
    account: ImapAccount,
    f: Fetched,
    uidvalidity: int,
    limits: mime.Limits,
    checker: SenderChecker | None = None,
) -> Incoming:
    """Parse one fetched message and check its sender. Never raises: what cannot be
    read is kept for review."""
    base = dict(
        source=Source.EMAIL,
        account_id=int(account.id or 0),
        imap_mailbox=account.mailbox,
        imap_uidvalidity=uidvalidity,
        imap_uid=f.uid,
    )
    arrived = f.internaldate if isinstance(f.internaldate, datetime) else None
    if arrived is not None and arrived.tzinfo is None:
        arrived = arrived.astimezone()
    try:
        parsed = mime.parse_email(f.raw, limits)
    except mime.UnparseableEmail as exc:
        return Incoming(
            **base,
            received_at=arrived or datetime.now(UTC),
            sender_address="",
            subject="(message could not be read)",
            needs_review=True,
            review_reason=str(exc),
            sender_check=UNVERIFIED,
            sender_check_detail=UNREADABLE,
            raw_source=f.raw,
            content_hash=hashlib.sha256(f.raw).hexdigest(),
        )
    except Exception as exc:  # noqa: BLE001 - a parser bug must not stop the sync
        log.warning("parser failure on uid %s: %s", f.uid, type(exc).__name__)
        return Incoming(
            **base,
            received_at=arrived or datetime.now(UTC),
            sender_address="",
            subject="(message could not be read)",
            needs_review=True,
            review_reason="Clinic Inbox could not read this message's format. The original is "
            "kept, encrypted, for review.",
            sender_check=UNVERIFIED,
            sender_check_detail=UNREADABLE,
            raw_source=f.raw,
            content_hash=hashlib.sha256(f.raw).hexdigest(),
        )
    problems = list(parsed.problems)
    if f.truncated:
        problems.insert(
            0,
            f"This message is {f.size / 1048576:.1f} MB, larger than the "
            f"{limits.max_message_bytes / 1048576:.0f} MB limit, so only its header was "
            "downloaded. Open it in the clinic's webmail.",
        )
    # a truncated download lacks the body its DKIM signature covers: not verifiable
    verdict = check_sender(
        f.raw, parsed.sender_address, checker or _DEFAULT_CHECKER, parsed.auth_results
    )
    if f.truncated and verdict.result == UNVERIFIED:
        verdict = SenderCheck(UNVERIFIED, TOO_LARGE)
    return Incoming(
        **base,
        sender_check=verdict.result,
        sender_check_detail=verdict.detail,
        received_at=arrived or parsed.date or datetime.now(UTC),
        sender_address=parsed.sender_address,
        sender_name=parsed.sender_name,
        recipients=", ".join([*parsed.to, *parsed.cc]),
        subject=parsed.subject,
        body_text=parsed.body_text,
        body_html=parsed.body_html,
        attachments=[
            q.NewAttachment(a.filename, a.content_type, a.data, a.declared_type, a.content_id)
            for a in parsed.attachments
        ],
        message_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        references=parsed.references,
        content_hash=parsed.content_hash,
        needs_review=bool(problems),
        review_reason=" ".join(problems) or None,
        raw_source=f.raw if f.truncated else None,
        auto_submitted=parsed.auto_submitted,
    )


def _store_batch(
    clinic: Clinic,
    rules: Rules | RulesLater,
    account: ImapAccount,
    uidvalidity: int,
    batch: list[Fetched],
    report: SyncReport,
    limits: mime.Limits,
    incoming: list[Incoming] | None = None,
    checker: SenderChecker | None = None,
) -> None:
    """Store a fetched batch in one transaction or several: each holds the write lock
    for about STORE_SLICE_S at most and commits its messages with a checkpoint that
    covers them, so every transaction is whole (exactly once) and an action's write
    waits for one slice, not for a batch of hundreds (issue 19)."""
    if incoming is None:  # CPU, outside the write lock
        checker = checker or checker_for(clinic)
        incoming = [to_incoming(account, f, uidvalidity, limits, checker) for f in batch]
    last_uid = max(f.uid for f in batch)
    done = 0
    while True:
        done = _store_slice(
            clinic, rules, account, uidvalidity, batch, incoming, done, last_uid, report
        )
        if done >= len(incoming):
            return
        time.sleep(SLICE_PAUSE_S)  # a write waiting for the lock takes it now


def _store_slice(
    clinic: Clinic,
    rules: Rules | RulesLater,
    account: ImapAccount,
    uidvalidity: int,
    batch: list[Fetched],
    incoming: list[Incoming],
    first: int,
    last_uid: int,
    report: SyncReport,
) -> int:
    """incoming[first:] stored in one transaction until STORE_SLICE_S has passed (one
    message at least); returns how many of `incoming` are stored now. The checkpoint
    committed with them stays below every uid left for the next slice."""
    store = clinic.store
    account_id = int(account.id or 0)
    with store.transaction():
        began = time.monotonic()
        rest = incoming[first:]
        # one query each for the rest of the batch; only the messages they name need
        # the per-message look-ups (nothing stored in this batch makes another one match)
        stored = sq.email_identities_stored(
            store, account_id, account.mailbox, uidvalidity, [m.imap_uid or 0 for m in rest]
        )
        pulled = sq.pulled_copies_waiting(store, [m.message_id for m in rest if m.message_id])
        moved = sq.rematch_hashes(
            store,
            account_id,
            account.mailbox,
            uidvalidity,
            [m.content_hash for m in rest if m.content_hash],
        )
        unindexed: list[int] = []
        done = first
        for msg in rest:
            if done > first and time.monotonic() - began >= STORE_SLICE_S:
                break  # the rest in the next transaction
            done += 1
            _store_one(
                clinic,
                rules,
                account,
                uidvalidity,
                batch,
                msg,
                report,
                unindexed,
                stored,
                pulled,
                moved,
            )
        q.index_messages(store, unindexed)  # searchable in the same commit as stored
        left = [m.imap_uid or 0 for m in incoming[done:]]
        sq.set_checkpoint(
            store,
            account_id,
            scope(account.mailbox),
            uidvalidity=uidvalidity,
            # every uid of the batch below the first one left is stored by now
            last_uid=min(left) - 1 if left else last_uid,
        )
    return done


def _store_one(
    clinic: Clinic,
    rules: Rules | RulesLater,
    account: ImapAccount,
    uidvalidity: int,
    batch: list[Fetched],
    msg: Incoming,
    report: SyncReport,
    unindexed: list[int],
    stored: set[int],
    pulled: set[tuple[str, str]],
    moved: set[str],
) -> None:
    """One message of a slice, inside its transaction."""
    store = clinic.store
    assert msg.imap_uid is not None
    if msg.imap_uid in stored:
        report.skipped += 1
        return
    if (msg.message_id, msg.content_hash) in pulled and sq.adopt_pulled_copy(
        store,
        msg.account_id,
        account.mailbox,
        uidvalidity,
        msg.imap_uid,
        msg.message_id,
        msg.content_hash,
    ):
        report.skipped += 1  # received from the clinic's shared server already
        return
    if msg.content_hash in moved:
        old = sq.find_rematch_candidate(
            store,
            msg.account_id,
            account.mailbox,
            msg.message_id,
            msg.content_hash,
            uidvalidity,
        )
        if old is not None:
            sq.move_email_identity(store, old, uidvalidity, msg.imap_uid)
            report.rematched += 1
            return
    try:
        with store.savepoint():
            result = ingest(store, clinic.config, rules, msg, index=False)
            unindexed.append(result.message_id)
            if acknowledge.maybe_acknowledge(
                store, clinic.config, msg, result, from_address=account.sender_address
            ):
                report.acknowledged += 1
    except Exception as exc:  # noqa: BLE001 - one bad message never stops a sync
        log.warning("could not file uid %s: %s", msg.imap_uid, type(exc).__name__)
        with store.savepoint():
            aside = ingest(store, clinic.config, rules, _set_aside(msg), index=False)
        unindexed.append(aside.message_id)
        report.touched.add(aside.thread_id)
        report.messages.add(aside.message_id)
        report.review += 1
        return
    report.stored += 1
    report.touched.add(result.thread_id)
    report.messages.add(result.message_id)
    if msg.auto_submitted:  # a bounce names the reply that did not reach the patient
        bounced = _bounce(clinic, batch, msg)
        if bounced is not None:
            report.touched.add(bounced)
    report.review += int(msg.needs_review)
    if result.new_thread:
        report.new_threads.append(result.thread_id)
    if result.priority.value == "urgent":
        report.urgent.append(result.thread_id)


def _bounce(clinic: Clinic, batch: list[Fetched], msg: Incoming) -> int | None:
    """The conversation whose message this delivery report marks not delivered."""
    raw = next((f.raw for f in batch if f.uid == msg.imap_uid and not f.truncated), None)
    if raw is None:
        return None
    try:
        with clinic.store.savepoint():
            found = bounces.record(clinic.store, clinic.audit_key, raw)
    except Exception as exc:  # noqa: BLE001 - a report we cannot read stays a plain message
        log.warning("delivery report in uid %s not read: %s", msg.imap_uid, type(exc).__name__)
        return None
    return found.thread_id if found else None


def _set_aside(msg: Incoming) -> Incoming:
    return Incoming(
        source=msg.source,
        account_id=msg.account_id,
        received_at=msg.received_at,
        sender_address=msg.sender_address,
        subject=msg.subject[:200] or "(message could not be filed)",
        imap_mailbox=msg.imap_mailbox,
        imap_uidvalidity=msg.imap_uidvalidity,
        imap_uid=msg.imap_uid,
        content_hash=msg.content_hash,
        message_id=msg.message_id,
        needs_review=True,
        review_reason="Clinic Inbox could not file this message automatically; it is kept for review.",
        # set aside, it is still not taken for its patient on its address alone
        sender_check=msg.sender_check or UNVERIFIED,
        sender_check_detail=msg.sender_check_detail,
    )


def next_batch_size(size: int, fetched: list[Fetched]) -> int:
    """Twice the last batch, at most MAX_BATCH, and no more messages of the last batch's
    average size than fit in BATCH_BYTES (at least one)."""
    grown = min(size * 2, MAX_BATCH)
    held = sum(len(f.raw) for f in fetched)
    if held:
        grown = min(grown, int(BATCH_BYTES * len(fetched) // held))
    return max(1, grown)


def _fetch_batches(
    conn: ImapConnection,
    uids: list[int],
    batch_size: int | None,
    limits: mime.Limits,
    stop: threading.Event | None,
) -> Iterator[tuple[int, list[Fetched]]]:
    """(index of the batch's first uid, its messages), in uid order. A fixed
    `batch_size`, or None: batches that grow (next_batch_size)."""
    start, size = 0, batch_size or FIRST_BATCH
    while start < len(uids):
        if stop is not None and stop.is_set():
            return
        fetched = conn.fetch(uids[start : start + size], limits.max_message_bytes)
        yield start, fetched
        start += size
        if batch_size is None:
            size = next_batch_size(size, fetched)


def sync_account(
    clinic: Clinic,
    rules: Rules | RulesLater,
    account: ImapAccount,
    password: str,
    *,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    limits: mime.Limits = mime.DEFAULT_LIMITS,
    batch_size: int | None = None,
    checker: SenderChecker | None = None,
) -> SyncReport:
    """`batch_size` None: batches grow with the sync (next_batch_size); each batch is
    stored in one transaction with its checkpoint, whatever its size. `rules` not yet
    compiled (RulesLater) are compiled here only when a message is triaged here: in a
    large sync the parse workers triage (sync_rules.py)."""
    report = SyncReport(account.name)
    checker = checker or checker_for(clinic)  # one DNS cache for the whole run
    store = clinic.store
    account_id = int(account.id or 0)
    try:
        with ImapConnection(account, password) as conn:
            state = conn.select(account.mailbox)
            cp = sq.get_checkpoint(store, account_id, scope(account.mailbox))
            last_uid = cp.last_uid if cp else 0
            if cp and cp.uidvalidity is not None and cp.uidvalidity != state.uidvalidity:
                report.uidvalidity_changed = True
                with store.transaction():
                    sq.record_sync_event(
                        store,
                        account_id,
                        "uidvalidity_changed",
                        f"{account.mailbox}: {cp.uidvalidity} -> {state.uidvalidity}",
                    )
                    sq.set_checkpoint(
                        store,
                        account_id,
                        scope(account.mailbox),
                        uidvalidity=state.uidvalidity,
                        last_uid=0,
                    )
                last_uid = 0
            uids = conn.uids_after(last_uid)
            total = len(uids)
            if parse_pool.parallel_for(total):
                # known before any message is fetched: the fork server (~2.7 s of CPU,
                # the shipped rules compiled there) warms up while the first batch
                # comes; a small sync never starts it
                parse_pool.prestart()
            if progress:
                progress(account.name, 0, total)
            # A pipeline: up to IN_FLIGHT batches are parsed (on other cores when there
            # are many) while the oldest is stored, so the workers never wait on the
            # writer; batches are still stored in order, each with its checkpoint.
            with ParsePool(total, rules, checker=checker) as parser:
                pending: deque[tuple[list[Fetched], object]] = deque()
                depth = IN_FLIGHT if parser.parallel else 1

                def store_oldest() -> None:
                    fetched, parsing = pending.popleft()
                    _store_batch(
                        clinic,
                        rules,
                        account,
                        state.uidvalidity,
                        fetched,
                        report,
                        limits,
                        parsing.result(),  # type: ignore[attr-defined]
                    )
                    if account.mark_read:
                        conn.mark_seen([f.uid for f in fetched])

                batches = _fetch_batches(conn, uids, batch_size, limits, stop)
                if parser.parallel and not account.mark_read:
                    # the next batch comes off the network while this one is stored (the
                    # connection is then the reader thread's alone: no \Seen flags here)
                    batches = read_ahead(batches)
                try:
                    for start, fetched in batches:
                        if stop is not None and stop.is_set():
                            break
                        if fetched:
                            parsing = parser.submit(account, state.uidvalidity, fetched, limits)
                            pending.append((fetched, parsing))
                        while len(pending) > depth:
                            store_oldest()
                        if progress:
                            progress(account.name, min(start, total), total)
                finally:
                    batches.close()  # the reader thread is done with the connection
                while pending:
                    store_oldest()
                if progress:
                    progress(account.name, total, total)
    except SourceError as exc:
        report.error, report.offline = str(exc), exc.offline
    return report
