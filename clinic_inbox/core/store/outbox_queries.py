"""The outbox: replies and acknowledgements waiting for the network.

States: pending -> sending -> sent, or -> failed after too many attempts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from clinic_inbox.core.store.connection import Store
from clinic_inbox.core.store.queries import utcnow

MAX_ATTEMPTS = 12


@dataclass(frozen=True)
class OutboxItem:
    id: int
    thread_id: int | None
    message_id: int | None
    account_id: int | None
    kind: str
    purpose: str
    idempotency_key: str
    payload: bytes
    state: str
    attempts: int
    last_error: str | None


_COLS = (
    "id, thread_id, message_id, account_id, kind, purpose, idempotency_key, payload, state, "
    "attempts, last_error"
)


def enqueue(
    store: Store,
    *,
    kind: str,
    purpose: str,
    idempotency_key: str,
    payload: bytes,
    thread_id: int | None,
    message_id: int | None,
    account_id: int | None,
) -> int:
    now = utcnow()
    cur = store.execute(
        "INSERT INTO outbox (thread_id, message_id, account_id, kind, purpose, idempotency_key, "
        "payload, state, next_attempt_at, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
        (thread_id, message_id, account_id, kind, purpose, idempotency_key, payload, now, now, now),
    )
    return int(cur.lastrowid)


def has_key(store: Store, idempotency_key: str) -> bool:
    """Whether something with this idempotency key was ever queued (sent or not)."""
    return (
        store.one("SELECT 1 FROM outbox WHERE idempotency_key = ?", (idempotency_key,)) is not None
    )


def get(store: Store, item_id: int) -> OutboxItem | None:
    row = store.execute(f"SELECT {_COLS} FROM outbox WHERE id = ?", (item_id,)).fetchone()
    return OutboxItem(*row) if row else None


def due(store: Store, kind: str, now: datetime | None = None) -> list[OutboxItem]:
    at = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    return [
        OutboxItem(*r)
        for r in store.execute(
            f"SELECT {_COLS} FROM outbox WHERE kind = ? AND state = 'pending' "
            "AND (next_attempt_at IS NULL OR next_attempt_at <= ?) "
            "AND (send_after IS NULL OR send_after <= ?) ORDER BY id",
            (kind, at, at),
        )
    ]


def queued_at(store: Store, item_id: int) -> datetime | None:
    """When the item was put in the outbox here (UTC)."""
    at = store.one("SELECT created_at FROM outbox WHERE id = ?", (item_id,))
    if not at:
        return None
    when = datetime.fromisoformat(at)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def in_state(store: Store, state: str, kind: str | None = None) -> list[OutboxItem]:
    sql, params = f"SELECT {_COLS} FROM outbox WHERE state = ?", [state]
    if kind:
        sql += " AND kind = ?"
        params.append(kind)
    return [OutboxItem(*r) for r in store.execute(sql + " ORDER BY id", params)]


def mark_sending(store: Store, item_id: int) -> None:
    store.execute(
        "UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ? "
        "WHERE id = ? AND state = 'pending'",
        (utcnow(), item_id),
    )


def mark_sent(store: Store, item_id: int, copied: bool = True) -> None:
    now = utcnow()
    store.execute(
        "UPDATE outbox SET state = 'sent', sent_at = ?, updated_at = ?, last_error = NULL, copied = ? "
        "WHERE id = ?",
        (now, now, int(copied), item_id),
    )


def mark_copied(store: Store, item_id: int) -> None:
    store.execute("UPDATE outbox SET copied = 1 WHERE id = ?", (item_id,))


def uncopied(store: Store, account_id: int) -> list[OutboxItem]:
    """Sent emails whose Sent-folder copy is still missing."""
    return [
        OutboxItem(*r)
        for r in store.execute(
            f"SELECT {_COLS} FROM outbox WHERE kind = 'email' AND state = 'sent' AND copied = 0 "
            "AND account_id = ? ORDER BY id",
            (account_id,),
        )
    ]


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min ... capped at 30 min."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 1800))


def mark_retry(store: Store, item_id: int, error: str, now: datetime | None = None) -> str:
    """Back to pending with a later attempt time, or failed after MAX_ATTEMPTS."""
    row = store.execute("SELECT attempts FROM outbox WHERE id = ?", (item_id,)).fetchone()
    attempts = int(row[0]) if row else 0
    state = "failed" if attempts >= MAX_ATTEMPTS else "pending"
    at = ((now or datetime.now(UTC)) + backoff(attempts)).isoformat(timespec="seconds")
    store.execute(
        "UPDATE outbox SET state = ?, last_error = ?, next_attempt_at = ?, updated_at = ? "
        "WHERE id = ?",
        (state, error[:500], at, utcnow(), item_id),
    )
    return state


def mark_waiting(store: Store, item_id: int, why: str) -> None:
    """Back to pending, due again at the next pass: it waits on something other than
    the network's health (the clinic's server deciding who sends it, another computer's
    copy), so no back-off, and waiting never makes it fail."""
    now = utcnow()
    store.execute(
        "UPDATE outbox SET state = 'pending', last_error = ?, next_attempt_at = ?, "
        "updated_at = ? WHERE id = ?",
        (why[:500], now, now, item_id),
    )


def reset_to_pending(store: Store, item_id: int) -> None:
    store.execute(
        "UPDATE outbox SET state = 'pending', next_attempt_at = ?, updated_at = ? WHERE id = ?",
        (utcnow(), utcnow(), item_id),
    )


def retry_now(store: Store) -> int:
    """'Retry now': every waiting item becomes due immediately (one kept for a chosen
    later time still waits for it)."""
    now = utcnow()
    cur = store.execute(
        "UPDATE outbox SET next_attempt_at = ? WHERE state = 'pending' "
        "AND (send_after IS NULL OR send_after <= ?)",
        (now, now),
    )
    return cur.rowcount


def counts(store: Store) -> dict[str, int]:
    return {
        r[0]: int(r[1]) for r in store.execute("SELECT state, count(*) FROM outbox GROUP BY state")
    }


def acknowledged_since(store: Store, thread_id: int, since: str, purposes: tuple[str, ...]) -> bool:
    """Whether this conversation got an automatic reply of one of `purposes` since then:
    queued here, or (on a shared queue) sent by another workstation, whose copy arrived
    as a message of the conversation, known by its derived Message-ID
    (`send_claims.automatic_message_id`)."""
    marks = ", ".join("?" for _ in purposes)
    if (
        store.one(
            f"SELECT 1 FROM outbox WHERE thread_id = ? AND purpose IN ({marks}) AND created_at >= ?",
            (thread_id, *purposes, since),
        )
        is not None
    ):
        return True
    likes = " OR ".join("message_id_header LIKE ?" for _ in purposes)
    return (
        store.one(
            f"SELECT 1 FROM messages WHERE thread_id = ? AND direction = 'out' "
            f"AND received_at >= ? AND ({likes})",
            (thread_id, since, *(f"<auto-{p}-%" for p in purposes)),
        )
        is not None
    )
