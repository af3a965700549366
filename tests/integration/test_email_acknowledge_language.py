"""Receipts and safety replies by email, through a real Dovecot and a real SMTP server
on 127.0.0.1: in the patient's language, never repeating the incoming subject or a
link from it."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest

from clinic_inbox.core import services
from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.sources import sync

MAILBOX = "inbox@clinic.example"
PASSWORD = "mailbox-password"


def _no_passphrase(prompt: str, confirm: bool) -> str:
    raise AssertionError("the keyring holds the key; no passphrase should be asked")


@pytest.fixture()
def bilingual_mail_clinic(tmp_path, dovecot, smtp_server, secret_service):
    dovecot.add_user(MAILBOX, PASSWORD)
    home = tmp_path / "clinic"
    home.mkdir(mode=0o700)
    (home / "clinic.toml").write_text(
        'languages = ["en", "fr"]\n[clinic]\nname = "Clinique du Parc"\nphone = "819-555-0101"\n'
        'timezone = "America/Toronto"\n',
        "utf-8",
    )
    clinic, _ = create_clinic(
        home, _no_passphrase, KeyCustody(home, backend=secret_service.backend())
    )
    services.create_first_admin(clinic, "admin", "Alex Admin", "quartz lantern meadow violin")
    admin = services.login(clinic, "admin", "quartz lantern meadow violin")
    account = ImapAccount(
        name="Clinic email",
        host=dovecot.host,
        port=dovecot.port,
        username=MAILBOX,
        security="none",
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        smtp_security="none",
        from_address=MAILBOX,
    )
    services.add_imap_account(clinic, admin, account, PASSWORD)
    yield clinic
    clinic.close()


def _mail(sender: str, subject: str, body: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = MAILBOX
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain="patients.example")
    msg.set_content(body)
    return msg.as_bytes()


def _sent_to(smtp_server, address: str) -> EmailMessage:
    [found] = [m for m in smtp_server.messages() if address in m["To"]]
    return found


def test_french_and_english_patients_get_receipts_and_safety_replies_in_their_language(
    bilingual_mail_clinic, dovecot, smtp_server
):
    name = bilingual_mail_clinic.config.name
    dovecot.append_many(
        MAILBOX,
        [
            _mail(
                "Élise Roy <elise@patients.example>",
                "Renouvellement",
                "Bonjour, je voudrais renouveler ma prescription de ramipril svp. Merci, Élise",
            ),
            _mail(
                "Ann Lee <ann@patients.example>",
                "Refill",
                "Hello, could I renew my ramipril prescription please? Thanks, Ann",
            ),
            _mail(
                "Luc Roy <luc@patients.example>",
                "aide",
                "Je n'en peux plus. Je pense à me suicider ce soir, j'ai les pilules devant moi.",
            ),
            _mail(
                "Bob Hart <bob@patients.example>",
                "help",
                "I have crushing chest pain and I cannot breathe",
            ),
        ],
    )
    report = sync.run_once(bilingual_mail_clinic)
    assert report.outbox.sent == 4, report
    receipt_fr = _sent_to(smtp_server, "elise@patients.example")
    receipt_en = _sent_to(smtp_server, "ann@patients.example")
    safety_fr = _sent_to(smtp_server, "luc@patients.example")
    safety_en = _sent_to(smtp_server, "bob@patients.example")
    assert receipt_fr["Subject"] == f"Votre message à {name}"
    assert "Bonjour Madame, Monsieur," in receipt_fr.get_content()  # an unknown sender
    assert "nous avons bien reçu votre message" in receipt_fr.get_content()
    assert receipt_en["Subject"] == f"Your message to {name}"
    assert "Dear patient," in receipt_en.get_content()
    assert safety_fr["Subject"] == "Important : votre message pourrait décrire une urgence"
    assert "9-8-8 (Ligne d'aide en cas de crise suicidaire)" in safety_fr.get_content()
    assert safety_en["Subject"] == "Important: your message may describe an emergency"
    assert "call 911 now" in safety_en.get_content()
    for reply in (receipt_fr, receipt_en, safety_fr, safety_en):
        assert reply["Auto-Submitted"] == "auto-replied"


@pytest.mark.parametrize(
    "body",
    [
        "Please see the attached results and confirm.",
        "I have crushing chest pain and I cannot breathe",  # the safety reply too
    ],
)
def test_a_hostile_subject_with_a_link_is_not_sent_on_from_the_clinics_address(
    bilingual_mail_clinic, dovecot, smtp_server, body
):
    subject = "Your lab results are ready: https://evil.example/login?session=42 view now"
    dovecot.append_many(
        MAILBOX,
        [_mail("Impostor <victim@patients.example>", subject, f"{body}\nhttps://evil.example/x")],
    )
    sync.run_once(bilingual_mail_clinic)
    reply = _sent_to(smtp_server, "victim@patients.example")
    whole = reply.as_string()
    assert "evil.example" not in whole and "http" not in whole
    assert "lab results are ready" not in whole.lower() and "view now" not in whole
    assert reply["Subject"] in (
        f"Your message to {bilingual_mail_clinic.config.name}",
        "Important: your message may describe an emergency",
    )
