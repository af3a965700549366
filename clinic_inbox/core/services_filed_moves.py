"""The emails of a conversation filed to the chart, moved to the mail account's Filed
folder after the filing, apart from it (issue 19).

The app files on its writer and asks for the move (`ask_after_filing`, in the store);
the move itself talks to the mail server, so it runs on a network worker
(`move_now`), where a slow or absent server holds up nobody. A move that could not be
made stays asked and the sync makes it (`retry_waiting`). No Qt, no network here: the
move is the caller's `Mover` (sources.filed_folder.move_filed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from clinic_inbox.core import access, accounts
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.services_common import _now
from clinic_inbox.core.services_workflow import _acting
from clinic_inbox.core.signin import Session
from clinic_inbox.core.store import export_queries as eq
from clinic_inbox.core.store import filed_move_queries as fq

# (messages moved, what did not happen in plain words); never raises for the network
Mover = Callable[[Clinic, int], tuple[int, list[str]]]

NEXT_SYNC = "They will be moved at the next sync."


@dataclass(frozen=True)
class FiledMove:
    thread_id: int
    moved: int = 0
    problems: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        out = []
        if self.moved:
            emails = "email" if self.moved == 1 else "emails"
            out.append(f"{self.moved} {emails} moved to the Filed folder on the mail server")
        return out + list(self.problems)


def wanted(clinic: Clinic, thread_id: int) -> bool:
    """Does any mail account move filed emails, and hold some of this conversation's?"""
    places = {(a, m) for a, m, _v, _u in eq.filed_email_locations(clinic.store, thread_id)}
    return any(
        a.filed_folder and (a.id, a.mailbox) in places for a in accounts.imap_accounts(clinic.store)
    )


def ask_after_filing(clinic: Clinic, thread_id: int) -> bool:
    """Remember that the conversation's emails are to be moved (the filing was just
    audited); True when a move is wanted."""
    if not wanted(clinic, thread_id):
        return False
    with clinic.store.transaction():
        fq.ask(clinic.store, thread_id, _now().isoformat(timespec="seconds"))
    return True


def kept_for_next_sync(clinic: Clinic, thread_id: int, problems: list[str]) -> list[str]:
    """A move made with the filing (the CLI's `file` command) that did not happen:
    asked for, with its problem, so the next sync makes it; the words say so."""
    with clinic.store.transaction():
        fq.ask(clinic.store, thread_id, _now().isoformat(timespec="seconds"))
        fq.not_made(clinic.store, thread_id, " ".join(problems))
    return [*problems, NEXT_SYNC]


def _try(clinic: Clinic, thread_id: int, move: Mover) -> FiledMove:
    moved, problems = move(clinic, thread_id)
    with clinic.store.transaction():
        if problems:
            fq.not_made(clinic.store, thread_id, " ".join(problems))
        else:
            fq.made(clinic.store, thread_id)
    if problems:
        problems = [*problems, NEXT_SYNC]
    return FiledMove(thread_id, moved, tuple(problems))


def move_now(clinic: Clinic, session: Session, thread_id: int, move: Mover) -> FiledMove:
    """The move asked after this person filed the conversation (the same access as the
    filing: they may read and file it). Nothing asked: nothing done."""
    _row, d = _acting(clinic, session, thread_id)  # reads only: no write lock taken here
    access.require(d.body and d.file, d.why_not or "You may not file this conversation.")
    if not fq.is_waiting(clinic.store, thread_id):
        return FiledMove(thread_id)
    return _try(clinic, thread_id, move)


def retry_waiting(clinic: Clinic, move: Mover) -> list[FiledMove]:
    """At the sync: every move still waiting, tried once more."""
    return [_try(clinic, t, move) for t in fq.waiting(clinic.store)]
