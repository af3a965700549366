"""Putting a local conversation (and its messages) on the server, sealed. Its clinic-wide
id is kept locally first, so a crash and a retry publish the same one; a conversation
whose mail the server has already is joined, not doubled."""

from __future__ import annotations

import json
import uuid
from typing import Any

import psycopg

from clinic_inbox.core import audit
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Status
from clinic_inbox.core.store import reply_hold_queries as hq
from clinic_inbox.core.store import shared_patient_queries as spq
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import SharedQueueError, fold, ingest_lease, key_rotation, provisional
from clinic_inbox.shared.ingest_lease import Fence
from clinic_inbox.shared.patient_links import apply_link
from clinic_inbox.shared.patients import fetch_patients, place_patient
from clinic_inbox.shared.replica import (
    StaffMap,
    apply_field,
    message_identity,
    server_error,
    state_values,
    take_unqueued,
)
from clinic_inbox.shared.seal import (
    ClinicKeys,
    field_mac,
    seal,
)
from clinic_inbox.shared.server import Link


def publish_conversation(
    clinic: Clinic,
    link: Link,
    thread_id: int,
    actor_id: int | None,
    fence: Fence | None = None,
) -> str:
    """Put one local conversation (and its messages) on the server; returns its clinic-wide
    id. With `fence`, only while that holding of the ingest lease lasts (else LeaseLost,
    and nothing of it reaches the server)."""
    try:  # sealed under the newest version there is (a revocation renews it)
        key_rotation.keep_current(clinic, link, complete=False)
    except psycopg.OperationalError as exc:
        raise server_error(link, exc) from None
    with key_rotation.refusal_said(clinic, link):
        return _publish(clinic, link, thread_id, actor_id, fence)


