"""Reading an email safely: the stdlib `email` parser with `policy.default`,
walked by hand with limits, HTML sanitised with nh3, attachments sniffed.

One bad header or part never loses the rest: each is read on its own, with a
fallback, and what was dropped or repaired is said in `problems`, in words a
receptionist understands. Only a message that yields nothing useful raises
UnparseableEmail, whose text is the plain reason shown in "needs review".
Nothing is ever written to disk here.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from html.parser import HTMLParser

import nh3

from clinic_inbox.core import mail_policy
from clinic_inbox.sources import mime_lean

MB = 1024 * 1024


READING = mail_policy.READING


@dataclass(frozen=True)
class Limits:
    max_message_bytes: int = 60 * MB
    max_attachment_bytes: int = 25 * MB
    max_parts: int = 500
    max_depth: int = 20
    max_header_bytes: int = 256 * 1024


DEFAULT_LIMITS = Limits()


class UnparseableEmail(Exception):
    """Nothing useful could be read; str() is the plain reason."""


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    declared_type: str
    content_id: str | None
    data: bytes
    inline: bool


@dataclass
class ParsedEmail:
    message_id: str | None
    in_reply_to: str | None
    references: list[str]
    subject: str
    sender_address: str
    sender_name: str | None
    reply_to: str | None
    to: list[str]
    cc: list[str]
    date: datetime | None
    body_text: str
    body_html: str | None
    attachments: list[ParsedAttachment] = field(default_factory=list)
    auto_submitted: bool = False
    problems: list[str] = field(default_factory=list)
    content_hash: str = ""
    # The Authentication-Results values as the sender check reads them, when the lean
    # reader read the header (its lines are the feedparser's): the check then need not
    # parse the header again. None: the check reads them itself. Not part of equality:
    # the stdlib path leaves it None, and the message read is the same.
    auth_results: list[str] | None = field(default=None, compare=False)


# -- text that reaches the screen -----------------------------------------------------
# C0 controls other than tab and line breaks, and the bidirectional overrides that can
# make "gnp.exe" read as "exe.png": removed from everything a person will read.
_UNSAFE_CHARS = dict.fromkeys(
    [c for c in range(32) if c not in (9, 10, 13)]
    + [0x7F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)


def clean_text(text: str) -> str:
    return text.translate(_UNSAFE_CHARS)


# -- headers --------------------------------------------------------------------------
def _clean_line(text: str, limit: int = 998) -> str:
    return " ".join(clean_text(text).split())[:limit]


def _header(msg: Message, name: str, problems: list[str]) -> str:
    """A header's decoded text, or '' ; never raises."""
    try:
        value = msg.get(name)
        return "" if value is None else str(value)
    except Exception:  # noqa: BLE001 - malformed headers raise from the policy's parser
        pass
    try:
        raw = msg.get_all(name) or []
        value = raw[0] if raw else ""
        if hasattr(value, "_parse_tree"):
            value = str(value)
        return str(make_header(decode_header(str(value))))
    except Exception:  # noqa: BLE001
        problems.append(f"The {name} line was damaged and could not be fully read.")
        try:
            return str((msg.get_all(name) or [""])[0]).encode("ascii", "replace").decode()
        except Exception:  # noqa: BLE001
            return ""


_MSGID = re.compile(r"<[^<>\s]{1,500}>")


def _ids(text: str) -> list[str]:
    return _MSGID.findall(text or "")[:100]


_AUTO_LOCALS = (
    "mailer-daemon",
    "postmaster",
    "noreply",
    "no-reply",
    "donotreply",
    "do-not-reply",
    "bounce",
    "bounces",
)


def _is_auto(header: Callable[[str], str], sender: str) -> bool:
    auto = header("Auto-Submitted").strip().lower()
    if auto and auto != "no":
        return True
    if header("Precedence").strip().lower() in (
        "bulk",
        "junk",
        "list",
        "auto_reply",
    ):
        return True
    for name in ("List-Id", "List-Unsubscribe", "X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if header(name).strip():
            return True
    if header("Return-Path").strip() == "<>":
        return True
    local = sender.split("@", 1)[0]
    return any(local.startswith(x) for x in _AUTO_LOCALS)


# -- HTML -------------------------------------------------------------------------------
_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "div",
    "em",
    "font",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
_ATTRS = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "*": {"dir", "lang"},
}


