"""The patient portal end to end, against a real FHIR R4 server on 127.0.0.1."""

from __future__ import annotations

import base64
import json

import pytest
from support.clinic_details import write_clinic_details
from support.mailgen import tiny_png

from clinic_inbox.core import services
from clinic_inbox.core.accounts import FhirAccount
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Priority, Role
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.store import queries as q
from clinic_inbox.sources import fhir_portal, portal_outbox, sync


@pytest.fixture()
def portal(tmp_path, fhir_server):
    prac = fhir_server.create(
        {"resourceType": "Practitioner", "name": [{"family": "Patel", "given": ["Anjali"]}]}
    )
    home = tmp_path / "c"
    write_clinic_details(home)
    clinic, _ = create_clinic(
        home, lambda p, c: "correct horse battery staple", KeyCustody(home, detect=False)
    )
    services.create_first_admin(clinic, "admin", "Admin", "quartz lantern meadow violin")
    admin = services.login(clinic, "admin", "quartz lantern meadow violin")
    services.add_staff(
        clinic, admin, "dr.patel", "Dr Anjali Patel", Role.PHYSICIAN, "kettle orbit maple frost"
    )
    account = FhirAccount(
        name="Portal",
        base_url=fhir_server.base_url,
        practitioners=[prac["id"]],
        staff_practitioners={"dr.patel": prac["id"]},
    )
    services.add_fhir_account(clinic, admin, account, None)
    clinic.prac = prac["id"]  # type: ignore[attr-defined]
    yield clinic
    clinic.close()


def _patients(server, n):
    return server.create_many(
        [
            {
                "resourceType": "Patient",
                "name": [{"family": f"Family{i}", "given": [f"Given{i}"]}],
                "birthDate": "1980-01-01",
                "telecom": [{"system": "email", "value": f"p{i}@example.org"}],
            }
            for i in range(n)
        ]
    )


def _comm(prac, patient, text, **extra):
    return {
        "resourceType": "Communication",
        "status": "completed",
        "subject": {"reference": f"Patient/{patient}"},
        "sender": {"reference": f"Patient/{patient}"},
        "recipient": [{"reference": f"Practitioner/{prac}"}],
        "sent": "2026-11-20T10:00:00Z",
        "payload": [{"contentString": text}],
        **extra,
    }


def _portal_rows(clinic):
    return clinic.store.execute(
        "SELECT fhir_resource_id, fhir_version FROM messages WHERE source = 'portal' AND direction = 'in'"
    ).fetchall()


def test_1000_over_pages_then_nothing_then_new_and_updated(portal, fhir_server):
    patients = _patients(fhir_server, 100)
    comms = fhir_server.create_many(
        [
            _comm(portal.prac, patients[i % 100]["id"], f"Message {i}: please renew my metformin")
            for i in range(1000)
        ]
    )
    report = sync.run_once(portal, send=False)
    assert not report.accounts[0].error, report.accounts[0].error
    assert report.stored == 1000 and len(_portal_rows(portal)) == 1000
    assert q.patient_count(portal.store) == 100
    assert sync.run_once(portal, send=False).stored == 0
    fhir_server.create_many([_comm(portal.prac, patients[0]["id"], f"New {i}") for i in range(20)])
    for c in comms[:5]:
        c["payload"] = [{"contentString": c["payload"][0]["contentString"] + " (edited)"}]
        fhir_server.update(c)
    again = sync.run_once(portal, send=False)
    assert again.stored == 25
    rows = _portal_rows(portal)
    assert len(rows) == 1020 and len({r[0] for r in rows}) == 1020
    edited = q.list_messages(portal.store, q.MessageFilter(search="edited"))
    assert len(edited) == 5


