"""The store as a whole: backup, restore, health, and the audit trail (check,
export, read, reveal a sealed search)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clinic_inbox.core import access, audit
from clinic_inbox.core import staff_keys as key_slots  # follow passwords (issue 16 item 7)
from clinic_inbox.core.audit_anchor import AnchorSink
from clinic_inbox.core.audit_check import AuditReport, full_check
from clinic_inbox.core.backup import BackupInfo
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Staff
from clinic_inbox.core.services_common import NotFound, _audit, _fresh, _refuse
from clinic_inbox.core.services_staff_sessions import login
from clinic_inbox.core.signin import Session
from clinic_inbox.core.store import queries as q


# -- the store as a whole: backup, restore, health, audit -------------------------------
def backup_store(
    clinic: Clinic, session: Session, dest: Path, passphrase: str | None = None
) -> BackupInfo:
    """A full, verified copy of the store: an administrator's act. A refusal is audited."""
    from clinic_inbox.core.backup import write_backup

    staff = check_backup_allowed(clinic, session, dest, passphrase is not None)
    return write_backup(clinic, dest, passphrase=passphrase, actor=(staff.id, staff.username))


def check_backup_allowed(
    clinic: Clinic, session: Session, dest: Path, with_passphrase: bool
) -> Staff:
    """Refuse (and audit the attempt) unless an administrator asks."""
    staff = _fresh(clinic, session)
    if not access.can_copy_store(staff):
        _refuse(
            clinic,
            session,
            "backup.refused",
            "Only an administrator may make a backup of the clinic's store: it holds every "
            "patient's messages. Ask your administrator.",
            detail={"file": Path(dest).name, "passphrase": with_passphrase},
        )
    return staff


def restore_sign_in(
    username: str, password: str, *, backup_name: str, replaced_damaged: bool
) -> Callable[[Clinic], None]:
    """The check a restore runs on the store it has just put in place, before keeping it:
    the person signs in as an administrator of that store (its staff are the backup's),
    and the restore is written into its audit trail. Any failure undoes the restore."""

    def check(clinic: Clinic) -> None:
        session = login(clinic, username, password)
        staff = _fresh(clinic, session)
        access.require(
            access.can_copy_store(staff),
            "Only an administrator may restore a backup: nothing was restored.",
        )
        with clinic.store.transaction():
            _audit(
                clinic,
                session,
                "restore",
                detail={"backup": backup_name, "replaced_damaged_store": replaced_damaged},
            )

    # a clinic whose key is released to staff opens through this person's key slot
    check.release = lambda home, custody: key_slots.release(home, custody, username, password)  # type: ignore[attr-defined]

    # a passphrase backup restored under a fresh key is sealed to this person's slot
    def seal_restored(home: Path, custody: Any, found: Any) -> None:
        # who then needs a password reset, for the caller to say
        check.waiting = key_slots.seal_restored(home, custody, found, username, password)  # type: ignore[attr-defined]

    check.seal_restored = seal_restored  # type: ignore[attr-defined]
    check.waiting = []  # type: ignore[attr-defined]
    return check


def refuse_replacing_sound_store(clinic: Clinic, session: Session | None, backup_name: str) -> None:
    """`restore --replace-damaged` on a store that opens and whose pages check out: that
    would only roll the clinic (and its audit trail) back. Refused and audited."""
    _refuse(
        clinic,
        session,
        "restore.refused",
        "The clinic's store is not damaged: it opens and every page checks out, so it was "
        "not replaced. --replace-damaged is only for a store that cannot be read.",
        detail={"backup": backup_name},
    )


@dataclass(frozen=True)
class StoreHealth:
    cipher_version: str
    custody: str
    schema_version: int
    problems: list[str]
    # (staff, patients, messages): for administrators only, None for everyone else
    counts: tuple[int, int, int] | None


def store_health(clinic: Clinic, session: Session) -> StoreHealth:
    """What `doctor` shows. Any signed-in person may check that the store is sound and
    how its key is kept (nothing of it is secret); the counts are the administrator's."""
    staff = _fresh(clinic, session)
    counts = None
    if access.can_see_store_counts(staff):
        counts = (
            q.staff_count(clinic.store),
            q.patient_count(clinic.store),
            q.message_count(clinic.store),
        )
    return StoreHealth(
        clinic.store.cipher_version(),
        clinic.custody.describe(),
        clinic.store.schema_version(),
        clinic.store.integrity_check(),
        counts,
    )


def verify_audit(
    clinic: Clinic,
    session: Session,
    sinks: Sequence[AnchorSink] = (),
    why_no_sink: str | None = None,
) -> AuditReport:
    """Check the audit chain and compare it with its counter and anchors kept outside
    the store (core.audit_check; physicians and administrators); the check is recorded."""
    access.require(
        access.can_read_audit(_fresh(clinic, session)),
        "Checking the audit trail is for physicians and administrators.",
    )
    result = full_check(clinic, list(sinks), why_no_sink)
    with clinic.store.transaction():
        _audit(clinic, session, "audit.verify", detail={"ok": result.ok, "checked": result.checked})
    return result


def export_audit(
    clinic: Clinic,
    session: Session,
    *,
    patient_id: int | None = None,
    since: str | None = None,
    until: str | None = None,
) -> list[audit.AuditEntry]:
    """The audit entries for an export, read and recorded in one transaction. Search
    terms stay sealed in them (see core/sealed_terms)."""
    access.require(
        access.can_export_audit(_fresh(clinic, session)),
        "Only an administrator (privacy officer) can export the audit trail.",
    )
    with clinic.store.transaction():
        rows = audit.entries(clinic.store, patient_id=patient_id, since=since, until=until)
        _audit(
            clinic,
            session,
            "audit.export",
            patient_id=patient_id,
            detail={"rows": len(rows), "since": since, "until": until},
        )
    return rows


def audit_trail(
    clinic: Clinic, session: Session, *, patient_id: int | None = None
) -> list[audit.AuditEntry]:
    """The audit screen of the app (administrators): the same rule as the export; the
    viewing is recorded (who looked at which patient's trail)."""
    access.require(
        access.can_export_audit(_fresh(clinic, session)),
        "Only an administrator (privacy officer) can read the audit trail.",
    )
    with clinic.store.transaction():
        rows = audit.entries(clinic.store, patient_id=patient_id)
        _audit(clinic, session, "audit.view", patient_id=patient_id, detail={"rows": len(rows)})
    return rows


def reveal_search_terms(clinic: Clinic, session: Session, entry_id: int) -> str:
    """Unseal the words of one audited search, for an investigation; itself audited."""
    from clinic_inbox.core import sealed_terms

    access.require(
        access.can_export_audit(_fresh(clinic, session)),
        "Only an administrator (privacy officer) can read the words of a search.",
    )
    with clinic.store.transaction():
        found = [e for e in audit.entries(clinic.store) if e.id == entry_id]
        if not found or found[0].action != "search":
            raise NotFound(f"Audit entry {entry_id} is not a search.")
        words = sealed_terms.unseal(clinic.audit_key, str(found[0].detail.get("terms", "")))
        _audit(clinic, session, "audit.reveal_search", detail={"entry": entry_id})
    return words
