"""`clinic-inbox`: the app by default, subcommands for everything else.

Every command goes through the same services as the GUI, so the same access
rules and audit entries apply. Errors are printed in plain words, never with
a traceback that could carry patient data.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from clinic_inbox import __version__

PASSWORD_ENV = "CLINIC_INBOX_PASSWORD"
PASSPHRASE_ENV = "CLINIC_INBOX_PASSPHRASE"
EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class CliError(Exception):
    """Shown to the user as is; exits with status 1."""


# -- prompts -------------------------------------------------------------------
def _interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def ask_passphrase(prompt: str, confirm: bool) -> str:
    """Key passphrase: from CLINIC_INBOX_PASSPHRASE, else asked on the terminal."""
    env = os.environ.get(PASSPHRASE_ENV)
    if env:
        return env
    if not _interactive():
        raise CliError(
            f"{prompt.splitlines()[0].rstrip('.')}, but there is no terminal to ask for it on. "
            f"Set {PASSPHRASE_ENV} for this command."
        )
    first = getpass.getpass(prompt + ": ")
    if confirm and getpass.getpass("Type it again: ") != first:
        raise CliError("The two passphrases differ; nothing was created.")
    return first


def ask_password(username: str, confirm: bool = False) -> str:
    env = os.environ.get(PASSWORD_ENV)
    if env:
        return env
    if not _interactive():
        raise CliError(f"No password for {username}: set {PASSWORD_ENV} or run in a terminal.")
    first = getpass.getpass(f"Password for {username}: ")
    if confirm and getpass.getpass("Type it again: ") != first:
        raise CliError("The two passwords differ.")
    return first


# -- helpers -------------------------------------------------------------------
def _home(args: argparse.Namespace) -> Path:
    from clinic_inbox.core.home import default_home

    return default_home(args.home)


def _open(args: argparse.Namespace, check: bool = False):  # noqa: ANN202 - Clinic
    """With --user the person signs in first and their password releases the store's key
    (core.staff_keys); `_session` then returns that session."""
    from clinic_inbox.core.home import open_clinic

    if getattr(args, "user", None):
        clinic = _open_signed_in(args, check)
    else:
        clinic = open_clinic(_home(args), ask_passphrase, check=check)
    try:
        _conversation_as_seen(args, clinic)
    except BaseException:
        clinic.close()
        raise
    return clinic


def _open_signed_in(args: argparse.Namespace, check: bool):  # noqa: ANN202 - Clinic
    from clinic_inbox.core import services, staff_keys

    home, password = _home(args), ask_password(args.user)
    try:
        clinic, session = staff_keys.open_signed_in(
            home, args.user, password, ask_passphrase=ask_passphrase, check=check
        )
    except services.PasswordChangeRequired as exc:
        clinic, session = staff_keys.open_signed_in(
            home,
            args.user,
            password,
            new_password=_new_own_password(args, str(exc)),
            ask_passphrase=ask_passphrase,
            check=check,
        )
    for notice in session.notices:
        print(f"clinic-inbox: {notice}", file=sys.stderr)
    clinic.closing.append(_anchor_at_close)
    args.signed_in = session
    return clinic


def _session(args: argparse.Namespace, clinic: Any, required: bool = True):  # noqa: ANN202
    from clinic_inbox.core import services

    if getattr(args, "signed_in", None) is not None:
        return args.signed_in
    if not args.user:
        if required:
            raise CliError(
                f"This command needs to know who you are: add --user NAME (the password is read "
                f"from {PASSWORD_ENV} or asked)."
            )
        return None
    password = ask_password(args.user)
    try:
        session = services.login(clinic, args.user, password)
    except services.PasswordChangeRequired as exc:
        session = services.login(
            clinic, args.user, password, new_password=_new_own_password(args, str(exc))
        )
    for notice in session.notices:
        print(f"clinic-inbox: {notice}", file=sys.stderr)
    clinic.closing.append(_anchor_at_close)
    return session


def _anchor_at_close(clinic: Any) -> None:
    """Each signed-in command ends like a sign-out: the audit head goes off this computer."""
    from clinic_inbox.sources.audit_anchor_imap import publish_anchor

    try:
        problems = publish_anchor(clinic)
    except Exception as exc:  # noqa: BLE001 - the command's own work is done and kept
        problems = [f"The audit anchor could not be sent: {exc}"]
    for problem in problems:
        print(f"clinic-inbox: {problem} It will be sent next time.", file=sys.stderr)


NEW_PASSWORD_ENV = "CLINIC_INBOX_NEW_PASSWORD"


def _new_own_password(args: argparse.Namespace, why: str) -> str:
    """A sign-in that must choose a new password (after an administrator's reset)."""
    # `user add` and `user reset` read the variable for someone else's password
    if args.func not in (cmd_user_add, cmd_user_reset) and os.environ.get(NEW_PASSWORD_ENV):
        return os.environ[NEW_PASSWORD_ENV]
    if not _interactive():
        raise CliError(
            f"{why} Put the new password in {NEW_PASSWORD_ENV} and run a command "
            f"(e.g. `clinic-inbox --user {args.user} list`) again."
        )
    print(why, file=sys.stderr)
    first = getpass.getpass("New password: ")
    if getpass.getpass("Type it again: ") != first:
        raise CliError("The two passwords differ; your password was not changed.")
    return first


def _local(iso: str | None, tz: Any) -> str | None:
    if not iso:
        return None
    return datetime.fromisoformat(iso).astimezone(tz).isoformat(timespec="seconds")


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _table(rows: list[list[str]], headers: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=False)) for r in rows]
    return "\n".join(out)


_MAX_ID = 2**63 - 1  # SQLite's largest integer


