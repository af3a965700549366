"""The app's board follows the other workstations live.

Two workstations of one clinic on a real PostgreSQL, each with its own data folder
and its own keyring: A is the app (offscreen, its writer thread and its live sync as
the app starts them), B is driven through the services with its own live sync. An
assignment, a status change and a note made on B reach A's board and open
conversation without a reload; "Dr Anjali Patel is writing a reply" on B shows in A's
conversation panel, and goes when she leaves. A change made in A's window reaches B.
"""

from __future__ import annotations

import os
import time

import pytest
from workstations import login, new_workstation, receive

from clinic_inbox.core import services, views
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Role, Status
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import server as srv
from clinic_inbox.shared import sync
from clinic_inbox.shared.live import LiveSync
from clinic_inbox.shared.server import APP_NAME

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest.importorskip("pytestqt")

CONVERSATIONS = 3
OKAFOR_PASSWORD = "harbour cobalt thistle ember"
LIVE_WITHIN_MS = 2000


def _card(win, thread_id: int):  # noqa: ANN001, ANN202
    for col in win.board.columns.values():
        for b in col.model.rows:
            if b.row.id == thread_id:
                return b.row
    return None


@pytest.fixture()
def two_workstations(tmp_path, empty_db, keyring_factory):
    """A and B joined to one server; A's conversations published and pulled by B."""
    rings = [keyring_factory(), keyring_factory()]
    homes = [tmp_path / "ws-a", tmp_path / "ws-b"]
    clinics = [new_workstation(h, r.backend()) for h, r in zip(homes, rings, strict=True)]
    custody = [KeyCustody(h, backend=r.backend()) for h, r in zip(homes, rings, strict=True)]
    for c in clinics:  # a second physician, who watches A's board
        services.add_staff(
            c, login(c, "admin"), "dr.okafor", "Dr Femi Okafor", Role.PHYSICIAN, OKAFOR_PASSWORD
        )
    a, b = clinics
    init = srv.init_server(a, login(a, "admin"), empty_db, custody[0])
    srv.connect_workstation(b, login(b, "admin"), empty_db, init.clinic_code, custody[1])
    threads = receive(a, CONVERSATIONS)
    link = srv.open_link(a, custody[0])
    convs = [sync.publish_conversation(a, link, t, None) for t in threads]
    link.conn.close()
    yield clinics, custody, convs
    for c in clinics:
        c.close()


