"""Filing to the chart with its network steps, one service for the CLI and the app
(issue 19): the FHIR copy sent to a real FHIR R4 server on 127.0.0.1, audited; a
server that refuses it is said in plain words and the chart copy stays filed."""

from __future__ import annotations

import pytest
from support.clinic_details import write_clinic_details

from clinic_inbox.core import app_actions, audit, services
from clinic_inbox.core.accounts import FhirAccount
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Role
from clinic_inbox.core.store import queries as q
from clinic_inbox.sources import sync
from clinic_inbox.sources.chart_network import LIVE

PASSWORD = "kettle orbit maple frost"
NO_WAIT = {"sleep": lambda s: None}


@pytest.fixture()
def filed_setup(tmp_path, fhir_server):
    """A clinic with a portal account, one portal message from a patient of Dr Patel."""
    prac = fhir_server.create({"resourceType": "Practitioner", "name": [{"family": "Patel"}]})
    patient = fhir_server.create(
        {"resourceType": "Patient", "name": [{"family": "Roe", "given": ["Jane"]}]}
    )
    fhir_server.create(
        {
            "resourceType": "Communication",
            "status": "completed",
            "subject": {"reference": f"Patient/{patient['id']}"},
            "sender": {"reference": f"Patient/{patient['id']}"},
            "recipient": [{"reference": f"Practitioner/{prac['id']}"}],
            "sent": "2026-11-20T10:00:00Z",
            "payload": [{"contentString": "My refill, please."}],
        }
    )
    home = tmp_path / "c"
    write_clinic_details(home)
    clinic, _ = create_clinic(
        home, lambda p, c: "correct horse battery staple", KeyCustody(home, detect=False)
    )
    services.create_first_admin(clinic, "admin", "Admin", "quartz lantern meadow violin")
    admin = services.login(clinic, "admin", "quartz lantern meadow violin")
    doc = services.add_staff(clinic, admin, "dr.patel", "Dr Patel", Role.PHYSICIAN, PASSWORD)
    account = FhirAccount(name="Portal", base_url=fhir_server.base_url, practitioners=[prac["id"]])
    services.add_fhir_account(clinic, admin, account, None)
    assert sync.run_once(clinic, send=False).stored == 1
    thread = q.list_threads(clinic.store)[0]
    services.set_responsible_physician(clinic, admin, thread.patient_id, doc.id)
    session = services.login(clinic, "dr.patel", PASSWORD, **NO_WAIT)
    out = tmp_path / "chart"
    out.mkdir()
    yield clinic, session, thread.id, out
    clinic.close()


def _sent(clinic) -> list:  # noqa: ANN001
    return [e for e in audit.entries(clinic.store) if e.action == "export.sent"]


def test_the_fhir_copy_reaches_the_portal_and_its_sending_is_audited(filed_setup, fhir_server):
    clinic, session, tid, out = filed_setup
    portal = services.chart_portal(clinic, session, "Portal")
    done = services.file_to_chart(
        clinic,
        session,
        tid,
        formats=("fhir",),
        out_dir=out,
        password=PASSWORD,
        portal=portal,
        network=LIVE,
        **NO_WAIT,
    )
    assert done.sent_to == "Portal" and done.problems == ()
    assert "sent to Portal as a FHIR transaction" in done.lines()
    refs = fhir_server.search("DocumentReference", {})
    assert any(done.filed.document_id in str(r) for r in refs), "the chart copy is on the server"
    [entry] = _sent(clinic)
    assert entry.thread_id == tid and done.filed.document_id in str(entry.detail)


def test_a_refusing_portal_is_said_plainly_and_the_chart_copy_stays_filed(filed_setup, fhir_server):
    clinic, session, tid, out = filed_setup
    portal = services.chart_portal(clinic, session, "Portal")
    fhir_server.fail_next(3, status=503)
    done = services.file_to_chart(
        clinic,
        session,
        tid,
        formats=("fhir",),
        out_dir=out,
        password=PASSWORD,
        portal=portal,
        network=LIVE,
        **NO_WAIT,
    )
    assert done.sent_to is None and len(done.problems) == 1
    assert done.problems[0].startswith("The chart copy was not sent to Portal")
    assert "send it again later" in done.problems[0]
    assert all(p.exists() for p in done.filed.paths), "the files stay"
    assert q.get_thread(clinic.store, tid).filed_at is not None
    assert _sent(clinic) == []  # nothing left the computer: nothing recorded as sent


def test_an_unknown_portal_name_is_refused_before_anything_is_filed(filed_setup):
    clinic, session, tid, out = filed_setup
    with pytest.raises(services.NotFound, match="no portal account named 'Elsewhere'"):
        services.chart_portal(clinic, session, "Elsewhere")
    assert q.get_thread(clinic.store, tid).filed_at is None


def test_the_app_files_through_the_same_service(filed_setup):
    clinic, session, tid, out = filed_setup
    answer = app_actions.export_thread(clinic, session, tid, out, PASSWORD, network=LIVE, **NO_WAIT)
    assert isinstance(answer.value, services.ChartFiling)
    assert answer.value.filed.thread_id == tid and answer.value.problems == ()
    assert answer.changes.threads == {tid}  # its card now says "filed"
