"""Filing to the chart: a conversation exported as PDF, FHIR and HL7 for the
patient's record."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from clinic_inbox.core import access, accounts, filing
from clinic_inbox.core.accounts import FhirAccount
from clinic_inbox.core.changes import Changes, note
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.services_common import NotFound, _audit, _fresh
from clinic_inbox.core.services_senders import _require_confirmed_sender
from clinic_inbox.core.services_staff_sessions import reauthenticate
from clinic_inbox.core.services_workflow import _acting
from clinic_inbox.core.signin import Session
from clinic_inbox.core.store import export_queries as eq
from clinic_inbox.core.store import queries as q


# -- filing to the chart -------------------------------------------------------------
def export_thread(
    clinic: Clinic,
    session: Session,
    thread_id: int,
    *,
    formats: tuple[str, ...],
    out_dir: Path,
    password: str,
    include_notes: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> filing.FiledDocument:
    """File a conversation to the chart. The password is asked again first."""
    bad = [f for f in formats if f not in filing.FORMATS]
    if bad or not formats:
        raise ValueError(f"Choose formats among {', '.join(filing.FORMATS)}.")
    reauthenticate(clinic, session, password, purpose="export", sleep=sleep)
    row, d = _acting(clinic, session, thread_id)
    access.require(
        d.body and d.file, d.why_not or "You may not file this conversation to the chart."
    )
    _require_confirmed_sender(clinic, thread_id)
    previous = eq.last_export(clinic.store, thread_id)
    version = previous.version + 1 if previous else 1
    doc = filing.build_document(
        clinic,
        thread_id,
        exported_by=session.staff.display_name,
        include_notes=include_notes,
        version=version,
        replaces=previous.document_id if previous else None,
    )
    paths, bundle = filing.render_and_write(doc, formats, out_dir)
    try:
        with clinic.store.transaction():
            eq.record_export(
                clinic.store,
                thread_id=thread_id,
                version=version,
                document_id=doc.document_id,
                replaces=doc.replaces_document_id,
                formats=",".join(formats),
                content_hash=doc.content_sha256(),
                exported_by=session.staff.id,
                exported_at=doc.exported_at.isoformat(timespec="seconds"),
                destination=str(out_dir),
            )
            q.update_thread(
                clinic.store,
                thread_id,
                filed_at=doc.exported_at.isoformat(timespec="seconds"),
                filed_document_id=doc.document_id,
            )
            note(clinic.store, Changes.of(thread_id))  # its card says "filed"
            _audit(
                clinic,
                session,
                "export",
                patient_id=row.patient_id,
                thread_id=thread_id,
                detail={
                    "document_id": doc.document_id,
                    "version": version,
                    "formats": list(formats),
                    "notes": include_notes,
                },
            )
    except BaseException:
        for p in paths:
            p.unlink(missing_ok=True)
        raise
    return filing.FiledDocument(
        thread_id,
        doc.document_id,
        version,
        doc.replaces_document_id,
        tuple(paths),
        doc.content_sha256(),
        bundle,
    )


def finished_since(clinic: Clinic, session: Session, since: str) -> list[int]:
    """The conversations finished since a date (ISO), for filing them as a batch; each
    is then checked and audited on its own by export_thread. Only numbers here."""
    _fresh(clinic, session)  # a disabled account or a reset password stops here
    return eq.finished_threads_since(clinic.store, since)


# -- after filing: the two network steps the CLI and the app share -------------------------
class ChartNetwork(Protocol):
    """What filing needs from the network (sources.chart_network: the real servers).
    Neither step raises for a network problem: it answers in plain words."""

    def move_filed(self, clinic: Clinic, thread_id: int) -> tuple[int, list[str]]: ...

    def send_bundle(self, clinic: Clinic, portal: FhirAccount, bundle: dict) -> str | None: ...


@dataclass(frozen=True)
class ChartFiling:
    """A conversation filed, and what the network steps after it did."""

    filed: filing.FiledDocument
    emails_moved: int = 0  # to the mail account's Filed folder, when the clinic asks for it
    sent_to: str | None = None  # the portal the FHIR copy went to
    problems: tuple[str, ...] = ()  # steps that did not happen, in plain words

    def lines(self) -> list[str]:
        out = []
        if self.emails_moved:
            out.append(f"{self.emails_moved} emails moved to the Filed folder on the mail server")
        if self.sent_to:
            out.append(f"sent to {self.sent_to} as a FHIR transaction")
        return out + list(self.problems)


def chart_portal(clinic: Clinic, session: Session, name: str) -> FhirAccount:
    """The portal account a chart copy may be sent to, by its name."""
    _fresh(clinic, session)
    found = next((a for a in accounts.fhir_accounts(clinic.store) if a.name == name), None)
    if found is None:
        raise NotFound(f"There is no portal account named {name!r}.")
    return found


def after_filing(
    clinic: Clinic,
    session: Session,
    filed: filing.FiledDocument,
    *,
    network: ChartNetwork,
    portal: FhirAccount | None = None,
) -> ChartFiling:
    """The conversation's emails to the Filed folder (if the account has one), and the
    FHIR copy to `portal` (audited: the chart copy left the clinic's computer)."""
    row, d = _acting(clinic, session, filed.thread_id)
    access.require(d.body and d.file, d.why_not or "You may not file this conversation.")
    moved, problems = network.move_filed(clinic, filed.thread_id)
    if problems:
        from clinic_inbox.core.services_filed_moves import kept_for_next_sync

        problems = kept_for_next_sync(clinic, filed.thread_id, problems)
    sent_to = None
    if portal is not None and filed.bundle is not None:
        problem = network.send_bundle(clinic, portal, filed.bundle)
        if problem:
            problems.append(problem)
        else:
            sent_to = portal.name
            with clinic.store.transaction():
                _audit(
                    clinic,
                    session,
                    "export.sent",
                    patient_id=row.patient_id,
                    thread_id=filed.thread_id,
                    detail={"document_id": filed.document_id, "portal": portal.name},
                )
    return ChartFiling(filed, moved, sent_to, tuple(problems))


def file_to_chart(
    clinic: Clinic,
    session: Session,
    thread_id: int,
    *,
    formats: tuple[str, ...],
    out_dir: Path,
    password: str,
    network: ChartNetwork,
    include_notes: bool = False,
    portal: FhirAccount | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> ChartFiling:
    """File to the chart (`export_thread`), then the network steps (`after_filing`): a
    network problem there is said, and the chart copy stays filed."""
    filed = export_thread(
        clinic,
        session,
        thread_id,
        formats=formats,
        out_dir=out_dir,
        password=password,
        include_notes=include_notes,
        sleep=sleep,
    )
    return after_filing(clinic, session, filed, network=network, portal=portal)
