"""Until when this workstation's ingest lease runs, by its own clock.

The shared queue's live sync records it each time it takes or renews the lease (and
clears it when the lease is lost); the outbox reads it, in whichever process sends
(core.send_claims.unclaimed_wait). Kept in a small file beside the store, not in the
store: the live sync renews every few seconds and must never wait for the store's write
lock behind a long mail batch (the lease would run out while it waited). It holds two
numbers, no patient data.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_NAME = "ingest-lease.json"
# The ingest lease's length (shared.ingest_lease takes it from here: core imports no
# shared code, and the outbox needs the same figure when nothing was recorded).
DEFAULT_SECONDS = 30


def _file(store_path: Path | str) -> Path:
    return Path(store_path).resolve().with_name(_NAME)


def remember(store_path: Path | str, until: datetime | None, seconds: int) -> None:
    """The lease taken or renewed (it runs `until`, counted from before the server was
    asked), or lost or refused (None). Written whole, then renamed into place."""
    path = _file(store_path)
    tmp = path.with_name(path.name + ".tmp")
    data = {"until": until.isoformat() if until is not None else None, "seconds": int(seconds)}
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, path)


@dataclass(frozen=True)
class Lease:
    until: datetime | None  # None: not held now (or never recorded)
    seconds: int  # the lease's length; DEFAULT_SECONDS when none was recorded


def read(store_path: Path | str) -> Lease:
    """What the live sync last recorded, read once; a missing or damaged file reads as
    not held, with the default length."""
    try:
        data = json.loads(_file(store_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    at, length = data.get("until"), data.get("seconds")
    try:
        when = datetime.fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        when = None
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if not (isinstance(length, int) and length > 0):
        length = DEFAULT_SECONDS
    return Lease(when, length)
