"""The window never waits for the work it asks for, and repaints only what changed.

Real parts throughout: the demo clinic's SQLCipher store, the writer thread with its
own connection, a real Dovecot and the app's own sync loop for the sync test."""

from __future__ import annotations

import os
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtWidgets import QApplication

from clinic_inbox.core import audit, services, views
from clinic_inbox.core.model import Direction, Priority, Role, Source, Status
from clinic_inbox.core.store import queries as q
from clinic_inbox.ui.actions import ActionRunner, InlineRunner
from clinic_inbox.ui.board import BoardRole, CardDelegate
from clinic_inbox.ui.login import LoginDialog
from clinic_inbox.ui.main_window import MainWindow


class CountingDelegate(CardDelegate):
    """Paints like the board's own delegate and counts which cards it painted."""

    def __init__(self, parent, painted: Counter) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.painted = painted

    def paint(self, p, option, index) -> None:  # noqa: ANN001
        b = index.data(BoardRole)
        if b is not None:
            self.painted[b.row.id] += 1
        super().paint(p, option, index)


def _window(qtbot, clinic, user="dr.patel", runner=None, password="demo"):
    session = services.login(clinic, user, password)
    win = MainWindow(clinic, session, runner or InlineRunner(clinic))
    qtbot.addWidget(win)
    win.resize(1600, 940)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: not win.loading, timeout=30_000)  # the board is read on the runner
    return win


def _cards(win):
    return [b for col in win.board.columns.values() for b in col.model.rows]


def _count(win, view: views.View) -> int:
    """The number a view shows beside its name: "Team pool  (84)"."""
    text = win.views.item(list(views.View).index(view)).text()
    return int(text.rsplit("(", 1)[1].rstrip(")").replace(",", ""))


def _settle(qtbot) -> None:
    for _ in range(3):
        QApplication.processEvents()
        qtbot.wait(30)


class Ticks:
    """A 10 ms timer on the GUI thread: how often it ran, and its longest gap."""

    def __init__(self) -> None:
        self.count = 0
        self.longest = 0
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setInterval(10)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._clock.start()
        self._timer.start()

    def _tick(self) -> None:
        self.count += 1
        self.longest = max(self.longest, self._clock.restart())

    def stop(self) -> None:
        self._timer.stop()


def test_the_sign_in_slow_down_does_not_block_the_event_loop(qtbot, demo_clinic):
    admin = services.login(demo_clinic, "admin", "demo")
    services.add_staff(
        demo_clinic, admin, "slow.desk", "Sam Slow", Role.RECEPTIONIST, "plum harbor socket tundra"
    )
    for _ in range(4):  # four wrong passwords: the next answer waits 1 s, as in real life
        try:
            services.login(demo_clinic, "slow.desk", "nope", sleep=lambda s: None)
        except services.AuthError:
            pass
    runner = ActionRunner(demo_clinic)
    try:
        dlg = LoginDialog(demo_clinic, runner=runner)  # the real sleep
        qtbot.addWidget(dlg)
        dlg.show()
        dlg.username.setText("slow.desk")
        dlg.password.setText("still wrong")
        ticks = Ticks()
        ticks.start()
        started = time.monotonic()
        dlg.try_login()
        assert dlg.checking and dlg.error.text() == "Checking…"
        dlg.try_login()  # a second click while checking asks nothing more
        qtbot.waitUntil(lambda: not dlg.checking, timeout=15_000)
        took = time.monotonic() - started
        ticks.stop()
        assert took >= 1.0, "the slow-down really ran"
        assert "not right" in dlg.error.text() and dlg.session is None
        # the GUI thread went on the whole time: ticks every ~10 ms, never a long stall
        # (relative to the wait, as the tests below: a blocked GUI thread stalls for all of
        # it; a loaded machine, or two test workers on two cores, stretches every tick)
        assert ticks.longest < took * 1000 / 2, (ticks.longest, took)
        assert ticks.count >= took * 1000 / 10 * 0.2, (ticks.count, took)
        failed = [e for e in audit.entries(demo_clinic.store) if e.action == "login.failed"]
        assert failed, "the refusal is audited as before"
    finally:
        runner.stop()


