"""Consent and proxies through the services: real encrypted store, access and audit.

Each test builds its own patients in one module-wide clinic that requires consent
for email (clinic.toml [consent] required = true)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from support.clinics import new_clinic

from clinic_inbox.core import accounts, acknowledge, audit, services
from clinic_inbox.core import services_consent as sc
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.config import load_config
from clinic_inbox.core.consent import ConsentNeeded, ImportError_, State
from clinic_inbox.core.ingest import Incoming, ingest
from clinic_inbox.core.model import Role, Source
from clinic_inbox.core.senders import UNVERIFIED, VERIFIED
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.triage import load_rules

PW = "kettle orbit maple frost"
CLINIC_ADDR = "inbox@clinic.example"
_n = itertools.count(1)


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    home = tmp_path_factory.mktemp("consent") / "c"
    c, admin, _ = new_clinic(home)
    (home / "clinic.toml").write_text("[consent]\nrequired = true\n", "utf-8")
    c.config = load_config(home)
    for name, role in [("dr.okafor", Role.PHYSICIAN), ("desk", Role.RECEPTIONIST)]:
        services.add_staff(c, admin, name, name.title(), role, PW)
    with c.store.transaction():
        accounts.add_imap_account(
            c.store,
            accounts.ImapAccount(name="Mail", host="127.0.0.1", port=143, username=CLINIC_ADDR),
        )
    yield c
    c.close()


@pytest.fixture(scope="module")
def s(clinic):
    out = {
        n: services.login(clinic, n, PW, sleep=lambda _: None)
        for n in ("dr.patel", "dr.okafor", "desk")
    }
    out["admin"] = services.login(clinic, "admin", "quartz lantern meadow violin")
    return out


def patient(clinic, s, born="1960-04-04", physician="dr.patel", emails=None):
    n = next(_n)
    doc = s[physician].staff.id
    with clinic.store.transaction():
        return q.add_patient(
            clinic.store,
            f"Fam{n}",
            f"Given{n}",
            born,
            f"CH-{n}",
            None,
            doc,
            emails if emails is not None else (f"p{n}@example.org",),
        )


def writes(
    clinic,
    sender,
    subject="Question",
    body="Could I have my cholesterol results?",
    check=VERIFIED,
    minutes=5,
):
    msg = Incoming(
        source=Source.EMAIL,
        account_id=1,
        received_at=datetime.now(UTC) - timedelta(minutes=minutes),
        sender_address=sender,
        subject=subject,
        body_text=body,
        message_id=f"<m{next(_n)}@example.org>",
        sender_check=check,
    )
    with clinic.store.transaction():
        result = ingest(clinic.store, clinic.config, load_rules(), msg)
        item = acknowledge.maybe_acknowledge(
            clinic.store, clinic.config, msg, result, from_address=CLINIC_ADDR
        )
    ack = message_from_bytes(oq.get(clinic.store, item).payload, policy=default) if item else None
    return result, ack


def entries(clinic, action):
    return [e for e in audit.entries(clinic.store) if e.action == action]


def sent_to(clinic, item):
    return message_from_bytes(oq.get(clinic.store, item).payload, policy=default)["To"]


# -- recording, showing, ending --------------------------------------------------------
def test_record_show_and_end_an_agreement_every_change_audited(clinic, s):
    pid = patient(clinic, s)
    view = sc.patient_consent(clinic, s["dr.patel"], pid)
    assert view.state is State.NONE and "No agreement" in view.words
    cid = sc.record_consent(
        clinic,
        s["dr.patel"],
        pid,
        channels=frozenset({"email"}),
        terms_version="v1",
        how="signed-form",
    )
    view = sc.patient_consent(clinic, s["dr.patel"], pid)
    assert view.state is State.AGREED and view.words.startswith("Agreed to email on ")
    [rec] = [e for e in entries(clinic, "patient.consent.record") if e.patient_id == pid]
    assert rec.detail["consent_id"] == cid and rec.actor == "dr.patel"
    sc.end_consent(clinic, s["dr.patel"], pid, how="opted-out")
    view = sc.patient_consent(clinic, s["dr.patel"], pid)
    assert view.state is State.OPTED_OUT and len(view.history) == 1
    assert [
        e.detail["how"] for e in entries(clinic, "patient.consent.end") if e.patient_id == pid
    ] == ["opted-out"]
    assert any(e.patient_id == pid for e in entries(clinic, "patient.consent.view"))


def test_bad_agreements_refused_in_plain_words(clinic, s):
    pid = patient(clinic, s)
    base = dict(channels=frozenset({"email"}), terms_version="v1", how="verbal")
    for change, words in [
        ({"channels": frozenset({"fax"})}, "Choose the channels"),
        ({"terms_version": "v7"}, "no terms 'v7'"),
        ({"how": "telepathy"}, "Say how the patient agreed"),
        ({"agreed_on": (date.today() + timedelta(days=3)).isoformat()}, "in the future"),
    ]:
        with pytest.raises(ValueError, match=words):
            sc.record_consent(clinic, s["dr.patel"], pid, **{**base, **change})
    assert sc.patient_consent(clinic, s["dr.patel"], pid).agreement is None


def test_only_a_physician_ends_it_for_the_clinic_and_says_why(clinic, s):
    pid = patient(clinic, s)
    sc.record_consent(
        clinic, s["dr.patel"], pid, channels=frozenset({"email"}), terms_version="v1", how="verbal"
    )
    with pytest.raises(ValueError, match="Give the reason"):
        sc.end_consent(clinic, s["dr.patel"], pid, how="clinic-ended")
    sc.end_consent(clinic, s["dr.patel"], pid, how="clinic-ended", reason="repeated misuse")
    view = sc.patient_consent(clinic, s["dr.patel"], pid)
    assert view.state is State.ENDED and "(repeated misuse)" in view.words


def test_the_care_team_only(clinic, s):
    """A receptionist recording consent for a patient she cannot reach, an administrator
    changing a patient's record: refused and audited; a delegation opens it."""
    pid = patient(clinic, s, physician="dr.okafor")
    args = dict(channels=frozenset({"email"}), terms_version="v1", how="signed-form")
    for who in ("desk", "admin", "dr.patel"):
        with pytest.raises(AccessDenied):
            sc.record_consent(clinic, s[who], pid, **args)
    refused = [e for e in entries(clinic, "patient.consent.record.refused") if e.patient_id == pid]
    assert sorted(e.actor for e in refused) == ["admin", "desk", "dr.patel"]
    assert sc.patient_consent(clinic, s["dr.okafor"], pid).agreement is None
    with pytest.raises(AccessDenied, match="Administrators do not handle patient messages"):
        sc.patient_consent(clinic, s["admin"], pid)
    services.grant_delegation(clinic, s["dr.okafor"], physician="dr.okafor", delegate="desk")
    sc.record_consent(clinic, s["desk"], pid, **args)
    assert sc.patient_consent(clinic, s["desk"], pid).state is State.AGREED


