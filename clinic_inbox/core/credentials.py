"""Account passwords and tokens: sealed inside the encrypted store (core.account_secrets).

They exist only while a staff member has the store unlocked; nothing of them is in the
keyring (any process of the desktop user could read it there) or in a file. Sync
workers and the CLI read them through the open clinic (`clinic.credentials`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from clinic_inbox.core import account_secrets
from clinic_inbox.core.keys import KeyCustodyError
from clinic_inbox.core.store import account_secret_queries as asq

if TYPE_CHECKING:
    from clinic_inbox.core.home import Clinic


class NoKeyringForCredentials(KeyCustodyError):
    """Kept for callers written when the secrets needed a keyring; no longer raised."""


class KeyringStoppedError(KeyCustodyError):
    pass


class Credentials:
    """The open clinic's account secrets. `backend` is the keyring the clinic's key
    custody uses (key slots need it), only read here to move older entries in."""

    def __init__(self, clinic: Clinic, backend: Any | None, why_not: str = "") -> None:
        self._clinic = clinic
        self._backend = backend
        self._why_not = why_not

    @property
    def backend(self) -> Any | None:
        return self._backend

    @property
    def available(self) -> bool:
        return True  # the store keeps them: no keyring needed

    def why_unavailable(self) -> str:
        return ""

    def set(self, account: str, secret: str) -> None:
        """Joins the caller's transaction (the service writes its audit entry there)."""
        clinic = self._clinic
        with clinic.store.transaction():
            account_secrets.put(clinic.store, clinic.audit_key, account, secret)

    def get(self, account: str) -> str:
        clinic = self._clinic
        secret = account_secrets.get(clinic.store, clinic.audit_key, account)
        if secret is None and self._backend is not None and not account_secrets.checked(clinic):
            # an entry an older version left in the keyring after the open-time move
            # could not reach it (the keyring was not answering then)
            if account_secrets.move_from_keyring(clinic, self._backend, only=account):
                secret = account_secrets.get(clinic.store, clinic.audit_key, account)
        if secret is None:
            raise KeyCustodyError(
                f"The password for the account {account!r} is missing. Add the account "
                "again with its password (Settings, or `clinic-inbox account`)."
            )
        return secret

    def delete(self, account: str) -> None:
        clinic = self._clinic
        with clinic.store.transaction():
            asq.delete(clinic.store, account)
