"""Revoking a workstation renews the clinic's seal key (server schema step 10): what is
written afterwards is closed to the revoked workstation's keys, every other workstation
(and one joined later, and the clinic code) gets the new version and still reads the
old rows. Real PostgreSQL, real gnome-keyring, workstations enrolled with their own
logins."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from support.fast_kdf import child_pythonpath
from workstations import ADMIN_PASSWORD, admin_cli, login, new_workstation, receive, reopen

from clinic_inbox.core import services
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import SharedQueueError, clinic_keys, enrol, key_rotation, sync
from clinic_inbox.shared import pull as pull_mod
from clinic_inbox.shared import server as srv
from clinic_inbox.shared.schema import SCHEMA_VERSION
from clinic_inbox.shared.seal import TamperedError, UnknownKeyError, open_sealed

REPO = Path(__file__).resolve().parents[2]


def _enrol(admin, admin_link, home, kr, dsn, name):
    n = new_workstation(home, kr)
    cn = KeyCustody(n.home, backend=kr)
    asked = enrol.request(n, login(n, "admin"), dsn, name, cn)
    enrol.approve(admin, login(admin, "admin"), admin_link, asked.fingerprint)
    assert enrol.finish(n, login(n, "admin"), cn) == asked.workstation_id
    return n, srv.open_link(n, cn), asked.workstation_id


def _clinic(tmp_path, kr, dsn):
    """A prepared the server; B and C enrolled, each with its own login."""
    a = new_workstation(tmp_path / "a", kr)
    init = srv.init_server(a, login(a, "admin"), dsn, KeyCustody(a.home, backend=kr))
    la = srv.open_link(a, KeyCustody(a.home, backend=kr))
    b, lb, _ = _enrol(a, la, tmp_path / "b", kr, dsn, "Front desk")
    c, lc, c_id = _enrol(a, la, tmp_path / "c", kr, dsn, "Office 3")
    return init, (a, la), (b, lb), (c, lc, c_id)


def _sealed_rows(dsn):
    """Every sealed conversation, message and note on the server: (table, id, field, blob)."""
    with psycopg.connect(dsn) as conn:
        rows = [
            ("conversation", str(i), "snapshot", bytes(b))
            for i, b in conn.execute("SELECT id, snapshot FROM conversation")
        ]
        rows += [
            ("message", str(i), "payload", bytes(b))
            for i, b in conn.execute("SELECT id, payload FROM message")
        ]
        rows += [
            ("note", str(i), "body", bytes(b)) for i, b in conn.execute("SELECT id, body FROM note")
        ]
    return rows


def _actions(clinic):
    return [r[0] for r in clinic.store.execute("SELECT action FROM audit")]


def test_revoking_renews_the_key_and_the_revoked_keys_open_nothing_new(
    tmp_path, secret_service, empty_db, postgres
):
    kr = secret_service.backend()
    _init, (a, la), (b, lb), (c, lc, c_id) = _clinic(tmp_path, kr, empty_db)
    (t1,) = receive(a, 1)
    old_conv = sync.publish_conversation(a, la, t1, None)
    services.add_note(a, login(a, "dr.patel"), t1, "Zoë's thyroid results are normal")
    sync.push(a, la)
    for ws, link in ((b, lb), (c, lc)):
        sync.pull(ws, link)
    # what C holds before it is revoked: its keys as kept in its own store
    c_keys = clinic_keys.load(c).keys
    assert c_keys.versions().keys() == {1}
    old_rows = _sealed_rows(empty_db)

    assert enrol.revoke(a, login(a, "admin"), la, c_id) == 2
    assert la.keys.key_id == 2 and la.keys.versions().keys() == {1, 2}
    assert clinic_keys.load(a).keys.key_id == 2  # kept in A's store, beside version 1
    assert {"server.revoke_workstation", "server.seal_key_rotated"} <= set(_actions(a))
    assert _actions(a).count("server.seal_key_rotated") == 1  # not again when A takes it
    with pytest.raises(SharedQueueError, match="no longer accepts this workstation's login"):
        srv.open_link(c, KeyCustody(c.home, backend=kr))

    # A and B write after the revocation: new conversations and notes, sealed under 2
    (t2,) = receive(a, 1, tag="after")
    new_conv = sync.publish_conversation(a, la, t2, None)
    services.add_note(a, login(a, "dr.patel"), t1, "Dose raised to 100 micrograms for Zoë")
    sync.push(a, la)
    sync.pull(b, lb)
    assert lb.keys.key_id == 2 and clinic_keys.load(b).keys.versions().keys() == {1, 2}
    assert "server.seal_key_received" in _actions(b)
    tb2 = shq.thread_by_uuid(b.store, new_conv)
    assert q.get_thread(b.store, tb2).subject == "Renewal of thyroxine tablets after0"
    tb1 = shq.thread_by_uuid(b.store, old_conv)
    notes_b = [n[2] for n in q.thread_notes(b.store, tb1)]
    assert notes_b == ["Zoë's thyroid results are normal", "Dose raised to 100 micrograms for Zoë"]
    services.add_note(b, login(b, "nurse.chen"), tb1, "Zoë booked for a blood test")
    sync.push(b, lb)
    sync.pull(a, la)
    assert [n[2] for n in q.thread_notes(a.store, t1)][-1] == "Zoë booked for a blood test"

    new_rows = [r for r in _sealed_rows(empty_db) if r not in old_rows]
    assert len(new_rows) == 4  # t2's conversation and message, two notes
    for table, rid, fld, blob in new_rows:
        assert blob[1] == 2
        with pytest.raises(UnknownKeyError):
            open_sealed(c_keys, table, rid, fld, 1, blob)
        # relabelled as version 1 it fails its check: C's key cannot open it either
        with pytest.raises(TamperedError):
            open_sealed(c_keys, table, rid, fld, 1, blob[:1] + b"\x01" + blob[2:])
        open_sealed(lb.keys, table, rid, fld, 1, blob)  # B reads it
    for table, rid, fld, blob in old_rows:  # the old rows stay readable with the old key
        assert blob[1] == 1
        open_sealed(la.keys, table, rid, fld, 1, blob)
        open_sealed(lb.keys, table, rid, fld, 1, blob)

    # C with a server login it should not have (a stolen one) still applies nothing new
    c_link = srv.Link(psycopg.connect(empty_db), c_keys, c_id, "db", empty_db)
    threads_before = c.store.execute("SELECT count(*) FROM threads").fetchone()[0]
    cursor = shq.cursor(c.store)
    with pytest.raises(SharedQueueError):
        sync.pull(c, c_link)
    c_link.conn.rollback()
    # a program of its own that skips the refusal: the new conversation's workflow
    # values are MACed under version 2 (schema 12), which it cannot check (and its
    # sealed rows it cannot open, above)
    with pytest.raises(UnknownKeyError, match="conversation " + new_conv):
        pull_mod._fetch(c_link, cursor, 500)
    c_link.conn.rollback()
    assert shq.cursor(c.store) == cursor
    assert c.store.execute("SELECT count(*) FROM threads").fetchone()[0] == threads_before
    assert clinic_keys.load(c).keys.versions().keys() == {1}
    c_link.conn.close()

    # the server holds the versions sealed only: no key in plain (nor in hex) in a dump
    dump = postgres.pg_dump(psycopg.conninfo.conninfo_to_dict(empty_db)["dbname"])
    private = [clinic_keys.load(ws).wrap_key for ws in (a, b)]  # the workstations' own
    for key in (*la.keys.versions().values(), la.keys.hmac_key, *private):
        assert key not in dump and key.hex().encode() not in dump
    for text in ("Zoë", "Dose raised", "thyroxine"):
        assert text.encode() not in dump


def test_a_workstation_joined_after_the_rotation_and_the_clinic_code_get_every_version(
    tmp_path, secret_service, empty_db
):
    kr = secret_service.backend()
    init, (a, la), (b, lb), (_c, _lc, c_id) = _clinic(tmp_path, kr, empty_db)
    (t1,) = receive(a, 1)
    old_conv = sync.publish_conversation(a, la, t1, None)
    enrol.revoke(a, login(a, "admin"), la, c_id)
    (t2,) = receive(a, 1, tag="after")
    new_conv = sync.publish_conversation(a, la, t2, None)
    sync.pull(b, lb)  # B takes version 2, then approves a newcomer
    d, ld, _ = _enrol(b, lb, tmp_path / "d", kr, empty_db, "Nurse room")
    assert clinic_keys.load(d).keys.versions().keys() == {1, 2}
    assert ld.keys.key_id == 2
    # every workstation lost: a new one with the clinic code reads old and new rows
    e = new_workstation(tmp_path / "e", kr)
    srv.connect_workstation(
        e, login(e, "admin"), empty_db, init.clinic_code, KeyCustody(e.home, backend=kr)
    )
    assert clinic_keys.load(e).keys.versions() == la.keys.versions()
    le = srv.open_link(e, KeyCustody(e.home, backend=kr))
    for ws, link in ((d, ld), (e, le)):
        sync.pull(ws, link)
        for conv in (old_conv, new_conv):
            assert shq.thread_by_uuid(ws.store, conv) is not None
    # a second revocation: version 3, which the code restores too
    _f, _lf, f_id = _enrol(a, la, tmp_path / "f", kr, empty_db, "Spare")
    assert enrol.revoke(a, login(a, "admin"), la, f_id) == 3
    g = new_workstation(tmp_path / "g", kr)
    srv.connect_workstation(
        g, login(g, "admin"), empty_db, init.clinic_code, KeyCustody(g.home, backend=kr)
    )
    assert clinic_keys.load(g).keys.versions().keys() == {1, 2, 3}
    assert clinic_keys.load(g).keys.key_id == 3


def test_a_kill_between_the_revocation_and_taking_the_key_loses_nothing(
    tmp_path, secret_service, empty_db
):
    """The revocation, the new version and its wraps are one server transaction; the
    administrator's own copy comes from its wrap on the server, as everyone's does.
    Killed after the server's commit and before keeping it, A reopens with version 1
    only and takes version 2 at its next exchange with the server."""
    kr = secret_service.backend()
    _init, (a, la), (b, lb), (_c, _lc, c_id) = _clinic(tmp_path, kr, empty_db)
    (t1,) = receive(a, 1)
    conv = sync.publish_conversation(a, la, t1, None)
    sync.pull(b, lb)
    # what enrol.revoke does on the server, committed; then "killed" before the rest
    with la.conn.transaction():
        la.conn.execute("SELECT revoke_workstation(%s, 'admin')", (c_id,))
        key_rotation.rotate(a, la, c_id, "admin")
    la.conn.close()
    a.close()
    a = reopen(tmp_path / "a", kr)
    assert clinic_keys.load(a).keys.versions().keys() == {1}
    services.add_note(a, login(a, "dr.patel"), t1, "Written by A after it was restarted")
    la = srv.open_link(a, KeyCustody(a.home, backend=kr))
    sync.push(a, la)  # takes version 2 first, and seals the note under it
    assert la.keys.key_id == 2 and clinic_keys.load(a).keys.versions().keys() == {1, 2}
    assert "server.seal_key_received" in _actions(a)
    sync.pull(b, lb)
    tb = shq.thread_by_uuid(b.store, conv)
    assert [n[2] for n in q.thread_notes(b.store, tb)] == ["Written by A after it was restarted"]
    services.add_note(b, login(b, "nurse.chen"), tb, "Written by B under the new key")
    sync.push(b, lb)
    sync.pull(a, la)
    assert [n[2] for n in q.thread_notes(a.store, t1)][-1] == "Written by B under the new key"
    with psycopg.connect(empty_db) as conn:
        assert {bytes(r[0])[1] for r in conn.execute("SELECT body FROM note")} == {2}
    # revoking again does not rotate again: that revocation has its version
    assert enrol.revoke(a, login(a, "admin"), la, c_id) is None
    # refusing a request never approved renews nothing: it never had the keys
    n = new_workstation(tmp_path / "n", kr)
    asked = enrol.request(n, login(n, "admin"), empty_db, "Unknown", KeyCustody(n.home, backend=kr))
    assert enrol.revoke(a, login(a, "admin"), la, asked.workstation_id) is None
    assert la.keys.key_id == 2
    n.close()
    a.close()


def test_a_holder_registered_late_is_sealed_the_key_at_the_next_pull(
    tmp_path, secret_service, empty_db
):
    """B has not registered when C is revoked (as a workstation joined before versions
    existed): its pull stops at the first row under the new key, nothing applied; it
    registers; A's next pull seals version 2 to it; B's next pull applies everything."""
    kr = secret_service.backend()
    _init, (a, la), (b, lb), (_c, _lc, c_id) = _clinic(tmp_path, kr, empty_db)
    (t1,) = receive(a, 1)
    old_conv = sync.publish_conversation(a, la, t1, None)
    sync.pull(b, lb)
    with psycopg.connect(empty_db) as conn:  # B as if it joined before step 10
        conn.execute("DELETE FROM seal_key_holder WHERE holder = %s", (lb.workstation_id,))
    link = clinic_keys.load(b)
    clinic_keys.save(b, clinic_keys.ServerLink(link.dsn, link.keys, None))
    enrol.revoke(a, login(a, "admin"), la, c_id)
    (t2,) = receive(a, 1, tag="after")
    conv = sync.publish_conversation(a, la, t2, None)
    # B writes meanwhile under version 1, the only one it has: accepted, A reads it
    tb1 = shq.thread_by_uuid(b.store, old_conv)
    services.add_note(b, login(b, "nurse.chen"), tb1, "Written by B under the old key")
    sync.push(b, lb)
    assert lb.keys.key_id == 1
    cursor = shq.cursor(b.store)
    with pytest.raises(UnknownKeyError, match="does not hold"):
        sync.pull(b, lb)
    assert shq.cursor(b.store) == cursor and shq.thread_by_uuid(b.store, conv) is None
    sync.pull(a, la)  # the idempotent second step, on any holder of version 2
    assert [n[2] for n in q.thread_notes(a.store, t1)] == ["Written by B under the old key"]
    assert "server.seal_key_wrapped" in _actions(a)
    sync.pull(b, lb)
    assert lb.keys.key_id == 2 and shq.thread_by_uuid(b.store, conv) is not None


def test_a_wrap_changed_on_the_server_is_refused(tmp_path, secret_service, empty_db):
    kr = secret_service.backend()
    _init, (a, la), (b, lb), (_c, lc, c_id) = _clinic(tmp_path, kr, empty_db)
    # C's login, before it is revoked, and B's login try to add holders in names not
    # theirs (valid MACs: both hold the clinic's keys): since server schema 16 refused
    # outright (an enrolled workstation's login registers for itself alone); before, they
    # were registered but never sealed the new version
    for link in (lc, lb):
        ghost = str(uuid.uuid4())
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="is the login of"):
            with link.conn.transaction():
                key_rotation.register(link.conn, link.keys, ghost, key_rotation.new_private())
    enrol.revoke(a, login(a, "admin"), la, c_id)
    with psycopg.connect(empty_db) as conn:
        sealed_to = {r[0] for r in conn.execute("SELECT holder FROM seal_key_wrap")}
    assert sealed_to == {la.workstation_id, lb.workstation_id, "recovery"}
    # someone with server access seals a key of their own to B's public key
    with psycopg.connect(empty_db) as conn:
        pub = bytes(
            conn.execute(
                "SELECT public_key FROM seal_key_holder WHERE holder = %s", (lb.workstation_id,)
            ).fetchone()[0]
        )
        forged = key_rotation.ClinicKeys(la.keys.clinic_id, b"\x07" * 32, b"\x00" * 32, 2)
        conn.execute(
            "UPDATE seal_key_wrap SET blob = %s WHERE holder = %s",
            (key_rotation.wrap_version(pub, lb.workstation_id, forged, 2), lb.workstation_id),
        )
    with pytest.raises(TamperedError, match="new key 2"):
        sync.pull(b, lb)
    assert clinic_keys.load(b).keys.versions().keys() == {1}
    taken = "SELECT count(*) FROM audit WHERE action = 'server.seal_key_received'"
    assert b.store.execute(taken).fetchone()[0] == 0


def test_a_server_prepared_before_versions_gets_the_code_added(tmp_path, secret_service, empty_db):
    """A clinic whose server had no key for the clinic code: an administrator adds one
    with the code; the versions made before are sealed to it at the next pull."""
    kr = secret_service.backend()
    init, (a, la), _b, (_c, _lc, c_id) = _clinic(tmp_path, kr, empty_db)
    with psycopg.connect(empty_db) as conn:
        conn.execute("DELETE FROM key_wrap WHERE kind = 'recovery-key'")
        conn.execute("DELETE FROM seal_key_holder WHERE holder = 'recovery'")
    enrol.revoke(a, login(a, "admin"), la, c_id)
    e = new_workstation(tmp_path / "e", kr)
    srv.connect_workstation(
        e, login(e, "admin"), empty_db, init.clinic_code, KeyCustody(e.home, backend=kr)
    )
    assert clinic_keys.load(e).keys.versions().keys() == {1}  # the code knew only the first
    with pytest.raises(SharedQueueError, match="does not unlock"):
        key_rotation.enable_recovery(
            a, login(a, "admin"), la, "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH"
        )
    assert key_rotation.enable_recovery(a, login(a, "admin"), la, init.clinic_code) is True
    assert (
        key_rotation.enable_recovery(a, login(a, "admin"), la, init.clinic_code) is False
    )  # set once
    sync.pull(a, la)
    g = new_workstation(tmp_path / "g", kr)
    srv.connect_workstation(
        g, login(g, "admin"), empty_db, init.clinic_code, KeyCustody(g.home, backend=kr)
    )
    assert clinic_keys.load(g).keys.versions().keys() == {1, 2}


def test_server_revoke_and_code_key_on_the_command_line(tmp_path, secret_service, empty_db):
    kr = secret_service.backend()
    init, (a, la), (b, lb), (c, lc, c_id) = _clinic(tmp_path, kr, empty_db)
    with psycopg.connect(empty_db) as conn:  # a server prepared before versions
        conn.execute("DELETE FROM key_wrap WHERE kind = 'recovery-key'")
        conn.execute("DELETE FROM seal_key_holder WHERE holder = 'recovery'")
    for link in (la, lb, lc):
        link.conn.close()
    for ws in (a, b, c):
        ws.close()
    done = admin_cli(
        tmp_path / "a", secret_service, "server", "code-key", "--code-stdin", stdin="X\n"
    )
    assert done.returncode == 1 and "does not unlock" in done.stderr
    done = admin_cli(
        tmp_path / "a",
        secret_service,
        "server",
        "code-key",
        "--code-stdin",
        stdin=init.clinic_code + "\n",
    )
    assert done.returncode == 0 and "now restores every renewed key" in done.stdout
    done = admin_cli(tmp_path / "a", secret_service, "server", "revoke", c_id)
    assert done.returncode == 0, done.stderr
    assert "renewed (version 2)" in done.stdout
    done = admin_cli(tmp_path / "a", secret_service, "server", "status", "--json")
    assert '"clinic_key_version": 2' in done.stdout, done.stdout + done.stderr
    a = reopen(tmp_path / "a", kr)
    assert clinic_keys.load(a).keys.key_id == 2
    actions = _actions(a)
    assert "server.clinic_code_key_added" in actions and "server.seal_key_rotated" in actions
    a.close()
    e = new_workstation(tmp_path / "e", kr)
    srv.connect_workstation(
        e, login(e, "admin"), empty_db, init.clinic_code, KeyCustody(e.home, backend=kr)
    )
    assert clinic_keys.load(e).keys.versions().keys() == {1, 2}
    e.close()


def test_server_revoke_killed_after_the_servers_commit_loses_nothing(
    tmp_path, secret_service, empty_db
):
    """`server revoke` as a real process, SIGKILLed after the server committed the
    revocation and the new version and before its store kept anything: the test holds
    a lock the server transaction needs (so the process is caught inside it), then this
    computer's store write lock, lets the server commit, and kills the process."""
    kr = secret_service.backend()
    _init, (a, la), (b, lb), (_c, lc, c_id) = _clinic(tmp_path, kr, empty_db)
    (t1,) = receive(a, 1)
    conv = sync.publish_conversation(a, la, t1, None)
    sync.pull(b, lb)
    for link in (la, lc):
        link.conn.close()
    a.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS", "CLINIC_INBOX"))}
    env.update(secret_service.env)
    env.update({"CLINIC_INBOX_HOME": str(tmp_path / "a"), "CLINIC_INBOX_PASSWORD": ADMIN_PASSWORD})
    env["PYTHONPATH"] = child_pythonpath(REPO)
    gate = psycopg.connect(empty_db)
    gate.execute("LOCK TABLE seal_key_version IN EXCLUSIVE MODE")  # reads pass, writes wait
    child = subprocess.Popen(
        [sys.executable, "-m", "clinic_inbox", "--user", "admin", "server", "revoke", c_id],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        with psycopg.connect(empty_db, autocommit=True) as watch:
            deadline = time.monotonic() + 120
            while not watch.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'clinic-inbox' "
                "AND wait_event_type = 'Lock'"
            ).fetchone()[0]:
                assert child.poll() is None, child.communicate()
                assert time.monotonic() < deadline
                time.sleep(0.05)
            a = reopen(tmp_path / "a", kr)
            with a.store.transaction():  # its store waits now: the process stops there
                gate.commit()  # the server transaction goes through
                while not watch.execute("SELECT count(*) FROM seal_key_version").fetchone()[0]:
                    assert child.poll() is None, child.communicate()
                    time.sleep(0.02)
                child.send_signal(signal.SIGKILL)
                child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
        gate.close()
    assert child.returncode == -signal.SIGKILL
    assert clinic_keys.load(a).keys.versions().keys() == {1}  # killed before keeping it
    assert "server.seal_key_rotated" not in _actions(a)
    assert "server.revoke_workstation" not in _actions(a)
    with psycopg.connect(empty_db) as conn:
        state = conn.execute("SELECT state FROM workstation WHERE id = %s", (c_id,)).fetchone()
        assert state[0] == "revoked"
        # who renewed the key, as the server holds every author: keyed, never the user name
        (by,) = conn.execute(
            "SELECT created_by FROM seal_key_version WHERE revoked_ws = %s", (c_id,)
        ).fetchone()
        assert by != "admin" and len(by) == 64 and int(by, 16) >= 0
    la = srv.open_link(a, KeyCustody(a.home, backend=kr))
    services.add_note(a, login(a, "dr.patel"), t1, "Written by A after the kill")
    sync.push(a, la)  # takes version 2 from its own sealed copy first
    assert clinic_keys.load(a).keys.versions().keys() == {1, 2}
    late = a.store.execute(
        "SELECT detail FROM audit WHERE action = 'server.seal_key_rotated'"
    ).fetchall()
    assert len(late) == 1 and '"recorded_late":true' in late[0][0].replace(" ", "")
    revoked = a.store.execute(
        "SELECT detail FROM audit WHERE action = 'server.revoke_workstation'"
    ).fetchall()  # the revocation's own entry, lost with the kill, written late too
    assert len(revoked) == 1 and json.loads(revoked[0][0]) == {
        "workstation": c_id,
        "by": "admin",
        "recorded_late": True,
    }
    sync.pull(b, lb)
    tb = shq.thread_by_uuid(b.store, conv)
    assert [n[2] for n in q.thread_notes(b.store, tb)] == ["Written by A after the kill"]
    assert lb.keys.key_id == 2
    la.conn.close()
    a.close()


