"""Consent and proxies through `clinic-inbox` in a real process, on the demo clinic:
what the front desk and physicians type, and what insiders and impostors try."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from support.insider import audit_rows, make_demo, open_demo, run_cli

from clinic_inbox.core import services
from clinic_inbox.core import services_consent as sc
from clinic_inbox.core.ingest import Incoming, ingest
from clinic_inbox.core.model import Source
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.triage import load_rules
from clinic_inbox.demo_consent import DAUGHTER

ROSA, NO_AGREEMENT, OPTED_OUT = 4, 2, 3  # patient ids (demo keys + 1)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return make_demo(tmp_path_factory.mktemp("consent") / "clinic")


def _json(home, user, *args):
    done = run_cli(home, *args, "--json", user=user)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _thread_from(home, address: str, subject: str) -> int:
    with open_demo(home) as clinic:
        for t in q.list_threads(clinic.store, q.ThreadFilter()):
            if t.subject == subject and address in q.inbound_senders(clinic.store, t.id):
                return t.id
    raise AssertionError(f"no thread from {address}")


def test_the_demo_shows_agreed_none_opted_out_and_the_proxy(home):
    rosa = _json(home, "dr.patel", "consent", "show", str(ROSA))
    assert rosa["state"] == "agreed" and rosa["agreement"]["terms_version"] == "v1"
    [p] = rosa["proxies"]
    assert (p["name"], p["address"], p["standing"]) == ("Carmen Delgado", DAUGHTER, "active")
    assert _json(home, "dr.patel", "consent", "show", str(NO_AGREEMENT))["state"] == "none"
    out = run_cli(home, "consent", "show", str(OPTED_OUT), user="dr.patel")
    assert out.returncode == 0 and "Opted out of electronic messages" in out.stdout
    terms = run_cli(home, "consent", "terms", "v1", "--lang", "fr", user="dr.patel")
    assert "Qui lit vos messages" in terms.stdout


def test_results_for_my_mom_linked_as_proxy_and_answered_within_scope(home):
    tid = _thread_from(home, DAUGHTER, "Results for my mom")
    other = _thread_from(home, "c.delgado@northernlife.example", "Results for my mom")
    # the same person from an address not on record: no proxy without an authorisation
    done = run_cli(
        home, "link", str(other), "--patient", str(ROSA), "--sender-is", "proxy", user="dr.patel"
    )
    assert done.returncode == 1 and "No authorisation for this sender" in done.stderr
    done = run_cli(
        home, "link", str(tid), "--patient", str(ROSA), "--sender-is", "proxy", user="dr.patel"
    )
    assert done.returncode == 0, done.stderr
    with open_demo(home) as clinic:
        assert DAUGHTER not in q.get_patient(clinic.store, ROSA).emails
    done = run_cli(
        home,
        "reply",
        str(tid),
        "--body-file",
        "-",
        user="dr.patel",
        stdin="Your mother's cholesterol is normal.",
    )
    assert done.returncode == 0, done.stderr
    with open_demo(home) as clinic:
        [item] = [i for i in oq.in_state(clinic.store, "pending") if i.thread_id == tid]
        assert f"To: {DAUGHTER}" in item.payload.decode()


def _email_thread_of(home, patient_id: int) -> int:
    with open_demo(home) as clinic:
        for t in q.list_threads(clinic.store, q.ThreadFilter(patient_id=patient_id)):
            last = [
                m for m in q.thread_messages(clinic.store, t.id, False) if m.direction.value == "in"
            ]
            if last and last[-1].source.value == "email":
                return t.id
    raise AssertionError(f"the demo gave patient {patient_id} no email")


def test_no_email_reply_without_agreement_unless_a_reason_is_recorded(home):
    tid = _email_thread_of(home, NO_AGREEMENT)  # Dr Okafor's patient
    done = run_cli(home, "reply", str(tid), "--body-file", "-", user="dr.okafor", stdin="Hello")
    assert done.returncode == 1
    assert "has not agreed to email messages. Phone them or use the portal" in done.stderr
    done = run_cli(
        home,
        "reply",
        str(tid),
        "--body-file",
        "-",
        "--consent-reason",
        "verbal consent today, by phone",
        user="dr.okafor",
        stdin="Hello",
    )
    assert done.returncode == 0, done.stderr
    [e] = [r for r in audit_rows(home, "reply.queue") if r.thread_id == tid]
    assert e.detail["consent_reason"] == "verbal consent today, by phone"
    # an opt-out is final: no reason sends email
    tid = _email_thread_of(home, OPTED_OUT)  # Dr Lindqvist's patient
    done = run_cli(
        home,
        "reply",
        str(tid),
        "--body-file",
        "-",
        "--consent-reason",
        "urgent",
        user="dr.lindqvist",
        stdin="Hello",
    )
    assert done.returncode == 1 and "opted out of email messages" in done.stderr


def test_csv_import_reports_lines_and_imports_nothing(home, tmp_path):
    bad = tmp_path / "emr.csv"
    bad.write_text(
        "chart_number,agreed_on,channels,terms_version,how\n"
        "RFH-004100,2025-01-02,email,v1,signed-form\n"
        "RFH-999999,2025-01-02,email,v1,signed-form\n"
        "RFH-004107,02/01/2025,email,v1,signed-form\n",
        "utf-8",
    )
    before = len(audit_rows(home, "patient.consent.import"))
    done = run_cli(home, "consent", "import", str(bad), user="admin")
    assert done.returncode == 1
    assert "Nothing was imported" in done.stderr and "Line 4: the date" in done.stderr
    done = run_cli(home, "consent", "import", str(bad), user="reception.moreau")
    assert done.returncode == 1 and "Only an administrator" in done.stderr
    assert len(audit_rows(home, "patient.consent.import")) == before


# -- insiders and impostors ---------------------------------------------------------------
def test_a_receptionist_cannot_record_consent_for_a_patient_outside_her_reach(home):
    done = run_cli(
        home,
        "consent",
        "record",
        str(NO_AGREEMENT),
        "--channels",
        "email",
        "--terms",
        "v1",
        "--how",
        "verbal",
        user="reception.moreau",
    )
    assert done.returncode == 1 and "those they delegated to" in done.stderr
    [row] = [
        r
        for r in audit_rows(home, "patient.consent.record.refused")
        if r.actor == "reception.moreau"
    ]
    assert row.patient_id == NO_AGREEMENT
    assert _json(home, "dr.okafor", "consent", "show", str(NO_AGREEMENT))["state"] == "none"
    # nor add herself as a proxy to receive the patient's replies
    done = run_cli(
        home,
        "proxy",
        "add",
        str(NO_AGREEMENT),
        "--name",
        "J Moreau",
        "--relationship",
        "caregiver",
        "--address",
        "julie@home.example",
        "--scope",
        "everything",
        "--evidence",
        "trust me",
        user="reception.moreau",
    )
    assert done.returncode == 1


def test_a_teenagers_sensitive_conversation_is_not_answered_to_the_parent(home):
    """A parent proxy of a 14-year-old: answered on an appointment; on a sensitive
    conversation the answer goes to the teenager, never to the parent."""
    today = date.today()
    with open_demo(home) as clinic:
        s = services.login(clinic, "dr.patel", "demo", sleep=lambda _: None)
        teen = q.add_patient(
            clinic.store,
            "Ruiz",
            "Ana",
            (today - timedelta(days=14 * 366)).isoformat(),
            "RFH-TEEN",
            None,
            s.staff.id,
            ("ana.ruiz@gmail.example",),
        )
        sc.record_consent(
            clinic, s, teen, channels=frozenset({"email"}), terms_version="v1", how="signed-form"
        )
        sc.add_proxy(
            clinic,
            s,
            teen,
            name="Luis Ruiz",
            relationship="parent",
            address="luis.ruiz@gmail.example",
            scope=frozenset({"everything"}),
            evidence="birth certificate seen",
        )
    done = run_cli(home, "consent", "show", str(teen), user="dr.patel")
    assert "Luis Ruiz" in done.stdout and "[active]" in done.stdout
    tids = {}
    for key, body in [("visit", "Can we book her vaccines?"), ("private", "Is she pregnant?")]:
        msg = Incoming(
            source=Source.EMAIL,
            account_id=1,
            received_at=datetime.now(UTC),
            sender_address="luis.ruiz@gmail.example",
            subject=key,
            body_text=body,
            message_id=f"<{key}@gmail.example>",
            sender_check="verified",
        )
        with open_demo(home) as clinic:
            with clinic.store.transaction():
                tids[key] = ingest(clinic.store, clinic.config, load_rules(), msg).thread_id
        done = run_cli(
            home,
            "link",
            str(tids[key]),
            "--patient",
            str(teen),
            "--sender-is",
            "proxy",
            user="dr.patel",
        )
        assert done.returncode == 0, done.stderr
    with open_demo(home) as clinic:
        s = services.login(clinic, "dr.patel", "demo", sleep=lambda _: None)
        services.mark_sensitive(clinic, s, tids["private"], True)
    to = {}
    for key, tid in tids.items():
        done = run_cli(
            home, "reply", str(tid), "--body-file", "-", user="dr.patel", stdin="Please call us."
        )
        assert done.returncode == 0, done.stderr
        with open_demo(home) as clinic:
            [item] = [i for i in oq.in_state(clinic.store, "pending") if i.thread_id == tid]
            to[key] = message_from_bytes(item.payload, policy=default)["To"]
    assert to == {"visit": "luis.ruiz@gmail.example", "private": "ana.ruiz@gmail.example"}
