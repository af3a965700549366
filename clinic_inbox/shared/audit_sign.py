"""Each workstation's Ed25519 signing key, and the heads it signs.

Every workstation of a clinic holds the clinic's HMAC key, so a MAC alone cannot
tell one workstation's history from a forgery by another. The heads a workstation
pushes with its audit entries are therefore signed with a key only it holds (kept
in its keyring beside the clinic keys); the public half is registered on the server
once, at enrolment, and never replaced.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from clinic_inbox.core.keys import SERVICE, KeyCustody
from clinic_inbox.shared import SharedQueueError, clinic_keys

LABEL = "clinic-inbox audit head v1"


def _entry(custody: KeyCustody) -> str:
    return f"{custody.record().store_id}:audit-sign"


def signing_key(custody: KeyCustody) -> Ed25519PrivateKey:
    """This workstation's signing key, made on first use."""
    backend = clinic_keys.require_backend(custody)
    try:
        kept = backend.get_password(SERVICE, _entry(custody))
    except Exception:  # noqa: BLE001 - the keyring daemon is gone
        raise SharedQueueError(
            "This computer's keyring did not answer, so its audit signing key cannot be "
            "read. The audit trail waits here and is sent later."
        ) from None
    if kept:
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(kept))
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    backend.set_password(SERVICE, _entry(custody), raw.hex())
    return key


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class SignedHead:
    chain: str
    epoch: int
    seq: int
    mac: str
    anchor_pos: int
    anchor_hash: str
    signed_at: str
    signature: bytes = b""

    def message(self, clinic_id: str) -> bytes:
        body = [
            LABEL,
            clinic_id,
            self.chain,
            self.epoch,
            self.seq,
            self.mac,
            self.anchor_pos,
            self.anchor_hash,
            self.signed_at,
        ]
        return json.dumps(body, separators=(",", ":")).encode("ascii")

    def signed(self, key: Ed25519PrivateKey, clinic_id: str) -> SignedHead:
        sig = key.sign(self.message(clinic_id))
        return SignedHead(
            self.chain,
            self.epoch,
            self.seq,
            self.mac,
            self.anchor_pos,
            self.anchor_hash,
            self.signed_at,
            sig,
        )

    def authentic(self, public_key: bytes, clinic_id: str) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(bytes(public_key)).verify(
                bytes(self.signature), self.message(clinic_id)
            )
        except (InvalidSignature, ValueError):
            return False
        return True
