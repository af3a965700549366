"""`clinic-inbox audit verify --clinic` and `audit export` over every workstation: the
command-line side of `audit_clinic` (cli.py calls these)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import psycopg

from clinic_inbox.core.home import Clinic
from clinic_inbox.core.private_files import csv_cell
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import SharedQueueError
from clinic_inbox.shared.audit_clinic import export_clinic_audit, verify_clinic_audit
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
    """Every workstation's break-glass openings, for `break-glass-review --clinic`: the
    same answer as the app's review tab (shared.break_glass_clinic)."""
    from clinic_inbox.shared import break_glass_clinic

    if not is_shared(clinic):
        raise SharedQueueError(
            "This computer works alone (no shared server): leave out --clinic to see its "
            "break-glass openings."
        )
    return [o.as_json() for o in break_glass_clinic.review(clinic, session)]


def enable_on_server(clinic: Clinic, session: Any, dsn: str) -> str:
    """Add the clinic-wide audit to a server prepared by an older Clinic Inbox, with the
    login that prepared it (`audit enable-server --dsn …`)."""
    from clinic_inbox.core import access, audit
    from clinic_inbox.core.store import queries as q
    from clinic_inbox.shared import audit_schema
    from clinic_inbox.shared.schema import workstation_role
    from clinic_inbox.shared.server import connect, read_info, server_label

    staff = q.get_staff(clinic.store, session.staff.id)
    access.require(
        staff is not None and access.can_manage_settings(staff),
        "Only an administrator can change the shared server.",
    )
    clinic_id, label = shq.linked_clinic(clinic.store), server_label(dsn)
    if clinic_id is None:
        raise SharedQueueError("This computer works alone (no shared server).")
    with connect(dsn) as conn:
        info = read_info(conn)
        if info is None or info.clinic_id != clinic_id:
            raise SharedQueueError(
                f"The server {label} is not this clinic's shared server. Nothing was changed."
            )
        schema = conn.execute("SELECT current_schema()").fetchone()[0]
        try:
            added = audit_schema.install(conn, workstation_role(clinic_id), schema)
        except psycopg.errors.InsufficientPrivilege:
            conn.rollback()
            raise SharedQueueError(
                f"The login on {label} may not change the clinic's tables. Use the login that "
                "prepared the server. Nothing was changed."
            ) from None
        conn.commit()
    with clinic.store.transaction():
        audit.append(
            clinic.store,
            clinic.audit_key,
            session.staff.id,
            session.staff.username,
            "server.audit_step",
            detail={"server": label, "added": added},
        )
    if not added:
        return f"The shared server {label} keeps the clinic-wide audit already."
    return f"The shared server {label} now keeps the clinic-wide audit trail."
