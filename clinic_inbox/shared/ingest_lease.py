"""The ingest lease: one workstation at a time publishes the clinic's new mail.

The lease is a row on the server with an expiry on the server's clock. Its holder
renews it every third of its lifetime; when the holder dies, is paused or is cut
off, the lease expires and the next workstation that asks takes it, with a new
epoch. Every publication of new mail names the epoch it was made under
(`Fence`), and the server refuses it when that holding is over: a holder that
wakes up after someone else took over publishes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from clinic_inbox.core import lease_clock
from clinic_inbox.shared import SharedQueueError
from clinic_inbox.shared.seal import ClinicKeys, identity
from clinic_inbox.shared.server import Link

LEASE_SECONDS = lease_clock.DEFAULT_SECONDS
# This version has one lease for all of a workstation's mail and portal accounts.
MAIL = "mail"


class LeaseLost(SharedQueueError):
    pass


@dataclass(frozen=True)
class Fence:
    """A holding of the lease: the publication under it is refused once it is over."""

    account: str  # keyed, as the server sees it
    epoch: int


def lease_key(keys: ClinicKeys, name: str = MAIL) -> str:
    return identity(keys, "ingest-lease", name)


def take(link: Link, name: str = MAIL, seconds: int = LEASE_SECONDS) -> Fence | None:
    """Take or renew the lease; None while another workstation holds it."""
    account = lease_key(link.keys, name)
    with link.conn.transaction():
        epoch = link.conn.execute(
            "SELECT take_ingest_lease(%s, %s, %s)", (account, link.workstation_id, seconds)
        ).fetchone()[0]
    return Fence(account, int(epoch)) if epoch is not None else None


def release(link: Link, fence: Fence) -> None:
    """Give the lease up at once (a clean stop), so another takes over without waiting."""
    with link.conn.transaction():
        link.conn.execute(
            "SELECT release_ingest_lease(%s, %s, %s)",
            (fence.account, link.workstation_id, fence.epoch),
        )


def check(link: Link, fence: Fence) -> None:
    """Inside the publishing transaction: still the holder, and kept so to its commit."""
    try:
        link.conn.execute(
            "SELECT hold_ingest_lease(%s, %s, %s)",
            (fence.account, link.workstation_id, fence.epoch),
        )
    except psycopg.Error as exc:
        if exc.sqlstate != "CI001":  # raised by hold_ingest_lease
            raise
        raise LeaseLost(
            f"Another workstation took over fetching new mail from {link.label}; this "
            "computer's copy was not published (the other one publishes it)."
        ) from exc
