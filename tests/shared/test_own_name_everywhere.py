"""Every server function that takes a workstation acts in the caller's own name only
(server schema 16, own_name_all_schema).

Step 14 made claims of automatic replies check the caller (caller_workstation); the
other functions took the workstation they were given on trust. On a real PostgreSQL,
with the three kinds of login the clinic uses (the front desk keeps the owner login,
Office 2 was enrolled by approval and has a login of its own, the nurse room joined
with the clinic code under a login an administrator made for it):

- each login naming another workstation (or one that does not exist) is refused by
  every function (SQLSTATE 42501) and nothing at all is recorded;
- in its own name each login's calls go through and are recorded under its own
  workstation; the app's own path (lease, publication, queued changes, presence, audit
  shipping) works for all three;
- a workstation whose login is another's says so in plain words, and its queued change
  stays queued until the login is put right, then goes;
- a server left at schema 15 takes a lease in another's name (the gap); after
  `server upgrade` the same call is refused.
"""

from __future__ import annotations

import re
import time
import uuid

import psycopg
import pytest
from test_claim_own_name import Clinic3
from workstations import login, receive

from clinic_inbox.core import services
from clinic_inbox.core.model import Status
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import (
    SharedQueueError,
    audit_schema,
    clinic_keys,
    discard_schema,
    glass_review_schema,
    ingest_lease,
    key_rotation_schema,
    own_name_schema,
    patient_edit_schema,
    presence,
    purge_schema,
    refusals,
    reopen_schema,
    retired_key_schema,
    staff_edit_schema,
    staff_schema,
    turned_off_schema,
    workflow_mac_schema,
)
from clinic_inbox.shared import schema as sch
from clinic_inbox.shared import server as srv
from clinic_inbox.shared.audit_ship import ship
from clinic_inbox.shared.clinic_keys import ServerLink
from clinic_inbox.shared.live import LiveSync
from clinic_inbox.shared.schema import SCHEMA_VERSION
from clinic_inbox.shared.sync import publish_conversation, pull, push

SEALED = b"\x01\x01" + b"s" * 40  # looks sealed under the first key version
KEY32 = b"\x07" * 32
START = ["new", "", "routine", "false"]

# Tables a workstation's call can write: a refused call changes none of them.
TABLES = (
    "ingest_lease",
    "source_checkpoint",
    "conversation",
    "conversation_field",
    "message",
    "note",
    "op_receipt",
    "presence",
    "patient",
    "patient_key",
    "patient_field",
    "patient_op_receipt",
    "staff_member",
    "access_op",
    "conversation_purge",
    "message_discard",
    "change_log",
    "seal_key_holder",
    "seal_key_version",
    "seal_key_wrap",
    "audit_signer",
    "audit_entry",
    "audit_head",
    "key_wrap",
    "audit_store_anchor",
)


def _u() -> str:
    return str(uuid.uuid4())


