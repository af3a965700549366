"""Running a slow step that needs no window (opening the clinic, putting a backup back)
on a worker thread while the event loop goes on.

Such steps may still need to ask the person something (the clinic's passphrase): the
question is carried to the GUI thread by a queued signal, asked there, and the answer
handed back to the worker, which waits for it. The worker never touches a widget.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QEventLoop, QObject, QTimer, Signal

T = TypeVar("T")
Ask = Callable[[str, bool], str]  # (prompt, confirm) -> passphrase, as core.keys asks


class _Asker(QObject):
    """Callable on the worker; asks `provider` on the GUI thread and returns its answer."""

    _question = Signal(str, bool)

    def __init__(self, provider: Ask) -> None:
        super().__init__()  # lives on the GUI thread, where it was made
        self._provider = provider
        self._answered = threading.Event()
        self._answer: tuple[str | None, BaseException | None] = (None, None)
        self._question.connect(self._ask_here)

    def _ask_here(self, prompt: str, confirm: bool) -> None:
        try:
            self._answer = (self._provider(prompt, confirm), None)
        except BaseException as exc:  # noqa: BLE001 - handed to the worker, raised there
            self._answer = (None, exc)
        self._answered.set()

    def __call__(self, prompt: str, confirm: bool) -> str:
        self._answered.clear()
        self._question.emit(prompt, confirm)  # queued: the receiver is on the GUI thread
        self._answered.wait()
        answer, error = self._answer
        if error is not None:
            raise error
        assert answer is not None
        return answer


def run_off_gui(step: Callable[[Ask], T], ask: Ask) -> T:
    """Run `step(ask_here)` on a worker thread and return its result (or raise its
    error) here; the event loop runs meanwhile, and `ask` runs on this thread."""
    asker = _Asker(ask)
    result: dict[str, object] = {}

    def work() -> None:
        try:
            result["value"] = step(asker)
        except BaseException as exc:  # noqa: BLE001 - raised again on the GUI thread
            result["error"] = exc

    worker = threading.Thread(target=work, name="clinic-inbox-opening", daemon=True)
    worker.start()
    loop, poll = QEventLoop(), QTimer()
    poll.setInterval(20)
    poll.timeout.connect(lambda: worker.is_alive() or loop.quit())
    poll.start()
    if worker.is_alive():
        loop.exec()
    poll.stop()
    worker.join()
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return result["value"]  # type: ignore[return-value]
