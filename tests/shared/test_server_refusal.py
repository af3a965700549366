"""A change the clinic's server refuses is said on the workstation, in plain words.

A check on the server may reject one of a workstation's queued changes: since schema
13 (turned_off_schema) the server itself refuses every workflow change by a staff
account it holds turned off, whatever the workstation that sends it had heard. Before,
a push of Nurse Chen's status change from a workstation that had not heard that her
account was turned off was applied everywhere; and a refused change made the push fail
as a whole with the server's error, only PostgreSQL's log said why, the app said the
connection was lost, and every later change waited behind it for good. Now the refused
change leaves the queue, the others go on, and its author (and the administrators,
since a turned-off account never signs in again) get a card on the conflict screen
saying what was refused and why.
"""

from __future__ import annotations

import json

import psycopg
import pytest
from workstations import Joined, login, receive, writes_again

from clinic_inbox.core import services
from clinic_inbox.core.model import Priority, Status
from clinic_inbox.core.services_patients import PatientDetails, edit_patient
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_patient_edit_queries as epq
from clinic_inbox.core.store import shared_patient_queries as spq
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import SharedQueueError, conflicts
from clinic_inbox.shared import server as srv
from clinic_inbox.shared.patients import publish_patient
from clinic_inbox.shared.schema import SCHEMA_VERSION
from clinic_inbox.shared.sync import publish_conversation, pull, push

NOTE = "Pharmacy called back: the renewal is ready."


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


# -- schema 13: the server itself refuses a turned-off account's changes -------------------
ZOE = PatientDetails("Quennell", "Zoë", "1990-01-01", "QZ-1")
OTTO = PatientDetails("Brannigan", "Otto", "1961-07-14", "OB-7")


def _patient(ws, link, d: PatientDetails) -> str:  # noqa: ANN001
    """A patient of Dr Patel's, registered on `ws` and on the server; the server's id."""
    doc = q.staff_login_row(ws.store, "dr.patel")[0].id
    with ws.store.transaction():
        pid = q.add_patient(
            ws.store, d.family_name, d.given_name, d.birth_date, d.chart_number, None, doc
        )
    return publish_patient(ws, link, pid)


def _edited(ws, session, pid: int, **changes: str) -> None:  # noqa: ANN001
    p = q.get_patient(ws.store, pid)
    now = {
        "family_name": p.family_name,
        "given_name": p.given_name,
        "birth_date": p.birth_date,
        "chart_number": p.chart_number,
        "emails": tuple(p.emails),
    }
    edit_patient(ws, session, pid, PatientDetails(**(now | changes)))


def _refusals(ws) -> list[dict]:  # noqa: ANN001
    return [
        json.loads(r[0])
        for r in ws.store.execute(
            "SELECT detail FROM audit WHERE action = 'shared.refused' ORDER BY id"
        )
    ]


def _server(dsn: str, sql: str, args: tuple = ()) -> list[tuple]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(sql, args).fetchall()


def _turn(ws, link, username: str, on: bool) -> None:  # noqa: ANN001
    """An administrator at `ws` turns the account on or off, and the server hears it."""
    services.set_staff_active(ws, login(ws, "admin"), username, on)
    push(ws, link)


