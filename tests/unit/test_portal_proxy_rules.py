"""Who wrote a portal message (core/portal_proxy.py) on a real store: a relative's own
portal account files under the patient only with an authorisation in force; the
automatic safety reply is never addressed to a relative's account as if it were a
patient's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from support.clinics import new_clinic

from clinic_inbox.core import acknowledge, portal_proxy
from clinic_inbox.core.ingest import Incoming, Ingested
from clinic_inbox.core.model import Priority, Source
from clinic_inbox.core.store import consent_queries as cq
from clinic_inbox.core.store import queries as q


def test_a_relatives_account_is_the_patients_proxy_only_while_in_force(tmp_path):
    clinic, _, doc = new_clinic(tmp_path / "c")
    today = date.today()
    with clinic.store.transaction():
        kid = q.add_patient(clinic.store, "Roy", "Maya", "2015-06-01", "K-1", "pat-1", doc.id)
        old = q.add_patient(clinic.store, "Roy", "Ana", "1940-01-01", "K-2", "pat-2", doc.id)
        for pid, who, rel, until in (
            (kid, "rp-parent", "parent", None),
            (old, "rp-ended", "caregiver", (today - timedelta(days=1)).isoformat()),
        ):
            cq.add_proxy(
                clinic.store, pid, who, rel, f"{who}@x.example", frozenset({"everything"}),
                "2020-01-01", until, "signed", doc.id, portal_id=who,
            )  # fmt: skip
    cfg = clinic.config
    ok = portal_proxy.writer(clinic.store, cfg, "rp-parent", kid, today)
    assert ok.patient_id == kid and ok.sender_name == "rp-parent for Maya Roy"
    assert ok.review_reason is None
    ended = portal_proxy.writer(clinic.store, cfg, "rp-ended", old, today)
    assert ended.patient_id is None and "ended on" in ended.review_reason
    stranger = portal_proxy.writer(clinic.store, cfg, "rp-parent", old, today)
    assert stranger.patient_id is None and "not on record" in stranger.review_reason
    # the parent's access ends at 16 (Ontario defaults): then nobody's proxy by portal
    later = date(2031, 6, 2)
    grown = portal_proxy.writer(clinic.store, cfg, "rp-parent", kid, later)
    assert grown.patient_id is None and "access ends at 16" in grown.review_reason
    assert portal_proxy.related_of(portal_proxy.sender_address("rp-9")) == "rp-9"
    assert portal_proxy.related_of("portal:pat-1") is None
    clinic.close()


def test_the_safety_reply_is_never_addressed_to_a_relatives_account(tmp_path):
    clinic, _, _ = new_clinic(tmp_path / "c")
    msg = Incoming(
        source=Source.PORTAL,
        account_id=1,
        received_at=datetime.now(UTC),
        sender_address=portal_proxy.sender_address("rp-1"),
        fhir_resource_id="comm-1",
    )
    unlinked = Ingested(1, 1, True, Priority.URGENT, None, None)
    assert acknowledge._portal_patient_id(clinic.store, msg, unlinked) is None
    own = Incoming(
        source=Source.PORTAL,
        account_id=1,
        received_at=datetime.now(UTC),
        sender_address="portal:pat-7",
        fhir_resource_id="comm-2",
    )
    assert acknowledge._portal_patient_id(clinic.store, own, unlinked) == "pat-7"
    clinic.close()