def _calls() -> list[tuple[str, str, object]]:
    """(function, SQL, arguments given the workstation named): each would record
    something if made in the caller's own name."""
    return [
        ("take_ingest_lease", "SELECT take_ingest_lease('acct-new', %s, 30)", lambda w: (w,)),
        ("release_ingest_lease", "SELECT release_ingest_lease('acct-0', %s, 1)", lambda w: (w,)),
        ("hold_ingest_lease", "SELECT hold_ingest_lease('acct-0', %s, 1)", lambda w: (w,)),
        (
            "save_checkpoint",
            "SELECT save_checkpoint('acct-0', %s, 1, 'src-new', %s, 1, 5, NULL)",
            lambda w: (w, SEALED),
        ),
        (
            "publish_conversation",
            "SELECT publish_conversation(%s, %s, 'system', %s, %s, %s::uuid[], %s)",
            lambda w: (_u(), w, SEALED, START, [_u() for _ in START], ["mac"] * 4),
        ),
        (
            "publish_message",
            "SELECT publish_message(%s, %s, %s, %s, now(), %s)",
            lambda w: (_u(), CONV0, w, f"ident-{_u()}", SEALED),
        ),
        (
            "publish_patient_message",
            "SELECT publish_patient_message(%s, %s, %s, %s, now(), %s, NULL, NULL)",
            lambda w: (_u(), CONV0, w, f"ident-{_u()}", SEALED),
        ),
        (
            "publish_patient",
            "SELECT publish_patient(%s, %s, %s, %s)",
            lambda w: (_u(), w, [f"pk-{_u()}"], SEALED),
        ),
        (
            "publish_purge",
            "SELECT publish_purge(%s, %s, 'at', 'mac', %s)",
            lambda w: (CONV0, w, SEALED),
        ),
        (
            "apply_op",
            "SELECT * FROM apply_op(%s, %s, %s, 'priority', 1, 'urgent', 'system', NULL, NULL, "
            "'mac')",
            lambda w: (_u(), w, CONV0),
        ),
        (
            "apply_op (note)",
            "SELECT * FROM apply_op(%s, %s, %s, 'note', 0, %s, 'system', now(), %s, NULL)",
            lambda w: (_u(), w, CONV0, _u(), SEALED),
        ),
        (
            "apply_status_op",
            "SELECT * FROM apply_status_op(%s, %s, %s, 1, 'in_progress', 'system', 'mac', NULL)",
            lambda w: (_u(), w, CONV0),
        ),
        (
            "apply_patient_op",
            "SELECT * FROM apply_patient_op(%s, %s, %s, 'given_name', 0, %s, 'system')",
            lambda w: (_u(), w, PATIENT0, SEALED),
        ),
        (
            "apply_access_op",
            "SELECT * FROM apply_access_op(%s, %s, 'staff.add', %s, 0, 'nurse', NULL, "
            "'ref-admin', %s)",
            lambda w: (_u(), w, f"ref-{_u()}", SEALED),
        ),
        (
            "apply_access_edit",
            "SELECT * FROM apply_access_edit(%s, %s, 'staff.name', 'ref-x', 0, NULL, "
            "'ref-admin', %s)",
            lambda w: (_u(), w, SEALED),
        ),
        ("discard_message", "SELECT discard_message(%s, 'ident-0', 'mac')", lambda w: (w,)),
        (
            "set_presence",
            "SELECT set_presence(%s, %s, %s, 'viewing', 60)",
            lambda w: (CONV0, f"ref-{w}", w),
        ),
        (
            "rotate_seal_key",
            "SELECT rotate_seal_key(%s, %s, 'ref-admin', 2, 'check', '{}', '{}')",
            lambda w: (_u(), w),
        ),
        (
            "audit_register_signer",
            "SELECT audit_register_signer(%s, 'someone', %s)",
            lambda w: (w, KEY32),
        ),
        (
            "audit_append",
            "SELECT * FROM audit_append(%s, 7, 1, 'at', 'view', 'x', NULL, NULL, NULL, %s, %s, "
            "'mac')",
            lambda w: (w, SEALED, "0" * 64),
        ),
        (
            "audit_sign_head",
            "SELECT audit_sign_head(%s, 7, 1, 'mac', 0, 'hash', 'at', %s)",
            lambda w: (w, b"\x05" * 64),
        ),
        # schema 17: these two named no workstation before
        (
            "set_recovery_key",
            "SELECT set_recovery_key('blob', %s, 'mac', %s, 'ref-admin')",
            lambda w: (KEY32, w),
        ),
        (
            "audit_keep_store_anchor",
            "SELECT audit_keep_store_anchor(%s, 'place', 1, 1, '{}', %s)",
            lambda w: (f"store-{_u()}", w),
        ),
    ]


CONV0 = "00000000-0000-4000-8000-0000000000c0"
PATIENT0 = "00000000-0000-4000-8000-0000000000e0"


