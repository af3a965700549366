"""A write transaction gets the lock in the short gaps between another connection's
(the sync's batches run back to back on their own connection): the app's actions do
not starve behind them (issue 19). Real SQLCipher stores, two connections, threads."""

from __future__ import annotations

import threading
import time

import pytest
import sqlcipher3

from clinic_inbox.core.store import connection, create_store, open_store

KEY = bytes(range(32))
HOLD_S, GAP_S = 0.4, 0.04  # a long batch, then a short pause before the next


@pytest.fixture()
def two(tmp_path):
    path = tmp_path / "c.db"
    create_store(path, KEY).close()
    a, b = open_store(path, KEY), open_store(path, KEY)
    yield a, b
    a.close()
    b.close()


def _busy(store, stop: threading.Event, gap: float) -> threading.Thread:  # noqa: ANN001
    def hold() -> None:
        while not stop.is_set():
            with store.transaction():
                time.sleep(HOLD_S)
            time.sleep(gap)

    t = threading.Thread(target=hold, daemon=True)
    t.start()
    return t


def test_a_transaction_starts_in_the_next_gap_between_another_s(two):
    """SQLite's busy handler sleeps 50-100 ms at a time and caught one 40 ms gap in about
    three: five starts in a row each within two gaps failed nine times in ten."""
    holder, waiter = two
    stop = threading.Event()
    t = _busy(holder, stop, GAP_S)
    try:
        time.sleep(0.05)
        waits = []
        for _ in range(5):
            started = time.monotonic()
            with waiter.transaction():
                waits.append(time.monotonic() - started)
            time.sleep(0.1)
    finally:
        stop.set()
        t.join()
    assert max(waits) < 2 * (HOLD_S + GAP_S), waits


def test_a_lock_never_released_still_ends_in_the_busy_error(two, monkeypatch):
    holder, waiter = two
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_MS", 300)
    stop = threading.Event()
    t = _busy(holder, stop, 0.0)
    try:
        time.sleep(0.05)
        started = time.monotonic()
        with pytest.raises(sqlcipher3.OperationalError, match="locked"):
            with waiter.transaction():
                pass
        assert 0.25 < time.monotonic() - started < 2.0
    finally:
        stop.set()
        t.join()
    with waiter.transaction():  # and the connection works as before afterwards
        assert waiter.one("PRAGMA busy_timeout") == 300
