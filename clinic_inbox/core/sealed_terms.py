"""Search terms kept sealed in the audit trail.

A search is audited (who searched, how many rows they got), but what was typed is
often a patient's name or a diagnosis ("HIV", "overdose"). The audit trail already
lives inside the encrypted store; the issue is every copy made of it: an audit CSV
handed to a privacy committee, a screenshot of the audit screen. So the terms are
stored sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the audit key,
and exports show only the sealed text. An administrator can unseal one entry when
an investigation needs the words, and that unsealing is itself audited.

The audit key (not the store key) is used because it survives `key change` and is
held apart from the store key: someone with only a copy of the store cannot read the
terms even if they can read the rows.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "sealed-v1:"
_INFO = b"clinic-inbox audit search terms v1"
_AAD = b"search-terms"


def _key(audit_key: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(audit_key)


def seal(audit_key: bytes, text: str) -> str:
    nonce = os.urandom(12)
    blob = nonce + AESGCM(_key(audit_key)).encrypt(nonce, text.encode("utf-8"), _AAD)
    return PREFIX + base64.b64encode(blob).decode("ascii")


def unseal(audit_key: bytes, sealed: str) -> str:
    """The original text; ValueError if it is not ours or was altered."""
    if not sealed.startswith(PREFIX):
        raise ValueError("This audit entry holds no sealed search terms.")
    try:
        blob = base64.b64decode(sealed.removeprefix(PREFIX), validate=True)
        plain = AESGCM(_key(audit_key)).decrypt(blob[:12], blob[12:], _AAD)
    except (ValueError, InvalidTag):
        raise ValueError(
            "These sealed search terms cannot be opened with this clinic's key."
        ) from None
    return plain.decode("utf-8")
