"""Delivery status notifications (RFC 3464) as a receiving mail server writes them,
for the bounce tests: built from the message the SMTP server actually took."""

from __future__ import annotations

import email.utils
import uuid
from email import message_from_bytes
from email.policy import compat32


def make_dsn(
    original: bytes,
    final_recipient: str,
    *,
    to: str,
    action: str = "failed",
    status: str = "5.1.1",
    diagnostic: str = "smtp; 550 5.1.1 Recipient address rejected: User unknown",
    mta: str = "mx.patients.example",
    headers_only: bool = True,
) -> bytes:
    orig = message_from_bytes(original, policy=compat32)
    head = "".join(f"{k}: {v}\r\n" for k, v in orig.items())
    if headers_only:
        returned = f"Content-Type: text/rfc822-headers\r\n\r\n{head}"
    else:
        body = original.decode("utf-8", "replace")
        returned = f"Content-Type: message/rfc822\r\n\r\n{body}"
    boundary = uuid.uuid4().hex
    text = f"""From: MAILER-DAEMON@{mta} (Mail Delivery System)
To: {to}
Subject: Undelivered Mail Returned to Sender
Date: {email.utils.formatdate()}
Message-ID: <{uuid.uuid4().hex}@{mta}>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"

--{boundary}
Content-Type: text/plain; charset=us-ascii

This is the mail system at host {mta}.
I'm sorry to have to inform you that your message could not be delivered.

--{boundary}
Content-Type: message/delivery-status

Reporting-MTA: dns; {mta}
Arrival-Date: {email.utils.formatdate()}

Final-Recipient: rfc822; {final_recipient}
Original-Recipient: rfc822;{final_recipient}
Action: {action}
Status: {status}
Diagnostic-Code: {diagnostic}

--{boundary}
{returned}
--{boundary}--
"""
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
