"""Settings > Duplicate patients: the records that may be one person twice (a portal
sync or an EMR import that made a second record), listed for an administrator to
merge, or mark as two people so they are no longer listed. Never merged automatically. Administrators only, like the merge
itself; the listing is audited by how many were found, never by names."""

from __future__ import annotations

from clinic_inbox.core import access
from clinic_inbox.core.changes import Outcome
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.patient_duplicates import (
    PatientIdentity,
    PossibleDuplicate,
    find_possible_duplicates,
)
from clinic_inbox.core.services_common import NotFound, _audit, _fresh, _now, _refuse
from clinic_inbox.core.signin import Session
from clinic_inbox.core.store import duplicate_queries as dq
from clinic_inbox.core.store import queries as q

ONLY_ADMINS = "Only an administrator can look for duplicate patients' records."


def possible_duplicates(clinic: Clinic, session: Session) -> list[PossibleDuplicate]:
    """Every pair of records that may be the same person, surest first."""
    if not access.can_manage_settings(_fresh(clinic, session)):
        _refuse(clinic, session, "patient.duplicates.refused", ONLY_ADMINS)
    people = [PatientIdentity(*row) for row in dq.patient_identities(clinic.store)]
    found = find_possible_duplicates(people, dq.distinct_pairs(clinic.store))
    with clinic.store.transaction():
        _audit(clinic, session, "patient.duplicates", detail={"found": len(found)})
    return found


def possible_duplicates_action(clinic: Clinic, session: Session) -> Outcome:
    # on the app's runner: a clinic of 100,000 patients takes about a second
    return Outcome(possible_duplicates(clinic, session))


def not_the_same_person(clinic: Clinic, session: Session, a: int, b: int) -> None:
    """Two records an administrator checked and found to be two people: no longer
    listed. Audited by the records' numbers."""
    staff = _fresh(clinic, session)
    if not access.can_manage_settings(staff):
        _refuse(clinic, session, "patient.duplicates.refused", ONLY_ADMINS)
    if a == b:
        raise ValueError("Choose two different patients' records.")
    with clinic.store.transaction():
        for pid in (a, b):
            if q.get_patient(clinic.store, pid) is None:
                raise NotFound(f"There is no patient number {pid}.")
        if dq.mark_distinct(clinic.store, a, b, staff.id, _now().isoformat()):
            _audit(
                clinic, session, "patient.duplicates.distinct", patient_id=a, detail={"other": b}
            )


def not_the_same_person_action(clinic: Clinic, session: Session, a: int, b: int) -> Outcome:
    return Outcome(not_the_same_person(clinic, session, a, b))


def marked_distinct(
    clinic: Clinic, session: Session
) -> list[tuple[PatientIdentity, PatientIdentity]]:
    """The pairs marked as two people, to look at again (administrators; audited by
    count, like the list of possible duplicates)."""
    if not access.can_manage_settings(_fresh(clinic, session)):
        _refuse(clinic, session, "patient.duplicates.refused", ONLY_ADMINS)
    people = {row[0]: PatientIdentity(*row) for row in dq.patient_identities(clinic.store)}
    pairs = [
        (people[a], people[b])
        for a, b in sorted(dq.distinct_pairs(clinic.store))
        if a in people and b in people
    ]
    with clinic.store.transaction():
        _audit(clinic, session, "patient.duplicates.distinct_list", detail={"found": len(pairs)})
    return pairs


def take_back_distinct(clinic: Clinic, session: Session, a: int, b: int) -> None:
    """A "two people" decision taken back: the pair is listed again if it still looks
    like one person. Audited."""
    if not access.can_manage_settings(_fresh(clinic, session)):
        _refuse(clinic, session, "patient.duplicates.refused", ONLY_ADMINS)
    with clinic.store.transaction():
        if not dq.unmark_distinct(clinic.store, a, b):
            raise NotFound(f"Patients {a} and {b} were not marked as two people.")
        _audit(
            clinic, session, "patient.duplicates.distinct_undone", patient_id=a, detail={"other": b}
        )


def take_back_distinct_action(clinic: Clinic, session: Session, a: int, b: int) -> Outcome:
    return Outcome(take_back_distinct(clinic, session, a, b))