def test_a_change_repaints_only_its_card_and_its_counts(qtbot, demo_clinic):
    win = _window(qtbot, demo_clinic, "reception.moreau")
    win.views.setCurrentRow(list(views.View).index(views.View.ALL))
    painted: Counter = Counter()
    resets, moves = [], []
    for col in win.board.columns.values():
        col.view.setItemDelegate(CountingDelegate(col.view, painted))
        col.model.modelReset.connect(lambda: resets.append(1))
        col.model.rowsInserted.connect(lambda *a: moves.append("in"))
        col.model.rowsRemoved.connect(lambda *a: moves.append("out"))
    _settle(qtbot)
    assert painted, "the board was painted"
    # a card on screen, in the New column, that this receptionist may act on
    new_col = win.board.columns[Status.NEW]
    card = next(
        b.row for b in new_col.model.rows[:8] if b.decision.act and b.row.assigned_to_id is None
    )
    me = win.session.staff
    pool_before, mine_before = _count(win, views.View.POOL), _count(win, views.View.MINE)
    # the person has the card selected (as for Ctrl+Shift+M); selecting repaints a column
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=3000)
    assert win.board.select(card.id)
    _settle(qtbot)
    painted.clear()
    win._assign_dropped(card.id, me.id)
    _settle(qtbot)
    assert q.get_thread(demo_clinic.store, card.id).assigned_to_id == me.id
    assert not resets and not moves, "no column was reloaded, no card moved"
    assert set(painted) == {card.id}, f"only the changed card repainted, not {set(painted)}"
    row = new_col.model.rows[new_col.model.position(card.id)].row
    assert row.assigned_to == me.display_name
    assert _count(win, views.View.POOL) == pool_before - 1, "the view counts follow"
    assert _count(win, views.View.MINE) == mine_before + 1
    # a status change moves that one card between two columns, nothing is reset
    painted.clear()
    win._dropped(card.id, Status.IN_PROGRESS)
    _settle(qtbot)
    assert not resets and moves == ["out", "in"]
    assert new_col.model.position(card.id) is None
    assert win.board.columns[Status.IN_PROGRESS].model.position(card.id) is not None


def test_refreshing_the_open_conversation_writes_no_second_view(qtbot, demo_clinic):
    win = _window(qtbot, demo_clinic)
    own = [
        b.row
        for b in services.board(demo_clinic, win.session)
        if b.decision.via == "own" and b.decision.body and b.row.status is not Status.DONE
    ]
    tid = own[0].id

    def views_of() -> int:
        return sum(
            1
            for e in audit.entries(demo_clinic.store)
            if e.thread_id == tid and e.action == "thread.view"
        )

    before = views_of()
    win.open_thread(tid)
    assert views_of() == before + 1, "a person opening it is recorded"
    win.panel.reply.setPlainText("Called the pharmacy.")
    win.panel._note()  # the note's change reloads the open conversation
    assert "Called the pharmacy." in win.panel.view.toPlainText()
    win.panel.change_priority(Priority.SAME_DAY, "worse since this morning")
    assert views_of() == before + 1, "refreshes after changes are not new views"
    # a new message from the patient is something not yet seen: that refresh is recorded
    with demo_clinic.store.transaction():
        q.insert_message(
            demo_clinic.store,
            q.NewMessage(
                tid,
                Source.EMAIL,
                Direction.INBOUND,
                q.utcnow(),
                sender="patient@x.example",
                subject="More",
                body_text="It is getting worse",
                patient_id=q.get_thread(demo_clinic.store, tid).patient_id,
            ),
        )
    from clinic_inbox.core.changes import Changes

    win.apply_changes(Changes.of(tid))
    assert "It is getting worse" in win.panel.view.toPlainText()
    assert views_of() == before + 2


def test_sync_bursts_are_applied_once_per_tick(qtbot, demo_clinic):
    from clinic_inbox.core.changes import Changes

    win = _window(qtbot, demo_clinic)
    applied = []
    real = win.apply_changes
    win.apply_changes = lambda c: (applied.append(c), real(c))  # type: ignore[method-assign]
    ids = [b.row.id for b in _cards(win)[:30]]
    for tid in ids:
        win.post_changes(Changes.of(tid))
    assert not applied, "nothing is applied while the burst lasts"
    qtbot.waitUntil(lambda: bool(applied), timeout=3000)
    _settle(qtbot)
    assert len(applied) == 1 and applied[0].threads == frozenset(ids)