def test_every_change_of_a_turned_off_account_is_refused_and_the_queue_goes_on(
    qtbot, tmp_path, empty_db, keyring_factory
):
    """Dr Patel's account is turned off at A. B has not heard: there she assigns a
    conversation to herself, raises its priority, writes a note, files it under her
    patient Zoë and corrects Zoë's birth date. The server refuses each (before schema 13
    it applied them all, and a refused link or edit made every later push fail); the
    receptionist's note and edit, queued with them, go through."""
    joined = Joined(tmp_path, empty_db, keyring_factory, 2)
    a, b = joined.clinics
    la, lb = joined.links
    try:
        push(a, la)  # the clinic's staff on the server
        conv = publish_conversation(a, la, receive(a, 1, "r")[0], None)
        zoe, otto = _patient(a, la, ZOE), _patient(a, la, OTTO)
        pull(b, lb)
        tb = shq.thread_by_uuid(b.store, conv)
        zoe_b, otto_b = (spq.patient_by_uuid(b.store, p) for p in (zoe, otto))
        assert tb is not None and zoe_b is not None and otto_b is not None
        before = shq.thread_state(b.store, tb)
        _turn(a, la, "dr.patel", False)

        patel, moreau = login(b, "dr.patel"), login(b, "reception.moreau")
        services.assign(b, patel, tb, patel.staff.id)
        services.set_priority(b, patel, tb, Priority.URGENT, "she sounded worse")
        services.add_note(b, patel, tb, NOTE)
        services.add_note(b, moreau, tb, "Called her back at 10:40.")
        services.link_patient(b, patel, tb, zoe_b, remember_sender=False)
        _edited(b, patel, zoe_b, birth_date="1990-01-10")
        _edited(b, moreau, otto_b, chart_number="OB-8")

        pushed = push(b, lb)
        assert (pushed.refused, pushed.applied, pushed.conflicts) == (5, 2, 0)
        assert shq.pending_count(b.store) == 0
        assert spq.link_ops(b.store) == [] and epq.ops(b.store) == []
        assert push(b, lb).refused == 0  # nothing refused stays behind

        # the server kept what it had: no assignee, the priority, no link, her birth date
        fields = dict(
            _server(
                empty_db,
                "SELECT field, value FROM conversation_field WHERE conv = %s",
                (conv,),
            )
        )
        assert (fields["assignee"], fields["priority"]) == ("", before.priority)
        assert fields.get("patient", "") == ""
        notes = _server(empty_db, "SELECT count(*) FROM note WHERE conv = %s", (conv,))
        assert notes == [(1,)]  # Moreau's
        pull(a, la)
        assert q.get_patient(a.store, spq.patient_by_uuid(a.store, otto)).chart_number == "OB-8"
        assert q.get_patient(a.store, spq.patient_by_uuid(a.store, zoe)).birth_date == "1990-01-01"
        # ...and so does this copy
        here = q.get_thread(b.store, tb)
        assert (here.assigned_to_id, here.patient_id) == (None, None)
        assert shq.thread_state(b.store, tb).priority == before.priority
        assert q.get_patient(b.store, zoe_b).birth_date == "1990-01-01"

        # the administrator at B sees a card for each, saying why
        cards = conflicts.shown(b, login(b, "admin")).value
        assert sorted(c.what for c in cards) == [
            "Assigned to",
            "Date of birth",
            "Note",
            "Patient",
            "Priority",
        ]
        off = "the account of Dr Anjali Patel is turned off on the clinic's server"
        assert {c.refused for c in cards} == {off}
        assert {c.who for c in cards} == {"the clinic's server"}
        by_what = {c.what: c for c in cards}
        assert (by_what["Patient"].yours, by_what["Patient"].theirs) == (
            "Quennell, Zoë, born 1990-01-01",
            "No patient",
        )
        born = by_what["Date of birth"]
        assert (born.yours, born.theirs) == ("1990-01-10", "1990-01-01")
        assert born.conversation == "the record of Quennell, Zoë"
        assert conflicts.shown(b, moreau).value == []  # not hers
        # an administrator keeps what the server has; it is not theirs to make again
        with pytest.raises(SharedQueueError, match="Only the person"):
            conflicts.settle(b, login(b, "admin"), born.op_id, True)

        # the audit says what was refused and why, and nothing of the server's message
        said = _refusals(b)
        assert sorted(d["field"] for d in said) == [
            "assignee",
            "birth_date",
            "note",
            "patient",
            "priority",
        ]
        assert {(d["reason"], d["sqlstate"]) for d in said} == {("disabled", "42501")}
        assert all(set(d) == {"field", "by", "reason", "sqlstate", "server"} for d in said)

        # the conflict screen says it of a patient's record as of a conversation
        from PySide6.QtWidgets import QLabel

        from clinic_inbox.ui.conflicts_dialog import ConflictCard

        widget = ConflictCard(born)
        qtbot.addWidget(widget)
        words = " ".join(label.text() for label in widget.findChildren(QLabel))
        assert "Date of birth</b> of the record of Quennell, Zoë" in words
        assert "What was done here (refused)" in words
        assert f"The clinic's server refused this change: {off}" in words
        assert "every workstation shows “1990-01-01”" in words
        # ...and the administrator is not offered to make them again as their own
        assert {c.can_apply for c in cards} == {False}
        note_card = ConflictCard(by_what["Note"])
        qtbot.addWidget(note_card)
        assert widget.mine.isHidden() and note_card.mine.isHidden()

        # turned on again, Dr Patel sends her refused note again from its card: the same
        # note reaches the server and the other workstation, once
        _turn(a, la, "dr.patel", True)
        pull(b, lb)
        patel = login(b, "dr.patel")
        hers = {c.what: c for c in conflicts.shown(b, patel).value}
        assert hers["Note"].can_apply and hers["Note"].yours == "Your note"
        note_card = ConflictCard(hers["Note"])
        qtbot.addWidget(note_card)
        assert not note_card.mine.isHidden()
        conflicts.settle(b, patel, hers["Note"].op_id, True)
        assert push(b, lb).applied == 1
        assert _server(empty_db, "SELECT count(*) FROM note WHERE conv = %s", (conv,)) == [(2,)]
        assert push(b, lb).applied == 0  # once
        pull(a, la)
        ta = shq.thread_by_uuid(a.store, conv)
        assert sorted(n[2] for n in q.thread_notes(a.store, ta)) == sorted(
            [NOTE, "Called her back at 10:40."]
        )
        # settled: its card is gone
        with pytest.raises(SharedQueueError, match="no open conflict"):
            conflicts.settle(b, patel, hers["Note"].op_id, True)
    finally:
        joined.close()


