"""Who may decide on a workstation, checked by the server itself (schema 13,
turned_off_schema.DECIDERS).

Approving a new computer hands it the clinic's keys. Up to schema 12 the server took
an approval from any enrolled workstation, whoever it named: an administrator whose
account was turned off (or who was made a nurse) at A could still approve a new
computer at B, if B had not heard yet, and the newcomer got the keys. Now the server
refuses an approval unless its author is an administrator it holds active (by keyed
reference, never the user name), and a revocation by an account it holds turned off
or not an administrator; the workstation says so in plain words, nothing is half done
(no login, no keys, nothing revoked or renewed) and its audit keeps a reason code only.
"""

from __future__ import annotations

import json
import re

import psycopg
import pytest
from workstations import STAFF_PASSWORD, Joined, login, new_workstation

from clinic_inbox.core import services
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Role
from clinic_inbox.core.services_staff import set_role
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import SharedQueueError, enrol, schema
from clinic_inbox.shared import server as srv
from clinic_inbox.shared.replica import StaffMap, staff_ref
from clinic_inbox.shared.schema import SCHEMA_VERSION
from clinic_inbox.shared.sync import push
from clinic_inbox.shared.workstations_app import decided_by

REFUSED = (
    "refused: the account of Roy Gagnon is not an active administrator there. Nothing was changed"
)


def _with_roy(clinic) -> None:  # noqa: ANN001
    """A second administrator, on every workstation (the first turns him off)."""
    services.add_staff(
        clinic, login(clinic, "admin"), "admin.roy", "Roy Gagnon", Role.ADMIN, STAFF_PASSWORD
    )


def _server(dsn: str, sql: str, args: tuple = ()) -> list[tuple]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(sql, args).fetchall()


def _newcomer(tmp_path, name: str, keyring_factory, dsn: str):  # noqa: ANN001, ANN202
    """A new computer that asked to join: (clinic, custody, request)."""
    ring = keyring_factory()
    n = new_workstation(tmp_path / name, ring.backend())
    cn = KeyCustody(n.home, backend=ring.backend())
    return n, cn, enrol.request(n, login(n, "admin"), dsn, name, cn)


def _refused(ws, action: str) -> list[dict]:  # noqa: ANN001
    return [
        json.loads(r[0])
        for r in ws.store.execute("SELECT detail FROM audit WHERE action = ?", (action,))
    ]


def _nothing_handed_over(dsn: str, ws_id: str) -> None:
    assert _server(
        dsn, "SELECT state, login, decided_by FROM workstation WHERE id = %s", (ws_id,)
    ) == [("pending", None, None)]
    assert _server(
        dsn, "SELECT count(*) FROM key_wrap WHERE kind = 'workstation' AND target = %s", (ws_id,)
    ) == [(0,)]
    login_name = f"ci_ws_{ws_id.replace('-', '')[:16]}"
    assert _server(dsn, "SELECT count(*) FROM pg_roles WHERE rolname = %s", (login_name,)) == [(0,)]


