"""Each workstation's Ed25519 signing key, and the heads it signs.

Every workstation of a clinic holds the clinic's HMAC key, so a MAC alone cannot
tell one workstation's history from a forgery by another. The heads a workstation
pushes with its audit entries are therefore signed with a key only it holds (sealed
in its own store beside the clinic keys, core.workstation_secrets: never in the
keyring, where any process of the desktop user could read it); the public half is
registered on the server once, at enrolment, and never replaced.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from clinic_inbox.core import workstation_secrets
from clinic_inbox.core.store import workstation_secret_queries as wsq
from clinic_inbox.shared import SharedQueueError

if TYPE_CHECKING:
    from clinic_inbox.core.home import Clinic

LABEL = "clinic-inbox audit head v1"


def signing_key(clinic: Clinic) -> Ed25519PrivateKey:
    """This workstation's signing key, made on first use."""
    name = workstation_secrets.AUDIT_SIGNING
    try:
        kept = workstation_secrets.get(clinic, name)
    except workstation_secrets.WorkstationSecretDamaged as exc:
        raise SharedQueueError(str(exc)) from None
    if kept:
        return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(kept))
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    store = clinic.store
    with store.transaction():
        if wsq.get(store, name) is None:  # another thread may have made it meanwhile
            workstation_secrets.put(store, clinic.audit_key, name, raw.hex())
    return Ed25519PrivateKey.from_private_bytes(
        bytes.fromhex(workstation_secrets.get(clinic, name) or raw.hex())
    )


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