def _digest(dsn: str) -> dict[str, str]:
    with psycopg.connect(dsn) as conn:
        return {
            t: conn.execute(
                f"SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM {t} x"
            ).fetchone()[0]
            for t in TABLES
        }


def _setup(c: Clinic3) -> None:
    """The front desk, in its own name: a conversation with one message, a patient, the
    lease of 'acct-0' and its presence on the conversation."""
    front = c.id["front"]
    with psycopg.connect(c.dsn["front"], autocommit=True) as conn:
        conn.execute(
            "SELECT publish_conversation(%s, %s, 'system', %s, %s, %s::uuid[], %s)",
            (CONV0, front, SEALED, START, [_u() for _ in START], ["mac"] * 4),
        )
        conn.execute(
            "SELECT publish_message(%s, %s, %s, 'ident-0', now(), %s)", (_u(), CONV0, front, SEALED)
        )
        conn.execute("SELECT publish_patient(%s, %s, ARRAY['pk-0'], %s)", (PATIENT0, front, SEALED))
        assert (
            conn.execute("SELECT take_ingest_lease('acct-0', %s, 300)", (front,)).fetchone()[0] == 1
        )
        conn.execute("SELECT set_presence(%s, 'ref-front', %s, 'replying', 60)", (CONV0, front))


def _refused(exc: BaseException) -> bool:
    return isinstance(exc, psycopg.errors.InsufficientPrivilege) and (
        refusals.is_not_this_workstation(exc)
    )


@pytest.fixture()
def clinic3(tmp_path, keyring_factory, empty_db, postgres):
    c = Clinic3(tmp_path, keyring_factory, empty_db, postgres)
    yield c
    c.close()


def test_every_function_refuses_another_workstations_name_and_records_nothing(clinic3, empty_db):
    c = clinic3
    _setup(c)
    before = _digest(empty_db)
    ghost = _u()
    tried = 0
    for who in ("front", "office", "nurse"):
        with psycopg.connect(c.dsn[who], autocommit=True) as conn:
            for other in [*(o for o in c.id if o != who), "ghost"]:
                named = ghost if other == "ghost" else c.id[other]
                for name, sql, args in _calls():
                    with pytest.raises(psycopg.Error) as refused:
                        conn.execute(sql, args(named))
                    assert _refused(refused.value), (who, other, name, refused.value)
                    tried += 1
    assert tried == 3 * 3 * len(_calls())
    assert _digest(empty_db) == before  # not one row written, changed or removed


def test_a_receiving_key_is_registered_by_the_workstations_own_login_only(clinic3, empty_db):
    c = clinic3
    before = _digest(empty_db)
    office = c.id["office"]
    # Office 2's login speaks for Office 2 alone; no other login speaks for Office 2
    for who, named in (
        ("office", c.id["front"]),
        ("office", c.id["nurse"]),
        ("office", _u()),
        ("front", office),
        ("nurse", office),
    ):
        with psycopg.connect(c.dsn[who], autocommit=True) as conn:
            with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
                conn.execute("SELECT register_seal_holder(%s, %s, 'mac')", (named, KEY32))
            assert refusals.is_not_this_workstation(refused.value), (who, refused.value)
    assert _digest(empty_db) == before
    # its own key again: a no-op, as before
    with psycopg.connect(empty_db) as conn:
        mine = bytes(
            conn.execute(
                "SELECT public_key FROM seal_key_holder WHERE holder = %s", (office,)
            ).fetchone()[0]
        )
    with psycopg.connect(c.dsn["office"], autocommit=True) as conn:
        said = conn.execute("SELECT register_seal_holder(%s, %s, 'mac')", (office, mine))
        assert said.fetchone()[0] is False


