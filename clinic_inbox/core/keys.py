"""Key custody: where the store key and the audit key live, and how they come back.

- Preferred: the OS keyring (Secret Service, macOS Keychain, Windows Credential
  Locker), service name `clinic-inbox`.
- Otherwise: a key file wrapped by a passphrase (scrypt + AES-GCM), until an
  administrator turns on staff key slots (`staff_slots`, core.staff_keys), which then
  replace it.
- Always: a recovery file wrapped by a one-time recovery code shown at creation.
- Never: a plain-text keyring backend, or a key written to disk unwrapped.

`custody.json` records the method and a key check value (an HMAC, which
reveals nothing of the key) so that "wrong key" and "damaged file" can be told
apart without touching the store.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

SERVICE = "clinic-inbox"
CUSTODY_FILE = "custody.json"
WRAPPED_KEY_FILE = "key.wrapped"
RECOVERY_FILE = "recovery.wrapped"
NEXT_WRAPPED_KEY_FILE = "key.next.wrapped"
NEXT_RECOVERY_FILE = "recovery.next.wrapped"
KEY_CHECK_LABEL = b"clinic-inbox key check v1"

# Backends that keep secrets encrypted by the operating system.
SECURE_BACKENDS = {
    "keyring.backends.SecretService.Keyring": "the system keyring (Secret Service)",
    "keyring.backends.libsecret.Keyring": "the system keyring (libsecret)",
    "keyring.backends.macOS.Keyring": "the macOS Keychain",
    "keyring.backends.Windows.WinVaultKeyring": "the Windows Credential Locker",
    "keyring.backends.kwallet.DBusKeyring": "KDE Wallet",
}

# scrypt costs: a passphrase is guessable, so it gets the expensive setting;
# a recovery code carries 160 random bits and needs little stretching.
PASSPHRASE_KDF = {"n": 2**17, "r": 8, "p": 1}
RECOVERY_KDF = {"n": 2**14, "r": 8, "p": 1}
MIN_PASSPHRASE = 10
DEMO_PASSPHRASE = "demo clinic passphrase"

PassphraseProvider = Callable[[str, bool], str]
"""Asks the person for a passphrase: (prompt, confirm_twice) -> passphrase."""


class KeyCustodyError(Exception):
    """A key problem, worded for the person at the desk, with a way forward."""


class NoCustodyError(KeyCustodyError):
    pass


class KeyMissingError(KeyCustodyError):
    pass


class CustodyChangedError(KeyCustodyError):
    pass


class WrongPassphraseError(KeyCustodyError):
    pass


class WrongKeyError(KeyCustodyError):
    pass


class WeakPassphraseError(KeyCustodyError):
    pass


class SignInNeededError(KeyCustodyError):
    """The key is released only by a staff member's password (core.staff_keys)."""


SIGN_IN_NEEDED = (
    "This clinic's store opens only when a staff member signs in: its key is kept "
    "wrapped by each person's password, not in the keyring. Sign in (in the app, or "
    "`clinic-inbox --user NAME ...`)."
)


RECOVER_HINT = (
    "If you have the recovery code printed when this clinic was set up, run "
    "`clinic-inbox key recover` to restore access. Nothing has been changed."
)


@dataclass(frozen=True)
class Secrets:
    # repr=False: a key must never reach a log, a traceback or a crash report.
    db_key: bytes = field(repr=False)
    audit_key: bytes = field(repr=False)

    def key_check(self) -> str:
        return hmac.new(self.db_key, KEY_CHECK_LABEL, hashlib.sha256).hexdigest()

    def pack(self) -> bytes:
        return self.db_key + self.audit_key

    @classmethod
    def unpack(cls, blob: bytes) -> Secrets:
        if len(blob) != 64:
            raise ValueError("bad key material")
        return cls(blob[:32], blob[32:])

    @classmethod
    def generate(cls) -> Secrets:
        return cls(secrets.token_bytes(32), secrets.token_bytes(32))


