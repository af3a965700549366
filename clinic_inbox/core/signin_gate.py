"""Counting wrong passwords while the store is still closed.

With key slots (core.staff_keys) a wrong password opens nothing, so the store's own
failure count (core.signin) cannot be read or written. This gate, kept beside the
sign-in lock of core.signin and under that lock, slows down and locks guesses the
same way; the attempts it saw are written into the store's audit trail at the next
sign-in that opens it, then forgotten.

Deleting or rolling back the count must not buy more guesses, so it is kept twice:

- a file per name (`locks/gate-*.json`), authenticated with an HMAC under a key
  derived from the key slots' keyring secret (an edited or copied-in file without
  that key counts for nothing);
- a copy of every name's count in the keyring (`<store id>:signin-gate`).

Every change carries the next number of one counter for the whole clinic; of the two
copies of a name the newer one wins, so deleting or restoring either copy alone
changes nothing. Wiping or rolling back both is noticed at the next sign-in that
opens the store: the store remembers the counter it last saw (`gate_seq_seen`: a
random epoch drawn when the counter starts from nothing, and its value), and a counter
of another epoch, or one that went backwards, is written into the audit trail
(core.staff_keys). A rollback to a state newer than the last sign-in goes unseen.

What stays possible, and is said in the README: a program of the desktop user that
reads the keyring can rewrite both copies consistently (and could as well guess
offline against the key slots, which no counter limits).

It holds no patient data and no secret: names are hashed, the copies hold counts
and times only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from clinic_inbox.core import passwords
from clinic_inbox.core.keys import SERVICE, write_private

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one process only (README)
    fcntl = None  # type: ignore[assignment]

FOLDER = "locks"
SEQ_FILE = "gate-seq.json"
MAX_EVENTS = 200  # a flood of guesses must not grow the file without end
MAX_KEPT_NAMES = 1000  # nor the keyring copy (made-up names are counted too)
_MAC_LABEL = b"clinic-inbox sign-in gate v1"


@dataclass
class Gate:
    failures: int = 0
    locked_until: str | None = None
    # ("failed" | "locked" | "refused", ISO time): audited when the store next opens
    events: list[list[str]] = field(default_factory=list)
    seq: int = -1  # the clinic counter's value when this name last changed


def _digest(store_id: str, name: str) -> str:
    return hashlib.sha256(f"{store_id}\0{name}".encode()).hexdigest()[:32]


def _entry(store_id: str) -> str:
    return f"{store_id}:signin-gate"


# -- the keyring's half -------------------------------------------------------------
def _mac_key(backend: Any | None, store_id: str) -> bytes | None:
    """From the key slots' secret (core.keyslots), which only the keyring holds."""
    if backend is None:
        return None
    try:
        found = backend.get_password(SERVICE, f"{store_id}:slot-secret")
    except Exception:  # noqa: BLE001 - keyring gone: the files alone, unauthenticated
        return None
    return hmac.new(bytes.fromhex(found), _MAC_LABEL, hashlib.sha256).digest() if found else None


def _mac(key: bytes, what: str, data: dict[str, Any]) -> str:
    text = what + "\0" + json.dumps(data, sort_keys=True)
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _load_kept(backend: Any | None, store_id: str) -> dict[str, Any]:
    empty: dict[str, Any] = {"epoch": "", "seq": -1, "names": {}}
    if backend is None:
        return empty
    try:
        text = backend.get_password(SERVICE, _entry(store_id))
        data = json.loads(text) if text else empty
        return {
            "epoch": str(data.get("epoch", "")),
            "seq": int(data["seq"]),
            "names": dict(data["names"]),
        }
    except Exception:  # noqa: BLE001 - keyring gone or entry damaged: the files decide
        return empty


def _save_kept(backend: Any | None, store_id: str, data: dict[str, Any]) -> None:
    if backend is None:
        return
    names = data["names"]
    if len(names) > MAX_KEPT_NAMES:  # the oldest changes go first
        for digest in sorted(names, key=lambda d: names[d]["seq"])[: len(names) - MAX_KEPT_NAMES]:
            del names[digest]
    try:
        backend.set_password(SERVICE, _entry(store_id), json.dumps(data, sort_keys=True))
    except Exception:  # noqa: BLE001, S110 - the file copy still counts; sign-in needs the keyring anyway
        pass


