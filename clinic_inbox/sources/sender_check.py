"""Is an email's From address really the sender's? DKIM, and the clinic's own mail server.

A message is "sender verified" when a DKIM signature on it is valid and signed by
the From address's domain (or a parent of it: relaxed alignment), or when the
clinic's trusted mail server, named by the authserv-id of its
Authentication-Results header, says dmarc=pass for that domain. Anything else is
"sender not verified", with the reason in plain words.

Pure given the raw bytes and the DNS answers: it runs in the parse workers. DNS
must never stall a sync: answers (and failures) are cached per selector and
domain, each lookup has a short timeout, and after a few failed lookups in a row
the rest of the run stops asking (those senders are "not verified", never a crash).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import compat32

import dkim

log = logging.getLogger(__name__)

VERIFIED = "verified"
UNVERIFIED = "unverified"
CONFIRMED = "confirmed"  # a person confirmed the sender (services.confirm_sender)

# (name, timeout) -> the TXT record's text, or None when there is none
TxtLookup = Callable[..., bytes | None]

MAX_SIGNATURES = 5  # a message with more is not checked past the fifth


def _dns_txt(name: bytes, timeout: float = 2.0) -> bytes | None:
    from dkim import dnsplug

    return dnsplug.get_txt(name, timeout=timeout)


@dataclass
class _CacheState:
    answers: dict[bytes, tuple[bytes | None, float]] = field(default_factory=dict)
    failures_in_a_row: int = 0
    lookups: int = 0  # how many questions really went out


# A cache's answers live here, per process, under the cache's id: a copy of the
# checker pickled to a parse worker with every batch then still finds what that
# worker learnt from the batches before (and a dead DNS is not asked again).
_STATES: dict[str, _CacheState] = {}


class KeyCache:
    """DKIM key look-ups with a cache and a breaker. Picklable (sent to parse workers)."""

    def __init__(
        self,
        lookup: TxtLookup | None = None,
        *,
        timeout: float = 2.0,
        ttl: float = 3600.0,
        failure_ttl: float = 300.0,
        give_up_after: int = 3,
    ) -> None:
        self.lookup = lookup or _dns_txt
        self.timeout, self.ttl, self.failure_ttl = timeout, ttl, failure_ttl
        self.give_up_after = give_up_after
        self.id = uuid.uuid4().hex

    @property
    def state(self) -> _CacheState:
        return _STATES.setdefault(self.id, _CacheState())

    def __call__(self, name: bytes, timeout: float = 5) -> bytes | None:
        st, key, now = self.state, name.lower().rstrip(b"."), time.monotonic()
        hit = st.answers.get(key)
        if hit is not None and hit[1] > now:
            if hit[0] is None:
                raise LookupError("no answer (remembered)")
            return hit[0]
        if st.failures_in_a_row >= self.give_up_after:
            raise LookupError("DNS look-ups stopped after repeated failures")
        st.lookups += 1
        try:
            answer = self.lookup(name, timeout=min(timeout, self.timeout))
        except Exception as exc:  # noqa: BLE001 - any resolver failure is "no key"
            st.failures_in_a_row += 1
            st.answers[key] = (None, now + self.failure_ttl)
            raise LookupError(type(exc).__name__) from None
        st.failures_in_a_row = 0
        st.answers[key] = (answer, now + (self.ttl if answer else self.failure_ttl))
        if answer is None:
            raise LookupError("no key published")
        return answer


@dataclass
class SenderChecker:
    """What a clinic trusts: its mail server's authserv-id, and DNS for DKIM keys."""

    trusted_authserv_id: str = ""
    keys: KeyCache = field(default_factory=KeyCache)


@dataclass(frozen=True)
class SenderCheck:
    result: str  # VERIFIED or UNVERIFIED
    detail: str  # in plain words, shown with the message


