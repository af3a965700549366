"""Queries the sync and ingest paths need: checkpoints, identity look-ups, threading."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from clinic_inbox.core.store.connection import Store
from clinic_inbox.core.store.queries import utcnow


@dataclass(frozen=True)
class Checkpoint:
    uidvalidity: int | None
    last_uid: int
    cursor: str | None


def get_checkpoint(store: Store, account_id: int, scope: str) -> Checkpoint | None:
    row = store.execute(
        "SELECT uidvalidity, last_uid, cursor FROM sync_state WHERE account_id = ? AND scope = ?",
        (account_id, scope),
    ).fetchone()
    return Checkpoint(row[0], int(row[1] or 0), row[2]) if row else None


def set_checkpoint(
    store: Store,
    account_id: int,
    scope: str,
    *,
    uidvalidity: int | None = None,
    last_uid: int | None = None,
    cursor: str | None = None,
) -> None:
    """Advance a checkpoint; called in the same transaction that stores the messages."""
    store.execute(
        "INSERT INTO sync_state (account_id, scope, uidvalidity, last_uid, cursor, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, scope) DO UPDATE SET "
        "uidvalidity = coalesce(excluded.uidvalidity, uidvalidity), "
        "last_uid = coalesce(excluded.last_uid, last_uid), "
        "cursor = coalesce(excluded.cursor, cursor), updated_at = excluded.updated_at",
        (account_id, scope, uidvalidity, last_uid, cursor, utcnow()),
    )


def record_sync_event(store: Store, account_id: int | None, kind: str, detail: str = "") -> None:
    store.execute(
        "INSERT INTO sync_events (account_id, at, kind, detail) VALUES (?, ?, ?, ?)",
        (account_id, utcnow(), kind, detail),
    )


def sync_events(store: Store, account_id: int | None = None, kind: str | None = None) -> list[Any]:
    sql, params = "SELECT id, account_id, at, kind, detail FROM sync_events", []
    where = []
    if account_id is not None:
        where.append("account_id = ?")
        params.append(account_id)
    if kind is not None:
        where.append("kind = ?")
        params.append(kind)
    if where:
        sql += " WHERE " + " AND ".join(where)
    return store.execute(sql + " ORDER BY id", params).fetchall()


def email_identity_exists(
    store: Store, account_id: int, mailbox: str, uidvalidity: int, uid: int
) -> bool:
    return (
        store.one(
            "SELECT 1 FROM messages WHERE account_id = ? AND imap_mailbox = ? "
            "AND imap_uidvalidity = ? AND imap_uid = ?",
            (account_id, mailbox, uidvalidity, uid),
        )
        is not None
    )


def find_rematch_candidate(
    store: Store,
    account_id: int,
    mailbox: str,
    message_id: str | None,
    content_hash: str,
    current_uidvalidity: int,
) -> int | None:
    """After a UIDVALIDITY change: the stored copy of the same message (Message-ID and
    content) that still carries an old UIDVALIDITY. Copies already re-matched, and
    identical messages delivered twice under the current UIDVALIDITY, are never taken."""
    return store.one(
        "SELECT id FROM messages WHERE account_id = ? AND imap_mailbox = ? AND content_hash = ? "
        "AND coalesce(message_id_header, '') = coalesce(?, '') AND imap_uidvalidity != ? "
        "ORDER BY id LIMIT 1",
        (account_id, mailbox, content_hash, message_id, current_uidvalidity),
    )


def adopt_pulled_copy(
    store: Store,
    account_id: int,
    mailbox: str,
    uidvalidity: int,
    uid: int,
    message_id: str | None,
    content_hash: str | None,
) -> bool:
    """A message fetched here that this store received already from the clinic's shared
    server (the same Message-ID and content, no mailbox identity yet): the stored copy
    takes this mailbox identity instead of being stored twice."""
    if not message_id or not content_hash:
        return False
    found = store.one(
        "SELECT id FROM messages WHERE message_id_header = ? AND content_hash = ? "
        "AND direction = 'in' AND imap_uid IS NULL AND shared_identity IS NOT NULL "
        "ORDER BY id LIMIT 1",
        (message_id, content_hash),
    )
    if found is None:
        return False
    store.execute(
        "UPDATE messages SET account_id = ?, imap_mailbox = ?, imap_uidvalidity = ?, "
        "imap_uid = ? WHERE id = ?",
        (account_id, mailbox, uidvalidity, uid, found),
    )
    return True


# -- the same questions for a whole fetched batch: one query each instead of one per
# message. Each answers a superset of what the per-message query could then find, so
# a message left out needs no per-message query (the sync asks those for the rest).
_IN_CHUNK = 500


def _chunks(values: list) -> Iterator[list]:
    for i in range(0, len(values), _IN_CHUNK):
        yield values[i : i + _IN_CHUNK]


def email_identities_stored(
    store: Store, account_id: int, mailbox: str, uidvalidity: int, uids: list[int]
) -> set[int]:
    """Which of these UIDs (under this UIDVALIDITY) are stored already."""
    found: set[int] = set()
    for part in _chunks(uids):
        marks = ", ".join("?" for _ in part)
        found.update(
            r[0]
            for r in store.execute(
                "SELECT imap_uid FROM messages WHERE account_id = ? AND imap_mailbox = ? "
                f"AND imap_uidvalidity = ? AND imap_uid IN ({marks})",
                (account_id, mailbox, uidvalidity, *part),
            )
        )
    return found


def pulled_copies_waiting(store: Store, message_ids: list[str]) -> set[tuple[str, str]]:
    """(Message-ID, content hash) of copies received from the shared server that have no
    mailbox identity yet, among these Message-IDs (see adopt_pulled_copy)."""
    found: set[tuple[str, str]] = set()
    for part in _chunks(message_ids):
        marks = ", ".join("?" for _ in part)
        found.update(
            (r[0], r[1])
            for r in store.execute(
                f"SELECT message_id_header, content_hash FROM messages WHERE message_id_header "
                f"IN ({marks}) AND direction = 'in' AND imap_uid IS NULL "
                "AND shared_identity IS NOT NULL",
                part,
            )
        )
    return found


def rematch_hashes(
    store: Store, account_id: int, mailbox: str, current_uidvalidity: int, hashes: list[str]
) -> set[str]:
    """Content hashes, among these, of stored copies under another UIDVALIDITY (see
    find_rematch_candidate)."""
    found: set[str] = set()
    for part in _chunks(hashes):
        marks = ", ".join("?" for _ in part)
        found.update(
            r[0]
            for r in store.execute(
                "SELECT content_hash FROM messages WHERE account_id = ? AND imap_mailbox = ? "
                f"AND imap_uidvalidity != ? AND content_hash IN ({marks})",
                (account_id, mailbox, current_uidvalidity, *part),
            )
        )
    return found


def move_email_identity(store: Store, message_pk: int, uidvalidity: int, uid: int) -> None:
    store.execute(
        "UPDATE messages SET imap_uidvalidity = ?, imap_uid = ? WHERE id = ?",
        (uidvalidity, uid, message_pk),
    )


def threads_by_message_ids(store: Store, message_ids: list[str]) -> list[tuple[int, int | None]]:
    """(thread id, patient id) of stored messages carrying any of these Message-IDs."""
    if not message_ids:
        return []
    marks = ", ".join("?" for _ in message_ids)
    return store.execute(
        f"SELECT m.thread_id, t.patient_id FROM messages m JOIN threads t ON t.id = m.thread_id "
        f"WHERE m.message_id_header IN ({marks}) ORDER BY m.id DESC",
        message_ids,
    ).fetchall()


def recent_threads_for(
    store: Store, patient_id: int | None, sender: str, since: str
) -> list[tuple[int, str]]:
    """Candidate threads for subject matching: same patient (or same unknown sender)."""
    if patient_id is not None:
        return store.execute(
            "SELECT id, subject FROM threads WHERE patient_id = ? AND last_message_at >= ? "
            "ORDER BY last_message_at DESC LIMIT 50",
            (patient_id, since),
        ).fetchall()
    return store.execute(
        "SELECT DISTINCT t.id, t.subject FROM threads t JOIN messages m ON m.thread_id = t.id "
        "WHERE t.patient_id IS NULL AND m.sender = ? AND t.last_message_at >= ? "
        "ORDER BY t.last_message_at DESC LIMIT 50",
        (sender, since),
    ).fetchall()


def thread_state(store: Store, thread_id: int) -> tuple[str, str, str | None, int]:
    row = store.execute(
        "SELECT priority, status, due_at, sensitive FROM threads WHERE id = ?", (thread_id,)
    ).fetchone()
    return row[0], row[1], row[2], int(row[3])


@dataclass(frozen=True)
class LastInbound:
    id: int
    source: str
    account_id: int | None
    sender: str
    subject: str
    message_id: str | None
    references: str | None


def last_inbound(store: Store, thread_id: int) -> LastInbound | None:
    row = store.execute(
        "SELECT id, source, account_id, sender, subject, message_id_header, references_header "
        "FROM messages WHERE thread_id = ? AND direction = 'in' ORDER BY received_at DESC, id DESC "
        "LIMIT 1",
        (thread_id,),
    ).fetchone()
    return LastInbound(*row) if row else None


@dataclass(frozen=True)
class TriageState:
    thread_id: int
    priority: str
    sensitive: bool
    triage_reason: str | None


def message_triage_state(store: Store, message_pk: int) -> TriageState:
    row = store.execute(
        "SELECT thread_id, priority, sensitive, triage_reason FROM messages WHERE id = ?",
        (message_pk,),
    ).fetchone()
    return TriageState(row[0], row[1], bool(row[2]), row[3])


def portal_message(
    store: Store, account_id: int, resource_id: str
) -> tuple[int, str | None] | None:
    """(message pk, stored version) of a portal resource, if stored."""
    row = store.execute(
        "SELECT id, fhir_version FROM messages WHERE account_id = ? AND fhir_resource_id = ?",
        (account_id, resource_id),
    ).fetchone()
    return (int(row[0]), row[1]) if row else None


def replace_message_content(
    store: Store, message_pk: int, *, attachments: list, **fields: Any
) -> None:
    import hashlib

    cols = ", ".join(f"{k} = ?" for k in fields)
    values = [
        v.value if hasattr(v, "value") else (int(v) if isinstance(v, bool) else v)
        for v in fields.values()
    ]
    store.execute(f"UPDATE messages SET {cols} WHERE id = ?", (*values, message_pk))
    store.execute("DELETE FROM attachments WHERE message_id = ?", (message_pk,))
    for a in attachments:
        store.execute(
            "INSERT INTO attachments (message_id, filename, content_type, declared_type, "
            "content_id, size, sha256, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                message_pk,
                a.filename,
                a.content_type,
                a.declared_type,
                a.content_id,
                len(a.data),
                hashlib.sha256(a.data).hexdigest(),
                a.data,
            ),
        )


def patient_by_portal_id(store: Store, portal_id: str) -> int | None:
    return store.one("SELECT id FROM patients WHERE portal_id = ?", (portal_id,))


def message_by_fhir_id(store: Store, resource_id: str) -> tuple[int, int] | None:
    """(message pk, thread id) of a stored portal message, any account."""
    row = store.execute(
        "SELECT id, thread_id FROM messages WHERE fhir_resource_id = ? ORDER BY id LIMIT 1",
        (resource_id,),
    ).fetchone()
    return (int(row[0]), int(row[1])) if row else None


def fhir_resource_of(store: Store, message_pk: int) -> str | None:
    return store.one("SELECT fhir_resource_id FROM messages WHERE id = ?", (message_pk,))


# -- who wrote, and the sender checks (core/senders.py) ---------------------------------
def address_registered_to(store: Store, address: str, patient_id: int) -> bool:
    return (
        store.one(
            "SELECT 1 FROM patient_emails WHERE patient_id = ? AND address = ?",
            (patient_id, address.strip().lower()),
        )
        is not None
    )


def thread_inbound_senders(store: Store, thread_id: int) -> set[str]:
    return {
        r[0].lower()
        for r in store.execute(
            "SELECT DISTINCT sender FROM messages WHERE thread_id = ? AND direction = 'in' "
            "AND sender != ''",
            (thread_id,),
        )
    }


def inbound_sender_history(store: Store, thread_id: int) -> list[tuple[str, str | None]]:
    """(sender address, sender check) of the conversation's email, newest first."""
    return store.execute(
        "SELECT sender, sender_check FROM messages WHERE thread_id = ? AND direction = 'in' "
        "AND source = 'email' AND sender != '' ORDER BY received_at DESC, id DESC",
        (thread_id,),
    ).fetchall()


