"""The triage board: one column per status, colour-coded cards, drag to change
status, drop on a person to assign. Models wrap what the service layer returns;
no SQL here."""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    QStringListModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from clinic_inbox.core.app_reads import ThreadRow
from clinic_inbox.core.model import Priority, Role, Staff, Status
from clinic_inbox.core.services import BoardThread
from clinic_inbox.core.views import due_text
from clinic_inbox.ui import palette

MIME = "application/x-clinic-inbox-thread"
ThreadRole = Qt.ItemDataRole.UserRole + 1
BoardRole = Qt.ItemDataRole.UserRole + 2
CARD_HEIGHT = 104
CARD_PICTURES = 40  # cards kept drawn per column (~80 KB each): a few screens of one column
FRAME_MARGIN = 2
# a card's level label starts this far from the card's left edge (inset 4, bar and gap
# 14, icon and gap 20), and its line ends this far from the right edge (inset 4, gap 8)
LABEL_LEFT = 38
LABEL_RIGHT = 12


def _bold(font: QFont) -> QFont:
    bold = QFont(font)
    bold.setBold(True)
    return bold


def level_label_room(card_width: int) -> int:
    """How wide a level label ("URGENT", "Needs review") may be on a card this wide."""
    return card_width - LABEL_LEFT - LABEL_RIGHT


def card_min_width(font: QFont) -> int:
    """The narrowest card on which every level label keeps all its letters, in this font:
    a narrow column is never allowed to cut "URGENT" down to "UR"."""
    metrics = QFontMetrics(_bold(font))
    widest = max(metrics.horizontalAdvance(palette.label(key)) for key in palette.LEVELS)
    return widest + 4 + LABEL_LEFT + LABEL_RIGHT


