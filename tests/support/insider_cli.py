"""Run `clinic-inbox` as a person at the desk would: a real process, a real store,
passphrase key custody (no keyring) unless a Secret Service is given."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support.clinic_details import INIT_DETAILS

REPO = Path(__file__).resolve().parents[2]
PASSPHRASE = "a long clinic passphrase"
ADMIN = "boss"
ADMIN_PASSWORD = "granite willow echo lantern"
NURSE_PASSWORD = "kettle orbit maple frost"


def run(
    home: Path,
    *args: str,
    password: str | None = ADMIN_PASSWORD,
    stdin: str | None = None,
    extra_env: dict[str, str] | None = None,
    keyring_env: dict[str, str] | None = None,
    state_dir: Path | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS", "CLINIC_INBOX"))}
    env.update({"CLINIC_INBOX_HOME": str(home), "CLINIC_INBOX_PASSPHRASE": PASSPHRASE})
    if keyring_env:
        env.update(keyring_env)
    else:
        env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    if state_dir is not None:
        env["CLINIC_INBOX_STATE_DIR"] = str(state_dir)
    if password is not None:
        env["CLINIC_INBOX_PASSWORD"] = password
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "clinic_inbox", *args],
        env=env,
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start(home: Path, *args: str, password: str, **kw: object) -> subprocess.Popen:
    """The same, without waiting: for attempts made side by side."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS", "CLINIC_INBOX"))}
    env.update(
        {
            "CLINIC_INBOX_HOME": str(home),
            "CLINIC_INBOX_PASSPHRASE": PASSPHRASE,
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "CLINIC_INBOX_PASSWORD": password,
        }
    )
    return subprocess.Popen(
        [sys.executable, "-m", "clinic_inbox", *args],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def new_clinic(home: Path, **kw: object) -> None:
    """`init` with an administrator, then a nurse added by that administrator."""
    done = run(home, "init", "--admin", ADMIN, *INIT_DETAILS, **kw)  # type: ignore[arg-type]
    assert done.returncode == 0, done.stderr
    done = run(
        home,
        "--user",
        ADMIN,
        "user",
        "add",
        "nurse.chen",
        "--role",
        "nurse",
        extra_env={"CLINIC_INBOX_NEW_PASSWORD": NURSE_PASSWORD},
        **kw,  # type: ignore[arg-type]
    )
    assert done.returncode == 0, done.stderr
