"""Administration → Workstations with a shared server: approving a computer by its
fingerprint and revoking one, which renews the clinic's key (real PostgreSQL, keys in a
real gnome-keyring, offscreen Qt)."""

from __future__ import annotations

import os

from support.screenshots import shots_dir
from test_key_rotation import _clinic
from workstations import login, new_workstation

from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.shared import clinic_keys, enrol, sync
from clinic_inbox.shared import server as srv

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _rows(tab):
    t = tab.table
    return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]


def test_approve_and_revoke_from_the_administration(qtbot, tmp_path, secret_service, empty_db):
    from clinic_inbox.ui.actions import InlineRunner
    from clinic_inbox.ui.admin import AdminDialog

    kr = secret_service.backend()
    _init, (a, la), (b, lb), (_c, _lc, c_id) = _clinic(tmp_path, kr, empty_db)
    d = new_workstation(tmp_path / "d", kr)
    asked = enrol.request(
        d, login(d, "admin"), empty_db, "Nurse room", KeyCustody(d.home, backend=kr)
    )
    with secret_service.activated():
        dlg = AdminDialog(b, login(b, "admin"), runner=InlineRunner(b))
        qtbot.addWidget(dlg)
        tab = dlg.workstations_tab
        rows = {r[4]: r for r in _rows(tab)}
        assert rows[lb.workstation_id][0] == "Front desk (this computer)"
        assert rows[c_id][2] == "enrolled"
        assert rows[asked.workstation_id][2] == "waiting for approval"
        assert "version 1" in tab.key_note.text()

        tab.fingerprint.setText(asked.fingerprint)
        tab.approve()
        assert "Approved Nurse room" in tab.message.text()
        assert {r[4]: r for r in _rows(tab)}[asked.workstation_id][2] == "enrolled"

        # B cannot revoke itself; C is revoked after the person confirms
        tab.table.setCurrentCell([r[4] for r in _rows(tab)].index(lb.workstation_id), 0)
        tab.revoke_selected()
        assert "cannot revoke itself" in tab.message.text()
        asked_text = []
        tab.confirm = lambda text: asked_text.append(text) or False  # the person says no
        tab.table.setCurrentCell([r[4] for r in _rows(tab)].index(c_id), 0)
        tab.revoke_selected()
        assert asked_text and "Office 3" in asked_text[0]
        assert {r[4]: r for r in _rows(tab)}[c_id][2] == "enrolled"
        tab.confirm = lambda text: True
        tab.revoke_selected()
        assert "renewed (version 2)" in tab.message.text(), tab.message.text()
        assert {r[4]: r for r in _rows(tab)}[c_id][2] == "revoked"
        assert "version 2" in tab.key_note.text()
        dlg.tabs.setCurrentWidget(tab)
        dlg.resize(1000, 560)
        assert dlg.grab().save(str(shots_dir() / "admin-workstations.png"))
    assert clinic_keys.load(b).keys.key_id == 2
    # D, approved before the renewal, finishes after it: sealed version 2 at B's next pull
    assert enrol.finish(d, login(d, "admin"), KeyCustody(d.home, backend=kr))
    assert clinic_keys.load(d).keys.versions().keys() == {1}
    sync.pull(b, lb)
    ld = srv.open_link(d, KeyCustody(d.home, backend=kr))
    sync.pull(d, ld)
    assert clinic_keys.load(d).keys.versions().keys() == {1, 2}
    ld.conn.close()
    actions = [r[0] for r in b.store.execute("SELECT action FROM audit")]
    assert "server.seal_key_rotated" in actions and "server.approve_workstation" in actions
    for ws in (a, b, d):
        ws.close()