def test_a_workstation_running_live_takes_the_new_key_and_reads_on(
    tmp_path, secret_service, empty_db
):
    """B's live sync is running when A revokes C: woken by the renewal, B takes version 2
    and shows what A writes under it within seconds, without a restart."""
    from clinic_inbox.shared.live import LiveSync

    kr = secret_service.backend()
    _init, (a, la), (b, lb), (_c, _lc, c_id) = _clinic(tmp_path, kr, empty_db)
    lb.conn.close()
    live_b = LiveSync(b, custody=KeyCustody(b.home, backend=kr), app="ws-b").start()
    try:
        assert live_b.connected.wait(30)
        enrol.revoke(a, login(a, "admin"), la, c_id)
        deadline = time.monotonic() + 10
        while clinic_keys.load(b).keys.key_id != 2:
            assert time.monotonic() < deadline, "B did not take the new key"
            time.sleep(0.05)
        (t2,) = receive(a, 1, tag="live")
        started = time.monotonic()
        conv = sync.publish_conversation(a, la, t2, None)
        while shq.thread_by_uuid(b.store, conv) is None:
            assert time.monotonic() - started < 10, "B did not show A's new conversation"
            time.sleep(0.05)
        with psycopg.connect(empty_db) as conn:
            blob = conn.execute("SELECT snapshot FROM conversation WHERE id = %s", (conv,))
            assert bytes(blob.fetchone()[0])[1] == 2
    finally:
        live_b.stop()