class ColumnModel(QStringListModel):
    """The cards of one status column. The row cache is the list handed in by the board.

    Beside the rows it keeps what the window asks after every change, so that no answer
    walks the whole column (tens of thousands of cards on a large clinic's board): each
    card by id, the number of urgent cards and the due times in order.

    The number of rows is kept on the C++ side too (a list of empty strings as long as
    `rows`), and rowCount is not written here: a list view lays a column out again after
    every card that comes or goes, asking the model for an index per row, and each index
    asks rowCount. Answered in Python, that was two calls into the interpreter per card
    in the column per change (about 15 ms for one card moved on the 100,000-message
    clinic's board, 30 ms and more for each slice of a sync's new cards)."""

    dropped = Signal(int, object)  # thread id, Status

    def __init__(self, status: Status, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = status
        self.rows: list[BoardThread] = []
        self._keys: list[tuple] = []  # sort_key of each row, kept beside it
        self._by_id: dict[int, BoardThread] = {}  # the card at each id, as in rows
        self.urgent = 0  # cards of urgent priority
        self._due: list[datetime] = []  # the cards' due times, in order
        self._ours = False  # a row added or taken off by the board itself (not by a drag)
        # connected before any view is: a row leaves `rows` as the C++ side removes it,
        # before the views hear of it
        self.rowsRemoved.connect(self._row_left)

    def set_rows(self, rows: list[BoardThread]) -> None:
        """`rows` in sort_key order (BoardWidget.set_threads sorts them)."""
        self.rows = rows
        self._keys = [sort_key(b) for b in rows]
        self._by_id = {b.row.id: b for b in rows}
        self.urgent = sum(1 for b in rows if b.row.priority is Priority.URGENT)
        self._due = sorted(d for b in rows if (d := _due(b)) is not None)
        self.setStringList([""] * len(rows))  # the views are reset here

    def position(self, thread_id: int) -> int | None:
        """The card's row, found by its sort key (the rows are kept in that order)."""
        b = self._by_id.get(thread_id)
        if b is None:
            return None
        key = sort_key(b)
        i = bisect.bisect_left(self._keys, key)
        while i < len(self.rows) and self._keys[i] == key:
            if self.rows[i].row.id == thread_id:
                return i
            i += 1
        # not where its key says (never expected): the slow way
        return next((i for i, r in enumerate(self.rows) if r.row.id == thread_id), None)

    def overdue(self, now: datetime) -> int:
        """Cards whose due time is before `now`."""
        return bisect.bisect_left(self._due, now)

    def _count(self, b: BoardThread, step: int) -> None:
        if b.row.priority is Priority.URGENT:
            self.urgent += step
        due = _due(b)
        if due is None:
            return
        if step > 0:
            bisect.insort(self._due, due)
        else:
            i = bisect.bisect_left(self._due, due)
            if i < len(self._due) and self._due[i] == due:
                del self._due[i]

    def replace_row(self, i: int, b: BoardThread) -> None:
        """The card changed in place: only its own rectangle is repainted."""
        self._count(self.rows[i], -1)
        self._count(b, +1)
        self.rows[i] = b
        self._keys[i] = sort_key(b)
        self._by_id[b.row.id] = b
        self.dataChanged.emit(self.index(i), self.index(i))

    def remove_row(self, i: int) -> None:
        self._ours = True
        try:
            self.removeRows(i, 1)  # _row_left takes it out of rows
        finally:
            self._ours = False

    def removeRows(self, row: int, count: int, parent: QModelIndex = QModelIndex()) -> bool:  # noqa: B008, N802
        """Only the board takes a card off (remove_row): a card dragged to a person or
        a column stays until the store's answer moves it (a view asks the model to
        remove what it dragged away)."""
        return self._ours and super().removeRows(row, count, parent)

    def insertRows(self, row: int, count: int, parent: QModelIndex = QModelIndex()) -> bool:  # noqa: B008, N802
        return self._ours and super().insertRows(row, count, parent)

    def _row_left(self, parent: QModelIndex, first: int, last: int) -> None:
        for _ in range(first, last + 1):
            old = self.rows.pop(first)
            del self._keys[first]
            self._by_id.pop(old.row.id, None)
            self._count(old, -1)

    def insert_sorted(self, b: BoardThread) -> int:
        key = sort_key(b)
        i = bisect.bisect_right(self._keys, key)
        # in rows first: the views ask for it once the C++ side says it was inserted
        self.rows.insert(i, b)
        self._keys.insert(i, key)
        self._by_id[b.row.id] = b
        self._count(b, +1)
        self._ours = True
        try:
            self.insertRows(i, 1)
        finally:
            self._ours = False
        return i

    def fits_at(self, i: int, b: BoardThread) -> bool:
        """Whether `b` may stay at row i without breaking the column's order."""
        key = sort_key(b)
        before = i == 0 or self._keys[i - 1] <= key
        after = i + 1 >= len(self.rows) or key <= self._keys[i + 1]
        return before and after

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ):  # noqa: ANN201
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        b = self.rows[index.row()]
        t = b.row
        if role == ThreadRole:
            return t.id
        if role == BoardRole:
            return b
        if role in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.AccessibleTextRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            key = palette.level_key(t.priority, t.needs_review, t.patient_id is None)
            parts = [
                palette.label(key),
                f"conversation {b.number}" if b.number else "",
                t.patient or "Unknown sender",
                ", ".join(card_facts(b)),
                t.subject,
                f"assigned to {t.assigned_to}" if t.assigned_to else "not assigned",
                "waiting on the patient, response clock paused"
                if t.status is Status.WAITING
                else clock_words(t),
            ]
            return ". ".join(p for p in parts if p)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.isValid():
            return base | Qt.ItemFlag.ItemIsDragEnabled
        return Qt.ItemFlag.ItemIsDropEnabled

    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [MIME]

    def mimeData(self, indexes) -> QMimeData:  # noqa: ANN001, N802
        data = QMimeData()
        ids = [str(self.rows[i.row()].row.id) for i in indexes if i.isValid()]
        data.setData(MIME, QByteArray(",".join(ids).encode()))
        return data

    def canDropMimeData(self, data, action, row, column, parent) -> bool:  # noqa: ANN001, N802
        return data.hasFormat(MIME)

    def dropMimeData(self, data, action, row, column, parent) -> bool:  # noqa: ANN001, N802
        if not data.hasFormat(MIME):
            return False
        for text in bytes(data.data(MIME)).decode().split(","):
            if text.strip().isdigit():
                self.dropped.emit(int(text), self.status)
        return False  # the board reloads from the store; Qt must not remove the source row