def test_a_publication_goes_through_and_the_same_account_turned_on_again_may_act(
    tmp_path, empty_db, keyring_factory
):
    """Mail fetched at B while Dr Patel, turned off at A, is signed in there is published
    (ingest never stops over who was signed in), and the patient writing again in a
    conversation she closed while she was on reopens it on the server; her own change is
    refused. Turned on again, she makes it again from her card and it goes through."""
    joined = Joined(tmp_path, empty_db, keyring_factory, 2)
    a, b = joined.clinics
    la, lb = joined.links
    try:
        push(a, la)
        t = writes_again(a, 1, "Could I renew my levothyroxine?", "<off-1@example.org>", None)
        closed = publish_conversation(a, la, t, None)
        services.set_status(a, login(a, "dr.patel"), t, Status.DONE, file_on_done=False)
        push(a, la)
        pull(b, lb)
        _turn(a, la, "dr.patel", False)

        patel = login(b, "dr.patel")  # B has not heard
        (fetched,) = receive(b, 1, "b")
        conv = publish_conversation(b, lb, fetched, patel.staff.id)
        assert _server(empty_db, "SELECT count(*) FROM conversation WHERE id = %s", (conv,)) == [
            (1,)
        ]
        services.set_status(b, patel, fetched, Status.IN_PROGRESS)
        assert push(b, lb).refused == 1  # her change, not her publication

        # the patient writes again in the conversation she closed: the server reopens it
        again = "Still no tablets, and I feel faint"
        assert writes_again(a, 2, again, "<off-2@example.org>", "<off-1@example.org>") == t
        publish_conversation(a, la, t, None)
        assert push(a, la).refused == 0
        status = _server(
            empty_db,
            "SELECT value, changed_by FROM conversation_field WHERE conv = %s AND field = 'status'",
            (closed,),
        )
        assert status == [(Status.NEW.value, "system")]

        # turned on again, she may act again: her refused change, made again
        _turn(a, la, "dr.patel", True)
        pull(b, lb)
        patel = login(b, "dr.patel")
        (card,) = conflicts.shown(b, patel).value
        assert card.refused.startswith("the account of Dr Anjali Patel is turned off")
        conflicts.settle(b, patel, card.op_id, True)
        pushed = push(b, lb)
        assert (pushed.applied, pushed.refused) == (1, 0)
        pull(a, la)
        ta = shq.thread_by_uuid(a.store, conv)
        assert shq.thread_state(a.store, ta).status == Status.IN_PROGRESS.value
    finally:
        joined.close()


def test_a_schema_12_server_upgraded_refuses_what_it_took_before(
    tmp_path, empty_db, keyring_factory
):
    """On a server left at schema 12 a turned-off account's change from a workstation
    that had not heard is applied (the gap step 13 closes); after `server upgrade` the
    same change is refused."""
    joined = Joined(tmp_path, empty_db, keyring_factory, 2)
    a, b = joined.clinics
    la, lb = joined.links
    try:
        push(a, la)
        conv = publish_conversation(a, la, receive(a, 1, "r")[0], None)
        pull(b, lb)
        tb = shq.thread_by_uuid(b.store, conv)
        _turn(a, la, "nurse.chen", False)
        with psycopg.connect(empty_db, autocommit=True) as conn:  # as step 12 left it
            conn.execute(
                "DROP FUNCTION IF EXISTS refuse_turned_off_author CASCADE; "
                "UPDATE server_info SET schema_version = 12"
            )
        chen = login(b, "nurse.chen")
        services.set_status(b, chen, tb, Status.IN_PROGRESS)
        assert push(b, lb).applied == 1  # taken

        assert srv.upgrade_server(a, login(a, "admin"), empty_db) == (12, SCHEMA_VERSION)
        services.set_status(b, chen, tb, Status.WAITING)
        pushed = push(b, lb)
        assert (pushed.applied, pushed.refused) == (0, 1)
        assert shq.thread_state(b.store, tb).status == Status.IN_PROGRESS.value  # the server's
        assert [d["reason"] for d in _refusals(b)] == ["disabled"]
    finally:
        joined.close()
