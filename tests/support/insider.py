"""An insider at the clinic's workstation: the demo clinic, the `clinic-inbox` command
in a real process, and the store opened afterwards to see what really happened
(tests/security)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_cli(
    home: Path,
    *args: str,
    user: str | None = None,
    password: str | None = "demo",
    stdin: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """`clinic-inbox [--user USER] ARGS` as a person types it (the demo's key is wrapped
    by its published passphrase, no keyring)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS", "CLINIC_INBOX"))}
    full.update(
        {"CLINIC_INBOX_HOME": str(home), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    )
    if password is not None:
        full["CLINIC_INBOX_PASSWORD"] = password
    full.update(env or {})
    who = ["--user", user] if user else []
    return subprocess.run(
        [sys.executable, "-m", "clinic_inbox", *who, *args],
        env=full,
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def make_demo(home: Path) -> Path:
    done = run_cli(home, "demo", "--no-gui")
    assert done.returncode == 0, done.stderr
    return home


def open_demo(home: Path):  # noqa: ANN201 - Clinic
    from clinic_inbox.core.home import open_clinic
    from clinic_inbox.core.keys import KeyCustody

    return open_clinic(home, lambda p, c: "", KeyCustody(home, detect=False))


def audit_rows(home: Path, action: str | None = None) -> list:
    from clinic_inbox.core import audit

    with open_demo(home) as clinic:
        rows = audit.entries(clinic.store)
    return [e for e in rows if action is None or e.action == action]


def list_json(home: Path, user: str, *args: str) -> list[dict]:
    done = run_cli(home, "list", "--json", *args, user=user)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
