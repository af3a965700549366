"""Automatic receipts and safety replies: in the patient's language, and never
repeating anything of the incoming message (real store, no network)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default

import pytest
from support.clinics import new_clinic

from clinic_inbox.core import accounts, acknowledge, outgoing_fhir
from clinic_inbox.core.accounts import FhirAccount
from clinic_inbox.core.config import load_config
from clinic_inbox.core.ingest import Incoming, ingest
from clinic_inbox.core.model import Priority, Source
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.triage import load_rules

CLINIC = "inbox@clinic.example"
ACCOUNT = FhirAccount(name="Portal", base_url="https://portal.example/fhir", practitioners=["p1"])
EMAIL_ACCOUNT, PORTAL_ACCOUNT = 1, 2  # the order the fixture adds them in
HOSTILE_SUBJECT = "Your results are ready: https://evil.example/login?id=42 (click to view)"


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    """One clinic for the module (each test writes as a different patient)."""
    home = tmp_path_factory.mktemp("ack") / "c"
    c, _, _ = new_clinic(home)
    (home / "clinic.toml").write_text('languages = ["en", "fr"]\n', "utf-8")
    c.config = load_config(home)
    with c.store.transaction():
        c.email_account = accounts.add_imap_account(  # type: ignore[attr-defined]
            c.store, accounts.ImapAccount(name="Mail", host="127.0.0.1", port=143, username=CLINIC)
        )
        c.portal_account = accounts.add_fhir_account(c.store, ACCOUNT)  # type: ignore[attr-defined]
    assert (c.email_account, c.portal_account) == (EMAIL_ACCOUNT, PORTAL_ACCOUNT)
    yield c
    c.close()


def _email(n: int, subject: str, body: str, **over) -> Incoming:
    args = dict(
        source=Source.EMAIL,
        account_id=EMAIL_ACCOUNT,
        received_at=datetime.now(UTC) - timedelta(minutes=5),
        sender_address=f"patient{n}@example.org",
        subject=subject,
        body_text=body,
        message_id=f"<m{n}@example.org>",
    )
    args.update(over)
    return Incoming(**args)


def _acknowledge(clinic, msg):
    with clinic.store.transaction():
        result = ingest(clinic.store, clinic.config, load_rules(), msg)
        item = acknowledge.maybe_acknowledge(
            clinic.store, clinic.config, msg, result, from_address=CLINIC
        )
    if item is None:
        return result, None
    return result, message_from_bytes(oq.get(clinic.store, item).payload, policy=default)


FRENCH_ROUTINE = "Bonjour, je voudrais renouveler ma prescription de ramipril svp. Merci, Marie"
FRENCH_URGENT = "Je n'en peux plus. Je pense à me suicider ce soir, j'ai les pilules devant moi."
ENGLISH_ROUTINE = "Hello, could I renew my ramipril prescription please? Thanks, Mary"
ENGLISH_URGENT = "I have crushing chest pain and cannot breathe"


def test_a_french_message_gets_a_french_receipt_and_an_english_one_an_english_receipt(clinic):
    _, fr = _acknowledge(clinic, _email(1, "Renouvellement", FRENCH_ROUTINE))
    _, en = _acknowledge(clinic, _email(2, "Renewal", ENGLISH_ROUTINE))
    assert fr["Subject"] == f"Votre message à {clinic.config.name}"
    assert en["Subject"] == f"Your message to {clinic.config.name}"
    fr_body, en_body = fr.get_content(), en.get_content()
    assert "Bonjour" in fr_body and "nous avons bien reçu votre message" in fr_body
    assert "jours ouvrables" in fr_body and "composez le 911" in fr_body
    assert "Dear" in en_body and "working days" in en_body and "call 911" in en_body
    assert "Bonjour" not in en_body


def test_urgent_messages_get_the_safety_reply_in_their_language(clinic):
    result, fr = _acknowledge(clinic, _email(3, "aide", FRENCH_URGENT))
    assert result.priority is Priority.URGENT
    assert fr["Subject"] == "Important : votre message pourrait décrire une urgence"
    assert "9-8-8 (Ligne d'aide en cas de crise suicidaire)" in fr.get_content()
    result, en = _acknowledge(clinic, _email(4, "help", ENGLISH_URGENT))
    assert result.priority is Priority.URGENT
    assert en["Subject"] == "Important: your message may describe an emergency"
    assert "9-8-8" in en.get_content() and "call 911 now" in en.get_content()


def test_an_english_only_clinic_answers_french_in_english(clinic):
    bilingual = clinic.config
    clinic.config = load_config()  # the shipped default: English alone
    try:
        _, ack = _acknowledge(clinic, _email(5, "Renouvellement", FRENCH_ROUTINE))
    finally:
        clinic.config = bilingual
    assert ack["Subject"] == f"Your message to {clinic.config.name}"


@pytest.mark.parametrize(
    ("n", "body"), [(6, ENGLISH_ROUTINE), (7, ENGLISH_URGENT), (8, FRENCH_ROUTINE)]
)
def test_a_hostile_subject_and_links_are_never_repeated(clinic, n, body):
    body = f"{body}\n\nSee https://evil.example/phish and www.evil.example"
    _, reply = _acknowledge(clinic, _email(n, HOSTILE_SUBJECT, body))
    text = reply.as_string()
    assert "evil" not in text and "click" not in text.lower() and "http" not in text
    assert "results are ready" not in text.lower()


def _portal(n: int, body: str, **over) -> Incoming:
    args = dict(
        source=Source.PORTAL,
        account_id=PORTAL_ACCOUNT,
        received_at=datetime.now(UTC) - timedelta(minutes=5),
        sender_address=f"portal:pat-{n}",
        subject=body[:80],
        body_text=body,
        fhir_resource_id=f"comm-{n}",
        fhir_version="1",
        message_id=f"<Communication/comm-{n}@portal>",
        auto_submitted=True,
    )
    args.update(over)
    return Incoming(**args)


def _portal_safety(clinic, msg, now=None):
    with clinic.store.transaction():
        result = ingest(clinic.store, clinic.config, load_rules(), msg)
        item = acknowledge.maybe_portal_safety_reply(
            clinic.store, clinic.config, ACCOUNT, msg, result, now=now
        )
    return result, item


def test_a_portal_safety_reply_is_a_valid_communication_in_the_patients_language(clinic):
    _, item = _portal_safety(clinic, _portal(1, FRENCH_URGENT))
    queued = oq.get(clinic.store, item)
    resource = json.loads(queued.payload)
    outgoing_fhir.validate(resource)
    assert queued.kind == "portal" and queued.purpose == "safety"
    assert resource["inResponseTo"] == [{"reference": "Communication/comm-1"}]
    assert resource["recipient"] == [{"reference": "Patient/pat-1"}]
    assert resource["identifier"] == [
        {"system": outgoing_fhir.REPLY_ID_SYSTEM, "value": queued.idempotency_key}
    ]
    text = resource["payload"][0]["contentString"]
    assert "composez le 911" in text and "9-8-8" in text
    # derived from the message it answers: the same every time, for this message only
    assert queued.idempotency_key == outgoing_fhir.derived_ident(
        ACCOUNT.base_url, "comm-1", "safety"
    )
    assert queued.idempotency_key != outgoing_fhir.derived_ident(
        ACCOUNT.base_url, "comm-2", "safety"
    )


def test_portal_messages_that_get_no_safety_reply(clinic):
    # routine: the portal acknowledges those itself
    assert _portal_safety(clinic, _portal(2, ENGLISH_ROUTINE))[1] is None
    # older than the acknowledgement window
    old = datetime.now(UTC) - timedelta(hours=acknowledge.ACK_WITHIN_HOURS + 1)
    result, item = _portal_safety(clinic, _portal(3, ENGLISH_URGENT, received_at=old))
    assert result.priority is Priority.URGENT and item is None
    # nobody to address it to
    unknown = _portal(4, ENGLISH_URGENT, sender_address="portal:unknown")
    assert _portal_safety(clinic, unknown)[1] is None


def test_the_same_urgent_portal_message_is_answered_once(clinic):
    msg = _portal(5, ENGLISH_URGENT)
    result, item = _portal_safety(clinic, msg)
    assert item is not None
    # a second attempt for the same message (as after a crash) queues nothing more
    with clinic.store.transaction():
        again = acknowledge.maybe_portal_safety_reply(
            clinic.store, clinic.config, ACCOUNT, msg, result
        )
    assert again is None
    pending = oq.in_state(clinic.store, "pending", "portal")
    assert [i.id for i in pending if i.thread_id == result.thread_id] == [item]


def test_moving_a_french_conversation_to_a_visit_tells_the_patient_in_french(clinic):
    from clinic_inbox.core import services
    from clinic_inbox.core.store import queries as q

    with clinic.store.transaction():
        doc_id = clinic.store.one("SELECT id FROM staff WHERE username = 'dr.patel'")
        q.add_patient(
            clinic.store, "Roy", "Élise", None, None, None, doc_id, ("elise@example.org",)
        )
    msg = _email(
        30,
        "genou",
        "Bonjour, mon genou est enflé depuis ma chute de vendredi, je boite encore.",
        sender_address="elise@example.org",
    )
    result, _ = _acknowledge(clinic, msg)
    doc = services.login(clinic, "dr.patel", "kettle orbit maple frost")
    before = {i.id for i in oq.in_state(clinic.store, "pending", "email")}
    services.move_to_call_or_visit(clinic, doc, result.thread_id, "visit", "examen du genou")
    [new] = [i for i in oq.in_state(clinic.store, "pending", "email") if i.id not in before]
    body = message_from_bytes(new.payload, policy=default).get_content()
    assert "Bonjour Élise," in body and "veuillez prendre rendez-vous" in body


def test_turnaround_in_words_in_both_languages(clinic):
    from clinic_inbox.core.acknowledge import _turnaround_words

    words = {
        hours: (
            _turnaround_words_for(clinic, _turnaround_words, hours, "en"),
            _turnaround_words_for(clinic, _turnaround_words, hours, "fr"),
        )
        for hours in (1, 4, 12, 16, 24)
    }
    assert words[1] == ("1 working hour", "1 heure ouvrable")
    assert words[4] == ("4 working hours", "4 heures ouvrables")
    assert words[12] == ("1.5 working days", "1,5 jour ouvrable")
    assert words[16] == ("2 working days", "2 jours ouvrables")
    assert words[24] == ("3 working days", "3 jours ouvrables")


def _turnaround_words_for(clinic, fn, hours, language):
    import dataclasses

    cfg = dataclasses.replace(clinic.config, turnaround_hours={Priority.ROUTINE: hours})
    return fn(cfg, Priority.ROUTINE, language)
