"""Automatic backups, and a damaged store found at start replaced by the latest one."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from test_backup import PASS, ask  # noqa: F401 - the same clinic fixture and passphrase
from test_backup import clinic as clinic  # noqa: F401, PLC0414

from clinic_inbox.core import audit, backup_schedule
from clinic_inbox.core.home import StoreDamagedError, open_clinic, store_path
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Category, Direction, Priority, Source
from clinic_inbox.core.store import queries as q

T0 = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def _add_message(c, subject: str) -> None:  # noqa: ANN001
    with c.store.transaction():
        tid = q.create_thread(
            c.store, q.NewThread(subject, Category.OTHER, Priority.ROUTINE, q.utcnow(), None)
        )
        q.insert_message(
            c.store,
            q.NewMessage(
                tid,
                Source.EMAIL,
                Direction.INBOUND,
                q.utcnow(),
                sender="a@example.org",
                subject=subject,
                body_text="text",
            ),
        )


def test_backups_follow_the_interval_and_only_the_newest_are_kept(clinic):  # noqa: F811
    clinic.config = dataclasses.replace(clinic.config, backup_every_hours=24, backup_keep=2)
    assert backup_schedule.run_scheduled_backup(clinic, T0) is not None
    assert backup_schedule.run_scheduled_backup(clinic, T0 + timedelta(hours=23)) is None
    for day in (1, 2, 3):
        assert backup_schedule.run_scheduled_backup(clinic, T0 + timedelta(days=day)) is not None
    folder = backup_schedule.backup_folder(clinic.home, clinic.config)
    kept = backup_schedule.scheduled_backups(folder)
    assert [p.name for p in kept] == ["clinic-20261122T180000Z.db", "clinic-20261123T180000Z.db"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [p.name for p in kept] + [p.name + ".keys.json" for p in kept]
    )
    assert backup_schedule.latest_backup(clinic.home, clinic.config) == kept[-1]


def _damage(path) -> None:  # noqa: ANN001
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 4 * page
    data[2 * page + 100 : 2 * page + 164] = bytes(64)  # a torn write in the third page
    path.write_bytes(bytes(data))


def test_a_damaged_store_is_reported_at_start_and_the_latest_backup_put_back(clinic):  # noqa: F811
    home = clinic.home
    backup_schedule.run_scheduled_backup(clinic, T0)
    _add_message(clinic, "after the backup")
    clinic.store.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    clinic.close()
    _damage(store_path(home))
    damaged = store_path(home).read_bytes()

    with pytest.raises(StoreDamagedError, match="damaged") as err:
        open_clinic(home, ask, KeyCustody(home, detect=False), check=True)
    assert err.value.home == home
    latest = backup_schedule.latest_backup(home)
    info, aside = backup_schedule.replace_damaged_store(
        home, latest, ask, custody=KeyCustody(home, detect=False)
    )
    assert info.messages == 1
    assert (aside / "clinic.db").read_bytes() == damaged  # kept for IT support, untouched

    with open_clinic(home, ask, KeyCustody(home, detect=False), check=True) as c:
        assert q.message_count(c.store) == 1
        assert audit.verify(c.store, c.audit_key).ok


def test_a_failed_replacement_leaves_the_damaged_store_where_it_was(clinic, tmp_path):  # noqa: F811
    home = clinic.home
    clinic.close()
    before = sorted(p.name for p in home.iterdir())
    with pytest.raises(Exception, match="no backup file"):
        backup_schedule.replace_damaged_store(
            home, tmp_path / "nothing.db", ask, custody=KeyCustody(home, detect=False)
        )
    assert sorted(p.name for p in home.iterdir()) == before


def test_the_page_check_runs_beside_the_open_store_and_finds_a_damaged_page(clinic):  # noqa: F811
    from clinic_inbox.core.home import PageCheck

    home = clinic.home
    for n in range(200):  # pages of message text that opening the store never reads
        _add_message(clinic, f"message {n} " + "x" * 400)
    assert PageCheck(clinic).sound()
    clinic.store.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    clinic.close()
    path = store_path(home)
    data = bytearray(path.read_bytes())
    data[-4096 + 200 : -4096 + 264] = bytes(64)  # a torn write in the last page
    path.write_bytes(bytes(data))

    with open_clinic(home, ask, KeyCustody(home, detect=False)) as c:  # opening reads little
        check = PageCheck(c)
        with pytest.raises(StoreDamagedError, match="damaged") as err:
            check.raise_if_damaged()
        assert err.value.home == home
    assert path.read_bytes() == bytes(data), "the check wrote nothing"
