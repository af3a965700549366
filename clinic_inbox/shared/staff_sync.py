"""Staff accounts and delegations shared between the clinic's workstations.

Each change (a staff member added, a role changed, an account turned off or on, a
password set, a delegation granted or revoked) was queued by its service in the
action's own transaction (core.shared_staff_ops). The pusher sends them in order to the
server's `apply_access_op` (staff_schema.py), which applies an administrator's change
(a delegation also its physician's), compare-and-sets roles, enables and passwords, and
always applies a disable or a revocation. The user name, display name and password
hash travel sealed, with a copy of the plain columns, so that a change made on the
server is seen when the operation is opened.

A pull applies the others' operations *before* anything else it brings, in server order,
checking again that each one's author was an administrator (or the delegation's
physician) at that point; one that was not is refused here too and audited.

Staff on a workstation when it joins: the first workstation publishes its own (its first
administrator adds themselves, then the others); a workstation joining later adopts the
clinic's by user name, and a person whose role here differs from the clinic's gets the
clinic's role and a card that says so, not a silent change.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import psycopg

from clinic_inbox.core import audit, signin
from clinic_inbox.core import staff_keys as key_slots
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.store import shared_staff_queries as ssq
from clinic_inbox.shared import SharedQueueError
from clinic_inbox.shared.replica import server_error, staff_ref
from clinic_inbox.shared.seal import ClinicKeys, TamperedError, open_sealed, seal
from clinic_inbox.shared.server import Link

KIND = "access"  # its change-log rows
TABLE = "access_op"
VERSION_OF = {
    "staff.role": "role_v",
    "staff.disable": "active_v",
    "staff.enable": "active_v",
    "staff.password": "secret_v",
    "staff.name": "name_v",
}
# kinds the server takes through apply_access_edit (staff_edit_schema.py)
EDIT_KINDS = ("staff.name", "delegation.edit")
# changes of ours still on their way: a pulled one of the same field waits for their receipt
SAME_FIELD = {
    "staff.role": ("staff.role",),
    "staff.enable": ("staff.enable", "staff.disable"),
    "staff.password": ("staff.password",),
    "staff.name": ("staff.name",),
}


# the kinds that change the same version
_FIELD_KINDS = {
    "staff.role": ("staff.role",),
    "staff.disable": ("staff.disable", "staff.enable"),
    "staff.enable": ("staff.disable", "staff.enable"),
    "staff.password": ("staff.password",),
    "staff.name": ("staff.name",),
}


@dataclass
class AccessPush:
    applied: int = 0
    conflicts: int = 0
    refused: int = 0


class _Refs:
    """Local staff by clinic-wide reference, read again after each change."""

    def __init__(self, clinic: Clinic, keys: ClinicKeys) -> None:
        self._clinic, self.keys = clinic, keys
        self.reload()

    def reload(self) -> None:
        rows = ssq.staff_rows(self._clinic.store)
        self.by_ref = {staff_ref(self.keys, s.username): s for s in rows}
        self.ref_of = {s.id: r for r, s in self.by_ref.items()}

    def ref(self, staff_id: int | None) -> str:
        return self.ref_of.get(staff_id, "system") if staff_id is not None else "system"


def _seal_op(keys: ClinicKeys, op_id: str, body: dict[str, Any]) -> bytes:
    return seal(keys, TABLE, op_id, "op", 1, ssq.as_json(body).encode())


def _open_op(link: Link, op_id: str, blob: bytes) -> dict[str, Any]:
    return json.loads(open_sealed(link.keys, TABLE, op_id, "op", 1, blob, link.label))


def _terms(clinic: Clinic, refs: _Refs, delegation_id: int) -> dict[str, Any] | None:
    t = ssq.delegation_terms(clinic.store, delegation_id)
    if t is None or t["physician_id"] not in refs.ref_of or t["delegate_id"] not in refs.ref_of:
        return None
    return {
        "physician": refs.ref_of[t["physician_id"]],
        "delegate": refs.ref_of[t["delegate_id"]],
        "categories": t["categories"],
        "include_sensitive": bool(t["include_sensitive"]),
        "can_view": bool(t["can_view"]),
        "can_reply": bool(t["can_reply"]),
        "can_file": bool(t["can_file"]),
        "starts_at": t["starts_at"],
        "ends_at": t["ends_at"],
        "created_at": t["created_at"],
    }


@dataclass(frozen=True)
class _Wire:
    target: str
    base_v: int
    role: str | None
    terms: dict[str, Any] | None
    by: str
    body: dict[str, Any]


def _wire(clinic: Clinic, refs: _Refs, op: ssq.AccessOp) -> _Wire | None:
    """The operation as the server gets it; None if what it names is gone."""
    store, by = clinic.store, refs.ref(op.actor_id)
    if op.kind.startswith("delegation."):
        uuid = ssq.delegation_uuid(store, op.delegation_id) if op.delegation_id else None
        terms = _terms(clinic, refs, op.delegation_id) if op.delegation_id else None
        if uuid is None or terms is None:
            return None
        plain = {"kind": op.kind, "target": uuid, "role": None, "terms": terms, "by": by}
        base = op.base_v if op.kind == "delegation.edit" else 0
        return _Wire(uuid, base, None, terms, by, plain)
    row = ssq.staff_row(store, op.staff_id) if op.staff_id is not None else None
    if row is None:
        return None
    target = staff_ref(refs.keys, row.username)
    base = 0 if op.kind == "staff.add" else op.base_v
    role = row.role if op.kind == "staff.add" else op.role
    body: dict[str, Any] = {"kind": op.kind, "target": target, "role": role, "terms": None}
    body["by"] = by
    if op.kind in ("staff.add", "staff.password"):
        body |= {"hash": row.password_hash, "must_change": row.must_change}
    if op.kind == "staff.add":
        body |= {"username": row.username, "display_name": row.display_name}
    if op.kind == "staff.name":
        body["display_name"] = row.display_name
    slot = ssq.slot_key(store, op.op_id) if op.kind in ("staff.add", "staff.password") else None
    if slot is not None:  # the new password's slot key, for the others' key slots
        body["slot"] = slot
    return _Wire(target, base, role, None, by, body)


# -- pushing -----------------------------------------------------------------------------
def _on_server(link: Link) -> dict[str, tuple[str, bool]]:
    rows = link.conn.execute("SELECT id, role, active FROM staff_member").fetchall()
    link.conn.commit()
    return {r[0]: (r[1], bool(r[2])) for r in rows}


def _publish_unshared(clinic: Clinic, link: Link, refs: _Refs, result: AccessPush) -> None:
    """Staff who were here before this workstation joined, and not on the server yet:
    the first workstation's are published (its first administrator first, adding
    themselves); those the server has already are left to the pull, which adopts them."""
    store = clinic.store
    shared = ssq.shared_staff_ids(store)
    pending = {op.staff_id for op in ssq.ops(store) if op.kind == "staff.add"}
    waiting = [s for s in ssq.staff_rows(store) if s.id not in shared and s.id not in pending]
    if not waiting:
        return
    server = _on_server(link)
    waiting = [s for s in waiting if staff_ref(link.keys, s.username) not in server]
    if not waiting:
        return
    if server:  # published by an administrator the clinic knows
        admins = [
            s
            for s in ssq.staff_rows(store)
            if s.active and server.get(refs.ref_of.get(s.id, ""), ("", False)) == ("admin", True)
        ]
    else:  # the clinic's very first staff: its first administrator adds themselves
        admins = [s for s in waiting if s.role == "admin" and s.active][:1]
    if not admins:
        return  # nobody here may publish them; they stay on this computer only
    by = admins[0].id
    with store.transaction():  # queued, so that a crash mid-way retries the same ones
        for s in waiting:  # administrators first (staff_rows' order)
            ssq.add_op(store, ssq.AccessOp(str(uuid.uuid4()), "staff.add", s.id, None, None, by))
            if not s.active:
                off = ssq.AccessOp(str(uuid.uuid4()), "staff.disable", s.id, None, None, by)
                ssq.add_op(store, off)


def _publish_delegations(clinic: Clinic, link: Link, refs: _Refs, result: AccessPush) -> None:
    """Delegations granted before this workstation joined: published by whoever granted
    them (the server checks they still may), revoked ones revoked on the server too."""
    store = clinic.store
    shared = ssq.shared_staff_ids(store)
    for did in ssq.unshared_delegations(store):
        t = ssq.delegation_terms(store, did)
        if t is None or not {t["physician_id"], t["delegate_id"]} <= shared:
            continue  # its people are not on the server yet
        by = t["created_by"]
        with store.transaction():  # its id and its operations together
            ssq.set_delegation_uuid(store, did, str(uuid.uuid4()))
            add = ssq.AccessOp(str(uuid.uuid4()), "delegation.add", None, did, None, by)
            ssq.add_op(store, add)
            if t["revoked_at"]:
                off = ssq.AccessOp(str(uuid.uuid4()), "delegation.revoke", None, did, None, by)
                ssq.add_op(store, off)


def push(clinic: Clinic, link: Link) -> AccessPush:
    refs = _Refs(clinic, link.keys)
    result = AccessPush()
    try:
        _publish_unshared(clinic, link, refs, result)
        waiting = ssq.ops(clinic.store)
        # people first (an administrator's own add before those they add), then the rest
        # in the order they were made
        for op in [o for o in waiting if o.kind == "staff.add"]:
            _send(clinic, link, refs, op, result)
        _publish_delegations(clinic, link, refs, result)  # their people are on it now
        for op in [o for o in ssq.ops(clinic.store) if o.kind != "staff.add"]:
            _send(clinic, link, refs, op, result)
    except psycopg.OperationalError as exc:
        raise server_error(link, exc) from None
    return result


def _send(
    clinic: Clinic,
    link: Link,
    refs: _Refs,
    op: ssq.AccessOp,
    result: AccessPush,
) -> None:
    store = clinic.store
    now = ssq.op(store, op.op_id)  # its base as it is now (an earlier receipt moves it)
    if now is None:
        return
    op = now
    wire = _wire(clinic, refs, op)
    if wire is None:
        gone = op.delegation_id is None or ssq.delegation_terms(store, op.delegation_id) is None
        if gone:  # what it names was removed here: nothing to send
            with store.transaction():
                ssq.drop_op(store, op.op_id)
        # else a delegation between people not on the server yet: it waits for them
        return
    sealed = _seal_op(link.keys, op.op_id, wire.body)
    terms = json.dumps(wire.terms) if wire.terms is not None else None
    with link.conn.transaction():
        if op.kind in EDIT_KINDS:
            call = "apply_access_edit(%s, %s, %s, %s, %s, %s::jsonb, %s, %s)"
            args: tuple = (op.op_id, link.workstation_id, op.kind, wire.target, wire.base_v)
            args += (terms, wire.by, sealed)
        else:
            call = "apply_access_op(%s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s)"
            args = (op.op_id, link.workstation_id, op.kind, wire.target, wire.base_v)
            args += (wire.role, terms, wire.by, sealed)
        outcome, v, server_role, server_active, server_by, server_at = link.conn.execute(
            "SELECT outcome, v, server_role, server_active, server_by, server_at FROM " + call,
            args,
        ).fetchone()
    secret = _server_secret(link, wire.target) if op.kind == "staff.password" else None
    if op.kind == "staff.name" and outcome != "applied":
        secret = _server_name(link, wire.target)
    elif op.kind == "delegation.edit" and outcome != "applied":
        secret = _server_terms(link, wire.target)
    with store.transaction():
        ssq.drop_op(store, op.op_id)
        ssq.mark_seen(store, op.op_id)  # the pull meets it again: it is applied here
        if outcome == "applied":
            result.applied += 1
            if op.kind == "staff.add":
                for column in ("role_v", "active_v", "secret_v"):
                    ssq.set_version(store, op.staff_id, column, 1)
                ssq.rebase(store, op.staff_id, tuple(VERSION_OF), 0, 1)
            elif op.kind in VERSION_OF:
                ssq.set_version(store, op.staff_id, VERSION_OF[op.kind], v)
                if v - 1 == wire.base_v:  # nobody else's change came between
                    ssq.rebase(store, op.staff_id, _FIELD_KINDS[op.kind], wire.base_v, v)
            elif op.kind == "delegation.edit" and op.delegation_id is not None:
                ssq.set_terms_version(store, op.delegation_id, v)
                if v - 1 == wire.base_v:
                    ssq.rebase_delegation(store, op.delegation_id, wire.base_v, v)
            return
        if outcome == "refused":
            result.refused += 1
        else:
            result.conflicts += 1
        who = refs.by_ref.get(server_by or "")
        kept = _Kept(
            server_role,
            server_active,
            who.display_name if who else None,
            server_at.isoformat(timespec="seconds") if server_at else None,
        )
        _not_taken(clinic, op, wire, outcome, v, kept, secret)
    refs.reload()


def _last_set(link: Link, target: str, kind: str) -> tuple[dict[str, Any], int, str] | None:
    """The sealed body, version and kind of the last applied operation that set a staff
    member's field (`kind`, or their add, which set them all first)."""
    row = link.conn.execute(
        "SELECT op_id::text, sealed, v, kind FROM access_op WHERE target = %s "
        "AND outcome = 'applied' AND kind IN ('staff.add', %s) ORDER BY seq DESC LIMIT 1",
        (target, kind),
    ).fetchone()
    link.conn.commit()
    if row is None:
        return None
    return _open_op(link, row[0], bytes(row[1])), int(row[2] or 0), row[3]