def test_a_turned_off_administrators_approval_is_refused_and_the_newcomer_gets_no_keys(
    tmp_path, empty_db, keyring_factory
):
    """Roy's account is turned off at A; B has not heard. His approval of a new computer
    at B is refused by the server: no login, no sealed keys, the request still waits,
    and B says why in plain words. The clinic's other administrator then approves it at
    B and the newcomer joins; the server names her by keyed reference only."""
    joined = Joined(tmp_path, empty_db, keyring_factory, 2, before_joining=_with_roy)
    a, b = joined.clinics
    la, lb = joined.links
    try:
        push(a, la)  # the clinic's staff on the server
        roy = login(b, "admin.roy")  # signed in at B before it is turned off
        services.set_staff_active(a, login(a, "admin"), "admin.roy", False)
        push(a, la)
        n, cn, asked = _newcomer(tmp_path, "new", keyring_factory, empty_db)

        with pytest.raises(SharedQueueError) as said:
            enrol.approve(b, roy, lb, asked.fingerprint)
        assert f"The clinic's server {lb.label} {REFUSED}" in str(said.value)
        assert "the new computer received no keys" in str(said.value)
        _nothing_handed_over(empty_db, asked.workstation_id)
        assert enrol.finish(n, login(n, "admin"), cn) is None  # still waiting
        assert shq.linked_clinic(n.store) is None
        (waiting,) = enrol.pending(lb)  # the link goes on: the refusal was rolled back
        assert waiting.fingerprint == asked.fingerprint
        # the audit keeps a reason code, nothing of the server's message
        (detail,) = _refused(b, "server.approve_refused")
        assert detail == {
            "fingerprint": asked.fingerprint,
            "reason": "disabled",
            "sqlstate": "42501",
            "server": lb.label,
        }
        assert _refused(b, "server.approve_workstation") == []

        # an administrator the server holds active approves it, at the same workstation
        enrol.approve(b, login(b, "admin"), lb, asked.fingerprint)
        assert enrol.finish(n, login(n, "admin"), cn) == asked.workstation_id
        ln = srv.open_link(n, cn)
        ln.conn.close()
        ((by,),) = _server(
            empty_db, "SELECT decided_by FROM workstation WHERE id = %s", (asked.workstation_id,)
        )
        assert by == staff_ref(lb.keys, "admin") and "admin" not in by
        assert decided_by(StaffMap(b, lb.keys), by) == "admin"  # the workstations tab
    finally:
        joined.close()


def test_an_administrator_added_here_approves_before_any_exchange(
    tmp_path, empty_db, keyring_factory
):
    """Roy is made an administrator at A and approves a new computer there at once: the
    approval sends the clinic's staff first, so the server knows who approves (it refused
    him as unknown, until A's next exchange)."""
    joined = Joined(tmp_path, empty_db, keyring_factory, 2)
    a, _b = joined.clinics
    la, _lb = joined.links
    try:
        push(a, la)
        _with_roy(a)  # not pushed
        n, cn, asked = _newcomer(tmp_path, "new", keyring_factory, empty_db)
        enrol.approve(a, login(a, "admin.roy"), la, asked.fingerprint)
        assert enrol.finish(n, login(n, "admin"), cn) == asked.workstation_id
        ((by,),) = _server(
            empty_db, "SELECT decided_by FROM workstation WHERE id = %s", (asked.workstation_id,)
        )
        assert by == staff_ref(la.keys, "admin.roy")
        assert _refused(a, "server.approve_refused") == []
    finally:
        joined.close()


def test_a_demoted_administrators_approval_and_revocation_are_refused(
    tmp_path, empty_db, keyring_factory
):
    """Roy is made a nurse at A; B has not heard. The server refuses his approval of a
    new computer and, once another administrator approved it, his revocation of it
    (nothing revoked, no key renewed); an active administrator's revocation goes
    through."""
    joined = Joined(tmp_path, empty_db, keyring_factory, 2, before_joining=_with_roy)
    a, b = joined.clinics
    la, lb = joined.links
    try:
        push(a, la)
        roy = login(b, "admin.roy")
        set_role(a, login(a, "admin"), "admin.roy", Role.NURSE)
        push(a, la)
        n, cn, asked = _newcomer(tmp_path, "new", keyring_factory, empty_db)
        with pytest.raises(SharedQueueError, match=re.escape(REFUSED)):
            enrol.approve(b, roy, lb, asked.fingerprint)
        _nothing_handed_over(empty_db, asked.workstation_id)
        assert [d["reason"] for d in _refused(b, "server.approve_refused")] == ["permission"]

        # approved by an active administrator, the newcomer joins; Roy may not revoke it
        enrol.approve(b, login(b, "admin"), lb, asked.fingerprint)
        n_id = asked.workstation_id
        assert enrol.finish(n, login(n, "admin"), cn) == n_id
        ln = srv.open_link(n, cn)
        versions = _server(empty_db, "SELECT key_id FROM seal_key_version ORDER BY key_id")
        with pytest.raises(SharedQueueError, match=re.escape(REFUSED)) as said:
            enrol.revoke(b, roy, lb, n_id)
        assert "the workstation was not revoked" in str(said.value)
        assert _server(empty_db, "SELECT state FROM workstation WHERE id = %s", (n_id,)) == [
            ("approved",)
        ]
        assert _server(empty_db, "SELECT key_id FROM seal_key_version ORDER BY key_id") == versions
        ln.conn.execute("SELECT 1")  # its login still works
        ln.conn.rollback()
        (detail,) = _refused(b, "server.revoke_refused")
        assert (detail["workstation"], detail["reason"]) == (n_id, "permission")
        assert _refused(b, "server.revoke_workstation") == []

        assert enrol.revoke(b, login(b, "admin"), lb, n_id) is not None  # the key renewed
        ((by,),) = _server(empty_db, "SELECT decided_by FROM workstation WHERE id = %s", (n_id,))
        assert by == staff_ref(lb.keys, "admin")
        with pytest.raises(psycopg.OperationalError):
            ln.conn.execute("SELECT 1")
    finally:
        joined.close()


