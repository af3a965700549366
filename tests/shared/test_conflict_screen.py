"""The conflict screen: two workstations changed the same conversation, one offline.

A (the app, offscreen) sets a conversation to "Waiting on patient" while its live
sync is not running; meanwhile Dr Patel sets it to "Done" on B, which reaches the
server first. When A connects, its change is refused by the server, the window says
"1 change not applied", and the screen shows what each did. Applying A's anyway
reaches B; a screenshot of the screen goes to conflict.png (support.screenshots).
"""

from __future__ import annotations

import os
import time

import pytest
from support.screenshots import shots_dir
from test_live_board import OKAFOR_PASSWORD, two_workstations  # noqa: F401 - a fixture
from workstations import login

from clinic_inbox.core import services
from clinic_inbox.core.model import Status
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared.live import LiveSync

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("pytestqt")


def test_a_change_beaten_to_the_server_is_shown_with_both_sides_and_a_choice(
    qtbot,
    two_workstations,  # noqa: F811
):
    from clinic_inbox.ui.actions import ActionRunner
    from clinic_inbox.ui.live_refresh import LiveRefresh
    from clinic_inbox.ui.main_window import MainWindow

    (a, b), (custody_a, custody_b), convs = two_workstations
    live_b = LiveSync(b, custody=custody_b, app="ws-b").start()
    assert live_b.connected.wait(30)
    deadline = time.monotonic() + 10
    while shq.thread_by_uuid(b.store, convs[1]) is None:
        assert time.monotonic() < deadline, "B did not receive the conversation"
        time.sleep(0.1)
    on_a, on_b = shq.thread_by_uuid(a.store, convs[1]), shq.thread_by_uuid(b.store, convs[1])

    # A, offline (no live sync yet): Dr Okafor sets "Waiting on patient"
    okafor = services.login(a, "dr.okafor", OKAFOR_PASSWORD)
    services.set_status(a, okafor, on_a, Status.WAITING)
    # B, online: Dr Patel sets "Done", first to the server
    services.set_status(b, login(b, "dr.patel"), on_b, Status.DONE)
    live_b.nudge()
    deadline = time.monotonic() + 5
    while shq.pending_count(b.store):
        assert time.monotonic() < deadline, "B's change did not reach the server"
        time.sleep(0.05)

    runner = ActionRunner(a)
    win = MainWindow(a, okafor, runner)
    qtbot.addWidget(win)
    win.resize(1500, 900)
    win.show()
    qtbot.waitExposed(win)
    live_a = LiveRefresh(a, win, custody=custody_a).start()  # A reconnects
    try:
        qtbot.waitUntil(lambda: live_a.conflicts.isVisible(), timeout=10_000)
        assert live_a.conflicts.text() == "1 change not applied: see why"
        assert q.get_thread(a.store, on_a).status is Status.DONE  # the server's value

        dlg = live_a.show_conflicts()
        qtbot.addWidget(dlg)
        qtbot.waitUntil(lambda: len(dlg.card_widgets()) == 1, timeout=5000)
        card = dlg.card_widgets()[0]
        words = " ".join(label.text() for label in card.findChildren(type(dlg.info)))
        assert "What you did (not applied)" in words and "Waiting on patient" in words
        assert "What Dr Anjali Patel did at " in words and "(kept)" in words and "Done" in words
        assert "Renewal of thyroxine tablets" in words
        assert card.mine.text() == "Apply mine anyway: “Waiting on patient”"
        assert card.keep.text() == "Keep “Done”"
        dlg.resize(760, 330)
        qtbot.wait(50)
        assert dlg.grab().save(str(shots_dir() / "conflict.png"))

        # Dr Okafor applies hers anyway: the card goes, B shows "Waiting on patient"
        card.mine.click()
        qtbot.waitUntil(lambda: dlg.card_widgets() == [], timeout=5000)
        assert "Your change was made again" in dlg.info.text()
        qtbot.waitUntil(lambda: not live_a.conflicts.isVisible(), timeout=5000)
        deadline = time.monotonic() + 5
        while q.get_thread(b.store, on_b).status is not Status.WAITING:
            assert time.monotonic() < deadline, "the change applied anyway did not reach B"
            qtbot.wait(20)
        entries = a.store.execute(
            "SELECT action FROM audit WHERE action = 'thread.status' AND thread_id = ?", (on_a,)
        ).fetchall()
        assert len(entries) == 2  # the first change and the one made again, both audited
    finally:
        live_a.stop()
        live_b.stop()
        qtbot.wait(300)
        win.close()
        runner.stop()
