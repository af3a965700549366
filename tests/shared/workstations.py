"""Workstations for the shared-queue tests: a clinic folder each, keys in a real keyring.

Every workstation has the same staff (by user name), as a clinic's would once staff
are shared; here each is created locally.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from clinic_inbox.core import services
from clinic_inbox.core.config import load_config
from clinic_inbox.core.home import Clinic, create_clinic, open_clinic
from clinic_inbox.core.ingest import Incoming, ingest
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Role, Source
from clinic_inbox.core.staff_keys import release
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.triage import load_rules

ADMIN_PASSWORD = "quartz lantern meadow violin"
STAFF = [
    ("dr.patel", "Dr Anjali Patel", Role.PHYSICIAN),
    ("nurse.chen", "Nurse Mei Chen", Role.NURSE),
    ("reception.moreau", "Claire Moreau", Role.RECEPTIONIST),
]
STAFF_PASSWORD = "kettle orbit maple frost"


def _never(prompt: str, confirm: bool) -> str:
    raise AssertionError("keyring custody: no passphrase expected")


def new_workstation(home: Path, backend: Any) -> Clinic:
    clinic, _ = create_clinic(home, _never, KeyCustody(home, backend=backend))
    services.create_first_admin(clinic, "admin", "Admin", ADMIN_PASSWORD)
    admin = services.login(clinic, "admin", ADMIN_PASSWORD)
    for username, name, role in STAFF:
        services.add_staff(clinic, admin, username, name, role, STAFF_PASSWORD)
    return clinic


def reopen(home: Path, backend: Any) -> Clinic:
    # the store key is released by a staff password (key slots, core.staff_keys), not by
    # the keyring alone; opened without a sign-in entry, like the helper it replaces
    custody = KeyCustody(home, backend=backend)
    found = release(home, custody, "admin", ADMIN_PASSWORD)
    return open_clinic(home, _never, custody, found=found)


def login(clinic: Clinic, username: str) -> services.Session:
    pw = ADMIN_PASSWORD if username == "admin" else STAFF_PASSWORD
    return services.login(clinic, username, pw)


def receive(clinic: Clinic, n: int, tag: str = "") -> list[int]:
    """n patient e-mails, each its own conversation; returns the thread ids."""
    cfg = load_config(clinic.home)
    rules = load_rules(clinic.home)
    with clinic.store.transaction():
        acct = q.ensure_account(clinic.store, f"Inbox{tag}", "imap", {})
    threads = []
    now = datetime.now(UTC)
    with clinic.store.transaction():
        for i in range(n):
            got = ingest(
                clinic.store,
                cfg,
                rules,
                Incoming(
                    source=Source.EMAIL,
                    account_id=acct,
                    received_at=now - timedelta(minutes=n - i),
                    sender_address=f"zoe.quennell{tag}{i}@example.org",
                    sender_name=f"Zoë Quennell{tag}{i}",
                    subject=f"Renewal of thyroxine tablets {tag}{i}",
                    body_text=f"Bonjour, my levothyroxine prescription ran out. Ref {tag}{i}",
                    message_id=f"<renewal-{tag}{i}@example.org>",
                    imap_mailbox="INBOX",
                    imap_uidvalidity=1,
                    imap_uid=i + 1,
                ),
            )
            threads.append(got.thread_id)
    return threads
