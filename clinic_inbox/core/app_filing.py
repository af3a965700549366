"""The app's "File to chart" in two jobs (like core/app_actions.py, no Qt): the filing
on the writer, then the move of its emails to the Filed folder on a network worker,
so that a slow mail server holds up no other action (issue 19)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clinic_inbox.core import filing, services
from clinic_inbox.core import services_filed_moves as sfm
from clinic_inbox.core.changes import Outcome, run
from clinic_inbox.core.home import Clinic

Session = services.Session


@dataclass(frozen=True)
class Filed:
    document: filing.FiledDocument
    move_waits: bool  # its emails are to go to the Filed folder: `move_filed` next


def file_thread(
    clinic: Clinic,
    session: Session,
    thread_id: int,
    out_dir: Path,
    password: str,
    include_notes: bool = False,
) -> Outcome:
    """On the writer: the password check, PDF, FHIR and HL7, the audit entry; then the
    move is asked for (kept in the store until it is made)."""
    document, changes = run(
        services.export_thread,
        clinic,
        session,
        thread_id,
        formats=("pdf", "fhir", "hl7v2"),
        out_dir=out_dir,
        password=password,
        include_notes=include_notes,
    )
    return Outcome(Filed(document, sfm.ask_after_filing(clinic, thread_id)), changes)


def move_filed(clinic: Clinic, session: Session, thread_id: int, *, move: sfm.Mover) -> Outcome:
    """On the network worker: the emails moved, or why not (the sync tries again)."""
    return Outcome(sfm.move_now(clinic, session, thread_id, move))
