"""`clinic-inbox server …`: the shared server from the command line.

The server's password never goes on the command line (other users can read it in
the process list): it comes from CLINIC_INBOX_SERVER_PASSWORD or a prompt, and is
kept sealed in the store with the clinic's keys (core.workstation_secrets).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from typing import Any

from clinic_inbox.shared import SharedQueueError

SERVER_PASSWORD_ENV = "CLINIC_INBOX_SERVER_PASSWORD"


def _dsn(args: argparse.Namespace) -> str:
    import psycopg

    try:
        parts = psycopg.conninfo.conninfo_to_dict(args.dsn)
    except psycopg.ProgrammingError:
        raise SharedQueueError(
            "The server address is not written correctly (expected something like "
            "`host=server.clinic.lan dbname=clinic user=frontdesk1`)."
        ) from None
    if "password" in parts:
        raise SharedQueueError(
            "Leave the password out of --dsn (others could read it in the process list): "
            f"set {SERVER_PASSWORD_ENV} or type it when asked."
        )
    password = os.environ.get(SERVER_PASSWORD_ENV)
    if password is None and sys.stdin is not None and sys.stdin.isatty():
        password = getpass.getpass(
            f"Password of {parts.get('user', 'this workstation')} on the server: "
        )
    if password:
        parts["password"] = password
    return psycopg.conninfo.make_conninfo(**parts)


def cmd_server_init(args: argparse.Namespace) -> int:
    from clinic_inbox.cli import _open, _session
    from clinic_inbox.shared.server import init_server

    with _open(args) as clinic:
        session = _session(args, clinic)
        done = init_server(clinic, session, _dsn(args))
    print(f"The shared server {done.server} is ready for this clinic.")
    print(f"Clinic id: {done.clinic_id}    This workstation: {done.workstation_id}")
    print()
    print("CLINIC CODE (shown only this once; print it and lock it away):")
    print(f"    {done.clinic_code}")
    print(
        "Other workstations join with `clinic-inbox server connect --dsn … --code-stdin`; "
        "the same code restores the clinic's keys if every workstation is lost."
    )
    return 0


def cmd_server_upgrade(args: argparse.Namespace) -> int:
    from clinic_inbox.cli import _open, _session
    from clinic_inbox.shared.server import upgrade_server

    with _open(args) as clinic:
        session = _session(args, clinic)
        before, after = upgrade_server(clinic, session, _dsn(args))
    if before == after:
        print(f"The shared server already has this app's schema ({after}). Nothing to do.")
    else:
        print(f"The shared server was upgraded from schema {before} to {after}.")
    return 0


def _clinic_code(args: argparse.Namespace) -> str:
    """The clinic code, from stdin with --code-stdin or typed without echo."""
    from clinic_inbox.cli import CliError

    if args.code_stdin:
        return sys.stdin.readline().strip()
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass("Clinic code: ")
    raise CliError("No clinic code: use --code-stdin or run in a terminal.")


def cmd_server_connect(args: argparse.Namespace) -> int:
    from clinic_inbox.cli import _open, _session
    from clinic_inbox.shared.server import connect_workstation, server_label

    code = _clinic_code(args)
    with _open(args) as clinic:
        session = _session(args, clinic)
        dsn = _dsn(args)
        ws = connect_workstation(clinic, session, dsn, code)
    print(f"This computer now works with the shared server {server_label(dsn)} (workstation {ws}).")
    return 0


def cmd_server_publish(args: argparse.Namespace) -> int:
    from clinic_inbox.cli import _open, _session
    from clinic_inbox.core import access
    from clinic_inbox.core.store import queries as q
    from clinic_inbox.core.store import shared_queries as shq
    from clinic_inbox.shared.server import open_link
    from clinic_inbox.shared.sync import publish_conversation

    with _open(args) as clinic:
        session = _session(args, clinic)
        staff = q.get_staff(clinic.store, session.staff.id)
        access.require(
            staff is not None and access.can_manage_settings(staff),
            "Only an administrator can put this computer's conversations on the shared server.",
        )
        ids = args.thread_id or shq.threads_to_publish(clinic.store)
        link = open_link(clinic)
        try:
            fresh = list(ids)
            for t in fresh:
                publish_conversation(clinic, link, t, session.staff.id)
        finally:
            link.conn.close()
    print(f"Published {len(fresh)} conversations (or their new messages) to {link.label}.")
    return 0


def cmd_server_sync(args: argparse.Namespace) -> int:
    from clinic_inbox.cli import _open, _session
    from clinic_inbox.core.store import shared_queries as shq
    from clinic_inbox.core.workstation_identity import retired_notice
    from clinic_inbox.shared.live import LiveSync
    from clinic_inbox.shared.server import open_link
    from clinic_inbox.shared.sync import PULL_BATCH, pull, push

    with _open(args) as clinic:
        _session(args, clinic)  # a signed-in member of staff, as for mail sync
        if shq.linked_clinic(clinic.store) is None:
            rejoin = retired_notice(clinic.store)  # a copy: it must join again first
            if rejoin is not None:
                raise SharedQueueError(rejoin)
            print("This computer works alone (no shared server): nothing to send or receive.")
            return 0
        if not args.follow:
            link = open_link(clinic)
            try:
                pushed = push(clinic, link)
                pulled = 0
                while True:
                    got = pull(clinic, link)
                    pulled += len(got.applied)
                    if len(got.applied) < PULL_BATCH:
                        break
            finally:
                link.conn.close()
            refused = (
                f", {pushed.refused} refused by the server (`clinic-inbox server conflicts` "
                "says why)"
                if pushed.refused
                else ""
            )
            print(
                f"Sent {pushed.applied} changes ({pushed.conflicts} not applied: someone else "
                f"was first{refused}), received {pulled}."
            )
            return 0
        live = LiveSync(
            clinic,
            on_applied=lambda ch: print(f"received {len(ch)} changes", flush=True),
            on_error=lambda msg: print(msg, file=sys.stderr, flush=True),
        ).start()
        try:
            while True:
                time.sleep(3600)
        finally:
            live.stop()


def cmd_server_status(args: argparse.Namespace) -> int:
    from clinic_inbox.cli import _open, _print_json, _session
    from clinic_inbox.core.store import shared_queries as shq

    with _open(args) as clinic:
        _session(args, clinic)
        s = clinic.store
        info = {
            "server": shq.server_label(s),
            "clinic_id": shq.linked_clinic(s),
            "workstation_id": shq.workstation_id(s),
            "cursor": shq.cursor(s),
            "waiting_to_send": shq.pending_count(s),
            "conflicts": len(shq.conflicts(s)),
        }
        if info["server"] is not None:  # the clinic key version this computer seals with
            from clinic_inbox.shared import clinic_keys

            found = clinic_keys.load(clinic)
            info["clinic_key_version"] = found.keys.key_id if found else None
    if args.json:
        _print_json(info)
    elif info["server"] is None:
        print("This computer works alone (no shared server).")
    else:
        print(
            f"Shared server {info['server']}: {info['waiting_to_send']} changes waiting to be "
            f"sent, {info['conflicts']} not applied because someone else was first. "
            f"Clinic key version {info.get('clinic_key_version')}."
        )
    return 0


def cmd_server_conflicts(args: argparse.Namespace) -> int:
    from clinic_inbox.cli import _open, _print_json, _session, _table
    from clinic_inbox.shared import conflicts

    with _open(args) as clinic:
        session = _session(args, clinic)
        if args.apply or args.dismiss:
            conflicts.settle(clinic, session, args.apply or args.dismiss, bool(args.apply))
            print("Done. `clinic-inbox server sync` sends it." if args.apply else "Done.")
            return 0
        rows = conflicts.shown(clinic, session).value
    data = [
        {
            "id": c.op_id,
            "thread_id": c.thread_id or None,
            "number": c.number or None,
            "patient_id": c.patient_id,
            "what": c.what,
            "of": c.conversation,
            "yours": c.yours,
            "kept": c.theirs,
            "by": c.who,
            "at": c.when,
            "refused": c.refused or None,  # why the clinic's server refused it
        }
        for c in rows
    ]
    if args.json:
        _print_json(data)
    else:
        print(
            _table(
                [
                    [
                        d["id"],
                        d["number"]
                        or ("patient record" if d["patient_id"] else "")
                        or ("" if d["thread_id"] else "staff"),  # an account, a delegation
                        d["what"],
                        d["yours"],
                        d["kept"],
                        f"{d['by']}: {d['refused']}" if d["refused"] else d["by"],
                        d["at"] or "",
                    ]
                    for d in data
                ],
                ["id", "conversation", "what", "your change", "kept", "by", "at"],
            )
        )
    return 0


def cmd_server_held(args: argparse.Namespace) -> int:
    """Replies of yours held because someone else answered the patient first."""
    from clinic_inbox.cli import _open, _print_json, _session
    from clinic_inbox.core import services
    from clinic_inbox.shared import reply_hold

    with _open(args) as clinic:
        session = _session(args, clinic)
        if args.send or args.discard:
            if args.send:
                reply_hold.send_anyway(clinic, session, args.send)
                print("Your reply is no longer held: it goes to the patient at the next send.")
            else:
                reply_hold.discard_held(clinic, session, args.discard)
                print("Your reply was discarded: it will not be sent.")
            return 0
        data = []
        for w in reply_hold.held_replies(clinic, session):
            (shown,) = [
                h
                for h in reply_hold.held_here(clinic, session, w.thread_id)
                if h.outbox_id == w.outbox_id
            ]
            cards = services.board_threads(clinic, session, [w.thread_id])
            card = cards.get(w.thread_id)
            data.append(
                {
                    "id": w.outbox_id,
                    "number": card.number if card else None,
                    "thread_id": w.thread_id,
                    "why": shown.words,
                }
            )
    if args.json:
        _print_json(data)
    elif not data:
        print("No reply of yours is held.")
    else:
        for d in data:
            print(f"{d['id']}  conversation {d['number'] or d['thread_id']}: {d['why']}")
        print("Send one anyway with --send ID, or discard it with --discard ID.")
    return 0


def cmd_server_join(args: argparse.Namespace) -> int:
    from clinic_inbox.cli import CliError, _open, _session
    from clinic_inbox.shared import enrol

    with _open(args) as clinic:
        session = _session(args, clinic)
        if args.finish:
            ws = enrol.finish(clinic, session)
            if ws is None:
                print(
                    "Not approved yet: ask an administrator to approve this computer's fingerprint."
                )
                return 1
            print(f"This computer now works with the shared server (workstation {ws}).")
            return 0
        if not args.dsn:
            raise CliError("Give the server with --dsn (or --finish once approved).")
        asked = enrol.request(clinic, session, _dsn(args), args.name or os.uname().nodename)
    print(f"Asked to join the shared server {asked.server}.")
    print()
    print(f"    FINGERPRINT: {asked.fingerprint}")
    print()
    print(
        "On a workstation already enrolled, an administrator compares this fingerprint and "
        f"runs `clinic-inbox server approve {asked.fingerprint}`; then run "
        "`clinic-inbox server join --finish` here."
    )
    return 0


def _with_link(args: argparse.Namespace, work: Any) -> Any:
    """An administrator's command on the shared server."""
    from clinic_inbox.cli import _open, _session
    from clinic_inbox.core import access
    from clinic_inbox.core.store import queries as q
    from clinic_inbox.shared.server import open_link

    with _open(args) as clinic:
        session = _session(args, clinic)
        staff = q.get_staff(clinic.store, session.staff.id)
        access.require(
            staff is not None and access.can_manage_settings(staff),
            "Only an administrator can enrol or revoke workstations.",
        )
        link = open_link(clinic)
        try:
            return work(clinic, session, link)
        finally:
            link.conn.close()


