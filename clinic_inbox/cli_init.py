"""`clinic-inbox init`: a new clinic from the terminal. Everything it needs is asked
(or given as options) and checked before anything is written; nothing comes from the
demo clinic."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from clinic_inbox.core.clinic_setup import ClinicDetails, FirstAdmin, SetupError
from clinic_inbox.core.language import KNOWN

_OPTIONS = {
    "name": ("--name", "The clinic's name (as patients know it)"),
    "phone": ("--phone", "The clinic's telephone number for patients"),
    "timezone": ("--timezone", "The clinic's time zone (for example America/Toronto)"),
    "emergency_number": ("--emergency-number", "The emergency number patients should call"),
    "crisis_line": ("--crisis-line", "The crisis line patients can call or text"),
}
_DEFAULTS = {"emergency_number": "911", "crisis_line": "9-8-8"}


def add_arguments(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--name", help="the clinic's name, as patients know it")
    sp.add_argument("--phone", help="the clinic's telephone number for patients")
    sp.add_argument("--timezone", help="the clinic's time zone, e.g. America/Toronto")
    sp.add_argument(
        "--emergency-number",
        help="the number the safety reply tells patients to call (Canada: 911)",
    )
    sp.add_argument("--crisis-line", help="the crisis line the safety reply names (Canada: 9-8-8)")
    sp.add_argument(
        "--languages",
        default="en",
        help=f"languages the clinic answers in, comma-separated ({', '.join(KNOWN)})",
    )
    sp.add_argument(
        "--holidays",
        default="",
        help="days the clinic is closed, comma-separated YYYY-MM-DD",
    )


def _holidays(text: str) -> tuple[date, ...]:
    out = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            out.append(date.fromisoformat(part))
        except ValueError:
            raise SetupError([f"{part} is not a date like 2026-12-25."]) from None
    return tuple(out)


def gather_details(args: argparse.Namespace, interactive: bool) -> ClinicDetails:
    """Options first; what is missing is asked on a terminal, else named."""
    values: dict[str, str] = {}
    missing = []
    for key, (flag, question) in _OPTIONS.items():
        given = getattr(args, key, None)
        if given:
            values[key] = given
        elif interactive:
            default = _DEFAULTS.get(key)
            hint = f" [{default}: press Enter to confirm]" if default else ""
            answer = input(f"{question}{hint}: ").strip()
            values[key] = answer or default or ""
        else:
            missing.append(flag)
    if missing:
        raise SetupError(
            [
                "A new clinic enters its own details; none are taken from the demo. Give "
                + ", ".join(missing)
                + " (the emergency numbers too: in Canada --emergency-number 911 "
                "--crisis-line 9-8-8), or run init in a terminal to be asked."
            ]
        )
    languages = tuple(x.strip() for x in args.languages.split(",") if x.strip())
    return ClinicDetails(languages=languages, holidays=_holidays(args.holidays), **values)


def run(args: argparse.Namespace, home: Path, password_for: object, passphrase: object) -> int:
    from clinic_inbox.cli import _interactive, _print_recovery
    from clinic_inbox.core.clinic_setup import check_setup, create_new_clinic

    details = gather_details(args, _interactive())
    display = args.display_name or args.admin
    # a first check without the password, so a typo in the details is not found only
    # after the password was typed twice
    check_setup(home, details, None)
    password = password_for(args.admin, confirm=True)  # type: ignore[operator]
    admin = FirstAdmin(args.admin, display, password)
    check_setup(home, details, admin)
    clinic, code = create_new_clinic(home, details, admin, passphrase)  # type: ignore[arg-type]
    with clinic:
        print(f"Created {details.name} in {home}")
        print(f"Key custody: {clinic.custody.describe()}")
        print(f"Administrator: {args.admin}")
        print(
            f"The safety reply tells patients to call {details.emergency_number} and names "
            f"the crisis line {details.crisis_line}; change them in {home / 'clinic.toml'}."
        )
        _print_recovery(code)
    sys.stdout.flush()
    return 0
