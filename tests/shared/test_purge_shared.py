"""A retention purge reaches the other workstations through the shared server, against
a real PostgreSQL with every workstation's keys in a real keyring: the server deletes
its sealed copies, the others purge theirs when they pull (the words gone from their
store file, read back page by page), and a purge the server makes up is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from support.sqlcipher_pages import holds
from workstations import login, new_workstation, receive

from clinic_inbox.core import audit, purge_ledger
from clinic_inbox.core import services_retention as ret
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import server as srv
from clinic_inbox.shared import sync
from clinic_inbox.shared.seal import TamperedError


@pytest.fixture()
def keyring(secret_service):
    return secret_service.backend()


def _custody(clinic, keyring):
    from clinic_inbox.core.keys import KeyCustody

    return KeyCustody(clinic.home, backend=keyring)


def _filed_long_ago(clinic, thread_id):
    """The purge's preconditions (done, filed a year ago, nothing newer): set directly,
    the filing itself is not what is tested here."""
    old = (datetime.now(UTC) - timedelta(days=500)).isoformat(timespec="seconds")
    with clinic.store.transaction():
        clinic.store.execute(
            "UPDATE threads SET status = 'done', filed_at = ?, last_message_at = ? WHERE id = ?",
            (
                old,
                (datetime.now(UTC) - timedelta(days=501)).isoformat(timespec="seconds"),
                thread_id,
            ),
        )
    with open(clinic.home / "clinic.toml", "a") as fh:
        fh.write("\n[retention]\nkeep_days_after_filing = 365\n")


def test_a_purge_on_one_workstation_purges_the_server_and_the_others(tmp_path, keyring, empty_db):
    a, b = (new_workstation(tmp_path / n, keyring) for n in "ab")
    init = srv.init_server(a, login(a, "admin"), empty_db, _custody(a, keyring))
    srv.connect_workstation(b, login(b, "admin"), empty_db, init.clinic_code, _custody(b, keyring))
    gone, kept = receive(a, 2)
    la, lb = srv.open_link(a, _custody(a, keyring)), srv.open_link(b, _custody(b, keyring))
    conv = sync.publish_conversation(a, la, gone, None)
    sync.publish_conversation(a, la, kept, None)
    sync.pull(b, lb)
    on_b = shq.thread_by_uuid(b.store, conv)
    assert q.get_thread(b.store, on_b).message_count == 1
    marker = b"levothyroxine prescription ran out. Ref 0"
    b.store.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    assert holds(b.store.path, b.secrets.db_key, marker)

    _filed_long_ago(a, gone)
    assert ret.purge(a, login(a, "admin")).threads == [gone]
    sync.push(a, la)  # the purge goes out with the next push
    with psycopg.connect(empty_db) as su:
        left = su.execute("SELECT count(*) FROM message WHERE conv = %s", (conv,)).fetchone()
        assert left == (0,)
        others = su.execute("SELECT count(*) FROM message WHERE conv <> %s", (conv,)).fetchone()
        assert others == (1,)
    sync.push(a, la)  # once only
    got = sync.pull(b, lb)
    assert [c.kind for c in got.applied] == ["purge"]
    row = q.get_thread(b.store, on_b)
    assert row.message_count == 0 and row.subject.startswith("(removed")
    b.store.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    assert not holds(b.store.path, b.secrets.db_key, marker)
    [entry] = [e for e in audit.entries(b.store) if e.action == "retention.purge.shared"]
    assert entry.thread_id == on_b and entry.actor == "system"
    assert audit.verify(b.store, b.audit_key).ok
    # b's own backups are purged again when restored: the tombstone is in its folder
    found, bad = purge_ledger.read(b.home / purge_ledger.LEDGER_FILE, b.audit_key)
    assert [t.thread_id for t in found] == [on_b] and bad == 0
    # a's own pull of its purge changes nothing more
    assert "purge" in [c.kind for c in sync.pull(a, la).applied]
    assert len([e for e in audit.entries(a.store) if e.action.startswith("retention.purge")]) == 1

    # a purge the server makes up (no clinic key for its MAC) is refused on pull
    other = shq.thread_by_uuid(b.store, shq.thread_uuid(a.store, kept))
    with psycopg.connect(empty_db) as su:
        su.execute(
            "SELECT next_change('purge', %s::uuid, %s, %s::uuid)",
            (shq.thread_uuid(a.store, kept), "2026-01-01|" + "0" * 64, la.workstation_id),
        )
    with pytest.raises(TamperedError):
        sync.pull(b, lb)
    assert q.get_thread(b.store, other).message_count == 1
    for link in (la, lb):
        link.conn.close()
    a.close()
    b.close()
