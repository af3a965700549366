"""SQL of staff and delegations shared with the clinic's server (shared/staff_sync.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from clinic_inbox.core.store.connection import Store
from clinic_inbox.core.store.queries import get_meta, set_meta, utcnow

LAST_SYNC = "shared_last_sync"  # when this workstation last heard from its server


# -- the staff as this store knows them ---------------------------------------------
@dataclass(frozen=True)
class StaffRow:
    id: int
    username: str
    display_name: str
    role: str
    active: bool
    password_hash: str
    must_change: bool


def staff_rows(store: Store) -> list[StaffRow]:
    return [
        StaffRow(int(r[0]), r[1], r[2], r[3], bool(r[4]), r[5], bool(r[6]))
        for r in store.execute(
            "SELECT id, username, display_name, role, active, password_hash, "
            "must_change_password FROM staff ORDER BY role != 'admin', id"
        )
    ]


def staff_row(store: Store, staff_id: int) -> StaffRow | None:
    return next((s for s in staff_rows(store) if s.id == staff_id), None)


def write_staff(
    store: Store,
    staff_id: int | None,
    *,
    username: str,
    display_name: str,
    role: str,
    active: bool,
    password_hash: str,
    must_change: bool,
) -> int:
    """A staff member as the clinic's server has them: added here, or updated."""
    if staff_id is None:
        cur = store.execute(
            "INSERT INTO staff (username, display_name, role, password_hash, active, "
            "must_change_password, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (username, display_name, role, password_hash, int(active), int(must_change), utcnow()),
        )
        return int(cur.lastrowid)
    store.execute(
        "UPDATE staff SET display_name = ?, role = ?, password_hash = ?, active = ?, "
        "must_change_password = ? WHERE id = ?",
        (display_name, role, password_hash, int(active), int(must_change), staff_id),
    )
    return staff_id


def set_role(store: Store, staff_id: int, role: str) -> None:
    store.execute("UPDATE staff SET role = ? WHERE id = ?", (role, staff_id))


def set_active(store: Store, staff_id: int, active: bool) -> None:
    store.execute("UPDATE staff SET active = ? WHERE id = ?", (int(active), staff_id))


def set_secret(
    store: Store, staff_id: int, password_hash: str, must_change: bool, reset_at: str | None
) -> None:
    store.execute(
        "UPDATE staff SET password_hash = ?, must_change_password = ?, failed_logins = 0, "
        "last_failed_at = NULL, password_reset_at = coalesce(?, password_reset_at) "
        "WHERE id = ?",
        (password_hash, int(must_change), reset_at, staff_id),
    )


# -- versions of the server's copy ---------------------------------------------------
@dataclass(frozen=True)
class Versions:
    role_v: int
    active_v: int
    secret_v: int


def versions(store: Store, staff_id: int) -> Versions | None:
    row = store.execute(
        "SELECT role_v, active_v, secret_v FROM shared_staff WHERE staff_id = ?", (staff_id,)
    ).fetchone()
    return Versions(int(row[0]), int(row[1]), int(row[2])) if row else None


def shared_staff_ids(store: Store) -> set[int]:
    return {int(r[0]) for r in store.execute("SELECT staff_id FROM shared_staff")}


def set_version(store: Store, staff_id: int, column: str, v: int) -> None:
    """Record the server's version of one of a staff member's fields (never backwards)."""
    if column not in ("role_v", "active_v", "secret_v", "name_v"):
        raise ValueError(column)
    store.execute(
        "INSERT INTO shared_staff (staff_id) VALUES (?) ON CONFLICT (staff_id) DO NOTHING",
        (staff_id,),
    )
    store.execute(
        f"UPDATE shared_staff SET {column} = max({column}, ?) WHERE staff_id = ?", (v, staff_id)
    )


def name_version(store: Store, staff_id: int) -> int:
    return int(store.one("SELECT name_v FROM shared_staff WHERE staff_id = ?", (staff_id,)) or 0)


def set_display_name(store: Store, staff_id: int, display_name: str) -> None:
    store.execute("UPDATE staff SET display_name = ? WHERE id = ?", (display_name, staff_id))


# -- delegations ---------------------------------------------------------------------
def terms_version(store: Store, delegation_id: int) -> int:
    return int(
        store.one(
            "SELECT terms_v FROM shared_delegations WHERE delegation_id = ?", (delegation_id,)
        )
        or 0
    )