# -- keyring backends ----------------------------------------------------------
def backend_name(backend: Any) -> str:
    cls = type(getattr(backend, "steady_inner", backend))
    return f"{cls.__module__}.{cls.__qualname__}"


def describe_backend(name: str | None) -> str:
    if not name:
        return "no keyring"
    return SECURE_BACKENDS.get(name, name.rsplit(".", 2)[-2] + " keyring")


# How long the app keeps asking for a keyring it expects before saying it is not there.
# A Secret Service (gnome-keyring over D-Bus) may not answer the first probe while the
# desktop session is still starting, or when the computer is busy (seen: one of three
# workstation processes started at once under load was told "no secure keyring" though
# the keyring answered a second later). A few more probes with small, growing waits,
# about 2 s in all, ride that out; a keyring that answers at once is found by the first
# probe and costs nothing more.
KEYRING_PATIENCE = 2.0
KEYRING_RETRY_WAITS = (0.2, 0.4, 0.6, 0.8)


def _probe_secure_backend() -> tuple[Any | None, str]:
    """One probe: the OS keyring if it is a secure one, else (None, why not)."""
    import keyring
    import keyring.backend
    import keyring.core

    # keyring probes which backends work once per process and keeps the answer: a
    # keyring that came up after the app started (the desktop session unlocked it
    # later) would never be seen. Probe again.
    probed = keyring.backend.get_all_keyring
    if hasattr(probed, "saved_result") and hasattr(probed, "reset"):
        probed.reset()
    keyring.core.init_backend()
    backend = keyring.get_keyring()
    candidates = list(getattr(backend, "backends", [backend]))
    for candidate in candidates:
        if backend_name(candidate) in SECURE_BACKENDS:
            return SteadyKeyring(candidate), ""
    # plain words: the person reading this is a receptionist, not a programmer
    if any("Plaintext" in backend_name(c) or "file" in backend_name(c) for c in candidates):
        return None, "the only password store on this computer keeps secrets in plain text"
    return None, "this computer has no secure password store (system keyring)"


# A Secret Service that drops a call: gnome-keyring 42 can abort when a client goes away
# in the middle of a call (seen here as "Message recipient disconnected from message bus
# without replying"); a desktop's session bus starts it again at the next call.
_DROPPED = ("disconnected from message bus without replying", "NoReply", "was not provided by")


