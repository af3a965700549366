"""A portal sync and an EMR import that make a second record for a patient already on
file, against the real FHIR R4 server on 127.0.0.1: the pair is listed as a possible
duplicate (same name and birth date, or a name differing only by accents, capitals or
hyphens), never merged by itself; administrators only, audited by count; the same
list from `clinic-inbox patient duplicates`, and the suggested merge then works."""

from __future__ import annotations

import json

import pytest
from support.clinics import ADMIN_PASSWORD, PASSPHRASE, new_clinic
from support.insider import run_cli

from clinic_inbox.core import audit, services
from clinic_inbox.core import services_patient_merge as merge
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.accounts import FhirAccount
from clinic_inbox.core.services_patient_duplicates import possible_duplicates
from clinic_inbox.core.services_patients import import_patients
from clinic_inbox.core.store import queries as q
from clinic_inbox.sources import sync

EMR_CSV = (
    "family_name,given_name,birth_date,chart_number,email\n"
    "Côté-Tremblay,Hélène,1950-03-02,EMR-100,\n"
    "Nguyen,Bao,1988-11-30,EMR-200,bao@example.org\n"
    "Roy,Marie,1941-06-02,EMR-300,\n"
)


def _portal_patient(family: str, given: str, born: str, **extra) -> dict:
    return {
        "resourceType": "Patient",
        "name": [{"use": "official", "family": family, "given": [given]}],
        "birthDate": born,
        **extra,
    }


def _comm(prac: str, patient: str, text: str) -> dict:
    return {
        "resourceType": "Communication",
        "status": "completed",
        "subject": {"reference": f"Patient/{patient}"},
        "sender": {"reference": f"Patient/{patient}"},
        "recipient": [{"reference": f"Practitioner/{prac}"}],
        "sent": "2026-11-20T10:00:00Z",
        "payload": [{"contentString": text}],
    }


@pytest.fixture()
def clinic_with_portal(tmp_path, fhir_server):
    prac = fhir_server.create(
        {"resourceType": "Practitioner", "name": [{"family": "Patel", "given": ["Anjali"]}]}
    )
    clinic, admin, _doc = new_clinic(tmp_path / "c")
    services.add_fhir_account(
        clinic,
        admin,
        FhirAccount(
            name="Portal",
            base_url=fhir_server.base_url,
            practitioners=[prac["id"]],
            staff_practitioners={"dr.patel": prac["id"]},
        ),
        None,
    )
    yield clinic, admin, prac["id"]
    clinic.close()


def test_a_portal_sync_making_a_second_record_is_listed_never_merged(
    clinic_with_portal, fhir_server
):
    clinic, admin, prac = clinic_with_portal
    report = import_patients(clinic, admin, EMR_CSV)
    assert report.imported == 3, report.problems
    assert possible_duplicates(clinic, admin) == []

    # the portal knows Hélène without accents or hyphen and without her chart number,
    # and Marie Roy under another chart number; Bao has the address the EMR gave, so
    # the sync finds his record and makes no second one
    helene = fhir_server.create(_portal_patient("cote tremblay", "HELENE", "1950-03-02"))
    marie = fhir_server.create(
        _portal_patient(
            "Roy", "Marie", "1941-06-02",
            identifier=[{"type": {"text": "chart"}, "value": "OLD-17"}],
        )
    )  # fmt: skip
    bao = fhir_server.create(
        _portal_patient(
            "Nguyen", "Bao", "1988-11-30",
            telecom=[{"system": "email", "value": "bao@example.org"}],
        )
    )  # fmt: skip
    other = fhir_server.create(_portal_patient("Roy", "Marie", "1977-01-15"))  # another Marie
    fhir_server.create_many(
        [_comm(prac, p["id"], "Could I have a refill please?") for p in (helene, marie, bao, other)]
    )
    done = sync.run_once(clinic, send=False)
    assert not done.accounts[0].error, done.accounts[0].error
    assert done.stored == 4
    assert q.patient_count(clinic.store) == 6  # two second records and the other Marie

    found = possible_duplicates(clinic, admin)
    pairs = {(d.keep.chart_number, d.duplicate.portal_id): d for d in found}
    assert set(pairs) == {("EMR-100", helene["id"]), ("EMR-300", marie["id"])}, found
    accents = pairs["EMR-100", helene["id"]]
    assert "accents" in accents.describe() and "1950-03-02" in accents.describe()
    assert "only one came from the portal" in accents.describe()
    chart = pairs["EMR-300", marie["id"]]
    assert "same name" in chart.describe() and "OLD-17" in chart.describe()
    # listed, never merged: every record is still there
    assert q.patient_count(clinic.store) == 6
    (entry,) = [e for e in audit.entries(clinic.store) if e.action == "patient.duplicates"][-1:]
    assert entry.detail == {"found": 2} and "Roy" not in json.dumps(entry.detail)

    # only administrators look; the refusal is on the record
    doc = services.login(clinic, "dr.patel", "kettle orbit maple frost")
    with pytest.raises(AccessDenied, match="Only an administrator"):
        possible_duplicates(clinic, doc)
    assert [e.action for e in audit.entries(clinic.store)][-1] == "patient.duplicates.refused"

    # Marie Roy's two records are two people after all (checked with the clinic's files)
    from clinic_inbox.core.services_patient_duplicates import not_the_same_person

    with pytest.raises(AccessDenied):
        not_the_same_person(clinic, doc, chart.keep.id, chart.duplicate.id)
    not_the_same_person(clinic, admin, chart.duplicate.id, chart.keep.id)
    not_the_same_person(clinic, admin, chart.keep.id, chart.duplicate.id)  # once is enough
    (marked,) = [
        e for e in audit.entries(clinic.store) if e.action == "patient.duplicates.distinct"
    ]
    assert marked.detail == {"other": chart.keep.id} and marked.actor == "admin"
    assert [d.keep.chart_number for d in possible_duplicates(clinic, admin)] == ["EMR-100"]

    # the suggested merge keeps the EMR's record and takes the portal link across
    kept = merge.merge_patients(clinic, admin, accents.keep.id, accents.duplicate.id)
    assert kept.chart_number == "EMR-100" and kept.portal_id == helene["id"]
    assert possible_duplicates(clinic, admin) == []
    # the Roy decision taken back: listed again; taking back twice is said in words
    from clinic_inbox.core.services_patient_duplicates import marked_distinct, take_back_distinct

    ((a, b),) = marked_distinct(clinic, admin)
    assert {a.chart_number, b.chart_number} == {"EMR-300", "OLD-17"}
    take_back_distinct(clinic, admin, b.id, a.id)
    assert [d.keep.chart_number for d in possible_duplicates(clinic, admin)] == ["EMR-300"]
    with pytest.raises(services.NotFound, match="not marked"):
        take_back_distinct(clinic, admin, a.id, b.id)
    (undone,) = [
        e for e in audit.entries(clinic.store) if e.action == "patient.duplicates.distinct_undone"
    ]
    assert undone.actor == "admin" and undone.detail == {"other": a.id}
    # the next sync files Hélène's new message under the one record, and makes none
    fhir_server.create(_comm(prac, helene["id"], "And my blood test results?"))
    assert sync.run_once(clinic, send=False).stored == 1
    assert q.patient_count(clinic.store) == 5