def set_terms_version(store: Store, delegation_id: int, v: int) -> None:
    """The server's version of a delegation's terms (never backwards)."""
    store.execute(
        "UPDATE shared_delegations SET terms_v = max(terms_v, ?) WHERE delegation_id = ?",
        (v, delegation_id),
    )


def set_terms(store: Store, delegation_id: int, terms: dict[str, Any]) -> None:
    """A delegation's scope as edited (categories "*" for all, or a JSON list)."""
    cats = terms["categories"]
    store.execute(
        "UPDATE delegations SET categories = ?, include_sensitive = ?, can_view = ?, "
        "can_reply = ?, can_file = ?, starts_at = ?, ends_at = ? WHERE id = ?",
        (
            cats if isinstance(cats, str) else json.dumps(cats),
            int(bool(terms["include_sensitive"])),
            int(bool(terms["can_view"])),
            int(bool(terms["can_reply"])),
            int(bool(terms["can_file"])),
            terms["starts_at"],
            terms["ends_at"],
            delegation_id,
        ),
    )


def delegation_uuid(store: Store, delegation_id: int) -> str | None:
    return store.one(
        "SELECT uuid FROM shared_delegations WHERE delegation_id = ?", (delegation_id,)
    )


def delegation_by_uuid(store: Store, uuid: str) -> int | None:
    return store.one("SELECT delegation_id FROM shared_delegations WHERE uuid = ?", (uuid,))


def set_delegation_uuid(store: Store, delegation_id: int, uuid: str) -> None:
    store.execute(
        "INSERT INTO shared_delegations (delegation_id, uuid) VALUES (?, ?)",
        (delegation_id, uuid),
    )


def delegation_terms(store: Store, delegation_id: int) -> dict[str, Any] | None:
    row = store.execute(
        "SELECT physician_id, delegate_id, categories, include_sensitive, can_view, "
        "can_reply, can_file, starts_at, ends_at, revoked_at, created_by, created_at "
        "FROM delegations WHERE id = ?",
        (delegation_id,),
    ).fetchone()
    if row is None:
        return None
    keys = (
        "physician_id delegate_id categories include_sensitive can_view can_reply can_file "
        "starts_at ends_at revoked_at created_by created_at"
    ).split()
    return dict(zip(keys, row, strict=True))


def unshared_delegations(store: Store) -> list[int]:
    return [
        int(r[0])
        for r in store.execute(
            "SELECT d.id FROM delegations d LEFT JOIN shared_delegations s "
            "ON s.delegation_id = d.id WHERE s.uuid IS NULL ORDER BY d.id"
        )
    ]


def insert_delegation(store: Store, terms: dict[str, Any]) -> int:
    cur = store.execute(
        "INSERT INTO delegations (physician_id, delegate_id, categories, include_sensitive, "
        "can_view, can_reply, can_file, starts_at, ends_at, created_by, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            terms["physician_id"],
            terms["delegate_id"],
            terms["categories"],
            int(terms["include_sensitive"]),
            int(terms["can_view"]),
            int(terms["can_reply"]),
            int(terms["can_file"]),
            terms["starts_at"],
            terms["ends_at"],
            terms["created_by"],
            terms["created_at"],
        ),
    )
    return int(cur.lastrowid)


def revoke(store: Store, delegation_id: int) -> bool:
    """Revoked from now on (monotone: a revoked delegation stays revoked). True if it
    was in force here."""
    cur = store.execute(
        "UPDATE delegations SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
        (utcnow(), delegation_id),
    )
    return cur.rowcount > 0


# -- operations waiting for the server ---------------------------------------------------
@dataclass(frozen=True)
class AccessOp:
    op_id: str
    kind: str
    staff_id: int | None
    delegation_id: int | None
    role: str | None
    actor_id: int | None
    base_v: int = 0  # the server version this change was made on (compare-and-set)


def add_op(store: Store, op: AccessOp) -> None:
    store.execute(
        "INSERT INTO shared_access_ops (op_id, kind, staff_id, delegation_id, role, actor_id, "
        "base_v, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            op.op_id,
            op.kind,
            op.staff_id,
            op.delegation_id,
            op.role,
            op.actor_id,
            op.base_v,
            utcnow(),
        ),
    )


def ops(store: Store) -> list[AccessOp]:
    return [
        AccessOp(r[0], r[1], r[2], r[3], r[4], r[5], int(r[6]))
        for r in store.execute(
            "SELECT op_id, kind, staff_id, delegation_id, role, actor_id, base_v "
            "FROM shared_access_ops ORDER BY seq"
        )
    ]


