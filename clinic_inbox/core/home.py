"""A clinic's data folder: the encrypted store, its key record, its own policy file.

Opening a clinic checks every combination of what is present and refuses,
with a way forward, anything that could lose or expose data.
"""

from __future__ import annotations

import hmac
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from clinic_inbox.core import account_secrets, open_lock, workstation_secrets
from clinic_inbox.core.audit_witness import LocalWitness
from clinic_inbox.core.config import ClinicConfig, load_config
from clinic_inbox.core.credentials import Credentials
from clinic_inbox.core.keys import (
    RECOVER_HINT,
    RECOVERY_FILE,
    WRAPPED_KEY_FILE,
    CustodyRecord,
    KeyCustody,
    PassphraseProvider,
    Secrets,
    WrongKeyError,
)
from clinic_inbox.core.store import (
    Store,
    StoreError,
    StoreExistsError,
    StoreUnreadableError,
    create_store,
    open_store,
)
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store.connection import pages_are_sound

STORE_FILE = "clinic.db"
HOME_ENV = "CLINIC_INBOX_HOME"


class ClinicNotFoundError(StoreError):
    pass


class StoreDamagedError(StoreError):
    """The key is right but the file is not: the caller offers the latest backup."""

    def __init__(self, message: str, home: Path | None = None) -> None:
        super().__init__(message)
        self.home = home


