"""Mail and portal passwords sealed inside the encrypted store (issue 16).

An account's password (IMAP/SMTP) or token (FHIR portal) is a row of the store,
AES-256-GCM under a key derived (HKDF-SHA256) from the store's audit key. The store
is SQLCipher already; the second layer keeps the secret out of every copy made of
the rows (a debugging dump, a table export) and binds each secret to its account's
name, so rows cannot be swapped.

The audit key, not the database key, is the root: it is released with the database
key by a staff member's key slot (so the secret exists only while someone has
unlocked the store), and it survives `key change` and a restore, both of which give
the store a new database key. Nothing of it is ever in the keyring.

Older clinics kept these secrets in the OS keyring (`<store id>:account:<name>`),
readable by any process of the desktop user. `move_from_keyring` takes each one into
the store (one audited transaction), then deletes it from the keyring; a crash in
between leaves a keyring copy that the next open deletes without moving it again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag

from clinic_inbox.core import keyring_move, sealed_values
from clinic_inbox.core.keys import KeyCustodyError
from clinic_inbox.core.store import account_queries as acq
from clinic_inbox.core.store import account_secret_queries as asq
from clinic_inbox.core.store import queries as q

if TYPE_CHECKING:
    from clinic_inbox.core.home import Clinic
    from clinic_inbox.core.store import Store

_INFO = b"clinic-inbox account secrets v1"
# set once a pass found nothing left in the keyring: later opens skip the look-ups
CHECKED_META = "account_secrets_keyring_checked"


class AccountSecretDamaged(KeyCustodyError):
    pass


def _aad(account_name: str) -> bytes:
    return b"account-secret|" + account_name.encode("utf-8")


def seal(audit_key: bytes, account_name: str, secret: str) -> bytes:
    return sealed_values.seal(audit_key, _INFO, _aad(account_name), secret)


def unseal(audit_key: bytes, account_name: str, sealed: bytes) -> str:
    try:
        return sealed_values.unseal(audit_key, _INFO, _aad(account_name), sealed)
    except (InvalidTag, ValueError):
        raise AccountSecretDamaged(
            f"The saved password for the account {account_name!r} cannot be read with this "
            "clinic's key (it was changed or belongs to another clinic). Add the account's "
            "password again in Settings."
        ) from None


def legacy_entry(store_id: str, account_name: str) -> str:
    """Where versions before this module kept the secret in the keyring."""
    return f"{store_id}:account:{account_name}"


def put(store: Store, audit_key: bytes, account_name: str, secret: str) -> None:
    asq.put(store, account_name, seal(audit_key, account_name, secret))


def get(store: Store, audit_key: bytes, account_name: str) -> str | None:
    sealed = asq.get(store, account_name)
    return None if sealed is None else unseal(audit_key, account_name, sealed)


def _legacy(clinic: Clinic) -> keyring_move.LegacySecrets:
    return keyring_move.LegacySecrets(
        entry=legacy_entry,
        checked_meta=CHECKED_META,
        in_store=lambda store, name: asq.get(store, name) is not None,
        keep=lambda store, name, secret: asq.put(
            store, name, seal(clinic.audit_key, name, secret), moved=True
        ),
        action="account.secret_moved",
        detail=lambda store, name: {"account_id": acq.id_by_name(store, name)},
    )


def move_from_keyring(clinic: Clinic, backend: Any | None, *, only: str | None = None) -> int:
    """Take the account secrets an older version left in the keyring into the store
    (core.keyring_move: committed, one audit entry per account, before the keyring copy
    is deleted). Returns how many were moved."""
    if backend is None:
        return 0
    names = [only] if only is not None else asq.account_names(clinic.store)
    return keyring_move.move(clinic, backend, _legacy(clinic), names, one=only is not None)


def checked(clinic: Clinic) -> bool:
    """True once a pass found nothing left in the keyring (no look-up needed again)."""
    return q.get_meta(clinic.store, CHECKED_META) == "1"


def describe(clinic: Clinic) -> str:
    """For `doctor`: where the account passwords are, in words."""
    store = clinic.store
    kept, moved = len(asq.names(store)), asq.moved_count(store)
    accounts = len(asq.account_names(store))
    text = f"{kept} of {accounts} accounts' passwords sealed in the store, none in the keyring"
    if moved:
        text += f" ({moved} moved in from the keyring)"
    if q.get_meta(store, CHECKED_META) != "1" and clinic.custody.method == "keyring":
        text = (
            f"{kept} of {accounts} accounts' passwords sealed in the store; the keyring could "
            "not be checked for older copies yet (they are moved in at the next sign-in)"
        )
    return text