def test_forms_attachments_priorities_and_an_invalid_resource(portal, fhir_server):
    patient = _patients(fhir_server, 1)[0]["id"]
    qr = fhir_server.create(
        {
            "resourceType": "QuestionnaireResponse",
            "status": "completed",
            "questionnaire": "http://clinic.example/Questionnaire/bp-log",
            "item": [
                {"linkId": "1", "text": "Systolic", "answer": [{"valueInteger": 182}]},
                {"linkId": "2", "text": "Diastolic", "answer": [{"valueInteger": 112}]},
            ],
        }
    )
    png = tiny_png(4)
    fhir_server.create_many(
        [
            _comm(
                portal.prac,
                patient,
                "My readings are attached",
                priority="urgent",
                payload=[
                    {"contentString": "My readings"},
                    {"contentReference": {"reference": f"QuestionnaireResponse/{qr['id']}"}},
                ],
            ),
            _comm(
                portal.prac,
                patient,
                "rash photo",
                payload=[
                    {"contentString": "Here is the rash"},
                    {
                        "contentAttachment": {
                            "contentType": "image/png",
                            "data": base64.b64encode(png).decode(),
                            "title": "rash.png",
                        }
                    },
                ],
            ),
            _comm(portal.prac, patient, "I can't breathe since this morning", priority="routine"),
        ]
    )
    fhir_server.plant_raw(_comm(portal.prac, patient, "broken one", status="bogus"))
    report = sync.run_once(portal, send=False)
    assert report.stored == 4 and report.accounts[0].review >= 1
    msgs = {m.subject: m for m in q.list_messages(portal.store)}
    form = next(m for m in msgs.values() if "readings" in m.subject.lower())
    detail = q.thread_messages(portal.store, form.thread_id, True)[0]
    assert "Systolic: 182" in detail.body and any(
        a.filename.endswith(".json") for a in detail.attachments
    )
    assert form.priority in (
        Priority.SAME_DAY,
        Priority.URGENT,
    )  # the sender said urgent; never lowered
    rash = next(m for m in msgs.values() if "rash" in m.subject.lower())
    att = q.thread_messages(portal.store, rash.thread_id, True)[0].attachments[0]
    assert att.content_type == "image/png"
    breathe = next(m for m in msgs.values() if "breathe" in m.subject.lower())
    assert breathe.priority is Priority.URGENT  # triage raised the sender's "routine"
    bad = portal.store.execute("SELECT review_reason FROM messages WHERE needs_review").fetchall()
    assert bad and "not valid" in bad[0][0]


def test_reply_while_the_server_is_down_goes_once_with_in_response_to(portal, fhir_server):
    patient = _patients(fhir_server, 1)[0]["id"]
    original = fhir_server.create(_comm(portal.prac, patient, "Is my prescription ready?"))
    sync.run_once(portal, send=False)
    with portal.store.transaction():
        portal.store.execute("UPDATE patients SET responsible_physician_id = 2")
    thread_id = q.list_threads(portal.store)[0].id
    fhir_server.stop()
    doc = services.login(portal, "dr.patel", "kettle orbit maple frost")
    item = services.queue_reply(portal, doc, thread_id, "Yes, it is at the pharmacy.")
    down = sync.run_once(portal)
    assert down.accounts[0].offline and oq.get(portal.store, item).state == "pending"
    fhir_server.start()
    with portal.store.transaction():
        oq.retry_now(portal.store)
    sync.run_once(portal)
    # an interrupted send is retried, and the conditional create keeps one copy
    with portal.store.transaction():
        portal.store.execute("UPDATE outbox SET state = 'sending' WHERE id = ?", (item,))
    portal_outbox.flush_account(portal, fhir_portal_account(portal), None)
    replies = [c for c in fhir_server.search("Communication", {"recipient": f"Patient/{patient}"})]
    assert len(replies) == 1
    assert replies[0]["inResponseTo"] == [{"reference": f"Communication/{original['id']}"}]
    assert "at the pharmacy" in json.dumps(replies[0])
    assert oq.get(portal.store, item).state == "sent"


def fhir_portal_account(clinic):
    from clinic_inbox.core.accounts import fhir_accounts

    return fhir_accounts(clinic.store)[0]


def test_server_errors_are_reported_and_nothing_is_lost(portal, fhir_server):
    patient = _patients(fhir_server, 1)[0]["id"]
    fhir_server.create_many([_comm(portal.prac, patient, f"m{i}") for i in range(3)])
    fhir_server.fail_next(1, 500)
    first = sync.run_once(portal, send=False)
    assert first.accounts[0].offline and "HTTP 500" in first.accounts[0].error
    assert sync.run_once(portal, send=False).stored == 3
    assert fhir_portal.validate_communication({"resourceType": "Bundle"})


def test_an_exported_thread_is_accepted_as_a_transaction(portal, fhir_server, tmp_path):
    patient = _patients(fhir_server, 1)[0]["id"]
    fhir_server.create(_comm(portal.prac, patient, "Café au lait | ^ ~ & \\ spots on my arm"))
    sync.run_once(portal, send=False)
    with portal.store.transaction():
        portal.store.execute("UPDATE patients SET responsible_physician_id = 2")
    doc = services.login(portal, "dr.patel", "kettle orbit maple frost")
    thread_id = q.list_threads(portal.store)[0].id
    filed = services.export_thread(
        portal,
        doc,
        thread_id,
        formats=("fhir",),
        out_dir=tmp_path,
        password="kettle orbit maple frost",
    )
    status, body = fhir_server.transaction(filed.bundle)
    assert status == 200, body
    assert body["type"] == "transaction-response" and len(body["entry"]) == 2
    refs = fhir_server.search("DocumentReference", {})
    assert refs and refs[0]["masterIdentifier"]["value"] == filed.document_id
    broken = json.loads(json.dumps(filed.bundle))
    broken["entry"][1]["resource"]["status"] = "bogus"
    before = len(fhir_server.search("DocumentReference", {}))
    assert fhir_server.transaction(broken)[0] == 400
    assert len(fhir_server.search("DocumentReference", {})) == before  # nothing written
