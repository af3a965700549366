"""Schema 20: staff accounts and delegations shared with the clinic's server.

- `shared_staff`: a staff member who is on the server (published from here, or learned
  from it), with the server versions of their role, on/off state and password (the
  bases of the next compare-and-set).
- `shared_delegations`: a delegation's clinic-wide id.
- `shared_access_ops`: staff and delegation changes made here, waiting for the server,
  queued in the action's own transaction (in order; the operation id kept, so a retry
  after a crash is the same operation).
- `shared_access_seen`: operations already applied here (those made here, and those
  pulled): a pull that meets one again leaves it.
- `shared_access_conflicts`: changes the server did not take, for their author to see.
"""

from clinic_inbox.core.store.migrations._script import run_script

VERSION = 20

SCHEMA = """
CREATE TABLE shared_staff (
    staff_id INTEGER PRIMARY KEY REFERENCES staff(id),
    role_v   INTEGER NOT NULL DEFAULT 0,
    active_v INTEGER NOT NULL DEFAULT 0,
    secret_v INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE shared_delegations (
    delegation_id INTEGER PRIMARY KEY REFERENCES delegations(id),
    uuid          TEXT NOT NULL UNIQUE
);

CREATE TABLE shared_access_ops (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id         TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL,
    staff_id      INTEGER REFERENCES staff(id),
    delegation_id INTEGER REFERENCES delegations(id),
    role          TEXT,
    base_v        INTEGER NOT NULL DEFAULT 0,
    actor_id      INTEGER REFERENCES staff(id),
    created_at    TEXT NOT NULL
);

CREATE TABLE shared_access_seen (
    op_id TEXT PRIMARY KEY
);

CREATE TABLE shared_access_conflicts (
    id         INTEGER PRIMARY KEY,
    op_id      TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    staff_id   INTEGER REFERENCES staff(id),
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
