"""Queries for sharing patients, patient links and conversation numbers with the
clinic's server (`clinic_inbox.shared.patients`, `clinic_inbox.shared.patient_links`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clinic_inbox.core.store.connection import Store
from clinic_inbox.core.store.queries import utcnow


# -- patients ----------------------------------------------------------------------------
def patient_uuid(store: Store, patient_id: int) -> str | None:
    return store.one("SELECT uuid FROM patients WHERE id = ?", (patient_id,))


def patient_by_uuid(store: Store, uuid: str) -> int | None:
    return store.one("SELECT id FROM patients WHERE uuid = ?", (uuid,))


def set_patient_uuid(store: Store, patient_id: int, uuid: str) -> None:
    store.execute("UPDATE patients SET uuid = ? WHERE id = ?", (uuid, patient_id))


def patient_record(store: Store, patient_id: int) -> dict[str, Any] | None:
    """What is published of a patient (sealed on the server)."""
    row = store.execute(
        "SELECT family_name, given_name, birth_date, chart_number, portal_id, "
        "responsible_physician_id FROM patients WHERE id = ?",
        (patient_id,),
    ).fetchone()
    if row is None:
        return None
    keys = ("family_name", "given_name", "birth_date", "chart_number", "portal_id", "physician")
    out = dict(zip(keys, row, strict=True))
    out["emails"] = [
        r[0]
        for r in store.execute(
            "SELECT address FROM patient_emails WHERE patient_id = ? ORDER BY address",
            (patient_id,),
        )
    ]
    return out


def patient_matching(store: Store, chart_number: str | None, portal_id: str | None) -> int | None:
    """A patient here with this chart number or portal id (both unique here)."""
    if chart_number:
        found = store.one("SELECT id FROM patients WHERE chart_number = ?", (chart_number,))
        if found is not None:
            return found
    if portal_id:
        return store.one("SELECT id FROM patients WHERE portal_id = ?", (portal_id,))
    return None


def patient_by_name_and_birth(
    store: Store, family_name: str, given_name: str, birth_date: str
) -> int | None:
    """The one patient here with this name and birth date (None if none, or several).
    Compared in Python: SQLite's lower() knows ASCII only ("Zoë")."""
    want = (family_name.strip().casefold(), given_name.strip().casefold())
    found = [
        r[0]
        for r in store.execute(
            "SELECT id, family_name, given_name FROM patients WHERE birth_date = ?",
            (birth_date.strip(),),
        )
        if (str(r[1]).strip().casefold(), str(r[2]).strip().casefold()) == want
    ]
    return found[0] if len(found) == 1 else None


def add_patient_emails(store: Store, patient_id: int, addresses: list[str]) -> None:
    for address in addresses:
        store.execute(
            "INSERT OR IGNORE INTO patient_emails (patient_id, address) VALUES (?, ?)",
            (patient_id, address.strip().lower()),
        )


# -- patient links -----------------------------------------------------------------------
@dataclass(frozen=True)
class LinkChange:
    thread_id: int
    conv: str
    patient_id: int | None
    seen: str  # the server's link as last seen here ('' for none)


def links_to_send(store: Store) -> list[LinkChange]:
    """Shared conversations whose patient link here differs from the server's as last
    seen, with no change of theirs already on its way."""
    rows = store.execute(
        "SELECT t.id, t.uuid, t.patient_id, coalesce(t.shared_patient, '') FROM threads t "
        "LEFT JOIN patients p ON p.id = t.patient_id "
        "WHERE t.uuid IS NOT NULL "
        "AND coalesce(p.uuid, CASE WHEN t.patient_id IS NULL THEN '' ELSE '?' END) "
        "    <> coalesce(t.shared_patient, '') "
        "AND NOT EXISTS (SELECT 1 FROM shared_link_ops o WHERE o.thread_id = t.id) "
        "ORDER BY t.id"
    ).fetchall()
    return [LinkChange(r[0], r[1], r[2], r[3]) for r in rows]


def set_seen_patient(store: Store, thread_id: int, value: str) -> None:
    store.execute("UPDATE threads SET shared_patient = ? WHERE id = ?", (value, thread_id))


def seen_patient(store: Store, thread_id: int) -> str | None:
    return store.one("SELECT shared_patient FROM threads WHERE id = ?", (thread_id,))


def thread_patient(store: Store, thread_id: int) -> int | None:
    return store.one("SELECT patient_id FROM threads WHERE id = ?", (thread_id,))


def last_linker(store: Store, thread_id: int) -> int | None:
    """Who last filed this conversation under a patient here (for the conflict card)."""
    return store.one(
        "SELECT actor_id FROM audit WHERE thread_id = ? AND action IN "
        "('thread.link_patient', 'thread.unlink_patient') ORDER BY id DESC LIMIT 1",
        (thread_id,),
    )


@dataclass(frozen=True)
class LinkOp:
    thread_id: int
    op_id: str
    base_v: int
    value: str
    actor_id: int | None


def add_link_op(
    store: Store, thread_id: int, op_id: str, base_v: int, value: str, actor_id: int | None
) -> None:
    store.execute(
        "INSERT INTO shared_link_ops (thread_id, op_id, base_v, value, actor_id, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (thread_id, op_id, base_v, value, actor_id, utcnow()),
    )


def link_ops(store: Store) -> list[LinkOp]:
    return [
        LinkOp(*r)
        for r in store.execute(
            "SELECT thread_id, op_id, base_v, value, actor_id FROM shared_link_ops ORDER BY rowid"
        )
    ]


