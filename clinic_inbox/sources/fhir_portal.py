"""Pulling patient-portal messages (FHIR R4 Communication) into the store.

Incremental by `_lastUpdated`, re-reading a small overlap window each time and
de-duplicating by resource id and version; a new version of a stored resource
updates it in place. Each page is stored in one transaction that also moves
the cursor forward. A resource that does not validate is kept aside for
review with a plain reason; the rest of the page is stored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from clinic_inbox.core import acknowledge, portal_patients, portal_proxy
from clinic_inbox.core.accounts import FhirAccount
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.ingest import Incoming, Ingested, ingest, update_portal_message
from clinic_inbox.core.model import Category, Priority, Source
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import sync_queries as sq
from clinic_inbox.core.triage import Rules
from clinic_inbox.sources import mime
from clinic_inbox.sources.email_sync import SyncReport
from clinic_inbox.sources.errors import SourceError
from clinic_inbox.sources.fhir_client import FhirClient
from clinic_inbox.sources.prefetch import read_ahead

log = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=5)
PAGE_SIZE = 200  # fewer round trips; a server that pages smaller says so with its next links
EPOCH = "1970-01-01T00:00:00.000Z"

PRIORITY_MAP = {
    "routine": Priority.ROUTINE,
    "urgent": Priority.SAME_DAY,
    "asap": Priority.URGENT,
    "stat": Priority.URGENT,
}
STATUS_CODES = (
    "preparation",
    "in-progress",
    "not-done",
    "on-hold",
    "stopped",
    "completed",
    "entered-in-error",
    "unknown",
)
CATEGORY_WORDS = {c.value: c for c in Category} | {
    "medication": Category.REFILL,
    "prescription": Category.REFILL,
    "scheduling": Category.APPOINTMENT,
    "result": Category.RESULTS,
    "lab": Category.RESULTS,
    "vital-signs": Category.MEASUREMENTS,
    "measurement": Category.MEASUREMENTS,
    "form": Category.FORMS,
    "administrative": Category.FORMS,
    "billing": Category.BILLING,
}


def portal_message_key(resource_id: str) -> str:
    """A Message-ID-like key, so portal replies thread like email replies."""
    return f"<Communication/{resource_id}@portal>"


def _fhir_instant(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _parse_instant(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _ref_id(ref: dict[str, Any] | None, kind: str) -> str | None:
    text = (ref or {}).get("reference") or ""
    parts = text.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] == kind and parts[-1]:
        return parts[-1]
    return None


def validate_communication(resource: dict[str, Any]) -> str | None:
    """A plain reason if this is not a valid R4 Communication, else None."""
    if resource.get("resourceType") != "Communication":
        return f"The portal sent a {resource.get('resourceType') or 'document'} where a message was expected."
    if not resource.get("id"):
        return "The portal sent a message without an id."
    # Required code bindings, which the pydantic models accept as any string.
    if resource.get("status") not in STATUS_CODES:
        return (
            f"The portal sent a message whose status {str(resource.get('status'))[:40]!r} is not "
            "valid FHIR. It is kept for review."
        )
    if resource.get("priority") not in (None, *PRIORITY_MAP):
        return (
            f"The portal sent a message whose priority {str(resource.get('priority'))[:40]!r} is not "
            "valid FHIR. It is kept for review."
        )
    try:
        from fhir.resources.R4B.communication import Communication

        Communication.model_validate(resource)
    except ImportError:  # pragma: no cover - the dependency is declared
        pass
    except Exception as exc:  # noqa: BLE001 - pydantic's ValidationError and friends
        first = str(exc).splitlines()
        detail = first[1].strip() if len(first) > 1 else first[0] if first else ""
        return f"The portal sent a message that is not valid FHIR ({detail[:160]}). It is kept for review."
    return None


# -- payloads ----------------------------------------------------------------------
def _answer_text(answer: dict[str, Any]) -> str:
    for key, value in answer.items():
        if not key.startswith("value"):
            continue
        if key == "valueQuantity":
            return (
                f"{value.get('value', '')} {value.get('unit') or value.get('code') or ''}".strip()
            )
        if key == "valueCoding":
            return str(value.get("display") or value.get("code") or "")
        if key == "valueBoolean":
            return "yes" if value else "no"
        if key == "valueAttachment":
            return f"[attachment {value.get('title') or ''}]".strip()
        if key == "valueReference":
            return str(value.get("display") or value.get("reference") or "")
        return str(value)
    return ""


def render_questionnaire_response(qr: dict[str, Any]) -> str:
    """A structured form (refill request, blood-pressure log...) as readable lines."""
    lines: list[str] = []

    def walk(items: list[dict[str, Any]], depth: int) -> None:
        for item in items[:500]:
            label = item.get("text") or item.get("linkId") or "?"
            answers = [a for a in (_answer_text(a) for a in item.get("answer", [])) if a]
            pad = "  " * depth
            lines.append(f"{pad}{label}: {', '.join(answers)}" if answers else f"{pad}{label}")
            if depth < 10:
                walk(item.get("item", []), depth + 1)
                for a in item.get("answer", []):
                    walk(a.get("item", []), depth + 1)

    title = qr.get("questionnaire") or "Form"
    lines.append(f"Form: {title}")
    if qr.get("authored"):
        lines.append(f"Completed: {qr['authored']}")
    walk(qr.get("item", []), 0)
    return "\n".join(lines)


@dataclass
class _Payload:
    body: str
    attachments: list[q.NewAttachment]
    problems: list[str]


def read_payloads(client: FhirClient, resource: dict[str, Any]) -> _Payload:
    texts: list[str] = []
    atts: list[q.NewAttachment] = []
    problems: list[str] = []
    for i, p in enumerate(resource.get("payload", [])[:50]):
        if "contentString" in p:
            texts.append(str(p["contentString"]))
        elif "contentAttachment" in p:
            a = p["contentAttachment"] or {}
            title = a.get("title") or f"attachment-{i + 1}"
            try:
                if a.get("data"):
                    data = base64.b64decode(a["data"], validate=False)
                elif a.get("url"):
                    url = client.url(a["url"]) if "://" not in a["url"] else a["url"]
                    data, _ = client.get_bytes(url)
                    if data[:1] == b"{":  # a Binary resource rather than raw bytes
                        binary = json.loads(data)
                        data = base64.b64decode(binary.get("data", ""))
                else:
                    problems.append(f"The attachment {title!r} had no content.")
                    continue
            except (SourceError, binascii.Error, ValueError) as exc:
                problems.append(f"The attachment {title!r} could not be fetched ({exc}).")
                continue
            declared = a.get("contentType") or "application/octet-stream"
            sniffed = mime.sniff_type(data)
            atts.append(
                q.NewAttachment(mime.safe_filename(title, i + 1, sniffed), sniffed, data, declared)
            )
        elif "contentReference" in p:
            ref = (p["contentReference"] or {}).get("reference") or ""
            if ref.startswith("QuestionnaireResponse/"):
                try:
                    qr = client.read(ref)
                except SourceError as exc:
                    problems.append(f"The form {ref} could not be fetched ({exc}).")
                    continue
                texts.append(render_questionnaire_response(qr))
                atts.append(
                    q.NewAttachment(
                        f"form-{ref.split('/')[-1]}.json",
                        "application/fhir+json",
                        json.dumps(qr, indent=2, sort_keys=True).encode("utf-8"),
                        "application/fhir+json",
                    )
                )
            else:
                texts.append(f"[Reference to {ref or 'another record'}]")
    return _Payload(mime.clean_text("\n\n".join(texts)), atts, problems)


# -- patients ------------------------------------------------------------------------
def resolve_patient(
    clinic: Clinic, client: FhirClient, portal_id: str, cache: dict[str, int | None]
) -> int | None:
    """The patient with this portal id; fetched and registered (or linked) when new."""
    if portal_id in cache:
        return cache[portal_id]
    found = portal_patients.known(clinic.store, portal_id)
    if found is None:
        try:
            patient = client.read(f"Patient/{portal_id}")
        except SourceError as exc:
            log.info("patient %s not readable: %s", portal_id, type(exc).__name__)
            cache[portal_id] = None
            return None
        found = register_patient(clinic, portal_id, patient)
    cache[portal_id] = found
    return found


def portal_patient(portal_id: str, patient: dict[str, Any]) -> portal_patients.PortalPatient:
    """What a FHIR Patient says about who it is (the matching rule is in core)."""
    names = patient.get("name") or [{}]
    name = next((n for n in names if n.get("use") == "official"), names[0])
    emails = tuple(
        t["value"].strip().lower()
        for t in patient.get("telecom", [])
        if t.get("system") == "email" and t.get("value")
    )
    chart = next(
        (
            i.get("value")
            for i in patient.get("identifier", [])
            if (i.get("type") or {}).get("text") == "chart" or "chart" in (i.get("system") or "")
        ),
        None,
    )
    return portal_patients.PortalPatient(
        portal_id,
        name.get("family") or "(unknown)",
        " ".join(name.get("given") or []) or "(unknown)",
        patient.get("birthDate"),
        chart,
        emails,
    )


def register_patient(clinic: Clinic, portal_id: str, patient: dict[str, Any]) -> int:
    return portal_patients.match_or_register(clinic.store, portal_patient(portal_id, patient))


# -- one resource -> Incoming ------------------------------------------------------------
def to_incoming(
    clinic: Clinic,
    client: FhirClient,
    account: FhirAccount,
    res: dict[str, Any],
    cache: dict[str, int | None],
) -> Incoming:
    rid = str(res.get("id"))
    version = str((res.get("meta") or {}).get("versionId") or "1")
    raw = json.dumps(res, sort_keys=True).encode("utf-8")
    when = (
        _parse_instant(res.get("received"))
        or _parse_instant(res.get("sent"))
        or _parse_instant((res.get("meta") or {}).get("lastUpdated"))
        or datetime.now(UTC)
    )
    base = dict(
        source=Source.PORTAL,
        account_id=int(account.id or 0),
        received_at=when,
        fhir_resource_id=rid,
        fhir_version=version,
        content_hash=hashlib.sha256(raw).hexdigest(),
        message_id=portal_message_key(rid),
    )
    problem = validate_communication(res)
    if problem:
        return Incoming(
            **base,
            sender_address="",
            subject="(portal message could not be read)",
            needs_review=True,
            review_reason=problem,
            raw_source=raw,
        )
    portal_patient = _ref_id(res.get("subject"), "Patient") or _ref_id(res.get("sender"), "Patient")
    patient_id = resolve_patient(clinic, client, portal_patient, cache) if portal_patient else None
    payload = read_payloads(client, res)
    sender_priority = res.get("priority")
    cats = [
        c.get("code")
        for cat in res.get("category", [])
        for c in cat.get("coding", [])
        if c.get("code")
    ]
    cats += [cat.get("text") for cat in res.get("category", []) if cat.get("text")]
    category = next(
        (CATEGORY_WORDS[c.lower()] for c in cats if c and c.lower() in CATEGORY_WORDS), None
    )
    topic = (res.get("topic") or {}).get("text")
    first_line = next((ln.strip() for ln in payload.body.splitlines() if ln.strip()), "")
    subject = topic or (first_line[:80] + ("…" if len(first_line) > 80 else "")) or "Portal message"
    subject = " ".join(mime.clean_text(subject).split())
    refs = [
        portal_message_key(rid_)
        for key in ("inResponseTo", "partOf", "basedOn")
        for r in res.get(key, [])
        if (rid_ := _ref_id(r, "Communication"))
    ]
    # An explicit link to an email (its Message-ID) joins the email thread of the same patient.
    refs += [
        i["value"]
        for i in res.get("identifier", [])
        if i.get("system") == "urn:ietf:rfc:5322" and i.get("value")
    ]
    sender_display = (res.get("sender") or {}).get("display")
    sender = f"portal:{portal_patient}" if portal_patient else "portal:unknown"
    problems = list(payload.problems)
    related = _ref_id(res.get("sender"), portal_proxy.RELATED)
    if related:  # a caregiver's own account: filed to the patient only as their proxy
        found = portal_proxy.writer(
            clinic.store,
            clinic.config,
            related,
            patient_id,
            datetime.now(UTC).astimezone(clinic.config.tz).date(),  # in force now, as for email
        )
        patient_id, sender = found.patient_id, portal_proxy.sender_address(related)
        sender_display = found.sender_name or sender_display
        problems += [found.review_reason] if found.review_reason else []
    return Incoming(
        **base,
        sender_address=sender,
        sender_name=" ".join(mime.clean_text(sender_display).split())[:200]
        if sender_display
        else None,
        recipients=", ".join(r.get("reference", "") for r in res.get("recipient", [])),
        subject=subject,
        body_text=payload.body,
        attachments=payload.attachments,
        references=refs,
        patient_id=patient_id,
        sender_priority=PRIORITY_MAP.get(sender_priority or ""),
        sender_category=category,
        sender_priority_raw=sender_priority,
        sender_category_raw=",".join(c for c in cats if c) or None,
        needs_review=bool(problems),
        review_reason=" ".join(problems) or None,
        auto_submitted=True,  # portal messages are acknowledged by the portal itself
    )


# -- the sync --------------------------------------------------------------------------------
def scope(recipient: str) -> str:
    return f"fhir:{recipient}"


def sync_account(
    clinic: Clinic,
    rules: Rules,
    account: FhirAccount,
    token: str | None,
    *,
    progress: Callable[[str, int, int], None] | None = None,
    stop: threading.Event | None = None,
    page_size: int = PAGE_SIZE,
) -> SyncReport:
    report = SyncReport(account.name)
    store = clinic.store
    account_id = int(account.id or 0)
    cache: dict[str, int | None] = {}
    try:
        with (
            FhirClient(account.base_url, token, account.ca_file) as client,
            FhirClient(account.base_url, token, account.ca_file) as pager,
        ):
            for recipient in account.recipients:
                cp = sq.get_checkpoint(store, account_id, scope(recipient))
                since = _parse_instant(cp.cursor) if cp and cp.cursor else None
                params = {"recipient": recipient, "_sort": "_lastUpdated", "_count": str(page_size)}
                if since is not None:
                    params["_lastUpdated"] = "gt" + _fhir_instant(since - OVERLAP)
                done = 0
                # the next page travels while this one is stored (its own connection)
                for bundle in read_ahead(pager.search("Communication", params)):
                    if stop is not None and stop.is_set():
                        break
                    entries = [
                        e.get("resource") or {}
                        for e in bundle.get("entry", [])
                        if isinstance(e, dict)
                    ]
                    _store_page(clinic, client, rules, account, recipient, entries, report, cache)
                    done += len(entries)
                    if progress:
                        progress(account.name, done, max(int(bundle.get("total") or done), done))
    except SourceError as exc:
        report.error, report.offline = str(exc), exc.offline
        with store.transaction():
            sq.record_sync_event(store, account_id, "error", str(exc)[:300])
    return report


def _store_page(
    clinic: Clinic,
    client: FhirClient,
    rules: Rules,
    account: FhirAccount,
    recipient: str,
    resources: list[dict[str, Any]],
    report: SyncReport,
    cache: dict[str, int | None],
) -> None:
    store = clinic.store
    account_id = int(account.id or 0)
    todo: list[tuple[Incoming, tuple[int, str | None] | None]] = []
    newest: datetime | None = None
    for res in resources:
        rid = str(res.get("id") or "")
        version = str((res.get("meta") or {}).get("versionId") or "1")
        updated = _parse_instant((res.get("meta") or {}).get("lastUpdated"))
        if updated and (newest is None or updated > newest):
            newest = updated
        stored = sq.portal_message(store, account_id, rid) if rid else None
        if stored is not None and stored[1] == version:
            report.skipped += 1
            continue
        # Network reads (patients, forms, attachments) happen before the write lock is taken.
        todo.append((to_incoming(clinic, client, account, res, cache), stored))
    with store.transaction():
        for msg, stored in todo:
            try:
                with store.savepoint():
                    if stored is not None:
                        update_portal_message(store, clinic.config, rules, stored[0], msg)
                        report.touched.add(sq.message_triage_state(store, stored[0]).thread_id)
                        report.stored += 1
                        continue
                    result = ingest(store, clinic.config, rules, msg)
            except Exception as exc:  # noqa: BLE001 - one bad resource never stops the sync
                log.warning("could not file portal resource: %s", type(exc).__name__)
                report.review += 1
                continue
            report.acknowledged += _safety_reply(clinic, account, msg, result)
            report.stored += 1
            report.touched.add(result.thread_id)
            report.messages.add(result.message_id)
            report.review += int(msg.needs_review)
            if result.new_thread:
                report.new_threads.append(result.thread_id)
            if result.priority is Priority.URGENT:
                report.urgent.append(result.thread_id)
        if newest is not None:
            sq.set_checkpoint(store, account_id, scope(recipient), cursor=newest.isoformat())


def _safety_reply(clinic: Clinic, account: FhirAccount, msg: Incoming, result: Ingested) -> int:
    """Queue the safety reply to an urgent message (1 if queued). A reply that cannot be
    built never costs the message itself: it is stored either way."""
    try:
        with clinic.store.savepoint():
            queued = acknowledge.maybe_portal_safety_reply(
                clinic.store, clinic.config, account, msg, result
            )
    except Exception as exc:  # noqa: BLE001 - the message is already filed
        log.warning("could not queue the portal safety reply: %s", type(exc).__name__)
        return 0
    return int(queued is not None)
