"""A held reply discarded by its author, published so that every workstation shows it
as not sent (it reached the others when it was written, held or not).

Locally, a discard made while this workstation is linked is remembered
(core/shared_discards.py, in the discard's own transaction) until the server has it.
The discard carries a MAC under the clinic keys over the message's keyed identity:
the server can neither read which reply it is nor make one up. The server's part is
discard_schema.py.
"""

from __future__ import annotations

import psycopg

from clinic_inbox.core import audit, shared_discards
from clinic_inbox.core.changes import Changes, note
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.store import reply_hold_queries as hq
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared.replica import server_error
from clinic_inbox.shared.seal import ClinicKeys, check_field, field_mac
from clinic_inbox.shared.server import Link

KIND = "discard"


def _mac(keys: ClinicKeys, conv: str, identity: str) -> str:
    return field_mac(keys, conv, KIND, identity, identity)


def publish_discards(clinic: Clinic, link: Link) -> int:
    """Send the discards made here; returns how many the server took now. One whose
    reply is not on the server yet waits (the reply goes with its conversation)."""
    store, keys = clinic.store, link.keys
    sent = 0
    for mid in shared_discards.pending(store):
        identity, thread_id = hq.identity_of(store, mid)
        conv = shq.thread_uuid(store, thread_id) if thread_id is not None else None
        if thread_id is None:  # the message is gone (purged): nothing to say
            with store.transaction():
                shared_discards.forget(store, mid)
            continue
        if identity is None or conv is None:
            continue  # not published yet
        try:
            with link.conn.transaction():
                said = link.conn.execute(
                    "SELECT discard_message(%s, %s, %s)",
                    (link.workstation_id, identity, _mac(keys, conv, identity)),
                ).fetchone()[0]
        except psycopg.OperationalError as exc:
            raise server_error(link, exc) from None
        if said == "done":
            sent += 1
            with store.transaction():
                shared_discards.forget(store, mid)
    return sent


def apply(
    clinic: Clinic, keys: ClinicKeys, thread_id: int, conv: str, ref: str, label: str
) -> bool:
    """Another workstation's author discarded their held reply: shown here as not sent
    (inside the pull's transaction). A MAC that does not hold raises TamperedError:
    nothing of the pull is applied. True if this copy changed."""
    identity, _, mac = ref.rpartition("|")
    check_field(keys, conv, KIND, identity, identity, mac, label)
    store = clinic.store
    mid = shq.message_by_identity(store, identity)
    if mid is None or not hq.mark_discarded(store, mid):
        return False  # not here, or this workstation's own discard come back
    note(store, Changes.of(thread_id, outbox=True))  # its line says cancelled
    audit.append(
        store,
        clinic.audit_key,
        None,
        "system",
        "reply.discard_held.shared",
        thread_id=thread_id,
        message_id=mid,
        detail={"conversation": conv},
    )
    return True
