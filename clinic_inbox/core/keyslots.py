"""Key slots: the store's keys wrapped once per staff member (issue 16 item 7).

Opening a clinic through them (sign-in before the store opens, slot upkeep,
migration of older clinics) is core.staff_keys.

Each slot is AES-GCM of the store's secrets under a key made from BOTH the staff
member's password (Argon2id, raw) AND a random secret kept in the keyring. So
the keyring alone (any process of the desktop user) opens nothing, and a stolen
keyslots file alone cannot even be guessed at offline without the keyring secret.
The file sits beside the store, owner-only, and holds no key in the clear.

Since version 2 of a slot the password's key unwraps the slot's X25519 private key,
and the store's keys are sealed to the matching public key: changing the store's key
(core.rekey) seals the new keys to every slot at once, in one write of the file,
without anyone's password. Version 1 slots (the keys wrapped directly) still open and
are rewritten at their owner's next sign-in (core.staff_keys).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

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


# A clinic without a keyring has no second half: its slots are keyed by the password
# alone (Argon2id at HARD_COST), so the slots file can be guessed at offline, as the
# passphrase-wrapped key file it replaces could.
NO_KEYRING_SECRET = bytes(32)


class KeySlots:
    def __init__(self, home: Path, store_id: str, backend: Any | None) -> None:
        """`backend` None: a clinic without a keyring (core.keys, `staff_slots`)."""
        self.home, self.store_id, self._backend = Path(home), store_id, backend

    @property
    def path(self) -> Path:
        return self.home / SLOTS_FILE

    @property
    def _secret_name(self) -> str:
        return f"{self.store_id}:slot-secret"

    def _secret(self, create: bool = False) -> bytes:
        if self._backend is None:
            return NO_KEYRING_SECRET
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
        if self._backend is None:
            return True  # nothing kept apart that could be lost
        found = self._backend.get_password(SERVICE, self._secret_name)
        if not found:
            return False
        want = data.get("secret_check")
        return want is None or hmac.compare_digest(want, self._secret_check(bytes.fromhex(found)))

    def mark_shared(self) -> None:
        """This clinic's staff come from a shared server: a name without a slot here may be
        a colleague this computer has not heard of yet (said so at sign-in)."""
        data = self._load()
        if not data.get("shared"):
            data["shared"] = True
            self._save(data)

    def is_shared(self) -> bool:
        return bool(self._load().get("shared"))

    def has(self, username: str) -> bool:
        return _name(username) in self._load()["slots"]

    def clear(self) -> None:
        """Drop every slot (after recovery onto a new keyring secret: they open nothing)."""
        data = self._load()
        data["slots"] = {}
        data.pop("secret_check", None)
        write_private(self.path, json.dumps(data, indent=1).encode("utf-8"))

    def _kek(self, username: str, password: str, salt: bytes, cost: dict[str, int]) -> bytes:
        return self._kek_from(username, stretch(password, salt, cost))

    def _kek_from(self, username: str, stretched: bytes) -> bytes:
        # the keyring secret makes the slot key: the password alone is not enough
        return hmac.new(
            self._secret(), LABEL + _name(username).encode() + stretched, hashlib.sha256
        ).digest()

    def _aad(self, username: str) -> bytes:
        return f"{self.store_id}|{_name(username)}".encode()

    # -- envelopes: the store's keys sealed to a slot's public key --------------------
    def _envelope(self, username: str, pub: bytes, found: Secrets) -> dict[str, str]:
        eph = X25519PrivateKey.generate()
        eph_pub = _raw_public(eph)
        key = _envelope_key(eph.exchange(X25519PublicKey.from_public_bytes(pub)), eph_pub, pub)
        nonce = os.urandom(12)
        ct = AESGCM(key).encrypt(nonce, found.pack(), self._aad(username) + b"|envelope")
        return {"eph": _b64(eph_pub), "nonce": _b64(nonce), "ct": _b64(ct)}

    def _open_envelope(
        self, username: str, private: X25519PrivateKey, env: dict[str, str]
    ) -> Secrets | None:
        eph_pub = _unb64(env["eph"])
        shared = private.exchange(X25519PublicKey.from_public_bytes(eph_pub))
        key = _envelope_key(shared, eph_pub, _raw_public(private))
        try:
            blob = AESGCM(key).decrypt(
                _unb64(env["nonce"]), _unb64(env["ct"]), self._aad(username) + b"|envelope"
            )
        except InvalidTag:
            return None
        return Secrets.unpack(blob)

    # -- changes (the caller has an unlocked session: it holds `found`) ---------------
    def put(
        self, username: str, password: str, found: Secrets, cost: dict[str, int] | None = None
    ) -> None:
        """Add a slot, or rewrap it under a new password.

        Version 2: the password (with the keyring secret) wraps the slot's own X25519
        private key; the store's keys are sealed to its public key. A key change can
        then seal the new keys to every slot at once without anyone's password."""
        cost = cost or COST
        salt = os.urandom(16)
        self._write(username, stretch(password, salt, cost), salt, cost, found, travelled=False)

    def put_travelled(self, username: str, key: TravellingKey, found: Secrets) -> None:
        """A slot from the key another workstation derived from this person's new password
        (core.staff_keys): the same slot their password opens, made without the password.
        Marked, so that their first sign-in here replaces it with one of its own."""
        self._write(username, key.stretched, key.salt, key.cost, found, travelled=True)

    def _write(
        self,
        username: str,
        stretched: bytes,
        salt: bytes,
        cost: dict[str, int],
        found: Secrets,
        *,
        travelled: bool,
    ) -> None:
        secret = self._secret(create=True)
        data = self._load()
        data["secret_check"] = self._secret_check(secret)
        private = X25519PrivateKey.generate()
        raw = private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        nonce = os.urandom(12)
        ct = AESGCM(self._kek_from(username, stretched)).encrypt(nonce, raw, self._aad(username))
        pub = _raw_public(private)
        slot: dict[str, Any] = {
            "version": 2,
            "kdf": "argon2id",
            **{k: int(cost[k]) for k in COST},
            "salt": _b64(salt),
            "nonce": _b64(nonce),
            "ct": _b64(ct),
            "pub": _b64(pub),
            "keys": self._envelope(username, pub, found),
        }
        if travelled:
            slot["travelled"] = True
        data["slots"][_name(username)] = slot
        self._save(data)

    def _save(self, data: dict[str, Any]) -> None:
        write_private(self.path, json.dumps(data, indent=1).encode("utf-8"))

    def remove(self, username: str) -> bool:
        data = self._load()
        gone = data["slots"].pop(_name(username), None) is not None
        if gone:
            self._save(data)
        return gone

    def names(self) -> list[str]:
        return sorted(self._load()["slots"])

    def without_public_key(self) -> list[str]:
        """Slots written before version 2: a key change must wait for their owners."""
        return sorted(n for n, slot in self._load()["slots"].items() if "pub" not in slot)

    # -- a key change (core.rekey): every slot in one write of the file ---------------
    def stage_all(self, new: Secrets) -> None:
        """Seal the new keys beside the current ones in every slot (one atomic write)."""
        data = self._load()
        old = sorted(n for n, slot in data["slots"].items() if "pub" not in slot)
        if old:
            raise SlotError(
                "The key cannot change yet: these people have not signed in since key slots "
                f"were improved: {', '.join(old)}. Ask them to sign in once (or reset their "
                "passwords), then try again. Nothing was changed."
            )
        for name, slot in data["slots"].items():
            slot["keys_next"] = self._envelope(name, _unb64(slot["pub"]), new)
        self._save(data)

    def promote_all(self) -> None:
        """The re-encrypted store is in place: the staged keys become every slot's keys.
        The old ones stay as `keys_prev` until the key record says the change is done, so
        a kill in between still finds the key that record names."""
        data = self._load()
        changed = False
        for slot in data["slots"].values():
            if "keys_next" in slot:
                slot["keys_prev"] = slot["keys"]
                slot["keys"] = slot.pop("keys_next")
                changed = True
        if changed:
            self._save(data)

    def tidy(self) -> None:
        """Forget staged and previous keys (a change discarded or finished)."""
        data = self._load()
        changed = False
        for slot in data["slots"].values():
            for extra in ("keys_next", "keys_prev"):
                changed |= slot.pop(extra, None) is not None
        if changed:
            self._save(data)

    # -- opening ------------------------------------------------------------------------
    def open(self, username: str, password: str) -> Secrets:
        return self.open_all(username, password)[0]

    def open_all(self, username: str, password: str) -> list[Secrets]:
        """What this person's slot holds: the current keys first, then any staged or
        previous keys of a key change under way (core.staff_keys picks the one the key
        record names)."""
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
        if "pub" not in slot:  # version 1: the keys themselves
            return [Secrets.unpack(blob)]
        private = X25519PrivateKey.from_private_bytes(blob)
        found = []
        for which in ("keys", "keys_next", "keys_prev"):
            if which in slot:
                opened = self._open_envelope(username, private, slot[which])
                if opened is not None:
                    found.append(opened)
        if not found:
            raise SlotError(
                "Your key slot is damaged, so your password cannot open the store. Ask an "
                "administrator to reset your password, or use the recovery code."
            )
        return found

    def is_travelled(self, username: str) -> bool:
        """True for a slot made from a travelling key (replaced at the first sign-in here)."""
        slot = self._load()["slots"].get(_name(username))
        return slot is not None and bool(slot.get("travelled"))

    def is_current(self, username: str) -> bool:
        """False for a version 1 slot (rewritten at its owner's next sign-in)."""
        slot = self._load()["slots"].get(_name(username))
        return slot is not None and "pub" in slot