def _server_name(link: Link, target: str) -> dict[str, Any] | None:
    """The display name as the server has it now."""
    found = _last_set(link, target, "staff.name")
    if found is None:
        return None
    body, v, kind = found
    return {"display_name": body["display_name"], "v": 0 if kind == "staff.add" else v}


def _server_terms(link: Link, target: str) -> dict[str, Any] | None:
    """A delegation's scope as the server has it now, and whether it was revoked."""
    row = link.conn.execute(
        "SELECT terms, revoked_at IS NOT NULL, terms_v FROM delegation WHERE id = %s::uuid",
        (target,),
    ).fetchone()
    link.conn.commit()
    if row is None:
        return None
    return {"terms": row[0], "revoked": bool(row[1]), "v": int(row[2])}


def _server_secret(link: Link, target: str) -> dict[str, Any] | None:
    """The password as the server has it now."""
    found = _last_set(link, target, "staff.password")
    if found is None:
        return None
    body, v, _kind = found
    return {
        "hash": body["hash"],
        "must_change": body["must_change"],
        "v": v or 1,
        "slot": body.get("slot"),
    }


WORDS = {
    "staff.add": "adding this person",
    "staff.role": "the role",
    "staff.disable": "turning the account off",
    "staff.enable": "turning the account on",
    "staff.password": "the password",
    "delegation.add": "the delegation",
    "delegation.revoke": "revoking the delegation",
    "staff.name": "the name",
    "delegation.edit": "the delegation's scope",
}


