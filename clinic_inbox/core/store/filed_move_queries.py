"""Filed conversations whose emails still wait to be moved to the Filed folder on the
mail server (schema 19). core.services_filed_moves decides when."""

from __future__ import annotations

from clinic_inbox.core.store.connection import Store


def ask(store: Store, thread_id: int, at: str) -> None:
    """The conversation's emails are to be moved (asked again: still once)."""
    store.execute(
        "INSERT INTO filed_moves (thread_id, asked_at) VALUES (?, ?) "
        "ON CONFLICT (thread_id) DO NOTHING",
        (thread_id, at),
    )


def waiting(store: Store) -> list[int]:
    """The conversations whose move was not made yet, oldest first."""
    return [int(r[0]) for r in store.execute("SELECT thread_id FROM filed_moves ORDER BY asked_at")]


def is_waiting(store: Store, thread_id: int) -> bool:
    return store.one("SELECT 1 FROM filed_moves WHERE thread_id = ?", (thread_id,)) is not None


def made(store: Store, thread_id: int) -> None:
    store.execute("DELETE FROM filed_moves WHERE thread_id = ?", (thread_id,))


def not_made(store: Store, thread_id: int, problem: str) -> None:
    """Kept for the next sync, with what went wrong this time (server words, no content)."""
    store.execute(
        "UPDATE filed_moves SET tries = tries + 1, last_problem = ? WHERE thread_id = ?",
        (problem, thread_id),
    )


def last_problem(store: Store, thread_id: int) -> tuple[int, str | None] | None:
    """(tries, last problem) of a waiting move; None when none waits."""
    row = store.execute(
        "SELECT tries, last_problem FROM filed_moves WHERE thread_id = ?", (thread_id,)
    ).fetchone()
    return (int(row[0]), row[1]) if row else None
