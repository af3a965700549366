"""After a revocation renews the clinic's seal key, a workflow value (status, assignee,
priority, sensitive flag; a discarded reply, a purge) MACed under the old version is
refused by the server (schema step 12) and by the workstations that pull it. Each
attack is made as the revoked computer would: with the keys it kept and another
workstation's login that still works (a stolen password). Real PostgreSQL, real
gnome-keyring, workstations enrolled with their own logins."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from test_key_rotation import _actions, _clinic, _enrol
from workstations import login, receive

from clinic_inbox.core import services
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Priority, Status
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import SharedQueueError, clinic_keys, enrol, key_rotation, sync
from clinic_inbox.shared import server as srv
from clinic_inbox.shared.patients import publish_patient
from clinic_inbox.shared.replica import staff_ref
from clinic_inbox.shared.retired_key_schema import DDL as STEP_11_DDL
from clinic_inbox.shared.schema import SCHEMA_VERSION
from clinic_inbox.shared.seal import (
    RETIRED_READ_MARGIN,
    ClinicKeys,
    TamperedError,
    UnknownKeyError,
    _legacy_field_mac,
    check_field,
    check_not_retired,
    field_mac,
    mac_version,
    retired_versions,
    seal,
)
from clinic_inbox.shared.workflow_mac_schema import MAC_COLUMNS

REFUSED = key_rotation.REFUSED
FIELDS = ("status", "assignee", "priority", "sensitive")


def _other(field: str, current: str, keys: ClinicKeys) -> str:
    """A value for `field` other than the server's, as the attacker would set."""
    return {
        "status": "done" if current != "done" else "new",
        "assignee": staff_ref(keys, "reception.moreau"),
        "priority": "admin" if current != "admin" else "routine",
        "sensitive": "true" if current != "true" else "false",
    }[field]


def _workflow_as(
    conn: psycopg.Connection,
    keys: ClinicKeys,
    ws: str,
    conv: str,
    *,
    snapshot_keys: ClinicKeys | None = None,
    keep: bool = True,
) -> dict[str, str]:
    """What a program of the revoked computer's own would send with `keys` through
    `conn`: each workflow field changed, the conversation linked to the server's
    patient (when there is one), a reply marked discarded, and (its snapshot
    sealed with `snapshot_keys`, to see the MAC's guard alone) the conversation purged.
    Returns, for each, the SQLSTATE of the refusal ('' when it was taken). Without
    `keep`, what was taken is rolled back after."""
    current = {
        f: (v, value)
        for f, v, value in conn.execute(
            "SELECT field, v, value FROM conversation_field WHERE conv = %s", (conv,)
        )
    }
    calls: dict[str, tuple[str, tuple]] = {}
    for f in FIELDS:
        v, value = current[f]
        new, op = _other(f, value, keys), str(uuid.uuid4())
        calls[f] = (
            "SELECT outcome FROM apply_op(%s, %s, %s, %s, %s, %s, 'system', NULL, NULL, %s)",
            (op, ws, conv, f, v, new, field_mac(keys, conv, f, new, op)),
        )
    patient = conn.execute("SELECT id::text FROM patient LIMIT 1").fetchone()
    if patient is not None:  # the conversation linked to another patient (none linked yet)
        v = current.get("patient", (0, ""))[0]
        op = str(uuid.uuid4())
        calls["patient"] = (
            "SELECT outcome FROM apply_op(%s, %s, %s, 'patient', %s, %s, 'system', NULL, NULL, %s)",
            (op, ws, conv, v, patient[0], field_mac(keys, conv, "patient", patient[0], op)),
        )
    ident = conn.execute("SELECT identity FROM message WHERE conv = %s", (conv,)).fetchone()[0]
    calls["discard"] = (
        "SELECT discard_message(%s, %s, %s)",
        (ws, ident, field_mac(keys, conv, "discard", ident, ident)),
    )
    purged_at = "2026-01-01T00:00:00+00:00"
    snap = seal(snapshot_keys or keys, "conversation", conv, "snapshot", 1, b'{"purged": true}')
    calls["purge"] = (
        "SELECT publish_purge(%s, %s, %s, %s, %s)",
        (conv, ws, purged_at, field_mac(keys, conv, "purge", purged_at, conv), snap),
    )
    said = {}
    with conn.transaction(force_rollback=not keep):
        for what, (sql, args) in calls.items():
            try:
                with conn.transaction():
                    got = conn.execute(sql, args).fetchone()[0]
                assert got in ("applied", "done", True), (what, got)
                said[what] = ""
            except psycopg.Error as exc:
                said[what] = exc.sqlstate or "?"
    return said


