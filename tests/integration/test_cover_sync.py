"""Cover for an absence end to end: marked from the command line, a patient's email
arriving in Dovecot goes to the covering colleague, and after the set end nothing does."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from support.mailgen import make_message, patient_address

from clinic_inbox.core import access, services
from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Role
from clinic_inbox.core.store import access_queries as aq
from clinic_inbox.core.store import queries as q
from clinic_inbox.sources import sync

MAILBOX, MAILBOX_PASSWORD = "inbox@clinic.example", "mailbox-password"
ADMIN_PW, DOC_PW = "quartz lantern meadow violin", "kettle orbit maple frost"
REPO = Path(__file__).resolve().parents[2]
TRUSTED = "mx.clinic.example"


def test_a_new_message_goes_to_the_cover_until_the_end_date(
    tmp_path, dovecot, smtp_server, secret_service
):
    dovecot.add_user(MAILBOX, MAILBOX_PASSWORD)
    home = tmp_path / "clinic"
    clinic, _ = create_clinic(
        home,
        lambda p, c: "unused passphrase here",
        KeyCustody(home, backend=secret_service.backend()),
    )
    try:
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
        patel = services.add_staff(
            clinic, admin, "dr.patel", "Dr Anjali Patel", Role.PHYSICIAN, DOC_PW
        )
        okafor = services.add_staff(
            clinic, admin, "dr.okafor", "Dr Chinedu Okafor", Role.PHYSICIAN, DOC_PW
        )
        with clinic.store.transaction():
            pid = q.add_patient(
                clinic.store, "Patient", "Zero", None, "C-0", None, patel.id, (patient_address(0),)
            )
        # marked away from the command line, as a physician would
        end = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=20)
        env = {
            **os.environ,
            **secret_service.env,
            "CLINIC_INBOX_HOME": str(home),
            "CLINIC_INBOX_PASSWORD": DOC_PW,
        }
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "clinic_inbox",
                "--user",
                "dr.patel",
                "away",
                "add",
                "--physician",
                "dr.patel",
                "--from",
                (end - timedelta(hours=1)).isoformat(),
                "--to",
                end.isoformat(),
                "--cover",
                "dr.okafor",
            ],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr

        # the clinic's own mail server vouches for the sender (DMARC pass), as it would
        clinic.config = dataclasses.replace(clinic.config, trusted_authserv_id=TRUSTED)

        def arrive(seed: int) -> q.ThreadRow:
            """A patient's email comes in, its sender verified by the clinic's server."""
            raw = make_message(0, seed=seed, when=datetime.now(UTC))
            vouched = (
                f"Authentication-Results: {TRUSTED}; dmarc=pass header.from=patients.example\r\n"
            ).encode() + raw
            dovecot.append_many(MAILBOX, [vouched])
            sync.run_once(clinic)
            [new] = [t for t in q.list_threads(clinic.store) if t.id not in seen]
            seen.add(new.id)
            return new

        seen: set[int] = set()
        first = arrive(1)
        assert first.patient_id == pid and first.assigned_to_id == okafor.id
        cover = services.login(clinic, "dr.okafor", DOC_PW)
        d = services.decision_for(clinic, cover, first.id)
        assert d.body and d.reply and d.delegate_of == "Dr Anjali Patel"
        services.queue_reply(clinic, cover, first.id, "Dr Okafor here, covering for Dr Patel.")
        while datetime.now(UTC) <= end:
            time.sleep(0.5)
        second = arrive(2)
        assert second.patient_id == pid and second.assigned_to_id is None
        facts = aq.thread_facts(clinic.store, second.id)
        grants = aq.grants_to(clinic.store, okafor.id)
        assert not access.decide(okafor, facts, grants, now=datetime.now(UTC)).body
        sent = [m for m in smtp_server.messages() if "covering for Dr Patel" in m.get_content()]
        assert len(sent) == 1
        # the receipt of the first message said who covers; the one after the end does not
        receipts = [m for m in smtp_server.messages() if m["Auto-Submitted"] == "auto-replied"]
        assert len(receipts) == 2
        said = "Dr Anjali Patel is away until"
        assert said in receipts[0].get_content() and "Dr Chinedu Okafor is covering" in (
            receipts[0].get_content()
        )
        assert said not in receipts[1].get_content()
    finally:
        clinic.close()
