"""One workstation as a separate process, for the three-workstation test.

    python ws_driver.py HOME

Opens the clinic in HOME (its key comes from the keyring named by the environment),
keeps it in step with the shared server (`LiveSync`), and takes one JSON command per
line on stdin; it answers with one JSON event per line on stdout:

    {"cmd": "assign", "conv": UUID, "to": "nurse.chen", "as": "dr.patel"}
    {"cmd": "status", "conv": UUID, "status": "done", "as": "dr.patel"}
    {"cmd": "note", "conv": UUID, "text": "...", "as": "dr.patel"}
    {"cmd": "present", "conv": UUID, "activity": "replying" | null, "as": "dr.patel"}
    {"cmd": "others", "conv": UUID, "as": "nurse.chen"}   (who else has it open)
    {"cmd": "cpu"}       (CPU seconds used so far)
    {"cmd": "offline"}   (stop talking to the server; changes queue locally)
    {"cmd": "state", "conv": UUID}
    {"cmd": "receive", "n": 40, "tag": "x"}   (n e-mails stored here, as a sync would)
    {"cmd": "counts"}    (conversations and messages in this store)
    {"cmd": "quit"}

Events: ready, done (after a command), applied (changes pulled), pushed, error, state,
presence (someone opened or left a conversation), others, counts; with
CLINIC_INBOX_TEST_LEASE=SECONDS in the environment the workstation competes for the
ingest lease (that long) and says lease (held or not) and published (a conversation).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from workstations import ADMIN_PASSWORD, STAFF_PASSWORD, receive  # noqa: E402

from clinic_inbox.core import services  # noqa: E402
from clinic_inbox.core.model import Status  # noqa: E402
from clinic_inbox.core.staff_keys import open_signed_in  # noqa: E402
from clinic_inbox.core.store import queries as q  # noqa: E402
from clinic_inbox.core.store import shared_queries as shq  # noqa: E402
from clinic_inbox.shared.live import LiveSync  # noqa: E402


def emit(event: str, **kw: object) -> None:
    sys.stdout.write(json.dumps({"event": event, "t": time.time(), **kw}) + "\n")
    sys.stdout.flush()


def _no_passphrase(prompt: str, confirm: bool) -> str:
    raise SystemExit("this workstation's key should be in its keyring")


def main(home: str) -> int:
    # the store key is released by a staff password (core.staff_keys), not the keyring
    clinic, _admin = open_signed_in(
        Path(home), "admin", ADMIN_PASSWORD, ask_passphrase=_no_passphrase
    )
    sessions: dict[str, services.Session] = {}

    def session(name: str) -> services.Session:
        if name not in sessions:
            sessions[name] = services.login(clinic, name, STAFF_PASSWORD)
        return sessions[name]

    live = LiveSync(
        clinic,
        app=f"ws-{Path(home).name}",
        interval=15,
        on_applied=lambda ch: emit(
            "applied", changes=[[c.seq, c.kind, c.conversation, c.ref] for c in ch]
        ),
        on_pushed=lambda r: emit("pushed", applied=r.applied, conflicts=r.conflicts),
        on_error=lambda msg: emit("error", message=msg),
        on_presence=lambda threads: emit("presence"),
        ingest="CLINIC_INBOX_TEST_LEASE" in os.environ,
        lease_seconds=int(os.environ.get("CLINIC_INBOX_TEST_LEASE", "30")),
        on_lease=lambda held: emit("lease", held=held),
        on_published=lambda convs: emit("published", convs=convs),
    ).start()
    if not live.connected.wait(30):
        emit("error", message="not connected")
    emit("ready")
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["cmd"] == "quit":
            break
        thread = shq.thread_by_uuid(clinic.store, cmd["conv"]) if "conv" in cmd else None
        t0 = time.time()
        if cmd["cmd"] == "assign":
            target = q.staff_login_row(clinic.store, cmd["to"])[0].id
            services.assign(clinic, session(cmd["as"]), thread, target)
        elif cmd["cmd"] == "status":
            services.set_status(clinic, session(cmd["as"]), thread, Status(cmd["status"]))
        elif cmd["cmd"] == "note":
            services.add_note(clinic, session(cmd["as"]), thread, cmd["text"])
        elif cmd["cmd"] == "present":
            me = q.staff_login_row(clinic.store, cmd["as"])[0].id
            live.set_presence(me, thread, cmd.get("activity"))
        elif cmd["cmd"] == "receive":
            receive(clinic, cmd["n"], cmd.get("tag", ""))
        elif cmd["cmd"] == "counts":
            emit(
                "counts",
                threads=clinic.store.one("SELECT count(*) FROM threads"),
                messages=clinic.store.one("SELECT count(*) FROM messages"),
                shared=len(shq.shared_threads(clinic.store)),
            )
            continue
        elif cmd["cmd"] == "offline":  # the network cable pulled: work goes on locally
            live.stop()
            emit("done", cmd="offline", t0=t0)
            continue
        elif cmd["cmd"] == "others":
            me = q.staff_login_row(clinic.store, cmd["as"])[0].id
            emit("others", others=live.others_on(thread, me))
            continue
        elif cmd["cmd"] == "cpu":  # seconds of CPU this process has used
            import resource

            use = resource.getrusage(resource.RUSAGE_SELF)
            emit("cpu", seconds=use.ru_utime + use.ru_stime)
            continue
        elif cmd["cmd"] == "state":
            row = q.get_thread(clinic.store, thread) if thread else None
            emit(
                "state",
                known=row is not None,
                status=row.status.value if row else None,
                assignee=row.assigned_to if row else None,
                notes=[n[2] for n in q.thread_notes(clinic.store, thread)] if row else [],
                threads=len(shq.shared_threads(clinic.store)),
                cursor=shq.cursor(clinic.store),
            )
            continue
        live.nudge()
        emit("done", cmd=cmd["cmd"], t0=t0)
    live.stop()
    clinic.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
