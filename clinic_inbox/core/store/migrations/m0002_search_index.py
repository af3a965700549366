"""Schema 2: a full-text index over subject, body and patient name.

Contentless (the text already lives in `messages`), keyed by message id, with
contentless delete so a re-parsed or re-linked message can be re-indexed.
"""

from clinic_inbox.core.store.migrations._script import run_script

VERSION = 2

SCHEMA = """
CREATE VIRTUAL TABLE message_search USING fts5 (
    subject, body, patient_name,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO message_search (rowid, subject, body, patient_name)
SELECT m.id, m.subject, m.body_text, coalesce(p.given_name || ' ' || p.family_name, '')
FROM messages m LEFT JOIN patients p ON p.id = m.patient_id;
"""


def upgrade(store) -> None:  # noqa: ANN001
    run_script(store, SCHEMA)
