"""The everyday shape of email, read without the stdlib parser's cost, to the same result.

The stdlib parser (`BytesParser` with `policy.default`) is most of an initial sync's
time: it builds a header object for every header line, and parsing an address costs
about 0.4 ms. Most patient mail has one shape: an ASCII header, text, maybe an HTML
alternative and a few attachments in base64. For that shape this module splits the
lines itself, following the stdlib's feedparser rule for rule, and hands the parts to
the walk in mime.py as compat32 `Message` objects, whose decoding (quopri, base64,
parameters, file names) is the stdlib's own code. Header values that are not plain
text (encoded words, comments, quoting) still go through the stdlib's header registry,
as they would with the stdlib parser.

Anything outside that shape (non-ASCII or malformed header lines, message/*, digests,
boundaries missing or doubled, unknown charsets, deep nesting, addresses beyond the
common forms) makes `read` return None and the stdlib parser reads the message:
nothing the hostile-mail tests hold depends on this module. tests/unit/test_mime_lean.py
checks the two give the same result on CPython's email test messages, the hostile
corpus and generated everyday mail. `CLINIC_INBOX_MIME=stdlib` turns it off (the
benchmark's comparison row).
"""

from __future__ import annotations

import codecs
import os
import re
from email import _encoded_words as ew
from email.message import Message
from email.utils import parsedate_to_datetime

from clinic_inbox.core.mail_policy import READING
from clinic_inbox.sources import mime

ENABLED = os.environ.get("CLINIC_INBOX_MIME", "") != "stdlib"

MAX_PARTS = 100  # more (or deeper) is rare and goes to the stdlib parser
MAX_DEPTH = 6
_EOLS = (b"\r\n", b"\n", b"\r")
# the headers the walk reads on every part, and the top-level ones mime.py reads
_PART_NAMES = ("content-type", "content-disposition", "content-transfer-encoding", "content-id")
_TOP_NAMES = (
    *("Subject", "Message-ID", "In-Reply-To", "References", "Auto-Submitted", "Precedence"),
    *("List-Id", "List-Unsubscribe", "X-Autoreply", "X-Autorespond", "X-Auto-Reply"),
    "Return-Path",
)
_MULTIPARTS = ("multipart/mixed", "multipart/alternative", "multipart/related")
_LEAF_CTES = ("", "7bit", "8bit", "binary", "base64", "quoted-printable")
_NAME = re.compile(rb"[\x21-\x39\x3b-\x7e]+:")  # a header name and its colon (feedparser)
# Values the stdlib reads the same from the raw text as from the header registry's
# object (tests/unit/test_mime_lean.py): printable ASCII without encoded words; for the
# MIME headers, a type and parameters in their usual form (the registry only adds quotes).
_PLAIN = re.compile(r"[\x20-\x7e\t]*")
_TOKEN = r"[A-Za-z0-9!#$%&'*+.^_`|~-]+"
_PNAME = r"[A-Za-z0-9_.-]+"  # no '*': RFC 2231 parameters are the registry's
_PVALUE = r"[A-Za-z0-9!#$&+.^_`|~-]+"  # nor "'", '%' or '*' in a bare value
_MIME_PLAIN = re.compile(
    rf"{_TOKEN}(?:/{_TOKEN})?(?:[ \t]*;[ \t]*{_PNAME}=(?:{_PVALUE}|\"[^\"\\\x00-\x1f\x7f-\uffff]+\"))*"
)
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_MSGID_PLAIN = re.compile(rf"[ \t]*<{_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})*>")
_PARAM_NAME = re.compile(r";[ \t]*([A-Za-z0-9_.-]+)=")
_MIME_NAMES = frozenset(("content-type", "content-disposition", "content-transfer-encoding"))

# The common forms of an address header, each read to what the registry reads.
_ATEXT = _ATOM
_ADDR = rf"{_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
_EW = r"=\?[A-Za-z0-9_-]+\?[bBqQ]\?[!->@-~]+\?="  # one encoded word, no spaces or '?'
_WORD = rf"(?:{_EW}|[A-Za-z0-9!#$%&'*+/^_`{{|}}~-]+)"  # no '=' or '?' outside a word
_MAILBOX = re.compile(
    rf"\s*(?:(?P<addr>{_ADDR})|(?P<phrase>{_WORD}(?:[ \t]+{_WORD})*)?[ \t]*<(?P<angle>{_ADDR})>"
    rf'|"(?P<quoted>[^"\\\r\n]*)"[ \t]*<(?P<qangle>{_ADDR})>)\s*'
)
_EW_TOKEN = re.compile(_EW)


class Decline(Exception):
    """Not the everyday shape: the stdlib parser reads this message."""


def _is_plain(name: str, value: str) -> bool:
    """`name` in lower case."""
    if "=?" in value:
        return False
    if name in _MIME_NAMES:
        if _MIME_PLAIN.fullmatch(value) is None:
            return False
        names = [n.lower() for n in _PARAM_NAME.findall(value)]
        return len(names) == len(set(names))  # the registry keeps one of each
    if name == "message-id":
        return _MSGID_PLAIN.fullmatch(value) is not None
    return _PLAIN.fullmatch(value) is not None