@dataclass(frozen=True)
class _Kept:
    """The staff member as the server has them, after a change of ours it did not take."""

    role: str | None
    active: bool | None
    by: str | None  # who made its last change (display name), if known here
    at: str | None


def _not_taken(
    clinic: Clinic,
    op: ssq.AccessOp,
    wire: _Wire,
    outcome: str,
    v: int | None,
    kept: _Kept,
    secret: dict[str, Any] | None,
) -> None:
    """A change the server did not apply: the clinic's value stands here too, and the
    person who made it gets a card saying what was kept (inside the caller's transaction)."""
    store = clinic.store
    server_role, server_active = kept.role, kept.active
    mine = wire.body["display_name"] if op.kind == "staff.name" else wire.role or WORDS[op.kind]
    if outcome == "refused":
        theirs = "not applied: its author was not an administrator of the clinic at that moment"
    elif op.kind == "staff.add":
        theirs = f"already on the clinic's staff as {server_role}"
    elif op.kind == "staff.role":
        theirs = f"{server_role}"
    elif op.kind == "staff.enable":
        theirs = "account on" if server_active else "account off (turned off on another computer)"
    elif op.kind == "staff.password":
        theirs = "another password, set first on another computer"
    elif op.kind == "staff.name" and secret is not None:
        theirs = f"{secret['display_name']} (set first on another computer)"
    elif op.kind == "delegation.edit" and secret is not None:
        theirs = (
            "revoked on another computer"
            if secret["revoked"]
            else "another scope, set first on another computer"
        )
    else:
        theirs = "not on the clinic's server"
    if op.staff_id is not None and server_role is not None:
        ssq.set_role(store, op.staff_id, server_role)
        ssq.set_active(store, op.staff_id, bool(server_active))
        if op.kind in VERSION_OF and v is not None:
            ssq.set_version(store, op.staff_id, VERSION_OF[op.kind], v)
        if secret is not None and op.kind == "staff.name":
            ssq.set_display_name(store, op.staff_id, secret["display_name"])
        elif secret is not None:
            ssq.set_secret(store, op.staff_id, secret["hash"], secret["must_change"], None)
            ssq.set_version(store, op.staff_id, "secret_v", secret["v"])
            row = ssq.staff_row(store, op.staff_id)
            if row is not None:  # the password that stands opens their slot here too
                _slot_here(clinic, row.username, secret, "password set first on another computer")
    if op.kind == "delegation.add" and op.delegation_id is not None:
        ssq.revoke(store, op.delegation_id)  # not the clinic's: not in force here either
    if op.kind == "delegation.edit" and op.delegation_id is not None and secret is not None:
        _take_terms(clinic, op.delegation_id, secret)  # the clinic's scope stands here too
    # someone else's change won
    named = outcome == "conflict" and (op.kind in VERSION_OF or op.kind == "delegation.edit")
    ssq.add_conflict(
        store,
        ssq.AccessConflict(
            op.op_id,
            op.kind,
            op.staff_id,
            mine,
            theirs,
            op.actor_id,
            kept.by if named else None,
            kept.at if named else None,
        ),
    )
    audit.append(
        store,
        clinic.audit_key,
        None,
        "system",
        "shared.access_conflict" if outcome == "conflict" else "shared.access_refused",
        detail={"kind": op.kind, "op": op.op_id, "staff_id": op.staff_id},
    )


