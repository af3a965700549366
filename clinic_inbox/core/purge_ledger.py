"""Tombstones of purged conversations, kept outside the store so that a purge also
reaches the copies made before it.

A retention purge removes a conversation's words from the store, but every backup
taken before the purge still holds them. The ledger lists what was purged (the
conversation's number and creation time, and when it was purged: no patient data),
in the data folder and beside the backups. Restoring a backup re-applies the purge
from it before the restored store is opened for use (core/backup.py).

Each entry carries an HMAC under the clinic's audit key: an entry written by anyone
else, or for another clinic, is ignored (a planted ledger must not delete anything).

Each file also carries a signed stamp: when it was written ("as of") and whether it
is the clinic's live ledger (written in the data folder, beside the store) or a copy
beside backups. A copy only knows the purges made before it was written: a backup
copied off site with its folder, then restored elsewhere, cannot learn of a later
purge from it. So restoring a backup of a clinic that purges needs a live ledger
written after the backup was made (the data folder's `purged.json`, brought along),
or an administrator's word that this backup is the only copy left (core/backup.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from clinic_inbox.core.keys import write_private
from clinic_inbox.core.private_files import private_dir

LEDGER_FILE = "purged.json"
_DOMAIN = b"clinic-inbox purge tombstone v1\x00"
_STAMP_DOMAIN = b"clinic-inbox purge ledger stamp v1\x00"
# a purge and a scheduled backup may both rewrite the data folder's list: one at a time,
# or the one that read first would write back a list without the other's tombstones
_WRITING = threading.Lock()


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


@dataclass(frozen=True)
class Stamp:
    as_of: str  # every purge up to this time is in the file
    live: bool  # the data folder's own ledger (beside the store), not a copy


def _stamp_mac(key: bytes, as_of: str, live: bool, macs: list[str]) -> str:
    msg = _STAMP_DOMAIN + f"{as_of}|{int(live)}|{','.join(macs)}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def read_stamp(path: Path, key: bytes) -> Stamp | None:
    """The file's stamp, if it is genuine (signed with this clinic's key, over these
    very entries); None for a missing, older-format, altered or foreign file."""
    try:
        data = json.loads(path.read_text("utf-8"))
        as_of, live, mac = str(data["as_of"]), bool(data["live"]), str(data["stamp_mac"])
        macs = [str(e.get("mac", "")) for e in data["entries"]]
        datetime.fromisoformat(as_of)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not hmac.compare_digest(_stamp_mac(key, as_of, live, macs), mac):
        return None
    return Stamp(as_of, live)


def live_as_of(paths: list[Path], key: bytes) -> datetime | None:
    """The latest time up to which a genuine live ledger among `paths` knows every
    purge (None: no live ledger among them)."""
    times = [
        datetime.fromisoformat(s.as_of)
        for s in (read_stamp(p, key) for p in paths)
        if s is not None and s.live
    ]
    return max(times, default=None)


def add(
    folders: list[Path], key: bytes, new: list[Tombstone], *, as_of: str | None = None
) -> list[Path]:
    """Add tombstones to the ledger in each folder (each keeps the union of what any
    of them knew), stamped "as of" now (or `as_of`): a file beside the store is the
    live ledger, any other a copy. Written atomically and owner-only. Returns the
    files written."""
    with _WRITING:
        return _add(folders, key, new, as_of)


def _add(folders: list[Path], key: bytes, new: list[Tombstone], as_of: str | None) -> list[Path]:
    from clinic_inbox.core.home import STORE_FILE

    files = [Path(f) / LEDGER_FILE for f in dict.fromkeys(folders)]
    entries = read_all(files, key)
    known = {(t.thread_id, t.created_at) for t in entries}
    entries += [t for t in new if (t.thread_id, t.created_at) not in known]
    stamp = as_of or datetime.now(UTC).isoformat(timespec="seconds")
    rows = [
        {
            "thread": t.thread_id,
            "created_at": t.created_at,
            "purged_at": t.purged_at,
            "mac": t.mac(key),
        }
        for t in entries
    ]
    written = []
    for f in files:
        live = (f.parent / STORE_FILE).exists()
        body = json.dumps(
            {
                "about": "Conversations purged from the inbox (numbers only, no patient "
                "data). Restoring a backup purges them again.",
                "as_of": stamp,
                "live": live,
                "stamp_mac": _stamp_mac(key, stamp, live, [r["mac"] for r in rows]),
                "entries": rows,
            },
            indent=1,
        ).encode("utf-8")
        private_dir(f.parent)
        write_private(f, body)
        written.append(f)
    return written
