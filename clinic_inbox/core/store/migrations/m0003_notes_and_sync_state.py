"""Schema 3: internal notes on threads, and per-source sync checkpoints.

Sync checkpoints get their own table so that the high-water mark can advance
in the same transaction that stores a message.
"""

from clinic_inbox.core.store.migrations._script import run_script

VERSION = 3

SCHEMA = """
CREATE TABLE thread_notes (
    id         INTEGER PRIMARY KEY,
    thread_id  INTEGER NOT NULL REFERENCES threads(id),
    author_id  INTEGER NOT NULL REFERENCES staff(id),
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX thread_notes_thread ON thread_notes (thread_id, created_at);

CREATE TABLE sync_state (
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    scope       TEXT NOT NULL,
    uidvalidity INTEGER,
    last_uid    INTEGER,
    cursor      TEXT,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (account_id, scope)
);

CREATE INDEX messages_content_hash ON messages (content_hash);

CREATE TABLE sync_events (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER REFERENCES accounts(id),
    at         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT ''
);

-- Existing threads get a zero-length note history; nothing to backfill.
INSERT INTO meta (key, value) VALUES ('notes_enabled_at', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
ON CONFLICT (key) DO NOTHING;
"""


def upgrade(store) -> None:  # noqa: ANN001
    run_script(store, SCHEMA)
