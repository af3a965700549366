"""`clinic-inbox account remove`, `patient duplicates` and `patient merge`: what
Settings does, from a terminal, through the same services (administrators; audited)."""

from __future__ import annotations

import argparse
from typing import Any


def cmd_account_remove(args: argparse.Namespace) -> int:
    from clinic_inbox.cli import _open, _session
    from clinic_inbox.core import services
    from clinic_inbox.core import services_settings as settings
    from clinic_inbox.core.services import NotFound

    with _open(args) as clinic:
        session = _session(args, clinic)
        found = [r[0] for r in services.list_accounts(clinic, session) if r[1] == args.name]
        if not found:
            raise NotFound(f"There is no account named {args.name!r} (see: account list).")
        print(settings.remove_account(clinic, session, found[0]))
    return 0


def cmd_patient_merge(args: argparse.Namespace) -> int:
    """Without --yes, only says what would happen (and changes nothing)."""
    from clinic_inbox.cli import _open, _session
    from clinic_inbox.core import services_patient_merge as merge

    with _open(args) as clinic:
        session = _session(args, clinic)
        preview = merge.preview_merge(clinic, session, args.keep, args.duplicate)
        print(preview.describe())
        if not args.yes:
            print("Nothing was merged. Run again with --yes to merge.")
            return 1
        merged = merge.merge_patients(clinic, session, args.keep, args.duplicate)
    print(f"Merged: {merged.display_name} now has one record (no. {merged.id}).")
    return 0


def cmd_patient_duplicates(args: argparse.Namespace) -> int:
    """Lists; never merges (that is `patient merge`, after a person has looked)."""
    import json

    from clinic_inbox.cli import _open, _session
    from clinic_inbox.core.services_patient_duplicates import possible_duplicates

    with _open(args) as clinic:
        found = possible_duplicates(clinic, _session(args, clinic))
    if args.json:
        rows = [
            {"keep": d.keep.id, "duplicate": d.duplicate.id, "reasons": list(d.reasons)}
            for d in found
        ]
        print(json.dumps(rows, indent=2))
        return 0
    if not found:
        print("No possible duplicate records.")
        return 0
    for d in found:
        print(f"Possible duplicate: {d.describe()}")
        print(f"  keep?      {d.keep.line()}")
        print(f"  duplicate? {d.duplicate.line()}")
        print(f"  to merge:  clinic-inbox patient merge {d.keep.id} {d.duplicate.id}")
    return 0


def cmd_patient_distinct(args: argparse.Namespace) -> int:
    from clinic_inbox.cli import _open, _session
    from clinic_inbox.core.services_patient_duplicates import (
        not_the_same_person,
        take_back_distinct,
    )

    with _open(args) as clinic:
        session = _session(args, clinic)
        if args.undo:
            take_back_distinct(clinic, session, args.first, args.second)
            print(f"Taken back: patients {args.first} and {args.second} may be listed again.")
            return 0
        not_the_same_person(clinic, session, args.first, args.second)
    print(f"Patients {args.first} and {args.second} are two people: no longer listed.")
    return 0


def register(add: Any, account: Any, pat: Any, record_id: Any) -> None:
    """The commands, added to `clinic-inbox`'s parser (cli.build_parser)."""
    sp = add(
        "remove",
        cmd_account_remove,
        "stop using an account (its messages stay; administrators)",
        account,
    )
    sp.add_argument("name", help="the account's name, as `account list` shows it")
    sp = add(
        "merge",
        cmd_patient_merge,
        "merge a duplicate patient record into another (administrators)",
        pat,
    )
    sp.add_argument("keep", type=record_id, help="the patient number of the record kept")
    sp.add_argument("duplicate", type=record_id, help="the patient number merged into it")
    sp.add_argument("--yes", action="store_true", help="merge (without it: only say what moves)")
    sp = add(
        "duplicates",
        cmd_patient_duplicates,
        "list records that may be one patient twice (administrators; never merges)",
        pat,
    )
    sp.add_argument("--json", action="store_true")
    sp = add(
        "distinct",
        cmd_patient_distinct,
        "two records found to be two people: no longer listed as duplicates (administrators)",
        pat,
    )
    sp.add_argument("first", type=record_id, help="a patient number")
    sp.add_argument("second", type=record_id, help="the other patient number")
    sp.add_argument("--undo", action="store_true", help="take that decision back")
