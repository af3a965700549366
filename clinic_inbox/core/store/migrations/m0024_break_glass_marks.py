"""Schema 24: break-glass openings marked reviewed, on any workstation of the clinic.

An opening is numbered by the workstation it was made on (`break_glass.id` there). With
a shared server, marking one reviewed (on this computer or another) is recorded here as
a mark naming that workstation and number, written in the same transaction as the
action's audit entry: it waits here (`on_server` 0) until the server has it, and the
marks made on the other workstations arrive here by the shared queue's pull. A
workstation that works alone keeps using `break_glass.reviewed_by/_at`.
"""

from clinic_inbox.core.store.migrations._script import run_script

VERSION = 24

SCHEMA = """
CREATE TABLE break_glass_marks (
    id            TEXT PRIMARY KEY,        -- the mark's clinic-wide id (a UUID)
    opening_ws    TEXT NOT NULL,           -- the workstation the opening was made on
    opening_id    INTEGER NOT NULL,        -- its number there
    reviewer      TEXT NOT NULL,           -- user name
    reviewer_name TEXT NOT NULL,           -- full name when marked
    reviewed_at   TEXT NOT NULL,           -- UTC, ISO
    ws            TEXT NOT NULL,           -- the workstation it was marked on
    ws_name       TEXT,                    -- its name on the server, once known here
    on_server     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX break_glass_marks_opening ON break_glass_marks (opening_ws, opening_id, reviewed_at);
CREATE INDEX break_glass_marks_waiting ON break_glass_marks (on_server);
"""


def upgrade(store) -> None:  # noqa: ANN001
    run_script(store, SCHEMA)
