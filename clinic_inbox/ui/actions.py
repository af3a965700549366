"""Running the app's actions off the GUI thread: one writer, its own store connection.

Every action a person takes (assign, status, reply, file to chart, sign-in's password
check...) is a function from `core.app_actions`. `ActionRunner.submit` queues it for
the one writer thread, which runs it on a connection of its own; the answer comes
back to the GUI thread by a queued signal, where the caller's `done` or `failed`
runs and the action's `Changes` are broadcast on `changed`. The writer never touches
a widget, and the window never waits for it (nor for the sync's writes behind it).

Tests use `InlineRunner`: the same interface, run at once on the calling thread.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal

from clinic_inbox.core import services
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.changes import Outcome
from clinic_inbox.core.home import Clinic
from clinic_inbox.shared import SharedQueueError

log = logging.getLogger(__name__)

# what a person can act on: the service's own sentence says what to do (a shared-server
# problem is written for the desk too: which server, what happened, that nothing was lost)
PLAIN = (AccessDenied, services.NotFound, services.AuthError, ValueError, SharedQueueError)


def plain_error(exc: BaseException) -> str:
    """The words a receptionist sees for a failed action (never a traceback)."""
    if isinstance(exc, PLAIN):
        return str(exc)
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        return (
            f"The folder could not be written{where}: {exc.strerror or 'unknown reason'}. "
            "Nothing was filed; check the folder and try again."
        )
    return (
        "This could not be done just now: the clinic's messages file was busy or could "
        "not be read. Nothing was changed; please try again, and call IT support if it "
        "keeps happening."
    )


Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]
# what the window wants read right after an action, on the action's own connection
ReadAfter = Callable[[Clinic, frozenset[int]], Any]
READ_AFTER_AT_MOST = 8  # a person's action names one card or a few; a batch is read apart


@dataclass
class Job:
    name: str
    fn: Callable[..., Outcome]
    args: tuple
    kwargs: dict
    done: Done | None = None
    failed: Failed | None = None
    owner: QObject | None = None  # callbacks are dropped once it is deleted
    finished: bool = False
    value: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.finished and self.error is None


class Runner(QObject):
    """What the screens submit actions to: `ActionRunner` in the app, `InlineRunner` in tests."""

    changed = Signal(object)  # Changes, after every action that changed something
    # an administrator disabled the person or reset their password meanwhile
    session_ended = Signal(object)
    # Set by the window: the cards an action named, read by the worker right after the
    # action and delivered with its answer (in `fresh` while `changed` is emitted), so a
    # repaint is one hop between threads instead of two (answer here, then a read).
    read_after: ReadAfter | None = None
    fresh: Any = None

    def _read_after(self, clinic: Clinic, outcome: Outcome | None) -> Any:
        """On the worker, after an action: `read_after` of the few cards it changed."""
        ch, read = getattr(outcome, "changes", None), self.read_after
        if read is None or not ch or not ch.threads or ch.whole_board:
            return None
        if len(ch.threads) > READ_AFTER_AT_MOST:
            return None
        try:
            return read(clinic, ch.threads)
        except Exception as exc:  # noqa: BLE001 - the window then reads them itself
            log.info("cards not read after the action: %s", type(exc).__name__)
            return None

    def submit(
        self,
        fn: Callable[..., Outcome],
        *args: Any,
        done: Done | None = None,
        failed: Failed | None = None,
        owner: QObject | None = None,
        **kwargs: Any,
    ) -> Job:
        job = Job(getattr(fn, "__name__", "action"), fn, args, kwargs, done, failed, owner)
        self._start(job)
        return job

    def _start(self, job: Job) -> None:
        raise NotImplementedError

    @property
    def network(self) -> Runner:
        """Where an action that waits on a server runs (the Filed-folder move): apart
        from the writer, so the next assign or reply never queues behind a slow server."""
        raise NotImplementedError

    def _deliver(
        self,
        job: Job,
        outcome: Outcome | None,
        error: BaseException | None,
        fresh: Any = None,
    ) -> None:
        """On the GUI thread: the views hear what changed first (so the caller's answer
        can select a card where it now is), then the caller's `done` or `failed`."""
        job.finished, job.error = True, error
        job.value = outcome.value if outcome is not None else None
        changes = outcome.changes if outcome is not None else None
        if changes:
            self.fresh = fresh
            try:
                self.changed.emit(changes)
            finally:
                self.fresh = None
        alive = job.owner is None or shiboken6.isValid(job.owner)
        if error is not None:
            # names only: an exception's words may quote patient data
            log_at = logging.INFO if isinstance(error, PLAIN) else logging.WARNING
            log.log(log_at, "action %s failed: %s", job.name, type(error).__name__)
            if alive and job.failed is not None:
                job.failed(error)  # a dialog waiting on its answer stops waiting
            if isinstance(error, services.SessionEnded):
                self.session_ended.emit(error)
        elif alive and job.done is not None:
            job.done(job.value)
        if error is None and outcome is not None and outcome.later is not None:
            # after the answer is painted; a failure there is said where the action's was
            self.submit(outcome.later, failed=job.failed, owner=job.owner)


