"""Conflict cards for edits of a patient's record (patient_edits.py): another
workstation changed the same field first. Its author sees both values and keeps theirs,
or makes their own edit again through the same patient services (access check, audit
entry), which then goes to the server on top of the value they have seen. An edit the
clinic's server refused (its author's account turned off there) is shown with why, to
its author and to the administrators (a turned-off account never signs in to see it)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from clinic_inbox.core import access, services
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_patient_edit_queries as epq
from clinic_inbox.shared import SharedQueueError, conflict_settle, refusals

if TYPE_CHECKING:
    from clinic_inbox.shared.conflicts import Shown

FIELD_WORDS = {
    "family_name": "Family name",
    "given_name": "Given name",
    "birth_date": "Date of birth",
    "chart_number": "Chart number",
    "physician": "Responsible physician",
    "emails": "Email addresses",
}


def _mine(clinic: Clinic, session: services.Session) -> list[epq.PatientConflict]:
    """This person's open patient conflicts (one with no author: for those who may
    change patients' records; one the server refused: for the administrators too)."""
    may_edit = access.can_edit_patients(session.staff)
    admin = access.can_manage_staff(session.staff)
    return [
        c
        for c in epq.open_conflicts(clinic.store)
        if c.actor_id == session.staff.id
        or (c.actor_id is None and may_edit)
        or (admin and refusals.code_of(c.their_by) is not None)
    ]


def _physician_words(clinic: Clinic, username: str) -> str:
    if not username:
        return "No physician"
    row = q.staff_login_row(clinic.store, username)
    return row[0].display_name if row else "a physician not known on this computer"


def words(clinic: Clinic, field: str, value_json: str) -> str:
    value = json.loads(value_json)
    if field == "physician":
        return _physician_words(clinic, value)
    if field == "emails":
        return ", ".join(value) if value else "No address"
    return str(value) if value else "None"


def shown(clinic: Clinic, session: services.Session) -> list[Shown]:
    from clinic_inbox.shared.conflicts import Shown, _person, _refused

    out = []
    for c in _mine(clinic, session):
        p = q.get_patient(clinic.store, c.patient_id)
        name = f"{p.family_name}, {p.given_name}" if p else "a patient"
        out.append(
            Shown(
                c.op_id,
                0,
                f"the record of {name}",
                FIELD_WORDS.get(c.field, c.field),
                words(clinic, c.field, c.mine),
                words(clinic, c.field, c.theirs),
                _person(clinic, c.their_by),
                c.their_at,
                patient_id=c.patient_id,
                refused=_refused(clinic, c.their_by, c.actor_id),
                can_apply=not conflict_settle.why_not_again(c, session.staff.id),
            )
        )
    return out


def is_one(clinic: Clinic, op_id: str) -> bool:
    return any(c.op_id == op_id for c in epq.open_conflicts(clinic.store))


def settle(clinic: Clinic, session: services.Session, op_id: str, mine: bool) -> None:
    found = [c for c in epq.open_conflicts(clinic.store) if c.op_id == op_id]
    refused = conflict_settle.why_not_again(found[0], session.staff.id) if found else ""
    if mine and refused:
        raise SharedQueueError(refused)
    conflict_settle.settle(
        clinic,
        session,
        op_id,
        mine,
        cards=_mine(clinic, session),
        again=_edit_again,
        mark_seen=epq.mark_conflict_seen,
        detail=lambda c: {"field": c.field},
        patient_id=lambda c: c.patient_id,
    )


def _edit_again(clinic: Clinic, session: services.Session, c: epq.PatientConflict) -> None:
    """The person's own value, made again through the patient services."""
    from clinic_inbox.core.services_patients import PatientDetails, edit_patient

    value = json.loads(c.mine)
    if c.field == "physician":  # kept by user name in the conflict (see patient_edits)
        row = q.staff_login_row(clinic.store, value) if value else None
        if value and row is None:
            raise SharedQueueError("That physician is not on this computer any more.")
        services.set_responsible_physician(
            clinic, session, c.patient_id, row[0].id if row else None
        )
        return
    p = q.get_patient(clinic.store, c.patient_id)
    if p is None:
        raise SharedQueueError("That patient is not on this computer any more.")
    details = {
        "family_name": p.family_name,
        "given_name": p.given_name,
        "birth_date": p.birth_date,
        "chart_number": p.chart_number,
        "emails": tuple(p.emails),
    }
    details[c.field] = tuple(value) if c.field == "emails" else value
    edit_patient(clinic, session, c.patient_id, PatientDetails(**details))  # type: ignore[arg-type]