# -- import from the EMR ---------------------------------------------------------------
def test_csv_import_all_or_nothing(clinic, s):
    a, b = patient(clinic, s), patient(clinic, s)
    ca, cb = (
        q.get_patient(clinic.store, a).chart_number,
        q.get_patient(clinic.store, b).chart_number,
    )
    head = "chart_number,agreed_on,channels,terms_version,how,ended_on,ended_how,end_reason\n"
    good = f"{ca},2025-02-03,email;portal,v1,signed-form,,,\n"
    with pytest.raises(ImportError_, match="Line 3: no patient has the chart number NOPE-9"):
        sc.import_consents(clinic, s["admin"], head + good + "NOPE-9,2025-02-03,email,v1,,,,\n")
    with pytest.raises(ImportError_, match="Line 3: the date"):
        sc.import_consents(clinic, s["admin"], head + good + f"{cb},someday,email,v1,,,,\n")
    assert sc.patient_consent(clinic, s["dr.patel"], a).agreement is None  # nothing half-done
    with pytest.raises(AccessDenied):
        sc.import_consents(clinic, s["desk"], head + good)
    done = sc.import_consents(
        clinic, s["admin"], head + good + f"{cb},2024-01-01,email,v1,,2025-06-01,opted-out,\n"
    )
    assert done.imported == 2
    assert sc.patient_consent(clinic, s["dr.patel"], a).state is State.AGREED
    assert sc.patient_consent(clinic, s["dr.patel"], b).state is State.OPTED_OUT
    assert {e.patient_id for e in entries(clinic, "patient.consent.import")} >= {a, b}