class InlineRunner(Runner):
    """Runs each action at once, on the caller's thread and connection (tests)."""

    def __init__(self, clinic: Clinic, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic

    def _start(self, job: Job) -> None:
        try:
            outcome = job.fn(self.clinic, *job.args, **job.kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure reaches the person
            self._deliver(job, None, exc)
        else:
            self._deliver(job, outcome, None, self._read_after(self.clinic, outcome))

    @property
    def idle(self) -> bool:
        return True

    @property
    def network(self) -> Runner:
        return self  # tests: at once, like everything else

    def stop(self) -> None:
        pass


class ActionRunner(Runner):
    """One writer thread, one store connection, actions in the order they were asked."""

    _answer = Signal(object, object, object, object)  # job, Outcome, error, fresh cards

    def __init__(
        self, clinic: Clinic, parent: QObject | None = None, *, name: str = "writer"
    ) -> None:
        super().__init__(parent)
        self._parent_clinic = clinic
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._pending = 0
        self._network: ActionRunner | None = None
        # emitted on the writer, received here on the GUI thread (a queued connection)
        self._answer.connect(self._arrived)
        self._thread = threading.Thread(target=self._work, name=f"clinic-inbox-{name}", daemon=True)
        self._thread.start()

    @property
    def idle(self) -> bool:
        """Nothing queued, running or waiting to be delivered."""
        return self._pending == 0 and (self._network is None or self._network.idle)

    @property
    def network(self) -> Runner:
        """A second worker with its own connection, started when first asked for. What
        runs there reads, talks to a server and records a line or two; the actions'
        writes stay on this runner."""
        if self._network is None:
            self._network = ActionRunner(self._parent_clinic, self, name="network")
            # what it changes reaches the views as the writer's changes do
            self._network.changed.connect(self.changed)
            self._network.session_ended.connect(self.session_ended)
        return self._network

    def _start(self, job: Job) -> None:
        self._pending += 1
        self._jobs.put(job)

    def _arrived(
        self, job: Job, outcome: Outcome | None, error: BaseException | None, fresh: Any
    ) -> None:
        self._pending -= 1
        self._deliver(job, outcome, error, fresh)

    def _work(self) -> None:
        try:
            clinic = self._parent_clinic.clone()  # its own connection: the GUI's stays free
        except Exception as exc:  # noqa: BLE001 - then every action says so
            while (job := self._jobs.get()) is not None:
                self._answer.emit(job, None, exc, None)
            return
        try:
            while (job := self._jobs.get()) is not None:
                try:
                    outcome = job.fn(clinic, *job.args, **job.kwargs)
                except Exception as exc:  # noqa: BLE001 - every failure reaches the person
                    self._answer.emit(job, None, exc, None)
                else:
                    self._answer.emit(job, outcome, None, self._read_after(clinic, outcome))
        finally:
            clinic.close()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish what was asked, then close the writer's connection."""
        if self._network is not None:
            self._network.stop(min(timeout, 5.0))  # a move left unmade waits in the store
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join(timeout)
