"""Publishing conversations, pushing queued changes, pulling the change log.

- publish: a local conversation gets its clinic-wide id (kept locally first, so a
  crash and a retry publish the same one) and goes to the server sealed.
- push: each queued operation goes to the server's `apply_op`; its receipt (applied or
  conflict) is kept locally in one transaction with dropping the operation. A replay
  after a crash returns the same receipt.
- pull: change-log rows after the cursor are fetched and unsealed first; then all of
  them are applied to the local store in one transaction that also advances the cursor.
  A row that fails its integrity check stops the pull before anything is applied.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import psycopg

from clinic_inbox.core import audit
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Category, Direction, Priority, Source, Status
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import SharedQueueError
from clinic_inbox.shared.seal import (
    ClinicKeys,
    TamperedError,
    check_field,
    field_mac,
    identity,
    open_sealed,
    seal,
)
from clinic_inbox.shared.server import Link

PULL_BATCH = 500


def staff_ref(keys: ClinicKeys, username: str) -> str:
    """A staff member as the server sees them: the same on every workstation, and not
    their user name (which is guessable, so keyed)."""
    return identity(keys, "staff", username.casefold())


class StaffMap:
    """Local staff ids and their clinic-wide references."""

    def __init__(self, clinic: Clinic, keys: ClinicKeys) -> None:
        rows = shq.staff_usernames(clinic.store)
        self.ref_of = {sid: staff_ref(keys, name) for sid, name in rows}
        self.id_of = {ref: sid for sid, ref in self.ref_of.items()}
        self.name_of = {sid: name for sid, name in rows}

    def local(self, ref: str) -> int | None:
        return self.id_of.get(ref)

    def name(self, ref: str | None) -> str | None:
        sid = self.id_of.get(ref or "")
        return self.name_of.get(sid) if sid is not None else None


def message_identity(keys: ClinicKeys, ws_id: str, m: dict[str, Any]) -> str:
    """What makes a message the same message on every workstation, keyed."""
    if m.get("message_id_header"):
        return identity(keys, "email", str(m["message_id_header"]).strip())
    if m.get("fhir_resource_id"):
        return identity(keys, "portal", str(m["fhir_resource_id"]))
    return identity(keys, "local", f"{ws_id}|{m['id']}")


def _state_values(state: shq.SharedState, staff: StaffMap) -> dict[str, str]:
    return {
        "status": state.status,
        "assignee": staff.ref_of.get(state.assigned_to, "") if state.assigned_to else "",
        "priority": state.priority,
        "sensitive": "true" if state.sensitive else "false",
    }


def _server_error(link: Link, exc: Exception) -> SharedQueueError:
    return SharedQueueError(
        f"The shared server {link.label} stopped answering ({type(exc).__name__}). Changes "
        "made here wait on this computer and go out when it is back."
    )


# -- publish ---------------------------------------------------------------------------
def publish_conversation(clinic: Clinic, link: Link, thread_id: int, actor_id: int | None) -> str:
    """Put one local conversation (and its messages) on the server; returns its clinic-wide id."""
    store, keys = clinic.store, link.keys
    staff = StaffMap(clinic, keys)
    with store.transaction():
        conv = shq.thread_uuid(store, thread_id)
        messages = shq.thread_messages(store, thread_id)
        if conv is None:
            conv = _server_conversation_of(link, keys, messages)
            if conv is not None:  # another workstation published this mail first: join it
                shq.set_thread_uuid(store, thread_id, conv)
                _take_server_fields(clinic, link, thread_id, conv, staff)
            else:
                conv = str(uuid.uuid4())
                shq.set_thread_uuid(store, thread_id, conv)
        snapshot = shq.thread_snapshot(store, thread_id)
        state = shq.thread_state(store, thread_id)
    if snapshot is None or state is None:
        raise SharedQueueError(f"There is no conversation number {thread_id}.")
    values = _state_values(state, staff)
    by = staff.ref_of.get(actor_id, "system") if actor_id else "system"
    sealed = seal(keys, "conversation", conv, "snapshot", 1, json.dumps(snapshot).encode())
    identities: list[tuple[int, str]] = []
    ops = [str(uuid.uuid4()) for _ in values]
    macs = [field_mac(keys, conv, f, v, o) for (f, v), o in zip(values.items(), ops, strict=True)]
    try:
        with link.conn.transaction():
            link.conn.execute(
                "SELECT publish_conversation(%s, %s, %s, %s, %s, %s::uuid[], %s)",
                (conv, link.workstation_id, by, sealed, list(values.values()), ops, macs),
            )
            for m in messages:
                ident = m["shared_identity"] or message_identity(keys, link.workstation_id, m)
                mid = str(uuid.uuid4())
                payload = {k: v for k, v in m.items() if k not in ("id", "shared_identity")}
                link.conn.execute(
                    "SELECT publish_message(%s, %s, %s, %s, %s, %s)",
                    (
                        mid,
                        conv,
                        link.workstation_id,
                        ident,
                        m["received_at"],
                        seal(keys, "message", mid, "payload", 1, json.dumps(payload).encode()),
                    ),
                )
                identities.append((m["id"], ident))
            fields = link.conn.execute(
                "SELECT field, v FROM conversation_field WHERE conv = %s", (conv,)
            ).fetchall()
    except psycopg.OperationalError as exc:
        raise _server_error(link, exc) from None
    with store.transaction():
        for mid_local, ident in identities:
            shq.set_message_identity(store, mid_local, ident)
        for f, v in fields:
            shq.set_field_version(store, thread_id, f, v)
        audit.append(
            store,
            clinic.audit_key,
            actor_id,
            staff.name_of.get(actor_id, "system") if actor_id else "system",
            "shared.publish",
            thread_id=thread_id,
            detail={"conversation": conv, "messages": len(identities)},
        )
    return conv


def _server_conversation_of(
    link: Link, keys: ClinicKeys, messages: list[dict[str, Any]]
) -> str | None:
    idents = [
        m["shared_identity"] or message_identity(keys, link.workstation_id, m)
        for m in messages
        if m["direction"] == "in"
    ]
    if not idents:
        return None
    with link.conn.transaction():
        row = link.conn.execute(
            "SELECT conv::text FROM message WHERE identity = ANY(%s) ORDER BY received_at LIMIT 1",
            (idents,),
        ).fetchone()
    return row[0] if row else None


def _take_server_fields(
    clinic: Clinic, link: Link, thread_id: int, conv: str, staff: StaffMap
) -> None:
    with link.conn.transaction():
        rows = link.conn.execute(
            "SELECT field, v, value, op::text, mac FROM conversation_field WHERE conv = %s",
            (conv,),
        ).fetchall()
    for f, v, value, op, mac in rows:
        check_field(link.keys, conv, f, value, op, mac, link.label)
        if f != "assignee" or not value or staff.local(value) is not None:
            _apply_field(clinic, thread_id, f, value, staff)
        shq.set_field_version(clinic.store, thread_id, f, v)


# -- push ------------------------------------------------------------------------------
@dataclass
class PushResult:
    applied: int = 0
    conflicts: int = 0
    waiting: int = 0  # for a conversation the server does not know yet


def _local_value(f: str, value: str, staff: StaffMap) -> Any:
    if f == "status":
        return Status(value)
    if f == "priority":
        return Priority(value)
    if f == "sensitive":
        return value == "true"
    if f == "assignee":
        return staff.local(value) if value else None
    raise ValueError(f)


_COLUMN = {
    "status": "status",
    "priority": "priority",
    "sensitive": "sensitive",
    "assignee": "assigned_to",
}


def push(clinic: Clinic, link: Link) -> PushResult:
    store, keys = clinic.store, link.keys
    staff = StaffMap(clinic, keys)
    result = PushResult()
    for op in shq.pending_ops(store):
        conv = shq.thread_uuid(store, op.thread_id)
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
        try:
            with link.conn.transaction():
                receipt = link.conn.execute(
                    "SELECT outcome, server_v, server_value, server_by, server_at, "
                    "server_op::text, server_mac FROM apply_op(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (
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
                    ),
                ).fetchone()
        except psycopg.errors.NoDataFound:  # P0002: conversation not published yet
            result.waiting += 1
            continue
        except psycopg.OperationalError as exc:
            raise _server_error(link, exc) from None
        outcome, server_v, server_value, server_by, server_at, server_op, server_mac = receipt
        if op.field != "note":
            check_field(keys, conv, op.field, server_value, server_op, server_mac, link.label)
        with store.transaction():
            shq.drop_op(store, op.op_id)
            if op.field == "note":
                result.applied += 1
                continue
            if outcome == "applied":
                result.applied += 1
                shq.rebase_pending(store, op.thread_id, op.field, op.base_v, server_v)
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
                    staff.name(server_by),
                    server_at.isoformat(timespec="seconds") if server_at else None,
                )
            if not shq.has_pending(store, op.thread_id, op.field):
                # Nothing more of ours on this field: the store takes the server's value
                # (on a conflict, first to the server wins).
                if op.field != "assignee" or not server_value or staff.local(server_value):
                    _apply_field(clinic, op.thread_id, op.field, server_value, staff)
                shq.set_field_version(store, op.thread_id, op.field, server_v)
    return result


def _apply_field(clinic: Clinic, thread_id: int, f: str, value: str, staff: StaffMap) -> None:
    local = _local_value(f, value, staff)
    state = shq.thread_state(clinic.store, thread_id)
    if state is None:
        return
    now_local = {
        "status": state.status,
        "priority": state.priority,
        "sensitive": state.sensitive,
        "assignee": state.assigned_to,
    }[f]
    if now_local == (local.value if hasattr(local, "value") else local):
        return
    if f == "status":
        from clinic_inbox.core.services import _clock_on_status_change

        row = q.get_thread(clinic.store, thread_id)
        if row is None:
            return
        clock_fields = _clock_on_status_change(clinic, row, local, datetime.now(UTC))
        q.update_thread(clinic.store, thread_id, status=local, **clock_fields)
    else:
        q.update_thread(clinic.store, thread_id, **{_COLUMN[f]: local})


# -- pull ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Applied:
    seq: int
    kind: str
    conversation: str
    ref: str
    thread_id: int | None


@dataclass
class PullResult:
    applied: list[Applied] = field(default_factory=list)
    cursor: int = 0
    skipped: list[str] = field(default_factory=list)


def _fetch(link: Link, cursor: int, limit: int) -> tuple[list[tuple], dict[str, Any]]:
    """Read the change-log rows after the cursor and the current rows they name."""
    conn = link.conn
    with conn.transaction():
        changes = conn.execute(
            "SELECT seq, kind, conv::text, ref FROM change_log WHERE seq > %s ORDER BY seq LIMIT %s",
            (cursor, limit),
        ).fetchall()
        convs = sorted({c[2] for c in changes})
        data: dict[str, Any] = {"conv": {}, "fields": {}, "messages": {}, "notes": {}}
        if changes:
            for cid, snap in conn.execute(
                "SELECT id::text, snapshot FROM conversation WHERE id = ANY(%s::uuid[])", (convs,)
            ):
                data["conv"][cid] = bytes(snap)
            for cid, f, v, value, op, mac in conn.execute(
                "SELECT conv::text, field, v, value, op::text, mac FROM conversation_field "
                "WHERE conv = ANY(%s::uuid[])",
                (convs,),
            ):
                check_field(link.keys, cid, f, value, op, mac, link.label)
                data["fields"][(cid, f)] = (v, value)
            mids = [c[3] for c in changes if c[1] == "message"]
            wanted = [c[2] for c in changes if c[1] == "conversation"]
            for mid, cid, ident, payload in conn.execute(
                "SELECT id::text, conv::text, identity, payload FROM message "
                "WHERE id = ANY(%s::uuid[]) OR conv = ANY(%s::uuid[]) ORDER BY received_at",
                (mids, wanted),
            ):
                data["messages"][mid] = (cid, ident, bytes(payload))
            nids = [c[3] for c in changes if c[1] == "note"]
            for nid, cid, author, at, body in conn.execute(
                "SELECT id::text, conv::text, author, created_at, body FROM note "
                "WHERE id = ANY(%s::uuid[])",
                (nids,),
            ):
                data["notes"][nid] = (cid, author, at, bytes(body))
    return changes, data


def _unseal(link: Link, data: dict[str, Any]) -> dict[str, Any]:
    """Everything fetched, opened before any of it is applied: one bad row, nothing applied."""
    keys, label = link.keys, link.label
    out: dict[str, Any] = {"conv": {}, "messages": {}, "notes": {}}
    for cid, blob in data["conv"].items():
        out["conv"][cid] = json.loads(
            open_sealed(keys, "conversation", cid, "snapshot", 1, blob, label)
        )
    for mid, (cid, ident, blob) in data["messages"].items():
        payload = json.loads(open_sealed(keys, "message", mid, "payload", 1, blob, label))
        out["messages"][mid] = (cid, ident, payload)
    for nid, (cid, author, at, blob) in data["notes"].items():
        sealed = json.loads(open_sealed(keys, "note", nid, "body", 1, blob, label))
        if sealed["author"] != author:  # the plain author column was changed
            raise TamperedError(
                f"A note on {label} ({nid}) names another author than the one sealed in it. "
                "It was not applied and nothing on this computer changed. Tell your IT support."
            )
        out["notes"][nid] = (cid, author, at, sealed["body"])
    return out


def pull(clinic: Clinic, link: Link, limit: int = PULL_BATCH) -> PullResult:
    store = clinic.store
    cursor = shq.cursor(store)
    try:
        changes, data = _fetch(link, cursor, limit)
    except psycopg.OperationalError as exc:
        raise _server_error(link, exc) from None
    result = PullResult(cursor=cursor)
    if not changes:
        return result
    opened = _unseal(link, data)
    staff = StaffMap(clinic, link.keys)
    with store.transaction():
        for seq, kind, conv, ref in changes:
            thread_id = shq.thread_by_uuid(store, conv)
            if kind == "conversation":
                if thread_id is None:
                    thread_id = _materialise(clinic, conv, data, opened, staff, result)
                else:
                    for f in ("status", "assignee", "priority", "sensitive"):
                        _pull_field(clinic, thread_id, f, data["fields"].get((conv, f)), staff)
            elif thread_id is None:
                pass  # its conversation arrives with a later "conversation" change
            elif kind == "field":
                _pull_field(clinic, thread_id, ref, data["fields"].get((conv, ref)), staff)
            elif kind == "message":
                found = opened["messages"].get(ref)
                if found:
                    _place_message(store, thread_id, found[1], found[2])
            elif kind == "note":
                found = opened["notes"].get(ref)
                if found and shq.note_by_uuid(store, ref) is None:
                    author = staff.local(found[1])
                    if author is None:
                        result.skipped.append(f"note {ref}: its author is not known here")
                    else:
                        created = found[2].isoformat(timespec="seconds")
                        shq.insert_note(store, thread_id, author, found[3], created, ref)
            result.applied.append(Applied(seq, kind, conv, ref, thread_id))
            result.cursor = seq
        shq.set_cursor(store, result.cursor)
        audit.append(
            store,
            clinic.audit_key,
            None,
            "system",
            "shared.pull",
            detail={"changes": len(changes), "cursor": result.cursor},
        )
    return result


def _pull_field(
    clinic: Clinic, thread_id: int, f: str, current: tuple[int, str] | None, staff: StaffMap
) -> None:
    if current is None:
        return
    v, value = current
    store = clinic.store
    if shq.has_pending(store, thread_id, f):
        return  # this computer's own change is on its way; its receipt settles the field
    if v <= shq.field_version(store, thread_id, f):
        return
    if f != "assignee" or not value or staff.local(value) is not None:
        _apply_field(clinic, thread_id, f, value, staff)
    shq.set_field_version(store, thread_id, f, v)


def _materialise(
    clinic: Clinic,
    conv: str,
    data: dict[str, Any],
    opened: dict[str, Any],
    staff: StaffMap,
    result: PullResult,
) -> int | None:
    snap = opened["conv"].get(conv)
    if snap is None:
        return None
    fields = {
        f: data["fields"].get((conv, f), (0, ""))
        for f in ("status", "assignee", "priority", "sensitive")
    }
    store = clinic.store
    members = [(ident, p) for cid, ident, p in opened["messages"].values() if cid == conv]
    adopted = _adoptable(store, members)
    if adopted is not None:
        # This workstation ingested the same mail itself: its conversation becomes the
        # clinic's one, with the server's values (the server had it first).
        shq.set_thread_uuid(store, adopted, conv)
        for f, (v, value) in fields.items():
            if f != "assignee" or not value or staff.local(value) is not None:
                _apply_field(clinic, adopted, f, value, staff)
            shq.set_field_version(store, adopted, f, v)
        for ident, payload in members:
            _place_message(store, adopted, ident, payload)
        return adopted
    thread_id = q.create_thread(
        store,
        q.NewThread(
            subject=snap["subject"],
            category=Category(snap["category"]),
            priority=Priority(fields["priority"][1]),
            created_at=snap["created_at"],
            status=Status(fields["status"][1]),
            assigned_to=staff.local(fields["assignee"][1]) if fields["assignee"][1] else None,
            sensitive=fields["sensitive"][1] == "true",
            due_at=snap["due_at"],
        ),
    )
    shq.set_thread_uuid(store, thread_id, conv)
    for f, (v, _) in fields.items():
        shq.set_field_version(store, thread_id, f, v)
    for ident, payload in members:
        _place_message(store, thread_id, ident, payload)
    return thread_id


def _adoptable(store: Any, members: list[tuple[str, dict[str, Any]]]) -> int | None:
    for _ident, p in members:
        local = shq.local_copy(store, p.get("message_id_header"), p.get("fhir_resource_id"))
        if local is not None and shq.thread_uuid(store, local[1]) is None:
            return local[1]
    return None


def _place_message(store: Any, thread_id: int, ident: str, payload: dict[str, Any]) -> None:
    """A pulled message: kept once, whether it is new here or was ingested here too."""
    if shq.message_by_identity(store, ident) is not None:
        return
    if payload.get("direction") == "in":
        local = shq.local_copy(
            store, payload.get("message_id_header"), payload.get("fhir_resource_id")
        )
        if local is not None:
            shq.set_message_identity(store, local[0], ident)
            return
    _insert_message(store, thread_id, ident, payload)


def _insert_message(store: Any, thread_id: int, ident: str, p: dict[str, Any]) -> None:
    mid = q.insert_message(
        store,
        q.NewMessage(
            thread_id=thread_id,
            source=Source(p["source"]),
            direction=Direction(p["direction"]),
            received_at=p["received_at"],
            sender=p["sender"] or "",
            sender_name=p["sender_name"],
            recipients=p["recipients"] or "",
            subject=p["subject"] or "",
            body_text=p["body_text"] or "",
            body_html=p["body_html"],
            category=Category(p["category"]),
            priority=Priority(p["priority"]),
            triage_reason=p["triage_reason"],
            sensitive=bool(p["sensitive"]),
            needs_review=bool(p["needs_review"]),
            review_reason=p["review_reason"],
            message_id_header=p["message_id_header"],
            in_reply_to=p["in_reply_to"],
            references_header=p["references_header"],
            fhir_resource_id=p["fhir_resource_id"],
            fhir_version=p["fhir_version"],
            content_hash=p["content_hash"],
        ),
    )
    shq.set_message_identity(store, mid, ident)
