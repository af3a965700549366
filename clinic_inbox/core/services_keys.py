"""The key change as a user action: who may, and what must hold before it starts.

The change itself (core.rekey) needs the store closed, so the service hands back what
it needs from the signed-in session: who asked (for its audit entry) and, for a
clinic whose key is released by staff passwords, the keys the session holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from clinic_inbox.core import access, audit, signin
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.keys import Secrets
from clinic_inbox.core.keyslots import KeySlots
from clinic_inbox.core.signin import Session
from clinic_inbox.core.store import queries as q


@dataclass(frozen=True)
class KeyChange:
    actor_id: int
    actor: str
    found: Secrets | None = field(repr=False)  # None: the key custody gives the keys


def prepare_key_change(clinic: Clinic, session: Session) -> KeyChange:
    """An administrator's act; with key slots every active slot must be able to take the
    new key (version 2), which is checked before anything is copied."""
    staff = signin.still_valid(
        clinic.store, q.get_staff(clinic.store, session.staff.id), session.started_at
    )
    if not access.can_manage_staff(staff):
        with clinic.store.transaction():
            audit.append(
                clinic.store,
                clinic.audit_key,
                staff.id,
                staff.username,
                "key.change.refused",
                detail={"why": "not an administrator"},
            )
        access.require(False, "Only an administrator may change the clinic's key.")
    if not clinic.custody.sealed:
        return KeyChange(staff.id, staff.username, None)
    backend = clinic.credentials.backend if clinic.credentials is not None else None
    waiting = KeySlots(clinic.home, clinic.custody.store_id, backend).without_public_key()
    access.require(
        not waiting,
        "The key cannot change yet: these people have not signed in since key slots were "
        f"improved: {', '.join(waiting)}. Ask them to sign in once (or reset their "
        "passwords), then try again. Nothing was changed.",
    )
    return KeyChange(staff.id, staff.username, clinic.secrets)
