"""User actions on patients' agreements to electronic communication and their proxies.

One function per action, like core/services.py: each checks access through
core/access.py and writes its audit entry in the same transaction as the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from clinic_inbox.core import access, consent, portal_proxy, proxies
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.consent import Agreement, ConsentNeeded, State
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Patient, Role
from clinic_inbox.core.proxies import Proxy
from clinic_inbox.core.senders import UNVERIFIED
from clinic_inbox.core.services import NotFound, _audit, _fresh, _now, _refuse
from clinic_inbox.core.signin import Session
from clinic_inbox.core.store import access_queries as aq
from clinic_inbox.core.store import consent_queries as cq
from clinic_inbox.core.store import queries as q

__all__ = ["ConsentNeeded"]


def _today(clinic: Clinic, now: datetime | None = None) -> date:
    """The clinic's date: agreements and birthdays turn at the clinic's midnight."""
    return (now or _now()).astimezone(clinic.config.tz).date()


def _patient(clinic: Clinic, patient_id: int) -> Patient:
    patient = q.get_patient(clinic.store, patient_id)
    if patient is None:
        raise NotFound(f"There is no patient number {patient_id}.")
    return patient


def _require_care_team(clinic: Clinic, session: Session, patient: Patient, action: str) -> None:
    staff = _fresh(clinic, session)
    allowed, why = access.may_manage_consent(
        staff, patient.responsible_physician_id, aq.grants_to(clinic.store, staff.id), _now()
    )
    if not allowed:
        _refuse(clinic, session, action + ".refused", why, patient_id=patient.id)


# -- showing -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ConsentView:
    patient: Patient
    agreement: Agreement | None
    state: State
    words: str  # one line, for the header and the CLI
    proxies: tuple[tuple[Proxy, str], ...]  # each with "active" or why not
    history: tuple[Agreement, ...]
    age: int | None


def patient_consent(clinic: Clinic, session: Session, patient_id: int) -> ConsentView:
    """What the clinic may do electronically with this patient, and who writes for
    them. Every role that handles messages needs it before answering; viewing it is
    audited."""
    staff = _fresh(clinic, session)
    access.require(staff.role is not Role.ADMIN, "Administrators do not handle patient messages.")
    patient = _patient(clinic, patient_id)
    today = _today(clinic)
    agreement = cq.current_agreement(clinic.store, patient_id)
    shown = []
    for p in cq.patient_proxies(clinic.store, patient_id):
        # "may they write at all?": judged on an appointment question, the narrowest case
        v = _standing(clinic, p, patient, today)
        shown.append((p, "active" if v is None else v))
    with clinic.store.transaction():
        _audit(clinic, session, "patient.consent.view", patient_id=patient_id)
    return ConsentView(
        patient,
        agreement,
        consent.state_of(agreement, today),
        consent.describe(agreement, today, consent.current_terms(clinic.home)),
        tuple(shown),
        tuple(cq.agreement_history(clinic.store, patient_id)),
        proxies.age_on(patient.birth_date, today),
    )


def _standing(clinic: Clinic, p: Proxy, patient: Patient, today: date) -> str | None:
    """None if the authorisation is in force today for some scope, else why not."""
    last = "No scope."
    for category in sorted(
        frozenset().union(*(proxies.SCOPES[s] for s in p.scope if s in proxies.SCOPES))
    ):
        v = proxies.verdict(p, patient.birth_date, category, False, today, clinic.config.minors)
        if v.allowed:
            return None
        last = v.why
    return last


# -- the agreement -----------------------------------------------------------------------
def record_consent(
    clinic: Clinic,
    session: Session,
    patient_id: int,
    *,
    channels: frozenset[str],
    terms_version: str,
    how: str,
    agreed_on: str | None = None,
) -> int:
    """Record that the patient agreed (a new agreement replaces the present one; the
    old stays in the history)."""
    patient = _patient(clinic, patient_id)
    _require_care_team(clinic, session, patient, "patient.consent.record")
    if not channels or not channels <= set(consent.CHANNELS):
        raise ValueError("Choose the channels the patient agreed to: email, portal or both.")
    if how not in consent.HOW or how == "emr-import":
        raise ValueError("Say how the patient agreed: signed-form, portal-checkbox or verbal.")
    if terms_version not in consent.terms_versions(clinic.home):
        raise ValueError(
            f"The clinic has no terms {terms_version!r}; it has "
            + ", ".join(consent.terms_versions(clinic.home))
            + "."
        )
    today = _today(clinic)
    day = date.fromisoformat(agreed_on).isoformat() if agreed_on else today.isoformat()
    if day > today.isoformat():
        raise ValueError("An agreement cannot be dated in the future.")
    with clinic.store.transaction():
        cid = cq.add_agreement(
            clinic.store, patient_id, channels, terms_version, day, how, session.staff.id
        )
        _audit(
            clinic,
            session,
            "patient.consent.record",
            patient_id=patient_id,
            detail={
                "consent_id": cid,
                "channels": sorted(channels),
                "terms": terms_version,
                "how": how,
                "agreed_on": day,
            },
        )
    return cid


def end_consent(
    clinic: Clinic, session: Session, patient_id: int, *, how: str, reason: str | None = None
) -> None:
    """The patient opted out, or the clinic ended it (a physician's decision, with the
    reason, e.g. repeated misuse)."""
    patient = _patient(clinic, patient_id)
    _require_care_team(clinic, session, patient, "patient.consent.end")
    if how not in consent.ENDINGS:
        raise ValueError("Say who ended it: opted-out (the patient) or clinic-ended.")
    if how == "clinic-ended":
        access.require(
            _fresh(clinic, session).role is Role.PHYSICIAN,
            "Only a physician can end a patient's electronic messages for the clinic.",
        )
        if not (reason or "").strip():
            raise ValueError("Give the reason the clinic ends it; it is kept in the record.")
    today = _today(clinic)
    with clinic.store.transaction():
        current = cq.current_agreement(clinic.store, patient_id)
        if current is None or current.ended_on is not None:
            # an opt-out without an agreement is still recorded: no email, ever
            cid = cq.add_agreement(
                clinic.store,
                patient_id,
                frozenset(),
                "-",
                today.isoformat(),
                "verbal",
                session.staff.id,
                ended=(today.isoformat(), how, (reason or "").strip() or None, session.staff.id),
            )
        else:
            cid = current.id
            cq.end_agreement(
                clinic.store,
                cid,
                today.isoformat(),
                how,
                (reason or "").strip() or None,
                session.staff.id,
            )
        _audit(
            clinic,
            session,
            "patient.consent.end",
            patient_id=patient_id,
            reason=(reason or "").strip() or None,
            detail={"consent_id": cid, "how": how},
        )


@dataclass(frozen=True)
class ImportResult:
    imported: int


def import_consents(clinic: Clinic, session: Session, text: str) -> ImportResult:
    """Agreements from a CSV export of the clinic's EMR: every row checked first, all
    stored in one transaction or none; each patient's entry audited. Setting up from
    the EMR is an administrator's task (it touches no message)."""
    staff = _fresh(clinic, session)
    if not access.can_manage_settings(staff):
        _refuse(
            clinic,
            session,
            "patient.consent.import.refused",
            "Only an administrator imports agreements from the EMR.",
        )
    rows = consent.parse_csv(text, consent.terms_versions(clinic.home), _today(clinic))
    with clinic.store.transaction():
        ids, unknown = {}, []
        for r in rows:
            pid = cq.patient_by_chart(clinic.store, r.chart_number)
            if pid is None:
                unknown.append(f"Line {r.line}: no patient has the chart number {r.chart_number}.")
            ids[r.line] = pid
        if unknown:
            raise consent.ImportError_(unknown)
        for r in rows:
            ended = (r.ended_on, r.ended_how, r.end_reason, staff.id) if r.ended_on else None
            cid = cq.add_agreement(
                clinic.store,
                ids[r.line],
                r.channels,
                r.terms_version,
                r.agreed_on,
                r.how,
                staff.id,
                ended=ended,
            )
            _audit(
                clinic,
                session,
                "patient.consent.import",
                patient_id=ids[r.line],
                detail={"consent_id": cid, "line": r.line, "ended": bool(r.ended_on)},
            )
    return ImportResult(len(rows))


