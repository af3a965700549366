"""Schema 5: what the portal sender said (priority and category), kept beside triage's view."""

from clinic_inbox.core.store.migrations._script import run_script

VERSION = 5

SCHEMA = """
ALTER TABLE messages ADD COLUMN sender_priority TEXT;
ALTER TABLE messages ADD COLUMN sender_category TEXT;
CREATE INDEX messages_fhir ON messages (account_id, fhir_resource_id);
"""


def upgrade(store) -> None:  # noqa: ANN001
    run_script(store, SCHEMA)
