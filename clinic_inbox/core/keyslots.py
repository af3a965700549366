"""Key slots: the store's keys wrapped once per staff member (issue 16 item 7).

Opening a clinic through them (sign-in before the store opens, slot upkeep,
migration of older clinics) is core.staff_keys.

Each slot is AES-GCM of the store's secrets under a key made from BOTH the staff
member's password (Argon2id, raw) AND a random secret kept in the keyring. So
the keyring alone (any process of the desktop user) opens nothing, and a stolen
keyslots file alone cannot even be guessed at offline without the keyring secret.
The file sits beside the store, owner-only, and holds no key in the clear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from clinic_inbox.core.keys import SERVICE, KeyCustodyError, Secrets, write_private

SLOTS_FILE = "keyslots.json"
LABEL = b"clinic-inbox keyslot v1"
# Argon2id costs per slot (RFC 9106's second recommended option, 64 MiB).
COST = {"time_cost": 3, "memory_cost": 64 * 1024, "parallelism": 4}
# Whoever holds the keyring secret and this file can guess offline, and no lockout
# counts those guesses: a password that only just passes the rules (zxcvbn 3, not 4)
# makes each guess dearer instead. 128 MiB makes a guess costlier on graphics cards
# too; measured 1.6 s on the 2-core workstation (0.6 s for COST).
HARD_COST = {"time_cost": 4, "memory_cost": 128 * 1024, "parallelism": 4}
STRONG_SCORE = 4


def cost_for(password: str, context: list[str], *, demo: bool = False) -> dict[str, int]:
    """The slot's Argon2id cost for this password (the demo's published ones stay cheap:
    they protect invented people and are known anyway)."""
    if demo:
        return COST
    from zxcvbn import zxcvbn

    score = zxcvbn(password[:100], user_inputs=[w for w in context if w])["score"]
    return COST if score >= STRONG_SCORE else HARD_COST


class SlotError(KeyCustodyError):
    pass


class WrongSlotPassword(SlotError):
    """The name has no slot or the password does not open it (one answer for both)."""


class SlotSecretMissing(SlotError):
    """The keyring's half is gone (or is another one): no password can open a slot."""


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def _unb64(s: str) -> bytes:
    return base64.b64decode(s.encode("ascii"))


def _name(username: str) -> str:
    return username.strip().lower()


class KeySlots:
    def __init__(self, home: Path, store_id: str, backend: Any) -> None:
        if backend is None:
            raise SlotError("Key slots need the computer's secure keyring for their secret.")
        self.home, self.store_id, self._backend = Path(home), store_id, backend

    @property
    def path(self) -> Path:
        return self.home / SLOTS_FILE

    @property
    def _secret_name(self) -> str:
        return f"{self.store_id}:slot-secret"

    def _secret(self, create: bool = False) -> bytes:
        found = self._backend.get_password(SERVICE, self._secret_name)
        if found:
            return bytes.fromhex(found)
        if not create:
            raise SlotSecretMissing(
                "The keyring no longer holds this clinic's key-slot secret, so no staff "
                "password can open the store. Use the recovery code (`clinic-inbox key recover`)."
            )
        made = secrets.token_bytes(32)
        self._backend.set_password(SERVICE, self._secret_name, made.hex())
        return made

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return {"version": 1, "store_id": self.store_id, "slots": {}}
        except ValueError:
            raise SlotError(
                f"The staff key file {self.path} is damaged, so no password can open the "
                "store. Use the recovery code (`clinic-inbox key recover`)."
            ) from None
        if data.get("store_id") != self.store_id:
            raise SlotError(f"{self.path} belongs to another clinic.")
        return data

    def _secret_check(self, secret: bytes) -> str:
        # tells "these slots were made under another keyring secret" apart from a wrong
        # password; reveals nothing of the secret
        return hmac.new(secret, LABEL + b" secret check", hashlib.sha256).hexdigest()

    def secret_matches(self) -> bool:
        """False when the keyring lost (or replaced) the secret the slots were made under."""
        data = self._load()
        found = self._backend.get_password(SERVICE, self._secret_name)
        if not found:
            return False
        want = data.get("secret_check")
        return want is None or hmac.compare_digest(want, self._secret_check(bytes.fromhex(found)))

    def has(self, username: str) -> bool:
        return _name(username) in self._load()["slots"]

    def clear(self) -> None:
        """Drop every slot (after recovery onto a new keyring secret: they open nothing)."""
        data = self._load()
        data["slots"] = {}
        data.pop("secret_check", None)
        write_private(self.path, json.dumps(data, indent=1).encode("utf-8"))

    def _kek(self, username: str, password: str, salt: bytes, cost: dict[str, int]) -> bytes:
        stretched = hash_secret_raw(
            password.encode("utf-8"), salt, hash_len=32, type=Type.ID, **cost
        )
        # the keyring secret makes the slot key: the password alone is not enough
        return hmac.new(
            self._secret(), LABEL + _name(username).encode() + stretched, hashlib.sha256
        ).digest()

    def _aad(self, username: str) -> bytes:
        return f"{self.store_id}|{_name(username)}".encode()

    # -- changes (the caller has an unlocked session: it holds `found`) ---------------
    def put(
        self, username: str, password: str, found: Secrets, cost: dict[str, int] | None = None
    ) -> None:
        """Add a slot, or rewrap it under a new password."""
        cost = cost or COST
        secret = self._secret(create=True)
        data = self._load()
        data["secret_check"] = self._secret_check(secret)
        salt, nonce = os.urandom(16), os.urandom(12)
        ct = AESGCM(self._kek(username, password, salt, cost)).encrypt(
            nonce, found.pack(), self._aad(username)
        )
        data["slots"][_name(username)] = {
            "kdf": "argon2id",
            **cost,
            "salt": _b64(salt),
            "nonce": _b64(nonce),
            "ct": _b64(ct),
        }
        write_private(self.path, json.dumps(data, indent=1).encode("utf-8"))

    def remove(self, username: str) -> bool:
        data = self._load()
        gone = data["slots"].pop(_name(username), None) is not None
        if gone:
            write_private(self.path, json.dumps(data, indent=1).encode("utf-8"))
        return gone

    def names(self) -> list[str]:
        return sorted(self._load()["slots"])

    # -- opening ------------------------------------------------------------------------
    def open(self, username: str, password: str) -> Secrets:
        slot = self._load()["slots"].get(_name(username))
        if slot is None:
            # same answer, same cost as a wrong password: names are not probed here either
            self._kek(username, password, os.urandom(16), COST)
            raise WrongSlotPassword("The user name or password is not right.")
        cost = {k: int(slot[k]) for k in COST}
        kek = self._kek(username, password, _unb64(slot["salt"]), cost)
        try:
            blob = AESGCM(kek).decrypt(
                _unb64(slot["nonce"]), _unb64(slot["ct"]), self._aad(username)
            )
        except InvalidTag:
            raise WrongSlotPassword("The user name or password is not right.") from None
        return Secrets.unpack(blob)