# -- pulling -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Pulled:
    seq: int
    op_id: str
    kind: str
    target: str
    by: str
    v: int
    body: dict[str, Any] = field(repr=False)
    first: bool  # the clinic's first staff operation (its first administrator's)


def fetch(link: Link, cursor: int) -> list[Pulled]:
    """Every access operation after the cursor (all of them: they are applied before the
    rest of the pull, however many other changes wait), opened and checked against their
    plain columns: a change made on the server refuses the whole pull."""
    rows = link.conn.execute(
        "SELECT seq, op_id::text, kind, target, role, terms, by_ref, sealed, v, "
        "seq = (SELECT min(seq) FROM access_op WHERE outcome = 'applied') "
        "FROM access_op WHERE outcome = 'applied' AND seq > %s ORDER BY seq",
        (cursor,),
    ).fetchall()
    out = []
    for seq, op_id, kind, target, role, terms, by, blob, v, first in rows:
        body = _open_op(link, op_id, bytes(blob))
        plain = {"kind": kind, "target": target, "role": role, "terms": terms, "by": by}
        if any(body.get(k) != val for k, val in plain.items()):
            raise TamperedError(
                f"A staff or delegation change on {link.label} ({op_id}) differs from the one "
                "sealed in it: it was changed on the server. It was not applied and nothing on "
                "this computer changed. Tell your IT support."
            )
        out.append(Pulled(int(seq), op_id, kind, target, by, int(v or 1), body, bool(first)))
    return out


