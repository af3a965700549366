"""Sending this workstation's queued changes to the server's `apply_op`. Each receipt
(applied or conflict) is kept locally in one transaction with dropping the operation;
a replay after a crash returns the same receipt."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace

import psycopg

from clinic_inbox.core.home import Clinic
from clinic_inbox.core.ingest import reopened
from clinic_inbox.core.model import Status
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import (
    discard_op,
    glass_review_op,
    key_rotation,
    patient_edits,
    patient_links,
    purge_op,
    refusals,
    staff_sync,
)
from clinic_inbox.shared.replica import StaffMap, apply_field, server_error
from clinic_inbox.shared.seal import field_mac, seal
from clinic_inbox.shared.server import Link

_RECEIPT = (
    "SELECT outcome, server_v, server_value, server_by, server_at, server_op::text, "
    "server_mac, reason FROM "
)
# who the card of a Done (or Waiting) refused over newer patient words names
NEW_MESSAGE = "(a new message from the patient)"


@dataclass
class PushResult:
    applied: int = 0
    conflicts: int = 0
    waiting: int = 0  # for a conversation the server does not know yet
    staff: int = 0  # staff and delegation changes applied (staff_sync)
    staff_conflicts: int = 0  # ...and not applied (a card for their author)
    refused: int = 0  # refused by a check on the server (a card for their author)


def push(clinic: Clinic, link: Link) -> PushResult:
    try:  # a seal key version made since (a revocation) seals what goes now
        key_rotation.keep_current(clinic, link, complete=False)
    except psycopg.OperationalError as exc:
        raise server_error(link, exc) from None
    # Everything queued is sealed here, at sending, under the newest version held: a
    # change made offline before a renewal goes out under the new key. One sealed under
    # a retired version (the renewal not received yet) is refused by the server and
    # stays queued.
    with key_rotation.refusal_said(clinic, link):
        return _push(clinic, link)


def _push(clinic: Clinic, link: Link) -> PushResult:
    store, keys = clinic.store, link.keys
    staff = StaffMap(clinic, keys)
    result = PushResult()
    # staff and delegations first: a turned-off account or a revocation goes out at once
    access = staff_sync.push(clinic, link)
    result.staff, result.staff_conflicts = access.applied, access.conflicts + access.refused
    purge_op.publish_purges(clinic, link)  # retention purges made here reach the others
    discard_op.publish_discards(clinic, link)  # held replies discarded here, too
    # break-glass openings marked reviewed here (a refused one is taken back, audited)
    result.refused += len(glass_review_op.publish(clinic, link).refused)
    for op in shq.pending_ops(store):
        conv = shq.thread_uuid(store, op.thread_id)
        if conv is None:
            # queued while a publication had given the conversation its id, which the
            # server then refused (the lease was lost: publish forgets the id); the
            # change waits here until the conversation reaches the server (the mail
            # harness found push failing on it, and so every later push)
            result.waiting += 1
            continue
        by = staff.ref_of.get(op.actor_id, "system") if op.actor_id else "system"
        value, note_at, note_body, mac = op.value, None, None, None
        if op.field == "assignee":
            value = staff.ref_of.get(int(op.value), "") if op.value else ""
        if op.field != "note":
            mac = field_mac(keys, conv, op.field, value, op.op_id)
        else:
            row = shq.note_row(store, int(op.value))
            if row is None:
                with store.transaction():
                    shq.drop_op(store, op.op_id)
                continue
            note_uuid = row[4]
            if note_uuid is None:  # kept before sending, so a retry sends the same note
                note_uuid = str(uuid.uuid4())
                with store.transaction():
                    shq.set_note_uuid(store, int(op.value), note_uuid)
            value, note_at = note_uuid, row[3]
            sealed_note = {"author": by, "body": row[2]}  # the author, too, cannot be changed
            note_body = seal(keys, "note", note_uuid, "body", 1, json.dumps(sealed_note).encode())
        if op.field == "status":  # with what its author had seen of the patient's words
            sql = _RECEIPT + "apply_status_op(%s, %s, %s, %s, %s, %s, %s, %s)"
            args = (op.op_id, link.workstation_id, conv, op.base_v, value, by, mac, op.seen)
        else:
            sql = _RECEIPT + "apply_op(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            args = (
                op.op_id,
                link.workstation_id,
                conv,
                op.field,
                op.base_v,
                value,
                by,
                note_at,
                note_body,
                mac,
            )
        try:
            with link.conn.transaction():
                receipt = link.conn.execute(sql, args).fetchone()
        except psycopg.errors.NoDataFound:  # P0002: conversation not published yet
            result.waiting += 1
            continue
        except psycopg.OperationalError as exc:
            raise server_error(link, exc) from None
        except psycopg.Error as exc:
            if not refusals.is_refusal(exc):
                raise
            # a check on the server said no (a turned-off account, a revoked delegation,
            # a permission taken away): its author is told, and the rest goes on
            _refused(clinic, link, staff, op, conv, exc)
            result.refused += 1
            continue
        outcome, server_v, server_value, server_by, server_at, server_op, server_mac, why = receipt
        if op.field != "note":
            link.check_workflow(conv, op.field, server_value, server_op, server_mac, server_at)
        with store.transaction():
            shq.drop_op(store, op.op_id)
            if op.field == "note":
                result.applied += 1
                continue
            if outcome == "applied":
                result.applied += 1
                shq.rebase_pending(store, op.thread_id, op.field, op.base_v, server_v)
            elif op.field == "status" and op.actor_id is None:
                # a new message reopened it here while someone set its status elsewhere:
                # the patient wrote after that, so the rule applies again to the server's
                # status (a finished conversation must not hide a new message); no card,
                # there is no author to show it to. A person's change made here after
                # the reopen is still queued: theirs goes instead (the harness found the
                # reopen sent again after it, the server and this copy then differing)
                again = reopened(Status(server_value))
                if again is not None and not shq.has_pending(store, op.thread_id, "status"):
                    shq.enqueue_op(
                        store,
                        str(uuid.uuid4()),
                        op.thread_id,
                        "status",
                        server_v,
                        again.value,
                        None,
                    )
                    # this copy shows what goes, as for any queued change
                    apply_field(clinic, op.thread_id, "status", again.value, staff)
                    shq.set_field_version(store, op.thread_id, "status", server_v)
                    result.waiting += 1
            elif op.actor_id is None:
                # an automatic change (a follow-up coming due, a handover to cover, a
                # raise by new mail) that a person's change reached the server before:
                # theirs stands, and there is nobody to show a card to
                pass
            else:
                result.conflicts += 1
                theirs = server_value
                if op.field == "assignee":
                    theirs = staff.name(server_value) or ("" if not server_value else "?")
                mine = op
                if op.field == "assignee":  # shown by user name, not a local number
                    mine = replace(op, value=staff.name_of.get(int(op.value or 0), ""))
                shq.add_conflict(
                    store,
                    mine,
                    theirs,
                    # the patient wrote after what its author saw: the card says so
                    NEW_MESSAGE if why == "message" else staff.name(server_by),
                    server_at.isoformat(timespec="seconds") if server_at else None,
                )
            if not shq.has_pending(store, op.thread_id, op.field):
                # Nothing more of ours on this field: the store takes the server's value
                # (on a conflict, first to the server wins).
                if op.field != "assignee" or not server_value or staff.local(server_value):
                    apply_field(clinic, op.thread_id, op.field, server_value, staff)
                shq.set_field_version(store, op.thread_id, op.field, server_v)
    # patient links: found by comparing with the server's (see patient_links)
    patient_links.queue_changes(clinic, link)
    links = patient_links.push(clinic, link)
    result.applied += links.applied
    result.conflicts += links.conflicts
    result.refused += links.refused
    # edits of patients' records: found the same way (see patient_edits)
    patient_edits.queue_changes(clinic, link)
    edits = patient_edits.push(clinic, link)
    result.applied += edits.applied + edits.merged
    result.conflicts += edits.conflicts
    result.refused += edits.refused
    return result


def _refused(
    clinic: Clinic, link: Link, staff: StaffMap, op: shq.PendingOp, conv: str, exc: psycopg.Error
) -> None:
    """A change the server refused: off the queue, a card for its author (and the
    administrators) saying what and why in plain words, an audit entry, and this copy
    showing what the clinic's queue has (as after a conflict). Only a reason code is
    kept of the server's message."""
    store = clinic.store
    code = refusals.reason(exc)
    current = None
    if op.field != "note":
        try:  # what stands on the server instead
            with link.conn.transaction():
                current = link.conn.execute(
                    "SELECT v, value, op::text, mac, changed_at FROM conversation_field "
                    "WHERE conv = %s AND field = %s",
                    (conv, op.field),
                ).fetchone()
        except psycopg.OperationalError as e:
            raise server_error(link, e) from None
        if current is not None:
            link.check_workflow(conv, op.field, current[1], current[2], current[3], current[4])
    with store.transaction():
        shq.drop_op(store, op.op_id)
        mine, theirs = op, current[1] if current is not None else ""
        if op.field == "assignee":  # shown by user name, not a local number
            mine = replace(op, value=staff.name_of.get(int(op.value or 0), ""))
            theirs = staff.name(theirs) or ("" if not theirs else "?")
        # (a note's local id stays: its author may send it again once allowed)
        at = current[4].isoformat(timespec="seconds") if current is not None else None
        shq.add_conflict(store, mine, theirs, refusals.marker(code), at)
        refusals.audit_refused(
            clinic, link.label, exc, code, op.field, op.actor_id, thread_id=op.thread_id
        )
        if current is not None and not shq.has_pending(store, op.thread_id, op.field):
            value = current[1]
            if op.field != "assignee" or not value or staff.local(value):
                apply_field(clinic, op.thread_id, op.field, value, staff)
            shq.set_field_version(store, op.thread_id, op.field, current[0])
