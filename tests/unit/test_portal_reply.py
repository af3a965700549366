"""A portal reply is a valid R4 Communication answering the patient's message,
queued in the outbox with its own identifier (the send is a conditional create)."""

from __future__ import annotations

import json

from fhir.resources.R4B.communication import Communication
from support.clinics import new_clinic

from clinic_inbox.core import services
from clinic_inbox.core.accounts import FhirAccount
from clinic_inbox.core.model import Category, Direction, Priority, Role, Source
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.store import queries as q


def test_portal_reply_is_queued_as_a_valid_communication(tmp_path):
    clinic, admin, doc = new_clinic(tmp_path / "c")
    nurse = services.add_staff(
        clinic, admin, "nurse", "Grace Chen", Role.NURSE, "kettle orbit maple frost"
    )
    account_id = services.add_fhir_account(
        clinic,
        admin,
        FhirAccount(name="Portal", base_url="http://127.0.0.1:9/fhir/R4", practitioners=["prac-1"]),
        None,
    )
    with clinic.store.transaction():
        pid = q.add_patient(clinic.store, "Núñez", "José", "1990-01-01", "RFH-2", "pat-77", doc.id)
        tid = q.create_thread(
            clinic.store,
            q.NewThread("BP log", Category.MEASUREMENTS, Priority.ROUTINE, q.utcnow(), pid),
        )
        q.insert_message(
            clinic.store,
            q.NewMessage(
                tid,
                Source.PORTAL,
                Direction.INBOUND,
                q.utcnow(),
                sender="portal:pat-77",
                subject="BP log",
                body_text="130/85 all week",
                patient_id=pid,
                account_id=account_id,
                fhir_resource_id="comm-42",
                fhir_version="1",
                message_id_header="<Communication/comm-42@portal>",
            ),
        )
    services.grant_delegation(
        clinic,
        services.login(clinic, "dr.patel", "kettle orbit maple frost"),
        physician="dr.patel",
        delegate="nurse",
        can_reply=True,
    )
    item_id = services.queue_reply(
        clinic,
        services.login(clinic, "nurse", "kettle orbit maple frost"),
        tid,
        "Looks good, keep going.",
    )
    item = oq.get(clinic.store, item_id)
    assert item.kind == "portal" and item.state == "pending"
    resource = json.loads(item.payload)
    Communication.model_validate(resource)
    assert resource["inResponseTo"] == [{"reference": "Communication/comm-42"}]
    assert resource["recipient"] == [{"reference": "Patient/pat-77"}]
    assert resource["status"] == "completed"
    assert resource["identifier"][0]["value"] == item.idempotency_key
    assert "on behalf of Dr Anjali Patel" in resource["payload"][0]["contentString"]
    assert nurse.display_name in resource["sender"]["display"]
    clinic.close()