def set_link_op_value(store: Store, op_id: str, value: str) -> None:
    store.execute("UPDATE shared_link_ops SET value = ? WHERE op_id = ?", (value, op_id))


def drop_link_op(store: Store, op_id: str) -> None:
    store.execute("DELETE FROM shared_link_ops WHERE op_id = ?", (op_id,))


def link_pending(store: Store, thread_id: int) -> bool:
    return store.one("SELECT 1 FROM shared_link_ops WHERE thread_id = ?", (thread_id,)) is not None


# -- conversation numbers ----------------------------------------------------------------
def set_shared_number(store: Store, thread_id: int, number: int) -> None:
    store.execute("UPDATE threads SET shared_number = ? WHERE id = ?", (int(number), thread_id))


def shared_number(store: Store, thread_id: int) -> int | None:
    return store.one("SELECT shared_number FROM threads WHERE id = ?", (thread_id,))


def thread_by_number(store: Store, number: int) -> int | None:
    return store.one("SELECT id FROM threads WHERE shared_number = ?", (int(number),))


def thread_by_local_number(store: Store, number: int) -> int | None:
    return store.one("SELECT id FROM threads WHERE id = ?", (int(number),))


def threads_without_number(store: Store) -> list[tuple[int, str]]:
    return store.execute(
        "SELECT id, uuid FROM threads WHERE uuid IS NOT NULL AND shared_number IS NULL"
    ).fetchall()


# -- the response clock ------------------------------------------------------------------
def stop_clock_if_answered(store: Store, thread_id: int, answered_at: str) -> bool:
    """A reply by staff (from any workstation) answers every patient message before it:
    the response clock stops here too, unless the patient wrote again after it. (The
    status moves with the replying workstation's own status change.)"""
    newer = store.one(
        "SELECT 1 FROM messages WHERE thread_id = ? AND direction = 'in' AND received_at > ?",
        (thread_id, answered_at),
    )
    if newer:
        return False
    cur = store.execute(
        "UPDATE threads SET due_at = NULL, clock_paused_remaining = NULL, updated_at = ? "
        "WHERE id = ? AND (due_at IS NOT NULL OR clock_paused_remaining IS NOT NULL)",
        (utcnow(), thread_id),
    )
    return cur.rowcount > 0


def set_message_author(store: Store, message_id: int, staff_id: int | None) -> None:
    store.execute(
        "UPDATE messages SET author_staff_id = ? WHERE id = ? AND author_staff_id IS NULL",
        (staff_id, message_id),
    )


def message_authors(store: Store, thread_id: int) -> dict[int, int | None]:
    return dict(
        store.execute(
            "SELECT id, author_staff_id FROM messages WHERE thread_id = ?", (thread_id,)
        ).fetchall()
    )


# -- fetch checkpoints ---------------------------------------------------------------------
@dataclass(frozen=True)
class SourcePoint:
    account: str  # the account's name (the same on every workstation of the clinic)
    scope: str
    uidvalidity: int | None
    last_uid: int | None
    cursor: str | None


def published_points(store: Store) -> list[SourcePoint]:
    """Each fetch checkpoint here, held back to what has been published: a mailbox up
    to just before its first message not yet on the server; a portal cursor only when
    nothing of that account waits to be published."""
    out = []
    rows = store.execute(
        "SELECT a.name, a.id, s.scope, s.uidvalidity, s.last_uid, s.cursor FROM sync_state s "
        "JOIN accounts a ON a.id = s.account_id ORDER BY a.name, s.scope"
    ).fetchall()
    for name, account_id, scope, uidvalidity, last_uid, cursor in rows:
        waiting = store.execute(
            "SELECT count(*), min(imap_uid) FROM messages WHERE account_id = ? "
            "AND direction = 'in' AND shared_identity IS NULL "
            "AND (imap_uidvalidity IS ? OR imap_uidvalidity IS NULL)",
            (account_id, uidvalidity),
        ).fetchone()
        if waiting[0]:
            if cursor is not None or waiting[1] is None:
                continue  # a portal cursor (a time) cannot be held back to a message
            last_uid = min(int(last_uid or 0), int(waiting[1]) - 1)
        out.append(SourcePoint(name, scope, uidvalidity, last_uid, cursor))
    return out


def raise_point(store: Store, p: SourcePoint) -> bool:
    """Take a checkpoint from the server when it is further than this store's own
    (same mailbox generation); True when it moved."""
    account_id = store.one("SELECT id FROM accounts WHERE name = ?", (p.account,))
    if account_id is None:
        return False
    row = store.execute(
        "SELECT uidvalidity, last_uid, cursor FROM sync_state WHERE account_id = ? AND scope = ?",
        (account_id, p.scope),
    ).fetchone()
    if row is not None:
        same = row[0] is None or p.uidvalidity is None or row[0] == p.uidvalidity
        further_uid = p.last_uid is not None and int(p.last_uid) > int(row[1] or 0)
        further_cursor = p.cursor is not None and (row[2] is None or p.cursor > row[2])
        if not same or not (further_uid or further_cursor):
            return False
    store.execute(
        "INSERT INTO sync_state (account_id, scope, uidvalidity, last_uid, cursor, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, scope) DO UPDATE SET "
        "uidvalidity = coalesce(excluded.uidvalidity, uidvalidity), "
        "last_uid = max(coalesce(last_uid, 0), coalesce(excluded.last_uid, 0)), "
        "cursor = CASE WHEN cursor IS NULL OR excluded.cursor > cursor "
        "THEN excluded.cursor ELSE cursor END, updated_at = excluded.updated_at",
        (account_id, p.scope, p.uidvalidity, p.last_uid, p.cursor, utcnow()),
    )
    return True
