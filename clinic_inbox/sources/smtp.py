"""SMTP transport: one message out, over TLS unless the server is on this computer."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable

from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.sources.errors import AuthFailedError, OfflineError, ProtocolError, explain
from clinic_inbox.sources.imap import TIMEOUT, tls_context


def send(
    account: ImapAccount,
    password: str,
    raw: bytes,
    sender: str,
    recipients: list[str],
    on_accepted: Callable[[], None] | None = None,
) -> None:
    """Send one message. `on_accepted` runs the moment the server has taken it,
    before the goodbye round trip, so the crash window stays as short as it can."""
    host = account.smtp_host or account.host
    where = f"{host}:{account.smtp_port}"
    try:
        if account.smtp_security == "tls":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                host, account.smtp_port, timeout=TIMEOUT, context=tls_context(account.ca_file)
            )
        else:
            conn = smtplib.SMTP(host, account.smtp_port, timeout=TIMEOUT)
        with conn:
            conn.ehlo()
            if account.smtp_security == "starttls":
                conn.starttls(context=tls_context(account.ca_file))
                conn.ehlo()
            if conn.has_extn("auth"):
                conn.login(account.smtp_login, password)
            refused = conn.sendmail(sender, recipients, raw)
            if refused and len(refused) == len(recipients):
                raise ProtocolError(f"The sending server at {where} refused every recipient.")
            if on_accepted is not None:
                on_accepted()
    except smtplib.SMTPAuthenticationError:
        raise AuthFailedError(
            f"The sending server at {where} refused the user name or password of the account "
            f"{account.name!r}."
        ) from None
    except smtplib.SMTPRecipientsRefused:
        raise ProtocolError(
            f"The sending server at {where} refused the recipient address."
        ) from None
    except smtplib.SMTPServerDisconnected as exc:
        raise OfflineError(
            f"The sending server at {where} closed the connection ({exc})."
        ) from None
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise OfflineError(
                f"The sending server at {where} asked to try later ({exc.smtp_code})."
            ) from None
        raise ProtocolError(
            f"The sending server at {where} refused the message ({exc.smtp_code})."
        ) from None
    except (TimeoutError, OSError, ssl.SSLError, smtplib.SMTPException) as exc:
        raise explain(exc, "sending server", where) from None
