"""A sync's burst of changed cards reaches the board in small slices, and what the board
keeps beside its rows (each card's place, the urgent and overdue counts) stays right.

Real parts: the demo clinic's SQLCipher store and the window; the inline runner reads
at once, so each slice's turn of the event loop is the only thing waited for."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from clinic_inbox.core import services, views
from clinic_inbox.core.changes import Changes
from clinic_inbox.core.model import Priority, Status
from clinic_inbox.ui.actions import InlineRunner
from clinic_inbox.ui.board import sort_key
from clinic_inbox.ui.main_window import CARDS_AT_ONCE, CARDS_PER_TURN, MainWindow


def _window(qtbot, clinic, user="reception.moreau"):
    session = services.login(clinic, user, "demo")
    win = MainWindow(clinic, session, InlineRunner(clinic))
    qtbot.addWidget(win)
    win.resize(1600, 940)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: not win.loading, timeout=30_000)
    win.views.setCurrentRow(list(views.View).index(views.View.ALL))
    return win


def _cards(win):
    return [b for col in win.board.columns.values() for b in col.model.rows]


def _status_numbers(win) -> tuple[int, int, int]:
    """(shown, urgent open, overdue) as the status bar says them."""
    text = win.status_text.text()
    shown = int(re.search(r"([\d,]+) conversations shown", text).group(1).replace(",", ""))
    urgent = int(re.search(r"(\d+) urgent open", text).group(1))
    overdue = int(re.search(r"(\d+) overdue", text).group(1))
    return shown, urgent, overdue


def _counted_the_long_way(win) -> tuple[int, int, int]:
    shown = _cards(win)
    now = datetime.now(UTC)
    urgent = sum(
        1 for b in shown if b.row.priority is Priority.URGENT and b.row.status is not Status.DONE
    )
    overdue = sum(
        1
        for b in shown
        if b.row.due_at
        and b.row.status not in (Status.DONE, Status.WAITING)
        and datetime.fromisoformat(b.row.due_at) < now
    )
    return len(shown), urgent, overdue


def _board_is_consistent(win) -> None:
    for col in win.board.columns.values():
        m = col.model
        assert [sort_key(b) for b in m.rows] == sorted(sort_key(b) for b in m.rows)
        for i, b in enumerate(m.rows):
            assert b.row.status is m.status
            assert m.position(b.row.id) == i  # found by its key, where it is
    assert _status_numbers(win) == _counted_the_long_way(win)


def test_a_burst_is_applied_a_few_cards_per_turn_and_the_board_ends_up_right(qtbot, demo_clinic):
    win = _window(qtbot, demo_clinic)
    before = {b.row.id: b for b in _cards(win)}
    ids = sorted(before)
    assert len(ids) > CARDS_AT_ONCE > CARDS_PER_TURN
    applied: list[int] = []
    real = win._cards_read
    win._cards_read = lambda fresh: (applied.append(len(fresh)), real(fresh))  # type: ignore[method-assign]
    win.apply_changes(Changes.of_threads(ids))  # a sync that touched every conversation
    # the first batch of CARDS_AT_ONCE was read (inline here), a slice of it applied now
    assert applied == [CARDS_PER_TURN], "one slice now, the rest on later turns"
    qtbot.waitUntil(lambda: sum(applied) == len(ids), timeout=20_000)
    assert max(applied) == CARDS_PER_TURN
    assert len(applied) >= len(ids) // CARDS_PER_TURN
    assert not win._backlog and not win._reading
    after = {b.row.id: b for b in _cards(win)}
    assert after.keys() == before.keys()
    assert all(after[i] is not before[i] for i in ids), "every card was read again"
    _board_is_consistent(win)
    # the views' counts are those of a board read whole
    fresh = _window(qtbot, demo_clinic)
    assert win._counts == fresh._counts


def test_an_action_between_two_slices_keeps_its_change(qtbot, demo_clinic):
    """A card an action repainted while its slice of an older read still waited is read
    again, not painted over with the older read."""
    win = _window(qtbot, demo_clinic)
    ids = sorted(b.row.id for b in _cards(win))[:CARDS_AT_ONCE]
    win.apply_changes(Changes.of_threads(ids))  # read at once, a slice applied
    waiting = [i for i in ids if i in win._reading]
    assert waiting, "slices of that read wait for later turns"
    card = next(b.row for b in _cards(win) if b.row.id in waiting and b.decision.act)
    me = win.session.staff
    target = None if card.assigned_to_id == me.id else me.id
    win._assign_dropped(card.id, target)
    qtbot.waitUntil(lambda: not win._reading, timeout=20_000)
    col = win.board.columns[card.status].model
    assert col.rows[col.position(card.id)].row.assigned_to_id == target
    _board_is_consistent(win)
    win._assign_dropped(card.id, card.assigned_to_id)  # as it was, for the other tests


def test_status_counts_follow_actions_without_walking_the_board(qtbot, demo_clinic):
    win = _window(qtbot, demo_clinic)
    _board_is_consistent(win)
    new = win.board.columns[Status.NEW].model
    card = next(b.row for b in new.rows if b.decision.act)
    win._dropped(card.id, Status.WAITING)  # out of the overdue count, if it was in it
    _board_is_consistent(win)
    win._dropped(card.id, Status.NEW)
    _board_is_consistent(win)
    win._dropped(card.id, Status.DONE)  # not urgent "open" any more
    _board_is_consistent(win)
    win._dropped(card.id, card.status)
    _board_is_consistent(win)


def test_a_view_cannot_take_a_card_off_a_column_only_the_board_can(qtbot, demo_clinic):
    """After a drag with the move action a view asks the model to remove what it
    dragged; the card stays until the store's answer moves it (as before the row count
    moved to the C++ side)."""
    win = _window(qtbot, demo_clinic)
    model = win.board.columns[Status.NEW].model
    before = list(model.rows)
    assert before
    assert model.removeRows(0, 1) is False
    assert model.insertRows(0, 1) is False
    assert model.rows == before and model.rowCount() == len(before)
    first = before[0]
    model.remove_row(0)  # the board's own way
    assert model.rowCount() == len(before) - 1 and first not in model.rows
    assert model.position(first.row.id) is None
    model.insert_sorted(first)
    assert model.rows == before and model.position(first.row.id) == 0
    _board_is_consistent(win)
