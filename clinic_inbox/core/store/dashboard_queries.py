"""Counts for the dashboard (core.dashboard turns them into its figures): no message
content, only times, statuses and who is responsible."""

from __future__ import annotations

from clinic_inbox.core.store.connection import Store


def inbound_received_since(store: Store, since: str) -> list[str]:
    """When each patient message received since `since` arrived."""
    return [
        r[0]
        for r in store.execute(
            "SELECT received_at FROM messages WHERE direction = 'in' AND received_at >= ?",
            (since,),
        )
    ]


def open_overdue_urgent(store: Store, now: str) -> tuple[int, int, int]:
    """Conversations not done: all, past their due time (not waiting on the patient),
    urgent."""
    open_, overdue, urgent = store.execute(
        "SELECT count(*), sum(due_at < ? AND status != 'waiting_on_patient'), "
        "sum(priority = 'urgent') FROM threads WHERE status != 'done'",
        (now,),
    ).fetchone()
    return int(open_ or 0), int(overdue or 0), int(urgent or 0)


def active_physicians(store: Store) -> list[tuple[int, str]]:
    """(staff id, name) of every active physician, by name."""
    return [
        (int(r[0]), r[1])
        for r in store.execute(
            "SELECT id, display_name FROM staff WHERE role = 'physician' AND active = 1 "
            "ORDER BY display_name"
        )
    ]


def physician_open_overdue(store: Store, staff_id: int, now: str) -> tuple[int, int]:
    """Open and overdue conversations of the patients a physician is responsible for."""
    open_, overdue = store.execute(
        "SELECT count(*), sum(t.due_at < ? AND t.status != 'waiting_on_patient') FROM threads t "
        "JOIN patients p ON p.id = t.patient_id "
        "WHERE p.responsible_physician_id = ? AND t.status != 'done'",
        (now, staff_id),
    ).fetchone()
    return int(open_ or 0), int(overdue or 0)


def first_message_and_reply(store: Store, staff_id: int) -> list[tuple[str | None, str | None]]:
    """Per conversation of a physician's patients: when the first patient message came
    and when staff first wrote back (either may be None)."""
    return [
        (r[0], r[1])
        for r in store.execute(
            "SELECT min(CASE WHEN m.direction = 'in' THEN m.received_at END), "
            "min(CASE WHEN m.direction = 'out' AND m.author_staff_id IS NOT NULL "
            "THEN m.received_at END) "
            "FROM messages m JOIN threads t ON t.id = m.thread_id "
            "JOIN patients p ON p.id = t.patient_id "
            "WHERE p.responsible_physician_id = ? GROUP BY t.id",
            (staff_id,),
        )
    ]
