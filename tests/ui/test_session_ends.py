"""An administrator resets a person's password while their window is open: their next
action says "Your session ended" and the window returns to the sign-in."""

from __future__ import annotations

from support.clinics import new_clinic

from clinic_inbox.core import app_actions, app_reads, services
from clinic_inbox.core.model import Role
from clinic_inbox.ui import main_window
from clinic_inbox.ui.actions import InlineRunner
from clinic_inbox.ui.main_window import MainWindow

NURSE_PW = "plum harbor socket tundra"


def test_a_reset_signs_the_open_window_out_with_plain_words(qtbot, tmp_path, monkeypatch):
    clinic, admin, _doc = new_clinic(tmp_path / "c")
    with clinic:
        services.add_staff(clinic, admin, "nurse.chen", "Nurse Chen", Role.NURSE, NURSE_PW)
        nurse = services.login(clinic, "nurse.chen", NURSE_PW, sleep=lambda s: None)
        runner = InlineRunner(clinic)
        win = MainWindow(clinic, nurse, runner)
        qtbot.addWidget(win)
        said: list[str] = []
        monkeypatch.setattr(
            main_window.QMessageBox, "warning", lambda _w, _t, text: said.append(text)
        )
        services.reset_password(clinic, admin, "nurse.chen", "copper lantern river basin")
        answers: list[BaseException] = []
        with qtbot.waitSignal(win.logout_requested, timeout=5000):
            # any action on the writer: here the board's search
            runner.submit(
                app_actions.search_board,
                nurse,
                app_reads.ThreadFilter(search="refill"),
                failed=answers.append,
            )
        assert answers and isinstance(answers[0], services.SessionEnded)
        assert said == [str(answers[0])] and said[0].startswith("Your session ended: sign in again")
