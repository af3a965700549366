"""Impostors by email (issue 16, items 3-5), against a real Dovecot and a real SMTP server.

A stranger's reply that names a patient's message, a forged From, a DKIM signature
made with the wrong key, an Authentication-Results header from the wrong server (or
written by the sender), an address shared by two patients: each is synced from the
IMAP server exactly as the clinic's mail arrives, and looked at through the services
the app and the CLI use. DKIM keys are made by the test; the DNS answers come from
the test, never from the internet.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from support.dkim_keys import SigningKey, TestDns

from clinic_inbox.core import audit, services
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.accounts import ImapAccount, imap_accounts
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Direction, Role
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.triage import load_rules
from clinic_inbox.sources import email_sync, outbox
from clinic_inbox.sources.sender_check import KeyCache, SenderChecker

MAILBOX = "inbox@clinic.example"
MAILBOX_PW = "mailbox-password-7Qx"
STAFF_PW = "Tq7#vL9!mW2@pR5x-clinic"
TRUSTED = "mx.clinic.example"
ZOE = "zoe.lefevre@patients.example"
MALLORY = "mallory@evil.example"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture()
def dovecot():
    from support.dovecot import DovecotServer, DovecotUnavailable

    try:
        server = DovecotServer().start()
    except DovecotUnavailable as exc:
        pytest.fail(str(exc))
    yield server
    server.close()


@pytest.fixture()
def smtp_server():
    from support.smtp_server import SmtpServer

    server = SmtpServer().start()
    yield server
    server.close()


class MailClinic:
    """A clinic with a loopback mailbox, Dr Patel, a receptionist and two patients."""

    def __init__(self, home, dovecot, smtp_server, secret_service, mail_toml: str) -> None:
        home.mkdir(parents=True)
        (home / "clinic.toml").write_text(f"[mail]\n{mail_toml}\n")
        dovecot.add_user(MAILBOX, MAILBOX_PW)
        self.dovecot, self.smtp = dovecot, smtp_server
        self.clinic, _ = create_clinic(
            home, _no_passphrase, KeyCustody(home, backend=secret_service.backend())
        )
        c = self.clinic
        services.create_first_admin(c, "admin", "Alex Admin", STAFF_PW)
        admin = services.login(c, "admin", STAFF_PW)
        self.account = ImapAccount(
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
        services.add_imap_account(c, admin, self.account, MAILBOX_PW)
        self.account = imap_accounts(c.store)[0]
        doc = services.add_staff(c, admin, "dr.patel", "Dr Anjali Patel", Role.PHYSICIAN, STAFF_PW)
        services.add_staff(c, admin, "reception.singh", "Sam Singh", Role.RECEPTIONIST, STAFF_PW)
        with c.store.transaction():
            self.zoe = q.add_patient(
                c.store, "Lefèvre", "Zoë", "1984-02-29", "RFH-1", None, doc.id, (ZOE,)
            )
            self.jose = q.add_patient(
                c.store,
                "Núñez",
                "José",
                "1990-01-01",
                "RFH-2",
                None,
                doc.id,
                ("jose@patients.example",),
            )
        self.doctor = services.login(c, "dr.patel", STAFF_PW)
        self.reception = services.login(c, "reception.singh", STAFF_PW)
        self.dns = TestDns()
        self.keys = KeyCache(self.dns)
        self.rules = load_rules(home)

    def deliver(self, *raws: bytes) -> None:
        self.dovecot.append_many(MAILBOX, list(raws))

    def sync(self) -> email_sync.SyncReport:
        checker = SenderChecker(self.clinic.config.trusted_authserv_id, self.keys)
        report = email_sync.sync_account(
            self.clinic, self.rules, self.account, MAILBOX_PW, checker=checker
        )
        assert report.error is None, report.error
        return report

    def send_outbox(self) -> None:
        outbox.flush_account(self.clinic, self.account, MAILBOX_PW)

    def message(self, message_id: str) -> tuple:
        """(thread id, patient id, sender check, needs review) of a stored message."""
        return self.clinic.store.execute(
            "SELECT thread_id, patient_id, sender_check, needs_review FROM messages "
            "WHERE message_id_header = ?",
            (message_id,),
        ).fetchone()

    def thread(self, thread_id: int) -> q.ThreadRow:
        row = q.get_thread(self.clinic.store, thread_id)
        assert row is not None
        return row


def _no_passphrase(prompt: str, confirm: bool) -> str:
    raise AssertionError("the keyring holds the key")


@pytest.fixture()
def mc(tmp_path, dovecot, smtp_server, secret_service):
    clinic = MailClinic(
        tmp_path / "clinic",
        dovecot,
        smtp_server,
        secret_service,
        f'trusted_authserv_id = "{TRUSTED}"\nrequire_verified_sender = true',
    )
    yield clinic
    clinic.clinic.close()


def email(
    sender: str,
    subject: str,
    body: str,
    *,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    headers: list[tuple[str, str]] = (),
) -> tuple[str, bytes]:
    msg = EmailMessage(policy=SMTP)
    for name, value in headers:
        msg[name] = value
    msg["From"] = sender
    msg["To"] = MAILBOX
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    mid = make_msgid(domain=sender.rsplit("@", 1)[-1].strip(">"))
    msg["Message-ID"] = mid
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    msg.set_content(body)
    return mid, msg.as_bytes()


def _smtp_recipients(mc: MailClinic) -> list[list[str]]:
    return [e["to"] for e in mc.smtp.envelopes()]


def test_stranger_naming_a_patients_message_starts_its_own_conversation(mc):
    patients_key = SigningKey.make("patients.example")
    evil_key = SigningKey.make("evil.example")
    mc.dns.publish(patients_key)
    mc.dns.publish(evil_key)
    zoe_id, raw = email(
        f"Zoë Lefèvre <{ZOE}>", "Potassium result", "Could you tell me my potassium result?"
    )
    mc.deliver(patients_key.sign(raw))
    mc.sync()
    zoe_thread, patient, check, _ = mc.message(zoe_id)
    assert (patient, check) == (mc.zoe, "verified")
    services.queue_reply(mc.clinic, mc.doctor, zoe_thread, "Your potassium is 4.1, normal.")
    mc.send_outbox()
    reply_id = mc.clinic.store.one(
        "SELECT message_id_header FROM messages WHERE thread_id = ? AND direction = 'out' "
        "AND author_staff_id IS NOT NULL",
        (zoe_thread,),
    )

    # Mallory's mail is genuinely hers (validly signed by evil.example) and names both
    # the patient's message and the physician's reply.
    hijack_id, raw = email(
        f"Zoë L <{MALLORY}>",
        "Re: Potassium result",
        "And my dose of spironolactone? Please answer here.",
        in_reply_to=reply_id,
        references=[zoe_id, reply_id],
    )
    mc.deliver(evil_key.sign(raw))
    mc.sync()
    thread, patient, check, review = mc.message(hijack_id)
    assert thread != zoe_thread and patient is None and check == "verified" and review
    own = mc.thread(thread)
    assert own.claims_thread_id == zoe_thread and own.patient_id is None
    assert not own.held_for_review  # Mallory's own words: the front desk sorts it out
    assert mc.thread(zoe_thread).message_count == 2 + _acks(mc, zoe_thread)
    shown = services.show_thread(mc.clinic, mc.doctor, thread)
    assert any("Claims to continue another patient's conversation" in w for w in _warnings(shown))
    board = services.board(mc.clinic, mc.reception)
    from clinic_inbox.ui.board import sender_flags  # the card's words (no widget needed)

    assert "Claims to continue another patient's conversation" in sender_flags(
        next(b.row for b in board if b.row.id == thread)
    )

    # The physician answers the patient's conversation again: it goes to her address.
    mc.smtp.clear()
    services.queue_reply(mc.clinic, mc.doctor, zoe_thread, "Keep spironolactone at 25 mg.")
    mc.send_outbox()
    sent = [m for m in mc.smtp.messages() if m["X-Clinic-Inbox-Sent-By"] == "dr.patel"]
    assert [m["To"] for m in sent] == [ZOE]
    # all Mallory ever gets is the receipt of her own new conversation
    to_mallory = [m for m in mc.smtp.messages() if m["To"] == MALLORY]
    assert all(m["Auto-Submitted"] == "auto-replied" for m in to_mallory)
    assert not any("25 mg" in m.get_content() for m in to_mallory)
    assert audit.verify(mc.clinic.store, mc.clinic.audit_key).ok


def test_reply_goes_to_the_registered_address_not_the_latest_sender(mc):
    """Even when the patient's address changed on file after she wrote."""
    key = SigningKey.make("patients.example")
    mc.dns.publish(key)
    zoe_id, raw = email(f"Zoë <{ZOE}>", "Refill", "Please renew my levothyroxine.")
    mc.deliver(key.sign(raw))
    mc.sync()
    thread = mc.message(zoe_id)[0]
    with mc.clinic.store.transaction():  # the front desk updated her chart
        mc.clinic.store.execute(
            "UPDATE patient_emails SET address = 'zoe.new@patients.example' WHERE patient_id = ?",
            (mc.zoe,),
        )
    services.queue_reply(mc.clinic, mc.doctor, thread, "Renewed, 30 days.")
    mc.send_outbox()
    assert _smtp_recipients(mc)[-1] == ["zoe.new@patients.example"]


