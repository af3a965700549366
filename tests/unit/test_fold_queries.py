"""Folding an emptied conversation into another one (core.store.fold_queries), on a real
encrypted store: everything that hangs off it moves, nothing refers to it afterwards,
its audit entries stay, and its number is never given to a new conversation."""

from __future__ import annotations

import pytest
from support.clinics import email_thread, new_clinic
from support.thread_references import THREAD_REFERENCES

from clinic_inbox.core.store import fold_queries as fq
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.core.store.audit_ship_queries import thread_uuids


@pytest.fixture()
def folded(tmp_path):
    clinic, _admin, patel = new_clinic(tmp_path / "c")
    store, now = clinic.store, q.utcnow()
    with store.transaction():
        into, src = email_thread(store, "kept"), email_thread(store, "emptied")
        store.execute("UPDATE threads SET uuid = 'conv-kept' WHERE id = ?", (into,))
        (mid,) = [m["id"] for m in shq.thread_messages(store, src)]
        store.execute(
            "INSERT INTO thread_notes (thread_id, author_id, body, created_at) "
            "VALUES (?, ?, 'called back', ?)",
            (src, patel.id, now),
        )
        store.execute(
            "INSERT INTO break_glass (staff_id, thread_id, reason, started_at, expires_at) "
            "VALUES (?, ?, 'urgent', ?, ?)",
            (patel.id, src, now, now),
        )
        store.execute(
            "INSERT INTO presence (thread_id, staff_id, activity, seen_at) "
            "VALUES (?, ?, 'viewing', ?)",
            (src, patel.id, now),
        )
        for tid, doc in ((into, "doc-1"), (src, "doc-2")):
            store.execute(
                "INSERT INTO exports (thread_id, version, document_id, formats, content_hash, "
                "exported_by, exported_at, destination) VALUES (?, 1, ?, 'pdf', 'h', ?, ?, 'x')",
                (tid, doc, patel.id, now),
            )
        for tid in (into, src):  # a timer running on both for the same person
            store.execute(
                "INSERT INTO time_entries (thread_id, staff_id, started_at, how, created_at) "
                "VALUES (?, ?, ?, 'timer', ?)",
                (tid, patel.id, now, now),
            )
        store.execute(
            "INSERT INTO shared_field_versions (thread_id, field, v) VALUES (?, 'status', 2)",
            (src,),
        )
        for field in ("status", "note"):
            store.execute(
                "INSERT INTO pending_ops (op_id, thread_id, field, base_v, value, created_at) "
                "VALUES (?, ?, ?, 0, '1', ?)",
                (f"op-{field}", src, field, now),
            )
        store.execute(
            "INSERT INTO shared_conflicts (op_id, thread_id, field, mine, theirs, created_at) "
            "VALUES ('card', ?, 'status', 'done', 'new', ?)",
            (src, now),
        )
        store.execute(
            "INSERT INTO shared_link_ops (thread_id, op_id, base_v, value, created_at) "
            "VALUES (?, 'link', 0, '', ?)",
            (src, now),
        )
        store.execute("INSERT INTO filed_moves (thread_id, asked_at) VALUES (?, ?)", (src, now))
        store.execute(
            "UPDATE threads SET claims_thread_id = ?, legal_hold = 1, legal_hold_reason = 'r' "
            "WHERE id = ?",
            (src, src),
        )
        store.execute("UPDATE threads SET claims_thread_id = ? WHERE id = ?", (src, into))
        store.execute("UPDATE messages SET claims_thread_id = ? WHERE id = ?", (src, mid))
        store.execute(
            "INSERT INTO audit (at, actor, action, thread_id, prev_mac, mac) "
            "VALUES (?, 'system', 'thread.status', ?, '', '')",
            (now, src),
        )
        shq.move_message(store, mid, into)
        assert fq.is_empty(store, src)
        held = fq.fold(store, src, into)
    yield clinic, src, into, held
    clinic.close()


def test_everything_moves_and_nothing_refers_to_it(folded):
    clinic, src, into, held = folded
    store = clinic.store
    assert held == {"notes": 1, "break_glass": 1, "time_entries": 1, "exports": 1}
    for table, column in (*THREAD_REFERENCES, ("threads", "id")):
        assert store.one(f"SELECT count(*) FROM {table} WHERE {column} = ?", (src,)) == 0, table
    assert [n[2] for n in q.thread_notes(store, into)] == ["called back"]
    assert store.one("SELECT field FROM pending_ops WHERE thread_id = ?", (into,)) == "note"
    assert sorted(
        r[0] for r in store.execute("SELECT version FROM exports WHERE thread_id = ?", (into,))
    ) == [1, 2]
    assert (
        store.one(
            "SELECT count(*) FROM time_entries WHERE thread_id = ? AND stopped_at IS NULL", (into,)
        )
        == 1
    )
    assert store.one("SELECT legal_hold FROM threads WHERE id = ?", (into,)) == 1
    # its audit entry stays, and is read as the target's
    assert store.one("SELECT count(*) FROM audit WHERE thread_id = ?", (src,)) == 1
    assert thread_uuids(store, {src, into}) == {src: "conv-kept", into: "conv-kept"}


def test_its_number_is_never_given_again(folded):
    clinic, src, _into, _held = folded
    with clinic.store.transaction():
        assert email_thread(clinic.store, "later") > src


def test_a_conversation_with_a_message_is_not_folded(folded):
    clinic, _src, into, _held = folded
    with clinic.store.transaction():
        other = email_thread(clinic.store, "other")
        with pytest.raises(ValueError):
            fq.fold(clinic.store, other, into)