def _a_patient(clinic, link) -> str:
    """A patient registered on the server (the one the attack links to)."""
    with clinic.store.transaction():
        pid = q.add_patient(clinic.store, "Lefebvre", "Zoë", "1961-04-02", "C-1042")
    return publish_patient(clinic, link, pid)


def _server_fields(dsn: str, conv: str) -> dict[str, tuple[int, str, str]]:
    with psycopg.connect(dsn) as conn:
        return {
            f: (v, value, mac)
            for f, v, value, mac in conn.execute(
                "SELECT field, v, value, mac FROM conversation_field WHERE conv = %s", (conv,)
            )
        }


def _counts(dsn: str) -> tuple[int, int, int]:
    with psycopg.connect(dsn) as conn:
        return tuple(
            conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("conversation_purge", "message_discard", "op_receipt")
        )


def test_the_revoked_keys_change_no_workflow_value_through_a_stolen_login(
    tmp_path, secret_service, empty_db, postgres
):
    kr = secret_service.backend()
    _init, (a, la), (b, lb), (c, _lc, c_id) = _clinic(tmp_path, kr, empty_db)
    (t1,) = receive(a, 1)
    conv = sync.publish_conversation(a, la, t1, None)
    _a_patient(a, la)
    sync.pull(b, lb)
    c_keys = clinic_keys.load(c).keys  # what C keeps
    stolen = clinic_keys.load(b).dsn  # B's login and password, copied off B
    # before the revocation the same writes are taken: the test can fail
    with psycopg.connect(stolen) as conn:
        said = _workflow_as(conn, c_keys, lb.workstation_id, conv, keep=False)
    assert set(said) == {*FIELDS, "patient", "discard", "purge"}
    assert said == {w: "" for w in said}, said
    assert enrol.revoke(a, login(a, "admin"), la, c_id) == 2
    before, counts = _server_fields(empty_db, conv), _counts(empty_db)
    with psycopg.connect(stolen) as conn:
        # the purge's snapshot sealed under the new version (as the revoked computer
        # could not): the MAC alone is refused
        said = _workflow_as(conn, c_keys, lb.workstation_id, conv, snapshot_keys=la.keys)
    assert said == {w: key_rotation.RETIRED for w in said}, said
    assert _server_fields(empty_db, conv) == before and _counts(empty_db) == counts
    b_login = psycopg.conninfo.conninfo_to_dict(stolen)["user"]
    log = postgres.log.read_text(errors="replace")
    assert "a workflow value MACed under retired seal key 1 was refused" in log
    assert f"conversation_field.mac from login {b_login}" in log
    with psycopg.connect(empty_db) as conn:  # every column that takes such a MAC is guarded
        guarded = {
            r[0]
            for r in conn.execute(
                "SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE '%_mac_current'"
            )
        }
    assert guarded == {t for t, _ in MAC_COLUMNS}
    # the workstations that hold version 2 change the conversation on
    tb = shq.thread_by_uuid(b.store, conv)
    services.set_status(b, login(b, "nurse.chen"), tb, Status.WAITING)
    sync.push(b, lb)
    assert _server_fields(empty_db, conv)["status"][2].startswith("k2:")
    sync.pull(a, la)
    assert q.get_thread(a.store, t1).status == Status.WAITING
    assert REFUSED not in _actions(a) + _actions(b)