# -- what the app does with it: receipts and replies -------------------------------------
def test_receipts_follow_the_agreement(clinic, s):
    agreed, none, out = patient(clinic, s), patient(clinic, s), patient(clinic, s)
    sc.record_consent(
        clinic,
        s["dr.patel"],
        agreed,
        channels=frozenset({"email"}),
        terms_version="v1",
        how="signed-form",
    )
    sc.end_consent(clinic, s["dr.patel"], out, how="opted-out")  # with no agreement before
    assert sc.patient_consent(clinic, s["dr.patel"], out).agreement.channels == frozenset()
    addr = {p: q.get_patient(clinic.store, p).emails[0] for p in (agreed, none, out)}
    _, ack = writes(clinic, addr[agreed])
    assert "will answer within" in ack.get_content()
    _, ack = writes(clinic, addr[none])
    body = ack.get_content()
    assert "no agreement from you" in body and "will answer within" not in body
    _, ack = writes(clinic, addr[out])
    assert "asked us not to communicate with you by email" in ack.get_content()
    _, ack = writes(clinic, "stranger@example.net")
    assert "could not match your email address" in ack.get_content()
    # the safety advice goes to anyone, agreement or not
    _, ack = writes(clinic, addr[none], "Help", "I have crushing chest pain and cannot breathe")
    assert "911" in ack.get_content()


def test_a_reply_by_email_needs_the_agreement_or_a_recorded_reason(clinic, s):
    pid = patient(clinic, s)
    result, _ = writes(clinic, q.get_patient(clinic.store, pid).emails[0])
    with pytest.raises(ConsentNeeded, match="has not agreed to email"):
        services.queue_reply(clinic, s["dr.patel"], result.thread_id, "Your results are normal.")
    assert not [
        i
        for i in oq.in_state(clinic.store, "pending")
        if i.thread_id == result.thread_id and i.purpose == "reply"
    ]
    item = services.queue_reply(
        clinic,
        s["dr.patel"],
        result.thread_id,
        "Your results are normal.",
        consent_reason="verbal consent today, by phone",
    )
    [e] = [e for e in entries(clinic, "reply.queue") if e.detail.get("outbox_id") == item]
    assert e.detail["consent_reason"] == "verbal consent today, by phone"
    sc.end_consent(clinic, s["dr.patel"], pid, how="opted-out")
    with pytest.raises(ConsentNeeded, match="opted out"):
        services.queue_reply(clinic, s["dr.patel"], result.thread_id, "Again", consent_reason="x")