def test_a_schema_9_server_upgraded_then_a_revocation_renews_the_key(
    tmp_path, secret_service, empty_db
):
    """A clinic from before key versions: its server is upgraded to schema 11 by
    `server upgrade`, its workstations have no receiving key yet. A revocation renews
    the key all the same: the revoking computer registers in the revoking transaction,
    the others at their next exchange, sealed the version by the next holder."""
    kr = secret_service.backend()
    init, (a, la), (b, lb), (_c, _lc, c_id) = _clinic(tmp_path, kr, empty_db)
    (t1,) = receive(a, 1)
    old_conv = sync.publish_conversation(a, la, t1, None)
    sync.pull(b, lb)
    with psycopg.connect(empty_db) as conn:  # as schema 9 left it
        conn.execute(
            "DROP FUNCTION refuse_turned_off_author CASCADE; "
            "DROP FUNCTION refuse_retired_mac, workflow_mac_version CASCADE; "
            "DROP FUNCTION refuse_retired_seal, seal_key_floor_moves CASCADE; "
            "DROP VIEW seal_key_eligible; "
            "DROP FUNCTION seal_key_floor, seal_key_everywhere, seal_key_grace, "
            "sign_seal_holder; "
            "DROP FUNCTION set_recovery_key, add_seal_key_wraps, rotate_seal_key, "
            "register_seal_holder; DROP TABLE seal_key_wrap, seal_key_holder, "
            "seal_key_version; DELETE FROM key_wrap WHERE kind = 'recovery-key'; "
            "UPDATE server_info SET schema_version = 9"
        )
    for ws in (a, b):  # and the workstations as they were: no receiving key kept
        kept = clinic_keys.load(ws)
        clinic_keys.save(ws, clinic_keys.ServerLink(kept.dsn, kept.keys, None))
    la.conn.close()
    with pytest.raises(SharedQueueError, match="older schema"):
        srv.open_link(b, KeyCustody(b.home, backend=kr))
    assert srv.upgrade_server(a, login(a, "admin"), empty_db) == (9, SCHEMA_VERSION)
    la = srv.open_link(a, KeyCustody(a.home, backend=kr))
    assert enrol.revoke(a, login(a, "admin"), la, c_id) == 2
    assert la.keys.key_id == 2
    (t2,) = receive(a, 1, tag="after")
    new_conv = sync.publish_conversation(a, la, t2, None)
    with pytest.raises(UnknownKeyError):
        sync.pull(b, lb)  # registers; nothing sealed to it yet, nothing applied
    sync.pull(a, la)
    sync.pull(b, lb)
    assert lb.keys.versions().keys() == {1, 2}
    for conv in (old_conv, new_conv):
        assert shq.thread_by_uuid(b.store, conv) is not None
    assert key_rotation.enable_recovery(a, login(a, "admin"), la, init.clinic_code)
    sync.pull(a, la)  # seals version 2 to the clinic code's new key
    g = new_workstation(tmp_path / "g", kr)
    srv.connect_workstation(
        g, login(g, "admin"), empty_db, init.clinic_code, KeyCustody(g.home, backend=kr)
    )
    assert clinic_keys.load(g).keys.versions().keys() == {1, 2}


