"""A conversation's patient link, shared: the fifth compare-and-set field of `apply_op`
(value: the patient's clinic-wide id, or '' for none).

Filing a conversation under a patient is done here by the patient services, with
their access check and audit entry. What the server last had is kept beside the
link (`threads.shared_patient`); a link that differs from it is queued as one
operation (its id kept, so a retry is the same operation) after the patient has
been registered on the server. First to the server wins: a link that lost shows
its author a conflict card, and the conversation is filed as the server has it
(a wrong patient is never merged silently). A link the server refuses (its author's
account turned off there: refusals.py) leaves the queue the same way, with a card
that says why, for its author and the administrators.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any

import psycopg

from clinic_inbox.core.home import Clinic
from clinic_inbox.core.store import patient_queries as pq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_patient_queries as spq
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import refusals
from clinic_inbox.shared.patients import fetch_patients, place_patient, publish_patient
from clinic_inbox.shared.replica import StaffMap, server_error
from clinic_inbox.shared.seal import field_mac
from clinic_inbox.shared.server import Link

FIELD = "patient"


@dataclass
class LinkPush:
    applied: int = 0
    conflicts: int = 0
    refused: int = 0  # refused by a check on the server (a card for their author)


def queue_changes(clinic: Clinic, link: Link) -> int:
    """Queue the links made here since the last exchange; returns how many."""
    store = clinic.store
    changes = spq.links_to_send(store)
    if not changes:
        return 0
    targets: dict[int, str] = {}
    for ch in changes:  # patients first registered on the server (outside the local lock)
        if ch.patient_id is not None and ch.patient_id not in targets:
            targets[ch.patient_id] = publish_patient(clinic, link, ch.patient_id)
    queued = 0
    with store.transaction():
        for ch in changes:
            if spq.link_pending(store, ch.thread_id):
                continue
            now = spq.thread_patient(store, ch.thread_id)
            if now != ch.patient_id:
                continue  # changed again meanwhile: the next pass takes it
            value = targets[now] if now is not None else ""
            if value == ch.seen:
                continue
            base = shq.field_version(store, ch.thread_id, FIELD)
            actor = spq.last_linker(store, ch.thread_id)
            spq.add_link_op(store, ch.thread_id, str(uuid.uuid4()), base, value, actor)
            queued += 1
    return queued


def push(clinic: Clinic, link: Link) -> LinkPush:
    store, keys = clinic.store, link.keys
    staff = StaffMap(clinic, keys)
    result = LinkPush()
    for op in spq.link_ops(store):
        conv = shq.thread_uuid(store, op.thread_id)
        if conv is None:
            continue
        if op.value.startswith("local:"):  # carried over from before the server (provisional)
            target = publish_patient(clinic, link, int(op.value.removeprefix("local:")))
            with store.transaction():
                spq.set_link_op_value(store, op.op_id, target)
            op = replace(op, value=target)
        by = staff.ref_of.get(op.actor_id, "system") if op.actor_id else "system"
        mac = field_mac(keys, conv, FIELD, op.value, op.op_id)
        try:
            with link.conn.transaction():
                receipt = link.conn.execute(
                    "SELECT outcome, server_v, server_value, server_by, server_at, "
                    "server_op::text, server_mac FROM apply_op(%s, %s, %s, %s, %s, %s, %s, "
                    "NULL, NULL, %s)",
                    (op.op_id, link.workstation_id, conv, FIELD, op.base_v, op.value, by, mac),
                ).fetchone()
        except psycopg.errors.NoDataFound:  # the conversation is not on the server yet
            continue
        except psycopg.OperationalError as exc:
            raise server_error(link, exc) from None
        except psycopg.Error as exc:
            if not refusals.is_refusal(exc):
                raise
            # a check on the server said no (a turned-off account): its author is told,
            # and the rest goes on (before, every later push failed on it for good)
            _refused(clinic, link, staff, op, conv, exc)
            result.refused += 1
            continue
        outcome, server_v, server_value, server_by, server_at, server_op, server_mac = receipt
        if server_v:
            link.check_workflow(conv, FIELD, server_value, server_op, server_mac, server_at)
        named = _patients_to_file(clinic, link, server_value) if outcome != "applied" else {}
        with store.transaction():
            for pid, rec in named.items():
                place_patient(clinic, staff, pid, rec)
            spq.drop_link_op(store, op.op_id)
            shq.set_field_version(store, op.thread_id, FIELD, server_v or 0)
            if outcome == "applied":
                result.applied += 1
                spq.set_seen_patient(store, op.thread_id, server_value)
                continue
            result.conflicts += 1
            shq.add_conflict(
                store,
                _as_pending(op),
                server_value,
                staff.name(server_by),
                server_at.isoformat(timespec="seconds") if server_at else None,
            )
            # first to the server wins: filed here as the server has it
            apply_link(clinic, op.thread_id, server_value)
    return result


def _as_pending(op: spq.LinkOp) -> shq.PendingOp:
    """A link operation as the conflict cards keep it."""
    return shq.PendingOp(op.op_id, op.thread_id, FIELD, op.base_v, op.value, op.actor_id, "")


def _patients_to_file(clinic: Clinic, link: Link, value: str) -> dict[str, dict[str, Any]]:
    """The server's patient of a link that was not applied, when it is not filed here
    yet: fetched, so the conversation can be filed under it before the link to it."""
    if not value or spq.patient_by_uuid(clinic.store, value) is not None:
        return {}
    try:
        with link.conn.transaction():
            return fetch_patients(link, {value})
    except psycopg.OperationalError as exc:
        raise server_error(link, exc) from None


def _refused(
    clinic: Clinic,
    link: Link,
    staff: StaffMap,
    op: spq.LinkOp,
    conv: str,
    exc: psycopg.Error,
) -> None:
    """A link the server refused: off the queue, a card for its author (and the
    administrators) saying why in plain words, an audit entry with a reason code only
    (nothing of the server's message), and the conversation filed as the server has it
    (as after a conflict)."""
    store = clinic.store
    code = refusals.reason(exc)
    try:  # what stands on the server instead (no row: never linked there)
        with link.conn.transaction():
            current = link.conn.execute(
                "SELECT v, value, op::text, mac, changed_at FROM conversation_field "
                "WHERE conv = %s AND field = %s",
                (conv, FIELD),
            ).fetchone()
    except psycopg.OperationalError as e:
        raise server_error(link, e) from None
    server_v, value, at = 0, "", None
    if current is not None:
        link.check_workflow(conv, FIELD, current[1], current[2], current[3], current[4])
        server_v, value, at = current[0], current[1], current[4]
    named = _patients_to_file(clinic, link, value)
    with store.transaction():
        for pid, rec in named.items():
            place_patient(clinic, staff, pid, rec)
        spq.drop_link_op(store, op.op_id)
        shq.set_field_version(store, op.thread_id, FIELD, server_v)
        shq.add_conflict(
            store,
            _as_pending(op),
            value,
            refusals.marker(code),
            at.isoformat(timespec="seconds") if at else None,
        )
        refusals.audit_refused(
            clinic, link.label, exc, code, FIELD, op.actor_id, thread_id=op.thread_id
        )
        apply_link(clinic, op.thread_id, value)


def apply_link(clinic: Clinic, thread_id: int, value: str) -> bool:
    """File a conversation here as the server has it (inside the caller's transaction).
    False when the patient is not known here yet (it arrives with a later pull)."""
    store = clinic.store
    target = spq.patient_by_uuid(store, value) if value else None
    if value and target is None:
        return False
    if spq.link_pending(store, thread_id):
        return True  # this computer's own change is on its way; its receipt settles it
    before = spq.thread_patient(store, thread_id)
    if before != target:
        if target is None:
            assert before is not None
            pq.unlink_thread(store, thread_id, before, forget=[])
        else:
            q.link_thread_to_patient(store, thread_id, target, previous=before)
    spq.set_seen_patient(store, thread_id, value)
    return True
