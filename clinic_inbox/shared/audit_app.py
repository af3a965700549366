"""The app's audit screen over every workstation: actions run on the app's writer
thread (like core.app_actions), each opening its own connection to the server."""

from __future__ import annotations

from typing import Any

from clinic_inbox.core import app_reads
from clinic_inbox.core.changes import Outcome
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.store import access_queries as aq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared.audit_clinic import (
    break_glass_review_clinic,
    export_clinic_audit,
    verify_clinic_audit,
)
from clinic_inbox.shared.server import open_link


def is_shared(clinic: Clinic) -> bool:
    return shq.linked_clinic(clinic.store) is not None


def clinic_audit_entries(clinic: Clinic, session: Any, patient_id: int | None = None) -> Outcome:
    """Every workstation's entries (all, or one patient's); the viewing is recorded."""
    link = open_link(clinic)
    try:
        rows = export_clinic_audit(
            clinic, session, link, patient_id=patient_id, action="audit.view"
        )
    finally:
        link.conn.close()
    return Outcome(rows)


def clinic_verify(clinic: Clinic, session: Any) -> Outcome:
    """This computer's chain, then the clinic's trail on the server, in plain words."""
    local = app_reads.verify_audit(clinic, session)
    link = open_link(clinic)
    try:
        report = verify_clinic_audit(clinic, session, link)
    finally:
        link.conn.close()
    return Outcome(f"{local}\n{report.describe()}")


def clinic_break_glass(clinic: Clinic, session: Any) -> Outcome:
    """The break-glass review tab over every workstation (from the clinic's trail), in
    the local review's rows: (#, who, conversation, patient, reason, from, until,
    reviewed). An opening made here shows when it was reviewed here; one made on
    another workstation names that workstation, where its review is recorded."""
    link = open_link(clinic)
    try:
        entries = break_glass_review_clinic(clinic, session, link)
        with link.conn.transaction():
            row = link.conn.execute(
                "SELECT name FROM audit_signer WHERE ws = %s", (link.workstation_id,)
            ).fetchone()
        here = row[0] if row and row[0] else link.workstation_id
    finally:
        link.conn.close()
    reviewed = {r[0]: r[7] for r in aq.break_glass_review(clinic.store)}
    rows = []
    for e in entries:
        bg = e.detail.get("break_glass_id")
        patient = q.get_patient(clinic.store, e.patient_id) if e.patient_id else None
        mine = e.workstation == here
        rows.append(
            (
                f"{bg} ({'this computer' if mine else e.workstation})",
                e.actor,
                e.thread_id if e.thread_id is not None else "not on this computer",
                f"{patient.given_name} {patient.family_name}" if patient else None,
                e.reason,
                e.at,
                e.detail.get("until", ""),
                reviewed.get(bg) if mine else f"on {e.workstation}",
            )
        )
    return Outcome(rows)
