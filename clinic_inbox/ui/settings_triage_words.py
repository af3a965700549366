"""Settings > Urgent words: the clinic's own words or phrases that make a message
urgent, one list per language, one per line. Saved on the app's writer; the next
message triaged uses them, without a restart."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_inbox.core import services
from clinic_inbox.core import services_settings_triage as triage_words
from clinic_inbox.core.clinic_triage_words import LANGUAGES, WordsError
from clinic_inbox.core.home import Clinic
from clinic_inbox.ui.actions import Runner, plain_error


class UrgentWordsTab(QWidget):
    def __init__(self, clinic: Clinic, session: services.Session, runner: Runner) -> None:
        super().__init__()
        self.clinic, self.session, self.runner = clinic, session, runner
        intro = QLabel(
            "Words or short phrases that make a patient's message urgent in this clinic, on "
            "top of the red flags Clinic Inbox knows (for example “pump alarm” where many "
            "patients use insulin pumps). One per line. As with every red flag, a message "
            "that says the opposite (“no pump alarm since…”) is not raised."
        )
        intro.setWordWrap(True)
        grid = QGridLayout()
        self.lists: dict[str, QPlainTextEdit] = {}
        for col, (lang, name) in enumerate(LANGUAGES.items()):
            edit = QPlainTextEdit()
            edit.setAccessibleName(f"Urgent words in {name}")
            edit.setPlaceholderText("one word or phrase per line")
            edit.textChanged.connect(lambda: self.problem.setText(""))
            grid.addWidget(QLabel(f"In {name}:"), 0, col)
            grid.addWidget(edit, 1, col)
            self.lists[lang] = edit
        self.save = QPushButton("Save urgent words")
        self.save.clicked.connect(self.submit)
        self.problem = QLabel("")
        self.problem.setStyleSheet("color: #b00020;")
        self.problem.setWordWrap(True)
        self.said = QLabel("")
        self.said.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.save)
        row.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addLayout(grid, 1)
        lay.addLayout(row)
        lay.addWidget(self.problem)
        lay.addWidget(self.said)
        self.fill()

    def fill(self) -> None:
        try:
            words = triage_words.urgent_words(self.clinic, self.session)
        except Exception as exc:  # noqa: BLE001 - an unreadable file is said in words
            self.problem.setText(plain_error(exc))
            self.save.setEnabled(False)
            return
        for lang, edit in self.lists.items():
            edit.setPlainText("\n".join(words.get(lang, [])))

    def words(self) -> dict[str, list[str]]:
        return {lang: edit.toPlainText().splitlines() for lang, edit in self.lists.items()}

    def submit(self) -> None:
        self.said.setText("")
        self.save.setEnabled(False)
        self.runner.submit(
            triage_words.save_urgent_words_action,
            self.session,
            self.words(),
            done=self._saved,
            failed=self._failed,
            owner=self,
        )

    def _saved(self, changed: list[str]) -> None:
        self.save.setEnabled(True)
        self.fill()  # as kept: trimmed, repeats gone
        if changed:
            self.said.setText("Saved. Messages that arrive from now on are read with them.")
        else:
            self.said.setText("Nothing had changed.")

    def _failed(self, exc: BaseException) -> None:
        self.save.setEnabled(True)
        words = exc.problems if isinstance(exc, WordsError) else [plain_error(exc)]
        self.problem.setText("\n".join(words))