# -- proxies ---------------------------------------------------------------------------
def test_results_for_my_mom(clinic, s):
    """The daughter writes; "link to patient" asks who wrote; as a proxy only with an
    authorisation on record; her address never becomes her mother's; replies reach her
    only within the scope, and only while it lasts."""
    mom = patient(clinic, s, born="1948-03-12", emails=("rosa@example.org",))
    sc.record_consent(
        clinic,
        s["dr.patel"],
        mom,
        channels=frozenset({"email"}),
        terms_version="v1",
        how="signed-form",
    )
    daughter = "c.delgado@example.net"
    result, ack = writes(clinic, daughter, "Results for my mom", "Can you tell me her results?")
    assert result.patient_id is None and "writing for someone else" in ack.get_content()
    tid = result.thread_id
    with pytest.raises(AccessDenied, match="No authorisation for this sender"):
        sc.link_as(clinic, s["dr.patel"], tid, mom, "proxy")
    proxy_id = sc.add_proxy(
        clinic,
        s["dr.patel"],
        mom,
        name="Carmen Delgado",
        relationship="caregiver",
        address=daughter,
        scope=frozenset({"results"}),
        evidence="signed authorisation, scanned to the chart",
    )
    linked = sc.link_as(clinic, s["dr.patel"], tid, mom, "proxy")
    assert linked.addresses_added == 0
    assert q.get_patient(clinic.store, mom).emails == ("rosa@example.org",)
    assert q.get_thread(clinic.store, tid).category.value == "results"
    item = services.queue_reply(clinic, s["dr.patel"], tid, "Her results are normal.")
    assert sent_to(clinic, item) == daughter
    [e] = [e for e in entries(clinic, "reply.queue") if e.detail.get("outbox_id") == item]
    assert e.detail["to_proxy"] == proxy_id
    # withdrawn: the answer goes to the patient herself, never to the daughter
    sc.revoke_proxy(clinic, s["dr.patel"], proxy_id)
    item = services.queue_reply(clinic, s["dr.patel"], tid, "Please call us.")
    assert sent_to(clinic, item) == "rosa@example.org"
    view = sc.patient_consent(clinic, s["dr.patel"], mom)
    assert [w for _, w in view.proxies] == ["Carmen Delgado's authorisation was withdrawn."]


def test_a_proxy_outside_their_scope_is_not_answered(clinic, s):
    pid = patient(clinic, s, emails=("self@example.org",))
    sc.record_consent(
        clinic,
        s["dr.patel"],
        pid,
        channels=frozenset({"email"}),
        terms_version="v1",
        how="signed-form",
    )
    sc.add_proxy(
        clinic,
        s["dr.patel"],
        pid,
        name="Sam",
        relationship="caregiver",
        address="sam@example.net",
        scope=frozenset({"appointments"}),
        evidence="form",
    )
    result, _ = writes(clinic, "sam@example.net", "Results", "What were the blood test results?")
    sc.link_as(clinic, s["dr.patel"], result.thread_id, pid, "proxy")
    assert q.get_thread(clinic.store, result.thread_id).category.value == "results"
    item = services.queue_reply(clinic, s["dr.patel"], result.thread_id, "Please call.")
    assert sent_to(clinic, item) == "self@example.org"


def test_a_forged_proxy_address_is_nobodys_proxy(clinic, s):
    """An impostor sends as the proxy's address, unverified: the reply goes to the
    patient's own address, not to the forged sender."""
    pid = patient(clinic, s, emails=("own@example.org",))
    sc.record_consent(
        clinic,
        s["dr.patel"],
        pid,
        channels=frozenset({"email"}),
        terms_version="v1",
        how="signed-form",
    )
    sc.add_proxy(
        clinic,
        s["dr.patel"],
        pid,
        name="Kim",
        relationship="attorney",
        address="kim@example.net",
        scope=frozenset({"everything"}),
        evidence="POA",
    )
    result, _ = writes(clinic, "kim@example.net", "Results", "Her results please", check=UNVERIFIED)
    services.link_patient(clinic, s["dr.patel"], result.thread_id, pid, remember_sender=False)
    item = services.queue_reply(clinic, s["dr.patel"], result.thread_id, "Please call us.")
    assert sent_to(clinic, item) == "own@example.org"


