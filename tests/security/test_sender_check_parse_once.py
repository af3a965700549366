"""The sender check reads the Authentication-Results headers the parse already read
(when the lean reader read the header) instead of parsing the header again: the
verdict must be exactly the one it reaches reading them itself, whatever the header."""

from __future__ import annotations

import sysconfig
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from support.dkim_keys import TestDns
from support.hostile_mail import hostile_messages
from support.mailgen import corpus

from clinic_inbox.sources import mime
from clinic_inbox.sources.sender_check import KeyCache, SenderChecker, check_sender

TRUSTED = "mx.clinic.example"
CHECKER = SenderChecker(TRUSTED, KeyCache(TestDns()))
REPORTS = [
    f"{TRUSTED}; dmarc=pass header.from=patients.example",
    f"{TRUSTED};\r\n\tspf=fail smtp.mailfrom=x;\r\n dmarc=pass (p=reject)",
    "MX.Clinic.Example 1; dkim=pass; dmarc=fail",
    "evil.example; dmarc=pass\r\n  header.from=patients.example",
    f"{TRUSTED}; dmarc=pass header.from=evil.example",
    f"x{TRUSTED}; dmarc=pass",
    "; dmarc=pass",
]


def _verdicts(raw: bytes) -> tuple[tuple[str, str], tuple[str, str], bool]:
    """(verdict reading the header itself, verdict given the parse's values, whether
    the parse gave them)."""
    try:
        parsed = mime.parse_email(raw)
    except mime.UnparseableEmail:
        return ("", ""), ("", ""), False
    sender = parsed.sender_address or "zoe@patients.example"
    own = check_sender(raw, sender, CHECKER)
    reused = check_sender(raw, sender, CHECKER, parsed.auth_results)
    return (own.result, own.detail), (reused.result, reused.detail), parsed.auth_results is not None


def _with_reports(raw: bytes, reports: list[str], eol: bytes = b"\r\n") -> bytes:
    lines = b"".join(f"{n}: {v}".encode().replace(b"\r\n", eol) + eol for n, v in reports)
    return lines + raw


def _names(i: int) -> str:
    return ["Authentication-Results", "authentication-results", "AUTHENTICATION-RESULTS"][i % 3]


def test_everyday_mail_with_reports_gets_the_same_verdict_without_a_second_parse():
    reused = 0
    for i, raw in enumerate(corpus(300, seed=4)):
        eol = b"\n" if i % 2 else b"\r\n"
        raw = raw.replace(b"\r\n", b"\n").replace(b"\n", eol)
        reports = [(_names(i + k), REPORTS[(i + k) % len(REPORTS)]) for k in range(i % 4)]
        own, given_, read = _verdicts(_with_reports(raw, reports, eol))
        assert own == given_, reports
        reused += read
    assert reused == 300  # all of them went the lean way: the reuse was really tested


def test_hostile_and_cpython_messages_get_the_same_verdict():
    folder = Path(sysconfig.get_paths()["stdlib"]) / "test" / "test_email" / "data"
    raws = [raw for _, raw in hostile_messages(include_huge=False)]
    raws += [p.read_bytes() for p in sorted(folder.glob("msg_*.txt"))] if folder.is_dir() else []
    for i, raw in enumerate(raws):
        for reports in ([], [(_names(i), REPORTS[0])], [("Authentication-Results", REPORTS[2])]):
            own, given_, _ = _verdicts(_with_reports(raw, reports))
            assert own == given_, (i, reports)


def test_a_header_longer_than_the_checks_window_is_read_by_the_check_itself():
    filler = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"y" * 900) for i in range(300))  # 270 KB
    raw = _with_reports(filler + corpus(1, seed=1)[0], [("Authentication-Results", REPORTS[0])])
    own, given_, _ = _verdicts(raw)
    assert own == given_


# report values from the pieces that matter, folded anywhere but at the start
_VALUE = st.lists(
    st.sampled_from(
        [*"abMX.;=() \t-1", "pass", "fail", TRUSTED, "dmarc", "header.from=", "\r\n ", "\r\n\t"]
    ),
    max_size=14,
).map(lambda parts: "".join(parts).lstrip("\r\n \t"))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0, 1, 2]), _VALUE), max_size=4), st.booleans())
def test_any_plain_report_gives_the_same_verdict(reports, lf):
    eol = b"\n" if lf else b"\r\n"
    raw = corpus(1, seed=2)[0].replace(b"\r\n", b"\n").replace(b"\n", eol)
    own, given_, _ = _verdicts(_with_reports(raw, [(_names(k), v) for k, v in reports], eol))
    assert own == given_
