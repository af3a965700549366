"""DKIM for tests: key pairs made by the test, signatures made with them, and the DNS
answers (the published public keys) given by the test instead of the internet."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

SIGNED_HEADERS = [b"from", b"to", b"subject", b"date", b"message-id", b"in-reply-to"]


@dataclass
class SigningKey:
    domain: str
    selector: str = "s2026"
    _private: bytes = b""
    _public_der: bytes = b""

    @classmethod
    def make(cls, domain: str, selector: str = "s2026") -> SigningKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(
            domain,
            selector,
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
        )

    @property
    def dns_name(self) -> bytes:
        return f"{self.selector}._domainkey.{self.domain}".encode()

    @property
    def txt_record(self) -> bytes:
        return b"v=DKIM1; k=rsa; p=" + base64.b64encode(self._public_der)

    def sign(self, raw: bytes, *, as_domain: str | None = None) -> bytes:
        """The message with a DKIM-Signature header in front (d= this key's domain, or
        `as_domain` to claim another one with the wrong key)."""
        header = dkim.sign(
            raw,
            self.selector.encode(),
            (as_domain or self.domain).encode(),
            self._private,
            include_headers=[h for h in SIGNED_HEADERS if h in raw.lower()],
        )
        return header + raw


@dataclass
class TestDns:
    """TXT answers from the test; picklable, so parse workers get them too."""

    records: dict[bytes, bytes] = field(default_factory=dict)
    asked: list[bytes] = field(default_factory=list)
    fail: bool = False  # every look-up times out, as when DNS is down

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def publish(self, key: SigningKey) -> None:
        self.records[key.dns_name.lower()] = key.txt_record

    def __call__(self, name: bytes, timeout: float = 5) -> bytes | None:
        self.asked.append(name)
        if self.fail:
            raise TimeoutError(f"no answer for {name!r} within {timeout} s")
        return self.records.get(name.rstrip(b".").lower())
