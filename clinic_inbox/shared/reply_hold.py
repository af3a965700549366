"""A reply is held, not sent, when someone else answered the same patient meanwhile.

Two people may answer one patient from two workstations: one of them offline, or both
within the seconds before the other's reply arrives. When another workstation's reply
reaches this one (pulled), every reply written here in that conversation and not yet
sent is held: the patient gets no second answer its author had not seen. The author
(only they) sends it anyway or discards it, both audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clinic_inbox.core import access, shared_discards
from clinic_inbox.core.changes import Changes, note
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.services import (
    NotFound,
    Session,
    _acting,
    _audit,
    _refuse,
    decision_for,
)
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import reply_hold_queries as hq
from clinic_inbox.core.store.connection import Store


def _when(at: str) -> str:
    try:
        return datetime.fromisoformat(at).strftime("%d %b %H:%M UTC")
    except ValueError:
        return at


HELD_LEAD = "Held, not sent: "
HELD_TAIL = ". Its author reads that answer, then sends this one anyway or discards it."


def held_because(who: str, where: str | None, at: str) -> str:
    """What a held reply says of why (kept with it in the outbox)."""
    place = where or "another workstation"
    return f"{HELD_LEAD}{who} answered this patient first, from {place}, at {_when(at)}{HELD_TAIL}"


def hold_on_answer(
    store: Store,
    thread_id: int,
    answer_id: int | None,
    payload: dict[str, Any],
    by: str | None,
    seq: int | None,
    where: str | None = None,
) -> int:
    """Another workstation's reply arrived here (inside the pull's transaction): hold
    the replies waiting here in that conversation that reached the server after it
    (`seq`, its place in the change log; None when not known) or not at all yet: the
    first answer on the server goes, the later one waits for its author. `where` names
    the workstation it came from, when the server knows its name. Returns how many
    were held."""
    if answer_id is not None and hq.written_here(store, answer_id):
        return 0  # this workstation's own reply, come back from the server
    who = by or payload.get("sender_name") or "Someone"
    why = held_because(who, where, payload["received_at"])
    held = 0
    for w in hq.waiting_replies(store, thread_id):
        if answer_id is not None and w.message_id == answer_id:
            continue
        if w.server_seq is not None and (seq is None or w.server_seq < seq):
            continue  # this one was on the server first: the other workstation holds theirs
        held += hq.hold(store, w.outbox_id, why)
    return held


def held_replies(clinic: Clinic, session: Session) -> list[hq.WaitingReply]:
    """This person's held replies (the outbox screen shows why on each)."""
    return hq.held_replies(clinic.store, session.staff.id)


def send_anyway(clinic: Clinic, session: Session, outbox_id: int) -> None:
    """The author has read the other answer and sends theirs all the same. Only the
    author, and only while they may still reply in that conversation."""
    store = clinic.store
    with store.transaction():
        found = [w for w in hq.held_replies(store) if w.outbox_id == outbox_id]
        if not found:
            raise NotFound("There is no held reply with that number.")
        w = found[0]
        if w.author_id != session.staff.id:
            refused = "Only the person who wrote a held reply can send it anyway."
        else:
            refused = None
    if refused:
        _refuse(clinic, session, "reply.send_anyway.refused", refused, thread_id=w.thread_id)
    with store.transaction():
        row, d = _acting(clinic, session, w.thread_id)
        access.require(d.reply, d.why_not or "You may not reply in this conversation.")
        if not hq.release(store, outbox_id):
            raise NotFound("That reply is no longer held.")
        note(store, Changes.of(w.thread_id, outbox=True))  # it waits to go now
        _audit(
            clinic,
            session,
            "reply.send_anyway",
            patient_id=row.patient_id,
            thread_id=w.thread_id,
            message_id=w.message_id,
            detail={"outbox_id": outbox_id},
        )


# -- the conversation panel's "your reply is held" -----------------------------------
@dataclass(frozen=True)
class HeldView:
    """One held reply as the person looking at the conversation reads it."""

    outbox_id: int
    words: str
    mine: bool  # they wrote it: they may send it anyway or discard it


def _reason(why: str | None) -> str:
    """The "who answered first, from where, when" part of a held reply's why."""
    text = (why or "").removeprefix(HELD_LEAD).removesuffix(HELD_TAIL)
    # held before the app said where from (the wording of that version)
    text = text.removesuffix(". Read their answer, then send yours anyway or cancel it.")
    return text or "someone else answered this patient first"


def held_here(clinic: Clinic, session: Session, thread_id: int) -> list[HeldView]:
    """The held replies of one conversation, for whoever may see it: its author gets
    the choice, the others are told whose reply waits."""
    d = decision_for(clinic, session, thread_id)
    access.require(d.header, d.why_not or "You may not open this conversation.")
    out = []
    for h in hq.held_in_thread(clinic.store, thread_id):
        mine = h.author_id == session.staff.id
        reason = _reason(h.why)
        if mine:
            words = (
                f"Your reply is held: {reason}. Read their answer, then send yours anyway "
                "or discard it."
            )
        else:
            words = (
                f"{h.author or 'A colleague'}'s reply is held: {reason}. Only they can send "
                "it anyway or discard it."
            )
        out.append(HeldView(h.outbox_id, words, mine))
    return out


def discard_held(clinic: Clinic, session: Session, outbox_id: int) -> int:
    """The author decides not to send their held reply: it is cancelled, never sent,
    and that is on the record. Returns the conversation's id."""
    store = clinic.store
    with store.transaction():
        found = [w for w in hq.held_replies(store) if w.outbox_id == outbox_id]
        if not found:
            raise NotFound("That reply is no longer held (it was sent or discarded already).")
        w = found[0]
        refused = (
            None
            if w.author_id == session.staff.id
            else "Only the person who wrote a held reply can discard it."
        )
    if refused:
        _refuse(clinic, session, "reply.discard_held.refused", refused, thread_id=w.thread_id)
    with store.transaction():
        row = q.get_thread(store, w.thread_id)
        if not hq.discard(store, outbox_id):
            raise NotFound("That reply is no longer held (it was sent or discarded already).")
        shared_discards.remember(store, w.message_id)  # the others show it as not sent too
        note(store, Changes.of(w.thread_id, outbox=True))  # its line says cancelled
        _audit(
            clinic,
            session,
            "reply.discard_held",
            patient_id=row.patient_id if row else None,
            thread_id=w.thread_id,
            message_id=w.message_id,
            detail={"outbox_id": outbox_id},
        )
    return w.thread_id