def test_forged_from_failing_dkim_is_not_filed_under_the_patient(mc, tmp_path, qtbot):
    real = SigningKey.make("patients.example")
    forger = SigningKey.make("patients.example")  # same selector, a key the forger made
    mc.dns.publish(real)
    zoe_id, raw = email(f"Zoë <{ZOE}>", "Medication", "Is my warfarin dose still 5 mg?")
    mc.deliver(real.sign(raw))
    mc.sync()
    zoe_thread = mc.message(zoe_id)[0]
    forged_id, raw = email(
        f"Zoë Lefèvre <{ZOE}>",
        "Re: Medication",
        "My chest feels tight since this morning and I take warfarin. What should I do?",
        in_reply_to=zoe_id,
    )
    unsigned_id, unsigned = email(f"Zoë <{ZOE}>", "Question", "My blood sugar is 14 today.")
    mc.deliver(forger.sign(raw), unsigned)
    mc.sync()

    for mid in (forged_id, unsigned_id):
        thread, patient, check, review = mc.message(mid)
        assert thread != zoe_thread and patient is None
        assert check == "unverified" and review
        row = mc.thread(thread)
        assert row.sender_unverified and row.suggested_patient_id == mc.zoe
        assert row.held_for_review and row.claims_thread_id is None
    forged_thread = mc.message(forged_id)[0]
    detail = services.show_thread(mc.clinic, mc.doctor, forged_thread)
    assert "Sender not verified" in " ".join(_warnings(detail))
    (m,) = [m for m in detail.messages if m.direction is Direction.INBOUND]
    assert m.sender_check == "unverified" and "does not match" in m.sender_check_detail
    assert m.body is not None  # Zoë's physician reads it: it may well be her
    # the front desk sees that it came, not what it says (as for her chart's messages)
    at_desk = services.show_thread(mc.clinic, mc.reception, forged_thread)
    assert all(m.body is None for m in at_desk.messages)
    assert "Sender not verified" in " ".join(_warnings(at_desk))
    card = next(b.row for b in services.board(mc.clinic, mc.reception) if b.row.id == forged_thread)
    from clinic_inbox.ui.board import sender_flags

    assert "Sender not verified" in sender_flags(card)
    # the conversation panel says it in words, and offers the confirmation
    from clinic_inbox.ui.thread_panel import ThreadPanel

    panel = ThreadPanel(mc.clinic, mc.doctor)
    qtbot.addWidget(panel)
    panel.show_thread(forged_thread)
    assert "Sender not verified" in panel.view.toPlainText()
    assert not panel.confirm.isHidden()

    # Filing is refused until a person confirms the sender; the confirmation is audited.
    out = tmp_path / "chart"
    out.mkdir()
    with pytest.raises(AccessDenied, match="sender is not verified"):
        services.export_thread(
            mc.clinic, mc.doctor, forged_thread, formats=("pdf",), out_dir=out, password=STAFF_PW
        )
    assert list(out.iterdir()) == []
    with pytest.raises(AccessDenied, match="may read this conversation"):
        services.confirm_sender(mc.clinic, mc.reception, forged_thread, "Phoned her at home.")
    with pytest.raises(ValueError, match="how you confirmed"):
        services.confirm_sender(mc.clinic, mc.doctor, forged_thread, "ok")
    assert panel.confirm_sender("Phoned Zoë on her chart number; she wrote it.")
    assert panel.confirm.isHidden() and "Sender confirmed" in panel.view.toPlainText()
    services.link_patient(mc.clinic, mc.doctor, forged_thread, mc.zoe)
    filed = services.export_thread(
        mc.clinic, mc.doctor, forged_thread, formats=("pdf",), out_dir=out, password=STAFF_PW
    )
    assert filed.paths and not mc.thread(forged_thread).sender_unverified
    actions = [e.action for e in audit.entries(mc.clinic.store)]
    assert "thread.sender_confirmed" in actions and "export" in actions
    assert audit.verify(mc.clinic.store, mc.clinic.audit_key).ok


