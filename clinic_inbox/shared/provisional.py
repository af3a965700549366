"""What people did on a conversation fetched while the clinic's server was away.

During an outage a workstation keeps fetching mail on its own (LiveSync.may_fetch):
its conversations are provisional, known only here. When the same mail turns out to be
on the server already (another workstation published it: the server's conversation is
adopted by message identity), the server's values are taken first, then what people
did here is carried over through the ordinary rules instead of being lost:

- a status, assignee, priority or sensitive flag a person set here goes to the server
  as their change on top of the mail as first published (base version 1): it applies
  when nobody changed that field there since; otherwise the conflict rules decide (a
  priority raise and the sensitive flag merge toward safety, the rest is a conflict
  card for its author);
- notes written here go to the server (notes only add: never a conflict);
- a patient link made here stays, and goes to the server as the person's link made
  before the server's (a different patient there is a conflict card, as any link).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from clinic_inbox.core.store import shared_patient_queries as spq
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.core.store.connection import Store

ACTIONS = {
    "thread.status": "status",
    "thread.assign": "assignee",
    "thread.priority": "priority",
    "thread.sensitive": "sensitive",
}
FIRST_PUBLISHED = 1  # the version of each field when a conversation reaches the server
LOCAL = "local:"  # a link operation naming a patient by this computer's number


LINK_ACTIONS = ("thread.link_patient", "thread.unlink_patient")


@dataclass(frozen=True)
class Provisional:
    values: dict[str, str]  # field -> value here, as the pending queue spells it
    actors: dict[str, int]  # field -> the person who last set it here
    # a person filed it under a patient here (or took it off one): that link is kept
    # and goes to the server as theirs (patient_links: a different one there is a
    # conflict card, never a silent change of patient)
    linked_here: bool = False
    patient_id: int | None = None  # the patient it is filed under here
    linker: int | None = None


def _values(state: shq.SharedState) -> dict[str, str]:
    return {
        "status": state.status,
        "assignee": str(state.assigned_to) if state.assigned_to else "",
        "priority": state.priority,
        "sensitive": "true" if state.sensitive else "false",
    }


def before_adoption(store: Store, thread_id: int) -> Provisional | None:
    """What people set here, read before the server's values replace it."""
    state = shq.thread_state(store, thread_id)
    if state is None:
        return None
    acted = shq.people_actions(store, thread_id, (*ACTIONS, *LINK_ACTIONS))
    linkers = [actor for a, actor in acted.items() if a in LINK_ACTIONS]
    return Provisional(
        _values(state),
        {ACTIONS[a]: actor for a, actor in acted.items() if a in ACTIONS},
        linked_here=bool(linkers),
        patient_id=spq.thread_patient(store, thread_id),
        linker=linkers[0] if linkers else None,
    )


def carry_over(store: Store, thread_id: int, before: Provisional | None) -> int:
    """After the server's values are in: queue people's changes and notes from here
    (inside the same transaction). Returns how many operations were queued."""
    if before is None:
        return 0
    state = shq.thread_state(store, thread_id)
    if state is None:
        return 0
    now = _values(state)
    for field in ACTIONS.values():
        # queued here while a publication that the server then refused had given the
        # conversation an id (version 0, the conversation unknown there): a change
        # made before the server's, like the ones carried over below
        shq.rebase_pending(store, thread_id, field, 0, FIRST_PUBLISHED)
    queued = 0
    for field, actor in before.actors.items():
        mine = before.values[field]
        if mine == now[field] or shq.has_pending(store, thread_id, field):
            continue
        seen = shq.patient_message_count(store, thread_id) if field == "status" else None
        shq.enqueue_op(
            store, str(uuid.uuid4()), thread_id, field, FIRST_PUBLISHED, mine, actor, seen
        )
        queued += 1
    if before.linked_here and not spq.link_pending(store, thread_id):
        # made before the server's link was seen (version 0); the patient is named by
        # its local number until the pusher registers them (patient_links.push)
        value = f"{LOCAL}{before.patient_id}" if before.patient_id is not None else ""
        spq.add_link_op(store, thread_id, str(uuid.uuid4()), 0, value, before.linker)
        queued += 1
    return queued + queue_unshared_notes(store, thread_id)


def queue_unshared_notes(store: Store, thread_id: int) -> int:
    """Notes written here before the conversation was on the server go to it now."""
    notes = shq.unshared_notes(store, thread_id)
    for note_id, author in notes:
        shq.enqueue_op(store, str(uuid.uuid4()), thread_id, "note", 0, str(note_id), author)
    return len(notes)
