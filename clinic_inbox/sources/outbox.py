"""Sending what waits in the outbox, exactly once.

For each item: mark it `sending` (committed), hand it to SMTP, and the moment
the server accepts it mark it `sent` (committed); then file a copy in the
account's Sent folder (retried until it is there). An item found in
`sending` at start-up was interrupted: before any retry the Sent folder is
searched for its Message-ID; found means it went out, so it is marked sent.

The one window this cannot close is a kill after the SMTP server accepted the
message and before that was recorded: SMTP has no way to ask whether
a message was delivered, so that item is sent again with the same Message-ID
(which mail clients show once). The window is one SQLite commit: milliseconds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy
from email.utils import getaddresses

from clinic_inbox.core import send_claims
from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.send_claims import Verdict
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.sources import smtp
from clinic_inbox.sources.errors import SourceError
from clinic_inbox.sources.imap import ImapConnection

log = logging.getLogger(__name__)

# How long a receipt or safety reply claimed by another workstation waits for that
# workstation's copy to show in the Sent folder before this one sends its own (see
# _claimed_elsewhere). The claimant sends within seconds of claiming; a safety reply
# may not wait long.
UNPROVEN_CLAIM_WAIT = {"ack": timedelta(minutes=30), "safety": timedelta(minutes=2)}


@dataclass
class OutboxReport:
    sent: int = 0
    reconciled: int = 0
    waiting: int = 0
    failed: int = 0
    elsewhere: int = 0  # automatic replies another workstation of the clinic sent
    # receipts waiting for the clinic's shared server, which decides who sends them
    for_server: int = 0
    # claimed by another workstation of the clinic, whose copy is not in Sent yet
    elsewhere_waiting: int = 0
    # safety replies the clinic's server could not be asked about, waiting a little for
    # another workstation's claimed copy before they go from here (_unclaimed_waits)
    unclaimed_waiting: int = 0
    unclaimed_wait_seconds: int = 0  # the longest of those waits still to run
    errors: list[str] = field(default_factory=list)

    def add(self, other: OutboxReport) -> None:
        self.sent += other.sent
        self.reconciled += other.reconciled
        self.failed += other.failed
        self.elsewhere += other.elsewhere
        self.for_server += other.for_server
        self.elsewhere_waiting += other.elsewhere_waiting
        self.unclaimed_waiting += other.unclaimed_waiting
        self.unclaimed_wait_seconds = max(self.unclaimed_wait_seconds, other.unclaimed_wait_seconds)
        self.errors += other.errors


def _envelope(raw: bytes) -> tuple[str, list[str]]:
    msg = message_from_bytes(raw, policy=default_policy)
    sender = getaddresses([str(msg.get("From", ""))])[0][1]
    rcpts = [
        a for _, a in getaddresses([str(v) for k in ("To", "Cc") for v in msg.get_all(k, [])]) if a
    ]
    return sender, rcpts


def reconcile(clinic: Clinic, account: ImapAccount, password: str, report: OutboxReport) -> None:
    """Settle items left in `sending` by a crash, by looking in the Sent folder."""
    stuck = [i for i in oq.in_state(clinic.store, "sending", "email") if i.account_id == account.id]
    if not stuck:
        return
    with ImapConnection(account, password) as conn:
        for item in stuck:
            went_out = conn.has_message_id(account.sent_folder, item.idempotency_key)
            with clinic.store.transaction():
                if went_out:
                    oq.mark_sent(clinic.store, item.id)
                    report.reconciled += 1
                else:
                    oq.reset_to_pending(clinic.store, item.id)


def flush_account(
    clinic: Clinic,
    account: ImapAccount,
    password: str,
    *,
    on_sent: Callable[[int], None] | None = None,
) -> OutboxReport:
    report = OutboxReport()
    store = clinic.store
    try:
        reconcile(clinic, account, password, report)
    except SourceError as exc:
        # Without the Sent folder an interrupted item cannot be settled: wait, never guess.
        report.errors.append(str(exc))
        report.waiting = len(oq.due(store, "email"))
        return report
    due = [i for i in oq.due(store, "email") if i.account_id == account.id]
    sent_box: ImapConnection | None = None
    if due or oq.uncopied(store, int(account.id or 0)):
        try:
            sent_box = ImapConnection(account, password).connect()
            sent_box.ensure_folder(account.sent_folder)
        except SourceError as exc:
            log.warning("no Sent folder connection: %s", type(exc).__name__)
    try:
        _send_all(clinic, account, password, due, sent_box, report, on_sent)
    finally:
        if sent_box is not None:
            sent_box.close()
    return report


class _Accepted:
    """Runs the moment the server accepts a message: records it as sent at once
    (one commit: the whole crash window), before the goodbye and the Sent copy."""

    def __init__(self, clinic: Clinic, item_id: int) -> None:
        self.clinic, self.item_id = clinic, item_id
        self.done = False

    def __call__(self) -> None:
        with self.clinic.store.transaction():
            oq.mark_sent(self.clinic.store, self.item_id, copied=False)
        self.done = True


def _copy_to_sent(clinic: Clinic, account: ImapAccount, box: ImapConnection | None) -> None:
    """File the Sent copies still missing (after a crash or while the server was down)."""
    if box is None:
        return
    for item in oq.uncopied(clinic.store, int(account.id or 0)):
        try:
            if not box.has_message_id(account.sent_folder, item.idempotency_key):
                box.append(account.sent_folder, item.payload, ensure=False)
        except SourceError as exc:
            log.warning("Sent copy of %s still missing: %s", item.id, type(exc).__name__)
            return
        with clinic.store.transaction():
            oq.mark_copied(clinic.store, item.id)


def _answered_id(item: oq.OutboxItem) -> str | None:
    """The Message-ID of the patient's message a receipt or safety reply answers (None
    for a person's reply: only automatic replies are claimed)."""
    if item.purpose not in send_claims.AUTOMATIC:
        return None
    return message_from_bytes(item.payload, policy=default_policy)["In-Reply-To"]


