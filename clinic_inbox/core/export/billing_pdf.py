"""The e-visit billing report as a PDF: one line per patient, clinician and period."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from fpdf import FPDF

from clinic_inbox.core.billing_time import Line
from clinic_inbox.core.export.pdf import _font

COLUMNS = [("Patient", 52), ("Clinician", 42), ("Period", 44), ("Minutes", 18), ("Code", 20)]


def render_billing_pdf(
    clinic_name: str, lines: list[Line], first: date, last: date, tz: ZoneInfo
) -> bytes:
    fonts = _font()
    family = "DejaVu" if fonts else "Helvetica"
    pdf = FPDF(format="Letter")
    if fonts:
        pdf.add_font("DejaVu", "", str(fonts[0]))
        pdf.add_font("DejaVu", "B", str(fonts[1]))
    pdf.set_creation_date(datetime.now(UTC))
    pdf.set_title(f"E-visit billing {first} to {last}")
    pdf.add_page()
    pdf.set_font(family, "B", 14)
    pdf.cell(0, 8, clinic_name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10)
    pdf.cell(
        0,
        6,
        f"E-visit time and codes, periods starting {first} to {last}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    pdf.set_font(family, "B", 9)
    for title, width in COLUMNS:
        pdf.cell(width, 6, title, border="B")
    pdf.ln()
    pdf.set_font(family, "", 9)
    total = 0
    for ln in lines:
        total += ln.minutes
        start = ln.starts.astimezone(tz).date()
        end = ln.ends.astimezone(tz).date()
        values = [
            ln.patient[:32],
            ln.clinician[:26],
            f"{start} – {end}",
            str(ln.minutes),
            ln.code or "—",
        ]
        for (_, width), text in zip(COLUMNS, values, strict=True):
            pdf.cell(width, 6, text)
        pdf.ln()
    pdf.ln(2)
    pdf.set_font(family, "B", 9)
    billable = sum(1 for ln in lines if ln.code)
    pdf.cell(0, 6, f"{len(lines)} periods, {billable} billable, {total} minutes in all.")
    return bytes(pdf.output())
