"""A change the clinic's server refuses is said on the workstation, in plain words.

A check on the server (here a trigger a clinic's server adds: no workflow change by an
account that is turned off) may reject one of a workstation's queued changes. Before,
the push failed as a whole with the server's error, only PostgreSQL's log said why,
the app said the connection was lost, and every later change waited behind it for
good. Now the refused change leaves the queue, the others go on, and its author (and
the administrators, since a turned-off account never signs in again) get a card on the
conflict screen saying what was refused and why.
"""

from __future__ import annotations

import json

import psycopg
from workstations import Joined, login, receive

from clinic_inbox.core import services
from clinic_inbox.core.model import Status
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import conflicts
from clinic_inbox.shared.sync import publish_conversation, pull, push

NOTE = "Pharmacy called back: the renewal is ready."

# a row-level check on the server, as a clinic's server (or a later schema) may have one
REFUSE_TURNED_OFF = """
CREATE FUNCTION refuse_turned_off() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM staff_member WHERE id = NEW.changed_by AND NOT active) THEN
        RAISE EXCEPTION 'staff account % is disabled', NEW.changed_by
            USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER refuse_turned_off BEFORE UPDATE ON conversation_field
    FOR EACH ROW EXECUTE FUNCTION refuse_turned_off();
"""


def test_a_refused_change_gets_a_card_in_plain_words_and_the_queue_goes_on(
    qtbot, tmp_path, empty_db, keyring_factory
):
    joined = Joined(tmp_path, empty_db, keyring_factory, 2)
    a, b = joined.clinics
    la, lb = joined.links
    try:
        push(a, la)  # the clinic's staff on the server
        pull(b, lb)
        conv = publish_conversation(a, la, receive(a, 1, "r")[0], None)
        pull(b, lb)
        tb = shq.thread_by_uuid(b.store, conv)
        assert tb is not None
        with psycopg.connect(empty_db, autocommit=True) as conn:
            conn.execute(REFUSE_TURNED_OFF)

        # at B, before it hears that her account was turned off, Nurse Chen takes it;
        # then the receptionist writes a note
        services.set_status(b, login(b, "nurse.chen"), tb, Status.IN_PROGRESS)
        services.add_note(b, login(b, "reception.moreau"), tb, NOTE)
        services.set_staff_active(a, login(a, "admin"), "nurse.chen", False)
        push(a, la)

        pushed = push(b, lb)  # the server refuses Chen's change: the note still goes
        assert pushed.refused == 1
        assert pushed.applied == 1
        assert shq.pending_count(b.store) == 0
        assert shq.thread_state(b.store, tb).status == Status.NEW.value  # the server's
        pull(b, lb)
        pull(a, la)
        ta = shq.thread_by_uuid(a.store, conv)
        assert [n[2] for n in q.thread_notes(a.store, ta)] == [NOTE]
        assert shq.thread_state(a.store, ta).status == Status.NEW.value

        # the administrator at B sees the card (Chen can no longer sign in to see it)
        (card,) = conflicts.shown(b, login(b, "admin")).value
        assert card.what == "Status"
        assert (card.yours, card.theirs) == (Status.IN_PROGRESS.label, Status.NEW.label)
        assert card.who == "the clinic's server"
        assert card.refused == "the account of Nurse Mei Chen is turned off on the clinic's server"
        assert card.number == "#1"  # an administrator sees no patient text
        assert conflicts.shown(b, login(b, "reception.moreau")).value == []  # not hers

        # the audit says what was refused and why; nothing of the server's message
        (detail,) = [
            json.loads(r[0])
            for r in b.store.execute(
                "SELECT detail FROM audit WHERE action = 'shared.refused' AND thread_id = ?",
                (tb,),
            )
        ]
        assert (detail["field"], detail["reason"], detail["sqlstate"]) == (
            "status",
            "disabled",
            "42501",
        )

        # the conflict screen's card says it in a receptionist's words
        from PySide6.QtWidgets import QLabel

        from clinic_inbox.ui.conflicts_dialog import ConflictCard

        widget = ConflictCard(card)
        qtbot.addWidget(widget)
        words = " ".join(label.text() for label in widget.findChildren(QLabel))
        assert "What was done here (refused)" in words
        assert "The clinic's server refused this change: the account of Nurse Mei Chen" in words
        assert "every workstation shows “New”" in words
    finally:
        joined.close()
