"""A large sync's parse workers give way to the app's own process (the window)."""

from __future__ import annotations

import os

from clinic_inbox.sources.parse_pool import PARALLEL_FROM, WORKER_NICE, ParsePool


def test_parse_workers_run_at_a_lower_priority_than_the_app():
    mine = os.nice(0)
    with ParsePool(PARALLEL_FROM, workers=2) as pool:
        assert pool.parallel
        theirs = pool._pool.submit(os.nice, 0).result(timeout=60)  # a real spawned worker
    assert theirs == min(mine + WORKER_NICE, 19)
    assert os.nice(0) == mine, "the app itself keeps its priority"
