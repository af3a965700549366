"""The Qt binding must not corrupt Python's reference counts: PySide6 6.12.0 under
Python 3.11 drops a reference to None on every call that returns nothing, and the
board aborted ("deallocating None") after scrolling a few thousand cards."""

from __future__ import annotations

import sys

from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QFont, QImage, QPainter


def test_painting_keeps_none_alive(qapp) -> None:  # noqa: ANN001
    img = QImage(64, 64, QImage.Format.Format_ARGB32)
    p = QPainter(img)
    font, colour = QFont(), QColor("#c62828")
    before = sys.getrefcount(None)
    for _ in range(500):
        p.save()
        p.setFont(font)
        p.setPen(colour)
        p.drawRoundedRect(QRect(0, 0, 10, 10), 3, 3)
        p.restore()
    after = sys.getrefcount(None)
    p.end()
    # a few references may come and go with interpreter state; thousands may not
    assert abs(after - before) < 50
