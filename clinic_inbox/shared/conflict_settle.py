"""Settling a conflict card: the one way for every kind of card (patients' records,
staff and delegations). The person keeps the clinic's value or makes their own change
again through its service (its access check, audit entry and queue); either way the
card is marked seen and the choice audited in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from clinic_inbox.core import audit, services
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.store.connection import Store
from clinic_inbox.shared import SharedQueueError


class _Card(Protocol):
    @property
    def op_id(self) -> str: ...


class _Made(Protocol):
    """A card of a change made on this workstation (a conversation's or a patient's)."""

    @property
    def actor_id(self) -> int | None: ...
    @property
    def field(self) -> str: ...
    @property
    def mine(self) -> str: ...


def why_not_again(card: _Made, staff_id: int) -> str:
    """Why this person may not make the card's change again ("" when they may): the card
    shows its button by it, and making the change again refuses by it."""
    if card.actor_id is not None and card.actor_id != staff_id:
        # an administrator sees someone else's refused change: to keep what the server
        # has, not to make it again as their own
        return "Only the person whose change was not applied can apply it anyway."
    if card.field == "note" and not card.mine.isdigit():  # refused before its id was kept
        return "That note cannot be sent again: write it again."
    return ""


C = TypeVar("C", bound=_Card)


def settle(
    clinic: Clinic,
    session: services.Session,
    op_id: str,
    mine: bool,
    *,
    cards: Sequence[C],
    again: Callable[[Clinic, services.Session, C], None],
    mark_seen: Callable[[Store, str], None],
    detail: Callable[[C], dict[str, Any]],
    patient_id: Callable[[C], int | None] = lambda _c: None,
) -> None:
    """`cards`: this person's open cards of one kind; `again`: their change made again."""
    found = [c for c in cards if c.op_id == op_id]
    if not found:
        raise SharedQueueError("There is no open conflict with that number.")
    c = found[0]
    if mine:
        again(clinic, session, c)
    with clinic.store.transaction():
        mark_seen(clinic.store, op_id)
        audit.append(
            clinic.store,
            clinic.audit_key,
            session.staff.id,
            session.staff.username,
            "shared.conflict_applied_mine" if mine else "shared.conflict_kept_theirs",
            patient_id=patient_id(c),
            detail={"conflict": op_id} | detail(c),
        )
