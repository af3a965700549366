"""`clinic-inbox audit verify --clinic` and `audit export` over every workstation: the
command-line side of `audit_clinic` (cli.py calls these two functions)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from clinic_inbox.core.home import Clinic
from clinic_inbox.core.private_files import csv_cell
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import SharedQueueError
from clinic_inbox.shared.audit_clinic import (
    break_glass_review_clinic,
    export_clinic_audit,
    verify_clinic_audit,
)
from clinic_inbox.shared.server import open_link

HEADER = [
    "workstation",
    "entry",
    "at",
    "actor",
    "action",
    "patient_id",
    "conversation",
    "thread_id",
    "reason",
    "detail",
]


def is_shared(clinic: Clinic) -> bool:
    return shq.linked_clinic(clinic.store) is not None


def verify(clinic: Clinic, session: Any) -> tuple[str, bool]:
    if not is_shared(clinic):
        return (
            "This computer works alone (no shared server): there is no clinic-wide trail to "
            "check beyond this computer's own.",
            True,
        )
    link = open_link(clinic)
    try:
        report = verify_clinic_audit(clinic, session, link)
    finally:
        link.conn.close()
    return f"Clinic-wide, on {link.label}:\n{report.describe()}", report.ok


def export_csv(clinic: Clinic, session: Any, **filters: Any) -> str:
    """The clinic-wide CSV, whole (nothing is written anywhere if reading fails)."""
    try:
        link = open_link(clinic)
    except SharedQueueError as exc:
        raise SharedQueueError(
            f"{exc} The export would miss the other workstations' entries, so none was made; "
            "add --local to export only this computer's trail."
        ) from None
    try:
        rows = export_clinic_audit(clinic, session, link, **filters)
    finally:
        link.conn.close()
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(HEADER)
    for e in rows:
        # every cell escaped: a reason or a user name must never run as a formula
        w.writerow(
            [
                csv_cell(v)
                for v in (
                    e.workstation,
                    e.seq,
                    e.at,
                    e.actor,
                    e.action,
                    e.patient_id or "",
                    e.conversation or "",
                    e.thread_id or "",
                    e.reason or "",
                    json.dumps(e.detail, sort_keys=True),
                )
            ]
        )
    return out.getvalue()


def break_glass(clinic: Clinic, session: Any) -> list[dict[str, Any]]:
    """Every workstation's break-glass openings, for `break-glass-review --clinic`."""
    if not is_shared(clinic):
        raise SharedQueueError(
            "This computer works alone (no shared server): leave out --clinic to see its "
            "break-glass openings."
        )
    link = open_link(clinic)
    try:
        rows = break_glass_review_clinic(clinic, session, link)
    finally:
        link.conn.close()
    return [
        {
            "workstation": e.workstation,
            "staff": e.actor,
            "at": e.at,
            "until": e.detail.get("until"),
            "conversation": e.conversation,
            "thread_id": e.thread_id,
            "patient_id": e.patient_id,
            "reason": e.reason,
        }
        for e in rows
    ]