def record_id(text: str) -> int:
    """A conversation, patient, delegation or audit entry number, checked before it
    reaches the store (a number too large for it ended in a traceback)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number (for example 12)") from None
    if not 0 < value <= _MAX_ID:
        raise argparse.ArgumentTypeError(f"there is no record number {text}")
    return value


class ConversationNumber(int):
    """A conversation's number as people see it ("7" or "#7"): the clinic's number when
    a shared server is configured, resolved to the local id once the store is open."""


def conversation_number(text: str) -> ConversationNumber:
    return ConversationNumber(record_id(text.strip().removeprefix("#")))


def _conversation_as_seen(args: argparse.Namespace, clinic: Any) -> None:
    """With a shared server, the number typed is the one every workstation shows."""
    from clinic_inbox.core import numbers

    n = getattr(args, "thread_id", None)
    typed = n if isinstance(n, list) else [n]  # `server publish` takes several
    if not typed or not all(isinstance(t, ConversationNumber) for t in typed):
        return
    if not numbers.shared(clinic.store):
        return  # alone: the local number, as always
    found = []
    for t in typed:
        local = numbers.find(clinic.store, int(t), True)
        if local is None:  # checked before anything is done: nothing changes
            raise CliError(f"There is no conversation #{int(t)} in this clinic.")
        found.append(local)
    args.thread_id = found if isinstance(n, list) else found[0]


def said(clinic: Any, session: Any, thread_id: int) -> str:
    """The conversation's number as people read it here ("#7": the clinic's with a
    shared server), for what a command prints after acting on it."""
    from clinic_inbox.core import services

    return services.seen_as(clinic, session, [thread_id])[thread_id].label


def _read_text(path: str, what: str) -> str:
    try:
        return Path(path).read_text("utf-8")
    except FileNotFoundError:
        raise CliError(f"The {what} file {path} does not exist; nothing was sent.") from None
    except IsADirectoryError:
        raise CliError(f"{path} is a folder, not a {what} file; nothing was sent.") from None
    except UnicodeDecodeError:
        raise CliError(
            f"The {what} file {path} is not plain text (UTF-8); save it as text and try again."
        ) from None
    except OSError as exc:
        raise CliError(f"The {what} file {path} cannot be read ({exc.strerror}).") from None


# -- commands ------------------------------------------------------------------
def cmd_gui(args: argparse.Namespace) -> int:
    from clinic_inbox.ui.app import main as gui_main

    return gui_main(_home(args), user=args.user)


def cmd_init(args: argparse.Namespace) -> int:
    from clinic_inbox import cli_init

    return cli_init.run(args, _home(args), ask_password, ask_passphrase)


def _print_recovery(code: str) -> None:
    print()
    print("RECOVERY CODE (shown only this once; print it and lock it away):")
    print(f"    {code}")
    print(
        "With it, `clinic-inbox key recover` restores access if the keyring or passphrase is lost."
    )


def cmd_demo(args: argparse.Namespace) -> int:
    from clinic_inbox import demo
    from clinic_inbox.core.home import clinic_exists

    home = _home(args)
    if not clinic_exists(home):
        print(f"Creating the demo clinic in {home} (about 10 seconds)...", flush=True)
        clinic, code, summary = demo.create_demo_clinic(home, ask_passphrase=ask_passphrase)
        with clinic:
            print(
                f"Demo clinic ready: {summary.staff} staff, {summary.patients} patients, "
                f"{summary.messages} messages in {summary.threads} conversations."
            )
            print(f"Key custody: {clinic.custody.describe()}")
            if clinic.custody.method == "passphrase":
                from clinic_inbox.core.keys import DEMO_PASSPHRASE

                print(
                    "No secure keyring on this computer: the demo's key is wrapped with the "
                    f"published passphrase {DEMO_PASSPHRASE!r}. Never put real patients in the demo."
                )
            _print_recovery(code)
    else:
        print(f"Using the existing clinic in {home}")
    users = ", ".join(u for u, _, _ in demo.DEMO_USERS)
    print(f"\nDemo users: {users}. Every password is '{demo.DEMO_PASSWORD}'.")
    print(
        "(Only the demo may keep such a short password: a real clinic's passwords need at "
        "least 12 characters and must be hard to guess.)"
    )
    if args.screenshot:
        from clinic_inbox.ui.app import main as gui_main

        return gui_main(
            home, demo=True, screenshot=Path(args.screenshot), user=args.user, view=args.view
        )
    if args.no_gui:
        return EXIT_OK
    from clinic_inbox.ui.app import main as gui_main

    return gui_main(home, demo=True, user=args.user)


def cmd_user_list(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services

    with _open(args) as clinic:
        staff = services.list_staff(clinic, _session(args, clinic))
        rows = [
            {
                "username": s.username,
                "display_name": s.display_name,
                "role": s.role.value,
                "active": s.active,
            }
            for s in staff
        ]
        if args.json:
            _print_json(rows)
        else:
            print(
                _table(
                    [
                        [
                            r["username"],
                            r["display_name"],
                            r["role"],
                            "yes" if r["active"] else "disabled",
                        ]
                        for r in rows
                    ],
                    ["user", "name", "role", "active"],
                )
            )
    return EXIT_OK


def cmd_user_add(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services
    from clinic_inbox.core.model import Role

    with _open(args) as clinic:
        session = _session(args, clinic)
        new_password = os.environ.get("CLINIC_INBOX_NEW_PASSWORD") or (
            getpass.getpass(f"New password for {args.name}: ") if _interactive() else None
        )
        if not new_password:
            raise CliError("Give the new staff member's password in CLINIC_INBOX_NEW_PASSWORD.")
        staff = services.add_staff(
            clinic,
            session,
            args.name,
            args.display_name or args.name,
            Role(args.role),
            new_password,
        )
        print(f"Added {staff.username} ({staff.role.value}).")
    return EXIT_OK


def _message_json(m: Any, tz: Any, shared: bool = False) -> dict[str, Any]:
    from clinic_inbox.core import numbers

    return {
        "id": m.id,
        "thread_id": m.thread_id,
        # the conversation's number as people see it (the clinic's, with a shared server)
        "number": numbers.shown(m.thread_id, m.thread_number, shared),
        "clinic_number": m.thread_number if shared else None,
        "source": m.source.value,
        "direction": m.direction.value,
        "patient": m.patient,
        "patient_id": m.patient_id,
        "sender": m.sender,
        "subject": m.subject,
        "category": m.category.value,
        "priority": m.priority.value,
        "status": m.status.value,
        "received_at": _local(m.received_at, tz),
        "due_at": _local(m.due_at, tz),
        "assigned_to": m.assigned_to,
        "sensitive": m.sensitive,
        "needs_review": m.needs_review,
        "attachments": m.attachment_count,
    }


def cmd_list(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services
    from clinic_inbox.core.model import Category, Priority, Source, Status
    from clinic_inbox.core.services import MessageFilter

    with _open(args) as clinic:
        session = _session(args, clinic)
        flt = MessageFilter(
            status=Status(args.status) if args.status else None,
            category=Category(args.category) if args.category else None,
            priority=Priority(args.priority) if args.priority else None,
            source=Source(args.source) if args.source else None,
            search=args.search,
            limit=args.limit,
        )
        rows = services.list_messages(clinic, session, flt)
        tz = clinic.config.tz
        shared = services.numbers_shared(clinic)
        if args.json:
            _print_json([_message_json(m, tz, shared) for m in rows])
        else:
            print(
                _table(
                    [
                        [
                            str(m.id),
                            services.number_label(m.thread_id, m.thread_number, shared),
                            m.priority.label,
                            m.patient or "Unknown sender",
                            m.category.label,
                            m.status.label,
                            (m.subject or "")[:50],
                        ]
                        for m in rows
                    ],
                    ["id", "conversation", "priority", "patient", "category", "status", "subject"],
                )
            )
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services
    from clinic_inbox.core.senders import sender_warnings

    with _open(args) as clinic:
        session = _session(args, clinic)
        t = services.show_thread(clinic, session, args.thread_id)
        tz = clinic.config.tz
        data = {
            "id": t.id,
            "subject": t.subject,
            "patient": None
            if t.patient is None
            else {
                "id": t.patient.id,
                "name": t.patient.display_name,
                "birth_date": t.patient.birth_date,
                "chart_number": t.patient.chart_number,
                "portal_id": t.patient.portal_id,
            },
            "category": t.category.value,
            "priority": t.priority.value,
            "status": t.status.value,
            "assigned_to": t.assigned_to,
            "due_at": _local(t.due_at, tz),
            "sensitive": t.sensitive,
            "warnings": sender_warnings(t.messages),
            "messages": [],
            # the number every workstation of a clinic with a shared server shows
            "clinic_number": services.clinic_number(clinic, session, t.id),
            "number": t.number,
        }
        for m in t.messages:
            item = {
                "id": m.id,
                "source": m.source.value,
                "direction": m.direction.value,
                "sender": m.sender,
                "recipients": m.recipients,
                "subject": m.subject,
                "received_at": _local(m.received_at, tz),
                "category": m.category.value,
                "priority": m.priority.value,
                "triage_reason": m.triage_reason,
                "needs_review": m.needs_review,
                "review_reason": m.review_reason,
                "sender_check": m.sender_check,
                "sender_check_detail": m.sender_check_detail,
                "attachments": [
                    {
                        "id": a.id,
                        "filename": a.filename,
                        "content_type": a.content_type,
                        "size": a.size,
                    }
                    for a in m.attachments
                ],
            }
            if m.body is not None:
                item["body"] = m.body
            data["messages"].append(item)
        if args.json:
            _print_json(data)
        else:
            who = data["patient"]["name"] if data["patient"] else "Unknown sender"
            print(
                f"{t.number}  {t.subject}\nPatient: {who}   {t.priority.label} · {t.status.label}"
            )
            for warning in data["warnings"]:
                print(f"!! {warning}")
            print()
            for m in data["messages"]:
                print(f"--- {m['received_at']}  {m['sender']}")
                print(m.get("body", "[you do not have access to this message's content]"))
                print()
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services
    from clinic_inbox.core.backup_schedule import latest_backup
    from clinic_inbox.core.home import store_path

    home = _home(args)
    with _open(args, check=True) as clinic:
        # Any signed-in person may check the store's health; the counts are for
        # administrators (services.store_health).
        health = services.store_health(clinic, _session(args, clinic))
        waiting = _slots_waiting(clinic)
        from clinic_inbox.core.account_secrets import describe as accounts_said

        account_secrets_line = accounts_said(clinic)
        from clinic_inbox.core.workstation_secrets import describe as shared_keys_said

        shared_keys_line = shared_keys_said(clinic)
    latest = latest_backup(home)
    problems = health.problems
    print(f"Data folder:     {home}")
    print(f"Store:           {store_path(home)}")
    print(f"Latest backup:   {latest or 'none yet (the app writes one a day)'}")
    print(f"SQLCipher:       {health.cipher_version}")
    print(f"Key custody:     {health.custody}")
    if waiting is not None:
        print(
            f"Key slots:       {waiting} active staff have not signed in since key slots "
            "came: until they do (or an administrator runs `key seal`), "
            + (
                "the keyring still holds the store key"
                if clinic.custody.method == "keyring"
                else "the clinic's passphrase still opens the store"
            )
        )
    print(f"Account secrets: {account_secrets_line}")
    print(f"Shared-queue keys: {shared_keys_line}")
    print(f"Schema version:  {health.schema_version}")
    print(f"Integrity check: {'ok' if not problems else 'FAILED: ' + '; '.join(problems[:5])}")
    from clinic_inbox.core.clinic_setup import identity_problems

    for problem in identity_problems(clinic.config):  # said, not a failed check of the store
        print(f"Clinic details: {problem}")
    if health.counts is not None:
        print(f"Staff:           {health.counts[0]}")
        print(f"Patients:        {health.counts[1]}")
        print(f"Messages:        {health.counts[2]}")
    return EXIT_OK if not problems else EXIT_FAIL


def _slots_waiting(clinic: Any) -> int | None:
    """An older clinic moving to key slots: how many active staff still have none."""
    from clinic_inbox.core import staff_keys

    rec = clinic.custody
    if rec.sealed or (rec.method != "keyring" and not rec.staff_slots):
        return None
    return len(staff_keys.without_slot(clinic))


def cmd_key_recover(args: argparse.Namespace) -> int:
    from clinic_inbox.core.home import open_clinic
    from clinic_inbox.core.keys import KeyCustody

    home = _home(args)
    if args.code_stdin:
        code = sys.stdin.readline().strip()
    elif _interactive():
        code = input("Recovery code: ").strip()
    else:
        raise CliError("Give the recovery code on standard input with --code-stdin.")
    custody = KeyCustody(home)
    if custody.record().sealed:
        return _recover_key_slots(args, home, code)
    custody.recover(code, ask_passphrase)
    with open_clinic(home, ask_passphrase, custody=KeyCustody(home)) as clinic:
        print(f"Access restored. Key custody: {clinic.custody.describe()}")
    return EXIT_OK


def _recover_key_slots(args: argparse.Namespace, home: Path, code: str) -> int:
    """The key is released to staff: the code opens the store for an administrator,
    who gets a key slot again (under a new keyring secret if the old one is gone)."""
    from clinic_inbox.core import staff_keys

    if not args.user:
        raise CliError(
            "The recovery code opens this clinic for an administrator: add --user NAME "
            f"(the password is read from {PASSWORD_ENV} or asked)."
        )
    clinic, _session, lost = staff_keys.recover(home, code, args.user, ask_password(args.user))
    with clinic:
        print(f"Access restored for {args.user}. Key custody: {clinic.custody.describe()}")
        if lost:
            print(
                "The keyring had lost the secret of the staff key slots, so every other "
                "person's password no longer opens the clinic: reset their passwords "
                f"(`clinic-inbox --user {args.user} user reset NAME`)."
            )
    return EXIT_OK


def cmd_key_seal(args: argparse.Namespace) -> int:
    """Finish moving an older clinic's key to staff passwords now (administrators)."""
    from clinic_inbox.core import access, services, staff_keys

    with _open(args) as clinic:
        session = _session(args, clinic)
        access.require(
            access.can_manage_staff(session.staff),
            "Only an administrator may take the clinic's key out of the keyring.",
        )
        rec = clinic.custody
        if rec.method == "passphrase" and not (rec.staff_slots or rec.sealed):
            # no keyring: turn on staff key slots; colleagues get theirs as they sign in
            waiting = services.turn_on_staff_slots(
                clinic, session, ask_password(session.staff.username)
            ).waiting
            print(f"Key custody: {clinic.custody.describe()}")
            if waiting:
                print(
                    "Staff key slots are on. These people sign in once more with the clinic's "
                    f"passphrase, then the passphrase stops opening the store: {', '.join(waiting)}"
                    " (`key seal` again does it now; they then need a password reset)."
                )
            return EXIT_OK
        missing = staff_keys.seal_now(clinic)
        print(f"Key custody: {clinic.custody.describe()}")
    if missing:
        print(
            "These people have not signed in since, so their password does not open the "
            f"clinic yet; reset it for them (`user reset NAME`): {', '.join(missing)}"
        )
    return EXIT_OK


