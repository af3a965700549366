"""An insider at the clinic's workstation: the demo clinic, the `clinic-inbox` command
in a real process, and the store opened afterwards to see what really happened
(tests/security)."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
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


_template: Path | None = None


def _demo_template() -> Path:
    """The demo clinic as `clinic-inbox demo --no-gui` makes it, once per test process."""
    global _template
    if _template is None:
        where = Path(tempfile.mkdtemp(prefix="ci-demo-template-"))
        atexit.register(shutil.rmtree, where, True)
        done = run_cli(where / "clinic", "demo", "--no-gui")
        assert done.returncode == 0, done.stderr
        _template = where / "clinic"
    return _template


def make_demo(home: Path) -> Path:
    """A demo clinic of this test's own in `home`: a copy of the one made once per
    process (making one took 2-5 s of Argon2, scrypt and 1,000 messages every time).
    A copy in another folder is a clinic of its own from there on: the audit counter is
    kept per folder (core/audit_anchor.place_of), as for a backup restored elsewhere."""
    if home.exists() and any(home.iterdir()):
        raise FileExistsError(f"{home} is not empty")
    shutil.copytree(_demo_template(), home, symlinks=True, dirs_exist_ok=True)
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
