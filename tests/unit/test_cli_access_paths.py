"""Every `clinic-inbox` command that reads or writes patient data goes through a service.

The proof, command by command, run as a receptionist (the lowest clinical role) in a
real process on the demo clinic: without a sign-in the command stops; signed in, it is
either refused by the policy in plain words or leaves the audit entry its service
writes (or masks what the policy hides). A new command that is in no table below makes
this test fail until someone decides which it is.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest
from support.insider import make_demo, open_demo, run_cli

from clinic_inbox.cli import build_parser
from clinic_inbox.core import audit
from clinic_inbox.core.store import queries as q

DESK = "reception.singh"

# Commands that hold no patient data of an existing clinic, and why.
EXEMPT = {
    "": "the app itself: its sign-in dialog, then the same services",
    "demo": "creates the demo clinic; never touches an existing one",
    "init": "creates a new, empty clinic; refuses an existing one",
    "key recover": "the recovery code is the authority; it restores access, reads nothing",
    "consent terms": "the clinic's published terms of electronic communication; no patient data",
    "compose templates": "lists the shipped templates and education links; no clinic data",
}


def _leaves(parser: argparse.ArgumentParser, prefix: str = "") -> set[str]:
    found = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found |= _leaves(sub, f"{prefix} {name}".strip())
    return found or {prefix}


@pytest.fixture(scope="module")
def clinic_home(tmp_path_factory):
    home = make_demo(tmp_path_factory.mktemp("paths") / "clinic")
    done = run_cli(home, "delegate", "grant", "--physician", "dr.patel", "--to", "nurse.chen",
                   user="dr.patel")  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = tmp_path_factory.mktemp("backup") / "b.cib"
    assert run_cli(home, "backup", "--out", str(out), user="admin").returncode == 0
    with open_demo(home) as clinic:
        rows = q.list_threads(clinic.store)
        clinical = next(t for t in rows if t.patient_id and not t.category.administrative)
        admin = next(
            t for t in rows if t.patient_id and t.category.administrative and not t.sensitive
        )
        patient = q.get_patient(clinic.store, clinical.patient_id)
        physician = clinic.store.one(
            "SELECT username FROM staff WHERE id = ?", (patient.responsible_physician_id,)
        )
    (home.parent / "reply.txt").write_text("Thank you, we will call you.", "utf-8")
    (home.parent / "patients.csv").write_text(
        "family_name,given_name,birth_date\nImported,Iris,1970-01-02\n", "utf-8"
    )
    # a proxy for the patient of the clinical conversation: the demo's own proxy is for a
    # patient whose conversations depend on the hour the demo is made (some hours none,
    # and a copy of nothing was then not refused)
    done = run_cli(home, "proxy", "add", str(patient.id), "--name", "Paula Proxy",
                   "--relationship", "caregiver", "--address", "paula@example.org",
                   "--scope", "everything", "--evidence", "signed form", user=physician)  # fmt: skip
    assert done.returncode == 0, done.stderr
    proxy = int(re.search(r"Proxy (\d+) recorded", done.stdout).group(1))
    return home, out, clinical.id, admin.id, patient.id, proxy


def _cases(home, backup, clinical: int, admin_thread: int, patient: int, proxy: int = 1) -> dict:
    reply = str(home.parent / "reply.txt")
    empty = str(home.parent / "empty-home")
    refused = "refused"
    return {
        # command: (arguments, stdin, what a receptionist gets: "refused", or the audit
        # action its service writes, or "ok" with a check of what it printed)
        "user list": ([], None, "ok"),
        "user add": (["x.new", "--role", "nurse"], None, refused),
        "user disable": (["dr.patel"], None, refused),
        "user enable": (["dr.patel"], None, refused),
        "user reset": (["dr.patel"], None, refused),
        "user unlock": (["dr.patel"], None, refused),
        "user role": (["dr.patel", "--role", "nurse"], None, refused),
        "user rename": (["dr.patel", "Dr Someone Else"], None, refused),
        "delegate grant": (["--physician", "dr.patel", "--to", DESK], None, refused),
        "delegate revoke": (["1"], None, refused),
        "delegate change": (["1", "--sensitive"], None, refused),
        "delegate list": (["--json"], None, "ok:[]"),
        "break-glass": ([str(clinical), "--reason", "I just want to read it now"], None, refused),
        "list": (["--search", "pain", "--json"], None, "search"),
        "show": ([str(clinical), "--json"], None, "thread.view_header"),
        "account add-imap": (
            [
                "--name",
                "X",
                "--host",
                "mail.example.org",
                "--username",
                "a@example.org",
                "--password-stdin",
            ],
            "pw\n",
            refused,
        ),  # fmt: skip
        "account add-fhir": (
            [
                "--name",
                "P",
                "--base-url",
                "https://portal.example.org/fhir/R4",
                "--practitioner",
                "123",
            ],
            None,
            refused,
        ),
        "account list": ([], None, refused),
        "account remove": (["clinic-mail"], None, refused),
        "sync": (["--once", "--no-send"], None, "ok"),
        "reply": ([str(clinical), "--body-file", reply], None, refused),
        "patient physician": ([str(patient), "--physician", "dr.okafor"], None, refused),
        "break-glass-review": ([], None, refused),
        "link": ([str(clinical), "--patient", str(patient)], None, refused),
        "consent show": ([str(patient)], None, "patient.consent.view"),
        "consent record": (
            [str(patient), "--channels", "email", "--terms", "v1", "--how", "verbal"],
            None,
            refused,
        ),
        "consent end": ([str(patient), "--how", "opted-out"], None, refused),
        "consent import": ([reply], None, refused),
        "consent terms-publish": (
            ["--text", f"en={reply}", "--text", f"fr={reply}"],
            None,
            refused,
        ),
        "proxy add": (
            [
                str(patient),
                "--name",
                "X",
                "--relationship",
                "caregiver",
                "--address",
                "x@example.org",
                "--scope",
                "everything",
                "--evidence",
                "none",
            ],
            None,
            refused,
        ),  # fmt: skip
        "proxy revoke": (["1"], None, refused),
        "proxy copy": ([str(proxy), "--out", str(home.parent / "proxy-copy")], None, refused),
        "unlink": ([str(clinical)], None, refused),
        "patient add": (
            ["--family", "Newman", "--given", "Ada", "--born", "1990-05-04"],
            None,
            "patient.create",
        ),  # fmt: skip
        "patient edit": ([str(patient), "--chart", "NEW-1"], None, "patient.edit"),
        "patient merge": ([str(patient), str(patient), "--yes"], None, refused),
        "patient duplicates": ([], None, refused),
        "patient distinct": ([str(patient), str(patient)], None, refused),
        "patient show": ([str(patient)], None, "patient.view"),
        "patient import": ([str(home.parent / "patients.csv")], None, "patient.import"),
        "confirm-sender": ([str(clinical), "--how", "Phoned the patient at home."], None, refused),
        "export": ([str(clinical), "--out", str(home.parent / "exp")], None, refused),
        "backup": (["--out", str(home.parent / "copy.cib")], None, "backup.refused"),
        "restore": ([str(backup), "--home", empty], None, refused),
        "doctor": ([], None, "ok"),
        "key change": ([], None, refused),
        "key seal": ([], None, refused),
        "audit verify": ([], None, refused),
        "audit export": (["--csv"], None, refused),
        "audit reveal-search": (["1"], None, refused),
        "audit enable-server": (["--dsn", "host=127.0.0.1 port=9 dbname=x user=y"], None, refused),
        "thread-view-admin-ok": ([str(admin_thread)], None, "thread.view"),
        # the shared server (clinic_inbox/shared/cli_server.py): administrators set it up;
        # any signed-in person may sync and see what waits (the demo clinic works alone)
        "server init": (["--dsn", "host=127.0.0.1 port=9 dbname=x user=y"], None, refused),
        "server upgrade": (["--dsn", "host=127.0.0.1 port=9 dbname=x user=y"], None, refused),
        "server connect": (
            ["--dsn", "host=127.0.0.1 port=9 dbname=x user=y", "--code-stdin"],
            "AAAA\n",
            refused,
        ),
        "server publish": ([], None, refused),
        "server sync": ([], None, "ok"),
        "server status": ([], None, "ok"),
        "server conflicts": ([], None, "ok"),
        "server held": (["--json"], None, "ok:[]"),
        "server join": (["--dsn", "host=127.0.0.1 port=9 dbname=x user=y"], None, refused),
        "server pending": ([], None, refused),
        "server approve": (["AAAA-BBBB-CCCC-DDDD"], None, refused),
        "server revoke": (["00000000-0000-0000-0000-000000000000"], None, refused),
        "server code-key": (["--code-stdin"], "AAAA\n", refused),
        # the clinic writes first, covers, bills and files (branch clinic-writes)
        "compose send": (
            [f"--patient={patient}", "--template=results_normal", "--field=test=lipids"],
            None,
            refused,
        ),
        "compose scheduled": (["--json"], None, "ok:[]"),
        "compose cancel": (["1"], None, refused),
        "follow-up": ([str(clinical), "--by", "2099-01-01"], None, "thread.follow_up"),
        "away add": (
            ["--physician=dr.patel", "--from=2099-01-01", "--to=2099-01-08"],
            None,
            refused,
        ),
        "away list": ([], None, "ok"),
        "away cancel": (["1"], None, refused),
        "time enter": ([str(clinical), "--minutes=5", "--reason=Read the report"], None, refused),
        "time edit": (["1", "--minutes=5", "--reason=Read the report"], None, refused),
        "billing report": (["--from=2026-01-01", "--to=2026-12-31"], None, refused),
        "retention hold": ([str(clinical), "--reason=Records request"], None, refused),
        "retention release": ([str(clinical)], None, refused),
        "retention purge": ([], None, refused),
    }


def test_every_command_is_classified():
    cases = _cases(Path("/x/y"), "b", 1, 2, 3)
    known = set(cases) - {"thread-view-admin-ok"} | set(EXEMPT)
    assert _leaves(build_parser()) | {""} == known


@pytest.mark.slow(seconds=49)
def test_each_command_needs_a_sign_in_and_goes_through_the_policy(clinic_home):
    home, backup, clinical, admin_thread, patient, proxy = clinic_home
    cases = _cases(home, backup, clinical, admin_thread, patient, proxy)
    reader = open_demo(home)  # one reader: each query sees what the commands committed

    def audit_rows(_home: Path) -> list:
        return audit.entries(reader.store)

    for name, (args, stdin, expect) in cases.items():
        if name == "thread-view-admin-ok":
            name = "show"  # an administrative conversation: she reads it, and it is audited
        words = name.split()
        before = len(audit_rows(home))
        env = {"CLINIC_INBOX_NEW_PASSWORD": "a new password for them"}
        anonymous = run_cli(home, *words, *args, stdin=stdin, env=env)
        assert anonymous.returncode != 0, name
        assert "--user" in anonymous.stderr or "administrator" in anonymous.stderr, name
        done = run_cli(home, *words, *args, user=DESK, stdin=stdin, env=env)
        assert "Traceback" not in done.stderr, (name, done.stderr)
        new = [
            e
            for e in audit_rows(home)[before:]
            if e.actor == DESK and e.action not in ("login", "reauth")
        ]
        if expect == "refused":
            assert done.returncode == 1, (name, done.stdout)
            assert any(w in done.stderr for w in ("Only", "only", "may not", "for physicians")), (
                name,
                done.stderr,
            )
            assert not [e for e in new if not e.action.endswith(".refused")], (name, new)
        elif expect.startswith("ok"):
            assert done.returncode == 0, (name, done.stderr)
            if expect == "ok:[]":
                assert json.loads(done.stdout) == []
        else:
            assert done.returncode == 0 or expect.endswith(".refused"), (name, done.stderr)
            assert expect in [e.action for e in new], (name, [e.action for e in new])
    # the lowest role sees no store counts in doctor, and no hidden subjects in list
    doctor = run_cli(home, "doctor", user=DESK)
    assert "Integrity check: ok" in doctor.stdout and "Patients:" not in doctor.stdout
    rows = json.loads(run_cli(home, "list", "--json", user=DESK).stdout)
    assert any(r["subject"].endswith("(details hidden)") for r in rows)
    reader.close()


# Direct reads of the store (or of whole-store operations) left in the CLI and the app,
# each with why it needs no access decision. Anything else goes through a service.
ALLOWED_DIRECT = {
    ("cli.py", "change_key"): "after an administrator check; key custody (sec-audit's)",
    ("cli.py", "restore_backup"): "with authorize=services.restore_sign_in (checked below)",
    ("cli.py", "replace_damaged_store"): "the same, after the store was found damaged",
    ("cli.py", "q.staff_login_row"): "a user name to an id; the service decides",
    ("cli.py", "eq.finished_threads_since"): "ids only; each export is services.export_thread",
    ("cli.py", "accounts.fhir_accounts"): "the portal to send a filed Bundle to, by name",
    ("ui/app.py", "replace_damaged_store"): "with authorize=services.restore_sign_in",
    ("ui/backup_worker.py", "run_scheduled_backup"): "the app's own daily backup (system)",
    ("ui/login.py", "q.get_meta"): "is this the demo clinic",
    ("ui/login.py", "q.list_staff"): "the demo's user names on its sign-in screen",
    ("ui/main_window.py", "q.get_meta"): "is this the demo clinic",
    ("ui/main_window.py", "q.list_staff"): "the team list, after sign-in (names only)",
    ("ui/main_window.py", "oq.counts"): "how many replies wait in the outbox",
    ("ui/main_window.py", "q.ThreadFilter"): "a filter value, not a query",
}
_STORE_MODULES = {"q", "aq", "eq", "oq", "sq", "audit", "accounts"}
_WHOLE_STORE = {"write_backup", "restore_backup", "replace_damaged_store", "run_scheduled_backup",
                "change_key"}  # fmt: skip


def test_the_cli_and_the_app_reach_the_store_only_through_services():
    import ast

    pkg = Path(__file__).resolve().parents[2] / "clinic_inbox"
    found: dict[tuple[str, str], list[ast.Call]] = {}
    for path in [pkg / "cli.py", *sorted((pkg / "ui").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            name = None
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
                if f.value.id in _STORE_MODULES or f.attr in _WHOLE_STORE:
                    name = f"{f.value.id}.{f.attr}"
            elif isinstance(f, ast.Name) and f.id in _WHOLE_STORE:
                name = f.id
            if name:
                key = (str(path.relative_to(pkg)), name)
                found.setdefault(key, []).append(node)
    assert set(found) <= set(ALLOWED_DIRECT), sorted(set(found) - set(ALLOWED_DIRECT))
    for (where, name), calls in found.items():
        if name in ("restore_backup", "replace_damaged_store"):
            for call in calls:
                assert "authorize" in {k.arg for k in call.keywords}, (where, call.lineno)
