"""Schema 23: conversations folded into another one.

The shared queue files each message where the server does (shared_queries.move_message).
A local conversation left with no message by such a move, which the server never had,
is folded into the conversation its messages went to (core.store.fold_queries): what
hung off it moves there and its row goes. Its audit entries stay as they were
(append-only): `folded_threads` says which conversation they are now read as, and keeps
its number from being given to a new conversation.
"""

from clinic_inbox.core.store.migrations._script import run_script

VERSION = 23

SCHEMA = """
CREATE TABLE folded_threads (
    thread_id INTEGER PRIMARY KEY,
    into_id   INTEGER NOT NULL,
    folded_at TEXT NOT NULL
);
CREATE INDEX folded_threads_into ON folded_threads (into_id);
"""


def upgrade(store) -> None:  # noqa: ANN001
    run_script(store, SCHEMA)
