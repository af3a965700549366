"""Hostile and malformed portal resources, planted on the loopback FHIR server past its
validation: the sync finishes, each is stored safely or set aside with a reason, no
script survives, nothing is fetched from another server, no file is written."""

from __future__ import annotations

import base64
import http.server
import tempfile
import threading
import time

from test_portal import _comm, _patients
from test_portal import portal as portal  # noqa: F401, PLC0414

from clinic_inbox.core.store import queries as q
from clinic_inbox.sources import sync


class _Evil(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:  # noqa: N802
        type(self).hits += 1
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"<script>alert(1)</script>")

    def log_message(self, *a: object) -> None:
        pass


def _hostile(prac: str, patient: str, evil: str) -> list[tuple[str, dict]]:
    page = base64.b64encode(
        f"<p>hi</p><script>alert(1)</script><img src='{evil}/pixel.png' onerror='x()'>"
        f"<iframe src='{evil}'></iframe><a href='javascript:alert(2)'>x</a>".encode()
    ).decode()
    nested: dict = {"url": "http://x.example/e", "valueString": "deep"}
    for _ in range(400):
        nested = {"url": "http://x.example/e", "extension": [nested]}

    def c(text: str = "hello", **extra: object) -> dict:
        return _comm(prac, patient, text, **extra)

    return [
        ("script in text", c("<script>alert(1)</script><img src=" + evil + "/x.png>")),
        (
            "html attachment",
            c(payload=[{"contentAttachment": {"contentType": "text/html", "data": page}}]),
        ),
        (
            "attachment on another server",
            c(
                payload=[
                    {"contentAttachment": {"contentType": "image/png", "url": evil + "/a.png"}}
                ]
            ),
        ),
        (
            "lying attachment name and type",
            c(
                payload=[
                    {
                        "contentAttachment": {
                            "contentType": "image/png",
                            "title": "../../../home/user/.bashrc",
                            "data": base64.b64encode(b"#!/bin/sh\nrm -rf ~\n").decode(),
                        }
                    }
                ]
            ),
        ),
        ("broken base64", c(payload=[{"contentAttachment": {"data": "%%%not base64%%%"}}])),
        ("huge text", c("I need a refill. " * 150_000)),
        ("payload not a list", c(payload="oops")),
        ("payload of numbers", c(payload=[1, 2, 3])),
        ("date that is not a date", c(sent="yesterday-ish")),
        ("recipient garbage", c(recipient="Practitioner/" + prac)),
        ("path in a reference", c(sender={"reference": "Patient/../../etc/passwd"})),
        ("nul and bidi controls", c("refill\x00 please \u202egnp.exe \u200b")),
        ("deep extensions", c(extension=[nested])),
        ("thousands of payloads", c(payload=[{"contentString": "x"}] * 3000)),
        ("not a Communication", {"resourceType": "Patient", "name": [{"family": "Odd"}]}),
    ]


def test_hostile_portal_resources(portal, fhir_server, tmp_path, monkeypatch):  # noqa: F811
    evil = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Evil)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    evil_url = f"http://127.0.0.1:{evil.server_address[1]}"
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    try:
        patient = _patients(fhir_server, 1)[0]["id"]
        cases = _hostile(portal.prac, patient, evil_url)
        for _, resource in cases:
            fhir_server.plant_raw(resource)
        fhir_server.create_many([_comm(portal.prac, patient, "An ordinary refill request")])
        started = time.monotonic()
        report = sync.run_once(portal, send=False)
        elapsed = time.monotonic() - started
    finally:
        evil.shutdown()
    account = report.accounts[0]
    assert account.error is None, account.error
    assert elapsed < 60, f"the hostile page took {elapsed:.0f} s"
    assert _Evil.hits == 0, "a resource made the app fetch from another server"
    rows = portal.store.execute(
        "SELECT body_text, body_html, needs_review, review_reason FROM messages "
        "WHERE source = 'portal' AND direction = 'in'"
    ).fetchall()
    # every Communication is kept (the Patient is not one), the ordinary one among them
    assert len(rows) >= len(cases) - 1
    assert any("ordinary refill" in (r[0] or "") for r in rows)
    for body, html, review, reason in rows:
        lowered = (html or "").lower()
        for bad in ("<script", "onerror", "javascript:", "<iframe", evil_url):
            assert bad not in lowered
        assert "\x00" not in (body or "") and "\u202e" not in (body or "")
        assert not review or reason  # set aside always says why
    names = [r[0] for r in portal.store.execute("SELECT filename FROM attachments").fetchall()]
    assert all("/" not in n and not n.startswith(".") for n in names), names
    assert list(private_tmp.iterdir()) == []
    assert [m for m in q.list_messages(portal.store) if m.needs_review]
