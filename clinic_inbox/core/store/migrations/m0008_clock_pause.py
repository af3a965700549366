"""Schema 8: the response clock pauses while the clinic waits on the patient, and the
board finds the latest finished conversations without sorting them all.

`clock_paused_remaining` holds the working seconds that were left (negative when
already overdue) at the moment the conversation went to "waiting on patient".
"""

from clinic_inbox.core.store.migrations._script import run_script

VERSION = 8

SCHEMA = """
ALTER TABLE threads ADD COLUMN clock_paused_remaining REAL;
CREATE INDEX threads_recent ON threads (status, last_message_at);
"""


def upgrade(store) -> None:  # noqa: ANN001
    run_script(store, SCHEMA)