def test_link_as_someone_else_remembers_nothing_and_as_patient_remembers(clinic, s):
    pid = patient(clinic, s, emails=("first@example.org",))
    r1, _ = writes(clinic, "who@example.net")
    sc.link_as(clinic, s["dr.patel"], r1.thread_id, pid, "other")
    assert q.get_patient(clinic.store, pid).emails == ("first@example.org",)
    r2, _ = writes(clinic, "second@example.org")
    assert sc.link_as(clinic, s["dr.patel"], r2.thread_id, pid, "patient").addresses_added == 1
    assert "second@example.org" in q.get_patient(clinic.store, pid).emails


def test_minors(clinic, s):
    """A parent of a 16-year-old is not recorded; a parent of a 13-year-old is, but not
    answered on a sensitive conversation: that reply goes to the teenager."""
    today = date.today()
    sixteen = patient(clinic, s, born=today.replace(year=today.year - 16).isoformat())
    with pytest.raises(
        ValueError, match="is 16: a parent or guardian writes for them only until 16"
    ):
        sc.add_proxy(
            clinic,
            s["dr.patel"],
            sixteen,
            name="Dad",
            relationship="parent",
            address="dad@example.net",
            scope=frozenset({"everything"}),
            evidence="ID",
        )
    teen = patient(
        clinic,
        s,
        born=(today - timedelta(days=365 * 13 + 40)).isoformat(),
        emails=("teen@example.org",),
    )
    sc.record_consent(
        clinic,
        s["dr.patel"],
        teen,
        channels=frozenset({"email"}),
        terms_version="v1",
        how="signed-form",
    )
    sc.add_proxy(
        clinic,
        s["dr.patel"],
        teen,
        name="Mum",
        relationship="parent",
        address="mum@example.net",
        scope=frozenset({"everything"}),
        evidence="birth cert",
    )
    ok, _ = writes(clinic, "mum@example.net", "Appointment", "Can we book a check-up?")
    sc.link_as(clinic, s["dr.patel"], ok.thread_id, teen, "proxy")
    assert sent_to(clinic, services.queue_reply(clinic, s["dr.patel"], ok.thread_id, "Yes")) == (
        "mum@example.net"
    )
    sens, _ = writes(clinic, "mum@example.net", "Question", "Is she on birth control?")
    sc.link_as(clinic, s["dr.patel"], sens.thread_id, teen, "proxy")
    services.mark_sensitive(clinic, s["dr.patel"], sens.thread_id, True)
    item = services.queue_reply(clinic, s["dr.patel"], sens.thread_id, "Please call us.")
    assert sent_to(clinic, item) == "teen@example.org"
    [e] = [e for e in entries(clinic, "reply.queue") if e.detail.get("outbox_id") == item]
    assert "proxy_refused" in e.detail


def test_no_clinical_advice_by_email_to_a_sender_the_clinic_does_not_know(clinic, s):
    clinical, _ = writes(clinic, "newcomer@example.net", "Rash", "What cream for my rash?")
    with pytest.raises(ConsentNeeded, match="not linked to a patient of the clinic"):
        services.queue_reply(clinic, s["dr.patel"], clinical.thread_id, "Try hydrocortisone.")
    # the standard invitation to book goes, recorded as such
    services.move_to_call_or_visit(clinic, s["dr.patel"], clinical.thread_id, "visit", "")
    [e] = [e for e in entries(clinic, "reply.queue") if e.thread_id == clinical.thread_id]
    assert e.detail["consent_reason"] == "standard letter (please_book)"
    letter = message_from_bytes(oq.get(clinic.store, e.detail["outbox_id"]).payload, policy=default)
    assert "Do not use e-mail for emergencies" in letter.get_body().get_content()  # the footer
    # an administrative question is answered
    admin, _ = writes(clinic, "newcomer@example.net", "Booking", "Are you taking new patients?")
    assert q.get_thread(clinic.store, admin.thread_id).category.administrative
    services.queue_reply(clinic, s["desk"], admin.thread_id, "Yes: call us to register.")
