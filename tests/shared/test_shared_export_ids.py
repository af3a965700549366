"""Two workstations filing the same conversation write the same document identifiers.

Two workstations of one clinic on a real PostgreSQL, each with its own SQLCipher store
and keyring; their local conversation numbers differ (B had two conversations of its
own first). A conversation published by A and pulled by B is filed on both: the FHIR
bundle (DocumentReference master identifier, its thread identifier and the conditional
create, each Communication's full URL) and the HL7 MDM (document number, file name)
are the same on both, named after the clinic's number, never a local one. Alone (no
server) a workstation keeps its local form.
"""

from __future__ import annotations

from workstations import login, new_workstation, receive

from clinic_inbox.core import filing
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import server as srv
from clinic_inbox.shared import sync


def _filed(ws, thread_id: int, out) -> tuple[dict, str, str]:  # noqa: ANN001
    """What filing version 1 writes: (FHIR bundle, HL7 message, document id)."""
    out.mkdir()
    doc = filing.build_document(
        ws, thread_id, exported_by="Dr Anjali Patel", include_notes=False, version=1, replaces=None
    )
    paths, bundle = filing.render_and_write(doc, ("fhir", "hl7v2"), out)
    hl7 = next(p for p in paths if p.suffix == ".hl7").read_text("utf-8")
    assert bundle is not None
    return bundle, hl7, doc.document_id


def _ids(bundle: dict) -> dict:
    ref = bundle["entry"][0]
    return {
        "master": ref["resource"]["masterIdentifier"]["value"],
        "thread": [i["value"] for i in ref["resource"]["identifier"]],
        "if_none": ref["request"]["ifNoneExist"],
        "urls": [e["fullUrl"] for e in bundle["entry"]],
    }


def test_two_workstations_filing_one_conversation_write_the_same_ids(
    tmp_path, empty_db, keyring_factory
):
    rings = [keyring_factory(), keyring_factory()]
    homes = [tmp_path / "ws-a", tmp_path / "ws-b"]
    a, b = (new_workstation(h, r.backend()) for h, r in zip(homes, rings, strict=True))
    custody = [KeyCustody(h, backend=r.backend()) for h, r in zip(homes, rings, strict=True)]
    init = srv.init_server(a, login(a, "admin"), empty_db, custody[0])
    srv.connect_workstation(b, login(b, "admin"), empty_db, init.clinic_code, custody[1])
    receive(b, 2, tag="b")  # B's local numbers run ahead of A's
    (on_a,) = receive(a, 1)
    link_a = srv.open_link(a, custody[0])
    conv = sync.publish_conversation(a, link_a, on_a, None)
    link_a.conn.close()
    link_b = srv.open_link(b, custody[1])
    sync.pull(b, link_b)
    link_b.conn.close()
    on_b = shq.thread_by_uuid(b.store, conv)
    assert on_b is not None and on_b != on_a
    number = q.get_thread(a.store, on_a).shared_number
    assert number is not None and q.get_thread(b.store, on_b).shared_number == number

    bundle_a, hl7_a, id_a = _filed(a, on_a, tmp_path / "out-a")
    bundle_b, hl7_b, id_b = _filed(b, on_b, tmp_path / "out-b")
    assert id_a == id_b and id_a.startswith(f"CI-C{number}-1-")
    assert _ids(bundle_a) == _ids(bundle_b)
    assert _ids(bundle_a)["master"] == id_a
    assert f"-C{number}-v1" in _ids(bundle_a)["if_none"]
    # the HL7 document number (TXA-12) and the file it names
    txa_a = next(s for s in hl7_a.splitlines() if s.startswith("TXA"))
    txa_b = next(s for s in hl7_b.splitlines() if s.startswith("TXA"))
    assert txa_a.split("|")[12] == txa_b.split("|")[12] == id_a
    # the content hash printed on the chart copy is the same too
    doc_a = filing.build_document(
        a, on_a, exported_by="x", include_notes=False, version=1, replaces=None
    )
    doc_b = filing.build_document(
        b, on_b, exported_by="y", include_notes=False, version=1, replaces=None
    )
    assert doc_a.content_sha256() == doc_b.content_sha256()
    # a second version is another document, still alike on both
    v2 = [
        filing.build_document(w, t, exported_by="x", include_notes=False, version=2, replaces=id_a)
        for w, t in ((a, on_a), (b, on_b))
    ]
    assert v2[0].document_id == v2[1].document_id != id_a
    # named by the clinic's number, never by either workstation's local one
    assert _ids(bundle_a)["thread"] == [
        f"{bundle_a['entry'][0]['resource']['identifier'][0]['value']}"
    ]
    assert _ids(bundle_a)["thread"][0].endswith(f"-C{number}-v1")
    a.close()
    b.close()


def test_alone_a_workstation_keeps_its_local_document_ids(tmp_path, keyring_factory):
    ring = keyring_factory()
    ws = new_workstation(tmp_path / "ws", ring.backend())
    (t,) = receive(ws, 1)
    bundle, hl7, doc_id = _filed(ws, t, tmp_path / "out")
    assert doc_id.startswith(f"CI-{t}-1-")
    ids = _ids(bundle)
    assert ids["thread"] == [f"{bundle['entry'][0]['resource']['identifier'][0]['value']}"]
    assert ids["thread"][0].endswith(f"-{t}-v1") and f"-{t}-v1" in ids["if_none"]
    again = filing.build_document(
        ws, t, exported_by="x", include_notes=False, version=1, replaces=None
    )
    assert again.document_id != doc_id  # alone, each filing's id is its own, as before
    ws.close()
