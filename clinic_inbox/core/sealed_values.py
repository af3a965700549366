"""A secret sealed a second time inside the store, under the store's audit key.

AES-256-GCM under a key derived (HKDF-SHA256) from the audit key with a purpose label
(`info`), the secret bound to its name by the associated data (`aad`), so a row
cannot be swapped for another. Used for the mail and portal passwords
(core.account_secrets) and this workstation's shared-queue secrets
(core.workstation_secrets); each keeps its own label, names and wording.
"""

from __future__ import annotations

import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE = 12


def _aead(audit_key: bytes, info: bytes) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(audit_key)
    return AESGCM(key)


def seal(audit_key: bytes, info: bytes, aad: bytes, value: str) -> bytes:
    """The nonce, then the ciphertext with its tag."""
    nonce = os.urandom(NONCE)
    return nonce + _aead(audit_key, info).encrypt(nonce, value.encode("utf-8"), aad)


def unseal(audit_key: bytes, info: bytes, aad: bytes, sealed: bytes) -> str:
    """Raises cryptography's InvalidTag (or ValueError) when the key or name is not the
    one it was sealed with; the callers say what that means in their own words."""
    return _aead(audit_key, info).decrypt(sealed[:NONCE], sealed[NONCE:], aad).decode("utf-8")
