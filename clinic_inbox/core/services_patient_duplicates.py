"""Settings > Duplicate patients: the records that may be one person twice (a portal
sync or an EMR import that made a second record), listed for an administrator to
merge or leave. Never merged automatically. Administrators only, like the merge
itself; the listing is audited by how many were found, never by names."""

from __future__ import annotations

from clinic_inbox.core import access
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.patient_duplicates import (
    PatientIdentity,
    PossibleDuplicate,
    find_possible_duplicates,
)
from clinic_inbox.core.services_common import _audit, _fresh, _refuse
from clinic_inbox.core.signin import Session
from clinic_inbox.core.store import duplicate_queries as dq

ONLY_ADMINS = "Only an administrator can look for duplicate patients' records."


def possible_duplicates(clinic: Clinic, session: Session) -> list[PossibleDuplicate]:
    """Every pair of records that may be the same person, surest first."""
    if not access.can_manage_settings(_fresh(clinic, session)):
        _refuse(clinic, session, "patient.duplicates.refused", ONLY_ADMINS)
    people = [PatientIdentity(*row) for row in dq.patient_identities(clinic.store)]
    found = find_possible_duplicates(people)
    with clinic.store.transaction():
        _audit(clinic, session, "patient.duplicates", detail={"found": len(found)})
    return found
