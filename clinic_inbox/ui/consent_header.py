"""The patient header's agreement line: may the clinic write to this patient by email or
the portal, who is authorised to write for them, and who wrote this conversation.
"Agreement…" records, shows the terms of, or ends the patient's agreement."""

from __future__ import annotations

import html

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from clinic_inbox.core import app_consent, consent, proxies, services
from clinic_inbox.core.app_consent import HeaderView
from clinic_inbox.core.consent import State
from clinic_inbox.core.home import Clinic
from clinic_inbox.ui.actions import Runner, plain_error

# tag colour and words per state; the words carry the meaning, the colour only helps
_TAG = {
    State.AGREED: ("#1b7f3a", "Email agreement on file"),
    State.NONE: ("#a65e00", "No agreement to email"),
    State.OPTED_OUT: ("#b3261e", "Opted out: phone or letter only"),
    State.ENDED: ("#b3261e", "Email ended by the clinic"),
}
HOWS = [
    ("signed-form", "Signed form"),
    ("portal-checkbox", "Portal checkbox"),
    ("verbal", "Verbally, today"),
]


class ConsentHeader(QWidget):
    # message id -> "Carmen Delgado (caregiver) for Rosa Delgado", once known
    written_for = Signal(object)

    def __init__(self, clinic: Clinic, session: services.Session, runner: Runner, parent=None):  # noqa: ANN001
        super().__init__(parent)
        self.clinic, self.session, self.runner = clinic, session, runner
        self.key: tuple[int, int] | None = None  # (patient, thread) shown
        self.shown: HeaderView | None = None
        self.line = QLabel("")
        self.line.setWordWrap(True)
        self.line.setAccessibleName("Agreement to electronic messages")
        self.others = QLabel("")
        self.others.setWordWrap(True)
        self.others.setAccessibleName("People who write for this patient")
        self.edit = QPushButton("Agreement…")
        self.edit.setToolTip("Record the patient's agreement to email or the portal, or end it")
        self.edit.clicked.connect(self._edit)
        self.people = QPushButton("Proxies…")
        self.people.setToolTip("People authorised to write for this patient: add or withdraw")
        self.people.clicked.connect(self._proxies)
        top = QHBoxLayout()
        top.addWidget(self.line, 1)
        top.addWidget(self.edit)
        top.addWidget(self.people)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(self.others)
        self.setVisible(False)

    def follow(self, patient_id: int | None, thread_id: int | None) -> None:
        """Show the patient of the open conversation (read again only when it changed)."""
        if patient_id is None or thread_id is None:
            self.key, self.shown = None, None
            self.setVisible(False)
            return
        if self.key == (patient_id, thread_id):
            return
        self.key = (patient_id, thread_id)
        self.reload()

    def reload(self) -> None:
        if self.key is None:
            return
        patient_id, thread_id = self.key
        self.runner.submit(
            app_consent.open_consent,
            self.session,
            patient_id,
            thread_id,
            done=self._show,
            failed=lambda exc: self._show_error(plain_error(exc)),
            owner=self,
        )

    def _show_error(self, words: str) -> None:
        self.line.setText(html.escape(words))
        self.others.setText("")
        self.edit.setVisible(False)
        self.people.setVisible(False)
        self.setVisible(True)

    def _show(self, view: HeaderView) -> None:
        c = view.consent
        if self.key is None or c.patient.id != self.key[0]:
            return
        self.shown = view
        self.written_for.emit(view.written_for)
        colour, tag = _TAG[c.state]
        self.line.setText(
            f"<span style='background:{colour};color:white;padding:2px 6px'>&nbsp;{tag}&nbsp;</span>"
            f"&nbsp; {html.escape(c.words)}"
        )
        parts = []
        if view.writer:
            parts.append(f"<b>{html.escape(view.writer)}</b>")
        if view.writer_warning:
            parts.append(f"<span style='color:#b3261e'>{html.escape(view.writer_warning)}</span>")
        if c.proxies:
            names = "; ".join(
                html.escape(p.describe()) + ("" if s == "active" else f" — <i>{html.escape(s)}</i>")
                for p, s in c.proxies
            )
            parts.append(f"Writes for this patient: {names}")
        elif c.age is not None and c.age < self.clinic.config.minors.parent_access_ends_at:
            parts.append(
                f"Patient aged {c.age}: no parent or guardian on record "
                f"(their access ends at {self.clinic.config.minors.parent_access_ends_at})."
            )
        self.others.setText("<br>".join(parts))
        self.others.setVisible(bool(parts))
        self.edit.setVisible(self.session.staff.role.value != "admin")
        self.people.setVisible(self.session.staff.role.value != "admin")
        self.setVisible(True)

    def _edit(self) -> None:
        if self.shown is None or self.key is None:
            return
        dlg = ConsentDialog(self.shown, self.clinic, self)
        self.dialog = dlg  # tests reach it here
        if not dlg.exec() or dlg.action is None:
            return
        patient_id = self.key[0]
        failed = lambda exc: QMessageBox.warning(self, "Not done", plain_error(exc))  # noqa: E731
        done = lambda _: self._changed()  # noqa: E731
        if dlg.action == "record":
            self.runner.submit(
                app_consent.record_consent, self.session, patient_id, dlg.channels(),
                dlg.terms.currentData(), dlg.how.currentData(),
                done=done, failed=failed, owner=self,
            )  # fmt: skip
        else:
            self.runner.submit(
                app_consent.end_consent, self.session, patient_id, dlg.action, dlg.reason,
                done=done, failed=failed, owner=self,
            )  # fmt: skip

    def _changed(self) -> None:
        self.reload()

    def _proxies(self) -> None:
        if self.shown is None or self.key is None:
            return
        dlg = ProxyDialog(self.shown, self)
        self.proxy_dialog = dlg  # tests reach it here
        if not dlg.exec():
            return
        failed = lambda exc: QMessageBox.warning(self, "Not done", plain_error(exc))  # noqa: E731
        done = lambda _: self._changed()  # noqa: E731
        if dlg.withdraw_id is not None:
            self.runner.submit(
                app_consent.revoke_proxy, self.session, dlg.withdraw_id,
                done=done, failed=failed, owner=self,
            )  # fmt: skip
            return
        self.runner.submit(
            app_consent.add_proxy, self.session, self.key[0], dlg.name.text(),
            dlg.relationship.currentData(), dlg.address.text(), dlg.scope(),
            dlg.evidence.text(), dlg.until.text().strip() or None,
            dlg.portal.text().strip() or None,
            done=done, failed=failed, owner=self,
        )  # fmt: skip


