"""The shared-queue fault harness at CI size (tests/shared_fault_harness.py): three
workstation processes, SIGKILLs, PostgreSQL crashes, cut and stalled links, while staff
keep working; then every invariant, and proof that the checks catch damage."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared_fault_harness import run  # noqa: E402

SECONDS = float(os.environ.get("CLINIC_INBOX_SHARED_HARNESS_SECONDS", "45"))
KILLS = int(os.environ.get("CLINIC_INBOX_SHARED_HARNESS_KILLS", "4"))


@pytest.mark.slow(seconds=52)
def test_one_queue_and_one_audit_trail_through_kills_crashes_and_cut_links(capsys):
    res = run(seconds=SECONDS, kills=KILLS, crashes=1, cuts=1, stalls=1, conversations=4)
    with capsys.disabled():  # the counts belong in CI's log, pass or fail
        print("\n" + res.line())
        if res.proof is not None:
            print("after damage on the server: " + res.proof.line())
    assert (res.kills, res.server_crashes, res.cuts, res.stalls) == (KILLS, 1, 1, 1)
    assert res.notes > 10 and res.audit_entries > 100  # the staff really worked
    assert res.pending_left == 0, "a queued change never reached the server"
    assert res.note_problems == [] and res.notes == res.notes_on_server
    assert res.replicas_identical
    assert res.audit_problems == []
    assert res.integrity == []
    assert res.phi_found == []
    # the same checks, after one audit entry and one note were deleted on the server
    assert res.proof is not None
    assert any("missing" in p for p in res.proof.audit_problems), res.proof.audit_problems
    assert res.proof.notes_on_server == res.notes - 1
