"""Follow-up dates coming due: a conversation the clinic is waiting on comes back to New,
labelled, when the patient has not written by its follow-up date. Run by every sync."""

from __future__ import annotations

from datetime import UTC, datetime

from clinic_inbox.core import audit
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Status
from clinic_inbox.core.shared_ops import record as record_shared
from clinic_inbox.core.store import compose_queries as cq

LABEL = "Follow-up due"


def bring_back(clinic: Clinic, now: datetime | None = None) -> list[int]:
    """Returns the conversations that came back to New. One whose patient answered
    since the follow-up was set only loses its follow-up date (the answer is on the
    board already)."""
    now = now or datetime.now(UTC)
    today = now.astimezone(clinic.config.tz).date().isoformat()
    back = []
    with clinic.store.transaction():
        for f in cq.follow_ups_reached(clinic.store, today):
            if f.answered:
                cq.clear_follow_up(clinic.store, f.thread_id)
                action = "thread.follow_up_answered"
            else:
                cq.mark_follow_up_due(clinic.store, f.thread_id)
                if f.status != Status.NEW.value:
                    # the system's change, for every workstation of a shared queue (the
                    # others kept "Waiting"); the same change made twice is no conflict
                    record_shared(clinic.store, f.thread_id, "status", Status.NEW.value, None)
                back.append(f.thread_id)
                action = "thread.follow_up_due"
            audit.append(
                clinic.store,
                clinic.audit_key,
                None,
                "system",
                action,
                patient_id=f.patient_id,
                thread_id=f.thread_id,
                detail={"by": f.follow_up_by, "from_status": f.status},
            )
    return back