def stretch(password: str, salt: bytes, cost: dict[str, int]) -> bytes:
    """The password's half of a slot key (Argon2id, raw; its own salt, so it is unrelated
    to the sign-in hash, which is a verifier with another salt)."""
    picked = {k: int(cost[k]) for k in COST}
    return hash_secret_raw(password.encode("utf-8"), salt, hash_len=32, type=Type.ID, **picked)


@dataclass(frozen=True)
class TravellingKey:
    """A new password's slot key, derived where the password was typed and sent, sealed
    with the clinic keys, to the clinic's other workstations: each makes this person's
    slot from it (their keyring half added there) and forgets it."""

    salt: bytes
    stretched: bytes = field(repr=False)
    cost: dict[str, int]

    @classmethod
    def derive(cls, password: str, cost: dict[str, int]) -> TravellingKey:
        salt = os.urandom(16)
        return cls(salt, stretch(password, salt, cost), {k: int(cost[k]) for k in COST})

    def to_wire(self) -> dict[str, Any]:
        return {"salt": _b64(self.salt), "key": _b64(self.stretched), "cost": self.cost}

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> TravellingKey:
        cost = {k: int(wire["cost"][k]) for k in COST}
        return cls(_unb64(wire["salt"]), _unb64(wire["key"]), cost)


def _raw_public(private: X25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def _envelope_key(shared: bytes, eph_pub: bytes, pub: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=LABEL + b" envelope" + eph_pub + pub
    ).derive(shared)
