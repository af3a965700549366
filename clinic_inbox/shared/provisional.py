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
- notes written here go to the server (notes only add: never a conflict).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.core.store.connection import Store

ACTIONS = {
    "thread.status": "status",
    "thread.assign": "assignee",
    "thread.priority": "priority",
    "thread.sensitive": "sensitive",
}
FIRST_PUBLISHED = 1  # the version of each field when a conversation reaches the server


@dataclass(frozen=True)
class Provisional:
    values: dict[str, str]  # field -> value here, as the pending queue spells it
    actors: dict[str, int]  # field -> the person who last set it here


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
    acted = shq.people_actions(store, thread_id, tuple(ACTIONS))
    return Provisional(_values(state), {ACTIONS[a]: actor for a, actor in acted.items()})


def carry_over(store: Store, thread_id: int, before: Provisional | None) -> int:
    """After the server's values are in: queue people's changes and notes from here
    (inside the same transaction). Returns how many operations were queued."""
    if before is None:
        return 0
    state = shq.thread_state(store, thread_id)
    if state is None:
        return 0
    now = _values(state)
    queued = 0
    for field, actor in before.actors.items():
        mine = before.values[field]
        if mine == now[field] or shq.has_pending(store, thread_id, field):
            continue
        shq.enqueue_op(store, str(uuid.uuid4()), thread_id, field, FIRST_PUBLISHED, mine, actor)
        queued += 1
    return queued + queue_unshared_notes(store, thread_id)


def queue_unshared_notes(store: Store, thread_id: int) -> int:
    """Notes written here before the conversation was on the server go to it now."""
    notes = shq.unshared_notes(store, thread_id)
    for note_id, author in notes:
        shq.enqueue_op(store, str(uuid.uuid4()), thread_id, "note", 0, str(note_id), author)
    return len(notes)