def _waits_for_server(clinic: Clinic, item: oq.OutboxItem, report: OutboxReport) -> None:
    """A receipt can wait for the server; a safety reply cannot (one twice beats none)."""
    with clinic.store.transaction():
        oq.mark_waiting(
            clinic.store,
            item.id,
            "Waiting for the clinic's shared server, which decides which computer sends it.",
        )
    report.waiting += 1
    report.for_server += 1


def _sent_copy(
    account: ImapAccount, item: oq.OutboxItem, box: ImapConnection | None
) -> bool | None:
    """Whether the clinic's Sent folder holds a copy of this item (its Message-ID is
    the same on every workstation); None when the folder cannot be asked."""
    if box is None:
        return None
    try:
        return box.has_message_id(account.sent_folder, item.idempotency_key)
    except SourceError:
        return None


def _claimed_elsewhere(
    clinic: Clinic,
    account: ImapAccount,
    item: oq.OutboxItem,
    box: ImapConnection | None,
    report: OutboxReport,
) -> bool:
    """Another workstation holds the claim. A claim is not proof that the reply went:
    this workstation records its copy as sent from elsewhere once the Sent folder has
    it, waits while it has not, and sends its own after UNPROVEN_CLAIM_WAIT. So a claim
    made and never kept (its workstation gone, or a row forged or replayed on the
    server) cannot keep a patient from their receipt or safety reply; the copy sent
    then has the same Message-ID as the claimant's would have. Returns whether to
    send it now."""
    found = _sent_copy(account, item, box)
    if found:
        with clinic.store.transaction():
            oq.mark_sent(clinic.store, item.id, copied=True)
        report.elsewhere += 1
        return False
    queued = oq.queued_at(clinic.store, item.id)
    waited = datetime.now(UTC) - queued if queued is not None else timedelta(0)
    if found is False and waited >= UNPROVEN_CLAIM_WAIT.get(item.purpose, timedelta(0)):
        log.warning(
            "outbox item %s: claimed elsewhere %d s ago and no copy in Sent; sending it here",
            item.id,
            waited.total_seconds(),
        )
        return True
    with clinic.store.transaction():
        oq.mark_waiting(
            clinic.store,
            item.id,
            "Another computer of the clinic is sending it; waiting to see its copy in the "
            "Sent folder.",
        )
    report.waiting += 1
    report.elsewhere_waiting += 1
    return False


