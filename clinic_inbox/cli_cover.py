"""`clinic-inbox away ...`: a physician's absence and who covers (kept apart from
cli.py so that its commands merge without touching everyone else's)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

EXIT_OK = 0


def _cli() -> Any:
    from clinic_inbox import cli

    return cli


def _when(text: str, tz: Any, what: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise _cli().CliError(f"{what} takes a date like 2026-12-14 or 2026-12-14T08:00.") from None
    return at if at.tzinfo else at.replace(tzinfo=tz)


def cmd_away_add(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services_cover

    cli = _cli()
    with cli._open(args) as clinic:
        session = cli._session(args, clinic)
        tz = clinic.config.tz
        absence = services_cover.mark_away(
            clinic,
            session,
            physician=args.physician,
            starts_at=_when(args.start, tz, "--from"),
            ends_at=_when(args.end, tz, "--to"),
            cover=args.cover,
        )
    who = f"{args.cover} covers" if args.cover else "nobody covers: the board will warn"
    print(f"Absence {absence} recorded; {who}.")
    return EXIT_OK


def cmd_away_list(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services_cover

    cli = _cli()
    with cli._open(args) as clinic:
        session = cli._session(args, clinic)
        tz = clinic.config.tz
        rows = [
            {
                "id": a.id,
                "physician": a.physician,
                "cover": a.cover,
                "from": datetime.fromisoformat(a.starts_at).astimezone(tz).isoformat(),
                "to": datetime.fromisoformat(a.ends_at).astimezone(tz).isoformat(),
            }
            for a in services_cover.absences(clinic, session)
        ]
        warnings = [
            {"physician": u.physician, "patients": [name for _, name, _ in u.patients]}
            for u in services_cover.uncovered(clinic, session)
        ]
    if args.json:
        print(json.dumps({"absences": rows, "uncovered": warnings}, indent=2, ensure_ascii=False))
        return EXIT_OK
    for r in rows:
        print(
            f"{r['id']:>4}  {r['physician']}  {r['from'][:16]} → {r['to'][:16]}  "
            f"cover: {r['cover'] or 'NOBODY'}"
        )
    for w in warnings:
        print(
            f"Warning: {w['physician']} is away without cover; waiting: {', '.join(w['patients'])}"
        )
    if not rows:
        print("Nobody is marked away.")
    return EXIT_OK


def cmd_away_cancel(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services_cover

    cli = _cli()
    with cli._open(args) as clinic:
        services_cover.cancel_absence(clinic, cli._session(args, clinic), args.absence_id)
    print(f"Absence {args.absence_id} cancelled; the cover's delegation has ended.")
    return EXIT_OK


def register(add: Callable[..., argparse.ArgumentParser], sub: Any, record_id: Callable) -> None:
    away = sub.add_parser("away", help="a physician's absences and who covers").add_subparsers(
        dest="away_cmd", required=True
    )
    sp = add("add", cmd_away_add, "mark a physician away, with or without cover", away)
    sp.add_argument("--physician", required=True, metavar="USER")
    sp.add_argument("--from", dest="start", required=True, metavar="DATE[TIME]")
    sp.add_argument("--to", dest="end", required=True, metavar="DATE[TIME]")
    sp.add_argument("--cover", metavar="USER", help="the covering physician")
    sp = add("list", cmd_away_list, "absences running or to come, and uncovered patients", away)
    sp.add_argument("--json", action="store_true")
    sp = add("cancel", cmd_away_cancel, "cancel an absence (ends the cover's delegation)", away)
    sp.add_argument("absence_id", type=record_id)
