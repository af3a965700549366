"""SQL for messages the clinic starts, sends later, cancels, and follows up."""

from __future__ import annotations

from dataclasses import dataclass

from clinic_inbox.core.store.connection import Store
from clinic_inbox.core.store.queries import utcnow


def patient_email(store: Store, patient_id: int) -> str | None:
    """The patient's first registered address (the one the clinic was given first)."""
    row = store.execute(
        "SELECT address FROM patient_emails WHERE patient_id = ? ORDER BY rowid LIMIT 1",
        (patient_id,),
    ).fetchone()
    return row[0] if row else None


def demo_account_ids(store: Store) -> list[int]:
    """The demo clinic's pretend sources (email first, then the portal)."""
    return [r[0] for r in store.execute("SELECT id FROM accounts WHERE kind = 'demo' ORDER BY id")]


def set_send_after(store: Store, outbox_id: int, at: str) -> None:
    store.execute(
        "UPDATE outbox SET send_after = ?, next_attempt_at = ? WHERE id = ?", (at, at, outbox_id)
    )


@dataclass(frozen=True)
class Scheduled:
    outbox_id: int
    thread_id: int
    message_id: int
    patient_id: int | None
    subject: str
    send_after: str
    author_id: int | None
    kind: str


def scheduled(store: Store, now: str | None = None) -> list[Scheduled]:
    """Messages kept for a later time that have not left yet."""
    return [
        Scheduled(*r)
        for r in store.execute(
            "SELECT o.id, o.thread_id, o.message_id, m.patient_id, m.subject, o.send_after, "
            "m.author_staff_id, o.kind FROM outbox o JOIN messages m ON m.id = o.message_id "
            "WHERE o.state = 'pending' AND o.send_after IS NOT NULL AND o.send_after > ? "
            "ORDER BY o.send_after, o.id",
            (now or utcnow(),),
        )
    ]


def get_scheduled(store: Store, outbox_id: int) -> Scheduled | None:
    row = store.execute(
        "SELECT o.id, o.thread_id, o.message_id, m.patient_id, m.subject, o.send_after, "
        "m.author_staff_id, o.kind FROM outbox o JOIN messages m ON m.id = o.message_id "
        "WHERE o.id = ? AND o.state = 'pending' AND o.send_after IS NOT NULL",
        (outbox_id,),
    ).fetchone()
    return Scheduled(*row) if row else None


def cancel(store: Store, outbox_id: int) -> bool:
    """Cancel a message that has not started to leave; False if it already has."""
    now = utcnow()
    cur = store.execute(
        "UPDATE outbox SET state = 'cancelled', updated_at = ? WHERE id = ? AND state = 'pending'",
        (now, outbox_id),
    )
    if cur.rowcount != 1:
        return False
    store.execute(
        "UPDATE messages SET delivery = 'cancelled', delivery_at = ? "
        "WHERE id = (SELECT message_id FROM outbox WHERE id = ?)",
        (now, outbox_id),
    )
    return True


def delivery(store: Store, message_id: int) -> tuple[str | None, str | None]:
    row = store.execute(
        "SELECT delivery, delivery_detail FROM messages WHERE id = ?", (message_id,)
    ).fetchone()
    return (row[0], row[1]) if row else (None, None)


# -- follow-up ---------------------------------------------------------------------
def set_follow_up(store: Store, thread_id: int, by: str | None) -> None:
    store.execute(
        "UPDATE threads SET follow_up_by = ?, follow_up_set_at = ?, follow_up_due_at = NULL "
        "WHERE id = ?",
        (by, utcnow() if by else None, thread_id),
    )


def follow_up_of(store: Store, thread_id: int) -> tuple[str | None, str | None]:
    """(follow up by, came back at) of a conversation."""
    row = store.execute(
        "SELECT follow_up_by, follow_up_due_at FROM threads WHERE id = ?", (thread_id,)
    ).fetchone()
    return (row[0], row[1]) if row else (None, None)


@dataclass(frozen=True)
class FollowUp:
    thread_id: int
    patient_id: int | None
    status: str
    follow_up_by: str
    set_at: str
    answered: bool  # the patient wrote after the follow-up was set


def follow_ups_reached(store: Store, today: str) -> list[FollowUp]:
    """Conversations whose follow-up date has come and that have not come back yet."""
    return [
        FollowUp(r[0], r[1], r[2], r[3], r[4], bool(r[5]))
        for r in store.execute(
            "SELECT t.id, t.patient_id, t.status, t.follow_up_by, t.follow_up_set_at, "
            "EXISTS (SELECT 1 FROM messages m WHERE m.thread_id = t.id AND m.direction = 'in' "
            "AND m.received_at >= t.follow_up_set_at) "
            "FROM threads t WHERE t.follow_up_by IS NOT NULL AND t.follow_up_by <= ? "
            "AND t.follow_up_due_at IS NULL ORDER BY t.id",
            (today,),
        )
    ]


def mark_follow_up_due(store: Store, thread_id: int) -> None:
    now = utcnow()
    store.execute(
        "UPDATE threads SET status = 'new', follow_up_due_at = ?, updated_at = ? WHERE id = ?",
        (now, now, thread_id),
    )


def clear_follow_up(store: Store, thread_id: int) -> None:
    store.execute(
        "UPDATE threads SET follow_up_by = NULL, follow_up_set_at = NULL, "
        "follow_up_due_at = NULL WHERE id = ?",
        (thread_id,),
    )