_ABSENT = object()  # a header the part does not have
_NOT_KEPT = object()  # a value read through the registry each time (not kept)


class LeanPart(Message):
    """A compat32 Message whose header reads give what `policy.default` gives: the same
    text for plain values, the registry's header object for anything else.

    The walk reads the same few headers and parameters of a part several times (its
    type, charset, file name, disposition: ~18 header reads and ~4 parameter parses a
    message). A part's header never changes once read (nothing here sets one), so the
    plain values and the parsed parameters are kept on the part after their first read."""

    def __init__(self) -> None:
        super().__init__()
        self._values: dict[str, object] = {}  # name in lower case -> plain value or marker
        self._params: dict[str, object] = {}  # header in lower case -> its parameters

    def get(self, name: str, failobj: object = None) -> object:  # type: ignore[override]
        key = name.lower()
        kept = self._values.get(key)
        if kept is None:
            value = super().get(name, _ABSENT)
            if value is _ABSENT:
                kept = _ABSENT
            elif isinstance(value, str) and _is_plain(key, value):
                kept = value
            else:
                kept = _NOT_KEPT
            self._values[key] = kept
        if kept is _ABSENT:
            return failobj
        if kept is not _NOT_KEPT:
            return kept
        value = super().get(name, failobj)
        if not isinstance(value, str) or _is_plain(key, value):
            return value
        return READING.header_fetch_parse(name, value)

    def _get_params_preserve(self, failobj: object, header: str) -> object:
        """Message's own parse of a header's parameters, once per header; a copy of the
        list each time (get_params may hand it to its caller)."""
        key = header.lower()
        params = self._params.get(key)
        if params is None:
            params = super()._get_params_preserve(_ABSENT, header)  # type: ignore[misc]
            self._params[key] = params
        return failobj if params is _ABSENT else list(params)  # type: ignore[call-overload]

    def get_all(self, name: str, failobj: object = None) -> object:  # type: ignore[override]
        values = super().get_all(name, failobj)
        if not isinstance(values, list):
            return values
        key = name.lower()
        return [v if _is_plain(key, v) else READING.header_fetch_parse(name, v) for v in values]

    def get_content(self) -> str:
        # what policy.default's raw_data_manager does for text
        payload = self.get_payload(decode=True)
        return payload.decode(self.get_param("charset", "ASCII"), errors="replace")


# -- lines and headers ---------------------------------------------------------------------
def _header(lines: list[bytes], i: int, end: int) -> tuple[list[tuple[str, str]], int]:
    """The header lines from `i`: (name, value) as policy.default reads them, and the
    index of the first body line. Declines whatever the feedparser would note a defect in."""
    headers: list[tuple[str, str]] = []
    name: str | None = None
    value: list[str] = []
    while i < end:
        line = lines[i]
        if line in _EOLS:
            i += 1
            break
        if not line.isascii():
            raise Decline
        if line[:1] in (b" ", b"\t"):
            if name is None:
                raise Decline  # the first header line is a continuation
            value.append(line.decode("ascii"))
        else:
            m = _NAME.match(line)
            if m is None:
                raise Decline  # no header-body separator, or a "From " line
            if name is not None:
                headers.append((name, _unfold(value)))
            name = line[: m.end() - 1].decode("ascii")
            value = [line[m.end() :].decode("ascii").lstrip(" \t")]
        i += 1
    if name is not None:
        headers.append((name, _unfold(value)))
    return headers, i


def _unfold(value: list[str]) -> str:
    text = "".join(value).rstrip("\r\n")
    return text.replace("\r", "").replace("\n", "") if "\r" in text or "\n" in text else text


def _strip_eol(data: bytes) -> bytes:
    for eol in _EOLS:
        if data.endswith(eol):
            return data[: -len(eol)]
    return data


def _boundary_line(line: bytes, sep: bytes) -> int:
    """0: not a boundary; 1: a part boundary; 2: the closing one (feedparser's regex)."""
    if not line.startswith(sep):
        return 0
    rest = line[len(sep) :]
    close = rest.startswith(b"--")
    if close:
        rest = rest[2:]
    if rest.lstrip(b" \t") not in (b"", *_EOLS):
        return 0  # "--" may also match nothing, but then "-" is no blank: no match either
    return 2 if close else 1


class _Count:
    parts = 0


