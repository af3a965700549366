"""A first sync starts the parse workers' fork server (~2.7 s of CPU, ~200 MB) only when
it will use it, decided from the mailbox's size before any message is fetched; a large
one starts it before its first fetch, and its own process never compiles the triage
rules (~1.5 s of CPU): the workers triage, with the clinic's own rules file if it has one.

Real Dovecot, the real `sync --once` command in its own process (a fork server is one
per process). The process is started through a small wrapper that notes, each time the
rules are compiled and at the first fetch, whether the fork server is running then, and
at exit whether it ever started: nothing of the sync itself is replaced."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.fast_kdf import child_pythonpath
from support.mailgen import corpus

from clinic_inbox.core import services
from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.triage import load_rules, triage
from clinic_inbox.sources.parse_pool import PARALLEL_FROM

USER, PASSWORD = "inbox@clinic.example", "mailbox-password"
STAFF_PASSWORD = "quartz lantern meadow violin"
REPO = Path(__file__).resolve().parents[2]

WRAPPER = """
import atexit, json, runpy, sys
from multiprocessing import forkserver
from clinic_inbox.core import triage

from clinic_inbox.sources.imap import ImapConnection

out, compiled, fetched = sys.argv.pop(1), [], []
real_load, real_fetch = triage._load, ImapConnection.fetch


def running():
    return forkserver._forkserver._forkserver_pid is not None


def noting_load(path):
    compiled.append(running())
    return real_load(path)


def noting_fetch(self, *args, **kwargs):
    fetched.append(running())
    return real_fetch(self, *args, **kwargs)


triage._load = noting_load
ImapConnection.fetch = noting_fetch


@atexit.register
def note():
    ran = forkserver._forkserver._forkserver_pid is not None
    with open(out, "w") as fh:
        json.dump(
            {"server_when_rules_compiled": compiled, "server_at_first_fetch": fetched[:1],
             "server_started": ran},
            fh,
        )


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
        env={**os.environ, **env, "PYTHONPATH": child_pythonpath(REPO)},
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


def test_a_large_first_sync_starts_it_before_fetching_and_leaves_triage_to_it(
    cli_clinic, dovecot, tmp_path
):
    clinic, env = cli_clinic
    (clinic.home / "triage_rules.toml").write_text(
        '[[red_flag]]\nid = "custom"\nlabel = "blue lantern"\npatterns = ["blue lantern"]\n'
    )
    n = PARALLEL_FROM + 20
    raws = [
        raw.replace(b"Subject: ", b"Subject: I saw the blue lantern, ", 1) if i % 50 == 7 else raw
        for i, raw in enumerate(corpus(n, seed=32))
    ]
    dovecot.append_many(USER, raws)
    noted = _first_sync(env, tmp_path / "noted.json")
    assert _stored(clinic) == n
    assert noted["server_started"]
    assert noted["server_at_first_fetch"] == [True]  # warming up while the first batch comes
    assert noted["server_when_rules_compiled"] == [], "the workers triage, not this process"
    # triaged by the clinic's own rules file, as this process would triage them
    own, shipped = load_rules(clinic.home), load_rules()
    rows = clinic.store.execute(
        "SELECT subject, body_text, priority FROM messages WHERE direction = 'in'"
    ).fetchall()
    assert len(rows) == n
    for subject, body, priority in rows:
        assert priority == triage(subject, body or "", own).priority.value, subject
    assert any(
        priority == "urgent" and triage(subject, body or "", shipped).priority.value != "urgent"
        for subject, body, priority in rows
    ), "no message urgent by the clinic's own rule alone"
