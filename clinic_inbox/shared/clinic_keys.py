"""The clinic's keys and the server's address, kept sealed in this workstation's store.

One value of the store (core.workstation_secrets, `shared`): the clinic keys and the
connection string, which carries this workstation's own server password. Sealed under
the store's audit key, so they exist only while a staff member has the clinic open
(older versions kept them in the OS keyring in clear; they move in at the next open).
The shared-queue jobs run only while the clinic is open and read them from it. A
workstation whose key custody is a passphrase (no secure keyring) keeps them the same way.

Every seal key version is kept (`older`), so rows sealed before a rotation stay
readable, and so is this workstation's X25519 key (`wrap_key`) to which new versions
are wrapped for it (key_rotation.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from clinic_inbox.core import workstation_secrets
from clinic_inbox.shared import SharedQueueError
from clinic_inbox.shared.seal import ClinicKeys

if TYPE_CHECKING:
    from clinic_inbox.core.home import Clinic


class NoKeyringForServer(SharedQueueError):
    """Kept for callers written when these keys needed a keyring; no longer raised."""


@dataclass(frozen=True)
class ServerLink:
    dsn: str = field(repr=False)  # may hold a password
    keys: ClinicKeys
    # this workstation's X25519 private key (raw) for receiving new seal key versions
    wrap_key: bytes | None = field(default=None, repr=False)


def save(clinic: Clinic, link: ServerLink) -> None:
    """Joins the caller's transaction, if any."""
    value = json.dumps(
        {
            "clinic_id": link.keys.clinic_id,
            "key_id": link.keys.key_id,
            "keys": link.keys.pack().hex(),
            "dsn": link.dsn,
            "older": {str(i): k.hex() for i, k in link.keys.older},
            "wrap_key": link.wrap_key.hex() if link.wrap_key else None,
        }
    )
    workstation_secrets.put(clinic.store, clinic.audit_key, workstation_secrets.SHARED_LINK, value)


def load(clinic: Clinic) -> ServerLink | None:
    """The link, or None when this workstation has not joined a server."""
    try:
        value = workstation_secrets.get(clinic, workstation_secrets.SHARED_LINK)
    except workstation_secrets.WorkstationSecretDamaged as exc:
        raise SharedQueueError(str(exc)) from None
    if not value:
        return None
    try:
        d = json.loads(value)
        keys = ClinicKeys.unpack(d["clinic_id"], bytes.fromhex(d["keys"]))
        keys = ClinicKeys(keys.clinic_id, keys.seal_key, keys.hmac_key, int(d["key_id"]))
        for i, k in (d.get("older") or {}).items():
            keys = keys.with_version(int(i), bytes.fromhex(k))
        wrap_key = bytes.fromhex(d["wrap_key"]) if d.get("wrap_key") else None
        return ServerLink(d["dsn"], keys, wrap_key)
    except (ValueError, KeyError, TypeError):
        raise SharedQueueError(
            "This computer's copy of the shared server's keys is damaged. Connect again "
            "with `clinic-inbox server connect` and the clinic code."
        ) from None


def forget(clinic: Clinic) -> None:
    workstation_secrets.delete(clinic.store, workstation_secrets.SHARED_LINK)
