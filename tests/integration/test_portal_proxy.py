"""Proxies writing through the patient portal, and consent on portal replies, end to
end against the loopback FHIR R4 server: a caregiver's own portal account
(RelatedPerson) files under the patient only with an authorisation on record and in
force; anyone else's waits unlinked for a person; a portal reply needs the patient's
portal agreement (or a reason, recorded), carries the footer, and reaches the server."""

from __future__ import annotations

import json

import pytest
from support.clinic_details import CLINIC_TOML

from clinic_inbox.core import audit, services
from clinic_inbox.core import services_consent as scons
from clinic_inbox.core import services_reply as sr
from clinic_inbox.core.accounts import FhirAccount
from clinic_inbox.core.config import load_config
from clinic_inbox.core.consent import ConsentNeeded
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Role
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.store import queries as q
from clinic_inbox.sources import sync

DOC_PW = "kettle orbit maple frost"


@pytest.fixture()
def portal(tmp_path, fhir_server):
    prac = fhir_server.create(
        {"resourceType": "Practitioner", "name": [{"family": "Patel", "given": ["Anjali"]}]}
    )
    home = tmp_path / "c"
    home.mkdir()
    (home / "clinic.toml").write_text(CLINIC_TOML + "[consent]\nrequired = true\n", "utf-8")
    clinic, _ = create_clinic(
        home, lambda p, c: "correct horse battery staple", KeyCustody(home, detect=False)
    )
    clinic.config = load_config(home)
    services.create_first_admin(clinic, "admin", "Admin", "quartz lantern meadow violin")
    admin = services.login(clinic, "admin", "quartz lantern meadow violin")
    services.add_staff(clinic, admin, "dr.patel", "Dr Anjali Patel", Role.PHYSICIAN, DOC_PW)
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


def _comm(prac, patient, sender, text):
    return {
        "resourceType": "Communication",
        "status": "completed",
        "subject": {"reference": f"Patient/{patient}"},
        "sender": {"reference": sender},
        "recipient": [{"reference": f"Practitioner/{prac}"}],
        "sent": "2026-11-20T10:00:00Z",
        "payload": [{"contentString": text}],
    }


def _thread_of(clinic, text):
    """The conversation holding `text`, and that message as the thread view shows it."""
    [m] = q.list_messages(clinic.store, q.MessageFilter(search=text))
    [detail] = [d for d in q.thread_messages(clinic.store, m.thread_id, True) if d.id == m.id]
    return q.get_thread(clinic.store, m.thread_id), detail