def _dropped(exc: BaseException | None) -> bool:
    while exc is not None:
        if any(d in str(exc) for d in _DROPPED):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class SteadyKeyring:
    """The secure keyring, asked again (a few times, about 2 s in all) when its service
    dropped the call, instead of telling the person at the desk that their clinic's key
    could not be read. Any other error is raised at once."""

    def __init__(self, inner: Any) -> None:
        self.steady_inner = inner

    def _call(self, name: str, *args: Any) -> Any:
        waits = iter(KEYRING_RETRY_WAITS)
        while True:
            try:
                return getattr(self.steady_inner, name)(*args)
            except Exception as exc:
                wait = next(waits, None)
                if wait is None or not _dropped(exc):
                    raise
                time.sleep(wait)

    def get_password(self, service: str, username: str) -> str | None:
        return self._call("get_password", service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self._call("set_password", service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        self._call("delete_password", service, username)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.steady_inner, name)


def detect_secure_backend(patience: float = 0.0) -> tuple[Any | None, str]:
    """The OS keyring if it is a secure one, else (None, why not). With `patience`
    (seconds), a keyring that did not answer is asked again, a few times with small
    waits, until one answers or the time is spent. Only a secure backend is ever
    returned: an insecure one found meanwhile is no answer."""
    deadline = time.monotonic() + patience
    backend, why = _probe_secure_backend()
    waits = iter(KEYRING_RETRY_WAITS)
    while backend is None:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        time.sleep(min(next(waits, KEYRING_RETRY_WAITS[-1]), left))
        backend, why = _probe_secure_backend()
    return backend, why


# -- wrapping ------------------------------------------------------------------
def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def _unb64(s: str) -> bytes:
    return base64.b64decode(s.encode("ascii"))


def wrap(secret: bytes, password: str, aad: bytes, cost: dict[str, int]) -> dict[str, Any]:
    salt = os.urandom(16)
    kek = Scrypt(salt=salt, length=32, **cost).derive(password.encode("utf-8"))
    nonce = os.urandom(12)
    ct = AESGCM(kek).encrypt(nonce, secret, aad)
    return {"kdf": "scrypt", **cost, "salt": _b64(salt), "nonce": _b64(nonce), "ct": _b64(ct)}


def unwrap(blob: dict[str, Any], password: str, aad: bytes) -> bytes:
    if blob.get("kdf") != "scrypt":
        raise KeyCustodyError("The key file uses an unknown format.")
    kek = Scrypt(
        salt=_unb64(blob["salt"]), length=32, n=int(blob["n"]), r=int(blob["r"]), p=int(blob["p"])
    ).derive(password.encode("utf-8"))
    try:
        return AESGCM(kek).decrypt(_unb64(blob["nonce"]), _unb64(blob["ct"]), aad)
    except InvalidTag:
        raise WrongPassphraseError("That passphrase does not unlock this clinic's key.") from None


def new_recovery_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(20)).decode("ascii")
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def normalise_recovery_code(code: str) -> str:
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    raw = raw.replace("0", "O").replace("1", "I").replace("8", "B")
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def write_private(path: Path, data: bytes) -> None:
    """Atomic replace of a small owner-only file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def _demo_passphrase(prompt: str, confirm: bool) -> str:
    return DEMO_PASSPHRASE


# -- custody -------------------------------------------------------------------
@dataclass
class CustodyRecord:
    store_id: str
    method: str  # "keyring" | "passphrase"
    backend: str | None
    key_check: str
    created_at: str
    changed_at: str | None = None
    # A demo clinic holds only invented people; without a keyring its key is
    # wrapped by the published DEMO_PASSPHRASE so the demo opens unattended.
    demo: bool = False
    # Set while the store's key is being changed: the check of the new key, kept in
    # the "next" slots until the re-encrypted file has replaced the old one.
    pending_key_check: str | None = None
    # True once every active staff member has a key slot (core.staff_keys) and the raw
    # keys have left the keyring (or, without a keyring, the passphrase-wrapped key file
    # is gone): from then on only a password or the recovery code opens the store.
    sealed: bool = False
    # A clinic without a keyring whose administrator turned on staff key slots (`key
    # seal`): each person's sign-in writes their slot until every one has one.
    staff_slots: bool = False

    def to_json(self) -> bytes:
        return json.dumps({"version": 1, **self.__dict__}, indent=2).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> CustodyRecord:
        d = json.loads(data)
        d.pop("version", None)
        return cls(**d)

    def describe(self) -> str:
        if self.method == "passphrase" and self.sealed:
            return (
                "staff key slots: the store key is released by staff passwords (no keyring on "
                "this computer, so each slot is protected by its owner's password alone)"
            )
        if self.method == "passphrase" and self.staff_slots:
            return (
                "key file protected by a passphrase, moving to staff key slots (the "
                "passphrase stops opening the store once every active staff member has one)"
            )
        if self.method == "keyring" and self.sealed:
            return (
                f"OS keyring: {describe_backend(self.backend)}, holding only the key slots' "
                "secret; the store key is released by staff passwords"
            )
        if self.method == "keyring":
            return f"OS keyring: {describe_backend(self.backend)}"
        return "key file protected by a passphrase"


class KeyCustody:
    """Keeps the secrets of one clinic home folder.

    `backend` may be passed in by tests; otherwise the OS keyring is detected.
    """

    def __init__(self, home: Path, backend: Any | None = None, *, detect: bool = True) -> None:
        self.home = Path(home)
        self._backend = backend
        self._why_not = ""
        self._last_passphrase = ""
        # a sealed clinic's staged key, found in the signed-in person's slot (core.staff_keys)
        self._offered_next: Secrets | None = None
        if backend is None and detect:
            # a clinic whose key is in a keyring gives a slow one (a desktop session still
            # starting, a busy computer) its chance before it says the keyring is not
            # there; one without (passphrase, or not set up yet) never waits
            patience = KEYRING_PATIENCE if self._expects_keyring() else 0.0
            self._backend, self._why_not = detect_secure_backend(patience)

    @property
    def custody_path(self) -> Path:
        return self.home / CUSTODY_FILE

    def _expects_keyring(self) -> bool:
        """The clinic's record says its key (or its staff slots' keyring half) is kept in
        a keyring."""
        try:
            return self.record().method == "keyring"
        except KeyCustodyError:
            return False  # no record yet, or unreadable: said when it is used

    @property
    def secure_backend_available(self) -> bool:
        return self._backend is not None

    @property
    def backend(self) -> Any | None:
        return self._backend

    @property
    def why_no_keyring(self) -> str:
        return self._why_not

    def exists(self) -> bool:
        return self.custody_path.exists()

    def record(self) -> CustodyRecord:
        try:
            return CustodyRecord.from_json(self.custody_path.read_bytes())
        except FileNotFoundError:
            raise NoCustodyError(
                f"This clinic's key record ({self.custody_path}) is missing, so the store "
                f"cannot be opened. {RECOVER_HINT}"
            ) from None
        except (ValueError, TypeError, KeyError):
            raise KeyCustodyError(
                f"This clinic's key record ({self.custody_path}) is unreadable. {RECOVER_HINT}"
            ) from None

    # -- creation -----------------------------------------------------------
    def create(
        self,
        ask_passphrase: PassphraseProvider,
        *,
        demo: bool = False,
        keep_audit_key: bytes | None = None,
    ) -> tuple[Secrets, str]:
        """Make new secrets, keep them, and return them with the one-time recovery code."""
        if self.exists():
            raise KeyCustodyError(
                "This folder already holds a clinic's key; a new one would lock the old "
                "store away for good, so nothing was changed."
            )
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        found = Secrets.generate()
        if keep_audit_key is not None:  # a restored store keeps its audit chain verifiable
            found = Secrets(found.db_key, keep_audit_key)
        store_id = str(uuid.uuid4())
        now = datetime.now(UTC).isoformat(timespec="seconds")
        rec = CustodyRecord(store_id, "", None, found.key_check(), now, demo=demo)
        if demo:
            ask_passphrase = _demo_passphrase
        self._keep(rec, found, ask_passphrase)
        code = new_recovery_code()
        self._write_recovery(rec, found, code)
        write_private(self.custody_path, rec.to_json())
        return found, code

    def _keep(self, rec: CustodyRecord, found: Secrets, ask: PassphraseProvider) -> None:
        if self._backend is not None:
            self._backend.set_password(SERVICE, f"{rec.store_id}:db", found.db_key.hex())
            self._backend.set_password(SERVICE, f"{rec.store_id}:audit", found.audit_key.hex())
            rec.method, rec.backend = "keyring", backend_name(self._backend)
            (self.home / WRAPPED_KEY_FILE).unlink(missing_ok=True)
            return
        why = self._why_not or "no secure system keyring is available"
        passphrase = ask(
            f"Because {why}, Clinic Inbox protects its key with a passphrase.\n"
            f"Choose a passphrase (at least {MIN_PASSPHRASE} characters)",
            True,
        )
        if len(passphrase) < MIN_PASSPHRASE:
            raise WeakPassphraseError(
                f"The passphrase must be at least {MIN_PASSPHRASE} characters long."
            )
        blob = wrap(found.pack(), passphrase, rec.store_id.encode(), PASSPHRASE_KDF)
        write_private(self.home / WRAPPED_KEY_FILE, json.dumps(blob).encode())
        rec.method, rec.backend = "passphrase", None

    def _write_recovery(self, rec: CustodyRecord, found: Secrets, code: str) -> None:
        blob = wrap(
            found.pack(), normalise_recovery_code(code), rec.store_id.encode(), RECOVERY_KDF
        )
        write_private(self.home / RECOVERY_FILE, json.dumps(blob).encode())

    # -- loading ------------------------------------------------------------
    def load(self, ask_passphrase: PassphraseProvider) -> Secrets:
        rec = self.record()
        if rec.sealed:
            raise SignInNeededError(SIGN_IN_NEEDED)
        if rec.method == "keyring":
            found = self._load_from_keyring(rec)
        elif rec.method == "passphrase":
            found = self._load_from_file(rec, ask_passphrase)
        else:
            raise KeyCustodyError(f"Unknown key custody method {rec.method!r}. {RECOVER_HINT}")
        if not hmac.compare_digest(found.key_check(), rec.key_check):
            if self._finish_interrupted_promotion(rec, found):
                return found
            raise WrongKeyError(
                "The key found for this clinic does not match its store (the keyring may hold "
                f"a key from another installation). {RECOVER_HINT}"
            )
        return found

    def _finish_interrupted_promotion(self, rec: CustodyRecord, found: Secrets) -> bool:
        """A key change killed inside promote_next: the new key already stands where the
        key is kept, the record still names the old one. promote_next runs only after the
        re-encrypted file is in place (core.rekey), so the staged key is the store's key:
        finish the promotion instead of refusing the clinic its own key."""
        if rec.pending_key_check is None or not hmac.compare_digest(
            found.key_check(), rec.pending_key_check
        ):
            return False
        self.promote_next(found)
        return True

    def _load_from_keyring(self, rec: CustodyRecord) -> Secrets:
        if self._backend is None:
            raise CustodyChangedError(
                f"This clinic's key is kept in {describe_backend(rec.backend)}, but "
                f"{self._why_not or 'no secure keyring is available'} now. Log in to the "
                "desktop session that unlocks the keyring and try again. " + RECOVER_HINT
            )
        current = backend_name(self._backend)
        if current != rec.backend:
            raise CustodyChangedError(
                f"This clinic's key is kept in {describe_backend(rec.backend)}, but this "
                f"computer now offers {describe_backend(current)} instead. " + RECOVER_HINT
            )
        try:
            db_hex = self._backend.get_password(SERVICE, f"{rec.store_id}:db")
            audit_hex = self._backend.get_password(SERVICE, f"{rec.store_id}:audit")
        except Exception:  # noqa: BLE001 - the keyring daemon or its bus is gone
            raise CustodyChangedError(
                f"{describe_backend(rec.backend)} did not answer, so this clinic's key cannot "
                "be read. Sign out of the computer and back in (that restarts the keyring) "
                "and try again. " + RECOVER_HINT
            ) from None
        if not db_hex or not audit_hex:
            raise KeyMissingError(
                f"The key for this clinic is missing from {describe_backend(rec.backend)}. "
                + RECOVER_HINT
            )
        try:
            return Secrets(bytes.fromhex(db_hex), bytes.fromhex(audit_hex))
        except ValueError:
            raise WrongKeyError(
                "The keyring entry for this clinic is damaged. " + RECOVER_HINT
            ) from None

    def _load_from_file(self, rec: CustodyRecord, ask: PassphraseProvider) -> Secrets:
        path = self.home / WRAPPED_KEY_FILE
        if not path.exists():
            raise KeyMissingError(f"The key file {path} is missing. " + RECOVER_HINT)
        blob = json.loads(path.read_bytes())
        if rec.demo:
            ask = _demo_passphrase
        passphrase = ask("Enter the passphrase that protects this clinic's key", False)
        found = Secrets.unpack(unwrap(blob, passphrase, rec.store_id.encode()))
        # held only for a key change in this process (wrapping the new key the same way)
        self._last_passphrase = passphrase
        return found

    # -- recovery -----------------------------------------------------------
    def recover(self, code: str, ask_passphrase: PassphraseProvider) -> Secrets:
        """Unlock with the recovery code and keep the key again with today's custody."""
        rec = self.record()
        path = self.home / RECOVERY_FILE
        if not path.exists():
            raise KeyMissingError(f"The recovery file {path} is missing; recovery is impossible.")
        try:
            blob = json.loads(path.read_bytes())
            found = Secrets.unpack(
                unwrap(blob, normalise_recovery_code(code), rec.store_id.encode())
            )
        except WrongPassphraseError:
            raise WrongPassphraseError(
                "That recovery code is not the one for this clinic."
            ) from None
        if not hmac.compare_digest(found.key_check(), rec.key_check):
            # the new recovery file was moved in and the change killed before the record
            if not self._finish_interrupted_promotion(rec, found):
                raise WrongKeyError("The recovery file does not belong to this clinic's store.")
            rec = self.record()
        if rec.sealed:
            # the key goes back to staff slots (core.staff_keys), never raw to the keyring
            return found
        self._keep(rec, found, ask_passphrase)
        rec.changed_at = datetime.now(UTC).isoformat(timespec="seconds")
        write_private(self.custody_path, rec.to_json())
        return found

    def enable_staff_slots(self) -> None:
        """A clinic without a keyring moves to staff key slots (core.staff_keys)."""
        rec = self.record()
        if rec.method != "passphrase" or rec.demo:
            raise KeyCustodyError(
                "Only a clinic whose key is protected by a passphrase moves to staff key slots "
                "this way (the demo keeps its published passphrase)."
            )
        if not rec.staff_slots:
            rec.staff_slots = True
            rec.changed_at = datetime.now(UTC).isoformat(timespec="seconds")
            write_private(self.custody_path, rec.to_json())

    def seal(self) -> None:
        """Every active staff member has a key slot: the raw keys leave the keyring (or,
        without a keyring, the passphrase-wrapped key file goes). The record says
        "sealed" before they go, so a crash in between leaves a clinic that opens by
        password, never one that opens by nothing."""
        rec = self.record()
        by_passphrase = rec.method == "passphrase" and rec.staff_slots
        if not by_passphrase and (rec.method != "keyring" or self._backend is None):
            raise KeyCustodyError(
                "Only a clinic whose key is in the keyring, or one moving to staff key "
                "slots, can be sealed."
            )
        if not rec.sealed:
            rec.sealed = True
            rec.changed_at = datetime.now(UTC).isoformat(timespec="seconds")
            write_private(self.custody_path, rec.to_json())
        if by_passphrase:
            for name in (WRAPPED_KEY_FILE, NEXT_WRAPPED_KEY_FILE):
                (self.home / name).unlink(missing_ok=True)
            return
        for entry in ("db", "audit"):
            try:
                self._backend.delete_password(SERVICE, f"{rec.store_id}:{entry}")
            except Exception:  # noqa: BLE001 - already gone
                pass

    # -- changing the key (see core.rekey) -----------------------------------
    def _slots(self, rec: CustodyRecord):  # noqa: ANN202 - core.keyslots.KeySlots
        from clinic_inbox.core.keyslots import KeySlots  # it builds on this module

        if rec.method == "passphrase":
            return KeySlots(self.home, rec.store_id, None)  # no keyring half
        if self._backend is None:
            self._load_from_keyring(rec)  # raises the plain "keyring unavailable" error
        return KeySlots(self.home, rec.store_id, self._backend)

    def offer_next(self, found: Secrets) -> None:
        """A sealed clinic's staged key, as a staff member's slot released it."""
        self._offered_next = found

    def stage_next(self, new: Secrets, code: str, ask_passphrase: PassphraseProvider) -> None:
        """Keep the new key beside the current one, before the store is re-encrypted,
        so whichever file survives a crash has its key."""
        rec = self.record()
        if rec.sealed:
            # sealed to every staff slot's public key, in one write of the slots file
            self._slots(rec).stage_all(new)
        elif rec.method == "keyring":
            if self._backend is None:
                self._load_from_keyring(rec)  # raises the plain "keyring unavailable" error
            self._backend.set_password(SERVICE, f"{rec.store_id}:db-next", new.db_key.hex())
        else:
            current = self._load_from_file(rec, ask_passphrase)  # proves the passphrase
            passphrase = DEMO_PASSPHRASE if rec.demo else self._last_passphrase
            del current
            blob = wrap(new.pack(), passphrase, rec.store_id.encode(), PASSPHRASE_KDF)
            write_private(self.home / NEXT_WRAPPED_KEY_FILE, json.dumps(blob).encode())
            if rec.staff_slots:  # moving to slots: those written so far follow the key
                self._slots(rec).stage_all(new)
        blob = wrap(new.pack(), normalise_recovery_code(code), rec.store_id.encode(), RECOVERY_KDF)
        write_private(self.home / NEXT_RECOVERY_FILE, json.dumps(blob).encode())
        rec.pending_key_check = new.key_check()
        write_private(self.custody_path, rec.to_json())

    def load_next(self, ask_passphrase: PassphraseProvider) -> Secrets | None:
        rec = self.record()
        if rec.pending_key_check is None:
            return None
        if rec.sealed:
            found = self._offered_next
            if found is None:
                return None
            return found if hmac.compare_digest(found.key_check(), rec.pending_key_check) else None
        current = self.load(ask_passphrase)
        if rec.method == "keyring":
            db_hex = self._backend.get_password(SERVICE, f"{rec.store_id}:db-next")
            if not db_hex:
                return None
            found = Secrets(bytes.fromhex(db_hex), current.audit_key)
        else:
            path = self.home / NEXT_WRAPPED_KEY_FILE
            if not path.exists():
                return None
            passphrase = DEMO_PASSPHRASE if rec.demo else self._last_passphrase
            found = Secrets.unpack(
                unwrap(json.loads(path.read_bytes()), passphrase, rec.store_id.encode())
            )
        return found if hmac.compare_digest(found.key_check(), rec.pending_key_check) else None

    def promote_next(self, new: Secrets) -> None:
        """The re-encrypted file is in place: the new key becomes the key."""
        rec = self.record()
        if rec.sealed:
            self._slots(rec).promote_all()  # keeps the old keys until the record is written
        elif rec.method == "keyring":
            self._backend.set_password(SERVICE, f"{rec.store_id}:db", new.db_key.hex())
        else:
            # (absent when a promotion killed after this step is finished at the next open)
            if (self.home / NEXT_WRAPPED_KEY_FILE).exists():
                os.replace(self.home / NEXT_WRAPPED_KEY_FILE, self.home / WRAPPED_KEY_FILE)
            if rec.staff_slots:
                self._slots(rec).promote_all()
        if (self.home / NEXT_RECOVERY_FILE).exists():
            os.replace(self.home / NEXT_RECOVERY_FILE, self.home / RECOVERY_FILE)
        rec.key_check, rec.pending_key_check = new.key_check(), None
        rec.changed_at = datetime.now(UTC).isoformat(timespec="seconds")
        write_private(self.custody_path, rec.to_json())
        self._forget_next(rec)

    def discard_next(self) -> None:
        """The change did not reach the store: the current key stays the key."""
        rec = self.record()
        if rec.pending_key_check is not None:
            rec.pending_key_check = None
            write_private(self.custody_path, rec.to_json())
        self._forget_next(rec)

    def _forget_next(self, rec: CustodyRecord) -> None:
        for name in (NEXT_WRAPPED_KEY_FILE, NEXT_RECOVERY_FILE):
            (self.home / name).unlink(missing_ok=True)
        self._offered_next = None
        if (rec.sealed or rec.staff_slots) and (
            self._backend is not None or rec.method == "passphrase"
        ):
            self._slots(rec).tidy()
            return
        if rec.method == "keyring" and self._backend is not None:
            try:
                self._backend.delete_password(SERVICE, f"{rec.store_id}:db-next")
            except Exception:  # noqa: BLE001 - absent already: nothing to forget
                pass
