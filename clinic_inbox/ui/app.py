"""Starting the desktop app: open the store, sign in, show the main window."""

from __future__ import annotations

import logging
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import sqlcipher3
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QMessageBox

from clinic_inbox.core import services
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.app_reads import NewerSchemaError, StoreError
from clinic_inbox.core.changes import Outcome
from clinic_inbox.core.home import Clinic, PageCheck, StoreDamagedError, open_clinic
from clinic_inbox.core.keys import KeyCustody, KeyCustodyError
from clinic_inbox.ui.off_gui import run_off_gui

if TYPE_CHECKING:
    from clinic_inbox.ui.actions import ActionRunner, Job


# Background threads (the sync, the writer) share the interpreter with the window: ask
# them to hand it back within 1 ms, not Python's default 5 ms. Painting a card makes
# dozens of Qt calls, each of which may wait that long, so 5 ms a wait froze the board
# for 100-300 ms at a time while a sync ran.
SWITCH_INTERVAL_S = 0.001

log = logging.getLogger(__name__)


def application(argv: list[str] | None = None) -> QApplication:
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("Clinic Inbox")
    app.setOrganizationName("Clinic Inbox")
    app.setDesktopFileName("clinic-inbox")
    from PySide6.QtGui import QIcon

    from clinic_inbox.core.resources import resource_path

    app.setWindowIcon(QIcon(str(resource_path("icons", "clinic-inbox.svg"))))
    app.setStyle("Fusion")
    apply_theme(app)
    return app  # type: ignore[return-value]


def apply_theme(app: QApplication, theme: str | None = None) -> None:
    """Dark when the desktop is dark (or CLINIC_INBOX_THEME=dark), light otherwise."""
    from clinic_inbox.ui import palette

    theme = (theme or os.environ.get("CLINIC_INBOX_THEME", "system")).lower()
    dark = theme == "dark" or (theme == "system" and is_dark())
    app.setPalette(palette.dark_palette() if dark else app.style().standardPalette())


def qt_passphrase(prompt: str, confirm: bool) -> str:
    text, ok = QInputDialog.getText(None, "Clinic Inbox", prompt, QLineEdit.EchoMode.Password)
    if not ok:
        raise KeyCustodyError("No passphrase was given; nothing was opened.")
    if confirm:
        again, ok = QInputDialog.getText(
            None, "Clinic Inbox", "Type it again", QLineEdit.EchoMode.Password
        )
        if not ok or again != text:
            raise KeyCustodyError("The two passphrases differ; nothing was created.")
    return text


def _screenshot_user(user: str | None) -> tuple[str, str]:
    from clinic_inbox import demo

    username = user or next(u for u, _, r in demo.DEMO_USERS if r.value == "physician")
    return username, os.environ.get("CLINIC_INBOX_PASSWORD", demo.DEMO_PASSWORD)


def screenshot(
    clinic: Clinic,
    path: Path,
    *,
    user: str | None,
    view: str = "board",
    session: services.Session | None = None,
) -> int:
    from clinic_inbox.ui.actions import InlineRunner
    from clinic_inbox.ui.main_window import MainWindow

    if session is None:
        session = services.login(clinic, *_screenshot_user(user))
    win = MainWindow(clinic, session, InlineRunner(clinic))  # one picture: run in line
    win.resize(1600, 940)
    win.show()
    if view == "thread":
        own = [b for b in services.board(clinic, session) if b.decision.via == "own"]
        pick = next((b for b in own if b.row.priority.value == "urgent"), own[0] if own else None)
        if pick is not None:
            win.board.select(pick.row.id)
            win.open_thread(pick.row.id)
    if view == "dashboard":
        win.show_dashboard()
    QApplication.processEvents()
    from clinic_inbox.core.private_files import open_private, private_dir

    # owner-only before Qt writes a pixel: a screenshot shows patients' names
    private_dir(Path(path).parent)
    open_private(Path(path), "wb").close()
    win.grab().save(str(path))
    win.close()
    services.logout(clinic, session)
    return 0


def main(
    home: Path,
    *,
    demo: bool = False,
    screenshot: Path | None = None,
    user: str | None = None,
    view: str = "board",
) -> int:
    if screenshot is not None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = application()
    if screenshot is None and not demo and not first_run_if_needed(home):
        return 0
    if _released_at_sign_in(home):
        return _main_signing_in_first(app, home, screenshot, user, view)
    for _attempt in range(2):  # the second after a damaged store was replaced by its backup
        try:
            # the key, migrations and the first checks on a worker; a passphrase is
            # still asked here, on the GUI thread
            clinic = run_off_gui(lambda ask: open_clinic(home, ask), qt_passphrase)
        except StoreDamagedError as exc:
            problem = str(exc)
        except (KeyCustodyError, StoreError, NewerSchemaError) as exc:
            if screenshot is not None:
                print(f"clinic-inbox: {exc}", file=sys.stderr)
            else:
                QMessageBox.critical(None, "Clinic Inbox cannot open the clinic", str(exc))
            return 2
        else:
            # every page is checked beside the sign-in, and known sound before the board shows
            pages = PageCheck(clinic)
            try:
                if screenshot is not None:
                    pages.raise_if_damaged()
                    return globals()["screenshot"](clinic, screenshot, user=user, view=view)
                return _run(app, clinic, pages)
            except StoreDamagedError as exc:
                problem = str(exc)  # the check has answered, so its connection is closed
            finally:
                clinic.close()
        if screenshot is not None or not offer_latest_backup(home, problem):
            print(f"clinic-inbox: {problem}", file=sys.stderr)
            return 2
    return 2


