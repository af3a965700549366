"""Malformed and malicious email, generated in memory (nothing large is committed)."""

from __future__ import annotations

import base64


def _msg(headers: str, body: bytes) -> bytes:
    return headers.replace("\n", "\r\n").encode("utf-8", "surrogateescape") + b"\r\n" + body


BASE = "From: Mallory <mallory@evil.example>\nTo: inbox@clinic.example\nMessage-ID: <{id}@evil.example>\n"


def hostile_messages(include_huge: bool = True) -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []

    def add(name: str, headers: str, body: bytes) -> None:
        out.append((name, _msg(BASE.format(id=name) + headers, body)))

    add(
        "script",
        "Subject: script\nContent-Type: text/html\n",
        b"<p>Hi</p><script>alert(document.cookie)</script><img src=x onerror=alert(1)>"
        b'<a href="javascript:alert(1)">click</a><iframe src="http://evil.example"></iframe>',
    )
    add(
        "remote-images",
        "Subject: newsletter\nContent-Type: text/html\n",
        b'<img src="http://tracker.example/p.gif"><img srcset="http://tracker.example/a.png 2x">'
        b'<div style="background:url(http://tracker.example/bg)">x</div>'
        b'<link rel=stylesheet href="http://tracker.example/s.css"><style>@import url(http://tracker.example/i.css);</style>'
        b'<svg><image href="http://tracker.example/svg"/></svg>',
    )
    add(
        "header-injection",
        "Subject: =?utf-8?q?hello=0D=0ABcc:_victim@example.org?=\nContent-Type: text/plain\n",
        b"body",
    )
    add(
        "bcc-in-name",
        'Subject: x\nReply-To: "a\r\nBcc: v@e.org" <a@b.example>\nContent-Type: text/plain\n',
        b"b",
    )
    add(
        "broken-base64",
        "Subject: b64\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n",
        b"SGVsbG8gd29ybGQ=!!!not base64@@@\r\n====",
    )
    add(
        "broken-qp",
        "Subject: qp\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n",
        b"Hello =ZZ =\r\n=4 soft break =E9=\r\n",
    )
    add(
        "unknown-charset",
        "Subject: cs\nContent-Type: text/plain; charset=x-klingon\n",
        b"caf\xe9 \xff\xfe",
    )
    add("8bit-headers", "Subject: caf\udce9 \udcff garbage\nContent-Type: text/plain\n", b"hello")
    add("nul-flood", "Subject: nul\nContent-Type: text/plain\n", b"\x00" * 200_000)
    add(
        "missing-boundary",
        "Subject: mb\nContent-Type: multipart/mixed\n",
        b"--x\r\n\r\nno boundary param\r\n--x--",
    )
    add(
        "unclosed-boundary",
        'Subject: ub\nContent-Type: multipart/mixed; boundary="b"\n',
        b"--b\r\nContent-Type: text/plain\r\n\r\nfirst part never closed\r\n--b\r\nContent-Type: text/plain\r\n\r\nsecond",
    )
    add("long-header", "Subject: " + "A" * 1_000_000 + "\nContent-Type: text/plain\n", b"body")
    parts = b"".join(
        b"--p\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % i for i in range(10_000)
    )
    add(
        "10000-parts",
        'Subject: many\nContent-Type: multipart/mixed; boundary="p"\n',
        parts + b"--p--\r\n",
    )
    nested = b"leaf\r\n"
    for i in range(1000):
        nested = (
            (b'--n%d\r\nContent-Type: multipart/mixed; boundary="n%d"\r\n\r\n' % (i, i + 1))
            + nested
            + (b"\r\n--n%d--\r\n" % i)
        )
    add("deep-nesting", 'Subject: deep\nContent-Type: multipart/mixed; boundary="n0"\n', nested)
    exe = base64.encodebytes(b"MZ" + b"\x90" * 200)
    add(
        "lying-attachment",
        'Subject: invoice\nContent-Type: multipart/mixed; boundary="z"\n',
        b"--z\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--z\r\nContent-Type: application/pdf; "
        b'name="../../etc/invoice.pdf"\r\nContent-Disposition: attachment; filename="..\\\\..\\\\invoice.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + exe + b"--z--\r\n",
    )
    add("repeated", "Subject: zip-bomb-ish\nContent-Type: text/plain\n", b"A" * 5_000_000)
    out.append(("not-an-email", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20))
    out.append(("empty-headers", b"\r\n\r\n"))
    if include_huge:
        big = base64.encodebytes(b"\x00" * (50 * 1024 * 1024))
        add(
            "50mb-attachment",
            'Subject: scan\nContent-Type: multipart/mixed; boundary="h"\n',
            b"--h\r\nContent-Type: text/plain\r\n\r\nmy scan\r\n--h\r\nContent-Type: application/pdf; name=scan.pdf\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + big + b"--h--\r\n",
        )
    return out
