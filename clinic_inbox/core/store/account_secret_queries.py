"""SQL of the sealed account secrets (core.account_secrets holds the sealing)."""

from __future__ import annotations

from clinic_inbox.core.store.connection import Store
from clinic_inbox.core.store.queries import utcnow


def get(store: Store, account_name: str) -> bytes | None:
    row = store.one("SELECT sealed FROM account_secrets WHERE account_name = ?", (account_name,))
    return bytes(row) if row is not None else None


def put(store: Store, account_name: str, sealed: bytes, *, moved: bool = False) -> None:
    now = utcnow()
    store.execute(
        "INSERT INTO account_secrets (account_name, sealed, updated_at, moved_from_keyring_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (account_name) DO UPDATE SET "
        "sealed = excluded.sealed, updated_at = excluded.updated_at",
        (account_name, sealed, now, now if moved else None),
    )


def delete(store: Store, account_name: str) -> bool:
    return (
        store.execute(
            "DELETE FROM account_secrets WHERE account_name = ?", (account_name,)
        ).rowcount
        > 0
    )


def names(store: Store) -> list[str]:
    return [r[0] for r in store.execute("SELECT account_name FROM account_secrets ORDER BY 1")]


def moved_count(store: Store) -> int:
    return store.one("SELECT count(*) FROM account_secrets WHERE moved_from_keyring_at IS NOT NULL")


def account_names(store: Store) -> list[str]:
    """Every configured account (the demo's invented ones have no secret)."""
    return [
        r[0] for r in store.execute("SELECT name FROM accounts WHERE kind != 'demo' ORDER BY id")
    ]