def rebase(store: Store, staff_id: int, kinds: tuple[str, ...], old: int, new: int) -> None:
    """Changes queued after one of ours that the server applied on the version they were
    made on: they were made on top of it, so they follow it."""
    marks = ",".join("?" * len(kinds))
    store.execute(
        f"UPDATE shared_access_ops SET base_v = ? WHERE staff_id = ? AND base_v = ? "
        f"AND kind IN ({marks})",
        (new, staff_id, old, *kinds),
    )


def op(store: Store, op_id: str) -> AccessOp | None:
    """One waiting change as it is now (its base may have moved since it was read)."""
    return next((o for o in ops(store) if o.op_id == op_id), None)


def drop_op(store: Store, op_id: str) -> None:
    store.execute("DELETE FROM shared_access_ops WHERE op_id = ?", (op_id,))
    store.execute("DELETE FROM shared_access_slot_keys WHERE op_id = ?", (op_id,))


def put_slot_key(store: Store, op_id: str, wire: dict[str, Any]) -> None:
    """A new password's slot key, kept (in the encrypted store) until its operation goes."""
    store.execute(
        "INSERT OR REPLACE INTO shared_access_slot_keys (op_id, wire) VALUES (?, ?)",
        (op_id, json.dumps(wire)),
    )


def slot_key(store: Store, op_id: str) -> dict[str, Any] | None:
    wire = store.one("SELECT wire FROM shared_access_slot_keys WHERE op_id = ?", (op_id,))
    return json.loads(wire) if wire else None


def delegation_edit_pending(store: Store, delegation_id: int) -> bool:
    return (
        store.one(
            "SELECT 1 FROM shared_access_ops WHERE delegation_id = ? "
            "AND kind = 'delegation.edit' LIMIT 1",
            (delegation_id,),
        )
        is not None
    )


def rebase_delegation(store: Store, delegation_id: int, old: int, new: int) -> None:
    """Edits queued after one of ours the server applied on their base follow it."""
    store.execute(
        "UPDATE shared_access_ops SET base_v = ? WHERE delegation_id = ? AND base_v = ? "
        "AND kind = 'delegation.edit'",
        (new, delegation_id, old),
    )


def staff_op_pending(store: Store, staff_id: int, kinds: tuple[str, ...]) -> bool:
    marks = ",".join("?" * len(kinds))
    return (
        store.one(
            f"SELECT 1 FROM shared_access_ops WHERE staff_id = ? AND kind IN ({marks}) LIMIT 1",
            (staff_id, *kinds),
        )
        is not None
    )


def mark_seen(store: Store, op_id: str) -> None:
    store.execute("INSERT OR IGNORE INTO shared_access_seen (op_id) VALUES (?)", (op_id,))


def seen(store: Store, op_id: str) -> bool:
    return store.one("SELECT 1 FROM shared_access_seen WHERE op_id = ?", (op_id,)) is not None


# -- cards for the author of a change the server did not take ------------------------------
@dataclass(frozen=True)
class AccessConflict:
    op_id: str
    kind: str
    staff_id: int | None
    mine: str
    theirs: str
    actor_id: int | None
    their_by: str | None = None  # the display name of who made the change kept
    their_at: str | None = None


def add_conflict(store: Store, c: AccessConflict) -> None:
    store.execute(
        "INSERT OR IGNORE INTO shared_access_conflicts (op_id, kind, staff_id, mine, theirs, "
        "their_by, their_at, actor_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            c.op_id,
            c.kind,
            c.staff_id,
            c.mine,
            c.theirs,
            c.their_by,
            c.their_at,
            c.actor_id,
            utcnow(),
        ),
    )


def conflicts(store: Store) -> list[tuple[int, AccessConflict, str]]:
    """(card id, conflict, when) for the cards not yet seen."""
    return [
        (int(r[0]), AccessConflict(r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]), r[9])
        for r in store.execute(
            "SELECT id, op_id, kind, staff_id, mine, theirs, actor_id, their_by, their_at, "
            "created_at FROM shared_access_conflicts WHERE seen = 0 ORDER BY id"
        )
    ]


# -- contact with the server ---------------------------------------------------------
def last_sync(store: Store) -> str | None:
    return get_meta(store, LAST_SYNC)


def set_last_sync(store: Store, at: str) -> None:
    set_meta(store, LAST_SYNC, at)


def as_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def mark_conflict_seen(store: Store, op_id: str) -> None:
    store.execute("UPDATE shared_access_conflicts SET seen = 1 WHERE op_id = ?", (op_id,))
