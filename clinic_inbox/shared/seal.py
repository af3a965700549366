"""Patient data sealed before it leaves the workstation.

A sealed value is AES-256-GCM under the clinic's seal key with a random nonce. Its
associated data binds it to `clinic|table|row|field|version`, so the server (or
anyone with write access to it) cannot move a ciphertext to another row, field or
version: opening it there fails and nothing is applied.

Identities the server must compare (a message's Message-ID, a staff member's user
name) are keyed HMAC-SHA256 under the clinic's HMAC key, never plain hashes: e-mail
addresses and user names are guessable, a keyed HMAC is not.

The seal key has versions (its id is the second byte of every sealed value): revoking
a workstation makes a new one (`key_rotation.py`), new values are sealed under the
newest, and a value is opened with the version it names, so older rows stay readable.
The HMAC key has one version: identities are compared across all rows, old and new.
Workflow values' MACs are made under a key derived from the newest seal key version
(`field_mac`), so they are renewed with it (server schema 12).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from clinic_inbox.shared import SharedQueueError

FORMAT = 1  # first byte of every sealed value
NONCE = 12
CHECK_LABEL = b"clinic-inbox shared clinic check v1"
VERSION_LABEL = b"clinic-inbox seal key version v1"
MAC_KEY_LABEL = b"clinic-inbox workflow mac key v1|"
# how long after a version's retirement a workstation still reads a workflow value MACed
# under it (the server refuses it from the retirement on: see check_not_retired)
RETIRED_READ_MARGIN = timedelta(minutes=5)
MAX_KEY_ID = 255  # one byte in every sealed value


class TamperedError(SharedQueueError):
    """A server value failed authentication: changed, moved or not this clinic's."""


class UnknownKeyError(TamperedError):
    """A server value sealed under a seal key version this workstation does not hold
    (a newer one it has not received yet, or, for a revoked workstation, never will)."""


@dataclass(frozen=True)
class ClinicKeys:
    clinic_id: str
    # repr=False: keys must never reach a log, a traceback or a crash report.
    seal_key: bytes = field(repr=False)
    hmac_key: bytes = field(repr=False)
    key_id: int = 1
    # the seal key's earlier versions, (id, key), oldest first: kept to open old rows
    older: tuple[tuple[int, bytes], ...] = field(default=(), repr=False)

    @classmethod
    def generate(cls, clinic_id: str) -> ClinicKeys:
        return cls(clinic_id, secrets.token_bytes(32), secrets.token_bytes(32))

    def versions(self) -> dict[int, bytes]:
        """Every seal key version held, by id."""
        return {**dict(self.older), self.key_id: self.seal_key}

    def seal_key_for(self, key_id: int) -> bytes | None:
        return self.versions().get(key_id)

    def with_version(self, key_id: int, seal_key: bytes) -> ClinicKeys:
        """These keys and one more version; the newest version seals from now on."""
        if not 1 <= key_id <= MAX_KEY_ID or len(seal_key) != 32:
            raise ValueError("bad seal key version")
        held = self.versions()
        held[key_id] = seal_key
        newest = max(held)
        older = tuple(sorted((i, k) for i, k in held.items() if i != newest))
        return ClinicKeys(self.clinic_id, held[newest], self.hmac_key, newest, older)

    def check_value(self) -> str:
        """Stored on the server at init: tells a workstation at once whether its keys
        are this server's clinic's, and reveals nothing of the keys. Made from the
        first seal key version, so it holds after rotations."""
        first = self.versions()[min(self.versions())]
        return hmac.new(self.hmac_key, CHECK_LABEL + first, hashlib.sha256).hexdigest()

    def version_check(self, key_id: int) -> str:
        """Stored on the server beside each new seal key version: a workstation that
        receives a version checks it is the clinic's (a wrap anyone could make to its
        public key is not enough). Reveals nothing of the key."""
        key = self.seal_key_for(key_id)
        if key is None:
            raise ValueError("no such seal key version")
        return version_check(self.hmac_key, key_id, key)

    def pack(self) -> bytes:
        return self.seal_key + self.hmac_key

    @classmethod
    def unpack(cls, clinic_id: str, blob: bytes) -> ClinicKeys:
        if len(blob) != 64:
            raise ValueError("bad clinic key material")
        return cls(clinic_id, blob[:32], blob[32:])


