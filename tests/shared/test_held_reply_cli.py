"""`clinic-inbox server held` and `server conflicts` for people who use a terminal: real
processes on a workstation of a clinic with a real PostgreSQL and a real keyring.

B's reply is held because A's answer to the same patient reached the server first: B's
author lists it with why, a colleague may not discard it (refused in plain words, and
recorded), its author discards it. A patient edit that lost to another workstation's
is listed by `server conflicts` and settled from there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from support.fast_kdf import child_pythonpath
from test_shared_patients import (  # noqa: F401 - `keyring` is a fixture
    _link,
    _portal_conversation,
    _three,
    keyring,
)
from workstations import STAFF_PASSWORD, login, reopen

from clinic_inbox.core import services
from clinic_inbox.core.services_patients import PatientDetails, edit_patient
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_patient_queries as spq
from clinic_inbox.shared import sync

REPO = Path(__file__).resolve().parents[2]


def _cli(home: Path, env_keyring: dict, user: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS", "CLINIC_INBOX"))}
    env.update(env_keyring)
    env.update({"CLINIC_INBOX_HOME": str(home), "CLINIC_INBOX_PASSWORD": STAFF_PASSWORD})
    env["PYTHONPATH"] = child_pythonpath(REPO)
    return subprocess.run(
        [sys.executable, "-m", "clinic_inbox", "--user", user, "server", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_held_replies_and_patient_conflicts_from_the_command_line(
    tmp_path,
    keyring,  # noqa: F811
    secret_service,
    empty_db,
):
    a, b, _c = _three(tmp_path, keyring, empty_db)
    la, lb = _link(a, keyring), _link(b, keyring)
    t, tb = _portal_conversation(a, la, b, lb)
    mine = services.queue_reply(b, login(b, "dr.patel"), tb, "Your sick note is ready.")
    services.queue_reply(a, login(a, "dr.patel"), t, "Yes, it is at the front desk.")
    sync.publish_conversation(a, la, t, None)
    sync.pull(b, lb)
    # a patient edit of B's loses to A's
    zoe_a = q.get_thread(a.store, t).patient_id
    zoe_b = q.get_thread(b.store, tb).patient_id
    for ws, pid, born in ((a, zoe_a, "1990-01-02"), (b, zoe_b, "1990-02-01")):
        p = q.get_patient(ws.store, pid)
        edit_patient(
            ws,
            login(ws, "dr.patel"),
            pid,
            PatientDetails(p.family_name, p.given_name, born, p.chart_number, tuple(p.emails)),
        )
    sync.push(a, la)
    assert sync.push(b, lb).conflicts == 1
    lb.conn.close()
    home = b.home
    b.close()

    listed = _cli(home, secret_service.env, "dr.patel", "held", "--json")
    assert listed.returncode == 0, listed.stderr
    (held,) = json.loads(listed.stdout)
    assert held["id"] == mine and held["number"].startswith("#")
    assert held["why"].startswith("Your reply is held: Dr Anjali Patel answered this patient")
    refused = _cli(home, secret_service.env, "nurse.chen", "held", "--discard", str(mine))
    assert refused.returncode != 0
    assert "Only the person who wrote a held reply can discard it." in refused.stderr
    assert "Traceback" not in refused.stderr
    done = _cli(home, secret_service.env, "dr.patel", "held", "--discard", str(mine))
    assert done.returncode == 0 and "will not be sent" in done.stdout, done.stderr
    assert json.loads(_cli(home, secret_service.env, "dr.patel", "held", "--json").stdout) == []

    cards = _cli(home, secret_service.env, "dr.patel", "conflicts", "--json")
    assert cards.returncode == 0, cards.stderr
    (card,) = json.loads(cards.stdout)
    assert (card["what"], card["yours"], card["kept"]) == (
        "Date of birth",
        "1990-02-01",
        "1990-01-02",
    )
    kept = _cli(home, secret_service.env, "dr.patel", "conflicts", "--dismiss", card["id"])
    assert kept.returncode == 0, kept.stderr
    assert (
        json.loads(_cli(home, secret_service.env, "dr.patel", "conflicts", "--json").stdout) == []
    )

    b = reopen(home, keyring)
    assert [i.state for i in oq.in_state(b.store, "cancelled", "portal")] == ["cancelled"]
    actions = [r[0] for r in b.store.execute("SELECT action FROM audit ORDER BY id")]
    assert "reply.discard_held.refused" in actions and "reply.discard_held" in actions
    assert "shared.conflict_kept_theirs" in actions
    assert q.get_patient(b.store, zoe_b).birth_date == "1990-01-02"
    assert spq.patient_uuid(b.store, zoe_b) is not None
    b.close()
    la.conn.close()
    a.close()
