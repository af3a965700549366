"""Counting wrong passwords while the store is still closed.

With key slots (core.staff_keys) a wrong password opens nothing, so the store's own
failure count (core.signin) cannot be read or written. This file-per-name count,
kept beside the sign-in lock of core.signin and under that lock, slows down and
locks guesses the same way; the attempts it saw are written into the store's audit
trail at the next sign-in that opens it, then forgotten.

It holds no patient data and no secret: names are hashed in its file name, the file
holds counts and times only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from clinic_inbox.core import passwords
from clinic_inbox.core.keys import write_private

FOLDER = "locks"
MAX_EVENTS = 200  # a flood of guesses must not grow the file without end


@dataclass
class Gate:
    failures: int = 0
    locked_until: str | None = None
    # ("failed" | "locked" | "refused", ISO time): audited when the store next opens
    events: list[list[str]] = field(default_factory=list)


def _path(home: Path, store_id: str, name: str) -> Path:
    digest = hashlib.sha256(f"{store_id}\0{name}".encode()).hexdigest()[:32]
    return Path(home) / FOLDER / f"gate-{digest}.json"


def read(home: Path, store_id: str, name: str) -> Gate:
    try:
        data = json.loads(_path(home, store_id, name).read_text("utf-8"))
        return Gate(int(data["failures"]), data.get("locked_until"), list(data["events"]))
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return Gate()


def _write(home: Path, store_id: str, name: str, gate: Gate) -> None:
    path = _path(home, store_id, name)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    gate.events = gate.events[-MAX_EVENTS:]
    data = {"failures": gate.failures, "locked_until": gate.locked_until, "events": gate.events}
    write_private(path, json.dumps(data).encode("utf-8"))


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds")


def charge(home: Path, store_id: str, name: str, now: datetime) -> tuple[int, str | None]:
    """Count this attempt as failed before the password is tried (a killed process still
    pays). Returns the failures before it, or the end of a running lock (then nothing is
    tried)."""
    gate = read(home, store_id, name)
    if gate.locked_until is not None and gate.locked_until > _iso(now):
        gate.events.append(["refused", _iso(now)])
        _write(home, store_id, name, gate)
        return gate.failures, gate.locked_until
    before = 0 if gate.locked_until is not None else gate.failures  # a lock that ran out
    gate.failures, gate.locked_until = before + 1, None
    gate.events.append(["failed", _iso(now)])
    _write(home, store_id, name, gate)
    return before, None


def failed(home: Path, store_id: str, name: str, now: datetime) -> str | None:
    """After a wrong password (already counted): lock once too many. The lock's end."""
    gate = read(home, store_id, name)
    if gate.failures < passwords.LOCK_AFTER:
        return None
    gate.locked_until = _iso(now + passwords.LOCK_FOR)
    gate.events.append(["locked", _iso(now)])
    _write(home, store_id, name, gate)
    return gate.locked_until


def succeeded(home: Path, store_id: str, name: str) -> list[list[str]]:
    """The password opened the store: the charge of this attempt is taken back; returns
    the earlier attempts, to be audited now that the store is open."""
    gate = read(home, store_id, name)
    events = gate.events[:-1] if gate.events and gate.events[-1][0] == "failed" else gate.events
    clear(home, store_id, name)
    return events


def clear(home: Path, store_id: str, name: str) -> None:
    """An administrator unlocked the name (core.signin.unlock), or it signed in."""
    _path(home, store_id, name).unlink(missing_ok=True)
