""" "Test connection" for an account being set up: sign in once and say in plain
words what happened. No Qt; the app runs it on a worker, never on the GUI thread."""

from __future__ import annotations

import smtplib
import ssl

from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.sources.errors import AuthFailedError, SourceError, explain
from clinic_inbox.sources.imap import ImapConnection, tls_context

CHECK_TIMEOUT = 15.0


def check_imap(account: ImapAccount, password: str, timeout: float = CHECK_TIMEOUT) -> str:
    """Sign in to the mailbox and close. Returns what worked; raises SourceError."""
    try:
        with ImapConnection(account, password, timeout=timeout) as conn:
            state = conn.select(account.mailbox)
    except AuthFailedError:
        raise AuthFailedError(
            f"The mail server at {account.host}:{account.port} refused the user name or "
            "password. Check both (the password is case-sensitive) and try again."
        ) from None
    return (
        f"Connected to {account.host} as {account.username}: the {account.mailbox} folder "
        f"holds {state.exists} messages."
    )


def check_smtp(account: ImapAccount, password: str, timeout: float = CHECK_TIMEOUT) -> str:
    """Sign in to the sending server and close, sending nothing."""
    host = account.smtp_host or account.host
    where = f"{host}:{account.smtp_port}"
    user = account.smtp_login
    try:
        if account.smtp_security == "tls":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                host, account.smtp_port, timeout=timeout, context=tls_context(account.ca_file)
            )
        else:
            conn = smtplib.SMTP(host, account.smtp_port, timeout=timeout)
        with conn:
            conn.ehlo()
            if account.smtp_security == "starttls":
                conn.starttls(context=tls_context(account.ca_file))
                conn.ehlo()
            if conn.has_extn("auth"):
                conn.login(account.smtp_login, password)
    except smtplib.SMTPAuthenticationError:
        raise AuthFailedError(
            f"The sending server at {where} refused the user name or password."
        ) from None
    except (TimeoutError, OSError, ssl.SSLError, smtplib.SMTPException) as exc:
        raise explain(exc, "sending server", where) from None
    return f"The sending server {host} accepts {user}."


def check_account(account: ImapAccount, password: str) -> list[tuple[bool, str]]:
    """Both halves, each with its own answer: [(worked, what it says)]."""
    out = []
    for check in (check_imap, check_smtp):
        try:
            out.append((True, check(account, password)))
        except SourceError as exc:
            out.append((False, str(exc)))
    return out
