"""Administration > Staff: "Give the selected person this full name" renames them,
through the service (administrators only, audited)."""

from __future__ import annotations

import pytest

from clinic_inbox.core import services
from clinic_inbox.core.model import Role
from clinic_inbox.core.store import queries as q
from clinic_inbox.ui.actions import InlineRunner


@pytest.fixture(scope="module")
def demo_clinic(tmp_path_factory):
    """A demo clinic of this file's own: the rename adds a physician, which the other GUI
    tests (the dashboard counts physicians) must not see when they share a worker."""
    from clinic_inbox import demo
    from clinic_inbox.core.keys import KeyCustody

    home = tmp_path_factory.mktemp("rename-demo")
    clinic, _, _ = demo.create_demo_clinic(home, KeyCustody(home, detect=False))
    yield clinic
    clinic.close()


def test_the_staff_tab_renames_the_selected_person(qtbot, demo_clinic):
    from clinic_inbox.ui.admin import AdminDialog

    admin = services.login(demo_clinic, "admin", "demo")
    if q.staff_login_row(demo_clinic.store, "locum.ruiz") is None:
        services.add_staff(
            demo_clinic,
            admin,
            "locum.ruiz",
            "Dr Ana Ruiz",
            Role.PHYSICIAN,
            "copper lagoon atlas fern",
        )
    dlg = AdminDialog(demo_clinic, admin, runner=InlineRunner(demo_clinic))
    qtbot.addWidget(dlg)
    users = [dlg.staff_table.item(r, 0).text() for r in range(dlg.staff_table.rowCount())]
    dlg.staff_table.setCurrentCell(users.index("locum.ruiz"), 0)
    dlg.new_name.setText("  Dr Ana Ruiz-Ortega ")
    dlg.rename_selected()
    assert "now shown as Dr Ana Ruiz-Ortega" in dlg.message.text()
    assert (
        q.staff_login_row(demo_clinic.store, "locum.ruiz")[0].display_name == "Dr Ana Ruiz-Ortega"
    )
    row = users.index("locum.ruiz")
    assert dlg.staff_table.item(row, 1).text() == "Dr Ana Ruiz-Ortega"  # the list read again
    actions = [r[0] for r in demo_clinic.store.execute("SELECT action FROM audit")]
    assert "staff.name" in actions


def test_the_delegations_window_changes_the_selected_delegations_scope(qtbot, demo_clinic):
    from PySide6.QtCore import Qt

    from clinic_inbox.core.model import Category
    from clinic_inbox.ui.delegations import DelegationsDialog

    doc = services.login(demo_clinic, "dr.patel", "demo")
    did = services.grant_delegation(
        demo_clinic, doc, physician="dr.patel", delegate="nurse.chen", categories=[Category.REFILL]
    )
    dlg = DelegationsDialog(demo_clinic, doc, runner=InlineRunner(demo_clinic))
    qtbot.addWidget(dlg)
    row = dlg._ids.index(did)
    assert dlg.table.item(row, 4).text() == "no"  # may not reply yet
    dlg.table.selectRow(row)
    for i in range(dlg.categories.count()):
        if dlg.categories.item(i).data(Qt.ItemDataRole.UserRole) in (
            Category.REFILL.value,
            Category.RESULTS.value,
        ):
            dlg.categories.item(i).setCheckState(Qt.CheckState.Checked)
    dlg.reply.setChecked(True)
    dlg.no_end.setChecked(True)
    dlg._change()
    assert dlg.info.text() == "Changed."
    row = dlg._ids.index(did)
    assert dlg.table.item(row, 4).text() == "yes" and dlg.table.item(row, 7).text() == "in force"
    assert dlg.table.item(row, 2).text() == ", ".join(
        sorted((Category.REFILL.label, Category.RESULTS.label))
    )
    actions = [r[0] for r in demo_clinic.store.execute("SELECT action FROM audit")]
    assert "delegation.edit" in actions
    services.revoke_delegation(demo_clinic, doc, did)  # as it was for the other tests
