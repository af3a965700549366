"""How much of the labelled sets the slow triage checks read.

`make test` reads a fixed share of them, chosen by position or by a digest of the
ids, never by chance, so the suite stays well under its time budget as every round
adds a part. A triage round sets `TRIAGE_ROUND=1` (or the older
`TRIAGE_ALL_VARIANTS=1`) before it commits, and the same checks then read everything
they read before the share was cut: every automatic variant of every development
emergency, and twice the sample of messages for the fast-path and gate checks.
"""

from __future__ import annotations

import os


def full() -> bool:
    """True when the checks should read the whole of what a triage round reads."""
    return any(os.environ.get(name) == "1" for name in ("TRIAGE_ROUND", "TRIAGE_ALL_VARIANTS"))


def step(round_step: int) -> int:
    """Every how many messages a sampled check reads: `round_step` in a round, twice
    that in `make test`."""
    return round_step if full() else 2 * round_step
