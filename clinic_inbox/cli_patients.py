"""`clinic-inbox patient add|edit|show` and `unlink`: the patient registry and a wrong
link undone, through services_patients (access checked, audited)."""

from __future__ import annotations

import argparse
from typing import Any


def _details(args: argparse.Namespace, before: Any = None) -> Any:
    from clinic_inbox.core.services_patients import PatientDetails

    def pick(new: str | None, old: str | None) -> str | None:
        return old if new is None else new

    emails = tuple(args.email) if args.email is not None else (before.emails if before else ())
    return PatientDetails(
        family_name=pick(args.family, before.family_name if before else "") or "",
        given_name=pick(args.given, before.given_name if before else "") or "",
        birth_date=pick(args.born, before.birth_date if before else None),
        chart_number=pick(args.chart, before.chart_number if before else None),
        emails=emails,
    )


def _say(p: Any) -> str:
    emails = ", ".join(p.emails) or "no email address"
    return (
        f"Patient {p.id}: {p.family_name}, {p.given_name}, born {p.birth_date or 'unknown'}, "
        f"chart {p.chart_number or 'none'}, {emails}"
    )


def cmd_patient_add(args: argparse.Namespace) -> int:
    from clinic_inbox.cli import _open, _session
    from clinic_inbox.core import services_patients as sp

    with _open(args) as clinic:
        session = _session(args, clinic)
        p = sp.add_patient(clinic, session, _details(args))
    print(f"Added. {_say(p)}")
    return 0


def cmd_patient_edit(args: argparse.Namespace) -> int:
    from clinic_inbox.cli import _open, _session
    from clinic_inbox.core import services_patients as sp

    with _open(args) as clinic:
        session = _session(args, clinic)
        before = sp.get_patient(clinic, session, args.patient_id)
        p = sp.edit_patient(clinic, session, args.patient_id, _details(args, before))
    print(f"Saved. {_say(p)}")
    return 0


def cmd_patient_show(args: argparse.Namespace) -> int:
    from clinic_inbox.cli import _open, _session
    from clinic_inbox.core import services_patients as sp

    with _open(args) as clinic:
        session = _session(args, clinic)
        print(_say(sp.get_patient(clinic, session, args.patient_id)))
    return 0


def cmd_patient_import(args: argparse.Namespace) -> int:
    from clinic_inbox.cli import CliError, _open, _read_text, _session
    from clinic_inbox.core import services_patients as sp

    text = _read_text(args.file, "patient list")
    with _open(args) as clinic:
        session = _session(args, clinic)
        report = sp.import_patients(clinic, session, text, dry_run=args.dry_run)
    if report.problems:
        raise CliError(report.describe())
    print(report.describe())
    return 0


def cmd_unlink(args: argparse.Namespace) -> int:
    from clinic_inbox.cli import _open, _session
    from clinic_inbox.core import services_patients as sp

    with _open(args) as clinic:
        session = _session(args, clinic)
        done = sp.unlink_patient(
            clinic, session, args.thread_id, forget_sender=not args.keep_address
        )
    print(done.describe())
    return 0


def cmd_user_role(args: argparse.Namespace) -> int:
    from clinic_inbox.cli import _open, _session
    from clinic_inbox.core import services_staff
    from clinic_inbox.core.model import Role

    with _open(args) as clinic:
        session = _session(args, clinic)
        staff = services_staff.set_role(clinic, session, args.name, Role(args.role))
    print(f"{staff.username} is now {staff.role.value}.")
    return 0


def register_user(add: Any, user: Any) -> None:
    from clinic_inbox.core.model import Role

    sp = add("role", cmd_user_role, "change a staff member's role (administrators)", user)
    sp.add_argument("name")
    sp.add_argument("--role", required=True, choices=[r.value for r in Role])


def register(add: Any, pat: Any, record_id: Any) -> None:
    """The commands, added to `clinic-inbox`'s parser (cli.build_parser)."""

    def fields(sp: argparse.ArgumentParser, required: bool) -> None:
        sp.add_argument("--family", required=required, help="family name")
        sp.add_argument("--given", required=required, help="given name")
        sp.add_argument("--born", metavar="YYYY-MM-DD", help="date of birth")
        sp.add_argument("--chart", help="the chart number in the clinic's EMR")
        sp.add_argument(
            "--email",
            action="append",
            help="an email address the patient writes from (repeat for more; on edit, "
            "the list replaces the old one)",
        )

    sp = add("add", cmd_patient_add, "add a patient", pat)
    fields(sp, True)
    sp = add("edit", cmd_patient_edit, "correct a patient's details", pat)
    sp.add_argument("patient_id", type=record_id)
    fields(sp, False)
    sp = add("import", cmd_patient_import, "add patients from a CSV export of the EMR", pat)
    sp.add_argument(
        "file", help="CSV with a header: family_name,given_name,birth_date,chart_number,email"
    )
    sp.add_argument("--dry-run", action="store_true", help="check every line, write nothing")
    sp = add("show", cmd_patient_show, "a patient's details (audited)", pat)
    sp.add_argument("patient_id", type=record_id)
    from clinic_inbox.cli import conversation_number  # the clinic's number, with a server

    sp = add("unlink", cmd_unlink, "take a conversation off the chart it was wrongly filed under")
    sp.add_argument("thread_id", type=conversation_number)
    sp.add_argument(
        "--keep-address",
        action="store_true",
        help="keep the sender's address on that patient's record (by default it is removed)",
    )
