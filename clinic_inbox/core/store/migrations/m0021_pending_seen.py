"""Schema 21: how many of the patient's messages the author of a queued status change
had in the conversation when they made it (`pending_ops.seen`). The server compares it
with the patient messages it holds: a Done or Waiting made before the patient's newer
words reached its author does not close over them (shared.reopen_schema). NULL for
changes queued before this schema (the server then takes what it holds as seen)."""

from clinic_inbox.core.store.migrations._script import run_script

VERSION = 21

SCHEMA = """
ALTER TABLE pending_ops ADD COLUMN seen INTEGER;
"""


def upgrade(store) -> None:  # noqa: ANN001
    run_script(store, SCHEMA)