def default_home(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--home, else CLINIC_INBOX_HOME, else the platform's per-user data folder."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return platformdirs.user_data_path("clinic-inbox", appauthor=False)


@dataclass
class Clinic:
    home: Path
    store: Store
    secrets: Secrets = field(repr=False)
    config: ClinicConfig = field(repr=False)
    custody: CustodyRecord
    credentials: Credentials | None = None
    # The audit counter kept outside the store (core.audit_witness).
    witness: LocalWitness | None = field(default=None, repr=False)
    # Run at close, before the store closes (e.g. the audit anchor sent off this
    # computer at sign-out); each must handle its own failures.
    closing: list[Callable[[Clinic], None]] = field(default_factory=list, repr=False)
    # core.open_lock: held shared while open, so a restore waits for this clinic to close
    open_lock: int | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.witness is not None:
            self.store.after_audit_commit = self.witness.after_commit
        if self.credentials is None:  # account secrets live in this clinic's store
            self.credentials = Credentials(self, None)

    @property
    def audit_key(self) -> bytes:
        return self.secrets.audit_key

    def clone(self) -> Clinic:
        """The same clinic on its own connection, for a background thread (WAL lets
        readers and one writer work side by side)."""
        from clinic_inbox.core.store import open_store

        store = open_store(self.store.path, self.secrets.db_key, upgrade=False)
        twin = Clinic(
            self.home,
            store,
            self.secrets,
            self.config,
            self.custody,
            None,
            self.witness,  # one counter per clinic, whichever connection writes
        )
        # the same secrets, read through the twin's own connection
        backend = self.credentials.backend if self.credentials is not None else None
        twin.credentials = Credentials(twin, backend)
        return twin

    def close(self) -> None:
        hooks, self.closing = self.closing, []
        try:
            for hook in hooks:
                hook(self)
            if self.witness is not None:
                self.witness.flush()
            self.store.close()
        finally:
            held, self.open_lock = self.open_lock, None
            open_lock.release(held)

    def __enter__(self) -> Clinic:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _witness(rec: CustodyRecord, found: Secrets, custody: KeyCustody) -> LocalWitness:
    return LocalWitness(rec.store_id, custody.home, found.audit_key, custody.backend)


def store_path(home: Path) -> Path:
    return Path(home) / STORE_FILE


def clinic_exists(home: Path) -> bool:
    return store_path(home).exists() or KeyCustody(home, detect=False).exists()


def create_clinic(
    home: Path,
    ask_passphrase: PassphraseProvider,
    custody: KeyCustody | None = None,
    *,
    demo: bool = False,
) -> tuple[Clinic, str]:
    """A new, empty clinic. Returns it with the recovery code to show once."""
    home = Path(home)
    if clinic_exists(home):
        raise StoreExistsError(
            f"A clinic already exists in {home}. Clinic Inbox never creates a new store over an "
            "existing one. Use --home to choose another folder."
        )
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(home, 0o700)
    custody = custody or KeyCustody(home)
    found, code = custody.create(ask_passphrase, demo=demo)
    try:
        store = create_store(store_path(home), found.db_key)
    except BaseException:
        for name in ("custody.json", WRAPPED_KEY_FILE, RECOVERY_FILE):
            (home / name).unlink(missing_ok=True)
        raise
    rec = custody.record()
    with store.transaction():
        q.set_meta(store, "store_id", rec.store_id)
        q.set_meta(store, "created_at", rec.created_at)
    clinic = Clinic(home, store, found, load_config(home), rec, None, _witness(rec, found, custody))
    clinic.credentials = Credentials(clinic, custody.backend, custody.why_no_keyring)
    clinic.open_lock = open_lock.hold_shared(home)
    return clinic, code


DAMAGED = (
    "The clinic's store file {path} is damaged and cannot be read safely. Nothing was "
    "changed. Put the latest backup back (the app offers it, or `clinic-inbox restore "
    "--replace-damaged FILE`), or call your IT support."
)


class PageCheck:
    """The start-up check of every page, on a thread and a read-only connection of its
    own: it runs while the person signs in and the board loads (0.8 s for 100,000
    messages on a 2-core machine) instead of before. `sound()` waits for the answer."""

    def __init__(self, clinic: Clinic) -> None:
        self.home, self.path = clinic.home, clinic.store.path
        self._sound: bool | None = None
        self._thread = threading.Thread(
            target=self._run, args=(clinic.secrets.db_key,), name="page-check", daemon=True
        )
        self._thread.start()

    def _run(self, key: bytes) -> None:
        self._sound = pages_are_sound(self.path, key)

    def sound(self) -> bool:
        self._thread.join()
        return bool(self._sound)

    def raise_if_damaged(self) -> None:
        if not self.sound():
            raise StoreDamagedError(DAMAGED.format(path=self.path), self.home)


def open_clinic(
    home: Path,
    ask_passphrase: PassphraseProvider,
    custody: KeyCustody | None = None,
    *,
    check: bool = False,
    found: Secrets | None = None,
    **kw: Any,
) -> Clinic:
    """Open the clinic. With `check`, every page's HMAC is verified first, so a damaged
    store is reported at start, not mid-shift (the app uses `PageCheck` instead, which
    does the same beside the sign-in). `found`: keys a staff member's password or the
    recovery code released (core.staff_keys); otherwise the key custody gives them, and
    refuses for a clinic whose key is released only to staff."""
    home = Path(home)
    path = store_path(home)
    custody = custody or KeyCustody(home)
    if not path.exists() and not custody.exists():
        raise ClinicNotFoundError(
            f"No clinic has been set up in {home}. Run `clinic-inbox init --admin NAME` to set "
            "one up, or `clinic-inbox demo` to try the demo clinic."
        )
    if not path.exists():
        raise ClinicNotFoundError(
            f"The key record is in {home} but the store file {STORE_FILE} is missing. Nothing "
            "was created in its place. Restore the latest backup with `clinic-inbox restore FILE`."
        )
    rec = custody.record()  # raises NoCustodyError with the recovery hint when absent
    if found is None:
        found = custody.load(ask_passphrase)
    elif not hmac.compare_digest(found.key_check(), rec.key_check):
        raise WrongKeyError(
            "The key released for this clinic does not match its store. " + RECOVER_HINT
        )
    if rec.pending_key_check is not None:  # a key change was interrupted: finish or forget it
        from clinic_inbox.core.rekey import settle_interrupted_change

        found = settle_interrupted_change(home, custody, found, ask_passphrase)
        rec = custody.record()  # finished or forgotten: the record changed
    try:
        store = open_store(path, found.db_key, **kw)
    except StoreUnreadableError:
        # The key matches the key record, so the file itself is at fault.
        raise StoreDamagedError(DAMAGED.format(path=path), home) from None
    if check and not pages_are_sound(path, found.db_key):
        store.close()
        raise StoreDamagedError(DAMAGED.format(path=path), home)
    store_id = q.get_meta(store, "store_id")
    if store_id is not None and store_id != rec.store_id:
        store.close()
        raise StoreError(
            f"The store in {home} belongs to another installation than its key record. "
            + RECOVER_HINT
        )
    clinic = Clinic(home, store, found, load_config(home), rec, None, _witness(rec, found, custody))
    clinic.credentials = Credentials(clinic, custody.backend, custody.why_no_keyring)
    try:
        clinic.open_lock = open_lock.hold_shared(home)
        if kw.get("upgrade", True) and (home / "purged.json").exists():
            # a store copied back from before a retention purge: purged again first
            from clinic_inbox.core.services_retention import reapply_purges

            reapply_purges(store, found.audit_key, [home / "purged.json"])
        if kw.get("upgrade", True):
            # account passwords an older version kept in the keyring come into the store
            account_secrets.move_from_keyring(clinic, custody.backend)
            # and so do the shared queue's keys (core.workstation_secrets)
            workstation_secrets.move_from_keyring(clinic, custody.backend)
    except BaseException:
        clinic.close()
        raise
    return clinic
