"""Patients added and corrected by staff, and a conversation taken off a chart that it
was filed under by mistake. One function per action: access asked through
core.access, the audit entry in the action's transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from clinic_inbox.core import access, numbers
from clinic_inbox.core.changes import Changes, note
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.model import Patient
from clinic_inbox.core.services import NotFound, Session, _audit, _decide, _fresh, _now, _refuse
from clinic_inbox.core.store import access_queries as aq
from clinic_inbox.core.store import patient_queries as pq
from clinic_inbox.core.store import queries as q

_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


@dataclass(frozen=True)
class PatientDetails:
    """What staff type about a patient."""

    family_name: str
    given_name: str
    birth_date: str | None = None  # YYYY-MM-DD
    chart_number: str | None = None
    emails: tuple[str, ...] = ()

    def cleaned(self) -> PatientDetails:
        emails = tuple(dict.fromkeys(e.strip().lower() for e in self.emails if e.strip()))
        return PatientDetails(
            self.family_name.strip(),
            self.given_name.strip(),
            (self.birth_date or "").strip() or None,
            (self.chart_number or "").strip() or None,
            emails,
        )

    def problems(self) -> list[str]:
        out = []
        if not self.family_name or not self.given_name:
            out.append("Enter the patient's family name and given name.")
        for text in (self.family_name, self.given_name, self.chart_number or ""):
            if any(c in text for c in "\r\n\x00") or len(text) > 200:
                out.append("Names and chart numbers must fit on one line.")
                break
        if self.birth_date:
            try:
                born = date.fromisoformat(self.birth_date)
            except ValueError:
                out.append(f"{self.birth_date} is not a date of birth like 1984-02-29.")
            else:
                if not date(1900, 1, 1) <= born <= _now().date():
                    out.append(f"A date of birth of {self.birth_date} cannot be right.")
        for e in self.emails:
            if not _EMAIL.match(e):
                out.append(f"{e} is not an email address.")
        return out


def _check(clinic: Clinic, details: PatientDetails, patient_id: int | None) -> PatientDetails:
    details = details.cleaned()
    problems = details.problems()
    if details.chart_number and pq.chart_number_taken(
        clinic.store, details.chart_number, patient_id
    ):
        problems.append(f"Chart number {details.chart_number} belongs to another patient.")
    for e in details.emails:
        others = set(pq.email_owners(clinic.store, e)) - {patient_id}
        if others:
            # an address of two patients matches nobody: say so rather than file wrongly
            problems.append(
                f"{e} is already on another patient's record. One address, one patient: "
                "correct the other record first."
            )
    if problems:
        raise ValueError("\n".join(problems))
    return details


def search_patients(clinic: Clinic, session: Session, text: str) -> list[Patient]:
    """The patient register (administrators too: they set the clinic up); the search is
    audited like the link search (how many found, not the words)."""
    staff = _fresh(clinic, session)
    if not access.can_edit_patients(staff):
        _refuse(clinic, session, "patient.search.refused", "You may not see patients' records.")
    found = q.search_patients(clinic.store, text)
    with clinic.store.transaction():
        _audit(clinic, session, "patient.search", detail={"found": len(found)})
    return found


def add_patient(clinic: Clinic, session: Session, details: PatientDetails) -> Patient:
    staff = _fresh(clinic, session)
    if not access.can_edit_patients(staff):
        _refuse(clinic, session, "patient.create.refused", "You may not add patients.")
    with clinic.store.transaction():
        d = _check(clinic, details, None)
        pid = q.add_patient(
            clinic.store, d.family_name, d.given_name, d.birth_date, d.chart_number, emails=d.emails
        )
        _audit(clinic, session, "patient.create", patient_id=pid, detail={"emails": len(d.emails)})
        patient = q.get_patient(clinic.store, pid)
    assert patient is not None
    return patient


def get_patient(clinic: Clinic, session: Session, patient_id: int) -> Patient:
    """One patient's demographics, to edit them (audited: it shows a patient's details)."""
    staff = _fresh(clinic, session)
    if not access.can_edit_patients(staff):
        _refuse(clinic, session, "patient.view.refused", "You may not see patients' records.")
    with clinic.store.transaction():
        patient = q.get_patient(clinic.store, patient_id)
        if patient is None:
            raise NotFound(f"There is no patient number {patient_id}.")
        _audit(clinic, session, "patient.view", patient_id=patient_id)
    return patient


def edit_patient(
    clinic: Clinic, session: Session, patient_id: int, details: PatientDetails
) -> Patient:
    staff = _fresh(clinic, session)
    if not access.can_edit_patients(staff):
        _refuse(
            clinic,
            session,
            "patient.edit.refused",
            "You may not change patients' records.",
            patient_id=patient_id,
        )
    with clinic.store.transaction():
        before = q.get_patient(clinic.store, patient_id)
        if before is None:
            raise NotFound(f"There is no patient number {patient_id}.")
        d = _check(clinic, details, patient_id)
        pq.update_patient(
            clinic.store,
            patient_id,
            d.family_name,
            d.given_name,
            d.birth_date,
            d.chart_number,
            d.emails,
        )
        changed = [
            name
            for name, old, new in (
                ("family_name", before.family_name, d.family_name),
                ("given_name", before.given_name, d.given_name),
                ("birth_date", before.birth_date, d.birth_date),
                ("chart_number", before.chart_number, d.chart_number),
                ("emails", tuple(sorted(before.emails)), tuple(sorted(d.emails))),
            )
            if old != new
        ]
        if {"family_name", "given_name"} & set(changed):  # the name their cards show
            filed = q.list_threads(clinic.store, q.ThreadFilter(patient_id=patient_id))
            note(clinic.store, Changes.of_threads(t.id for t in filed))
        # which fields changed, not their values: the trail is not a second chart
        _audit(clinic, session, "patient.edit", patient_id=patient_id, detail={"changed": changed})
        patient = q.get_patient(clinic.store, patient_id)
    assert patient is not None
    return patient


@dataclass(frozen=True)
class UnlinkResult:
    thread_id: int
    patient_id: int
    addresses_forgotten: int
    break_glass: bool
    # the conversation's number as people read it ("#7": the clinic's, with a server)
    number: str = ""

    def describe(self, patient: str = "") -> str:
        """What was done, in plain words. `patient`: how to name the patient (the app
        gives the name the person just confirmed); else "patient 9", as the CLI takes it."""
        said = self.number or f"#{self.thread_id}"
        whom = patient or f"patient {self.patient_id}"
        words = (
            f"Conversation {said} is no longer filed under {whom}; "
            "it waits, unlinked, to be filed under the right patient."
        )
        if self.addresses_forgotten:
            words += " The sender's address was taken off that patient's record."
        if self.break_glass:
            words += " This used break-glass: it is flagged for review."
        return words


def unlink_patient(
    clinic: Clinic, session: Session, thread_id: int, *, forget_sender: bool = True
) -> UnlinkResult:
    """Take a conversation off the chart it was filed under (a wrong link). With
    `forget_sender`, the addresses it came from are taken off that patient's record,
    so the sender's next message is not filed there again."""
    staff = _fresh(clinic, session)
    with clinic.store.transaction():
        row = q.get_thread(clinic.store, thread_id)
        facts = aq.thread_facts(clinic.store, thread_id)
        if row is None or facts is None:
            raise NotFound(f"There is no conversation number {thread_id}.")
        said = numbers.label_of(clinic.store, thread_id)
        if row.patient_id is None:
            raise ValueError(f"Conversation {said} is not filed under any patient.")
        d_now = _decide(clinic, staff, facts, thread_id, _now())
        allowed, flagged, why = access.may_unlink(staff, d_now, facts.physician_id)
    if not allowed:
        _refuse(
            clinic,
            session,
            "thread.unlink_patient.refused",
            why,
            patient_id=row.patient_id,
            thread_id=thread_id,
        )
    with clinic.store.transaction():
        forget = q.inbound_senders(clinic.store, thread_id) if forget_sender else []
        patient = q.get_patient(clinic.store, row.patient_id)
        forget = [a for a in forget if patient is not None and a in patient.emails]
        pq.unlink_thread(clinic.store, thread_id, row.patient_id, forget)
        note(clinic.store, Changes.of(thread_id))
        _audit(
            clinic,
            session,
            "thread.unlink_patient",
            patient_id=row.patient_id,
            thread_id=thread_id,
            reason="break-glass" if flagged else None,
            detail={"addresses_forgotten": len(forget), "break_glass": flagged},
        )
    return UnlinkResult(thread_id, row.patient_id, len(forget), flagged, said)