@pytest.mark.parametrize("what", ["status", "discard"])
def test_a_workstation_refuses_a_workflow_value_its_server_took_under_a_retired_key(
    tmp_path, secret_service, empty_db, what
):
    """A server that takes them anyway (its guards turned off, as its owner's login
    could): the workstations pulling refuse the revoked computer's status change (or
    discarded reply) written after the retirement, apply nothing of that pull, and
    still read the values written under version 1 (and under the HMAC key, as before
    schema 12) before the revocation."""
    kr = secret_service.backend()
    _init, (a, la), (b, lb), (c, _lc, c_id) = _clinic(tmp_path, kr, empty_db)
    t1, t2 = receive(a, 2)
    conv = sync.publish_conversation(a, la, t1, None)
    conv2 = sync.publish_conversation(a, la, t2, None)
    services.set_priority(a, login(a, "dr.patel"), t1, Priority.URGENT, "chest pain")
    sync.push(a, la)
    with psycopg.connect(empty_db) as conn:
        # one value as a server before schema 12 holds it: its MAC under the HMAC key
        op, value = conn.execute(
            "SELECT op::text, value FROM conversation_field WHERE conv = %s AND field = 'status'",
            (conv2,),
        ).fetchone()
        conn.execute(
            "UPDATE conversation_field SET mac = %s WHERE conv = %s AND field = 'status'",
            (_legacy_field_mac(la.keys, conv2, "status", value, op), conv2),
        )
    c_keys = clinic_keys.load(c).keys
    stolen = clinic_keys.load(b).dsn
    assert enrol.revoke(a, login(a, "admin"), la, c_id) == 2
    # a workstation enrolled after the revocation reads the rows written before it
    d, ld, _ = _enrol(a, la, tmp_path / "d", kr, empty_db, "Nurse room")
    sync.pull(d, ld)
    td = shq.thread_by_uuid(d.store, conv)
    assert q.get_thread(d.store, td).priority == Priority.URGENT
    assert q.get_thread(d.store, shq.thread_by_uuid(d.store, conv2)).status == Status.NEW
    sync.pull(b, lb)
    tb = shq.thread_by_uuid(b.store, conv)
    with psycopg.connect(empty_db) as conn:  # the owner turns the guards off
        for table, _col in MAC_COLUMNS:
            conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_mac_current")
    with psycopg.connect(stolen) as conn:
        if what == "status":
            v = conn.execute(
                "SELECT v FROM conversation_field WHERE conv = %s AND field = 'status'", (conv,)
            ).fetchone()[0]
            op = str(uuid.uuid4())
            mac = field_mac(c_keys, conv, "status", "done", op)
            conn.execute(
                "SELECT apply_op(%s, %s, %s, 'status', %s, 'done', 'system', NULL, NULL, %s)",
                (op, lb.workstation_id, conv, v, mac),
            )
        else:
            ident = conn.execute("SELECT identity FROM message WHERE conv = %s", (conv,))
            ident = ident.fetchone()[0]
            mac = field_mac(c_keys, conv, "discard", ident, ident)
            conn.execute("SELECT discard_message(%s, %s, %s)", (lb.workstation_id, ident, mac))
    with psycopg.connect(empty_db) as conn:
        # as if written 10 minutes after the revocation (see seal.RETIRED_READ_MARGIN)
        conn.execute(
            "UPDATE conversation_field SET changed_at = changed_at + interval '10 minutes' "
            "WHERE mac = %s",
            (mac,),
        )
        conn.execute(
            "UPDATE change_log SET at = at + interval '10 minutes' WHERE ref LIKE %s",
            ("%" + mac,),
        )
    for ws, link, tid in ((b, lb, tb), (d, ld, td)):
        cursor = shq.cursor(ws.store)
        with pytest.raises(TamperedError, match="retired when a workstation was revoked"):
            sync.pull(ws, link)
        assert shq.cursor(ws.store) == cursor
        assert q.get_thread(ws.store, tid).status == Status.NEW
        assert "reply.discard_held.shared" not in _actions(ws)


