"""Nothing kept forever: the inbox copy of a conversation filed to the chart is purged
after the clinic's retention period (clinic.toml, [retention]; the default keeps
everything), unless a legal hold keeps it. A purge deletes with SQLite's
secure_delete (freed pages are overwritten), rewrites the search index, empties the
write-ahead log, and leaves one audit entry per conversation (the audit is kept).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from clinic_inbox.core import access, audit, purge_ledger, shared_purges
from clinic_inbox.core import services as sv
from clinic_inbox.core.changes import Changes, note
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Role
from clinic_inbox.core.signin import Session
from clinic_inbox.core.store import retention_queries as rq
from clinic_inbox.core.store.connection import Store


def keep_days(clinic: Clinic) -> int | None:
    """Days the inbox copy is kept after filing; None: kept (the default)."""
    path = clinic.home / "clinic.toml"
    if not path.exists():
        return None
    with open(path, "rb") as fh:
        section = tomllib.load(fh).get("retention", {})
    days = section.get("keep_days_after_filing")
    if days is None or days == "forever":
        return None
    if not isinstance(days, int) or days < 30:
        raise ValueError(
            "clinic.toml: [retention] keep_days_after_filing must be a whole number of days, "
            'at least 30, or "forever".'
        )
    return days


def set_legal_hold(clinic: Clinic, session: Session, thread_id: int, reason: str | None) -> None:
    """Keep a conversation whatever the retention period (reason given), or lift the
    hold (None). The administrator, or those who may file the conversation."""
    staff = sv._fresh(clinic, session)
    if reason is not None and len(reason.strip()) < 5:
        raise ValueError("Say why the conversation is held: it is kept in the record.")
    with clinic.store.transaction():
        if staff.role is Role.ADMIN:
            from clinic_inbox.core.store import queries as q

            row = q.get_thread(clinic.store, thread_id)
            if row is None:
                raise sv.NotFound(f"There is no conversation number {thread_id}.")
        else:
            row, d = sv._acting(clinic, session, thread_id)
            access.require(d.file, "Only the administrator or those who file it can hold it.")
        rq.set_hold(clinic.store, thread_id, reason.strip() if reason else None)
        sv._audit(
            clinic,
            session,
            "retention.hold" if reason else "retention.release",
            patient_id=row.patient_id,
            thread_id=thread_id,
            reason=reason.strip() if reason else None,
        )


@dataclass
class PurgeReport:
    kept_forever: bool = False
    threads: list[int] = field(default_factory=list)
    messages: int = 0


def purge(clinic: Clinic, session: Session | None, now: datetime | None = None) -> PurgeReport:
    """Purge what the policy allows. A person doing it must be the administrator; the
    app's maintenance runs it as "system"."""
    if session is not None:
        access.require(
            access.can_manage_settings(sv._fresh(clinic, session)),
            "Only the administrator can purge the inbox.",
        )
    days = keep_days(clinic)
    report = PurgeReport(kept_forever=days is None)
    if days is None:
        return report
    limit = ((now or datetime.now(UTC)) - timedelta(days=days)).isoformat(timespec="seconds")
    store = clinic.store
    with rq.secure_deletion(store):  # freed pages are overwritten, not left
        with store.transaction():
            due = rq.purgeable(store, limit)
            # the tombstones first (outside the store, so that restoring an older backup
            # purges again): a crash before the commit leaves a tombstone for a
            # conversation that was due anyway, never a purge without one
            if due:
                stamp = datetime.now(UTC).isoformat(timespec="seconds")
                purge_ledger.add(
                    ledger_folders(clinic),
                    clinic.audit_key,
                    [
                        purge_ledger.Tombstone(t, rq.created_at(store, t) or "", stamp)
                        for t, *_ in due
                    ],
                )
            for thread_id, patient_id, filed_at, document in due:
                n = rq.purge_thread(store, thread_id)
                report.threads.append(thread_id)
                report.messages += n
                audit.append(
                    store,
                    clinic.audit_key,
                    session.staff.id if session else None,
                    session.staff.username if session else "system",
                    "retention.purge",
                    patient_id=patient_id,
                    thread_id=thread_id,
                    detail={
                        "messages": n,
                        "filed_at": filed_at,
                        "document_id": document,
                        "keep_days": days,
                    },
                )
            if report.threads:
                note(store, Changes.of_threads(report.threads))  # their cards go
                rq.compact_search_index(store)
                shared_purges.remember(store, report.threads)  # for the other workstations
        if report.threads:
            rq.fold_wal(store)
    return report


# -- purges reach the copies ------------------------------------------------------------
def ledger_folders(clinic: Clinic) -> list[Path]:
    """Where the tombstones are kept: the data folder and the backup folder."""
    from clinic_inbox.core.backup_schedule import backup_folder

    return [clinic.home, backup_folder(clinic.home, clinic.config)]


def reapply_purges(store: Store, audit_key: bytes, ledgers: list[Path]) -> list[int]:
    """Purge again, in `store`, every conversation a genuine tombstone names (a backup
    taken before the purge still holds them): the same secure deletion, one audit
    entry each ("system"). Returns the conversations purged now."""
    named = purge_ledger.thread_ids(ledgers)
    here = rq.unpurged_among(store, sorted(named)) if named else {}
    # only the conversations still here are checked (a MAC each): most are long purged
    tombstones = purge_ledger.read_all(ledgers, audit_key, only=set(here)) if here else []
    todo = [
        (t, here[t.thread_id][1])
        for t in tombstones
        if t.thread_id in here and here[t.thread_id][0] == t.created_at
    ]
    if not todo:
        return []
    with rq.secure_deletion(store):
        with store.transaction():
            for t, patient in todo:
                n = rq.purge_thread(store, t.thread_id)
                audit.append(
                    store,
                    audit_key,
                    None,
                    "system",
                    "retention.purge.reapplied",
                    patient_id=None if patient == -1 else patient,
                    thread_id=t.thread_id,
                    detail={"messages": n, "purged_at": t.purged_at},
                )
            rq.compact_search_index(store)
        rq.fold_wal(store)
    return [t.thread_id for t, _ in todo]
