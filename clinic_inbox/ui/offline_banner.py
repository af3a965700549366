"""The bar across the top of the board while a mail server or the portal cannot be
reached: which source, why in plain words, that work goes on, how many replies wait,
when the next try is, and a button to try now."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


def banner_text(offline: dict[str, str], queued: int, next_try_at: str | None = None) -> str:
    """The banner's words (plain text, no patient detail: account names and reasons only).
    `next_try_at` is a clock time ("10:42"): a countdown would be stale a minute later."""
    sources = "; ".join(
        # the reason's first sentence says what failed; what follows it, the banner says
        f"{name}: {reason.split('. ')[0].rstrip('.')}" if reason else f"{name} cannot be reached"
        for name, reason in sorted(offline.items())
    )
    text = f"Working offline. {sources}. Everything already here stays readable and searchable"
    if queued:
        waits = "1 reply waits" if queued == 1 else f"{queued} replies wait"
        text += f"; {waits} and will be sent once, when the connection returns"
    text += "."
    if next_try_at:
        text += f" Clinic Inbox tries again by itself at {next_try_at}."
    return text


class OfflineBanner(QFrame):
    retry = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("offlineBanner")
        self.setAccessibleName("Offline")
        self.setStyleSheet(
            "#offlineBanner { background: #fff3e0; border: 1px solid #ef6c00; border-radius: 4px; }"
            "#offlineBanner QLabel { color: #4e2600; }"
        )
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.button = QPushButton("Retry now")
        self.button.setAccessibleName("Retry the connection now")
        self.button.clicked.connect(self.retry)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.addWidget(self.text, 1)
        lay.addWidget(self.button)
        self.hide()

    def show_status(
        self, offline: dict[str, str], queued: int, next_try_at: str | None = None
    ) -> None:
        if not offline:
            self.hide()
            return
        self.text.setText(banner_text(offline, queued, next_try_at))
        self.show()
