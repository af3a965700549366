"""This workstation's shared-queue secrets, sealed inside the encrypted store (issue 16).

A workstation that works with a clinic's shared server holds three secrets of its own:
the clinic keys with its server login (`shared`), its Ed25519 audit signing key
(`audit-sign`) and, while it waits to be enrolled, its X25519 join key (`shared-join`).
Older versions kept them in the OS keyring in clear, where any process of the desktop
user could read them without a prompt. They are now values of the store, sealed a
second time (AES-256-GCM under a key derived from the store's audit key, bound to the
secret's name) as the mail passwords are (core.account_secrets): they exist only while
a staff member has unlocked the store, and the shared-queue jobs, which run only while
the clinic is open, read them from it.

`move_from_keyring` takes what an older version left in the keyring into the store at
the next open: one audit entry per secret, committed before the keyring entry is
deleted, so a kill between the two loses nothing (the next open deletes the keyring
copy without moving it again).
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag

from clinic_inbox.core import keyring_move, sealed_values
from clinic_inbox.core.keys import KeyCustodyError
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import workstation_secret_queries as wsq

if TYPE_CHECKING:
    from clinic_inbox.core.home import Clinic
    from clinic_inbox.core.store import Store

SHARED_LINK = "shared"
AUDIT_SIGNING = "audit-sign"
JOIN_REQUEST = "shared-join"
# the names are also the suffixes of the keyring entries older versions wrote
NAMES = {
    SHARED_LINK: "the shared server's clinic keys and login",
    AUDIT_SIGNING: "this computer's audit signing key",
    JOIN_REQUEST: "this computer's request to join a shared server",
}
_INFO = b"clinic-inbox workstation secrets v1"
# set once a pass found nothing left in the keyring: later opens skip the look-ups
CHECKED_META = "ws_secrets_keyring_checked"


class WorkstationSecretDamaged(KeyCustodyError):
    pass


def _aad(name: str) -> bytes:
    return b"workstation-secret|" + name.encode("utf-8")


def seal(audit_key: bytes, name: str, value: str) -> str:
    """Base64 text: the store keeps these in its text `meta` values."""
    raw = sealed_values.seal(audit_key, _INFO, _aad(name), value)
    return base64.b64encode(raw).decode("ascii")


def unseal(audit_key: bytes, name: str, sealed: str) -> str:
    try:
        raw = base64.b64decode(sealed.encode("ascii"), validate=True)
        return sealed_values.unseal(audit_key, _INFO, _aad(name), raw)
    except (InvalidTag, ValueError):
        raise WorkstationSecretDamaged(
            f"The store's copy of {NAMES.get(name, name)} cannot be read with this clinic's "
            "key (it was changed, or it belongs to another clinic). Connect this computer to "
            "the shared server again (`clinic-inbox server connect` with the clinic code)."
        ) from None


def put(store: Store, audit_key: bytes, name: str, value: str) -> None:
    """Joins the caller's transaction, if any."""
    with store.transaction():
        wsq.put(store, name, seal(audit_key, name, value))


def get(clinic: Clinic, name: str) -> str | None:
    """The secret, or None when this workstation has none. One an older version left in
    the keyring (not moved at the open: the keyring was not answering then) is moved now."""
    sealed = wsq.get(clinic.store, name)
    backend = clinic.credentials.backend if clinic.credentials is not None else None
    if sealed is None and backend is not None and q.get_meta(clinic.store, CHECKED_META) != "1":
        move_from_keyring(clinic, backend, only=name)
        sealed = wsq.get(clinic.store, name)
    return None if sealed is None else unseal(clinic.audit_key, name, sealed)


def delete(store: Store, name: str) -> bool:
    with store.transaction():
        return wsq.delete(store, name)


def legacy_entry(store_id: str, name: str) -> str:
    """Where versions before this module kept the secret in the keyring."""
    return f"{store_id}:{name}"


def _legacy(clinic: Clinic) -> keyring_move.LegacySecrets:
    return keyring_move.LegacySecrets(
        entry=legacy_entry,
        checked_meta=CHECKED_META,
        in_store=lambda store, name: wsq.get(store, name) is not None,
        keep=lambda store, name, value: wsq.put(
            store, name, seal(clinic.audit_key, name, value), moved=True
        ),
        action="workstation.secret_moved",
        detail=lambda _store, name: {"secret": name},
    )


def move_from_keyring(clinic: Clinic, backend: Any | None, *, only: str | None = None) -> int:
    """Take the secrets an older version left in the keyring into the store
    (core.keyring_move: committed, one audit entry per secret, before the keyring copy
    is deleted). Returns how many were moved."""
    names = [only] if only is not None else list(NAMES)
    return keyring_move.move(clinic, backend, _legacy(clinic), names, one=only is not None)


def describe(clinic: Clinic) -> str:
    """For `doctor`: where this workstation's shared-queue secrets are, in words."""
    store = clinic.store
    kept = [NAMES.get(n, n) for n in wsq.names(store)]
    unchecked = q.get_meta(store, CHECKED_META) != "1" and clinic.custody.method == "keyring"
    from clinic_inbox.core.workstation_identity import retired_notice

    if kept:
        text = "sealed in the store: " + ", ".join(kept)
    elif retired_notice(store) is not None:
        text = (
            "none in the store (given up: this copy of the clinic came from a backup or "
            "another computer or folder; an administrator joins it to the clinic again)"
        )
    else:
        text = "none in the store (this computer does not work with a shared server)"
    moved = wsq.moved(store)
    if moved:
        text += f" ({len(moved)} moved in from the keyring)"
    if unchecked:
        return text + (
            "; the keyring could not be checked for older copies yet (they are moved in at "
            "the next sign-in)"
        )
    return text + "; none in the keyring"
