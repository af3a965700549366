"""Presence beyond this workstation.

`services.mark_presence` records who has a conversation open in the local store; when
this workstation works with a shared server, its live sync registers here and hears
the same, and answers who has the conversation open on the other workstations. No
network and no Qt here: a registry keyed by the store file, so two clinics open in
one process (tests) never hear each other's people.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol


class Relay(Protocol):
    def set_presence(self, staff_id: int, thread_id: int | None, activity: str | None) -> None:
        """This person now has this conversation open, or none (None)."""

    def others_by_id(self, thread_id: int, staff_id: int | None) -> list[tuple[int | None, str]]:
        """(local staff id or None when not known here, activity) of the people with this
        conversation open on other workstations, except `staff_id`."""


_relays: dict[str, Relay] = {}
_lock = threading.Lock()


def _key(store_path: Path | str) -> str:
    return str(Path(store_path).resolve())


def register(store_path: Path | str, relay: Relay) -> None:
    with _lock:
        _relays[_key(store_path)] = relay


def unregister(store_path: Path | str, relay: Relay) -> None:
    with _lock:
        if _relays.get(_key(store_path)) is relay:
            del _relays[_key(store_path)]


def _relay(store_path: Path | str) -> Relay | None:
    with _lock:
        return _relays.get(_key(store_path))


def announce(
    store_path: Path | str, staff_id: int, thread_id: int | None, activity: str | None
) -> None:
    relay = _relay(store_path)
    if relay is not None:
        relay.set_presence(staff_id, thread_id, activity)


def remote_others(
    store_path: Path | str, thread_id: int, staff_id: int | None
) -> list[tuple[int | None, str]]:
    relay = _relay(store_path)
    return relay.others_by_id(thread_id, staff_id) if relay is not None else []
