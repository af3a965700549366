"""Patients shared through the clinic's server, sealed.

The server holds a patient as a sealed record (names, birth date, chart number, portal
id, addresses, responsible physician) and keyed HMACs of what identifies them (chart
number, portal id, name with birth date), so that the same patient registered on two
workstations becomes one patient: the first registration wins and the second is told
the first one's id. A pulled patient joins the local one with the same chart number,
portal id, or name and birth date, else is added here.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import psycopg

from clinic_inbox.core.home import Clinic
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_patient_queries as spq
from clinic_inbox.shared import SharedQueueError, patient_edits
from clinic_inbox.shared.replica import StaffMap, server_error
from clinic_inbox.shared.seal import ClinicKeys, identity, open_sealed, seal
from clinic_inbox.shared.server import Link


def patient_keys(keys: ClinicKeys, rec: dict[str, Any], fallback: str) -> list[str]:
    """What identifies this patient on the server, strongest first. `fallback` (this
    workstation and its own number) makes a patient with none of them still published
    once, whatever the retries."""
    out = []
    if rec.get("chart_number"):
        out.append(identity(keys, "patient-chart", str(rec["chart_number"]).strip()))
    if rec.get("portal_id"):
        out.append(identity(keys, "patient-portal", str(rec["portal_id"]).strip()))
    if rec.get("birth_date"):
        who = "|".join(
            str(rec.get(k) or "").strip().casefold()
            for k in ("family_name", "given_name", "birth_date")
        )
        out.append(identity(keys, "patient-name", who))
    out.append(identity(keys, "patient-local", fallback))
    return out


def publish_patient(clinic: Clinic, link: Link, patient_id: int) -> str:
    """The patient's clinic-wide id, registering them on the server if need be."""
    store = clinic.store
    have = spq.patient_uuid(store, patient_id)
    if have:
        return have
    rec = spq.patient_record(store, patient_id)
    if rec is None:
        raise SharedQueueError(f"There is no patient number {patient_id}.")
    staff = StaffMap(clinic, link.keys)
    rec["physician"] = staff.ref_of.get(rec["physician"], "") if rec["physician"] else ""
    new = str(uuid.uuid4())
    sealed = seal(link.keys, "patient", new, "record", 1, json.dumps(rec).encode())
    keys = patient_keys(link.keys, rec, f"{link.workstation_id}|{patient_id}")
    try:
        with link.conn.transaction():
            got = link.conn.execute(
                "SELECT publish_patient(%s, %s, %s, %s)::text",
                (new, link.workstation_id, keys, sealed),
            ).fetchone()[0]
    except psycopg.OperationalError as exc:
        raise server_error(link, exc) from None
    with store.transaction():
        other = spq.patient_by_uuid(store, got)
        if other is None:
            spq.set_patient_uuid(store, patient_id, got)
            patient_edits.remember(store, staff, patient_id)  # later edits compare with it
        # else: two patients here are one on the server (registered twice on this
        # computer): this one stays unshared; its links name the server's patient
    return got


def open_patient(link: Link, pid: str, blob: bytes) -> dict[str, Any]:
    return json.loads(open_sealed(link.keys, "patient", pid, "record", 1, blob, link.label))


def fetch_patients(link: Link, ids: set[str]) -> dict[str, dict[str, Any]]:
    """The named patients' records, unsealed (a tampered one refuses the whole pull).
    Called inside the pull's server transaction."""
    if not ids:
        return {}
    rows = link.conn.execute(
        "SELECT id::text, payload FROM patient WHERE id = ANY(%s::uuid[])", (sorted(ids),)
    ).fetchall()
    return {pid: open_patient(link, pid, bytes(blob)) for pid, blob in rows}


def place_patient(clinic: Clinic, staff: StaffMap, pid: str, rec: dict[str, Any]) -> int:
    """The local patient for the server's patient `pid` (inside the pull's transaction)."""
    store = clinic.store
    found = spq.patient_by_uuid(store, pid)
    if found is not None:
        return found
    local = spq.patient_matching(store, rec.get("chart_number"), rec.get("portal_id"))
    if local is None and rec.get("birth_date"):
        local = spq.patient_by_name_and_birth(
            store, rec.get("family_name") or "", rec.get("given_name") or "", rec["birth_date"]
        )
    if local is not None and spq.patient_uuid(store, local) is None:
        spq.set_patient_uuid(store, local, pid)
        spq.add_patient_emails(store, local, list(rec.get("emails") or []))
        patient_edits.remember(store, staff, local)
        return local
    physician = staff.local(rec.get("physician") or "") if rec.get("physician") else None
    made = q.add_patient(
        store,
        rec.get("family_name") or "",
        rec.get("given_name") or "",
        rec.get("birth_date"),
        # unique here: kept only when no other patient here holds it
        rec.get("chart_number") if local is None else None,
        rec.get("portal_id") if local is None else None,
        physician,
        tuple(rec.get("emails") or ()),
    )
    spq.set_patient_uuid(store, made, pid)
    patient_edits.remember(store, staff, made)
    return made
