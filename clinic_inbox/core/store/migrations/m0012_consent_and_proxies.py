"""Schema 12: the patient's agreement to electronic communication, and proxies.

`consents` keeps every agreement a patient gave (a new one does not overwrite the
old: the record of what was agreed, when, to which terms, stays). An agreement
ends when the patient opts out or the clinic ends it (with the reason); the
newest row is the patient's present state.

`proxies` are the people a patient (or the law, for a child) authorised to write
for them: who, their address, the scope, the dates and the evidence on record.
A proxy's address is never one of the patient's own addresses.
"""

from clinic_inbox.core.store.migrations._script import run_script

VERSION = 12

SCHEMA = """
CREATE TABLE consents (
    id            INTEGER PRIMARY KEY,
    patient_id    INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
    channels      TEXT NOT NULL,
    terms_version TEXT NOT NULL,
    agreed_on     TEXT NOT NULL,
    how           TEXT NOT NULL,
    recorded_by   INTEGER REFERENCES staff(id),
    recorded_at   TEXT NOT NULL,
    ended_on      TEXT,
    ended_how     TEXT,
    end_reason    TEXT,
    ended_by      INTEGER REFERENCES staff(id)
);
CREATE INDEX consents_patient ON consents (patient_id, id);

CREATE TABLE proxies (
    id            INTEGER PRIMARY KEY,
    patient_id    INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    relationship  TEXT NOT NULL,
    address       TEXT NOT NULL COLLATE NOCASE,
    scope         TEXT NOT NULL,
    starts_on     TEXT NOT NULL,
    ends_on       TEXT,
    evidence      TEXT NOT NULL,
    recorded_by   INTEGER REFERENCES staff(id),
    recorded_at   TEXT NOT NULL,
    revoked_at    TEXT,
    revoked_by    INTEGER REFERENCES staff(id)
);
CREATE INDEX proxies_patient ON proxies (patient_id);
CREATE INDEX proxies_address ON proxies (address);
"""


def upgrade(store) -> None:  # noqa: ANN001
    run_script(store, SCHEMA)