# -- the files' half ----------------------------------------------------------------
def _read_file(path: Path, what: str, key: bytes | None) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    mac = data.pop("mac", None)
    if key is not None and (
        not isinstance(mac, str) or not hmac.compare_digest(mac, _mac(key, what, data))
    ):
        return None  # edited, or copied from elsewhere: counts for nothing
    return data


def _write_file(path: Path, what: str, key: bytes | None, data: dict[str, Any]) -> None:
    path.parent.mkdir(mode=0o700, exist_ok=True)
    body = dict(data)
    if key is not None:
        body["mac"] = _mac(key, what, data)
    write_private(path, json.dumps(body).encode("utf-8"))


def _gate_from(data: dict[str, Any] | None) -> Gate | None:
    if data is None:
        return None
    try:
        return Gate(
            int(data["failures"]),
            data.get("locked_until"),
            [list(e) for e in data.get("events", [])],
            int(data.get("seq", -1)),
        )
    except (KeyError, TypeError, ValueError):
        return None


@contextmanager
def _clinic_lock(home: Path, store_id: str) -> Iterator[None]:
    """The counter and the keyring copy are the whole clinic's: one writer at a time
    (core.signin serialises per name only)."""
    folder = Path(home) / FOLDER
    folder.mkdir(mode=0o700, exist_ok=True)
    if fcntl is None:  # pragma: no cover
        yield
        return
    fd = os.open(folder / f"gate-{_digest(store_id, '')}.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


# -- reading and writing ------------------------------------------------------------
def read(home: Path, store_id: str, name: str, backend: Any | None = None) -> Gate:
    return _read_digest(home, store_id, _digest(store_id, name), backend)


def _read_digest(home: Path, store_id: str, digest: str, backend: Any | None) -> Gate:
    key = _mac_key(backend, store_id)
    in_file = _gate_from(_read_file(Path(home) / FOLDER / f"gate-{digest}.json", digest, key))
    kept = _gate_from(_load_kept(backend, store_id)["names"].get(digest))
    found = [g for g in (in_file, kept) if g is not None]
    if not found:
        return Gate()
    newest = max(found, key=lambda g: g.seq)
    if in_file is not None and newest is not in_file:
        newest.events = in_file.events  # the keyring copy holds counts, not the history
    return newest


def high_water(home: Path, store_id: str, backend: Any | None = None) -> tuple[str, int]:
    """The clinic counter: (its epoch, its value). The value only moves forward; the
    epoch is drawn afresh only when both copies are gone, so a wiped gate shows."""
    key = _mac_key(backend, store_id)
    in_file = _read_file(Path(home) / FOLDER / SEQ_FILE, store_id, key) or {}
    kept = _load_kept(backend, store_id)
    found = [
        (str(c["epoch"]), int(c["seq"]))
        for c in (in_file, kept)
        if c.get("epoch") and int(c.get("seq", -1)) >= 0
    ]
    if not found:
        return "", -1
    return max(found, key=lambda c: c[1])


def _write(home: Path, store_id: str, name: str, gate: Gate, backend: Any | None) -> None:
    _write_digest(home, store_id, _digest(store_id, name), gate, backend)


def _write_digest(home: Path, store_id: str, digest: str, gate: Gate, backend: Any | None) -> None:
    key = _mac_key(backend, store_id)
    path = Path(home) / FOLDER / f"gate-{digest}.json"
    with _clinic_lock(home, store_id):
        kept = _load_kept(backend, store_id)
        epoch, seq = high_water(home, store_id, backend)
        epoch = epoch or uuid.uuid4().hex
        gate.seq = seq + 1
        gate.events = gate.events[-MAX_EVENTS:]
        record = {"failures": gate.failures, "locked_until": gate.locked_until, "seq": gate.seq}
        _write_file(path, digest, key, record | {"events": gate.events})
        counter = {"epoch": epoch, "seq": gate.seq}
        _write_file(Path(home) / FOLDER / SEQ_FILE, store_id, key, counter)
        kept.update(counter)
        if gate.failures or gate.locked_until:
            kept["names"][digest] = record
        else:
            kept["names"].pop(digest, None)  # the file's cleared record is the newer one
        _save_kept(backend, store_id, kept)


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds")


def charge(
    home: Path, store_id: str, name: str, now: datetime, backend: Any | None = None
) -> tuple[int, str | None]:
    """Count this attempt as failed before the password is tried (a killed process still
    pays). Returns the failures before it, or the end of a running lock (then nothing is
    tried)."""
    gate = read(home, store_id, name, backend)
    if gate.locked_until is not None and gate.locked_until > _iso(now):
        gate.events.append(["refused", _iso(now)])
        _write(home, store_id, name, gate, backend)
        return gate.failures, gate.locked_until
    before = 0 if gate.locked_until is not None else gate.failures  # a lock that ran out
    gate.failures, gate.locked_until = before + 1, None
    gate.events.append(["failed", _iso(now)])
    _write(home, store_id, name, gate, backend)
    return before, None


def failed(
    home: Path, store_id: str, name: str, now: datetime, backend: Any | None = None
) -> str | None:
    """After a wrong password (already counted): lock once too many. The lock's end."""
    gate = read(home, store_id, name, backend)
    if gate.failures < passwords.LOCK_AFTER:
        return None
    gate.locked_until = _iso(now + passwords.LOCK_FOR)
    gate.events.append(["locked", _iso(now)])
    _write(home, store_id, name, gate, backend)
    return gate.locked_until


def succeeded(home: Path, store_id: str, name: str, backend: Any | None = None) -> list[list[str]]:
    """The password opened the store: the charge of this attempt is taken back; returns
    the earlier attempts, to be audited now that the store is open."""
    gate = read(home, store_id, name, backend)
    events = gate.events[:-1] if gate.events and gate.events[-1][0] == "failed" else gate.events
    clear(home, store_id, name, backend)
    return events


def clear(home: Path, store_id: str, name: str, backend: Any | None = None) -> None:
    """An administrator unlocked the name (core.signin.unlock), or it signed in. A cleared
    record is written, not a file removed: it must be newer than any copy put back."""
    _write(home, store_id, name, Gate(), backend)


# -- the store's copy ---------------------------------------------------------------
# A clinic without a keyring has no second copy and no key to authenticate the files:
# deleting them would reset every count. The store keeps a copy of every name's count
# each time someone opens it (core.staff_keys.keep_gate_copy); the next open puts back
# any count the files lost. It cannot see what happens between two opens (said in the
# README), but guesses bought by deleting the files do not outlive the next sign-in.
def name_digest(store_id: str, name: str) -> str:
    return _digest(store_id, name)


def snapshot(home: Path, store_id: str, backend: Any | None = None) -> dict[str, Any]:
    """The clinic counter and every name with failures or a lock, as the gate holds them."""
    epoch, seq = high_water(home, store_id, backend)
    found = {
        p.name[len("gate-") : -len(".json")] for p in (Path(home) / FOLDER).glob("gate-*.json")
    }
    found.discard(SEQ_FILE[len("gate-") : -len(".json")])
    found |= set(_load_kept(backend, store_id)["names"])
    names = {}
    for digest in sorted(found):
        gate = _read_digest(home, store_id, digest, backend)
        if gate.failures or gate.locked_until:
            names[digest] = {
                "failures": gate.failures,
                "locked_until": gate.locked_until,
                "seq": gate.seq,
            }
    return {"epoch": epoch, "seq": seq, "names": names}


def put_back(
    home: Path,
    store_id: str,
    copy: dict[str, Any],
    backend: Any | None = None,
    *,
    skip: str | None = None,
) -> list[str]:
    """Each name whose count the gate holds now is lower than the store's copy (its file
    deleted, or an older one copied back) gets the higher count again. Within one run of
    the clinic counter a newer record wins (a count cleared by a sign-in stays cleared);
    once the counter itself was wiped, the higher count wins. `skip` is the name that has
    just proved its password (its count is rightly cleared). Returns the digests put back."""
    epoch_now, _ = high_water(home, store_id, backend)
    restored = []
    for digest, rec in sorted(dict(copy.get("names") or {}).items()):
        kept = _gate_from(rec)
        if kept is None or digest == skip:
            continue
        now = _read_digest(home, store_id, digest, backend)
        same_run = bool(epoch_now) and epoch_now == copy.get("epoch")
        if same_run and now.seq >= kept.seq:
            continue
        lock = max(now.locked_until or "", kept.locked_until or "") or None
        if now.failures >= kept.failures and (now.locked_until or None) == lock:
            continue
        merged = Gate(max(now.failures, kept.failures), lock, now.events)
        _write_digest(home, store_id, digest, merged, backend)
        restored.append(digest)
    return restored
