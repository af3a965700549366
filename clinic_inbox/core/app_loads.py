"""What the app's screens read in one go, run on the app's worker, never on the GUI thread.

A full board is every open conversation with its access decision (hundreds of
milliseconds on a large clinic, longer while a sync holds the disk); the lists the
delegation and administration screens show are small but still wait on the store.
Each function here is one read through the services (which check access and audit),
returned as an `Outcome` that changes nothing, so the window asks for it and
paints the answer when it comes back by signal. No Qt here.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinic_inbox.core import app_compose, app_reads, services
from clinic_inbox.core.access import Grant
from clinic_inbox.core.app_reads import ThreadFilter
from clinic_inbox.core.changes import Outcome
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Staff

Session = services.Session


@dataclass(frozen=True)
class BoardLoad:
    threads: list[services.BoardThread]
    uncovered: str  # the board's warning about absent physicians nobody covers ('' if none)


def board(clinic: Clinic, session: Session, flt: ThreadFilter) -> Outcome:
    """The whole board again (F5, after unlocking, after a change of who may read what)."""
    return Outcome(
        BoardLoad(
            services.board(clinic, session, flt), app_compose.uncovered_warning(clinic, session)
        )
    )


@dataclass(frozen=True)
class DelegationsLoad:
    staff: list[Staff]
    rows: list[tuple[str, str, Grant]]  # (physician, delegate, grant)
    by_administrator: frozenset[int]  # grants an administrator set up in a physician's name


def delegations(clinic: Clinic, session: Session) -> Outcome:
    """The delegations screen: who can be chosen, and the grants this person may see."""
    return Outcome(
        DelegationsLoad(
            services.list_staff(clinic, session),
            services.list_delegations(clinic, session),
            frozenset(
                v.grant.id for v in services.delegation_views(clinic, session) if v.by_administrator
            ),
        )
    )


def team(clinic: Clinic) -> Outcome:
    """The active staff: the board's team list and physician filter."""
    return Outcome(app_reads.team(clinic))


def staff(clinic: Clinic, session: Session) -> Outcome:
    """The staff list (administration, absences)."""
    return Outcome(services.list_staff(clinic, session))


def accounts(clinic: Clinic, session: Session) -> Outcome:
    """The mail and portal accounts (administration)."""
    return Outcome(services.list_accounts(clinic, session))


def break_glass_review(clinic: Clinic, session: Session) -> Outcome:
    """Every break-glass use, for the administrator's review."""
    return Outcome(services.break_glass_review(clinic, session))


def cards(clinic: Clinic, session: Session, thread_ids: list[int]) -> Outcome:
    """A few cards read again after a change (None for one this person may no longer
    see): up to a batch per turn, on the worker, so a sync's burst never holds the window."""
    return Outcome(services.board_threads(clinic, session, thread_ids))


def replies_waiting(clinic: Clinic) -> Outcome:
    """How many replies wait in the outbox (the line under the board)."""
    return Outcome(app_reads.replies_waiting(clinic))


@dataclass(frozen=True)
class WindowFacts:
    team: list[Staff]  # the team list and the physician filter
    demo: bool  # the demo clinic: replies are never sent there
    replies_waiting: int


def window_facts(clinic: Clinic) -> Outcome:
    """What the main window shows beside the board, read once when it opens."""
    return Outcome(
        WindowFacts(
            app_reads.team(clinic), app_reads.is_demo(clinic), app_reads.replies_waiting(clinic)
        )
    )


def demo_users(clinic: Clinic) -> Outcome:
    """The demo's user names for its sign-in screen; none for a real clinic."""
    return Outcome(app_reads.demo_usernames(clinic))
