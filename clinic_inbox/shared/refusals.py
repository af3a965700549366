"""The clinic server's refusals, said in plain words on the workstation.

A check on the server (a function's own rule, a trigger or row-level check a clinic's
server adds: a turned-off account, a revoked delegation, a permission taken away)
may reject one of this workstation's changes. Before, only PostgreSQL's log said
why: the push failed as a whole, the app said the connection was lost, and every
later change waited behind the refused one for good. Now the refused change is taken
off the queue and shown to its author (and to the administrators) on the conflict
screen, in a receptionist's words: what was refused, and why, with what the clinic's
queue shows instead. Nothing of the server's message is logged or kept but a short
reason code (no patient data is ever in it: the server holds none unsealed).
"""

from __future__ import annotations

from typing import Any

import psycopg

from clinic_inbox.core import audit
from clinic_inbox.shared import SharedQueueError

# who the card of a refused change names (in place of the person whose change was kept)
REFUSED = "(refused by the clinic's server) "

# a connection or server fault, not a refusal: retried, the change waits here
_NOT_REFUSALS = ("08", "53", "57", "58", "XX", "40")
# the server's refusals: insufficient privilege, an integrity or check rule, a rule
# raised by a function or trigger (RAISE EXCEPTION), a row-level security policy
_REFUSALS = ("42501", "P0001", "23")

WORDS = {
    "disabled": "the account of {who} is turned off on the clinic's server",
    "delegation": "the delegation that allowed {who} to do this was revoked",
    "permission": "the clinic's server does not allow {who} to make this change",
    "check": "the clinic's server's checks did not accept this change by {who}",
    "other": "the clinic's server refused this change by {who}",
}


# what caller_workstation (server schema 14, 16) says when a call names a workstation
# that is not the one the login belongs to
_OTHERS_NAME = ("may not act as workstation", "is the login of workstation")


def is_not_this_workstation(exc: BaseException) -> bool:
    """The server refused a call because the login this computer connects with does not
    belong to the workstation it named (server schema 14, 16). Not a refusal of the
    change itself: nothing of it was recorded, and it stays queued here until the login
    is put right."""
    if not isinstance(exc, psycopg.Error) or exc.sqlstate != "42501":
        return False
    diag = getattr(exc, "diag", None)
    said = str(getattr(diag, "message_primary", None) or exc)
    return any(words in said for words in _OTHERS_NAME)


def not_this_workstation(server: str) -> str:
    """The notice line for that refusal, in a receptionist's words (no login name, no
    password, no workstation id)."""
    return (
        f"The shared server{' ' + server if server else ''} refused this computer: the login it connects with "
        "does not belong to this workstation there. Nothing was lost: changes made here "
        "wait on this computer and go out once this is put right. Tell your administrator "
        "(the workstation may need to be connected again)."
    )


class NotThisWorkstation(SharedQueueError):
    """is_not_this_workstation, said in words (see not_this_workstation)."""


def is_refusal(exc: BaseException) -> bool:
    """The server looked at the change and said no (not a lost connection, not the
    retired-key refusal, which key_rotation.refusal_said handles, and not a call refused
    for naming another workstation: that one is this computer's login's problem, not
    the change's, and the change stays queued)."""
    if not isinstance(exc, psycopg.Error) or isinstance(exc, psycopg.OperationalError):
        return False
    if is_not_this_workstation(exc):
        return False
    state = exc.sqlstate or ""
    if not state or state.startswith(_NOT_REFUSALS) or state == "CI003":
        return False
    return state.startswith(_REFUSALS)


def reason(exc: psycopg.Error) -> str:
    """A short code for why (one of WORDS), from the refusal's SQLSTATE and message."""
    diag = getattr(exc, "diag", None)
    said = " ".join(
        str(x or "")
        for x in (
            getattr(diag, "message_primary", None),
            getattr(diag, "message_hint", None),
        )
    ).casefold()
    if any(w in said for w in ("disabled", "turned off", "inactive", "not active")):
        return "disabled"
    if "delegation" in said and "revoked" in said:
        return "delegation"
    state = exc.sqlstate or ""
    if state == "42501" or "row-level security" in said or "permission" in said:
        return "permission"
    if state.startswith("23"):
        return "check"
    return "other"


def marker(code: str) -> str:
    """How a refused change's card records why (in shared_conflicts.their_by)."""
    return f"{REFUSED}{code}"


def code_of(their_by: str | None) -> str | None:
    """The reason code of a refused change's card; None for a conflict."""
    if their_by and their_by.startswith(REFUSED):
        code = their_by[len(REFUSED) :]
        return code if code in WORDS else "other"
    return None


def words(code: str, who: str) -> str:
    return WORDS.get(code, WORDS["other"]).format(who=who)


def sentence(exc: BaseException, server: str) -> str:
    """For the sync's notice line when a refusal stops something as a whole."""
    code = reason(exc) if isinstance(exc, psycopg.Error) else "other"
    why = words(code, "this computer's user")
    return (
        f"The shared server {server} refused a change from this computer: {why}. The "
        "change was not applied; nothing else on this computer changed. Tell your "
        "administrator if this seems wrong."
    )


def audit_refused(
    clinic: Any,  # core.home.Clinic
    server: str,
    exc: psycopg.Error,
    code: str,
    field: str,
    actor_id: int | None,
    **where: int,
) -> None:
    """The audit entry of a change the server refused (inside the caller's transaction):
    what, whose, a reason code and the SQLSTATE, never the server's message. `where`
    names the conversation (thread_id) or the patient (patient_id)."""
    audit.append(
        clinic.store,
        clinic.audit_key,
        None,
        "system",
        "shared.refused",
        **where,
        detail={
            "field": field,
            "by": actor_id,
            "reason": code,
            "sqlstate": exc.sqlstate,
            "server": server,
        },
    )
