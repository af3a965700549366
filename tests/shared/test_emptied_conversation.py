"""A conversation emptied by the shared queue's moves leaves no empty card behind.

When the server files a patient's message in another conversation than the one a
workstation had put it in (shared_queries.move_message: publish asks the server,
replica.place_message moves a pulled copy), the local conversation it came from may be
left with no message at all. If the server never had that conversation, it is folded
into the one the message went to: its notes, assignment, status and patient link
follow (the ones the server does not have go to it as their authors' changes, as on any
join), its audit entries stay and are read as the target's, and nothing refers to it
afterwards, on any workstation.
"""

from __future__ import annotations

import json

import psycopg
from support.thread_references import THREAD_REFERENCES
from workstations import Joined, login, writes_again

from clinic_inbox.core import audit, services
from clinic_inbox.core.model import Status
from clinic_inbox.core.store import audit_ship_queries as asq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared.sync import publish_conversation, pull, push

FIRST = "<again-1@example.org>"
SECOND = "<again-2@example.org>"
NOTE = "Called her back, left a voicemail about the pharmacy."


def _empty_cards(clinic) -> int:  # noqa: ANN001
    return int(
        clinic.store.one(
            "SELECT count(*) FROM threads t WHERE t.purged_at IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM messages m WHERE m.thread_id = t.id)"
        )
    )


def _refers_to(clinic, thread_id: int) -> list[str]:  # noqa: ANN001
    found = [
        f"{t}.{c}"
        for t, c in THREAD_REFERENCES
        if clinic.store.one(f"SELECT count(*) FROM {t} WHERE {c} = ?", (thread_id,))
    ]
    if clinic.store.one("SELECT count(*) FROM threads WHERE id = ?", (thread_id,)):
        found.append("threads.id")
    return found


def _server_empty(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT count(*) FROM conversation c WHERE NOT EXISTS "
            "(SELECT 1 FROM message m WHERE m.conv = c.id)"
        ).fetchone()[0]


def _staff_id(clinic, username: str) -> int:  # noqa: ANN001
    return next(sid for sid, name in shq.staff_usernames(clinic.store) if name == username)


def _set_up(tmp_path, empty_db, keyring_factory):  # noqa: ANN001, ANN202
    """B publishes the patient's first e-mail. A, which had not pulled it yet, fetched
    her second one (a holder killed before it published): a conversation of its own
    here, where the receptionist wrote a note, assigned it and took it. A then pulls
    the first conversation; B threads the second e-mail into it and publishes."""
    joined = Joined(tmp_path, empty_db, keyring_factory, 2)
    a, b = joined.clinics
    la, lb = joined.links
    tb = writes_again(b, 1, "Could I renew my levothyroxine?", FIRST, None)
    conv = publish_conversation(b, lb, tb, None)
    x = writes_again(a, 2, "Me again: the pharmacy is closed.", SECOND, FIRST)
    reception = login(a, "reception.moreau")
    services.add_note(a, reception, x, NOTE)
    services.assign(a, reception, x, _staff_id(a, "nurse.chen"))
    services.set_status(a, reception, x, Status.IN_PROGRESS)
    pull(a, la)
    assert shq.thread_by_uuid(a.store, conv) not in (None, x)
    assert writes_again(b, 2, "Me again: the pharmacy is closed.", SECOND, FIRST) == tb
    publish_conversation(b, lb, tb, None)
    return joined, conv, x


def _check(joined, conv: str, x: int, dsn: str) -> None:  # noqa: ANN001
    a, b = joined.clinics
    la, lb = joined.links
    ea = shq.thread_by_uuid(a.store, conv)
    assert ea is not None
    assert _empty_cards(a) == 0
    assert a.store.one("SELECT count(*) FROM threads") == 1
    assert _refers_to(a, x) == []
    # what the receptionist did on it is on the conversation the message went to
    assert [n[2] for n in q.thread_notes(a.store, ea)] == [NOTE]
    state = shq.thread_state(a.store, ea)
    assert state is not None
    assert state.assigned_to == _staff_id(a, "nurse.chen")
    assert state.status == Status.IN_PROGRESS.value
    # and reaches the other workstation as her changes
    push(a, la)
    pull(b, lb)
    pull(a, la)
    eb = shq.thread_by_uuid(b.store, conv)
    assert [n[2] for n in q.thread_notes(b.store, eb)] == [NOTE]
    there = shq.thread_state(b.store, eb)
    assert there is not None
    assert there.assigned_to == _staff_id(b, "nurse.chen")
    assert there.status == Status.IN_PROGRESS.value
    for c in (a, b):
        assert _empty_cards(c) == 0
        assert c.store.one("SELECT count(*) FROM threads") == 1
    assert _server_empty(dsn) == 0
    assert shq.threads_to_publish(a.store) == []
    # the audit keeps its entries about the folded conversation, read as the target's
    assert audit.verify(a.store, a.audit_key).ok
    assert a.store.one("SELECT count(*) FROM audit WHERE thread_id = ?", (x,)) > 0
    assert asq.thread_uuids(a.store, {x}) == {x: conv}
    folds = [
        r
        for r in a.store.execute(
            "SELECT thread_id, detail FROM audit WHERE action = ?", ("thread.fold",)
        )
    ]
    assert len(folds) == 1 and folds[0][0] == ea and json.loads(folds[0][1])["from"] == x
    # a new conversation never takes the folded one's number (its audit entries name it)
    made = writes_again(a, 9, "A new question", "<other-1@example.org>", None)
    assert made != x


def test_a_conversation_emptied_by_a_pull_is_folded_into_the_servers(
    tmp_path, empty_db, keyring_factory
):
    joined, conv, x = _set_up(tmp_path, empty_db, keyring_factory)
    try:
        a = joined.clinics[0]
        got = pull(a, joined.links[0])  # the second e-mail moves into the server's one
        assert got.folded == [x] and x in got.changes.threads  # the board drops its card
        _check(joined, conv, x, empty_db)
    finally:
        joined.close()


def test_a_conversation_emptied_by_its_publication_is_folded_into_the_servers(
    tmp_path, empty_db, keyring_factory
):
    joined, conv, x = _set_up(tmp_path, empty_db, keyring_factory)
    try:
        a = joined.clinics[0]
        # A publishes before it pulls: the server files the e-mail in the first one
        assert publish_conversation(a, joined.links[0], x, None) == conv
        _check(joined, conv, x, empty_db)
    finally:
        joined.close()
