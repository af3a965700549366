"""Schema 7: whether a sent email's copy reached the Sent folder yet.

The send is recorded the moment the server accepts it (the shortest possible
crash window); the Sent copy follows and is retried until it is there.
"""

from clinic_inbox.core.store.migrations._script import run_script

VERSION = 7

SCHEMA = """
ALTER TABLE outbox ADD COLUMN copied INTEGER NOT NULL DEFAULT 1;
"""


def upgrade(store) -> None:  # noqa: ANN001
    run_script(store, SCHEMA)
