"""The patient's agreement wherever the clinic writes: messages it starts (one patient,
a proxy, bulk) and staff replies by email and through the portal; refusals audited;
the standard footer on everything sent. Real encrypted store, real access policy.

One module-wide clinic that requires consent (clinic.toml [consent] required = true)
and answers in English and French; each test makes its own patients."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from datetime import date, timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from support.clinic_details import CLINIC_TOML
from support.clinics import new_clinic

from clinic_inbox.core import accounts, audit, footer, services
from clinic_inbox.core import services_compose as scomp
from clinic_inbox.core import services_consent as scons
from clinic_inbox.core import services_reply as sr
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.compose import ComposeError
from clinic_inbox.core.config import load_config
from clinic_inbox.core.consent import ConsentNeeded
from clinic_inbox.core.model import Category, Direction, Priority, Role, Source
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.store import queries as q

PW = "kettle orbit maple frost"
FROM = "inbox@clinic.example"
_n = itertools.count(1)
REMINDER = scomp.Request(
    template="reminder", fields={"what": "your flu shot", "when": "Tuesday at 9:30"}
)
RESULTS = scomp.Request(template="results_normal", fields={"test": "cholesterol"})


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    home = tmp_path_factory.mktemp("everywhere") / "c"
    c, admin, _ = new_clinic(home)
    (home / "clinic.toml").write_text(
        'languages = ["en", "fr"]\n' + CLINIC_TOML + "[consent]\nrequired = true\n", "utf-8"
    )
    c.config = load_config(home)
    services.add_staff(c, admin, "desk", "Desk", Role.RECEPTIONIST, PW)
    with c.store.transaction():
        accounts.add_imap_account(
            c.store,
            accounts.ImapAccount(
                name="Mail",
                host="127.0.0.1",
                port=143,
                username=FROM,
                smtp_host="127.0.0.1",
                smtp_port=25,
                from_address=FROM,
            ),
        )
    services.add_fhir_account(
        c,
        admin,
        accounts.FhirAccount(
            name="Portal", base_url="http://127.0.0.1:9/fhir/R4", practitioners=["prac-1"]
        ),
        None,
    )
    yield c
    c.close()


@pytest.fixture(scope="module")
def s(clinic):
    return {
        "doc": services.login(clinic, "dr.patel", PW, sleep=lambda _: None),
        "desk": services.login(clinic, "desk", PW, sleep=lambda _: None),
    }


def patient(clinic, s, *, portal=False, email=True, born="1960-04-04", agreed=None):
    n = next(_n)
    with clinic.store.transaction():
        pid = q.add_patient(
            clinic.store,
            f"Fam{n}",
            f"Given{n}",
            born,
            f"EV-{n}",
            f"pat-{n}" if portal else None,
            s["doc"].staff.id,
            (f"p{n}@example.org",) if email else (),
        )
    if agreed:
        scons.record_consent(
            clinic,
            s["doc"],
            pid,
            channels=frozenset(agreed),
            terms_version="v1",
            how="signed-form",
        )
    return pid


def entries(clinic, action, patient_id=None):
    return [
        e
        for e in audit.entries(clinic.store)
        if e.action == action and (patient_id is None or e.patient_id == patient_id)
    ]


def payload_text(clinic, item_id) -> tuple[str, str]:
    item = oq.get(clinic.store, item_id)
    if item.kind == "email":
        msg = message_from_bytes(item.payload, policy=default)
        return msg["To"], msg.get_content().replace("\r\n", "\n")
    resource = json.loads(item.payload)
    return resource["recipient"][0]["reference"], resource["payload"][0]["contentString"]


# -- the footer ------------------------------------------------------------------------
def test_footer_in_english_and_french_from_the_clinics_details(clinic, tmp_path):
    en = footer.render(clinic.config, "en")
    fr = footer.render(clinic.config, "fr")
    assert "Test Street Clinic" in en and "204-555-0100" in en
    assert "Do not use e-mail for emergencies: call 911" in en
    assert "within 2 working days" in en  # routine: 16 working hours of ~8.7 a day
    assert "N'utilisez pas le courriel pour les urgences : composez le 911" in fr
    assert "2 jours ouvrables" in fr
    # once only, even when a text that already carries it is written again
    once = footer.with_footer("Hello", clinic.config, "en")
    assert footer.with_footer(once, clinic.config, "en") == once
    # a clinic's own wording wins; a field the app does not know is refused, not sent
    (tmp_path / "footer").mkdir()
    (tmp_path / "footer" / "en.txt").write_text("Call {phone}. {emergency_number}!", "utf-8")
    assert footer.render(clinic.config, "en", tmp_path) == "Call 204-555-0100. 911!"
    assert footer.render(clinic.config, "fr", tmp_path) == fr  # French: still the shipped
    (tmp_path / "footer" / "en.txt").write_text("Call {fax}", "utf-8")
    with pytest.raises(footer.FooterError, match="fax"):
        footer.render(clinic.config, "en", tmp_path)


def test_response_time_follows_the_published_turnaround(clinic):
    short = replace(clinic.config, turnaround_hours={Priority.ROUTINE: 3.0})
    assert footer.response_time(short, "en") == "3 working hours"
    assert footer.response_time(short, "fr") == "3 heures ouvrables"
    week = replace(clinic.config, turnaround_hours={Priority.ROUTINE: 40.0})
    assert footer.response_time(week, "en") == "5 working days"


# -- messages the clinic starts ------------------------------------------------------------
def test_compose_by_email_without_agreement_needs_a_reason_which_is_audited(clinic, s):
    pid = patient(clinic, s)
    with pytest.raises(ConsentNeeded, match="has not agreed to email messages"):
        scomp.preview_message(clinic, s["doc"], pid, RESULTS)
    with pytest.raises(ConsentNeeded, match="has not agreed to email messages"):
        scomp.start_message(clinic, s["doc"], pid, RESULTS)
    [refused] = entries(clinic, "message.start.refused", pid)
    assert refused.reason == "any channel: no agreement and no reason given"
    assert "Given" not in refused.reason  # no names in the audit
    assert entries(clinic, "message.start", pid) == []  # nothing was queued
    req = scomp.Request(
        template="results_normal",
        fields={"test": "cholesterol"},
        consent_reason="verbal consent today, by phone",
    )
    preview = scomp.preview_message(clinic, s["doc"], pid, req)
    assert "verbal consent today" in preview.consent_note
    started = scomp.start_message(clinic, s["doc"], pid, req)
    [entry] = entries(clinic, "message.start", pid)
    assert entry.detail["consent_reason"] == "verbal consent today, by phone"
    to, text = payload_text(clinic, started.outbox_id)
    assert to.endswith("@example.org") and "Do not use e-mail for emergencies" in text


def test_compose_to_an_opted_out_patient_is_refused_even_with_a_reason(clinic, s):
    pid = patient(clinic, s, portal=True, agreed={"email", "portal"})
    scons.end_consent(clinic, s["doc"], pid, how="opted-out")
    req = scomp.Request(template="results_normal", fields={"test": "x"}, consent_reason="asked")
    for channel in (None, "email", "portal"):
        with pytest.raises(ConsentNeeded, match="opted out"):
            scomp.start_message(clinic, s["doc"], pid, replace(req, channel=channel))
    refusals = entries(clinic, "message.start.refused", pid)
    assert len(refusals) == 3 and all("opted out" in e.reason for e in refusals)


def test_compose_takes_the_channel_the_patient_agreed_to(clinic, s):
    email_only = patient(clinic, s, portal=True, agreed={"email"})
    both = patient(clinic, s, portal=True, agreed={"email", "portal"})
    assert scomp.preview_message(clinic, s["doc"], email_only, RESULTS).channel == "email"
    assert scomp.preview_message(clinic, s["doc"], both, RESULTS).channel == "portal"
    with pytest.raises(ConsentNeeded, match="has not agreed to patient portal messages"):
        scomp.preview_message(clinic, s["doc"], email_only, replace(RESULTS, channel="portal"))
    started = scomp.start_message(clinic, s["doc"], both, RESULTS)
    to, text = payload_text(clinic, started.outbox_id)
    assert to.startswith("Patient/pat-") and "To stop receiving" in text


def test_compose_to_a_proxy_only_within_scope_and_dates(clinic, s):
    pid = patient(clinic, s, agreed={"email"})
    today = date.today()
    results = scons.add_proxy(
        clinic,
        s["doc"],
        pid,
        name="Carmen D",
        relationship="caregiver",
        address="carmen@family.example",
        scope=frozenset({"results"}),
        evidence="signed form",
    )
    appts = scons.add_proxy(
        clinic,
        s["doc"],
        pid,
        name="Old Proxy",
        relationship="caregiver",
        address="old@family.example",
        scope=frozenset({"everything"}),
        evidence="signed form",
        starts_on=(today - timedelta(days=400)).isoformat(),
        ends_on=(today - timedelta(days=30)).isoformat(),
    )
    to_carmen = replace(RESULTS, to_proxy=results)
    preview = scomp.preview_message(clinic, s["doc"], pid, to_carmen)
    assert preview.to == "carmen@family.example" and "Carmen D" in preview.consent_note
    started = scomp.start_message(clinic, s["doc"], pid, to_carmen)
    assert payload_text(clinic, started.outbox_id)[0] == "carmen@family.example"
    assert entries(clinic, "message.start", pid)[-1].detail["to_proxy"] == results
    # a reminder is not results: outside Carmen's scope
    with pytest.raises(ConsentNeeded, match="authorised for results, not for"):
        scomp.start_message(clinic, s["doc"], pid, replace(REMINDER, to_proxy=results))
    with pytest.raises(ConsentNeeded, match="ended on"):
        scomp.start_message(clinic, s["doc"], pid, replace(RESULTS, to_proxy=appts))
    other = patient(clinic, s, agreed={"email"})
    with pytest.raises(ComposeError, match="has no proxy number"):
        scomp.preview_message(clinic, s["doc"], other, to_carmen)


def test_bulk_all_or_nothing_names_who_and_why(clinic, s):
    ok = patient(clinic, s, agreed={"email"})
    none = patient(clinic, s)
    out = patient(clinic, s, agreed={"email"})
    scons.end_consent(clinic, s["doc"], out, how="opted-out")
    before = len(entries(clinic, "message.start"))
    with pytest.raises(ComposeError) as err:
        scomp.bulk_reminder(clinic, s["desk"], [ok, none, out], REMINDER)
    words = str(err.value)
    assert words.startswith("Nothing was sent.")
    assert "has not agreed to email messages" in words and "opted out" in words
    assert len(entries(clinic, "message.start")) == before


def test_bulk_skipping_sends_to_the_rest_and_names_who_was_skipped(clinic, s):
    ok1 = patient(clinic, s, agreed={"email"})
    ok2 = patient(clinic, s, portal=True, agreed={"portal"})
    none = patient(clinic, s)
    out = patient(clinic, s, agreed={"email"})
    scons.end_consent(clinic, s["doc"], out, how="opted-out")
    noaddr = patient(clinic, s, email=False, agreed={"email"})
    result = scomp.bulk_send_skipping(clinic, s["desk"], [ok1, ok2, none, out, noaddr], REMINDER)
    assert sorted(x.patient_id for x in result.started) == [ok1, ok2]
    assert [x.patient_id for x in result.skipped] == [none, out, noaddr]
    summary = result.summary()
    assert summary.startswith("2 messages queued. Not sent to 3:")
    assert "has not agreed" in summary and "opted out" in summary
    assert "no registered email address" in summary
    [skip] = [e for e in entries(clinic, "message.start.skipped")]
    assert skip.detail["patients"] == sorted([none, out, noaddr])
    kinds = {oq.get(clinic.store, x.outbox_id).kind for x in result.started}
    assert kinds == {"email", "portal"}
    # the front desk may not send results: that stops the whole batch, audited
    with pytest.raises(AccessDenied, match="Nothing was sent"):
        scomp.bulk_send_skipping(clinic, s["desk"], [ok1, none], RESULTS)


# -- staff replies -------------------------------------------------------------------------
def _incoming(clinic, pid, source, body="Could I have my results?", lang_body=None):
    n = next(_n)
    with clinic.store.transaction():
        tid = q.create_thread(
            clinic.store,
            q.NewThread("Results", Category.RESULTS, Priority.ROUTINE, q.utcnow(), pid),
        )
        portal = source is Source.PORTAL
        q.insert_message(
            clinic.store,
            q.NewMessage(
                tid,
                source,
                Direction.INBOUND,
                q.utcnow(),
                sender="portal:x" if portal else q.get_patient(clinic.store, pid).emails[0],
                subject="Results",
                body_text=lang_body or body,
                patient_id=pid,
                account_id=2 if portal else 1,
                fhir_resource_id=f"comm-{n}" if portal else None,
                fhir_version="1" if portal else None,
                message_id_header=f"<m{n}@example.org>",
            ),
        )
    return tid


def test_portal_reply_needs_the_portal_agreement_refusal_audited(clinic, s):
    pid = patient(clinic, s, portal=True, agreed={"email"})
    tid = _incoming(clinic, pid, Source.PORTAL)
    with pytest.raises(ConsentNeeded, match="has not agreed to patient portal messages"):
        sr.queue_reply(clinic, s["doc"], tid, "Your results are normal.")
    [refused] = entries(clinic, "reply.refused", pid)
    assert refused.reason == "portal: no agreement and no reason given"
    assert refused.detail == {"channel": "portal"} and refused.thread_id == tid
    item = sr.queue_reply(
        clinic, s["doc"], tid, "Your results are normal.", consent_reason="agreed by phone"
    )
    [given] = entries(clinic, "reply.consent", pid)
    assert given.detail["consent_reason"] == "agreed by phone" and given.detail["outbox_id"] == item
    to, text = payload_text(clinic, item)
    assert to.startswith("Patient/") and "Do not use e-mail for emergencies" in text
    # the reply, the signature, then the footer under it
    assert text.index("normal.") < text.index("Dr Anjali Patel") < text.index("About messages")


def test_portal_reply_to_an_opted_out_patient_is_refused(clinic, s):
    pid = patient(clinic, s, portal=True, agreed={"portal"})
    tid = _incoming(clinic, pid, Source.PORTAL)
    scons.end_consent(clinic, s["doc"], pid, how="opted-out")
    with pytest.raises(ConsentNeeded, match="opted out of patient portal messages"):
        sr.queue_reply(clinic, s["doc"], tid, "Normal.", consent_reason="asked")
    assert entries(clinic, "reply.refused", pid)[0].reason == "portal: the patient opted out"


def test_refused_email_reply_is_audited_and_agreed_one_carries_the_french_footer(clinic, s):
    none = patient(clinic, s)
    tid = _incoming(clinic, none, Source.EMAIL)
    with pytest.raises(ConsentNeeded, match="has not agreed to email"):
        sr.queue_reply(clinic, s["doc"], tid, "Normal.")
    [refused] = entries(clinic, "reply.refused", none)
    assert refused.reason == "email: no agreement and no reason given"
    agreed = patient(clinic, s, agreed={"email"})
    fr = _incoming(
        clinic,
        agreed,
        Source.EMAIL,
        lang_body="Bonjour, est-ce que mes résultats sont arrivés? Merci",
    )
    preview = sr.preview_reply(clinic, s["doc"], fr, "Vos résultats sont normaux.")
    assert preview.language == "fr" and preview.channel == "email"
    assert "N'utilisez pas le courriel pour les urgences" in preview.text
    item = sr.queue_reply(clinic, s["doc"], fr, "Vos résultats sont normaux.")
    to, text = payload_text(clinic, item)
    assert to.endswith("@example.org")
    assert text.strip() == preview.text.strip()


def test_a_reply_in_a_conversation_the_clinic_started_checks_the_agreement(clinic, s):
    pid = patient(clinic, s, agreed={"email"})
    started = scomp.start_message(clinic, s["doc"], pid, RESULTS)
    scons.end_consent(clinic, s["doc"], pid, how="opted-out")
    with pytest.raises(ConsentNeeded, match="opted out"):
        sr.queue_reply(clinic, s["doc"], started.thread_id, "One more thing.")
    # straight through the service too: an opted-out patient gets nothing
    with pytest.raises(ConsentNeeded, match="opted out"):
        services.queue_reply(clinic, s["doc"], started.thread_id, "One more thing.")
    assert entries(clinic, "reply.refused", pid)[0].reason == "email: the patient opted out"
