"""The main window: views and filters on the left, the board in the middle,
the open conversation on the right, sync status at the bottom."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from clinic_inbox.core import app_actions, app_loads, app_reads, services, views
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.changes import Changes
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Category, Priority, Role, Source, Staff, Status
from clinic_inbox.ui.actions import ActionRunner, Runner, plain_error
from clinic_inbox.ui.board import BoardWidget, TeamList
from clinic_inbox.ui.offline_banner import OfflineBanner
from clinic_inbox.ui.thread_panel import ThreadPanel

if TYPE_CHECKING:
    from clinic_inbox.sources.sync import RunReport

IDLE_MINUTES = float(os.environ.get("CLINIC_INBOX_IDLE_MINUTES", "5"))
# The board loads every open conversation but only the latest finished ones (search finds all).
DONE_ON_BOARD = 300
# A sync's changes are gathered this long and applied as one (a burst is one repaint).
COALESCE_MS = 150
# A burst of changed conversations is read this many at a time (on the reader thread),
# and each batch read is applied CARDS_PER_TURN cards per turn of the event loop, so the
# window keeps answering while a large sync lands (10,000 new cards at the size).
CARDS_AT_ONCE = 100
CARDS_PER_TURN = 25


class SyncBridge(QObject):
    """Carries results from the sync thread to the main thread (queued signal)."""

    report = Signal(object, object)
    progress = Signal(str, int, int)


class MainWindow(QMainWindow):
    locked_changed = Signal(bool)
    logout_requested = Signal()

    def __init__(
        self, clinic: Clinic, session: services.Session, runner: Runner | None = None
    ) -> None:
        super().__init__()
        self.clinic, self.session = clinic, session
        # every action runs on one writer thread; the window only reads (and never waits)
        self._own_runner = runner is None
        self.runner: Runner = runner if runner is not None else ActionRunner(clinic, self)
        self._changes_slot: object = self._local_changes  # kept to disconnect the same one
        self.runner.changed.connect(self._changes_slot)
        self.runner.session_ended.connect(self._signed_out)  # "Your session ended"
        # the reads that follow a change (cards, counts) on a connection of their own, so
        # a repaint never waits behind the next actions queued for the writer (tests'
        # inline runner reads inline)
        self.reader: Runner = (
            ActionRunner(clinic, self, name="reader")
            if isinstance(self.runner, ActionRunner)
            else self.runner
        )
        # an action's own cards come back with its answer (ui/actions.py: one hop)
        self.runner.read_after = self._read_after  # the runner outlives this window
        self._fresh_at: dict[int, int] = {}  # cards painted from an answer, how many times
        self.demo = False  # the demo clinic (replies never sent): read on the runner below
        self._queued = 0  # replies waiting to be sent, as last read on the runner
        self.locked = False
        self._cards: dict[int, services.BoardThread] = {}  # what the board knows, by id
        self._counts: dict[views.View, int] = dict.fromkeys(views.View, 0)
        self._incoming: Changes | None = None  # sync changes waiting for the timer
        self.other_offline: dict[str, str] = {}  # sources beside the mail sync's, away
        self._backlog: dict[int, None] = {}  # changed cards not yet applied, in order
        self._draining = False  # a batch of the backlog is being read on the runner
        self._reading: dict[int, int] = {}  # cards being read again: how many reads pending
        self._select_after: int | None = None  # a card to select once its read is painted
        self._coalesce = QTimer(self)
        self._coalesce.setSingleShot(True)
        self._coalesce.setInterval(COALESCE_MS)
        self._coalesce.timeout.connect(self._apply_incoming)
        self._loading = self._load_again = False  # a full read of the board on the runner
        self._changed_while_loading: set[int] = set()
        self.view = views.View.MINE if session.staff.role is Role.PHYSICIAN else views.View.ALL
        self.setWindowTitle(f"Clinic Inbox — {clinic.config.name}")
        self.resize(1440, 880)

        # left: views with counts, filters
        self.views = QListWidget()
        self.views.setAccessibleName("Views")
        self.views.setMaximumWidth(230)
        for v in views.View:
            item = QListWidgetItem(v.label)
            item.setData(Qt.ItemDataRole.UserRole, v)
            self.views.addItem(item)
        self.views.currentRowChanged.connect(self._view_changed)
        self.physician = QComboBox()
        self.physician.addItem("All physicians", None)
        self.category = QComboBox()
        self.category.addItem("All categories", None)
        for c in Category:
            self.category.addItem(c.label, c)
        self.priority = QComboBox()
        self.priority.addItem("All priorities", None)
        for p in Priority:
            self.priority.addItem(p.label, p)
        self.source = QComboBox()
        self.source.addItem("Email and portal", None)
        self.source.addItem("Email", Source.EMAIL)
        self.source.addItem("Portal", Source.PORTAL)
        for combo, name in (
            (self.physician, "Physician filter"),
            (self.category, "Category filter"),
            (self.priority, "Priority filter"),
            (self.source, "Source filter"),
        ):
            combo.setAccessibleName(name)
            combo.currentIndexChanged.connect(self.apply_filters)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(QLabel("<b>Views</b>"))
        ll.addWidget(self.views, 1)
        ll.addWidget(QLabel("<b>Filters</b>"))
        for w in (self.physician, self.category, self.priority, self.source):
            ll.addWidget(w)
        ll.addWidget(QLabel("<b>Team</b> — drop a card to assign"))
        self.team = TeamList([])  # filled with the physician filter when read on the runner
        self.team.setMaximumHeight(190)
        self.team.assign_dropped.connect(self._assign_dropped)
        ll.addWidget(self.team)

        self.board = BoardWidget()
        self.board.open_thread.connect(self.open_thread)
        self.board.status_dropped.connect(self._dropped)
        self.panel = ThreadPanel(clinic, session, self.runner)

        split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.board)
        split.addWidget(self.panel)
        split.setStretchFactor(1, 3)
        split.setStretchFactor(2, 2)
        split.setSizes([210, 820, 420])

        self.lock_screen = QLabel(
            "Locked to protect patient information.\nEnter your password to continue."
        )
        self.lock_screen.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.lock_screen.setAccessibleName("Locked")
        self.banner = OfflineBanner()
        self.banner.retry.connect(lambda: self.retry.trigger())
        work = QWidget()
        wl = QVBoxLayout(work)
        wl.setContentsMargins(0, 0, 0, 0)
        wl.addWidget(self.banner)
        wl.addWidget(split, 1)
        self.stack = QStackedWidget()
        self.stack.addWidget(work)
        self.stack.addWidget(self.lock_screen)
        self.setCentralWidget(self.stack)

        # toolbar: who is here, search, actions
        bar = QToolBar("Main")
        bar.setMovable(False)
        self.addToolBar(bar)
        who = QLabel(f"  {session.staff.display_name} · {session.staff.role.value}  ")
        who.setAccessibleName("Signed in as")
        bar.addWidget(who)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search messages, patients…  (Ctrl+F)")
        self.search.setAccessibleName("Search")
        self.search.setClearButtonEnabled(True)
        self.search.setMaximumWidth(420)
        self.search.returnPressed.connect(self.refresh)
        self.search.textChanged.connect(lambda t: self.refresh() if not t else None)
        bar.addWidget(self.search)
        bar.addSeparator()
        self.retry = QAction("Sync now", self)
        self.lock_action = QAction("Lock", self)
        self.logout_action = QAction("Sign out", self)
        self.dashboard_action = QAction("Dashboard", self)
        self.dashboard_action.triggered.connect(self.show_dashboard)
        for a in (self.retry, self.dashboard_action, self.lock_action, self.logout_action):
            bar.addAction(a)
        if session.staff.role is not Role.ADMIN:
            self.compose_action = QAction("New message", self)
            self.compose_action.triggered.connect(self.open_compose)
            bar.addAction(self.compose_action)
        if session.staff.role in (Role.PHYSICIAN, Role.NURSE):
            from clinic_inbox.ui import batch_file

            self.file_shown_action = QAction("File shown to chart…", self)
            self.file_shown_action.triggered.connect(lambda: batch_file.ask_and_file(self))
            bar.addAction(self.file_shown_action)
        self.patients_action = QAction("Patients", self)
        self.patients_action.triggered.connect(self.open_patients)
        bar.addAction(self.patients_action)
        if session.staff.role in (Role.PHYSICIAN, Role.ADMIN):
            self.delegations_action = QAction("Delegations", self)
            self.delegations_action.triggered.connect(self.open_delegations)
            bar.addAction(self.delegations_action)
            self.absences_action = QAction("Absences", self)
            self.absences_action.triggered.connect(self.open_absences)
            bar.addAction(self.absences_action)
        if session.staff.role is Role.ADMIN:
            self.admin_action = QAction("Administration", self)
            self.admin_action.triggered.connect(self.open_admin)
            bar.addAction(self.admin_action)
            self.settings_action = QAction("Settings", self)  # ui/settings.py
            self.settings_action.triggered.connect(self.open_settings)
            bar.addAction(self.settings_action)
        self.lock_action.triggered.connect(self.lock)
        self.logout_action.triggered.connect(self.logout_requested)

        self.status_text = QLabel("")
        self.sync_text = QLabel("")
        self.statusBar().addWidget(self.status_text, 1)
        self.statusBar().addPermanentWidget(self.sync_text)
        from clinic_inbox.core.clinic_setup import identity_problems

        for problem in identity_problems(clinic.config):  # an older clinic, not set up fully
            self.status_text.setText(problem)
        self.offline = False

        self._shortcuts()
        self.idle = QTimer(self)
        self.idle.setSingleShot(True)
        self.idle.setInterval(int(IDLE_MINUTES * 60_000))
        self.idle.timeout.connect(self.lock)
        self.idle.start()
        QApplication.instance().installEventFilter(self)
        self.views.setCurrentRow(list(views.View).index(self.view))
        # the team, the demo flag and the outbox count, then the board: read on the runner
        self.reader.submit(app_loads.window_facts, done=self._facts_read, owner=self)
        self.refresh()

    # -- keyboard ------------------------------------------------------------------
    def _shortcuts(self) -> None:
        def sc(keys: str, fn) -> None:  # noqa: ANN001
            QShortcut(QKeySequence(keys), self, activated=fn)

        for keys, _words, fn in self._shortcut_table():
            if fn is not None:
                sc(keys, fn)

    def _shortcut_table(self) -> list[tuple[str, str, object]]:
        """Every shortcut with the words the F1 list shows for it."""
        table: list[tuple[str, str, object]] = [
            ("J", "Next conversation", lambda: self.board.move_selection(1)),
            ("K", "Previous conversation", lambda: self.board.move_selection(-1)),
            # the board's own Enter (a window-wide one would take Enter from text boxes)
            ("Return", "Open the selected conversation", None),
            ("Ctrl+F", "Search", self.search.setFocus),
            ("Ctrl+R", "Write a reply", lambda: self._in_panel(self.panel.reply.setFocus)),
            ("Ctrl+Shift+A", "Assign to…", lambda: self._in_panel(self._pop(self.panel.assign))),
            ("Ctrl+Shift+M", "Assign to me", self._assign_selected_to_me),
            (
                "Ctrl+Shift+P",
                "Change priority…",
                lambda: self._in_panel(self._pop(self.panel.priority)),
            ),
        ]
        for i, s in enumerate(Status, start=1):
            table.append(
                (f"Alt+{i}", f"Move to “{s.label}”", lambda s=s: self._set_status_selected(s))
            )
        table += [
            ("F5", "Refresh the board", self.refresh),
            ("Ctrl+L", "Lock the screen", self.lock),
            ("Ctrl+Q", "Quit", self.close),
            ("F1", "This list of shortcuts", self.show_shortcuts),
        ]
        return table

    def show_shortcuts(self) -> None:
        rows = "".join(
            f"<tr><td><b>{QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText)}"
            f"</b>&nbsp;&nbsp;</td><td>{words}</td></tr>"
            for k, words, _ in self._shortcut_table()
        )
        self.shortcuts_box = QMessageBox(self)
        self.shortcuts_box.setWindowTitle("Keyboard shortcuts")
        self.shortcuts_box.setText(f"<table>{rows}</table>")
        self.shortcuts_box.open()

    @staticmethod
    def _pop(combo) -> object:  # noqa: ANN001
        def go() -> None:
            combo.setFocus()
            if combo.isEnabled():
                combo.showPopup()

        return go

    def _in_panel(self, action) -> None:  # noqa: ANN001
        """Open the selected conversation if it is not open yet, then act in the panel."""
        tid = self.board.selected_thread()
        if tid is not None and self.panel.thread_id != tid:
            self.open_thread(tid)
        if self.panel.thread_id is not None:
            action()

    def _assign_selected_to_me(self) -> None:
        tid = self.board.selected_thread()
        if tid is not None:
            self._assign_dropped(tid, self.session.staff.id)

    def _set_status_selected(self, status: Status) -> None:
        tid = self.board.selected_thread()
        if tid is not None:
            self._dropped(tid, status)

    # -- data ----------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the whole board again (F5, a search, after the lock, an access change).

        The read runs on the runner, never here: a large board (or one behind a sync's
        writes) would freeze the window. One read at a time; asked again meanwhile, it
        runs once more when the first answers."""
        if self.locked:
            return
        if self._loading:
            self._load_again = True
            return
        flt = app_reads.ThreadFilter(
            search=self.search.text().strip() or None, done_limit=DONE_ON_BOARD
        )
        self._loading, self._load_again = True, False
        self._changed_while_loading = set()
        # a search is a person's act (it may be audited): the writer's, like the others
        read = app_actions.search_board if flt.search else app_loads.board
        self.runner.submit(
            read,
            self.session,
            flt,
            done=self._board_read,
            failed=self._not_loaded,
            owner=self,
        )

    @property
    def loading(self) -> bool:
        """A full read of the board is under way (the cards shown may be the old ones)."""
        return self._loading

    def _board_read(self, answer: object) -> None:
        self._loading = False
        if isinstance(answer, app_loads.BoardLoad):
            self._uncovered = answer.uncovered
            threads = answer.threads
        else:
            threads = answer  # type: ignore[assignment]  # a search: the cards found
        self._loaded(threads)
        # cards changed after the read began may be newer here than in the answer
        again, self._changed_while_loading = self._changed_while_loading, set()
        if self._load_again:
            self.refresh()
        elif again:
            self.apply_changes(Changes.of_threads(again), panel=False)

    def _searching(self) -> bool:
        return bool(self.search.text().strip())

    def _not_loaded(self, exc: BaseException) -> None:
        self._loading = False
        if isinstance(exc, AccessDenied):
            self._signed_out(exc)
            return
        QMessageBox.warning(
            self, "Not searched" if self._searching() else "Board not read", plain_error(exc)
        )
        if self._load_again:
            self.refresh()

    def _loaded(self, threads: list[services.BoardThread]) -> None:
        if self.locked:
            return
        done = sum(1 for b in threads if b.row.status is Status.DONE)
        self._done_capped = done >= DONE_ON_BOARD
        self._cards = {b.row.id: b for b in threads}
        self._backlog.clear()  # everything was just read
        self._counts = views.counts(threads, self.session.staff)
        self._show_counts()
        self.apply_filters()

    def _signed_out(self, exc: Exception) -> None:
        if getattr(self, "_ended", False):  # one notice, whichever path saw it first
            return
        self._ended = True
        QMessageBox.warning(self, "Signed out", str(exc))
        self.logout_requested.emit()

    def _show_counts(self) -> None:
        for i in range(self.views.count()):
            item = self.views.item(i)
            v = views.View(item.data(Qt.ItemDataRole.UserRole))  # Qt hands back a plain str
            item.setText(f"{v.label}  ({self._counts[v]:,})")

    # -- what changed -------------------------------------------------------------------
    def post_changes(self, changes: Changes) -> None:
        """Changes from the sync (later the shared queue): gathered for a moment, then
        applied at once, so a burst of new mail is one repaint, not hundreds."""
        self._incoming = changes if self._incoming is None else self._incoming | changes
        if not self._coalesce.isActive():
            self._coalesce.start()

    def _apply_incoming(self) -> None:
        changes, self._incoming = self._incoming, None
        if changes:
            self.apply_changes(changes)

    def _local_changes(self, changes: Changes) -> None:
        # the cards read with the answer, if it brought them for this person's board
        mine, fresh = self.runner.fresh or (None, None)
        if mine == self.session.id and fresh and not self.locked and not self._busy():
            self._cards_read_with_answer(fresh)
            changes = replace(changes, threads=changes.threads - set(fresh))
        self.apply_changes(changes, panel=False)  # the panel hears the runner itself

    def apply_changes(self, changes: Changes, *, panel: bool = True) -> None:
        """Refresh only what `changes` names: those cards, the counts, the open
        conversation, the outbox line. Everything else stays as it is."""
        if self.locked:
            return  # unlocking reads everything again
        if changes.staff:
            self._reload_team()
        if changes.whole_board:
            self.refresh()  # every card's access may differ
        elif changes.threads:
            ids = changes.threads
            if self._loading:  # the board being read may be older than these changes
                self._changed_while_loading.update(ids)
            if self.search.text().strip():
                # search results: the cards found follow their changes; new matches come
                # with the next search (running it again would record a search each time)
                ids = frozenset(i for i in ids if i in self._cards)
            if len(ids) <= CARDS_AT_ONCE:
                # a person's action (or a small sync): at once, even while a burst drains
                for tid in ids:
                    self._backlog.pop(tid, None)
                if ids:
                    self._update_cards(sorted(ids))
            else:
                self._backlog.update(dict.fromkeys(sorted(ids)))
                if not self._draining:
                    self._drain()
        if changes.outbox:
            self._read_waiting()
        if panel:
            self.panel.on_changes(changes)

    def _drain(self) -> None:
        """Read the next batch of changed cards; the one after it once this one is painted,
        so a person's action waits behind one batch at most, never the whole burst."""
        if self.locked or not self._backlog:
            self._backlog.clear()
            self._draining = False
            return
        batch = list(self._backlog)[:CARDS_AT_ONCE]
        for tid in batch:
            del self._backlog[tid]
        self._draining = True
        self._update_cards(batch, then=self._drain)

    def _update_cards(self, thread_ids: list[int], then: Callable[[], None] | None = None) -> None:
        """Read these cards again on the runner; they are repainted when the answer comes
        (then `then` runs, on a later turn of the event loop)."""

        for tid in thread_ids:
            self._reading[tid] = self._reading.get(tid, 0) + 1
        marks = {tid: self._fresh_at.get(tid, 0) for tid in thread_ids}

        def read(fresh: dict[int, services.BoardThread | None]) -> None:
            items = list(fresh.items())

            def apply(start: int) -> None:
                # CARDS_PER_TURN of them, the next ones on a later turn of the event loop
                # (painted in between): a batch of a hundred new cards held the loop for
                # tens of ms at once on a busy computer
                part = dict(items[start : start + CARDS_PER_TURN])
                # a card an action's answer painted since this read began: which of the
                # two is newer is not known, so it is read once more (rare)
                again = [t for t in part if self._fresh_at.get(t, 0) != marks.get(t, 0)]
                self._read_done(again)
                self._cards_read({t: b for t, b in part.items() if t not in again})
                if again:
                    self._update_cards(again)
                if start + CARDS_PER_TURN < len(items):
                    QTimer.singleShot(0, self, lambda: apply(start + CARDS_PER_TURN))
                elif then is not None:
                    QTimer.singleShot(0, self, then)

            apply(0)

        def not_read(exc: BaseException) -> None:
            self._read_done(thread_ids)
            self._cards_not_read(exc)
            if then is not None:
                QTimer.singleShot(0, then)

        self.reader.submit(
            app_loads.cards, self.session, thread_ids, done=read, failed=not_read, owner=self
        )

    def _read_after(self, clinic: Clinic, ids: frozenset[int]) -> tuple[str, dict]:
        """On the writer, right after an action: its cards, as this person sees them."""
        return self.session.id, app_loads.cards(clinic, self.session, sorted(ids)).value

    def _busy(self) -> bool:
        """The whole board is being read, or a search shown: cards follow the usual way."""
        return self._loading or self._searching()

    def _cards_read_with_answer(self, fresh: dict[int, services.BoardThread | None]) -> None:
        """An action's own cards, read on the writer with its answer: painted now."""
        for tid in fresh:
            self._backlog.pop(tid, None)  # a burst waiting to be read need not read it
            self._fresh_at[tid] = self._fresh_at.get(tid, 0) + 1
            self._reading[tid] = self._reading.get(tid, 0) + 1  # _cards_read counts it done
        self._cards_read(fresh)

    def _cards_not_read(self, exc: BaseException) -> None:
        if isinstance(exc, AccessDenied):
            self._signed_out(exc)
        else:  # the cards shown stay as they were; F5 reads the board again
            self.statusBar().showMessage(
                "Some conversations changed but could not be shown just now: press F5.", 30_000
            )

    def _read_done(self, thread_ids: Iterable[int]) -> None:
        for tid in thread_ids:
            left = self._reading.pop(tid, 1) - 1
            if left > 0:
                self._reading[tid] = left

    def _select_when_read(self, thread_id: int) -> None:
        """An action's card, selected where it is now and again where its fresh read puts
        it (a status change moves it to another column, read after the answer)."""
        self.board.select(thread_id)
        self._select_after = thread_id if thread_id in self._reading else None

    def _cards_read(self, fresh: dict[int, services.BoardThread | None]) -> None:
        self._read_done(fresh)
        if self.locked:
            return  # unlocking reads everything again
        me, f = self.session.staff, self._filters()
        shown: dict[int, services.BoardThread | None] = {}
        for tid, new in fresh.items():
            old = self._cards.pop(tid, None)
            if old is not None:
                for v, n in views.counts([old], me).items():
                    self._counts[v] -= n
            if new is not None:
                self._cards[tid] = new
                for v, n in views.counts([new], me).items():
                    self._counts[v] += n
            visible = new is not None and views.in_view(new, self.view, me)
            shown[tid] = new if visible and views.passes(new, f) else None
        self._show_counts()
        self.board.update_cards(shown)
        self._update_status_text()
        if self._select_after in fresh and self._select_after not in self._reading:
            self.board.select(self._select_after)
            self._select_after = None

    def _facts_read(self, facts: app_loads.WindowFacts) -> None:
        self.demo, self._queued = facts.demo, facts.replies_waiting
        self._show_team(facts.team)
        self._update_sync_text()

    def _read_waiting(self) -> None:
        """The outbox changed: its count is read on the runner, then shown."""

        def show(queued: int) -> None:
            self._queued = queued
            self._update_sync_text()

        self.reader.submit(app_loads.replies_waiting, done=show, owner=self)

    def _reload_team(self) -> None:
        """Staff added, disabled or renamed: the team list and the physician filter, read
        on the runner."""
        self.runner.submit(app_loads.team, done=self._show_team, owner=self)

    def _show_team(self, team: list[Staff]) -> None:
        self.team.set_staff(team)
        chosen = self.physician.currentData()
        self.physician.blockSignals(True)
        while self.physician.count() > 1:
            self.physician.removeItem(1)
        for s in team:
            if s.role is Role.PHYSICIAN:
                self.physician.addItem(s.display_name, s.id)
        self.physician.setCurrentIndex(max(self.physician.findData(chosen), 0))
        self.physician.blockSignals(False)

    def _filters(self) -> views.Filters:
        # Qt hands enum data back as plain strings: turn them back into enums
        cat, pri, src = (c.currentData() for c in (self.category, self.priority, self.source))
        return views.Filters(
            physician_id=self.physician.currentData(),
            category=Category(cat) if cat else None,
            priority=Priority(pri) if pri else None,
            source=Source(src) if src else None,
        )

    def apply_filters(self) -> None:
        f, me = self._filters(), self.session.staff
        shown = [
            b
            for b in self._cards.values()
            if views.in_view(b, self.view, me) and views.passes(b, f)
        ]
        self.board.set_threads(shown, done_capped=getattr(self, "_done_capped", False))
        self._update_status_text()

    def _update_status_text(self) -> None:
        # counted by the columns as cards come and go: this runs after every batch of
        # changed cards and every action, and the board may hold tens of thousands
        cols = self.board.columns
        shown = sum(len(c.model.rows) for c in cols.values())
        urgent = sum(c.model.urgent for s, c in cols.items() if s is not Status.DONE)
        now = datetime.now(UTC)
        overdue = sum(
            c.model.overdue(now) for s, c in cols.items() if s not in (Status.DONE, Status.WAITING)
        )
        warn = getattr(self, "_uncovered", "")
        self.status_text.setText(
            (f"⚠ {warn} — " if warn else "")
            + f"{shown:,} conversations shown · {urgent} urgent open · {overdue} overdue"
        )
        self._update_sync_text()

    def _view_changed(self, row: int) -> None:
        item = self.views.item(row)
        if item is not None:
            self.view = views.View(item.data(Qt.ItemDataRole.UserRole))
            self.apply_filters()

    def open_thread(self, thread_id: int) -> None:
        if not self.locked:
            self.panel.show_thread(thread_id)

    def _warn(self, title: str):  # noqa: ANN202
        return lambda exc: QMessageBox.warning(self, title, plain_error(exc))

    def _dropped(self, thread_id: int, status: Status) -> None:
        self.runner.submit(
            app_actions.set_status,
            self.session,
            thread_id,
            status,
            done=lambda _: self._select_when_read(thread_id),
            failed=self._warn("Not moved"),
            owner=self,
        )

    def _assign_dropped(self, thread_id: int, staff_id: int | None) -> None:
        self.runner.submit(
            app_actions.assign,
            self.session,
            thread_id,
            staff_id,
            done=lambda _: self._select_when_read(thread_id),
            failed=self._warn("Not assigned"),
            owner=self,
        )

    def show_dashboard(self) -> None:
        """Toggle between the board and the dashboard (counts only, no contents)."""
        from clinic_inbox.ui.dashboard import DashboardWidget

        if self.locked:
            return
        if self.stack.count() > 2:
            old = self.stack.widget(2)
            self.stack.removeWidget(old)
            old.deleteLater()
            self.stack.setCurrentIndex(0)
            return

        def show(data: object) -> None:
            if self.locked or self.stack.count() > 2:
                return
            view = DashboardWidget(data)  # type: ignore[arg-type]
            self.stack.addWidget(view)
            self.stack.setCurrentWidget(view)

        # the counts read the whole store: on the writer's connection, not here
        self.runner.submit(
            app_actions.dashboard, done=show, failed=self._warn("No dashboard"), owner=self
        )

    def open_delegations(self) -> None:
        from clinic_inbox.ui.delegations import DelegationsDialog

        if not self.locked:
            # its grants and revokes come back as changes of access: the board is read again
            self.delegations_dialog = DelegationsDialog(
                self.clinic, self.session, self, runner=self.runner
            )
            self.delegations_dialog.exec()

    def open_compose(self) -> None:
        from clinic_inbox.ui.compose import ComposeDialog

        if not self.locked:
            self.compose_dialog = ComposeDialog(self.clinic, self.session, self, runner=self.runner)
            if self.compose_dialog.exec():
                self.refresh()

    def open_absences(self) -> None:
        from clinic_inbox.ui.absences import AbsencesDialog

        if not self.locked:
            AbsencesDialog(self.clinic, self.session, self, runner=self.runner).exec()

    def open_patients(self) -> None:
        from clinic_inbox.ui.patients import PatientsDialog

        self.patients_dialog = PatientsDialog(self.clinic, self.session, self, self.runner)
        self.patients_dialog.exec()

    def open_admin(self) -> None:
        from clinic_inbox.ui.admin import AdminDialog

        AdminDialog(self.clinic, self.session, self, runner=self.runner).exec()

    def open_settings(self) -> None:
        from clinic_inbox.ui.settings import SettingsDialog

        SettingsDialog(self.clinic, self.session, self, runner=self.runner).exec()

    # -- sync status -----------------------------------------------------------------
    def _update_sync_text(self, status: object | None = None) -> None:
        if status is None:
            status = getattr(self, "_last_status", None)
        self._last_status = status
        queued = self._queued  # read on the runner (_read_waiting), never here
        offline = dict(getattr(status, "offline", None) or {})  # account -> plain reason
        offline.update(self.other_offline)  # e.g. the clinic's shared server
        parts = []
        if offline:
            parts.append("Offline")  # the banner above the board says which source and why
        replies = "1 reply" if queued == 1 else f"{queued} replies"
        if queued and self.demo:
            parts.append(f"{replies} queued (demo: nothing is sent)")
        elif queued:
            parts.append(f"{replies} waiting to be sent")
        tz = self.clinic.config.tz
        last = getattr(status, "last_sync_at", None)
        parts.append(f"Last sync {last.astimezone(tz):%H:%M}" if last else "Not synced yet")
        self.sync_text.setText("  ·  ".join(parts))
        style = "color: #c62828; font-weight: bold;" if offline else ""
        if self.sync_text.styleSheet() != style:  # setting it again polishes it again
            self.sync_text.setStyleSheet(style)
        # a clock time, not a countdown that would be stale a minute later
        wait = float(getattr(status, "next_try_in", 0.0) or 0.0)
        next_at = f"{datetime.now(tz) + timedelta(seconds=wait):%H:%M}" if wait >= 1 else None
        self.banner.show_status(offline, queued, next_at)

    def set_offline(self, source: str, reason: str | None) -> None:
        """A source the mail sync does not know (the shared server) is away (a reason)
        or back (None): the same banner says so."""
        if reason:
            self.other_offline[source] = reason
        else:
            self.other_offline.pop(source, None)
        self._update_sync_text()

    def on_sync_progress(self, account: str, done: int, total: int) -> None:
        """Shown while a sync runs: which account, how far."""
        if total and done < total:
            self.sync_text.setText(f"Syncing {account}: {done:,} of {total:,}…")

    def notify_urgent(self, count: int) -> str:
        """A desktop notification with no patient detail (screens are shared)."""
        from PySide6.QtGui import QIcon
        from PySide6.QtWidgets import QSystemTrayIcon

        text = f"{count} new URGENT message{'s' if count > 1 else ''}: open Clinic Inbox now."
        self.statusBar().showMessage(text, 60_000)
        QApplication.alert(self, 0)
        if QSystemTrayIcon.isSystemTrayAvailable():
            if not hasattr(self, "_tray"):
                self._tray = QSystemTrayIcon(QIcon.fromTheme("dialog-warning"), self)
                self._tray.show()
            self._tray.showMessage(
                "Clinic Inbox", text, QSystemTrayIcon.MessageIcon.Critical, 30_000
            )
        return text

    def on_sync_report(self, report: RunReport, status: object) -> None:
        urgent = sum(len(a.urgent) for a in report.accounts)
        if urgent:
            self.notify_urgent(urgent)
        self._update_sync_text(status)
        self.post_changes(report.changes)

    # -- lock --------------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() in (
            QEvent.Type.KeyPress,
            QEvent.Type.MouseButtonPress,
            QEvent.Type.MouseMove,
        ):
            if not self.locked:
                self.idle.start()
        return False

    def lock(self) -> None:
        """Hide every patient detail until the password is entered again."""
        if self.locked:
            return
        self.locked = True
        from PySide6.QtWidgets import QDialog

        from clinic_inbox.ui.thread_panel import ATTACHMENT_WINDOW

        for window in self.findChildren(QDialog, ATTACHMENT_WINDOW):
            window.close()  # an open scan or letter must not stay on screen
            window.deleteLater()
        if self.stack.count() > 2:
            old = self.stack.widget(2)
            self.stack.removeWidget(old)
            old.deleteLater()
        self.panel.clear()
        self.board.set_threads([])
        self.stack.setCurrentWidget(self.lock_screen)
        self.locked_changed.emit(True)

    def unlock(self, password: str) -> object:
        """Check the password on the writer; the window opens again when it is right."""

        def opened(_: object) -> None:
            self.locked = False
            self.stack.setCurrentIndex(0)
            self.idle.start()
            self.locked_changed.emit(False)
            self.refresh()

        return self.runner.submit(
            app_actions.reauthenticate, self.session, password, "unlock", done=opened, owner=self
        )

    def closeEvent(self, event) -> None:  # noqa: ANN001, N802
        QApplication.instance().removeEventFilter(self)
        # the runner outlives this session's window (the next person signs in with it)
        if self._changes_slot is not None:
            self.runner.changed.disconnect(self._changes_slot)
            self._changes_slot = None
            self.panel.detach()
        self._coalesce.stop()
        if self.runner.read_after == self._read_after:
            self.runner.read_after = None  # the next session's window sets its own
        if self.reader is not self.runner:
            self.reader.stop()
        if self._own_runner:
            self.runner.stop()
        super().closeEvent(event)
