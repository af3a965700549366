"""Sender checks: a reply goes only to a sender the clinic has verified or that
someone confirmed by hand."""

from __future__ import annotations

from clinic_inbox.core import access
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.changes import Changes, note
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.services_common import _audit
from clinic_inbox.core.services_workflow import _acting
from clinic_inbox.core.signin import Session
from clinic_inbox.core.store import sync_queries as sq

# -- sender checks -------------------------------------------------------------
SENDER_NOT_VERIFIED = (
    "This conversation holds email whose sender is not verified: nothing proves it came "
    "from the patient. Confirm the sender first (for example by phoning the patient), "
    "then file it to the chart."
)


def _require_confirmed_sender(clinic: Clinic, thread_id: int) -> None:
    if clinic.config.require_verified_sender and sq.thread_sender_unverified(
        clinic.store, thread_id
    ):
        raise AccessDenied(SENDER_NOT_VERIFIED)


def confirm_sender(clinic: Clinic, session: Session, thread_id: int, how: str) -> None:
    """A person confirms who sent the conversation's unverified email (they phoned the
    patient, saw them at the desk). Linking it to a chart stays a separate step."""
    if len(how.strip()) < 10:
        raise ValueError("Say how you confirmed the sender (a full sentence): it is kept.")
    with clinic.store.transaction():
        row, d = _acting(clinic, session, thread_id)
        # like linking, a statement about who wrote: for those who may read what was written
        access.require(d.body, "Only those who may read this conversation can confirm its sender.")
        if not sq.thread_sender_unverified(clinic.store, thread_id):
            raise ValueError("Every sender in this conversation is already verified.")
        confirmed = sq.confirm_thread_senders(clinic.store, thread_id)
        note(clinic.store, Changes.of(thread_id))
        _audit(
            clinic,
            session,
            "thread.sender_confirmed",
            patient_id=row.patient_id,
            thread_id=thread_id,
            reason=how.strip(),
            detail={"messages": confirmed, "suggested_patient": row.suggested_patient_id},
        )