def _publish(
    clinic: Clinic, link: Link, thread_id: int, actor_id: int | None, fence: Fence | None
) -> str:
    store, keys = clinic.store, link.keys
    staff = StaffMap(clinic, keys)
    conv = shq.thread_uuid(store, thread_id)
    messages = shq.thread_messages(store, thread_id)
    asked = conv
    try:  # where the server files this conversation's mail, if it has any of it
        placed, known = _server_placement(link, keys, messages, conv)
    except psycopg.OperationalError as exc:
        raise server_error(link, exc) from None
    if (
        conv is not None
        and not known
        and any(c != conv for _i, c in placed.values())
        and not shq.published_any(store, thread_id)
    ):
        # an id kept here by a publication the server never committed (the holder was
        # killed, or the server went away, before its commit), while another holder
        # published the same mail in a conversation of its own: that one is the clinic's.
        # Published under the kept id, the server would take the conversation and not
        # the mail it has already, and this copy would keep the mail apart for good (the
        # mail fault harness found one replica with an e-mail the others had elsewhere)
        with store.transaction():
            shq.forget_thread_uuid(store, thread_id, conv)
        conv = shq.thread_uuid(store, thread_id)  # set meanwhile by a pull: it stays
    # an id set meanwhile by a pull is the server's (not asked about: taken as known)
    known = known or conv != asked
    if _move_to_held_conversations(clinic, staff, thread_id, conv, known, placed):
        messages = shq.thread_messages(store, thread_id)
        if not messages:  # all of it is in the server's conversations here now (folded)
            return next(iter(placed.values()))[1]
        if conv is None:  # what is left is published on its own
            return _publish(clinic, link, thread_id, actor_id, fence)
    fresh = conv is None  # an id made here now, unknown to the server until it commits
    if conv is None:
        # asked of the server before taking the local write lock: the app's writer and
        # the mail sync never wait for the network
        try:
            found = _server_conversation_of(link, keys, messages)
            fields = _server_fields(link, found) if found is not None else ([], {})
        except psycopg.OperationalError as exc:
            raise server_error(link, exc) from None
        made = found or str(uuid.uuid4())
        with store.transaction():
            shq.set_thread_uuid(store, thread_id, made)
            conv = shq.thread_uuid(store, thread_id)  # set meanwhile by a pull: it stays
            fresh = found is None and conv == made
            if found is not None and conv == found:
                # another workstation published this mail first: this one joins it
                _take_server_fields(clinic, thread_id, conv, fields, staff)
    assert conv is not None
    with store.transaction():  # one consistent reading of what is published
        messages = shq.thread_messages(store, thread_id)
        first_ids = shq.first_message_ids(store, thread_id)
        authors = spq.message_authors(store, thread_id)
        snapshot = shq.thread_snapshot(store, thread_id)
        state = shq.thread_state(store, thread_id)
    if snapshot is None or state is None:
        raise SharedQueueError(f"There is no conversation number {thread_id}.")
    values = state_values(state, staff)
    by = staff.ref_of.get(actor_id, "system") if actor_id else "system"
    sealed = seal(keys, "conversation", conv, "snapshot", 1, json.dumps(snapshot).encode())
    identities: list[tuple[int, str]] = []
    ops = [str(uuid.uuid4()) for _ in values]
    macs = [field_mac(keys, conv, f, v, o) for (f, v), o in zip(values.items(), ops, strict=True)]
    try:
        with link.conn.transaction():
            if fence is not None:
                ingest_lease.check(link, fence)
            created = link.conn.execute(
                "SELECT publish_conversation(%s, %s, %s, %s, %s, %s::uuid[], %s)",
                (conv, link.workstation_id, by, sealed, list(values.values()), ops, macs),
            ).fetchone()[0]
            for m in messages:
                # a reply is named by the Message-ID it was made with, before and after
                # its sending (the portal renames it): one identity, one copy everywhere
                first = first_ids.get(m["id"])
                named = {**m, "message_id_header": first} if first else m
                ident = m["shared_identity"] or message_identity(keys, link.workstation_id, named)
                mid = str(uuid.uuid4())
                payload = {k: v for k, v in m.items() if k not in ("id", "shared_identity")}
                if first:  # another workstation's own unpublished copy is found by it
                    payload["first_message_id"] = first
                # who wrote a reply, as every workstation knows them (its clock stops there)
                payload["author"] = staff.ref_of.get(authors.get(m["id"]))
                sealed_m = seal(keys, "message", mid, "payload", 1, json.dumps(payload).encode())
                args = (mid, conv, link.workstation_id, ident, m["received_at"], sealed_m)
                if m["direction"] == "in":
                    # the patient's words: the server reopens what they came after
                    link.conn.execute(
                        "SELECT publish_patient_message(%s, %s, %s, %s, %s, %s, %s::uuid[], %s)",
                        (*args, *reopen_ops(keys, conv, created)),
                    )
                else:
                    link.conn.execute("SELECT publish_message(%s, %s, %s, %s, %s, %s)", args)
                identities.append((m["id"], ident))
            # mail the server holds in another conversation (published there first):
            # it is not this conversation's, and moves there (below, or when pulled)
            elsewhere = dict(
                link.conn.execute(
                    "SELECT identity, conv::text FROM message WHERE identity = ANY(%s) "
                    "AND conv <> %s",
                    ([ident for _mid, ident in identities], conv),
                ).fetchall()
            )
            if created and all(ident in elsewhere for _mid, ident in identities):
                # all of it was published elsewhere since it was asked (above): made
                # now, this one would be an empty card on every workstation
                raise _AllElsewhere
            # where each stands in the change log (which of two replies came first)
            seqs = dict(
                link.conn.execute(
                    "SELECT m.identity, c.seq FROM message m JOIN change_log c "
                    "ON c.kind = 'message' AND c.ref = m.id::text WHERE m.identity = ANY(%s)",
                    ([ident for _mid, ident in identities],),
                ).fetchall()
            )
            fields = link.conn.execute(
                "SELECT field, v, value FROM conversation_field "
                "WHERE conv = %s AND field <> 'patient'",
                (conv,),
            ).fetchall()
            number = link.conn.execute(
                "SELECT number FROM conversation WHERE id = %s", (conv,)
            ).fetchone()[0]
    except psycopg.OperationalError as exc:
        raise server_error(link, exc) from None
    except _AllElsewhere:  # rolled back: the server never had it; it joins theirs
        with store.transaction():
            shq.forget_thread_uuid(store, thread_id, conv)
        return _publish(clinic, link, thread_id, actor_id, fence)
    except ingest_lease.LeaseLost:
        if fresh:
            with store.transaction():
                shq.forget_thread_uuid(store, thread_id, conv)
        raise
    with store.transaction():
        for mid_local, ident in identities:
            if shq.message_by_identity(store, ident) not in (None, mid_local):
                continue  # the same message came from the server meanwhile: kept once
            if ident in elsewhere:
                held = shq.thread_by_uuid(store, elsewhere[ident])
                if held is None or held == thread_id:
                    continue  # it waits unpublished: the pull of that one moves it
                shq.set_message_identity(store, mid_local, ident)
                shq.move_message(store, mid_local, held)
                continue
            shq.set_message_identity(store, mid_local, ident)
            if ident in seqs:
                hq.set_server_seq(store, mid_local, seqs[ident])
        for f, v, value in fields:
            # only where this copy holds the server's value: a change made elsewhere and
            # not pulled yet would otherwise be skipped by the pull as already seen, and
            # this copy keep the old value for good (found by the mail fault harness)
            if values.get(f) == value:
                shq.set_field_version(store, thread_id, f, v)
            else:
                take_unqueued(clinic, thread_id, f, v, value, staff)
        spq.set_shared_number(store, thread_id, int(number))
        # notes written before it was on the server (offline, or while it was only
        # here) follow it: notes only add
        provisional.queue_unshared_notes(store, thread_id)
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