def test_a_correctly_signed_message_is_verified_and_matched(mc):
    key = SigningKey.make("patients.example")
    mc.dns.publish(key)
    ids = []
    for n in range(3):
        mid, raw = email(f"Zoë <{ZOE}>", f"Blood pressure log {n}", "128/82 this morning.")
        ids.append(mid)
        mc.deliver(key.sign(raw))
    mc.sync()
    for mid in ids:
        thread, patient, check, review = mc.message(mid)
        assert (patient, check, review) == (mc.zoe, "verified", 0)
        assert not mc.thread(thread).sender_unverified
    assert len(mc.dns.asked) == 1, "the key is looked up once per domain and selector"


def test_authentication_results_only_from_the_trusted_server(mc):
    pass_elsewhere = (
        "Authentication-Results",
        "mx.evil.example; dmarc=pass header.from=patients.example",
    )
    untrusted_id, raw1 = email(
        f"Zoë <{ZOE}>", "Forms", "The school form.", headers=[pass_elsewhere]
    )
    trusted_id, raw2 = email(
        f"Zoë <{ZOE}>",
        "Forms again",
        "The second form.",
        headers=[
            (
                "Authentication-Results",
                f"{TRUSTED}; spf=pass smtp.mailfrom=patients.example; "
                "dmarc=pass (p=reject) header.from=patients.example",
            )
        ],
    )
    # the sender wrote a "pass" in the trusted server's name; the server's own (top) says fail
    sneaky_id, raw3 = email(
        f"Zoë <{ZOE}>",
        "Forms, third",
        "A third form.",
        headers=[
            ("Authentication-Results", f"{TRUSTED}; dmarc=fail header.from=patients.example"),
            ("Authentication-Results", f"{TRUSTED}; dmarc=pass header.from=patients.example"),
        ],
    )
    other_domain_id, raw4 = email(
        f"Zoë <{ZOE}>",
        "Forms, fourth",
        "A fourth form.",
        headers=[("Authentication-Results", f"{TRUSTED}; dmarc=pass header.from=evil.example")],
    )
    mc.deliver(raw1, raw2, raw3, raw4)
    mc.sync()
    assert mc.message(trusted_id)[1:3] == (mc.zoe, "verified")
    for mid in (untrusted_id, sneaky_id, other_domain_id):
        assert mc.message(mid)[1:3] == (None, "unverified"), mid
    assert mc.dns.asked == []  # nothing signed: no DNS question at all