def cmd_key_change(args: argparse.Namespace) -> int:
    from clinic_inbox.core.rekey import change_key
    from clinic_inbox.core.services_keys import prepare_key_change

    home = _home(args)
    with _open(args) as clinic:
        ticket = prepare_key_change(clinic, _session(args, clinic))
    code = change_key(
        home, ask_passphrase, actor_id=ticket.actor_id, actor=ticket.actor, found=ticket.found
    )
    print(
        "The store is now encrypted with a new key; the old key and recovery code no longer open it."
    )
    _print_recovery(code)
    return EXIT_OK


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services
    from clinic_inbox.sources.audit_anchor_imap import configured_sinks

    with _open(args) as clinic:
        session = _session(args, clinic)
        sinks, why_not = configured_sinks(clinic)
        result = services.verify_audit(clinic, session, sinks, why_not)
        print(result.describe())
        if args.clinic:  # every workstation's chain on the shared server, too
            from clinic_inbox.shared import cli_audit

            text, clinic_ok = cli_audit.verify(clinic, session)
            print(text)
            return EXIT_OK if result.ok and clinic_ok else EXIT_FAIL
    return EXIT_OK if result.ok else EXIT_FAIL


def cmd_account_add_imap(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services
    from clinic_inbox.core.accounts import ImapAccount

    account = ImapAccount(
        name=args.name,
        host=args.host,
        port=args.port,
        username=args.username,
        security=args.security,
        mailbox=args.mailbox,
        smtp_host=args.smtp_host or args.host,
        smtp_port=args.smtp_port,
        smtp_security=args.smtp_security,
        smtp_username=args.smtp_username,
        from_address=args.from_address or "",
        ca_file=str(Path(args.ca_file).resolve()) if args.ca_file else None,
        sent_folder=args.sent_folder,
        mark_read=args.mark_read,
        filed_folder=args.filed_folder,
    )
    account.validate()
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif _interactive():
        password = getpass.getpass(f"Password for {args.username} on {args.host}: ")
    else:
        raise CliError("Give the account password on standard input with --password-stdin.")
    if not password:
        raise CliError("The account password is empty.")
    with _open(args) as clinic:
        session = _session(args, clinic)
        services.add_imap_account(clinic, session, account, password)
    print(f"Added the mail account {account.name!r} ({account.username} at {account.host}).")
    print("Its password is sealed in the encrypted store, never in the keyring.")
    if account.loopback_note:
        print(account.loopback_note)
    return EXIT_OK


def cmd_account_add_fhir(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services
    from clinic_inbox.core.accounts import FhirAccount

    mapping = {}
    for pair in args.staff_practitioner or []:
        user, _, pid = pair.partition("=")
        if not pid:
            raise CliError("--staff-practitioner takes USER=PRACTITIONER_ID.")
        mapping[user] = pid
    account = FhirAccount(
        name=args.name,
        base_url=args.base_url,
        practitioners=args.practitioner or [],
        organization=args.organization,
        ca_file=str(Path(args.ca_file).resolve()) if args.ca_file else None,
        staff_practitioners=mapping,
    )
    account.validate()
    token = sys.stdin.readline().strip() if args.token_stdin else None
    with _open(args) as clinic:
        session = _session(args, clinic)
        services.add_fhir_account(clinic, session, account, token)
    print(f"Added the patient portal {account.name!r} at {account.base_url}.")
    if token:
        print("Its access token is sealed in the encrypted store, never in the keyring.")
    return EXIT_OK


def cmd_account_list(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services

    with _open(args) as clinic:
        rows = services.list_accounts(clinic, _session(args, clinic))
        data = [
            {
                "id": aid,
                "name": name,
                "kind": kind,
                "host": cfg.get("host") or cfg.get("base_url"),
                "username": cfg.get("username"),
                "security": cfg.get("security"),
                "mailbox": cfg.get("mailbox"),
            }
            for aid, name, kind, cfg in rows
        ]
        if args.json:
            _print_json(data)
        else:
            print(
                _table(
                    [
                        [
                            str(d["id"]),
                            d["name"],
                            d["kind"],
                            str(d["host"] or ""),
                            str(d["username"] or ""),
                            str(d["security"] or ""),
                        ]
                        for d in data
                    ],
                    ["id", "name", "kind", "server", "user", "security"],
                )
            )
    return EXIT_OK


class _ProgressBar:
    """A one-line progress bar on the terminal; silent when output is not a terminal."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()

    def __call__(self, account: str, done: int, total: int) -> None:
        if total == 0:
            return
        width = 30
        filled = int(width * done / total)
        line = f"\r{account[:24]:<24} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
        if self.tty:
            sys.stderr.write(line)
            if done >= total:
                sys.stderr.write("\n")
            sys.stderr.flush()
        elif done >= total:
            sys.stderr.write(line.lstrip("\r") + "\n")


def cmd_sync(args: argparse.Namespace) -> int:
    from clinic_inbox.sources.sync import run_once

    if not args.once:
        raise CliError("Only `sync --once` runs from the command line; the app syncs continuously.")
    with _open(args) as clinic:
        session = _session(args, clinic)
        report = run_once(
            clinic,
            actor_id=session.staff.id,
            actor=session.staff.username,
            progress=_ProgressBar(),
            send=not args.no_send,
        )
    for line in report.lines() or ["No mail accounts are set up yet."]:
        print(line)
    return sync_exit_code(report)


# `sync --once` exit codes (README, "Everyday commands"); 75 is sysexits' EX_TEMPFAIL
EXIT_SYNC_OFFLINE = 75


def sync_exit_code(report: Any) -> int:
    """1: an account needs a person (wrong password, certificate, refused); 75: none
    does, but an account, or the clinic's shared server that decides who sends the
    receipts, could not be reached (try later; replies wait); 0: all synced."""
    if any(a.error and not a.offline for a in report.accounts):
        return EXIT_FAIL
    waits = (
        any(a.offline for a in report.accounts)
        or report.outbox.for_server
        or report.outbox.unclaimed_waiting
    )
    return EXIT_SYNC_OFFLINE if waits else EXIT_OK


def cmd_reply(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services_reply

    body = _read_text(args.body_file, "reply") if args.body_file != "-" else sys.stdin.read()
    with _open(args) as clinic:
        session = _session(args, clinic)
        if args.preview:  # exactly what the patient reads: the reply, signature, footer
            shown = services_reply.preview_reply(clinic, session, args.thread_id, body)
            print(f"{shown.heading()}\n\n{shown.text}")
            if shown.warning:
                print(f"Before it can go: {shown.warning}")
            print("(preview only: nothing was sent)")
            return EXIT_OK
        item = services_reply.queue_reply(
            clinic, session, args.thread_id, body, consent_reason=args.consent_reason
        )
    print(f"Reply queued (outbox item {item}); it is sent at the next sync.")
    return EXIT_OK


def cmd_user_disable(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services

    with _open(args) as clinic:
        session = _session(args, clinic)
        services.set_staff_active(clinic, session, args.name, args.enable)
    print(f"{args.name} is now {'enabled' if args.enable else 'disabled'}.")
    return EXIT_OK


def cmd_user_reset(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services

    new_password = os.environ.get("CLINIC_INBOX_NEW_PASSWORD") or (
        getpass.getpass(f"New password for {args.name}: ") if _interactive() else None
    )
    if not new_password:
        raise CliError("Give the new password in CLINIC_INBOX_NEW_PASSWORD.")
    with _open(args) as clinic:
        session = _session(args, clinic)
        services.reset_password(clinic, session, args.name, new_password)
    print(f"The password of {args.name} was reset.")
    return EXIT_OK


def cmd_user_unlock(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services

    with _open(args) as clinic:
        session = _session(args, clinic)
        was = services.unlock_account(clinic, session, args.name)
    print(f"{args.name} can sign in again." if was else f"{args.name} was not locked.")
    return EXIT_OK


def _when(text: str | None, tz: Any) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=tz)


def _categories(text: str | None) -> list | None:
    """`--categories refill,results` as categories; none given means all."""
    from clinic_inbox.core.model import Category

    return None if not text else [Category(c) for c in text.split(",")]


def add_scope_arguments(sp: argparse.ArgumentParser) -> None:
    """What a delegation covers, the same options for granting and changing one."""
    sp.add_argument("--categories", help="comma-separated categories (default: all)")
    sp.add_argument("--sensitive", action="store_true", help="include sensitive messages")
    sp.add_argument("--reply", action="store_true", help="may reply on the physician's behalf")
    sp.add_argument("--file", action="store_true", help="may file to the chart")


def cmd_delegate_grant(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services

    with _open(args) as clinic:
        session = _session(args, clinic)
        did = services.grant_delegation(
            clinic,
            session,
            physician=args.physician,
            delegate=args.delegate,
            categories=_categories(args.categories),
            include_sensitive=args.sensitive,
            can_reply=args.reply,
            can_file=args.file,
            starts_at=_when(args.start, clinic.config.tz),
            ends_at=_when(args.end, clinic.config.tz),
        )
    print(f"Delegation {did} granted.")
    return EXIT_OK


def cmd_delegate_revoke(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services

    with _open(args) as clinic:
        session = _session(args, clinic)
        services.revoke_delegation(clinic, session, args.delegation_id)
    print(f"Delegation {args.delegation_id} revoked.")
    return EXIT_OK


def cmd_delegate_list(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services

    with _open(args) as clinic:
        views = services.delegation_views(clinic, _session(args, clinic))
    rows = []
    for v in views:
        g = v.grant
        rows.append(
            {
                "id": g.id,
                "physician": v.physician,
                "delegate": v.delegate,
                "granted_by": v.granted_by,
                "by_administrator": v.by_administrator,
                "categories": None
                if g.categories is None
                else sorted(c.value for c in g.categories),
                "sensitive": g.include_sensitive,
                "reply": g.can_reply,
                "file": g.can_file,
                "starts_at": g.starts_at,
                "ends_at": g.ends_at,
                "revoked_at": g.revoked_at,
            }
        )
    if args.json:
        _print_json(rows)
    else:
        print(
            _table(
                [
                    [
                        str(r["id"]),
                        r["physician"],
                        r["delegate"],
                        ",".join(r["categories"] or ["all"]),
                        "yes" if r["sensitive"] else "no",
                        r["ends_at"] or "-",
                        "revoked" if r["revoked_at"] else "active",
                        f"{r['granted_by']} (ADMINISTRATOR)"
                        if r["by_administrator"]
                        else r["granted_by"],
                    ]
                    for r in rows
                ],
                [
                    "id",
                    "physician",
                    "delegate",
                    "categories",
                    "sensitive",
                    "until",
                    "state",
                    "granted by",
                ],
            )
        )
    return EXIT_OK


def cmd_break_glass(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services

    with _open(args) as clinic:
        session = _session(args, clinic)
        until = services.break_glass(
            clinic, session, args.thread_id, args.reason, ask_password(session.staff.username)
        )
        number = said(clinic, session, args.thread_id)
    print(
        f"Break-glass access to conversation {number} until {until:%H:%M} UTC. "
        "It is recorded and will be reviewed."
    )
    return EXIT_OK


def cmd_audit_enable_server(args: argparse.Namespace) -> int:
    from clinic_inbox.shared import cli_audit
    from clinic_inbox.shared.cli_server import _dsn

    with _open(args) as clinic:
        print(cli_audit.enable_on_server(clinic, _session(args, clinic), _dsn(args)))
    return EXIT_OK


def cmd_audit_export(args: argparse.Namespace) -> int:
    import csv

    from clinic_inbox.core import services
    from clinic_inbox.core.private_files import csv_cell, open_private

    with _open(args) as clinic:
        from clinic_inbox.shared import cli_audit

        if cli_audit.is_shared(clinic) and not args.local:  # every workstation's entries
            text = cli_audit.export_csv(
                clinic,
                _session(args, clinic),
                patient_id=args.patient,
                since=args.since,
                until=args.until,
            )
            if not args.out:
                sys.stdout.write(text)
                return EXIT_OK
            with open_private(Path(args.out), "w", newline="", encoding="utf-8") as out:
                out.write(text)
            return EXIT_OK
        rows = services.export_audit(
            clinic,
            _session(args, clinic),
            patient_id=args.patient,
            since=args.since,
            until=args.until,
        )
    out = (
        open_private(Path(args.out), "w", newline="", encoding="utf-8") if args.out else sys.stdout
    )
    try:
        w = csv.writer(out)
        w.writerow(
            [
                "id",
                "at",
                "actor",
                "action",
                "patient_id",
                "thread_id",
                "message_id",
                "reason",
                "detail",
            ]
        )
        for e in rows:
            # every cell escaped: a break-glass reason or a user name must never run as a
            # formula in the spreadsheet the privacy officer opens
            w.writerow(
                [
                    csv_cell(v)
                    for v in (
                        e.id,
                        e.at,
                        e.actor,
                        e.action,
                        e.patient_id or "",
                        e.thread_id or "",
                        e.message_id or "",
                        e.reason or "",
                        json.dumps(e.detail, sort_keys=True),
                    )
                ]
            )
    finally:
        if out is not sys.stdout:
            out.close()
    return EXIT_OK


def cmd_audit_reveal_search(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services

    with _open(args) as clinic:
        words = services.reveal_search_terms(clinic, _session(args, clinic), args.entry_id)
    print(words)
    return EXIT_OK


BACKUP_PASSPHRASE_ENV = "CLINIC_INBOX_BACKUP_PASSPHRASE"


def _backup_passphrase(args: argparse.Namespace, confirm: bool) -> str | None:
    if not args.passphrase:
        return None
    env = os.environ.get(BACKUP_PASSPHRASE_ENV)
    if env:
        return env
    if not _interactive():
        raise CliError(f"Give the backup passphrase in {BACKUP_PASSPHRASE_ENV}.")
    first = getpass.getpass("Backup passphrase: ")
    if confirm and getpass.getpass("Type it again: ") != first:
        raise CliError("The two passphrases differ.")
    return first


def cmd_backup(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services
    from clinic_inbox.core.backup import keys_file

    with _open(args) as clinic:
        session = _session(args, clinic)
        # the role is checked (and a refusal audited) before any passphrase is asked
        services.check_backup_allowed(clinic, session, Path(args.out), args.passphrase)
        info = services.backup_store(
            clinic, session, Path(args.out), passphrase=_backup_passphrase(args, True)
        )
    print(
        f"Backup written and verified: {info.path} ({info.size / 1048576:.1f} MB, "
        f"{info.messages} messages)."
    )
    if not info.with_passphrase:
        print(f"Keep {keys_file(info.path).name} beside it: restore needs it (it holds no key).")
    return EXIT_OK


def _refuse_if_sound(args: argparse.Namespace, backup_name: str) -> None:
    """--replace-damaged puts a backup in place of a store that cannot be read. On a
    sound store it would only roll the clinic (and its audit trail) back: refused, and
    the attempt is written into that store's audit trail."""
    from clinic_inbox.core import services
    from clinic_inbox.core.home import ClinicNotFoundError, StoreDamagedError, open_clinic
    from clinic_inbox.core.keys import KeyCustodyError, SignInNeededError

    try:
        try:
            clinic = open_clinic(_home(args), ask_passphrase, check=True)
        except SignInNeededError:  # the key is released by the administrator's password
            clinic = _open_signed_in(args, check=True)
    except (StoreDamagedError, ClinicNotFoundError):
        return  # damaged or missing: what the option is for
    except services.AuthError as exc:
        raise CliError(f"{exc} Nothing was replaced.") from None
    except KeyCustodyError as exc:
        raise CliError(
            f"{exc}\nWithout the key Clinic Inbox cannot check whether the store is damaged, "
            "so nothing was replaced."
        ) from None
    with clinic:
        session = getattr(args, "signed_in", None)
        if session is None:
            try:
                session = services.login(clinic, args.user, ask_password(args.user))
            except services.AuthError:
                session = None
        services.refuse_replacing_sound_store(clinic, session, backup_name)


def cmd_restore(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services
    from clinic_inbox.core.backup import restore_backup
    from clinic_inbox.core.backup_schedule import latest_backup, replace_damaged_store

    home = _home(args)
    if not args.user:
        raise CliError(
            "Restoring a backup needs an administrator: add --user NAME (an administrator of "
            f"the clinic in the backup; the password is read from {PASSWORD_ENV} or asked)."
        )
    code = sys.stdin.readline().strip() if args.recovery_code_stdin else None
    if args.file == "latest":
        found = latest_backup(home)
        if found is None:
            raise CliError(f"There is no automatic backup for the clinic in {home}.")
        args.file = str(found)
    backup_name = Path(args.file).name
    if args.replace_damaged:
        if args.passphrase:
            raise CliError("--replace-damaged takes the clinic's own backups (same key).")
        _refuse_if_sound(args, backup_name)
        check = services.restore_sign_in(
            args.user, ask_password(args.user), backup_name=backup_name, replaced_damaged=True
        )
        info, aside = replace_damaged_store(
            home, Path(args.file), ask_passphrase, recovery_code=code, authorize=check
        )
        print(
            f"Restored {info.messages} messages from {backup_name}. The damaged store "
            f"was kept, still encrypted, in {aside}. Messages that arrived after the backup "
            "come back at the next sync; notes and replies written since are not in it."
        )
        _reanchor(home, args.user)
        return EXIT_OK
    check = services.restore_sign_in(
        args.user, ask_password(args.user), backup_name=backup_name, replaced_damaged=False
    )
    info, new_code = restore_backup(
        Path(args.file),
        home,
        ask_passphrase,
        backup_passphrase=_backup_passphrase(args, False),
        recovery_code=code,
        authorize=check,
        purged_file=Path(args.purged) if args.purged else None,
        only_copy=args.only_copy,
    )
    print(f"Restored {info.messages} messages into {home} (backup verified before and after).")
    if new_code:
        _print_recovery(new_code)
    if getattr(check, "waiting", None):
        print(
            "The restored clinic's new key opens only by staff passwords; these people need "
            f"a password reset (`user reset NAME`) before they can sign in: {', '.join(check.waiting)}"
        )
    _reanchor(home, args.user)
    return EXIT_OK


def _reanchor(home: Path, user: str) -> None:
    """A restore starts a new epoch of the audit trail: anchor it off this computer now
    when that needs no prompt (keyring custody); otherwise the next sign-in does."""
    from clinic_inbox.core import staff_keys
    from clinic_inbox.core.home import open_clinic
    from clinic_inbox.core.keys import KeyCustody

    custody = KeyCustody(home)
    if custody.record().method != "keyring":
        return
    found = None
    if custody.record().sealed:  # the administrator who restored releases the key again
        found = staff_keys.release(home, custody, user, ask_password(user))
    with open_clinic(home, ask_passphrase, custody, found=found) as clinic:
        _anchor_at_close(clinic)


def cmd_export(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services

    formats = tuple(
        f.strip() for part in (args.format or ["pdf"]) for f in part.split(",") if f.strip()
    )
    if args.to_fhir and "fhir" not in formats:
        formats = (*formats, "fhir")
    from clinic_inbox.core.private_files import private_dir

    out = private_dir(Path(args.out).resolve())
    with _open(args) as clinic:
        session = _session(args, clinic)
        password = ask_password(session.staff.username)
        if args.thread_id is not None:
            threads = [args.thread_id]
        elif args.finished_since:
            threads = services.finished_since(clinic, session, args.finished_since)
        else:
            raise CliError("Name a conversation, or --finished-since DATE for a batch.")
        portal = services.chart_portal(clinic, session, args.to_fhir) if args.to_fhir else None
        from clinic_inbox.sources.chart_network import LIVE

        unsent = False
        for tid in threads:
            done = services.file_to_chart(
                clinic,
                session,
                tid,
                formats=formats,
                out_dir=out,
                password=password,
                include_notes=args.include_notes,
                portal=portal,
                network=LIVE,
            )
            filed = done.filed
            names = ", ".join(p.name for p in filed.paths)
            extra = f" (replaces {filed.replaces})" if filed.replaces else ""
            print(
                f"Conversation {said(clinic, session, tid)}: filed as {filed.document_id} "
                f"v{filed.version}{extra}: {names}"
            )
            for line in done.lines():
                print(f"  {line}")
            unsent = unsent or (portal is not None and done.sent_to is None)
        if not threads:
            print("No finished conversations since that date.")
    return EXIT_FAIL if unsent else EXIT_OK


def cmd_link(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services_consent

    with _open(args) as clinic:
        session = _session(args, clinic)
        result = services_consent.link_as(
            clinic, session, args.thread_id, args.patient, args.sender_is
        )
    print(result.describe())
    return EXIT_OK


def cmd_confirm_sender(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services

    with _open(args) as clinic:
        session = _session(args, clinic)
        services.confirm_sender(clinic, session, args.thread_id, args.how)
        number = said(clinic, session, args.thread_id)
    print(f"The sender of conversation {number} is confirmed; this is recorded.")
    return EXIT_OK


def cmd_patient_physician(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services

    with _open(args) as clinic:
        session = _session(args, clinic)
        doc = services.staff_id_named(clinic, session, args.physician) if args.physician else None
        services.set_responsible_physician(clinic, session, args.patient_id, doc)
    print(f"Patient {args.patient_id}: responsible physician is now {args.physician or 'nobody'}.")
    return EXIT_OK


def cmd_break_glass_review(args: argparse.Namespace) -> int:
    from clinic_inbox.core import services

    with _open(args) as clinic:
        session = _session(args, clinic)
        if args.mark is not None:  # one opening marked reviewed, on this computer or another
            return _mark_reviewed(args, clinic, session)
        if args.workstation:
            raise CliError("--workstation names the computer of the opening given with --mark.")
        if args.clinic:  # every workstation's openings, from the clinic's audit trail
            from clinic_inbox.shared import cli_audit

            _print_json(cli_audit.break_glass(clinic, session))
            return EXIT_OK
        rows = services.break_glass_review(clinic, session)
        seen = services.seen_as(clinic, session, [r[2] for r in rows])
    data = [
        {
            "id": r[0],
            "staff": r[1],
            "thread_id": r[2],
            # the conversation's number as people see it (the clinic's, with a shared server)
            "number": seen[r[2]].number,
            "clinic_number": seen[r[2]].clinic_number,
            "patient": r[3],
            "reason": r[4],
            "started_at": r[5],
            "expires_at": r[6],
            "reviewed_at": r[7],
            "reviewed_by": r[8],
        }
        for r in rows
    ]
    if args.json:
        _print_json(data)
    else:
        print(
            _table(
                [
                    [
                        str(d["id"]),
                        d["staff"],
                        seen[d["thread_id"]].label,
                        d["patient"] or "-",
                        d["reason"][:40],
                        d["started_at"],
                        f"{d['reviewed_at']} by {d['reviewed_by'] or '?'}"
                        if d["reviewed_at"]
                        else "not yet",
                    ]
                    for d in data
                ],
                ["id", "who", "conversation", "patient", "reason", "when", "reviewed"],
            )
        )
    return EXIT_OK


def _mark_reviewed(args: argparse.Namespace, clinic: Any, session: Any) -> int:
    """`break-glass-review --mark N [--workstation W]`: the opening number N made on this
    computer (or on workstation W, by its id or name) marked reviewed."""
    from clinic_inbox.shared import break_glass_clinic

    done = break_glass_clinic.mark_reviewed(clinic, session, args.mark, args.workstation)
    if args.json:
        _print_json(dataclasses.asdict(done))
        return EXIT_OK
    where = f" (made on {args.workstation})" if args.workstation else ""
    if not done.new:
        print(
            f"Break-glass opening {done.opening}{where} was already reviewed by {done.by} on {done.at}."
        )
        return EXIT_OK
    print(f"Break-glass opening {done.opening}{where} marked reviewed by {done.by} on {done.at}.")
    if done.mark is not None and not done.on_server:
        print(
            "The clinic's shared server could not take it now: it waits on this computer and "
            "goes with the next exchange with the server."
        )
    return EXIT_OK


# -- parser --------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    # Accepted before or after the subcommand; SUPPRESS keeps a subcommand's
    # absent option from overwriting one given before it.
    def options(default: Any) -> argparse.ArgumentParser:
        parent = argparse.ArgumentParser(add_help=False)
        parent.add_argument(
            "--home",
            default=default,
            help="data folder (default: CLINIC_INBOX_HOME or the user data folder)",
        )
        parent.add_argument(
            "--user",
            default=default,
            help=f"staff user name; password from {PASSWORD_ENV} or a prompt",
        )
        return parent

    common = options(argparse.SUPPRESS)

    p = argparse.ArgumentParser(
        prog="clinic-inbox",
        parents=[options(None)],
        description="Clinic Inbox: patient messages for the clinic, triaged, private, on the record.",
    )
    p.add_argument("--version", action="version", version=f"clinic-inbox {__version__}")
    p.set_defaults(func=cmd_gui)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def add(
        name: str, func: Callable[[argparse.Namespace], int], help: str, parent: Any = sub
    ) -> argparse.ArgumentParser:
        sp = parent.add_parser(name, parents=[common], help=help, description=help)
        sp.set_defaults(func=func)
        return sp

    sp = add("demo", cmd_demo, "create the demo clinic if absent, then open the app")
    sp.add_argument("--no-gui", action="store_true", help="only create the demo clinic")
    sp.add_argument(
        "--screenshot", metavar="PATH", help="render a screen offscreen to a PNG and exit"
    )
    sp.add_argument("--view", choices=["board", "thread", "dashboard"], default="board")

    sp = add("init", cmd_init, "create an empty clinic with its first administrator")
    sp.add_argument("--admin", required=True, metavar="NAME")
    sp.add_argument("--display-name")
    from clinic_inbox.cli_init import add_arguments

    add_arguments(sp)

    user = sub.add_parser("user", help="staff accounts").add_subparsers(
        dest="user_cmd", required=True
    )
    sp = add("list", cmd_user_list, "list staff", user)
    sp.add_argument("--json", action="store_true")
    sp = add("add", cmd_user_add, "add a staff member (administrators)", user)
    sp.add_argument("name")
    sp.add_argument(
        "--role", required=True, choices=["receptionist", "nurse", "physician", "admin"]
    )
    sp.add_argument("--display-name")

    sp = add("disable", cmd_user_disable, "disable a staff account (administrators)", user)
    sp.add_argument("name")
    sp.set_defaults(enable=False)
    sp = add("enable", cmd_user_disable, "enable a staff account again (administrators)", user)
    sp.add_argument("name")
    sp.set_defaults(enable=True)
    sp = add(
        "reset", cmd_user_reset, "reset a password (new one in CLINIC_INBOX_NEW_PASSWORD)", user
    )
    sp.add_argument("name")
    from clinic_inbox.cli_patients import register_user

    register_user(add, user)
    sp = add("unlock", cmd_user_unlock, "let a locked-out account sign in again", user)
    sp.add_argument("name")

    dlg = sub.add_parser("delegate", help="delegations of a physician's inbox").add_subparsers(
        dest="delegate_cmd", required=True
    )
    sp = add("grant", cmd_delegate_grant, "delegate part of a physician's inbox", dlg)
    sp.add_argument("--physician", required=True)
    sp.add_argument("--to", dest="delegate", required=True, metavar="STAFF")
    add_scope_arguments(sp)
    sp.add_argument("--start", help="ISO date-time (default: now)")
    sp.add_argument("--end", help="ISO date-time (default: until revoked)")
    sp = add("revoke", cmd_delegate_revoke, "revoke a delegation", dlg)
    sp.add_argument("delegation_id", type=record_id)
    sp = add("list", cmd_delegate_list, "list delegations", dlg)
    sp.add_argument("--json", action="store_true")
    from clinic_inbox.cli_staff_edits import register as register_staff_edits

    register_staff_edits(add, user, dlg)

    sp = add("break-glass", cmd_break_glass, "open a conversation you may not read, for a reason")
    sp.add_argument("thread_id", type=conversation_number)
    sp.add_argument("--reason", required=True)

    sp = add("list", cmd_list, "list messages")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--status", choices=["new", "in_progress", "waiting_on_patient", "done"])
    sp.add_argument("--category")
    sp.add_argument("--priority", choices=["urgent", "same_day", "routine", "admin"])
    sp.add_argument("--source", choices=["email", "portal"])
    sp.add_argument("--search", help="full-text search")
    sp.add_argument("--limit", type=record_id, help="at most this many messages")

    sp = add("show", cmd_show, "show one conversation")
    sp.add_argument("thread_id", type=conversation_number)
    sp.add_argument("--json", action="store_true")

    account = sub.add_parser("account", help="mail and portal accounts").add_subparsers(
        dest="account_cmd", required=True
    )
    sp = add("add-imap", cmd_account_add_imap, "add an email account (IMAP in, SMTP out)", account)
    sp.add_argument("--name", required=True)
    sp.add_argument("--host", required=True)
    sp.add_argument("--port", type=int, default=993)
    sp.add_argument("--username", required=True)
    sp.add_argument("--security", choices=["tls", "starttls", "none"], default="tls")
    sp.add_argument("--mailbox", default="INBOX")
    sp.add_argument("--smtp-host")
    sp.add_argument("--smtp-port", type=int, default=465)
    sp.add_argument("--smtp-security", choices=["tls", "starttls", "none"], default="tls")
    sp.add_argument("--smtp-username")
    sp.add_argument("--from-address", help="the clinic's address on replies (default: user name)")
    sp.add_argument("--ca-file", help="trust this CA certificate (the clinic's own CA)")
    sp.add_argument("--sent-folder", default="Sent")
    sp.add_argument(
        "--mark-read", action="store_true", help="mark fetched messages as read on the server"
    )
    sp.add_argument("--filed-folder", help="move messages there after they are filed to the chart")
    sp.add_argument("--password-stdin", action="store_true")
    sp = add("add-fhir", cmd_account_add_fhir, "add a patient portal (FHIR R4)", account)
    sp.add_argument("--name", required=True)
    sp.add_argument("--base-url", required=True)
    sp.add_argument("--practitioner", action="append", metavar="ID", help="repeatable")
    sp.add_argument("--organization", metavar="ID")
    sp.add_argument("--ca-file")
    sp.add_argument(
        "--staff-practitioner",
        action="append",
        metavar="USER=ID",
        help="which Practitioner a staff member writes as (repeatable)",
    )
    sp.add_argument("--token-stdin", action="store_true", help="read a bearer token from stdin")
    sp = add("list", cmd_account_list, "list accounts", account)
    sp.add_argument("--json", action="store_true")

    sp = add("sync", cmd_sync, "pull new messages from every account and send queued replies")
    sp.epilog = (
        "exit status: 0 every account synced; 1 an account needs a person (wrong password, "
        "untrusted certificate, refused); 75 an account could not be reached (try again later)"
    )
    sp.add_argument("--once", action="store_true", help="run one pass and exit")
    sp.add_argument("--no-send", action="store_true", help="only pull, keep replies queued")

    sp = add("reply", cmd_reply, "queue a reply to a conversation")
    sp.add_argument("thread_id", type=conversation_number)
    sp.add_argument("--body-file", required=True, help="text file with the reply, or - for stdin")
    sp.add_argument(
        "--consent-reason",
        help="why it may go by email although the patient has not agreed (recorded)",
    )
    sp.add_argument("--preview", action="store_true", help="show what would be sent; send nothing")

    pat = sub.add_parser("patient", help="the patient registry").add_subparsers(
        dest="patient_cmd", required=True
    )
    sp = add("physician", cmd_patient_physician, "set a patient's responsible physician", pat)
    sp.add_argument("patient_id", type=record_id)
    sp.add_argument("--physician", help="user name (omit to clear)")

    sp = add("break-glass-review", cmd_break_glass_review, "break-glass openings to review")
    sp.add_argument("--json", action="store_true")
    sp.add_argument(
        "--clinic", action="store_true", help="every workstation's openings (JSON, shared server)"
    )
    sp.add_argument(
        "--mark",
        type=record_id,
        metavar="N",
        help="mark opening N reviewed (its number on the computer it was made on)",
    )
    sp.add_argument(
        "--workstation",
        metavar="W",
        help="with --mark: the computer the opening was made on (name or id; default this one)",
    )

    from clinic_inbox.cli_patients import register as register_patients

    register_patients(add, pat, record_id)
    from clinic_inbox.cli_settings import register as register_settings

    register_settings(add, account, pat, record_id)
    sp = add("link", cmd_link, "file an unmatched conversation under a patient")
    sp.add_argument("thread_id", type=conversation_number)
    sp.add_argument("--patient", type=record_id, required=True, metavar="PATIENT_ID")
    sp.add_argument(
        "--sender-is",
        choices=["patient", "proxy", "other"],
        default="patient",
        help="who wrote: the patient (their address is remembered), a proxy with an "
        "authorisation on record, or someone else (nothing remembered)",
    )

    sp = add("confirm-sender", cmd_confirm_sender, "confirm who sent an unverified email")
    sp.add_argument("thread_id", type=conversation_number)
    sp.add_argument("--how", required=True, help="how you confirmed it (kept in the record)")

    sp = add("export", cmd_export, "file a conversation to the medical record")
    sp.add_argument("thread_id", type=conversation_number, nargs="?")
    sp.add_argument("--format", action="append", help="pdf, fhir, hl7v2 (repeat or comma-separate)")
    sp.add_argument("--out", required=True, metavar="DIR")
    sp.add_argument("--to-fhir", metavar="ACCOUNT", help="also send the FHIR Bundle to this portal")
    sp.add_argument("--include-notes", action="store_true", help="include internal notes")
    sp.add_argument(
        "--finished-since", metavar="DATE", help="batch: every finished conversation since"
    )

    sp = add("backup", cmd_backup, "write an encrypted, verified backup of the store")
    sp.add_argument("--out", required=True, metavar="FILE")
    sp.add_argument(
        "--passphrase",
        action="store_true",
        help=f"encrypt with a backup passphrase ({BACKUP_PASSPHRASE_ENV} or a prompt)",
    )
    sp = add("restore", cmd_restore, "restore a backup into an empty data folder")
    sp.add_argument("file", help="the backup file, or `latest` for the newest automatic one")
    sp.add_argument(
        "--replace-damaged",
        action="store_true",
        help="the store is damaged: keep it aside and put this backup in its place",
    )
    sp.add_argument("--passphrase", action="store_true", help="the backup has its own passphrase")
    sp.add_argument(
        "--recovery-code-stdin",
        action="store_true",
        help="on another computer: unlock with the recovery code read from stdin",
    )
    sp.add_argument(
        "--purged",
        metavar="FILE",
        help="the clinic's current purged.json (from its data folder): removals since the backup",
    )
    sp.add_argument(
        "--only-copy",
        action="store_true",
        help="administrators: this backup is the only copy left; restore it without a "
        "newer purged.json (recorded in the audit trail)",
    )

    add("doctor", cmd_doctor, "check the store, its key custody and integrity")

    from clinic_inbox.cli_consent import register as consent_commands

    consent_commands(sub, add, record_id)

    key = sub.add_parser("key", help="key custody").add_subparsers(dest="key_cmd", required=True)
    add("change", cmd_key_change, "re-encrypt the store under a new key (app closed)", key)
    add("seal", cmd_key_seal, "take the raw key out of the keyring now (administrators)", key)
    sp = add("recover", cmd_key_recover, "restore access with the recovery code", key)
    sp.add_argument("--code-stdin", action="store_true")

    from clinic_inbox.shared.cli_server import register as register_server

    register_server(sub, add)

    aud = sub.add_parser("audit", help="audit trail").add_subparsers(
        dest="audit_cmd", required=True
    )
    sp = add("verify", cmd_audit_verify, "verify the audit trail's chain", aud)
    sp.add_argument(
        "--clinic", action="store_true", help="also every workstation's trail on the shared server"
    )
    sp = add(
        "enable-server",
        cmd_audit_enable_server,
        "add the clinic-wide audit to a shared server prepared by an older version",
        aud,
    )
    sp.add_argument("--dsn", required=True, help="the login that prepared the server")
    sp = add("export", cmd_audit_export, "export the audit trail (administrators)", aud)
    sp.add_argument("--csv", action="store_true", help="CSV (the only format)")
    sp.add_argument("--patient", type=record_id, help="only this patient id")
    sp.add_argument("--since", help="from this date (ISO)")
    sp.add_argument("--until", help="before this date (ISO)")
    sp.add_argument("--out", help="file to write (default: standard output)")
    sp.add_argument(
        "--local", action="store_true", help="only this computer's trail (with a shared server)"
    )
    sp = add(
        "reveal-search",
        cmd_audit_reveal_search,
        "show the words of one audited search (administrators; the showing is audited)",
        aud,
    )
    sp.add_argument("entry_id", type=record_id)

    from clinic_inbox.cli_compose import register as register_compose

    register_compose(add, sub, record_id)
    from clinic_inbox.cli_cover import register as register_cover

    register_cover(add, sub, record_id)
    from clinic_inbox.cli_billing import register as register_billing

    register_billing(add, sub, record_id)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from clinic_inbox.core.access import AccessDenied
    from clinic_inbox.core.hardening import no_crash_dumps
    from clinic_inbox.core.home import StoreDamagedError
    from clinic_inbox.core.keys import KeyCustodyError
    from clinic_inbox.core.services import AuthError, NotFound, StoreError
    from clinic_inbox.shared import SharedQueueError

    no_crash_dumps()  # a crash must not write patient data into a core file
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except StoreDamagedError as exc:
        from clinic_inbox.core.backup_schedule import latest_backup

        latest = latest_backup(exc.home) if exc.home else None
        print(f"clinic-inbox: {exc}", file=sys.stderr)
        if latest:
            print(
                f"The latest backup is {latest}. To put it back: "
                "clinic-inbox restore latest --replace-damaged",
                file=sys.stderr,
            )
        return EXIT_FAIL
    except (
        CliError,
        KeyCustodyError,
        StoreError,
        AuthError,
        AccessDenied,
        NotFound,
        ValueError,
        SharedQueueError,
    ) as exc:
        print(f"clinic-inbox: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        print("clinic-inbox: stopped.", file=sys.stderr)
        return 130
    except OSError as exc:
        # a file or folder named on the command line: say which and why, no traceback
        where = f" ({exc.filename})" if exc.filename else ""
        print(
            f"clinic-inbox: {exc.strerror or 'a file could not be used'}{where}.", file=sys.stderr
        )
        return EXIT_FAIL
    except Exception as exc:  # noqa: BLE001 - last resort: a traceback may carry patient data
        if os.environ.get("CLINIC_INBOX_DEBUG") == "1":
            raise
        print(
            f"clinic-inbox: this command stopped on an unexpected error ({type(exc).__name__}). "
            "Its details are not printed because they may contain patient data; run it again "
            "with CLINIC_INBOX_DEBUG=1 to see them, and tell your IT support.",
            file=sys.stderr,
        )
        return EXIT_FAIL


if __name__ == "__main__":
    raise SystemExit(main())
