"""A display name changed and a delegation's scope edited travel between workstations.

Two workstations of one clinic on a real PostgreSQL (each its own SQLCipher store and
gnome-keyring), the same staff on both. Each change is a service with its access check
and audit entry, queued in the same transaction, pushed as an access operation and
pulled by the other. Conflict rules as for the other staff changes: the first to the
server wins and the other author gets a card (and may apply theirs anyway); a revoked
delegation stays revoked whatever edit comes after. The server never sees the name.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from support.fast_kdf import child_pythonpath
from workstations import ADMIN_PASSWORD, STAFF_PASSWORD, Joined, login, new_workstation

from clinic_inbox.core import services
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.model import Category
from clinic_inbox.core.store import access_queries as aq
from clinic_inbox.core.store import queries as q
from clinic_inbox.shared import conflicts, sync

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture()
def pair(tmp_path, empty_db, keyring_factory):
    joined = Joined(tmp_path, empty_db, keyring_factory, 2)
    (a, b), (la, lb) = joined.clinics, joined.links
    sync.push(a, la)
    sync.pull(b, lb)
    yield a, b, la, lb
    joined.close()


def _name(ws, username):  # noqa: ANN001, ANN202
    return q.staff_login_row(ws.store, username)[0].display_name


def _round(src, src_link, dst, dst_link):  # noqa: ANN001, ANN202
    return sync.push(src, src_link), sync.pull(dst, dst_link)


def _actions(ws) -> list[str]:  # noqa: ANN001
    return [r[0] for r in ws.store.execute("SELECT action FROM audit")]


def _grant(a):  # noqa: ANN001, ANN202
    return services.grant_delegation(
        a, login(a, "dr.patel"), physician="dr.patel", delegate="nurse.chen",
        categories=[Category.REFILL],
    )  # fmt: skip


def _grant_of(ws):  # noqa: ANN001, ANN202
    (g,) = [g for _d, g in aq.delegations(ws.store)]
    return g


def test_a_display_name_changed_on_a_is_the_name_on_b_and_not_on_the_server(pair, empty_db):
    a, b, la, lb = pair
    services.set_display_name(a, login(a, "admin"), "nurse.chen", "Nurse Mei Chen-Lavoie")
    assert "staff.name" in _actions(a)
    pushed, pulled = _round(a, la, b, lb)
    assert pushed.staff == 1 and len(pulled.access) == 1
    assert pulled.changes.staff  # the team list is read again
    assert _name(b, "nurse.chen") == "Nurse Mei Chen-Lavoie"
    assert "shared.staff.name" in _actions(b)
    with psycopg.connect(empty_db) as conn:
        plain = " ".join(str(r) for r in conn.execute("SELECT * FROM access_op"))
        sealed = b"".join(bytes(r[0]) for r in conn.execute("SELECT sealed FROM access_op"))
    assert "Lavoie" not in plain and b"Lavoie" not in sealed


def test_only_an_administrator_renames_and_a_refusal_is_on_the_record(pair):
    a, _b, _la, _lb = pair
    with pytest.raises(AccessDenied):
        services.set_display_name(a, login(a, "nurse.chen"), "nurse.chen", "Head Nurse")
    assert _name(a, "nurse.chen") == "Nurse Mei Chen"
    assert "staff.name.refused" in _actions(a)


def test_two_renames_the_first_wins_and_the_other_admin_gets_a_card_to_apply_anyway(pair):
    a, b, la, lb = pair
    services.set_display_name(a, login(a, "admin"), "reception.moreau", "Claire Moreau-Roy")
    services.set_display_name(b, login(b, "admin"), "reception.moreau", "C. Moreau")
    sync.push(a, la)
    pushed_b = sync.push(b, lb)
    assert pushed_b.staff_conflicts == 1
    assert _name(b, "reception.moreau") == "Claire Moreau-Roy"  # the clinic's stands here
    admin_b = login(b, "admin")
    (card,) = conflicts.shown(b, admin_b).value
    assert card.what == "Display name" and card.yours == "C. Moreau"
    assert "Claire Moreau-Roy" in card.theirs
    conflicts.settle(b, admin_b, card.op_id, True)  # made again, on top of what is seen
    _round(b, lb, a, la)
    assert _name(a, "reception.moreau") == "C. Moreau" == _name(b, "reception.moreau")


def test_a_delegations_scope_edited_by_its_physician_on_a_reaches_b(pair):
    a, b, la, lb = pair
    did = _grant(a)
    _round(a, la, b, lb)
    assert not _grant_of(b).can_reply
    services.edit_delegation(
        a, login(a, "dr.patel"), did, categories=[Category.REFILL, Category.RESULTS],
        include_sensitive=False, can_reply=True, can_file=False, ends_at=None,
    )  # fmt: skip
    assert "delegation.edit" in _actions(a)
    _round(a, la, b, lb)
    got = _grant_of(b)
    assert got.can_reply and got.revoked_at is None
    assert set(got.categories or ()) == {Category.REFILL, Category.RESULTS}
    assert "shared.delegation.edit" in _actions(b)
    # a nurse may not widen her own delegation
    with pytest.raises(AccessDenied):
        services.edit_delegation(
            b, login(b, "nurse.chen"), _grant_of(b).id, categories=None,
            include_sensitive=True, can_reply=True, can_file=True, ends_at=None,
        )  # fmt: skip


def test_a_revocation_wins_over_an_edit_made_meanwhile(pair):
    a, b, la, lb = pair
    did = _grant(a)
    _round(a, la, b, lb)
    services.revoke_delegation(b, login(b, "dr.patel"), _grant_of(b).id)
    sync.push(b, lb)  # revoked first, on B
    services.edit_delegation(
        a, login(a, "dr.patel"), did, categories=None,
        include_sensitive=True, can_reply=True, can_file=True, ends_at=None,
    )  # fmt: skip
    pushed = sync.push(a, la)
    assert pushed.staff_conflicts == 1
    sync.pull(a, la)
    assert _grant_of(a).revoked_at is not None  # not in force here either
    (card,) = conflicts.shown(a, login(a, "dr.patel")).value
    assert card.what == "Delegation's scope" and "revoked" in card.theirs
    _round(a, la, b, lb)
    assert _grant_of(b).revoked_at is not None and not _grant_of(b).can_file


def test_the_commands_rename_and_change_a_delegation(tmp_path, keyring_factory):
    ring = keyring_factory()
    home = tmp_path / "ws"
    ws = new_workstation(home, ring.backend())
    did = _grant(ws)
    ws.close()

    def cli(user: str, password: str, *args: str) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS", "CLINIC_INBOX"))}
        env.update(ring.env)
        env.pop("PYTHON_KEYRING_BACKEND", None)
        env.update({"CLINIC_INBOX_HOME": str(home), "CLINIC_INBOX_PASSWORD": password})
        env["PYTHONPATH"] = child_pythonpath(REPO)
        done = subprocess.run(
            [sys.executable, "-m", "clinic_inbox", "--user", user, *args],
            env=env, cwd=REPO, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    assert "Dr A. Patel" in cli(
        "admin", ADMIN_PASSWORD, "user", "rename", "dr.patel", "Dr A. Patel"
    )
    out = cli("dr.patel", STAFF_PASSWORD, "delegate", "change", str(did), "--reply", "--file")
    assert f"Delegation {did} changed" in out
    listed = cli("admin", ADMIN_PASSWORD, "user", "list")
    assert "Dr A. Patel" in listed
