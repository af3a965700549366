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
from email import message_from_bytes
from email.policy import default as default_policy
from email.utils import getaddresses

from clinic_inbox.core import send_claims
from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.send_claims import Verdict
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.sources import smtp
from clinic_inbox.sources.errors import SourceError
from clinic_inbox.sources.imap import ImapConnection

log = logging.getLogger(__name__)


@dataclass
class OutboxReport:
    sent: int = 0
    reconciled: int = 0
    waiting: int = 0
    failed: int = 0
    elsewhere: int = 0  # automatic replies another workstation of the clinic sends
    errors: list[str] = field(default_factory=list)

    def add(self, other: OutboxReport) -> None:
        self.sent += other.sent
        self.reconciled += other.reconciled
        self.failed += other.failed
        self.elsewhere += other.elsewhere
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


def _ours_to_send(clinic: Clinic, item: oq.OutboxItem, report: OutboxReport) -> bool:
    """A receipt or safety reply goes out once per clinic: with a shared server, only
    from the workstation that claims it there (core.send_claims)."""
    if item.purpose not in send_claims.AUTOMATIC:
        return True  # a person's reply: its author decided
    incoming = message_from_bytes(item.payload, policy=default_policy)["In-Reply-To"]
    verdict = send_claims.claim(clinic.store, item.purpose, incoming)
    if verdict is Verdict.ELSEWHERE:
        with clinic.store.transaction():  # the clinic's copy went from another computer
            oq.mark_sent(clinic.store, item.id, copied=True)
        report.elsewhere += 1
        return False
    if verdict is Verdict.UNKNOWN and item.purpose != "safety":
        # a receipt can wait for the server; a safety reply cannot (one twice beats none)
        with clinic.store.transaction():
            oq.mark_retry(
                clinic.store,
                item.id,
                "Waiting for the clinic's shared server, which decides which computer sends it.",
            )
        report.waiting += 1
        return False
    return True


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
    if item.purpose not in send_claims.AUTOMATIC or box is None:
        return False
    try:
        found = box.has_message_id(account.sent_folder, item.idempotency_key)
    except SourceError:
        return False  # no answer from the Sent folder: the claim decided already
    if found:
        with clinic.store.transaction():
            oq.mark_sent(clinic.store, item.id, copied=True)
        report.elsewhere += 1
    return found


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
        if not _ours_to_send(clinic, item, report):
            continue
        if _in_sent_already(clinic, account, item, sent_box, report):
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
    _copy_to_sent(clinic, account, sent_box)
