"""The safety reply to an urgent portal message, against a real FHIR R4 server on
127.0.0.1: one Communication per urgent message, in the patient's language, however
often the sync runs and wherever a send was cut short."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from clinic_inbox.core import outgoing_fhir, services
from clinic_inbox.core.accounts import FhirAccount, fhir_accounts
from clinic_inbox.core.config import load_config
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Direction, Priority
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.store import queries as q
from clinic_inbox.sources import portal_outbox, sync

FRENCH_URGENT = "Je n'en peux plus. Je pense à me suicider ce soir, j'ai les pilules devant moi."
ENGLISH_URGENT = "I have crushing chest pain since an hour and I cannot breathe"


@pytest.fixture()
def portal(tmp_path, fhir_server):
    prac = fhir_server.create(
        {"resourceType": "Practitioner", "name": [{"family": "Patel", "given": ["Anjali"]}]}
    )
    clinic = _bilingual_clinic(tmp_path / "c", fhir_server.base_url, prac["id"])
    yield clinic
    clinic.close()


def _bilingual_clinic(home, base_url: str, prac: str):
    """A clinic that answers in English and French, with one portal account."""
    home.mkdir(mode=0o700)
    (home / "clinic.toml").write_text('languages = ["en", "fr"]\n', "utf-8")
    clinic, _ = create_clinic(
        home, lambda p, c: "correct horse battery staple", KeyCustody(home, detect=False)
    )
    assert clinic.config.languages == ("en", "fr")
    services.create_first_admin(clinic, "admin", "Admin", "quartz lantern meadow violin")
    admin = services.login(clinic, "admin", "quartz lantern meadow violin")
    account = FhirAccount(name="Portal", base_url=base_url, practitioners=[prac])
    services.add_fhir_account(clinic, admin, account, None)
    clinic.prac = prac  # type: ignore[attr-defined]
    return clinic


def _patient(server, given: str) -> str:
    return server.create(
        {"resourceType": "Patient", "name": [{"family": "Roy", "given": [given]}]}
    )["id"]


def _comm(prac: str, patient: str, text: str, *, sent: datetime | None = None, **extra):
    when = (sent or datetime.now(UTC) - timedelta(minutes=3)).astimezone(UTC)
    return {
        "resourceType": "Communication",
        "status": "completed",
        "subject": {"reference": f"Patient/{patient}"},
        "sender": {"reference": f"Patient/{patient}"},
        "recipient": [{"reference": f"Practitioner/{prac}"}],
        "sent": when.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "payload": [{"contentString": text}],
        **extra,
    }


def _replies_to(server, patient: str) -> list[dict]:
    """What the clinic has written to this patient on the portal."""
    return server.search("Communication", {"recipient": f"Patient/{patient}"})


def _text(resource: dict) -> str:
    return resource["payload"][0]["contentString"]


def test_urgent_portal_messages_get_one_safety_reply_each_in_their_language(portal, fhir_server):
    fr, en, routine, old = (_patient(fhir_server, g) for g in ("Élise", "Ann", "Bob", "Cy"))
    fr_msg = fhir_server.create(_comm(portal.prac, fr, FRENCH_URGENT))
    en_msg = fhir_server.create(_comm(portal.prac, en, ENGLISH_URGENT))
    fhir_server.create(_comm(portal.prac, routine, "Could you renew my ramipril please?"))
    a_week_ago = datetime.now(UTC) - timedelta(days=7)
    fhir_server.create(_comm(portal.prac, old, ENGLISH_URGENT, sent=a_week_ago))

    first = sync.run_once(portal)
    assert not first.accounts[0].error, first.accounts[0].error
    assert first.outbox.sent == 2
    # the two safety replies are lines of their conversations: named in the pass's changes
    out = {r[0] for r in portal.store.execute("SELECT id FROM messages WHERE direction = 'out'")}
    assert len(out) == 2 and out <= first.changes.messages
    urgent = q.list_messages(
        portal.store, q.MessageFilter(search="crushing", direction=Direction.INBOUND)
    )
    assert [m.priority for m in urgent] == [Priority.URGENT] * 2  # the old one is urgent too

    [to_fr] = _replies_to(fhir_server, fr)
    [to_en] = _replies_to(fhir_server, en)
    assert _replies_to(fhir_server, routine) == []  # the portal acknowledges those itself
    assert _replies_to(fhir_server, old) == []  # too late to be of use
    assert to_fr["inResponseTo"] == [{"reference": f"Communication/{fr_msg['id']}"}]
    assert to_en["inResponseTo"] == [{"reference": f"Communication/{en_msg['id']}"}]
    assert "composez le 911" in _text(to_fr) and "Ligne d'aide en cas de crise" in _text(to_fr)
    assert "call 911 now" in _text(to_en) and "Bonjour" not in _text(to_en)
    for reply in (to_fr, to_en):
        assert reply["identifier"][0]["system"] == outgoing_fhir.REPLY_ID_SYSTEM
        assert reply["identifier"][0]["value"] == outgoing_fhir.derived_ident(
            fhir_server.base_url, reply["inResponseTo"][0]["reference"].split("/")[1], "safety"
        )

    # syncing again (the overlap window re-reads both messages) writes nothing more
    again = sync.run_once(portal)
    assert again.outbox.sent == 0 and again.accounts[0].acknowledged == 0
    assert len(_replies_to(fhir_server, fr)) == 1 and len(_replies_to(fhir_server, en)) == 1
    # and the reply is in the conversation, as sent
    thread = q.list_threads(portal.store, q.ThreadFilter(search="suicider"))
    assert thread
    outbound = [
        m
        for m in q.thread_messages(portal.store, thread[0].id, True)
        if m.direction is Direction.OUTBOUND
    ]
    assert len(outbound) == 1 and "9-8-8" in outbound[0].body


def test_a_safety_reply_cut_short_at_any_point_is_still_sent_once(portal, fhir_server):
    patient = _patient(fhir_server, "Dana")
    fhir_server.create(_comm(portal.prac, patient, ENGLISH_URGENT))
    sync.run_once(portal, send=False)  # stored and queued, not sent yet
    [item] = oq.in_state(portal.store, "pending", "portal")
    assert item.purpose == "safety"
    account = fhir_accounts(portal.store)[0]

    # killed after the server created it and before "sent" was recorded
    resource = json.loads(item.payload)
    with portal.store.transaction():
        oq.mark_sending(portal.store, item.id)
    from clinic_inbox.sources.fhir_client import FhirClient

    with FhirClient(account.base_url, None, None) as client:
        client.create_once(resource, (outgoing_fhir.REPLY_ID_SYSTEM, item.idempotency_key))
    assert len(_replies_to(fhir_server, patient)) == 1

    # the next sync finds the send interrupted, retries it, and the server keeps one
    report = sync.run_once(portal)
    assert report.outbox.sent == 1 and oq.get(portal.store, item.id).state == "sent"
    assert len(_replies_to(fhir_server, patient)) == 1
    # the server down in the middle of a later flush changes nothing either
    with portal.store.transaction():
        portal.store.execute("UPDATE outbox SET state = 'sending' WHERE id = ?", (item.id,))
    fhir_server.stop()
    down = portal_outbox.flush_account(portal, account, None)
    assert down.sent == 0 and down.waiting == 1
    fhir_server.start()
    with portal.store.transaction():
        oq.retry_now(portal.store)
    assert portal_outbox.flush_account(portal, account, None).sent == 1
    assert len(_replies_to(fhir_server, patient)) == 1


def test_a_store_that_lost_the_reply_sends_it_again_as_the_same_resource(
    portal, fhir_server, tmp_path
):
    """A store put back from before the message came (or a second workstation) reads
    the urgent message again and queues its safety reply again: the identifier derived
    from the message makes it the same resource, so the patient still gets one."""
    patient = _patient(fhir_server, "Gil")
    fhir_server.create(_comm(portal.prac, patient, FRENCH_URGENT))
    assert sync.run_once(portal).outbox.sent == 1
    other = _bilingual_clinic(tmp_path / "other", fhir_server.base_url, portal.prac)
    try:
        report = sync.run_once(other)
        assert report.accounts[0].acknowledged == 1 and report.outbox.sent == 1
    finally:
        other.close()
    assert len(_replies_to(fhir_server, patient)) == 1


def test_a_new_version_of_an_urgent_message_gets_no_second_reply(portal, fhir_server):
    patient = _patient(fhir_server, "Eve")
    msg = fhir_server.create(_comm(portal.prac, patient, ENGLISH_URGENT))
    sync.run_once(portal)
    msg["payload"] = [{"contentString": ENGLISH_URGENT + ". My lips are blue now."}]
    fhir_server.update(msg)
    report = sync.run_once(portal)
    assert report.stored == 1 and report.accounts[0].acknowledged == 0
    assert len(_replies_to(fhir_server, patient)) == 1


def test_an_english_only_clinic_answers_french_in_english(portal, fhir_server):
    portal.config = load_config()  # the shipped default: English alone
    patient = _patient(fhir_server, "Luc")
    fhir_server.create(_comm(portal.prac, patient, FRENCH_URGENT))
    sync.run_once(portal)
    [reply] = _replies_to(fhir_server, patient)
    assert "call 911 now" in _text(reply) and "composez" not in _text(reply)
