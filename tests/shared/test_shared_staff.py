"""Staff accounts and delegations travel between workstations as sealed operations.

Two workstations of one clinic on a real PostgreSQL, each with its own SQLCipher store
and keyring, each with the same four people made locally before joining. The first
workstation publishes its staff; the second adopts them by user name. A person added,
a role changed, an account turned off, a password reset and a delegation granted or
revoked on one reach the other. An account turned off wins over a concurrent change;
two role changes: the first to the server wins and the other author gets a card; an
operation by someone who is not an administrator is refused by the server, and one
slipped onto the server behind its back is refused by the pulling workstation too. The
server's copy holds no user name, display name or password hash.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from workstations import STAFF_PASSWORD, login, new_workstation

from clinic_inbox.core import services
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Category, Role
from clinic_inbox.core.services_staff import set_role
from clinic_inbox.core.signin import AuthError, SessionEnded
from clinic_inbox.core.store import access_queries as aq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_staff_queries as ssq
from clinic_inbox.shared import server as srv
from clinic_inbox.shared import staff_sync, sync
from clinic_inbox.shared.replica import staff_ref
from clinic_inbox.shared.seal import TamperedError, seal

NEW_PW = "saffron glacier lantern oboe"


@pytest.fixture()
def pair(tmp_path, empty_db, keyring_factory):
    rings = [keyring_factory(), keyring_factory()]
    homes = [tmp_path / "ws-a", tmp_path / "ws-b"]
    a, b = (new_workstation(h, r.backend()) for h, r in zip(homes, rings, strict=True))
    ca, cb = (KeyCustody(h, backend=r.backend()) for h, r in zip(homes, rings, strict=True))
    init = srv.init_server(a, login(a, "admin"), empty_db, ca)
    srv.connect_workstation(b, login(b, "admin"), empty_db, init.clinic_code, cb)
    la, lb = srv.open_link(a, ca), srv.open_link(b, cb)
    sync.push(a, la)  # the first workstation publishes its staff
    sync.pull(b, lb)  # the second adopts them
    yield a, b, la, lb
    for link in (la, lb):
        link.conn.close()
    a.close()
    b.close()


def _staff(ws, username):  # noqa: ANN001, ANN202
    row = q.staff_login_row(ws.store, username)
    return row[0] if row else None


def _round(src, src_link, dst, dst_link):  # noqa: ANN001, ANN202
    pushed = sync.push(src, src_link)
    return pushed, sync.pull(dst, dst_link)


def test_the_first_workstation_publishes_its_staff_sealed_and_the_second_adopts_them(
    pair, empty_db
):
    a, b, la, lb = pair
    with psycopg.connect(empty_db) as conn:
        rows = conn.execute("SELECT id, role, active FROM staff_member").fetchall()
        sealed = b"".join(bytes(r[0]) for r in conn.execute("SELECT sealed FROM access_op"))
        plain = " ".join(str(r) for r in conn.execute("SELECT * FROM access_op"))
    assert sorted(r[1] for r in rows) == ["admin", "nurse", "physician", "receptionist"]
    # no user name, display name or hash on the server: keyed references and ciphertext
    a_hash = q.staff_login_row(a.store, "nurse.chen")[1]
    for secret in ("nurse.chen", "Mei Chen", "dr.patel", "argon2"):
        assert secret.encode() not in sealed and secret not in plain
    assert a_hash.encode() not in sealed
    # B took on the clinic's four: shared, same roles, no card (nothing differed)
    assert len(ssq.shared_staff_ids(b.store)) == 4
    assert ssq.conflicts(b.store) == []
    assert _staff(b, "nurse.chen").role is Role.NURSE
    # nothing goes twice: B publishes nobody (they were the clinic's already)
    pushed = sync.push(b, lb)
    assert (pushed.staff, pushed.staff_conflicts) == (0, 0)


def test_a_nurse_added_at_the_front_desk_signs_in_at_the_physicians_office(pair):
    a, b, la, lb = pair
    services.add_staff(a, login(a, "admin"), "nurse.roy", "Nurse Léa Roy", Role.NURSE, NEW_PW)
    pushed, pulled = _round(a, la, b, lb)
    assert pushed.staff == 1 and len(pulled.access) == 1
    assert pulled.changes.staff and pulled.changes.access  # the board reads everything again
    on_b = _staff(b, "nurse.roy")
    assert on_b is not None and on_b.role is Role.NURSE and on_b.display_name == "Nurse Léa Roy"
    session = services.login(b, "nurse.roy", NEW_PW)  # the password hash travelled, sealed
    assert session.staff.id == on_b.id
    actions = [r[0] for r in b.store.execute("SELECT action FROM audit")]
    assert "shared.staff.add" in actions


def test_an_account_turned_off_on_a_ends_its_session_on_b(pair):
    a, b, la, lb = pair
    on_b = login(b, "nurse.chen")  # signed in at B
    services.set_staff_active(a, login(a, "admin"), "nurse.chen", False)
    _round(a, la, b, lb)
    assert not _staff(b, "nurse.chen").active
    with pytest.raises(SessionEnded):
        services.list_staff(b, on_b)  # its next action: signed out
    with pytest.raises(AuthError):
        services.login(b, "nurse.chen", STAFF_PASSWORD)
    # turned on again by an administrator: on B too
    services.set_staff_active(a, login(a, "admin"), "nurse.chen", True)
    _round(a, la, b, lb)
    assert _staff(b, "nurse.chen").active
    services.login(b, "nurse.chen", STAFF_PASSWORD)


def test_turned_off_wins_over_a_concurrent_change(pair):
    a, b, la, lb = pair
    # A turns Chen off; B, before hearing of it, turns her off and on again
    services.set_staff_active(a, login(a, "admin"), "nurse.chen", False)
    services.set_staff_active(b, login(b, "admin"), "nurse.chen", False)
    services.set_staff_active(b, login(b, "admin"), "nurse.chen", True)
    assert sync.push(a, la).staff == 1
    pushed = sync.push(b, lb)  # B's "off" applies (monotone), its "on" was made without A's
    assert (pushed.staff, pushed.staff_conflicts) == (1, 1)
    sync.pull(a, la)
    sync.pull(b, lb)
    assert not _staff(a, "nurse.chen").active and not _staff(b, "nurse.chen").active
    (card,) = [c for _i, c, _at in ssq.conflicts(b.store)]
    assert card.kind == "staff.enable" and "off" in card.theirs
    # a role change that raced with the turning off applies, and she stays off
    services.set_staff_active(a, login(a, "admin"), "dr.patel", False)
    set_role(b, login(b, "admin"), "dr.patel", Role.NURSE)
    sync.push(a, la)
    assert sync.push(b, lb).staff == 1
    for ws, link in ((a, la), (b, lb)):
        sync.pull(ws, link)
        got = _staff(ws, "dr.patel")
        assert (got.role, got.active) == (Role.NURSE, False)


def test_two_role_changes_the_first_wins_and_the_other_author_gets_a_card(pair):
    a, b, la, lb = pair
    set_role(a, login(a, "admin"), "reception.moreau", Role.NURSE)
    set_role(b, login(b, "admin"), "reception.moreau", Role.PHYSICIAN)
    assert sync.push(a, la).staff == 1
    pushed = sync.push(b, lb)
    assert pushed.staff_conflicts == 1
    assert _staff(b, "reception.moreau").role is Role.NURSE  # the server's value here too
    (card,) = [c for _i, c, _at in ssq.conflicts(b.store)]
    assert card.kind == "staff.role" and card.mine == "physician" and "nurse" in card.theirs
    sync.pull(b, lb)
    assert _staff(b, "reception.moreau").role is Role.NURSE
    # B's admin changes it again, now on top of the value it has seen: that applies
    set_role(b, login(b, "admin"), "reception.moreau", Role.RECEPTIONIST)
    _round(b, lb, a, la)
    assert _staff(a, "reception.moreau").role is Role.RECEPTIONIST


def test_a_password_reset_on_a_is_the_password_on_b(pair):
    a, b, la, lb = pair
    open_on_b = login(b, "reception.moreau")
    services.reset_password(a, login(a, "admin"), "reception.moreau", NEW_PW)
    _round(a, la, b, lb)
    with pytest.raises(SessionEnded):
        services.list_staff(b, open_on_b)
    with pytest.raises(AuthError):
        services.login(b, "reception.moreau", STAFF_PASSWORD)  # the old one opens nothing
    with pytest.raises(services.PasswordChangeRequired):  # temporary, as on A
        services.login(b, "reception.moreau", NEW_PW)


def test_a_delegation_granted_and_revoked_on_a_reaches_b(pair):
    a, b, la, lb = pair
    did = services.grant_delegation(
        a,
        login(a, "dr.patel"),
        physician="dr.patel",
        delegate="nurse.chen",
        categories=[Category.REFILL],
        can_reply=True,
    )
    _round(a, la, b, lb)
    (got,) = [g for _d, g in aq.delegations(b.store)]
    assert got.physician_id == _staff(b, "dr.patel").id
    assert got.revoked_at is None and got.can_reply
    services.revoke_delegation(a, login(a, "dr.patel"), did)
    _round(a, la, b, lb)
    (got,) = [g for _d, g in aq.delegations(b.store)]
    assert got.revoked_at is not None


def test_a_revocation_is_applied_before_the_rest_of_a_long_pull(pair):
    a, b, la, lb = pair
    did = services.grant_delegation(
        a, login(a, "admin"), physician="dr.patel", delegate="nurse.chen"
    )
    _round(a, la, b, lb)
    from workstations import receive

    threads = receive(a, 3, tag="x")
    for t in threads:
        sync.publish_conversation(a, la, t, None)
    services.revoke_delegation(a, login(a, "admin"), did)
    sync.push(a, la)
    # B pulls one change at a time: the revocation (the last on the server) comes first
    first = sync.pull(b, lb, limit=1)
    assert [x.kind for x in first.applied] == ["conversation"]
    assert [x.seq for x in first.access] > [x.seq for x in first.applied]  # a later one
    (got,) = [g for _d, g in aq.delegations(b.store)]
    assert got.revoked_at is not None
    for _ in range(6):  # the rest, one at a time: the revocation is not applied again
        sync.pull(b, lb, limit=1)
    revoked = b.store.execute(
        "SELECT count(*) FROM audit WHERE action = 'shared.delegation.revoke'"
    ).fetchone()[0]
    assert revoked == 1 and len(b.store.execute("SELECT id FROM threads").fetchall()) == 3


def test_a_non_administrators_operation_is_refused_by_the_server(pair, empty_db):
    a, b, la, lb = pair
    # Chen's change of a role, sent as if made by her (she is a nurse): refused
    with a.store.transaction():
        ssq.add_op(
            a.store,
            ssq.AccessOp(
                str(uuid.uuid4()),
                "staff.role",
                _staff(a, "reception.moreau").id,
                None,
                "admin",
                _staff(a, "nurse.chen").id,
                1,
            ),
        )
    pushed = sync.push(a, la)
    assert (pushed.staff, pushed.staff_conflicts) == (0, 1)
    assert _staff(a, "reception.moreau").role is Role.RECEPTIONIST
    with psycopg.connect(empty_db) as conn:
        assert (
            conn.execute("SELECT count(*) FROM access_op WHERE outcome = 'refused'").fetchone()[0]
            == 1
        )
        assert (
            conn.execute(
                "SELECT role FROM staff_member WHERE id = %s",
                (staff_ref(la.keys, "reception.moreau"),),
            ).fetchone()[0]
            == "receptionist"
        )
    audited = [r[0] for r in a.store.execute("SELECT action FROM audit")]
    assert "shared.access_refused" in audited


def _forge(dsn, link, kind, target, by, role=None, body_extra=None):  # noqa: ANN001, ANN202
    """An operation written straight into the server's tables (as its superuser could),
    sealed with the clinic's keys: a workstation with the keys, or a bug, not the rules."""
    op_id = str(uuid.uuid4())
    body = {"kind": kind, "target": target, "role": role, "terms": None, "by": by}
    body |= body_extra or {}
    blob = seal(link.keys, "access_op", op_id, "op", 1, json.dumps(body).encode())
    with psycopg.connect(dsn) as conn:
        seq = conn.execute(
            "SELECT next_change('access', %s, %s, %s)", (op_id, op_id, link.workstation_id)
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO access_op (op_id, ws, kind, target, base_v, role, by_ref, sealed, "
            "outcome, seq, v) VALUES (%s, %s, %s, %s, 1, %s, %s, %s, 'applied', %s, 2)",
            (op_id, link.workstation_id, kind, target, role, by, blob, seq),
        )
    return op_id


def test_an_operation_slipped_onto_the_server_by_a_non_administrator_is_refused_on_b(
    pair, empty_db
):
    a, b, la, lb = pair
    chen = staff_ref(la.keys, "nurse.chen")
    _forge(empty_db, la, "staff.role", chen, chen, role="admin")  # Chen makes herself admin
    sync.pull(b, lb)
    assert _staff(b, "nurse.chen").role is Role.NURSE
    refused = b.store.execute(
        "SELECT detail FROM audit WHERE action = 'shared.access_refused'"
    ).fetchall()
    assert len(refused) == 1 and "author not an administrator" in refused[0][0]


def test_a_plain_column_changed_on_the_server_refuses_the_pull(pair, empty_db):
    a, b, la, lb = pair
    set_role(a, login(a, "admin"), "reception.moreau", Role.NURSE)
    sync.push(a, la)
    with psycopg.connect(empty_db) as conn:  # the server's admin makes it "admin"
        conn.execute("UPDATE access_op SET role = 'admin' WHERE kind = 'staff.role'")
    with pytest.raises(TamperedError):
        sync.pull(b, lb)
    assert _staff(b, "reception.moreau").role is Role.RECEPTIONIST  # nothing applied


def test_a_local_user_with_another_role_gets_a_card_when_joining(
    tmp_path, empty_db, keyring_factory
):
    rings = [keyring_factory(), keyring_factory()]
    homes = [tmp_path / "ws-a", tmp_path / "ws-b"]
    a, b = (new_workstation(h, r.backend()) for h, r in zip(homes, rings, strict=True))
    ca, cb = (KeyCustody(h, backend=r.backend()) for h, r in zip(homes, rings, strict=True))
    # on B, Moreau is a nurse; B also has someone the clinic does not have yet
    set_role(b, login(b, "admin"), "reception.moreau", Role.NURSE)
    services.add_staff(b, login(b, "admin"), "dr.roy", "Dr Paul Roy", Role.PHYSICIAN, NEW_PW)
    init = srv.init_server(a, login(a, "admin"), empty_db, ca)
    srv.connect_workstation(b, login(b, "admin"), empty_db, init.clinic_code, cb)
    la, lb = srv.open_link(a, ca), srv.open_link(b, cb)
    # Dr Roy lets Chen read his patients' conversations, before B ever synced
    services.grant_delegation(
        b, services.login(b, "dr.roy", NEW_PW), physician="dr.roy", delegate="nurse.chen"
    )
    try:
        sync.push(a, la)
        pushed = sync.push(b, lb)  # only Dr Roy is new: the others wait for the pull
        # B publishes Dr Roy, then his delegation (Chen is the clinic's on the server)
        assert pushed.staff == 2 and ssq.ops(b.store) == []
        sync.pull(b, lb)
        assert _staff(b, "reception.moreau").role is Role.RECEPTIONIST
        (card,) = [c for _i, c, _at in ssq.conflicts(b.store)]
        assert card.kind == "staff.adopt" and "nurse" in card.mine
        sync.pull(a, la)
        assert _staff(a, "dr.roy").role is Role.PHYSICIAN
        services.login(a, "dr.roy", NEW_PW)
        (got,) = [(d, g) for d, g in aq.delegations(a.store)]
        assert (
            got[0] == _staff(a, "nurse.chen").id and got[1].physician_id == _staff(a, "dr.roy").id
        )
    finally:
        la.conn.close()
        lb.conn.close()
        a.close()
        b.close()


def test_nothing_is_applied_twice_when_a_pull_meets_its_own_operations(pair):
    a, b, la, lb = pair
    set_role(a, login(a, "admin"), "reception.moreau", Role.NURSE)
    sync.push(a, la)
    before = a.store.execute("SELECT count(*) FROM audit").fetchone()[0]
    pulled = sync.pull(a, la)  # its own changes come back: already applied here
    assert pulled.access_rows == 5 and pulled.access == []  # four published, one role
    assert not pulled.changes  # nothing for the board to read again
    actions = [r[0] for r in a.store.execute("SELECT action FROM audit WHERE rowid > ?", (before,))]
    assert not any(x.startswith("shared.staff") for x in actions)
    assert staff_sync.KIND == "access"


def _last_contact(ws, hours_ago: float) -> None:  # noqa: ANN001
    at = datetime.now(UTC) - timedelta(hours=hours_ago)
    with ws.store.transaction():
        ssq.set_last_sync(ws.store, at.isoformat(timespec="seconds"))


def _server_unreachable(ws) -> str:  # noqa: ANN001
    """Point the workstation at a port nobody listens on (the server switched off, a
    cable pulled); returns the real address, to put back."""
    import re
    import socket

    from clinic_inbox.shared import clinic_keys

    found = clinic_keys.load(ws)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    away = re.sub(r"port=\d+", f"port={free}", found.dsn)
    assert away != found.dsn
    clinic_keys.save(ws, clinic_keys.ServerLink(away, found.keys))
    return found.dsn


def test_a_workstation_out_of_touch_too_long_signs_in_administrators_only(pair):
    from clinic_inbox.shared import clinic_keys

    a, b, la, lb = pair
    assert ssq.last_sync(b.store) is not None  # the pull noted the server's answer
    real = _server_unreachable(b)
    _last_contact(b, 11.5)  # within the clinic's 12 hours: everyone signs in
    services.login(b, "nurse.chen", STAFF_PASSWORD)
    _last_contact(b, 12.5)  # the clock is not moved: the last contact is
    with pytest.raises(AuthError) as refused:
        services.login(b, "nurse.chen", STAFF_PASSWORD)
    said = str(refused.value)
    assert "only an administrator can sign in here" in said and "12 hours" in said
    assert "turned off on another computer" in said
    services.login(b, "admin", "quartz lantern meadow violin")  # administrators still may
    # the refusal is audited, and a right password refused here is not a failed attempt
    detail = b.store.execute(
        "SELECT detail FROM audit WHERE action = 'login.refused' ORDER BY rowid DESC LIMIT 1"
    ).fetchone()[0]
    assert "offline too long" in detail
    for _ in range(6):
        with pytest.raises(AuthError, match="only an administrator"):
            services.login(b, "nurse.chen", STAFF_PASSWORD)
    # the server is back (switched off overnight, say): the sign-in asks it first, applies
    # what waits there (an account turned off meanwhile, first) and signs in the others
    services.set_staff_active(a, login(a, "admin"), "nurse.chen", False)
    sync.push(a, la)
    clinic_keys.save(b, clinic_keys.ServerLink(real, lb.keys))
    with pytest.raises(AuthError, match="This account is disabled"):
        services.login(b, "nurse.chen", STAFF_PASSWORD)
    assert not _staff(b, "nurse.chen").active
    _last_contact(b, 13)
    services.login(b, "reception.moreau", STAFF_PASSWORD)  # reached the server: signed in
    a_minute_ago = datetime.now(UTC) - timedelta(minutes=1)
    assert ssq.last_sync(b.store) > a_minute_ago.isoformat(timespec="seconds")


def test_the_clinic_sets_how_long_a_workstation_may_be_out_of_touch(pair):
    a, b, la, lb = pair
    (b.home / "clinic.toml").write_text("[shared]\noffline_sign_in_hours = 2\n")
    from clinic_inbox.core.config import load_config

    b.config = load_config(b.home)
    _server_unreachable(b)
    _last_contact(b, 3)
    with pytest.raises(AuthError, match=r"\(2 hours\)"):
        services.login(b, "dr.patel", STAFF_PASSWORD)
    # a workstation that works alone (no server) is never capped
    _last_contact(a, 100)
    with a.store.transaction():
        a.store.execute("DELETE FROM meta WHERE key = 'shared_clinic_id'")
    services.login(a, "dr.patel", STAFF_PASSWORD)


def test_a_person_changing_their_own_password_changes_it_everywhere(pair):
    a, b, la, lb = pair
    chen = login(a, "nurse.chen")
    services.reset_password(a, chen, "nurse.chen", NEW_PW)
    pushed, _ = _round(a, la, b, lb)
    assert pushed.staff == 1  # not an administrator's, but her own: accepted
    services.login(b, "nurse.chen", NEW_PW)
    with pytest.raises(AuthError):
        services.login(b, "nurse.chen", STAFF_PASSWORD)


def test_the_loser_of_a_role_change_settles_its_card_on_the_conflict_screen(pair):
    from clinic_inbox.shared import conflicts

    a, b, la, lb = pair
    set_role(a, login(a, "admin"), "reception.moreau", Role.NURSE)
    set_role(b, login(b, "admin"), "reception.moreau", Role.PHYSICIAN)
    sync.push(a, la)
    sync.push(b, lb)
    admin_b = login(b, "admin")
    (card,) = conflicts.shown(b, admin_b).value
    assert card.what == "Role" and card.yours == "physician" and card.theirs == "nurse"
    assert card.who == "Admin" and card.when  # A's administrator (the clinic's "admin")
    assert "Claire Moreau" in card.conversation
    assert conflicts.shown(b, login(b, "dr.patel")).value == []  # the author's card only
    # "apply mine anyway": the change made again, on top of the value now seen
    conflicts.settle(b, admin_b, card.op_id, True)
    assert conflicts.shown(b, admin_b).value == []
    _round(b, lb, a, la)
    assert _staff(a, "reception.moreau").role is Role.PHYSICIAN
    actions = [r[0] for r in b.store.execute("SELECT action FROM audit")]
    assert "shared.conflict_applied_mine" in actions


def test_changes_made_one_after_the_other_here_follow_each_other_on_the_server(pair):
    a, b, la, lb = pair
    # off, on, off again and two roles, all before one push: each made on the one before
    admin = login(a, "admin")
    services.set_staff_active(a, admin, "nurse.chen", False)
    services.set_staff_active(a, admin, "nurse.chen", True)
    services.set_staff_active(a, admin, "nurse.chen", False)
    set_role(a, admin, "reception.moreau", Role.NURSE)
    set_role(a, admin, "reception.moreau", Role.PHYSICIAN)
    pushed, _ = _round(a, la, b, lb)
    assert (pushed.staff, pushed.staff_conflicts) == (5, 0)
    assert not _staff(b, "nurse.chen").active
    assert _staff(b, "reception.moreau").role is Role.PHYSICIAN
