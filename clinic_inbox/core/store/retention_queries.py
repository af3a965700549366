"""SQL for keeping and purging the inbox copy of conversations filed to the chart."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from clinic_inbox.core.store.connection import Store
from clinic_inbox.core.store.queries import utcnow

PURGED_SUBJECT = "(removed from the inbox after filing)"


def purgeable(store: Store, filed_before: str) -> list[tuple[int, int | None, str, str | None]]:
    """(conversation, patient, filed at, document) filed before the limit, done, not on
    hold, with nothing newer than what was filed (that would not be in the chart)."""
    return [
        (r[0], r[1], r[2], r[3])
        for r in store.execute(
            "SELECT id, patient_id, filed_at, filed_document_id FROM threads "
            "WHERE status = 'done' AND filed_at IS NOT NULL AND filed_at < ? "
            "AND last_message_at <= filed_at AND NOT legal_hold AND purged_at IS NULL "
            "ORDER BY id",
            (filed_before,),
        )
    ]


def purge_thread(store: Store, thread_id: int) -> int:
    """Remove every word of a conversation; its row stays as a tombstone. Returns the
    number of messages removed."""
    ids = [r[0] for r in store.execute("SELECT id FROM messages WHERE thread_id = ?", (thread_id,))]
    for mid in ids:
        store.execute("DELETE FROM message_search WHERE rowid = ?", (mid,))
    store.execute("DELETE FROM outbox WHERE thread_id = ?", (thread_id,))
    store.execute(
        "DELETE FROM outbox WHERE message_id IN (SELECT id FROM messages WHERE thread_id = ?)",
        (thread_id,),
    )
    store.execute("DELETE FROM messages WHERE thread_id = ?", (thread_id,))  # attachments cascade
    store.execute("DELETE FROM thread_notes WHERE thread_id = ?", (thread_id,))
    store.execute(
        "UPDATE threads SET subject = ?, snippet = NULL, snippet_at = NULL, purged_at = ?, "
        "updated_at = ? WHERE id = ?",
        (PURGED_SUBJECT, utcnow(), utcnow(), thread_id),
    )
    return len(ids)


def compact_search_index(store: Store) -> None:
    """Rewrite the search index without the deleted entries (FTS5 keeps them in old
    segments until merged)."""
    store.execute("INSERT INTO message_search (message_search) VALUES ('optimize')")


def set_hold(store: Store, thread_id: int, reason: str | None) -> None:
    store.execute(
        "UPDATE threads SET legal_hold = ?, legal_hold_reason = ? WHERE id = ?",
        (int(reason is not None), reason, thread_id),
    )


def held(store: Store, thread_id: int) -> bool:
    return bool(store.one("SELECT legal_hold FROM threads WHERE id = ?", (thread_id,)))


def created_at(store: Store, thread_id: int) -> str | None:
    r = store.execute("SELECT created_at FROM threads WHERE id = ?", (thread_id,)).fetchone()
    return r[0] if r else None


def unpurged_matching(store: Store, thread_id: int, created: str) -> int | None:
    """The patient of this conversation if it is still here, the same conversation
    (created then) and not purged yet; None otherwise. (-1: no patient.)"""
    r = store.execute(
        "SELECT coalesce(patient_id, -1) FROM threads "
        "WHERE id = ? AND created_at = ? AND purged_at IS NULL",
        (thread_id, created),
    ).fetchone()
    return r[0] if r else None


def unpurged_among(store: Store, thread_ids: list[int]) -> dict[int, tuple[str, int]]:
    """Of these conversations, those still here and not purged: id -> (created at,
    patient or -1). One query, however many (JSON1's json_each)."""
    import json

    return {
        int(r[0]): (r[1], int(r[2]))
        for r in store.execute(
            "SELECT id, created_at, coalesce(patient_id, -1) FROM threads "
            "WHERE purged_at IS NULL AND id IN (SELECT value FROM json_each(?))",
            (json.dumps(thread_ids),),
        )
    }


@contextmanager
def secure_deletion(store: Store) -> Iterator[None]:
    """Pages freed inside are overwritten with zeros, not left holding what was purged
    (outside a transaction: SQLite takes the setting per connection)."""
    store.execute("PRAGMA secure_delete = ON")
    try:
        yield
    finally:
        store.execute("PRAGMA secure_delete = OFF")


def fold_wal(store: Store) -> None:
    """Copy the write-ahead log into the file and empty it, so purged pages do not stay
    in the log either."""
    store.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
