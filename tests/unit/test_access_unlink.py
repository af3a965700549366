"""The unlink rule as a decision table (plain fakes: the policy is pure)."""

from __future__ import annotations

import pytest

from clinic_inbox.core.access import Decision, may_unlink
from clinic_inbox.core.model import Role, Staff

DOC, OTHER_DOC = Staff(1, "dr.a", "Dr A", Role.PHYSICIAN), Staff(2, "dr.b", "Dr B", Role.PHYSICIAN)
DESK, ADMIN = Staff(3, "desk", "Desk", Role.RECEPTIONIST), Staff(4, "admin", "Admin", Role.ADMIN)
NURSE = Staff(5, "nurse", "Nurse", Role.NURSE)


def _d(body: bool, via: str) -> Decision:
    return Decision(True, body, body, False, True, via)


@pytest.mark.parametrize(
    ("staff", "decision", "physician", "expected"),
    [
        (DOC, _d(True, "own"), DOC.id, (True, False)),  # the physician in charge
        (OTHER_DOC, _d(True, "break-glass"), DOC.id, (True, True)),  # flagged for review
        (OTHER_DOC, _d(False, "header only"), DOC.id, (False, False)),  # cannot read it
        (NURSE, _d(True, "delegate"), DOC.id, (False, False)),  # a delegate does not move it
        (DESK, _d(True, "front desk"), DOC.id, (True, False)),  # administrative: front desk's
        (DESK, _d(False, "header only"), DOC.id, (False, False)),  # clinical: not the desk's
        (DESK, _d(True, "front desk"), None, (True, False)),  # no physician yet
        (ADMIN, _d(True, "front desk"), None, (False, False)),  # administrators never file
        (
            Staff(6, "gone", "Gone", Role.PHYSICIAN, active=False),
            _d(True, "own"),
            6,
            (False, False),
        ),
    ],
)
def test_who_may_take_a_conversation_off_a_chart(staff, decision, physician, expected):
    allowed, flagged, why = may_unlink(staff, decision, physician)
    assert (allowed, flagged) == expected
    assert bool(why) == (not allowed)
