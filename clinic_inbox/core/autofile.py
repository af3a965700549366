"""Filing to the chart when a conversation is marked done, if the clinic asks for it
(clinic.toml [filing] on_done = true, with its formats and destination folder).

The clinic's setting does the filing, not the person: it runs as "system", after the
status change has been committed, and a failure (folder missing, sender not yet
confirmed) leaves the conversation done and not filed, where the "Done, not filed"
view shows it, with an audit entry saying why.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from clinic_inbox.core import audit, filing
from clinic_inbox.core.changes import Changes, note
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.store import export_queries as eq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import sync_queries as sq


@dataclass(frozen=True)
class Setting:
    formats: tuple[str, ...]
    destination: Path


def setting(clinic: Clinic) -> Setting | None:
    path = clinic.home / "clinic.toml"
    if not path.exists():
        return None
    with open(path, "rb") as fh:
        section = tomllib.load(fh).get("filing", {})
    if not section.get("on_done"):
        return None
    formats = tuple(section.get("formats", ["pdf"]))
    bad = [f for f in formats if f not in filing.FORMATS]
    if bad or not formats or not section.get("destination"):
        raise ValueError(
            "clinic.toml: [filing] needs `destination` (a folder) and `formats` among "
            + ", ".join(filing.FORMATS)
            + "."
        )
    return Setting(formats, Path(section["destination"]).expanduser())


def _fail(clinic: Clinic, row: q.ThreadRow, why: str) -> None:
    with clinic.store.transaction():
        audit.append(
            clinic.store,
            clinic.audit_key,
            None,
            "system",
            "export.auto_failed",
            patient_id=row.patient_id,
            thread_id=row.id,
            reason=why,
        )


def after_done(clinic: Clinic, thread_id: int, done_by: int) -> filing.FiledDocument | None:
    """File a conversation just marked done (by staff member `done_by`), when the
    clinic files on done."""
    row = q.get_thread(clinic.store, thread_id)
    if row is None or row.patient_id is None:
        return None
    try:
        chosen = setting(clinic)
    except (ValueError, OSError) as exc:  # a broken setting must not undo "done"
        _fail(clinic, row, str(exc)[:300])
        return None
    if chosen is None:
        return None
    if clinic.config.require_verified_sender and sq.thread_sender_unverified(
        clinic.store, thread_id
    ):
        _fail(clinic, row, "the sender is not confirmed yet")
        return None
    previous = eq.last_export(clinic.store, thread_id)
    if previous is not None and row.filed_at and row.last_message_at <= row.filed_at:
        return None  # already filed, nothing new since
    try:
        return write_filing(
            clinic,
            row,
            chosen.formats,
            chosen.destination,
            exported_by_id=done_by,
            exported_by_name=f"{clinic.config.name} (filed automatically when done)",
            actor_id=None,
            actor="system",
            detail={"automatic": True, "marked_done_by": done_by},
        )
    except (OSError, ValueError) as exc:
        _fail(clinic, row, f"the chart folder could not be written ({type(exc).__name__})")
        return None


def write_filing(
    clinic: Clinic,
    row: q.ThreadRow,
    formats: tuple[str, ...],
    destination: Path,
    *,
    exported_by_id: int,
    exported_by_name: str,
    actor_id: int | None,
    actor: str,
    detail: dict,
) -> filing.FiledDocument:
    """Write the chart files of one conversation and record them (export row, filed
    mark, audit entry) in one transaction; the files go if the record fails."""
    previous = eq.last_export(clinic.store, row.id)
    version = previous.version + 1 if previous else 1
    doc = filing.build_document(
        clinic,
        row.id,
        exported_by=exported_by_name,
        include_notes=False,
        version=version,
        replaces=previous.document_id if previous else None,
    )
    paths, bundle = filing.render_and_write(doc, formats, destination)
    stamp = doc.exported_at.isoformat(timespec="seconds")
    try:
        with clinic.store.transaction():
            eq.record_export(
                clinic.store,
                thread_id=row.id,
                version=version,
                document_id=doc.document_id,
                replaces=doc.replaces_document_id,
                formats=",".join(formats),
                content_hash=doc.content_sha256(),
                exported_by=exported_by_id,
                exported_at=stamp,
                destination=str(destination),
            )
            q.update_thread(clinic.store, row.id, filed_at=stamp, filed_document_id=doc.document_id)
            note(clinic.store, Changes.of(row.id))  # its card says "filed"
            audit.append(
                clinic.store,
                clinic.audit_key,
                actor_id,
                actor,
                "export",
                patient_id=row.patient_id,
                thread_id=row.id,
                detail={
                    "document_id": doc.document_id,
                    "version": version,
                    "formats": list(formats),
                    **detail,
                },
            )
    except BaseException:
        for p in paths:
            p.unlink(missing_ok=True)
        raise
    return filing.FiledDocument(
        row.id,
        doc.document_id,
        version,
        doc.replaces_document_id,
        tuple(paths),
        doc.content_sha256(),
        bundle,
    )