def _released_at_sign_in(home: Path) -> bool:
    """A clinic whose key custody is the keyring opens only by a staff password (key
    slots, core.staff_keys); one with a passphrase-wrapped key opens first, as before."""
    custody = KeyCustody(home, detect=False)
    try:
        rec = custody.record() if custody.exists() else None
        return rec is not None and (rec.method == "keyring" or rec.sealed)
    except KeyCustodyError:
        return False  # the usual path says what is wrong with the record


def _main_signing_in_first(
    app: QApplication, home: Path, shot: Path | None, user: str | None, view: str
) -> int:
    """Sign in, then open: the store (and its key) is open only while someone is signed
    in; switching user closes it and the next person's password opens it again."""
    from clinic_inbox.core import staff_keys
    from clinic_inbox.ui.actions import ActionRunner
    from clinic_inbox.ui.login import OpeningSignIn

    if shot is not None:
        try:
            clinic, session = staff_keys.open_signed_in(home, *_screenshot_user(user))
        except (KeyCustodyError, StoreError, NewerSchemaError, services.AuthError) as exc:
            print(f"clinic-inbox: {exc}", file=sys.stderr)
            return 2
        with clinic:
            PageCheck(clinic).raise_if_damaged()
            return screenshot(clinic, shot, user=user, view=view, session=session)
    demo_users = _demo_users(home)
    while True:
        login = OpeningSignIn(home, demo_users=demo_users)
        if not login.exec() or login.clinic is None or login.session is None:
            if login.damaged is not None and offer_latest_backup(home, str(login.damaged)):
                continue
            return 0
        clinic = login.clinic
        runner = ActionRunner(clinic)
        damaged: StoreDamagedError | None = None
        try:
            again = _session_window(app, clinic, login.session, PageCheck(clinic), runner)
        except StoreDamagedError as exc:
            damaged, again = exc, False
        finally:
            runner.stop()
            clinic.close()  # the next person opens it again with their own password
        if damaged is not None:
            if offer_latest_backup(home, str(damaged)):
                continue
            return 2
        if not again:
            return 0


def _demo_users(home: Path) -> list[str]:
    """The demo's published users for its sign-in screen (the store is not open yet)."""
    from clinic_inbox import demo

    custody = KeyCustody(home, detect=False)
    if not custody.record().demo:
        return []
    return [u for u, _, _ in demo.DEMO_USERS]


def first_run_if_needed(home: Path) -> bool:
    """No clinic yet: the first-run screens set one up. False if the person stopped."""
    from clinic_inbox.core.home import clinic_exists
    from clinic_inbox.ui.first_run import FirstRunWizard

    if clinic_exists(home):
        return True
    wizard = FirstRunWizard(home)
    wizard.exec()
    return wizard.created


def offer_latest_backup(home: Path, problem: str) -> bool:
    """Say the store is damaged and offer the newest automatic backup. True when it
    was put back; the damaged file is kept aside, never deleted."""
    from clinic_inbox.core.backup_schedule import latest_backup, replace_damaged_store

    latest = latest_backup(home)
    if latest is None:
        QMessageBox.critical(
            None,
            "Clinic Inbox cannot open the clinic",
            problem + "\n\nThere is no automatic backup on this computer. Call your IT support.",
        )
        return False
    made = datetime.fromtimestamp(latest.stat().st_mtime).strftime("%A %d %B %Y at %H:%M")
    answer = QMessageBox.question(
        None,
        "The clinic's messages file is damaged",
        f"{problem}\n\nThe latest backup was made on {made}. Put it back now?\n\n"
        "Messages that arrived after it are fetched again at the next sync. Notes and "
        "replies written after it are not in the backup. The damaged file is kept for IT "
        "support.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
    )
    if answer != QMessageBox.StandardButton.Yes:
        return False
    # Putting an older store back rolls the clinic back: an administrator's act, signed
    # in against the backup's own staff list, and written into its audit trail.
    user, ok = QInputDialog.getText(
        None, "An administrator puts the backup back", "Administrator's user name:"
    )
    if not ok or not user.strip():
        return False
    password, ok = QInputDialog.getText(
        None, "An administrator puts the backup back", f"Password for {user.strip()}:",
        QLineEdit.EchoMode.Password,
    )  # fmt: skip
    if not ok:
        return False
    check = services.restore_sign_in(
        user.strip(), password, backup_name=latest.name, replaced_damaged=True
    )
    try:
        info, aside = run_off_gui(  # a copy of the whole store: never on the GUI thread
            lambda ask: replace_damaged_store(home, latest, ask, authorize=check), qt_passphrase
        )
    except (KeyCustodyError, StoreError, services.AuthError, AccessDenied) as exc:
        QMessageBox.critical(None, "The backup could not be put back", str(exc))
        return False
    QMessageBox.information(
        None,
        "Backup restored",
        f"{info.messages:,} messages are back. The damaged file was kept in {aside}.",
    )
    return True


