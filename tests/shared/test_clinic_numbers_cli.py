"""Commands that name a conversation take the clinic-wide number people see.

With a shared server, `time enter`, `retention hold`/`release`, `follow-up` and
`unlink` take the number every workstation shows ("#7" or "7"), as `show` and `reply`
do, not this computer's own id of that conversation (typing the number read out on the
phone must never reach another patient's conversation). Real processes on a
workstation whose local ids differ from the clinic's numbers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import psycopg
from support.fast_kdf import child_pythonpath
from workstations import ADMIN_PASSWORD, STAFF_PASSWORD, login, new_workstation, receive

from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import server as srv
from clinic_inbox.shared import sync


def _run(home: Path, ring, user: str, *args: str) -> subprocess.CompletedProcess:  # noqa: ANN001
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS", "CLINIC_INBOX"))}
    env.update(
        {
            **ring.env,
            "CLINIC_INBOX_HOME": str(home),
            "CLINIC_INBOX_PASSWORD": ADMIN_PASSWORD if user == "admin" else STAFF_PASSWORD,
            "PYTHONPATH": child_pythonpath(Path(__file__).resolve().parents[2]),
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "clinic_inbox", "--user", user, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_commands_take_the_clinic_number(tmp_path, empty_db, keyring_factory):
    rings = [keyring_factory(), keyring_factory()]
    homes = [tmp_path / "ws-a", tmp_path / "ws-b"]
    a, b = (new_workstation(h, r.backend()) for h, r in zip(homes, rings, strict=True))
    ca, cb = (KeyCustody(h, backend=r.backend()) for h, r in zip(homes, rings, strict=True))
    init = srv.init_server(a, login(a, "admin"), empty_db, ca)
    srv.connect_workstation(b, login(b, "admin"), empty_db, init.clinic_code, cb)
    own_b = receive(b, 3, tag="b")  # B's own first: its ids run ahead of the clinic's
    (theirs,) = receive(a, 1)
    la, lb = srv.open_link(a, ca), srv.open_link(b, cb)
    conv = sync.publish_conversation(a, la, theirs, None)
    sync.pull(b, lb)
    la.conn.close()
    lb.conn.close()
    on_b = shq.thread_by_uuid(b.store, conv)
    with psycopg.connect(empty_db) as conn:
        number = conn.execute("SELECT number FROM conversation WHERE id = %s", (conv,)).fetchone()[
            0
        ]
    assert number != on_b and number in own_b  # the clinic's #N is another one's id on B
    a.close()
    b.close()
    by = (date.today() + timedelta(days=7)).isoformat()

    done = _run(homes[1], rings[1], "dr.patel", "follow-up", f"#{number}", "--by", by)
    assert done.returncode == 0, done.stderr
    assert f"on conversation {number}." in done.stdout
    done = _run(
        homes[1],
        rings[1],
        "dr.patel",
        "time",
        "enter",
        str(number),
        "--minutes",
        "5",
        "--reason",
        "telephone call about the renewal",
    )
    assert done.returncode == 0, done.stderr
    done = _run(
        homes[1],
        rings[1],
        "admin",
        "retention",
        "hold",
        f"#{number}",
        "--reason",
        "a complaint is open",
    )
    assert done.returncode == 0, done.stderr
    assert f"Conversation {number} is held" in done.stdout
    # a number the clinic has not given: refused in plain words, nothing changed
    done = _run(homes[1], rings[1], "dr.patel", "follow-up", "#999", "--by", by)
    assert done.returncode != 0 and "There is no conversation #999 in this clinic" in done.stderr

    from workstations import reopen

    b = reopen(homes[1], rings[1].backend())
    try:
        rows = dict(
            b.store.execute("SELECT id, follow_up_by FROM threads WHERE follow_up_by IS NOT NULL")
        )
        assert rows == {on_b: by}  # the clinic's conversation, not B's own of that id
        minutes = b.store.execute("SELECT thread_id FROM time_entries").fetchall()
        assert minutes == [(on_b,)]
        held = b.store.execute("SELECT id FROM threads WHERE legal_hold = 1")
        assert [r[0] for r in held] == [on_b]
    finally:
        b.close()
