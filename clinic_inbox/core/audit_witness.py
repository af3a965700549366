"""The audit counter kept on this computer, apart from the store.

After every transaction that appended audit entries, the store's head (epoch,
count, MAC of the last entry) is written, authenticated, to a small file in the
platform's state folder (not the clinic's data folder, so copying a data folder
back does not roll it back) and to the keyring beside the store key. It only
moves forward along the store's own history: if the store stops being a
continuation of what was witnessed (an older copy put back, a rewritten chain),
the witness keeps what it saw and marks the divergence; `audit verify` reports it.
"""

from __future__ import annotations

import json
import logging
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from clinic_inbox.core.audit_anchor import (
    AnchorRecord,
    anchor_key,
    compare,
    make_record,
    place_of,
)
from clinic_inbox.core.keys import SERVICE
from clinic_inbox.core.store.connection import Store

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one process at a time
    fcntl = None  # type: ignore[assignment]

STATE_ENV = "CLINIC_INBOX_STATE_DIR"
KEYRING_EVERY = 2.0  # seconds: the keyring copy may trail the file by this much
log = logging.getLogger(__name__)


def _write_quick(path: Path, data: bytes) -> None:
    """Overwrite an owner-only file in place, without fsync, under the caller's lock:
    it runs after every audited commit (a rename cost 2.5 ms here, this 0.1 ms). A
    counter lost or torn by a power cut only lags the store (the safe side; the
    keyring copy and the off-site anchors remain), and reads as absent."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        os.write(fd, data.ljust(1024))  # same length every time: no stale tail
        os.ftruncate(fd, max(len(data), 1024))
    finally:
        os.close(fd)


def state_folder() -> Path:
    env = os.environ.get(STATE_ENV)
    if env:
        return Path(env).expanduser()
    return platformdirs.user_state_path("clinic-inbox", appauthor=False)


@dataclass(frozen=True)
class Witnessed:
    where: str  # in plain words
    record: AnchorRecord | None
    diverged: dict[str, Any] | None = None


class LocalWitness:
    def __init__(
        self,
        store_id: str,
        home: Path,
        audit_key: bytes,
        backend: Any | None = None,
        folder: Path | None = None,
    ) -> None:
        self.store_id = store_id
        self.place = place_of(home)
        self._key = anchor_key(audit_key)
        self._audit_key = audit_key
        self._backend = backend
        self.folder = Path(folder) if folder else state_folder()
        self._keyring_at = 0.0
        self._keyring_seen: AnchorRecord | None | bool = None  # False: read, absent
        self._pending: AnchorRecord | None = None

    @property
    def path(self) -> Path:
        return self.folder / f"audit-{self.store_id}-{self.place}.json"

    @property
    def _keyring_name(self) -> str:
        return f"{self.store_id}:audit-counter:{self.place}"

    @contextmanager
    def _locked(self):  # noqa: ANN202
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(
            self.folder / f".audit-{self.store_id}-{self.place}.lock", os.O_CREAT | os.O_RDWR, 0o600
        )
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    # -- reading ---------------------------------------------------------------
    def _read_file(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return None
        except (ValueError, OSError):
            return {"record": None, "damaged": True}

    def read(self) -> list[Witnessed]:
        """What the file and the keyring hold (either may be absent)."""
        out = []
        with self._locked():
            data = self._read_file()
        where = f"the counter file {self.path}"
        if data is None:
            out.append(Witnessed(where, None))
        else:
            rec = data.get("record")
            out.append(
                Witnessed(
                    where,
                    AnchorRecord.from_json(json.dumps(rec)) if rec else None,
                    data.get("diverged"),
                )
            )
        if self._backend is not None:
            try:
                text = self._backend.get_password(SERVICE, self._keyring_name)
            except Exception:  # noqa: BLE001 - keyring gone: the file still speaks
                text = None
            out.append(
                Witnessed(
                    "the counter in the keyring",
                    AnchorRecord.from_json(text) if text else None,
                )
            )
        return out

    def latest(self) -> AnchorRecord | None:
        found = [w.record for w in self.read() if w.record and w.record.authentic(self._key)]
        return max(found, key=lambda r: r.key) if found else None

    # -- moving forward -----------------------------------------------------------
    def _keyring_record(self) -> AnchorRecord | None:
        """Read once per process: the keyring is slow, and only this process writes it."""
        if self._backend is None:
            return None
        if self._keyring_seen is None:
            try:
                text = self._backend.get_password(SERVICE, self._keyring_name)
            except Exception:  # noqa: BLE001
                text = None
            self._keyring_seen = AnchorRecord.from_json(text) if text else False
        return self._keyring_seen or None

    def advance(self, store: Store) -> None:
        """After a commit that appended audit entries: witness the new head, if the
        store still continues what was witnessed; otherwise keep the evidence."""
        with self._locked():
            data = self._read_file() or {}
            if data.get("diverged"):
                return  # the evidence stays until someone looks (audit verify)
            known = [self._keyring_record()]
            if data.get("record"):
                known.append(AnchorRecord.from_json(json.dumps(data["record"])))
            trusted = [r for r in known if r is not None and r.authentic(self._key)]
            new = make_record(store, self.store_id, self.place, self._audit_key)
            if trusted:
                old = max(trusted, key=lambda r: r.key)
                if new.key == old.key and new.head == old.head:
                    return
                finding = compare(store, old, self._key)
                if not finding.ok:
                    data["record"] = json.loads(old.to_json())
                    data["diverged"] = {"seen": json.loads(new.to_json()), "why": finding.kind}
                    _write_quick(self.path, json.dumps(data, indent=1).encode())
                    return
            _write_quick(self.path, json.dumps({"record": json.loads(new.to_json())}).encode())
            self._pending = new
        if time.monotonic() - self._keyring_at >= KEYRING_EVERY:
            self.flush()

    def flush(self) -> None:
        """Bring the keyring copy up to date (also at close)."""
        if self._backend is None or self._pending is None:
            return
        try:
            self._backend.set_password(SERVICE, self._keyring_name, self._pending.to_json())
            self._keyring_seen, self._pending = self._pending, None
            self._keyring_at = time.monotonic()
        except Exception:  # noqa: BLE001 - the file copy is written; the keyring catches up
            log.warning("the audit counter could not be written to the keyring")

    def after_commit(self, store: Store) -> None:
        try:
            self.advance(store)
        except Exception:  # noqa: BLE001 - the action is committed; say so, without data
            log.warning("the audit counter outside the store could not be updated")
