"""Receiving keys, key renewals and the calls that name no workstation, checked against
the caller's login (server schema 17, own_keys_schema).

On a real PostgreSQL, with the clinic's three kinds of login (the front desk keeps the
owner login, Office 2 was enrolled by approval, the nurse room joined with the clinic
code under a login an administrator made for it) and a stray login of the workstation
role that no computer registered with (an insider's or an impostor's):

- a login registers a receiving key for its own workstation only: no made-up
  workstation, no second one for a clinic-code login, not the clinic code's; a second
  computer joined under the nurse room's login is told it needs a login of its own;
- a renewal seals only to holders that may receive keys now (a clinic-code computer
  whose login was turned off is left out; a made-up holder gets nothing);
- `add_seal_key_wraps`, `set_recovery_key` and `audit_keep_store_anchor` are refused to
  a login that receives no keys, in another workstation's name, or (the clinic code's
  key) for an account the server does not hold as an active administrator; the app
  says so in plain words;
- a workstation joined with the clinic code before receiving keys existed registers
  its key before its first claim of an automatic reply;
- a schema-16 server takes all of this until `server upgrade`.

Each refused call leaves every table it could write exactly as it was.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import threading
import uuid

import psycopg
import pytest
from test_claim_own_name import NURSE_PW, Clinic3
from workstations import login, new_workstation

from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.send_claims import Verdict
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import (
    SharedQueueError,
    audit_schema,
    clinic_keys,
    enrol,
    key_rotation,
    key_rotation_schema,
    own_name_all_schema,
    refusals,
    retired_key_schema,
    staff_sync,
)
from clinic_inbox.shared import schema as sch
from clinic_inbox.shared import server as srv
from clinic_inbox.shared.audit_ship import _keep_store_anchor
from clinic_inbox.shared.pull import pull
from clinic_inbox.shared.replica import staff_ref
from clinic_inbox.shared.reply_claims import ServerClaims, register_own_key
from clinic_inbox.shared.schema import SCHEMA_VERSION

KEY32 = b"\x07" * 32

# Tables these calls can write: a refused call changes none of them.
TABLES = (
    "workstation",
    "key_wrap",
    "seal_key_holder",
    "seal_key_version",
    "seal_key_wrap",
    "audit_signer",
    "audit_store_anchor",
    "auto_reply_claim",
    "staff_member",
)


def _u() -> str:
    return str(uuid.uuid4())


def _digest(dsn: str) -> dict[str, str]:
    with psycopg.connect(dsn) as conn:
        return {
            t: conn.execute(
                f"SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM {t} x"
            ).fetchone()[0]
            for t in TABLES
        }


def _sql(dsn: str, sql: str, args: tuple = ()) -> list[tuple]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        cur = conn.execute(sql, args)
        return cur.fetchall() if cur.description else []


def _stray_login(c: Clinic3, postgres, dsn: str) -> str:  # noqa: ANN001
    """A login of the workstation role that no computer registered with."""
    name = f"stray_{uuid.uuid4().hex[:10]}"
    _sql(
        dsn,
        f"CREATE ROLE {name} LOGIN PASSWORD '{NURSE_PW}' "
        f"IN ROLE {sch.workstation_role(c.clinic_id)}",
    )
    return postgres.dsn(psycopg.conninfo.conninfo_to_dict(dsn)["dbname"], name, NURSE_PW)


def _not_own(exc: BaseException) -> bool:
    return isinstance(exc, psycopg.errors.InsufficientPrivilege)


@pytest.fixture()
def clinic3(tmp_path, keyring_factory, empty_db, postgres):
    c = Clinic3(tmp_path, keyring_factory, empty_db, postgres)
    yield c
    c.close()


# -- 1. a receiving key for the caller's own workstation only -------------------------


def test_a_receiving_key_is_registered_for_the_callers_own_workstation_only(
    clinic3, empty_db, postgres, tmp_path, keyring_factory
):
    c = clinic3
    stray = _stray_login(c, postgres, empty_db)
    made_up = _u()
    pub = key_rotation.public_of(key_rotation.new_private())
    # the insider holds the clinic's keys: the MAC is genuine
    mac = key_rotation.holder_mac(c.keys, made_up, pub)
    before = _digest(empty_db)
    for who, dsn, holder in (
        ("nurse", c.dsn["nurse"], made_up),  # a clinic-code login: a second workstation
        ("office", c.dsn["office"], made_up),  # an enrolled login: not its own
        ("nurse", c.dsn["nurse"], "recovery"),  # the clinic code's key
        ("office", c.dsn["office"], "recovery"),
        ("stray", stray, "recovery"),
        ("stray", stray, c.id["office"]),  # an enrolled workstation's
    ):
        with psycopg.connect(dsn, autocommit=True) as conn:
            with pytest.raises(psycopg.Error) as refused:
                conn.execute("SELECT register_seal_holder(%s, %s, %s)", (holder, pub, mac))
            assert _not_own(refused.value), (who, holder, refused.value)
    assert _digest(empty_db) == before  # nothing registered, nothing replaced
    # the legitimate calls: the nurse room's own key again (a no-op), and a computer's
    # first key under a login of its own
    with psycopg.connect(empty_db) as conn:
        nurse_key = conn.execute(
            "SELECT public_key FROM seal_key_holder WHERE holder = %s", (c.id["nurse"],)
        ).fetchone()[0]
    with psycopg.connect(c.dsn["nurse"], autocommit=True) as conn:
        again = conn.execute(
            "SELECT register_seal_holder(%s, %s, 'mac')", (c.id["nurse"], bytes(nurse_key))
        )
        assert again.fetchone()[0] is False
    with psycopg.connect(stray, autocommit=True) as conn:
        first = conn.execute("SELECT register_seal_holder(%s, %s, %s)", (made_up, pub, mac))
        assert first.fetchone()[0] is True
        # ... and that login now speaks for that one workstation only
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
            conn.execute("SELECT register_seal_holder(%s, %s, 'mac')", (_u(), KEY32))
        assert refusals.is_not_this_workstation(refused.value)
    # the app: a second computer joined with the clinic code under the nurse room's login
    ring = keyring_factory()
    second = new_workstation(tmp_path / "nurse-2", ring.backend())
    before = _digest(empty_db)
    with pytest.raises(SharedQueueError) as said:
        srv.connect_workstation(
            second,
            login(second, "admin"),
            c.dsn["nurse"],
            c.code,
            KeyCustody(second.home, backend=ring.backend()),
        )
    words = str(said.value)
    assert "belongs to another workstation of the clinic" in words, words
    assert "needs a login of its own" in words and "Nothing was changed" in words
    assert c.nurse_login not in words and NURSE_PW not in words
    assert shq.linked_clinic(second.store) is None  # not joined here either
    assert _digest(empty_db) == before
    second.close()


def test_a_renewal_seals_only_to_holders_that_may_receive_keys_now(clinic3, empty_db):
    c = clinic3
    front = c.ws["front"]
    lf = srv.open_link(front, c.custody["front"])
    try:
        # a key left under a login that no longer exists (a computer whose login the
        # administrator dropped), with a genuine MAC
        gone = _u()
        pub = key_rotation.public_of(key_rotation.new_private())
        _sql(
            empty_db,
            "INSERT INTO seal_key_holder (holder, public_key, mac, login) "
            "VALUES (%s, %s, %s, 'dropped_login')",
            (gone, pub, key_rotation.holder_mac(c.keys, gone, pub)),
        )
        # the nurse room's login turned off by the administrator
        _sql(empty_db, f"ALTER ROLE {c.nurse_login} NOLOGIN")
        key_id = enrol.revoke(front, login(front, "admin"), lf, c.id["office"])
        assert key_id == 2
        sealed_to = {r[0] for r in _sql(empty_db, "SELECT holder FROM seal_key_wrap")}
        assert sealed_to == {c.id["front"], "recovery"}
        # sealing it to them anyway, through the front desk's call: nothing is kept
        before = _digest(empty_db)
        keys = lf.keys
        assert keys.seal_key_for(2) is not None
        with lf.conn.transaction():
            n = lf.conn.execute(
                "SELECT add_seal_key_wraps(2, %s, %s)",
                (
                    [gone, c.id["nurse"], c.id["office"]],
                    [key_rotation.wrap_version(pub, h, keys, 2) for h in ("a", "b", "c")],
                ),
            ).fetchone()[0]
        assert n == 0
        assert _digest(empty_db) == before
        # turned on again, the nurse room is sealed the version by the next holder
        _sql(empty_db, f"ALTER ROLE {c.nurse_login} LOGIN")
        assert key_rotation.complete_wraps(front, lf) == 1
        sealed_to = {r[0] for r in _sql(empty_db, "SELECT holder FROM seal_key_wrap")}
        assert sealed_to == {c.id["front"], "recovery", c.id["nurse"]}
    finally:
        lf.conn.close()


# -- 2. the calls that name no workstation --------------------------------------------


def test_the_calls_that_named_no_workstation_are_refused_to_others(clinic3, empty_db, postgres):
    c = clinic3
    front, office = c.ws["front"], c.ws["office"]
    lf = srv.open_link(front, c.custody["front"])
    lo = srv.open_link(office, c.custody["office"])
    try:
        staff_sync.push(front, lf)  # the clinic's staff on the server
        _keep_store_anchor(front, lf)  # the front desk's store anchored, in its name
        _sql(empty_db, "DELETE FROM key_wrap WHERE kind = 'recovery-key'")
        _sql(empty_db, "DELETE FROM seal_key_holder WHERE holder = 'recovery'")
    finally:
        lf.conn.close()
    stray = _stray_login(c, postgres, empty_db)
    admin_ref = staff_ref(c.keys, "admin")
    nurse_ref = staff_ref(c.keys, "nurse.chen")
    front_store = front.custody.store_id
    pub = key_rotation.public_of(key_rotation.new_private())
    blob = key_rotation.recovery_blob(key_rotation.new_private(), c.code, c.clinic_id)
    before = _digest(empty_db)
    # (who, call, its arguments, the refusal's SQLSTATE, words of its message)
    tries = [
        # a login that receives no keys seals none to others
        (
            stray,
            "SELECT add_seal_key_wraps(1, ARRAY[%s], ARRAY['x'])",
            (c.id["office"],),
            "42501",
            "receives no clinic keys and may not seal them to others",
        ),
        # the clinic code's key: in no workstation's name, in another's, by a nurse
        (
            stray,
            "SELECT set_recovery_key(%s, %s, 'm', %s, %s)",
            (blob, pub, _u(), admin_ref),
            "42501",
            "may not act as workstation",
        ),
        (
            c.dsn["office"],
            "SELECT set_recovery_key(%s, %s, 'm', %s, %s)",
            (blob, pub, c.id["front"], admin_ref),
            "42501",
            f"is the login of workstation {c.id['office']}, not of {c.id['front']}",
        ),
        (
            c.dsn["office"],
            "SELECT set_recovery_key(%s, %s, 'm', %s, %s)",
            (blob, pub, c.id["office"], nurse_ref),
            "42501",
            "is not an administrator",
        ),
        (
            c.dsn["nurse"],
            "SELECT set_recovery_key(%s, %s, 'm', %s, %s)",
            (blob, pub, c.id["nurse"], _u()),  # an account the server does not know
            "42501",
            "is not an administrator the server knows",
        ),
        # a store's anchor: in another's name, or for another workstation's store
        (
            stray,
            "SELECT audit_keep_store_anchor('s', 'p', 1, 1, '{}', %s)",
            (_u(),),
            "42501",
            "may not act as workstation",
        ),
        (
            c.dsn["office"],
            "SELECT audit_keep_store_anchor(%s, 'p', 1, 9, '{}', %s)",
            (front_store, c.id["front"]),
            "42501",
            f"is the login of workstation {c.id['office']}, not of {c.id['front']}",
        ),
        (
            c.dsn["office"],
            "SELECT audit_keep_store_anchor(%s, 'p', 1, 9, '{}', %s)",
            (front_store, c.id["office"]),
            "CI005",  # its own SQLSTATE: the app tells it from a missing grant
            f"keeps its audit anchors under workstation {c.id['front']}",
        ),
        # only the owner login resets who keeps a store's anchors
        (
            c.dsn["office"],
            "SELECT audit_reset_store_keeper(%s, %s)",
            (front_store, c.id["office"]),
            "42501",
            "may not reset who keeps a store's audit anchors",
        ),
    ]
    for dsn, sql, args, state, words in tries:
        with psycopg.connect(dsn, autocommit=True) as conn:
            with pytest.raises(psycopg.Error) as refused:
                conn.execute(sql, args)
            assert refused.value.sqlstate == state, (sql, refused.value)
            assert words in refused.value.diag.message_primary, (sql, refused.value)
    assert _digest(empty_db) == before
    # the old forms are gone (an app of schema 16 is told to update anyway)
    with psycopg.connect(c.dsn["office"], autocommit=True) as conn:
        with pytest.raises(psycopg.errors.UndefinedFunction):
            conn.execute("SELECT set_recovery_key('b', %s, 'm')", (pub,))
    assert _digest(empty_db) == before
    # the legitimate calls: Office 2 seals what it holds, anchors its own store, and its
    # administrator adds the clinic code's key
    with psycopg.connect(c.dsn["office"], autocommit=True) as conn:
        assert conn.execute("SELECT add_seal_key_wraps(1, '{}', '{}')").fetchone()[0] == 0
    try:
        _keep_store_anchor(office, lo)
        assert key_rotation.enable_recovery(office, login(office, "admin"), lo, c.code) is True
    finally:
        lo.conn.close()
    anchored = set(_sql(empty_db, "SELECT store_id, ws::text FROM audit_store_anchor"))
    assert anchored == {
        (front_store, c.id["front"]),
        (office.custody.store_id, c.id["office"]),
    }
    assert _sql(empty_db, "SELECT login FROM seal_key_holder WHERE holder = 'recovery'") == [
        (psycopg.conninfo.conninfo_to_dict(c.dsn["office"])["user"],)
    ]


def test_the_app_says_in_words_what_the_server_refused(clinic3, empty_db, postgres):
    c = clinic3
    front, nurse = c.ws["front"], c.ws["nurse"]
    lf = srv.open_link(front, c.custody["front"])
    ln = srv.open_link(nurse, c.custody["nurse"])
    try:
        staff_sync.push(front, lf)
        staff_sync.push(nurse, ln)  # nothing of the staff left to send from here
        _sql(empty_db, "DELETE FROM key_wrap WHERE kind = 'recovery-key'")
        _sql(empty_db, "DELETE FROM seal_key_holder WHERE holder = 'recovery'")
        # the server holds the administrator turned off (another workstation did it)
        _sql(
            empty_db,
            "UPDATE staff_member SET active = false WHERE id = %s",
            (staff_ref(c.keys, "admin"),),
        )
        # the nurse room's store anchored already in the front desk's name
        _sql(
            empty_db,
            "INSERT INTO audit_store_anchor (store_id, place, epoch, count, record, ws) "
            "VALUES (%s, 'elsewhere', 1, 1, '{}', %s)",
            (nurse.custody.store_id, c.id["front"]),
        )
        _sql(
            empty_db,
            "INSERT INTO audit_store_keeper (store_id, ws) VALUES (%s, %s)",
            (nurse.custody.store_id, c.id["front"]),
        )
        before = _digest(empty_db)
        with pytest.raises(SharedQueueError) as said:
            key_rotation.enable_recovery(nurse, login(nurse, "admin"), ln, c.code)
        words = str(said.value)
        assert "refused: the account of Admin is not an active administrator there" in words
        assert "Nothing was changed" in words
        with pytest.raises(SharedQueueError) as said:
            _keep_store_anchor(nurse, ln)
        words = str(said.value)
        assert "refused this computer's audit anchor" in words, words
        assert "under another workstation" in words and "Nothing was changed" in words
        assert _digest(empty_db) == before
        # a link over a login that receives no clinic keys passes none on (a version
        # the holders still lack, as after a renewal)
        ln.keys = ln.keys.with_version(2, secrets.token_bytes(32))
        _sql(
            empty_db,
            "INSERT INTO seal_key_version (key_id, key_check, created_ws, created_by) "
            "VALUES (2, %s, %s, 'ref-admin')",
            (ln.keys.version_check(2), c.id["front"]),
        )
        before = _digest(empty_db)
        stray = _stray_login(c, postgres, empty_db)
        ln.conn.close()
        ln.conn = psycopg.connect(stray)
        # not raised (pull() runs it at every exchange): it stops, and says so
        assert key_rotation.complete_wraps(nurse, ln) == 0
        words = ln.notice or ""
        assert "receives no clinic keys there" in words and "Nothing was changed" in words
        assert c.nurse_login not in words and c.id["nurse"] not in words
        assert _digest(empty_db) == before
        # ... so a pull over that login still goes through, with the same notice
        ln.notice = None
        result = pull(nurse, ln)
        assert result.cursor >= 0
        assert "receives no clinic keys there" in (ln.notice or "")
        assert _digest(empty_db) == before
        said_in_audit = nurse.store.execute(
            "SELECT count(*) FROM audit WHERE action = 'server.clinic_code_key_refused'"
        ).fetchone()[0]
        assert said_in_audit == 1
    finally:
        lf.conn.close()
        ln.conn.close()


# -- 3. a claim by a workstation that registered no key yet ---------------------------


def test_a_claim_registers_a_missing_receiving_key_first(clinic3, empty_db):
    """Joined with the clinic code before schema 10: no receiving key on the server, so
    its login speaks for no workstation; its claimer registers the key, then claims."""
    c = clinic3
    nurse = c.ws["nurse"]
    _sql(empty_db, "DELETE FROM seal_key_holder WHERE holder = %s", (c.id["nurse"],))
    # without registering (the app before this step): refused, and the receipt waits
    claims = ServerClaims(c.dsn["nurse"], c.keys, c.id["nurse"], once=True)
    try:
        assert claims.claim("<q1@patients.example>", "ack") is Verdict.UNKNOWN
    finally:
        claims.close()
    assert "does not belong to this workstation" in (claims.problem or "")
    # an impostor's login cannot register it in the nurse room's name on the way
    before = _digest(empty_db)
    claims = ServerClaims(
        c.dsn["office"],
        c.keys,
        c.id["nurse"],
        once=True,
        register=register_own_key(nurse, c.keys, c.id["nurse"]),
    )
    try:
        assert claims.claim("<q1@patients.example>", "ack") is Verdict.UNKNOWN
    finally:
        claims.close()
    assert "does not belong to this workstation" in (claims.problem or "")
    assert _digest(empty_db) == before
    # the app's claimer for a sync pass: registers, then claims in its own name
    claims = ServerClaims(
        c.dsn["nurse"],
        c.keys,
        c.id["nurse"],
        once=True,
        register=register_own_key(nurse, c.keys, c.id["nurse"]),
    )
    try:
        assert claims.claim("<q1@patients.example>", "ack") is Verdict.SEND
        assert claims.claim("<q2@patients.example>", "ack") is Verdict.SEND
    finally:
        claims.close()
    assert claims.problem is None
    assert _sql(
        empty_db, "SELECT login FROM seal_key_holder WHERE holder = %s", (c.id["nurse"],)
    ) == [(c.nurse_login,)]
    assert {r[0] for r in _sql(empty_db, "SELECT ws::text FROM auto_reply_claim")} == {
        c.id["nurse"]
    }


# -- an upgrade from schema 16 ----------------------------------------------------------

_DEF = re.compile(r"CREATE (?:OR REPLACE )?FUNCTION (\w+)\(.*?\$\$;", re.S)
_VIEW = re.compile(r"CREATE OR REPLACE VIEW seal_key_eligible AS.*?;\n", re.S)


def _last(text: str, name: str) -> str:
    found = [m.group(0) for m in _DEF.finditer(text) if m.group(1) == name][-1]
    if not found.startswith("CREATE OR REPLACE"):
        found = "CREATE OR REPLACE" + found[len("CREATE") :]
    return found.replace("@SCHEMA@", "public")


def _as_schema_16(dsn: str, role: str) -> None:
    """The server as step 16 left it."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        with conn.transaction():
            conn.execute("DROP TRIGGER seal_key_wrap_eligible ON seal_key_wrap")
            conn.execute("DROP FUNCTION seal_key_wrap_eligible()")
            conn.execute(_VIEW.search(retired_key_schema.DDL).group(0))
            conn.execute(_last(own_name_all_schema.DDL, "caller_may_register"))
            conn.execute(_last(key_rotation_schema.DDL, "add_seal_key_wraps"))
            conn.execute("DROP FUNCTION set_recovery_key(text, bytea, text, uuid, text)")
            conn.execute(_last(key_rotation_schema.DDL, "set_recovery_key"))
            conn.execute(f"GRANT EXECUTE ON FUNCTION set_recovery_key(text, bytea, text) TO {role}")
            conn.execute(
                "DROP FUNCTION audit_keep_store_anchor(text, text, integer, bigint, text, uuid)"
            )
            conn.execute(_last(audit_schema.DDL, "audit_keep_store_anchor"))
            conn.execute(
                "GRANT EXECUTE ON FUNCTION audit_keep_store_anchor(text, text, integer, bigint, "
                f"text) TO {role}"
            )
            conn.execute("ALTER TABLE audit_store_anchor DROP COLUMN ws")
            conn.execute("DROP FUNCTION audit_reset_store_keeper(text, uuid)")
            conn.execute("DROP TABLE audit_store_keeper")
            conn.execute(_last(own_name_all_schema.DDL, "register_seal_holder"))
            conn.execute("DROP FUNCTION caller_is_owner()")
            conn.execute("UPDATE server_info SET schema_version = 16")