def _may(refs: _Refs, p: Pulled, clinic: Clinic) -> bool:
    """Was the author allowed to make this change, as this workstation knows the clinic's
    staff at that point of the server's order?"""
    author = refs.by_ref.get(p.by)
    if p.kind == "staff.add" and p.first and p.by == p.target and p.body["role"] == "admin":
        return True  # the first administrator publishing themselves
    if author is None or not author.active:
        return False
    if author.role == "admin":
        return True
    if p.kind == "staff.password":
        return p.by == p.target  # their own password
    if p.kind == "delegation.add":
        return author.role == "physician" and p.body["terms"]["physician"] == p.by
    if p.kind in ("delegation.revoke", "delegation.edit"):
        did = ssq.delegation_by_uuid(clinic.store, p.target)
        t = ssq.delegation_terms(clinic.store, did) if did is not None else None
        return t is not None and t["physician_id"] == author.id
    return False


def apply_pulled(clinic: Clinic, keys: ClinicKeys, pulled: list[Pulled]) -> list[Pulled]:
    """The others' staff and delegation changes, in server order, inside the pull's
    transaction and before its other changes. Returns those that changed what people
    here see (a name, a role, an account on or off, a delegation): a person adopted as
    they were, or a change already made here, asks for no new reading of the board."""
    store = clinic.store
    refs = _Refs(clinic, keys)
    done = []
    if pulled:
        key_slots.mark_shared(clinic)  # a name without a slot may be one not pulled yet
    for p in pulled:
        if ssq.seen(store, p.op_id):
            continue
        ssq.mark_seen(store, p.op_id)
        if not _may(refs, p, clinic):
            audit.append(
                store,
                clinic.audit_key,
                None,
                "system",
                "shared.access_refused",
                detail={"kind": p.kind, "op": p.op_id, "why": "author not an administrator"},
            )
            continue
        staff_id, changed = _apply_one(clinic, refs, p)
        audit.append(
            store,
            clinic.audit_key,
            None,
            "system",
            "shared." + p.kind,
            detail={"op": p.op_id} | ({"staff_id": staff_id} if staff_id is not None else {}),
        )
        refs.reload()
        if changed:
            done.append(p)
    return done