# -- proxies -------------------------------------------------------------------------
def add_proxy(
    clinic: Clinic,
    session: Session,
    patient_id: int,
    *,
    name: str,
    relationship: str,
    address: str,
    scope: frozenset[str],
    evidence: str,
    starts_on: str | None = None,
    ends_on: str | None = None,
    portal_id: str | None = None,
) -> int:
    """Record someone the patient (or the law, for a child) authorised to write for them
    (with their own portal account, when they write through the portal)."""
    patient = _patient(clinic, patient_id)
    _require_care_team(clinic, session, patient, "patient.proxy.add")
    address = address.strip().lower()
    start = starts_on or _today(clinic).isoformat()
    if not name.strip():
        raise ValueError("Give the proxy's name.")
    portal_id = (portal_id or "").strip() or None
    if portal_id is not None:
        if not all(c.isalnum() or c in "-." for c in portal_id) or len(portal_id) > 64:
            raise ValueError(
                "The portal account is the id the portal gives the person (letters, digits, "
                "dashes), not a name or an address."
            )
        if portal_id == patient.portal_id:
            raise ValueError(
                "That portal account is the patient's own. A proxy writes from their own account."
            )
    proxies.check_new(relationship, scope, address, start, ends_on, evidence, patient.emails)
    age = proxies.age_on(patient.birth_date, _today(clinic))
    if relationship in proxies.PARENTAL and age is not None:
        limit = clinic.config.minors.parent_access_ends_at
        if age >= limit:
            raise ValueError(
                f"{patient.display_name} is {age}: a parent or guardian writes for them only "
                f"until {limit}. If they authorise this person, record them as caregiver or "
                "attorney with their own signed authorisation."
            )
    with clinic.store.transaction():
        pid = cq.add_proxy(
            clinic.store,
            patient_id,
            name.strip(),
            relationship,
            address,
            scope,
            start,
            ends_on,
            evidence.strip(),
            session.staff.id,
            portal_id,
        )
        _audit(
            clinic,
            session,
            "patient.proxy.add",
            patient_id=patient_id,
            detail={
                "proxy_id": pid,
                "relationship": relationship,
                "scope": sorted(scope),
                "from": start,
                "to": ends_on,
                "portal": portal_id is not None,
            },
        )
    return pid