# -- import from the clinic's EMR ------------------------------------------------------
CSV_COLUMNS = ("family_name", "given_name", "birth_date", "chart_number", "email")


@dataclass(frozen=True)
class ImportReport:
    """Every line's fate: nothing is imported unless every line can be."""

    rows: list[PatientDetails]
    problems: list[tuple[int, str]]  # (line number in the file, what is wrong)
    imported: int = 0

    def describe(self) -> str:
        if self.problems:
            lines = "\n".join(f"  line {n}: {why}" for n, why in self.problems[:50])
            more = len(self.problems) - 50
            return (
                f"Nothing was imported: {len(self.problems)} lines need correcting first.\n"
                + lines
                + (f"\n  …and {more} more" if more > 0 else "")
            )
        if not self.imported:
            return f"{len(self.rows)} patients are ready to import (nothing written yet)."
        return f"{self.imported} patients were imported."


def read_patient_csv(text: str) -> tuple[list[tuple[int, PatientDetails]], list[tuple[int, str]]]:
    """The lines of an EMR export (a header naming the columns, `email` may hold several
    addresses separated by ';'). Pure: what each line says, and what is wrong with it."""
    import csv
    import io

    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in ("family_name", "given_name") if c not in header]
    if missing:
        return [], [(1, f"the first line must name the columns; {', '.join(missing)} is missing "
                        f"(known: {', '.join(CSV_COLUMNS)})")]  # fmt: skip
    rows, problems = [], []
    for n, raw in enumerate(reader, start=2):
        line = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        details = PatientDetails(
            line.get("family_name", ""),
            line.get("given_name", ""),
            line.get("birth_date") or None,
            line.get("chart_number") or None,
            tuple(e for e in line.get("email", "").split(";") if e.strip()),
        ).cleaned()
        for why in details.problems():
            problems.append((n, why))
        rows.append((n, details))
    return rows, problems


