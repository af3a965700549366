"""Tombstones of purged conversations, kept outside the store so that a purge also
reaches the copies made before it.

A retention purge removes a conversation's words from the store, but every backup
taken before the purge still holds them. The ledger lists what was purged (the
conversation's number and creation time, and when it was purged: no patient data),
in the data folder and beside the backups. Restoring a backup re-applies the purge
from it before the restored store is opened for use (core/backup.py).

Each entry carries an HMAC under the clinic's audit key: an entry written by anyone
else, or for another clinic, is ignored (a planted ledger must not delete anything).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path

from clinic_inbox.core.keys import write_private
from clinic_inbox.core.private_files import private_dir

LEDGER_FILE = "purged.json"
_DOMAIN = b"clinic-inbox purge tombstone v1\x00"


@dataclass(frozen=True)
class Tombstone:
    thread_id: int
    created_at: str  # the conversation's creation time: tells it from a reused number
    purged_at: str

    def mac(self, key: bytes) -> str:
        msg = _DOMAIN + f"{self.thread_id}|{self.created_at}|{self.purged_at}".encode()
        return hmac.new(key, msg, hashlib.sha256).hexdigest()


def _entries(path: Path) -> tuple[list[tuple[Tombstone, str]], int]:
    """(tombstone, its MAC) as written, unchecked, and how many were malformed."""
    if not path.is_file():
        return [], 0
    try:
        data = json.loads(path.read_text("utf-8"))
        raw = data["entries"] if isinstance(data, dict) else []
    except (ValueError, KeyError, OSError):
        return [], 1
    found, bad = [], 0
    for e in raw if isinstance(raw, list) else []:
        try:
            t = Tombstone(int(e["thread"]), str(e["created_at"]), str(e["purged_at"]))
            found.append((t, str(e.get("mac", ""))))
        except (KeyError, TypeError, ValueError):
            bad += 1
    return found, bad


def read(path: Path, key: bytes, only: set[int] | None = None) -> tuple[list[Tombstone], int]:
    """The ledger's genuine entries (of conversations in `only`, if given: checking a
    MAC costs more than the rest, and most tombstones are long applied), and how many
    were not genuine (wrong MAC, malformed)."""
    entries, bad = _entries(path)
    found = []
    for t, mac in entries:
        if only is not None and t.thread_id not in only:
            continue
        if hmac.compare_digest(t.mac(key), mac):
            found.append(t)
        else:
            bad += 1
    return found, bad


def thread_ids(paths: list[Path]) -> set[int]:
    """The conversations the ledgers name (unchecked: to choose which to check)."""
    return {t.thread_id for p in paths for t, _ in _entries(p)[0]}


def read_all(paths: list[Path], key: bytes, only: set[int] | None = None) -> list[Tombstone]:
    """Every genuine entry of the ledgers found at `paths` (in `only`), once each."""
    seen: dict[tuple[int, str], Tombstone] = {}
    for p in paths:
        for t in read(p, key, only)[0]:
            seen.setdefault((t.thread_id, t.created_at), t)
    return sorted(seen.values(), key=lambda t: (t.purged_at, t.thread_id))


def add(folders: list[Path], key: bytes, new: list[Tombstone]) -> list[Path]:
    """Add tombstones to the ledger in each folder (each keeps the union of what any
    of them knew). Written atomically and owner-only. Returns the files written."""
    files = [Path(f) / LEDGER_FILE for f in dict.fromkeys(folders)]
    entries = read_all(files, key)
    known = {(t.thread_id, t.created_at) for t in entries}
    entries += [t for t in new if (t.thread_id, t.created_at) not in known]
    body = json.dumps(
        {
            "about": "Conversations purged from the inbox (numbers only, no patient data). "
            "Restoring a backup purges them again.",
            "entries": [
                {
                    "thread": t.thread_id,
                    "created_at": t.created_at,
                    "purged_at": t.purged_at,
                    "mac": t.mac(key),
                }
                for t in entries
            ],
        },
        indent=1,
    ).encode("utf-8")
    written = []
    for f in files:
        private_dir(f.parent)
        write_private(f, body)
        written.append(f)
    return written
