"""Refreshing an open conversation records a view only when something new is shown.

A real encrypted store. The first opening is a view; a refresh with the same messages
and the same access is not; a new message, a changed message, or access to the content
granted since (break-glass) are, and the entry lists what is now shown.
"""

from __future__ import annotations

from support.clinics import new_clinic

from clinic_inbox.core import audit, services
from clinic_inbox.core.model import Category, Direction, Priority, Role, Source
from clinic_inbox.core.store import queries as q


def _views(clinic, tid):
    return [
        e
        for e in audit.entries(clinic.store)
        if e.thread_id == tid and e.action in ("thread.view", "thread.view_header")
    ]


def _message(clinic, tid, pid, body):
    with clinic.store.transaction():
        return q.insert_message(
            clinic.store,
            q.NewMessage(
                tid,
                Source.EMAIL,
                Direction.INBOUND,
                q.utcnow(),
                sender="pat@x.example",
                subject="Knee",
                body_text=body,
                patient_id=pid,
            ),
        )


def test_a_refresh_records_a_view_only_for_what_is_new(tmp_path):
    clinic, admin, doc = new_clinic(tmp_path / "c")
    services.add_staff(clinic, admin, "nurse", "Nurse N", Role.NURSE, "kettle orbit maple frost")
    with clinic.store.transaction():
        pid = q.add_patient(
            clinic.store, "Pat", "Knee", "1970-01-01", "K-1", responsible_physician_id=doc.id
        )
        tid = q.create_thread(
            clinic.store, q.NewThread("Knee", Category.OTHER, Priority.ROUTINE, q.utcnow(), pid)
        )
    _message(clinic, tid, pid, "My knee hurts")
    me = services.login(clinic, "dr.patel", "kettle orbit maple frost")

    shown = services.show_thread(clinic, me, tid)
    assert len(_views(clinic, tid)) == 1
    again = services.show_thread(clinic, me, tid, shown=shown)
    assert again.messages == shown.messages and len(_views(clinic, tid)) == 1

    new_id = _message(clinic, tid, pid, "Now it is swollen")
    newer = services.show_thread(clinic, me, tid, shown=again)
    entries = _views(clinic, tid)
    assert len(entries) == 2 and new_id in entries[-1].detail["messages"]

    with clinic.store.transaction():  # a portal message's new version: same id, new words
        clinic.store.execute("UPDATE messages SET body_text = ? WHERE id = ?", ("Worse", new_id))
    latest = services.show_thread(clinic, me, tid, shown=newer)
    assert len(_views(clinic, tid)) == 3

    # what is shown must be this very conversation: another one's screen counts for nothing
    with clinic.store.transaction():
        tid2 = q.create_thread(
            clinic.store, q.NewThread("Knee", Category.OTHER, Priority.ROUTINE, q.utcnow(), pid)
        )
    other = services.show_thread(clinic, me, tid2)
    lookalike = type(other)(**{**other.__dict__, "messages": latest.messages})
    services.show_thread(clinic, me, tid, shown=lookalike)
    assert len(_views(clinic, tid)) == 4


def test_content_opened_by_break_glass_is_a_new_view(tmp_path):
    clinic, admin, doc = new_clinic(tmp_path / "c")
    services.add_staff(clinic, admin, "nurse", "Nurse N", Role.NURSE, "kettle orbit maple frost")
    with clinic.store.transaction():
        pid = q.add_patient(
            clinic.store, "Pat", "Knee", "1970-01-01", "K-1", responsible_physician_id=doc.id
        )
        tid = q.create_thread(
            clinic.store, q.NewThread("Knee", Category.OTHER, Priority.ROUTINE, q.utcnow(), pid)
        )
    _message(clinic, tid, pid, "My knee hurts")
    nurse = services.login(clinic, "nurse", "kettle orbit maple frost")
    header = services.show_thread(clinic, nurse, tid)
    assert not header.body_visible
    services.break_glass(
        clinic, nurse, tid, "The patient is at the desk and cannot walk", "kettle orbit maple frost"
    )
    opened = services.show_thread(clinic, nurse, tid, shown=header)
    assert opened.body_visible
    kinds = [e.action for e in _views(clinic, tid)]
    assert kinds == ["thread.view_header", "thread.view"]
