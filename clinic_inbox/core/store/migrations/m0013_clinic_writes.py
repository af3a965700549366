"""Schema 13: the clinic writes first, follows up, and knows what was not delivered.

- The outbox may hold a message for later (`send_after`: never sent before that
  instant, even by "Retry now") and a message may be cancelled before it leaves
  (`cancelled`, a new state: SQLite cannot alter a CHECK, so the table is rebuilt
  from its own CREATE text, keeping every column other steps may have added).
- A conversation may carry "follow up by <date>": when the patient has not written
  by then it comes back to New, flagged (`follow_up_due_at`).
- An outgoing message carries its delivery news (`delivery`: cancelled,
  not_delivered, delivered, read), tied to it by its own identifier.
"""

from clinic_inbox.core.store.migrations._script import run_script

VERSION = 13

_OLD_CHECK = "CHECK (state IN ('pending','sending','sent','failed'))"
_NEW_CHECK = "CHECK (state IN ('pending','sending','sent','failed','cancelled'))"

SCHEMA = """
ALTER TABLE threads ADD COLUMN follow_up_by TEXT;
ALTER TABLE threads ADD COLUMN follow_up_set_at TEXT;
ALTER TABLE threads ADD COLUMN follow_up_due_at TEXT;
CREATE INDEX threads_follow_up ON threads (follow_up_by) WHERE follow_up_by IS NOT NULL;
ALTER TABLE messages ADD COLUMN delivery TEXT;
ALTER TABLE messages ADD COLUMN delivery_at TEXT;
ALTER TABLE messages ADD COLUMN delivery_detail TEXT;
CREATE TABLE absences (
    id            INTEGER PRIMARY KEY,
    physician_id  INTEGER NOT NULL REFERENCES staff(id),
    cover_id      INTEGER REFERENCES staff(id),
    starts_at     TEXT NOT NULL,
    ends_at       TEXT NOT NULL,
    delegation_id INTEGER REFERENCES delegations(id),
    created_by    INTEGER NOT NULL REFERENCES staff(id),
    created_at    TEXT NOT NULL,
    cancelled_at  TEXT
);
CREATE INDEX absences_when ON absences (ends_at, starts_at);
CREATE TABLE time_entries (
    id             INTEGER PRIMARY KEY,
    thread_id      INTEGER NOT NULL REFERENCES threads(id),
    patient_id     INTEGER REFERENCES patients(id),
    staff_id       INTEGER NOT NULL REFERENCES staff(id),
    started_at     TEXT NOT NULL,
    last_active_at TEXT,
    active_seconds REAL NOT NULL DEFAULT 0,
    stopped_at     TEXT,
    how            TEXT NOT NULL CHECK (how IN ('timer', 'entered')),
    reason         TEXT,
    created_at     TEXT NOT NULL
);
CREATE INDEX time_entries_patient ON time_entries (patient_id, started_at);
CREATE UNIQUE INDEX time_entries_running ON time_entries (staff_id, thread_id)
    WHERE stopped_at IS NULL;
ALTER TABLE threads ADD COLUMN legal_hold INTEGER NOT NULL DEFAULT 0;
ALTER TABLE threads ADD COLUMN legal_hold_reason TEXT;
ALTER TABLE threads ADD COLUMN purged_at TEXT;
"""


def _rebuild_outbox(store) -> None:  # noqa: ANN001
    sql = store.one("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'outbox'")
    if _OLD_CHECK not in sql:
        raise RuntimeError("the outbox table is not the expected shape; not rebuilt")
    # its indexes and triggers (any step may have added some) are made again after
    indexes = [
        r[0]
        for r in store.execute(
            "SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
            "AND tbl_name = 'outbox' AND sql IS NOT NULL ORDER BY type"
        )
    ]
    new_sql = sql.replace(_OLD_CHECK, _NEW_CHECK).replace(
        "CREATE TABLE outbox", "CREATE TABLE outbox_m12", 1
    )
    store.execute(new_sql)
    store.execute("INSERT INTO outbox_m12 SELECT * FROM outbox")
    store.execute("DROP TABLE outbox")
    store.execute("ALTER TABLE outbox_m12 RENAME TO outbox")
    for index in indexes:
        store.execute(index)


def upgrade(store) -> None:  # noqa: ANN001
    _rebuild_outbox(store)
    store.execute("ALTER TABLE outbox ADD COLUMN send_after TEXT")
    run_script(store, SCHEMA)
