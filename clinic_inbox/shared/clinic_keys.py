"""The clinic's keys and the server's address, kept in this workstation's keyring.

The same secure keyring backend and service name that keep the store key
(`core.keys.KeyCustody`), one more entry beside them: `<store id>:shared`. The
connection string may carry the workstation's server password, so it lives here
too, never in a file. A workstation whose key custody is a passphrase file (no
secure keyring) cannot join a shared server in this version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from clinic_inbox.core.keys import SERVICE, KeyCustody, describe_backend
from clinic_inbox.shared import SharedQueueError
from clinic_inbox.shared.seal import ClinicKeys


class NoKeyringForServer(SharedQueueError):
    pass


@dataclass(frozen=True)
class ServerLink:
    dsn: str = field(repr=False)  # may hold a password
    keys: ClinicKeys


def _entry(custody: KeyCustody) -> str:
    return f"{custody.record().store_id}:shared"


def require_backend(custody: KeyCustody):  # noqa: ANN202 - a keyring backend
    if custody.backend is None:
        raise NoKeyringForServer(
            "A shared server needs this computer's secure keyring to keep the clinic's keys, "
            f"and {custody.why_no_keyring or 'no secure keyring is available'}. Sign in to a "
            "desktop session with a keyring and try again. Nothing was changed."
        )
    return custody.backend


def save(custody: KeyCustody, link: ServerLink) -> None:
    value = json.dumps(
        {
            "clinic_id": link.keys.clinic_id,
            "key_id": link.keys.key_id,
            "keys": link.keys.pack().hex(),
            "dsn": link.dsn,
        }
    )
    require_backend(custody).set_password(SERVICE, _entry(custody), value)


def load(custody: KeyCustody) -> ServerLink | None:
    """The link, or None when this workstation has not joined a server."""
    backend = require_backend(custody)
    try:
        value = backend.get_password(SERVICE, _entry(custody))
    except Exception:  # noqa: BLE001 - the keyring daemon or its bus is gone
        raise NoKeyringForServer(
            f"{describe_backend(custody.record().backend)} did not answer, so the shared "
            "server's keys cannot be read. This computer keeps working on its own copy; "
            "sign out and back in to restart the keyring."
        ) from None
    if not value:
        return None
    try:
        d = json.loads(value)
        keys = ClinicKeys.unpack(d["clinic_id"], bytes.fromhex(d["keys"]))
        keys = ClinicKeys(keys.clinic_id, keys.seal_key, keys.hmac_key, int(d["key_id"]))
        return ServerLink(d["dsn"], keys)
    except (ValueError, KeyError, TypeError):
        raise NoKeyringForServer(
            "The keyring entry for the shared server is damaged. Connect again with "
            "`clinic-inbox server connect` and the clinic code."
        ) from None


def forget(custody: KeyCustody) -> None:
    try:
        require_backend(custody).delete_password(SERVICE, _entry(custody))
    except Exception:  # noqa: BLE001 - absent already
        pass
