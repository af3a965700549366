"""The encrypted store: nothing readable on disk, failed opens change nothing."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from clinic_inbox.core.home import StoreDamagedError, create_clinic, open_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Category, Direction, Priority, Source
from clinic_inbox.core.store import (
    StoreExistsError,
    StoreUnreadableError,
    UnencryptedStoreError,
    create_store,
    open_store,
)
from clinic_inbox.core.store import queries as q

KEY = bytes(range(32))
PASS = "correct horse battery staple"
SECRETS = [
    "Siobhán Ó Ceallaigh-Whitfield",
    "Persistent tremor after levetiracetam",
    "ZANZIBAR-glucose-diary",
]


def _fill(store):
    with store.transaction():
        pid = q.add_patient(store, "Ó Ceallaigh-Whitfield", "Siobhán", "1970-05-05", "RFH-9")
        tid = q.create_thread(
            store, q.NewThread(SECRETS[1], Category.OTHER, Priority.ROUTINE, q.utcnow(), pid)
        )
        q.insert_message(
            store,
            q.NewMessage(
                tid,
                Source.EMAIL,
                Direction.INBOUND,
                q.utcnow(),
                subject=SECRETS[1],
                body_text=f"My {SECRETS[2]} is attached",
                patient_id=pid,
                attachments=[q.NewAttachment("d.txt", "text/plain", SECRETS[2].encode())],
            ),
        )


def _files(path):
    return [
        p
        for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"))
        if p.exists()
    ]


def _assert_nothing_readable(path):
    for f in _files(path):
        data = f.read_bytes()
        for s in SECRETS + ["Siobhán", "levetiracetam"]:
            for enc in (s.encode(), s.lower().encode(), s.encode("utf-16-le")):
                assert enc not in data, (f.name, s)


def _digest(path):
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in _files(path)}


def test_no_plaintext_on_disk_while_open_and_after_close(tmp_path):
    path = tmp_path / "clinic.db"
    store = create_store(path, KEY)
    _fill(store)
    _assert_nothing_readable(path)  # the WAL holds fresh data while open
    assert q.list_messages(store, q.MessageFilter(search="ZANZIBAR"))
    store.close()
    _assert_nothing_readable(path)
    assert not path.read_bytes().startswith(b"SQLite format 3")
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_pragmas(tmp_path):
    store = create_store(tmp_path / "c.db", KEY)
    one = store.one
    assert one("PRAGMA journal_mode") == "wal"
    assert one("PRAGMA synchronous") == 2
    assert one("PRAGMA foreign_keys") == 1
    assert one("PRAGMA cache_size") <= -65536
    assert one("PRAGMA temp_store") == 2
    assert store.cipher_version().startswith("4.")
    store.close()


def test_wrong_key_changes_nothing(tmp_path):
    path = tmp_path / "c.db"
    store = create_store(path, KEY)
    _fill(store)
    store.close()
    before = _digest(path)
    with pytest.raises(StoreUnreadableError):
        open_store(path, bytes(32))
    assert _digest(path) == before


def test_unencrypted_file_is_refused_untouched(tmp_path):
    path = tmp_path / "c.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    before = _digest(path)
    with pytest.raises(UnencryptedStoreError):
        open_store(path, KEY)
    assert _digest(path) == before


def test_never_created_over_an_existing_file(tmp_path):
    path = tmp_path / "c.db"
    path.write_bytes(b"precious")
    with pytest.raises(StoreExistsError):
        create_store(path, KEY)
    assert path.read_bytes() == b"precious"


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_damaged_file_is_named_as_damaged_and_left_alone(tmp_path, damage):
    home = tmp_path / "h"
    clinic, _ = create_clinic(home, lambda p, c: PASS, KeyCustody(home, detect=False))
    _fill(clinic.store)
    clinic.close()
    path = home / "clinic.db"
    data = bytearray(path.read_bytes())
    if damage == "flip":
        for i in range(4096 + 100, 4096 + 140):
            data[i] ^= 0xA5
        data[100] ^= 0xFF  # page 1 too, so the open itself fails
    else:
        data = data[: 4096 + 10]
    path.write_bytes(bytes(data))
    before = _digest(path)
    with pytest.raises((StoreDamagedError, StoreUnreadableError)) as info:
        open_clinic(home, lambda p, c: PASS, KeyCustody(home, detect=False))
    assert "damaged" in str(info.value) or "truncated" in str(info.value)
    assert _digest(path) == before


def test_transaction_rolls_back_whole(tmp_path):
    store = create_store(tmp_path / "c.db", KEY)
    with pytest.raises(RuntimeError), store.transaction():
        q.add_patient(store, "A", "B", None, "X1")
        raise RuntimeError("power cut")
    assert q.patient_count(store) == 0
    store.close()


@pytest.mark.parametrize("text", ["foo AND (", "*", "NEAR(", '"', "'; DROP TABLE messages; --", ""])
def test_hostile_search_input(tmp_path, text):
    store = create_store(tmp_path / "c.db", KEY)
    _fill(store)
    q.list_messages(store, q.MessageFilter(search=text))
    q.list_threads(store, q.ThreadFilter(search=text))
    assert q.message_count(store) == 1
    store.close()


def test_search_gives_the_newest_matches_in_order_with_paging(tmp_path):
    import random
    from datetime import UTC, datetime, timedelta

    store = create_store(tmp_path / "s.db", KEY)
    rnd = random.Random(5)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    with store.transaction():
        tid = q.create_thread(store, q.NewThread("t", Category.OTHER, Priority.ROUTINE, q.utcnow()))
        for i in range(120):  # stored out of date order, as a resync or an import does
            at = (base + timedelta(hours=rnd.randrange(5000))).isoformat()
            words = "ferritin results" if i % 3 else "appointment"
            q.insert_message(
                store,
                q.NewMessage(
                    tid, Source.EMAIL, Direction.INBOUND, at, subject=f"m{i}", body_text=words
                ),
            )
    everything = q.list_messages(store, q.MessageFilter(direction=Direction.INBOUND))
    expected = [m.id for m in everything if m.subject and int(m.subject[1:]) % 3]
    got = [
        m.id
        for page in range(4)
        for m in q.list_messages(
            store, q.MessageFilter(search="ferritin", limit=25, offset=page * 25)
        )
    ]
    assert got == expected[:100]
    with_filter = q.list_messages(
        store, q.MessageFilter(search="ferritin", direction=Direction.INBOUND, limit=25)
    )
    assert [m.id for m in with_filter] == expected[:25]
    store.close()
