"""Schema 6: the record of what was filed to the chart, one row per export."""

from clinic_inbox.core.store.migrations._script import run_script

VERSION = 6

SCHEMA = """
CREATE TABLE exports (
    id           INTEGER PRIMARY KEY,
    thread_id    INTEGER NOT NULL REFERENCES threads(id),
    version      INTEGER NOT NULL,
    document_id  TEXT NOT NULL UNIQUE,
    replaces     TEXT,
    formats      TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    exported_by  INTEGER NOT NULL REFERENCES staff(id),
    exported_at  TEXT NOT NULL,
    destination  TEXT NOT NULL,
    UNIQUE (thread_id, version)
);
"""


def upgrade(store) -> None:  # noqa: ANN001
    run_script(store, SCHEMA)
