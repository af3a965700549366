"""Folding a conversation left with no message into the one its messages went to.

The shared queue files each message where the server does (shared_queries.move_message);
a local conversation emptied that way, which the server never had, would stay on the
board as an empty card. Everything that hangs off it moves to the target conversation
and its row goes; its audit entries stay as they are (append-only) and `folded_threads`
says which conversation they are read as (and keeps its number from being reused)."""

from __future__ import annotations

from clinic_inbox.core.store.connection import Store
from clinic_inbox.core.store.queries import utcnow


def is_empty(store: Store, thread_id: int) -> bool:
    """A conversation that exists here, has no message and was not purged (a purged
    one keeps its row, without its messages, on purpose)."""
    return bool(
        store.one(
            "SELECT 1 FROM threads t WHERE t.id = ? AND t.purged_at IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM messages m WHERE m.thread_id = t.id)",
            (thread_id,),
        )
    )


def fold(store: Store, src: int, into: int) -> dict[str, object]:
    """Move what hangs off the emptied conversation `src` to `into`, then delete `src`.
    Field operations queued on `src` and its link operation are dropped: the caller
    carries people's values over (shared.provisional). Returns what `src` held of note
    for the audit entry (ids and counts, never content)."""
    if src == into or not is_empty(store, src):
        raise ValueError(f"conversation {src} cannot be folded into {into}")
    row = store.execute(
        "SELECT legal_hold, legal_hold_reason, follow_up_by, follow_up_set_at, "
        "follow_up_due_at, filed_document_id FROM threads WHERE id = ?",
        (src,),
    ).fetchone()
    hold, hold_reason, follow_by, follow_set, follow_due, filed = row
    moved = {
        "notes": store.execute(
            "UPDATE thread_notes SET thread_id = ? WHERE thread_id = ?", (into, src)
        ).rowcount,
    }
    # notes written there go on as notes of the target; changes of its fields are
    # carried over by the caller from who made them
    store.execute(
        "UPDATE pending_ops SET thread_id = ? WHERE thread_id = ? AND field = 'note'", (into, src)
    )
    store.execute("DELETE FROM pending_ops WHERE thread_id = ?", (src,))
    store.execute("DELETE FROM shared_link_ops WHERE thread_id = ?", (src,))
    store.execute("DELETE FROM shared_field_versions WHERE thread_id = ?", (src,))
    store.execute("UPDATE shared_conflicts SET thread_id = ? WHERE thread_id = ?", (into, src))
    store.execute("DELETE FROM presence WHERE thread_id = ?", (src,))  # said again on next read
    store.execute("UPDATE outbox SET thread_id = ? WHERE thread_id = ?", (into, src))
    moved["break_glass"] = store.execute(
        "UPDATE break_glass SET thread_id = ? WHERE thread_id = ?", (into, src)
    ).rowcount
    # a timer running on both for the same person: the one on the emptied one stops
    store.execute(
        "UPDATE time_entries SET stopped_at = coalesce(last_active_at, started_at) "
        "WHERE thread_id = ? AND stopped_at IS NULL AND staff_id IN (SELECT staff_id FROM "
        "time_entries WHERE thread_id = ? AND stopped_at IS NULL)",
        (src, into),
    )
    moved["time_entries"] = store.execute(
        "UPDATE time_entries SET thread_id = ? WHERE thread_id = ?", (into, src)
    ).rowcount
    # chart exports keep their documents; numbered after the target's own
    top = int(
        store.one("SELECT coalesce(max(version), 0) FROM exports WHERE thread_id = ?", (into,))
    )
    moved["exports"] = store.execute(
        "UPDATE exports SET thread_id = ?, version = version + ? WHERE thread_id = ?",
        (into, top, src),
    ).rowcount
    if store.one("SELECT 1 FROM filed_moves WHERE thread_id = ?", (into,)):
        store.execute("DELETE FROM filed_moves WHERE thread_id = ?", (src,))
    else:
        store.execute("UPDATE filed_moves SET thread_id = ? WHERE thread_id = ?", (into, src))
    store.execute(
        "UPDATE messages SET claims_thread_id = ? WHERE claims_thread_id = ?", (into, src)
    )
    store.execute("UPDATE threads SET claims_thread_id = ? WHERE claims_thread_id = ?", (into, src))
    # a legal hold only adds; a follow-up asked for is kept where the target has none
    store.execute(
        "UPDATE threads SET legal_hold = max(legal_hold, ?), "
        "legal_hold_reason = coalesce(legal_hold_reason, ?), "
        "follow_up_by = coalesce(follow_up_by, ?), "
        "follow_up_set_at = CASE WHEN follow_up_by IS NULL THEN ? ELSE follow_up_set_at END, "
        "follow_up_due_at = CASE WHEN follow_up_by IS NULL THEN ? ELSE follow_up_due_at END "
        "WHERE id = ?",
        (int(hold or 0), hold_reason, follow_by, follow_set, follow_due, into),
    )
    store.execute("UPDATE folded_threads SET into_id = ? WHERE into_id = ?", (into, src))
    store.execute(
        "INSERT INTO folded_threads (thread_id, into_id, folded_at) VALUES (?, ?, ?)",
        (src, into, utcnow()),
    )
    store.execute("DELETE FROM threads WHERE id = ?", (src,))
    if filed:
        moved["filed_document_id"] = filed
    return moved


def folded_into(store: Store, thread_ids: set[int]) -> dict[int, int]:
    """Folded conversation -> the conversation it is read as now."""
    if not thread_ids:
        return {}
    marks = ",".join("?" * len(thread_ids))
    return dict(
        store.execute(
            f"SELECT thread_id, into_id FROM folded_threads WHERE thread_id IN ({marks})",
            tuple(thread_ids),
        )
    )
