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

-- The board shows each conversation's latest words from the patient. Reading them
-- from the messages meant reading every open conversation's message bodies at start
-- (0.2 s of 1.5 s at 100,000 messages); the thread keeps its own copy, kept right by
-- triggers whatever path writes a message.
ALTER TABLE threads ADD COLUMN snippet TEXT;
ALTER TABLE threads ADD COLUMN snippet_at TEXT;
UPDATE threads SET (snippet, snippet_at) = (
    SELECT substr(m.body_text, 1, 240), m.received_at FROM messages m
    WHERE m.thread_id = threads.id AND m.direction = 'in'
    ORDER BY m.received_at DESC, m.id DESC LIMIT 1);
CREATE TRIGGER messages_snippet_insert AFTER INSERT ON messages WHEN NEW.direction = 'in'
BEGIN
    UPDATE threads SET snippet = substr(NEW.body_text, 1, 240), snippet_at = NEW.received_at
    WHERE id = NEW.thread_id AND (snippet_at IS NULL OR snippet_at <= NEW.received_at);
END;
CREATE TRIGGER messages_snippet_update AFTER UPDATE OF body_text, received_at, thread_id,
    direction ON messages
BEGIN
    UPDATE threads SET (snippet, snippet_at) = (
        SELECT substr(m.body_text, 1, 240), m.received_at FROM messages m
        WHERE m.thread_id = threads.id AND m.direction = 'in'
        ORDER BY m.received_at DESC, m.id DESC LIMIT 1)
    WHERE id IN (NEW.thread_id, OLD.thread_id);
END;
"""


def upgrade(store) -> None:  # noqa: ANN001
    run_script(store, SCHEMA)