def test_two_revocations_at_once_never_make_one_version_twice(tmp_path, secret_service, empty_db):
    """A's revocation holds its transaction open while B revokes another workstation:
    B waits, then is told to try again with nothing changed (its revocation undone
    with it); again, it makes version 3."""
    kr = secret_service.backend()
    _init, (a, la), (b, lb), (_c, _lc, c_id) = _clinic(tmp_path, kr, empty_db)
    _d, _ld, d_id = _enrol(a, la, tmp_path / "d", kr, empty_db, "Spare")
    outcome: list[object] = []
    with la.conn.transaction():
        la.conn.execute("SELECT revoke_workstation(%s, 'admin')", (c_id,))
        key_rotation.rotate(a, la, c_id, "admin")

        def b_revokes() -> None:
            try:
                outcome.append(enrol.revoke(b, login(b, "admin"), lb, d_id))
            except SharedQueueError as exc:
                outcome.append(exc)

        other = threading.Thread(target=b_revokes)
        other.start()
        with psycopg.connect(empty_db, autocommit=True) as watch:
            deadline = time.monotonic() + 30
            while not watch.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            ).fetchone()[0]:
                assert time.monotonic() < deadline and other.is_alive()
                time.sleep(0.02)
    other.join(30)
    (said,) = outcome
    assert isinstance(said, SharedQueueError) and "at the same moment" in str(said)
    with psycopg.connect(empty_db) as conn:
        states = dict(conn.execute("SELECT id::text, state FROM workstation").fetchall())
        assert states[d_id] == "approved"  # B's revocation was undone with its renewal
        assert [r[0] for r in conn.execute("SELECT key_id FROM seal_key_version")] == [2]
    assert enrol.revoke(b, login(b, "admin"), lb, d_id) == 3
    assert lb.keys.versions().keys() == {1, 2, 3}


