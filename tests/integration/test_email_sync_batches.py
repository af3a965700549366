"""Growing batches keep the checkpoint exact: a sync killed at any moment has stored
exactly the messages up to its checkpoint. A batch is stored in short transactions
(STORE_SLICE_S each, so the app's own writes get the lock between them), each with a
checkpoint that covers exactly what it stored: the checkpoint may sit inside a batch.

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
from clinic_inbox.sources import email_sync
from clinic_inbox.sources.email_sync import (
    BATCH_BYTES,
    FIRST_BATCH,
    MAX_BATCH,
    next_batch_size,
    scope,
)
from clinic_inbox.sources.imap import Fetched
from clinic_inbox.sources.sync_rules import RulesLater

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
        before = last
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
        assert last >= before, "the checkpoint went back"
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


def _account(clinic):
    return accounts.imap_accounts(clinic.store)[0]


def test_a_batch_is_stored_in_slices_each_with_its_checkpoint(cli_clinic, dovecot, monkeypatch):
    """Slices of one message (STORE_SLICE_S 0): every transaction commits one message
    and a checkpoint that covers exactly the messages stored so far."""
    clinic, _ = cli_clinic
    n = 30
    dovecot.append_many(USER, corpus(n, seed=31))
    monkeypatch.setattr(email_sync, "STORE_SLICE_S", 0.0)
    monkeypatch.setattr(email_sync, "SLICE_PAUSE_S", 0.0)
    checkpoints: list[tuple[int, list[int]]] = []
    set_checkpoint = sq.set_checkpoint

    def recorded(store, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        # inside the slice's transaction: what it stored is visible on its connection
        checkpoints.append((kwargs["last_uid"], sorted(_stored(clinic))))
        return set_checkpoint(store, *args, **kwargs)

    monkeypatch.setattr(sq, "set_checkpoint", recorded)
    report = email_sync.sync_account(clinic, RulesLater(None), _account(clinic), PASSWORD)
    assert report.stored == n
    assert len(checkpoints) == n  # one transaction per message: the batches were sliced
    for last, stored in checkpoints:
        assert stored == list(range(1, last + 1))
    assert [last for last, _ in checkpoints] == list(range(1, n + 1))


def test_a_slice_that_fails_rolls_back_alone_and_the_next_sync_stores_the_rest_once(
    cli_clinic, dovecot, monkeypatch
):
    clinic, _ = cli_clinic
    n = 30
    dovecot.append_many(USER, corpus(n, seed=32))
    monkeypatch.setattr(email_sync, "STORE_SLICE_S", 0.0)
    monkeypatch.setattr(email_sync, "SLICE_PAUSE_S", 0.0)
    store_one = email_sync._store_one
    calls = {"n": 0}

    class Crash(BaseException):
        """As a kill mid-transaction: nothing of the slice may remain."""

    def crashing(*args, **kwargs):  # noqa: ANN002, ANN003
        calls["n"] += 1
        if calls["n"] == 13:
            raise Crash
        return store_one(*args, **kwargs)

    monkeypatch.setattr(email_sync, "_store_one", crashing)
    with pytest.raises(Crash):
        email_sync.sync_account(clinic, RulesLater(None), _account(clinic), PASSWORD)
    cp = sq.get_checkpoint(clinic.store, int(_account(clinic).id or 0), scope("INBOX"))
    assert cp is not None and cp.last_uid == 12
    assert sorted(_stored(clinic)) == list(range(1, 13))
    monkeypatch.setattr(email_sync, "_store_one", store_one)
    report = email_sync.sync_account(clinic, RulesLater(None), _account(clinic), PASSWORD)
    assert report.stored == n - 12
    assert sorted(_stored(clinic)) == list(range(1, n + 1))
