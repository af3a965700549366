"""Parsing patient email: text preferred, HTML sanitised, attachments sniffed and
named safely; CPython's own test messages and a hostile corpus never escape."""

from __future__ import annotations

import os
import sysconfig
import tempfile
import time
from pathlib import Path

import pytest
from support.hostile_mail import hostile_messages
from support.mailgen import make_message, tiny_png

from clinic_inbox.sources import mime

REMOTE = ("http://", "https://", "//tracker")


def test_plain_html_and_attachment():
    p = mime.parse_email(make_message(2))
    assert p.subject == "Billing question #2" or p.subject.endswith("#2")
    assert (
        p.sender_address.endswith("@patients.example") and p.message_id == "<m1-2@patients.example>"
    )
    assert (
        p.attachments[0].content_type == "image/png" and p.attachments[0].filename == "photo-2.png"
    )
    alt = mime.parse_email(make_message(1))
    assert "Reference 1-1." in alt.body_text and alt.body_html and "<p>" in alt.body_html


def test_html_only_gets_text_and_keeps_cid_images():
    raw = (
        b"From: a@b.example\r\nSubject: x\r\nContent-Type: multipart/related; boundary=r\r\n\r\n"
        b'--r\r\nContent-Type: text/html\r\n\r\n<p>Rash <b>photo</b>:</p><img src="cid:rash1">'
        b'<ul><li>itchy</li></ul><a href="https://ok.example/info">info</a>\r\n--r\r\n'
        b"Content-Type: image/png\r\nContent-ID: <rash1>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + __import__("base64").encodebytes(tiny_png(3))
        + b"--r--\r\n"
    )
    p = mime.parse_email(raw)
    assert 'src="cid:rash1"' in p.body_html
    assert (
        "Rash photo:" in p.body_text
        and "- itchy" in p.body_text
        and "(https://ok.example/info)" in p.body_text
    )
    assert p.attachments[0].inline and p.attachments[0].content_id == "rash1"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\evil\\run.exe", "run.exe"),
        ("\x07bell.pdf", "bell.pdf"),
        ("...hidden", "hidden"),
        ("", "attachment-3.png"),
        (None, "attachment-3.png"),
        ("Zoë résultats.pdf", "Zoë résultats.pdf"),
        ("a" * 300 + ".pdf", "a" * 116 + ".pdf"),
    ],
)
def test_safe_filenames(name, expected):
    assert mime.safe_filename(name, 3, "image/png") == expected


def test_lying_attachment_is_sniffed_and_named_safely():
    raw = dict(hostile_messages(include_huge=False))["lying-attachment"]
    att = mime.parse_email(raw).attachments[0]
    assert att.declared_type == "application/pdf" and att.content_type == "application/x-msdownload"
    assert "/" not in att.filename and "\\" not in att.filename and not att.filename.startswith(".")


@pytest.mark.parametrize(
    "extra",
    [
        b"Auto-Submitted: auto-replied\r\n",
        b"Precedence: bulk\r\n",
        b"List-Id: <news.example>\r\n",
        b"X-Autoreply: yes\r\n",
        b"Return-Path: <>\r\n",
    ],
)
def test_auto_submitted_detected(extra):
    assert mime.parse_email(
        make_message(1).replace(b"Subject:", extra + b"Subject:", 1)
    ).auto_submitted
    assert not mime.parse_email(make_message(1)).auto_submitted
    daemon = make_message(1).replace(
        b"From: ", b"From: MAILER-DAEMON <mailer-daemon@x.example>\r\nX-Was: ", 1
    )
    assert mime.parse_email(daemon).auto_submitted


def test_encoded_words_and_references():
    raw = (
        b"From: =?iso-8859-1?q?Zo=EB?= <z@x.example>\r\nSubject: =?utf-8?b?UsOpc3VsdGF0cw==?=\r\n"
        b"In-Reply-To: <a@x>\r\nReferences: <0@x>\r\n <a@x>\r\n\r\nhi"
    )
    p = mime.parse_email(raw)
    assert p.subject == "Résultats" and p.sender_name == "Zoë"
    assert p.in_reply_to == "<a@x>" and p.references == ["<0@x>", "<a@x>"]


def test_size_limits():
    with pytest.raises(mime.UnparseableEmail, match="larger than"):
        mime.parse_email(make_message(1), mime.Limits(max_message_bytes=100))
    p = mime.parse_email(make_message(2), mime.Limits(max_attachment_bytes=10))
    assert (
        not p.attachments
        and "larger than" in p.problems[0]
        and "still on the mail server" in p.problems[0]
    )


def _cpython_messages() -> list[Path]:
    folder = Path(sysconfig.get_paths()["stdlib"]) / "test" / "test_email" / "data"
    if not folder.is_dir():
        if os.environ.get("CLINIC_INBOX_ALLOW_SKIP") == "1":
            pytest.skip("CPython's email test data is not installed")
        pytest.fail(
            f"CPython's email test messages are missing ({folder}): use a Python that ships Lib/test"
        )
    return sorted(folder.glob("msg_*.txt"))


def test_cpython_email_test_messages():
    read = aside = 0
    for path in _cpython_messages():
        started = time.process_time()  # CPU, not wall time: a loaded machine is not a blow-up
        try:
            p = mime.parse_email(path.read_bytes())
            assert "\r" not in p.subject and "\n" not in p.subject
            read += 1
        except mime.UnparseableEmail as exc:
            assert str(exc)
            aside += 1
        assert time.process_time() - started < 5, path.name
    print(f"\nCPython email corpus: {read} read, {aside} set aside")
    assert read >= 40


def test_hostile_corpus(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))  # any temp file would land here
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    for name, raw in hostile_messages(include_huge=True):
        started = time.process_time()  # CPU, not wall time: a loaded machine is not a blow-up
        try:
            p = mime.parse_email(raw)
        except mime.UnparseableEmail as exc:
            assert str(exc), name
            continue
        elapsed = time.process_time() - started
        assert elapsed < 5, f"{name} took {elapsed:.1f}s of CPU"
        html = (p.body_html or "").lower()
        for bad in (
            "<script",
            "onerror",
            "javascript:",
            "<iframe",
            "<link",
            "<style",
            "srcset",
            "url(",
        ):
            assert bad not in html, (name, bad)
        assert not any(f'src="{r}' in html for r in REMOTE), name
        assert "\r" not in p.subject and "\n" not in p.subject, name
        if name == "50mb-attachment":
            assert not p.attachments and any("larger than" in x for x in p.problems)
        if name == "10000-parts":
            assert any("more than 500 parts" in x for x in p.problems)
    assert [p.name for p in tmp_path.iterdir()] == ["tmp"]
    assert list(private_tmp.iterdir()) == []