def test_a_late_holder_is_sealed_the_key_by_a_live_workstation_at_once(
    tmp_path, secret_service, empty_db
):
    """B registers only after the revocation; A's live sync, woken by the registration,
    seals version 2 to it within seconds (not at its next timed sync)."""
    from clinic_inbox.shared.live import LiveSync

    kr = secret_service.backend()
    _init, (a, la), (b, lb), (_c, _lc, c_id) = _clinic(tmp_path, kr, empty_db)
    with psycopg.connect(empty_db) as conn:
        conn.execute("DELETE FROM seal_key_holder WHERE holder = %s", (lb.workstation_id,))
    kept = clinic_keys.load(b)
    clinic_keys.save(b, clinic_keys.ServerLink(kept.dsn, kept.keys, None))
    enrol.revoke(a, login(a, "admin"), la, c_id)
    (t2,) = receive(a, 1, tag="after")
    conv = sync.publish_conversation(a, la, t2, None)
    la.conn.close()
    synced = threading.Event()  # A's first sync is over: only a wake-up makes another
    live_a = LiveSync(
        a,
        custody=KeyCustody(a.home, backend=kr),
        app="ws-a",
        interval=60,
        on_connected=synced.set,
    ).start()
    try:
        assert synced.wait(30)
        with pytest.raises(UnknownKeyError):
            sync.pull(b, lb)  # registers; A is woken
        started = time.monotonic()
        with psycopg.connect(empty_db, autocommit=True) as conn:
            while not conn.execute(
                "SELECT count(*) FROM seal_key_wrap WHERE holder = %s", (lb.workstation_id,)
            ).fetchone()[0]:
                assert time.monotonic() - started < 10, "A did not seal the key to B"
                time.sleep(0.05)
        sync.pull(b, lb)
        assert lb.keys.key_id == 2 and shq.thread_by_uuid(b.store, conv) is not None
    finally:
        live_a.stop()
