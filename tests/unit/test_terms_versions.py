"""The clinic's terms edited by an administrator: a new version per language kept in
the clinic's folder, never over an older one, audited with the words' digests; an
agreement to an older version is shown "agreed to version N (current M)". Real
encrypted store, real files."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from support.clinic_details import CLINIC_TOML
from support.clinics import new_clinic

from clinic_inbox.core import audit, consent, services, services_terms
from clinic_inbox.core import services_consent as scons
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.config import load_config
from clinic_inbox.core.store import queries as q

PW = "kettle orbit maple frost"
EN = "Messages are read by our front desk and your care team.\nNot for emergencies: call 911."
FR = "Les messages sont lus par l'accueil et votre équipe.\nPas pour les urgences : 911."


@pytest.fixture()
def clinic(tmp_path):
    home = tmp_path / "c"
    c, admin, _ = new_clinic(home)
    (home / "clinic.toml").write_text('languages = ["en", "fr"]\n' + CLINIC_TOML, "utf-8")
    c.config = load_config(home)
    c.admin = admin
    yield c
    c.close()


def _doc(clinic):
    return services.login(clinic, "dr.patel", PW, sleep=lambda _: None)


def _entries(clinic, action):
    return [e for e in audit.entries(clinic.store) if e.action == action]


_charts = iter(range(1, 1000))


def _patient(clinic, doc, terms: str) -> int:
    chart = f"C-{next(_charts)}"
    with clinic.store.transaction():
        pid = q.add_patient(
            clinic.store, "Lee", "Ana", "1970-01-01", chart, None, doc.staff.id, (f"{chart}@x.org",)
        )
    scons.record_consent(
        clinic, doc, pid, channels=frozenset({"email"}), terms_version=terms, how="signed-form"
    )
    return pid


def test_an_administrator_publishes_version_2_in_both_languages(clinic):
    assert consent.current_terms(clinic.home) == "v1"
    version = services_terms.publish_terms(clinic, clinic.admin, {"en": EN, "fr": FR})
    assert version == "v2"
    assert consent.terms_versions(clinic.home) == ["v1", "v2"]
    assert (clinic.home / "terms" / "v2.en.txt").read_text("utf-8") == EN + "\n"
    assert consent.terms_text("v2", "fr", clinic.home) == FR + "\n"
    assert consent.terms_text("v1", "en", clinic.home) != EN + "\n"  # v1 untouched
    [entry] = _entries(clinic, "terms.publish")
    assert entry.detail["version"] == "v2" and entry.detail["languages"] == ["en", "fr"]
    assert entry.detail["sha256"]["en"] == hashlib.sha256((EN + "\n").encode()).hexdigest()
    assert services.verify_audit(clinic, clinic.admin).ok
    view = services_terms.terms_view(clinic, clinic.admin)
    assert view.current == "v2" and view.next_version == "v3" and view.texts["fr"] == FR + "\n"
    # the next publication is version 3; version 2 stays as it was
    assert services_terms.publish_terms(clinic, clinic.admin, {"en": EN + " ", "fr": FR + "!"})
    assert consent.terms_versions(clinic.home) == ["v1", "v2", "v3"]
    assert consent.terms_text("v2", "fr", clinic.home) == FR + "\n"


def test_older_agreements_are_shown_with_the_current_version(clinic):
    doc = _doc(clinic)
    old = _patient(clinic, doc, "v1")
    assert "current" not in scons.patient_consent(clinic, doc, old).words
    services_terms.publish_terms(clinic, clinic.admin, {"en": EN, "fr": FR})
    words = scons.patient_consent(clinic, doc, old).words
    assert "Agreed to version 1 (current 2)" in words
    new = _patient(clinic, doc, "v2")  # a new agreement to the new terms
    assert "current" not in scons.patient_consent(clinic, doc, new).words
    gone = _patient(clinic, doc, "v1")
    scons.end_consent(clinic, doc, gone, how="opted-out")  # not in force: not counted
    view = services_terms.terms_view(clinic, clinic.admin)
    assert view.agreed == {"v1": 1, "v2": 1} and view.older_agreements() == 1
    assert consent.describe(None, date.today(), "v2").startswith("No agree")


def test_missing_language_empty_or_unchanged_text_publishes_nothing(clinic):
    with pytest.raises(ValueError, match="Write the terms in French"):
        services_terms.publish_terms(clinic, clinic.admin, {"en": EN})
    with pytest.raises(ValueError, match="Write the terms in English"):
        services_terms.publish_terms(clinic, clinic.admin, {"en": "  \n", "fr": FR})
    with pytest.raises(ValueError, match="does not write to patients in de"):
        services_terms.publish_terms(clinic, clinic.admin, {"en": EN, "fr": FR, "de": "x"})
    current = {lang: consent.terms_text("v1", lang, clinic.home) for lang in ("en", "fr")}
    with pytest.raises(ValueError, match="Nothing changed: this is version 1"):
        services_terms.publish_terms(clinic, clinic.admin, current)
    assert consent.terms_versions(clinic.home) == ["v1"]
    assert not _entries(clinic, "terms.publish")


def test_only_an_administrator_publishes_and_a_refusal_is_audited(clinic):
    with pytest.raises(AccessDenied, match="Only an administrator"):
        services_terms.publish_terms(clinic, _doc(clinic), {"en": EN, "fr": FR})
    assert [e.action for e in _entries(clinic, "terms.publish.refused")] == [
        "terms.publish.refused"
    ]
    assert consent.terms_versions(clinic.home) == ["v1"]


def test_no_audit_entry_no_new_version(clinic, monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("the audit could not be written")

    monkeypatch.setattr(services_terms, "_audit", broken)
    with pytest.raises(RuntimeError):
        services_terms.publish_terms(clinic, clinic.admin, {"en": EN, "fr": FR})
    assert consent.terms_versions(clinic.home) == ["v1"]
    assert list((clinic.home / "terms").iterdir()) == []  # no stray temporary file