def test_an_import_after_a_sync_and_the_command_line(tmp_path):
    """The other order (the portal first, the EMR's export after), from a terminal."""
    home = tmp_path / "c"
    clinic, admin, _doc = new_clinic(home)
    with clinic:
        with clinic.store.transaction():
            q.add_patient(clinic.store, "Lefebvre", "Zoé", "1984-02-29", None, "pt-42")
        report = import_patients(
            clinic, admin,
            "family_name,given_name,birth_date,chart_number\nLEFEBVRE,Zoe,1984-02-29,EMR-9\n",
        )  # fmt: skip
        assert report.imported == 1, report.problems
    env = {"CLINIC_INBOX_PASSPHRASE": PASSPHRASE}
    listed = run_cli(home, "patient", "duplicates", user="admin", password=ADMIN_PASSWORD, env=env)
    assert listed.returncode == 0, listed.stderr
    assert "Possible duplicate" in listed.stdout and "chart EMR-9" in listed.stdout
    assert "patient merge" in listed.stdout
    as_json = run_cli(home, "patient", "duplicates", "--json",
                      user="admin", password=ADMIN_PASSWORD, env=env)  # fmt: skip
    (row,) = json.loads(as_json.stdout)
    refused = run_cli(home, "patient", "duplicates",
                      user="dr.patel", password="kettle orbit maple frost", env=env)  # fmt: skip
    assert refused.returncode == 1 and "Only an administrator" in refused.stderr
    assert "Traceback" not in refused.stderr
    distinct = run_cli(home, "patient", "distinct", str(row["keep"]), str(row["keep"]),
                       user="admin", password=ADMIN_PASSWORD, env=env)  # fmt: skip
    assert distinct.returncode != 0 and "two different" in distinct.stderr
    assert "Traceback" not in distinct.stderr
    pair = [str(row["keep"]), str(row["duplicate"])]
    two = run_cli(
        home, "patient", "distinct", *pair, user="admin", password=ADMIN_PASSWORD, env=env
    )
    assert two.returncode == 0 and "two people" in two.stdout, two.stderr
    gone = run_cli(home, "patient", "duplicates", user="admin", password=ADMIN_PASSWORD, env=env)
    assert "No possible duplicate records." in gone.stdout
    back = run_cli(home, "patient", "distinct", *pair, "--undo",
                   user="admin", password=ADMIN_PASSWORD, env=env)  # fmt: skip
    assert back.returncode == 0 and "Taken back" in back.stdout, back.stderr
    merged = run_cli(home, "patient", "merge", str(row["keep"]), str(row["duplicate"]), "--yes",
                     user="admin", password=ADMIN_PASSWORD, env=env)  # fmt: skip
    assert merged.returncode == 0, merged.stderr
    none = run_cli(home, "patient", "duplicates", user="admin", password=ADMIN_PASSWORD, env=env)
    assert "No possible duplicate records." in none.stdout