def test_in_its_own_name_each_login_is_recorded_under_its_own_workstation(clinic3, empty_db):
    c = clinic3
    _setup(c)
    skip = {
        "rotate_seal_key",
        "audit_register_signer",
        "audit_append",
        "audit_sign_head",
        "set_recovery_key",
    }
    for who in ("front", "office", "nurse"):
        me = c.id[who]
        with psycopg.connect(c.dsn[who], autocommit=True) as conn:
            epoch = conn.execute(
                "SELECT take_ingest_lease(%s, %s, 30)", (f"acct-{who}", me)
            ).fetchone()[0]
            assert epoch == 1
            conn.execute("SELECT hold_ingest_lease(%s, %s, 1)", (f"acct-{who}", me))
            conn.execute(
                "SELECT save_checkpoint(%s, %s, 1, %s, %s, 1, 5, NULL)",
                (f"acct-{who}", me, f"src-{who}", SEALED),
            )
            for name, sql, args in _calls():
                if name in skip or "ingest_lease" in name or name == "save_checkpoint":
                    continue
                if name == "publish_purge" and who != "nurse":
                    continue  # once, last: it empties the conversation
                conn.execute(sql, args(me))
            conn.execute("SELECT release_ingest_lease(%s, %s, 1)", (f"acct-{who}", me))
    with psycopg.connect(empty_db) as conn:

        def ws_of(sql: str) -> set[str]:
            return {r[0] for r in conn.execute(sql).fetchall()}

        mine = set(c.id.values())
        assert ws_of("SELECT holder::text FROM ingest_lease WHERE account <> 'acct-0'") == mine
        assert ws_of("SELECT ws::text FROM source_checkpoint") == mine
        assert ws_of("SELECT created_ws::text FROM conversation") == mine
        assert ws_of("SELECT ws::text FROM op_receipt") == mine
        assert ws_of("SELECT ws::text FROM access_op") == mine
        assert ws_of("SELECT created_ws::text FROM patient") == mine
        assert ws_of("SELECT ws::text FROM presence") == mine
        assert ws_of("SELECT ws::text FROM change_log") == mine
        assert ws_of("SELECT ws::text FROM message_discard") == {c.id["front"]}
        assert ws_of("SELECT ws::text FROM conversation_purge") == {c.id["nurse"]}
        # each login's presence replaced only its own row: the front desk's is still there
        assert conn.execute(
            "SELECT activity FROM presence WHERE ws = %s AND staff = 'ref-front' "
            "AND conv = %s AND activity = 'replying'",
            (c.id["front"], CONV0),
        ).fetchone()


def test_the_apps_own_path_works_for_every_kind_of_login(clinic3, empty_db):
    c = clinic3
    ws = c.ws
    links = {n: srv.open_link(w, c.custody[n]) for n, w in ws.items()}
    try:
        # the front desk (owner login) holds the lease and publishes new mail
        fence = ingest_lease.take(links["front"])
        assert fence is not None and fence.epoch == 1
        assert ingest_lease.take(links["office"]) is None  # held by the front desk
        push(ws["front"], links["front"])  # the clinic's staff
        convs = [
            publish_conversation(ws["front"], links["front"], t, None, fence)
            for t in receive(ws["front"], 2, "own")
        ]
        for n in ("office", "nurse"):
            pull(ws[n], links[n])
        # Office 2 (its own login) and the nurse room (clinic code) change and push
        t_office = shq.thread_by_uuid(ws["office"].store, convs[0])
        t_nurse = shq.thread_by_uuid(ws["nurse"].store, convs[1])
        services.set_status(
            ws["office"], login(ws["office"], "dr.patel"), t_office, Status.IN_PROGRESS
        )
        services.add_note(ws["nurse"], login(ws["nurse"], "nurse.chen"), t_nurse, "Called back.")
        assert push(ws["office"], links["office"]).applied >= 1
        assert push(ws["nurse"], links["nurse"]).applied >= 1
        for n in c.ws:
            presence.announce(links[n], f"ref-{n}", convs[0], "viewing")
            ship(ws[n], links[n], c.custody[n])
        # the front desk lets go; Office 2 takes over in its own name
        ingest_lease.release(links["front"], fence)
        taken = ingest_lease.take(links["office"])
        assert taken is not None and taken.epoch == 2
    finally:
        for link in links.values():
            link.conn.close()
    with psycopg.connect(empty_db) as conn:
        assert conn.execute("SELECT holder::text FROM ingest_lease").fetchone()[0] == c.id["office"]
        assert {r[0] for r in conn.execute("SELECT created_ws::text FROM conversation")} == {
            c.id["front"]
        }
        receipts = set(conn.execute("SELECT field, ws::text FROM op_receipt").fetchall())
        assert {("status", c.id["office"]), ("note", c.id["nurse"])} <= receipts
        assert {w for _, w in receipts} <= set(c.id.values())
        assert {r[0] for r in conn.execute("SELECT ws::text FROM presence")} == set(c.id.values())
        chains = {r[0] for r in conn.execute("SELECT DISTINCT chain::text FROM audit_entry")}
        assert chains == set(c.id.values())