def test_a_schema_16_server_takes_it_all_until_upgraded(clinic3, empty_db, postgres):
    c = clinic3
    front = c.ws["front"]
    role = sch.workstation_role(c.clinic_id)
    stray = _stray_login(c, postgres, empty_db)
    _as_schema_16(empty_db, role)
    pub = key_rotation.public_of(key_rotation.new_private())
    squat = _u()
    with psycopg.connect(c.dsn["nurse"], autocommit=True) as conn:
        # the gap: the nurse room's login registers a key under a made-up workstation
        conn.execute("SELECT register_seal_holder(%s, %s, 'mac')", (squat, pub))
    _sql(empty_db, "DELETE FROM key_wrap WHERE kind = 'recovery-key'")
    _sql(empty_db, "DELETE FROM seal_key_holder WHERE holder = 'recovery'")
    with psycopg.connect(stray, autocommit=True) as conn:
        # ... and a login no computer registered with sets the clinic code's key
        assert conn.execute("SELECT set_recovery_key('b', %s, 'm')", (pub,)).fetchone()[0]
        conn.execute("SELECT audit_keep_store_anchor('s', 'p', 1, 1, '{}')")
    with pytest.raises(SharedQueueError) as old:
        srv.open_link(front, c.custody["front"])
    assert "older schema (16)" in str(old.value) and "server upgrade" in str(old.value)
    assert srv.upgrade_server(front, login(front, "admin"), empty_db) == (16, SCHEMA_VERSION)
    assert SCHEMA_VERSION == 17
    _sql(empty_db, "DELETE FROM key_wrap WHERE kind = 'recovery-key'")
    _sql(empty_db, "DELETE FROM seal_key_holder WHERE holder = 'recovery'")
    for twice in (1, 2):
        before = _digest(empty_db)
        with psycopg.connect(c.dsn["nurse"], autocommit=True) as conn:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("SELECT register_seal_holder(%s, %s, 'mac')", (_u(), pub))
        with psycopg.connect(stray, autocommit=True) as conn:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("SELECT set_recovery_key('b', %s, 'm', %s, 'x')", (pub, c.id["front"]))
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("SELECT add_seal_key_wraps(1, '{}', '{}')")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("SELECT audit_keep_store_anchor('s', 'p', 1, 2, '{}', %s)", (_u(),))
        assert _digest(empty_db) == before
        # the honest calls go through
        with psycopg.connect(c.dsn["office"], autocommit=True) as conn:
            conn.execute(
                "SELECT audit_keep_store_anchor('s-office', 'p', 1, %s, '{}', %s)",
                (twice, c.id["office"]),
            )
            assert conn.execute("SELECT add_seal_key_wraps(1, '{}', '{}')").fetchone()[0] == 0
        # upgraded again (a second run of the step): harmless
        with psycopg.connect(empty_db, autocommit=True) as conn:
            with conn.transaction():
                for script in sch.upgrade_scripts(SCHEMA_VERSION, role):
                    conn.execute(script)
    # the anchor kept before the step names no workstation; Office 2's name its own
    assert set(_sql(empty_db, "SELECT store_id, ws::text FROM audit_store_anchor")) == {
        ("s", None),
        ("s-office", c.id["office"]),
    }
    # the key the nurse room's login registered under a made-up workstation on schema 16
    # is left out of every renewal after the upgrade (it speaks for its first only)
    eligible = {r[0] for r in _sql(empty_db, "SELECT holder FROM seal_key_eligible")}
    assert squat not in eligible and c.id["nurse"] in eligible
    lf = srv.open_link(front, c.custody["front"])
    try:
        assert enrol.revoke(front, login(front, "admin"), lf, c.id["office"]) == 2
    finally:
        lf.conn.close()
    sealed_to = {r[0] for r in _sql(empty_db, "SELECT holder FROM seal_key_wrap WHERE key_id = 2")}
    assert squat not in sealed_to and c.id["nurse"] in sealed_to and c.id["front"] in sealed_to