def test_an_address_shared_by_two_patients_goes_to_review(mc):
    key = SigningKey.make("patients.example")
    mc.dns.publish(key)
    shared = "family@patients.example"
    with mc.clinic.store.transaction():
        for pid in (mc.zoe, mc.jose):
            mc.clinic.store.execute(
                "INSERT INTO patient_emails (patient_id, address) VALUES (?, ?)", (pid, shared)
            )
    mid, raw = email(f"Family <{shared}>", "Results", "Are the thyroid results back?")
    mc.deliver(key.sign(raw))
    mc.sync()
    thread, patient, check, review = mc.message(mid)
    assert patient is None and check == "verified" and review
    row = mc.thread(thread)
    assert row.patient_id is None and row.held_for_review and row.needs_review
    shown = services.show_thread(mc.clinic, mc.doctor, thread).messages
    (m,) = [m for m in shown if m.direction is Direction.INBOUND]
    assert "registered to 2 patients" in m.review_reason
    # header only at the front desk (as for a patient's clinical message), listed too
    at_desk = services.show_thread(mc.clinic, mc.reception, thread).messages
    assert all(m.body is None for m in at_desk)
    listed = [s for s in services.list_messages(mc.clinic, mc.reception) if s.thread_id == thread]
    assert listed and listed[0].snippet is None and "hidden" in listed[0].subject

    # an answer in Zoë's own conversation settles it: the address is hers too
    zoe_id, raw = email(f"Zoë <{ZOE}>", "Thyroid", "When should I repeat my TSH?")
    mc.deliver(key.sign(raw))
    mc.sync()
    zoe_thread = mc.message(zoe_id)[0]
    answer_id, raw = email(
        f"Family <{shared}>", "Re: Thyroid", "She means in March.", in_reply_to=zoe_id
    )
    mc.deliver(key.sign(raw))
    mc.sync()
    assert mc.message(answer_id)[:2] == (zoe_thread, mc.zoe)