def clock_words(t: ThreadRow) -> str:
    """'due in 3 h' / 'overdue by 2 d'; a reply to the patient stops the clock until they
    write again, which the card calls 'answered'."""
    if t.due_at:
        return due_text(t.due_at)
    if t.not_delivered:
        return "not delivered"
    return "answered" if t.message_count > 1 else ""


def card_facts(b: BoardThread) -> list[str]:
    """The short facts a card lists under the patient's name."""
    t = b.row
    bits = [t.category.label]
    if t.not_delivered:
        bits.append("Not delivered: call the patient")
    if t.has_held_reply:
        bits.append("Reply held: its author decides")
    if t.follow_up_due:
        bits.append("Follow-up due")
    if t.sensitive:
        bits.append("Sensitive")
    bits += sender_flags(t)
    bits.append("Portal" if t.source.value == "portal" else "Email")
    if t.attachment_count:
        n = t.attachment_count
        bits.append(f"{n} attachment{'s' if n > 1 else ''}")
    if t.message_count > 1:
        bits.append(f"{t.message_count} messages")
    if b.decision.via == "delegate":
        bits.append(f"for {b.decision.delegate_of}")
    return bits


def sender_flags(t: ThreadRow) -> list[str]:
    """What the card says of who wrote (core/senders.py, sources/sender_check.py)."""
    bits = []
    if t.sender_unverified:
        bits.append("Sender not verified")
    if t.claims_thread_id:
        bits.append("Claims to continue another patient's conversation")
    return bits


