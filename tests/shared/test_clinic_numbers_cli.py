"""Commands that name a conversation take the clinic-wide number people see.

With a shared server, `time enter`, `retention hold`/`release`, `follow-up`, `link`,
`unlink` and `server publish` take the number every workstation shows ("#7" or "7"), as
`show` and `reply` do, not this computer's own id of that conversation (typing the
number read out on the phone must never reach another patient's conversation), and
answer with it, as `compose send` and `compose scheduled` name the conversation they
started. Real processes on workstations whose local ids differ from the clinic's
numbers, on a real PostgreSQL.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import psycopg
import pytest
from support.fast_kdf import child_pythonpath
from workstations import (
    ADMIN_PASSWORD,
    STAFF_PASSWORD,
    login,
    new_workstation,
    receive,
    reopen,
)

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


class TwoWorkstations(NamedTuple):
    homes: list[Path]  # A's clinic folder, B's
    rings: list[Any]  # their keyrings (support.secret_service.SecretService)
    conv: str  # the uuid of A's conversation, on the server and pulled by B
    on_b: int  # its local id on B
    own_b: list[int]  # B's own three conversations, never published


@pytest.fixture()
def two_workstations(tmp_path, empty_db, keyring_factory) -> TwoWorkstations:  # noqa: ANN001
    """Workstations A and B of one clinic on `empty_db`, B with three conversations of
    its own first (its local ids run ahead of the clinic's numbers), and one of A's on
    the server and pulled by B. Both are closed again, with their links, before the
    test starts (its commands open the clinic folders as processes of their own),
    and so is whatever was opened when the setup fails part way; their keyrings are
    stopped by `keyring_factory` after the test."""
    rings = [keyring_factory(), keyring_factory()]
    homes = [tmp_path / "ws-a", tmp_path / "ws-b"]
    with contextlib.ExitStack() as opened:
        a = new_workstation(homes[0], rings[0].backend())
        opened.callback(a.close)
        b = new_workstation(homes[1], rings[1].backend())
        opened.callback(b.close)
        ca, cb = (KeyCustody(h, backend=r.backend()) for h, r in zip(homes, rings, strict=True))
        init = srv.init_server(a, login(a, "admin"), empty_db, ca)
        srv.connect_workstation(b, login(b, "admin"), empty_db, init.clinic_code, cb)
        own_b = receive(b, 3, tag="b")  # B's own first: its ids run ahead of the clinic's
        (theirs,) = receive(a, 1)
        la = srv.open_link(a, ca)
        opened.callback(la.conn.close)
        lb = srv.open_link(b, cb)
        opened.callback(lb.conn.close)
        conv = sync.publish_conversation(a, la, theirs, None)
        sync.pull(b, lb)
        on_b = shq.thread_by_uuid(b.store, conv)
    return TwoWorkstations(homes, rings, conv, on_b, own_b)


def test_commands_take_the_clinic_number(two_workstations, empty_db):
    homes, rings, conv, on_b, own_b = two_workstations
    with psycopg.connect(empty_db) as conn:
        number = conn.execute("SELECT number FROM conversation WHERE id = %s", (conv,)).fetchone()[
            0
        ]
    assert number != on_b and number in own_b  # the clinic's #N is another one's id on B
    by = (date.today() + timedelta(days=7)).isoformat()

    done = _run(homes[1], rings[1], "dr.patel", "follow-up", f"#{number}", "--by", by)
    assert done.returncode == 0, done.stderr
    assert f"on conversation #{number}." in done.stdout
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
    assert f"Conversation #{number} is held" in done.stdout
    # a number the clinic has not given: refused in plain words, nothing changed
    done = _run(homes[1], rings[1], "dr.patel", "follow-up", "#999", "--by", by)
    assert done.returncode != 0 and "There is no conversation #999 in this clinic" in done.stderr

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


def _server_conversations(dsn: str) -> list[tuple[str, int]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT id::text, number FROM conversation ORDER BY number").fetchall()


def test_link_unlink_and_publish_take_the_number_shown_on_another_workstation(
    two_workstations, empty_db
):
    """The number A shows (its `list --json`), typed on B, reaches the same
    conversation, and B answers with that number; a number the clinic has not given is
    refused in plain words and changes nothing."""
    homes, rings, conv, on_b, own_b = two_workstations
    listed = _run(homes[0], rings[0], "admin", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    (number,) = {m["number"] for m in json.loads(listed.stdout)}  # as A shows it
    assert number != on_b and number in own_b  # on B, #N is also one of B's own ids
    added = _run(
        homes[1],
        rings[1],
        "admin",
        "patient",
        "add",
        "--family",
        "Quennell",
        "--given",
        "Zoë",
        "--born",
        "1984-03-02",
    )
    assert added.returncode == 0, added.stderr
    patient = int(added.stdout.split("Patient ")[1].split(":")[0])
    # her physician reads the conversation once it is on her chart (and may unlink it)
    done = _run(
        homes[1], rings[1], "admin", "patient", "physician", str(patient), "--physician", "dr.patel"
    )
    assert done.returncode == 0, done.stderr

    done = _run(homes[1], rings[1], "dr.patel", "link", f"#{number}", "--patient", str(patient))
    assert done.returncode == 0, done.stderr
    assert f"Conversation #{number} is now filed under patient {patient}." in done.stdout
    b = reopen(homes[1], rings[1].backend())
    try:
        linked = b.store.execute("SELECT id FROM threads WHERE patient_id IS NOT NULL")
        assert [r[0] for r in linked] == [on_b]  # not B's own conversation of that id
    finally:
        b.close()
    done = _run(homes[1], rings[1], "dr.patel", "unlink", str(number))
    assert done.returncode == 0, done.stderr
    assert f"Conversation #{number} is no longer filed under patient {patient}" in done.stdout

    # unknown numbers: a plain refusal, nothing linked, nothing published
    before = _server_conversations(empty_db)
    done = _run(homes[1], rings[1], "dr.patel", "link", "#999", "--patient", str(patient))
    assert done.returncode == 1
    assert "There is no conversation #999 in this clinic." in done.stderr
    done = _run(homes[1], rings[1], "admin", "server", "publish", str(own_b[-1]), "#999")
    assert done.returncode == 1
    assert "There is no conversation #999 in this clinic." in done.stderr
    assert _server_conversations(empty_db) == before
    b = reopen(homes[1], rings[1].backend())
    try:
        assert (
            b.store.execute("SELECT count(*) FROM threads WHERE patient_id IS NOT NULL").fetchone()[
                0
            ]
            == 0
        )
        assert (
            b.store.execute("SELECT count(*) FROM threads WHERE uuid IS NOT NULL").fetchone()[0]
            == 1
        )
    finally:
        b.close()

    # `server publish N` on B: the clinic's #N (already on the server), never B's own
    # conversation that happens to have the local id N
    done = _run(homes[1], rings[1], "admin", "server", "publish", f"#{number}")
    assert done.returncode == 0, done.stderr
    assert _server_conversations(empty_db) == before
    b = reopen(homes[1], rings[1].backend())
    try:
        assert shq.thread_by_uuid(b.store, conv) == on_b
        unshared = b.store.execute("SELECT id FROM threads WHERE uuid IS NULL ORDER BY id")
        assert [r[0] for r in unshared] == own_b  # number (one of own_b) stayed B's own
    finally:
        b.close()


def test_a_composed_message_is_named_by_the_number_every_workstation_shows(
    two_workstations, tmp_path, empty_db
):
    """`compose send` on A names its new conversation as the board does ("#12 (this
    computer)" until the server numbers it); once published, `compose scheduled`
    gives the clinic's number, and that number typed on B reaches it there."""
    from clinic_inbox.core import services
    from clinic_inbox.core.accounts import ImapAccount
    from clinic_inbox.core.store import queries as q

    homes, rings, _conv, _on_b, _own_b = two_workstations
    a = reopen(homes[0], rings[0].backend())
    try:
        admin = login(a, "admin")
        account = ImapAccount(
            name="Clinic email",
            host="127.0.0.1",
            port=1,
            username="inbox@clinic.example",
            security="none",
            smtp_security="none",
            smtp_port=1,
            from_address="inbox@clinic.example",
        )
        services.add_imap_account(a, admin, account, "mailbox-password")
        doc = services.staff_id_named(a, admin, "dr.patel")
        with a.store.transaction():
            patient = q.add_patient(
                a.store, "Tremblay", "Luc", None, "C-1", None, doc, ("luc@patients.example",)
            )
    finally:
        a.close()
    body = tmp_path / "body.txt"
    body.write_text("Your blood test results are in; please call us.", "utf-8")
    later = (date.today() + timedelta(days=2)).isoformat() + "T09:00"
    done = _run(
        homes[0],
        rings[0],
        "dr.patel",
        "compose",
        "send",
        "--patient",
        str(patient),
        "--subject",
        "Your results",
        "--body-file",
        str(body),
        "--at",
        later,
        "--consent-reason",
        "agreed on the phone today",
    )
    assert done.returncode == 0, done.stderr
    local = int(done.stdout.split("in conversation #")[1].split(" ")[0])
    assert f"in conversation #{local} (this computer) (outbox item" in done.stdout

    done = _run(homes[0], rings[0], "admin", "server", "publish", str(local))
    assert done.returncode == 0, done.stderr
    (item,) = json.loads(
        _run(homes[0], rings[0], "dr.patel", "compose", "scheduled", "--json").stdout
    )
    (conv, number) = next(
        (c, n) for c, n in _server_conversations(empty_db) if n == item["clinic_number"]
    )
    assert item["number"] == number and item["thread_id"] == local
    scheduled = _run(homes[0], rings[0], "dr.patel", "compose", "scheduled")
    assert f"conversation #{number}  patient {patient}" in scheduled.stdout

    done = _run(homes[1], rings[1], "admin", "server", "sync")
    assert done.returncode == 0, done.stderr
    by = (date.today() + timedelta(days=7)).isoformat()
    done = _run(homes[1], rings[1], "dr.patel", "follow-up", f"#{number}", "--by", by)
    assert done.returncode == 0, done.stderr
    assert f"on conversation #{number}." in done.stdout
    b = reopen(homes[1], rings[1].backend())
    try:
        rows = b.store.execute("SELECT id FROM threads WHERE follow_up_by IS NOT NULL")
        assert [r[0] for r in rows] == [shq.thread_by_uuid(b.store, conv)]
    finally:
        b.close()