def test_a_workstation_whose_login_is_anothers_says_so_and_loses_nothing(clinic3, empty_db):
    c = clinic3
    nurse = c.ws["nurse"]
    lf = srv.open_link(c.ws["front"], c.custody["front"])
    ln = srv.open_link(nurse, c.custody["nurse"])
    try:
        push(c.ws["front"], lf)
        conv = publish_conversation(c.ws["front"], lf, receive(c.ws["front"], 1, "x")[0], None)
        pull(nurse, ln)
    finally:
        lf.conn.close()
        ln.conn.close()
    thread = shq.thread_by_uuid(nurse.store, conv)
    services.set_status(nurse, login(nurse, "nurse.chen"), thread, Status.IN_PROGRESS)
    queued = [op.op_id for op in shq.pending_ops(nurse.store)]
    assert queued
    # the nurse room's settings now name Office 2's login (an insider's copy of them)
    own = clinic_keys.load(nurse)
    with nurse.store.transaction():
        clinic_keys.save(nurse, ServerLink(c.dsn["office"], own.keys, own.wrap_key))
    before = _digest(empty_db)
    link = srv.open_link(nurse, c.custody["nurse"])
    try:
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
            push(nurse, link)
        assert refusals.is_not_this_workstation(refused.value)
        assert not refusals.is_refusal(refused.value)  # not the change's fault: kept
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            ingest_lease.take(link)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            presence.announce(link, "ref-nurse", conv, "replying")
    finally:
        link.conn.close()
    assert [op.op_id for op in shq.pending_ops(nurse.store)] == queued  # still queued
    errors: list[str] = []
    live = LiveSync(nurse, custody=c.custody["nurse"], app="ws-nurse", on_error=errors.append)
    live.start()
    try:
        deadline = time.monotonic() + 20
        while not any("belong" in e for e in errors) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        live.stop()
    said = next((e for e in errors if "belong" in e), errors)
    assert "does not belong to this workstation" in said and "Nothing was lost" in said, said
    assert "ci_ws_" not in said and "password" not in said and c.id["office"] not in said
    assert [op.op_id for op in shq.pending_ops(nurse.store)] == queued
    assert _digest(empty_db) == before
    # put right: its own login again; the change goes, under the nurse room's name
    with nurse.store.transaction():
        clinic_keys.save(nurse, ServerLink(c.dsn["nurse"], own.keys, own.wrap_key))
    link = srv.open_link(nurse, c.custody["nurse"])
    try:
        assert push(nurse, link).applied >= 1
    finally:
        link.conn.close()
    assert shq.pending_ops(nurse.store) == []
    with psycopg.connect(empty_db) as conn:
        row = conn.execute("SELECT ws::text FROM op_receipt WHERE field = 'status'").fetchone()
    assert row[0] == c.id["nurse"]


# -- an upgrade from schema 15 -----------------------------------------------------------

