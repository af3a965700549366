"""The access policy as a decision table: role x category x sensitive x delegation x break-glass."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from clinic_inbox.core.access import Grant, ThreadFacts, decide
from clinic_inbox.core.model import Category, Role, Staff

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
DR_A = Staff(1, "dr.a", "Dr A", Role.PHYSICIAN)
DR_B = Staff(2, "dr.b", "Dr B", Role.PHYSICIAN)
NURSE = Staff(3, "nurse", "Nurse N", Role.NURSE)
DESK = Staff(4, "desk", "Desk D", Role.RECEPTIONIST)
ADMIN = Staff(5, "admin", "Admin", Role.ADMIN)
GONE = Staff(6, "gone", "Former", Role.PHYSICIAN, active=False)


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def grant(
    *,
    cats: set[Category] | None = None,
    sensitive: bool = False,
    reply: bool = False,
    state: str = "active",
    physician: int = 1,
) -> Grant:
    starts, ends, revoked = NOW - timedelta(days=1), NOW + timedelta(days=1), None
    if state == "expired":
        starts, ends = NOW - timedelta(days=3), NOW - timedelta(days=2)
    elif state == "future":
        starts, ends = NOW + timedelta(days=1), NOW + timedelta(days=2)
    elif state == "revoked":
        revoked = _iso(NOW - timedelta(hours=1))
    return Grant(
        id=1,
        physician_id=physician,
        physician_name="Dr A",
        categories=None if cats is None else frozenset(cats),
        include_sensitive=sensitive,
        can_view=True,
        can_reply=reply,
        can_file=False,
        starts_at=_iso(starts),
        ends_at=_iso(ends),
        revoked_at=revoked,
    )


CLINICAL = ThreadFacts(Category.RESULTS, False, 1, True)
CLINICAL_SENS = ThreadFacts(Category.RESULTS, True, 1, True)
ADMIN_MSG = ThreadFacts(Category.APPOINTMENT, False, 1, True)
ADMIN_SENS = ThreadFacts(Category.BILLING, True, 1, True)
UNMATCHED = ThreadFacts(Category.OTHER, False, None, False)
UNMATCHED_SENS = ThreadFacts(Category.OTHER, True, None, False)

# (who, facts, grants, break-glass) -> (header, body, reply)
TABLE = [
    # physicians: own patients in full, sensitive included
    (DR_A, CLINICAL, [], False, (True, True, True)),
    (DR_A, CLINICAL_SENS, [], False, (True, True, True)),
    (DR_A, ADMIN_SENS, [], False, (True, True, True)),
    # another physician's patients: header only, unless delegated
    (DR_B, CLINICAL, [], False, (True, False, False)),
    (DR_B, CLINICAL, [grant()], False, (True, True, False)),
    (DR_B, CLINICAL, [grant(reply=True)], False, (True, True, True)),
    (DR_B, CLINICAL_SENS, [grant()], False, (True, False, False)),
    (DR_B, CLINICAL_SENS, [grant(sensitive=True)], False, (True, True, False)),
    (DR_B, CLINICAL, [grant(state="expired")], False, (True, False, False)),
    (DR_B, CLINICAL, [grant(state="revoked")], False, (True, False, False)),
    (DR_B, CLINICAL, [grant(state="future")], False, (True, False, False)),
    (DR_B, CLINICAL, [grant(cats={Category.REFILL})], False, (True, False, False)),
    (DR_B, CLINICAL, [grant(physician=9)], False, (True, False, False)),
    (DR_B, CLINICAL, [], True, (True, True, True)),
    (DR_B, CLINICAL_SENS, [], True, (True, True, True)),
    # nurses: clinical work only through delegation; administrative work in full
    (NURSE, CLINICAL, [], False, (True, False, False)),
    (NURSE, CLINICAL, [grant(cats={Category.RESULTS})], False, (True, True, False)),
    (NURSE, CLINICAL, [grant(cats={Category.REFILL})], False, (True, False, False)),
    (NURSE, CLINICAL_SENS, [grant(cats={Category.RESULTS})], False, (True, False, False)),
    (NURSE, CLINICAL, [grant(state="expired")], False, (True, False, False)),
    (NURSE, CLINICAL, [], True, (True, True, True)),
    (NURSE, ADMIN_MSG, [], False, (True, True, True)),
    (NURSE, ADMIN_SENS, [], False, (True, False, False)),
    # receptionists: administrative in full, clinical header only, never break-glass
    (DESK, ADMIN_MSG, [], False, (True, True, True)),
    (DESK, ADMIN_SENS, [], False, (True, False, False)),
    (DESK, CLINICAL, [], False, (True, False, False)),
    (DESK, CLINICAL, [], True, (True, False, False)),
    (DESK, CLINICAL, [grant(cats={Category.RESULTS}, reply=True)], False, (True, True, True)),
    (DESK, CLINICAL, [grant(state="revoked")], False, (True, False, False)),
    (DESK, CLINICAL_SENS, [grant()], False, (True, False, False)),
    (DESK, UNMATCHED, [], False, (True, True, True)),
    (DESK, UNMATCHED_SENS, [], False, (True, False, False)),
    (DR_B, UNMATCHED_SENS, [], False, (True, True, True)),
    (NURSE, UNMATCHED_SENS, [], False, (True, False, False)),
    # administrators: headers, never contents, even with break-glass or a grant
    (ADMIN, CLINICAL, [], False, (True, False, False)),
    (ADMIN, ADMIN_MSG, [], False, (True, False, False)),
    (ADMIN, CLINICAL, [grant()], True, (True, False, False)),
    (ADMIN, UNMATCHED, [], False, (True, False, False)),
    # disabled accounts: nothing at all
    (GONE, CLINICAL, [], False, (False, False, False)),
    (GONE, ThreadFacts(Category.RESULTS, False, 6, True), [], False, (False, False, False)),
]


@pytest.mark.parametrize(("who", "facts", "grants", "glass", "expected"), TABLE)
def test_decision_table(who, facts, grants, glass, expected) -> None:
    d = decide(who, facts, grants, now=NOW, break_glass=glass)
    assert (d.header, d.body, d.reply) == expected


def test_delegate_note_names_the_physician() -> None:
    d = decide(NURSE, CLINICAL, [grant()], now=NOW)
    assert d.as_delegate_note == "You see this as Dr A's delegate."
    assert decide(DR_B, CLINICAL, [], now=NOW, break_glass=True).as_delegate_note.startswith(
        "Opened with break-glass"
    )


def test_header_only_says_why() -> None:
    d = decide(DESK, CLINICAL, [], now=NOW)
    assert "header" in d.why_not
    assert "sensitive" in decide(DESK, ADMIN_SENS, [], now=NOW).why_not


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("category", list(Category))
def test_sensitive_content_needs_own_patient_sensitive_grant_or_break_glass(role, category) -> None:
    staff = Staff(7, "x", "X", role)
    facts = ThreadFacts(category, True, 1, True)
    for grants in ([], [grant()], [grant(sensitive=False, cats={category})]):
        assert not decide(staff, facts, grants, now=NOW).body
    assert decide(staff, facts, [grant(sensitive=True)], now=NOW).body == (role is not Role.ADMIN)
