"""`clinic-inbox time ...` and `billing report`: e-visit time and its billing codes
(kept apart from cli.py so that its commands merge without touching everyone else's)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

EXIT_OK = 0


def _cli() -> Any:
    from clinic_inbox import cli

    return cli


def cmd_time_enter(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services_billing as sb

    cli = _cli()
    with cli._open(args) as clinic:
        session = cli._session(args, clinic)
        at = None
        if args.at:
            at = datetime.fromisoformat(args.at)
            at = at if at.tzinfo else at.replace(tzinfo=clinic.config.tz)
        entry = sb.enter_minutes(clinic, session, args.thread_id, args.minutes, args.reason, at)
        said = cli.said(clinic, session, args.thread_id)  # as people see it
    print(f"Recorded {args.minutes:g} minutes on conversation {said} (entry {entry}).")
    return EXIT_OK


def cmd_time_edit(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services_billing as sb

    cli = _cli()
    with cli._open(args) as clinic:
        sb.edit_minutes(
            clinic, cli._session(args, clinic), args.entry_id, args.minutes, args.reason
        )
    print(f"Entry {args.entry_id} is now {args.minutes:g} minutes.")
    return EXIT_OK


def _day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _cli().CliError(f"{what} takes a date like 2026-11-01.") from None


def cmd_billing_report(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services_billing as sb

    cli = _cli()
    first, last = _day(args.start, "--from"), _day(args.end, "--to")
    with cli._open(args) as clinic:
        session = cli._session(args, clinic)
        tz = clinic.config.tz
        start = datetime.combine(first, time(0), tz)
        end = datetime.combine(last + timedelta(days=1), time(0), tz)
        if args.csv or args.pdf:
            if args.csv:
                n = sb.export_billing_csv(clinic, session, start, end, Path(args.csv))
                print(f"{n} lines written to {args.csv} (readable by you only).")
            if args.pdf:
                n = sb.export_billing_pdf(clinic, session, start, end, Path(args.pdf))
                print(f"{n} lines written to {args.pdf} (readable by you only).")
            return EXIT_OK
        lines = sb.billing_lines(clinic, session, start, end)
    rows = [
        {
            "patient_id": ln.patient_id,
            "patient": ln.patient,
            "clinician": ln.clinician,
            "period_start": ln.starts.astimezone(tz).date().isoformat(),
            "minutes": ln.minutes,
            "code": ln.code,
        }
        for ln in lines
    ]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        for r in rows:
            print(
                f"{r['period_start']}  {r['patient'][:30]:30}  {r['clinician'][:24]:24}  "
                f"{r['minutes']:>4} min  {r['code'] or 'not billable'}"
            )
        if not rows:
            print("No recorded time in that period.")
    return EXIT_OK


def register(add: Callable[..., argparse.ArgumentParser], sub: Any, record_id: Callable) -> None:
    tm = sub.add_parser("time", help="time spent on conversations (e-visits)").add_subparsers(
        dest="time_cmd", required=True
    )
    from clinic_inbox.cli import conversation_number  # the clinic's number, with a server

    sp = add("enter", cmd_time_enter, "record minutes worked on a conversation", tm)
    sp.add_argument("thread_id", type=conversation_number)
    sp.add_argument("--minutes", type=float, required=True)
    sp.add_argument("--reason", required=True, help="what the time was (kept in the record)")
    sp.add_argument("--at", help="when (clinic time unless a zone is given; default now)")
    sp = add("edit", cmd_time_edit, "correct your own recorded minutes, saying why", tm)
    sp.add_argument("entry_id", type=record_id)
    sp.add_argument("--minutes", type=float, required=True)
    sp.add_argument("--reason", required=True)
    bill = sub.add_parser("billing", help="e-visit billing").add_subparsers(
        dest="billing_cmd", required=True
    )
    sp = add("report", cmd_billing_report, "minutes and codes per patient and period", bill)
    sp.add_argument("--from", dest="start", required=True, metavar="DATE")
    sp.add_argument("--to", dest="end", required=True, metavar="DATE")
    sp.add_argument("--csv", metavar="FILE", help="write a CSV file (owner-only)")
    sp.add_argument("--pdf", metavar="FILE", help="write a PDF file (owner-only)")
    sp.add_argument("--json", action="store_true")
    register_retention(add, sub, record_id)


# -- retention (core/services_retention.py) -------------------------------------------
def cmd_retention_hold(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services_retention as ret

    cli = _cli()
    with cli._open(args) as clinic:
        session = cli._session(args, clinic)
        ret.set_legal_hold(clinic, session, args.thread_id, args.reason)
        said = cli.said(clinic, session, args.thread_id)
    print(f"Conversation {said} is held: it is never purged until released.")
    return EXIT_OK


def cmd_retention_release(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services_retention as ret

    cli = _cli()
    with cli._open(args) as clinic:
        session = cli._session(args, clinic)
        ret.set_legal_hold(clinic, session, args.thread_id, None)
        said = cli.said(clinic, session, args.thread_id)
    print(f"Conversation {said} is released from its hold.")
    return EXIT_OK


def cmd_retention_purge(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services_retention as ret

    cli = _cli()
    with cli._open(args) as clinic:
        report = ret.purge(clinic, cli._session(args, clinic))
    if report.kept_forever:
        print("The clinic keeps the inbox copy (clinic.toml [retention]); nothing was purged.")
    else:
        print(
            f"{len(report.threads)} filed conversations ({report.messages} messages) were "
            "removed from the inbox; the chart copies and the audit trail remain."
        )
    return EXIT_OK


def register_retention(
    add: Callable[..., argparse.ArgumentParser], sub: Any, record_id: Callable
) -> None:
    ret = sub.add_parser("retention", help="keeping the inbox copy after filing").add_subparsers(
        dest="retention_cmd", required=True
    )
    from clinic_inbox.cli import conversation_number  # the clinic's number, with a server

    sp = add("hold", cmd_retention_hold, "keep a conversation whatever the retention period", ret)
    sp.add_argument("thread_id", type=conversation_number)
    sp.add_argument("--reason", required=True)
    sp = add("release", cmd_retention_release, "lift a hold", ret)
    sp.add_argument("thread_id", type=conversation_number)
    add("purge", cmd_retention_purge, "remove filed conversations past the retention period", ret)
