"""One workstation of the shared-queue fault harness, as its own process.

    python fault_ws.py HOME TAG SEED

Opens the clinic in HOME (key from the keyring named by the environment), keeps it in
step with the server (`LiveSync`: push, pull, audit shipping) and plays staff at
random on the shared conversations: views, assignments, status changes and notes,
each a real service call (audited, queued for the server in the same transaction).
Every note's text is unique (`TAG-n`) so the harness can count them everywhere.
It stops when the file HOME/STOP appears, or when it is killed.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from fault_common import NOTE_WORDS, Staff, open_workstation  # noqa: E402

from clinic_inbox.core.store import shared_queries as shq  # noqa: E402
from clinic_inbox.shared.live import LiveSync  # noqa: E402


def main(home: str, tag: str, seed: int) -> int:
    clinic = open_workstation(home)
    live = LiveSync(clinic, interval=2.0, app=f"clinic-inbox-{tag}").start()
    rng = random.Random(seed)
    staff = Staff.sign_in(clinic, rng)
    stop = Path(home) / "STOP"
    start_n = int(clinic.store.one("SELECT count(*) FROM thread_notes") or 0)
    n = 0
    while not stop.exists():
        threads = [t for t, _ in shq.shared_threads(clinic.store)]
        if not threads:
            time.sleep(0.2)
            continue
        t = rng.choice(threads)
        kind = rng.choice(("view", "view", "assign", "status", "note"))
        if kind == "note":
            n += 1
        staff.act(t, kind, f"{NOTE_WORDS} {tag}-{seed}-{start_n}-{n}")
        live.nudge()
        time.sleep(rng.uniform(0.05, 0.3))
    live.stop()
    clinic.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
