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

from workstations import ADMIN_PASSWORD, STAFF_PASSWORD  # noqa: E402

from clinic_inbox.core import services  # noqa: E402
from clinic_inbox.core.access import AccessDenied  # noqa: E402
from clinic_inbox.core.model import Status  # noqa: E402
from clinic_inbox.core.staff_keys import open_signed_in  # noqa: E402
from clinic_inbox.core.store import queries as q  # noqa: E402
from clinic_inbox.core.store import shared_queries as shq  # noqa: E402
from clinic_inbox.shared.live import LiveSync  # noqa: E402

NOTE_WORDS = "Called Zoë Quennell about her levothyroxine"  # must never reach the server in plain


def _no_passphrase(prompt: str, confirm: bool) -> str:
    raise SystemExit("this workstation's key should be in its keyring")


def main(home: str, tag: str, seed: int) -> int:
    # the store key is released by a staff password (core.staff_keys), not the keyring
    clinic, _admin = open_signed_in(
        Path(home), "admin", ADMIN_PASSWORD, ask_passphrase=_no_passphrase
    )
    live = LiveSync(clinic, interval=2.0, app=f"clinic-inbox-{tag}").start()
    rng = random.Random(seed)
    doc = services.login(clinic, "dr.patel", STAFF_PASSWORD)
    nurse_id = q.staff_login_row(clinic.store, "nurse.chen")[0].id
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
        try:
            if kind == "view":
                services.show_thread(clinic, doc, t)
            elif kind == "assign":
                services.assign(clinic, doc, t, rng.choice((nurse_id, doc.staff.id, None)))
            elif kind == "status":
                services.set_status(clinic, doc, t, rng.choice(list(Status)))
            else:
                n += 1
                services.add_note(clinic, doc, t, f"{NOTE_WORDS} {tag}-{seed}-{start_n}-{n}")
        except (AccessDenied, ValueError):
            pass
        live.nudge()
        time.sleep(rng.uniform(0.05, 0.3))
    live.stop()
    clinic.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
