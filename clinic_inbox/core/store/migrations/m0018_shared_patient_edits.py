"""Schema 18: edits of a patient's record shared with the clinic's server, field by field.

- `shared_patient_fields`: each shared field of a patient (family name, given name,
  birth date, chart number, physician, addresses) as the server last had it here, with
  its server version (the base of the next compare-and-set). A local value that differs
  from it is an edit to send.
- `shared_patient_ops`: an edit waiting for the server, at most one per field, its
  operation id kept so a retry after a crash is the same operation.
- `shared_patient_conflicts`: edits the server refused because another workstation's
  reached it first, for the person who made them to see.
"""

from clinic_inbox.core.store.migrations._script import run_script

VERSION = 18

SCHEMA = """
CREATE TABLE shared_patient_fields (
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    field      TEXT NOT NULL,
    v          INTEGER NOT NULL,
    seen       TEXT NOT NULL,
    PRIMARY KEY (patient_id, field)
);

CREATE TABLE shared_patient_ops (
    op_id      TEXT PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    field      TEXT NOT NULL,
    base_v     INTEGER NOT NULL,
    value      TEXT NOT NULL,
    actor_id   INTEGER REFERENCES staff(id),
    created_at TEXT NOT NULL,
    UNIQUE (patient_id, field)
);

CREATE TABLE shared_patient_conflicts (
    id         INTEGER PRIMARY KEY,
    op_id      TEXT NOT NULL UNIQUE,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    field      TEXT NOT NULL,
    mine       TEXT NOT NULL,
    theirs     TEXT NOT NULL,
    their_by   TEXT,
    their_at   TEXT,
    actor_id   INTEGER REFERENCES staff(id),
    created_at TEXT NOT NULL,
    seen       INTEGER NOT NULL DEFAULT 0
);
"""


def upgrade(store) -> None:  # noqa: ANN001
    run_script(store, SCHEMA)