class ProxyDialog(QDialog):
    """Who writes for the patient: withdraw one, or record a new authorisation."""

    def __init__(self, view: HeaderView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        c = view.consent
        self.withdraw_id: int | None = None
        self.setWindowTitle(f"People who write for {c.patient.display_name}")
        lay = QVBoxLayout(self)
        for p, standing in c.proxies:
            row = QHBoxLayout()
            label = QLabel(
                html.escape(p.describe())
                + ("" if standing == "active" else f" — <i>{html.escape(standing)}</i>")
            )
            label.setWordWrap(True)
            row.addWidget(label, 1)
            if p.revoked_at is None:
                out = QPushButton("Withdraw")
                out.setObjectName(f"withdraw-{p.id}")
                out.clicked.connect(lambda _=False, pid=p.id: self._withdraw(pid))
                row.addWidget(out)
            lay.addLayout(row)
        if not c.proxies:
            lay.addWidget(QLabel("Nobody is authorised to write for this patient."))
        lay.addWidget(QLabel("<b>Record a new authorisation</b>"))
        self.name = QLineEdit()
        self.relationship = QComboBox()
        for key, words in proxies.RELATIONSHIPS.items():
            self.relationship.addItem(words, key)
        self.address = QLineEdit()
        self.address.setPlaceholderText("their own email address, never the patient's")
        self.scopes = {key: QCheckBox(key) for key in proxies.SCOPES}
        self.evidence = QLineEdit()
        self.evidence.setPlaceholderText(
            "e.g. authorisation signed by the patient, scanned to the chart"
        )
        self.until = QLineEdit()
        self.until.setPlaceholderText("YYYY-MM-DD, or empty")
        self.portal = QLineEdit()
        self.portal.setPlaceholderText("the id the portal gives their own account, or empty")
        scopes = QHBoxLayout()
        for box in self.scopes.values():
            scopes.addWidget(box)
        form = QFormLayout()
        form.addRow("Name:", self.name)
        form.addRow("Who they are:", self.relationship)
        form.addRow("Email:", self.address)
        form.addRow("May write about:", scopes)
        form.addRow("Evidence:", self.evidence)
        form.addRow("Until:", self.until)
        form.addRow("Portal account:", self.portal)
        lay.addLayout(form)
        self.record = QPushButton("Record authorisation")
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        box.addButton(self.record, QDialogButtonBox.ButtonRole.AcceptRole)
        self.record.clicked.connect(self.accept)
        box.rejected.connect(self.reject)
        lay.addWidget(box)
        self.resize(620, 420)

    def scope(self) -> frozenset[str]:
        return frozenset(k for k, box in self.scopes.items() if box.isChecked())

    def _withdraw(self, proxy_id: int) -> None:
        self.withdraw_id = proxy_id
        self.accept()


class ConsentDialog(QDialog):
    """Record an agreement (channels, the terms read, how), or end it."""

    def __init__(self, view: HeaderView, clinic: Clinic, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.action: str | None = None  # "record", "opted-out" or "clinic-ended"
        self.reason: str | None = None
        c = view.consent
        self.setWindowTitle(f"Agreement to electronic messages: {c.patient.display_name}")
        now = QLabel(html.escape(c.words))
        now.setWordWrap(True)
        self.email = QCheckBox("Email")
        self.portal = QCheckBox("Patient portal")
        self.email.setChecked(True)
        self.portal.setChecked(bool(c.patient.portal_id))
        self.terms = QComboBox()
        for v in reversed(view.terms_versions):
            self.terms.addItem(f"Terms {v}", v)
        self.how = QComboBox()
        for key, label in HOWS:
            self.how.addItem(label, key)
        self.text = QTextBrowser()
        self.text.setAccessibleName("The terms the patient agrees to")
        self.terms.currentIndexChanged.connect(self._terms)
        self._terms()
        form = QFormLayout()
        chans = QHBoxLayout()
        chans.addWidget(self.email)
        chans.addWidget(self.portal)
        chans.addStretch(1)
        form.addRow("Now:", now)
        form.addRow("Agrees to:", chans)
        form.addRow("Terms read:", self.terms)
        form.addRow("How:", self.how)
        self.record = QPushButton("Record agreement")
        self.opt_out = QPushButton("Patient opted out")
        self.clinic_end = QPushButton("End for the clinic…")
        self.clinic_end.setToolTip("A physician's decision, e.g. after repeated misuse; asks why")
        has_agreement = c.state is State.AGREED
        self.clinic_end.setEnabled(has_agreement)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        box.addButton(self.record, QDialogButtonBox.ButtonRole.AcceptRole)
        box.addButton(self.opt_out, QDialogButtonBox.ButtonRole.ActionRole)
        box.addButton(self.clinic_end, QDialogButtonBox.ButtonRole.ActionRole)
        box.rejected.connect(self.reject)
        self.record.clicked.connect(lambda: self._choose("record"))
        self.opt_out.clicked.connect(lambda: self._choose("opted-out"))
        self.clinic_end.clicked.connect(self._end_for_clinic)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.text, 1)
        lay.addWidget(box)
        self.resize(640, 560)

    def channels(self) -> frozenset[str]:
        return frozenset(
            n for n, box in (("email", self.email), ("portal", self.portal)) if box.isChecked()
        )

    def _terms(self) -> None:
        version = self.terms.currentData()
        if version:
            self.text.setPlainText(consent.terms_text(version, "en", self.clinic.home))

    def _choose(self, action: str) -> None:
        if action == "record" and not self.channels():
            QMessageBox.warning(self, "Not done", "Tick email, the portal, or both.")
            return
        self.action = action
        self.accept()

    def _end_for_clinic(self) -> None:
        reason, ok = QInputDialog.getText(
            self, "End for the clinic", "Why does the clinic stop writing to this patient?"
        )
        if ok and reason.strip():
            self.reason = reason.strip()
            self._choose("clinic-ended")
