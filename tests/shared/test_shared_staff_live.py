"""Revocations reach the open app on another workstation within 2 seconds.

Two workstations of one clinic on a real PostgreSQL, each with its own data folder and
keyring. B is the app (offscreen, its writer thread and its live sync as the app starts
them) with Nurse Chen signed in; A is driven through the services and pushes at once.
Chen's account turned off on A signs her window on B out, in plain words; a delegation
revoked on A takes Dr Patel's conversation away from her on B's board (from "her
delegate" to "header only"), without anyone pressing a key on B.
"""

from __future__ import annotations

import os
import time

import pytest
from workstations import login, new_workstation, receive

from clinic_inbox.core import services, views
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.store import queries as q
from clinic_inbox.shared import server as srv
from clinic_inbox.shared import sync

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest.importorskip("pytestqt")

WITHIN_MS = 2000


@pytest.fixture()
def pair(tmp_path, empty_db, keyring_factory):
    rings = [keyring_factory(), keyring_factory()]
    homes = [tmp_path / "ws-a", tmp_path / "ws-b"]
    a, b = (new_workstation(h, r.backend()) for h, r in zip(homes, rings, strict=True))
    ca, cb = (KeyCustody(h, backend=r.backend()) for h, r in zip(homes, rings, strict=True))
    init = srv.init_server(a, login(a, "admin"), empty_db, ca)
    srv.connect_workstation(b, login(b, "admin"), empty_db, init.clinic_code, cb)
    la, lb = srv.open_link(a, ca), srv.open_link(b, cb)
    sync.push(a, la)  # A publishes the clinic's staff, B adopts them
    sync.pull(b, lb)
    lb.conn.close()
    yield a, b, la, cb
    la.conn.close()
    a.close()
    b.close()


def _window(qtbot, clinic, session, custody, monkeypatch):  # noqa: ANN001, ANN202
    from clinic_inbox.ui import main_window
    from clinic_inbox.ui.actions import ActionRunner
    from clinic_inbox.ui.live_refresh import LiveRefresh
    from clinic_inbox.ui.main_window import MainWindow

    said: list[str] = []
    monkeypatch.setattr(main_window.QMessageBox, "warning", lambda _w, _t, text: said.append(text))
    runner = ActionRunner(clinic)
    win = MainWindow(clinic, session, runner)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    win.views.setCurrentRow(list(views.View).index(views.View.ALL))
    live = LiveRefresh(clinic, win, custody=custody).start()
    assert live.live.connected.wait(30)
    return win, runner, live, said


def _decision(win, thread_id: int):  # noqa: ANN001, ANN202
    for col in win.board.columns.values():
        for b in col.model.rows:
            if b.row.id == thread_id:
                return b.decision
    return None


def test_an_account_turned_off_on_a_signs_the_window_on_b_out(qtbot, pair, monkeypatch):
    a, b, la, cb = pair
    chen_b = login(b, "nurse.chen")
    win, runner, live, said = _window(qtbot, b, chen_b, cb, monkeypatch)
    try:
        qtbot.wait(500)  # the window's first reads are done
        t0 = time.monotonic()
        services.set_staff_active(a, login(a, "admin"), "nurse.chen", False)
        sync.push(a, la)
        with qtbot.waitSignal(win.logout_requested, timeout=WITHIN_MS):
            pass
        took_ms = (time.monotonic() - t0) * 1000
        assert said and "Your account was turned off by an administrator" in said[0]
        assert not q.staff_login_row(b.store, "nurse.chen")[0].active
        print(f"\nturned off on A -> signed out on B: {took_ms:.0f} ms")
    finally:
        live.stop()
        qtbot.wait(300)
        win.close()
        runner.stop()


def test_a_revoked_delegate_loses_the_conversation_on_bs_board(qtbot, pair, monkeypatch):
    a, b, la, cb = pair
    # on B: a conversation of Dr Patel's patient; Chen (a nurse) reads its header only
    (thread,) = receive(b, 1)
    patel_b = login(b, "dr.patel")
    with b.store.transaction():
        pid = q.add_patient(
            b.store,
            "Quennell",
            "Zoë",
            "1990-01-01",
            "QZ-1",
            None,
            patel_b.staff.id,
            ("zoe.quennell0@example.org",),
        )
    services.link_patient(b, patel_b, thread, pid)
    # A: Dr Patel lets Chen read her patients' conversations; B hears of it
    did = services.grant_delegation(
        a, login(a, "dr.patel"), physician="dr.patel", delegate="nurse.chen"
    )
    sync.push(a, la)
    chen_b = login(b, "nurse.chen")
    win, runner, live, _said = _window(qtbot, b, chen_b, cb, monkeypatch)
    try:
        qtbot.waitUntil(
            lambda: (d := _decision(win, thread)) is not None and d.via == "delegate",
            timeout=10_000,
        )
        t0 = time.monotonic()
        services.revoke_delegation(a, login(a, "dr.patel"), did)
        sync.push(a, la)
        qtbot.waitUntil(
            lambda: (d := _decision(win, thread)) is None or d.via != "delegate",
            timeout=WITHIN_MS,
        )
        took_ms = (time.monotonic() - t0) * 1000
        d = _decision(win, thread)
        assert d is None or not d.body  # the body is no longer hers to read
        print(f"\nrevoked on A -> gone from B's board: {took_ms:.0f} ms")
    finally:
        live.stop()
        qtbot.wait(300)
        win.close()
        runner.stop()
