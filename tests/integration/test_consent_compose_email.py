"""Consent where the clinic writes first and on staff replies, end to end through a
real Dovecot and a real SMTP server: a started message reaches a patient who agreed,
and a proxy within scope; a patient without an agreement gets nothing until staff give
a reason; an opted-out patient never; a refused reply is audited; everything sent
carries the standard footer, in the conversation's language."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

import pytest

from clinic_inbox.core import audit, services
from clinic_inbox.core import services_compose as scomp
from clinic_inbox.core import services_consent as sc
from clinic_inbox.core import services_reply as sr
from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.core.config import load_config
from clinic_inbox.core.consent import ConsentNeeded
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Role
from clinic_inbox.core.store import queries as q
from clinic_inbox.sources import sync

INBOX, INBOX_PW = "inbox@clinic.example", "mailbox-password"
PW = "kettle orbit maple frost"
RESULTS = scomp.Request(template="results_normal", fields={"test": "cholesterol"})


@pytest.fixture()
def clinic(tmp_path, dovecot, smtp_server, secret_service):
    home = tmp_path / "clinic"
    dovecot.add_user(INBOX, INBOX_PW)
    c, _ = create_clinic(home, lambda p, c: "", KeyCustody(home, backend=secret_service.backend()))
    (home / "clinic.toml").write_text(
        'languages = ["en", "fr"]\n[clinic]\nname = "Test Street Clinic"\n'
        'phone = "204-555-0100"\ntimezone = "America/Winnipeg"\nemergency_number = "112"\n'
        '[mail]\ntrusted_authserv_id = "mx.clinic.example"\n[consent]\nrequired = true\n',
        "utf-8",
    )
    c.config = load_config(home)
    services.create_first_admin(c, "admin", "Alex Admin", "quartz lantern meadow violin")
    admin = services.login(c, "admin", "quartz lantern meadow violin")
    services.add_imap_account(
        c,
        admin,
        ImapAccount(
            name="Clinic email", host=dovecot.host, port=dovecot.port, username=INBOX,
            security="none", smtp_host=smtp_server.host, smtp_port=smtp_server.port,
            smtp_security="none", from_address=INBOX,
        ),
        INBOX_PW,
    )  # fmt: skip
    services.add_staff(c, admin, "dr.patel", "Dr Anjali Patel", Role.PHYSICIAN, PW)
    yield c
    c.close()


def _patient(clinic, doc, name, address, agreed=True):
    with clinic.store.transaction():
        pid = q.add_patient(
            clinic.store, "Fam", name, "1970-01-01", f"C-{name}", None, doc.staff.id, (address,)
        )
    if agreed:
        sc.record_consent(
            clinic, doc, pid, channels=frozenset({"email"}), terms_version="v1", how="signed-form"
        )
    return pid


def _mail(n: int, sender: str, subject: str, body: str) -> bytes:
    msg = EmailMessage()
    msg["Authentication-Results"] = "mx.clinic.example; dmarc=pass header.from=example.org"
    msg["From"] = sender
    msg["To"] = INBOX
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = f"<m-{n}@example.org>"
    msg.set_content(body)
    return msg.as_bytes()


def test_started_messages_and_replies_follow_the_agreement_through_smtp(
    clinic, dovecot, smtp_server
):
    doc = services.login(clinic, "dr.patel", PW)
    luc = _patient(clinic, doc, "Luc", "luc@example.org")
    ana = _patient(clinic, doc, "Ana", "ana@example.org", agreed=False)
    zoe = _patient(clinic, doc, "Zoe", "zoe@example.org")
    sc.end_consent(clinic, doc, zoe, how="opted-out")
    carmen = sc.add_proxy(
        clinic, doc, luc, name="Carmen", relationship="caregiver", address="carmen@example.net",
        scope=frozenset({"results"}), evidence="Signed authorisation, scanned",
    )  # fmt: skip

    scomp.start_message(clinic, doc, luc, RESULTS)
    scomp.start_message(clinic, doc, luc, replace(RESULTS, to_proxy=carmen))
    with pytest.raises(ConsentNeeded, match="has not agreed to email"):
        scomp.start_message(clinic, doc, ana, RESULTS)
    with pytest.raises(ConsentNeeded, match="opted out"):
        scomp.start_message(clinic, doc, zoe, replace(RESULTS, consent_reason="asked"))
    sync.run_once(clinic)
    got = {m["To"]: m.get_content() for m in smtp_server.messages()}
    assert set(got) == {"luc@example.org", "carmen@example.net"}
    for text in got.values():
        assert "Do not use e-mail for emergencies: call 112" in text
        assert "To stop receiving" in text  # Carmen's says how she stops them too
    assert "the patient's medical record" in got["carmen@example.net"]
    assert got["carmen@example.net"].startswith("Hello Carmen,")

    # Ana writes in French; the reply is refused without a reason (audited), then sent
    dovecot.append_many(
        INBOX,
        [_mail(1, "ana@example.org", "Mes résultats", "Bonjour, est-ce que mes résultats sont arrivés? Merci")],
    )  # fmt: skip
    sync.run_once(clinic)
    [tid] = [t.id for t in q.list_threads(clinic.store) if t.subject == "Mes résultats"]
    assert q.get_thread(clinic.store, tid).patient_id == ana
    with pytest.raises(ConsentNeeded, match="has not agreed to email"):
        sr.queue_reply(clinic, doc, tid, "Vos résultats sont normaux.")
    [refused] = [e for e in audit.entries(clinic.store) if e.action == "reply.refused"]
    assert refused.thread_id == tid and refused.reason == "email: no agreement and no reason given"
    before = len(smtp_server.messages())
    sr.queue_reply(
        clinic, doc, tid, "Vos résultats sont normaux.", consent_reason="accord verbal au tél."
    )
    sync.run_once(clinic)
    [reply] = [m for m in smtp_server.messages()[before:] if m["To"] == "ana@example.org"]
    text = reply.get_content()
    assert "Vos résultats sont normaux." in text
    assert "N'utilisez pas le courriel pour les urgences : composez le 112" in text
