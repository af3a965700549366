"""Messages the clinic starts, end to end: real Dovecot, a real SMTP server and the
loopback FHIR server; a message kept for later survives SIGKILLs and goes once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clinic_inbox.core import services
from clinic_inbox.core import services_compose as sc
from clinic_inbox.core.accounts import FhirAccount, ImapAccount
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Role
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.store import queries as q
from clinic_inbox.sources import sync

MAILBOX = "inbox@clinic.example"
MAILBOX_PASSWORD = "mailbox-password"
ADMIN_PW = "quartz lantern meadow violin"
DOC_PW = "kettle orbit maple frost"
REPO = Path(__file__).resolve().parents[2]
REMINDER = sc.Request(
    template="reminder", fields={"what": "your blood test", "when": "Monday at 8:00"}
)


def _no_passphrase(prompt: str, confirm: bool) -> str:
    raise AssertionError("the keyring holds the key")


@pytest.fixture()
def mail_clinic(tmp_path, dovecot, smtp_server, secret_service):
    dovecot.add_user(MAILBOX, MAILBOX_PASSWORD)
    home = tmp_path / "clinic"
    clinic, _ = create_clinic(
        home, _no_passphrase, KeyCustody(home, backend=secret_service.backend())
    )
    services.create_first_admin(clinic, "admin", "Alex Admin", ADMIN_PW)
    admin = services.login(clinic, "admin", ADMIN_PW)
    services.add_imap_account(
        clinic,
        admin,
        ImapAccount(
            name="Clinic email",
            host=dovecot.host,
            port=dovecot.port,
            username=MAILBOX,
            security="none",
            smtp_host=smtp_server.host,
            smtp_port=smtp_server.port,
            smtp_security="none",
            from_address=MAILBOX,
        ),
        MAILBOX_PASSWORD,
    )
    doc = services.add_staff(clinic, admin, "dr.patel", "Dr Anjali Patel", Role.PHYSICIAN, DOC_PW)
    with clinic.store.transaction():
        clinic.patients = [  # type: ignore[attr-defined]
            q.add_patient(
                clinic.store,
                "Tremblay",
                "Luc",
                None,
                "C-1",
                None,
                doc.id,
                ("luc@patients.example",),
            ),
            q.add_patient(
                clinic.store, "Nguyen", "Mai", None, "C-2", None, doc.id, ("mai@patients.example",)
            ),
        ]
    clinic.test_env = {  # type: ignore[attr-defined]
        **secret_service.env,
        "CLINIC_INBOX_HOME": str(home),
        "CLINIC_INBOX_PASSWORD": ADMIN_PW,
    }
    clinic.home_dir = home  # type: ignore[attr-defined]
    yield clinic
    clinic.close()


def test_a_started_message_reaches_the_patient_by_email_and_lands_in_sent(
    mail_clinic, smtp_server, dovecot
):
    doc = services.login(mail_clinic, "dr.patel", DOC_PW)
    started = sc.start_message(
        mail_clinic,
        doc,
        mail_clinic.patients[0],
        sc.Request(template="results_please_call", fields={"test": "thyroid"}),
    )
    report = sync.run_once(mail_clinic)
    assert report.outbox.sent == 1
    [msg] = smtp_server.messages()
    [env] = smtp_server.envelopes()
    assert env["to"] == ["luc@patients.example"]
    assert msg["Subject"] == "Please call us about your thyroid results"
    assert "Hello Luc" in msg.get_content()
    item = oq.get(mail_clinic.store, started.outbox_id)
    assert item.state == "sent" and msg["Message-ID"] == item.idempotency_key
    from clinic_inbox.core.accounts import imap_accounts
    from clinic_inbox.sources.imap import ImapConnection

    account = imap_accounts(mail_clinic.store)[0]
    with ImapConnection(account, MAILBOX_PASSWORD) as conn:
        assert conn.has_message_id(account.sent_folder, item.idempotency_key)


def test_a_bulk_reminder_is_delivered_as_separate_messages(mail_clinic, smtp_server):
    doc = services.login(mail_clinic, "dr.patel", DOC_PW)
    sc.bulk_reminder(mail_clinic, doc, mail_clinic.patients, REMINDER)
    sync.run_once(mail_clinic)
    envelopes = smtp_server.envelopes()
    assert sorted(tuple(e["to"]) for e in envelopes) == [
        ("luc@patients.example",),
        ("mai@patients.example",),
    ]
    for m in smtp_server.messages():
        assert m["Cc"] is None and m["Bcc"] is None


def _cli_sync(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "clinic_inbox", "--user", "admin", "sync", "--once"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )


def test_a_reminder_kept_for_later_survives_kills_and_restarts_and_goes_once(
    mail_clinic, smtp_server, secret_service
):
    doc = services.login(mail_clinic, "dr.patel", DOC_PW)
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=8)
    started = sc.start_message(
        mail_clinic,
        doc,
        mail_clinic.patients[0],
        sc.Request(**{**REMINDER.__dict__, "send_at": at}),
    )
    key = oq.get(mail_clinic.store, started.outbox_id).idempotency_key
    mail_clinic.close()  # the app is closed: the reminder waits in the store alone
    proc = _cli_sync(mail_clinic.test_env)
    assert proc.wait(timeout=120) == 0, proc.stderr.read().decode()
    # nothing reached the server before its time (on a loaded machine this sync may
    # itself run past the time, and then sending is right: the spool file's time says)
    early = [
        f.name
        for f in smtp_server.spool.glob("*.eml")
        if datetime.fromtimestamp(f.stat().st_mtime, UTC) < at
    ]
    assert early == [], "sent before its time"
    while datetime.now(UTC) <= at:
        time.sleep(0.2)
    kills = 0
    for delay in (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0):  # from start-up to the SMTP exchange
        proc = _cli_sync(mail_clinic.test_env)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    proc = _cli_sync(mail_clinic.test_env)
    assert proc.wait(timeout=120) == 0, proc.stderr.read().decode()
    proc = _cli_sync(mail_clinic.test_env)
    assert proc.wait(timeout=120) == 0, proc.stderr.read().decode()
    got = [m for m in smtp_server.messages() if m["Subject"] == "Reminder: your blood test"]
    assert len(got) == 1, f"{len(got)} copies after {kills} kills"
    assert got[0]["Message-ID"] == key
    # the store (key released by a staff password since key slots) is read back by the
    # command line, as an administrator would: nothing waits, the audit chain holds
    env = {**os.environ, **mail_clinic.test_env}
    left = subprocess.run(
        [sys.executable, "-m", "clinic_inbox", "--user", "admin", "compose", "scheduled", "--json"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert left.returncode == 0 and json.loads(left.stdout) == [], left.stderr
    verify = subprocess.run(
        [sys.executable, "-m", "clinic_inbox", "--user", "admin", "audit", "verify"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    print(f"\nreminder kept for later: {kills} kills, sent once")


# -- the portal -----------------------------------------------------------------------
def test_a_started_message_goes_through_the_portal_when_the_patient_has_one(tmp_path, fhir_server):
    prac = fhir_server.create({"resourceType": "Practitioner", "name": [{"family": "Patel"}]})
    patient = fhir_server.create(
        {"resourceType": "Patient", "name": [{"family": "Roy", "given": ["Ana"]}]}
    )
    home = tmp_path / "c"
    clinic, _ = create_clinic(
        home, lambda p, c: "correct horse battery staple", KeyCustody(home, detect=False)
    )
    try:
        services.create_first_admin(clinic, "admin", "Admin", ADMIN_PW)
        admin = services.login(clinic, "admin", ADMIN_PW)
        doc = services.add_staff(
            clinic, admin, "dr.patel", "Dr Anjali Patel", Role.PHYSICIAN, DOC_PW
        )
        services.add_fhir_account(
            clinic,
            admin,
            FhirAccount(
                name="Portal",
                base_url=fhir_server.base_url,
                practitioners=[prac["id"]],
                staff_practitioners={"dr.patel": prac["id"]},
            ),
            None,
        )
        with clinic.store.transaction():
            pid = q.add_patient(
                clinic.store,
                "Roy",
                "Ana",
                None,
                "C-3",
                patient["id"],
                doc.id,
                ("ana@patients.example",),
            )
        session = services.login(clinic, "dr.patel", DOC_PW)
        started = sc.start_message(
            clinic, session, pid, sc.Request(template="follow_up", fields={"topic": "your knee"})
        )
        sync.run_once(clinic)
        sync.run_once(clinic)
        found = fhir_server.search("Communication", {"recipient": f"Patient/{patient['id']}"})
        assert len(found) == 1
        assert found[0]["sender"]["reference"] == f"Practitioner/{prac['id']}"
        assert "your knee" in json.dumps(found[0]) and "inResponseTo" not in found[0]
        assert oq.get(clinic.store, started.outbox_id).state == "sent"
        # the patient answers on the portal: the answer joins the conversation we began,
        # not another one of hers
        other = sc.start_message(clinic, session, pid, REMINDER)
        sync.run_once(clinic)
        fhir_server.create(
            {
                "resourceType": "Communication",
                "status": "completed",
                "subject": {"reference": f"Patient/{patient['id']}"},
                "sender": {"reference": f"Patient/{patient['id']}"},
                "recipient": [{"reference": f"Practitioner/{prac['id']}"}],
                "inResponseTo": [{"reference": f"Communication/{found[0]['id']}"}],
                "sent": "2026-12-01T10:00:00Z",
                "payload": [{"contentString": "Much better, thank you. The knee is fine."}],
            }
        )
        sync.run_once(clinic)
        answers = clinic.store.execute(
            "SELECT thread_id FROM messages WHERE direction = 'in'"
        ).fetchall()
        assert answers == [(started.thread_id,)] and other.thread_id != started.thread_id
    finally:
        clinic.close()


# -- delivery ----------------------------------------------------------------------------
def test_a_bounce_from_the_mail_system_marks_the_right_message_and_a_forged_one_nothing(
    mail_clinic, smtp_server, dovecot
):
    from support.dsn import make_dsn

    from clinic_inbox.core.model import Status
    from clinic_inbox.core.store import compose_queries as cq

    doc = services.login(mail_clinic, "dr.patel", DOC_PW)
    luc, mai = (sc.start_message(mail_clinic, doc, pid, REMINDER) for pid in mail_clinic.patients)
    sync.run_once(mail_clinic)
    spooled = {
        e["to"][0]: p.read_bytes()
        for e, p in zip(
            smtp_server.envelopes(), sorted(smtp_server.spool.glob("*.eml")), strict=True
        )
    }
    # the patients' mail system takes Luc's message, then reports it undeliverable; a
    # forger who saw Mai's message names her message with someone else's address
    bounce = make_dsn(spooled["luc@patients.example"], "luc@patients.example", to=MAILBOX)
    forged = make_dsn(spooled["mai@patients.example"], "someone@else.example", to=MAILBOX)
    dovecot.append_many(MAILBOX, [bounce, forged])
    report = sync.run_once(mail_clinic)
    assert luc.thread_id in report.changes.threads
    assert cq.delivery(mail_clinic.store, luc.message_id)[0] == "not_delivered"
    assert q.get_thread(mail_clinic.store, luc.thread_id).status is Status.NEW
    assert cq.delivery(mail_clinic.store, mai.message_id) == (None, None)
    assert q.get_thread(mail_clinic.store, mai.thread_id).status is Status.WAITING
    assert cq.not_delivered_open(mail_clinic.store) == [luc.thread_id]
    sync.run_once(mail_clinic)  # nothing changes on the next pass
    assert (
        mail_clinic.store.one("SELECT count(*) FROM audit WHERE action = 'message.not_delivered'")
        == 1
    )
    # no acknowledgement is ever sent to a mail system's report
    assert all("MAILER-DAEMON" not in str(m["To"]) for m in smtp_server.messages())


def test_the_portal_says_read_or_not_delivered_and_the_conversation_follows(tmp_path, fhir_server):
    from clinic_inbox.core.model import Status
    from clinic_inbox.core.outgoing_fhir import REPLY_ID_SYSTEM
    from clinic_inbox.core.store import compose_queries as cq

    prac = fhir_server.create({"resourceType": "Practitioner", "name": [{"family": "Patel"}]})
    patients = [
        fhir_server.create({"resourceType": "Patient", "name": [{"family": f"P{i}"}]})
        for i in range(2)
    ]
    home = tmp_path / "c"
    clinic, _ = create_clinic(
        home, lambda p, c: "correct horse battery staple", KeyCustody(home, detect=False)
    )
    try:
        services.create_first_admin(clinic, "admin", "Admin", ADMIN_PW)
        admin = services.login(clinic, "admin", ADMIN_PW)
        doc = services.add_staff(
            clinic, admin, "dr.patel", "Dr Anjali Patel", Role.PHYSICIAN, DOC_PW
        )
        services.add_fhir_account(
            clinic,
            admin,
            FhirAccount(name="Portal", base_url=fhir_server.base_url, practitioners=[prac["id"]]),
            None,
        )
        with clinic.store.transaction():
            pids = [
                q.add_patient(clinic.store, f"P{i}", "Ana", None, f"C-{i}", p["id"], doc.id)
                for i, p in enumerate(patients)
            ]
        session = services.login(clinic, "dr.patel", DOC_PW)
        read, lost = (sc.start_message(clinic, session, pid, REMINDER) for pid in pids)
        sync.run_once(clinic)
        assert cq.delivery(clinic.store, read.message_id) == (None, None)

        def portal_copy(started):
            ident = oq.get(clinic.store, started.outbox_id).idempotency_key
            [found] = fhir_server.search(
                "Communication", {"identifier": f"{REPLY_ID_SYSTEM}|{ident}"}
            )
            return found

        opened = portal_copy(read)
        fhir_server.update({**opened, "received": "2026-12-01T18:05:00Z"})
        failed = portal_copy(lost)
        fhir_server.update(
            {
                **failed,
                "status": "not-done",
                "statusReason": {"text": "The patient's portal account is closed"},
            }
        )
        report = sync.run_once(clinic)
        assert {read.thread_id, lost.thread_id} <= report.changes.threads
        assert cq.delivery(clinic.store, read.message_id)[0] == "read"
        assert cq.delivery(clinic.store, lost.message_id) == (
            "not_delivered",
            "The patient's portal account is closed",
        )
        assert q.get_thread(clinic.store, lost.thread_id).status is Status.NEW
        assert q.get_thread(clinic.store, read.thread_id).status is Status.WAITING
        sync.run_once(clinic)  # settled: nothing asked or changed again
        assert (
            clinic.store.one("SELECT count(*) FROM audit WHERE action = 'message.not_delivered'")
            == 1
        )
    finally:
        clinic.close()
