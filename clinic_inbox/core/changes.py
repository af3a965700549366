"""What a writing action (or a sync pass) changed, so each view refreshes only that.

The app's board, the open conversation and the counters listen for one `Changes`
value instead of reloading everything after every click. Bursts (a sync storing
hundreds of messages, later the shared queue's remote changes) are merged with `|`.
No Qt here: the CLI, the sync and the shared queue report the same value.

Every writing service says what it changed with `note(store, changes)` beside its
write; the value counts once the store's transaction commits (a rolled-back write
changed nothing). A caller that wants it runs the service under `recording()` (or
`run`), so the services keep their own return values for the CLI and the tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar


@dataclass(frozen=True)
class Changes:
    # conversations whose card or contents changed (status, assignee, new message, note...)
    threads: frozenset[int] = field(default_factory=frozenset)
    # messages added to a conversation (new mail, a reply or message written, a pulled
    # one): their conversations are in `threads` too; an open conversation can show the
    # new lines without reading the whole of it again
    messages: frozenset[int] = field(default_factory=frozenset)
    # conversations whose "who else has it open" line changed
    presence: frozenset[int] = field(default_factory=frozenset)
    outbox: bool = False  # the number of replies waiting to be sent may have changed
    staff: bool = False  # people added, disabled, renamed: the team list and filters
    # who may read what changed (a delegation granted or revoked, break-glass): every
    # card's access decision may differ, so the board is read again in full
    access: bool = False

    @classmethod
    def of(
        cls, *thread_ids: int | None, outbox: bool = False, messages: Iterable[int] = ()
    ) -> Changes:
        return cls(
            threads=frozenset(t for t in thread_ids if t is not None),
            messages=frozenset(messages),
            outbox=outbox,
        )

    @classmethod
    def of_threads(cls, thread_ids: Iterable[int], *, outbox: bool = False) -> Changes:
        return cls(threads=frozenset(thread_ids), outbox=outbox)

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            threads=self.threads | other.threads,
            messages=self.messages | other.messages,
            presence=self.presence | other.presence,
            outbox=self.outbox or other.outbox,
            staff=self.staff or other.staff,
            access=self.access or other.access,
        )

    def __bool__(self) -> bool:
        return bool(
            self.threads
            or self.messages
            or self.presence
            or self.outbox
            or self.staff
            or self.access
        )

    @property
    def whole_board(self) -> bool:
        """True when the change reaches every card (reload the board, not a few cards)."""
        return self.access or self.staff


NOTHING = Changes()


@dataclass(frozen=True)
class Outcome:
    """What an action returns to the app: its answer and what it changed."""

    value: object = None
    changes: Changes = NOTHING
    # slow work that need not hold up the answer (filing on done renders PDF, FHIR and
    # HL7): the app runs it as a job of its own once the answer is on screen
    later: Callable[..., Outcome] | None = None


class _Committing(Protocol):
    def after_commit(self, fn: Callable[[], None]) -> None: ...


class Recorder:
    """What the services run under one `recording()` changed, merged."""

    def __init__(self) -> None:
        self.changes: Changes = NOTHING

    def add(self, changes: Changes) -> None:
        self.changes = self.changes | changes


# per thread (each thread starts with its own context): the app's writer, the sync and
# the CLI never hear each other's changes
_recorder: ContextVar[Recorder | None] = ContextVar("clinic_inbox_changes", default=None)


def note(store: _Committing, changes: Changes) -> None:
    """A writing service's report of what it changed, heard by the caller's recording
    when the store's transaction commits (at once outside a transaction)."""
    rec = _recorder.get()
    if rec is not None and changes:
        store.after_commit(lambda: rec.add(changes))


@contextmanager
def recording() -> Iterator[Recorder]:
    """Collect what the services run inside changed; an enclosing recording hears it too."""
    outer = _recorder.get()
    rec = Recorder()
    token = _recorder.set(rec)
    try:
        yield rec
    finally:
        _recorder.reset(token)
        if outer is not None:
            outer.add(rec.changes)


T = TypeVar("T")


def run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T, Changes]:
    """`fn(*args, **kwargs)`'s own answer and what it changed."""
    with recording() as rec:
        value = fn(*args, **kwargs)
    return value, rec.changes
