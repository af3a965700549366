"""Settings > Reply templates driven as an administrator would (a template rewritten,
one added, a mistake named), then a physician's conversation offers the new template
at once (no restart) and puts it at the cursor, in the patient's language, after what
she had already typed."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from support.insider import make_demo, open_demo

from clinic_inbox.core import services
from clinic_inbox.core.model import Source
from clinic_inbox.ui.actions import InlineRunner
from clinic_inbox.ui.main_window import MainWindow
from clinic_inbox.ui.settings import SettingsDialog


def test_a_template_added_in_settings_is_offered_and_inserted_at_the_cursor(qtbot, tmp_path, shots):
    clinic = open_demo(make_demo(tmp_path / "demo"))
    with clinic:
        admin = services.login(clinic, "admin", "demo")
        dlg = SettingsDialog(clinic, admin, runner=InlineRunner(clinic))
        qtbot.addWidget(dlg)
        dlg.show()
        dlg.tabs.setCurrentWidget(dlg.templates_tab)
        tab = dlg.templates_tab
        assert tab.list.count() == 4 and tab.label.text() == "Prescription sent"
        assert tab.texts["fr"].toPlainText().startswith("Bonjour {patient_first_name}")
        tab.new_template()
        tab.label.setText("Flu shot clinic")
        tab.texts["en"].setPlainText("Flu shots are on Saturdays, {name}.")
        tab.submit()
        assert "{name} is not something the app fills in" in tab.problem.text()
        tab.texts["en"].setPlainText("Flu shots are on Saturdays; call {phone} to book.")
        tab.texts["fr"].setPlainText("La vaccination a lieu le samedi; appelez le {phone}.")
        tab.submit()
        assert tab.problem.text() == "", tab.problem.text()
        assert "was saved" in tab.said.text() and tab.list.count() == 5
        assert tab.list.currentItem().text() == "Flu shot clinic  (the clinic's)"
        assert tab.remove.text() == "Remove…"
        tab.list.setCurrentRow(0)
        assert tab.remove.text() == "Back to the shipped wording…"
        tab.list.setCurrentRow(4)
        dlg.resize(1000, 620)
        qtbot.wait(20)
        dlg.grab().save(str(shots / "settings-templates.png"))

        doc = services.login(clinic, "dr.patel", "demo")
        win = MainWindow(clinic, doc, InlineRunner(clinic))
        qtbot.addWidget(win)
        win.resize(1600, 940)
        win.show()
        own = [
            b for b in services.board(clinic, doc)
            if b.decision.via == "own" and b.row.source is Source.EMAIL and not b.row.sensitive
        ]  # fmt: skip
        win.open_thread(own[0].row.id)
        panel = win.panel
        labels = [panel.template.itemText(i) for i in range(panel.template.count())]
        assert "Flu shot clinic" in labels
        panel.reply.setPlainText("Dear patient,\n\nThank you. ")
        panel.reply.moveCursor(panel.reply.textCursor().MoveOperation.End)
        panel.template.setCurrentIndex(panel.template.findData("clinic_flu_shot_clinic"))
        panel._template()
        text = panel.reply.toPlainText()
        assert text.startswith("Dear patient,\n\nThank you. Flu shots are on Saturdays"), text
        assert clinic.config.phone in text and panel.template.currentIndex() == 0

        # removed in Settings (asked first, Cancel the default): no longer offered
        tab.list.setCurrentRow(4)
        QTimer.singleShot(0, lambda: tab.remove_box.defaultButton().click())
        tab.ask_remove()
        assert tab.list.count() == 5
        QTimer.singleShot(0, lambda: tab.remove_box.property("go_button").click())
        tab.ask_remove()
        assert tab.list.count() == 4 and "was removed" in tab.said.text()
        win.open_thread(own[1].row.id)
        assert panel.template.findData("clinic_flu_shot_clinic") == -1
