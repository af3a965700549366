"""Schema 4: delegations between staff, break-glass openings, thread presence."""

from clinic_inbox.core.store.migrations._script import run_script

VERSION = 4

SCHEMA = """
CREATE TABLE delegations (
    id                INTEGER PRIMARY KEY,
    physician_id      INTEGER NOT NULL REFERENCES staff(id),
    delegate_id       INTEGER NOT NULL REFERENCES staff(id),
    categories        TEXT NOT NULL DEFAULT '*',
    include_sensitive INTEGER NOT NULL DEFAULT 0,
    can_view          INTEGER NOT NULL DEFAULT 1,
    can_reply         INTEGER NOT NULL DEFAULT 0,
    can_file          INTEGER NOT NULL DEFAULT 0,
    starts_at         TEXT NOT NULL,
    ends_at           TEXT,
    revoked_at        TEXT,
    created_by        INTEGER NOT NULL REFERENCES staff(id),
    created_at        TEXT NOT NULL,
    CHECK (physician_id != delegate_id)
);
CREATE INDEX delegations_delegate ON delegations (delegate_id, revoked_at);

CREATE TABLE break_glass (
    id          INTEGER PRIMARY KEY,
    staff_id    INTEGER NOT NULL REFERENCES staff(id),
    thread_id   INTEGER NOT NULL REFERENCES threads(id),
    reason      TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    reviewed_by INTEGER REFERENCES staff(id),
    reviewed_at TEXT
);
CREATE INDEX break_glass_staff ON break_glass (staff_id, thread_id, expires_at);

-- Who has a thread open or is replying: so two people do not answer the same patient.
CREATE TABLE presence (
    thread_id  INTEGER NOT NULL REFERENCES threads(id),
    staff_id   INTEGER NOT NULL REFERENCES staff(id),
    activity   TEXT NOT NULL CHECK (activity IN ('viewing','replying')),
    seen_at    TEXT NOT NULL,
    PRIMARY KEY (thread_id, staff_id)
);
"""


def upgrade(store) -> None:  # noqa: ANN001
    run_script(store, SCHEMA)
