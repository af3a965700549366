"""Workstations for the shared-queue tests: a clinic folder each, keys in a real keyring.

Every workstation has the same staff (by user name), as a clinic's would once staff
are shared; here each is created locally.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from clinic_inbox.core import services
from clinic_inbox.core.config import load_config
from clinic_inbox.core.home import Clinic, create_clinic, open_clinic
from clinic_inbox.core.ingest import Incoming, ingest
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Role, Source
from clinic_inbox.core.staff_keys import release
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.triage import load_rules
from clinic_inbox.shared import server as srv

ADMIN_PASSWORD = "quartz lantern meadow violin"
REPO = Path(__file__).resolve().parents[2]
STAFF = [
    ("dr.patel", "Dr Anjali Patel", Role.PHYSICIAN),
    ("nurse.chen", "Nurse Mei Chen", Role.NURSE),
    ("reception.moreau", "Claire Moreau", Role.RECEPTIONIST),
]
STAFF_PASSWORD = "kettle orbit maple frost"


def _never(prompt: str, confirm: bool) -> str:
    raise AssertionError("keyring custody: no passphrase expected")


def new_workstation(home: Path, backend: Any) -> Clinic:
    clinic, _ = create_clinic(home, _never, KeyCustody(home, backend=backend))
    services.create_first_admin(clinic, "admin", "Admin", ADMIN_PASSWORD)
    admin = services.login(clinic, "admin", ADMIN_PASSWORD)
    for username, name, role in STAFF:
        services.add_staff(clinic, admin, username, name, role, STAFF_PASSWORD)
    return clinic


def reopen(home: Path, backend: Any) -> Clinic:
    # the store key is released by a staff password (key slots, core.staff_keys), not by
    # the keyring alone; opened without a sign-in entry, like the helper it replaces
    custody = KeyCustody(home, backend=backend)
    found = release(home, custody, "admin", ADMIN_PASSWORD)
    return open_clinic(home, _never, custody, found=found)


def login(clinic: Clinic, username: str) -> services.Session:
    pw = ADMIN_PASSWORD if username == "admin" else STAFF_PASSWORD
    return services.login(clinic, username, pw)


def receive(clinic: Clinic, n: int, tag: str = "") -> list[int]:
    """n patient e-mails, each its own conversation; returns the thread ids."""
    cfg = load_config(clinic.home)
    rules = load_rules(clinic.home)
    with clinic.store.transaction():
        acct = q.ensure_account(clinic.store, f"Inbox{tag}", "imap", {})
    threads = []
    now = datetime.now(UTC)
    with clinic.store.transaction():
        for i in range(n):
            got = ingest(
                clinic.store,
                cfg,
                rules,
                Incoming(
                    source=Source.EMAIL,
                    account_id=acct,
                    received_at=now - timedelta(minutes=n - i),
                    sender_address=f"zoe.quennell{tag}{i}@example.org",
                    sender_name=f"Zoë Quennell{tag}{i}",
                    subject=f"Renewal of thyroxine tablets {tag}{i}",
                    body_text=f"Bonjour, my levothyroxine prescription ran out. Ref {tag}{i}",
                    message_id=f"<renewal-{tag}{i}@example.org>",
                    imap_mailbox="INBOX",
                    imap_uidvalidity=1,
                    imap_uid=i + 1,
                ),
            )
            threads.append(got.thread_id)
    return threads


def writes_again(clinic: Clinic, uid: int, body: str, msgid: str, reply_to: str | None) -> int:
    """One e-mail from Zoë Quennell, fetched here (IMAP uid `uid`): a new conversation,
    or with `reply_to` her writing again in the one that Message-ID began. Returns the
    conversation."""
    with clinic.store.transaction():
        acct = q.ensure_account(clinic.store, "Inbox", "imap", {})
    with clinic.store.transaction():
        got = ingest(
            clinic.store,
            load_config(clinic.home),
            load_rules(clinic.home),
            Incoming(
                source=Source.EMAIL,
                account_id=acct,
                received_at=datetime.now(UTC),
                sender_address="zoe.quennell@example.org",
                sender_name="Zoë Quennell",
                subject="Re: my thyroxine" if reply_to else "my thyroxine",
                body_text=body,
                message_id=msgid,
                in_reply_to=reply_to,
                references=[reply_to] if reply_to else [],
                imap_mailbox="INBOX",
                imap_uidvalidity=1,
                imap_uid=uid,
            ),
        )
    return got.thread_id


class Joined:
    """Workstations joined to one clinic server (the first prepared it), each with its
    own keyring and an open link; `close()` ends them all. `before_joining` runs on
    each new workstation first (staff a test needs everywhere)."""

    def __init__(
        self, tmp_path: Path, dsn: str, keyring_factory: Any, n: int, before_joining: Any = None
    ) -> None:
        rings = [keyring_factory() for _ in range(n)]
        homes = [tmp_path / f"ws-{chr(ord('a') + i)}" for i in range(n)]
        self.clinics = [new_workstation(h, r.backend()) for h, r in zip(homes, rings, strict=True)]
        if before_joining is not None:
            for c in self.clinics:
                before_joining(c)
        custody = [KeyCustody(h, backend=r.backend()) for h, r in zip(homes, rings, strict=True)]
        first = self.clinics[0]
        init = srv.init_server(first, login(first, "admin"), dsn, custody[0])
        for c, k in zip(self.clinics[1:], custody[1:], strict=True):
            srv.connect_workstation(c, login(c, "admin"), dsn, init.clinic_code, k)
        self.links = [srv.open_link(c, k) for c, k in zip(self.clinics, custody, strict=True)]

    def close(self) -> None:
        for link in self.links:
            link.conn.close()
        for c in self.clinics:
            c.close()


def cli_env(home: Path, keyring: Any, user: str) -> dict[str, str]:
    """The environment of a `clinic-inbox --user USER` process on the workstation at
    `home`: its keyring's session, USER's password, nothing of this process's clinic
    settings."""
    # here, not at the top: workstation processes import this module without tests/
    from support.fast_kdf import child_pythonpath

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS", "CLINIC_INBOX"))}
    env.update(keyring.env)
    password = ADMIN_PASSWORD if user == "admin" else STAFF_PASSWORD
    env.update({"CLINIC_INBOX_HOME": str(home), "CLINIC_INBOX_PASSWORD": password})
    env["PYTHONPATH"] = child_pythonpath(REPO)
    return env


def admin_cli(
    home: Path, keyring: Any, *args: str, stdin: str | None = None, server_pw: str | None = None
) -> subprocess.CompletedProcess:
    """`clinic-inbox --user admin ARGS` as its own process on the workstation at `home`,
    with its keyring's session and nothing of this process's clinic settings."""
    return staff_cli(home, keyring, "admin", *args, stdin=stdin, server_pw=server_pw)


def staff_cli(
    home: Path,
    keyring: Any,
    user: str,
    *args: str,
    stdin: str | None = None,
    server_pw: str | None = None,
) -> subprocess.CompletedProcess:
    """`clinic-inbox --user USER ARGS` (any of the staff above) as its own process on the
    workstation at `home`, as `admin_cli`."""
    env = cli_env(home, keyring, user)
    if server_pw is not None:
        env["CLINIC_INBOX_SERVER_PASSWORD"] = server_pw
    return subprocess.run(
        [sys.executable, "-m", "clinic_inbox", "--user", user, *args],
        env=env,
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )
