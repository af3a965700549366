"""After a revocation renews the clinic's seal key, the old version seals nothing new
(server schema step 11), and a workstation's registered receiving key cannot be
swapped. Each attack is made as the revoked computer would: with the keys it kept
and another workstation's login that still works (a stolen password). Real
PostgreSQL, real gnome-keyring, workstations enrolled with their own logins."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import psycopg
import pytest
from test_key_rotation import _actions, _clinic, _enrol
from workstations import login, receive

from clinic_inbox.core import services
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import SharedQueueError, clinic_keys, enrol, key_rotation, sync
from clinic_inbox.shared import server as srv
from clinic_inbox.shared.key_rotation_schema import DDL as STEP_10_DDL
from clinic_inbox.shared.retired_key_schema import SEALED_COLUMNS
from clinic_inbox.shared.schema import SCHEMA_VERSION
from clinic_inbox.shared.seal import ClinicKeys, field_mac, seal

REFUSED = key_rotation.REFUSED


def _write_as(
    conn: psycopg.Connection, keys: ClinicKeys, ws: str, conv: str, *, keep: bool = True
) -> dict[str, str]:
    """What a program of the revoked computer's own would send, sealed with `keys`,
    through `conn`: a note, a new conversation, a message, a patient. Returns, for
    each, the SQLSTATE of the refusal ('' when it was taken). Without `keep`, what was
    taken is rolled back after (the workstations never pull these made-up rows)."""
    now = datetime.now(UTC)
    note = str(uuid.uuid4())
    new_conv = str(uuid.uuid4())
    values = ["new", "", "urgent", "false"]
    ops = [str(uuid.uuid4()) for _ in values]
    fields = ("status", "assignee", "priority", "sensitive")
    macs = [field_mac(keys, new_conv, f, v, o) for f, v, o in zip(fields, values, ops, strict=True)]
    body = {"author": "system", "body": "Call the patient back: stop the medication now"}
    mid, patient = str(uuid.uuid4()), str(uuid.uuid4())
    calls = {
        "note": (
            "SELECT * FROM apply_op(%s, %s, %s, 'note', 0, %s, 'system', %s, %s, NULL)",
            (
                str(uuid.uuid4()),
                ws,
                conv,
                note,
                now,
                seal(keys, "note", note, "body", 1, json.dumps(body).encode()),
            ),
        ),
        "conversation": (
            "SELECT publish_conversation(%s, %s, 'system', %s, %s, %s::uuid[], %s)",
            (
                new_conv,
                ws,
                seal(keys, "conversation", new_conv, "snapshot", 1, b'{"subject": "x"}'),
                values,
                ops,
                macs,
            ),
        ),
        "message": (
            "SELECT publish_message(%s, %s, %s, %s, %s, %s)",
            (
                mid,
                conv,
                ws,
                uuid.uuid4().hex,
                now,
                seal(keys, "message", mid, "payload", 1, b'{"body": "forged"}'),
            ),
        ),
        "patient": (
            "SELECT publish_patient(%s, %s, %s, %s)",
            (
                patient,
                ws,
                [uuid.uuid4().hex],
                seal(keys, "patient", patient, "record", 1, b'{"family_name": "x"}'),
            ),
        ),
    }
    said = {}
    with conn.transaction(force_rollback=not keep):
        for what, (sql, args) in calls.items():
            try:
                with conn.transaction():
                    conn.execute(sql, args)
                said[what] = ""
            except psycopg.Error as exc:
                said[what] = exc.sqlstate or "?"
    return said


def _count(dsn: str, table: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _floor(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT seal_key_floor()").fetchone()[0]


def test_the_revoked_keys_write_nothing_through_a_stolen_login(
    tmp_path, secret_service, empty_db, postgres
):
    kr = secret_service.backend()
    _init, (a, la), (b, lb), (c, _lc, c_id) = _clinic(tmp_path, kr, empty_db)
    (t1,) = receive(a, 1)
    conv = sync.publish_conversation(a, la, t1, None)
    c_keys = clinic_keys.load(c).keys  # what C keeps
    stolen = clinic_keys.load(b).dsn  # B's login and password, copied off B
    # before the revocation the same writes are taken: the test can fail
    with psycopg.connect(stolen) as conn:
        assert set(_write_as(conn, c_keys, lb.workstation_id, conv, keep=False).values()) == {""}
    assert enrol.revoke(a, login(a, "admin"), la, c_id) == 2
    # every remaining holder (A, B, the clinic code) was sealed version 2 at once: no
    # grace. A workstation enrolled right after (not sealed version 2 until a holder
    # synchronises) does not reopen version 1: the floor was kept with the renewal.
    _enrol(a, la, tmp_path / "d", kr, empty_db, "Nurse room")
    before = {t: _count(empty_db, t) for t in ("note", "conversation", "message", "patient")}
    with psycopg.connect(stolen) as conn:
        said = _write_as(conn, c_keys, lb.workstation_id, conv)
    assert said == {w: key_rotation.RETIRED for w in said}, said
    assert _floor(empty_db) == 2
    assert {t: _count(empty_db, t) for t in before} == before  # nothing of it stayed
    # the server's log names the refusal and the login that tried
    b_login = psycopg.conninfo.conninfo_to_dict(stolen)["user"]
    log = postgres.log.read_text(errors="replace")
    assert "sealed under retired seal key 1 was refused" in log
    assert f"from login {b_login}" in log
    # every column that takes a sealed value is guarded, the audit trail's too
    with psycopg.connect(empty_db) as conn:
        guarded = {
            r[0]
            for r in conn.execute(
                "SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE '%_sealed_current'"
            )
        }
    assert guarded == {t for t, _ in SEALED_COLUMNS}
    # the workstations that hold version 2 write on
    services.add_note(a, login(a, "dr.patel"), t1, "Written by A under the new key")
    sync.push(a, la)
    sync.pull(b, lb)
    tb = shq.thread_by_uuid(b.store, conv)
    assert [n[2] for n in q.thread_notes(b.store, tb)][-1] == "Written by A under the new key"
    assert REFUSED not in _actions(a) + _actions(b)


def test_a_change_made_offline_before_the_renewal_goes_out_under_the_new_key(
    tmp_path, secret_service, empty_db
):
    """B is cut off while C is revoked; the note and patient edit it wrote meanwhile
    were queued, not sealed: sent after it comes back, they are sealed under version 2
    and taken."""
    kr = secret_service.backend()
    _init, (a, la), (b, lb), (_c, _lc, c_id) = _clinic(tmp_path, kr, empty_db)
    (t1,) = receive(a, 1)
    conv = sync.publish_conversation(a, la, t1, None)
    sync.pull(b, lb)
    lb.conn.close()  # B offline from here
    tb = shq.thread_by_uuid(b.store, conv)
    services.add_note(b, login(b, "nurse.chen"), tb, "Written offline before the renewal")
    assert len(shq.pending_ops(b.store)) == 1
    assert enrol.revoke(a, login(a, "admin"), la, c_id) == 2
    assert _floor(empty_db) == 2
    lb = srv.open_link(b, KeyCustody(b.home, backend=kr))  # back
    assert lb.keys.key_id == 1
    sync.push(b, lb)
    assert shq.pending_ops(b.store) == [] and lb.keys.key_id == 2
    with psycopg.connect(empty_db) as conn:
        assert [bytes(r[0])[1] for r in conn.execute("SELECT body FROM note")] == [2]
    sync.pull(a, la)
    assert [n[2] for n in q.thread_notes(a.store, t1)] == ["Written offline before the renewal"]
    assert REFUSED not in _actions(b)


def test_a_workstation_without_the_new_key_is_told_and_keeps_its_change(
    tmp_path, secret_service, empty_db
):
    """B joined before key versions and has no receiving key registered: the old
    version stays accepted for its grace; past it, B's push is refused in plain words,
    its change stays queued and nothing else here changes; sealed the new version, B
    sends it under that."""
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
    assert _floor(empty_db) == 1  # B has not got version 2: version 1 is still taken
    with psycopg.connect(empty_db) as conn:  # ... until its grace is over
        conn.execute("UPDATE seal_key_version SET created_at = now() - interval '11 minutes'")
    assert _floor(empty_db) == 2
    tb = shq.thread_by_uuid(b.store, conv)
    services.add_note(b, login(b, "nurse.chen"), tb, "Written by B before it has the key")
    queued = shq.pending_ops(b.store)
    notes_before = q.thread_notes(b.store, tb)
    cursor = shq.cursor(b.store)
    for _ in range(2):  # a retrying sync: said each time, audited once
        with pytest.raises(SharedQueueError, match="retired when a workstation was revoked"):
            sync.push(b, lb)
    assert shq.pending_ops(b.store) == queued and q.thread_notes(b.store, tb) == notes_before
    assert shq.cursor(b.store) == cursor and lb.keys.key_id == 1
    refused = b.store.execute("SELECT detail FROM audit WHERE action = ?", (REFUSED,)).fetchall()
    assert len(refused) == 1 and json.loads(refused[0][0])["key_id"] == 1
    assert _count(empty_db, "note") == 0
    sync.pull(a, la)  # A seals version 2 to B (registered by its push)
    sync.push(b, lb)
    assert lb.keys.key_id == 2 and shq.pending_ops(b.store) == []
    sync.pull(a, la)
    assert [n[2] for n in q.thread_notes(a.store, t1)] == ["Written by B before it has the key"]
    # the floor stays where it is when a workstation joins later (not sealed it yet)
    _d, _ld, _ = _enrol(a, la, tmp_path / "d", kr, empty_db, "Nurse room")
    with psycopg.connect(empty_db) as conn:
        conn.execute("UPDATE seal_key_version SET created_at = now()")
    assert _floor(empty_db) == 2


def test_the_registered_receiving_key_cannot_be_swapped_through_a_stolen_login(
    tmp_path, secret_service, empty_db, postgres
):
    kr = secret_service.backend()
    _init, (a, la), (b, lb), (c, _lc, c_id) = _clinic(tmp_path, kr, empty_db)
    c_keys = clinic_keys.load(c).keys
    c_private = key_rotation.new_private()  # a key of the revoked computer's own
    c_pub = key_rotation.public_of(c_private)
    stolen = clinic_keys.load(b).dsn
    b_ws = lb.workstation_id
    b_pub = key_rotation.public_of(clinic_keys.load(b).wrap_key)
    enrol.revoke(a, login(a, "admin"), la, c_id)
    mac = key_rotation.holder_mac(c_keys, b_ws, c_pub)  # C holds the HMAC key: a valid MAC
    with psycopg.connect(stolen) as conn:
        with pytest.raises(psycopg.Error) as refused:
            conn.execute("SELECT register_seal_holder(%s, %s, %s)", (b_ws, c_pub, mac))
        assert refused.value.sqlstate == key_rotation.KEY_KEPT
        conn.rollback()
        for sql in (  # nor around the function
            "UPDATE seal_key_holder SET public_key = %s WHERE holder = %s",
            "DELETE FROM seal_key_holder WHERE public_key <> %s AND holder = %s",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql, (c_pub, b_ws))
            conn.rollback()
    with psycopg.connect(empty_db) as conn:
        row = conn.execute(
            "SELECT public_key FROM seal_key_holder WHERE holder = %s", (b_ws,)
        ).fetchone()
        assert bytes(row[0]) == b_pub
        assert conn.execute(
            "SELECT count(*) FROM seal_key_wrap WHERE holder = %s AND key_id = 2", (b_ws,)
        ).fetchone()[0]
    assert "is registered already and is never replaced" in postgres.log.read_text(errors="replace")
    # the next renewal is sealed to B's own key: B opens it, C's key does not
    _d, _ld, d_id = _enrol(a, la, tmp_path / "d", kr, empty_db, "Spare")
    assert enrol.revoke(a, login(a, "admin"), la, d_id) == 3
    sync.pull(b, lb)
    assert lb.keys.versions().keys() == {1, 2, 3}
    with psycopg.connect(empty_db) as conn:
        check, blob = conn.execute(
            "SELECT v.key_check, w.blob FROM seal_key_version v JOIN seal_key_wrap w "
            "ON w.key_id = v.key_id WHERE v.key_id = 3 AND w.holder = %s",
            (b_ws,),
        ).fetchone()
    with pytest.raises(key_rotation.TamperedError):
        key_rotation.unwrap_version(c_private, b_ws, c_keys, 3, blob, check, "db")
    # B itself with another receiving key (its store's changed) is told, not re-registered
    kept = clinic_keys.load(b)
    clinic_keys.save(b, clinic_keys.ServerLink(kept.dsn, kept.keys, key_rotation.new_private()))
    _e, _le, e_id = _enrol(a, la, tmp_path / "e", kr, empty_db, "Spare 2")
    enrol.revoke(a, login(a, "admin"), la, e_id)
    with pytest.raises(SharedQueueError, match="never replaced"):
        sync.pull(b, lb)
    assert lb.keys.versions().keys() == {1, 2, 3}


def test_a_schema_10_server_upgraded_refuses_what_it_took_before(
    tmp_path, secret_service, empty_db
):
    """The same writes and the same key swap on a server left at step 10 are taken
    (the gaps this step closes); after `server upgrade` to 11 both are refused."""
    kr = secret_service.backend()
    _init, (a, la), (b, lb), (c, _lc, c_id) = _clinic(tmp_path, kr, empty_db)
    (t1,) = receive(a, 1)
    conv = sync.publish_conversation(a, la, t1, None)
    c_keys = clinic_keys.load(c).keys
    stolen = clinic_keys.load(b).dsn
    enrol.revoke(a, login(a, "admin"), la, c_id)
    with psycopg.connect(empty_db) as conn:  # as step 10 left it
        conn.execute(
            "DROP FUNCTION refuse_turned_off_author CASCADE; "
            "DROP FUNCTION refuse_retired_mac, workflow_mac_version CASCADE; "
            "DROP FUNCTION refuse_retired_seal, seal_key_floor_moves CASCADE; "
            "DROP VIEW seal_key_eligible; "
            "DROP FUNCTION seal_key_floor, seal_key_everywhere, seal_key_grace, "
            "sign_seal_holder; ALTER TABLE seal_key_version DROP COLUMN enforced_at; "
            "ALTER TABLE seal_key_holder DROP COLUMN signature; "
            "UPDATE server_info SET schema_version = 10"
        )
        conn.execute(STEP_10_DDL.replace("@SCHEMA@", "public"))
    la.conn.close()
    ghost = str(uuid.uuid4())  # a holder of its own name, so B's stays as it was
    pub = key_rotation.public_of(key_rotation.new_private())
    with psycopg.connect(stolen) as conn:
        assert set(_write_as(conn, c_keys, lb.workstation_id, conv, keep=False).values()) == {""}
        conn.execute(
            "SELECT register_seal_holder(%s, %s, %s)",
            (ghost, pub, key_rotation.holder_mac(c_keys, ghost, pub)),
        )
        other = key_rotation.public_of(key_rotation.new_private())
        conn.execute(  # replaced at step 10: B's login may replace what it registered
            "SELECT register_seal_holder(%s, %s, %s)",
            (ghost, other, key_rotation.holder_mac(c_keys, ghost, other)),
        )
        conn.commit()
    assert srv.upgrade_server(a, login(a, "admin"), empty_db) == (10, SCHEMA_VERSION)
    assert _floor(empty_db) == 2
    with psycopg.connect(stolen) as conn:
        said = _write_as(conn, c_keys, lb.workstation_id, conv)
        assert said == {w: key_rotation.RETIRED for w in said}, said
        with pytest.raises(psycopg.Error) as refused:
            conn.execute(
                "SELECT register_seal_holder(%s, %s, %s)",
                (ghost, pub, key_rotation.holder_mac(c_keys, ghost, pub)),
            )
        # kept (step 11); since step 16 refused before that: B's login, an enrolled
        # workstation's, registers for B alone (own_name_all_schema.caller_may_register)
        assert refused.value.sqlstate == "42501", refused.value
    # the workstations work on at schema 11
    la = srv.open_link(a, KeyCustody(a.home, backend=kr))
    services.add_note(a, login(a, "dr.patel"), t1, "Written after the upgrade")
    sync.push(a, la)
    sync.pull(b, lb)
    tb = shq.thread_by_uuid(b.store, conv)
    assert [n[2] for n in q.thread_notes(b.store, tb)][-1] == "Written after the upgrade"
    with psycopg.connect(empty_db) as conn:
        blob = conn.execute("SELECT body FROM note ORDER BY created_at DESC LIMIT 1").fetchone()
        signed = dict(conn.execute("SELECT holder, signature IS NOT NULL FROM seal_key_holder"))
    assert bytes(blob[0])[1] == 2
    # the keys registered at step 10 were signed by their workstations at their next
    # exchange (A at its push, B at its pull): the next renewal reaches both
    assert signed[la.workstation_id] and signed[lb.workstation_id]
    _d, _ld, d_id = _enrol(a, la, tmp_path / "d", kr, empty_db, "Spare")
    assert enrol.revoke(a, login(a, "admin"), la, d_id) == 3
    sync.pull(b, lb)
    assert lb.keys.key_id == 3


def test_a_key_registered_in_a_workstations_name_by_its_stolen_login_is_sealed_nothing(
    tmp_path, secret_service, empty_db
):
    """B joined before key versions and never registered a receiving key. The revoked
    computer, with B's stolen login, registers its own key in B's name first (a valid
    MAC: it has the HMAC key) and signs it with a signing key of its own. The next
    renewal is not sealed to it (not signed with B's key from enrolment), and B is told
    at its next exchange that the key in its name is not its own."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    kr = secret_service.backend()
    _init, (a, la), (b, lb), (c, _lc, c_id) = _clinic(tmp_path, kr, empty_db)
    c_keys = clinic_keys.load(c).keys
    stolen = clinic_keys.load(b).dsn
    b_ws = lb.workstation_id
    with psycopg.connect(empty_db) as conn:  # B as if it joined before step 10
        conn.execute("DELETE FROM seal_key_holder WHERE holder = %s", (b_ws,))
    kept = clinic_keys.load(b)
    clinic_keys.save(b, clinic_keys.ServerLink(kept.dsn, kept.keys, None))
    enrol.revoke(a, login(a, "admin"), la, c_id)
    c_private = key_rotation.new_private()
    c_signer = Ed25519PrivateKey.generate()
    with psycopg.connect(stolen) as conn:
        key_rotation.register(conn, c_keys, b_ws, c_private, c_signer)
        conn.commit()
    with psycopg.connect(empty_db) as conn:  # in B's name, MAC and signature present
        row = conn.execute(
            "SELECT public_key, signature FROM seal_key_holder WHERE holder = %s", (b_ws,)
        ).fetchone()
    assert bytes(row[0]) == key_rotation.public_of(c_private) and row[1] is not None
    # another login cannot sign B's key, either
    with psycopg.connect(clinic_keys.load(a).dsn) as conn:
        assert not conn.execute("SELECT sign_seal_holder(%s, %s)", (b_ws, b"\0" * 64)).fetchone()[0]
    sync.pull(a, la)  # A completes the wraps of version 2: not to this key
    _d, _ld, d_id = _enrol(a, la, tmp_path / "d", kr, empty_db, "Spare")
    assert enrol.revoke(a, login(a, "admin"), la, d_id) == 3
    with psycopg.connect(empty_db) as conn:
        sealed_to = {r[0] for r in conn.execute("SELECT holder FROM seal_key_wrap")}
    assert b_ws not in sealed_to and la.workstation_id in sealed_to
    with pytest.raises(SharedQueueError, match="not the one registered for it"):
        sync.pull(b, lb)
    assert lb.keys.versions().keys() == {1}