def test_a_workflow_change_made_offline_before_the_renewal_goes_out_under_the_new_key(
    tmp_path, secret_service, empty_db
):
    """B is cut off while C is revoked; the status, assignee, priority and sensitive
    flag it changed meanwhile were queued with no MAC: sent after it comes back, they
    are MACed under version 2 and taken."""
    kr = secret_service.backend()
    _init, (a, la), (b, lb), (_c, _lc, c_id) = _clinic(tmp_path, kr, empty_db)
    (t1,) = receive(a, 1)
    conv = sync.publish_conversation(a, la, t1, None)
    sync.pull(b, lb)
    assert {m[:3] for _v, _val, m in _server_fields(empty_db, conv).values()} == {"k1:"}
    lb.conn.close()  # B offline from here
    tb = shq.thread_by_uuid(b.store, conv)
    nurse = login(b, "nurse.chen")
    services.set_status(b, nurse, tb, Status.IN_PROGRESS)
    services.assign(b, nurse, tb, nurse.staff.id)
    services.set_priority(b, nurse, tb, Priority.URGENT, "sounds worse on the phone")
    services.mark_sensitive(b, nurse, tb, True, "mental health")
    assert {op.field for op in shq.pending_ops(b.store)} == set(FIELDS)
    assert enrol.revoke(a, login(a, "admin"), la, c_id) == 2
    lb = srv.open_link(b, KeyCustody(b.home, backend=kr))  # back
    assert lb.keys.key_id == 1
    got = sync.push(b, lb)
    assert shq.pending_ops(b.store) == [] and lb.keys.key_id == 2
    assert got.applied == 4 and got.conflicts == 0
    fields = _server_fields(empty_db, conv)
    assert {f: m[:3] for f, (_v, _val, m) in fields.items() if f in FIELDS} == {
        f: "k2:" for f in FIELDS
    }
    sync.pull(a, la)
    ta = q.get_thread(a.store, t1)
    assert (ta.status, ta.priority, ta.sensitive) == (Status.IN_PROGRESS, Priority.URGENT, True)
    assert ta.assigned_to_id == login(a, "nurse.chen").staff.id
    assert REFUSED not in _actions(b)


def test_a_schema_11_server_upgraded_refuses_the_workflow_writes_it_took_before(
    tmp_path, secret_service, empty_db
):
    """The same writes on a server left at step 11 are taken after the revocation (the
    gap this step closes); after `server upgrade` to 12 they are refused."""
    kr = secret_service.backend()
    _init, (a, la), (b, lb), (c, _lc, c_id) = _clinic(tmp_path, kr, empty_db)
    (t1,) = receive(a, 1)
    conv = sync.publish_conversation(a, la, t1, None)
    _a_patient(a, la)
    c_keys = clinic_keys.load(c).keys
    stolen = clinic_keys.load(b).dsn
    enrol.revoke(a, login(a, "admin"), la, c_id)
    with psycopg.connect(empty_db) as conn:  # as step 11 left it
        conn.execute(
            "DROP FUNCTION refuse_turned_off_author CASCADE; "
            "DROP FUNCTION refuse_retired_mac, workflow_mac_version CASCADE; "
            "UPDATE server_info SET schema_version = 11"
        )
        conn.execute(STEP_11_DDL.replace("@SCHEMA@", "public"))
    la.conn.close()
    with psycopg.connect(stolen) as conn:
        said = _workflow_as(
            conn, c_keys, lb.workstation_id, conv, snapshot_keys=la.keys, keep=False
        )
    assert said == {w: "" for w in said}, said
    assert srv.upgrade_server(a, login(a, "admin"), empty_db) == (11, SCHEMA_VERSION)
    before = _server_fields(empty_db, conv)
    with psycopg.connect(stolen) as conn:
        said = _workflow_as(conn, c_keys, lb.workstation_id, conv, snapshot_keys=la.keys)
    assert said == {w: key_rotation.RETIRED for w in said}, said
    assert _server_fields(empty_db, conv) == before
    # the workstations work on at schema 12
    la = srv.open_link(a, KeyCustody(a.home, backend=kr))
    services.set_status(a, login(a, "dr.patel"), t1, Status.DONE, file_on_done=False)
    sync.push(a, la)
    sync.pull(b, lb)
    tb = shq.thread_by_uuid(b.store, conv)
    assert q.get_thread(b.store, tb).status == Status.DONE
    assert _server_fields(empty_db, conv)["status"][2].startswith("k2:")


