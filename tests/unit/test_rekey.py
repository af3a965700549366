"""Changing the store's key: the data stays, the old key stops working, and a process
killed at either side of the one rename still leaves a clinic that opens."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from test_backup import ask
from test_backup import clinic as clinic  # noqa: F401, PLC0414

from clinic_inbox.core import audit, keys, rekey
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


@pytest.mark.parametrize("killed_after", [keys.WRAPPED_KEY_FILE, keys.RECOVERY_FILE])
def test_killed_inside_the_promotion_the_new_key_is_found_and_kept(
    clinic,  # noqa: F811
    monkeypatch,
    killed_after,
):
    # a kill between moving the new key (or the new recovery file) in and writing the key
    # record left a record naming the old key beside the new one: "the key found for this
    # clinic does not match its store" (a clean-clone CI run of test_rekey_kills hit it)
    home, old_key = clinic.home, _old_key(clinic)
    clinic.close()
    real_replace = os.replace

    def replace(src, dst) -> None:  # noqa: ANN001
        real_replace(src, dst)
        if Path(dst).name == killed_after:
            raise KeyboardInterrupt  # stands for SIGKILL: nothing after this point runs

    monkeypatch.setattr(keys.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        rekey.change_key(home, ask, _custody(home))
    monkeypatch.undo()
    assert json.loads((home / CUSTODY_FILE).read_text())["pending_key_check"]
    with open_clinic(home, ask, _custody(home), check=True) as c:
        new_key = c.secrets.db_key
        assert new_key != old_key and q.message_count(c.store) == 1
        assert audit.verify(c.store, c.audit_key).ok
    record = json.loads((home / CUSTODY_FILE).read_text())
    assert record["pending_key_check"] is None
    assert not any(p.name.startswith(("key.next", "recovery.next")) for p in home.iterdir())
    with open_clinic(home, ask, _custody(home)) as c:  # and again, plainly
        assert c.secrets.db_key == new_key


def test_a_recovery_after_a_promotion_killed_midway_opens_with_the_new_code(
    clinic,  # noqa: F811
    monkeypatch,
):
    home = clinic.home
    clinic.close()
    real_replace = os.replace
    codes: list[str] = []
    real_stage = KeyCustody.stage_next

    def stage(self, new, code, ask_passphrase) -> None:  # noqa: ANN001
        codes.append(code)
        real_stage(self, new, code, ask_passphrase)

    def replace(src, dst) -> None:  # noqa: ANN001
        real_replace(src, dst)
        if Path(dst).name == keys.RECOVERY_FILE:
            raise KeyboardInterrupt

    monkeypatch.setattr(KeyCustody, "stage_next", stage)
    monkeypatch.setattr(keys.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        rekey.change_key(home, ask, _custody(home))
    monkeypatch.undo()
    # the keeper lost the passphrase: the recovery code printed by the change opens it
    found = _custody(home).recover(codes[0], ask)
    with open_clinic(home, ask, _custody(home), check=True) as c:
        assert c.secrets.db_key == found.db_key and q.message_count(c.store) == 1
    assert json.loads((home / CUSTODY_FILE).read_text())["pending_key_check"] is None
