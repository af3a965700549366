"""The typed value an action or a sync reports: what it changed."""

from __future__ import annotations

from clinic_inbox.core.changes import NOTHING, Changes, note, recording, run


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


class _Store:
    """Stands in for the store's transaction: callbacks wait for the commit."""

    def __init__(self) -> None:
        self.pending: list = []
        self.open = False

    def after_commit(self, fn) -> None:  # noqa: ANN001
        if self.open:
            self.pending.append(fn)
        else:
            fn()

    def commit(self) -> None:
        self.open = False
        for fn in self.pending:
            fn()
        self.pending.clear()


def test_a_recording_hears_only_committed_changes_and_passes_them_outwards():
    store = _Store()
    with recording() as outer:
        note(store, Changes.of(1))
        with recording() as inner:
            store.open = True
            note(store, Changes.of(2))
            assert inner.changes == NOTHING  # not committed yet
            store.commit()
            note(store, Changes(outbox=True))
        assert inner.changes == Changes.of(2, outbox=True)
    assert outer.changes == Changes.of(1, 2, outbox=True)
    note(store, Changes.of(3))  # nobody recording: nothing kept, nothing raised


def test_run_returns_the_answer_and_the_changes():
    store = _Store()

    def service(x: int) -> int:
        note(store, Changes.of(x))
        return x * 2

    assert run(service, 4) == (8, Changes.of(4))


def test_the_shared_queue_s_pull_reports_the_same_type():
    from clinic_inbox.shared.pull import Applied, PullResult

    pulled = PullResult(
        [Applied(1, "status", "c-1", "", 7), Applied(2, "note", "c-2", "", None)], cursor=2
    )
    assert pulled.changes == Changes.of(7)
    assert PullResult().changes == NOTHING
    with_lines = PullResult([Applied(3, "message", "c-1", "m-1", 7, (41,))], cursor=3)
    assert with_lines.changes == Changes.of(7, messages=[41])


def test_messages_added_are_merged_and_count_as_a_change():
    a = Changes.of(1, messages=[10])
    b = Changes.of(2, messages=[11, 12])
    assert (a | b).messages == {10, 11, 12} and (a | b).threads == {1, 2}
    assert Changes(messages=frozenset({5})) and not Changes.of(messages=[])
    assert not Changes.of(3, messages=[4]).whole_board
