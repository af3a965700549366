"""Schema 17: two records an administrator has looked at and found to be two people
(Settings > Duplicate patients, "Not the same person"), so they are no longer listed
as a possible duplicate. Either record's deletion (a merge) takes the row with it.
"""

from clinic_inbox.core.store.migrations._script import run_script

VERSION = 17

SCHEMA = """
CREATE TABLE distinct_patients (
    low_id     INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
    high_id    INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
    decided_by INTEGER REFERENCES staff(id),
    decided_at TEXT NOT NULL,
    PRIMARY KEY (low_id, high_id),
    CHECK (low_id < high_id)
);
"""


def upgrade(store) -> None:  # noqa: ANN001
    run_script(store, SCHEMA)