def test_a_caregivers_portal_account_writes_for_the_patient_only_when_authorised(
    portal, fhir_server
):
    rosa = fhir_server.create(
        {
            "resourceType": "Patient",
            "name": [{"family": "Delgado", "given": ["Rosa"]}],
            "birthDate": "1941-03-02",
        }
    )
    carmen, stranger = (
        fhir_server.create(
            {
                "resourceType": "RelatedPerson",
                "patient": {"reference": f"Patient/{rosa['id']}"},
                "name": [{"family": name, "given": [given]}],
            }
        )
        for given, name in (("Carmen", "Delgado"), ("Sam", "Nobody"))
    )
    prac = portal.prac
    fhir_server.create(_comm(prac, rosa["id"], f"Patient/{rosa['id']}", "Hello from Rosa herself"))
    assert not sync.run_once(portal, send=False).accounts[0].error
    rosa_id = q.get_thread(portal.store, q.list_threads(portal.store)[0].id).patient_id
    with portal.store.transaction():
        portal.store.execute("UPDATE patients SET responsible_physician_id = 2")
    doc = services.login(portal, "dr.patel", DOC_PW)
    scons.record_consent(
        portal,
        doc,
        rosa_id,
        channels=frozenset({"portal"}),
        terms_version="v1",
        how="portal-checkbox",
    )

    # before any authorisation: Carmen's message waits, unlinked, for a person
    fhir_server.create(
        _comm(prac, rosa["id"], f"RelatedPerson/{carmen['id']}", "Early note UNAUTH1 for mom")
    )
    sync.run_once(portal, send=False)
    row, msg = _thread_of(portal, "UNAUTH1")
    assert row.patient_id is None and msg.needs_review
    assert "not on record as this patient's proxy" in (msg.review_reason or "")

    proxy = scons.add_proxy(
        portal,
        doc,
        rosa_id,
        name="Carmen Delgado",
        relationship="caregiver",
        address="c.delgado@family.example",
        scope=frozenset({"results"}),
        evidence="Authorisation signed by Rosa Delgado, scanned to the chart",
        portal_id=carmen["id"],
    )
    fhir_server.create(
        _comm(
            prac,
            rosa["id"],
            f"RelatedPerson/{carmen['id']}",
            "Could you send my mother's blood test results? AUTH2",
        )
    )
    fhir_server.create(
        _comm(prac, rosa["id"], f"RelatedPerson/{stranger['id']}", "I am her neighbour STRANGER3")
    )
    sync.run_once(portal, send=False)
    row, msg = _thread_of(portal, "AUTH2")
    assert row.patient_id == rosa_id and not msg.needs_review
    assert msg.sender == "Carmen Delgado for Rosa Delgado"
    found = scons.proxy_writing(portal, row.id, rosa_id)
    assert found is not None and found[0].id == proxy
    assert found[1].allowed == (row.category.value in ("results", "measurements"))
    other, said = _thread_of(portal, "STRANGER3")
    assert other.patient_id is None and said.needs_review
    entries = [e for e in audit.entries(portal.store) if e.action == "patient.proxy.add"]
    assert entries[-1].detail["portal"] is True

    # a portal reply in Carmen's conversation: Rosa agreed to the portal; footer; sent
    item = sr.queue_reply(portal, doc, row.id, "Her results are normal.")
    sync.run_once(portal)
    assert oq.get(portal.store, item).state == "sent"
    [sent] = [
        c
        for c in fhir_server.search("Communication", {"recipient": f"Patient/{rosa['id']}"})
        if "Her results are normal." in json.dumps(c)
    ]
    text = sent["payload"][0]["contentString"]
    assert "Do not use e-mail for emergencies: call 911" in text

    # withdrawn: her next message is not filed to Rosa
    scons.revoke_proxy(portal, doc, proxy)
    fhir_server.create(
        _comm(prac, rosa["id"], f"RelatedPerson/{carmen['id']}", "After withdrawal WITHDRAWN4")
    )
    sync.run_once(portal, send=False)
    row, msg = _thread_of(portal, "WITHDRAWN4")
    assert row.patient_id is None and "authorisation was withdrawn" in (msg.review_reason or "")


def test_a_portal_reply_without_a_portal_agreement_is_refused_and_audited(portal, fhir_server):
    pat = fhir_server.create(
        {"resourceType": "Patient", "name": [{"family": "Roy", "given": ["Ana"]}]}
    )
    fhir_server.create(_comm(portal.prac, pat["id"], f"Patient/{pat['id']}", "Question NOAGREE"))
    sync.run_once(portal, send=False)
    with portal.store.transaction():
        portal.store.execute("UPDATE patients SET responsible_physician_id = 2")
    row, _ = _thread_of(portal, "NOAGREE")
    doc = services.login(portal, "dr.patel", DOC_PW)
    with pytest.raises(ConsentNeeded, match="has not agreed to patient portal messages"):
        sr.queue_reply(portal, doc, row.id, "Answer.")
    [refused] = [e for e in audit.entries(portal.store) if e.action == "reply.refused"]
    assert refused.thread_id == row.id and refused.reason.startswith("portal:")
    assert oq.counts(portal.store).get("pending", 0) == 0
    item = sr.queue_reply(portal, doc, row.id, "Answer.", consent_reason="asked on the phone")
    sync.run_once(portal)
    assert oq.get(portal.store, item).state == "sent"
