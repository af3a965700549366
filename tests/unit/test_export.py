"""Filing to the chart: PDF, FHIR transaction Bundle and HL7 v2 MDM^T02, each
checked by an independent library."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import tempfile
from datetime import UTC, datetime

import hl7
import pytest
from pypdf import PdfReader
from support.clinics import new_clinic
from support.mailgen import tiny_png

from clinic_inbox.core import access, services
from clinic_inbox.core.export import fhir_bundle, hl7v2, pdf
from clinic_inbox.core.export.document import ChartAttachment, ChartDocument, ChartMessage
from clinic_inbox.core.model import Category, Direction, Priority, Role, Source
from clinic_inbox.core.store import queries as q

WHEN = datetime(2026, 11, 20, 14, 5, tzinfo=UTC)
NASTY = "Dose 5|10 mg ^ twice ~ daily & check \\ INR"


def _doc(**over) -> ChartDocument:
    png = tiny_png(5)
    long = "The rash started on my left forearm. " * 55
    msgs = (
        ChartMessage(
            1,
            "in",
            "email",
            "zoe@example.org",
            "inbox@clinic.example",
            WHEN,
            WHEN,
            "Rash",
            f"{long}\nSee https://example.org/{'x' * 300}\n{NASTY}",
            "<a@x>",
            None,
            None,
            (
                ChartAttachment(
                    "rash.png", "image/png", len(png), hashlib.sha256(png).hexdigest(), png
                ),
            ),
        ),
        ChartMessage(
            2,
            "out",
            "email",
            "Dr Anjali Patel",
            "zoe@example.org",
            WHEN,
            WHEN,
            "Re: Rash",
            "Please use the cream twice daily.",
            "<b@x>",
            None,
            1,
        ),
    )
    base = dict(
        clinic_name="Riverside Family Health",
        clinic_id="riverside",
        thread_id=7,
        title="Rash | ^itchy^",
        category="other",
        priority="routine",
        sensitive=True,
        patient_name="Zoë Lefèvre-Núñez",
        patient_family="Lefèvre-Núñez",
        patient_given="Zoë",
        birth_date="1984-02-29",
        chart_number="RFH-1|2",
        portal_id="pat-9",
        patient_fhir_id="pat-9",
        physician_name="Dr Anjali Patel",
        physician_fhir_id=None,
        exported_by="Dr Anjali Patel",
        exported_at=WHEN,
        version=2,
        document_id="CI-7-2-abc",
        replaces_document_id="CI-7-1-old",
        messages=msgs,
    )
    base.update(over)
    return ChartDocument(**base)


def test_pdf_is_readable_and_every_page_carries_the_hash():
    doc = _doc()
    data = pdf.render_pdf(doc)
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(p.extract_text() for p in reader.pages)
    flat = " ".join(text.split())
    assert "Zoë Lefèvre-Núñez" in flat and "SENSITIVE" in flat
    assert "Please use the cream twice daily." in flat and "The rash started" in flat
    assert "Dose 5|10 mg ^ twice ~ daily & check \\ INR" in flat
    for page in reader.pages:
        assert doc.content_sha256() in " ".join(page.extract_text().split()).replace(
            " ", ""
        ) or doc.content_sha256()[:32] in page.extract_text().replace("\n", "")
    assert pdf.render_pdf(doc) == data  # deterministic


def test_fhir_bundle_validates_and_describes_the_pdf():
    doc = _doc()
    data = pdf.render_pdf(doc)
    bundle = fhir_bundle.render_bundle(doc, data)
    fhir_bundle.validate_bundle(bundle)
    assert bundle["type"] == "transaction"
    ref = bundle["entry"][0]["resource"]
    att = ref["content"][0]["attachment"]
    assert att["size"] == len(data) and base64.b64decode(att["data"]) == data
    assert att["hash"] == base64.b64encode(hashlib.sha1(data).digest()).decode()  # noqa: S324
    assert ref["securityLabel"][0]["coding"][0]["code"] == "R"
    assert ref["relatesTo"][0]["code"] == "replaces"
    comms = [e["resource"] for e in bundle["entry"][1:]]
    assert (
        len(comms) == 2
        and comms[1]["inResponseTo"][0]["reference"] == bundle["entry"][1]["fullUrl"]
    )
    assert comms[0]["identifier"][0]["value"] == "<a@x>"


def test_hl7_mdm_parses_and_escaping_holds():
    doc = _doc()
    data = pdf.render_pdf(doc)
    raw = hl7v2.render_mdm(doc, data, control_id="CTRL1")
    msg = hl7.parse(raw.decode())
    assert str(msg.segment("MSH")[9]) == "MDM^T02^MDM_T02"
    assert [str(s[0]) for s in msg] == ["MSH", "EVN", "PID", "PV1", "TXA", "OBX"]
    txa = msg.segment("TXA")
    assert len(txa) == 20
    assert str(txa[12]) == "CI-7-2-abc" and str(txa[18]) == "R" and str(txa[13]) == "CI-7-1-old"
    pid = msg.segment("PID")
    assert msg.unescape(str(pid[5][0][0])) == "Lefèvre-Núñez"
    assert msg.unescape(str(pid[3][0][0][0])) == "RFH-1|2"
    obx5 = msg.segment("OBX")[5][0]
    assert base64.b64decode(str(obx5[4])) == data
    assert hl7v2.escape(NASTY).count("|") == 0


def test_renderers_write_nothing_to_disk(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))  # any temp file would land here
    doc = _doc(sensitive=False, replaces_document_id=None)
    data = pdf.render_pdf(doc)
    fhir_bundle.render_bundle(doc, data)
    hl7v2.render_mdm(doc, data)
    assert [p.name for p in tmp_path.iterdir()] == ["tmp"] and list(private_tmp.iterdir()) == []


@pytest.fixture()
def clinic(tmp_path):
    c, admin, doc = new_clinic(tmp_path / "c")
    services.add_staff(c, admin, "desk", "Desk", Role.RECEPTIONIST, "kettle orbit maple frost")
    with c.store.transaction():
        pid = q.add_patient(c.store, "Lefèvre", "Zoë", "1984-02-29", "RFH-1", "pat-1", doc.id)
        tid = q.create_thread(
            c.store, q.NewThread("Rash", Category.RESULTS, Priority.ROUTINE, q.utcnow(), pid)
        )
        q.insert_message(
            c.store,
            q.NewMessage(
                tid,
                Source.EMAIL,
                Direction.INBOUND,
                q.utcnow(),
                sender="z@x.example",
                subject="Rash",
                body_text=f"Itchy rash. {NASTY}",
                patient_id=pid,
                message_id_header="<m1@x>",
            ),
        )
    c.thread_id = tid  # type: ignore[attr-defined]
    yield c
    c.close()


def test_export_service_files_versions_and_audits(clinic, tmp_path):
    doc = services.login(clinic, "dr.patel", "kettle orbit maple frost")
    out = tmp_path / "chart-inbox"
    out.mkdir()
    with pytest.raises(services.AuthError):
        services.export_thread(
            clinic,
            doc,
            clinic.thread_id,
            formats=("pdf",),
            out_dir=out,
            password="no",
            sleep=lambda s: None,
        )
    with pytest.raises(access.AccessDenied):
        services.export_thread(
            clinic,
            services.login(clinic, "desk", "kettle orbit maple frost"),
            clinic.thread_id,
            formats=("pdf",),
            out_dir=out,
            password="kettle orbit maple frost",
        )
    first = services.export_thread(
        clinic,
        doc,
        clinic.thread_id,
        formats=("pdf", "fhir", "hl7v2"),
        out_dir=out,
        password="kettle orbit maple frost",
    )
    assert sorted(p.suffix for p in first.paths) == [".hl7", ".json", ".pdf"]
    assert sorted(os.listdir(out)) == sorted(p.name for p in first.paths)  # no temp files left
    second = services.export_thread(
        clinic,
        doc,
        clinic.thread_id,
        formats=("fhir",),
        out_dir=out,
        password="kettle orbit maple frost",
    )
    assert second.version == 2 and second.replaces == first.document_id
    bundle = json.loads(second.paths[0].read_text())
    assert (
        bundle["entry"][0]["resource"]["relatesTo"][0]["target"]["identifier"]["value"]
        == first.document_id
    )
    t = services.show_thread(clinic, doc, clinic.thread_id)
    assert t.filed_document_id == second.document_id and t.filed_at
    from clinic_inbox.core import audit

    assert [e.action for e in audit.entries(clinic.store)].count("export") == 2
