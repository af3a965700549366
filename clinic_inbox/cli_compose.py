"""`clinic-inbox compose ...` and `follow-up`: the clinic writes first (kept apart from
cli.py so that its commands merge without touching everyone else's)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

EXIT_OK = 0


def _cli() -> Any:
    from clinic_inbox import cli

    return cli


def _fields(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise _cli().CliError(f"--field takes NAME=VALUE (not {pair!r}).")
        out[name.strip()] = value
    return out


def _when(text: str | None, tz: Any) -> datetime | None:
    """An ISO date and time; without a zone it is the clinic's local time."""
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise _cli().CliError(
            f"--at takes a date and time like 2026-12-08T09:00 (not {text!r})."
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=tz)


def _request(args: argparse.Namespace, tz: Any) -> Any:
    from clinic_inbox.core import services_compose as sc
    from clinic_inbox.core.model import Category

    body = ""
    if args.body_file:
        cli = _cli()
        body = (
            sys.stdin.read() if args.body_file == "-" else cli._read_text(args.body_file, "message")
        )
    return sc.Request(
        template=args.template,
        fields=_fields(args.field),
        subject=args.subject or "",
        body=body,
        category=Category(args.category) if args.category else Category.OTHER,
        education=tuple(args.education or ()),
        language=args.language,
        channel=args.channel,
        send_at=_when(args.at, tz),
        consent_reason=args.consent_reason,
        to_proxy=args.to_proxy,
    )


