"""Peer tools a technical clinic could use instead of Clinic Inbox: mbsync + notmuch.

Everything lives in a work folder (config, maildir, notmuch database, HOME), so the
real home is never touched.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import time
from pathlib import Path

from bench.common import p50_p95

PACKAGES = ["isync", "notmuch"]  # isync provides mbsync


def ensure_tools() -> str | None:
    """Install isync and notmuch if missing (as root); an error string if that is impossible."""
    if shutil.which("mbsync") and shutil.which("notmuch"):
        return None
    if os.geteuid() != 0:
        return f"mbsync/notmuch missing; install as root: apt-get install {' '.join(PACKAGES)}"
    # No recommends: notmuch would otherwise pull in Emacs, Vim and alot front ends.
    cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *PACKAGES]
    done = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    if done.returncode != 0 or not (shutil.which("mbsync") and shutil.which("notmuch")):
        return f"apt-get install failed ({done.returncode}): {done.stderr.strip()[-500:]}"
    return None


def _env(workdir: Path) -> dict[str, str]:
    return {**os.environ, "HOME": str(workdir), "NOTMUCH_CONFIG": str(workdir / "notmuch-config")}


def _run(cmd: list[str], workdir: Path) -> str:
    done = subprocess.run(
        cmd,
        env=_env(workdir),
        cwd=workdir,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def tls_keyword() -> str:
    """`TLSType` since isync 1.5; 1.4 (Debian 12: 1.4.4) only knows `SSLType`."""
    out = subprocess.run(["mbsync", "--version"], capture_output=True, text=True).stdout
    m = re.search(r"(\d+)\.(\d+)", out)
    return "TLSType" if m and (int(m[1]), int(m[2])) >= (1, 5) else "SSLType"


def mbsync_notmuch_ingest(host: str, port: int, user: str, password: str, workdir: Path) -> dict:
    """Pull INBOX with mbsync into a maildir, then index it with `notmuch new`; timed apart."""
    workdir.mkdir(parents=True, exist_ok=True)
    maildir = workdir / "mail"
    maildir.mkdir(exist_ok=True)
    conf = workdir / "mbsyncrc"
    conf.write_text(
        f"""IMAPAccount bench
Host {host}
Port {port}
User {user}
Pass "{password}"
{tls_keyword()} None
AuthMechs LOGIN

IMAPStore bench-remote
Account bench

MaildirStore bench-local
Path {maildir}/
Inbox {maildir}/INBOX

Channel bench
Far :bench-remote:
Near :bench-local:
Patterns INBOX
Sync Pull
Create Near
SyncState *
"""
    )
    conf.chmod(0o600)
    (workdir / "notmuch-config").write_text(
        f"""[database]
path={maildir}

[user]
name=Bench
primary_email={user}

[new]
tags=unread;inbox;
ignore=

[maildir]
synchronize_flags=true
"""
    )
    t0 = time.perf_counter()
    _run(["mbsync", "-c", str(conf), "-a"], workdir)
    t1 = time.perf_counter()
    _run(["notmuch", "new", "--quiet"], workdir)
    t2 = time.perf_counter()
    # Mail files only: maildir cur/ and new/ folders (not mbsync's state files).
    messages = sum(1 for p in maildir.rglob("*") if p.is_file() and p.parent.name in ("cur", "new"))
    return {
        "mbsync_s": t1 - t0,
        "notmuch_new_s": t2 - t1,
        "total_s": t2 - t0,
        "messages": messages,
    }


def notmuch_search_latency(
    workdir: Path, queries: list[str], repeat: int = 2
) -> tuple[float, float]:
    """p50 and p95 in ms of `notmuch search` per query, as bench.search_bench.search_latency computes them.

    Each figure includes starting the notmuch process and opening its database;
    see notmuch_startup_ms for that part alone.
    """
    times = []
    for _ in range(repeat):
        for text in queries:
            # Words as separate terms: notmuch's implicit operator is AND, like the
            # app's search (every word must match), not a phrase.
            cmd = ["notmuch", "search", "--limit=200", "--output=threads", *text.split()]
            t = time.perf_counter()
            _run(cmd, workdir)
            times.append((time.perf_counter() - t) * 1000)
    return p50_p95(times)


def notmuch_startup_ms(workdir: Path) -> float:
    """Median of 5 `notmuch count '*'` runs in ms: roughly process start plus opening the database."""
    times = []
    for _ in range(5):
        t = time.perf_counter()
        _run(["notmuch", "count", "*"], workdir)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)