def test_dns_down_does_not_stall_the_sync(mc):
    mc.dns.fail = True
    raws = []
    for n in range(12):
        key = SigningKey.make(f"d{n}.example")  # twelve domains, twelve different keys
        raws.append(key.sign(email(f"P{n} <p{n}@d{n}.example>", f"Hello {n}", "Hi.")[1]))
    mc.deliver(*raws)
    started = time.monotonic()
    report = mc.sync()
    assert report.stored == 12 and time.monotonic() - started < 30
    assert len(mc.dns.asked) == 3, "after three failures in a row the run stops asking"
    rows = mc.clinic.store.execute(
        "SELECT sender_check, sender_check_detail FROM messages WHERE direction = 'in'"
    ).fetchall()
    assert {r[0] for r in rows} == {"unverified"}
    assert all("could not be found" in r[1] for r in rows)


def _warnings(detail) -> list[str]:  # noqa: ANN001
    from clinic_inbox.core.senders import sender_warnings

    return sender_warnings(detail.messages)


def _acks(mc: MailClinic, thread_id: int) -> int:
    return int(
        mc.clinic.store.one(
            "SELECT count(*) FROM messages WHERE thread_id = ? AND direction = 'out' "
            "AND author_staff_id IS NULL",
            (thread_id,),
        )
    )


def _cli(mc: MailClinic, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "clinic_inbox", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )


