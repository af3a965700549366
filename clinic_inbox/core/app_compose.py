"""The app's compose actions: each the one service call it wraps plus what it changed
(see app_actions). Nothing here imports Qt."""

from __future__ import annotations

from datetime import date

from clinic_inbox.core import services_compose as sc
from clinic_inbox.core.changes import Outcome, run
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.signin import Session


def preview(clinic: Clinic, session: Session, patient_ids: list[int], req: sc.Request) -> Outcome:
    """One patient: their message in full, and 1. Several: every patient, each with
    their own message and channel or why they cannot receive it (a list)."""
    if not patient_ids:
        raise ValueError("Choose a patient first.")
    if len(patient_ids) > 1:
        return Outcome(sc.preview_each(clinic, session, patient_ids, req))
    return Outcome((sc.preview_message(clinic, session, patient_ids[0], req), 1))


def send(
    clinic: Clinic,
    session: Session,
    patient_ids: list[int],
    req: sc.Request,
    follow_up_by: date | None = None,
) -> Outcome:
    if not patient_ids:
        raise ValueError("Choose a patient first.")
    return Outcome(*run(_send, clinic, session, patient_ids, req, follow_up_by))


def _send(
    clinic: Clinic,
    session: Session,
    patient_ids: list[int],
    req: sc.Request,
    follow_up_by: date | None,
) -> list[sc.Started]:
    if len(patient_ids) > 1:
        started = sc.bulk_reminder(clinic, session, patient_ids, req)
    else:
        started = [sc.start_message(clinic, session, patient_ids[0], req)]
    if follow_up_by is not None:
        for s in started:
            sc.set_follow_up(clinic, session, s.thread_id, follow_up_by)
    return started


# -- absences (core/services_cover.py) ------------------------------------------------
def absences(clinic: Clinic, session: Session) -> Outcome:
    """Running and coming absences, and the patients waiting on an uncovered one."""
    from clinic_inbox.core import services_cover

    return Outcome(
        (services_cover.absences(clinic, session), services_cover.uncovered(clinic, session))
    )


def mark_away(clinic: Clinic, session: Session, **kw: object) -> Outcome:
    from clinic_inbox.core import services_cover

    # the cover's delegation changes who may read what: the board is read again
    return Outcome(*run(services_cover.mark_away, clinic, session, **kw))


def cancel_absence(clinic: Clinic, session: Session, absence_id: int) -> Outcome:
    from clinic_inbox.core import services_cover

    return Outcome(*run(services_cover.cancel_absence, clinic, session, absence_id))


def uncovered_warning(clinic: Clinic, session: Session) -> str:
    """The board's one-line warning about absent physicians nobody covers ('' if none)."""
    from clinic_inbox.core import services_cover
    from clinic_inbox.core.model import Role

    if session.staff.role is Role.ADMIN:
        return ""
    lines = [
        f"{u.physician} is away without cover: {len(u.patients)} patient"
        f"{'s' if len(u.patients) > 1 else ''} waiting (see Absences)"
        for u in services_cover.uncovered(clinic, session)
    ]
    return " · ".join(lines)


# -- e-visit time (core/services_billing.py) ------------------------------------------
def timer_start(clinic: Clinic, session: Session, thread_id: int) -> Outcome:
    from clinic_inbox.core import services_billing

    return Outcome(services_billing.start_timer(clinic, session, thread_id))


def timer_activity(clinic: Clinic, session: Session, thread_id: int) -> Outcome:
    from clinic_inbox.core import services_billing

    services_billing.activity(clinic, session, thread_id)
    return Outcome(None)


def timer_stop(clinic: Clinic, session: Session, thread_id: int) -> Outcome:
    from clinic_inbox.core import services_billing

    return Outcome(services_billing.stop_timer(clinic, session, thread_id))


# -- batch filing (core/services_filing.py) -------------------------------------------
def file_batch(
    clinic: Clinic,
    session: Session,
    thread_ids: list[int],
    formats: tuple[str, ...],
    out_dir: str,
    password: str,
) -> Outcome:
    from pathlib import Path

    from clinic_inbox.core import services_filing

    return Outcome(
        *run(
            services_filing.file_batch,
            clinic,
            session,
            thread_ids,
            formats=formats,
            out_dir=Path(out_dir),
            password=password,
        )
    )
