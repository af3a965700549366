"""One number per conversation for the whole clinic, wherever people see one.

Two workstations of one clinic on a real PostgreSQL, each with its own data folder,
SQLCipher store and keyring. B has conversations of its own first (not on the server:
its local numbers run ahead of A's), then A's conversations reach it. Both boards (the
app, offscreen), both `clinic-inbox list` (text and --json, real processes) and the
conversation panel show the server's number for the same conversation; typing "#N" in
the search box finds it; B's own conversation, not on the server yet, is marked as
numbered on this computer only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from support.fast_kdf import child_pythonpath
from workstations import STAFF_PASSWORD, login, new_workstation, receive

from clinic_inbox.core import views
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import server as srv
from clinic_inbox.shared import sync

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("pytestqt")


def _server_numbers(dsn: str, convs: list[str]) -> list[int]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return [
            conn.execute("SELECT number FROM conversation WHERE id = %s", (cv,)).fetchone()[0]
            for cv in convs
        ]


def _cards(win) -> dict[int, object]:  # noqa: ANN001
    return {b.row.id: b for col in win.board.columns.values() for b in col.model.rows}


def _board_numbers(qtbot, ws, expect: int) -> tuple[dict[int, str], dict[int, str]]:  # noqa: ANN001
    """The numbers on the cards of ws's board, as dr.patel sees it, and the card's
    accessible text; then a search for one number."""
    from PySide6.QtCore import Qt

    from clinic_inbox.ui.actions import ActionRunner
    from clinic_inbox.ui.main_window import MainWindow

    runner = ActionRunner(ws)
    win = MainWindow(ws, login(ws, "dr.patel"), runner)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    win.views.setCurrentRow(list(views.View).index(views.View.ALL))
    try:
        qtbot.waitUntil(lambda: len(_cards(win)) == expect, timeout=15_000)
        cards = _cards(win)
        numbers = {tid: b.number for tid, b in cards.items()}
        spoken = {}
        for col in win.board.columns.values():
            for i, b in enumerate(col.model.rows):
                index = col.model.index(i, 0)
                spoken[b.row.id] = index.data(Qt.ItemDataRole.AccessibleTextRole)
        return numbers, spoken, win, runner
    except Exception:
        win.close()
        runner.stop()
        raise


def _search(qtbot, win, typed: str, before: int) -> set[int]:  # noqa: ANN001
    """The cards left on the board after typing `typed` in the search box."""
    from PySide6.QtCore import Qt

    win.search.setText(typed)
    qtbot.keyClick(win.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not win.loading and len(_cards(win)) < before, timeout=15_000)
    return set(_cards(win))


def _list(ws_home: Path, keyring_env: dict[str, str], *more: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS", "CLINIC_INBOX"))}
    env.update(
        {
            **keyring_env,
            "CLINIC_INBOX_HOME": str(ws_home),
            "CLINIC_INBOX_PASSWORD": STAFF_PASSWORD,
            "PYTHONPATH": child_pythonpath(Path(__file__).resolve().parents[2]),
        }
    )
    done = subprocess.run(
        [sys.executable, "-m", "clinic_inbox", "--user", "dr.patel", "list", *more],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_both_workstations_show_the_clinic_number_in_list_and_on_the_board(
    qtbot, tmp_path, postgres, empty_db, keyring_factory
):
    rings = [keyring_factory(), keyring_factory()]
    homes = [tmp_path / "ws-a", tmp_path / "ws-b"]
    a, b = (new_workstation(h, r.backend()) for h, r in zip(homes, rings, strict=True))
    custody = [KeyCustody(h, backend=r.backend()) for h, r in zip(homes, rings, strict=True)]
    init = srv.init_server(a, login(a, "admin"), empty_db, custody[0])
    srv.connect_workstation(b, login(b, "admin"), empty_db, init.clinic_code, custody[1])
    # each has one of its own first, not on the server: local ids run ahead of the
    # clinic's numbers on A, and further on B
    (only_a,) = receive(a, 1, tag="a")
    only_b, _ = receive(b, 2, tag="b")
    mine = receive(a, 2)
    link_a = srv.open_link(a, custody[0])
    convs = [sync.publish_conversation(a, link_a, t, None) for t in mine]
    link_a.conn.close()
    link_b = srv.open_link(b, custody[1])
    sync.pull(b, link_b)
    link_b.conn.close()
    clinic_numbers = _server_numbers(empty_db, convs)
    on_b = [shq.thread_by_uuid(b.store, cv) for cv in convs]
    assert on_b != mine  # local ids differ between the two workstations
    assert clinic_numbers != mine and clinic_numbers != on_b  # and from the clinic's
    said = [f"#{n}" for n in clinic_numbers]

    # -- the boards: the same number on the same conversation's card ---------------
    nums_a, spoken_a, win_a, runner_a = _board_numbers(qtbot, a, 3)
    try:
        assert [nums_a[t] for t in mine] == said
        assert nums_a[only_a] == f"#{only_a} (this computer)"
        assert all(f"conversation {s}." in spoken_a[t] for t, s in zip(mine, said, strict=True))
        # the panel's header names it by that number too
        win_a.open_thread(mine[1])
        qtbot.waitUntil(lambda: win_a.panel.thread_id == mine[1], timeout=10_000)
        assert win_a.panel.view.toPlainText().startswith(f"{said[1]} Renewal")
        # typing "#N" (or "N") finds that conversation
        assert mine[1] in _search(qtbot, win_a, said[1], 3)
    finally:
        win_a.close()
        runner_a.stop()
    nums_b, spoken_b, win_b, runner_b = _board_numbers(qtbot, b, 4)
    try:
        assert [nums_b[t] for t in on_b] == said
        assert nums_b[only_b] == f"#{only_b} (this computer)"
        assert on_b[0] in _search(qtbot, win_b, str(clinic_numbers[0]), 4)
    finally:
        win_b.close()
        runner_b.stop()
    qtbot.wait(200)
    a.close()
    b.close()

    # -- `clinic-inbox list`, a real process on each workstation ------------------
    by_subject = {}
    for home, ring in zip(homes, rings, strict=True):
        rows = json.loads(_list(home, ring.env, "--json"))
        by_subject[home.name] = {
            r["subject"]: (r["number"], r["clinic_number"])
            for r in rows
            if r["subject"].startswith("Renewal of thyroxine tablets ")
            and r["subject"][-2:] not in ("a0", "b0", "b1")
        }
        text = _list(home, ring.env)
        for s in said:
            assert f" {s} " in text
    assert by_subject["ws-a"] == by_subject["ws-b"]
    assert sorted(n for n, _ in by_subject["ws-a"].values()) == sorted(clinic_numbers)
    assert all(n == cn for n, cn in by_subject["ws-a"].values())
