"""The conversation panel's buttons follow the access decision that comes with the
conversation (core.access through the services), not the person's role in the widget."""

from __future__ import annotations

import ast
from pathlib import Path

from test_responsive import _window

from clinic_inbox.core import services
from clinic_inbox.ui import thread_panel


def _open(qtbot, win, tid: int) -> None:  # noqa: ANN001
    win.open_thread(tid)
    qtbot.waitUntil(lambda: win.panel.thread_id == tid, timeout=10_000)


def test_the_buttons_follow_the_decision_for_each_conversation(qtbot, demo_clinic):
    win = _window(qtbot, demo_clinic, "nurse.chen")
    cards = services.board(demo_clinic, win.session)
    hidden = next(b for b in cards if not b.decision.body)
    readable = next(b for b in cards if b.decision.body and not b.decision.file)
    panel = win.panel
    _open(qtbot, win, hidden.row.id)
    assert panel.glass.isVisibleTo(panel), "break-glass is offered where the body is hidden"
    assert not panel.export.isEnabled() and not panel.note.isEnabled()
    assert panel.assign.isEnabled() == hidden.decision.act
    _open(qtbot, win, readable.row.id)
    assert not panel.glass.isVisibleTo(panel)
    assert panel.note.isEnabled() and panel.assign.isEnabled()
    assert not panel.export.isEnabled(), "filing needs the physician's (or a delegate's) right"
    doc = _window(qtbot, demo_clinic, "dr.patel")
    own = next(b for b in services.board(demo_clinic, doc.session) if b.decision.via == "own")
    _open(qtbot, doc, own.row.id)
    assert doc.panel.export.isEnabled() and not doc.panel.glass.isVisibleTo(doc.panel)


def test_the_panel_compares_no_roles():
    source = Path(thread_panel.__file__).read_text()
    names = {n.attr for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Attribute)} | {
        n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)
    }
    assert "role" not in names and "Role" not in names