def flag_thread(
    store: Store,
    thread_id: int,
    *,
    sender_unverified: bool = False,
    claims_thread_id: int | None = None,
    suggested_patient_id: int | None = None,
    held: bool = False,
) -> None:
    """Raise a conversation's sender flags (never lowers them: only a person does)."""
    store.execute(
        "UPDATE threads SET sender_unverified = max(sender_unverified, ?), "
        "claims_thread_id = coalesce(claims_thread_id, ?), "
        "suggested_patient_id = coalesce(suggested_patient_id, ?), "
        "held_for_review = max(held_for_review, ?) WHERE id = ?",
        (int(sender_unverified), claims_thread_id, suggested_patient_id, int(held), thread_id),
    )


def confirm_thread_senders(store: Store, thread_id: int) -> list[int]:
    """A person confirmed who wrote: the unverified messages become confirmed."""
    ids = [
        r[0]
        for r in store.execute(
            "SELECT id FROM messages WHERE thread_id = ? AND sender_check = 'unverified'",
            (thread_id,),
        )
    ]
    store.execute(
        "UPDATE messages SET sender_check = 'confirmed' WHERE thread_id = ? "
        "AND sender_check = 'unverified'",
        (thread_id,),
    )
    store.execute("UPDATE threads SET sender_unverified = 0 WHERE id = ?", (thread_id,))
    return ids


def thread_sender_unverified(store: Store, thread_id: int) -> bool:
    return bool(store.one("SELECT sender_unverified FROM threads WHERE id = ?", (thread_id,)))
