"""Read ahead: the next page is fetched from the network while this one is stored."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_END = object()


def read_ahead(pages: Iterable[T], depth: int = 1) -> Iterator[T]:
    """Yield what `pages` yields, with up to `depth` items fetched ahead on a thread.
    Errors reach the consumer where they happened; leaving early stops the reader."""
    box: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def reader() -> None:
        try:
            for item in pages:
                while not stop.is_set():
                    try:
                        box.put((item, None), timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            box.put((_END, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            box.put((_END, exc))

    thread = threading.Thread(target=reader, name="read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item, error = box.get()
            if error is not None:
                raise error
            if item is _END:
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # let the reader see the stop, then wait for it
            try:
                box.get_nowait()
            except queue.Empty:
                pass
            thread.join(0.05)
