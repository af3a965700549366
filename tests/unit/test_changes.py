"""The typed value an action or a sync reports: what it changed."""

from __future__ import annotations

from clinic_inbox.core.changes import NOTHING, Changes


def test_merging_keeps_everything_either_side_named():
    a = Changes.of(1, 2, outbox=True)
    b = Changes(threads=frozenset({2, 3}), presence=frozenset({9}), staff=True)
    both = a | b
    assert both.threads == {1, 2, 3} and both.presence == {9}
    assert both.outbox and both.staff and not both.access
    assert a | NOTHING == a and NOTHING | a == a


def test_nothing_is_false_and_anything_is_true():
    assert not NOTHING and not Changes.of(None)
    assert Changes.of(5) and Changes(outbox=True) and Changes(access=True)


def test_only_access_or_staff_reach_every_card():
    assert not Changes.of(*range(1000)).whole_board
    assert Changes(access=True).whole_board and Changes(staff=True).whole_board