_DEF = re.compile(r"CREATE (?:OR REPLACE )?FUNCTION (\w+)\(.*?\$\$;", re.S)
_WRAPPED = {
    "apply_patient_op": "uuid, uuid, uuid, text, integer, bytea, text",
    "apply_access_op": "uuid, uuid, text, text, integer, text, jsonb, text, bytea",
    "apply_access_edit": "uuid, uuid, text, text, integer, jsonb, text, bytea",
}
_REPLACED = (
    "take_ingest_lease",
    "release_ingest_lease",
    "hold_ingest_lease",
    "save_checkpoint",
    "publish_conversation",
    "publish_message",
    "publish_patient_message",
    "publish_patient",
    "publish_purge",
    "apply_op",
    "apply_status_op",
    "discard_message",
    "set_presence",
    "register_seal_holder",
    "rotate_seal_key",
    "audit_register_signer",
    "audit_append",
    "audit_sign_head",
    "approve_workstation",
    "revoke_workstation",
)


def _schema_15_definitions() -> dict[str, str]:
    """Each function's last definition up to step 15, as `CREATE OR REPLACE`."""
    texts = (
        sch.DDL,
        sch.DDL_2,
        purge_schema.DDL,
        sch.DDL_4,
        patient_edit_schema.DDL,
        staff_schema.DDL,
        reopen_schema.DDL,
        staff_edit_schema.DDL,
        discard_schema.DDL,
        key_rotation_schema.DDL,
        retired_key_schema.DDL,
        workflow_mac_schema.DDL,
        turned_off_schema.DDL,
        own_name_schema.DDL,
        glass_review_schema.DDL,
        sch.GRANTS,
        turned_off_schema.DECIDERS,
        audit_schema.DDL,
    )
    last: dict[str, str] = {}
    for text in texts:
        for m in _DEF.finditer(text):
            body = m.group(0)
            if not body.startswith("CREATE OR REPLACE"):
                body = "CREATE OR REPLACE" + body[len("CREATE") :]
            last[m.group(1)] = body
    return last


def _as_schema_15(dsn: str, role: str) -> None:
    """The server as step 15 left it: the functions as they were, no caller check but
    in claims and break-glass marks."""
    old = _schema_15_definitions()
    with psycopg.connect(dsn, autocommit=True) as conn:
        with conn.transaction():
            for name, types in _WRAPPED.items():
                conn.execute(f"DROP FUNCTION {name}({types})")
                conn.execute(f"ALTER FUNCTION {name}_as({types}) RENAME TO {name}")
                conn.execute(f"GRANT EXECUTE ON FUNCTION {name}({types}) TO {role}")
            for name in _REPLACED:
                conn.execute(old[name].replace("@SCHEMA@", "public").replace("@ROLE@", role))
            conn.execute("DROP FUNCTION caller_may_register(text)")
            conn.execute("ALTER TABLE workstation DROP COLUMN decided_login")
            conn.execute("UPDATE server_info SET schema_version = 15")


