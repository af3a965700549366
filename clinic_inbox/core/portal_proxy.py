"""Who wrote a portal message: the patient, or someone writing for them.

A portal message names the patient it is about (`subject`) and who sent it
(`sender`). When the sender is a RelatedPerson (a caregiver's own portal account),
the message files under the patient only if that account belongs to a proxy of the
patient whose authorisation is in force today (not withdrawn, within its dates, and
for a parent, within the clinic's age rules); which topics they may be answered on
is judged on the conversation like an email proxy's (services_consent.proxy_writing).
Anyone else writing about a patient through the portal is not filed to the patient:
the message waits, unlinked and labelled, for a person to check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from clinic_inbox.core import proxies
from clinic_inbox.core.config import ClinicConfig
from clinic_inbox.core.store import consent_queries as cq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store.connection import Store

RELATED = "RelatedPerson"


def sender_address(related_id: str) -> str:
    """How a proxy's portal account is kept as a message's sender."""
    return f"portal:{RELATED}/{related_id}"


def related_of(sender: str) -> str | None:
    prefix = f"portal:{RELATED}/"
    return sender[len(prefix) :] if sender.startswith(prefix) else None


@dataclass(frozen=True)
class PortalWriter:
    patient_id: int | None  # None: not filed to the patient
    sender_name: str | None  # "Carmen Delgado for Rosa Delgado"
    review_reason: str | None  # why a person must check it


def in_force(p: proxies.Proxy, birth_date: str | None, day: date, cfg: ClinicConfig) -> str | None:
    """None if the authorisation holds today for some topic, else why not (plain words)."""
    last = f"{p.name} has no scope on record."
    for category in sorted(
        frozenset().union(*(proxies.SCOPES[s] for s in p.scope if s in proxies.SCOPES))
    ):
        v = proxies.verdict(p, birth_date, category, False, day, cfg.minors)
        if v.allowed:
            return None
        last = v.why
    return last


def writer(
    store: Store, cfg: ClinicConfig, related_id: str, patient_id: int | None, day: date
) -> PortalWriter:
    """Whether a message sent by portal account RelatedPerson/`related_id` about
    `patient_id` files under that patient."""
    unlinked = (
        "Written on the patient portal by someone other than the patient (a relative or "
        "caregiver account) who is not on record as this patient's proxy. It is not filed "
        "to the patient: check who wrote before linking it."
    )
    if patient_id is None:
        return PortalWriter(None, None, unlinked)
    patient = q.get_patient(store, patient_id)
    found = cq.proxies_with_portal_id(store, patient_id, related_id)
    if patient is None or not found:
        return PortalWriter(None, None, unlinked)
    why = ""
    for p in found:
        problem = in_force(p, patient.birth_date, day, cfg)
        if problem is None:
            return PortalWriter(patient_id, f"{p.name} for {patient.display_name}", None)
        why = problem
    return PortalWriter(
        None,
        None,
        "Written on the patient portal by a proxy whose authorisation is not in force: "
        f"{why} It is not filed to the patient: a person must check it.",
    )
