"""After a conversation is filed to the chart, move its emails on the server to the
account's "Filed" folder, if the clinic enabled that. Off by default: the server
is otherwise left exactly as it was."""

from __future__ import annotations

from clinic_inbox.core import accounts as acc
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.store import export_queries as eq
from clinic_inbox.sources.errors import SourceError
from clinic_inbox.sources.imap import TIMEOUT as IMAP_TIMEOUT
from clinic_inbox.sources.imap import ImapConnection

# how long the move waits for a silent server (it runs apart from every other action;
# read at each call, so a test can shorten it)
TIMEOUT = IMAP_TIMEOUT


def move_filed(clinic: Clinic, thread_id: int) -> tuple[int, list[str]]:
    """(messages moved, plain problems). Never raises for a network problem."""
    rows = eq.filed_email_locations(clinic.store, thread_id)
    moved, problems = 0, []
    for account in acc.imap_accounts(clinic.store):
        if not account.filed_folder:
            continue
        mine = [r for r in rows if r[0] == account.id and r[1] == account.mailbox]
        if not mine:
            continue
        try:
            password = clinic.credentials.get(account.name) if clinic.credentials else ""
            with ImapConnection(account, password, timeout=TIMEOUT) as conn:
                state = conn.select(account.mailbox)
                uids = [int(r[3]) for r in mine if r[2] == state.uidvalidity]
                conn.move(uids, account.filed_folder)
                moved += len(uids)
        except (SourceError, Exception) as exc:  # noqa: BLE001 - filing already succeeded
            problems.append(f"{account.name}: the emails stay in {account.mailbox} ({exc}).")
    return moved, problems
