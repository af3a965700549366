"""A copy of a patient's conversations for their proxy (a parent asks for their child's
messages, a caregiver for their mother's results): only what the proxy is authorised
for, judged conversation by conversation with the same rule as replies
(core/proxies.verdict: scope, dates, withdrawal, and the clinic's [minors] ages: from
`sensitive_private_from` a child's sensitive conversations are never in a parent's
copy, and at `parent_access_ends_at` a parent gets nothing).

One PDF per conversation, owner-only files in the folder the person chose; internal
notes are never included. Each conversation copied, and what was withheld, audited.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from clinic_inbox.core import filing, proxies
from clinic_inbox.core import services as sv
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.signin import Session
from clinic_inbox.core.store import consent_queries as cq
from clinic_inbox.core.store import queries as q


@dataclass
class ProxyCopy:
    written: list[tuple[int, Path]] = field(default_factory=list)  # conversation, file
    withheld: list[tuple[int, str]] = field(default_factory=list)  # conversation, why


def _why_code(v: proxies.Verdict, sensitive: bool) -> str:
    """The audit's reason, without names."""
    if "sensitive topics are not shared" in v.why:
        return "minor: sensitive conversation private from the parent"
    if "access ends at" in v.why:
        return "minor: parent's access ended at the clinic's age"
    if "withdrawn" in v.why or "ended on" in v.why or "starts on" in v.why:
        return "authorisation not in force"
    return "sensitive: outside the scope" if sensitive else "outside the scope"


def copy_for_proxy(
    clinic: Clinic,
    session: Session,
    proxy_id: int,
    *,
    out_dir: Path,
    password: str,
    sleep: Callable[[float], None] = time.sleep,
) -> ProxyCopy:
    """Write the conversations this proxy may receive into `out_dir` (the password is
    asked again first, as for any export). Conversations the person may not file are
    refused as a whole, before anything is written."""
    proxy = cq.get_proxy(clinic.store, proxy_id)
    if proxy is None:
        raise sv.NotFound(f"There is no proxy number {proxy_id}.")
    patient = q.get_patient(clinic.store, proxy.patient_id)
    if patient is None:
        raise sv.NotFound(f"There is no patient number {proxy.patient_id}.")
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise ValueError(f"The folder {out_dir} does not exist.")
    sv.reauthenticate(clinic, session, password, purpose="export", sleep=sleep)
    from clinic_inbox.core.services_consent import _today

    today = _today(clinic)
    rows = [
        r
        for r in q.list_threads(clinic.store, q.ThreadFilter(patient_id=patient.id))
        if r.message_count
    ]
    for r in rows:  # whoever copies must be allowed to file every conversation of it
        try:
            _, d = sv._acting(clinic, session, r.id)
            if not (d.body and d.file):
                raise AccessDenied(d.why_not or "You may not export this conversation.")
        except AccessDenied as exc:
            sv._refuse(
                clinic,
                session,
                "export.proxy.refused",
                str(exc),
                patient_id=patient.id,
                detail={"proxy_id": proxy_id},
            )
    result, codes = ProxyCopy(), {}
    try:
        for r in rows:
            v = proxies.verdict(
                proxy, patient.birth_date, r.category, r.sensitive, today, clinic.config.minors
            )
            if not v.allowed:
                result.withheld.append((r.id, v.why))
                codes[r.id] = _why_code(v, r.sensitive)
                continue
            doc = filing.build_document(
                clinic,
                r.id,
                exported_by=session.staff.display_name,
                include_notes=False,  # the clinic's internal notes are not the proxy's
                version=1,
                replaces=None,
            )
            paths, _ = filing.render_and_write(doc, ("pdf",), out_dir)
            result.written += [(r.id, p) for p in paths]
        with clinic.store.transaction():
            for tid, path in result.written:
                sv._audit(
                    clinic,
                    session,
                    "export.proxy",
                    patient_id=patient.id,
                    thread_id=tid,
                    detail={"proxy_id": proxy_id, "document": path.name},
                )
            for tid, _ in result.withheld:
                sv._audit(
                    clinic,
                    session,
                    "export.proxy.withheld",
                    patient_id=patient.id,
                    thread_id=tid,
                    reason=codes[tid],
                    detail={"proxy_id": proxy_id},
                )
    except BaseException:
        for _, p in result.written:  # nothing half-exported, nothing unaudited
            p.unlink(missing_ok=True)
        raise
    return result
