"""The idle lock hides everything: an attachment window left open closes with it.

Issue 16: the idle lock left an open attachment window visible."""

from __future__ import annotations

import pytest
from support.insider import make_demo, open_demo

from clinic_inbox.core import services
from clinic_inbox.core.store import queries as q

pytest.importorskip("pytestqt")


def test_the_idle_lock_closes_attachment_windows(qtbot, tmp_path):
    from PySide6.QtWidgets import QApplication

    from clinic_inbox.ui.main_window import MainWindow

    with open_demo(make_demo(tmp_path / "clinic")) as clinic:
        session = services.login(clinic, "dr.patel", "demo")
        win = MainWindow(clinic, session)
        qtbot.addWidget(win)
        win.show()
        tid, att = next(
            (b.row.id, a.id)
            for b in services.board(clinic, session)
            if b.decision.via == "own" and b.row.attachment_count
            for m in q.thread_messages(clinic.store, b.row.id, True)
            for a in m.attachments
        )
        win.open_thread(tid)  # opening and reading run on the app's writer thread
        qtbot.waitUntil(lambda: win.panel.thread_id == tid, timeout=10_000)
        win.panel.open_attachment(att)
        qtbot.waitUntil(
            lambda: getattr(win.panel, "attachment_dialog", None) is not None, timeout=10_000
        )
        dlg = win.panel.attachment_dialog
        assert dlg.isVisible()
        title = dlg.windowTitle()
        win.lock()
        QApplication.processEvents()
        shown = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
        assert not any(w.windowTitle() == title for w in shown)
        assert win.locked
        # an attachment still being read when the screen locks never opens
        win.panel.attachment_dialog = None
        win.panel.open_attachment(att)
        qtbot.waitUntil(lambda: win.runner.idle, timeout=10_000)
        assert win.panel.attachment_dialog is None
        win.close()
