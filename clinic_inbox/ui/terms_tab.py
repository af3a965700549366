"""Administration's "Terms of messages" tab: the clinic's terms of electronic messages
in each language it writes in, edited and published as the next version. A published
version never changes: patients who agreed to an older one are shown "agreed to
version N (current M)" in their header."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinic_inbox.core import app_terms, consent
from clinic_inbox.core.consent import LANGUAGE_NAMES
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.services_terms import TermsView
from clinic_inbox.core.signin import Session
from clinic_inbox.ui.actions import Runner, plain_error


class TermsTab(QWidget):
    def __init__(
        self, clinic: Clinic, session: Session, runner: Runner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.clinic, self.session, self.runner = clinic, session, runner
        self.current = QLabel("")
        self.current.setWordWrap(True)
        self.languages = QTabWidget()
        self.edits: dict[str, QPlainTextEdit] = {}
        self.publish = QPushButton("Publish as a new version")
        self.publish.setEnabled(False)
        self.publish.clicked.connect(self._publish)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.message, 1)
        row.addWidget(self.publish)
        lay = QVBoxLayout(self)
        lay.addWidget(self.current)
        lay.addWidget(self.languages, 1)
        lay.addLayout(row)
        self.refresh()

    def refresh(self) -> None:
        self.runner.submit(
            app_terms.terms_view, self.session, done=self._show, failed=self._failed, owner=self
        )

    def _show(self, view: TermsView) -> None:
        now = (
            f"In force: version {view.current[1:]} (versions: {', '.join(view.versions)})."
            if view.current
            else "The clinic has no terms yet."
        )
        if view.agreed:
            by_number = sorted(view.agreed.items(), key=lambda vn: consent.version_number(vn[0]))
            per = ", ".join(f"{n} to version {v[1:]}" for v, n in by_number)
            now += f" Agreements in force: {per}"
            older = view.older_agreements()
            now += f" ({older} to an older version)." if older else "."
        self.current.setText(
            f"{now} Edit the text below and publish it as version {view.next_version[1:]}: "
            "agreements already recorded keep the version the patient read, and their "
            "header says when it is an older one."
        )
        self.languages.clear()
        self.edits = {}
        for lang in view.languages:
            edit = QPlainTextEdit(view.texts.get(lang, ""))
            edit.setAccessibleName(f"Terms in {LANGUAGE_NAMES.get(lang, lang)}")
            self.edits[lang] = edit
            self.languages.addTab(edit, LANGUAGE_NAMES.get(lang, lang))
        self.publish.setText(f"Publish as version {view.next_version[1:]}")
        self.publish.setEnabled(True)

    def _publish(self) -> None:
        texts = {lang: e.toPlainText() for lang, e in self.edits.items()}
        self.message.setText("")
        self.runner.submit(
            app_terms.publish_terms,
            self.session,
            texts,
            done=self._published,
            failed=self._failed,
            owner=self,
        )

    def _published(self, result: tuple[str, TermsView]) -> None:
        version, view = result
        self._show(view)
        self.message.setText(
            f"Version {version[1:]} published. New agreements are recorded to it; patients "
            "who agreed to an older version are shown so in their header."
        )

    def _failed(self, exc: BaseException) -> None:
        self.message.setText(plain_error(exc))
