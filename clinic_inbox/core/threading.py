"""Which conversation a new message belongs to.

Order of evidence, strongest first:
1. an explicit reference (email In-Reply-To/References, portal inResponseTo/partOf/basedOn)
   to a stored message, when its sender may write into that conversation
   (core/senders.py; decided in core/ingest.py, which records a refused claim);
2. the same normalised subject with the same patient (or the same unknown sender)
   within the last 30 days (this module);
3. otherwise a new thread.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from clinic_inbox.core.store import sync_queries as sq
from clinic_inbox.core.store.connection import Store

_PREFIX = re.compile(
    r"^\s*((re|fwd?|aw|wg|tr|sv|antw|réf|rif)\s*(\[\d+\])?\s*:\s*|\[[^\]]{0,40}\]\s*)+", re.I
)
SUBJECT_WINDOW = timedelta(days=30)


def normalise_subject(subject: str) -> str:
    s = _PREFIX.sub("", subject or "")
    return " ".join(s.lower().split())


def find_thread(
    store: Store,
    *,
    patient_id: int | None,
    sender: str,
    subject: str,
    received_at: datetime,
) -> int | None:
    wanted = normalise_subject(subject)
    if not wanted:
        return None
    since = (received_at - SUBJECT_WINDOW).isoformat(timespec="seconds")
    for thread_id, thread_subject in sq.recent_threads_for(store, patient_id, sender, since):
        if normalise_subject(thread_subject) == wanted:
            return int(thread_id)
    return None