def _part(
    lines: list[bytes], start: int, end: int, depth: int, count: _Count, top: bool
) -> LeanPart:
    count.parts += 1
    if depth > MAX_DEPTH or count.parts > MAX_PARTS:
        raise Decline
    headers, body = _header(lines, start, end)
    for name, value in headers:
        key = name.lower()
        if key in _PART_NAMES and not _is_plain(key, value):
            _registry_text(name, value)  # one the registry refuses: the stdlib's to report
    part = LeanPart()
    part._headers = headers  # noqa: SLF001 - set as the parser's set_raw would
    ctype = part.get_content_type()
    maintype = ctype.split("/", 1)[0]
    if maintype == "message":
        raise Decline
    if maintype != "multipart":
        cte = part.get("content-transfer-encoding", "")
        if not isinstance(cte, str) or str(cte).lower() not in _LEAF_CTES:
            raise Decline
        if ctype.startswith("text/"):
            charset = part.get_param("charset", "ASCII")
            if not isinstance(charset, str):
                raise Decline
            try:
                codecs.lookup(charset)
            except LookupError:
                raise Decline from None
        payload = b"".join(lines[body:end])
        if not top:  # the line break before a boundary belongs to the boundary
            payload = _strip_eol(payload)
        part._payload = payload.decode("ascii", "surrogateescape")  # noqa: SLF001
        return part
    if ctype not in _MULTIPARTS:
        raise Decline
    if str(part.get("content-transfer-encoding", "8bit")).lower() not in ("7bit", "8bit", "binary"):
        raise Decline
    boundary = part.get_boundary()
    if not boundary or not boundary.isascii():
        raise Decline
    sep = b"--" + boundary.encode("ascii")
    children: list[LeanPart] = []
    open_at: int | None = None  # first line of the part being read
    closed = False
    previous_was_boundary = False
    for i in range(body, end):
        kind = _boundary_line(lines[i], sep)
        if kind == 0:
            previous_was_boundary = False
            continue
        if previous_was_boundary:
            raise Decline  # doubled boundaries: the feedparser swallows them
        if open_at is not None:
            children.append(_part(lines, open_at, i, depth + 1, count, False))
        if kind == 2:
            closed = True
            break
        open_at, previous_was_boundary = i + 1, True
    if not closed or not children:
        raise Decline  # no start or no closing boundary: the stdlib notes a defect
    part._payload = children  # noqa: SLF001
    return part


# -- the top-level header ------------------------------------------------------------------
def _first(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Each name's first value, as `Message.get` finds it."""
    first: dict[str, str] = {}
    for k, v in headers:
        first.setdefault(k.lower(), v)
    return first


def _registry_text(name: str, value: str) -> str:
    try:
        return str(READING.header_fetch_parse(name, value))
    except Exception:  # noqa: BLE001 - the stdlib's reader has the fallback and its words
        raise Decline from None


def _phrase(text: str) -> str:
    """An address's display name of words and encoded words, decoded as the registry
    decodes it (the blanks between words are made one by mime.py's clean-up)."""
    out: list[str] = []
    for token in text.split():
        if _EW_TOKEN.fullmatch(token) is not None:
            try:
                token, _charset, _lang, defects = ew.decode(token)
            except Exception:  # noqa: BLE001
                raise Decline from None
            if defects or any(c in token for c in "\r\n"):
                raise Decline
        out.append(token)
    return " ".join(out)


def _mailbox(value: str) -> tuple[str, str]:
    """(display name, address) of a header holding one mailbox in a common form."""
    m = _MAILBOX.fullmatch(value)
    if m is None:
        raise Decline
    if m["addr"]:
        return "", m["addr"]
    if m["qangle"]:
        return m["quoted"], m["qangle"]
    return _phrase(m["phrase"] or ""), m["angle"]


def _address_list(value: str) -> list[str]:
    """The addresses of a To or Cc in common forms (no commas inside quotes)."""
    if '"' in value and value.count('"') % 2:
        raise Decline
    items = [x for x in value.split(",")]
    if any('"' in x and x.count('"') != 2 for x in items):
        raise Decline
    return [addr for x in items if x.strip() for _, addr in [_mailbox(x)]][:100]


def read(raw: bytes) -> mime.HeadRead | None:
    """The message read to what the stdlib parser gives, or None: not the everyday shape."""
    try:
        return _read(raw)
    except (Decline, RecursionError):
        return None


def _read(raw: bytes) -> mime.HeadRead:
    lines = raw.splitlines(keepends=True)  # \r\n, \r and \n, as the feedparser splits
    msg = _part(lines, 0, len(lines), 0, _Count(), True)
    first = _first(msg._headers)  # noqa: SLF001
    problems: list[str] = []

    def header(name: str) -> str:
        value = first.get(name.lower())
        if value is None:
            return ""
        return value if _is_plain(name.lower(), value) else _registry_text(name, value)

    sender_name, sender_address = None, ""
    sender = first.get("from")
    if sender is not None:
        display, address = _mailbox(sender)
        sender_address, sender_name = address.lower(), display or None
    sender_address = mime.checked_sender(sender_address, problems)

    def addresses(name: str) -> list[str]:
        value = first.get(name.lower())
        return [] if value is None else _address_list(value)

    for name in ("To", "Cc", "Reply-To"):
        addresses(name)  # declines here, not later, when one is not in a common form
    date = None
    when = first.get("date")
    if when:
        try:
            date = parsedate_to_datetime(when)
        except ValueError:
            date = None
        except Exception:  # noqa: BLE001 - the stdlib's reader has the fallback
            raise Decline from None
    for name in _TOP_NAMES:
        header(name)  # a damaged one is the stdlib reader's to report
    return mime.HeadRead(
        msg, header, addresses, sender_address, sender_name, mime.utc_date(date), problems
    )
