"""The Administration's workstations tab: who is enrolled on the clinic's server, and
revoking one (which renews the clinic's key: key_rotation.py). Run on the app's writer
thread, like core.app_actions, each with its own connection to the server."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from clinic_inbox.core.changes import Outcome
from clinic_inbox.core.home import Clinic
from clinic_inbox.shared import enrol
from clinic_inbox.shared.replica import StaffMap
from clinic_inbox.shared.server import open_link

_REF = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class WorkstationRow:
    workstation_id: str
    name: str
    fingerprint: str
    state: str  # 'pending', 'approved', 'revoked'
    decided: str  # when and by whom, or ''
    this_computer: bool


def workstations(clinic: Clinic, session: Any) -> Outcome:
    """Every workstation that asked to join, newest first, and the clinic key's version."""
    enrol._require_admin(clinic, session)
    link = open_link(clinic)
    try:
        with link.conn.transaction():
            rows = link.conn.execute(
                "SELECT id::text, name, fingerprint, state, decided_at, decided_by "
                "FROM workstation ORDER BY requested_at DESC"
            ).fetchall()
            version = link.conn.execute(
                "SELECT coalesce(max(key_id), 1) FROM seal_key_version"
            ).fetchone()[0]
    finally:
        link.conn.close()
    staff = StaffMap(clinic, link.keys)
    out = [
        WorkstationRow(
            r[0],
            r[1],
            r[2],
            r[3],
            f"{r[4]:%Y-%m-%d %H:%M} by {decided_by(staff, r[5])}" if r[4] else "",
            r[0] == link.workstation_id,
        )
        for r in rows
    ]
    return Outcome((out, version))


def decided_by(staff: StaffMap, by: str | None) -> str:
    """Who decided, by user name: the server holds their keyed reference since schema 13
    (a user name before)."""
    name = staff.name(by)
    if name:
        return name
    if not by or _REF.fullmatch(by):
        return "an account not on this computer"
    return by  # decided before schema 13: the user name itself


def revoke(clinic: Clinic, session: Any, workstation_id: str) -> Outcome:
    """Revoke one workstation and renew the clinic's key; the new version's id (None
    when that revocation had its renewal already)."""
    link = open_link(clinic)
    try:
        return Outcome(enrol.revoke(clinic, session, link, workstation_id))
    finally:
        link.conn.close()


def approve(clinic: Clinic, session: Any, fingerprint: str) -> Outcome:
    link = open_link(clinic)
    try:
        return Outcome(enrol.approve(clinic, session, link, fingerprint))
    finally:
        link.conn.close()