def test_a_schema_15_server_takes_anothers_name_until_upgraded(clinic3, empty_db):
    c = clinic3
    front = c.ws["front"]
    _as_schema_15(empty_db, sch.workstation_role(c.clinic_id))
    with psycopg.connect(c.dsn["office"], autocommit=True) as conn:
        # the gap: Office 2's login takes the lease, and publishes, as the front desk
        taken = conn.execute("SELECT take_ingest_lease('acct-gap', %s, 30)", (c.id["front"],))
        assert taken.fetchone()[0] == 1
        conn.execute(
            "SELECT * FROM apply_access_op(%s, %s, 'staff.add', 'ref-gap', 0, 'nurse', NULL, "
            "'ref-admin', %s)",
            (_u(), c.id["front"], SEALED),
        )
    with psycopg.connect(empty_db) as conn:
        assert conn.execute("SELECT holder::text FROM ingest_lease").fetchone()[0] == c.id["front"]
    with pytest.raises(SharedQueueError) as old:
        srv.open_link(front, c.custody["front"])
    assert "older schema (15)" in str(old.value) and "server upgrade" in str(old.value)
    assert srv.upgrade_server(front, login(front, "admin"), empty_db) == (15, SCHEMA_VERSION)
    before = _digest(empty_db)
    ghost = _u()
    with psycopg.connect(c.dsn["office"], autocommit=True) as conn:
        for named in (c.id["front"], c.id["nurse"], ghost):
            for name, sql, args in _calls():
                with pytest.raises(psycopg.Error) as refused:
                    conn.execute(sql, args(named))
                assert _refused(refused.value), (named, name, refused.value)
        # the old bodies, kept under another name, are the owner's alone
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            conn.execute(
                "SELECT * FROM apply_access_op_as(%s, %s, 'staff.add', 'ref-x', 0, 'nurse', "
                "NULL, 'ref-admin', %s)",
                (_u(), c.id["front"], SEALED),
            )
    assert _digest(empty_db) == before
    with psycopg.connect(c.dsn["office"], autocommit=True) as conn:
        mine = conn.execute("SELECT take_ingest_lease('acct-after', %s, 30)", (c.id["office"],))
        assert mine.fetchone()[0] == 1
        got = conn.execute(
            "SELECT ws::text FROM apply_access_op(%s, %s, 'staff.add', 'ref-after', 0, "
            "'nurse', NULL, 'ref-admin', %s)",
            (_u(), c.id["office"], SEALED),
        ).fetchone()
        assert got[0] == c.id["office"]
    # upgraded again (a second run of the step): harmless
    with psycopg.connect(empty_db, autocommit=True) as conn:
        role = sch.workstation_role(c.clinic_id)
        with conn.transaction():
            for script in sch.upgrade_scripts(SCHEMA_VERSION, role):
                conn.execute(script)
    with psycopg.connect(c.dsn["office"], autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT take_ingest_lease('acct-x', %s, 30)", (c.id["front"],))
        assert (
            conn.execute(
                "SELECT take_ingest_lease('acct-after', %s, 30)", (c.id["office"],)
            ).fetchone()[0]
            == 1
        )


def test_a_workstation_without_a_registered_key_registers_before_taking_the_lease(clinic3):
    """One joined with the clinic code before receiving keys existed (schema 10) has none
    on the server: its login speaks for no workstation until it registers one, which its
    live sync now does before it asks for the lease."""
    c = clinic3
    nurse = c.ws["nurse"]
    with psycopg.connect(c.dsn["front"], autocommit=True) as conn:  # the owner's login
        conn.execute("DELETE FROM seal_key_holder WHERE holder = %s", (c.id["nurse"],))
    with psycopg.connect(c.dsn["nurse"], autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT take_ingest_lease('acct-x', %s, 30)", (c.id["nurse"],))
    held: list[bool] = []
    errors: list[str] = []
    live = LiveSync(
        nurse,
        custody=c.custody["nurse"],
        app="ws-nurse",
        ingest=True,
        on_lease=held.append,
        on_error=errors.append,
    )
    live.start()
    try:
        deadline = time.monotonic() + 20
        while True not in held and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        live.stop()
    assert True in held, errors
    with psycopg.connect(c.dsn["front"]) as conn:
        login_of = conn.execute(
            "SELECT login FROM seal_key_holder WHERE holder = %s", (c.id["nurse"],)
        ).fetchone()
    assert login_of == (c.nurse_login,)


def test_approving_another_workstation_records_the_login_that_decided(clinic3, empty_db):
    c = clinic3
    owner = psycopg.conninfo.conninfo_to_dict(c.dsn["front"])["user"]
    with psycopg.connect(empty_db) as conn:
        row = conn.execute(
            "SELECT state, decided_login FROM workstation WHERE id = %s", (c.id["office"],)
        ).fetchone()
    assert row == ("approved", owner)  # approved from the front desk, with its login
