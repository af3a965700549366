"""Local SQL for the shared queue: clinic-wide ids, server field versions, the queue of
operations waiting for the server, and the conflicts to show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clinic_inbox.core.store.connection import Store
from clinic_inbox.core.store.queries import get_meta, set_meta, utcnow

META_CLINIC = "shared_clinic_id"
META_WS = "shared_workstation_id"
META_SERVER = "shared_server"
META_CURSOR = "shared_cursor"
# this workstation held the ingest lease when the server was last heard (kept across an
# app restart: the last holder fetches on through a server outage)
META_LAST_HOLDER = "shared_last_ingest_holder"


# -- the link to a server (no secret here: the keys and the DSN are in the keyring) ----
def linked_clinic(store: Store) -> str | None:
    return get_meta(store, META_CLINIC)


def link(store: Store, clinic_id: str, workstation_id: str, server_label: str) -> None:
    set_meta(store, META_CLINIC, clinic_id)
    set_meta(store, META_WS, workstation_id)
    set_meta(store, META_SERVER, server_label)
    if get_meta(store, META_CURSOR) is None:
        set_meta(store, META_CURSOR, "0")


def workstation_id(store: Store) -> str | None:
    return get_meta(store, META_WS)


def server_label(store: Store) -> str | None:
    return get_meta(store, META_SERVER)


def cursor(store: Store) -> int:
    return int(get_meta(store, META_CURSOR) or 0)


def set_cursor(store: Store, seq: int) -> None:
    set_meta(store, META_CURSOR, str(int(seq)))


def was_last_holder(store: Store) -> bool:
    return get_meta(store, META_LAST_HOLDER) == "1"


def remember_last_holder(store: Store, held: bool) -> None:
    with store.transaction():
        set_meta(store, META_LAST_HOLDER, "1" if held else "0")


# -- clinic-wide ids -------------------------------------------------------------------
def thread_uuid(store: Store, thread_id: int) -> str | None:
    return store.one("SELECT uuid FROM threads WHERE id = ?", (thread_id,))


def thread_by_uuid(store: Store, uuid: str) -> int | None:
    return store.one("SELECT id FROM threads WHERE uuid = ?", (uuid,))


def set_thread_uuid(store: Store, thread_id: int, uuid: str) -> None:
    store.execute("UPDATE threads SET uuid = ? WHERE id = ? AND uuid IS NULL", (uuid, thread_id))


def forget_thread_uuid(store: Store, thread_id: int, uuid: str) -> None:
    """A clinic-wide id given here but never accepted by the server (a publication
    refused): dropped, so the conversation can still join the one the server gets."""
    store.execute("UPDATE threads SET uuid = NULL WHERE id = ? AND uuid = ?", (thread_id, uuid))


def thread_of_message(store: Store, message_id: int) -> int | None:
    return store.one("SELECT thread_id FROM messages WHERE id = ?", (message_id,))


def move_message(store: Store, message_id: int, thread_id: int) -> list[int]:
    """Move a message into the conversation the server files it in (a copy here had put
    it in another one), with what hangs off it: the replies to it that the server does
    not have yet (an automatic receipt, a reply written here) and their outbox items.
    Returns the ids of the messages moved (none when it is there already)."""
    row = store.execute(
        "SELECT thread_id, message_id_header FROM messages WHERE id = ?", (message_id,)
    ).fetchone()
    if row is None or row[0] == thread_id:
        return []
    old, header = row
    ids = [message_id]
    if header:
        ids += [
            r[0]
            for r in store.execute(
                "SELECT id FROM messages WHERE thread_id = ? AND direction = 'out' "
                "AND in_reply_to = ? AND shared_identity IS NULL",
                (old, header),
            )
        ]
    marks = ", ".join("?" for _ in ids)
    store.execute(f"UPDATE messages SET thread_id = ? WHERE id IN ({marks})", (thread_id, *ids))
    store.execute(
        f"UPDATE outbox SET thread_id = ? WHERE message_id IN ({marks})", (thread_id, *ids)
    )
    store.execute(
        "UPDATE threads SET last_message_at = max(last_message_at, coalesce("
        "(SELECT max(received_at) FROM messages WHERE thread_id = ?), last_message_at)) "
        "WHERE id = ?",
        (thread_id, thread_id),
    )
    return ids


def message_count(store: Store, thread_id: int) -> int:
    return int(store.one("SELECT count(*) FROM messages WHERE thread_id = ?", (thread_id,)))


def published_any(store: Store, thread_id: int) -> bool:
    """Whether any message of the conversation was accepted by the server (its identity
    is recorded only after the server's commit)."""
    return bool(
        store.one(
            "SELECT 1 FROM messages WHERE thread_id = ? AND shared_identity IS NOT NULL LIMIT 1",
            (thread_id,),
        )
    )


def shared_threads(store: Store) -> list[tuple[int, str]]:
    return list(store.execute("SELECT id, uuid FROM threads WHERE uuid IS NOT NULL ORDER BY id"))


@dataclass(frozen=True)
class SharedState:
    status: str
    assigned_to: int | None
    priority: str
    sensitive: bool


def thread_state(store: Store, thread_id: int) -> SharedState | None:
    row = store.execute(
        "SELECT status, assigned_to, priority, sensitive FROM threads WHERE id = ?", (thread_id,)
    ).fetchone()
    return SharedState(row[0], row[1], row[2], bool(row[3])) if row else None


def field_version(store: Store, thread_id: int, field: str) -> int:
    v = store.one(
        "SELECT v FROM shared_field_versions WHERE thread_id = ? AND field = ?", (thread_id, field)
    )
    return int(v or 0)


def set_field_version(store: Store, thread_id: int, field: str, v: int) -> None:
    store.execute(
        "INSERT INTO shared_field_versions (thread_id, field, v) VALUES (?, ?, ?) "
        "ON CONFLICT (thread_id, field) DO UPDATE SET v = max(v, excluded.v)",
        (thread_id, field, int(v)),
    )


# -- messages and notes ----------------------------------------------------------------
MESSAGE_COLUMNS = (
    "id",
    "source",
    "direction",
    "message_id_header",
    "in_reply_to",
    "references_header",
    "fhir_resource_id",
    "fhir_version",
    "content_hash",
    "imap_mailbox",
    "imap_uidvalidity",
    "imap_uid",
    "sender",
    "sender_name",
    "recipients",
    "subject",
    "body_text",
    "body_html",
    "category",
    "priority",
    "triage_reason",
    "sensitive",
    "needs_review",
    "review_reason",
    "received_at",
    "shared_identity",
)


def thread_messages(store: Store, thread_id: int) -> list[dict[str, Any]]:
    """The messages as published: with the name of the account they came by (the same
    on every workstation of the clinic), so that a reply can go from any of them."""
    cols = ", ".join(f"m.{c}" for c in MESSAGE_COLUMNS)
    rows = store.execute(
        f"SELECT {cols}, a.name FROM messages m LEFT JOIN accounts a ON a.id = m.account_id "
        "WHERE m.thread_id = ? ORDER BY m.received_at, m.id",
        (thread_id,),
    )
    return [dict(zip((*MESSAGE_COLUMNS, "account_name"), r, strict=True)) for r in rows]


def account_by_name(store: Store, name: str | None) -> int | None:
    return store.one("SELECT id FROM accounts WHERE name = ?", (name,)) if name else None


def set_message_identity(store: Store, message_id: int, identity: str) -> None:
    store.execute("UPDATE messages SET shared_identity = ? WHERE id = ?", (identity, message_id))


def incoming_on_server(store: Store, message_id_header: str | None) -> bool:
    """Whether the patient's message with this Message-ID is on the clinic's server (its
    identity is recorded only after the server's commit, and on a copy pulled from
    there): every workstation may hold it then."""
    if not message_id_header:
        return False
    return bool(
        store.one(
            "SELECT 1 FROM messages WHERE message_id_header = ? AND direction = 'in' "
            "AND shared_identity IS NOT NULL LIMIT 1",
            (str(message_id_header).strip(),),
        )
    )


def unshared_patient_messages(store: Store, thread_id: int) -> int:
    """A conversation's patient messages that are not on the server yet."""
    return int(
        store.one(
            "SELECT count(*) FROM messages WHERE thread_id = ? AND direction = 'in' "
            "AND shared_identity IS NULL",
            (thread_id,),
        )
    )


def message_by_identity(store: Store, identity: str) -> int | None:
    return store.one("SELECT id FROM messages WHERE shared_identity = ?", (identity,))


def thread_snapshot(store: Store, thread_id: int) -> dict[str, Any] | None:
    row = store.execute(
        "SELECT subject, category, created_at, last_message_at, due_at FROM threads WHERE id = ?",
        (thread_id,),
    ).fetchone()
    if row is None:
        return None
    keys = ("subject", "category", "created_at", "last_message_at", "due_at")
    return dict(zip(keys, row, strict=True))


def note_row(store: Store, note_id: int) -> tuple[int, int, str, str, str | None] | None:
    """(thread id, author id, body, created_at, uuid)"""
    return store.execute(
        "SELECT thread_id, author_id, body, created_at, uuid FROM thread_notes WHERE id = ?",
        (note_id,),
    ).fetchone()


def set_note_uuid(store: Store, note_id: int, uuid: str) -> None:
    store.execute("UPDATE thread_notes SET uuid = ? WHERE id = ? AND uuid IS NULL", (uuid, note_id))


def note_by_uuid(store: Store, uuid: str) -> int | None:
    return store.one("SELECT id FROM thread_notes WHERE uuid = ?", (uuid,))


def insert_note(
    store: Store, thread_id: int, author_id: int, body: str, created_at: str, uuid: str
) -> int:
    cur = store.execute(
        "INSERT INTO thread_notes (thread_id, author_id, body, created_at, uuid) "
        "VALUES (?, ?, ?, ?, ?)",
        (thread_id, author_id, body, created_at, uuid),
    )
    return int(cur.lastrowid)


def staff_usernames(store: Store) -> list[tuple[int, str]]:
    return list(store.execute("SELECT id, username FROM staff ORDER BY id"))


# -- operations waiting for the server -------------------------------------------------
@dataclass(frozen=True)
class PendingOp:
    op_id: str
    thread_id: int
    field: str
    base_v: int
    value: str
    actor_id: int | None
    created_at: str
    seen: int | None = None  # status: the patient messages its author had (m0021)


def enqueue_op(
    store: Store,
    op_id: str,
    thread_id: int,
    field: str,
    base_v: int,
    value: str,
    actor_id: int | None,
    seen: int | None = None,
) -> None:
    store.execute(
        "INSERT INTO pending_ops (op_id, thread_id, field, base_v, value, actor_id, created_at, "
        "seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (op_id, thread_id, field, base_v, value, actor_id, utcnow(), seen),
    )


def patient_message_count(store: Store, thread_id: int) -> int:
    """The patient's messages in a conversation here (inbound: never a staff reply or an
    automatic one), as the server counts them for the reopen rule."""
    return int(
        store.one(
            "SELECT count(*) FROM messages WHERE thread_id = ? AND direction = 'in'",
            (thread_id,),
        )
    )


def pending_ops(store: Store, limit: int = 200) -> list[PendingOp]:
    rows = store.execute(
        "SELECT op_id, thread_id, field, base_v, value, actor_id, created_at, seen "
        "FROM pending_ops ORDER BY id LIMIT ?",
        (limit,),
    )
    return [PendingOp(*r) for r in rows]


def pending_count(store: Store) -> int:
    return int(store.one("SELECT count(*) FROM pending_ops"))


def has_pending(store: Store, thread_id: int, field: str) -> bool:
    return bool(
        store.one(
            "SELECT 1 FROM pending_ops WHERE thread_id = ? AND field = ? LIMIT 1",
            (thread_id, field),
        )
    )


def drop_op(store: Store, op_id: str) -> None:
    store.execute("DELETE FROM pending_ops WHERE op_id = ?", (op_id,))


# -- conflicts to show -------------------------------------------------------------------
@dataclass(frozen=True)
class Conflict:
    op_id: str
    thread_id: int
    field: str
    mine: str
    theirs: str
    their_by: str | None
    their_at: str | None
    actor_id: int | None
    created_at: str
    seen: bool


def add_conflict(
    store: Store,
    op: PendingOp,
    theirs: str,
    their_by: str | None,
    their_at: str | None,
) -> None:
    store.execute(
        "INSERT INTO shared_conflicts (op_id, thread_id, field, mine, theirs, their_by, "
        "their_at, actor_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (op_id) DO NOTHING",
        (
            op.op_id,
            op.thread_id,
            op.field,
            op.value,
            theirs,
            their_by,
            their_at,
            op.actor_id,
            utcnow(),
        ),
    )


def conflicts(store: Store, thread_id: int | None = None) -> list[Conflict]:
    sql = (
        "SELECT op_id, thread_id, field, mine, theirs, their_by, their_at, actor_id, created_at, "
        "seen FROM shared_conflicts"
    )
    args: tuple[Any, ...] = ()
    if thread_id is not None:
        sql += " WHERE thread_id = ?"
        args = (thread_id,)
    return [Conflict(*r[:9], bool(r[9])) for r in store.execute(sql + " ORDER BY id", args)]


def rebase_pending(store: Store, thread_id: int, field: str, old_base: int, new_v: int) -> None:
    """A later change of the same field, made here on top of one the server has just
    applied, now builds on that one's server version (not on what preceded it)."""
    store.execute(
        "UPDATE pending_ops SET base_v = ? WHERE thread_id = ? AND field = ? AND base_v = ?",
        (new_v, thread_id, field, old_base),
    )


def mark_conflict_seen(store: Store, op_id: str) -> None:
    store.execute("UPDATE shared_conflicts SET seen = 1 WHERE op_id = ?", (op_id,))


def local_outbound_copy(store: Store, message_id_header: str | None) -> int | None:
    """The same automatic reply made here too, not yet matched to the server's (its
    Message-ID is derived from the clinic and the incoming message, the same on every
    workstation; a person's reply has a Message-ID of its own). Found by the Message-ID
    it was made with, too: a portal reply is renamed after the Communication once sent."""
    if not message_id_header:
        return None
    return store.one(
        "SELECT m.id FROM messages m WHERE m.direction = 'out' AND m.shared_identity IS NULL "
        "AND (m.message_id_header = ? OR EXISTS (SELECT 1 FROM outbox o "
        "WHERE o.message_id = m.id AND o.idempotency_key = ?)) ORDER BY m.id LIMIT 1",
        (message_id_header, message_id_header),
    )


def first_message_ids(store: Store, thread_id: int) -> dict[int, str]:
    """The Message-ID each reply of a conversation was made with (its outbox key), by
    message: a portal reply's is replaced by the Communication's once sent, and the
    clinic-wide identity must not change with it (two identities, two copies)."""
    return {
        int(r[0]): str(r[1])
        for r in store.execute(
            "SELECT o.message_id, o.idempotency_key FROM outbox o "
            "JOIN messages m ON m.id = o.message_id "
            "WHERE m.thread_id = ? AND m.direction = 'out'",
            (thread_id,),
        )
    }


def outbound_by_resource(
    store: Store, fhir_resource_id: str | None
) -> tuple[int, str | None] | None:
    """(message id, its clinic-wide identity) of a message sent here through the portal
    as that Communication: the same automatic reply may reach the server under two
    identities (published before and after its sending named the Communication)."""
    if not fhir_resource_id:
        return None
    row = store.execute(
        "SELECT id, shared_identity FROM messages WHERE fhir_resource_id = ? "
        "AND direction = 'out' ORDER BY id LIMIT 1",
        (fhir_resource_id,),
    ).fetchone()
    return (row[0], row[1]) if row else None


def local_copy(
    store: Store, message_id_header: str | None, fhir_resource_id: str | None
) -> tuple[int, int] | None:
    """(message id, thread id) of the same message ingested here already, if any."""
    if message_id_header:
        row = store.execute(
            "SELECT id, thread_id FROM messages WHERE message_id_header = ? AND direction = 'in' "
            "ORDER BY id LIMIT 1",
            (message_id_header,),
        ).fetchone()
        if row:
            return row[0], row[1]
    if fhir_resource_id:
        row = store.execute(
            "SELECT id, thread_id FROM messages WHERE fhir_resource_id = ? ORDER BY id LIMIT 1",
            (fhir_resource_id,),
        ).fetchone()
        if row:
            return row[0], row[1]
    return None


def replies_to_publish(store: Store) -> list[int]:
    """Shared conversations with replies written here that the server has not got yet:
    any workstation publishes its own replies (only new mail waits for the lease)."""
    return [
        r[0]
        for r in store.execute(
            "SELECT DISTINCT m.thread_id FROM messages m JOIN threads t ON t.id = m.thread_id "
            "WHERE m.shared_identity IS NULL AND m.direction = 'out' AND t.uuid IS NOT NULL "
            "ORDER BY m.thread_id"
        )
    ]


def threads_to_publish(store: Store) -> list[int]:
    """Conversations the server does not know, or with messages it has not got yet."""
    return [
        r[0]
        for r in store.execute(
            "SELECT DISTINCT thread_id FROM messages WHERE shared_identity IS NULL ORDER BY thread_id"
        )
    ]


# -- conversations fetched while the server was away --------------------------------------
def people_actions(store: Store, thread_id: int, actions: tuple[str, ...]) -> dict[str, int]:
    """action -> the person who last took it in this conversation here (automatic
    changes, with no person, are not counted)."""
    marks = ", ".join("?" for _ in actions)
    return {
        r[0]: r[1]
        for r in store.execute(
            f"SELECT action, actor_id FROM audit WHERE id IN (SELECT max(id) FROM audit "
            f"WHERE thread_id = ? AND actor_id IS NOT NULL AND action IN ({marks}) "
            f"GROUP BY action)",
            (thread_id, *actions),
        )
    }


def unshared_notes(store: Store, thread_id: int) -> list[tuple[int, int]]:
    """Notes written here that never went to the server, with no operation on its way."""
    return [
        (r[0], r[1])
        for r in store.execute(
            "SELECT n.id, n.author_id FROM thread_notes n WHERE n.thread_id = ? "
            "AND n.uuid IS NULL AND NOT EXISTS (SELECT 1 FROM pending_ops o "
            "WHERE o.field = 'note' AND o.value = CAST(n.id AS TEXT)) ORDER BY n.id",
            (thread_id,),
        )
    ]


def receipts_due_now(store: Store) -> int:
    """Receipts waiting (for the server's claim, while it was away) become due at once:
    the server is back. Returns how many."""
    cur = store.execute(
        "UPDATE outbox SET next_attempt_at = ?, updated_at = ? WHERE state = 'pending' "
        "AND purpose = 'ack' AND next_attempt_at > ?",
        (utcnow(), utcnow(), utcnow()),
    )
    return cur.rowcount


def automatic_sent_since(store: Store, since: str) -> list[tuple[str, bytes]]:
    """(purpose, payload) of the receipts and safety replies sent since `since`."""
    return [
        (r[0], bytes(r[1]))
        for r in store.execute(
            "SELECT purpose, payload FROM outbox WHERE purpose IN ('ack', 'safety') "
            "AND state = 'sent' AND sent_at >= ? ORDER BY id",
            (since,),
        )
    ]


def start_clock(store: Store, thread_id: int, due_at: str) -> None:
    """A patient's message pulled from another workstation: the response clock runs
    from it, as the fetching workstation's ingest set it (stopped by a reply, or later
    than this message asks for). A paused clock (waiting on the patient) is left to
    the status change that follows."""
    store.execute(
        "UPDATE threads SET due_at = ? WHERE id = ? AND clock_paused_remaining IS NULL "
        "AND (due_at IS NULL OR due_at > ?)",
        (due_at, thread_id, due_at),
    )
