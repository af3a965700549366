"""Delegations: shown only to those concerned; an administrator's grant is flagged and
the physician sees it.

Issue 16: `delegate list` showed every delegation to anyone; an administrator reached
contents by creating a delegation nobody was told about."""

from __future__ import annotations

import json

from support.insider import audit_rows, run_cli


def _grant(home, by: str, physician: str, to: str) -> None:
    done = run_cli(
        home, "delegate", "grant", "--physician", physician, "--to", to, "--categories", "refill",
        user=by,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def _listed(home, user: str) -> list[dict]:
    done = run_cli(home, "delegate", "list", "--json", user=user)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_delegate_list_shows_only_the_delegations_one_is_concerned_by(demo_home):
    _grant(demo_home, "dr.patel", "dr.patel", "nurse.chen")
    _grant(demo_home, "dr.okafor", "dr.okafor", "reception.moreau")
    pairs = lambda rows: {(r["physician"], r["delegate"]) for r in rows}  # noqa: E731
    assert _listed(demo_home, "reception.singh") == []
    assert pairs(_listed(demo_home, "nurse.chen")) == {("dr.patel", "nurse.chen")}
    assert pairs(_listed(demo_home, "dr.patel")) == {("dr.patel", "nurse.chen")}
    assert pairs(_listed(demo_home, "reception.moreau")) == {("dr.okafor", "reception.moreau")}
    assert pairs(_listed(demo_home, "dr.lindqvist")) == set()
    assert pairs(_listed(demo_home, "admin")) == {
        ("dr.patel", "nurse.chen"),
        ("dr.okafor", "reception.moreau"),
    }
    assert run_cli(demo_home, "delegate", "list").returncode == 1  # nobody signed in


def test_an_administrators_grant_is_flagged_and_the_physician_sees_it(demo_home):
    _grant(demo_home, "dr.lindqvist", "dr.lindqvist", "nurse.chen")
    _grant(demo_home, "admin", "dr.lindqvist", "reception.singh")
    grants = audit_rows(demo_home, "delegation.grant")
    assert [(e.actor, e.detail["by_administrator"]) for e in grants] == [
        ("dr.lindqvist", False),
        ("admin", True),
    ]
    assert grants[1].reason and "administrator" in grants[1].reason
    rows = {r["delegate"]: r for r in _listed(demo_home, "dr.lindqvist")}
    assert rows["reception.singh"]["by_administrator"] is True
    assert rows["reception.singh"]["granted_by"] == "admin"
    assert rows["nurse.chen"]["by_administrator"] is False
    table = run_cli(demo_home, "delegate", "list", user="dr.lindqvist").stdout
    line = next(x for x in table.splitlines() if "reception.singh" in x)
    assert "admin (ADMINISTRATOR)" in line
    # and a physician still cannot delegate a colleague's inbox
    other = run_cli(
        demo_home, "delegate", "grant", "--physician", "dr.patel", "--to", "nurse.chen",
        user="dr.okafor",
    )  # fmt: skip
    assert other.returncode == 1 and "Only the physician or an administrator" in other.stderr


def test_the_physicians_delegations_screen_shows_an_administrators_grant(demo_home, qtbot):
    from clinic_inbox.core import services
    from clinic_inbox.ui.delegations import DelegationsDialog

    _grant(demo_home, "admin", "dr.lindqvist", "nurse.chen")
    from support.insider import open_demo

    with open_demo(demo_home) as clinic:
        doc = services.login(clinic, "dr.lindqvist", "demo")
        dlg = DelegationsDialog(clinic, doc)
        qtbot.addWidget(dlg)
        assert dlg.table.rowCount() == 1
        assert dlg.table.item(0, 7).text() == "in force · set up by an administrator"
        desk = DelegationsDialog(clinic, services.login(clinic, "reception.singh", "demo"))
        qtbot.addWidget(desk)
        assert desk.table.rowCount() == 0