class _AllElsewhere(Exception):
    """A new conversation whose every message the server holds in others: not made."""


def reopen_ops(
    keys: ClinicKeys, conv: str, created: bool
) -> tuple[list[str] | None, list[str] | None]:
    """The operations and MACs of the two statuses a patient message may reopen a
    conversation to (New from Done, In progress from Waiting), for the server to pick
    from: it holds no key. None in the conversation's own first publication, whose
    status was set with its messages in it."""
    if created:
        return None, None
    ops = [str(uuid.uuid4()), str(uuid.uuid4())]
    values = (Status.NEW.value, Status.IN_PROGRESS.value)
    return ops, [field_mac(keys, conv, "status", v, o) for v, o in zip(values, ops, strict=True)]


def _server_placement(
    link: Link, keys: ClinicKeys, messages: list[dict[str, Any]], conv: str | None
) -> tuple[dict[int, tuple[str, str]], bool]:
    """(local message id -> (its identity, the server's conversation of it), for the
    patient's messages the server has; whether the server knows `conv`)."""
    idents = {
        m["shared_identity"] or message_identity(keys, link.workstation_id, m): m["id"]
        for m in messages
        if m["direction"] == "in"
    }
    with link.conn.transaction():
        rows = (
            link.conn.execute(
                "SELECT identity, conv::text FROM message WHERE identity = ANY(%s)",
                (list(idents),),
            ).fetchall()
            if idents
            else []
        )
        known = conv is not None and bool(
            link.conn.execute("SELECT 1 FROM conversation WHERE id = %s", (conv,)).fetchone()
        )
    return {idents[ident]: (ident, c) for ident, c in rows}, known


def _move_to_held_conversations(
    clinic: Clinic,
    staff: StaffMap,
    thread_id: int,
    conv: str | None,
    known: bool,
    placed: dict[int, tuple[str, str]],
) -> bool:
    """The patient's messages the server files in another conversation that is here
    already move into it (with what hangs off them), marked as on the server. A
    conversation left with no message that the server never had is folded into the
    last one (shared.fold). Returns whether any moved."""
    store = clinic.store
    moved = False
    into = None
    with store.transaction():
        for mid, (ident, where) in placed.items():
            if where == conv:
                continue
            held = shq.thread_by_uuid(store, where)
            if held is None or held == thread_id:
                continue  # not here yet: its pull moves it (replica.place_message)
            if shq.thread_of_message(store, mid) != thread_id:
                continue  # moved meanwhile
            if shq.message_by_identity(store, ident) in (None, mid):
                shq.set_message_identity(store, mid, ident)
            shq.move_message(store, mid, held)
            moved, into = True, held
        if into is not None and (conv is None or not known):
            fold.fold_emptied(clinic, thread_id, into, staff)
    return moved


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


def _server_fields(link: Link, conv: str) -> tuple[list[tuple], dict]:
    with link.conn.transaction():
        rows = link.conn.execute(
            "SELECT field, v, value, op::text, mac, changed_at FROM conversation_field "
            "WHERE conv = %s",
            (conv,),
        ).fetchall()
        for f, _v, value, op, mac, at in rows:  # checked before anything of it is applied
            link.check_workflow(conv, f, value, op, mac, at)
        rows = [r[:5] for r in rows]
        named = {value for f, _v, value, _op, _mac in rows if f == "patient" and value}
        patients = fetch_patients(link, named)
    return rows, patients


def _take_server_fields(
    clinic: Clinic, thread_id: int, conv: str, found: tuple, staff: StaffMap
) -> None:
    rows, patients = found
    for pid, rec in patients.items():
        place_patient(clinic, staff, pid, rec)
    before = provisional.before_adoption(clinic.store, thread_id)
    for f, v, value, _op, _mac in rows:
        if f == "patient":
            if before is not None and before.linked_here:
                continue  # the link made here goes to the server as the person's (below)
            if apply_link(clinic, thread_id, value):
                shq.set_field_version(clinic.store, thread_id, f, v)
            continue
        if f != "assignee" or not value or staff.local(value) is not None:
            apply_field(clinic, thread_id, f, value, staff)
        shq.set_field_version(clinic.store, thread_id, f, v)
    # what people did on it here, before it met the server's, follows as their changes
    provisional.carry_over(clinic.store, thread_id, before)
