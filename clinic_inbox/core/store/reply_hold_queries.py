"""Queries for holding a person's reply when someone else answered the same patient
meanwhile on another workstation (`clinic_inbox.shared.reply_hold`).

A held reply stays `pending` with `send_after` at HELD (so the sender never takes it,
"Retry now" neither) and says why in `last_error`; released, it goes as any reply.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinic_inbox.core.store.connection import Store
from clinic_inbox.core.store.queries import HELD_SEND_AFTER, utcnow

HELD = HELD_SEND_AFTER  # the board's query marks held replies by the same value


@dataclass(frozen=True)
class WaitingReply:
    outbox_id: int
    thread_id: int
    message_id: int
    author_id: int
    why: str | None
    server_seq: int | None  # its place in the server's change log, once published


def written_here(store: Store, message_id: int) -> bool:
    """Whether this message left (or waits to leave) from this workstation's outbox."""
    return store.one("SELECT 1 FROM outbox WHERE message_id = ?", (message_id,)) is not None


def waiting_replies(store: Store, thread_id: int) -> list[WaitingReply]:
    """A person's replies in this conversation not sent yet, and not held already."""
    return [
        WaitingReply(*r)
        for r in store.execute(
            "SELECT o.id, o.thread_id, o.message_id, m.author_staff_id, o.last_error, m.shared_seq "
            "FROM outbox o JOIN messages m ON m.id = o.message_id "
            "WHERE o.thread_id = ? AND o.purpose = 'reply' AND o.state = 'pending' "
            "AND m.author_staff_id IS NOT NULL AND (o.send_after IS NULL OR o.send_after <> ?) "
            "ORDER BY o.id",
            (thread_id, HELD),
        )
    ]


def hold(store: Store, outbox_id: int, why: str) -> bool:
    cur = store.execute(
        "UPDATE outbox SET send_after = ?, last_error = ?, updated_at = ? "
        "WHERE id = ? AND state = 'pending'",
        (HELD, why, utcnow(), outbox_id),
    )
    return cur.rowcount > 0


def held_replies(store: Store, author_id: int | None = None) -> list[WaitingReply]:
    sql = (
        "SELECT o.id, o.thread_id, o.message_id, m.author_staff_id, o.last_error, m.shared_seq "
        "FROM outbox o JOIN messages m ON m.id = o.message_id "
        "WHERE o.state = 'pending' AND o.send_after = ?"
    )
    args: tuple = (HELD,)
    if author_id is not None:
        sql += " AND m.author_staff_id = ?"
        args = (HELD, author_id)
    return [WaitingReply(*r) for r in store.execute(sql + " ORDER BY o.id", args)]


def release(store: Store, outbox_id: int) -> bool:
    cur = store.execute(
        "UPDATE outbox SET send_after = NULL, last_error = NULL, updated_at = ? "
        "WHERE id = ? AND state = 'pending' AND send_after = ?",
        (utcnow(), outbox_id, HELD),
    )
    return cur.rowcount > 0


def set_server_seq(store: Store, message_id: int, seq: int) -> None:
    store.execute("UPDATE messages SET shared_seq = ? WHERE id = ?", (int(seq), message_id))


@dataclass(frozen=True)
class HeldRow:
    outbox_id: int
    message_id: int
    author_id: int
    author: str | None  # their display name
    why: str | None
    written_at: str


def held_in_thread(store: Store, thread_id: int) -> list[HeldRow]:
    """The held replies of one conversation, oldest first, with their authors' names."""
    return [
        HeldRow(*r)
        for r in store.execute(
            "SELECT o.id, o.message_id, m.author_staff_id, s.display_name, o.last_error, "
            "o.created_at FROM outbox o JOIN messages m ON m.id = o.message_id "
            "LEFT JOIN staff s ON s.id = m.author_staff_id "
            "WHERE o.thread_id = ? AND o.state = 'pending' AND o.send_after = ? "
            "AND m.author_staff_id IS NOT NULL ORDER BY o.id",
            (thread_id, HELD),
        )
    ]


def discard(store: Store, outbox_id: int) -> bool:
    """A held reply its author decided not to send: cancelled, only while still held
    (never one released and perhaps leaving already)."""
    now = utcnow()
    cur = store.execute(
        "UPDATE outbox SET state = 'cancelled', updated_at = ? "
        "WHERE id = ? AND state = 'pending' AND send_after = ?",
        (now, outbox_id, HELD),
    )
    if cur.rowcount != 1:
        return False
    store.execute(
        "UPDATE messages SET delivery = 'cancelled', delivery_at = ? "
        "WHERE id = (SELECT message_id FROM outbox WHERE id = ?)",
        (now, outbox_id),
    )
    return True


def identity_of(store: Store, message_id: int) -> tuple[str | None, int | None]:
    """(its clinic-wide identity, its conversation) of a message; (None, None) if gone."""
    row = store.execute(
        "SELECT shared_identity, thread_id FROM messages WHERE id = ?", (message_id,)
    ).fetchone()
    return (row[0], int(row[1])) if row else (None, None)


def mark_discarded(store: Store, message_id: int) -> bool:
    """A reply its author discarded on another workstation: not sent, here too (and any
    copy of it waiting in this outbox cancelled). True if it was not marked so yet."""
    now = utcnow()
    cur = store.execute(
        "UPDATE messages SET delivery = 'cancelled', delivery_at = ? "
        "WHERE id = ? AND delivery IS NOT 'cancelled'",
        (now, message_id),
    )
    store.execute(
        "UPDATE outbox SET state = 'cancelled', updated_at = ? "
        "WHERE message_id = ? AND state = 'pending'",
        (now, message_id),
    )
    return cur.rowcount == 1
