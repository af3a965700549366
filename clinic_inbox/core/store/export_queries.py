"""What the chart export needs to read, and its record of what was filed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clinic_inbox.core.store.connection import Store


@dataclass(frozen=True)
class ExportRecord:
    id: int
    thread_id: int
    version: int
    document_id: str
    replaces: str | None
    formats: str
    content_hash: str
    exported_at: str
    destination: str


def last_export(store: Store, thread_id: int) -> ExportRecord | None:
    row = store.execute(
        "SELECT id, thread_id, version, document_id, replaces, formats, content_hash, exported_at, "
        "destination FROM exports WHERE thread_id = ? ORDER BY version DESC LIMIT 1",
        (thread_id,),
    ).fetchone()
    return ExportRecord(*row) if row else None


def record_export(store: Store, **fields: Any) -> int:
    cols = ", ".join(fields)
    marks = ", ".join("?" for _ in fields)
    cur = store.execute(f"INSERT INTO exports ({cols}) VALUES ({marks})", tuple(fields.values()))
    return int(cur.lastrowid)


def export_messages(store: Store, thread_id: int) -> list[tuple]:
    """Every message of a thread with what a chart copy shows, oldest first."""
    return store.execute(
        "SELECT id, direction, source, coalesce(sender_name, sender), sender, recipients, received_at, "
        "subject, body_text, message_id_header, fhir_resource_id, in_reply_to "
        "FROM messages WHERE thread_id = ? ORDER BY received_at, id",
        (thread_id,),
    ).fetchall()


def message_attachments(store: Store, message_id: int) -> list[tuple[str, str, int, str, bytes]]:
    return store.execute(
        "SELECT filename, content_type, size, sha256, data FROM attachments WHERE message_id = ? "
        "ORDER BY id",
        (message_id,),
    ).fetchall()


def finished_threads_since(store: Store, since: str) -> list[int]:
    return [
        r[0]
        for r in store.execute(
            "SELECT id FROM threads WHERE status = 'done' AND updated_at >= ? ORDER BY id", (since,)
        )
    ]


def filed_email_locations(store: Store, thread_id: int) -> list[tuple[int, str, int, int]]:
    """(account, mailbox, UIDVALIDITY, UID) of a conversation's emails on the mail server,
    to move them to the account's Filed folder once the conversation is filed."""
    return [
        (int(a), str(m), int(v), int(u))
        for a, m, v, u in store.execute(
            "SELECT account_id, imap_mailbox, imap_uidvalidity, imap_uid FROM messages "
            "WHERE thread_id = ? AND source = 'email' AND direction = 'in' "
            "AND imap_uid IS NOT NULL",
            (thread_id,),
        ).fetchall()
    ]
