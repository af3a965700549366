"""Moving secrets an older version left in the OS keyring into the store, once.

One procedure for the mail and portal passwords (core.account_secrets) and this
workstation's shared-queue secrets (core.workstation_secrets); each says where its
keyring entries were, how a secret is kept in the store and what the audit says.

The order holds against a kill at any point: every secret found is written into the
store with its audit entry and committed first; only then are the keyring copies
deleted. A copy left behind (a kill in between, a keyring that stopped answering) is
deleted at the next open without being moved again. The clinic is marked "checked"
(no more keyring look-ups at each open) only after a pass in which the keyring
answered every question and kept nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clinic_inbox.core.keys import SERVICE
from clinic_inbox.core.store import queries as q

if TYPE_CHECKING:
    from clinic_inbox.core.home import Clinic
    from clinic_inbox.core.store import Store


@dataclass(frozen=True)
class LegacySecrets:
    """One kind of secret older versions kept in the keyring."""

    entry: Callable[[str, str], str]  # (store id, name) -> its keyring entry
    checked_meta: str  # the store's mark that nothing is left in the keyring
    in_store: Callable[[Store, str], bool]  # moved already
    keep: Callable[[Store, str, str], None]  # (store, name, value): sealed into the store
    action: str  # the audit entry of each secret moved
    detail: Callable[[Store, str], dict[str, Any]]  # what that entry says of it


class _NotAnswering(Exception):
    pass


def _read(backend: Any, entry: str) -> str | None:
    try:
        return backend.get_password(SERVICE, entry)
    except Exception:  # noqa: BLE001 - the keyring is not answering: try at the next open
        raise _NotAnswering from None


def _forget(backend: Any, entry: str) -> bool:
    """True when the keyring no longer holds the entry."""
    try:
        backend.delete_password(SERVICE, entry)
        return True
    except Exception:  # noqa: BLE001 - not answering, or deleted meanwhile: look
        try:
            return backend.get_password(SERVICE, entry) is None
        except Exception:  # noqa: BLE001
            return False


def checked(store: Store, kind: LegacySecrets) -> bool:
    return q.get_meta(store, kind.checked_meta) == "1"


def move(
    clinic: Clinic, backend: Any | None, kind: LegacySecrets, names: list[str], *, one: bool
) -> int:
    """Move `names` (all there may be, or `one` asked for by name). Returns how many
    were moved into the store."""
    store, store_id = clinic.store, clinic.custody.store_id
    if backend is None or (not one and checked(store, kind)):
        return 0
    found: dict[str, str] = {}
    unanswered = False
    for name in names:
        try:
            value = _read(backend, kind.entry(store_id, name))
        except _NotAnswering:
            unanswered = True  # not "nothing there": look again at the next open
            continue
        if value is not None:
            found[name] = value
    from clinic_inbox.core import audit

    moved = 0
    with store.transaction():
        for name, value in found.items():
            if kind.in_store(store, name):
                continue  # moved already (a kill before the keyring copy was deleted)
            kind.keep(store, name, value)
            audit.append(
                store,
                clinic.audit_key,
                None,
                "system",
                kind.action,
                detail=kind.detail(store, name) | {"from": "keyring", "to": "store"},
            )
            moved += 1
    left = [name for name in found if not _forget(backend, kind.entry(store_id, name))]
    if not one and not left and not unanswered:
        with store.transaction():
            q.set_meta(store, kind.checked_meta, "1")
    return moved
