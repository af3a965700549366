"""The app's patient actions (see app_actions): the service call plus what changed."""

from __future__ import annotations

from clinic_inbox.core import services_patients as sp
from clinic_inbox.core.changes import Outcome, run
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.services import Session


def unlink_patient(
    clinic: Clinic, session: Session, thread_id: int, forget_sender: bool = True
) -> Outcome:
    return Outcome(*run(sp.unlink_patient, clinic, session, thread_id, forget_sender=forget_sender))


def add_patient(clinic: Clinic, session: Session, details: sp.PatientDetails) -> Outcome:
    return Outcome(*run(sp.add_patient, clinic, session, details))


def edit_patient(
    clinic: Clinic, session: Session, patient_id: int, details: sp.PatientDetails
) -> Outcome:
    # a new name reaches the cards of the patient's conversations
    return Outcome(*run(sp.edit_patient, clinic, session, patient_id, details))


def find_patients(clinic: Clinic, session: Session, text: str) -> Outcome:
    return Outcome(sp.search_patients(clinic, session, text))
