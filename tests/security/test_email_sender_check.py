"""The sender check on its own (pure: bytes and DNS answers in, a verdict out).

The end-to-end cases, through Dovecot, are in test_email_impostors.py; these pin the
edges: alignment, a signature for another domain, hostile or broken headers, and the
DNS cache and breaker."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP

import pytest
from support.dkim_keys import SigningKey, TestDns

from clinic_inbox.sources.sender_check import (
    UNVERIFIED,
    VERIFIED,
    KeyCache,
    SenderChecker,
    aligned,
    check_sender,
)

TRUSTED = "mx.clinic.example"


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey.make("patients.example")


def _raw(sender: str = "zoe@patients.example", headers: tuple = ()) -> bytes:
    msg = EmailMessage(policy=SMTP)
    for name, value in headers:
        msg[name] = value
    msg["From"] = sender
    msg["To"] = "inbox@clinic.example"
    msg["Subject"] = "Refill"
    msg["Message-ID"] = "<x1@patients.example>"
    msg.set_content("Please renew my metformin.")
    return msg.as_bytes()


def _checker(dns: TestDns, trusted: str = "") -> SenderChecker:
    return SenderChecker(trusted, KeyCache(dns))


@pytest.mark.parametrize(
    ("signing", "from_domain", "ok"),
    [
        ("patients.example", "patients.example", True),
        ("patients.example", "mail.patients.example", True),
        ("PATIENTS.example.", "patients.example", True),
        ("example", "patients.example", False),  # a bare top-level name aligns with nothing
        ("evil.example", "patients.example", False),
        ("mail.patients.example", "patients.example", False),
        ("s-patients.example", "patients.example", False),
    ],
)
def test_alignment(signing, from_domain, ok):
    assert aligned(signing, from_domain) is ok


def test_a_valid_signature_of_another_domain_does_not_verify_the_from(key):
    dns = TestDns()
    evil = SigningKey.make("evil.example")
    dns.publish(evil)
    verdict = check_sender(evil.sign(_raw()), "zoe@patients.example", _checker(dns))
    assert verdict.result == UNVERIFIED
    assert "signed by evil.example, not by patients.example" in verdict.detail


def test_a_signature_claiming_the_domain_with_another_key_fails(key):
    dns = TestDns()
    dns.publish(key)
    forger = SigningKey.make("elsewhere.example", selector=key.selector)
    raw = forger.sign(_raw(), as_domain="patients.example")
    verdict = check_sender(raw, "zoe@patients.example", _checker(dns))
    assert verdict.result == UNVERIFIED and "does not match" in verdict.detail


def test_a_signed_message_changed_afterwards_fails(key):
    dns = TestDns()
    dns.publish(key)
    raw = key.sign(_raw()).replace(b"metformin", b"oxycodone")
    assert check_sender(raw, "zoe@patients.example", _checker(dns)).result == UNVERIFIED


@pytest.mark.parametrize(
    "signature",
    [
        b"DKIM-Signature: v=1; a=rsa-sha256; d=patients.example; s=x; b=!!!\r\n",
        b"DKIM-Signature: garbage\r\n",
        b"DKIM-Signature: v=1; a=rsa-sha256; d=; s=; h=from; bh=; b=\r\n",
        b"DKIM-Signature: " + b"x" * 100_000 + b"\r\n",
    ],
)
def test_broken_signatures_are_unverified_never_a_crash(signature):
    verdict = check_sender(signature + _raw(), "zoe@patients.example", _checker(TestDns()))
    assert verdict.result == UNVERIFIED and verdict.detail


def test_no_readable_sender_is_unverified():
    assert check_sender(_raw(), "", _checker(TestDns())).result == UNVERIFIED


def test_the_trusted_servers_topmost_report_decides():
    def verdict(*values: str) -> str:
        headers = tuple(("Authentication-Results", v) for v in values)
        raw = _raw(headers=headers)
        return check_sender(raw, "zoe@patients.example", _checker(TestDns(), TRUSTED)).result

    assert verdict(f"{TRUSTED}; dmarc=pass header.from=patients.example") == VERIFIED
    assert verdict("MX.Clinic.Example; spf=fail; dmarc=pass") == VERIFIED
    assert verdict(f"{TRUSTED} 1; dkim=pass; dmarc=pass (p=none)") == VERIFIED
    assert verdict(f"{TRUSTED}; dmarc=fail", f"{TRUSTED}; dmarc=pass") == UNVERIFIED
    assert verdict(f"{TRUSTED}; dkim=pass header.d=patients.example") == UNVERIFIED
    assert verdict(f"{TRUSTED}; dmarc=pass header.from=evil.example") == UNVERIFIED
    assert verdict("mx.clinic.example.evil.example; dmarc=pass") == UNVERIFIED
    assert verdict(f"x{TRUSTED}; dmarc=pass") == UNVERIFIED
    assert verdict("; dmarc=pass") == UNVERIFIED
    assert verdict(f"{TRUSTED}; dkim=fail policy.dmarc=pass") == UNVERIFIED
    assert verdict(f"{TRUSTED}; x-policy.dmarc=pass") == UNVERIFIED
    # with no trusted server configured, nobody's report counts
    raw = _raw(headers=(("Authentication-Results", f"{TRUSTED}; dmarc=pass"),))
    assert check_sender(raw, "zoe@patients.example", _checker(TestDns())).result == UNVERIFIED


def test_keys_are_looked_up_once_and_a_dead_dns_is_not_asked_forever(key):
    dns = TestDns()
    dns.publish(key)
    checker = _checker(dns)
    for _ in range(5):
        assert check_sender(key.sign(_raw()), "zoe@patients.example", checker).result == VERIFIED
    assert len(dns.asked) == 1

    down = TestDns(fail=True)
    checker = _checker(down)
    for n in range(10):
        other = SigningKey.make(f"d{n}.example")
        raw = other.sign(_raw(f"p@d{n}.example"))
        verdict = check_sender(raw, f"p@d{n}.example", checker)
        assert verdict.result == UNVERIFIED and "could not be found" in verdict.detail
    assert len(down.asked) == 3


def test_an_unpublished_key_is_remembered_for_a_while(key):
    dns = TestDns()  # nothing published
    checker = _checker(dns)
    for _ in range(4):
        assert check_sender(key.sign(_raw()), "zoe@patients.example", checker).result == UNVERIFIED
    assert len(dns.asked) == 1
