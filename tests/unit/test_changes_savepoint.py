"""What a unit inside a savepoint noted goes when that unit rolls back (one message of
a sync batch set aside), and stays when it is released: a real SQLCipher store."""

from __future__ import annotations

import os

import pytest

from clinic_inbox.core.changes import Changes, note, recording
from clinic_inbox.core.store import create_store


def test_a_rolled_back_savepoint_takes_what_it_noted_with_it(tmp_path):
    store = create_store(tmp_path / "c.db", os.urandom(32))
    try:
        with recording() as rec:
            with store.transaction():
                note(store, Changes.of(1))
                with pytest.raises(ValueError), store.savepoint():
                    note(store, Changes.of(2, messages=[20]))
                    raise ValueError("one bad message")
                with store.savepoint():
                    note(store, Changes.of(3, outbox=True, messages=[30]))
            assert rec.changes == Changes.of(1, 3, outbox=True, messages=[30])
        with recording() as rec, pytest.raises(RuntimeError), store.transaction():
            note(store, Changes.of(4))
            raise RuntimeError("the whole batch rolled back")
        assert not rec.changes
    finally:
        store.close()
