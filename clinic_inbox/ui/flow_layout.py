"""A layout that puts its widgets side by side and starts a new row when the next one
would not fit: a row of buttons in a narrow pane wraps instead of cutting their words
("d internal n"). Hidden widgets take no room.

With fill=True each widget starts from its minimum width and the row's room left over
is shared among the widgets of that row: a label with its drop-down ("Assign: [...]")
stretches to the pane's width, and moves to a row of its own rather than run into the
next one ("Nobody (team pool)" over "Status:")."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QSizePolicy, QStyle, QWidget


class FlowLayout(QLayout):
    def __init__(self, parent: QWidget | None = None, spacing: int = 6, fill: bool = False) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = spacing
        self._fill = fill
        self.setContentsMargins(0, 0, 0, 0)

    # -- QLayout's interface -----------------------------------------------------------
    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 - Qt's name
        self._items.append(item)

    def add_layout(self, layout: QLayout) -> None:
        """A layout as one piece (a label with its field): no widget in between, so a
        change of its fields' sizes reaches this layout at once."""
        self.addChildLayout(layout)
        self.addItem(layout)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt's name
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt's name
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 - Qt's name
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt's name
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt's name
        return self._arrange(QRect(0, 0, width, 0), place=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 - Qt's name
        super().setGeometry(rect)
        self._arrange(rect, place=True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        # one row when there is room for it
        shown = [i for i in self._items if not i.isEmpty()]
        width = sum(i.sizeHint().width() for i in shown) + self._gap * max(len(shown) - 1, 0)
        height = max((i.sizeHint().height() for i in shown), default=0)
        m = self.contentsMargins()
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def minimumSize(self) -> QSize:  # noqa: N802 - Qt's name
        # the widest single widget: anything narrower than that is wrapped, not cut
        size = QSize()
        for item in self._items:
            if not item.isEmpty():
                size = size.expandedTo(self._basis(item))
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    # -- placing -------------------------------------------------------------------------
    def _spacing(self, item: QLayoutItem) -> int:
        if self._gap >= 0:
            return self._gap
        widget = item.widget()
        style = widget.style() if widget is not None else None
        if style is None:
            return 6
        return style.layoutSpacing(
            QSizePolicy.ControlType.PushButton,
            QSizePolicy.ControlType.PushButton,
            Qt.Orientation.Horizontal,
            None,
            None,
        ) or style.pixelMetric(QStyle.PixelMetric.PM_LayoutHorizontalSpacing)

    def _basis(self, item: QLayoutItem) -> QSize:
        """The size a widget starts from: its wanted size, or with fill its minimum (at
        the height it wants)."""
        hint = item.sizeHint()
        if not self._fill:
            return hint
        return QSize(item.minimumSize().width(), hint.height())

    def _arrange(self, rect: QRect, place: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        rows: list[list[tuple[QLayoutItem, QSize, int]]] = [[]]
        x = area.x()
        for item in self._items:
            if item.isEmpty():
                continue
            size = self._basis(item)
            gap = self._spacing(item)
            if x > area.x() and x + size.width() > area.right() + 1:
                x = area.x()
                rows.append([])
            rows[-1].append((item, size, gap))
            x += size.width() + gap
        y = area.y()
        for n, row in enumerate(rows):
            if not row:
                continue
            if n:
                y += row[0][2]
            used = sum(size.width() for _, size, _ in row) + sum(g for _, _, g in row[:-1])
            extra = max(area.width() - used, 0) if self._fill else 0
            x = area.x()
            for i, (item, size, gap) in enumerate(row):
                share = extra // len(row) + (1 if i < extra % len(row) else 0)
                if place:
                    item.setGeometry(
                        QRect(QPoint(x, y), QSize(size.width() + share, size.height()))
                    )
                x += size.width() + share + gap
            y += max(size.height() for _, size, _ in row)
        return y - rect.y() + m.bottom()
