"""The clinic-writes schema step rebuilds the outbox (SQLite cannot change a CHECK):
every row, column and index of the outbox survives it, and 'cancelled' is allowed."""

from __future__ import annotations

import pytest
import sqlcipher3

from clinic_inbox.core.store.connection import Store, _configure, _connect
from clinic_inbox.core.store.migrations import MIGRATIONS, migrate

TEST_KEY = bytes.fromhex("5e" * 32)
STEP = next(m.version for m in MIGRATIONS if m.name.endswith("clinic_writes"))


def test_the_outbox_keeps_its_rows_columns_and_indexes(tmp_path):
    conn = _connect(tmp_path / "c.db", TEST_KEY, "rwc")
    _configure(conn)
    store = Store(conn, tmp_path / "c.db")
    migrate(store, target=STEP - 1)
    with store.transaction():
        store.execute(
            "INSERT INTO outbox (kind, purpose, idempotency_key, payload, state, attempts, "
            "created_at, updated_at, sent_at, copied) VALUES ('email', 'reply', '<k1@x>', x'00ff', "
            "'sent', 2, '2026-01-01', '2026-01-01', '2026-01-01', 0)"
        )
        store.execute(
            "INSERT INTO outbox (kind, purpose, idempotency_key, payload, state, created_at, "
            "updated_at) VALUES ('portal', 'ack', 'urn:uuid:1', x'01', 'pending', 'a', 'a')"
        )
        # as another step might have: a trigger on the outbox survives the rebuild
        store.execute(
            "CREATE TRIGGER outbox_touch AFTER UPDATE OF state ON outbox "
            "BEGIN UPDATE outbox SET attempts = attempts WHERE id = NEW.id; END"
        )
    before_cols = [r[1] for r in store.execute("PRAGMA table_info(outbox)")]
    before_idx = sorted(r[1] for r in store.execute("PRAGMA index_list(outbox)"))
    rows = store.execute("SELECT * FROM outbox ORDER BY id").fetchall()
    assert migrate(store, target=STEP) == [STEP]
    assert [r[1] for r in store.execute("PRAGMA table_info(outbox)")] == [
        *before_cols,
        "send_after",
    ]
    assert sorted(r[1] for r in store.execute("PRAGMA index_list(outbox)")) == before_idx
    assert [r[:-1] for r in store.execute("SELECT * FROM outbox ORDER BY id")] == rows
    assert (
        store.one("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'outbox'")
        == "outbox_touch"
    )
    with store.transaction():
        store.execute("UPDATE outbox SET state = 'cancelled' WHERE id = 2")
    with pytest.raises(sqlcipher3.IntegrityError), store.transaction():
        store.execute("UPDATE outbox SET state = 'lost' WHERE id = 2")
    with pytest.raises(sqlcipher3.IntegrityError), store.transaction():  # still unique
        store.execute(
            "INSERT INTO outbox (kind, purpose, idempotency_key, payload, created_at, updated_at) "
            "VALUES ('email', 'reply', '<k1@x>', x'00', 'b', 'b')"
        )
    assert store.integrity_check() == []
    conn.close()
