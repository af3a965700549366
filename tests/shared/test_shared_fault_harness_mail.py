"""The shared-queue fault harness with mail at CI size (tests/shared/fault_harness_mail.py):
three workstation processes fetch, acknowledge and reply while new mail keeps coming
and, one per round, a workstation (or the lease holder) is killed, PostgreSQL, Dovecot
or the FHIR server is restarted, or a link is cut or stalled, and a Done races a
patient's new message; then every invariant, and proof that the mail checks catch
damage and that settling hides no real difference between the replicas."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fault_harness_mail import FAULTS, run  # noqa: E402

ROUNDS = int(os.environ.get("CLINIC_INBOX_MAIL_HARNESS_ROUNDS", str(len(FAULTS))))
ROUND_SECONDS = float(os.environ.get("CLINIC_INBOX_MAIL_HARNESS_ROUND_SECONDS", "5"))


@pytest.mark.slow(seconds=82)
def test_mail_fetched_answered_and_replied_once_through_kills_and_restarts(capsys):
    res = run(rounds=ROUNDS, round_seconds=ROUND_SECONDS)
    with capsys.disabled():  # the counts belong in CI's log, pass or fail
        print("\n" + res.line())
        if res.proof is not None:
            print("after damage: " + res.proof.line())
    assert sum(res.faults.values()) == ROUNDS
    if ROUNDS >= len(FAULTS):
        assert set(res.faults) == set(FAULTS)  # every kind of fault struck
    # the clinic really worked: mail of both kinds, urgent ones, replies and notes
    assert res.emails > 10 and res.portal > 2 and res.urgent > 2
    assert res.replies > 3 and res.queue.notes > 3
    assert res.settle_problems == []
    assert res.mail_problems == [] and res.unshared == 0
    assert res.replicas_identical and res.queue.replicas_identical, res.differences
    assert res.auto_problems == []
    assert res.receipts >= res.emails - res.follow_ups  # a reply to each first e-mail
    assert res.reply_problems == []
    assert res.replies == res.replies_sent + res.replies_held
    assert res.queue.pending_left == 0
    assert res.queue.note_problems == [] and res.queue.notes == res.queue.notes_on_server
    assert res.queue.audit_problems == []
    assert res.queue.integrity == []
    assert res.queue.phi_found == [] and res.log_phi == []
    # a Done racing the patient's new message, every round: never closed over the
    # patient's words; follow-ups coming due and handovers to cover, shared as the
    # system's changes (replicas identical above), with no card for nobody
    assert res.races >= ROUNDS - 2 and res.races_done > 0
    assert res.closed_over_patient == []
    assert res.follow_ups_due > 0
    assert res.system_cards == 0
    assert res.shown_twice == []
    # the same mail checks after one unfetched e-mail and one receipt sent twice
    assert res.proof is not None
    assert any("1 missing" in p for p in res.proof.mail_problems), res.proof.mail_problems
    assert any("got 2 replies" in p for p in res.proof.auto_problems), res.proof.auto_problems
    assert any("got 0 replies" in p for p in res.proof.auto_problems), res.proof.auto_problems
    # settling waits until every replica has pulled up to the server's latest change (a
    # note one pushed and the others had not pulled is everywhere), and it hides no real
    # difference: one replica changed behind the queue's back is still DIFFERENT, there
    assert res.proof.settle_problems == [], res.proof.settle_problems
    assert res.proof.pulled_late is not None and len(res.proof.damaged) == 2
    assert not res.proof.queue.replicas_identical, res.proof.differences
    assert not res.proof.replicas_identical, res.proof.differences
    assert res.proof.differ_in == res.proof.damaged, res.proof.differences
    # and a difference is reported with what the server holds of it, to follow it up
    assert any(line.startswith("  server: status v") for line in res.proof.explained), (
        res.proof.explained
    )