def _apply_one(clinic: Clinic, refs: _Refs, p: Pulled) -> tuple[int | None, bool]:
    """The staff member it concerns here, and whether anything people see changed."""
    store, body = clinic.store, p.body
    if p.kind.startswith("delegation."):
        return None, _apply_delegation(clinic, refs, p)
    here = refs.by_ref.get(p.target)
    if p.kind == "staff.add":
        return _adopt(clinic, here, p)
    if here is None:
        return None, False  # never added here: its add comes first in server order
    sid = here.id
    pending = ssq.staff_op_pending(store, sid, SAME_FIELD.get(p.kind, ()))
    have = ssq.versions(store, sid) or ssq.Versions(0, 0, 0)
    column = VERSION_OF[p.kind]
    if p.kind == "staff.disable":  # monotone: off, whatever waits here
        ssq.set_active(store, sid, False)
        signin.end_sessions(store, sid)
        key_slots.drop_slot(clinic, here.username)
        ssq.set_version(store, sid, column, p.v)
        return sid, here.active
    elif pending or p.v <= (
        ssq.name_version(store, sid) if column == "name_v" else getattr(have, column)
    ):
        return sid, False  # our own change of it is on its way: its receipt settles it
    elif p.kind == "staff.role":
        ssq.set_role(store, sid, body["role"])
    elif p.kind == "staff.enable":
        ssq.set_active(store, sid, True)
    elif p.kind == "staff.name":
        ssq.set_display_name(store, sid, body["display_name"])
    elif p.kind == "staff.password":
        ssq.set_secret(store, sid, body["hash"], body["must_change"], ssq.utcnow())
        if p.by != p.target:  # reset by an administrator: open sessions end, as here
            signin.end_sessions(store, sid)
        _slot_here(clinic, here.username, body, "password set on another computer")
    ssq.set_version(store, sid, column, p.v)
    return sid, True


def _adopt(clinic: Clinic, here: ssq.StaffRow | None, p: Pulled) -> tuple[int, bool]:
    """A staff member of the clinic: added here, or the one of that user name taken on."""
    store, body = clinic.store, p.body
    if here is not None and (here.role != body["role"] or not here.active):
        mine = here.role + ("" if here.active else " (account off)")
        ssq.add_conflict(
            store,
            ssq.AccessConflict(
                p.op_id,
                "staff.adopt",
                here.id,
                mine,
                f"{body['role']} (the clinic's, now on this computer too)",
                None,
            ),
        )
    sid = ssq.write_staff(
        store,
        here.id if here is not None else None,
        username=body["username"] if here is None else here.username,
        display_name=body["display_name"],
        role=body["role"],
        active=True,
        password_hash=body["hash"],
        must_change=body["must_change"],
    )
    for column in ("role_v", "active_v", "secret_v"):
        ssq.set_version(store, sid, column, 1)
    _slot_here(clinic, body["username"] if here is None else here.username, body, "added")
    seen_as = (body["display_name"], body["role"], True)
    return sid, here is None or (here.display_name, here.role, here.active) != seen_as


