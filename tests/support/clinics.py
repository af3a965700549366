"""A new, empty clinic in a test folder: passphrase key custody (no keyring needed),
an administrator, and a physician, for unit tests that need a real store."""

from __future__ import annotations

from pathlib import Path

from support.clinic_details import write_clinic_details

from clinic_inbox.core import services
from clinic_inbox.core.home import Clinic, create_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Category, Direction, Priority, Role, Source, Staff
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store.connection import Store

PASSPHRASE = "correct horse battery staple"
ADMIN_PASSWORD = "quartz lantern meadow violin"


def new_clinic(home: Path) -> tuple[Clinic, services.Session, Staff]:
    """(clinic, the administrator's session, Dr Anjali Patel, password 'kettle orbit maple frost')."""
    write_clinic_details(home)
    clinic, _ = create_clinic(home, lambda p, c: PASSPHRASE, KeyCustody(home, detect=False))
    services.create_first_admin(clinic, "admin", "Admin", ADMIN_PASSWORD)
    admin = services.login(clinic, "admin", ADMIN_PASSWORD)
    doc = services.add_staff(
        clinic, admin, "dr.patel", "Dr Anjali Patel", Role.PHYSICIAN, "kettle orbit maple frost"
    )
    return clinic, admin, doc


def email_thread(store: Store, subject: str, body: str = "?") -> int:
    """A results question by e-mail from an unknown sender, written straight into the
    store (inside the caller's transaction): the new conversation's id."""
    tid = q.create_thread(
        store,
        q.NewThread(
            subject=subject,
            category=Category.RESULTS,
            priority=Priority.ROUTINE,
            created_at=q.utcnow(),
        ),
    )
    q.insert_message(
        store,
        q.NewMessage(
            thread_id=tid,
            source=Source.EMAIL,
            direction=Direction.INBOUND,
            received_at=q.utcnow(),
            sender="p@patients.example",
            body_text=body,
            category=Category.RESULTS,
            message_id_header=f"<{subject}@patients.example>",
        ),
    )
    return tid
