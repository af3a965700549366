"""`clinic-inbox proxy copy` and `proxy add --portal-id` in a real process, on the demo
clinic: what a physician types, and what the audit keeps."""

from __future__ import annotations

import json

import pytest
from support.insider import audit_rows, make_demo, run_cli

ROSA = 4  # the demo's mother; Carmen Delgado (proxy 1) writes for her about results


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return make_demo(tmp_path_factory.mktemp("proxy") / "clinic")


def test_a_copy_for_carmen_holds_what_she_is_authorised_for(home, tmp_path):
    out = tmp_path / "for-carmen"
    done = run_cli(home, "proxy", "copy", "1", "--out", str(out), user="dr.patel")
    assert done.returncode == 0, done.stderr
    assert "copied for the proxy" in done.stdout
    files = sorted(out.iterdir())
    copied = [ln for ln in done.stdout.splitlines() if ln.endswith(".pdf")]
    assert (
        files
        and len(files) == len(copied)
        and all(f.read_bytes().startswith(b"%PDF") for f in files)
    )
    assert all(oct(f.stat().st_mode & 0o777) == "0o600" for f in files)
    rows = audit_rows(home, "export.proxy")
    assert len(rows) == len(files) and all(r.patient_id == ROSA for r in rows)
    withheld = audit_rows(home, "export.proxy.withheld")
    said = [ln for ln in done.stdout.splitlines() if " withheld: " in ln]
    assert len(withheld) == len(said)
    # a wrong password: nothing written
    bad = run_cli(
        home, "proxy", "copy", "1", "--out", str(tmp_path / "x"), user="dr.patel", password="no"
    )
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert list((tmp_path / "x").iterdir()) == []


def test_a_proxys_own_portal_account_is_recorded_and_checked(home):
    args = ["proxy", "add", str(ROSA), "--name", "Luis Delgado", "--relationship", "caregiver",
            "--address", "luis@family.example", "--scope", "appointments",
            "--evidence", "Signed authorisation, scanned"]  # fmt: skip
    bad = run_cli(home, *args, "--portal-id", "Luis Delgado", user="dr.patel")
    assert bad.returncode != 0 and "id the portal gives" in bad.stderr
    assert "Traceback" not in bad.stderr
    done = run_cli(home, *args, "--portal-id", "rp-77", user="dr.patel")
    assert done.returncode == 0, done.stderr
    shown = json.loads(
        run_cli(home, "consent", "show", str(ROSA), "--json", user="dr.patel").stdout
    )
    assert [p["portal_id"] for p in shown["proxies"]] == [None, "rp-77"]
    [added] = [e for e in audit_rows(home, "patient.proxy.add") if e.detail.get("portal")]
    assert added.patient_id == ROSA and "rp-77" not in json.dumps(added.detail)


def test_reply_preview_shows_the_footer_and_sends_nothing(home):
    from support.insider import open_demo

    from clinic_inbox.core.store import outbox_queries as oq
    from clinic_inbox.core.store import queries as q

    with open_demo(home) as clinic:
        tid = next(
            t.id
            for t in q.list_threads(clinic.store)
            if t.patient_id == ROSA and t.source.value == "email"
        )
        before = oq.counts(clinic.store)
    done = run_cli(
        home, "reply", str(tid), "--body-file", "-", "--preview", user="dr.patel",
        stdin="Your results are normal.",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    heading = done.stdout.splitlines()[0]
    assert heading.startswith("By email, to ") and heading.endswith(", in English:")
    assert "Your results are normal." in done.stdout
    assert "Do not use e-mail for emergencies: call 911" in done.stdout
    assert "(preview only: nothing was sent)" in done.stdout
    with open_demo(home) as clinic:
        assert oq.counts(clinic.store) == before
