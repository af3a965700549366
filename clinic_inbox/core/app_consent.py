"""The app's consent and proxy actions (like core/app_actions.py): the one service
call each wraps, and what it changed. No Qt here."""

from __future__ import annotations

from dataclasses import dataclass, field

from clinic_inbox.core import services
from clinic_inbox.core import services_consent as sc
from clinic_inbox.core.changes import Outcome, run
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.store import consent_queries as cq

Session = services.Session


@dataclass(frozen=True)
class HeaderView:
    """What the patient header shows: the agreement, the proxies, and who wrote here."""

    consent: sc.ConsentView
    writer: str | None  # "From Carmen Delgado (caregiver) for Rosa Delgado", if a proxy wrote
    writer_warning: str | None  # why that proxy is not answered here, if they are not
    terms_versions: tuple[str, ...]
    # message id -> "Carmen Delgado (caregiver) for Rosa Delgado": who wrote each
    written_for: dict[int, str] = field(default_factory=dict)


def open_consent(
    clinic: Clinic, session: Session, patient_id: int, thread_id: int | None = None
) -> Outcome:
    from clinic_inbox.core import consent

    view = sc.patient_consent(clinic, session, patient_id)
    writer = warning = None
    found = sc.proxy_writing(clinic, thread_id, patient_id) if thread_id else None
    if found is not None:
        proxy, verdict = found
        writer = f"From {proxy.name} ({proxy.relationship}) for {view.patient.display_name}"
        warning = None if verdict.allowed else verdict.why + " Replies go to the patient."
    versions = tuple(consent.terms_versions(clinic.home))
    names = {
        p.id: f"{p.name} ({p.relationship}) for {view.patient.display_name}"
        for p, _ in view.proxies
    }
    written_for = {}
    if thread_id:
        with clinic.store.transaction():
            found_ids = cq.proxy_messages(clinic.store, thread_id, patient_id)
        written_for = {m: names[p] for m, p in found_ids.items() if p in names}
    return Outcome(HeaderView(view, writer, warning, versions, written_for))


def record_consent(
    clinic: Clinic,
    session: Session,
    patient_id: int,
    channels: frozenset[str],
    terms_version: str,
    how: str,
) -> Outcome:
    return Outcome(
        *run(
            sc.record_consent,
            clinic,
            session,
            patient_id,
            channels=channels,
            terms_version=terms_version,
            how=how,
        )
    )


def end_consent(
    clinic: Clinic, session: Session, patient_id: int, how: str, reason: str | None
) -> Outcome:
    return Outcome(*run(sc.end_consent, clinic, session, patient_id, how=how, reason=reason))


def link_as(
    clinic: Clinic, session: Session, thread_id: int, patient_id: int, sender_is: str
) -> Outcome:
    return Outcome(*run(sc.link_as, clinic, session, thread_id, patient_id, sender_is))


def queue_reply(
    clinic: Clinic, session: Session, thread_id: int, body: str, consent_reason: str | None
) -> Outcome:
    """A reply sent after staff gave the reason it may go by email (recorded)."""
    from clinic_inbox.core import services_reply

    return Outcome(
        *run(
            services_reply.queue_reply,
            clinic,
            session,
            thread_id,
            body,
            consent_reason=consent_reason,
        )
    )


def add_proxy(
    clinic: Clinic,
    session: Session,
    patient_id: int,
    name: str,
    relationship: str,
    address: str,
    scope: frozenset[str],
    evidence: str,
    ends_on: str | None,
    portal_id: str | None = None,
) -> Outcome:
    return Outcome(
        *run(
            sc.add_proxy,
            clinic,
            session,
            patient_id,
            name=name,
            relationship=relationship,
            address=address,
            scope=scope,
            evidence=evidence,
            ends_on=ends_on,
            portal_id=portal_id,
        )
    )


def revoke_proxy(clinic: Clinic, session: Session, proxy_id: int) -> Outcome:
    return Outcome(*run(sc.revoke_proxy, clinic, session, proxy_id))
