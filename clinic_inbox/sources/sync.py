"""Running every source once: pull mail (and portal), then send what waits.

Used by `clinic-inbox sync --once` and by the app's background worker. Each
account is independent: one that is offline or broken is reported in plain
words and the others go on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from clinic_inbox.core import accounts as acc
from clinic_inbox.core import audit, followup, send_claims, services_cover
from clinic_inbox.core.changes import NOTHING, Changes, recording
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.keys import KeyCustodyError
from clinic_inbox.core.services_filed_moves import NEXT_SYNC, FiledMove, retry_waiting
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.triage import Rules
from clinic_inbox.sources import (
    email_sync,
    fhir_portal,
    outbox,
    portal_delivery,
    portal_outbox,
)
from clinic_inbox.sources.email_sync import Progress, SyncReport
from clinic_inbox.sources.filed_folder import move_filed
from clinic_inbox.sources.outbox import OutboxReport
from clinic_inbox.sources.sync_rules import RulesLater, rules_now


@dataclass
class RunReport:
    accounts: list[SyncReport] = field(default_factory=list)
    outbox: OutboxReport = field(default_factory=OutboxReport)
    anchor_problems: list[str] = field(default_factory=list)
    # came back to New (follow-up date) or went to the cover of an absent physician
    moved_threads: list[int] = field(default_factory=list)
    # Filed-folder moves left from filing (the server was away then), made now or not
    filed_moves: list[FiledMove] = field(default_factory=list)
    # what the pass's writes reported beside (core.changes.note): receipts and safety
    # replies queued, conversations moved
    noted: Changes = NOTHING
    # why the clinic's shared server could not decide who sends the receipts that wait
    server_problem: str | None = None

    @property
    def stored(self) -> int:
        return sum(a.stored for a in self.accounts)

    @property
    def changes(self) -> Changes:
        """What the pass changed, as the app's actions report it: the conversations new
        messages joined, those messages, and the outbox when anything was queued or sent."""
        threads = frozenset(t for a in self.accounts for t in a.touched) | frozenset(
            self.moved_threads
        )
        o = self.outbox
        queued = any(a.acknowledged for a in self.accounts)
        return self.noted | Changes(
            threads=threads,
            messages=frozenset(m for a in self.accounts for m in a.messages),
            outbox=bool(queued or o.sent or o.reconciled or o.failed),
        )

    @property
    def offline(self) -> list[str]:
        return [a.account for a in self.accounts if a.offline]

    def lines(self) -> list[str]:
        out = []
        for a in self.accounts:
            if a.error:
                out.append(f"{a.account}: {a.error}")
            else:
                extra = []
                if a.review:
                    extra.append(f"{a.review} need review")
                if a.urgent:
                    extra.append(f"{len(a.urgent)} URGENT")
                if a.rematched:
                    extra.append(f"{a.rematched} re-matched after a mailbox reset")
                if a.acknowledged:
                    extra.append(f"{a.acknowledged} acknowledgements queued")
                tail = f" ({', '.join(extra)})" if extra else ""
                out.append(f"{a.account}: {a.stored} new messages{tail}")
        o = self.outbox
        if o.sent or o.reconciled or o.waiting or o.failed or o.elsewhere:
            out.append(
                f"Outbox: {o.sent} sent, {o.waiting} waiting for the network, {o.failed} failed"
                + (f", {o.reconciled} confirmed after an interruption" if o.reconciled else "")
                + (f", {o.elsewhere} sent by another computer of the clinic" if o.elsewhere else "")
            )
        if o.for_server:
            n = o.for_server
            out.append(
                f"{n} {'receipt waits' if n == 1 else 'receipts wait'} for the clinic's shared "
                f"server, which decides which computer sends {'it' if n == 1 else 'each one'} "
                "so that a patient gets one: "
                + (self.server_problem or "it could not be asked.")
                + f" {'It goes' if n == 1 else 'They go'} at the next sync that reaches it."
            )
        if o.unclaimed_waiting:
            n = o.unclaimed_waiting
            out.append(
                f"{n} safety {'reply' if n == 1 else 'replies'} to urgent messages "
                f"{'waits' if n == 1 else 'wait'} for the clinic's shared server, which "
                "decides which computer sends each one: "
                + (self.server_problem or "it could not be asked.")
                + f" If no other computer of the clinic has sent {'it' if n == 1 else 'them'} "
                f"within {o.unclaimed_wait_seconds} seconds, the next sync sends "
                f"{'it' if n == 1 else 'them'} from here."
            )
        if o.elsewhere_waiting:
            n = o.elsewhere_waiting
            out.append(
                f"{n} automatic {'reply is' if n == 1 else 'replies are'} being sent by "
                "another computer of the clinic; the next sync looks for "
                f"{'its copy' if n == 1 else 'their copies'} in the Sent folder (and sends "
                f"{'it' if n == 1 else 'them'} from here if none appears)."
            )
        moved = sum(m.moved for m in self.filed_moves)
        if moved:
            what = (
                "email of a filed conversation" if moved == 1 else "emails of filed conversations"
            )
            out.append(f"{moved} {what} moved to the Filed folder")
        out += [p for m in self.filed_moves for p in m.problems if p != NEXT_SYNC]
        return out + self.anchor_problems


def run_once(
    clinic: Clinic,
    *,
    actor_id: int | None = None,
    actor: str = "system",
    rules: Rules | None = None,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    send: bool = True,
    fetch: bool = True,
) -> RunReport:
    """One pass over every source: fetch new messages (unless `fetch` is False: another
    workstation of the clinic fetches, this one receives them from the shared server),
    then send what waits."""
    with recording() as rec, _claims(clinic, send) as claims:
        report = _pass(clinic, actor_id, actor, rules, progress, stop, send, fetch)
        if claims is not None and (report.outbox.for_server or report.outbox.unclaimed_waiting):
            report.server_problem = claims.problem
    report.noted = rec.changes
    return report


@contextmanager
def _claims(clinic: Clinic, send: bool) -> Iterator[Any]:
    """On a workstation joined to a clinic's server, where nothing in this process
    claims its receipts yet (a one-off `sync --once`, the app's sync process), a
    claimer for this pass: receipts and safety replies are claimed on the server before
    they go, as the live sync claims them (shared.reply_claims). Imported only then: a
    workstation alone never loads the shared queue's code."""
    if not send or not send_claims.needs_claimer(clinic.store):
        yield None
        return
    from clinic_inbox.shared.reply_claims import pass_claims

    with pass_claims(clinic) as claims:
        yield claims


def _pass(
    clinic: Clinic,
    actor_id: int | None,
    actor: str,
    rules: Rules | None,
    progress: Progress | None,
    stop: threading.Event | None,
    send: bool,
    fetch: bool,
) -> RunReport:
    # compiled when first needed here: a large email sync triages in its parse workers,
    # a pass with no new mail triages nothing (sync_rules.py)
    later: Rules | RulesLater = rules or RulesLater(clinic.home)
    report = RunReport()
    # Each source: (account, how to read its secret, how to pull, how to send).
    sources = [
        (
            a,
            lambda a: clinic.credentials.get(a.name) if clinic.credentials else "",
            email_sync.sync_account,
            outbox.flush_account,
        )
        for a in acc.imap_accounts(clinic.store)
    ] + [
        (
            p,
            lambda p: _optional_secret(clinic, p.name),
            fhir_portal.sync_account,
            portal_outbox.flush_account,
        )
        for p in acc.fhir_accounts(clinic.store)
    ]
    for account, secret_of, pull, flush in sources:
        try:
            secret = secret_of(account)
        except KeyCustodyError as exc:
            report.accounts.append(SyncReport(account.name, error=str(exc)))
            continue
        if fetch:
            # an email sync compiles them only if it triages here (email_sync.sync_account)
            given = later if pull is email_sync.sync_account else rules_now(later)
            r = pull(clinic, given, account, secret, progress=progress, stop=stop)
        else:
            r = SyncReport(account.name)
        report.accounts.append(r)
        if send and not r.offline:
            report.outbox.add(flush(clinic, account, secret))
            if flush is portal_outbox.flush_account:  # read, or not delivered?
                report.moved_threads += portal_delivery.check(clinic, account, secret)
    report.outbox.waiting = oq.counts(clinic.store).get("pending", 0)
    if fetch and not report.offline:  # a mail server away: its moves wait for the next pass
        report.filed_moves = retry_waiting(clinic, move_filed)
    # after the pull, so that an answer that just arrived counts as one
    report.moved_threads += followup.bring_back(clinic)
    report.moved_threads += services_cover.forward_queues(clinic)  # an absent physician's
    with clinic.store.transaction():
        audit.append(
            clinic.store,
            clinic.audit_key,
            actor_id,
            actor,
            "sync",
            detail={
                "stored": report.stored,
                "offline": report.offline,
                "sent": report.outbox.sent,
            },
        )
    # every pass also anchors the audit head off this computer (the periodic anchor)
    from clinic_inbox.sources.audit_anchor_imap import publish_anchor

    report.anchor_problems = publish_anchor(clinic)
    return report


def _optional_secret(clinic: Clinic, name: str) -> str | None:
    """A portal may run without a token (a test server, a trusted network)."""
    if clinic.credentials is None:
        return None
    try:
        return clinic.credentials.get(name)
    except KeyCustodyError as exc:
        if "missing" in str(exc):
            return None
        raise