def version_check(hmac_key: bytes, key_id: int, seal_key: bytes) -> str:
    msg = VERSION_LABEL + bytes([key_id]) + seal_key
    return hmac.new(hmac_key, msg, hashlib.sha256).hexdigest()


def _aad(keys: ClinicKeys, table: str, row: str, field_name: str, version: int) -> bytes:
    for part in (table, row, field_name):
        if "|" in part:
            raise ValueError("a seal label may not contain |")
    return f"{keys.clinic_id}|{table}|{row}|{field_name}|{int(version)}".encode()


def seal(
    keys: ClinicKeys, table: str, row: str, field_name: str, version: int, data: bytes
) -> bytes:
    nonce = os.urandom(NONCE)
    head = bytes([FORMAT, keys.key_id])
    ct = AESGCM(keys.seal_key).encrypt(
        nonce, data, head + _aad(keys, table, row, field_name, version)
    )
    return head + nonce + ct


def open_sealed(
    keys: ClinicKeys,
    table: str,
    row: str,
    field_name: str,
    version: int,
    blob: bytes,
    server: str = "the shared server",
) -> bytes:
    refused = TamperedError(
        f"A record on {server} ({table} {row}) failed its integrity check: it was changed "
        "or moved on the server, or does not belong to this clinic. It was not applied and "
        "nothing on this computer changed. Tell your IT support."
    )
    blob = bytes(blob)
    if len(blob) < 2 + NONCE + 16 or blob[0] != FORMAT:
        raise refused
    key = keys.seal_key_for(blob[1])  # the version it was sealed under
    if key is None:
        raise UnknownKeyError(
            f"A record on {server} ({table} {row}) is sealed with a clinic key this "
            "computer does not hold (a newer key made when a workstation was revoked, not "
            "yet received here). It was not applied and nothing on this computer changed; "
            "it is read once the key arrives. If this stays, tell your IT support."
        )
    head, nonce, ct = blob[:2], blob[2 : 2 + NONCE], blob[2 + NONCE :]
    try:
        return AESGCM(key).decrypt(nonce, ct, head + _aad(keys, table, row, field_name, version))
    except InvalidTag:
        raise refused from None


def identity(keys: ClinicKeys, kind: str, value: str) -> str:
    """The keyed HMAC the server compares instead of the value itself."""
    msg = kind.encode() + b"\x00" + value.encode("utf-8")
    return hmac.new(keys.hmac_key, msg, hashlib.sha256).hexdigest()


def mac_key(keys: ClinicKeys, key_id: int) -> bytes | None:
    """The key that MACs workflow values under seal key version `key_id`: derived from
    that version, so it is renewed with it when a workstation is revoked (the HMAC key
    is not). None when this workstation does not hold the version."""
    seal_key = keys.seal_key_for(key_id)
    if seal_key is None:
        return None
    return hmac.new(seal_key, MAC_KEY_LABEL + keys.clinic_id.encode(), hashlib.sha256).digest()


def mac_version(mac: str) -> int:
    """The seal key version a workflow MAC was made under: `k<id>:` before it; a MAC
    without one was made under the clinic's HMAC key (before server schema 12), which
    every workstation enrolled before the first renewal holds, as it holds version 1:
    it counts as version 1 (the server's `workflow_mac_version` reads it the same way)."""
    head, sep, _ = (mac or "").partition(":")
    digits = head[1:]
    if sep and head[:1] == "k" and digits.isascii() and digits.isdigit() and len(digits) <= 3:
        return int(head[1:])
    return 1


def _field_msg(keys: ClinicKeys, conv: str, field_name: str, value: str, op_id: str) -> bytes:
    msg = "|".join((keys.clinic_id, conv, field_name, value, op_id)).encode("utf-8")
    return b"field\x00" + msg


