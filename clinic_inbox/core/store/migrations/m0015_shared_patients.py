"""Schema 15: patients and patient links shared with the clinic's server, and the
clinic-wide conversation number.

- `patients.uuid`: the patient's clinic-wide id, set when the patient is published to
  the server or pulled from it.
- `threads.shared_number`: the conversation's number on the server, the same on every
  workstation (the one staff read out on the phone).
- `threads.shared_patient`: the patient link (patient uuid, or '' for none) as the
  server last had it here; NULL before the first exchange. A local link that differs
  from it is a change to send.
- `messages.shared_seq`: where the message stands in the server's change log (which of
  two replies to one patient reached the server first).
- `shared_link_ops`: a patient-link change waiting for the server, at most one per
  conversation, with its operation id kept so a retry after a crash is the same one.
"""

from clinic_inbox.core.store.migrations._script import run_script

VERSION = 15

SCHEMA = """
ALTER TABLE patients ADD COLUMN uuid TEXT;
CREATE UNIQUE INDEX patients_uuid ON patients (uuid) WHERE uuid IS NOT NULL;
ALTER TABLE threads ADD COLUMN shared_number INTEGER;
CREATE UNIQUE INDEX threads_shared_number ON threads (shared_number)
    WHERE shared_number IS NOT NULL;
ALTER TABLE threads ADD COLUMN shared_patient TEXT;
ALTER TABLE messages ADD COLUMN shared_seq INTEGER;

CREATE TABLE shared_link_ops (
    thread_id  INTEGER PRIMARY KEY REFERENCES threads(id),
    op_id      TEXT NOT NULL UNIQUE,
    base_v     INTEGER NOT NULL,
    value      TEXT NOT NULL,
    actor_id   INTEGER REFERENCES staff(id),
    created_at TEXT NOT NULL
);
"""


def upgrade(store) -> None:  # noqa: ANN001
    run_script(store, SCHEMA)
