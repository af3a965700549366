"""`clinic-inbox sync --once` says by its exit status what happened, for scripts and
schedulers: 0 every account synced, 1 an account needs a person (a wrong password),
75 an account could not be reached (try again later). Real Dovecot, SMTP server and
keyring; the account is changed between runs through Settings' own service."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

from support.dovecot import free_port

from clinic_inbox.core import services
from clinic_inbox.core import services_settings as settings
from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import KeyCustody

REPO = Path(__file__).resolve().parents[2]
ADMIN_PW = "quartz lantern meadow violin"


def _sync(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "clinic_inbox", "--user", "admin", "sync", "--once", "--no-send"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )


def test_sync_exit_status_says_what_happened(tmp_path, dovecot, smtp_server, secret_service):
    home = tmp_path / "clinic"
    dovecot.add_user("inbox@clinic.example", "mailbox-password")
    clinic, _ = create_clinic(
        home, lambda p, c: "", KeyCustody(home, backend=secret_service.backend())
    )
    with clinic:
        services.create_first_admin(clinic, "admin", "Alex Admin", ADMIN_PW)
        admin = services.login(clinic, "admin", ADMIN_PW)
        account = ImapAccount(
            "Clinic email", dovecot.host, dovecot.port, "inbox@clinic.example",
            security="none", smtp_host=smtp_server.host, smtp_port=smtp_server.port,
            smtp_security="none",
        )  # fmt: skip
        aid = services.add_imap_account(clinic, admin, account, "mailbox-password")
        env = {**secret_service.env, "CLINIC_INBOX_HOME": str(home),
               "CLINIC_INBOX_PASSWORD": ADMIN_PW}  # fmt: skip

        done = _sync(env)
        assert done.returncode == 0, done.stdout + done.stderr

        closed = dataclasses.replace(account, port=free_port())
        settings.update_account(clinic, admin, aid, closed)
        done = _sync(env)
        assert done.returncode == 75, done.stdout + done.stderr
        assert "Traceback" not in done.stderr

        settings.update_account(clinic, admin, aid, account, "not the password")
        done = _sync(env)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "Traceback" not in done.stderr
