"""Building outgoing email: well-formed, injection-proof, identified before it is sent."""

from __future__ import annotations

import email.utils
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

from clinic_inbox.core.config import ClinicConfig
from clinic_inbox.core.mail_policy import SENDING
from clinic_inbox.core.resources import resource_path


class HeaderInjectionError(ValueError):
    """A header value carried a line break: refused rather than repaired."""


def check_header(name: str, value: str) -> str:
    if any(ch in value for ch in ("\r", "\n", "\x00")):
        raise HeaderInjectionError(
            f"The {name} contains a line break, which could be used to forge extra headers; "
            "nothing was sent."
        )
    return value


def new_message_id(domain: str) -> str:
    """Generated before sending, so that a retry can be recognised in the Sent folder."""
    domain = check_header("domain", domain or "clinic-inbox.invalid")
    return f"<{uuid.uuid4().hex}.{int(time.time())}@{domain}>"


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[-1] if "@" in address else "clinic-inbox.invalid"


def build_email(
    *,
    from_address: str,
    from_name: str,
    to_address: str,
    subject: str,
    body: str,
    message_id: str,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    auto_submitted: bool = False,
    sent_by: str | None = None,
) -> bytes:
    msg = EmailMessage(policy=SENDING)
    for name, value in (
        ("From address", from_address),
        ("From name", from_name),
        ("To address", to_address),
        ("Subject", subject),
        ("Message-ID", message_id),
    ):
        check_header(name, value)
    msg["From"] = email.utils.formataddr((from_name, from_address))
    msg["To"] = to_address
    msg["Subject"] = subject
    msg["Date"] = email.utils.formatdate(localtime=False)
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = check_header("In-Reply-To", in_reply_to)
    refs = [check_header("References", r) for r in (references or []) if r]
    if refs:
        msg["References"] = " ".join(refs[-20:])
    if auto_submitted:
        # RFC 3834: tells well-behaved responders not to answer this one.
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"
    if sent_by:
        msg["X-Clinic-Inbox-Sent-By"] = check_header("sender", sent_by)
    msg.set_content(body)
    return msg.as_bytes()


# How an automatic letter greets someone whose name the clinic does not know.
_NO_NAME = {"en": "patient", "fr": "Madame, Monsieur"}


def name_or_greeting(first_name: str | None, language: str = "en") -> str:
    return first_name or _NO_NAME.get(language, _NO_NAME["en"])


def standard_fields(
    cfg: ClinicConfig, patient_first_name: str, language: str = "en"
) -> dict[str, str]:
    """The fields every reply template may use: who is written to, and how to reach
    the clinic, in `language`."""
    return {
        "patient_first_name": patient_first_name,
        "clinic_name": cfg.name,
        "phone": cfg.phone,
        "emergency_advice": cfg.advice(language),
        "emergency_number": cfg.emergency_number,
        "crisis_line": cfg.crisis_line,
    }


def template_path(name: str, language: str = "en") -> Path:
    """resources/reply_templates/<language>/<name>.txt, or the English one (at the top
    of reply_templates) when the clinic's language has no such template."""
    if language != "en":
        found = resource_path("reply_templates", language, f"{name}.txt")
        if found.is_file():
            return found
    return resource_path("reply_templates", f"{name}.txt")


def render_template(name: str, fields: dict[str, str], language: str = "en") -> tuple[str, str]:
    """A reply template in `language` (English if it has none): (subject, body)."""
    text = template_path(name, language).read_text("utf-8")
    first, _, rest = text.partition("\n")
    subject = first.removeprefix("Subject:").strip() if first.startswith("Subject:") else ""
    body = rest if subject else text

    class _Safe(dict):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    return subject.format_map(_Safe(fields)), body.lstrip("\n").format_map(_Safe(fields))