def _slot_here(clinic: Clinic, username: str, body: dict[str, Any], why: str) -> None:
    """The person's key slot on this computer, from the key their new password made where
    it was typed (README, key slots): they can sign in here at the app's start. Older
    workstations sent none: the person then needs a colleague's session here first."""
    if body.get("slot") is not None:
        key_slots.slot_from_travelling(clinic, username, body["slot"], why=why)


def _take_terms(clinic: Clinic, delegation_id: int, server: dict[str, Any]) -> None:
    """A delegation as the server has it, after an edit of ours it did not take."""
    store = clinic.store
    if server["revoked"]:
        ssq.revoke(store, delegation_id)
        return
    t = ssq.delegation_terms(store, delegation_id)
    if t is not None:
        keep = ("categories", "include_sensitive", "can_view", "can_reply", "can_file")
        ssq.set_terms(
            store,
            delegation_id,
            t
            | {k: server["terms"][k] for k in keep}
            | {
                "starts_at": server["terms"]["starts_at"],
                "ends_at": server["terms"]["ends_at"],
            },
        )
    ssq.set_terms_version(store, delegation_id, server["v"])


def _apply_delegation(clinic: Clinic, refs: _Refs, p: Pulled) -> bool:
    store = clinic.store
    did = ssq.delegation_by_uuid(store, p.target)
    if p.kind == "delegation.revoke":
        return did is not None and ssq.revoke(store, did)
    if p.kind == "delegation.edit":
        if did is None or ssq.delegation_edit_pending(store, did):
            return False  # unknown here, or our own edit is on its way: its receipt settles it
        if p.v <= ssq.terms_version(store, did):
            return False
        t = ssq.delegation_terms(store, did)
        if t is None or t["revoked_at"]:
            return False  # revoked here: revoked wins
        ssq.set_terms(store, did, t | p.body["terms"])
        ssq.set_terms_version(store, did, p.v)
        return True
    if did is not None:
        return False
    t = p.body["terms"]
    doc, dlg = refs.by_ref.get(t["physician"]), refs.by_ref.get(t["delegate"])
    author = refs.by_ref.get(p.by)
    if doc is None or dlg is None or author is None:
        return False  # someone not known here (cannot be: people are added first)
    did = ssq.insert_delegation(
        store,
        {
            "physician_id": doc.id,
            "delegate_id": dlg.id,
            "categories": t["categories"],
            "include_sensitive": t["include_sensitive"],
            "can_view": t["can_view"],
            "can_reply": t["can_reply"],
            "can_file": t["can_file"],
            "starts_at": t["starts_at"],
            "ends_at": t["ends_at"],
            "created_by": author.id,
            "created_at": t["created_at"],
        },
    )
    ssq.set_delegation_uuid(store, did, p.target)
    return True


# -- contact with the server (offline sign-ins are capped: core.offline_signin) ----------
def heard_from_server(store: Any, *, always: bool = False) -> None:
    """Note that the server answered; written at most once a minute when nothing changed."""
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    last = ssq.last_sync(store)
    if not always and last and datetime.fromisoformat(last) > now - timedelta(minutes=1):
        return
    if always:
        ssq.set_last_sync(store, now.isoformat(timespec="seconds"))
        return
    with store.transaction():
        ssq.set_last_sync(store, now.isoformat(timespec="seconds"))


def contact_now(clinic: Clinic) -> bool:
    """Reach the server and pull once (accounts turned off and revocations first); False
    when it cannot be reached. For a sign-in refused for being out of touch too long."""
    from clinic_inbox.shared.pull import pull
    from clinic_inbox.shared.server import open_link

    try:
        link = open_link(clinic)
    except (SharedQueueError, psycopg.Error):
        return False
    try:
        pull(clinic, link)
    except (SharedQueueError, psycopg.Error):
        return False
    finally:
        link.conn.close()
    return True