class CardDelegate(QStyledItemDelegate):
    """Paints a card: colour bar and level label, patient, category, source,
    attachments, a snippet the viewer may see, assignee and the response clock."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._frames: dict[tuple, QPixmap] = {}
        self._pictures: OrderedDict[tuple, tuple[BoardThread, QPixmap]] = OrderedDict()

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:  # noqa: ANN001, N802
        return QSize(option.rect.width() or 260, CARD_HEIGHT)

    def _frame(
        self, size: QSize, accent: QColor, pal: QPalette, selected: bool, dark: bool, p: QPainter
    ) -> QPixmap:
        """The card's rounded frame, tint and colour bar, drawn once per look and size:
        antialiased rounded shapes cost about a millisecond each, a copy almost nothing."""
        ratio = p.device().devicePixelRatioF() if p.device() else 1.0
        bg, mid = pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Mid)
        key = (size.width(), size.height(), accent.rgba(), bg.rgba(), mid.rgba(), selected, ratio)
        frame = self._frames.get(key)
        if frame is not None:
            return frame
        if len(self._frames) > 64:  # sizes change while a column is resized
            self._frames.clear()
        m = FRAME_MARGIN  # room for the half of the border's pen outside the card
        frame = QPixmap((size + QSize(2 * m, 2 * m)) * ratio)
        frame.setDevicePixelRatio(ratio)
        frame.fill(Qt.GlobalColor.transparent)
        fp = QPainter(frame)
        fp.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRect(m, m, size.width(), size.height())
        tint = QColor(accent)
        tint.setAlpha(40 if dark else 22)
        fp.setPen(QPen(accent if selected else mid, 2 if selected else 1))
        fp.setBrush(bg)
        fp.drawRoundedRect(r, 6, 6)
        fp.setBrush(tint)
        fp.setPen(Qt.PenStyle.NoPen)
        fp.drawRoundedRect(r.adjusted(1, 1, -1, -1), 5, 5)
        fp.setBrush(accent)
        fp.drawRoundedRect(QRect(m, m, 6, size.height()), 3, 3)
        fp.end()
        self._frames[key] = frame
        return frame

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index) -> None:  # noqa: ANN001
        """A card is drawn once into a picture and copied after that: one Qt call per
        paint instead of dozens (each of which may wait for the interpreter while a sync
        runs beside the window)."""
        b: BoardThread | None = index.data(BoardRole)
        if b is None:
            return
        size = option.rect.size()
        ratio = p.device().devicePixelRatioF() if p.device() else 1.0
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        look = (
            b.row.id,
            size.width(),
            size.height(),
            selected,
            ratio,
            option.palette.color(QPalette.ColorRole.Base).rgba(),
            clock_words(b.row),  # the clock moves on: a new picture when its words change
        )
        hit = self._pictures.get(look)
        if hit is not None and hit[0] is b:  # the same card, unchanged since
            self._pictures.move_to_end(look)
            p.drawPixmap(option.rect.topLeft(), hit[1])
            return
        picture = QPixmap(size * ratio)
        picture.setDevicePixelRatio(ratio)
        picture.fill(Qt.GlobalColor.transparent)
        pp = QPainter(picture)
        at_origin = QStyleOptionViewItem(option)
        at_origin.rect = QRect(0, 0, size.width(), size.height())
        self._draw(pp, at_origin, b)
        pp.end()
        self._pictures[look] = (b, picture)
        while len(self._pictures) > CARD_PICTURES:
            self._pictures.popitem(last=False)
        p.drawPixmap(option.rect.topLeft(), picture)

    def _draw(self, p: QPainter, option: QStyleOptionViewItem, b: BoardThread) -> None:
        t = b.row
        key = palette.level_key(t.priority, t.needs_review, t.patient_id is None)
        accent = palette.colour(key)
        pal = option.palette
        dark = pal.color(QPalette.ColorRole.Window).lightness() < 128
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = option.rect.adjusted(4, 3, -4, -3)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        m = FRAME_MARGIN
        p.drawPixmap(
            r.topLeft() - QPoint(m, m), self._frame(r.size(), accent, pal, selected, dark, p)
        )
        text = pal.color(QPalette.ColorRole.Text)
        muted = pal.color(QPalette.ColorRole.PlaceholderText)
        x, y, w = r.left() + 14, r.top() + 6, r.width() - 22
        base = QFont(option.font)
        bold = _bold(base)
        small = QFont(base)
        small.setPointSizeF(max(base.pointSizeF() - 1, 7))
        # line 1: level icon + label, due clock on the right
        palette.icon(key, 16).paint(p, QRect(x, y, 16, 16))
        p.setFont(bold)
        p.setPen(accent.darker(115) if not dark else accent.lighter(140))
        label_w = QFontMetrics(bold).horizontalAdvance(palette.label(key)) + 4
        p.drawText(
            QRect(x + 20, y - 1, min(label_w, level_label_room(option.rect.width())), 18),
            Qt.AlignmentFlag.AlignVCenter,
            palette.label(key),
        )
        if t.status is Status.WAITING:
            clock = "clock paused"
        else:
            clock = clock_words(t)
        overdue = clock.startswith("overdue") and t.status is not Status.DONE
        p.setFont(small)
        p.setPen(QColor("#c62828") if overdue else muted)
        clock_below = False
        if t.status is not Status.DONE:
            # the clock gets what the level label leaves, elided, never overlapping it
            used = 28 + QFontMetrics(bold).horizontalAdvance(palette.label(key))
            room = max(w - used, 0)
            clock = "paused" if t.status is Status.WAITING and room < 110 else clock
            if room < 110:  # narrow cards: "late 3 d" / "due 4 h"
                clock = clock.replace("overdue by ", "late ").replace("due in ", "due ")
            # narrower still: the clock leads line 3 instead, words kept ("late" is never
            # left to colour alone)
            clock_below = QFontMetrics(small).horizontalAdvance(clock) > room
            if not clock_below:
                p.drawText(
                    QRect(x + used, y - 1, room, 18),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    clock,
                )
        # line 2: patient (or unknown sender)
        y += 20
        p.setFont(bold)
        p.setPen(text)
        who = t.patient or "Unknown sender — link to a patient"
        p.drawText(
            QRect(x, y, w, 18),
            Qt.AlignmentFlag.AlignVCenter,
            QFontMetrics(bold).elidedText(who, Qt.TextElideMode.ElideRight, w),
        )
        # line 3: category · sensitive · source · attachments · messages (most telling first,
        # as a narrow card elides the end; the tooltip has it all)
        y += 19
        p.setFont(small)
        p.setPen(muted)
        meta = "  ·  ".join(card_facts(b))
        lead = 0
        if clock_below:
            p.setPen(QColor("#c62828") if overdue else muted)
            said = QFontMetrics(small).elidedText(clock + "  ·  ", Qt.TextElideMode.ElideRight, w)
            p.drawText(QRect(x, y, w, 16), Qt.AlignmentFlag.AlignVCenter, said)
            lead = QFontMetrics(small).horizontalAdvance(said)
            p.setPen(muted)
        p.drawText(
            QRect(x + lead, y, max(w - lead, 0), 16),
            Qt.AlignmentFlag.AlignVCenter,
            QFontMetrics(small).elidedText(meta, Qt.TextElideMode.ElideRight, max(w - lead, 0)),
        )
        # line 4: what the viewer may see of the content
        y += 17
        snippet = (
            " ".join((t.snippet or "").split())
            if b.decision.body
            else "Content hidden: outside your role"
        )
        p.setFont(base if b.decision.body else small)
        p.setPen(text if b.decision.body else muted)
        p.drawText(
            QRect(x, y, w, 18),
            Qt.AlignmentFlag.AlignVCenter,
            QFontMetrics(p.font()).elidedText(snippet or t.subject, Qt.TextElideMode.ElideRight, w),
        )
        # line 5: assignee
        y += 19
        p.setFont(small)
        p.setPen(muted)
        assignee = f"Assigned to {t.assigned_to}" if t.assigned_to else "Not assigned"
        if b.number:  # the number people read out (the clinic's, with a shared server)
            assignee = f"{b.number}  ·  {assignee}"
        p.drawText(
            QRect(x, y, w, 16),
            Qt.AlignmentFlag.AlignVCenter,
            QFontMetrics(small).elidedText(assignee, Qt.TextElideMode.ElideRight, w),
        )
        p.restore()


class CardList(QListView):
    """A column's list of cards. Every card has the same height, so a card whose
    content changed needs no new layout: only its own rectangle is repainted
    (QListView would lay out and repaint the whole column for one card)."""

    def dataChanged(self, top_left, bottom_right, roles=()) -> None:  # noqa: ANN001, N802
        if top_left == bottom_right and top_left.isValid():
            self.update(top_left)
            return
        super().dataChanged(top_left, bottom_right, roles)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """Never narrower than a card whose level label is whole (in the current font),
        with room for the scroll bar. The board's row of columns scrolls sideways when
        the window is narrower than that (BoardWidget): the window is not widened."""
        hint = super().minimumSizeHint()
        scroll = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        width = card_min_width(self.font()) + scroll + 2 * self.frameWidth()
        return QSize(max(hint.width(), width), hint.height())


class Column(QFrame):
    """A titled list of cards; cards can be dragged to another column."""

    def __init__(self, status: Status, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"column-{status.value}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._capped = False
        self.model = ColumnModel(status, self)
        self.title = QLabel(status.label)
        self.title.setObjectName("columnTitle")
        f = self.title.font()
        f.setBold(True)
        f.setPointSizeF(f.pointSizeF() + 1)
        self.title.setFont(f)
        self.view = CardList()
        self.view.setAccessibleName(f"{status.label} conversations")
        self.view.setModel(self.model)
        self.view.setItemDelegate(CardDelegate(self.view))
        self.view.setUniformItemSizes(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setDragEnabled(True)
        self.view.setAcceptDrops(True)
        self.view.setDropIndicatorShown(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.view.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.title)
        lay.addWidget(self.view)

    def set_rows(self, rows: list[BoardThread], capped: bool = False) -> None:
        self.model.set_rows(rows)
        self.update_title(capped)

    def update_title(self, capped: bool | None = None) -> None:
        capped = self._capped if capped is None else capped
        self._capped = capped
        rows = self.model.rows
        label = self.model.status.label
        if capped:  # only the most recent finished ones are loaded; search finds the rest
            self.title.setText(f"{label}  (latest {len(rows):,})")
            self.title.setToolTip("Older finished conversations are found with the search box.")
        else:
            self.title.setText(f"{label}  ({len(rows):,})")
            self.title.setToolTip("")


COLUMNS = (Status.NEW, Status.IN_PROGRESS, Status.WAITING, Status.DONE)


def sort_key(b: BoardThread) -> tuple:
    """Urgent first, then the soonest due, then the newest."""
    t = b.row
    due = t.due_at or "9999"
    return (t.priority.rank, due, _neg(t.last_message_at))


def _due(b: BoardThread) -> datetime | None:
    """When the card's response is due (None: no clock)."""
    if not b.row.due_at:
        return None
    try:
        return datetime.fromisoformat(b.row.due_at)
    except ValueError:
        return None


