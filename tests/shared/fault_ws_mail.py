"""One workstation of the mail fault harness (fault_harness_mail.py), as its own process.

    python fault_ws_mail.py HOME TAG SEED

Opens the clinic in HOME, keeps it in step with the server (`LiveSync`, competing for
the ingest lease) and, as the app's background sync does, runs the mail and portal
sync every second or so: it fetches while `may_fetch()` says so (the lease holder, or
the last one through a server outage) and sends what waits in the outbox (receipts,
safety replies, replies); each sync also brings back follow-ups that came due and hands
an absent physician's conversations to the cover. Meanwhile it plays staff on the
shared conversations (fault_common.Staff): views, assignments, status changes, notes,
e-mail replies, follow-ups, making a patient Dr Patel's, now and then Dr Patel away with
cover, each a real service call, and does what the harness orders (HOME/orders: a Done
racing the patient's new message, a follow-up, a patient made Dr Patel's, an absence). Every note and
reply carries a unique tag (`TAG-SEED-n`) so the harness can count them.

HOME/QUIET: no more staff actions, only syncing (the harness lets the clinic settle);
each pass then writes HOME/state.json (counts only, never patient text). HOME/READY:
written once it has shared conversations to work on. HOME/STOP: the process ends. Errors are printed by type and plain message only.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from fault_common import NOTE_WORDS, Staff, open_workstation  # noqa: E402

from clinic_inbox.core import services  # noqa: E402
from clinic_inbox.core.access import AccessDenied  # noqa: E402
from clinic_inbox.core.model import Status  # noqa: E402
from clinic_inbox.core.store import queries as q  # noqa: E402
from clinic_inbox.core.store import reply_hold_queries as hq  # noqa: E402
from clinic_inbox.core.store import shared_queries as shq  # noqa: E402
from clinic_inbox.shared.live import LiveSync  # noqa: E402
from clinic_inbox.sources import sync as mail_sync  # noqa: E402

REPLY_WORDS = "Dear Zoë Quennell, your levothyroxine renewal is ready"
REPLY_TAG = "RPLY"
# staff actions, as often as each other ("away", Dr Patel away with cover, is rarer)
KINDS = ("view", "view", "assign", "status", "note", "reply", "follow_up", "physician")
AWAY_CHANCE = 0.01


def _state(clinic, live: LiveSync) -> dict[str, object]:  # noqa: ANN001
    """What the harness waits on while the clinic settles: counts, no contents."""
    s = clinic.store
    return {
        "inbound": s.one("SELECT count(*) FROM messages WHERE direction = 'in'"),
        "threads": s.one("SELECT count(*) FROM threads"),
        "shared": len(shq.shared_threads(s)),
        "pending_ops": shq.pending_count(s),
        "to_publish": len(shq.threads_to_publish(s)),
        # the last change of the others' (and its own) it has pulled: the harness waits
        # until every workstation's is the server's latest
        "cursor": shq.cursor(s),
        "outbox_due": s.one(
            "SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending', 'failed') "
            "AND coalesce(send_after, '') != ?",
            (hq.HELD,),
        ),
        # what still waits (kind, purpose, state, attempts, seconds to its next try, why:
        # the outbox's plain words, no patient text)
        "due_items": [
            list(r)
            for r in s.execute(
                "SELECT kind, purpose, state, attempts, CAST(round((julianday(next_attempt_at) "
                "- julianday('now')) * 86400) AS INTEGER), substr(last_error, 1, 160) FROM outbox "
                "WHERE state IN ('pending', 'sending', 'failed') AND coalesce(send_after, '') != ?",
                (hq.HELD,),
            )
        ],
        "holds_lease": live.holds_lease,
        "connected": live.connected.is_set(),
        "t": time.time(),
    }


def _orders(clinic, staff: Staff, home: Path) -> None:  # noqa: ANN001
    """What the harness asks of this workstation's staff, at a moment of its choosing
    (HOME/orders/N, one a file): "done ID" (the left part of a first e-mail's
    Message-ID), Dr Patel closes the conversation of
    that first message while the patient writes in it again (a Done racing a new
    message, whichever reaches the server first); or a staff action on an open shared
    conversation ("follow_up", "physician", "away"). What happened goes to HOME/orders.log
    (words, no patient data)."""
    folder = home / "orders"
    for order in sorted(folder.glob("*.txt")) if folder.exists() else []:
        try:
            words = order.read_text().split(maxsplit=1)
            order.unlink()
        except OSError:
            continue
        kind, outcome = words[0], "unknown here"
        if kind == "done":
            t = clinic.store.one(  # named by its Message-ID's left part (no address)
                "SELECT thread_id FROM messages WHERE message_id_header = ? AND direction = 'in'",
                (f"<{words[1]}@patients.example>",),
            )
            if t is not None and shq.thread_uuid(clinic.store, t) is not None:
                try:
                    services.set_status(clinic, staff.doc, t, Status.DONE)
                    outcome = "made"
                except (AccessDenied, ValueError) as exc:
                    outcome = type(exc).__name__
        else:
            rows = [q.get_thread(clinic.store, t) for t, _ in shq.shared_threads(clinic.store)]
            open_ones = [
                r.id
                for r in rows
                if r.status in (Status.NEW, Status.IN_PROGRESS)
                and (kind != "physician" or r.patient_id is not None)
            ]
            if open_ones:
                staff.act(staff.rng.choice(open_ones), kind)
                outcome = "made"
        with open(home / "orders.log", "a") as log:
            log.write(f"{kind} {outcome}\n")


def main(home: str, tag: str, seed: int) -> int:
    clinic = open_workstation(home)
    lease = int(os.environ.get("CLINIC_INBOX_HARNESS_LEASE", "3"))
    live = LiveSync(
        clinic,
        interval=2.0,
        app=f"clinic-inbox-{tag}",
        ingest=True,
        lease_seconds=lease,
        offline_grace=float(os.environ.get("CLINIC_INBOX_HARNESS_GRACE", str(lease * 3))),
        on_error=lambda msg: print(f"{time.time():.1f} live: {msg}", flush=True),
        on_lease=lambda held: print(f"{time.time():.1f} lease held: {held}", flush=True),
    ).start()
    rng = random.Random(seed)
    staff = Staff.sign_in(clinic, rng)
    stop, quiet = Path(home) / "STOP", Path(home) / "QUIET"
    n = 0
    next_sync = 0.0
    while not stop.exists():
        if time.monotonic() >= next_sync:
            try:
                # follow-ups coming due and handovers to cover run here too (after the
                # fetch), queued for the server as the system's changes
                report = mail_sync.run_once(clinic, fetch=live.may_fetch())
                if report.stored:
                    print(f"{time.time():.1f} stored {report.stored}", flush=True)
            except Exception:  # noqa: BLE001 - said in the log (the harness scans it for PHI)
                print(traceback.format_exc(), flush=True)
            live.nudge()
            next_sync = time.monotonic() + rng.uniform(0.5, 1.2)
            if quiet.exists():
                tmp = Path(home) / "state.tmp"
                tmp.write_text(json.dumps(_state(clinic, live)))
                tmp.replace(Path(home) / "state.json")
        if quiet.exists():
            time.sleep(0.2)
            continue
        _orders(clinic, staff, Path(home))
        threads = [t for t, _ in shq.shared_threads(clinic.store)]
        if not threads:
            time.sleep(0.2)
            continue
        (Path(home) / "READY").touch()  # the harness's rounds begin when all three are
        t = rng.choice(threads)
        kind = "away" if rng.random() < AWAY_CHANCE else rng.choice(KINDS)
        if kind in ("note", "reply"):
            n += 1
        if kind != "reply":
            staff.act(t, kind, f"{NOTE_WORDS} {tag}-{seed}-{n}")
        elif q.get_thread(clinic.store, t).source.value == "email":
            try:
                services.queue_reply(
                    clinic, staff.doc, t, f"{REPLY_WORDS}. {REPLY_TAG}-{tag}-{seed}-{n}"
                )
            except (AccessDenied, ValueError):
                pass
        live.nudge()
        time.sleep(rng.uniform(0.1, 0.4))
    live.stop()
    clinic.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