def revoke_proxy(clinic: Clinic, session: Session, proxy_id: int) -> None:
    with clinic.store.transaction():
        proxy = cq.get_proxy(clinic.store, proxy_id)
    if proxy is None:
        raise NotFound(f"There is no proxy number {proxy_id}.")
    patient = _patient(clinic, proxy.patient_id)
    _require_care_team(clinic, session, patient, "patient.proxy.revoke")
    with clinic.store.transaction():
        cq.revoke_proxy(clinic.store, proxy_id, session.staff.id)
        _audit(
            clinic,
            session,
            "patient.proxy.revoke",
            patient_id=patient.id,
            detail={"proxy_id": proxy_id},
        )


def proxy_writing(
    clinic: Clinic, thread_id: int, patient_id: int | None
) -> tuple[Proxy, proxies.Verdict] | None:
    """Is the latest message in this conversation (email, or a portal message from a
    caregiver's own portal account) from a proxy of its patient? Only a
    sender who is not unverified counts (a forged From: of the proxy's address is
    nobody's proxy). Returns the proxy and whether the conversation is within their
    authorisation today."""
    if patient_id is None:
        return None
    patient = q.get_patient(clinic.store, patient_id)
    if patient is None:
        return None
    for channel, address, check in cq.inbound_writers(clinic.store, thread_id):  # newest first
        related = portal_proxy.related_of(address)
        if address.lower() in patient.emails or (channel == "portal" and related is None):
            return None  # the patient wrote last (from their address, or their portal)
        found = (
            cq.proxies_with_portal_id(clinic.store, patient_id, related)
            if related is not None
            else cq.proxies_with_address(clinic.store, patient_id, address)
        )
        if not found or check == UNVERIFIED:
            return None
        row = q.get_thread(clinic.store, thread_id)
        assert row is not None
        today = _today(clinic)
        best = None
        for p in found:
            v = proxies.verdict(
                p, patient.birth_date, row.category, row.sensitive, today, clinic.config.minors
            )
            if v.allowed:
                return p, v
            best = best or (p, v)
        return best
    return None


