"""Receiving the others' changes: change-log rows after the cursor are fetched and
unsealed first; then all of them are applied to the local store in one transaction that
also advances the cursor. A row that fails its integrity check stops the pull before
anything is applied."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg

from clinic_inbox.core import audit, clock
from clinic_inbox.core.changes import Changes
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Category, Priority, Status
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_patient_queries as spq
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import (
    discard_op,
    fold,
    glass_review_op,
    key_rotation,
    patient_edits,
    provisional,
    purge_op,
    staff_sync,
)
from clinic_inbox.shared.patient_links import apply_link
from clinic_inbox.shared.patients import fetch_patients, place_patient
from clinic_inbox.shared.replica import (
    StaffMap,
    answered,
    apply_field,
    place_message,
    server_error,
    take_unqueued,
)
from clinic_inbox.shared.seal import TamperedError, check_not_retired, open_sealed
from clinic_inbox.shared.server import Link

PULL_BATCH = 500


@dataclass(frozen=True)
class Applied:
    seq: int
    kind: str
    conversation: str
    ref: str
    thread_id: int | None
    messages: tuple[int, ...] = ()  # the messages it added here


def changes_of(applied: list[Applied]) -> Changes:
    """What a pull changed here, as local actions and the mail sync report it. A staff or
    delegation change reaches every card (who may read what) and the team list, and
    ends a turned-off person's session at the board's next read."""
    changes = Changes(
        threads=frozenset(a.thread_id for a in applied if a.thread_id is not None),
        messages=frozenset(m for a in applied for m in a.messages),
    )
    if any(a.kind == staff_sync.KIND for a in applied):
        return changes | Changes(staff=True, access=True)
    return changes


@dataclass
class PullResult:
    applied: list[Applied] = field(default_factory=list)
    cursor: int = 0
    # staff and delegation changes applied here (before the others), and how many
    # change-log rows of theirs this pull read (its own come back, too)
    access: list[Applied] = field(default_factory=list)
    access_rows: int = 0
    skipped: list[str] = field(default_factory=list)
    # conversations of this workstation folded into the server's (shared.fold): their
    # cards go from the board
    folded: list[int] = field(default_factory=list)

    @property
    def changes(self) -> Changes:
        """What the pull changed here, as local actions and the mail sync report it."""
        return changes_of(self.applied + self.access) | Changes.of_threads(self.folded)


def _fetch(link: Link, cursor: int, limit: int) -> tuple[list[tuple], dict[str, Any]]:
    """Read the change-log rows after the cursor and the current rows they name."""
    conn = link.conn
    with conn.transaction():
        changes = conn.execute(
            "SELECT seq, kind, conv::text, ref FROM change_log WHERE seq > %s ORDER BY seq LIMIT %s",
            (cursor, limit),
        ).fetchall()
        convs = sorted({c[2] for c in changes})
        data: dict[str, Any] = {
            "conv": {},
            "fields": {},
            "messages": {},
            "notes": {},
            "numbers": {},
            "patients": {},
            "from_ws": {},  # message id -> the name of the workstation that published it
        }
        if changes:
            for cid, snap, number in conn.execute(
                "SELECT id::text, snapshot, number FROM conversation WHERE id = ANY(%s::uuid[])",
                (convs,),
            ):
                data["conv"][cid] = bytes(snap)
                data["numbers"][cid] = int(number)
            for cid, f, v, value, op, mac, at in conn.execute(
                "SELECT conv::text, field, v, value, op::text, mac, changed_at "
                "FROM conversation_field WHERE conv = ANY(%s::uuid[])",
                (convs,),
            ):
                link.check_workflow(cid, f, value, op, mac, at)
                data["fields"][(cid, f)] = (v, value)
            # a purge or a discard MACed under a retired key after it was retired
            marked = [c for c in changes if c[1] in (purge_op.KIND, discard_op.KIND)]
            if marked and link.retired:
                at_of = dict(
                    conn.execute(
                        "SELECT seq, at FROM change_log WHERE seq = ANY(%s)",
                        ([c[0] for c in marked],),
                    ).fetchall()
                )
                for seq, kind, cid, ref in marked:
                    mac = ref.rpartition("|")[2]
                    check_not_retired(
                        link.retired, mac, at_of.get(seq), f"conversation {cid}, {kind}", link.label
                    )
            mids = [c[3] for c in changes if c[1] == "message"]
            wanted = [c[2] for c in changes if c[1] == "conversation"]
            for mid, cid, ident, payload in conn.execute(
                "SELECT id::text, conv::text, identity, payload FROM message "
                "WHERE id = ANY(%s::uuid[]) OR conv = ANY(%s::uuid[]) ORDER BY received_at",
                (mids, wanted),
            ):
                data["messages"][mid] = (cid, ident, bytes(payload))
            # which workstation each came from (a held reply names it; no PHI in a name)
            data["from_ws"] = dict(
                conn.execute(
                    "SELECT c.ref, w.name FROM change_log c JOIN workstation w ON w.id = c.ws "
                    "WHERE c.kind = 'message' AND (c.ref = ANY(%s) OR c.conv = ANY(%s::uuid[]))",
                    (mids, wanted),
                ).fetchall()
            )
            nids = [c[3] for c in changes if c[1] == "note"]
            for nid, cid, author, at, body in conn.execute(
                "SELECT id::text, conv::text, author, created_at, body FROM note "
                "WHERE id = ANY(%s::uuid[])",
                (nids,),
            ):
                data["notes"][nid] = (cid, author, at, bytes(body))
            # patients registered, and those the conversations' links name
            wanted_patients = {c[3] for c in changes if c[1] == "patient"}
            wanted_patients |= {v for (_c, f), (_v, v) in data["fields"].items() if f == "patient"}
            data["patients"] = fetch_patients(link, {p for p in wanted_patients if p})
            # edited fields of patients: those changed, and those of the patients placed
            edited = {c[2] for c in changes if c[1] == "patient_field"}
            data["patient_fields"] = patient_edits.fetch_fields(
                link, edited | set(data["patients"])
            )
            # break-glass openings marked reviewed (their ids in `ref`)
            data["glass"] = glass_review_op.fetch(
                link, [c[3] for c in changes if c[1] == glass_review_op.KIND]
            )
            # staff and delegation changes: all of them, applied before everything else
            data["access"] = staff_sync.fetch(link, cursor)
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
    out["glass"] = glass_review_op.unseal(link, data.get("glass", {}))
    return out


def pull(clinic: Clinic, link: Link, limit: int = PULL_BATCH) -> PullResult:
    store = clinic.store
    cursor = shq.cursor(store)
    try:
        # a seal key version made since (a revocation) first: rows sealed under it follow
        key_rotation.keep_current(clinic, link)
        changes, data = _fetch(link, cursor, limit)
    except psycopg.OperationalError as exc:
        raise server_error(link, exc) from None
    result = PullResult(cursor=cursor)
    if not changes:
        staff_sync.heard_from_server(store)
        return result
    opened = _unseal(link, data)
    with store.transaction():
        staff_sync.heard_from_server(store, always=True)
        # revocations and disabled accounts first, then the rest with the staff as now
        done = staff_sync.apply_pulled(clinic, link.keys, data.get("access", []))
        result.access = [Applied(p.seq, staff_sync.KIND, p.op_id, p.op_id, None) for p in done]
        staff = StaffMap(clinic, link.keys)
        fields = data.get("patient_fields", {})
        emptied: list[tuple[int, int]] = []  # conversations here a move left empty
        for pid, rec in data["patients"].items():  # before the links that name them
            place_patient(clinic, staff, pid, rec)
            for (who, f), got in fields.items():  # with the edits made since
                if who == pid:
                    patient_edits.apply_pulled(clinic, staff, pid, f, got)
        for seq, kind, conv, ref in changes:
            if kind == staff_sync.KIND:  # applied above
                result.access_rows += 1
                result.cursor = seq
                continue
            if kind == glass_review_op.KIND:  # conv and ref: the mark's id
                glass_review_op.apply(clinic, opened["glass"].get(ref))
                result.applied.append(Applied(seq, kind, conv, ref, None))
                result.cursor = seq
                continue
            thread_id = shq.thread_by_uuid(store, conv)
            placed: list[int] = []
            if kind == "patient_field":  # conv: the patient, ref: the field
                patient_edits.apply_pulled(clinic, staff, conv, ref, fields.get((conv, ref)))
            if kind in ("patient", "patient_field"):
                result.applied.append(Applied(seq, kind, conv, ref, None))
                result.cursor = seq
                continue
            if thread_id is not None and conv in data["numbers"]:
                spq.set_shared_number(store, thread_id, data["numbers"][conv])
            if kind == "conversation":
                if thread_id is None:
                    thread_id = _materialise(clinic, conv, data, opened, staff, placed, emptied)
                else:
                    for f in ("status", "assignee", "priority", "sensitive"):
                        _pull_field(clinic, thread_id, f, data["fields"].get((conv, f)), staff)
                    _pull_link(clinic, thread_id, data["fields"].get((conv, "patient")))
            elif thread_id is None:
                pass  # its conversation arrives with a later "conversation" change
            elif kind == "field" and ref == "patient":
                _pull_link(clinic, thread_id, data["fields"].get((conv, ref)))
            elif kind == "field":
                _pull_field(clinic, thread_id, ref, data["fields"].get((conv, ref)), staff)
            elif kind == "message":
                found = opened["messages"].get(ref)
                if found:
                    new = place_message(store, thread_id, found[1], found[2], emptied)
                    placed += filter(None, [new])
                    if new is not None and found[2].get("direction") == "in":
                        _patient_clock(clinic, thread_id, found[2])
                    elif found[2].get("direction") == "in":
                        # the patient's message was here already: fetched here (its ingest
                        # reopened this copy) but published by another, its publication
                        # here never completed (the lease lost, killed, cut off), so the
                        # settling after a publication never ran here
                        _settle_status(
                            clinic, thread_id, data["fields"].get((conv, "status")), staff
                        )
                    answered(
                        store, thread_id, found[1], found[2], staff, seq, data["from_ws"].get(ref)
                    )
            elif kind == purge_op.KIND:  # purged elsewhere: this copy is purged too
                purge_op.apply(clinic, link.keys, thread_id, conv, ref, link.label)
            elif kind == discard_op.KIND:  # a held reply discarded elsewhere: not sent
                discard_op.apply(clinic, link.keys, thread_id, conv, ref, link.label)
            elif kind == "note":
                found = opened["notes"].get(ref)
                if found and shq.note_by_uuid(store, ref) is None:
                    author = staff.local(found[1])
                    if author is None:
                        result.skipped.append(f"note {ref}: its author is not known here")
                    else:
                        created = found[2].isoformat(timespec="seconds")
                        shq.insert_note(store, thread_id, author, found[3], created, ref)
            result.applied.append(Applied(seq, kind, conv, ref, thread_id, tuple(placed)))
            result.cursor = seq
        for src, into in emptied:
            # made here and never on the server (no clinic-wide id): folded into the
            # server's conversation its messages went to. One with an id the server has
            # gets its messages from the server's own (a later change brings them)
            if shq.thread_uuid(store, src) is None and fold.fold_emptied(clinic, src, into, staff):
                result.folded.append(src)
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
        apply_field(clinic, thread_id, f, value, staff)
    shq.set_field_version(store, thread_id, f, v)


def _settle_status(
    clinic: Clinic, thread_id: int, current: tuple[int, str] | None, staff: StaffMap
) -> None:
    """The settling a publication does (`take_unqueued`), for a patient message whose
    publication here never completed and that came back by pull: unless a patient message
    here is not on the server yet (its reopen may stand)."""
    if current is None or shq.unshared_patient_messages(clinic.store, thread_id):
        return
    take_unqueued(clinic, thread_id, "status", current[0], current[1], staff)


def _pull_link(clinic: Clinic, thread_id: int, current: tuple[int, str] | None) -> None:
    if current is None:
        return
    v, value = current
    store = clinic.store
    if spq.link_pending(store, thread_id):
        return  # this computer's own link is on its way; its receipt settles it
    if v <= shq.field_version(store, thread_id, "patient"):
        return
    if apply_link(clinic, thread_id, value):
        shq.set_field_version(store, thread_id, "patient", v)


def _materialise(
    clinic: Clinic,
    conv: str,
    data: dict[str, Any],
    opened: dict[str, Any],
    staff: StaffMap,
    placed: list[int],
    emptied: list[tuple[int, int]] | None = None,
) -> int | None:
    """A conversation new here, made from the server's; its messages' ids go in `placed`."""
    snap = opened["conv"].get(conv)
    if snap is None:
        return None
    fields = {
        f: data["fields"].get((conv, f), (0, ""))
        for f in ("status", "assignee", "priority", "sensitive")
    }
    store = clinic.store
    members = [(ident, p) for cid, ident, p in opened["messages"].values() if cid == conv]
    came_from = {
        ident: data["from_ws"].get(mid)
        for mid, (cid, ident, _p) in opened["messages"].items()
        if cid == conv
    }
    adopted = _adoptable(store, conv, members)
    if adopted is not None:
        # This workstation ingested the same mail itself: its conversation becomes the
        # clinic's one, with the server's values (the server had it first); what people
        # did on it here follows as their changes (shared.provisional)
        before = provisional.before_adoption(store, adopted)
        shq.set_thread_uuid(store, adopted, conv)
        for f, (v, value) in fields.items():
            if f != "assignee" or not value or staff.local(value) is not None:
                apply_field(clinic, adopted, f, value, staff)
            shq.set_field_version(store, adopted, f, v)
        provisional.carry_over(store, adopted, before)
        for ident, payload in members:
            placed += filter(None, [place_message(store, adopted, ident, payload, emptied)])
            answered(store, adopted, ident, payload, staff, where=came_from.get(ident))
        _joined(clinic, adopted, conv, data)  # a link made here waits as an operation
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
        placed += filter(None, [place_message(store, thread_id, ident, payload, emptied)])
        answered(store, thread_id, ident, payload, staff, where=came_from.get(ident))
    _joined(clinic, thread_id, conv, data)
    return thread_id


def _patient_clock(clinic: Clinic, thread_id: int, payload: dict[str, Any]) -> None:
    """The single workstation's rule for a patient's new message: its clock runs (a
    reply had stopped it; a reopen starts it again), due by the message's priority."""
    received = datetime.fromisoformat(payload["received_at"])
    due = clock.due_at(clinic.config, received, Priority(payload["priority"]))
    shq.start_clock(clinic.store, thread_id, due.isoformat(timespec="seconds"))


def _joined(clinic: Clinic, thread_id: int, conv: str, data: dict[str, Any]) -> None:
    """A conversation new here: the server's number and patient link."""
    if conv in data["numbers"]:
        spq.set_shared_number(clinic.store, thread_id, data["numbers"][conv])
    _pull_link(clinic, thread_id, data["fields"].get((conv, "patient")))


def _adoptable(store: Any, conv: str, members: list[tuple[str, dict[str, Any]]]) -> int | None:
    for _ident, p in members:
        local = shq.local_copy(store, p.get("message_id_header"), p.get("fhir_resource_id"))
        if local is None:
            continue
        mine = shq.thread_uuid(store, local[1])
        if mine is None:
            return local[1]
        if mine != conv and not shq.published_any(store, local[1]):
            # its publication never reached the server (a kill between the local id and
            # the server's commit, or a refused one): the server's conversation wins
            shq.forget_thread_uuid(store, local[1], mine)
            return local[1]
    return None
