"""Changing the store's key: the data stays, the old key stops working, and a process
killed at either side of the one rename still leaves a clinic that opens."""

from __future__ import annotations

import json

import pytest
from test_backup import ask
from test_backup import clinic as clinic  # noqa: F401, PLC0414

from clinic_inbox.core import audit, rekey
from clinic_inbox.core.home import open_clinic, store_path
from clinic_inbox.core.keys import CUSTODY_FILE, KeyCustody
from clinic_inbox.core.store import StoreUnreadableError, open_store
from clinic_inbox.core.store import queries as q


def _custody(home):  # noqa: ANN001, ANN202
    return KeyCustody(home, detect=False)


def _check(home) -> str:  # noqa: ANN001
    return json.loads((home / CUSTODY_FILE).read_text())["key_check"]


def _old_key(c) -> bytes:  # noqa: ANN001
    return c.secrets.db_key


def test_a_key_change_reencrypts_and_the_old_key_no_longer_opens(clinic):  # noqa: F811
    home, old_key, before = clinic.home, _old_key(clinic), _check(clinic.home)
    clinic.close()
    code = rekey.change_key(home, ask, _custody(home))
    assert _check(home) != before
    with pytest.raises(StoreUnreadableError):
        open_store(store_path(home), old_key)
    with open_clinic(home, ask, _custody(home), check=True) as c:
        assert q.message_count(c.store) == 1
        assert audit.verify(c.store, c.audit_key).ok
        assert c.secrets.db_key != old_key
    # the new recovery code opens it; leftovers are gone
    _custody(home).recover(code, ask)
    assert not (home / rekey.PARTIAL).exists()
    assert not any(p.name.startswith(("key.next", "recovery.next")) for p in home.iterdir())


def test_killed_before_the_rename_the_old_key_still_opens(clinic, monkeypatch):  # noqa: F811
    home, old_key, before = clinic.home, _old_key(clinic), _check(clinic.home)
    clinic.close()

    def killed(*a: object) -> None:
        raise KeyboardInterrupt  # stands for SIGKILL: nothing after this point runs

    monkeypatch.setattr(rekey, "_put_in_place", killed)
    with pytest.raises(KeyboardInterrupt):
        rekey.change_key(home, ask, _custody(home))
    monkeypatch.undo()
    assert json.loads((home / CUSTODY_FILE).read_text())["pending_key_check"]
    with open_clinic(home, ask, _custody(home), check=True) as c:
        assert c.secrets.db_key == old_key and q.message_count(c.store) == 1
    assert _check(home) == before
    assert json.loads((home / CUSTODY_FILE).read_text())["pending_key_check"] is None
    assert not (home / rekey.PARTIAL).exists()


def test_killed_after_the_rename_the_new_key_is_found_and_kept(clinic, monkeypatch):  # noqa: F811
    home, old_key = clinic.home, _old_key(clinic)
    clinic.close()

    def killed(self, new) -> None:  # noqa: ANN001
        raise KeyboardInterrupt

    monkeypatch.setattr(KeyCustody, "promote_next", killed)
    with pytest.raises(KeyboardInterrupt):
        rekey.change_key(home, ask, _custody(home))
    monkeypatch.undo()
    with pytest.raises(StoreUnreadableError):
        open_store(store_path(home), old_key)  # the file on disk has the new key already
    with open_clinic(home, ask, _custody(home), check=True) as c:
        assert c.secrets.db_key != old_key and q.message_count(c.store) == 1
        assert audit.verify(c.store, c.audit_key).ok
    assert json.loads((home / CUSTODY_FILE).read_text())["pending_key_check"] is None
    with open_clinic(home, ask, _custody(home)) as c:  # and again, plainly
        assert q.message_count(c.store) == 1
