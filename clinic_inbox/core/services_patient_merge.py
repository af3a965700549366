"""Merging two records of the same patient (an administrator's action): the duplicate's
conversations, addresses, agreements and proxies move to the record kept, identifiers
the kept record lacks come across, and the duplicate is deleted. Audited in the same
transaction, by ids only. Not undoable, hence the preview the app confirms first."""

from __future__ import annotations

from dataclasses import dataclass

from clinic_inbox.core import access
from clinic_inbox.core.changes import Changes, Outcome, note, run
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Patient
from clinic_inbox.core.services import NotFound, Session, _audit, _fresh, _refuse
from clinic_inbox.core.store import patient_merge_queries as mq
from clinic_inbox.core.store import queries as q

ONLY_ADMINS = "Only an administrator can merge patients' records."
_WORDS = {
    "conversations": ("conversation", "conversations"),
    "addresses": ("email address", "email addresses"),
    "consents": ("agreement", "agreements"),
    "proxies": ("proxy", "proxies"),
}


@dataclass(frozen=True)
class MergePreview:
    keep: Patient
    duplicate: Patient
    moves: dict[str, int]  # what the duplicate holds, by kind

    def describe(self) -> str:
        """The confirmation's words: both patients named, and what moves."""

        def who(p: Patient) -> str:
            return (
                f"{p.display_name} (born {p.birth_date or 'unknown'}, chart "
                f"{p.chart_number or 'none'}, patient no. {p.id})"
            )

        held = (
            ", ".join(f"{n} {_WORDS[k][n != 1]}" for k, n in self.moves.items() if n)
            or "nothing else"
        )
        return (
            f"Merge {who(self.duplicate)}\ninto {who(self.keep)}?\n\n"
            f"Moves to {self.keep.display_name}: {held}. The record of "
            f"{self.duplicate.display_name} (no. {self.duplicate.id}) is then deleted. "
            "This cannot be undone."
        )


def _admin(clinic: Clinic, session: Session) -> None:
    # before any transaction: the refusal's own audit entry must not be rolled back
    if not access.can_manage_settings(_fresh(clinic, session)):
        _refuse(clinic, session, "patient.merge.refused", ONLY_ADMINS)


def _check(clinic: Clinic, keep_id: int, duplicate_id: int) -> MergePreview:
    if keep_id == duplicate_id:
        raise ValueError("Choose two different patients' records.")
    keep = q.get_patient(clinic.store, keep_id)
    dup = q.get_patient(clinic.store, duplicate_id)
    for pid, found in ((keep_id, keep), (duplicate_id, dup)):
        if found is None:
            raise NotFound(f"There is no patient number {pid}.")
    assert keep is not None and dup is not None
    if keep.portal_id and dup.portal_id and keep.portal_id != dup.portal_id:
        raise ValueError(
            "These two records belong to two different portal accounts, so they are "
            "probably two people. Check with the patient; the portal must merge them first."
        )
    if keep.birth_date and dup.birth_date and keep.birth_date != dup.birth_date:
        raise ValueError(
            f"The two records give different dates of birth ({keep.birth_date} and "
            f"{dup.birth_date}). Correct the wrong one first if they are one person."
        )
    return MergePreview(keep, dup, mq.counts(clinic.store, duplicate_id))


def preview_merge(
    clinic: Clinic, session: Session, keep_id: int, duplicate_id: int
) -> MergePreview:
    """Both records and what would move, for the confirmation (audited: it shows two
    patients' details)."""
    _admin(clinic, session)
    preview = _check(clinic, keep_id, duplicate_id)
    with clinic.store.transaction():
        for pid in (keep_id, duplicate_id):
            _audit(clinic, session, "patient.view", patient_id=pid, detail={"for": "merge"})
    return preview


def merge_patients(clinic: Clinic, session: Session, keep_id: int, duplicate_id: int) -> Patient:
    _admin(clinic, session)
    with clinic.store.transaction():
        preview = _check(clinic, keep_id, duplicate_id)
        mq.merge_into(clinic.store, keep_id, duplicate_id)
        # cards name the patient, and access follows the patient's physician: every card
        note(clinic.store, Changes(access=True))
        _audit(
            clinic,
            session,
            "patient.merge",
            patient_id=keep_id,
            detail={"merged": duplicate_id, "moved": preview.moves},
        )
        merged = q.get_patient(clinic.store, keep_id)
    assert merged is not None
    return merged


def merge_patients_action(
    clinic: Clinic, session: Session, keep_id: int, duplicate_id: int
) -> Outcome:
    return Outcome(*run(merge_patients, clinic, session, keep_id, duplicate_id))
