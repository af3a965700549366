"""A first sync starts the parse workers' fork server (~2.7 s of CPU, ~200 MB) only when
it will use it, decided from the mailbox's size before any message is fetched; a large
one starts it before the triage rules compile, so both warm up side by side.

Real Dovecot, the real `sync --once` command in its own process (a fork server is one
per process). The process is started through a small wrapper that notes, each time the
rules are compiled, whether the fork server is running then, and at exit whether it
ever started: nothing of the sync itself is replaced."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.mailgen import corpus

from clinic_inbox.core import services
from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.sources.parse_pool import PARALLEL_FROM

USER, PASSWORD = "inbox@clinic.example", "mailbox-password"
STAFF_PASSWORD = "quartz lantern meadow violin"
REPO = Path(__file__).resolve().parents[2]

WRAPPER = """
import atexit, json, runpy, sys
from multiprocessing import forkserver
from clinic_inbox.core import triage

out, compiled = sys.argv.pop(1), []
real_load = triage._load


def noting_load(path):
    compiled.append(forkserver._forkserver._forkserver_pid is not None)
    return real_load(path)


triage._load = noting_load


@atexit.register
def note():
    ran = forkserver._forkserver._forkserver_pid is not None
    with open(out, "w") as fh:
        json.dump({"server_when_rules_compiled": compiled, "server_started": ran}, fh)


sys.argv = ["clinic-inbox", "--user", "admin", "sync", "--once", "--no-send"]
runpy.run_module("clinic_inbox", run_name="__main__", alter_sys=True)
"""


@pytest.fixture()
def cli_clinic(tmp_path, dovecot, secret_service):
    home = tmp_path / "clinic"
    dovecot.add_user(USER, PASSWORD)
    clinic, _ = create_clinic(
        home, lambda p, c: "unused", KeyCustody(home, backend=secret_service.backend())
    )
    services.create_first_admin(clinic, "admin", "Alex Admin", STAFF_PASSWORD)
    admin = services.login(clinic, "admin", STAFF_PASSWORD)
    account = ImapAccount(
        name="Clinic email", host=dovecot.host, port=dovecot.port, username=USER,
        security="none", smtp_host=dovecot.host, smtp_security="none", from_address=USER,
    )  # fmt: skip
    services.add_imap_account(clinic, admin, account, PASSWORD)
    env = {
        **secret_service.env,
        "CLINIC_INBOX_HOME": str(home),
        "CLINIC_INBOX_PASSWORD": STAFF_PASSWORD,
    }
    yield clinic, env
    clinic.close()


def _first_sync(env: dict[str, str], noted: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(noted)],
        env={**os.environ, **env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(noted.read_text())


def _stored(clinic) -> int:
    return clinic.store.execute("SELECT count(*) FROM messages WHERE direction = 'in'").fetchone()[
        0
    ]


def test_a_small_first_sync_never_starts_the_fork_server(cli_clinic, dovecot, tmp_path):
    clinic, env = cli_clinic
    n = 40
    assert n < PARALLEL_FROM
    dovecot.append_many(USER, corpus(n, seed=31))
    noted = _first_sync(env, tmp_path / "noted.json")
    assert _stored(clinic) == n
    assert noted["server_when_rules_compiled"] == [False]  # compiled once, no server
    assert not noted["server_started"], "a small first sync started the workers' fork server"


def test_a_large_first_sync_starts_it_before_the_rules_compile(cli_clinic, dovecot, tmp_path):
    clinic, env = cli_clinic
    n = PARALLEL_FROM + 20
    dovecot.append_many(USER, corpus(n, seed=32))
    noted = _first_sync(env, tmp_path / "noted.json")
    assert _stored(clinic) == n
    assert noted["server_started"]
    # once, in the sync process, with the server already warming up beside it
    assert noted["server_when_rules_compiled"] == [True]
