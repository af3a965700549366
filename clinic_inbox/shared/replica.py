"""What the pusher, the puller and the publisher share: staff and message identities
as the server sees them, and writing a shared field's value into the local store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Category, Direction, Priority, Source, Status
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_patient_queries as spq
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import ServerUnreachable, SharedQueueError
from clinic_inbox.shared.reply_hold import hold_on_answer
from clinic_inbox.shared.seal import ClinicKeys, identity
from clinic_inbox.shared.server import Link


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


def state_values(state: shq.SharedState, staff: StaffMap) -> dict[str, str]:
    return {
        "status": state.status,
        "assignee": staff.ref_of.get(state.assigned_to, "") if state.assigned_to else "",
        "priority": state.priority,
        "sensitive": "true" if state.sensitive else "false",
    }


def server_error(link: Link, exc: Exception) -> SharedQueueError:
    return ServerUnreachable(
        f"The shared server {link.label} stopped answering ({type(exc).__name__}). Changes "
        "made here wait on this computer and go out when it is back."
    )


def local_value(f: str, value: str, staff: StaffMap) -> Any:
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


def apply_field(clinic: Clinic, thread_id: int, f: str, value: str, staff: StaffMap) -> None:
    local = local_value(f, value, staff)
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


def take_unqueued(
    clinic: Clinic, thread_id: int, f: str, v: int, value: str, staff: StaffMap
) -> None:
    """This copy at the server's version of `f`, with nothing of its own queued on it, yet
    showing another value: one nobody here queued, a reopen this copy's ingest made when
    the patient's message arrived, which the server did not make (whoever closed it there
    had seen the message). The reopen is the server's to make: take its value, or no pull
    would ever bring it (the mail fault harness found replicas left "New" beside "Done",
    after a publication and after a pull)."""
    store = clinic.store
    if shq.field_version(store, thread_id, f) != v or shq.has_pending(store, thread_id, f):
        return
    if f != "assignee" or not value or staff.local(value) is not None:
        apply_field(clinic, thread_id, f, value, staff)


def place_message(
    store: Any,
    thread_id: int,
    ident: str,
    payload: dict[str, Any],
    emptied: list[tuple[int, int]] | None = None,
) -> int | None:
    """A pulled message: kept once, whether it is new here or was ingested here too.
    Returns its id when it is new here (None: this workstation had it already). A copy
    here filed in another conversation moves into the server's one, with what hangs off
    it (shq.move_message): every workstation files each message where the server does
    (a holder killed before it published, or one that threaded a patient's new message
    before the conversation it continues had reached it, had filed it elsewhere). The
    conversation a move took its last message from goes in `emptied`, as (it, where its
    messages went), for the caller to fold (shared.fold)."""
    if (known := shq.message_by_identity(store, ident)) is not None:
        _move(store, known, thread_id, emptied)
        return None
    if payload.get("direction") == "in":
        local = shq.local_copy(
            store, payload.get("message_id_header"), payload.get("fhir_resource_id")
        )
        if local is not None:
            shq.set_message_identity(store, local[0], ident)
            _move(store, local[0], thread_id, emptied)
            return None
    else:  # an automatic reply both made (e.g. one fetching through a server outage)
        mine = shq.local_outbound_copy(
            store, payload.get("first_message_id") or payload.get("message_id_header")
        )
        if mine is not None:
            shq.set_message_identity(store, mine, ident)
            _move(store, mine, thread_id, emptied)
            return None
        # the same portal Communication here already, under the other identity (a
        # second row for it failed the store's UNIQUE rule, and the pull with it, for
        # ever: found by the mail fault harness)
        held = shq.outbound_by_resource(store, payload.get("fhir_resource_id"))
        if held is not None:
            if held[1] is None:
                shq.set_message_identity(store, held[0], ident)
            return None
    return insert_message(store, thread_id, ident, payload)


def _move(
    store: Any, message_id: int, thread_id: int, emptied: list[tuple[int, int]] | None
) -> None:
    src = shq.thread_of_message(store, message_id)
    if shq.move_message(store, message_id, thread_id) and src is not None:
        if emptied is not None and shq.message_count(store, src) == 0:
            emptied.append((src, thread_id))


def answered(
    store: Any,
    thread_id: int,
    ident: str,
    payload: dict[str, Any],
    staff: StaffMap,
    seq: int | None = None,
    where: str | None = None,
) -> None:
    """A reply by staff pulled from another workstation: its author is known here too,
    the response clock stops here as it did there (an automatic receipt has no author
    and stops nothing), and a reply written here meanwhile is held (shared.reply_hold)."""
    if payload.get("direction") != "out" or not payload.get("author"):
        return
    mid = shq.message_by_identity(store, ident)
    author = staff.local(payload["author"])
    if mid is not None:
        spq.set_message_author(store, mid, author)
    spq.stop_clock_if_answered(store, thread_id, payload["received_at"])
    person = q.get_staff(store, author) if author is not None else None
    who = person.display_name if person else None
    hold_on_answer(store, thread_id, mid, payload, who, seq, where)


def insert_message(store: Any, thread_id: int, ident: str, p: dict[str, Any]) -> int:
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
            # the account of the same name here (replies to it go out by that account)
            account_id=shq.account_by_name(store, p.get("account_name")),
        ),
    )
    shq.set_message_identity(store, mid, ident)
    return int(mid)
