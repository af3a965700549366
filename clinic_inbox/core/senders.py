"""A conversation belongs to its patient: who may write into it, and where replies go.

An In-Reply-To or References header is written by the sender, so it proves
nothing: anyone can name a patient's message. A message joins a patient's
conversation only when its sender is that patient, as far as the clinic can tell:
the portal's identity, or an email address registered to the patient whose
sender is verified (DKIM, the clinic's mail server, or a person's confirmation).
Otherwise it starts a conversation of its own that records the claim.

The clinic's replies go to the patient's registered address, never to whoever
wrote last.
"""

from __future__ import annotations

from collections.abc import Sequence

from clinic_inbox.core.model import MessageDetail
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import sync_queries as sq
from clinic_inbox.core.store.connection import Store

# sender_check values (see sources/sender_check.py; the core does not import sources)
VERIFIED, UNVERIFIED, CONFIRMED = "verified", "unverified", "confirmed"


def sender_trusted(sender_check: str | None, require_verified: bool) -> bool:
    """May this sender be taken for who their address says? None: no check was made
    (a portal message, whose identity is the portal's, or a message stored without
    one); the clinic may also choose not to require verification."""
    return sender_check != UNVERIFIED or not require_verified


def may_write_into(
    store: Store,
    thread_id: int,
    thread_patient_id: int | None,
    *,
    sender: str,
    patient_id: int | None,
    trusted: bool,
) -> bool:
    """The one rule for "may this sender write into this conversation?".

    `patient_id` is an identity stronger than an address (the portal's); `trusted`
    says the email sender is verified. A person the patient authorised to write for
    them (a proxy, core/proxies.py) is admitted while their authorisation lasts.
    """
    if thread_patient_id is None:
        # Not anybody's chart yet: only someone who already wrote in it continues it.
        if patient_id is not None:
            return False
        return bool(sender) and sender.lower() in sq.thread_inbound_senders(store, thread_id)
    if patient_id is not None:
        return patient_id == thread_patient_id
    if not trusted or not sender:
        return False
    return sq.address_registered_to(store, sender, thread_patient_id) or _authorised_proxy(
        store, sender, thread_patient_id
    )


def _authorised_proxy(store: Store, sender: str, patient_id: int) -> bool:
    """A proxy whose authorisation is in force today continues the patient's conversation
    (what they are answered on is decided at reply time, by scope and age)."""
    from datetime import UTC, datetime

    from clinic_inbox.core.store import consent_queries as cq

    today = datetime.now(UTC).date().isoformat()
    return any(
        p.revoked_at is None and p.starts_on <= today and (p.ends_on is None or today <= p.ends_on)
        for p in cq.proxies_with_address(store, patient_id, sender)
    )


SENDER_WORDS = {
    UNVERIFIED: "Sender not verified",
    VERIFIED: "Sender verified",
    CONFIRMED: "Sender confirmed by a member of staff",
}


def sender_warnings(messages: Sequence[MessageDetail]) -> list[str]:
    """What a conversation view says first, in plain words, about who wrote."""
    out = []
    if any(m.sender_check == UNVERIFIED for m in messages):
        out.append("Sender not verified: confirm who wrote before filing this to a chart.")
    claimed = sorted({m.claims_thread_id for m in messages if m.claims_thread_id})
    if claimed:
        out.append(
            "Claims to continue another patient's conversation ("
            + ", ".join(f"#{n}" for n in claimed)
            + "): kept apart from it."
        )
    return out


class NoAddressOnFile(ValueError):
    """The patient has no email address to answer to."""


def reply_address(store: Store, thread_id: int, thread_patient_id: int | None) -> str:
    """Where a reply in this conversation goes. A patient's conversation: the address
    the patient last wrote from if it is registered to them and was not an unverified
    sender, else their registered address. An unlinked conversation: the sender."""
    senders = sq.inbound_sender_history(store, thread_id)  # newest first
    if thread_patient_id is None:
        if not senders:
            raise NoAddressOnFile("This conversation has no email address to reply to.")
        return senders[0][0]
    patient = q.get_patient(store, thread_patient_id)
    registered = list(patient.emails) if patient else []
    if not registered:
        raise NoAddressOnFile(
            "This patient has no email address on file, so the reply cannot be sent by "
            "email. Add their address to their record, or phone them."
        )
    for address, check in senders:
        if address.lower() in registered and check != UNVERIFIED:
            return address.lower()
    return registered[0]