def test_an_action_during_a_running_sync_completes_without_waiting_for_it(
    qtbot, tmp_path, dovecot, secret_service
):
    from support.mailgen import corpus

    from clinic_inbox.core.accounts import ImapAccount
    from clinic_inbox.core.home import create_clinic
    from clinic_inbox.core.keys import KeyCustody
    from clinic_inbox.sources import sync
    from clinic_inbox.sources.background import SyncLoop
    from clinic_inbox.ui.main_window import SyncBridge

    user, password = "inbox@clinic.example", "mailbox-pw"
    dovecot.add_user(user, password)
    home = tmp_path / "clinic"
    clinic, _ = create_clinic(
        home, lambda p, c: "unused", KeyCustody(home, backend=secret_service.backend())
    )
    services.create_first_admin(clinic, "admin", "Alex Admin", "quartz lantern meadow violin")
    admin = services.login(clinic, "admin", "quartz lantern meadow violin")
    services.add_imap_account(
        clinic,
        admin,
        ImapAccount(
            name="Clinic email",
            host=dovecot.host,
            port=dovecot.port,
            username=user,
            security="none",
            from_address=user,
        ),
        password,
    )
    desk = services.add_staff(
        clinic, admin, "desk", "Dana Desk", Role.RECEPTIONIST, "kettle orbit maple frost"
    )
    old = datetime.now(UTC) - timedelta(days=3)  # from before today: no acknowledgements
    dovecot.deliver_many(user, corpus(20, seed=5), arrived=old)
    sync.run_once(clinic)
    dovecot.deliver_many(user, corpus(2500, seed=6, start=100), arrived=old)

    last_before = clinic.store.execute("SELECT max(id) FROM messages").fetchone()[0]
    runner = ActionRunner(clinic)
    win = _window(qtbot, clinic, "desk", runner, password="kettle orbit maple frost")
    win.views.setCurrentRow(list(views.View).index(views.View.ALL))
    card = next(b.row for b in _cards(win) if b.decision.act)
    bridge = SyncBridge()
    bridge.report.connect(win.on_sync_report)
    reports, progress = [], []
    bridge.report.connect(lambda r, s: reports.append(r))
    loop = SyncLoop(
        clinic,
        interval=3600,
        idle=False,
        on_report=lambda r, s: bridge.report.emit(r, s),
        on_progress=lambda a, d, t: progress.append(d),
    )
    ticks = Ticks()
    try:
        loop.start()
        # (the pass's process starts at a lower priority, as in the app: on a machine busy
        # with other work its first batch can take more than a minute to arrive)
        qtbot.waitUntil(lambda: bool(progress) and progress[-1] > 0, timeout=180_000)
        # the pass runs in a process of its own, as in the app (sources.sync_process)
        assert loop.process is not None and loop.process.pid not in (None, os.getpid())
        ticks.start()
        started = time.monotonic()
        win._assign_dropped(card.id, desk.id)

        def repainted() -> bool:
            col = win.board.columns[card.status].model
            i = col.position(card.id)
            return i is not None and col.rows[i].row.assigned_to == "Dana Desk"

        qtbot.waitUntil(repainted, timeout=30_000)
        took = time.monotonic() - started
        assert not reports, "the card was repainted while the sync was still running"
        assert took < 5.0, took
        qtbot.waitUntil(lambda: bool(reports), timeout=300_000)
        ticks.stop()
        # figures for the report (timing is not asserted on a shared machine)
        print(
            f"\nassign to repaint during a sync: {took * 1000:.0f} ms; "
            f"longest GUI stall while syncing: {ticks.longest} ms ({ticks.count} ticks)"
        )
        assert reports[0].stored == 2500
        # the report names every conversation the new messages joined, as typed changes
        joined = {
            r[0]
            for r in clinic.store.execute(
                "SELECT DISTINCT thread_id FROM messages WHERE id > ?", (last_before,)
            )
        }
        assert reports[0].changes.threads == joined and len(joined) > 100
        added = {
            r[0]
            for r in clinic.store.execute("SELECT id FROM messages WHERE id > ?", (last_before,))
        }
        assert reports[0].changes.messages == added and len(added) == 2500  # and each message
        # the sync's own burst then reaches the board in one go
        qtbot.waitUntil(lambda: len(_cards(win)) >= 2500, timeout=10_000)
    finally:
        loop.stop()
        runner.stop()
        win.close()
        clinic.close()