def field_mac(keys: ClinicKeys, conv: str, field_name: str, value: str, op_id: str) -> str:
    """Workflow values (status, assignee, priority, sensitive, patient link, purges,
    discards) stay plain on the server so that it can merge them; this MAC, made by the
    workstation that wrote the value, lets every other workstation tell a value changed
    on the server from a real one. It is made under the newest seal key version held
    (`k<id>:` in front): after a revocation the revoked computer cannot make one the
    server takes (schema 12) or a workstation reads as genuine. (It does not stop the
    server from serving an older genuine value: see the report.)"""
    key = mac_key(keys, keys.key_id)
    assert key is not None  # the newest version is always held
    digest = hmac.new(key, _field_msg(keys, conv, field_name, value, op_id), hashlib.sha256)
    return f"k{keys.key_id}:{digest.hexdigest()}"


def _legacy_field_mac(keys: ClinicKeys, conv: str, field_name: str, value: str, op_id: str) -> str:
    """A MAC made before server schema 12, under the HMAC key: old rows stay readable."""
    msg = _field_msg(keys, conv, field_name, value, op_id)
    return hmac.new(keys.hmac_key, msg, hashlib.sha256).hexdigest()


def check_field(
    keys: ClinicKeys,
    conv: str,
    field_name: str,
    value: str,
    op_id: str,
    mac: str,
    server: str = "the shared server",
) -> None:
    mac = mac or ""
    if ":" not in mac:
        expected = _legacy_field_mac(keys, conv, field_name, value, op_id)
    else:
        key_id = mac_version(mac)
        key = mac_key(keys, key_id)
        if key is None:
            raise UnknownKeyError(
                f"A record on {server} (conversation {conv}, {field_name}) was written with a "
                "clinic key this computer does not hold (a newer key made when a workstation "
                "was revoked, not yet received here). It was not applied and nothing on this "
                "computer changed; it is read once the key arrives. If this stays, tell your "
                "IT support."
            )
        digest = hmac.new(key, _field_msg(keys, conv, field_name, value, op_id), hashlib.sha256)
        expected = f"k{key_id}:{digest.hexdigest()}"
    if not hmac.compare_digest(expected, mac):
        raise TamperedError(
            f"A record on {server} (conversation {conv}, {field_name}) failed its integrity "
            "check: it was changed on the server, or does not belong to this clinic. It was "
            "not applied and nothing on this computer changed. Tell your IT support."
        )


def check_not_retired(
    retired: dict[int, datetime],
    mac: str,
    written_at: datetime | None,
    what: str,
    server: str = "the shared server",
) -> None:
    """A workflow value written after its MAC's key version was retired (`retired`:
    version -> when the server stopped accepting it, `retired_versions`) is refused as
    the server refuses it: a server that took it anyway (one its owner's login changed)
    does not make the workstations apply it. Values written before stay readable, and
    so do those written within RETIRED_READ_MARGIN after: the server stamps the floor's
    move before the revoking transaction commits, and a workstation without the new
    version may write in between (taken by the server, rightly); refused here, such a
    value would stop every workstation's pull until the field is written again."""
    since = retired.get(mac_version(mac))
    if since is not None and (written_at is None or written_at >= since + RETIRED_READ_MARGIN):
        raise TamperedError(
            f"A record on {server} ({what}) was written with a clinic key that was retired "
            "when a workstation was revoked, after it was retired: it may come from the "
            "revoked computer. It was not applied and nothing on this computer changed. "
            "Tell your IT support."
        )


def retired_versions(enforced: list[tuple[int, datetime | None]]) -> dict[int, datetime]:
    """From the server's `seal_key_version` rows (version, enforced_at; version 1 has
    none): when each version was retired, that is when the oldest accepted version
    first went past it (schema 11 marks every version up to the new oldest at once)."""
    out: dict[int, datetime] = {}
    newest = max((k for k, _ in enforced), default=1)
    for key_id in range(1, newest):
        later = [at for k, at in enforced if k > key_id and at is not None]
        if later:
            out[key_id] = min(later)
    return out
