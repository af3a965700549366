"""Growing batches keep the checkpoint exact: a sync killed at any moment has stored
exactly the messages up to its checkpoint, and the checkpoint sits on a batch's end.

Real Dovecot, real CLI process, real SIGKILL (as test_email_sync.py)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.mailgen import corpus

from clinic_inbox.core import accounts, services
from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.store import sync_queries as sq
from clinic_inbox.sources.email_sync import (
    BATCH_BYTES,
    FIRST_BATCH,
    MAX_BATCH,
    next_batch_size,
    scope,
)
from clinic_inbox.sources.imap import Fetched

USER, PASSWORD = "inbox@clinic.example", "mailbox-password"
STAFF_PASSWORD = "quartz lantern meadow violin"
REPO = Path(__file__).resolve().parents[2]


def _fetched(n: int, size: int) -> list[Fetched]:
    return [Fetched(i + 1, b"x" * size, size, None) for i in range(n)]


def test_batches_double_up_to_the_cap_and_shrink_for_large_messages():
    sizes = [FIRST_BATCH]
    while len(sizes) < 8:
        sizes.append(next_batch_size(sizes[-1], _fetched(sizes[-1], 600)))
    assert sizes[:4] == [50, 100, 200, 400] and set(sizes[3:]) == {MAX_BATCH}
    # 1 MB messages: no more than fit in BATCH_BYTES; one 60 MB message: one at a time
    assert next_batch_size(MAX_BATCH, _fetched(10, 1 << 20)) == BATCH_BYTES // (1 << 20)
    assert next_batch_size(50, _fetched(1, 60 << 20)) == 1
    assert next_batch_size(50, []) == 100  # an empty fetch (messages gone) still grows


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


def _sync(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "clinic_inbox", "--user", "admin", "sync", "--once", "--no-send"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )


def _stored(clinic) -> list[int]:
    return [
        r[0]
        for r in clinic.store.execute(
            "SELECT imap_uid FROM messages WHERE direction = 'in' AND source = 'email'"
        )
    ]


def _wait_for_progress(clinic, proc: subprocess.Popen, before: int) -> None:
    """Until this run has stored a batch (or ended): the kill then lands mid-sync."""
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if len(_stored(clinic)) > before:
            return
        time.sleep(0.05)


def _batch_ends(base: int, n: int) -> set[int]:
    """Where the checkpoint may be after a run that started at `base`: its batches of a
    fresh mailbox (uids 1..n) are 50, 100, 200, 400, 400, ... long."""
    ends, size, at = {base}, FIRST_BATCH, base
    while at < n:
        at = min(n, at + size)
        ends.add(at)
        size = min(size * 2, MAX_BATCH)
    return ends


def test_killed_mid_growing_batches_the_checkpoint_names_exactly_what_is_stored(
    cli_clinic, dovecot
):
    clinic, env = cli_clinic
    n = 1200
    dovecot.append_many(USER, corpus(n, seed=21))
    account_id = int(accounts.imap_accounts(clinic.store)[0].id or 0)
    rnd = random.Random(5)
    seen, kills, last = [], 0, 0
    for _ in range(5):
        proc = _sync(env)
        ends = _batch_ends(last, n)
        _wait_for_progress(clinic, proc, last)
        time.sleep(rnd.uniform(0.0, 1.5))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        cp = sq.get_checkpoint(clinic.store, account_id, scope("INBOX"))
        last = cp.last_uid if cp else 0
        assert sorted(_stored(clinic)) == list(range(1, last + 1)), (
            "checkpoint and messages disagree"
        )
        assert last in ends, f"checkpoint {last} is not the end of a growing batch"
        seen.append(last)
    proc = _sync(env)
    assert proc.wait(timeout=300) == 0, proc.stderr.read().decode()
    rows = clinic.store.execute(
        "SELECT imap_uid, message_id_header FROM messages WHERE direction = 'in'"
    ).fetchall()
    assert sorted(r[0] for r in rows) == list(range(1, n + 1))
    assert len({r[1] for r in rows}) == n
    assert clinic.store.integrity_check() == []
    assert kills > 0
    print(f"\n{kills} kills; checkpoints after each run: {seen}")
