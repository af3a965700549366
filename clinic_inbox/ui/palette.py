"""Triage colours, labels and icons: one place, so colour is never the only cue."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPainterPath, QPalette, QPixmap

from clinic_inbox.core.model import Priority

# (colour, label, glyph). The glyph and the words carry the meaning for people
# who cannot tell the colours apart, and in greyscale print-outs.
LEVELS: dict[str, tuple[str, str, str]] = {
    "urgent": ("#c62828", "URGENT", "!"),
    "same_day": ("#ef8f00", "Same day", "◷"),
    "routine": ("#2e7d32", "Routine", "✓"),
    "admin": ("#1565c0", "Admin", "▤"),
    "review": ("#616161", "Needs review", "?"),
}


def level_key(priority: Priority, needs_review: bool, unmatched: bool) -> str:
    if priority is Priority.URGENT:
        return "urgent"  # an emergency stays red even when unmatched
    if needs_review or unmatched:
        return "review"
    return priority.value


def colour(key: str) -> QColor:
    return QColor(LEVELS[key][0])


def label(key: str) -> str:
    return LEVELS[key][1]


_ICON_CACHE: dict[str, QIcon] = {}


def icon(key: str, size: int = 18) -> QIcon:
    """A filled circle in the level's colour with its glyph inside."""
    cache_key = f"{key}:{size}"
    if cache_key in _ICON_CACHE:
        return _ICON_CACHE[cache_key]
    pm = QPixmap(size * 2, size * 2)
    pm.setDevicePixelRatio(2.0)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    path = QPainterPath()
    path.addEllipse(QRectF(1, 1, size - 2, size - 2))
    p.fillPath(path, colour(key))
    f = QFont()
    f.setBold(True)
    f.setPixelSize(int(size * 0.62))
    p.setFont(f)
    p.setPen(QColor("white"))
    p.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, LEVELS[key][2])
    p.end()
    _ICON_CACHE[cache_key] = QIcon(pm)
    return _ICON_CACHE[cache_key]


# -- light and dark themes --------------------------------------------------------
_DARK = {
    QPalette.ColorRole.Window: "#1f2124",
    QPalette.ColorRole.WindowText: "#e8e8e8",
    QPalette.ColorRole.Base: "#17181a",
    QPalette.ColorRole.AlternateBase: "#24262a",
    QPalette.ColorRole.Text: "#ececec",
    QPalette.ColorRole.PlaceholderText: "#a0a4aa",
    QPalette.ColorRole.Button: "#2b2e33",
    QPalette.ColorRole.ButtonText: "#ececec",
    QPalette.ColorRole.Highlight: "#3d7bd9",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.ToolTipBase: "#2b2e33",
    QPalette.ColorRole.ToolTipText: "#ececec",
    QPalette.ColorRole.Link: "#8ab4f8",
    QPalette.ColorRole.Mid: "#4a4e55",
    QPalette.ColorRole.Dark: "#111214",
    QPalette.ColorRole.Light: "#3a3d42",
}


def dark_palette() -> QPalette:
    pal = QPalette()
    for role, value in _DARK.items():
        pal.setColor(role, QColor(value))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7d8188"))
    return pal


def is_dark(pal: QPalette) -> bool:
    return pal.color(QPalette.ColorRole.Window).lightness() < 128


def html_colours(dark: bool) -> dict[str, str]:
    """Colours for the conversation's HTML, readable on either background."""
    if dark:
        return {"muted": "#a8acb3", "note_bg": "#3a3220", "note_fg": "#f3e6c4", "quiet": "#9aa0a6"}
    return {"muted": "#555555", "note_bg": "#fff8e1", "note_fg": "#333333", "quiet": "#777777"}
