"""Messages the clinic starts, on a real encrypted store: who may write what, to whom,
through which channel, now or later, and follow-up dates coming due."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from support.clinics import new_clinic

from clinic_inbox.core import accounts, compose, dashboard, followup, services
from clinic_inbox.core import services_compose as sc
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.model import Category, Direction, Role, Source, Status
from clinic_inbox.core.resources import resource_path
from clinic_inbox.core.store import compose_queries as cq
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.store import queries as q

FROM = "inbox@riverside.example"


@pytest.fixture()
def clinic(tmp_path):
    clinic, admin, doc = new_clinic(tmp_path / "clinic")
    services.add_staff(
        clinic,
        admin,
        "reception.moreau",
        "Élise Moreau",
        Role.RECEPTIONIST,
        "paper lamp river stone",
    )
    with clinic.store.transaction():
        accounts.add_imap_account(
            clinic.store,
            accounts.ImapAccount(
                name="Clinic email",
                host="127.0.0.1",
                port=1143,
                username=FROM,
                security="none",
                smtp_host="127.0.0.1",
                smtp_port=1025,
                smtp_security="none",
                from_address=FROM,
            ),
        )
        ids = [
            q.add_patient(
                clinic.store,
                "Tremblay",
                "Luc",
                "1970-01-01",
                "C-1",
                None,
                doc.id,
                ("luc@patients.example",),
            ),
            q.add_patient(
                clinic.store,
                "Nguyen",
                "Mai",
                "1980-05-05",
                "C-2",
                None,
                doc.id,
                ("mai@patients.example",),
            ),
            q.add_patient(
                clinic.store,
                "Roy",
                "Ana",
                "1990-09-09",
                "C-3",
                None,
                doc.id,
                ("ana@patients.example",),
            ),
            q.add_patient(clinic.store, "Sans", "Adresse", "1960-01-01", "C-4", None, doc.id),
        ]
    clinic.patients = ids  # type: ignore[attr-defined]
    yield clinic
    clinic.close()


def _doc(clinic):
    return services.login(clinic, "dr.patel", "kettle orbit maple frost")


def _desk(clinic):
    return services.login(clinic, "reception.moreau", "paper lamp river stone")


def _audit(clinic, action):
    return clinic.store.execute(
        "SELECT actor, patient_id, thread_id, reason, detail FROM audit WHERE action = ?", (action,)
    ).fetchall()


RESULTS = sc.Request(template="results_normal", fields={"test": "cholesterol"})
REMINDER = sc.Request(
    template="reminder", fields={"what": "your flu shot", "when": "Tuesday 8 December at 9:30"}
)


# -- templates and the library ---------------------------------------------------------
def test_every_template_has_english_and_french_text_with_only_known_fields():
    standard = {"patient_first_name", "clinic_name", "phone", "emergency_advice"}
    for name, t in compose.templates().items():
        for lang in ("en", "fr"):
            subject, body = compose.template_text(name, lang)
            used = compose._placeholders(subject) | compose._placeholders(body)
            assert used <= standard | set(t.fields), (name, lang, used)
            assert set(t.fields) <= used, (name, lang)
    assert sorted(p.name for p in resource_path("compose_templates", "en").iterdir()) == sorted(
        p.name for p in resource_path("compose_templates", "fr").iterdir()
    )


def test_a_template_is_filled_in_the_patients_language_with_education_links():
    std = {
        "patient_first_name": "Luc",
        "clinic_name": "Riverside",
        "phone": "555",
        "emergency_advice": "911",
    }
    d = compose.render(
        "reminder",
        "fr",
        std,
        {"what": "prise de sang", "when": "mardi 9 h"},
        education=["flu_vaccine"],
    )
    assert d.subject == "Rappel : prise de sang"
    assert "Bonjour Luc" in d.body and "mardi 9 h" in d.body
    assert "Le vaccin contre la grippe" in d.body and "https://www.canada.ca/" in d.body
    assert d.category is Category.APPOINTMENT


def test_missing_fields_line_breaks_and_links_outside_the_library_are_refused():
    std = {"patient_first_name": "Luc", "clinic_name": "R", "phone": "5", "emergency_advice": "9"}
    with pytest.raises(compose.ComposeError, match="Fill in: when"):
        compose.render("reminder", "en", std, {"what": "x"})
    with pytest.raises(compose.ComposeError, match="one line"):
        compose.render("reminder", "en", std, {"what": "x\r\nBcc: all@x.org", "when": "y"})
    with pytest.raises(compose.ComposeError, match="education library"):
        compose.render("reminder", "en", std, {"what": "x", "when": "y"}, education=["evil"])
    # a brace typed by the sender stays a brace, never a field
    d = compose.render("reminder", "en", std, {"what": "{phone}", "when": "y"})
    assert "Reminder: {phone}" == d.subject


# -- one patient -----------------------------------------------------------------------
def test_a_physician_starts_a_results_message_by_email_to_the_registered_address(clinic):
    doc = _doc(clinic)
    luc = clinic.patients[0]
    preview = sc.preview_message(clinic, doc, luc, RESULTS)
    assert preview.channel == "email" and preview.to == "luc@patients.example"
    assert "Hello Luc" in preview.body
    # signed, then the clinic's standard footer (who reads, how fast, emergencies, stop)
    signed, _, foot = preview.body.partition(f"Dr Anjali Patel\n{clinic.config.name}\n\n--\n")
    assert signed and "Do not use e-mail for emergencies: call 911" in foot
    assert "To stop receiving" in foot and clinic.config.phone in foot
    assert "E-mail is not fully private" in foot  # the privacy risks of e-mail, said plainly
    assert oq.counts(clinic.store) == {}  # a preview keeps nothing
    started = sc.start_message(clinic, doc, luc, RESULTS)
    item = oq.get(clinic.store, started.outbox_id)
    assert item.state == "pending" and item.kind == "email" and item.purpose == "start"
    msg = message_from_bytes(item.payload, policy=default)
    assert msg["To"] == "luc@patients.example" and msg["Cc"] is None and msg["Bcc"] is None
    assert msg["Subject"] == "Your cholesterol results"
    assert msg.get_content().replace("\r\n", "\n").strip() == preview.body.strip()
    thread = q.get_thread(clinic.store, started.thread_id)
    assert thread.patient_id == luc and thread.status is Status.WAITING
    assert thread.category is Category.RESULTS
    out = q.thread_messages(clinic.store, started.thread_id, with_body=True)
    assert [(m.direction, m.source) for m in out] == [(Direction.OUTBOUND, Source.EMAIL)]
    [entry] = _audit(clinic, "message.start")
    assert entry[0] == "dr.patel" and entry[1] == luc and entry[2] == started.thread_id
    assert "cholesterol" not in entry[4]  # ids and names of things, never the words


def test_the_front_desk_may_send_reminders_but_not_results_and_the_refusal_is_audited(clinic):
    desk = _desk(clinic)
    luc = clinic.patients[0]
    with pytest.raises(AccessDenied, match="physician"):
        sc.start_message(clinic, desk, luc, RESULTS)
    with pytest.raises(AccessDenied):
        sc.preview_message(clinic, desk, luc, RESULTS)
    with pytest.raises(AccessDenied):  # her own words, filed as results, are refused alike
        sc.start_message(
            clinic,
            desk,
            luc,
            sc.Request(subject="Labs", body="All fine", category=Category.RESULTS),
        )
    assert oq.counts(clinic.store) == {} and q.list_threads(clinic.store) == []
    refused = _audit(clinic, "message.start.refused")
    assert len(refused) == 2 and refused[0][0] == "reception.moreau" and refused[0][1] == luc
    sc.start_message(clinic, desk, luc, REMINDER)
    assert oq.counts(clinic.store) == {"pending": 1}


def test_portal_first_when_the_patient_has_one(clinic):
    doc = _doc(clinic)
    with clinic.store.transaction():
        accounts.add_fhir_account(
            clinic.store,
            accounts.FhirAccount(
                name="Portal",
                base_url="http://127.0.0.1:9/fhir",
                practitioners=["p1"],
                staff_practitioners={"dr.patel": "p1"},
            ),
        )
        clinic.store.execute(
            "UPDATE patients SET portal_id = 'pt-9' WHERE id = ?", (clinic.patients[1],)
        )
    started = sc.start_message(clinic, doc, clinic.patients[1], RESULTS)
    item = oq.get(clinic.store, started.outbox_id)
    assert item.kind == "portal"
    resource = json.loads(item.payload)
    assert resource["recipient"] == [{"reference": "Patient/pt-9"}]
    assert resource["sender"]["reference"] == "Practitioner/p1"
    assert (
        "inResponseTo" not in resource
        and resource["identifier"][0]["value"] == item.idempotency_key
    )
    # asked for by email, it goes by email
    by_mail = sc.start_message(
        clinic, doc, clinic.patients[1], sc.Request(**{**RESULTS.__dict__, "channel": "email"})
    )
    assert oq.get(clinic.store, by_mail.outbox_id).kind == "email"
    with pytest.raises(compose.ComposeError, match="no patient portal"):
        sc.start_message(
            clinic, doc, clinic.patients[0], sc.Request(**{**RESULTS.__dict__, "channel": "portal"})
        )


def test_a_patient_with_no_address_is_to_be_called(clinic):
    with pytest.raises(compose.ComposeError, match="please call them"):
        sc.preview_message(clinic, _doc(clinic), clinic.patients[3], RESULTS)


# -- many patients -----------------------------------------------------------------------
def test_a_bulk_reminder_is_one_message_per_patient_each_to_one_address(clinic):
    desk = _desk(clinic)
    started = sc.bulk_reminder(clinic, desk, clinic.patients[:3] + [clinic.patients[0]], REMINDER)
    assert len(started) == 3 and len({s.thread_id for s in started}) == 3
    seen = []
    for s in started:
        msg = message_from_bytes(oq.get(clinic.store, s.outbox_id).payload, policy=default)
        assert msg["Cc"] is None and msg["Bcc"] is None and msg.get_all("To") == [msg["To"]]
        assert "," not in msg["To"]
        seen.append(msg["To"])
        assert msg.get_content().count("@patients.example") == 0  # no one else's address inside
    assert seen == ["luc@patients.example", "mai@patients.example", "ana@patients.example"]
    batches = {json.loads(a[4])["batch"] for a in _audit(clinic, "message.start")}
    assert len(batches) == 1


def test_a_bulk_reminder_with_one_unreachable_patient_sends_nothing_and_says_who(clinic):
    with pytest.raises(compose.ComposeError, match="Nothing was sent.*Adresse Sans"):
        sc.bulk_reminder(clinic, _desk(clinic), clinic.patients, REMINDER)
    assert oq.counts(clinic.store) == {}


# -- later ----------------------------------------------------------------------------------
def test_a_message_kept_for_later_waits_even_through_retry_now_and_can_be_cancelled(clinic):
    doc = _doc(clinic)
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    started = sc.start_message(
        clinic, doc, clinic.patients[0], sc.Request(**{**REMINDER.__dict__, "send_at": at})
    )
    assert oq.due(clinic.store, "email") == []
    with clinic.store.transaction():
        oq.retry_now(clinic.store)
    assert oq.due(clinic.store, "email") == []
    assert [i.id for i in oq.due(clinic.store, "email", now=at + timedelta(seconds=1))] == [
        started.outbox_id
    ]
    [kept] = sc.scheduled_messages(clinic, doc)
    assert kept.outbox_id == started.outbox_id and kept.send_after == at.isoformat()
    sc.cancel_scheduled(clinic, doc, started.outbox_id)
    assert oq.get(clinic.store, started.outbox_id).state == "cancelled"
    assert cq.delivery(clinic.store, started.message_id)[0] == "cancelled"
    assert oq.due(clinic.store, "email", now=at + timedelta(days=1)) == []
    assert len(_audit(clinic, "message.cancel")) == 1
    with pytest.raises(services.NotFound):
        sc.cancel_scheduled(clinic, doc, started.outbox_id)


def test_a_results_message_kept_for_later_cannot_be_cancelled_or_listed_by_the_front_desk(clinic):
    at = datetime.now(UTC) + timedelta(hours=1)
    started = sc.start_message(
        clinic, _doc(clinic), clinic.patients[0], sc.Request(**{**RESULTS.__dict__, "send_at": at})
    )
    desk = _desk(clinic)
    assert sc.scheduled_messages(clinic, desk) == []
    with pytest.raises(AccessDenied):
        sc.cancel_scheduled(clinic, desk, started.outbox_id)
    assert oq.get(clinic.store, started.outbox_id).state == "pending"


def test_a_time_already_past_is_refused(clinic):
    past = sc.Request(**{**REMINDER.__dict__, "send_at": datetime.now(UTC) - timedelta(minutes=1)})
    with pytest.raises(compose.ComposeError, match="has passed"):
        sc.start_message(clinic, _doc(clinic), clinic.patients[0], past)


# -- follow-up ------------------------------------------------------------------------------
def test_follow_up_brings_an_unanswered_conversation_back_to_new_once(clinic):
    doc = _doc(clinic)
    started = sc.start_message(clinic, doc, clinic.patients[0], RESULTS)
    other = sc.start_message(clinic, doc, clinic.patients[1], RESULTS)
    by = date.today() + timedelta(days=3)
    sc.set_follow_up(clinic, doc, started.thread_id, by)
    sc.set_follow_up(clinic, doc, other.thread_id, by)
    assert followup.bring_back(clinic) == []  # not yet
    # the second patient answers
    with clinic.store.transaction():
        q.insert_message(
            clinic.store,
            q.NewMessage(
                thread_id=other.thread_id,
                source=Source.EMAIL,
                direction=Direction.INBOUND,
                received_at=q.utcnow(),
                sender="mai@patients.example",
                body_text="Thanks, all good",
                patient_id=clinic.patients[1],
            ),
        )
    later = datetime.now(UTC) + timedelta(days=4)
    assert followup.bring_back(clinic, later) == [started.thread_id]
    assert q.get_thread(clinic.store, started.thread_id).status is Status.NEW
    assert cq.follow_up_due_threads(clinic.store) == [started.thread_id]
    assert q.get_thread(clinic.store, started.thread_id).follow_up_due
    assert not q.get_thread(clinic.store, other.thread_id).follow_up_due
    board = dashboard.build(clinic.store, clinic.config)
    assert board.follow_up_due == 1 and board.busiest_patients == [("Mai Nguyen", 1)]
    assert cq.follow_up_of(clinic.store, other.thread_id) == (None, None)
    assert followup.bring_back(clinic, later) == []  # once
    assert [a[2] for a in _audit(clinic, "thread.follow_up_due")] == [started.thread_id]
    with pytest.raises(ValueError, match="passed"):
        sc.set_follow_up(clinic, doc, started.thread_id, date.today() - timedelta(days=2))
    # the patient writes at last: the label goes, the conversation stays in New
    with clinic.store.transaction():
        q.insert_message(
            clinic.store,
            q.NewMessage(
                thread_id=started.thread_id,
                source=Source.EMAIL,
                direction=Direction.INBOUND,
                received_at=(datetime.now(UTC) + timedelta(seconds=2)).isoformat(
                    timespec="seconds"
                ),
                sender="luc@patients.example",
                body_text="Sorry, I was away",
                patient_id=clinic.patients[0],
            ),
        )
    assert not q.get_thread(clinic.store, started.thread_id).follow_up_due


def test_follow_up_follows_the_rule_of_any_status_change(clinic, tmp_path):
    started = sc.start_message(clinic, _doc(clinic), clinic.patients[0], RESULTS)
    # the front desk may move a conversation it sees only the header of (like its status)
    sc.set_follow_up(clinic, _desk(clinic), started.thread_id, date.today() + timedelta(days=1))
    admin = services.login(clinic, "admin", "quartz lantern meadow violin")
    with pytest.raises(AccessDenied):
        sc.set_follow_up(clinic, admin, started.thread_id, None)
    assert (
        cq.follow_up_of(clinic.store, started.thread_id)[0]
        == (date.today() + timedelta(days=1)).isoformat()
    )


def test_writing_again_before_the_patient_answers_goes_to_the_same_address(clinic):
    doc = _doc(clinic)
    started = sc.start_message(clinic, doc, clinic.patients[0], RESULTS)
    first = oq.get(clinic.store, started.outbox_id)
    item = services.queue_reply(
        clinic, doc, started.thread_id, "One more thing: fasting next time."
    )
    msg = message_from_bytes(oq.get(clinic.store, item).payload, policy=default)
    assert msg["To"] == "luc@patients.example"
    assert msg["In-Reply-To"] == first.idempotency_key  # the patient's mail client threads it
    assert msg["Subject"] == "Re: Your cholesterol results"
    # the front desk may not write in a results conversation, first or again
    with pytest.raises(AccessDenied):
        services.queue_reply(clinic, _desk(clinic), started.thread_id, "Hello")


def test_writing_again_through_the_portal_when_the_first_went_there(clinic):
    doc = _doc(clinic)
    with clinic.store.transaction():
        accounts.add_fhir_account(
            clinic.store,
            accounts.FhirAccount(
                name="Portal", base_url="http://127.0.0.1:9/fhir", practitioners=["p1"]
            ),
        )
        clinic.store.execute(
            "UPDATE patients SET portal_id = 'pt-7' WHERE id = ?", (clinic.patients[2],)
        )
    started = sc.start_message(clinic, doc, clinic.patients[2], RESULTS)
    item = services.queue_reply(clinic, doc, started.thread_id, "And please bring your list.")
    again = oq.get(clinic.store, item)
    assert (
        again.kind == "portal"
        and again.idempotency_key != oq.get(clinic.store, started.outbox_id).idempotency_key
    )
    resource = json.loads(again.payload)
    assert resource["recipient"] == [{"reference": "Patient/pt-7"}]
    assert "please bring your list" in resource["payload"][0]["contentString"]
