"""A new, empty clinic in a test folder: passphrase key custody (no keyring needed),
an administrator, and a physician, for unit tests that need a real store."""

from __future__ import annotations

from pathlib import Path

from support.clinic_details import write_clinic_details

from clinic_inbox.core import services
from clinic_inbox.core.home import Clinic, create_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Role, Staff

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
