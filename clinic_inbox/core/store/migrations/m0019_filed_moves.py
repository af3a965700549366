"""Schema 19: moves of filed conversations' emails to the Filed folder still to make.

The app files a conversation on its writer and moves its emails on the mail server
afterwards, on a network worker (a slow server must not hold up the next action). A
move that could not be made (the server away, a refused login) waits here and is made
at the next sync; the row goes once the emails are in the Filed folder.
"""

from clinic_inbox.core.store.migrations._script import run_script

VERSION = 19

SCHEMA = """
CREATE TABLE filed_moves (
    thread_id    INTEGER PRIMARY KEY REFERENCES threads(id),
    asked_at     TEXT NOT NULL,
    tries        INTEGER NOT NULL DEFAULT 0,
    last_problem TEXT
);
"""


def upgrade(store) -> None:  # noqa: ANN001
    run_script(store, SCHEMA)