def cmd_server_pending(args: argparse.Namespace) -> int:
    from clinic_inbox.cli import _table
    from clinic_inbox.shared import enrol

    rows = _with_link(args, lambda c, s, link: enrol.pending(link))
    print(
        _table(
            [[p.fingerprint, p.name, p.requested_at, p.workstation_id] for p in rows],
            ["fingerprint", "name", "asked at", "workstation"],
        )
    )
    return 0


def cmd_server_approve(args: argparse.Namespace) -> int:
    from clinic_inbox.shared import enrol

    done = _with_link(args, lambda c, s, link: enrol.approve(c, s, link, args.fingerprint))
    print(f"Approved {done.name} ({done.fingerprint}); it can now finish joining.")
    return 0


def cmd_server_revoke(args: argparse.Namespace) -> int:
    from clinic_inbox.shared import enrol

    key_id = _with_link(args, lambda c, s, link: enrol.revoke(c, s, link, args.workstation))
    print(f"Workstation {args.workstation} can no longer sign in to the shared server.")
    if key_id is not None:
        print(
            f"The clinic's key was renewed (version {key_id}): what is written from now on "
            "cannot be read with the keys that workstation holds. The other workstations "
            "take the new key at their next synchronisation."
        )
    return 0


def cmd_server_code_key(args: argparse.Namespace) -> int:
    """For a server prepared before keys were renewed on revocation."""
    from clinic_inbox.shared import key_rotation

    code = _clinic_code(args)
    done = _with_link(args, lambda c, s, link: key_rotation.enable_recovery(c, s, link, code))
    print(
        "The clinic code now restores every renewed key too."
        if done
        else "The clinic code already restores every renewed key; nothing was changed."
    )
    return 0