def follow_up_due_threads(store: Store) -> list[int]:
    return [
        r[0]
        for r in store.execute(
            "SELECT id FROM threads WHERE follow_up_due_at IS NOT NULL AND status = 'new' "
            "AND (snippet_at IS NULL OR snippet_at < follow_up_due_at) ORDER BY follow_up_due_at"
        )
    ]


# -- delivery ----------------------------------------------------------------------
def sent_message_by_id(
    store: Store, message_id_header: str
) -> tuple[int, int, int | None, str] | None:
    """(message, conversation, patient, recipients) of an email this clinic sent."""
    row = store.execute(
        "SELECT m.id, m.thread_id, m.patient_id, m.recipients FROM messages m "
        "JOIN outbox o ON o.message_id = m.id "
        "WHERE m.message_id_header = ? AND m.direction = 'out' AND o.kind = 'email' "
        "AND o.state = 'sent' ORDER BY m.id LIMIT 1",
        (message_id_header,),
    ).fetchone()
    return (row[0], row[1], row[2], row[3]) if row else None


def mark_not_delivered(store: Store, message_id: int, detail: str) -> bool:
    """The message did not reach the patient: its conversation is back in New, for a
    call. False if that was already known."""
    now = utcnow()
    cur = store.execute(
        "UPDATE messages SET delivery = 'not_delivered', delivery_at = ?, delivery_detail = ? "
        "WHERE id = ? AND delivery IS NOT 'not_delivered'",
        (now, detail, message_id),
    )
    if cur.rowcount != 1:
        return False
    store.execute(
        "UPDATE threads SET status = 'new', updated_at = ? "
        "WHERE id = (SELECT thread_id FROM messages WHERE id = ?)",
        (now, message_id),
    )
    return True


def not_delivered_open(store: Store) -> list[int]:
    """Conversations, not yet done, holding a message that did not reach the patient."""
    return [
        r[0]
        for r in store.execute(
            "SELECT DISTINCT t.id FROM threads t JOIN messages m ON m.thread_id = t.id "
            "WHERE m.delivery = 'not_delivered' AND t.status != 'done' ORDER BY t.id"
        )
    ]


def done_not_filed_count(store: Store) -> int:
    """Finished conversations of a known patient that were never filed to the chart."""
    return int(
        store.one(
            "SELECT count(*) FROM threads WHERE status = 'done' AND filed_at IS NULL "
            "AND patient_id IS NOT NULL"
        )
    )


def portal_sent_unsettled(
    store: Store, account_id: int, since: str
) -> list[tuple[int, int, int | None, str, str]]:
    """(message, conversation, patient, identifier, recipient) of portal messages of ours
    sent since `since` whose reading or failure the portal has not reported yet."""
    return [
        (r[0], r[1], r[2], r[3], r[4])
        for r in store.execute(
            "SELECT m.id, m.thread_id, m.patient_id, o.idempotency_key, m.recipients "
            "FROM outbox o JOIN messages m ON m.id = o.message_id "
            "WHERE o.kind = 'portal' AND o.state = 'sent' AND o.account_id = ? "
            "AND o.sent_at >= ? AND m.delivery IS NULL AND o.purpose IN ('reply', 'start') ORDER BY o.id",
            (account_id, since),
        )
    ]


def mark_read(store: Store, message_id: int, at: str) -> bool:
    cur = store.execute(
        "UPDATE messages SET delivery = 'read', delivery_at = ? WHERE id = ? AND delivery IS NULL",
        (at, message_id),
    )
    return cur.rowcount == 1


def record_portal_copy(store: Store, message_id: int, resource_id: str) -> bool:
    """The portal's id for a message we sent through it: the patient's answer names it
    (inResponseTo), and threads like an email reply naming our Message-ID. False when
    another message here holds that Communication already: the same automatic reply,
    created by another workstation of the clinic (the conditional create answered with
    theirs) and pulled here first; it is kept once (found by the mail fault harness:
    the UNIQUE failure left the reply "sending" for ever)."""
    taken = store.one(
        "SELECT 1 FROM messages WHERE fhir_resource_id = ? AND id != ? AND account_id IS "
        "(SELECT account_id FROM messages WHERE id = ?)",
        (resource_id, message_id, message_id),
    )
    if taken:
        return False
    store.execute(
        "UPDATE messages SET fhir_resource_id = ?, message_id_header = ? "
        "WHERE id = ? AND direction = 'out'",
        (resource_id, f"<Communication/{resource_id}@portal>", message_id),
    )
    return True


def busiest_patients(store: Store, since: str, limit: int = 5) -> list[tuple[str, int]]:
    """(patient, messages written since) of those who write the most: misuse shows here
    first (the clinic may send its reminder of how messages are used)."""
    return [
        (r[0], int(r[1]))
        for r in store.execute(
            "SELECT p.given_name || ' ' || p.family_name, count(*) AS n FROM messages m "
            "JOIN patients p ON p.id = m.patient_id WHERE m.direction = 'in' "
            "AND m.received_at >= ? GROUP BY p.id ORDER BY n DESC, p.family_name LIMIT ?",
            (since, limit),
        )
    ]


def first_outbound(store: Store, thread_id: int) -> tuple[str | None, str] | None:
    """(Message-ID, channel) of the first message the clinic sent in a conversation."""
    row = store.execute(
        "SELECT message_id_header, source FROM messages WHERE thread_id = ? AND direction = 'out' "
        "ORDER BY id LIMIT 1",
        (thread_id,),
    ).fetchone()
    return (row[0], row[1]) if row else None