def _in_sent_already(
    clinic: Clinic,
    account: ImapAccount,
    item: oq.OutboxItem,
    box: ImapConnection | None,
    report: OutboxReport,
) -> bool:
    """A receipt or safety reply whose copy is in the Sent folder already went out from
    another workstation of the clinic: one that fetched the same mail while the shared
    server was away sends safety replies unclaimed, and a workstation that fetches the
    same mail after it may claim first (found by the mail fault harness: the patient got
    the safety reply twice). The Message-ID is the same on every workstation."""
    if item.purpose not in send_claims.AUTOMATIC:
        return False
    found = _sent_copy(account, item, box)  # no answer: the claim decided already
    if found:
        with clinic.store.transaction():
            oq.mark_sent(clinic.store, item.id, copied=True)
        report.elsewhere += 1
    return bool(found)


def _unclaimed_waits(
    clinic: Clinic, item: oq.OutboxItem, incoming: str | None, report: OutboxReport
) -> bool:
    """A safety reply the clinic's server could not be asked about: whether it waits
    still (core.send_claims.unclaimed_wait says how long), due again at the next pass,
    where the server is asked again and the Sent folder looked in again."""
    wait = send_claims.unclaimed_wait(
        clinic.store, on_server=shq.incoming_on_server(clinic.store, incoming)
    )
    queued = oq.queued_at(clinic.store, item.id)
    waited = datetime.now(UTC) - queued if queued is not None else wait
    if waited >= wait:
        if wait:
            log.warning(
                "outbox item %s: the shared server could not be asked for %d s; sending it "
                "unclaimed",
                item.id,
                waited.total_seconds(),
            )
        return False
    left = int((wait - waited).total_seconds()) + 1
    with clinic.store.transaction():
        oq.mark_waiting(
            clinic.store,
            item.id,
            "The clinic's shared server cannot be reached to say which computer sends it; "
            f"this one sends it in {left} seconds unless another computer's copy appears "
            "in the Sent folder first.",
        )
    report.waiting += 1
    report.unclaimed_waiting += 1
    report.unclaimed_wait_seconds = max(report.unclaimed_wait_seconds, left)
    return True


def _send_all(
    clinic: Clinic,
    account: ImapAccount,
    password: str,
    due: list,
    sent_box: ImapConnection | None,
    report: OutboxReport,
    on_sent: Callable[[int], None] | None,
) -> None:
    store = clinic.store
    for item in due:
        incoming = _answered_id(item)  # read once: claimed, then maybe waited on
        # whose a receipt or safety reply is to send: with a shared server, the workstation
        # that claims it there; a person's reply is its author's (claim says SEND)
        verdict = send_claims.claim(clinic.store, item.purpose, incoming)
        if verdict is Verdict.UNKNOWN and item.purpose == "ack":
            _waits_for_server(clinic, item, report)
            continue
        if verdict is Verdict.ELSEWHERE:
            if not _claimed_elsewhere(clinic, account, item, sent_box, report):
                continue
        elif _in_sent_already(clinic, account, item, sent_box, report):
            continue
        elif verdict is Verdict.UNKNOWN and _unclaimed_waits(clinic, item, incoming, report):
            continue
        with store.transaction():
            oq.mark_sending(store, item.id)
        accepted = _Accepted(clinic, item.id)
        try:
            sender, rcpts = _envelope(item.payload)
            smtp.send(
                account,
                password,
                item.payload,
                sender or account.sender_address,
                rcpts,
                on_accepted=accepted,
            )
        except SourceError as exc:
            if not accepted.done:  # not accepted: try again later
                with store.transaction():
                    state = oq.mark_retry(store, item.id, str(exc))
                report.errors.append(str(exc))
                if state == "failed":
                    report.failed += 1
                else:
                    report.waiting += 1
                if exc.offline:
                    break  # the server is down: the rest wait too
                continue
        report.sent += 1
        if on_sent:
            on_sent(item.id)
        if item.purpose in send_claims.AUTOMATIC:
            # its copy in Sent at once, not after the whole batch: another workstation
            # about to send the same reply looks there first (_in_sent_already)
            _copy_to_sent(clinic, account, sent_box)
    _copy_to_sent(clinic, account, sent_box)
