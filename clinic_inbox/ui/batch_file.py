"""Filing every finished conversation shown on the board at once (the "Done, not
filed" view): one folder, one password, a summary of what was filed and what not."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QMessageBox

from clinic_inbox.core import app_compose
from clinic_inbox.core.model import Status
from clinic_inbox.ui.actions import plain_error

if TYPE_CHECKING:
    from clinic_inbox.ui.main_window import MainWindow

FORMATS = ("pdf", "fhir")


def unfiled_shown(win: MainWindow) -> list[int]:
    return [
        b.row.id
        for col in win.board.columns.values()
        for b in col.model.rows
        if b.row.status is Status.DONE and b.row.filed_at is None and b.row.patient_id
    ]


def file_shown(win: MainWindow, folder: str, password: str) -> None:
    """File what the board shows as done and not filed; the summary says the rest."""
    ids = unfiled_shown(win)
    if not ids:
        win.batch_summary = "Nothing shown is done and not yet filed."
        return

    def done(result: object) -> None:
        filed, skipped = result.filed, result.skipped  # type: ignore[attr-defined]
        lines = [f"{len(filed)} conversations filed to {folder}."]
        lines += [f"Conversation {t} was not filed: {why}." for t, why in skipped]
        win.batch_summary = "\n".join(lines)

    def failed(exc: BaseException) -> None:
        win.batch_summary = plain_error(exc)

    win.runner.submit(
        app_compose.file_batch,
        win.session,
        ids,
        FORMATS,
        folder,
        password,
        done=done,
        failed=failed,
        owner=win,
    )


def ask_and_file(win: MainWindow) -> None:
    n = len(unfiled_shown(win))
    if not n:
        QMessageBox.information(
            win, "File to the chart", "Nothing shown is done and not yet filed."
        )
        return
    folder = QFileDialog.getExistingDirectory(win, f"Folder your EMR imports from ({n} to file)")
    if not folder:
        return
    password, ok = QInputDialog.getText(
        win,
        "Confirm it is you",
        f"Your password, to file {n} conversations to the chart:",
        QLineEdit.EchoMode.Password,
    )
    if ok:
        file_shown(win, folder, password)
        QMessageBox.information(win, "File to the chart", getattr(win, "batch_summary", ""))
