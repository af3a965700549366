"""The lean reader (sources/mime_lean.py) gives what the stdlib parser gives, or declines.

Every message below is read both ways: where the lean reader reads it, the whole
ParsedEmail (text, HTML, attachments and their bytes, addresses, ids, date, problems)
must equal the stdlib's. It must also really read the everyday shape (else it pays
nothing), and decline what it does not know.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import sysconfig
from email.message import Message
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.hostile_mail import hostile_messages
from support.mailgen import corpus

from clinic_inbox.core.mail_policy import READING
from clinic_inbox.sources import mime, mime_lean


def _both(raw: bytes) -> tuple[object, object, bool]:
    """(stdlib result, parse_email's result, whether the lean reader read it)."""

    def run(fn):  # noqa: ANN001, ANN202
        try:
            return fn(raw)
        except mime.UnparseableEmail as exc:
            return ("unparseable", str(exc))

    return run(mime.parse_email_stdlib), run(mime.parse_email), mime_lean.read(raw) is not None


def _check(messages: list[tuple[str, bytes]]) -> int:
    lean = 0
    for name, raw in messages:
        ref, got, read = _both(raw)
        assert got == ref, name
        lean += read
    return lean


def test_cpython_email_test_messages_read_the_same_or_declined():
    folder = Path(sysconfig.get_paths()["stdlib"]) / "test" / "test_email" / "data"
    if not folder.is_dir():
        pytest.skip("CPython's email test data is not installed")
    messages = [(p.name, p.read_bytes()) for p in sorted(folder.glob("msg_*.txt"))]
    lean = _check(messages)
    print(f"\nCPython corpus: {lean} of {len(messages)} read by the lean reader")
    assert lean >= 10  # the simple ones among them really go the lean way


def test_hostile_corpus_read_the_same_or_declined():
    messages = hostile_messages(include_huge=False)
    _check(messages)
    declined = {n for n, raw in messages if mime_lean.read(raw) is None}
    # what needs the stdlib's repairs or caps is never read the lean way
    assert {
        "missing-boundary",
        "unclosed-boundary",
        "10000-parts",
        "deep-nesting",
        "8bit-headers",
        "unknown-charset",
    } <= declined


def test_everyday_corpus_is_read_the_lean_way_and_the_same():
    raw = corpus(600, seed=7)
    messages = [(f"lf-{i}", r) for i, r in enumerate(raw)]
    messages += [(f"crlf-{i}", r.replace(b"\n", b"\r\n")) for i, r in enumerate(raw)]
    assert _check(messages) == len(messages)


def _mail(headers: str, body: bytes) -> bytes:
    return headers.replace("\n", "\r\n").encode() + b"\r\n" + body


PNG = base64.encodebytes(b"\x89PNG\r\n\x1a\n" + bytes(range(64))).replace(b"\n", b"\r\n")
EVERYDAY = [
    (
        "thunderbird-flowed",
        _mail(
            "From: Zoe Lefevre <zoe@patients.example>\nTo: Clinic <inbox@clinic.example>, "
            '"Dr. Patel" <patel@clinic.example>\nCc: a@b.example\nSubject: Refill\n'
            "Date: Tue, 1 Dec 2026 09:00:00 -0500\nMessage-ID: <abc.123@patients.example>\n"
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8; format=flowed\n"
            "Content-Transfer-Encoding: 8bit\n",
            "Bonjour, j'ai besoin d'un renouvellement de mon médicament.\r\nMerci\r\n".encode(),
        ),
    ),
    (
        "outlook-qp-latin1",
        _mail(
            "From: =?iso-8859-1?Q?Jos=E9_N=FA=F1ez?= <jose@patients.example>\n"
            "To: inbox@clinic.example\nSubject: =?iso-8859-1?Q?R=E9sultats?=\n"
            "Date: Tue, 01 Dec 2026 14:00:00 +0000\nMessage-ID: <X1@mail.example>\n"
            "In-Reply-To: <a@clinic.example>\nReferences: <0@clinic.example>\n <a@clinic.example>\n"
            'Content-Type: multipart/alternative;\n\tboundary="_000_XYZ_"\n',
            b'--_000_XYZ_\r\nContent-Type: text/plain; charset="iso-8859-1"\r\n'
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\nCaf=E9 cr=E8me, une longue ligne =\r\n"
            b'coup=E9e.\r\n\r\n--_000_XYZ_\r\nContent-Type: text/html; charset="iso-8859-1"\r\n'
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n<p>Caf=E9</p><script>x</script>\r\n"
            b"--_000_XYZ_--\r\n",
        ),
    ),
    (
        "photo-and-pdf",
        _mail(
            "From: amara@patients.example\nTo: inbox@clinic.example\nSubject: forms\n"
            'Content-Type: multipart/mixed; boundary="b1"\n',
            b"preamble\r\n--b1\r\nContent-Type: multipart/related; boundary=b2\r\n\r\n--b2\r\n"
            b'Content-Type: text/html; charset="utf-8"\r\n\r\n<img src="cid:p1@x"> hi\r\n--b2\r\n'
            b"Content-Type: image/png\r\nContent-ID: <p1@x>\r\nContent-Transfer-Encoding: base64\r\n"
            b"\r\n"
            + PNG
            + b'--b2--\r\n\r\n--b1\r\nContent-Type: application/pdf; name="lab.pdf"\r\n'
            b'Content-Disposition: attachment; filename="lab.pdf"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(b"%PDF-1.4 fake").replace(b"\n", b"\r\n")
            + b"--b1--\r\nepilogue\r\n",
        ),
    ),
    (
        "unknown-charset",
        _mail("From: a@b.example\nContent-Type: text/plain; charset=x-klingon\n", b"qapla'\r\n"),
    ),
    (
        "no-close-boundary",
        _mail(
            "From: a@b.example\nContent-Type: multipart/mixed; boundary=zz\n",
            b"--zz\r\nContent-Type: text/plain\r\n\r\nhello\r\n",
        ),
    ),
    (
        "doubled-boundary",
        _mail(
            "From: a@b.example\nContent-Type: multipart/mixed; boundary=zz\n",
            b"--zz\r\n--zz\r\nContent-Type: text/plain\r\n\r\nhello\r\n--zz--\r\n",
        ),
    ),
    (
        "rfc2231-name",
        _mail(
            "From: a@b.example\nContent-Type: multipart/mixed; boundary=zz\n",
            b"--zz\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment;"
            b" filename*=UTF-8''r%C3%A9sultat.pdf\r\n\r\nabc\r\n--zz--\r\n",
        ),
    ),
    (
        "forwarded",
        _mail(
            "From: a@b.example\nContent-Type: multipart/mixed; boundary=zz\n",
            b"--zz\r\nContent-Type: text/plain\r\n\r\nsee below\r\n--zz\r\n"
            b"Content-Type: message/rfc822\r\n\r\nFrom: c@d.example\r\nSubject: old\r\n\r\nold\r\n"
            b"--zz--\r\n",
        ),
    ),
    (
        # each header's parameters are its own: the file name is the disposition's, the
        # charset the type's (the lean reader keeps each part's parameters once read)
        "csv-named-twice",
        _mail(
            "From: a@b.example\nSubject: log\nContent-Type: multipart/mixed; boundary=zz\n",
            b"--zz\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
            b"Content-Disposition: inline\r\nContent-Transfer-Encoding: quoted-printable\r\n"
            b"\r\nCaf=E9\r\n--zz\r\n"
            b'Content-Type: text/csv; charset=utf-8; name="type-name.csv"\r\n'
            b'Content-Disposition: attachment; filename="disposition-name.csv"; size=9\r\n'
            b"\r\na,b\r\n1,2\r\n--zz--\r\n",
        ),
    ),
    ("8bit-no-charset", _mail("From: a@b.example\nSubject: x\n", "é non déclaré\r\n".encode())),
    ("lone-cr", b"From: a@b.example\rSubject: x\r\rbody\r"),
    ("mbox-from", b"From someone Tue Dec  1 00:00:00 2026\nFrom: a@b.example\n\nbody\n"),
    ("group-address", _mail("From: a@b.example\nTo: team: x@y.example, z@y.example;\n", b"hi")),
    ("auto-reply", _mail("From: noreply@b.example\nAuto-Submitted: auto-replied\n", b"away")),
]


def test_everyday_variants_read_the_same():
    _check(EVERYDAY)
    read = {n for n, raw in EVERYDAY if mime_lean.read(raw) is not None}
    assert {
        *("thunderbird-flowed", "outlook-qp-latin1", "photo-and-pdf", "auto-reply"),
        "csv-named-twice",
    } <= read
    assert (
        not {
            "unknown-charset",
            "no-close-boundary",
            "doubled-boundary",
            "forwarded",
            "mbox-from",
            "group-address",
        }
        & read
    )


def test_lean_attachments_and_text_are_the_real_ones():
    p = mime.parse_email(dict(EVERYDAY)["photo-and-pdf"])
    assert [a.content_type for a in p.attachments] == ["image/png", "application/pdf"]
    assert p.attachments[0].inline and p.attachments[1].filename == "lab.pdf"
    assert "hi" in p.body_text and 'src="cid:p1@x"' in (p.body_html or "")
    named = mime.parse_email(dict(EVERYDAY)["csv-named-twice"])
    assert [a.filename for a in named.attachments] == ["disposition-name.csv"]
    assert named.body_text == "Café"


# -- the claim the lean reader rests on: a plain value reads the same raw as parsed ----------
_TOKEN = st.text("abcXYZ019-+._!#$%&'*^`|~", min_size=1, max_size=8)
_QUOTED = st.text(st.characters(min_codepoint=32, max_codepoint=126, exclude_characters='"\\'))
_PARAM = st.tuples(_TOKEN, st.one_of(_TOKEN, _QUOTED.map(lambda t: f'"{t}"')))
_SEP = st.sampled_from([";", "; ", " ;", " ; ", ";\t"])


def _mime_reading(name: str, value: object) -> tuple:
    m = Message()
    m[name] = "x"
    m._headers = [(name, value)]  # noqa: SLF001 - a str or the registry's header object
    return (
        m.get_content_type(),
        m.get_params(header=name),
        m.get_filename(),
        m.get_boundary(),
        m.get_content_disposition(),
        str(m.get(name)).lower() if name == "Content-Transfer-Encoding" else None,
    )


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(["Content-Type", "Content-Disposition", "Content-Transfer-Encoding"]),
    _TOKEN,
    st.one_of(st.none(), _TOKEN),
    st.lists(st.tuples(_SEP, _PARAM), max_size=4),
)
def test_plain_mime_values_read_the_same_raw_and_parsed(name, main, sub, params):
    value = main + (f"/{sub}" if sub else "")
    value += "".join(f"{sep}{k}={v}" for sep, (k, v) in params)
    if not mime_lean._is_plain(name.lower(), value):
        return  # goes through the registry, as with the stdlib parser
    parsed = READING.header_fetch_parse(name, value)
    assert _mime_reading(name, value) == _mime_reading(name, parsed)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["Subject", "In-Reply-To", "References", "Content-ID", "List-Id"]),
    st.text(st.characters(min_codepoint=32, max_codepoint=126) | st.just("\t"), max_size=60),
)
def test_plain_unstructured_values_are_unchanged_by_the_registry(name, value):
    if mime_lean._is_plain(name.lower(), value):
        assert str(READING.header_fetch_parse(name, value)) == value


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[ \t]{0,2}<[A-Za-z0-9.@_+=-]{0,30}>[ \t]{0,2}", fullmatch=True))
def test_plain_message_ids_are_unchanged_by_the_registry(value):
    if mime_lean._is_plain("message-id", value):
        assert str(READING.header_fetch_parse("Message-ID", value)) == value


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["Zoë", "Lefèvre", "O'Connor", "Núñez", "Wei", "the 3rd", "José"]),
        min_size=1,
        max_size=3,
    ),
    st.sampled_from(["utf-8", "iso-8859-1"]),
    st.sampled_from(["q", "b"]),
    st.booleans(),
)
def test_encoded_sender_names_read_as_the_registry_reads_them(words, charset, enc, mixed):
    from email.header import Header

    try:
        encoded = [Header(w, charset).encode() for w in words]
    except UnicodeEncodeError:
        return
    if enc == "b":
        encoded = [f"=?{charset}?b?{base64.b64encode(w.encode(charset)).decode()}?=" for w in words]
    if mixed:
        encoded.append("Smith")
    value = " ".join(encoded) + " <p@patients.example>"
    try:
        display, address = mime_lean._mailbox(value)
    except mime_lean.Decline:
        return
    parsed = READING.header_fetch_parse("From", value).addresses[0]
    assert address == parsed.addr_spec
    assert " ".join(display.split()) == " ".join(parsed.display_name.split())


def test_stdlib_only_switch():
    code = "from clinic_inbox.sources import mime_lean; print(mime_lean.ENABLED)"
    env = {**os.environ, "CLINIC_INBOX_MIME": "stdlib"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
