"""Schema 8: the response clock pauses while the clinic waits on the patient, and the
board finds the latest finished conversations without sorting them all; "was this
conversation acknowledged today?" no longer reads the whole outbox (it did, for
every message of an initial sync), nor does threading a message from an unknown
address read every unmatched conversation.

`clock_paused_remaining` holds the working seconds that were left (negative when
already overdue) at the moment the conversation went to "waiting on patient".
"""

from clinic_inbox.core.store.migrations._script import run_script

VERSION = 8

SCHEMA = """
ALTER TABLE threads ADD COLUMN clock_paused_remaining REAL;
CREATE INDEX threads_recent ON threads (status, last_message_at);
CREATE INDEX outbox_thread ON outbox (thread_id, purpose, created_at);
CREATE INDEX messages_sender ON messages (sender, thread_id);
"""


def upgrade(store) -> None:  # noqa: ANN001
    run_script(store, SCHEMA)
