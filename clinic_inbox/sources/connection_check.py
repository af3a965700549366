""" "Test connection" for an account being set up: sign in once and say in plain
words what happened. No Qt; the app runs it on a worker, never on the GUI thread."""

from __future__ import annotations

import smtplib
import ssl
from typing import TYPE_CHECKING

from clinic_inbox.core.accounts import FhirAccount, ImapAccount
from clinic_inbox.sources.errors import AuthFailedError, SourceError, explain
from clinic_inbox.sources.imap import ImapConnection, tls_context

if TYPE_CHECKING:
    from clinic_inbox.core.home import Clinic

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


def check_fhir(account: FhirAccount, token: str | None) -> str:
    """One small search on the portal: the address, the certificate and the token."""
    from clinic_inbox.sources.fhir_client import FhirClient

    with FhirClient(account.base_url, token, account.ca_file) as client:
        client.get_json(client.url("Patient"), {"_count": "1", "_summary": "count"})
    return f"The portal at {account.base_url} answers and accepts the clinic's token."


def check_stored(clinic: Clinic, name: str) -> list[tuple[bool, str]]:
    """Test an account already kept, with its secret sealed in the store. On a
    worker: it opens its own connection to the store."""
    from clinic_inbox.core.accounts import fhir_accounts, imap_accounts

    worker = clinic.clone()
    try:
        imap = next((a for a in imap_accounts(worker.store) if a.name == name), None)
        fhir = next((a for a in fhir_accounts(worker.store) if a.name == name), None)
        secret = worker.credentials.get(name) if worker.credentials else None
    except Exception as exc:  # noqa: BLE001 - the store's own plain message
        return [(False, str(exc))]
    finally:
        worker.store.close()
    if imap is not None:
        return check_account(imap, secret or "")
    if fhir is not None:
        try:
            return [(True, check_fhir(fhir, secret))]
        except SourceError as exc:
            return [(False, str(exc))]
    return [(False, f"There is no account named {name!r}.")]