def test_filing_to_the_chart_runs_on_the_writer_and_answers_in_plain_words(
    qtbot, demo_clinic, tmp_path
):
    runner = ActionRunner(demo_clinic)
    try:
        win = _window(qtbot, demo_clinic, runner=runner)
        own = [b for b in services.board(demo_clinic, win.session) if b.decision.via == "own"]
        tid = own[0].row.id
        win.open_thread(tid)
        qtbot.waitUntil(lambda: win.panel.thread_id == tid, timeout=10_000)
        ticks = Ticks()
        ticks.start()
        win.panel.export_to(str(tmp_path), "demo")
        # the click returns at once: the password check and the three renderings run later
        assert win.panel.info.text() == "Filing to the chart…"
        qtbot.waitUntil(lambda: win.panel.info.text().startswith("Filed"), timeout=30_000)
        ticks.stop()
        assert ticks.count > 0, "the event loop ran while the chart copy was made"
        assert sorted(p.suffix for p in tmp_path.iterdir()) == [".hl7", ".json", ".pdf"]
        qtbot.waitUntil(lambda: "Filed to chart" in win.panel.view.toPlainText(), timeout=10_000)
        other = tmp_path / "refused"
        other.mkdir()
        win.panel.export_to(str(other), "not my password")
        qtbot.waitUntil(lambda: "not right" in win.panel.info.text(), timeout=30_000)
        assert not list(other.iterdir()), "nothing is written after a wrong password"
    finally:
        runner.stop()


