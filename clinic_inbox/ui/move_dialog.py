"""Moving a conversation to a phone call or a visit: why, and whether to tell the
patient with the clinic's standard wording."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)


class MoveDialog(QDialog):
    def __init__(self, can_tell_patient: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Move to a phone call or a visit")
        self.kind = QComboBox()
        self.kind.addItem("A phone call", "call")
        self.kind.addItem("A visit at the clinic", "visit")
        self.kind.setAccessibleName("Move to")
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Why (kept as an internal note), e.g. needs an examination")
        self.reason.setAccessibleName("Reason")
        self.tell = QCheckBox("Tell the patient (the clinic's standard message is sent)")
        self.tell.setChecked(can_tell_patient)
        self.tell.setEnabled(can_tell_patient)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Move")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        intro = QLabel(
            "When a matter is too complex for messages or needs an examination, take it "
            "to the phone or the clinic. The conversation then waits on the patient."
        )
        intro.setWordWrap(True)
        form.addRow(intro)
        form.addRow("Move to:", self.kind)
        form.addRow("Reason:", self.reason)
        form.addRow(self.tell)
        form.addRow(buttons)
