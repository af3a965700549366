"""Schema 9: what a workstation needs to share its queue with a clinic server.

- `threads.uuid`, `thread_notes.uuid`: clinic-wide ids, set when a conversation is
  published to the server or pulled from it (local integer ids stay for foreign keys).
- `messages.shared_identity`: the keyed HMAC the server deduplicates messages by.
- `shared_field_versions`: the server version of each shared field this store has seen
  (the base of the next compare-and-set).
- `pending_ops`: changes made here and not yet answered by the server, written in the
  same transaction as the change and its audit entry, so they survive being offline.
- `shared_conflicts`: operations the server refused because someone else was first,
  for the person who made them to see.
"""

from clinic_inbox.core.store.migrations._script import run_script

VERSION = 9

SCHEMA = """
ALTER TABLE threads ADD COLUMN uuid TEXT;
CREATE UNIQUE INDEX threads_uuid ON threads (uuid) WHERE uuid IS NOT NULL;
ALTER TABLE thread_notes ADD COLUMN uuid TEXT;
CREATE UNIQUE INDEX thread_notes_uuid ON thread_notes (uuid) WHERE uuid IS NOT NULL;
ALTER TABLE messages ADD COLUMN shared_identity TEXT;
CREATE UNIQUE INDEX messages_shared_identity ON messages (shared_identity)
    WHERE shared_identity IS NOT NULL;

CREATE TABLE shared_field_versions (
    thread_id INTEGER NOT NULL REFERENCES threads(id),
    field     TEXT NOT NULL,
    v         INTEGER NOT NULL,
    PRIMARY KEY (thread_id, field)
);

CREATE TABLE pending_ops (
    id         INTEGER PRIMARY KEY,
    op_id      TEXT NOT NULL UNIQUE,
    thread_id  INTEGER NOT NULL REFERENCES threads(id),
    field      TEXT NOT NULL CHECK (field IN ('status','assignee','priority','sensitive','note')),
    base_v     INTEGER NOT NULL,
    value      TEXT NOT NULL,
    actor_id   INTEGER REFERENCES staff(id),
    created_at TEXT NOT NULL
);

CREATE TABLE shared_conflicts (
    id          INTEGER PRIMARY KEY,
    op_id       TEXT NOT NULL UNIQUE,
    thread_id   INTEGER NOT NULL REFERENCES threads(id),
    field       TEXT NOT NULL,
    mine        TEXT NOT NULL,
    theirs      TEXT NOT NULL,
    their_by    TEXT,
    their_at    TEXT,
    actor_id    INTEGER REFERENCES staff(id),
    created_at  TEXT NOT NULL,
    seen        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX shared_conflicts_thread ON shared_conflicts (thread_id, seen);
"""


def upgrade(store) -> None:  # noqa: ANN001
    run_script(store, SCHEMA)
