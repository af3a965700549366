"""Mail and portal accounts changed or removed in Settings."""

from __future__ import annotations

from clinic_inbox.core.store.connection import Store


def get_account(store: Store, account_id: int) -> tuple[str, str, str] | None:
    """(name, kind, config JSON) of a current account."""
    row = store.execute(
        "SELECT name, kind, config FROM accounts WHERE id = ? "
        "AND json_extract(config, '$.removed_at') IS NULL",
        (account_id,),
    ).fetchone()
    return (row[0], row[1], row[2]) if row else None


def name_taken(store: Store, name: str, other_than: int) -> bool:
    return (
        store.execute(
            "SELECT 1 FROM accounts WHERE name = ? AND id != ?", (name, other_than)
        ).fetchone()
        is not None
    )


def update_account(store: Store, account_id: int, name: str, config_json: str) -> None:
    store.execute(
        "UPDATE accounts SET name = ?, config = ? WHERE id = ?", (name, config_json, account_id)
    )


def replies_waiting(store: Store, account_id: int) -> int:
    """Replies still to go out through this account."""
    return int(
        store.execute(
            "SELECT count(*) FROM outbox WHERE account_id = ? AND state IN ('pending','sending')",
            (account_id,),
        ).fetchone()[0]
    )


def messages_from(store: Store, account_id: int) -> int:
    return int(
        store.execute(
            "SELECT (SELECT count(*) FROM messages WHERE account_id = ?) "
            "+ (SELECT count(*) FROM outbox WHERE account_id = ?)",
            (account_id, account_id),
        ).fetchone()[0]
    )


def delete_account(store: Store, account_id: int) -> None:
    """An account no message came through: nothing of it stays."""
    store.execute("DELETE FROM sync_state WHERE account_id = ?", (account_id,))
    store.execute("DELETE FROM sync_events WHERE account_id = ?", (account_id,))
    store.execute("DELETE FROM accounts WHERE id = ?", (account_id,))


def retire_account(store: Store, account_id: int, new_name: str, config_json: str) -> None:
    """An account messages came through: its row stays (they name it) but it is no
    longer synced, listed or used; its name is freed for a new account."""
    store.execute("DELETE FROM sync_state WHERE account_id = ?", (account_id,))
    update_account(store, account_id, new_name, config_json)


# -- accounts added and listed (core.accounts holds their settings and checks) ---------
def name_exists(store: Store, name: str) -> bool:
    """Any account of that name, removed ones too (their rows still name messages)."""
    return store.one("SELECT 1 FROM accounts WHERE name = ?", (name,)) is not None


def id_by_name(store: Store, name: str) -> int | None:
    return store.one("SELECT id FROM accounts WHERE name = ?", (name,))


def add_account(store: Store, name: str, kind: str, config_json: str, created_at: str) -> int:
    cur = store.execute(
        "INSERT INTO accounts (name, kind, config, created_at) VALUES (?, ?, ?, ?)",
        (name, kind, config_json, created_at),
    )
    return int(cur.lastrowid)


def current_configs(store: Store, kind: str) -> list[tuple[int, str]]:
    """(id, config JSON) of the accounts of a kind not removed, oldest first."""
    return [
        (int(r[0]), r[1])
        for r in store.execute(
            "SELECT id, config FROM accounts WHERE kind = ? AND "
            "json_extract(config, '$.removed_at') IS NULL ORDER BY id",
            (kind,),
        )
    ]


def current_accounts(store: Store) -> list[tuple[int, str, str, str]]:
    """(id, name, kind, config JSON) of every account not removed, oldest first."""
    return [
        (int(r[0]), r[1], r[2], r[3])
        for r in store.execute(
            "SELECT id, name, kind, config FROM accounts "
            "WHERE json_extract(config, '$.removed_at') IS NULL ORDER BY id"
        )
    ]


def demo_account(store: Store, account_id: int | None) -> tuple[str, str | None] | None:
    """(name, config JSON) of the demo clinic's invented account of that id."""
    row = store.execute(
        "SELECT name, config FROM accounts WHERE id = ? AND kind = 'demo'", (account_id,)
    ).fetchone()
    return (row[0], row[1]) if row else None
