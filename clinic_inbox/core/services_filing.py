"""Batch filing: file many finished conversations to the chart at once (the "Done,
not filed" view). The password is asked once for the batch; each conversation is
checked and audited on its own, and one that cannot be filed is named with the
reason, never stopping the others."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from clinic_inbox.core import access, autofile, filing
from clinic_inbox.core import services as sv
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Status
from clinic_inbox.core.signin import Session
from clinic_inbox.core.store import sync_queries as sq

MAX_BATCH = 500


@dataclass
class BatchFiled:
    filed: list[tuple[int, str]] = field(default_factory=list)  # (conversation, document)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (conversation, why)


def file_batch(
    clinic: Clinic,
    session: Session,
    thread_ids: list[int],
    *,
    formats: tuple[str, ...],
    out_dir: Path,
    password: str,
    sleep: Callable[[float], None] = time.sleep,
) -> BatchFiled:
    bad = [f for f in formats if f not in filing.FORMATS]
    if bad or not formats:
        raise ValueError(f"Choose formats among {', '.join(filing.FORMATS)}.")
    ids = list(dict.fromkeys(thread_ids))
    if not ids:
        raise ValueError("Choose the conversations to file.")
    if len(ids) > MAX_BATCH:
        raise ValueError(f"At most {MAX_BATCH} conversations at a time.")
    if not Path(out_dir).is_dir():
        raise ValueError(f"The folder {out_dir} does not exist.")
    sv.reauthenticate(clinic, session, password, purpose="export", sleep=sleep)
    out = BatchFiled()
    for tid in ids:
        try:
            row, d = sv._acting(clinic, session, tid)
            access.require(d.body and d.file, "you may not file it")
            if row.status is not Status.DONE:
                raise ValueError("it is not done yet")
            if row.patient_id is None:
                raise ValueError("it is not linked to a patient")
            if clinic.config.require_verified_sender and sq.thread_sender_unverified(
                clinic.store, tid
            ):
                raise ValueError("its sender is not confirmed yet")
            doc = autofile.write_filing(
                clinic,
                row,
                formats,
                Path(out_dir),
                exported_by_id=session.staff.id,
                exported_by_name=session.staff.display_name,
                actor_id=session.staff.id,
                actor=session.staff.username,
                detail={"batch": True},
            )
        except (access.AccessDenied, sv.NotFound, ValueError, OSError) as exc:
            out.skipped.append((tid, str(exc)))
            continue
        out.filed.append((tid, doc.document_id))
    return out
