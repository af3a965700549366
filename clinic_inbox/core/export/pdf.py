"""The chart copy as PDF (fpdf2, in memory; a Unicode font for every name)."""

from __future__ import annotations

import io
from pathlib import Path

from fpdf import FPDF

from clinic_inbox.core.export.document import ChartDocument

_FONT_DIRS = [
    Path("/usr/share/fonts/truetype/dejavu"),
    Path(__file__).resolve().parents[3] / "resources" / "fonts",
]


def _font() -> tuple[Path, Path] | None:
    for d in _FONT_DIRS:
        regular, bold = d / "DejaVuSans.ttf", d / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            return regular, bold
    return None


class _Chart(FPDF):
    def __init__(self, doc: ChartDocument, family: str) -> None:
        super().__init__(format="Letter")
        self.doc, self.family = doc, family

    def footer(self) -> None:
        d = self.doc
        self.set_y(-18)
        self.set_font(self.family, size=7)
        self.set_text_color(90, 90, 90)
        self.multi_cell(
            0,
            3.5,
            f"Exported by {d.exported_by} on {d.exported_at:%Y-%m-%d %H:%M} UTC · Document {d.document_id} "
            f"(version {d.version}) · Page {self.page_no()}/{{nb}}\nSHA-256 of the content: {d.content_sha256()}",
            align="C",
        )


def render_pdf(doc: ChartDocument) -> bytes:
    fonts = _font()
    pdf = _Chart(doc, "DejaVu" if fonts else "Helvetica")
    if fonts:
        pdf.add_font("DejaVu", "", str(fonts[0]))
        pdf.add_font("DejaVu", "B", str(fonts[1]))
    pdf.set_creation_date(doc.exported_at)
    pdf.set_title(f"{doc.title} — {doc.patient_name}")
    pdf.set_author(doc.exported_by)
    pdf.set_auto_page_break(True, margin=22)
    pdf.add_page()
    f = pdf.family
    w = pdf.epw
    pdf.set_font(f, "B", 15)
    pdf.cell(w, 8, doc.clinic_name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(f, "", 9)
    pdf.cell(w, 5, "Patient messages filed to the medical record", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    if doc.sensitive:
        pdf.set_fill_color(198, 40, 40)
        pdf.set_text_color(255, 255, 255)
        pdf.set_font(f, "B", 10)
        pdf.cell(
            w,
            7,
            "SENSITIVE — restricted: share only with those allowed to see it",
            fill=True,
            new_x="LMARGIN",
            new_y="NEXT",
            align="C",
        )
        pdf.set_text_color(0, 0, 0)
        pdf.ln(2)
    pdf.set_font(f, "B", 11)
    pdf.cell(w, 6, doc.patient_name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(f, "", 9)
    ids = [
        f"Date of birth: {doc.birth_date or 'unknown'}",
        f"Chart number: {doc.chart_number or '—'}",
    ]
    if doc.portal_id:
        ids.append(f"Portal id: {doc.portal_id}")
    if doc.physician_name:
        ids.append(f"Physician: {doc.physician_name}")
    pdf.multi_cell(w, 5, "   ·   ".join(ids), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font(f, "B", 10)
    named = f"Conversation {doc.number}: " if doc.number else "Conversation: "
    pdf.multi_cell(w, 5, named + doc.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(f, "", 9)
    pdf.multi_cell(
        w,
        5,
        f"Category: {doc.category} · Priority: {doc.priority} · {len(doc.messages)} messages",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    for m in doc.messages:
        pdf.set_draw_color(180, 180, 180)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + w, pdf.get_y())
        pdf.ln(1.5)
        pdf.set_font(f, "B", 9)
        arrow = "From the patient" if m.direction == "in" else "To the patient"
        pdf.multi_cell(
            w,
            4.5,
            f"{arrow} · {m.sent_at:%Y-%m-%d %H:%M} UTC · {m.source}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_font(f, "", 8.5)
        pdf.multi_cell(
            w,
            4.2,
            f"From: {m.sender}\nTo: {m.recipients}\nSubject: {m.subject}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(1)
        pdf.set_font(f, "", 9.5)
        pdf.multi_cell(w, 4.8, m.body or "(no text)", new_x="LMARGIN", new_y="NEXT")
        for a in m.attachments:
            pdf.set_font(f, "", 8.5)
            pdf.multi_cell(
                w,
                4.2,
                f"Attachment: {a.filename} ({a.content_type}, {a.size:,} bytes, "
                f"SHA-256 {a.sha256[:16]}…)",
                new_x="LMARGIN",
                new_y="NEXT",
            )
            if a.data and a.content_type in ("image/png", "image/jpeg", "image/gif"):
                try:
                    pdf.image(io.BytesIO(a.data), w=min(60, w))
                except Exception:  # noqa: BLE001 - a broken image is listed, not embedded
                    pdf.multi_cell(
                        w, 4, "(the image could not be embedded)", new_x="LMARGIN", new_y="NEXT"
                    )
            elif a.content_type == "application/pdf":
                pdf.multi_cell(
                    w,
                    4,
                    "(PDF attachment: filed with the FHIR and HL7 exports' record; "
                    "not merged into this copy)",
                    new_x="LMARGIN",
                    new_y="NEXT",
                )
        pdf.ln(2)
    if doc.notes:
        pdf.set_font(f, "B", 10)
        pdf.cell(w, 6, "Internal notes (not sent to the patient)", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(f, "", 9)
        for n in doc.notes:
            pdf.multi_cell(
                w,
                4.8,
                f"{n.author}, {n.at:%Y-%m-%d %H:%M} UTC: {n.body}",
                new_x="LMARGIN",
                new_y="NEXT",
            )
    return bytes(pdf.output())