def _run(app: QApplication, clinic: Clinic, pages: PageCheck) -> int:
    from clinic_inbox.ui.actions import ActionRunner
    from clinic_inbox.ui.login import LoginDialog

    # one writer for every action of every session, on its own connection
    runner = ActionRunner(clinic)
    try:
        while True:
            login = LoginDialog(clinic, runner=runner)
            if not login.exec() or login.session is None:
                return 0
            if not _session_window(app, clinic, login.session, pages, runner):
                return 0
    finally:
        runner.stop()


def _session_window(
    app: QApplication,
    clinic: Clinic,
    session: services.Session,
    pages: PageCheck,
    runner: ActionRunner,
) -> bool:
    """Run one person's session; True when they chose to switch user."""
    from clinic_inbox.sources.background import SyncLoop
    from clinic_inbox.ui.backup_worker import BackupScheduler
    from clinic_inbox.ui.login import UnlockDialog
    from clinic_inbox.ui.main_window import MainWindow, SyncBridge

    try:
        win = MainWindow(clinic, session, runner)  # reads only; the page check runs meanwhile
    except sqlcipher3.DatabaseError:
        pages.raise_if_damaged()
        raise
    pages.raise_if_damaged()  # nothing is shown, synced or written before it answers
    bridge = SyncBridge()
    bridge.report.connect(win.on_sync_report)
    bridge.progress.connect(win.on_sync_progress)
    from clinic_inbox.ui.live_refresh import LiveRefresh

    # with a shared server: the others' changes, live, and the mail fetched by the one
    # workstation holding the ingest lease (it also claims the receipts before they go)
    live = LiveRefresh.for_window(clinic, win)
    loop = SyncLoop(
        clinic,
        actor_id=session.staff.id,
        actor=session.staff.username,
        on_report=lambda r, s: bridge.report.emit(r, s),
        on_progress=lambda a, d, t: bridge.progress.emit(a, d, t),
        may_fetch=live.may_fetch if live is not None else None,
    )
    if live is not None:
        live.lease_taken.connect(loop.retry_now)  # the new holder fetches at once
        bridge.report.connect(lambda report, status: live.nudge())
    win.retry.triggered.connect(loop.retry_now)
    backups = BackupScheduler(clinic, win)
    backups.finished.connect(lambda text: win.statusBar().showMessage(text, 15_000))
    backups.start()
    switch = {"yes": False}

    def on_lock(locked: bool) -> None:
        if not locked:
            return
        dlg = UnlockDialog(clinic, session, win, runner)
        dlg.exec()
        if dlg.switch_user or dlg.result() == 0:
            switch["yes"] = True
            win.close()
        else:
            win.locked = False
            win.stack.setCurrentIndex(0)
            win.idle.start()
            win.refresh()

    def sign_out() -> None:
        switch["yes"] = True
        win.close()

    win.locked_changed.connect(lambda locked: QTimer.singleShot(0, lambda: on_lock(locked)))
    win.logout_requested.connect(sign_out)
    loop.start()
    win.show()
    app.exec()
    if live is not None:
        live.stop()
    loop.stop()
    wait_for(runner.submit(sign_out, session))
    return switch["yes"]


def sign_out(clinic: Clinic, session: services.Session) -> Outcome:
    """On the writer: the sign-out's audit entry (behind any sync write still running),
    then the audit head sent off this computer (a mail server, maybe slow or away)."""
    services.logout(clinic, session)
    _anchor_audit(clinic)
    return Outcome()


def wait_for(job: Job) -> None:
    """Let the event loop run (a window may still be repainting) until the job answers;
    a sign-out that failed is said in plain words, never dropped."""
    from PySide6.QtCore import QEventLoop

    if not job.finished:
        loop, poll = QEventLoop(), QTimer()
        poll.setInterval(20)  # the answer arrives by queued signal, within this loop
        poll.timeout.connect(lambda: job.finished and loop.quit())
        poll.start()
        loop.exec()
        poll.stop()
    if job.error is not None:
        from clinic_inbox.ui.actions import plain_error

        QMessageBox.warning(None, "Sign-out not recorded", plain_error(job.error))


def _anchor_audit(clinic: Clinic) -> None:
    """Sign-out sends the audit head off this computer (sync passes do it meanwhile)."""
    from clinic_inbox.sources.audit_anchor_imap import publish_anchor

    try:
        for problem in publish_anchor(clinic):
            log.warning("%s", problem)  # names a host, never a patient
    except Exception:  # noqa: BLE001 - `audit verify` reports a missing anchor
        log.warning("the audit anchor could not be sent at sign-out")


def is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    try:
        from PySide6.QtCore import Qt

        return hints.colorScheme() == Qt.ColorScheme.Dark
    except AttributeError:
        return False
