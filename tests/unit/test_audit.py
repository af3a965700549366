"""The audit trail is append-only and tamper-evident; `verify` names where it broke."""

from __future__ import annotations

import os

import pytest
import sqlcipher3

from clinic_inbox.core import audit
from clinic_inbox.core.store import create_store

AUDIT_KEY = os.urandom(32)


@pytest.fixture()
def store(tmp_path):
    s = create_store(tmp_path / "c.db", os.urandom(32))
    for i in range(6):
        with s.transaction():
            audit.append(
                s,
                AUDIT_KEY,
                1,
                "dr.a",
                "thread.view",
                patient_id=i,
                thread_id=i,
                detail={"messages": [i]},
            )
    yield s
    s.close()


def _bypass_triggers(store) -> None:
    """What someone holding the database key (but not the audit key) could do."""
    store.execute("DROP TRIGGER audit_no_update")
    store.execute("DROP TRIGGER audit_no_delete")


def test_intact_and_append_needs_a_transaction(store):
    assert audit.verify(store, AUDIT_KEY).ok and audit.verify(store, AUDIT_KEY).checked == 6
    with pytest.raises(RuntimeError):
        audit.append(store, AUDIT_KEY, 1, "x", "y")


def test_triggers_refuse_update_and_delete(store):
    with pytest.raises(sqlcipher3.IntegrityError, match="append-only"):
        store.execute("UPDATE audit SET actor = 'nobody' WHERE id = 2")
    with pytest.raises(sqlcipher3.IntegrityError, match="append-only"):
        store.execute("DELETE FROM audit WHERE id = 2")


def test_edited_entry_is_named(store):
    _bypass_triggers(store)
    store.execute("UPDATE audit SET detail = '{\"messages\":[99]}' WHERE id = 3")
    r = audit.verify(store, AUDIT_KEY)
    assert not r.ok and r.first_bad_id == 3 and "altered" in r.problem


def test_deleted_middle_entry_is_named(store):
    _bypass_triggers(store)
    store.execute("DELETE FROM audit WHERE id = 4")
    r = audit.verify(store, AUDIT_KEY)
    assert not r.ok and r.first_bad_id == 5 and "missing" in r.problem


def test_reordered_entries_are_caught(store):
    _bypass_triggers(store)
    store.execute("UPDATE audit SET id = 100 WHERE id = 2")
    store.execute("UPDATE audit SET id = 2 WHERE id = 3")
    store.execute("UPDATE audit SET id = 3 WHERE id = 100")
    r = audit.verify(store, AUDIT_KEY)
    assert not r.ok and r.first_bad_id == 2


def test_truncated_tail_is_caught(store):
    _bypass_triggers(store)
    store.execute("DELETE FROM audit WHERE id >= 5")
    r = audit.verify(store, AUDIT_KEY)
    assert not r.ok and r.first_bad_id is None and "removed from the end" in r.problem
    assert "at the end" in r.describe()


def test_rechaining_without_the_audit_key_is_caught(store):
    _bypass_triggers(store)
    forger = os.urandom(32)
    store.execute("DELETE FROM audit")
    store.execute("DELETE FROM meta WHERE key = 'audit_head'")
    with store.transaction():
        audit.append(store, forger, 1, "dr.a", "login")
    assert not audit.verify(store, AUDIT_KEY).ok


def test_a_different_key_fails(store):
    assert not audit.verify(store, os.urandom(32)).ok
