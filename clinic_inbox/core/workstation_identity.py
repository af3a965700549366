"""This computer's identity on the clinic's shared server, and its end when the store is
copied (issue 16).

A workstation that joined a shared server is known there by its workstation id, its own
server login (inside the sealed `shared` secret) and its audit signing key
(`audit-sign`), all kept inside the store (core.workstation_secrets). A backup restored
somewhere, or a data folder copied to another computer or folder, would carry all
three: two computers sending changes and signing audit heads as one, which the server
cannot tell apart.

So a copy gives its identity up:

- a restore from a backup does (core.backup calls `after_restore`), unless it puts
  the store back in the very place its identity was last used (same computer, data
  folder and key record: a lost disk or a damaged store restored in place), where no
  other copy can be left;
- a store remembers where its identity was last used (computer, data folder and key
  record, with the workstation id); one that is opened in another place gives it up at
  that sign-in (`check_place`), and so does one that is about to connect from there.

Giving it up deletes the sealed secrets (clinic keys with the server password, signing
key, a pending join request) and the link, writes one audit entry, and keeps a record
from which every sign-in says, in plain words, that an administrator must join this
computer to the clinic again. Every conversation, message and note stays. The computer
the copy came from is not touched and keeps working.

What it cannot prevent is said in the README: whoever holds the store's key can read
the secrets out of an old backup with other tools; revoking the old workstation on
the server (`server revoke`) is then what stops them.
"""

from __future__ import annotations

import hashlib
import socket
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from clinic_inbox.core import audit, workstation_secrets
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.core.store import workstation_identity_queries as wiq
from clinic_inbox.core.store import workstation_secret_queries as wsq

if TYPE_CHECKING:
    from clinic_inbox.core.home import Clinic
    from clinic_inbox.core.store import Store

RESTORED = "restored"
MOVED = "opened_elsewhere"
ACTION = "workstation.identity_retired"

_HOW = {
    RESTORED: "was restored from a backup",
    MOVED: "is now used on another computer or in another data folder than before",
}


def _machine() -> str:
    """This computer: its machine id where the system keeps one (it stays when the
    computer is renamed, or gets another name from the network); else its name and
    network card."""
    try:
        machine_id = Path("/etc/machine-id").read_text("ascii").strip()
    except (OSError, ValueError):
        machine_id = ""
    return machine_id or f"{socket.gethostname()}\0{uuid.getnode():012x}"


def place(home: Path, store_id: str) -> str:
    """Which computer, folder and key record the store is used with, as a short digest
    (no name of a computer or folder is kept in clear)."""
    where = f"{_machine()}\0{Path(home).resolve()}\0{store_id}"
    return hashlib.sha256(where.encode("utf-8")).hexdigest()[:16]


def remember_place(clinic: Clinic) -> None:
    """Called once this computer has joined a server (and at any open that finds a link
    with no place yet: stores linked before this check existed)."""
    ws = shq.workstation_id(clinic.store)
    if ws is None:
        return
    with clinic.store.transaction():
        wiq.set_place(clinic.store, ws, place(clinic.home, clinic.custody.store_id))


def check_place(clinic: Clinic) -> bool:
    """At sign-in and before connecting: a store linked to a server but now used in
    another place gives up the identity it was copied with. True when it did."""
    store = clinic.store
    ws = shq.workstation_id(store)
    if ws is None:
        return False
    kept = wiq.place(store)
    if kept is None or kept[0] != ws:
        remember_place(clinic)  # first use of this link here
        return False
    if kept[1] == place(clinic.home, clinic.custody.store_id):
        return False
    return retire(store, clinic.audit_key, MOVED)


def after_restore(store: Store, audit_key: bytes, home: Path, store_id: str) -> bool:
    """A restored store keeps its identity only where that identity was last used: the
    same computer, data folder and key record (the computer lost its disk, or its store
    was damaged, and is restored in place: no other copy is left there). Anywhere else
    it gives the identity up. True when it did."""
    ws, kept = shq.workstation_id(store), wiq.place(store)
    if ws is not None and kept == (ws, place(home, store_id)):
        return False
    return retire(store, audit_key, RESTORED)


def retire(store: Store, audit_key: bytes, why: str) -> bool:
    """Give up the identity this store carries (see the module's text); one transaction,
    one audit entry. False when it carries none."""
    with store.transaction():
        ws, server = shq.workstation_id(store), shq.server_label(store)
        clinic_id = shq.linked_clinic(store)
        secrets = [n for n in workstation_secrets.NAMES if wsq.get(store, n) is not None]
        if ws is None and clinic_id is None and not secrets:
            return False
        for name in secrets:
            wsq.delete(store, name)
        wiq.unlink(store)
        record = {
            "workstation": ws,
            "server": server,
            "clinic_id": clinic_id,
            "why": why,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        wiq.set_retired(store, record)
        audit.append(
            store,
            audit_key,
            None,
            "system",
            ACTION,
            detail=record
            | {
                "secrets_removed": secrets,
                "waiting_to_send": shq.pending_count(store),
                "what": words(record),
            },
        )
    return True


def words(record: dict) -> str:
    """What a person is told: in plain words, with what to do."""
    how = _HOW.get(str(record.get("why")), "was copied from another computer")
    server = f" ({record['server']})" if record.get("server") else ""
    return (
        f"This computer's copy of the clinic {how}, so it no longer exchanges changes with "
        f"the clinic's shared server{server} in the name of the computer it came from "
        "(that computer keeps working). Every message on this computer is kept. An "
        "administrator joins this computer to the clinic again: `clinic-inbox server join` "
        "here, then `server approve` on a computer already joined (or `server connect` "
        "with the clinic code)."
    )


def retired_notice(store: Store) -> str | None:
    """Said at every sign-in until this computer has joined a server again."""
    if shq.linked_clinic(store) is not None:
        return None
    record = wiq.retired(store)
    return None if record is None else words(record)
