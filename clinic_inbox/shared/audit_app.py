"""The app's audit screen over every workstation: actions run on the app's writer
thread (like core.app_actions), each opening its own connection to the server."""

from __future__ import annotations

from typing import Any

from clinic_inbox.core import app_reads
from clinic_inbox.core.changes import Outcome
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import break_glass_clinic
from clinic_inbox.shared.audit_clinic import export_clinic_audit, verify_clinic_audit
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
    """The break-glass review tab over every workstation: `break-glass-review --clinic`'s
    answer (shared.break_glass_clinic), the review recorded. Talks to the server: run on
    the network worker."""
    return Outcome(break_glass_clinic.review(clinic, session))


def this_computer_break_glass(clinic: Clinic, session: Any) -> Outcome:
    """The same tab while the server cannot be asked: this computer's own openings."""
    return Outcome(break_glass_clinic.this_computer(clinic, session))


def mark_reviewed(
    clinic: Clinic, session: Any, opening: int, workstation: str | None = None
) -> Outcome:
    """Mark a break-glass opening reviewed (made here, or on `workstation`): the review
    tab's action, `break-glass-review --mark`'s answer. May talk to the server: run on
    the network worker."""
    return Outcome(break_glass_clinic.mark_reviewed(clinic, session, opening, workstation))