def _neg(iso: str) -> float:
    try:
        return -datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return 0.0


class BoardWidget(QWidget):
    """Four status columns. `open_thread` fires on Enter or double-click.

    The columns sit in a row that scrolls sideways: a column is never narrower than a
    card whose level label is whole ("URGENT", not "UR"), and when the window is
    narrower than the four columns need, the board scrolls instead of widening the
    window (clinic screens 1280 px wide). The board itself always shows MIN_COLUMNS
    columns whole. Each column scrolls its own cards up and down."""

    open_thread = Signal(int)
    status_dropped = Signal(int, object)

    # columns always whole side by side, however narrow the window (three keep the
    # window wide enough for every toolbar entry, as before the board scrolled)
    MIN_COLUMNS = 3
    SPACING = 8
    DRAG_EDGE = 40  # a dragged card this near the board's left or right edge scrolls it
    DRAG_STEP = 24

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.row = QWidget()
        self.row.setObjectName("boardColumns")
        self.columns = {s: Column(s, self.row) for s in COLUMNS}
        lay = QHBoxLayout(self.row)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(self.SPACING)
        for col in self.columns.values():
            lay.addWidget(col, 1)
            col.model.dropped.connect(self.status_dropped)
            col.view.doubleClicked.connect(self._open)
            col.view.activated.connect(self._open)
            # the card made current (keys, J/K, a click, a search's pick) is scrolled into view
            col.view.selectionModel().currentChanged.connect(
                lambda *_, c=col: self.scroll.ensureWidgetVisible(c, 0, 0)
            )
            col.view.viewport().installEventFilter(self)
        self.scroll = QScrollArea()
        self.scroll.setObjectName("boardScroll")
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.row)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll)
        # a card dragged near the board's edge scrolls it, so a column out of view can
        # still be dropped on
        self._drag_dx = 0
        self._drag_timer = QTimer(self)
        self._drag_timer.setInterval(30)
        self._drag_timer.timeout.connect(self._drag_scroll)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """MIN_COLUMNS columns whole side by side; the rest of the row scrolls."""
        hint = super().minimumSizeHint()
        cols = list(self.columns.values())[: self.MIN_COLUMNS]
        width = sum(c.minimumSizeHint().width() for c in cols)
        width += self.SPACING * (len(cols) - 1)
        return QSize(
            max(hint.width(), width), max(hint.height(), self.row.minimumSizeHint().height())
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            at = watched.mapTo(self.scroll.viewport(), event.position().toPoint())
            width = self.scroll.viewport().width()
            if at.x() < self.DRAG_EDGE:
                self._drag_dx = -self.DRAG_STEP
            elif at.x() > width - self.DRAG_EDGE:
                self._drag_dx = self.DRAG_STEP
            else:
                self._drag_dx = 0
            if self._drag_dx and not self._drag_timer.isActive():
                self._drag_timer.start()
        elif kind in (QEvent.Type.DragLeave, QEvent.Type.Drop):
            self._drag_dx = 0
        return super().eventFilter(watched, event)

    def _drag_scroll(self) -> None:
        bar = self.scroll.horizontalScrollBar()
        if not self._drag_dx:
            self._drag_timer.stop()
            return
        bar.setValue(bar.value() + self._drag_dx)

    def _open(self, index) -> None:  # noqa: ANN001
        tid = index.data(ThreadRole)
        if tid is not None:
            self.open_thread.emit(int(tid))

    def set_threads(self, threads: list[BoardThread], done_capped: bool = False) -> None:
        by_status: dict[Status, list[BoardThread]] = {s: [] for s in COLUMNS}
        for b in threads:
            by_status[b.row.status].append(b)
        for s, rows in by_status.items():
            rows.sort(key=sort_key)
            self.columns[s].set_rows(rows, capped=done_capped and s is Status.DONE)

    def update_cards(self, changed: dict[int, BoardThread | None]) -> None:
        """Put each named card where it now belongs (None: off the board); every other
        card is left alone, so only these are repainted."""
        touched: set[Status] = set()
        for tid, b in changed.items():
            where = next(
                (
                    (s, i)
                    for s, col in self.columns.items()
                    if (i := col.model.position(tid)) is not None
                ),
                None,
            )
            if where is not None:
                status, i = where
                model = self.columns[status].model
                if b is not None and b.row.status is status and model.fits_at(i, b):
                    model.replace_row(i, b)
                    continue
                model.remove_row(i)
                touched.add(status)
            if b is not None and b.row.status in self.columns:
                self.columns[b.row.status].model.insert_sorted(b)
                touched.add(b.row.status)
        for status in touched:
            self.columns[status].update_title()

    def selected_thread(self) -> int | None:
        for col in self.columns.values():
            if col.view.hasFocus() or col.view.currentIndex().isValid():
                idx = col.view.currentIndex()
                if idx.isValid():
                    return int(idx.data(ThreadRole))
        return None

    def all_ids_in_order(self) -> list[tuple[Status, int]]:
        return [(s, b.row.id) for s, col in self.columns.items() for b in col.model.rows]

    def select(self, thread_id: int) -> bool:
        for col in self.columns.values():
            i = col.model.position(thread_id)
            if i is not None:
                col.view.setFocus()
                col.view.setCurrentIndex(col.model.index(i))
                return True
        return False

    def move_selection(self, step: int) -> int | None:
        """Next/previous card, across columns (J/K)."""
        order = self.all_ids_in_order()
        if not order:
            return None
        current = self.selected_thread()
        ids = [tid for _, tid in order]
        pos = ids.index(current) if current in ids else -1
        new = ids[max(0, min(len(ids) - 1, pos + step))] if pos >= 0 else ids[0]
        self.select(new)
        return new


def now_utc() -> datetime:
    return datetime.now(UTC)


Callback = Callable[[int, Status], None]


ROLE_WORDS = {
    Role.PHYSICIAN: "physician",
    Role.NURSE: "nurse",
    Role.RECEPTIONIST: "front desk",
    Role.ADMIN: "administrator",
}
POOL = -1  # the "team pool" row: nobody assigned


class TeamList(QListWidget):
    """The people a conversation can be given to: drop a card on a person to assign it,
    on "Team pool" to take the assignment away."""

    assign_dropped = Signal(int, object)  # thread id, staff id or None

    def __init__(self, staff: list[Staff], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Team: drop a card on a person to assign it")
        self.setToolTip("Drag a card onto a person to assign it to them")
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setDropIndicatorShown(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.set_staff(staff)

    def set_staff(self, staff: list[Staff]) -> None:
        self.clear()
        rows = [("Team pool (nobody)", POOL)] + [
            (f"{s.display_name}  ·  {ROLE_WORDS[s.role]}", s.id)
            for s in staff
            if s.active and s.role is not Role.ADMIN
        ]
        for text, sid in rows:
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, sid)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsDropEnabled)
            self.addItem(item)

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [MIME]

    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

    def dropMimeData(self, index: int, data: QMimeData, action: Qt.DropAction) -> bool:  # noqa: N802
        item = self.item(index)
        if item is None or not data.hasFormat(MIME):
            return False
        sid = int(item.data(Qt.ItemDataRole.UserRole))
        for text in bytes(data.data(MIME)).decode().split(","):
            if text.strip().isdigit():
                self.assign_dropped.emit(int(text), None if sid == POOL else sid)
        return False  # the board reloads from the store
