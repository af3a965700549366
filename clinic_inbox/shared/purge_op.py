"""A retention purge, published through the shared server so that it reaches every
copy: the server deletes its sealed copies of the conversation's messages and notes
(its snapshot is replaced by the purged one), and every workstation that pulls the
`purge` change purges its own copy the same way the purge did here.

The purge carries a MAC under the clinic's keys (like a workflow value): the server,
which cannot read the conversation, cannot make one up either, so a server that was
broken into cannot make the workstations delete anything.

Locally, a purge made while this workstation is linked is remembered
(core/shared_purges.py, in the purge's own transaction) until the server has it: a
purge made offline, or just before a crash, is published later, once. The server's
part of the schema is purge_schema.py.
"""

from __future__ import annotations

import json

import psycopg

from clinic_inbox.core import audit, purge_ledger
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.shared_purges import PENDING_KEY, pending
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import retention_queries as rq
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared.replica import server_error
from clinic_inbox.shared.seal import ClinicKeys, check_field, field_mac, seal
from clinic_inbox.shared.server import Link

KIND = "purge"


def _mac(keys: ClinicKeys, conv: str, purged_at: str) -> str:
    return field_mac(keys, conv, KIND, purged_at, conv)


def publish_purges(clinic: Clinic, link: Link) -> int:
    """Send the purges made here to the server; returns how many it took now."""
    store, keys = clinic.store, link.keys
    sent = 0
    for thread_id in pending(store):
        conv = shq.thread_uuid(store, thread_id)
        snapshot = shq.thread_snapshot(store, thread_id)
        purged_at = store.one("SELECT purged_at FROM threads WHERE id = ?", (thread_id,))
        if conv is not None and snapshot is not None and purged_at:
            sealed = seal(keys, "conversation", conv, "snapshot", 1, json.dumps(snapshot).encode())
            try:
                with link.conn.transaction():
                    took = link.conn.execute(
                        "SELECT publish_purge(%s, %s, %s, %s, %s)",
                        (
                            conv,
                            link.workstation_id,
                            purged_at,
                            _mac(keys, conv, purged_at),
                            sealed,
                        ),
                    ).fetchone()[0]
            except psycopg.OperationalError as exc:
                raise server_error(link, exc) from None
            sent += int(bool(took))
        with store.transaction():
            q.set_meta(
                store, PENDING_KEY, json.dumps([t for t in pending(store) if t != thread_id])
            )
    return sent


# -- elsewhere: applied when pulled --------------------------------------------------------
def apply(
    clinic: Clinic, keys: ClinicKeys, thread_id: int, conv: str, ref: str, label: str
) -> bool:
    """Purge this workstation's copy of a conversation purged elsewhere (inside the
    pull's transaction). A purge whose MAC does not hold raises TamperedError: nothing
    of the pull is applied. Returns whether anything was purged here."""
    purged_at, _, mac = ref.partition("|")
    check_field(keys, conv, KIND, purged_at, conv, mac, label)
    store = clinic.store
    created = rq.created_at(store, thread_id)
    patient = rq.unpurged_matching(store, thread_id, created or "")
    if patient is None:
        return False  # purged here already (this workstation's own purge, or a replay)
    from clinic_inbox.core.services_retention import ledger_folders

    # the tombstone first: this copy's backups are purged again when restored
    purge_ledger.add(
        ledger_folders(clinic),
        clinic.audit_key,
        [purge_ledger.Tombstone(thread_id, created or "", purged_at)],
    )
    store.execute("PRAGMA secure_delete = ON")  # freed pages are overwritten as they are freed
    try:
        n = rq.purge_thread(store, thread_id)
        rq.compact_search_index(store)
    finally:
        store.execute("PRAGMA secure_delete = OFF")
    audit.append(
        store,
        clinic.audit_key,
        None,
        "system",
        "retention.purge.shared",
        patient_id=None if patient == -1 else patient,
        thread_id=thread_id,
        detail={"messages": n, "purged_at": purged_at, "conversation": conv},
    )
    return True
