"""The administrator's screens: staff, the audit trail, break-glass reviews."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinic_inbox.core import access, app_actions, app_loads, services
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Role, Staff
from clinic_inbox.shared import ServerUnreachable, SharedQueueError, audit_app
from clinic_inbox.ui.actions import InlineRunner, Runner, plain_error

GLASS_COLUMNS = ["#", "Who", "Conversation", "Patient", "Reason", "From", "Until", "Reviewed"]
# with a shared server: every workstation's openings, each naming its computer
GLASS_COLUMNS_SHARED = GLASS_COLUMNS[:1] + ["Workstation"] + GLASS_COLUMNS[1:]


def _table(headers: list[str], rows: list[list[str]]) -> QTableWidget:
    t = QTableWidget(len(rows), len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    t.setAlternatingRowColors(True)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            t.setItem(r, c, QTableWidgetItem(value))
    t.horizontalHeader().setStretchLastSection(True)
    t.resizeColumnsToContents()
    return t


def _computer(o) -> str:  # noqa: ANN001 - shared.break_glass_clinic.GlassOpening
    """The computer an opening was made on, as the Workstations tab names it."""
    if not o.this_computer:
        return o.workstation
    return (
        "this computer" if o.workstation == "this computer" else f"{o.workstation} (this computer)"
    )


class AdminDialog(QDialog):
    def __init__(
        self,
        clinic: Clinic,
        session: services.Session,
        parent: QWidget | None = None,
        *,
        runner: Runner | None = None,
    ) -> None:
        super().__init__(parent)
        access.require(
            access.can_manage_staff(session.staff), "Only an administrator can open this."
        )
        self.clinic, self.session = clinic, session
        self.runner: Runner = runner if runner is not None else InlineRunner(clinic, self)
        self.setWindowTitle("Administration — Clinic Inbox")
        self.resize(1000, 640)
        self.tabs = QTabWidget()
        lay = QVBoxLayout(self)
        lay.addWidget(self.tabs)
        self.message = QLabel("")
        lay.addWidget(self.message)
        self._staff_tab()
        self._audit_tab()
        self._glass_tab()
        self._accounts_tab()
        from clinic_inbox.ui.terms_tab import TermsTab

        self.terms_tab = TermsTab(clinic, session, self.runner, self)
        self.tabs.addTab(self.terms_tab, "Terms of messages")
        from clinic_inbox.ui.admin_keys import KeyProtectionTab

        self.keys_tab = KeyProtectionTab(clinic, session, self.runner, self)
        self.tabs.addTab(self.keys_tab, "Store protection")
        if audit_app.is_shared(clinic):  # enrolling and revoking (renews the clinic's key)
            from clinic_inbox.ui.admin_workstations import WorkstationsTab

            self.workstations_tab = WorkstationsTab(clinic, session, self.runner, self)
            self.tabs.addTab(self.workstations_tab, "Workstations")

    # -- staff -----------------------------------------------------------------------
    def _staff_tab(self) -> None:
        """From forms/admin_staff.ui: the list, the fields and what to do with them."""
        from clinic_inbox.ui.login import load_form

        page = load_form("admin_staff.ui")
        self.staff_table: QTableWidget = page.findChild(QTableWidget, "staff_table")
        self.new_user: QLineEdit = page.findChild(QLineEdit, "new_user")
        self.new_name: QLineEdit = page.findChild(QLineEdit, "new_name")
        self.new_password: QLineEdit = page.findChild(QLineEdit, "new_password")
        self.new_role: QComboBox = page.findChild(QComboBox, "new_role")
        for r in Role:
            self.new_role.addItem(r.value, r)
        for name, slot in (
            ("add", self.add_staff),
            ("disable", self.disable_selected),
            ("reset", self.reset_selected),
            ("role", self.role_selected),
            ("rename", self.rename_selected),
        ):
            page.findChild(QPushButton, name).clicked.connect(slot)
        self.tabs.addTab(page, "Staff")
        self.refresh_staff()

    def refresh_staff(self) -> None:
        """The staff list, read on the runner; the table fills when it answers."""
        self.runner.submit(
            app_loads.staff,
            self.session,
            done=self._show_staff,
            failed=lambda exc: self.message.setText(plain_error(exc)),
            owner=self,
        )

    def _show_staff(self, staff: list[Staff]) -> None:
        fresh = _table(
            ["User", "Name", "Role", "Active"],
            [
                [s.username, s.display_name, s.role.value, "yes" if s.active else "disabled"]
                for s in staff
            ],
        )
        self.staff_table.setRowCount(fresh.rowCount())
        self.staff_table.setColumnCount(fresh.columnCount())
        self.staff_table.setHorizontalHeaderLabels(["User", "Name", "Role", "Active"])
        for r in range(fresh.rowCount()):
            for c in range(fresh.columnCount()):
                self.staff_table.setItem(r, c, QTableWidgetItem(fresh.item(r, c).text()))
        self.staff_table.resizeColumnsToContents()

    def _run(self, fn, *args, said: str, clear=()) -> None:  # noqa: ANN001, ANN002
        """An administrator's action on the writer (password hashing takes a while)."""

        def done(_: object) -> None:
            self.message.setText(said)
            for w in clear:
                w.clear()
            self.refresh_staff()
            self.refresh_audit()

        self.runner.submit(
            fn,
            self.session,
            *args,
            done=done,
            failed=lambda exc: self.message.setText(plain_error(exc)),
            owner=self,
        )

    def add_staff(self) -> None:
        user = self.new_user.text().strip()
        self._run(
            app_actions.add_staff,
            user,
            self.new_name.text().strip() or user,
            Role(self.new_role.currentData()),
            self.new_password.text(),
            said=f"Added {user}.",
            clear=(self.new_user, self.new_name, self.new_password),
        )

    def disable_selected(self) -> None:
        row = self.staff_table.currentRow()
        if row < 0:
            return
        name = self.staff_table.item(row, 0).text()
        self._run(app_actions.set_staff_active, name, False, said=f"{name} is disabled.")

    def role_selected(self) -> None:
        """The 'Role' choice becomes the selected person's role (audited)."""
        from clinic_inbox.core.services_staff import set_role_action

        row = self.staff_table.currentRow()
        if row < 0:
            return
        name, role = self.staff_table.item(row, 0).text(), Role(self.new_role.currentData())
        self._run(set_role_action, name, role, said=f"{name} is now {role.value}.")

    def rename_selected(self) -> None:
        """The 'Full name' field becomes the name colleagues see for the selected person."""
        from clinic_inbox.core.services_staff_edits import set_display_name_action

        row = self.staff_table.currentRow()
        if row < 0:
            return
        name, shown = self.staff_table.item(row, 0).text(), self.new_name.text().strip()
        self._run(set_display_name_action, name, shown, said=f"{name} is now shown as {shown}.")

    def reset_selected(self) -> None:
        """The 'First password' field becomes the selected person's new password."""
        row = self.staff_table.currentRow()
        if row < 0:
            return
        name = self.staff_table.item(row, 0).text()
        self._run(
            app_actions.reset_password,
            name,
            self.new_password.text(),
            said=f"The password of {name} was reset; give it to them in person. They must "
            "choose their own at their next sign-in.",
            clear=(self.new_password,),
        )

    # -- accounts --------------------------------------------------------------------
    def _accounts_tab(self) -> None:
        from clinic_inbox.ui.first_run import Worker

        page = QWidget()
        lay = QVBoxLayout(page)
        self.accounts_table = QTableWidget()
        lay.addWidget(self.accounts_table)
        row = QHBoxLayout()
        self.test_account = QPushButton("Test the selected account")
        self.test_account.clicked.connect(self.test_selected_account)
        row.addWidget(self.test_account)
        row.addStretch(1)
        lay.addLayout(row)
        self.account_result = QLabel("")
        self.account_result.setWordWrap(True)
        lay.addWidget(self.account_result)
        lay.addWidget(QLabel("Add, change and remove accounts under Settings (in the toolbar)."))
        if self.clinic.credentials is not None and not self.clinic.credentials.available:
            lay.addWidget(QLabel(self.clinic.credentials.why_unavailable()))
        self.account_worker = Worker()
        self.account_worker.finished.connect(self._account_tested)
        self.tabs.addTab(page, "Accounts")
        self.refresh_accounts()

    def refresh_accounts(self) -> None:
        """The accounts, read on the runner; the table fills when it answers."""
        self.runner.submit(
            app_loads.accounts,
            self.session,
            done=self._show_accounts,
            failed=lambda exc: self.account_result.setText(plain_error(exc)),
            owner=self,
        )

    def _show_accounts(self, rows: list[tuple[int, str, str, dict]]) -> None:
        fresh = _table(
            ["Name", "Kind", "Server"],
            [
                [
                    name,
                    {"imap": "email", "fhir": "portal"}.get(kind, kind),
                    str(cfg.get("host") or cfg.get("base_url") or ""),
                ]
                for _id, name, kind, cfg in rows
            ],
        )
        t = self.accounts_table
        t.setRowCount(fresh.rowCount())
        t.setColumnCount(3)
        t.setHorizontalHeaderLabels(["Name", "Kind", "Server"])
        for r in range(fresh.rowCount()):
            for c in range(3):
                t.setItem(r, c, QTableWidgetItem(fresh.item(r, c).text()))
        t.horizontalHeader().setStretchLastSection(True)
        t.resizeColumnsToContents()

    def test_selected_account(self) -> None:
        """A real sign-in with the kept password, on a worker thread (never this one)."""
        from clinic_inbox.sources.connection_check import check_stored

        row = self.accounts_table.currentRow()
        if row < 0:
            self.account_result.setText("Choose an account in the list first.")
            return
        name, clinic = self.accounts_table.item(row, 0).text(), self.clinic
        self.test_account.setEnabled(False)
        self.account_result.setText(f"Testing {name}… (up to 15 seconds)")
        self.account_thread = self.account_worker.run(lambda: check_stored(clinic, name))

    def _account_tested(self, answers: object, error: BaseException | None) -> None:
        self.test_account.setEnabled(True)
        if error is not None:
            self.account_result.setText(f"The test could not run: {plain_error(error)}")
            return
        self.account_result.setText(
            "\n".join(("Works: " if ok else "Problem: ") + text for ok, text in answers)  # type: ignore[attr-defined]
        )

    # -- audit -----------------------------------------------------------------------
    def _audit_tab(self) -> None:
        page = QWidget()
        lay = QVBoxLayout(page)
        row = QHBoxLayout()
        self.patient_filter = QLineEdit()
        self.patient_filter.setPlaceholderText("Patient id (empty: everyone)")
        show = QPushButton("Show")
        verify = QPushButton("Verify the chain")
        self.verify_result = QLabel("")
        # with a shared server: every workstation's trail (shared.audit_app)
        self.every_ws = QCheckBox("Every workstation")
        self.every_ws.setChecked(audit_app.is_shared(self.clinic))
        self.every_ws.setVisible(audit_app.is_shared(self.clinic))
        show.clicked.connect(self.refresh_audit)
        verify.clicked.connect(self.verify)
        for w in (
            QLabel("Who viewed which patient's messages, when and why:"),
            self.patient_filter,
            self.every_ws,
            show,
            verify,
        ):
            row.addWidget(w)
        lay.addLayout(row)
        lay.addWidget(self.verify_result)
        self.audit_table = _table(
            ["When", "Who", "Action", "Patient", "Conversation", "Reason", "Workstation"], []
        )
        lay.addWidget(self.audit_table)
        self.tabs.addTab(page, "Audit trail")
        self.refresh_audit()

    def refresh_audit(self) -> None:
        """The latest 2,000 entries, read on the writer (a clinic's trail grows large)."""
        text = self.patient_filter.text().strip()
        pid = int(text) if text.isdigit() else None
        every = self.every_ws.isChecked()
        self.runner.submit(
            audit_app.clinic_audit_entries if every else app_actions.audit_entries,
            self.session,
            pid,
            done=self._show_audit,
            failed=lambda exc: self.message.setText(plain_error(exc)),
            owner=self,
        )

    def _show_audit(self, entries: list) -> None:
        entries = entries[-2000:][::-1]
        tz = self.clinic.config.tz
        rows = [
            [
                datetime.fromisoformat(e.at).astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                e.actor,
                e.action,
                str(e.patient_id or ""),
                str(e.thread_id or ""),
                e.reason or "",
                getattr(e, "workstation", "this computer"),
            ]
            for e in entries
        ]
        fresh = _table(["When", "Who", "Action", "Patient", "Conversation", "Reason", "W"], rows)
        self.audit_table.setRowCount(fresh.rowCount())
        for r in range(fresh.rowCount()):
            for c in range(7):
                self.audit_table.setItem(r, c, QTableWidgetItem(fresh.item(r, c).text()))
        self.audit_table.resizeColumnsToContents()

    def verify(self) -> None:
        """The whole chain is read and checked on the writer: it takes a while."""
        self.verify_result.setText("Checking the chain…")
        every = self.every_ws.isChecked()
        self.runner.submit(
            audit_app.clinic_verify if every else app_actions.verify_audit,
            self.session,
            done=self.verify_result.setText,
            failed=lambda exc: self.verify_result.setText(plain_error(exc)),
            owner=self,
        )

    # -- break-glass -------------------------------------------------------------------
    def _glass_tab(self) -> None:
        """This computer's openings; with a shared server every workstation's, read from
        the clinic's trail on the network worker (the window never waits on the server)."""
        self.glass_shared = audit_app.is_shared(self.clinic)
        page = QWidget()
        lay = QVBoxLayout(page)
        self.glass_note = QLabel("")
        self.glass_note.setWordWrap(True)
        self.glass_note.setVisible(self.glass_shared)
        lay.addWidget(self.glass_note)
        columns = GLASS_COLUMNS_SHARED if self.glass_shared else GLASS_COLUMNS
        self.glass_table = _table(columns, [])
        # each computer numbers its own openings (the "#" column): no row numbers beside
        self.glass_table.verticalHeader().setVisible(not self.glass_shared)
        lay.addWidget(self.glass_table)
        # what each row is: (the workstation it was made on, its number there, reviewed,
        # that workstation as the row names it)
        self._glass_items: list[tuple[str | None, int | None, bool, str]] = []
        self._glass_marking = ""  # the opening being marked, as the message names it
        self.glass_table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.glass_table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.glass_table.itemSelectionChanged.connect(self._glass_selected)
        self.glass_mark = QPushButton("Mark reviewed")
        self.glass_mark.setToolTip(
            "Record that the selected opening was reviewed: every workstation of the clinic "
            "shows who reviewed it, when, and on which computer."
        )
        self.glass_mark.setEnabled(False)
        self.glass_mark.clicked.connect(self.mark_glass_reviewed)
        self.glass_refresh = QPushButton("Refresh")
        self.glass_refresh.clicked.connect(self.refresh_glass)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.glass_mark)
        row.addWidget(self.glass_refresh)
        lay.addLayout(row)
        self.glass_page = page
        self.tabs.addTab(page, "Break-glass review")
        self.refresh_glass()

    def refresh_glass(self) -> None:
        if not self.glass_shared:  # one workstation: as it always was
            self.runner.submit(
                app_loads.break_glass_review,
                self.session,
                done=self._show_glass,
                failed=lambda exc: self.message.setText(plain_error(exc)),
                owner=self,
            )
            return
        self.glass_note.setText("Reading the openings made on every computer of the clinic…")
        self.runner.network.submit(
            audit_app.clinic_break_glass,
            self.session,
            done=lambda openings: self._show_openings(openings, everywhere=True),
            failed=self._glass_failed,
            owner=self,
        )

    def _glass_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, SharedQueueError):  # refused, or this computer's own store
            self.glass_note.setText(plain_error(exc))
            self._glass_items = []
            self._fill_glass([])
            return
        if isinstance(exc, ServerUnreachable):
            why = (
                "The clinic's shared server cannot be reached just now, so the openings "
                "made on the other computers cannot be shown."
            )
        else:
            why = str(exc)
        self.glass_note.setText(
            f"{why} Below are only the openings made on this computer. Press Refresh to try again."
        )
        self.runner.submit(  # the server cannot be asked: this computer's openings meanwhile
            audit_app.this_computer_break_glass,
            self.session,
            done=lambda openings: self._show_openings(openings, everywhere=False),
            failed=lambda e: self.glass_note.setText(plain_error(e)),
            owner=self,
        )

    def _when(self, at: str | None) -> str:
        """A stored time (UTC, ISO) in the clinic's time."""
        if not at:
            return ""
        try:
            return (
                datetime.fromisoformat(at)
                .astimezone(self.clinic.config.tz)
                .strftime("%Y-%m-%d %H:%M")
            )
        except ValueError:
            return at

    def _reviewed(self, o) -> str:  # noqa: ANN001 - shared.break_glass_clinic.GlassOpening
        """'reviewed by Dr Patel on 2026-03-02 14:05 (Office 2)', or 'not yet'."""
        if not o.reviewed_at:
            return "not yet"
        where = "this computer" if o.reviewed_here else (o.reviewed_on or "another computer")
        text = f"reviewed by {o.reviewed_by or 'someone'} on {self._when(o.reviewed_at)} ({where})"
        if o.review_waiting:
            text += "; not on the clinic's server yet"
        return text

    def _show_openings(self, openings: list, *, everywhere: bool) -> None:
        """Rows of shared.break_glass_clinic.GlassOpening, in the clinic's time."""
        when = self._when
        self._glass_items = [
            (o.workstation_id, o.opening, bool(o.reviewed_at), _computer(o)) for o in openings
        ]
        rows = [
            [
                str(o.opening or ""),
                _computer(o),
                o.staff_name,
                o.number,
                o.patient or "Unknown",
                o.reason or "",
                when(o.at),
                when(o.until),
                # marked on any computer of the clinic: every one shows it
                self._reviewed(o),
            ]
            for o in openings
        ]
        if everywhere:
            waiting = sum(1 for o in openings if not o.reviewed_at)
            self.glass_note.setText(
                f"Openings made on every computer of the clinic: {len(rows)}, {waiting} not "
                "reviewed yet. Select one and press Mark reviewed: every computer shows who "
                "reviewed it, when and where."
            )
        self._fill_glass(rows)

    def _show_glass(self, review: list[tuple]) -> None:
        self._glass_items = [(None, r[0], bool(r[7]), "") for r in review]
        rows = [
            [
                str(r[0]),
                r[1],
                str(r[2]),
                r[3] or "Unknown",
                r[4],
                r[5],
                r[6],
                f"reviewed by {r[8] or 'someone'} on {self._when(r[7])}" if r[7] else "not yet",
            ]
            for r in review
        ]
        self._fill_glass(rows)

    def _glass_selected(self) -> None:
        item = self._glass_item()
        self.glass_mark.setEnabled(item is not None and item[1] is not None and not item[2])

    def _glass_item(self) -> tuple[str | None, int | None, bool, str] | None:
        rows = {i.row() for i in self.glass_table.selectedIndexes()}
        if len(rows) != 1:
            return None
        (r,) = rows
        return self._glass_items[r] if 0 <= r < len(self._glass_items) else None

    def mark_glass_reviewed(self) -> None:
        """The selected opening marked reviewed: on the network worker with a shared server
        (an opening made elsewhere is checked there first; one made here is marked even
        while the server is away, and waits), on the writer for a workstation alone."""
        item = self._glass_item()
        if item is None or item[1] is None:
            return
        ws, opening, _reviewed, computer = item
        self._glass_marking = f"{opening} ({computer})" if computer else str(opening)
        self.glass_mark.setEnabled(False)
        if self.glass_shared:
            self.runner.network.submit(
                audit_app.mark_reviewed,
                self.session,
                opening,
                ws,
                done=self._glass_marked,
                failed=self._glass_mark_failed,
                owner=self,
            )
        else:
            self.runner.submit(
                app_actions.mark_break_glass_reviewed,
                self.session,
                opening,
                done=self._glass_marked,
                failed=self._glass_mark_failed,
                owner=self,
            )

    def _glass_marked(self, done) -> None:  # noqa: ANN001 - core.services.Reviewed
        which = f"Break-glass opening {self._glass_marking or done.opening}"
        if not done.new:
            self.message.setText(
                f"{which} was already reviewed by {done.by} on {self._when(done.at)}."
            )
        elif done.mark is not None and not done.on_server:
            self.message.setText(
                f"{which} marked reviewed. The clinic's shared server cannot be reached just "
                "now: the mark waits on this computer and goes when it is back."
            )
        else:
            self.message.setText(f"{which} marked reviewed.")
        self.refresh_glass()

    def _glass_mark_failed(self, exc: BaseException) -> None:
        self.message.setText(plain_error(exc))
        self._glass_selected()

    def _fill_glass(self, rows: list[list[str]]) -> None:
        t = self.glass_table
        t.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                item = QTableWidgetItem(value)
                item.setToolTip(value)  # a long reason or review, cut short in a narrow window
                t.setItem(r, c, item)
        t.resizeColumnsToContents()
        t.clearSelection()
        self._glass_selected()
        self.tabs.setTabText(
            self.tabs.indexOf(self.glass_page), f"Break-glass review ({len(rows)})"
        )