def test_a_large_burst_is_applied_in_batches_between_turns_of_the_event_loop(qtbot, demo_clinic):
    from clinic_inbox.core.changes import Changes
    from clinic_inbox.ui.main_window import CARDS_AT_ONCE

    win = _window(qtbot, demo_clinic)
    win.views.setCurrentRow(list(views.View).index(views.View.ALL))
    ids = sorted(b.row.id for b in _cards(win))
    assert len(ids) > 2 * CARDS_AT_ONCE
    batches = []
    real = win._update_cards
    win._update_cards = lambda batch, **kw: (batches.append(len(batch)), real(batch, **kw))  # type: ignore[method-assign]
    before = {b.row.id: b for b in _cards(win)}
    win.apply_changes(Changes.of_threads(ids))  # as a sync that touched every conversation
    assert batches == [CARDS_AT_ONCE], "one batch now, the rest after the event loop's turn"
    # every batch asked for, and every card read and painted again: the last batch is
    # applied on later turns of the event loop after it was asked for (under load the
    # check ran between the two and saw old cards)
    qtbot.waitUntil(
        lambda: (
            sum(batches) == len(ids) and all(b is not before.get(b.row.id) for b in _cards(win))
        ),
        timeout=30_000,
    )
    assert max(batches) == CARDS_AT_ONCE and len(batches) == -(-len(ids) // CARDS_AT_ONCE)
    after = {b.row.id: b for b in _cards(win)}
    assert after.keys() == before.keys()
    assert all(after[i] is not before[i] for i in ids), "every card was read again"


def test_while_a_search_is_shown_changes_update_the_cards_found_and_add_none(qtbot, demo_clinic):
    from clinic_inbox.core.changes import Changes

    win = _window(qtbot, demo_clinic)
    win.views.setCurrentRow(list(views.View).index(views.View.ALL))
    win.search.setText("metformin")
    win.refresh()
    found = {b.row.id: b for b in _cards(win)}
    assert found
    other = next(
        b.row.id for b in services.board(demo_clinic, win.session) if b.row.id not in found
    )
    searches = []
    real = win.refresh
    win.refresh = lambda: (searches.append(1), real())  # type: ignore[method-assign]
    one = next(iter(found))
    win.apply_changes(Changes.of(one, other))
    after = {b.row.id: b for b in _cards(win)}
    assert after.keys() == found.keys(), "a conversation that changed elsewhere is not added"
    assert after[one] is not found[one], "the card found was read again"
    assert not searches, "the search is not run again by a change"


def test_an_action_is_repainted_at_once_even_while_a_burst_is_being_applied(qtbot, demo_clinic):
    from clinic_inbox.core.changes import Changes
    from clinic_inbox.ui.main_window import CARDS_AT_ONCE

    win = _window(qtbot, demo_clinic, "reception.moreau")
    win.views.setCurrentRow(list(views.View).index(views.View.ALL))
    ids = sorted(b.row.id for b in _cards(win))
    win.apply_changes(Changes.of_threads(ids))  # a sync's burst: batches still waiting
    assert len(win._backlog) == len(ids) - CARDS_AT_ONCE
    card = next(b.row for b in _cards(win) if b.decision.act and b.row.id in win._backlog)
    win._assign_dropped(card.id, win.session.staff.id)
    col = win.board.columns[card.status].model
    assert col.rows[col.position(card.id)].row.assigned_to == win.session.staff.display_name
    assert card.id not in win._backlog
    qtbot.waitUntil(lambda: not win._backlog, timeout=10_000)


def _slow_job(seconds: float):  # noqa: ANN202
    """An action that keeps the writer busy (as a large export or a busy disk would)."""
    from clinic_inbox.core.changes import Outcome

    def slow(clinic) -> Outcome:  # noqa: ANN001
        time.sleep(seconds)
        return Outcome()

    return slow


def test_a_full_reload_runs_on_the_runner_and_the_window_keeps_answering(qtbot, demo_clinic):
    runner = ActionRunner(demo_clinic)
    try:
        win = _window(qtbot, demo_clinic, runner=runner)
        win.views.setCurrentRow(list(views.View).index(views.View.ALL))
        shown = {b.row.id for b in _cards(win)}
        assert shown
        runner.submit(_slow_job(1.0))  # the writer is busy for a second
        ticks = Ticks()
        ticks.start()
        started = time.monotonic()
        win.refresh()  # F5: returns while the writer is still busy, the old cards stay
        assert win.loading and {b.row.id for b in _cards(win)} == shown
        win.refresh()  # pressed again while reading: one more read, not two
        qtbot.waitUntil(lambda: not win.loading, timeout=30_000)
        took = time.monotonic() - started
        ticks.stop()
        assert took >= 1.0, "the read waited behind the busy writer"
        # the event loop went on meanwhile (a read here would be one stall as long as it);
        # not a rate: on a loaded machine the GUI thread may wait for a core
        assert ticks.count >= 10 and ticks.longest < took * 1000 / 2, (ticks.longest, took)
        assert {b.row.id for b in _cards(win)} == shown
    finally:
        runner.stop()


def test_a_card_changed_while_the_board_is_read_keeps_its_change(qtbot, demo_clinic):
    """The board's read may be older than a change applied meanwhile: that card is
    read again when the board arrives, so the change is not painted over."""
    import threading

    from clinic_inbox.core.changes import Changes, Outcome

    runner = ActionRunner(demo_clinic)
    try:
        win = _window(qtbot, demo_clinic, "reception.moreau", runner=runner)
        win.views.setCurrentRow(list(views.View).index(views.View.ALL))
        card = next(b.row for b in _cards(win) if b.decision.act and b.row.assigned_to_id is None)
        win.refresh()
        # the writer reads the board, then starts the next job: the read is done, and its
        # answer waits in the event queue (this thread runs no event loop meanwhile)
        read_done = threading.Event()
        runner.submit(lambda clinic: (read_done.set(), Outcome())[1])
        assert read_done.wait(30)
        me = win.session.staff
        services.assign(demo_clinic, win.session, card.id, me.id)  # e.g. from another screen
        win.apply_changes(Changes.of(card.id))
        assert win.loading
        qtbot.waitUntil(lambda: not win.loading, timeout=30_000)
        _settle(qtbot)
        col = win.board.columns[card.status].model
        assert col.rows[col.position(card.id)].row.assigned_to == me.display_name
    finally:
        runner.stop()


def test_signing_out_runs_on_the_writer_while_the_event_loop_goes_on(qtbot, demo_clinic):
    from clinic_inbox.ui.app import sign_out, wait_for

    session = services.login(demo_clinic, "dr.patel", "demo")
    runner = ActionRunner(demo_clinic)
    try:
        runner.submit(_slow_job(0.5))  # a write still running when the person signs out
        ticks = Ticks()
        ticks.start()
        started = time.monotonic()
        job = runner.submit(sign_out, session)
        wait_for(job)
        took = time.monotonic() - started
        ticks.stop()
        assert job.ok and took >= 0.5
        assert ticks.count >= 5 and ticks.longest < took * 1000 / 2, (ticks.longest, took)
        last = [e for e in audit.entries(demo_clinic.store) if e.actor == "dr.patel"][-1]
        assert last.action == "logout"
    finally:
        runner.stop()


def test_marking_done_repaints_the_card_before_the_chart_copy_is_made(
    qtbot, demo_clinic, tmp_path, monkeypatch
):
    """Filing on done renders PDF files: the card moves first, the filing runs after as
    a job of its own. The rendering is the real one, made 1 s slower (a long exchange)."""
    from clinic_inbox.core import filing
    from clinic_inbox.core.store import sync_queries as sq

    real = filing.render_and_write

    def slow_render(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        time.sleep(1.0)
        return real(*args, **kwargs)

    monkeypatch.setattr(filing, "render_and_write", slow_render)
    toml = demo_clinic.home / "clinic.toml"
    before = toml.read_text() if toml.exists() else None
    chart = tmp_path / "chart"
    chart.mkdir()
    toml.write_text(
        (before or "") + f'\n[filing]\non_done = true\nformats = ["pdf"]\ndestination = "{chart}"\n'
    )
    runner = ActionRunner(demo_clinic)
    try:
        win = _window(qtbot, demo_clinic, "dr.patel", runner=runner)
        card = next(
            b.row
            for b in _cards(win)
            if b.decision.via == "own"
            and b.row.status is Status.NEW
            and b.row.patient_id is not None
            and not sq.thread_sender_unverified(demo_clinic.store, b.row.id)
        )
        started = time.monotonic()
        win._dropped(card.id, Status.DONE)
        done_col = win.board.columns[Status.DONE].model
        qtbot.waitUntil(lambda: done_col.position(card.id) is not None, timeout=30_000)
        moved = time.monotonic() - started
        assert not list(chart.iterdir()), "the card moved before the chart copy was made"
        # the files are written first, then recorded as filed: wait for the record
        qtbot.waitUntil(
            lambda: bool(q.get_thread(demo_clinic.store, card.id).filed_document_id),
            timeout=30_000,
        )
        filed = time.monotonic() - started
        assert [p.suffix for p in chart.iterdir()] == [".pdf"]
        assert filed >= 1.0 and moved < filed
        print(f"\ncard moved to Done in {moved * 1000:.0f} ms; filed in {filed * 1000:.0f} ms")
    finally:
        runner.stop()
        if before is None:
            toml.unlink(missing_ok=True)
        else:
            toml.write_text(before)


def test_opening_the_clinic_runs_on_a_worker_and_asks_the_passphrase_here(
    qtbot, tmp_path, real_kdf_costs
):
    """The app's start: the key (scrypt over the passphrase), migrations and checks on
    a worker, the passphrase asked on the GUI thread, the event loop going on."""
    import threading

    from clinic_inbox.core.home import create_clinic, open_clinic
    from clinic_inbox.core.keys import KeyCustody
    from clinic_inbox.ui.off_gui import run_off_gui

    home = tmp_path / "clinic"
    passphrase = "a long clinic passphrase 42"
    clinic, _ = create_clinic(home, lambda p, c: passphrase, KeyCustody(home, detect=False))
    clinic.close()
    asked_on = []

    def ask(prompt: str, confirm: bool) -> str:
        asked_on.append(threading.current_thread() is threading.main_thread())
        return passphrase

    ticks = Ticks()
    ticks.start()
    started = time.monotonic()
    opened = run_off_gui(
        lambda asker: open_clinic(home, asker, KeyCustody(home, detect=False)), ask
    )
    took = time.monotonic() - started
    ticks.stop()
    try:
        assert asked_on == [True], "asked once, on the GUI thread"
        assert opened.store.integrity_check() == []
        assert ticks.count >= 5 and ticks.longest < took * 1000 / 2, (ticks.longest, took)
        print(f"\nopened in {took * 1000:.0f} ms; longest stall {ticks.longest} ms")
    finally:
        opened.close()
    # a wrong passphrase: the error reaches this thread as it would have in line
    from clinic_inbox.core.keys import KeyCustodyError

    try:
        run_off_gui(
            lambda asker: open_clinic(home, asker, KeyCustody(home, detect=False)),
            lambda p, c: "not the passphrase at all",
        )
    except KeyCustodyError as exc:
        assert str(exc)
    else:
        raise AssertionError("a wrong passphrase opened the clinic")
