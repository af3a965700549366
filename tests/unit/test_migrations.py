"""Every migration step upgrades a saved older store, keeping its data."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from clinic_inbox.core.store import SCHEMA_VERSION, create_store, open_store
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store.connection import Store, _configure, _connect
from clinic_inbox.core.store.migrations import MIGRATIONS, NewerSchemaError, migrate

STORES = Path(__file__).resolve().parents[1] / "fixtures" / "stores"
TEST_KEY = bytes.fromhex("5e" * 32)


@pytest.mark.parametrize("version", [m.version for m in MIGRATIONS[:-1]])
def test_saved_store_upgrades_to_the_latest_schema(tmp_path, version):
    saved = STORES / f"schema-v{version}.db"
    assert saved.exists(), f"run tests/fixtures/make_old_stores.py to save schema {version}"
    path = tmp_path / "clinic.db"
    shutil.copy(saved, path)
    with open_store(path, TEST_KEY) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert q.get_patient(store, 1).given_name == "Zoë"
        assert [m.subject for m in q.list_messages(store)] == ["Old refill"]
        assert [m.id for m in q.list_messages(store, q.MessageFilter(search="levothyroxine"))] == [
            1
        ]
        assert [m.id for m in q.list_messages(store, q.MessageFilter(search="Lefèvre"))] == [1]
        for table in ("thread_notes", "sync_state", "delegations", "break_glass", "exports"):
            assert store.one(f"SELECT count(*) FROM {table}") == 0
        assert store.integrity_check() == []
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with open_store(path, TEST_KEY) as store:  # a second open has nothing to do
        assert store.schema_version() == SCHEMA_VERSION
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_each_step_applies_in_order_from_empty(tmp_path):
    path = tmp_path / "c.db"
    conn = _connect(path, TEST_KEY, "rwc")
    _configure(conn)
    store = Store(conn, path)
    for m in MIGRATIONS:
        assert migrate(store, target=m.version) == [m.version]
        assert store.schema_version() == m.version
    assert migrate(store) == []
    conn.close()


def test_a_store_from_a_newer_app_is_refused_untouched(tmp_path):
    path = tmp_path / "c.db"
    store = create_store(path, TEST_KEY)
    store.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    store.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(NewerSchemaError):
        open_store(path, TEST_KEY)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_schema_10_keeps_earlier_mail_as_it_was(tmp_path):
    """Mail stored before sender checks existed was never checked (its raw bytes were
    not kept, so it cannot be now): no label, nothing held, and it can still be filed."""
    from clinic_inbox.core.store import access_queries as aq
    from clinic_inbox.core.store import sync_queries as sq

    path = tmp_path / "clinic.db"
    shutil.copy(STORES / "schema-v9.db", path)
    with open_store(path, TEST_KEY) as store:
        assert store.schema_version() >= 10
        row = q.get_thread(store, 1)
        assert (row.sender_unverified, row.claims_thread_id, row.held_for_review) == (
            False,
            None,
            False,
        )
        assert not sq.thread_sender_unverified(store, 1)
        (m,) = q.thread_messages(store, 1, with_body=True)
        assert (m.sender_check, m.claims_thread_id) == (None, None)
        facts = aq.thread_facts(store, 1)
        assert facts.patient_known and facts.physician_id == 1