def test_the_cli_shows_the_warning_and_records_a_confirmation(mc, secret_service):
    forger = SigningKey.make("patients.example")
    mc.dns.publish(SigningKey.make("patients.example"))  # the real key, not the forger's
    mid, raw = email(f"Zoë <{ZOE}>", "Results", "Send my HbA1c to this address please.")
    mc.deliver(forger.sign(raw))
    mc.sync()
    thread = mc.message(mid)[0]
    env = {
        **secret_service.env,
        "CLINIC_INBOX_HOME": str(mc.clinic.home),
        "CLINIC_INBOX_PASSWORD": STAFF_PW,
    }
    shown = _cli(mc, env, "--user", "dr.patel", "show", str(thread), "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["patient"] is None
    assert any(w.startswith("Sender not verified") for w in data["warnings"])
    inbound = [m for m in data["messages"] if m["direction"] == "in"]
    assert inbound[0]["sender_check"] == "unverified"
    done = _cli(
        mc,
        env,
        "--user",
        "dr.patel",
        "confirm-sender",
        str(thread),
        "--how",
        "Called her back on the number in her chart.",
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert not mc.thread(thread).sender_unverified
    entry = [e for e in audit.entries(mc.clinic.store) if e.action == "thread.sender_confirmed"]
    assert entry and entry[0].actor == "dr.patel" and entry[0].thread_id == thread


@pytest.fixture()
def lenient(tmp_path, dovecot, smtp_server, secret_service):
    clinic = MailClinic(
        tmp_path / "clinic",
        dovecot,
        smtp_server,
        secret_service,
        "require_verified_sender = false",
    )
    yield clinic
    clinic.clinic.close()


def test_a_clinic_that_does_not_require_verification_still_labels_and_answers_the_chart(
    lenient, tmp_path
):
    mc = lenient
    first, raw = email(f"Zoë <{ZOE}>", "Medication", "Is my warfarin dose still 5 mg?")
    mc.deliver(raw)
    mc.sync()
    thread, patient, check, _ = mc.message(first)
    assert (patient, check) == (mc.zoe, "unverified")  # matched: the clinic chose so
    assert mc.thread(thread).sender_unverified  # ...and the label stays
    shown = services.show_thread(mc.clinic, mc.doctor, thread)
    assert "Sender not verified" in " ".join(_warnings(shown))
    out = tmp_path / "chart"
    out.mkdir()
    filed = services.export_thread(
        mc.clinic, mc.doctor, thread, formats=("pdf",), out_dir=out, password=STAFF_PW
    )
    assert filed.paths
    # a stranger still cannot join her conversation, and replies still go to her
    hijack, raw = email(f"M <{MALLORY}>", "Re: Medication", "Dose?", in_reply_to=first)
    mc.deliver(raw)
    mc.sync()
    assert mc.message(hijack)[0] != thread
    assert mc.thread(mc.message(hijack)[0]).claims_thread_id == thread
    services.queue_reply(mc.clinic, mc.doctor, thread, "Yes, 5 mg.")
    mc.send_outbox()
    staff = [m for m in mc.smtp.messages() if m["X-Clinic-Inbox-Sent-By"] == "dr.patel"]
    assert [m["To"] for m in staff] == [ZOE]


def test_a_confirmed_sender_is_taken_on_trust_again_only_when_verified(mc):
    """Decided: a person's confirmation vouches for the messages they checked, not for
    the next unauthenticated mail with the same From (that is what a forger copies).
    The patient's next message is free of the warning when it is verified."""
    real = SigningKey.make("patients.example")
    mc.dns.publish(real)
    forger = SigningKey.make("patients.example")
    first, raw = email(f"Zoë <{ZOE}>", "New inhaler", "My new inhaler makes me cough.")
    mc.deliver(forger.sign(raw))
    mc.sync()
    thread = mc.message(first)[0]
    services.confirm_sender(mc.clinic, mc.doctor, thread, "Phoned her on the chart number.")
    linked = services.link_patient(mc.clinic, mc.doctor, thread, mc.zoe)
    assert linked.addresses_withheld == 0 and mc.thread(thread).patient_id == mc.zoe
    again, raw = email(f"Zoë <{ZOE}>", "Inhaler again", "Still coughing, what should I do?")
    mc.deliver(forger.sign(raw))
    mc.sync()
    t2, patient, check, review = mc.message(again)
    assert (patient, check, review) == (None, "unverified", 1)
    assert mc.thread(t2).sender_unverified
    shown = services.show_thread(mc.clinic, mc.doctor, t2)
    assert any(w.startswith("Sender not verified") for w in _warnings(shown))
    signed, raw = email(f"Zoë <{ZOE}>", "Inhaler, better", "The cough has stopped.")
    mc.deliver(real.sign(raw))
    mc.sync()
    t3, patient, check, review = mc.message(signed)
    assert (patient, check, review) == (mc.zoe, "verified", 0)
    assert not _warnings(services.show_thread(mc.clinic, mc.doctor, t3))


def test_linking_a_claimed_continuation_does_not_register_the_strangers_address(mc):
    patients_key, evil_key = SigningKey.make("patients.example"), SigningKey.make("evil.example")
    mc.dns.publish(patients_key)
    mc.dns.publish(evil_key)
    zoe_id, raw = email(f"Zoë <{ZOE}>", "Potassium result", "Could you tell me my result?")
    mc.deliver(patients_key.sign(raw))
    mc.sync()
    hijack, raw = email(
        f"Zoë L <{MALLORY}>", "Re: Potassium result", "Answer here please.", in_reply_to=zoe_id
    )
    mc.deliver(evil_key.sign(raw))
    mc.sync()
    claim = mc.message(hijack)[0]
    assert mc.thread(claim).claims_thread_id is not None
    # the physician decides the words are Zoë's after all and files them to her chart
    linked = services.link_patient(mc.clinic, mc.doctor, claim, mc.zoe)
    assert mc.thread(claim).patient_id == mc.zoe
    assert (linked.addresses_added, linked.addresses_withheld) == (0, 1)
    assert "was not added to this patient's record" in linked.describe()
    assert q.find_patients_by_email(mc.clinic.store, MALLORY) == []
    # so Mallory's next mail, validly signed by her own domain, reaches no chart
    later, raw = email(f"Zoë L <{MALLORY}>", "My results", "Send them all to me.")
    mc.deliver(evil_key.sign(raw))
    mc.sync()
    assert mc.message(later)[1] is None
    entry = [e for e in audit.entries(mc.clinic.store) if e.action == "thread.link_patient"]
    assert entry[-1].detail["addresses_withheld"] == 1