# -- findings of the schema 17 review ---------------------------------------------------


def test_a_stores_anchors_change_keeper_only_when_it_may_no_longer_keep_them(
    clinic3, empty_db, postgres
):
    c = clinic3
    nurse, office = c.ws["nurse"], c.ws["office"]
    nurse_store = nurse.custody.store_id
    # an insider's login registers a workstation and anchors the nurse room's store first
    stray = _stray_login(c, postgres, empty_db)
    squat = _u()
    with psycopg.connect(stray, autocommit=True) as conn:
        conn.execute("SELECT register_seal_holder(%s, %s, 'mac')", (squat, KEY32))
        conn.execute(
            "SELECT audit_keep_store_anchor(%s, 'p', 1, 1, '{}', %s)", (nurse_store, squat)
        )
    ln = srv.open_link(nurse, c.custody["nurse"])
    try:
        with pytest.raises(SharedQueueError) as said:
            _keep_store_anchor(nurse, ln)
        assert "under another workstation" in str(said.value)
        # the owner login gives the store back to its workstation
        _sql(empty_db, "SELECT audit_reset_store_keeper(%s, %s)", (nurse_store, c.id["nurse"]))
        _keep_store_anchor(nurse, ln)
    finally:
        ln.conn.close()
    with psycopg.connect(stray, autocommit=True) as conn:
        with pytest.raises(psycopg.Error) as refused:
            conn.execute(
                "SELECT audit_keep_store_anchor(%s, 'p', 1, 2, '{}', %s)", (nurse_store, squat)
            )
        assert refused.value.sqlstate == "CI005"
    # a keeper whose login was turned off keeps the store no longer
    _sql(empty_db, f"ALTER ROLE {c.nurse_login} NOLOGIN")
    with psycopg.connect(c.dsn["office"], autocommit=True) as conn:
        conn.execute(
            "SELECT audit_keep_store_anchor(%s, 'p', 1, 3, '{}', %s)", (nurse_store, c.id["office"])
        )
    _sql(empty_db, f"ALTER ROLE {c.nurse_login} LOGIN")
    # nor one with no eligible key (its key gone): the insider's store goes to the next
    with psycopg.connect(stray, autocommit=True) as conn:
        conn.execute("SELECT audit_keep_store_anchor('s-x', 'p', 1, 1, '{}', %s)", (squat,))
    lo = srv.open_link(office, c.custody["office"])
    try:
        with psycopg.connect(c.dsn["office"], autocommit=True) as conn:
            with pytest.raises(psycopg.Error):
                conn.execute(
                    "SELECT audit_keep_store_anchor('s-x', 'p', 1, 2, '{}', %s)", (c.id["office"],)
                )
        _sql(empty_db, "DELETE FROM seal_key_holder WHERE holder = %s", (squat,))
        with psycopg.connect(c.dsn["office"], autocommit=True) as conn:
            conn.execute(
                "SELECT audit_keep_store_anchor('s-x', 'p', 1, 2, '{}', %s)", (c.id["office"],)
            )
    finally:
        lo.conn.close()
    keepers = dict(_sql(empty_db, "SELECT store_id, ws::text FROM audit_store_keeper"))
    assert keepers[nurse_store] == c.id["office"] and keepers["s-x"] == c.id["office"]