def import_patients(
    clinic: Clinic, session: Session, text: str, *, dry_run: bool = False
) -> ImportReport:
    """Patients from a CSV export of the clinic's EMR, all or nothing, in one
    transaction; each patient's creation audited."""
    staff = _fresh(clinic, session)
    if not access.can_edit_patients(staff):
        _refuse(clinic, session, "patient.import.refused", "You may not add patients.")
    rows, problems = read_patient_csv(text)
    seen_charts: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for n, d in rows:
        if d.chart_number:
            if d.chart_number in seen_charts:
                problems.append((n, f"chart number {d.chart_number} is also on line "
                                    f"{seen_charts[d.chart_number]}"))  # fmt: skip
            elif pq.chart_number_taken(clinic.store, d.chart_number):
                problems.append((n, f"chart number {d.chart_number} is already a patient's"))
            seen_charts.setdefault(d.chart_number, n)
        for e in d.emails:
            if e in seen_emails:
                problems.append((n, f"{e} is also on line {seen_emails[e]}"))
            elif pq.email_owners(clinic.store, e):
                problems.append((n, f"{e} is already on a patient's record"))
            seen_emails.setdefault(e, n)
    details = [d for _, d in rows]
    problems.sort()
    if problems or dry_run:
        return ImportReport(details, problems)
    with clinic.store.transaction():
        for d in details:
            pid = q.add_patient(
                clinic.store, d.family_name, d.given_name, d.birth_date, d.chart_number,
                emails=d.emails,
            )  # fmt: skip
            _audit(clinic, session, "patient.create", patient_id=pid, detail={"import": True})
        _audit(clinic, session, "patient.import", detail={"patients": len(details)})
    return ImportReport(details, [], len(details))
