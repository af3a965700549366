"""Smoke test of the PyInstaller bundle (`make package` runs it after the build; CI runs
it only when asked, the build takes minutes): the built program, started from outside
the checkout with nothing of the checkout on its path, answers --version and --help,
creates the demo clinic and renders its board offscreen to a PNG, opens its window on
a virtual X11 display (when xvfb-run is installed), and carries the resources, the
forms and SQLCipher. Exits non-zero, saying what failed, otherwise.

    python packaging/smoke_bundle.py dist/clinic-inbox
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main(bundle: Path) -> int:
    program = bundle / "clinic-inbox"
    if not program.is_file():
        print(f"no program at {program}: build it first (make package)", file=sys.stderr)
        return 1
    inside = bundle / "_internal"
    for part in (
        "clinic_inbox/resources/triage_rules.toml",
        "clinic_inbox/resources/demo/people.toml",
        "clinic_inbox/resources/icons/clinic-inbox.svg",
        "clinic_inbox/forms/settings_backups.ui",
    ):
        if not (inside / part).is_file():
            print(f"the bundle lacks {part}", file=sys.stderr)
            return 1
    if not list(inside.glob("sqlcipher3/_sqlite3*.so")):
        print("the bundle lacks SQLCipher (sqlcipher3/_sqlite3)", file=sys.stderr)
        return 1
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["QT_QPA_PLATFORM"] = "offscreen"
    with tempfile.TemporaryDirectory(prefix="ci-bundle-") as tmp:
        home = Path(tmp) / "demo"
        shot = Path(tmp) / "board.png"
        steps = [
            (["--version"], lambda out: out.startswith("clinic-inbox ")),
            (["--help"], lambda out: "COMMAND" in out and "demo" in out),
            (["--home", str(home), "demo", "--no-gui"], lambda out: "Demo clinic ready" in out),
            (["--home", str(home), "demo", "--screenshot", str(shot)], lambda out: True),
        ]
        for args, good in steps:
            started = time.monotonic()
            done = subprocess.run(
                [str(program), *args], cwd="/", env=env, capture_output=True, text=True,
                timeout=300,
            )  # fmt: skip
            took = time.monotonic() - started
            if done.returncode != 0 or not good(done.stdout) or "Traceback" in done.stderr:
                print(f"clinic-inbox {' '.join(args)} failed ({done.returncode}):", file=sys.stderr)
                print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
                return 1
            print(
                f"ok  clinic-inbox {' '.join(args[-2:]) if len(args) > 2 else args[0]}  ({took:.1f} s)"
            )
        header = shot.read_bytes()[:8] if shot.exists() else b""
        if header != b"\x89PNG\r\n\x1a\n" or shot.stat().st_size < 20_000:
            print("the screenshot is missing or empty", file=sys.stderr)
            return 1
        if shutil.which("xvfb-run"):
            problem = _starts_on_x11(program, home, env)
            if problem:
                print(problem, file=sys.stderr)
                return 1
            print("ok  clinic-inbox (the app on an X11 display, Xvfb: still running after 10 s)")
        else:
            print("--  not tried on an X11 display (xvfb-run is not installed)")
        # the store really is SQLCipher: plain SQLite cannot read it
        try:
            sqlite3.connect(home / "clinic.db").execute("SELECT count(*) FROM sqlite_master")
        except sqlite3.DatabaseError:
            pass
        else:
            print("the demo store opened without a key", file=sys.stderr)
            return 1
    print(f"The bundle works: {bundle} ({_size(bundle) / 1e6:.0f} MB)")
    return 0


def _starts_on_x11(program: Path, home: Path, env: dict[str, str]) -> str | None:
    """The app itself (its sign-in window) on a virtual X display through Qt's xcb
    plugin, the one a Linux desktop uses: a missing library stops it at once."""
    x_env = {k: v for k, v in env.items() if k != "QT_QPA_PLATFORM"}
    proc = subprocess.Popen(
        ["xvfb-run", "-a", "-s", "-screen 0 1366x768x24", str(program), "--home", str(home)],
        env=x_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its own group: stopped below with everything it started
    )  # fmt: skip
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        return None
    out, err = proc.communicate()
    return f"the app stopped at once on an X11 display ({proc.returncode}): {err[-1500:]}"


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "dist/clinic-inbox")))
