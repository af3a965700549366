"""Staff and delegation changes, queued for the clinic's server.

Called by the staff and delegation services inside the action's own transaction, beside
its access check and audit entry, so a change made offline (or just before a crash) is
pushed later, exactly once and in order. Nothing happens on a workstation that has not
joined a server. No keys and no network here: the pusher (`clinic_inbox.shared.
staff_sync`) turns local ids into clinic-wide references and seals what must be sealed.
"""

from __future__ import annotations

import uuid

from clinic_inbox.core import keyslots
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.core.store import shared_staff_queries as ssq
from clinic_inbox.core.store.connection import Store

STAFF_KINDS = (
    "staff.add",
    "staff.role",
    "staff.disable",
    "staff.enable",
    "staff.password",
    "staff.name",
)


def _linked(store: Store) -> bool:
    if not store.in_transaction:
        raise RuntimeError("a shared change is queued in the same transaction as the action")
    return shq.linked_clinic(store) is not None


def record_staff(
    store: Store,
    kind: str,
    staff_id: int,
    actor_id: int | None,
    role: str | None = None,
    *,
    password: str | None = None,
) -> None:
    """Queue a change of one staff member (`role`: the new role of a role change;
    `password`: the new password of an add or a password change, typed just now).

    With a password, the key it makes for a key slot travels with the operation (sealed
    by the pusher with the clinic keys), so the other workstations can make this
    person's slot and they can sign in there at the app's start (README, key slots)."""
    if kind not in STAFF_KINDS:
        raise ValueError(kind)
    if not _linked(store):
        return
    # made on the version this workstation knows (after its own changes still queued)
    have = ssq.versions(store, staff_id) or ssq.Versions(0, 0, 0)
    base = {
        "staff.role": have.role_v,
        "staff.enable": have.active_v,
        "staff.disable": have.active_v,
        "staff.password": have.secret_v,
        "staff.name": ssq.name_version(store, staff_id),
    }.get(kind, 0)
    op = ssq.AccessOp(str(uuid.uuid4()), kind, staff_id, None, role, actor_id, base)
    ssq.add_op(store, op)
    if password is not None and kind in ("staff.add", "staff.password"):
        row = ssq.staff_row(store, staff_id)
        context = [row.username, row.display_name] if row is not None else []
        cost = keyslots.cost_for(password, context)
        ssq.put_slot_key(store, op.op_id, keyslots.TravellingKey.derive(password, cost).to_wire())


def record_delegation(store: Store, kind: str, delegation_id: int, actor_id: int | None) -> None:
    """Queue a delegation granted, edited or revoked; a new one gets its clinic-wide id now."""
    if kind not in ("delegation.add", "delegation.revoke", "delegation.edit"):
        raise ValueError(kind)
    if not _linked(store):
        return
    if kind == "delegation.add":
        ssq.set_delegation_uuid(store, delegation_id, str(uuid.uuid4()))
    elif ssq.delegation_uuid(store, delegation_id) is None:
        return  # never shared: changed here only (it is published as it is, see staff_sync)
    # an edit is made on the version of the terms this workstation knows
    base = ssq.terms_version(store, delegation_id) if kind == "delegation.edit" else 0
    op = ssq.AccessOp(str(uuid.uuid4()), kind, None, delegation_id, None, actor_id, base)
    ssq.add_op(store, op)