def test_when_each_version_was_retired_and_what_a_workstation_still_reads():
    """Without a server: the retirement times read from the floor's marks, the MAC's
    version (one without a prefix counts as 1), and the reader's margin."""
    t2 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    t3 = t2 + timedelta(days=1)
    # version 2 became the floor at t2 (retiring 1), version 3 at t3 (retiring 2)
    assert retired_versions([(2, t2), (3, t3)]) == {1: t2, 2: t3}
    assert retired_versions([(2, t2), (3, None)]) == {1: t2}  # 3 not reached everyone yet
    assert retired_versions([(2, None), (3, t3)]) == {1: t3, 2: t3}  # floor jumped to 3
    assert retired_versions([]) == {}
    keys = ClinicKeys.generate(str(uuid.uuid4())).with_version(2, b"\1" * 32)
    conv, op = str(uuid.uuid4()), str(uuid.uuid4())
    new = field_mac(keys, conv, "status", "done", op)
    assert new.startswith("k2:") and mac_version(new) == 2
    legacy = _legacy_field_mac(keys, conv, "status", "done", op)
    assert mac_version(legacy) == 1 and mac_version("k²:00") == 1
    for mac in (new, legacy):
        check_field(keys, conv, "status", "done", op, mac)
    with pytest.raises(TamperedError):
        check_field(keys, conv, "status", "new", op, new)
    with pytest.raises(UnknownKeyError):
        check_field(keys, conv, "status", "done", op, "k3:" + new[3:])
    retired = {1: t2}
    check_not_retired(retired, legacy, t2 - timedelta(seconds=1), "x")
    check_not_retired(retired, legacy, t2 + RETIRED_READ_MARGIN - timedelta(seconds=1), "x")
    check_not_retired(retired, new, t2 + timedelta(days=9), "x")
    for late in (t2 + RETIRED_READ_MARGIN, None):
        with pytest.raises(TamperedError, match="retired"):
            check_not_retired(retired, legacy, late, "x")


def test_a_workstation_without_the_new_key_is_told_and_keeps_its_workflow_change(
    tmp_path, secret_service, empty_db
):
    """B joined before key versions (no receiving key registered): past the grace its
    status change, MACed under version 1, is refused in plain words, stays queued and
    is audited once; sealed version 2, B sends it MACed under that."""
    kr = secret_service.backend()
    _init, (a, la), (b, lb), (_c, _lc, c_id) = _clinic(tmp_path, kr, empty_db)
    (t1,) = receive(a, 1)
    conv = sync.publish_conversation(a, la, t1, None)
    sync.pull(b, lb)
    with psycopg.connect(empty_db) as conn:  # B as if it joined before step 10
        conn.execute("DELETE FROM seal_key_holder WHERE holder = %s", (lb.workstation_id,))
    kept = clinic_keys.load(b)
    clinic_keys.save(b, clinic_keys.ServerLink(kept.dsn, kept.keys, None))
    enrol.revoke(a, login(a, "admin"), la, c_id)
    with psycopg.connect(empty_db) as conn:  # its grace is over
        conn.execute("UPDATE seal_key_version SET created_at = now() - interval '11 minutes'")
    tb = shq.thread_by_uuid(b.store, conv)
    services.set_status(b, login(b, "nurse.chen"), tb, Status.IN_PROGRESS)
    queued = shq.pending_ops(b.store)
    before = _server_fields(empty_db, conv)
    for _ in range(2):  # a retrying sync: said each time, audited once
        with pytest.raises(SharedQueueError, match="retired when a workstation was revoked"):
            sync.push(b, lb)
    assert shq.pending_ops(b.store) == queued and lb.keys.key_id == 1
    assert q.get_thread(b.store, tb).status == Status.IN_PROGRESS  # as the person set it
    assert _server_fields(empty_db, conv) == before
    assert _actions(b).count(REFUSED) == 1
    sync.pull(a, la)  # A seals version 2 to B (registered by its push)
    sync.push(b, lb)
    assert lb.keys.key_id == 2 and shq.pending_ops(b.store) == []
    value, mac = _server_fields(empty_db, conv)["status"][1:]
    assert value == "in_progress" and mac.startswith("k2:")
    sync.pull(a, la)
    assert q.get_thread(a.store, t1).status == Status.IN_PROGRESS