def cmd_compose_send(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services
    from clinic_inbox.core import services_compose as sc

    cli = _cli()
    if not args.template and not (args.subject and args.body_file):
        raise cli.CliError("Give --template NAME, or --subject and --body-file.")
    with cli._open(args) as clinic:
        session = cli._session(args, clinic)
        req = _request(args, clinic.config.tz)
        if args.preview:
            ids = list(dict.fromkeys(args.patient))
            # several patients: every one, with their own letter or why they cannot get it
            each = (
                sc.preview_each(clinic, session, ids, req)
                if len(ids) > 1
                else [sc.Recipient(ids[0], "", sc.preview_message(clinic, session, ids[0], req))]
            )
            for r in each:
                p = r.preview
                if p is None:
                    print(f"Not to {r.patient_name} (patient {r.patient_id}): {r.why_not}\n")
                    continue
                when = (
                    f" at {p.send_at.astimezone(clinic.config.tz):%Y-%m-%d %H:%M}"
                    if p.send_at
                    else ""
                )
                print(f"To: {p.patient_name} <{p.to}> by {p.channel}{when}")
                if p.consent_note:
                    print(p.consent_note)
                print(f"Subject: {p.subject}\n\n{p.body}")
            cannot = [r for r in each if not r.can_receive]
            if cannot:
                print(
                    f"{len(cannot)} of {len(each)} patients cannot receive it: the send stops "
                    "unless they are left out (or --skip-unreachable)."
                )
            print("(preview only: nothing was sent)")
            return EXIT_OK
        skipped = []
        if args.skip_unreachable:
            result = sc.bulk_send_skipping(clinic, session, args.patient, req)
            started, skipped = result.started, result.skipped
        elif len(set(args.patient)) > 1:
            started = sc.bulk_reminder(clinic, session, args.patient, req)
        else:
            started = [sc.start_message(clinic, session, args.patient[0], req)]
        if args.follow_up_by:
            for s in started:
                sc.set_follow_up(
                    clinic, session, s.thread_id, date.fromisoformat(args.follow_up_by)
                )
        # the number people read on every workstation ("#12 (this computer)" until the
        # server has numbered the new conversation)
        seen = services.seen_as(clinic, session, [s.thread_id for s in started])
    later = " at the chosen time" if req.send_at else " at the next sync"
    for s in started:
        print(
            f"Message queued for patient {s.patient_id} in conversation "
            f"{seen[s.thread_id].label} (outbox item {s.outbox_id}); it is sent{later}."
        )
    for k in skipped:
        print(f"Not sent to patient {k.patient_id}: {k.why}")
    return EXIT_OK


def cmd_compose_templates(args: argparse.Namespace) -> int:
    from clinic_inbox.core import compose

    ts = compose.templates()
    links = compose.education_library()
    if args.json:
        print(
            json.dumps(
                {
                    "templates": [
                        {
                            "name": t.name,
                            "label": t.label,
                            "category": t.category.value,
                            "fields": list(t.fields),
                        }
                        for t in ts.values()
                    ],
                    "education": [
                        {"key": e.key, "title": e.title, "url": e.url} for e in links.values()
                    ],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return EXIT_OK
    for t in ts.values():
        fields = " ".join(f"--field {f}=..." for f in t.fields)
        print(f"{t.name:22} {t.label} ({t.category.label}) {fields}")
    print("\nEducation links (--education KEY):")
    for e in links.values():
        print(f"{e.key:22} {e.title}")
    return EXIT_OK


def cmd_compose_scheduled(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services
    from clinic_inbox.core import services_compose as sc

    cli = _cli()
    with cli._open(args) as clinic:
        session = cli._session(args, clinic)
        rows = sc.scheduled_messages(clinic, session)
        seen = services.seen_as(clinic, session, [s.thread_id for s in rows])
        tz = clinic.config.tz
        items = [
            {
                "outbox_id": s.outbox_id,
                "thread_id": s.thread_id,
                # the conversation's number as people see it (the clinic's, with a server)
                "number": seen[s.thread_id].number,
                "clinic_number": seen[s.thread_id].clinic_number,
                "patient_id": s.patient_id,
                "subject": s.subject,
                "kind": s.kind,
                "send_at": datetime.fromisoformat(s.send_after).astimezone(tz).isoformat(),
            }
            for s in rows
        ]
    if args.json:
        print(json.dumps(items, indent=2, ensure_ascii=False))
    elif not items:
        print("No message is waiting for a later time.")
    for i in items if not args.json else []:
        print(
            f"{i['outbox_id']:>6}  {i['send_at'][:16]}  conversation {seen[i['thread_id']].label}"
            f"  patient {i['patient_id']}  {i['subject'][:60]}"
        )
    return EXIT_OK


def cmd_compose_cancel(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services_compose as sc

    cli = _cli()
    with cli._open(args) as clinic:
        sc.cancel_scheduled(clinic, cli._session(args, clinic), args.outbox_id)
    print(f"Cancelled: outbox item {args.outbox_id} will not be sent.")
    return EXIT_OK


def cmd_follow_up(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services_compose as sc

    cli = _cli()
    if bool(args.by) == bool(args.clear):
        raise cli.CliError("Give either --by DATE or --clear.")
    try:
        by = date.fromisoformat(args.by) if args.by else None
    except ValueError:
        raise cli.CliError(f"--by takes a date like 2026-12-15 (not {args.by!r}).") from None
    with cli._open(args) as clinic:
        session = cli._session(args, clinic)
        sc.set_follow_up(clinic, session, args.thread_id, by)
        said = cli.said(clinic, session, args.thread_id)
    print(f"Follow-up {'set for ' + by.isoformat() if by else 'removed'} on conversation {said}.")
    return EXIT_OK


def register(add: Callable[..., argparse.ArgumentParser], sub: Any, record_id: Callable) -> None:
    from clinic_inbox.core.model import Category

    comp = sub.add_parser("compose", help="write to patients first").add_subparsers(
        dest="compose_cmd", required=True
    )
    sp = add(
        "send", cmd_compose_send, "start a message to one patient, or one each to several", comp
    )
    sp.add_argument(
        "--patient", type=record_id, action="append", required=True, metavar="PATIENT_ID"
    )
    sp.add_argument("--template", help="a template name (see `compose templates`)")
    sp.add_argument("--field", action="append", metavar="NAME=VALUE", help="a template field")
    sp.add_argument("--subject", help="without a template: the subject")
    sp.add_argument("--body-file", help="without a template: the text, or - for stdin")
    sp.add_argument("--category", choices=[c.value for c in Category])
    sp.add_argument("--education", action="append", metavar="KEY", help="a link from the library")
    sp.add_argument("--language", choices=["en", "fr"])
    sp.add_argument("--channel", choices=["email", "portal"])
    sp.add_argument(
        "--at", help="send later, at this date and time (clinic time unless a zone is given)"
    )
    sp.add_argument("--follow-up-by", metavar="DATE", help="back to New if no answer by then")
    sp.add_argument("--preview", action="store_true", help="show what would be sent; send nothing")
    sp.add_argument(
        "--consent-reason",
        metavar="WHY",
        help="why it may go by a channel the patient has not agreed to (recorded)",
    )
    sp.add_argument(
        "--to-proxy",
        type=record_id,
        metavar="PROXY_ID",
        help="to the patient's authorised proxy (within their scope and dates)",
    )
    sp.add_argument(
        "--skip-unreachable",
        action="store_true",
        help="send to everyone who can get it; name who was skipped and why",
    )
    sp = add(
        "templates", cmd_compose_templates, "list the message templates and education links", comp
    )
    sp.add_argument("--json", action="store_true")
    sp = add("scheduled", cmd_compose_scheduled, "messages waiting for a later time", comp)
    sp.add_argument("--json", action="store_true")
    sp = add("cancel", cmd_compose_cancel, "cancel a message waiting for a later time", comp)
    sp.add_argument("outbox_id", type=record_id)

    from clinic_inbox.cli import conversation_number  # the clinic's number, with a server

    sp = add("follow-up", cmd_follow_up, "follow up a conversation by a date")
    sp.add_argument("thread_id", type=conversation_number)
    sp.add_argument("--by", metavar="DATE")
    sp.add_argument("--clear", action="store_true")
