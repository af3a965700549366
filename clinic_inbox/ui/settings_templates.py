"""Settings > Reply templates: the templates staff answer with, edited, added or removed, with
their text in each language side by side. Saved on the app's writer; the next
conversation opened offers them (no restart)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_inbox.core import services
from clinic_inbox.core import services_settings_templates as templates
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.reply_templates import FIELDS, LANGUAGES, ReplyTemplate, TemplateError
from clinic_inbox.ui.actions import Runner, plain_error


class TemplatesTab(QWidget):
    def __init__(self, clinic: Clinic, session: services.Session, runner: Runner) -> None:
        super().__init__()
        self.clinic, self.session, self.runner = clinic, session, runner
        self.list = QListWidget()
        self.list.setAccessibleName("Reply templates")
        self.list.currentItemChanged.connect(lambda cur, _prev: self.show_template(cur))
        self.add = QPushButton("New template")
        self.add.clicked.connect(self.new_template)
        left = QVBoxLayout()
        left.addWidget(QLabel("Templates staff choose from:"))
        left.addWidget(self.list, 1)
        left.addWidget(self.add)
        self.label = QLineEdit()
        self.label.setAccessibleName("Template name")
        self.texts: dict[str, QPlainTextEdit] = {}
        grid = QGridLayout()
        grid.addWidget(QLabel("Name in the list:"), 0, 0, 1, 2)
        grid.addWidget(self.label, 1, 0, 1, 2)
        for col, (lang, name) in enumerate(LANGUAGES.items()):
            edit = QPlainTextEdit()
            edit.setAccessibleName(f"Template text in {name}")
            grid.addWidget(QLabel(f"In {name}:"), 2, col)
            grid.addWidget(edit, 3, col)
            self.texts[lang] = edit
        grid.setRowStretch(3, 1)
        fields = QLabel(
            "The app fills in: " + ", ".join(f"{{{f}}}" for f in FIELDS) + ". A language left "
            "empty uses the English text."
        )
        fields.setWordWrap(True)
        fields.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.save = QPushButton("Save template")
        self.save.clicked.connect(self.submit)
        self.remove = QPushButton("Remove…")
        self.remove.clicked.connect(self.ask_remove)
        self.remove_box: QMessageBox | None = None  # tests reach the question here
        self.problem = QLabel("")
        self.problem.setStyleSheet("color: #b00020;")
        self.problem.setWordWrap(True)
        self.said = QLabel("")
        self.said.setWordWrap(True)
        right = QVBoxLayout()
        right.addLayout(grid, 1)
        right.addWidget(fields)
        row = QHBoxLayout()
        row.addWidget(self.save)
        row.addWidget(self.remove)
        row.addStretch(1)
        right.addLayout(row)
        right.addWidget(self.problem)
        right.addWidget(self.said)
        lay = QHBoxLayout(self)
        lay.addLayout(left, 1)
        lay.addLayout(right, 3)
        self.editing: ReplyTemplate | None = None
        self.load()

    def load(self, select: str | None = None) -> None:
        try:
            found = templates.reply_templates(self.clinic, self.session)
        except Exception as exc:  # noqa: BLE001 - an unreadable file is said in words
            self.problem.setText(plain_error(exc))
            return
        self.list.blockSignals(True)
        self.list.clear()
        for t in found:
            item = QListWidgetItem(t.label + ("" if t.shipped else "  (the clinic's)"))
            item.setData(Qt.ItemDataRole.UserRole, t)
            self.list.addItem(item)
        self.list.blockSignals(False)
        names = [t.name for t in found]
        self.list.setCurrentRow(names.index(select) if select in names else 0)

    def show_template(self, item: QListWidgetItem | None) -> None:
        t: ReplyTemplate | None = item.data(Qt.ItemDataRole.UserRole) if item else None
        self.editing = t
        self.label.setText(t.label if t else "")
        for lang, edit in self.texts.items():
            edit.setPlainText(t.texts.get(lang, "") if t else "")
        self.problem.setText("")
        self.remove.setEnabled(t is not None)
        shipped = t is not None and t.shipped
        self.remove.setText("Back to the shipped wording…" if shipped else "Remove…")

    def ask_remove(self) -> None:
        t = self.editing
        if t is None:
            return
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        if t.shipped:
            box.setWindowTitle("Put the shipped wording back?")
            box.setText(f"“{t.label}” gets Clinic Inbox's own wording back, in every language.")
            go = box.addButton("Put it back", QMessageBox.ButtonRole.AcceptRole)
        else:
            box.setWindowTitle("Remove this template?")
            box.setText(f"“{t.label}” will no longer be offered. Replies already sent keep it.")
            go = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(cancel)
        box.setProperty("go_button", go)
        self.remove_box = box
        box.exec()
        if box.clickedButton() is not go:
            return
        self.runner.submit(
            templates.remove_reply_template_action,
            self.session,
            t.name,
            done=lambda what: self._removed(t, what),
            failed=self._failed,
            owner=self,
        )

    def _removed(self, t: ReplyTemplate, what: str) -> None:
        self.load(select=t.name)
        self.said.setText(
            f"“{t.label}” has its shipped wording back."
            if what == "reset"
            else f"“{t.label}” was removed."
        )

    def new_template(self) -> None:
        self.list.clearSelection()
        self.editing = None
        self.remove.setEnabled(False)
        self.label.setText("")
        for edit in self.texts.values():
            edit.setPlainText("")
        self.said.setText("A new template: give it a name and its text, then Save.")
        self.label.setFocus()

    def template(self) -> ReplyTemplate:
        texts = {lang: edit.toPlainText() for lang, edit in self.texts.items()}
        name = self.editing.name if self.editing else ""
        return ReplyTemplate(name, self.label.text(), texts)

    def submit(self) -> None:
        self.said.setText("")
        self.problem.setText("")
        self.save.setEnabled(False)
        self.runner.submit(
            templates.save_reply_template_action,
            self.session,
            self.template(),
            done=self._saved,
            failed=self._failed,
            owner=self,
        )

    def _saved(self, saved: ReplyTemplate) -> None:
        self.save.setEnabled(True)
        self.load(select=saved.name)
        self.said.setText(f"“{saved.label}” was saved. Staff see it in the next conversation.")

    def _failed(self, exc: BaseException) -> None:
        self.save.setEnabled(True)
        words = exc.problems if isinstance(exc, TemplateError) else [plain_error(exc)]
        self.problem.setText("\n".join(words))
