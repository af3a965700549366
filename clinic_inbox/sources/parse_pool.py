"""Parsing fetched email on every core while the store is written.

The stdlib parser is pure Python and is most of an initial sync's time. For large
syncs, batches are parsed in worker processes while the one writer stores the previous
batch. Small syncs parse inline: a worker's start-up would cost more than it saves. If
a worker dies (a hostile message, memory), that batch is parsed inline and the pool is
not used again.

Workers are not forked from the app (it has threads) but from a fork server: a clean
process started once, which has imported the parser and triage and compiled the shipped
rules (parse_warm.py). A spawned worker spent about a second of CPU on that before its
first message, twice per sync on two cores. Where there is no fork server, they are
spawned as before.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.core.hardening import die_with_parent, no_crash_dumps, worker_start
from clinic_inbox.core.ingest import Incoming
from clinic_inbox.core.triage import Rules, load_rules, triage
from clinic_inbox.sources import mime
from clinic_inbox.sources.imap import Fetched
from clinic_inbox.sources.sender_check import SenderChecker
from clinic_inbox.sources.sync_rules import RulesLater, rules_now

PARALLEL_FROM = 400  # messages waiting before workers are worth starting
# Workers give way to the app's own process (the window, the writer): on a busy
# two-core desk computer a large sync must not freeze the screen.
WORKER_NICE = 10


WARM_MODULE = "clinic_inbox.sources.parse_warm"


def _lower_priority() -> None:
    try:
        os.nice(WORKER_NICE)
    except (AttributeError, OSError):  # not on this platform: parse at normal priority
        pass


def _start_worker(parent_pid: int) -> None:
    worker_start(parent_pid)
    _lower_priority()


def _start_forked_worker(app_pid: int) -> None:
    """A worker forked by the fork server: its parent is that server, which outlives
    the app by as long as any worker lives, so the worker watches the app itself and
    ends the moment the app does (killed or not): no message stays in its memory."""
    no_crash_dumps()
    die_with_parent(os.getppid())
    _end_with(app_pid)
    _lower_priority()


def _end_with(pid: int) -> None:
    try:
        fd = os.pidfd_open(pid)  # readable once `pid` has ended (Linux 5.3)
    except ProcessLookupError:
        os._exit(0)  # the app has already ended
    except (AttributeError, OSError):
        fd = None

    def watch() -> None:
        if fd is not None:
            select.select([fd], [], [])
        else:  # no pidfd: ask every half second
            while _alive(pid):
                time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="end-with-app", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _context() -> tuple[multiprocessing.context.BaseContext, object]:
    """(how workers start, their initializer)."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([WARM_MODULE])  # read when the server first starts
        return ctx, _start_forked_worker
    return multiprocessing.get_context("spawn"), _start_worker


def parallel_for(expected: int, workers: int | None = None) -> bool:
    """Whether a pool for `expected` messages parses in worker processes."""
    return expected >= PARALLEL_FROM and (workers or os.cpu_count() or 1) > 1


def prestart() -> None:
    """Start the fork server now and return at once: its warm-up (~2.7 s of CPU: the
    imports, the rules, the models) then runs beside the caller's own start (its rules,
    the mail server's login) instead of after it, when the first batch waits for it.
    Nothing is started where workers are spawned (no fork server)."""
    ctx, _ = _context()
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


class RulesRef:
    """The clinic's rules as a worker should load them. A clinic without its own rules
    file has the shipped rules, which the fork server has compiled already; sending
    `Rules` itself would have each worker compile them again under the clinic's path
    (load_rules keys its cache by path). Rules not from load_rules travel whole; rules
    not compiled yet (RulesLater) stay so in the app's process."""

    def __init__(self, rules: Rules | RulesLater) -> None:
        if isinstance(rules, RulesLater) and not rules.compiled:
            # what load_rules(folder) gives, named by its folder: not compiled here
            self.rules, self.origin = None, rules.folder
            return
        rules = rules_now(rules)
        own = rules.origin
        loaded = own is not False and load_rules(own) is rules  # type: ignore[arg-type]
        self.rules = None if loaded else rules
        self.origin: Path | None = own if loaded else None  # type: ignore[assignment]

    def resolve(self) -> Rules:
        if self.rules is not None:
            return self.rules
        own = self.origin
        if own is not None and own.is_dir():
            own = own / "triage_rules.toml"
        # no file of its own: exactly the shipped rules (load_rules reads nothing else)
        return load_rules(own if own is not None and own.exists() else None)


def parse_batch(
    account: ImapAccount,
    uidvalidity: int,
    batch: list[Fetched],
    limits: mime.Limits,
    rules: Rules | RulesRef | None = None,
    checker: SenderChecker | None = None,
) -> list[Incoming]:
    """Parse, check senders, and triage too when `rules` are given (pure work: no store
    needed; the sender check's DNS answers are cached in each worker's own copy)."""
    from clinic_inbox.sources.email_sync import to_incoming

    out = [to_incoming(account, f, uidvalidity, limits, checker) for f in batch]
    if isinstance(rules, RulesRef):
        rules = rules.resolve()
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
        rules: Rules | RulesLater | None = None,
        workers: int | None = None,
        checker: SenderChecker | None = None,
    ) -> None:
        self.checker = checker
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None
        self.rules: RulesRef | None = None  # triage in the workers too
        if parallel_for(expected, self.workers):
            self.rules = RulesRef(rules) if rules is not None else None
            ctx, start = _context()
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=ctx,
                initializer=start,  # type: ignore[arg-type]
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
