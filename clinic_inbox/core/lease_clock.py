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
from datetime import UTC, datetime
from pathlib import Path

_NAME = "ingest-lease.json"


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


def _read(store_path: Path | str) -> dict:
    try:
        data = json.loads(_file(store_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def until(store_path: Path | str) -> datetime | None:
    at = _read(store_path).get("until")
    try:
        when = datetime.fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        return None
    if when is None:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def seconds(store_path: Path | str) -> int | None:
    value = _read(store_path).get("seconds")
    return value if isinstance(value, int) and value > 0 else None
