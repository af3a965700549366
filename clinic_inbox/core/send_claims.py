"""Automatic replies (receipts, safety replies) go out once per clinic.

When several workstations fetch the same mailbox, each one files the same incoming
message and queues the same receipt. Before sending one, the outbox asks here:
the shared queue's claimer (registered per store file, in each process that sends:
by the live sync, or for one sync pass by the pass itself) takes a unique claim on
the clinic's server, and only the workstation whose claim it is sends. A claim is
not proof that the reply went: the others record theirs as sent only once its copy is
in the clinic's Sent folder (sources.outbox). No network and no Qt here; a clinic that
works alone has no claimer and sends as before.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Protocol

from clinic_inbox.core import lease_clock
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.core.store.connection import Store
from clinic_inbox.core.store.queries import get_meta


class Verdict(Enum):
    SEND = "send"  # this workstation's to send (or no shared server)
    ELSEWHERE = "elsewhere"  # another workstation of the clinic sends it
    UNKNOWN = "unknown"  # the server could not be asked just now


class Claimer(Protocol):
    def claim(self, incoming_id: str, purpose: str) -> Verdict:
        """Claim the automatic reply of `purpose` to the incoming message whose
        Message-ID is `incoming_id`."""


AUTOMATIC = ("ack", "safety")

# How long after a failed claim the server is asked again (shared.reply_claims uses it).
CLAIM_RETRY_SECONDS = 10.0

_claimers: dict[str, Claimer] = {}
_lock = threading.Lock()


def _key(store_path: Path | str) -> str:
    return str(Path(store_path).resolve())


def register(store_path: Path | str, claimer: Claimer) -> None:
    with _lock:
        _claimers[_key(store_path)] = claimer


def unregister(store_path: Path | str, claimer: Claimer) -> None:
    with _lock:
        if _claimers.get(_key(store_path)) is claimer:
            del _claimers[_key(store_path)]


def needs_claimer(store: Store) -> bool:
    """Whether this store is joined to a clinic's server and nothing in this process
    claims for it yet (a one-off `sync --once`, the app's sync process): the sync pass
    then opens a claimer of its own for the pass (shared.reply_claims.pass_claims)."""
    with _lock:
        if _key(store.path) in _claimers:
            return False
    return shq.linked_clinic(store) is not None


def claim(store: Store, purpose: str, incoming_id: str | None) -> Verdict:
    if purpose not in AUTOMATIC or not incoming_id:
        return Verdict.SEND
    with _lock:
        claimer = _claimers.get(_key(store.path))
    if claimer is None:
        # joined to a server whose live sync is not running here: it cannot be asked
        return Verdict.UNKNOWN if shq.linked_clinic(store) else Verdict.SEND
    return claimer.claim(incoming_id, purpose)


def unclaimed_wait(
    store: Store, now: datetime | None = None, *, on_server: bool = False
) -> timedelta:
    """How long a safety reply that the clinic's server could not be asked about waits,
    from when it was queued, before it goes unclaimed (one twice beats none, but not by
    choice). Nothing, on the workstation whose ingest lease still runs by its own clock,
    for a message only it holds: no other workstation fetches the same mail under the
    lease then. Otherwise another may be sending the same reply, claimed: one that took
    the lease over, or (`on_server`: the message reached the server before it went out
    of reach) one that pulled the message from there. This one asks the server again at
    each pass and looks for that copy in the Sent folder, for two lease lengths and a
    claim retry, before it sends its own (found by the mail fault harness: a holder cut
    off from the server and its successor each sent five; later, a holder cut off just
    after it had shared an urgent message, and a workstation that had pulled it, each
    sent its safety reply)."""
    lease = lease_clock.read(store.path)
    if not on_server and lease.until is not None and (now or datetime.now(UTC)) < lease.until:
        return timedelta(0)
    return timedelta(seconds=2 * lease.seconds + CLAIM_RETRY_SECONDS)


def automatic_message_id(
    store: Store, purpose: str, incoming_id: str | None, domain: str
) -> str | None:
    """The Message-ID of an automatic reply, the same on every workstation of the clinic
    (derived from the clinic and the incoming message), so that if two copies ever
    leave (a partition, the lost-"250" window) mail programs show one, and the Sent
    folder check finds either. None when there is nothing to derive it from."""
    scope = shq.linked_clinic(store) or get_meta(store, "store_id")
    if not incoming_id or not scope:
        return None
    digest = hashlib.sha256(f"{scope}|{purpose}|{incoming_id.strip()}".encode()).hexdigest()
    mid = f"<auto-{purpose}-{digest[:32]}@{domain}>"
    # the same message delivered twice, answered again a day later: a fresh id then
    return None if oq.has_key(store, mid) else mid
