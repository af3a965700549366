"""Which of the clinic's patients a portal account belongs to (the portal's rule, beside
email's in `core.ingest`).

The portal adapter (`sources.fhir_portal`) reads the FHIR Patient and hands over what
it says; the rule lives here, with its queries in the store:
1. a patient already linked to this portal id is that patient;
2. else the patient with the same chart number and no portal account yet;
3. else the one patient (and only one) registered with one of its email addresses;
4. else a new patient, without the chart number if another patient already has it
   (a chart number names one chart).
The match links the portal id to the patient found, so the next message is rule 1.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinic_inbox.core.store import Store
from clinic_inbox.core.store import patient_queries as pq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import sync_queries as sq


@dataclass(frozen=True)
class PortalPatient:
    """What the portal says about the patient behind a portal id."""

    portal_id: str
    family_name: str
    given_name: str
    birth_date: str | None = None
    chart_number: str | None = None
    emails: tuple[str, ...] = ()  # lower case, as the store keeps them


def known(store: Store, portal_id: str) -> int | None:
    """The patient already linked to this portal id (rule 1), without asking the portal."""
    return sq.patient_by_portal_id(store, portal_id)


def match_or_register(store: Store, p: PortalPatient) -> int:
    """The clinic's patient for this portal account, linked or added now (one transaction)."""
    with store.transaction():
        found = sq.patient_by_portal_id(store, p.portal_id)
        if found is not None:
            return int(found)
        # the portal id is the strongest identity: link it to the patient already known
        match = pq.unportaled_by_chart(store, p.chart_number) if p.chart_number else None
        if match is None:
            for address in p.emails:
                owners = q.find_patients_by_email(store, address)
                if len(owners) == 1:  # an address of two patients names neither
                    match = owners[0]
                    break
        if match is not None:
            pq.set_portal_id(store, match, p.portal_id)
            return int(match)
        chart = p.chart_number
        if chart and pq.chart_number_taken(store, chart):
            chart = None
        return q.add_patient(
            store, p.family_name, p.given_name, p.birth_date, chart, p.portal_id, None, p.emails
        )