def from_domain(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip().lower().rstrip(".") if "@" in address else ""


def aligned(signing_domain: str, domain: str) -> bool:
    """Relaxed alignment, without a public-suffix list: the same domain, or the From
    domain under the signing one; a bare top-level domain never counts."""
    d, f = signing_domain.lower().rstrip("."), domain.lower().rstrip(".")
    if not d or not f or "." not in d:
        return False
    return f == d or f.endswith("." + d)


_SIGNATURE = re.compile(rb"(?im)^dkim-signature\s*:")


def _header_block(raw: bytes, limit: int = 256 * 1024) -> bytes:
    """The header lines (at most `limit` bytes of them, as mime.Limits reads)."""
    head = raw[:limit]
    ends = [i for i in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if i >= 0]
    return head[: min(ends)] if ends else head


def _dkim_domains(raw: bytes, keys: KeyCache) -> tuple[list[str], list[str]]:
    """(domains whose signature verified, plain reasons for those that did not)."""
    passed: list[str] = []
    failed: list[str] = []
    if _SIGNATURE.search(_header_block(raw)) is None:
        return passed, failed  # most mail without one: dkimpy would split the whole message
    try:
        checker = dkim.DKIM(raw, timeout=int(max(1, keys.timeout)))
        count = sum(1 for name, _ in checker.headers if name.lower() == b"dkim-signature")
    except Exception:  # noqa: BLE001 - a malformed message simply has no usable signature
        return passed, failed
    for idx in range(min(count, MAX_SIGNATURES)):
        try:
            ok = checker.verify(idx=idx, dnsfunc=keys)
        except Exception as exc:  # noqa: BLE001 - dkimpy raises on malformed signatures
            failed.append(
                "the key of its DKIM signature could not be found"
                if isinstance(exc, LookupError)
                else "its DKIM signature does not match the message (changed or forged)"
            )
            continue
        domain = (checker.domain or b"").decode("ascii", "replace").lower()
        if ok:
            passed.append(domain)
        else:
            failed.append(f"the DKIM signature of {domain or 'an unnamed domain'} does not match")
    return passed, failed


# a resinfo clause opens with its method: "dmarc=pass (p=reject) header.from=x.org"
_AR_METHOD = re.compile(r"(?i)\s*([a-z0-9-]+)(?:/[0-9]+)?\s*=\s*([a-z]+)")
_HEADER_FROM = re.compile(r"(?i)header\.from\s*=\s*\"?([^\s;\"]+)")


def _whole_header_in_block(raw: bytes, limit: int = 256 * 1024) -> bool:
    """Does _header_block hold the whole header (not cut at `limit`)?"""
    return len(raw) <= limit or any(raw.find(e, 0, limit) >= 0 for e in (b"\r\n\r\n", b"\n\n"))


def _trusted_dmarc(
    raw: bytes, authserv_id: str, domain: str, given: list[str] | None = None
) -> str | None:
    """'pass' / 'fail' / ... from the topmost Authentication-Results header of the
    trusted server; None when there is none. Only the topmost counts: the trusted
    server adds its own above the message, so any lower one with its name came from
    elsewhere (and it is expected to strip those, RFC 8601 s. 5). `given`: the values
    as the parser read them (mime.ParsedEmail.auth_results), used when the header is
    whole within the block this would read."""
    if not authserv_id:
        return None
    if given is not None and _whole_header_in_block(raw):
        headers: list = given
    else:
        try:
            headers = (
                BytesHeaderParser(policy=compat32)
                .parsebytes(_header_block(raw))
                .get_all("Authentication-Results", [])
            )
        except Exception:  # noqa: BLE001
            return None
    for value in headers:
        text = " ".join(str(value).split())
        server = text.split(";", 1)[0].strip().split()[0:1]
        if not server or server[0].lower() != authserv_id.lower():
            continue  # another server's report, or one the sender wrote: ignored
        for clause in text.split(";")[1:]:
            m = _AR_METHOD.match(clause)
            if not m or m.group(1).lower() != "dmarc":
                continue
            hf = _HEADER_FROM.search(clause)
            if hf and hf.group(1).lower().rstrip(".") != domain:
                return "fail"  # a pass for some other domain says nothing of this From
            return m.group(2).lower()
        return "none"
    return None


def check_sender(
    raw: bytes,
    sender_address: str,
    checker: SenderChecker,
    auth_results: list[str] | None = None,
) -> SenderCheck:
    """Never raises: whatever cannot be checked is 'not verified'. `auth_results`: the
    Authentication-Results values the parse read already (saves reading the header
    twice); None: read here."""
    domain = from_domain(sender_address)
    if not domain:
        return SenderCheck(UNVERIFIED, "The sender's address could not be read.")
    try:
        # the trusted server's word first: reading a header is cheaper than DKIM (about
        # a millisecond a signature here, most of it dkimpy's pure-Python RSA)
        dmarc = _trusted_dmarc(raw, checker.trusted_authserv_id, domain, auth_results)
        if dmarc == "pass":
            return SenderCheck(
                VERIFIED, f"The clinic's mail server ({checker.trusted_authserv_id}) checked it."
            )
        passed, failed = _dkim_domains(raw, checker.keys)
        for d in passed:
            if aligned(d, domain):
                return SenderCheck(VERIFIED, f"Signed by {d} (DKIM), the sender's own domain.")
    except Exception as exc:  # noqa: BLE001 - a check that breaks must not stop the sync
        log.warning("sender check failed: %s", type(exc).__name__)
        return SenderCheck(UNVERIFIED, "The sender could not be checked.")
    reasons = []
    if passed:
        reasons.append(f"it is signed by {', '.join(passed)}, not by {domain}")
    reasons += failed
    if not passed and not failed:
        reasons.append("it carries no DKIM signature")
    if dmarc is not None:
        reasons.append(f"the clinic's mail server says DMARC {dmarc}")
    return SenderCheck(
        UNVERIFIED,
        f"Nothing proves this came from {domain}: " + "; ".join(reasons) + ".",
    )
