"""`user rename` and `delegate change`: a person's display name and a delegation's scope."""

from __future__ import annotations

import argparse
from typing import Any

from clinic_inbox.cli import (
    EXIT_OK,
    _categories,
    _open,
    _session,
    _when,
    add_scope_arguments,
    record_id,
)


def cmd_user_rename(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services

    with _open(args) as clinic:
        session = _session(args, clinic)
        services.set_display_name(clinic, session, args.name, args.display_name)
    print(f"{args.name} is now shown as {' '.join(args.display_name.split())}.")
    return EXIT_OK


def cmd_delegate_change(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services

    with _open(args) as clinic:
        session = _session(args, clinic)
        services.edit_delegation(
            clinic,
            session,
            args.delegation_id,
            categories=_categories(args.categories),
            include_sensitive=args.sensitive,
            can_reply=args.reply,
            can_file=args.file,
            ends_at=_when(args.end, clinic.config.tz),
        )
    print(f"Delegation {args.delegation_id} changed.")
    return EXIT_OK


def register(add: Any, user: Any, dlg: Any) -> None:
    sp = add("rename", cmd_user_rename, "change the name colleagues see (administrators)", user)
    sp.add_argument("name")
    sp.add_argument("display_name", metavar="DISPLAY_NAME")
    sp = add(
        "change",
        cmd_delegate_change,
        "change what a delegation covers (its scope is replaced by the options given)",
        dlg,
    )
    sp.add_argument("delegation_id", type=record_id)
    add_scope_arguments(sp)
    sp.add_argument("--end", help="ISO date-time (default: until revoked)")
