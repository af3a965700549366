"""The portal's patient-matching rule, in core (issue 19): a real encrypted store."""

from __future__ import annotations

import pytest
from support.clinics import new_clinic

from clinic_inbox.core import portal_patients as pp
from clinic_inbox.core.store import queries as q
from clinic_inbox.sources.fhir_portal import portal_patient


@pytest.fixture()
def store(tmp_path):
    clinic, _, _ = new_clinic(tmp_path / "clinic")
    with clinic.store.transaction():
        q.add_patient(clinic.store, "Known", "Kim", "1970-01-01", "C-1", emails=("kim@x.example",))
        q.add_patient(clinic.store, "Portal", "Pat", None, "C-2", portal_id="p-2")
        q.add_patient(clinic.store, "Twin", "A", None, None, emails=("family@x.example",))
        q.add_patient(clinic.store, "Twin", "B", None, None, emails=("family@x.example",))
    yield clinic.store
    clinic.close()


def _id(store, family: str, given: str) -> int:  # noqa: ANN001
    return next(p.id for p in q.search_patients(store, family) if p.given_name == given)


def test_a_known_portal_id_is_that_patient_and_nobody_new_is_made(store):
    pat = _id(store, "Portal", "Pat")
    assert pp.known(store, "p-2") == pat
    again = pp.PortalPatient("p-2", "Other", "Name", chart_number="C-1")
    assert pp.match_or_register(store, again) == pat
    assert q.get_patient(store, _id(store, "Known", "Kim")).portal_id is None


def test_the_chart_number_links_a_patient_without_a_portal_account(store):
    kim = _id(store, "Known", "Kim")
    found = pp.match_or_register(store, pp.PortalPatient("p-9", "K", "K", chart_number="C-1"))
    assert found == kim and pp.known(store, "p-9") == kim


def test_a_chart_number_already_on_a_portal_account_is_not_taken_over(store):
    new = pp.match_or_register(store, pp.PortalPatient("p-7", "New", "Ned", chart_number="C-2"))
    assert new != _id(store, "Portal", "Pat")
    # a chart number names one chart: the new patient is added without it
    assert q.get_patient(store, new).chart_number is None


def test_one_patient_s_address_links_and_a_shared_address_links_nobody(store):
    kim = _id(store, "Known", "Kim")
    assert (
        pp.match_or_register(store, pp.PortalPatient("p-3", "K", "K", emails=("kim@x.example",)))
        == kim
    )
    twins = {_id(store, "Twin", "A"), _id(store, "Twin", "B")}
    other = pp.match_or_register(
        store, pp.PortalPatient("p-4", "Twin", "C", emails=("family@x.example",))
    )
    assert other not in twins and q.get_patient(store, other).portal_id == "p-4"


def test_the_adapter_reads_the_fhir_patient_for_the_rule():
    resource = {
        "resourceType": "Patient",
        "name": [
            {"use": "nickname", "family": "Nick"},
            {"use": "official", "family": "Roe", "given": ["Jane", "Q"]},
        ],
        "birthDate": "1980-02-03",
        "telecom": [
            {"system": "email", "value": " Jane@X.example "},
            {"system": "phone", "value": "1"},
        ],
        "identifier": [{"system": "urn:clinic:chart", "value": "C-42"}],
    }
    assert portal_patient("p-1", resource) == pp.PortalPatient(
        "p-1", "Roe", "Jane Q", "1980-02-03", "C-42", ("jane@x.example",)
    )
    bare = portal_patient("p-5", {"resourceType": "Patient"})
    assert (bare.family_name, bare.given_name, bare.chart_number) == (
        "(unknown)",
        "(unknown)",
        None,
    )