def test_a_store_anchor_refused_for_another_reason_is_not_said_to_be_kept_elsewhere(
    clinic3, empty_db
):
    c = clinic3
    office = c.ws["office"]
    role = sch.workstation_role(c.clinic_id)
    _sql(
        empty_db,
        "REVOKE EXECUTE ON FUNCTION audit_keep_store_anchor(text, text, integer, bigint, text, "
        f"uuid) FROM {role}",
    )
    lo = srv.open_link(office, c.custody["office"])
    try:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _keep_store_anchor(office, lo)
    finally:
        lo.conn.close()


def test_two_first_registrations_under_one_login_at_once_register_one(clinic3, empty_db, postgres):
    c = clinic3
    stray = _stray_login(c, postgres, empty_db)
    first, second = _u(), _u()
    got: list[BaseException | bool] = []
    with psycopg.connect(stray) as one, psycopg.connect(stray, autocommit=True) as two:
        one.execute("SELECT register_seal_holder(%s, %s, 'mac')", (first, KEY32))

        def other() -> None:
            try:
                got.append(
                    two.execute(
                        "SELECT register_seal_holder(%s, %s, 'mac')", (second, KEY32)
                    ).fetchone()[0]
                )
            except psycopg.Error as exc:
                got.append(exc)

        t = threading.Thread(target=other)
        t.start()
        t.join(1.0)
        assert t.is_alive()  # waits for the first, not yet committed
        one.commit()
        t.join(30)
    assert len(got) == 1 and isinstance(got[0], psycopg.errors.InsufficientPrivilege)
    assert f"is the login of workstation {first}" in got[0].diag.message_primary
    holders = {r[0] for r in _sql(empty_db, "SELECT holder FROM seal_key_holder")}
    assert first in holders and second not in holders


