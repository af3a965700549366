"""The app's compose actions: each the one service call it wraps plus what it changed
(see app_actions). Nothing here imports Qt."""

from __future__ import annotations

from datetime import date

from clinic_inbox.core import services_compose as sc
from clinic_inbox.core.changes import Changes, Outcome
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.signin import Session


def preview(clinic: Clinic, session: Session, patient_ids: list[int], req: sc.Request) -> Outcome:
    """The first patient's message in full, and how many will get one like it."""
    if not patient_ids:
        raise ValueError("Choose a patient first.")
    return Outcome((sc.preview_message(clinic, session, patient_ids[0], req), len(patient_ids)))


def send(
    clinic: Clinic,
    session: Session,
    patient_ids: list[int],
    req: sc.Request,
    follow_up_by: date | None = None,
) -> Outcome:
    if not patient_ids:
        raise ValueError("Choose a patient first.")
    if len(patient_ids) > 1:
        started = sc.bulk_reminder(clinic, session, patient_ids, req)
    else:
        started = [sc.start_message(clinic, session, patient_ids[0], req)]
    if follow_up_by is not None:
        for s in started:
            sc.set_follow_up(clinic, session, s.thread_id, follow_up_by)
    return Outcome(started, Changes.of(*(s.thread_id for s in started), outbox=True))
