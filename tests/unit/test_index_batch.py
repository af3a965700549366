"""A sync batch adds its messages to the search index in one go: the index holds
exactly what indexing each message as it is stored gives, and finds them."""

from __future__ import annotations

import os

from clinic_inbox.core.model import Category, Direction, Priority, Source
from clinic_inbox.core.store import create_store
from clinic_inbox.core.store import queries as q


def _fill(store, index: bool) -> list[int]:
    ids = []
    with store.transaction():
        pid = q.add_patient(store, "Ó Ceallaigh", "Siobhán", "1970-05-05", "RFH-9")
        for i in range(1200):  # more than one statement's worth (500)
            tid = q.create_thread(
                store, q.NewThread(f"t{i}", Category.OTHER, Priority.ROUTINE, q.utcnow())
            )
            ids.append(
                q.insert_message(
                    store,
                    q.NewMessage(
                        tid,
                        Source.EMAIL,
                        Direction.INBOUND,
                        q.utcnow(),
                        subject=f"Refill {i}",
                        body_text=f"levetiracetam diary {i}" if i % 7 else "ZANZIBAR glucose",
                        patient_id=pid if i % 3 == 0 else None,
                    ),
                    index=index,
                )
            )
        if not index:
            q.index_messages(store, ids)
    return ids


QUERIES = [
    "zanzibar",
    "levetiracetam",
    "refill",
    "siobhan",
    "patient_name : ceallaigh",
    "subject : 17",
    '"diary 500"',
    "glucose NOT zanzibar",
]


def _index(store) -> dict[str, list[int]]:
    """What each query finds (the index is contentless: its rows are read by MATCH)."""
    return {
        text: [
            r[0]
            for r in store.execute(
                "SELECT rowid FROM message_search WHERE message_search MATCH ? ORDER BY rowid",
                (text,),
            )
        ]
        for text in QUERIES
    }


def test_batch_indexing_equals_indexing_each_message(tmp_path):
    one = create_store(tmp_path / "one.db", os.urandom(32))
    batch = create_store(tmp_path / "batch.db", os.urandom(32))
    ids = _fill(one, index=True)
    assert _fill(batch, index=False) == ids
    found = _index(batch)
    assert found == _index(one)
    assert len(found["zanzibar"]) == len([i for i in range(1200) if i % 7 == 0])
    assert len(found["patient_name : ceallaigh"]) == 400
    assert found["glucose NOT zanzibar"] == []
    assert len(found["refill"]) == 1200
    # indexing again replaces, never doubles
    with batch.transaction():
        q.index_messages(batch, ids)
    assert _index(batch) == found
    rows = batch.execute("SELECT count(*) FROM message_search").fetchone()[0]
    assert rows == 1200
    one.close()
    batch.close()
