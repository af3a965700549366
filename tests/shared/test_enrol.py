"""Enrolment: the newcomer shows a fingerprint, an administrator approves it on an
enrolled workstation, the clinic keys and a login of its own reach the newcomer sealed
to its X25519 key, and it then works the queue with that login."""

from __future__ import annotations

import psycopg
import pytest
from workstations import login, new_workstation, receive

from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import SharedQueueError, enrol, sync
from clinic_inbox.shared import server as srv


def test_join_approve_finish_then_work_with_an_own_login(tmp_path, secret_service, empty_db):
    kr = secret_service.backend()
    a, n = new_workstation(tmp_path / "a", kr), new_workstation(tmp_path / "new", kr)
    ca, cn = KeyCustody(a.home, backend=kr), KeyCustody(n.home, backend=kr)
    srv.init_server(a, login(a, "admin"), empty_db, ca)
    (t,) = receive(a, 1)
    la = srv.open_link(a, ca)
    conv = sync.publish_conversation(a, la, t, None)

    asked = enrol.request(n, login(n, "admin"), empty_db, "Front desk 2", cn)
    assert len(asked.fingerprint) == 19 and asked.fingerprint.count("-") == 3
    assert enrol.finish(n, login(n, "admin"), cn) is None  # not approved yet
    assert shq.linked_clinic(n.store) is None
    (waiting,) = enrol.pending(la)
    assert (waiting.name, waiting.fingerprint) == ("Front desk 2", asked.fingerprint)

    with pytest.raises(SharedQueueError, match="No workstation waiting"):
        enrol.approve(a, login(a, "admin"), la, "AAAA-BBBB-CCCC-DDDD")
    enrol.approve(a, login(a, "admin"), la, asked.fingerprint.lower())
    assert enrol.pending(la) == []

    ws_id = enrol.finish(n, login(n, "admin"), cn)
    assert ws_id == asked.workstation_id
    ln = srv.open_link(n, cn)
    user = ln.conn.execute("SELECT current_user").fetchone()[0]
    assert user.startswith("ci_ws_") and user != "clinic_test_admin"
    sync.pull(n, ln)
    assert shq.thread_by_uuid(n.store, conv) is not None
    # its own login may apply operations but not write tables
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        with ln.conn.transaction():
            ln.conn.execute("UPDATE conversation_field SET value = 'done'")
    ln.conn.rollback()

    # the newcomer, enrolled, approves a third computer with its own (unprivileged) login
    m = new_workstation(tmp_path / "third", kr)
    cm = KeyCustody(m.home, backend=kr)
    third = enrol.request(m, login(m, "admin"), empty_db, "Office 4", cm)
    enrol.approve(n, login(n, "admin"), ln, third.fingerprint)
    assert enrol.finish(m, login(m, "admin"), cm) == third.workstation_id
    lm = srv.open_link(m, cm)
    sync.pull(m, lm)
    assert shq.thread_by_uuid(m.store, conv) is not None
    # and a workstation's login may not create roles or approve outside the function
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        ln.conn.execute("CREATE ROLE sneaky LOGIN")
    ln.conn.rollback()
    enrol.revoke(n, login(n, "admin"), ln, third.workstation_id)
    with pytest.raises(SharedQueueError, match="no longer accepts this workstation's login"):
        srv.open_link(m, cm)


def test_a_swapped_key_or_a_changed_answer_is_refused(tmp_path, secret_service, empty_db):
    kr = secret_service.backend()
    a, n = new_workstation(tmp_path / "a", kr), new_workstation(tmp_path / "new", kr)
    ca, cn = KeyCustody(a.home, backend=kr), KeyCustody(n.home, backend=kr)
    srv.init_server(a, login(a, "admin"), empty_db, ca)
    la = srv.open_link(a, ca)
    asked = enrol.request(n, login(n, "admin"), empty_db, "Office 3", cn)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        # someone with server access puts their own key behind the shown fingerprint
        conn.execute("UPDATE workstation SET public_key = %s", (b"\x01" * 32,))
    with pytest.raises(SharedQueueError, match="does not match its fingerprint"):
        enrol.approve(a, login(a, "admin"), la, asked.fingerprint)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        conn.execute("DELETE FROM workstation")
    asked = enrol.request(n, login(n, "admin"), empty_db, "Office 3", cn)
    enrol.approve(a, login(a, "admin"), la, asked.fingerprint)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        blob = conn.execute("SELECT blob FROM key_wrap WHERE kind = 'workstation'").fetchone()[0]
        conn.execute(
            "UPDATE key_wrap SET blob = %s WHERE kind = 'workstation'",
            (blob.replace('"ct": "', '"ct": "00', 1),),
        )
    with pytest.raises(SharedQueueError, match="failed its integrity check"):
        enrol.finish(n, login(n, "admin"), cn)
    assert shq.linked_clinic(n.store) is None


def test_a_revoked_workstation_can_no_longer_sign_in(tmp_path, secret_service, empty_db):
    kr = secret_service.backend()
    a, n = new_workstation(tmp_path / "a", kr), new_workstation(tmp_path / "new", kr)
    ca, cn = KeyCustody(a.home, backend=kr), KeyCustody(n.home, backend=kr)
    srv.init_server(a, login(a, "admin"), empty_db, ca)
    la = srv.open_link(a, ca)
    asked = enrol.request(n, login(n, "admin"), empty_db, "Laptop", cn)
    enrol.approve(a, login(a, "admin"), la, asked.fingerprint)
    ws_id = enrol.finish(n, login(n, "admin"), cn)
    ln = srv.open_link(n, cn)
    enrol.revoke(a, login(a, "admin"), la, ws_id)
    with pytest.raises(psycopg.OperationalError):
        ln.conn.execute("SELECT 1")
    with pytest.raises(SharedQueueError, match="no longer accepts this workstation's login"):
        srv.open_link(n, cn)


def test_a_workstation_of_one_clinic_has_no_rights_in_another_clinics_database(
    tmp_path, secret_service, postgres, empty_db
):
    """Roles are cluster-wide: two clinics on one PostgreSQL must not share them."""
    kr = secret_service.backend()
    a, n = new_workstation(tmp_path / "a", kr), new_workstation(tmp_path / "new", kr)
    o = new_workstation(tmp_path / "other", kr)
    ca, cn = KeyCustody(a.home, backend=kr), KeyCustody(n.home, backend=kr)
    srv.init_server(a, login(a, "admin"), empty_db, ca)
    other_db = postgres.create_database("another_clinic")
    srv.init_server(o, login(o, "admin"), other_db, KeyCustody(o.home, backend=kr))
    la = srv.open_link(a, ca)
    asked = enrol.request(n, login(n, "admin"), empty_db, "Desk", cn)
    enrol.approve(a, login(a, "admin"), la, asked.fingerprint)
    enrol.finish(n, login(n, "admin"), cn)
    own = srv.open_link(n, cn).dsn
    parts = psycopg.conninfo.conninfo_to_dict(own)
    parts["dbname"] = "another_clinic"
    with psycopg.connect(psycopg.conninfo.make_conninfo(**parts), autocommit=True) as conn:
        for stmt in (
            "SELECT count(*) FROM conversation",
            "SELECT * FROM apply_op(gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), "
            "'status', 1, 'done', 'x', NULL, NULL, 'mac')",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(stmt)
