"""Parsing fetched email on every core while the store is written.

The stdlib parser is pure Python and is most of an initial sync's time. For large
syncs, batches are parsed in worker processes (spawned, not forked: the app has
threads) while the one writer stores the previous batch. Small syncs parse inline:
a worker's start-up would cost more than it saves. If a worker dies (a hostile
message, memory), that batch is parsed inline and the pool is not used again.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.core.hardening import worker_start
from clinic_inbox.core.ingest import Incoming
from clinic_inbox.core.triage import Rules, triage
from clinic_inbox.sources import mime
from clinic_inbox.sources.imap import Fetched
from clinic_inbox.sources.sender_check import SenderChecker

PARALLEL_FROM = 400  # messages waiting before workers are worth starting
# Workers give way to the app's own process (the window, the writer): on a busy
# two-core desk computer a large sync must not freeze the screen.
WORKER_NICE = 10


def _start_worker(parent_pid: int) -> None:
    worker_start(parent_pid)
    try:
        os.nice(WORKER_NICE)
    except (AttributeError, OSError):  # not on this platform: parse at normal priority
        pass


def parse_batch(
    account: ImapAccount,
    uidvalidity: int,
    batch: list[Fetched],
    limits: mime.Limits,
    rules: Rules | None = None,
    checker: SenderChecker | None = None,
) -> list[Incoming]:
    """Parse, check senders, and triage too when `rules` are given (pure work: no store
    needed; the sender check's DNS answers are cached in each worker's own copy)."""
    from clinic_inbox.sources.email_sync import to_incoming

    out = [to_incoming(account, f, uidvalidity, limits, checker) for f in batch]
    if rules is not None:
        for msg in out:
            msg.triaged = triage(
                msg.subject, msg.body_text, rules, msg.sender_priority, msg.sender_category
            )
    return out


class _Done:
    """A finished result with the Future's `result()`, for inline parsing."""

    def __init__(self, value: list[Incoming]) -> None:
        self.value = value

    def result(self) -> list[Incoming]:
        return self.value


class ParsePool:
    def __init__(
        self,
        expected: int,
        rules: Rules | None = None,
        workers: int | None = None,
        checker: SenderChecker | None = None,
    ) -> None:
        self.rules = rules  # triage in the workers too
        self.checker = checker
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None
        if expected >= PARALLEL_FROM and self.workers > 1:
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )

    @property
    def parallel(self) -> bool:
        return self._pool is not None

    def submit(
        self, account: ImapAccount, uidvalidity: int, batch: list[Fetched], limits: mime.Limits
    ) -> Future | _Done:
        if self._pool is None:
            return _Done(parse_batch(account, uidvalidity, batch, limits, None, self.checker))
        # split so every worker has a share of the batch
        size = max(1, -(-len(batch) // self.workers))
        try:
            parts = [
                self._pool.submit(
                    parse_batch,
                    account,
                    uidvalidity,
                    batch[i : i + size],
                    limits,
                    self.rules,
                    self.checker,
                )
                for i in range(0, len(batch), size)
            ]
        except BrokenProcessPool:
            self._broken()
            return _Done(parse_batch(account, uidvalidity, batch, limits, None, self.checker))
        return _Joined(
            parts,
            lambda: parse_batch(account, uidvalidity, batch, limits, None, self.checker),
            self,
        )

    def _broken(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Joined:
    def __init__(self, parts: list[Future], inline, pool: ParsePool) -> None:  # noqa: ANN001
        self.parts, self.inline, self.pool = parts, inline, pool

    def result(self) -> list[Incoming]:
        try:
            return [m for part in self.parts for m in part.result()]
        except BrokenProcessPool:
            self.pool._broken()
            return self.inline()