def test_a_renewal_that_would_leave_out_its_own_maker_is_refused(clinic3, empty_db):
    c = clinic3
    front = c.ws["front"]
    # the front desk's own key no longer eligible (a pending request in its name)
    _sql(
        empty_db,
        "INSERT INTO workstation (id, name, public_key, fingerprint) VALUES (%s, 'x', %s, 'fp')",
        (c.id["front"], KEY32),
    )
    lf = srv.open_link(front, c.custody["front"])
    try:
        before = _digest(empty_db)
        with pytest.raises(SharedQueueError) as said:
            enrol.revoke(front, login(front, "admin"), lf, c.id["office"])
        words = str(said.value)
        assert "did not renew the clinic's key" in words and "Nothing was changed" in words
        assert _digest(empty_db) == before  # not revoked, not renewed
    finally:
        lf.conn.close()


def test_the_owner_login_registers_and_seals_after_another_login_upgraded(
    tmp_path, keyring_factory, postgres
):
    """The server prepared by a login that is not a superuser; step 17's functions then
    made by another login (as a `server upgrade` run by it would): the owner login still
    has owner rights."""
    tag = uuid.uuid4().hex[:10]
    owner, other, db = f"owner_{tag}", f"upgrader_{tag}", f"owned_{tag}"
    su = postgres.create_database(f"admin_{tag}")
    _sql(su, f"CREATE ROLE {owner} LOGIN CREATEROLE PASSWORD '{NURSE_PW}'")
    _sql(su, f"CREATE ROLE {other} LOGIN SUPERUSER PASSWORD '{NURSE_PW}'")
    _sql(su, f"CREATE DATABASE {db} OWNER {owner}")
    owner_dsn = postgres.dsn(db, owner, NURSE_PW)
    ring = keyring_factory()
    front = new_workstation(tmp_path / "front", ring.backend())
    try:
        init = srv.init_server(
            front, login(front, "admin"), owner_dsn, KeyCustody(front.home, backend=ring.backend())
        )
        db_su = postgres.dsn(db)
        _sql(db_su, f"ALTER FUNCTION caller_is_owner() OWNER TO {other}")
        with psycopg.connect(postgres.dsn(db, other, NURSE_PW), autocommit=True) as conn:
            with conn.transaction():  # step 17 run (again) by that login
                for script in sch.upgrade_scripts(17, sch.workstation_role(init.clinic_id)):
                    conn.execute(script)
        keys = clinic_keys.load(front).keys
        made_up = _u()
        pub = key_rotation.public_of(key_rotation.new_private())
        with psycopg.connect(owner_dsn, autocommit=True) as conn:
            # registers for whatever it is used by, and the clinic code's key
            assert conn.execute(
                "SELECT register_seal_holder(%s, %s, %s)",
                (made_up, pub, key_rotation.holder_mac(keys, made_up, pub)),
            ).fetchone()[0]
            assert (
                conn.execute("SELECT register_seal_holder('recovery', %s, 'm')", (pub,)).fetchone()[
                    0
                ]
                is False
            )  # there already: a no-op, not a refusal
            # seals a version (as after a renewal) to the holder it registered
            conn.execute(
                "INSERT INTO seal_key_version (key_id, key_check, created_ws, created_by) "
                "VALUES (2, 'check', %s, 'ref-admin')",
                (init.workstation_id,),
            )
            n = conn.execute(
                "SELECT add_seal_key_wraps(2, ARRAY[%s], ARRAY['blob'])", (made_up,)
            ).fetchone()[0]
            assert n == 1
        lf = srv.open_link(front)
        try:
            assert key_rotation.complete_wraps(front, lf) == 0
            assert lf.notice is None
        finally:
            lf.conn.close()
        assert init.workstation_id in {
            r[0] for r in _sql(db_su, "SELECT holder FROM seal_key_eligible")
        }
    finally:
        front.close()


def test_a_local_fault_reading_the_keys_does_not_stop_claims_starting(clinic3, monkeypatch):
    c = clinic3
    nurse = c.ws["nurse"]

    def broken(clinic):  # noqa: ANN001, ANN202
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(key_rotation, "_own_private", broken)
    assert (
        register_own_key(nurse, c.keys, c.id["nurse"]) is None
    )  # said in the log, claims carry on
