"""`server upgrade`: a server prepared by the app's schema 1 gets the ingest lease and
the automatic-reply claims, one of schema 3 the shared patients and fetch checkpoints,
one of schema 4 the patient edits field by field, one of schema 5 staff and delegations
as operations, with their rights for the clinic's workstations only.

The schema-1 server is recreated from a new one by removing what schema 2 added
(`schema.DDL_2`: two tables and their functions) and setting its version back, which
is exactly what the schema-1 app prepared.
"""

from __future__ import annotations

import psycopg
import pytest
from workstations import login, new_workstation

from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.shared import SharedQueueError
from clinic_inbox.shared import server as srv
from clinic_inbox.shared.schema import SCHEMA_VERSION, workstation_role


def _as_schema_1(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "DROP FUNCTION take_ingest_lease, release_ingest_lease, hold_ingest_lease, "
            "claim_auto_reply; DROP TABLE ingest_lease, auto_reply_claim; "
            "UPDATE server_info SET schema_version = 1"
        )


def test_a_schema_1_server_is_upgraded_in_place_and_its_workstations_may_use_it(
    tmp_path, empty_db, keyring_factory
):
    ring = keyring_factory()
    home = tmp_path / "ws-a"
    clinic = new_workstation(home, ring.backend())
    custody = KeyCustody(home, backend=ring.backend())
    init = srv.init_server(clinic, login(clinic, "admin"), empty_db, custody)
    _as_schema_1(empty_db)
    try:
        with pytest.raises(SharedQueueError) as old:
            srv.open_link(clinic, custody)
        assert "older schema (1)" in str(old.value) and "server upgrade" in str(old.value)

        assert srv.upgrade_server(clinic, login(clinic, "admin"), empty_db) == (
            1,
            SCHEMA_VERSION,
        )
        link = srv.open_link(clinic, custody)  # the app works with it again
        link.conn.close()
        assert srv.upgrade_server(clinic, login(clinic, "admin"), empty_db) == (
            SCHEMA_VERSION,
            SCHEMA_VERSION,
        )
        entries = clinic.store.execute(
            "SELECT count(*) FROM audit WHERE action = 'server.upgrade'"
        ).fetchone()[0]
        assert entries == 1  # the upgrade itself; asking again changed nothing

        role = workstation_role(init.clinic_id)
        with psycopg.connect(empty_db, autocommit=True) as conn:
            conn.execute("CREATE ROLE outsider NOLOGIN")
            conn.execute(f"SET ROLE {role}")  # a workstation of this clinic
            ws = init.workstation_id
            assert conn.execute("SELECT take_ingest_lease('k', %s, 30)", (ws,)).fetchone()[0] == 1
            assert conn.execute("SELECT claim_auto_reply('c', %s)", (ws,)).fetchone()[0] is True
            assert conn.execute("SELECT count(*) FROM ingest_lease").fetchone()[0] == 1
            conn.execute("RESET ROLE")
            conn.execute("SET ROLE outsider")  # anyone else: no rights on what was added
            for call in (
                "SELECT claim_auto_reply('d', gen_random_uuid())",
                "SELECT count(*) FROM auto_reply_claim",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(call)
        # a schema-3 server gets the shared patients and the fetch checkpoints (and the
        # patient edits of schema 5)
        with psycopg.connect(empty_db, autocommit=True) as conn:
            conn.execute(
                # (and the old body step 16 keeps under another name, own_name_all_schema)
                "DROP FUNCTION apply_patient_op, apply_patient_op_as; "
                "DROP TABLE patient_field, patient_op_receipt; "
                "DROP FUNCTION publish_patient, save_checkpoint; "
                "DROP TABLE patient_key, patient, source_checkpoint; "
                "UPDATE server_info SET schema_version = 3"
            )
        assert srv.upgrade_server(clinic, login(clinic, "admin"), empty_db) == (3, SCHEMA_VERSION)
        with psycopg.connect(empty_db, autocommit=True) as conn:
            conn.execute(f"SET ROLE {role}")
            got = conn.execute(
                "SELECT publish_patient(gen_random_uuid(), %s, ARRAY['k1'], '\\x01')", (ws,)
            ).fetchone()[0]
            assert conn.execute("SELECT count(*) FROM patient").fetchone()[0] == 1
            assert (
                conn.execute(
                    "SELECT publish_patient(gen_random_uuid(), %s, ARRAY['k1'], '\\x02')", (ws,)
                ).fetchone()[0]
                == got
            )  # the same patient: found by its key
            conn.execute("RESET ROLE")
            conn.execute("SET ROLE outsider")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("SELECT count(*) FROM patient")
        # a schema-4 server gets the patient edits, field by field
        with psycopg.connect(empty_db, autocommit=True) as conn:
            conn.execute(
                "DROP FUNCTION apply_patient_op, apply_patient_op_as; "
                "DROP TABLE patient_field, patient_op_receipt; "
                "UPDATE server_info SET schema_version = 4"
            )
        assert srv.upgrade_server(clinic, login(clinic, "admin"), empty_db) == (4, SCHEMA_VERSION)
        with psycopg.connect(empty_db, autocommit=True) as conn:
            conn.execute(f"SET ROLE {role}")
            op = "SELECT outcome FROM apply_patient_op(gen_random_uuid(), %s, %s, 'given_name', "
            first = conn.execute(op + "0, '\\x01', 'x')", (ws, got)).fetchone()[0]
            second = conn.execute(op + "0, '\\x02', 'y')", (ws, got)).fetchone()[0]
            assert (first, second) == ("applied", "conflict")  # compare-and-set
            conn.execute("RESET ROLE")
            conn.execute("SET ROLE outsider")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("SELECT count(*) FROM patient_field")
        # a schema-5 server gets staff and delegations as operations
        with psycopg.connect(empty_db, autocommit=True) as conn:
            conn.execute(
                "DROP FUNCTION discard_message; DROP TABLE message_discard; "
                "DROP FUNCTION apply_access_edit, apply_access_edit_as; "
                "DROP FUNCTION apply_access_op, apply_access_op_as; "
                "DROP TABLE access_op, delegation, staff_member; "
                "UPDATE server_info SET schema_version = 5"
            )
        assert srv.upgrade_server(clinic, login(clinic, "admin"), empty_db) == (5, SCHEMA_VERSION)
        with psycopg.connect(empty_db, autocommit=True) as conn:
            conn.execute(f"SET ROLE {role}")
            op = "SELECT outcome FROM apply_access_op(gen_random_uuid(), %s, 'staff.add', "
            first = conn.execute(op + "'r1', 0, 'admin', NULL, 'r1', '\\x01')", (ws,)).fetchone()
            other = conn.execute(op + "'r2', 0, 'admin', NULL, 'r2', '\\x01')", (ws,)).fetchone()
            # the first administrator adds themselves; nobody else may without one
            assert (first[0], other[0]) == ("applied", "refused")
            # steps 8 and 9: edits of names and scopes, held replies discarded
            named = "SELECT outcome FROM apply_access_edit(gen_random_uuid(), %s, 'staff.name', "
            renamed = conn.execute(named + "'r1', 0, NULL, 'r1', '\x01')", (ws,)).fetchone()
            assert renamed[0] == "applied"
            said = conn.execute("SELECT discard_message(%s, 'nothing', 'x')", (ws,)).fetchone()
            assert said[0] == "unknown"
            conn.execute("RESET ROLE")
            conn.execute("SET ROLE outsider")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("SELECT count(*) FROM staff_member")
    finally:
        clinic.close()
