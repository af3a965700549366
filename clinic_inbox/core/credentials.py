"""Account passwords and tokens: kept in the OS keyring, never in the store or a file."""

from __future__ import annotations

from typing import Any

from clinic_inbox.core.keys import SERVICE, KeyCustodyError


class NoKeyringForCredentials(KeyCustodyError):
    pass


class KeyringStoppedError(KeyCustodyError):
    pass


class Credentials:
    def __init__(self, backend: Any | None, store_id: str, why_not: str = "") -> None:
        self._backend = backend
        self._store_id = store_id
        self._why_not = why_not

    @property
    def backend(self) -> Any | None:
        return self._backend

    @property
    def available(self) -> bool:
        return self._backend is not None

    def why_unavailable(self) -> str:
        return (
            "Account passwords are only kept in the computer's secure keyring, and "
            f"{self._why_not or 'no secure keyring is available'}. Sign in to a desktop "
            "session with a keyring (GNOME Keyring, KWallet, macOS Keychain or Windows "
            "Credential Locker) to add or use mail and portal accounts."
        )

    def _require(self) -> Any:
        if self._backend is None:
            raise NoKeyringForCredentials(self.why_unavailable())
        return self._backend

    def _name(self, account: str) -> str:
        return f"{self._store_id}:account:{account}"

    def set(self, account: str, secret: str) -> None:
        self._require().set_password(SERVICE, self._name(account), secret)

    def get(self, account: str) -> str:
        try:
            secret = self._require().get_password(SERVICE, self._name(account))
        except KeyCustodyError:
            raise
        except Exception:  # noqa: BLE001 - D-Bus, locked collection, daemon gone...
            raise KeyringStoppedError(
                f"The computer's keyring stopped answering, so the password for {account!r} "
                "cannot be read. Messages already here stay available and replies wait in "
                "the outbox. Sign out of the computer and back in to restart the keyring; "
                "sync resumes by itself."
            ) from None
        if secret is None:
            raise KeyCustodyError(
                f"The password for the account {account!r} is missing from the keyring. "
                "Add the account again with its password."
            )
        return secret

    def delete(self, account: str) -> None:
        try:
            self._require().delete_password(SERVICE, self._name(account))
        except Exception:  # noqa: BLE001 - absent is fine
            pass
