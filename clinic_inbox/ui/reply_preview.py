"""The reply preview of the conversation panel: the exact text that will go out (the
reply, the signature, the clinic's footer, in the conversation's language), by which
channel and to whom, before it is queued. Nothing is sent from here unless staff
choose 'Queue this reply'."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_inbox.core.services_reply import ReplyPreview


class ReplyPreviewDialog(QDialog):
    def __init__(self, preview: ReplyPreview, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Reply as the patient will read it")
        self.heading = QLabel(preview.heading())
        self.heading.setWordWrap(True)
        self.text = QPlainTextEdit(preview.text)
        self.text.setReadOnly(True)
        self.text.setAccessibleName("The reply as it will be sent")
        self.buttons = QDialogButtonBox()
        self.queue = QPushButton("&Queue this reply")
        # a conversation with no address to answer: nothing to queue
        self.queue.setEnabled(preview.channel is not None)
        self.buttons.addButton(self.queue, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton("Back to &editing", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        # no agreement on record (Queue asks why) or a refusal, said before sending
        self.warning = QLabel(preview.warning or "")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #a40000")
        self.warning.setVisible(bool(preview.warning))
        lay = QVBoxLayout(self)
        lay.addWidget(self.heading)
        lay.addWidget(self.warning)
        lay.addWidget(self.text, 1)
        lay.addWidget(QLabel("Nothing has been sent."))
        lay.addWidget(self.buttons)
        self.resize(640, 560)