def _filter_attribute(tag: str, attr: str, value: str) -> str | None:
    v = value.strip()
    if tag == "img" and attr == "src":
        # Only images carried inside the message: a remote image is a tracking pixel.
        return v if v.lower().startswith("cid:") else None
    if tag == "a" and attr == "href":
        return v if re.match(r"(?i)^(https?:|mailto:)", v) else None
    return value


def sanitise_html(html: str) -> str:
    """Safe to show: no script, style, form, frame or handler; no remote content."""
    return nh3.clean(
        html,
        tags=_TAGS,
        clean_content_tags={
            "script",
            "style",
            "title",
            "head",
            "noscript",
            "template",
            "object",
            "iframe",
            "svg",
            "math",
        },
        attributes=_ATTRS,
        attribute_filter=_filter_attribute,
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


class _TextMaker(HTMLParser):
    BLOCK = {
        "p",
        "div",
        "br",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "table",
        "ul",
        "ol",
        "hr",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.href: str | None = None
        self.link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skip += 1
        elif tag in self.BLOCK:
            self.out.append("\n")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag == "a":
            self.href = dict(attrs).get("href")
            self.link_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skip = max(0, self.skip - 1)
        elif tag == "a" and self.href is not None:
            text = "".join(self.link_text).strip()
            if self.href and self.href not in text and not self.href.startswith("mailto:"):
                self.out.append(f" ({self.href})")
            self.href = None
        elif tag in ("p", "div", "tr", "h1", "h2", "h3", "blockquote"):
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        self.out.append(data)
        if self.href is not None:
            self.link_text.append(data)


def html_to_text(html: str) -> str:
    maker = _TextMaker()
    try:
        maker.feed(html)
        maker.close()
    except Exception:  # noqa: BLE001 - HTMLParser is lenient; belt and braces
        return html_lib.unescape(re.sub(r"<[^>]*>", " ", html))
    lines = [" ".join(line.split()) for line in "".join(maker.out).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# -- attachments -------------------------------------------------------------------------
_MAGIC = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"BM", "image/bmp"),
    (b"MZ", "application/x-msdownload"),
    (b"\x7fELF", "application/x-executable"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
    (b"Rar!", "application/vnd.rar"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"\x1f\x8b", "application/gzip"),
]


def sniff_type(data: bytes) -> str:
    """The real type from the bytes, never from what the sender claimed."""
    head = data[:64]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc"):
        return "image/heic"
    if head[:4] == b"PK\x03\x04":
        sample = data[:4000]
        if b"word/" in sample:
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        if b"xl/" in sample:
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return "application/zip"
    for magic, ctype in _MAGIC:
        if head.startswith(magic):
            return ctype
    sample = data[:2048]
    if sample and b"\x00" not in sample:
        try:
            sample.decode("utf-8")
            return "text/plain"
        except UnicodeDecodeError:
            if sum(32 <= b < 127 or b in (9, 10, 13) for b in sample) / len(sample) > 0.95:
                return "text/plain"
    return "application/octet-stream"


_EXT = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/tiff": ".tif",
    "text/plain": ".txt",
    "image/heic": ".heic",
}


def safe_filename(name: str | None, index: int, content_type: str) -> str:
    """No folders, no control characters, no hidden or empty names, at most 120 characters."""
    text = unicodedata.normalize("NFC", name or "")
    text = text.replace("\\", "/").split("/")[-1]
    text = "".join(ch for ch in text if ch.isprintable() and ch not in '<>:"|?*')
    text = text.strip().lstrip(". ")
    if not text:
        return f"attachment-{index}{_EXT.get(content_type, '.bin')}"
    if len(text) > 120:
        stem, dot, ext = text.rpartition(".")
        ext = ext[:10] if dot else ""
        text = (stem if dot else text)[: 120 - len(ext) - 1] + (f".{ext}" if ext else "")
    return text


# -- bodies ------------------------------------------------------------------------------
def _decode_text(part: Message, problems: list[str]) -> str:
    try:
        content = part.get_content()
        if isinstance(content, str):
            return content
    except Exception:  # noqa: BLE001 - unknown charsets and broken encodings
        pass
    try:
        raw = part.get_payload(decode=True) or b""
    except Exception:  # noqa: BLE001
        raw = str(part.get_payload()).encode("utf-8", "replace")
    charset = (part.get_content_charset() or "utf-8").lower()
    for cs in (charset, "utf-8", "cp1252"):
        try:
            return raw.decode(cs)
        except (LookupError, UnicodeDecodeError):
            continue
    problems.append("Some text used an unknown character set; unreadable characters were replaced.")
    return raw.decode("latin-1", "replace")


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        data = None
    if data is None:
        payload = part.get_payload()
        data = payload.encode("utf-8", "replace") if isinstance(payload, str) else b""
    return data


def _mb(n: int) -> str:
    return f"{n / MB:.1f} MB"


@dataclass
class HeadRead:
    """What one reader (the stdlib's, or the lean one in mime_lean.py) made of a
    message: its part tree, for the walk, and the top-level header, read exactly
    as the stdlib reads it."""

    msg: Message
    header: Callable[[str], str]  # a header's decoded text, '' when absent
    addresses: Callable[[str], list[str]]  # the addresses of To, Cc, Reply-To
    sender_address: str
    sender_name: str | None
    date: datetime | None
    problems: list[str]


def checked_sender(address: str, problems: list[str]) -> str:
    if any(c in address for c in "\r\n\x00 ,;<>") or address.count("@") > 1:
        problems.append("The sender's address is malformed; no automatic reply will be sent.")
        return ""
    return address


def utc_date(date: datetime | None) -> datetime | None:
    if date is not None and date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    return date.astimezone(UTC) if date is not None else None


def _check_size(raw: bytes, limits: Limits) -> None:
    if len(raw) > limits.max_message_bytes:
        raise UnparseableEmail(
            f"This message is {_mb(len(raw))}, larger than the {_mb(limits.max_message_bytes)} limit. "
            "The original is kept, encrypted, for review."
        )
    if not raw.strip():
        raise UnparseableEmail("The message was empty.")


def parse_email(raw: bytes, limits: Limits = DEFAULT_LIMITS) -> ParsedEmail:
    """The lean reader for the everyday shape of mail, the stdlib for everything else
    (the two give the same result where both read: tests/unit/test_mime_lean.py)."""
    _check_size(raw, limits)
    read = mime_lean.read(raw) if mime_lean.ENABLED else None
    parsed = _finish(raw, read or _read_stdlib(raw), limits)
    if read is not None:  # compat32's own reading (raw values), as the sender check's
        parsed.auth_results = [
            str(v) for v in Message.get_all(read.msg, "Authentication-Results", [])
        ]
    return parsed


def parse_email_stdlib(raw: bytes, limits: Limits = DEFAULT_LIMITS) -> ParsedEmail:
    """The stdlib parser alone: the reference the lean reader is compared with."""
    _check_size(raw, limits)
    return _finish(raw, _read_stdlib(raw), limits)


def _read_stdlib(raw: bytes) -> HeadRead:
    problems: list[str] = []
    try:
        msg = BytesParser(policy=READING).parsebytes(raw)
    except RecursionError:
        problems.append(
            "The message is nested too deeply to be read completely; only its header was read."
        )
        msg = BytesHeaderParser(policy=READING).parsebytes(raw)
    except Exception:  # noqa: BLE001
        raise UnparseableEmail("The message's structure is broken and could not be read.") from None
    for defect in getattr(msg, "defects", [])[:3]:
        problems.append(
            f"The message is not well formed ({type(defect).__name__}); it was read as well as possible."
        )

    sender_name, sender_address = None, ""
    try:
        addrs = msg["From"].addresses if msg["From"] is not None else ()
        if addrs:
            sender_address = (addrs[0].addr_spec or "").lower()
            sender_name = addrs[0].display_name or None
    except Exception:  # noqa: BLE001
        name, addr = parseaddr(_header(msg, "From", problems))
        sender_name, sender_address = (name or None), addr.lower()
    sender_address = checked_sender(sender_address, problems)

    def addresses(name: str) -> list[str]:
        try:
            return [a for _, a in getaddresses([_header(msg, name, problems)]) if a][:100]
        except Exception:  # noqa: BLE001
            return []

    date = None
    try:
        d = msg["Date"]
        date = d.datetime if d is not None and getattr(d, "datetime", None) else None
    except Exception:  # noqa: BLE001
        try:
            date = parsedate_to_datetime(_header(msg, "Date", problems))
        except Exception:  # noqa: BLE001
            date = None
    return HeadRead(
        msg,
        lambda name: _header(msg, name, problems),
        addresses,
        sender_address,
        sender_name,
        utc_date(date),
        problems,
    )


def _finish(raw: bytes, read: HeadRead, limits: Limits) -> ParsedEmail:
    msg, problems, sender_address = read.msg, read.problems, read.sender_address
    texts: list[str] = []
    htmls: list[str] = []
    atts: list[ParsedAttachment] = []
    count = 0
    stack: list[tuple[Message, int, bool]] = [(msg, 0, False)]
    capped = deep = False
    while stack:
        part, depth, forwarded = stack.pop()
        count += 1
        if count > limits.max_parts:
            capped = True
            break
        try:
            ctype = part.get_content_type()
        except Exception:  # noqa: BLE001
            ctype = "application/octet-stream"
        if part.is_multipart():
            if depth >= limits.max_depth:
                deep = True
                continue
            try:
                children = part.get_payload()
            except Exception:  # noqa: BLE001
                children = []
            if not isinstance(children, list):
                children = []
            is_forward = ctype == "message/rfc822"
            for child in reversed(children):
                if isinstance(child, Message):
                    stack.append((child, depth + 1, forwarded or is_forward))
            continue
        try:
            disposition = (part.get_content_disposition() or "").lower()
        except Exception:  # noqa: BLE001
            disposition = ""
        try:
            declared_name = part.get_filename()
        except Exception:  # noqa: BLE001
            declared_name = None
        if (
            ctype in ("text/plain", "text/html")
            and disposition != "attachment"
            and not declared_name
        ):
            text = _decode_text(part, problems)
            if ctype == "text/plain":
                texts.append(
                    ("\n---------- Forwarded message ----------\n" + text) if forwarded else text
                )
            else:
                htmls.append(text)
            continue
        data = _payload_bytes(part)
        if len(data) > limits.max_attachment_bytes:
            problems.append(
                f"The attachment {safe_filename(declared_name, len(atts) + 1, ctype)!r} ({_mb(len(data))}) "
                f"is larger than the {_mb(limits.max_attachment_bytes)} limit and was not stored; it is "
                "still on the mail server."
            )
            continue
        if not data:
            continue
        sniffed = sniff_type(data)
        cid = _header(part, "Content-ID", problems).strip().strip("<>") or None
        atts.append(
            ParsedAttachment(
                filename=safe_filename(declared_name, len(atts) + 1, sniffed),
                content_type=sniffed,
                declared_type=ctype,
                content_id=cid,
                data=data,
                inline=bool(cid) and sniffed.startswith("image/"),
            )
        )
    if capped:
        problems.append(
            f"The message has more than {limits.max_parts} parts; the rest were not read."
        )
    if deep:
        problems.append(f"Parts nested deeper than {limits.max_depth} levels were not read.")

    body_html = sanitise_html("\n".join(htmls)) if htmls else None
    body_text = "\n\n".join(t.strip("\n") for t in texts if t.strip())
    if not body_text and body_html:
        body_text = html_to_text(body_html)
    header, addresses, sender_name = read.header, read.addresses, read.sender_name
    subject = _clean_line(header("Subject"))
    return ParsedEmail(
        message_id=(_ids(header("Message-ID")) or [None])[0],
        in_reply_to=(_ids(header("In-Reply-To")) or [None])[0],
        references=_ids(header("References")),
        subject=subject,
        sender_address=sender_address,
        sender_name=_clean_line(sender_name, 200) if sender_name else None,
        reply_to=(addresses("Reply-To") or [None])[0],
        to=addresses("To"),
        cc=addresses("Cc"),
        date=read.date,
        body_text=clean_text(body_text),
        body_html=body_html,
        attachments=atts,
        auto_submitted=_is_auto(header, sender_address),
        problems=list(dict.fromkeys(problems)),
        content_hash=hashlib.sha256(raw).hexdigest(),
    )