def _plain(func: Any) -> Any:
    """A database error nobody foresaw still reaches the person in plain words, without
    a traceback."""

    def run(args: argparse.Namespace) -> int:
        import psycopg

        from clinic_inbox.shared import refusals

        try:
            return func(args)
        except psycopg.Error as exc:
            if refusals.is_not_this_workstation(exc):  # schema 14, 16: said in words
                raise refusals.NotThisWorkstation(refusals.not_this_workstation("")) from None
            raise SharedQueueError(
                f"The shared server answered with an error ({type(exc).__name__}). Nothing "
                "more was changed; try again, or tell your IT support."
            ) from None

    return run


def register(sub: Any, add: Any) -> None:
    """The `server` subcommands, added to the main parser."""
    plain_add = add

    def add(name: str, func: Any, help: str, parent: Any) -> Any:  # noqa: A002
        return plain_add(name, _plain(func), help, parent)

    server = sub.add_parser("server", help="the clinic's shared server").add_subparsers(
        dest="server_cmd", required=True
    )
    sp = add(
        "init", cmd_server_init, "prepare an empty PostgreSQL database for this clinic", server
    )
    sp.add_argument("--dsn", required=True, help="e.g. 'host=db.clinic.lan dbname=clinic user=ws1'")
    sp = add(
        "upgrade", cmd_server_upgrade, "bring the server to this app's schema (owner login)", server
    )
    sp.add_argument("--dsn", required=True, help="the login that prepared the server")
    sp = add("connect", cmd_server_connect, "connect this workstation with the clinic code", server)
    sp.add_argument("--dsn", required=True)
    sp.add_argument("--code-stdin", action="store_true", help="read the clinic code from stdin")
    sp = add(
        "publish", cmd_server_publish, "put this computer's conversations on the server", server
    )
    from clinic_inbox.cli import conversation_number  # the clinic's number, with a server

    sp.add_argument("thread_id", type=conversation_number, nargs="*")
    sp = add("sync", cmd_server_sync, "send waiting changes and receive the others'", server)
    sp.add_argument("--follow", action="store_true", help="keep running, live")
    sp = add("join", cmd_server_join, "ask to join a shared server (shows a fingerprint)", server)
    sp.add_argument("--dsn", help="a login allowed to connect (it only asks to join)")
    sp.add_argument("--name", help="this computer's name as administrators see it")
    sp.add_argument("--finish", action="store_true", help="once approved: receive the keys")
    add("pending", cmd_server_pending, "workstations waiting to join", server)
    sp = add("approve", cmd_server_approve, "approve a workstation by its fingerprint", server)
    sp.add_argument("fingerprint")
    sp = add("revoke", cmd_server_revoke, "stop a workstation's access to the server", server)
    sp.add_argument("workstation", metavar="WORKSTATION_ID")
    sp = add(
        "code-key",
        cmd_server_code_key,
        "let the clinic code restore renewed keys too (servers prepared before 10)",
        server,
    )
    sp.add_argument("--code-stdin", action="store_true", help="read the clinic code from stdin")
    sp = add("status", cmd_server_status, "the shared server and what waits", server)
    sp.add_argument("--json", action="store_true")
    sp = add(
        "conflicts", cmd_server_conflicts, "changes not applied because someone was first", server
    )
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--apply", metavar="ID", help="apply your change anyway")
    sp.add_argument("--dismiss", metavar="ID", help="keep what the server has")
    sp = add("held", cmd_server_held, "your replies held: someone else answered first", server)
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--send", type=int, metavar="ID", help="send it anyway (recorded)")
    sp.add_argument("--discard", type=int, metavar="ID", help="never send it (recorded)")