def email_reply_check(
    clinic: Clinic, session: Session, thread_id: int, patient_id: int | None, reason: str | None
) -> tuple[str | None, dict]:
    """Before a staff reply by email: where it goes when a proxy wrote (None: the
    usual address), and what the audit entry records. Raises ConsentNeeded when the
    patient did not agree to email and no reason was given, and when clinical advice
    would go to a sender who is not linked to any patient."""
    if patient_id is None:
        row = q.get_thread(clinic.store, thread_id)
        clinical = row is not None and not row.category.administrative
        if not clinic.config.consent_required or not clinical:
            return None, {}
        if reason and reason.strip():
            return None, {"consent_reason": reason.strip()}
        raise ConsentNeeded(
            "This sender is not linked to a patient of the clinic, and clinical advice is not "
            "given by email to someone the clinic does not know. Link the conversation to "
            "the patient if they are one, or use 'Call or visit…' and choose a visit: it "
            "sends the standard invitation to book."
        )
    patient = _patient(clinic, patient_id)
    today = _today(clinic)
    agreement = cq.current_agreement(clinic.store, patient_id)
    given = (
        consent.check_reply(patient.display_name, agreement, "email", today, reason)
        if clinic.config.consent_required
        else None
    )
    detail: dict = {"consent_reason": given} if given else {}
    found = proxy_writing(clinic, thread_id, patient_id)
    if found is None:
        return None, detail
    proxy, v = found
    if v.allowed:
        detail["to_proxy"] = proxy.id
        return proxy.address, detail
    detail["proxy_refused"] = proxy.id
    if not patient.emails:
        raise AccessDenied(
            f"{proxy.name} wrote for {patient.display_name}, but: {v.why} The patient has no "
            "email address of their own: phone the patient."
        )
    return patient.emails[0], detail


def link_as(clinic: Clinic, session: Session, thread_id: int, patient_id: int, sender_is: str):  # noqa: ANN201 - services.LinkResult
    """ "Link to patient" asks who wrote: the patient (their address is remembered), a
    proxy (only with an authorisation on record for that address: it is never made the
    patient's own), or someone else (filed, nothing remembered)."""
    from clinic_inbox.core import services

    if sender_is not in ("patient", "proxy", "other"):
        raise ValueError("Say who wrote: the patient, a proxy, or someone else.")
    if sender_is == "proxy":
        patient = _patient(clinic, patient_id)
        senders = q.inbound_senders(clinic.store, thread_id)
        on_record = [
            p
            for a in senders
            for p in cq.proxies_with_address(clinic.store, patient_id, a)
            if p.revoked_at is None
        ]
        if not on_record:
            _refuse(
                clinic,
                session,
                "thread.link_patient.refused",
                f"No authorisation for this sender to write for {patient.display_name} is on "
                "record. Record it first (who, scope, dates, evidence), or file the "
                "conversation as written by someone else.",
                patient_id=patient_id,
                thread_id=thread_id,
            )
    return services.link_patient(
        clinic, session, thread_id, patient_id, remember_sender=sender_is == "patient"
    )
