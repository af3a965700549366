"""The number people see on a conversation, and finding a conversation by it.

On one workstation alone a conversation's number is its local id, as always. With a
shared server every workstation shows the server's number instead (the one a
receptionist reads out on the phone and a physician types at another desk); a
conversation not yet on the server (written offline) shows its local number, marked as
this computer's only, so nobody reads it out as the clinic's.
"""

from __future__ import annotations

import re

from clinic_inbox.core.store import shared_patient_queries as spq
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.core.store.connection import Store

_TYPED = re.compile(r"^\s*(?:#|no\.?|n°)?\s*(\d{1,12})\s*$", re.IGNORECASE)


def shared(store: Store) -> bool:
    """Whether this workstation is one of a clinic's with a shared server."""
    return shq.linked_clinic(store) is not None


def shown(local_id: int, clinic_number: int | None, is_shared: bool) -> int:
    """The number as a value (for --json): the clinic's when there is one."""
    return clinic_number if is_shared and clinic_number is not None else local_id


def label(local_id: int, clinic_number: int | None, is_shared: bool) -> str:
    """The number as people read it: "#7"; "#12 (this computer)" for a conversation
    the server has not numbered yet."""
    if not is_shared:
        return f"#{local_id}"
    if clinic_number is not None:
        return f"#{clinic_number}"
    return f"#{local_id} (this computer)"


def typed_number(text: str | None) -> int | None:
    """The number in what someone typed to find a conversation ("#7", "7", "no. 7"),
    or None when it is not a number alone."""
    m = _TYPED.match(text or "")
    return int(m.group(1)) if m else None


def find(store: Store, number: int, is_shared: bool | None = None) -> int | None:
    """The local id of the conversation people call `number`. With a shared server: the
    clinic's number, else a conversation the server has not numbered yet, shown as
    "#12 (this computer)"; never the local id of a conversation that has a clinic
    number (that would open another patient's conversation). Without: the local id."""
    if is_shared is None:
        is_shared = shared(store)
    if not is_shared:
        return spq.thread_by_local_number(store, number)
    found = spq.thread_by_number(store, number)
    if found is not None:
        return found
    local = spq.thread_by_local_number(store, number)
    if local is not None and spq.shared_number(store, local) is None:
        return local
    return None


def label_of(store: Store, local_id: int, is_shared: bool | None = None) -> str:
    """`label` of the conversation whose local id is `local_id`: what a command prints
    after acting on it, so that the number read is the one typed at any desk."""
    if is_shared is None:
        is_shared = shared(store)
    return label(local_id, spq.shared_number(store, local_id) if is_shared else None, is_shared)
