"""`clinic-inbox compose` and `follow-up` as a person types them, on the demo clinic
(real processes, real store; the demo's accounts queue and never send)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS", "CLINIC_INBOX"))}
    env.update(
        {
            "CLINIC_INBOX_HOME": str(home),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "CLINIC_INBOX_PASSWORD": "demo",
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "clinic_inbox", *args],
        env=env,
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("demo")
    done = run(home, "demo", "--no-gui")
    assert done.returncode == 0, done.stderr
    return home


def test_preview_then_send_later_list_and_cancel(demo):
    # patient 1 is Dr Patel's and has a portal account in the demo
    args = [
        "--user",
        "dr.patel",
        "compose",
        "send",
        "--patient",
        "1",
        "--template",
        "results_normal",
        "--field",
        "test=lipid panel",
        "--language",
        "fr",
        "--education",
        "cholesterol",
    ]
    shown = run(demo, *args, "--preview")
    assert shown.returncode == 0, shown.stderr
    assert "Subject: Vos résultats : lipid panel" in shown.stdout
    assert "by portal" in shown.stdout and "nothing was sent" in shown.stdout
    assert "medlineplus.gov/cholesterol" in shown.stdout
    sent = run(demo, *args, "--at", "2099-01-01T09:00")
    assert sent.returncode != 0 and "at most a year" in sent.stderr
    at = (date.today() + timedelta(days=2)).isoformat() + "T09:00"
    sent = run(demo, *args, "--at", at, "--channel", "email")
    assert sent.returncode == 0, sent.stderr
    assert "at the chosen time" in sent.stdout
    listed = json.loads(run(demo, "--user", "dr.patel", "compose", "scheduled", "--json").stdout)
    assert len(listed) == 1 and listed[0]["kind"] == "email"
    assert listed[0]["send_at"].startswith(at)
    # the front desk does not even see that a results message waits
    desk = run(demo, "--user", "reception.moreau", "compose", "scheduled", "--json")
    assert json.loads(desk.stdout) == []
    refused = run(
        demo, "--user", "reception.moreau", "compose", "cancel", str(listed[0]["outbox_id"])
    )
    assert refused.returncode != 0
    done = run(demo, "--user", "dr.patel", "compose", "cancel", str(listed[0]["outbox_id"]))
    assert done.returncode == 0, done.stderr
    assert (
        json.loads(run(demo, "--user", "dr.patel", "compose", "scheduled", "--json").stdout) == []
    )


def test_the_front_desk_sends_reminders_to_several_but_never_results(demo):
    refused = run(
        demo,
        "--user",
        "reception.moreau",
        "compose",
        "send",
        "--patient",
        "2",
        "--template",
        "results_normal",
        "--field",
        "test=x",
    )
    assert refused.returncode != 0 and "physician" in refused.stderr
    assert "Traceback" not in refused.stderr
    reminder = ("--template", "reminder", "--field", "what=your flu shot")
    reminder += ("--field", "when=Friday at 10:00")
    desk = (demo, "--user", "reception.moreau", "compose", "send")
    # patient 2 never agreed, patient 3 opted out (the demo): nothing half sent, both named
    refused = run(*desk, "--patient", "2", "--patient", "3", "--patient", "4", *reminder)
    assert refused.returncode != 0 and refused.stderr.count("Nothing was sent") == 1
    assert "has not agreed to" in refused.stderr and "opted out of" in refused.stderr
    assert "Traceback" not in refused.stderr
    # the preview lists every one of them: a letter each, or why not
    every = run(*desk, "--patient", "2", "--patient", "3", "--patient", "4", *reminder, "--preview")
    assert every.returncode == 0, every.stderr
    assert "(patient 2): " in every.stdout and "(patient 3): " in every.stdout
    assert every.stdout.count("To: ") == 1 and "2 of 3 patients cannot receive it" in every.stdout
    skipping = run(
        *desk, "--patient", "2", "--patient", "3", "--patient", "4", *reminder, "--skip-unreachable"
    )
    assert skipping.returncode == 0, skipping.stderr
    assert skipping.stdout.count("Message queued for patient 4") == 1
    assert "Not sent to patient 2:" in skipping.stdout and "has not agreed" in skipping.stdout
    assert "Not sent to patient 3:" in skipping.stdout and "opted out" in skipping.stdout
    # patient 2 by email with the reason staff give (recorded); still never patient 3
    reason = ("--consent-reason", "agreed by phone today")
    shown = run(*desk, "--patient", "2", *reminder, "--channel", "email", *reason, "--preview")
    assert shown.returncode == 0, shown.stderr
    assert "Not covered by the patient's agreement" in shown.stdout
    assert "Do not use e-mail for emergencies" in shown.stdout
    never = run(*desk, "--patient", "3", *reminder, *reason)
    assert never.returncode != 0 and "opted out" in never.stderr
    sent = run(
        *desk,
        "--patient",
        "4",
        "--patient",
        "5",
        *reminder,
        "--follow-up-by",
        (date.today() + timedelta(days=7)).isoformat(),
    )
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.count("Message queued for patient") == 2
    missing = run(
        demo,
        "--user",
        "reception.moreau",
        "compose",
        "send",
        "--patient",
        "2",
        "--template",
        "reminder",
        "--field",
        "what=x",
    )
    assert missing.returncode != 0 and "Fill in: when" in missing.stderr


def test_follow_up_by_a_date_on_a_conversation(demo):
    ok = run(
        demo,
        "--user",
        "dr.patel",
        "follow-up",
        "1",
        "--by",
        (date.today() + timedelta(days=3)).isoformat(),
    )
    assert ok.returncode == 0, ok.stderr
    bad = run(demo, "--user", "dr.patel", "follow-up", "1", "--by", "yesterday")
    assert bad.returncode != 0 and "2026-12-15" in bad.stderr


def patels_readable_conversation(home: Path) -> str:
    """A conversation Dr Patel may read: the demo is built around today's date, so which
    physician conversation 1 belongs to changes from day to day."""
    listed = run(home, "--user", "dr.patel", "list", "--json", "--limit", "500")
    assert listed.returncode == 0, listed.stderr
    for row in json.loads(listed.stdout):
        if row["assigned_to"] == "Dr Anjali Patel" and not row["sensitive"]:
            return str(row["thread_id"])
    raise AssertionError("the demo gave Dr Patel no conversation")


def test_time_entered_and_the_billing_report(demo, tmp_path):
    conversation = patels_readable_conversation(demo)
    # the entry is dated in the clinic's time zone, which may be a day behind UTC:
    # the report asks for the days around today
    since = (date.today() - timedelta(days=1)).isoformat()
    until = (date.today() + timedelta(days=1)).isoformat()
    ok = run(
        demo,
        "--user",
        "dr.patel",
        "time",
        "enter",
        conversation,
        "--minutes",
        "12",
        "--reason",
        "Phoned the patient about it",
    )
    assert ok.returncode == 0, ok.stderr
    report = json.loads(
        run(
            demo,
            "--user",
            "dr.patel",
            "billing",
            "report",
            "--from",
            since,
            "--to",
            until,
            "--json",
        ).stdout
    )
    assert [(r["minutes"], r["code"]) for r in report] == [(12, "99422")]
    out = tmp_path / "bill.csv"
    done = run(
        demo,
        "--user",
        "admin",
        "billing",
        "report",
        "--from",
        since,
        "--to",
        until,
        "--csv",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    assert out.stat().st_mode & 0o777 == 0o600 and "99422" in out.read_text()
    desk = run(
        demo,
        "--user",
        "reception.moreau",
        "time",
        "enter",
        conversation,
        "--minutes",
        "5",
        "--reason",
        "not a clinician",
    )
    assert desk.returncode != 0 and "clinicians" in desk.stderr


def test_retention_hold_and_a_purge_that_keeps_by_default(demo):
    held = run(
        demo,
        "--user",
        "admin",
        "retention",
        "hold",
        "1",
        "--reason",
        "Records request, file 2026-114",
    )
    assert held.returncode == 0, held.stderr
    purge = run(demo, "--user", "admin", "retention", "purge")
    assert purge.returncode == 0 and "nothing was purged" in purge.stdout
    refused = run(demo, "--user", "dr.patel", "retention", "purge")
    assert refused.returncode != 0 and "administrator" in refused.stderr
    assert run(demo, "--user", "admin", "retention", "release", "1").returncode == 0
