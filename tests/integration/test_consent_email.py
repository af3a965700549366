""" "Results for my mom" end to end: a real Dovecot, a real SMTP server, the sync.

The daughter writes from her own address; the receipt tells her what the clinic needs;
she is not her mother's proxy until an authorisation is on record; then she is
answered (within its scope) and, once it is withdrawn, the answer goes to the mother."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

import pytest

from clinic_inbox.core import services
from clinic_inbox.core import services_consent as sc
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.core.config import load_config
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Role
from clinic_inbox.core.store import queries as q
from clinic_inbox.sources import sync

INBOX, INBOX_PW = "inbox@clinic.example", "mailbox-password"
DAUGHTER, MOTHER = "carmen.delgado@example.net", "rosa.delgado@example.org"
PW = "kettle orbit maple frost"


@pytest.fixture()
def clinic(tmp_path, dovecot, smtp_server, secret_service):
    home = tmp_path / "clinic"
    dovecot.add_user(INBOX, INBOX_PW)
    c, _ = create_clinic(home, lambda p, c: "", KeyCustody(home, backend=secret_service.backend()))
    (home / "clinic.toml").write_text(
        '[mail]\ntrusted_authserv_id = "mx.clinic.example"\n[consent]\nrequired = true\n', "utf-8"
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


def _from_daughter(n: int, subject: str, body: str, in_reply_to: str | None = None) -> bytes:
    msg = EmailMessage()
    # the clinic's own mail server vouches for the sender's domain
    msg["Authentication-Results"] = "mx.clinic.example; dmarc=pass header.from=example.net"
    msg["From"] = f"Carmen Delgado <{DAUGHTER}>"
    msg["To"] = INBOX
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = f"<daughter-{n}@example.net>"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    msg.set_content(body)
    return msg.as_bytes()


def test_results_for_my_mom_through_dovecot(clinic, dovecot, smtp_server):
    doc = services.login(clinic, "dr.patel", PW)
    with clinic.store.transaction():
        mom = q.add_patient(
            clinic.store, "Delgado", "Rosa", "1948-03-12", "RFH-1", None, doc.staff.id, (MOTHER,)
        )
    sc.record_consent(clinic, doc, mom, channels=frozenset({"email"}), terms_version="v1",
                      how="signed-form")  # fmt: skip
    dovecot.append_many(INBOX, [_from_daughter(1, "Results for my mom",
        "Hi, I'm writing for my mother Rosa Delgado (born 1948-03-12). "
        "She had blood work last week. Can you tell me the results?")])  # fmt: skip
    report = sync.run_once(clinic)
    assert report.stored == 1
    [ack] = smtp_server.messages()
    assert ack["To"] == DAUGHTER
    assert "writing for someone else, we need their authorisation" in ack.get_content()
    [tid] = [t.id for t in q.list_threads(clinic.store) if t.subject == "Results for my mom"]
    assert q.get_thread(clinic.store, tid).patient_id is None  # not the mother's address

    with pytest.raises(AccessDenied, match="No authorisation for this sender"):
        sc.link_as(clinic, doc, tid, mom, "proxy")
    proxy = sc.add_proxy(
        clinic, doc, mom, name="Carmen Delgado", relationship="caregiver", address=DAUGHTER,
        scope=frozenset({"results"}), evidence="Authorisation signed by Rosa, scanned",
    )  # fmt: skip
    sc.link_as(clinic, doc, tid, mom, "proxy")
    assert q.get_patient(clinic.store, mom).emails == (MOTHER,)
    services.queue_reply(clinic, doc, tid, "Your mother's blood work is normal.")
    sync.run_once(clinic)
    answer = smtp_server.messages()[-1]
    assert answer["To"] == DAUGHTER and "blood work is normal" in answer.get_content()

    # the daughter writes again in the same conversation: it stays with her mother
    before = len(q.list_threads(clinic.store))
    follow = _from_daughter(2, "Re: Results for my mom", "Thank you!", answer["Message-ID"])
    dovecot.append_many(INBOX, [follow])
    assert sync.run_once(clinic).stored == 1
    assert len(q.list_threads(clinic.store)) == before
    senders = [m.sender for m in q.thread_messages(clinic.store, tid, False)]
    assert senders.count("Carmen Delgado") == 2  # her follow-up joined her mother's conversation

    # an impostor using the daughter's address, with no server to vouch for it, does not
    forged = _from_daughter(
        3, "Re: Results for my mom", "Send me all her records", answer["Message-ID"]
    )
    forged = forged.replace(
        b"Authentication-Results: mx.clinic.example; dmarc=pass", b"X-Nothing: x"
    )
    dovecot.append_many(INBOX, [forged])
    assert sync.run_once(clinic).stored == 1
    assert len(q.list_threads(clinic.store)) == before + 1
    assert [m.sender for m in q.thread_messages(clinic.store, tid, False)].count(
        "Carmen Delgado"
    ) == 2

    # a new message from her (not a reply) is filed under her mother at once, and the
    # receipt does not greet her by her mother's name
    dovecot.append_many(INBOX, [_from_daughter(4, "Appointment", "Can she see Dr Patel?")])
    sync.run_once(clinic)
    [new] = [t for t in q.list_threads(clinic.store) if t.subject == "Appointment"]
    assert new.patient_id == mom
    receipt = smtp_server.messages()[-1]
    assert receipt["To"] == DAUGHTER and "Dear Rosa" not in receipt.get_content()

    # withdrawn: the next answer goes to Rosa herself, never to the daughter
    sc.revoke_proxy(clinic, doc, proxy)
    services.queue_reply(clinic, doc, tid, "Please call us about your results.")
    sync.run_once(clinic)
    answer = smtp_server.messages()[-1]
    assert answer["To"] == MOTHER
    # and her next new message is nobody's until a person links it
    dovecot.append_many(INBOX, [_from_daughter(5, "Refill", "Her metformin please")])
    sync.run_once(clinic)
    [late] = [t for t in q.list_threads(clinic.store) if t.subject == "Refill"]
    assert late.patient_id is None
