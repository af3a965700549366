"""The dashboard: messages per day, open and overdue work, response times per physician."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinic_inbox.core.dashboard import Dashboard


class DayChart(QWidget):
    """Bars of incoming messages per day; the accessible text carries the numbers."""

    def __init__(self, per_day: list, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.per_day = per_day
        self.setMinimumHeight(220)
        self.setAccessibleName("Messages per day")
        self.setAccessibleDescription(", ".join(f"{d:%b %d}: {n}" for d, n in per_day))

    def paintEvent(self, event) -> None:  # noqa: ANN001, N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        r = self.rect().adjusted(40, 10, -10, -30)
        top = max((n for _, n in self.per_day), default=1) or 1
        p.setPen(pal.color(QPalette.ColorRole.Mid))
        p.drawLine(r.bottomLeft(), r.bottomRight())
        p.setPen(pal.color(QPalette.ColorRole.Text))
        p.drawText(QRect(0, r.top() - 8, 36, 16), Qt.AlignmentFlag.AlignRight, str(top))
        p.drawText(QRect(0, r.bottom() - 8, 36, 16), Qt.AlignmentFlag.AlignRight, "0")
        n = max(len(self.per_day), 1)
        w = r.width() / n
        for i, (d, count) in enumerate(self.per_day):
            h = int(r.height() * count / top)
            bar = QRect(int(r.left() + i * w + 2), r.bottom() - h, max(int(w) - 4, 1), h)
            p.fillRect(bar, QColor("#1565c0") if d.weekday() < 5 else QColor("#90a4ae"))
            if i % 5 == 0 or i == n - 1:
                p.drawText(
                    QRect(int(r.left() + i * w - 10), r.bottom() + 4, 60, 16),
                    Qt.AlignmentFlag.AlignLeft,
                    f"{d:%b %d}",
                )
        p.end()


class DashboardWidget(QWidget):
    def __init__(self, data: Dashboard, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        summary = QLabel(
            f"<h2>Open conversations: {data.open:,}</h2>"
            f"<p><b style='color:#c62828'>{data.overdue:,} overdue</b> against the published response times "
            f"· {data.urgent_open:,} urgent still open</p>"
            f"<p><b style='color:{'#c62828' if data.not_delivered else 'inherit'}'>"
            f"{data.not_delivered:,} not delivered: call the patient</b> · "
            f"{data.follow_up_due:,} follow-ups due · "
            f"{data.scheduled:,} messages to send later · "
            f"{data.done_not_filed:,} done but not filed to the chart</p>"
            + (
                "<p>E-visit time, last 7 days: "
                + " · ".join(f"{name} {minutes} min" for name, minutes in data.evisit_minutes)
                + "</p>"
                if data.evisit_minutes
                else ""
            )
            + (
                "<p>Most messages from one patient, last 30 days: "
                + " · ".join(f"{name} ({n})" for name, n in data.busiest_patients)
                + "</p>"
                if data.busiest_patients
                else ""
            )
        )
        lay.addWidget(summary)
        lay.addWidget(QLabel("<b>Messages received per day (last 30 days; weekends in grey)</b>"))
        lay.addWidget(DayChart(data.per_day))
        lay.addWidget(
            QLabel(
                "<b>Per physician</b> — median time to first reply, in working hours, against the routine target"
            )
        )
        table = QTableWidget(len(data.physicians), 5)
        table.setHorizontalHeaderLabels(
            ["Physician", "Open", "Overdue", "Median first reply", "Target"]
        )
        for row, f in enumerate(data.physicians):
            median = (
                "—"
                if f.median_response_hours is None
                else f"{f.median_response_hours:.1f} working h ({f.answered} answered)"
            )
            values = [f.name, str(f.open), str(f.overdue), median, f"{f.target_hours:g} working h"]
            for col, v in enumerate(values):
                item = QTableWidgetItem(v)
                if (
                    col == 3
                    and f.median_response_hours is not None
                    and f.median_response_hours > f.target_hours
                ):
                    item.setForeground(QColor("#c62828"))
                table.setItem(row, col, item)
        table.verticalHeader().setVisible(False)  # row numbers mean nothing here
        table.setAccessibleName("Response times per physician")
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        # as tall as its rows, so the page does not end in an empty grid
        table.setSizeAdjustPolicy(QTableWidget.SizeAdjustPolicy.AdjustToContents)
        table.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        lay.addWidget(table)
        lay.addStretch(1)