def _as_step_12(dsn: str) -> None:
    """The server as step 12 left it: the workstation functions of schema.GRANTS, no
    trigger of step 13."""
    made = schema.GRANTS[
        schema.GRANTS.index("CREATE FUNCTION approve_workstation") : schema.GRANTS.index(
            "REVOKE ALL ON ALL TABLES"
        )
    ]
    with psycopg.connect(dsn, autocommit=True) as conn:
        role = conn.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE 'ci_clinic_%'")
        role_name = role.fetchone()[0]
        conn.execute(
            "DROP FUNCTION IF EXISTS refuse_turned_off_author CASCADE; "
            "DROP FUNCTION approve_workstation(uuid, text, text, text, text, text); "
            "DROP FUNCTION revoke_workstation(uuid, text); "
            "DROP FUNCTION IF EXISTS refuse_workstation_decider(text, boolean); "
            + made.replace("@SCHEMA@", "public").replace("@ROLE@", role_name)
            + f"GRANT EXECUTE ON FUNCTION approve_workstation(uuid, text, text, text, text, "
            f"text), revoke_workstation(uuid, text) TO {role_name}; "
            "UPDATE server_info SET schema_version = 12"
        )


def test_a_schema_12_server_upgraded_refuses_a_turned_off_administrators_approval(
    tmp_path, empty_db, keyring_factory
):
    """On a server left at schema 12 the approval of a turned-off administrator from a
    workstation that had not heard is taken (the gap); after `server upgrade` the next
    one is refused."""
    joined = Joined(tmp_path, empty_db, keyring_factory, 2, before_joining=_with_roy)
    a, b = joined.clinics
    la, lb = joined.links
    try:
        push(a, la)
        roy = login(b, "admin.roy")
        services.set_staff_active(a, login(a, "admin"), "admin.roy", False)
        push(a, la)
        _as_step_12(empty_db)
        _n, _cn, first = _newcomer(tmp_path, "first", keyring_factory, empty_db)
        enrol.approve(b, roy, lb, first.fingerprint)  # taken: the keys handed over
        assert _server(
            empty_db, "SELECT state FROM workstation WHERE id = %s", (first.workstation_id,)
        ) == [("approved",)]

        assert srv.upgrade_server(a, login(a, "admin"), empty_db) == (12, SCHEMA_VERSION)
        _m, _cm, second = _newcomer(tmp_path, "second", keyring_factory, empty_db)
        with pytest.raises(SharedQueueError, match=re.escape(REFUSED)):
            enrol.approve(b, roy, lb, second.fingerprint)
        _nothing_handed_over(empty_db, second.workstation_id)
        enrol.approve(b, login(b, "admin"), lb, second.fingerprint)  # an active one may
    finally:
        joined.close()