def test_changes_and_presence_from_another_workstation_reach_the_open_app(
    qtbot, postgres, two_workstations
):
    from clinic_inbox.ui.actions import ActionRunner
    from clinic_inbox.ui.live_refresh import LiveRefresh
    from clinic_inbox.ui.main_window import MainWindow

    (a, b), (custody_a, custody_b), convs = two_workstations
    live_b = LiveSync(b, custody=custody_b, app="ws-b").start()
    assert live_b.connected.wait(30)
    deadline = time.monotonic() + 10
    while len(shq.shared_threads(b.store)) < CONVERSATIONS:  # B pulls them at start
        assert time.monotonic() < deadline, "B did not receive the conversations"
        time.sleep(0.1)

    session_a = services.login(a, "dr.okafor", OKAFOR_PASSWORD)
    runner = ActionRunner(a)
    win = MainWindow(a, session_a, runner)
    qtbot.addWidget(win)
    win.resize(1500, 900)
    win.show()
    qtbot.waitExposed(win)
    win.views.setCurrentRow(list(views.View).index(views.View.ALL))
    live_a = LiveRefresh(a, win, custody=custody_a).start()
    patel_b = login(b, "dr.patel")
    try:
        assert live_a.live.connected.wait(30)
        on_a = shq.thread_by_uuid(a.store, convs[0])
        on_b = shq.thread_by_uuid(b.store, convs[0])
        qtbot.waitUntil(lambda: _card(win, on_a) is not None, timeout=5000)
        before = _card(win, on_a)
        assert before.status is Status.NEW and before.assigned_to is None

        # -- an assignment on B: the card on A names the nurse, without a reload --------
        loads = []
        win.board.columns[Status.NEW].model.modelReset.connect(lambda: loads.append(1))
        nurse_b = q.staff_login_row(b.store, "nurse.chen")[0].id
        t0 = time.monotonic()
        services.assign(b, patel_b, on_b, nurse_b)
        live_b.nudge()
        qtbot.waitUntil(
            lambda: _card(win, on_a).assigned_to == "Nurse Mei Chen", timeout=LIVE_WITHIN_MS
        )
        assign_ms = (time.monotonic() - t0) * 1000

        # -- a status change on B: the card moves column on A --------------------------
        t0 = time.monotonic()
        services.set_status(b, patel_b, on_b, Status.IN_PROGRESS)
        live_b.nudge()
        qtbot.waitUntil(
            lambda: (c := _card(win, on_a)) is not None and c.status is Status.IN_PROGRESS,
            timeout=LIVE_WITHIN_MS,
        )
        status_ms = (time.monotonic() - t0) * 1000
        assert win.board.columns[Status.IN_PROGRESS].model.position(on_a) is not None
        assert win.board.columns[Status.NEW].model.position(on_a) is None
        assert loads == [], "the board was reloaded instead of moving one card"

        # -- the conversation open on A: B's note appears in it --------------------------
        win.open_thread(on_a)
        qtbot.waitUntil(lambda: win.panel.thread_id == on_a, timeout=5000)
        note = "Called the pharmacy: the renewal is ready for Thursday"
        t0 = time.monotonic()
        services.add_note(b, patel_b, on_b, note)
        live_b.nudge()
        qtbot.waitUntil(
            lambda: "renewal is ready for Thursday" in win.panel.view.toPlainText(),
            timeout=LIVE_WITHIN_MS,
        )
        note_ms = (time.monotonic() - t0) * 1000

        # -- presence: Dr Patel starts a reply on B; A's panel says so, then not -------
        t0 = time.monotonic()
        services.mark_presence(b, patel_b, on_b, "replying")
        qtbot.waitUntil(
            lambda: "Dr Anjali Patel is writing a reply" in win.panel.info.text(),
            timeout=LIVE_WITHIN_MS,
        )
        presence_ms = (time.monotonic() - t0) * 1000
        services.logout(b, patel_b)  # leaving clears it everywhere
        qtbot.waitUntil(
            lambda: "Dr Anjali Patel" not in win.panel.info.text(), timeout=LIVE_WITHIN_MS
        )

        # -- the other way: A opened the conversation, so B sees Dr Okafor has it open --
        nurse_session_b = login(b, "nurse.chen")
        others = services.others_on_thread(b, nurse_session_b, on_b)
        assert ("Dr Femi Okafor", "viewing") in others, others

        # -- and a change made in A's window reaches B at once -----------------------------
        t0 = time.monotonic()
        pick = list(Status).index(Status.WAITING)
        win.panel.status.setCurrentIndex(pick)
        win.panel.status.activated.emit(pick)  # as a person's choice in the list
        deadline = time.monotonic() + LIVE_WITHIN_MS / 1000
        while q.get_thread(b.store, on_b).status is not Status.WAITING:
            assert time.monotonic() < deadline, "A's change did not reach B"
            qtbot.wait(20)
        back_ms = (time.monotonic() - t0) * 1000
        # -- the server drops A's connections: the offline banner names it, then goes ------
        assert postgres.terminate(APP_NAME) >= 1
        qtbot.waitUntil(
            lambda: win.banner.isVisible() and "Shared server" in win.banner.text.text(),
            timeout=5000,
        )
        qtbot.waitUntil(lambda: not win.banner.isVisible(), timeout=10_000)  # reconnected
        print(
            f"\nB -> A's board: assignment {assign_ms:.0f} ms, status {status_ms:.0f} ms, "
            f"note {note_ms:.0f} ms, presence {presence_ms:.0f} ms; A -> B {back_ms:.0f} ms"
        )
    finally:
        live_a.stop()
        live_b.stop()
        qtbot.wait(300)  # what was already posted is applied while the store is open
        win.close()
        runner.stop()
