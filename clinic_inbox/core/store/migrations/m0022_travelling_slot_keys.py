"""Schema 22: a new password's slot key, waiting beside its staff operation.

`shared_access_slot_keys`: when a person is added or given a new password on a
workstation joined to a clinic server, the key their password makes for a key slot
(core.keyslots.TravellingKey) is kept here, inside the encrypted store, until the
operation reaches the server sealed with the clinic keys; it goes with the operation.

Also the server versions of two things that became shared changes of their own: a
staff member's display name (`shared_staff.name_v`) and a delegation's terms
(`shared_delegations.terms_v`), the bases of their compare-and-set.
"""

from clinic_inbox.core.store.migrations._script import run_script

VERSION = 22

SCHEMA = """
CREATE TABLE shared_access_slot_keys (
    op_id TEXT PRIMARY KEY,
    wire  TEXT NOT NULL
);
ALTER TABLE shared_staff ADD COLUMN name_v INTEGER NOT NULL DEFAULT 0;
ALTER TABLE shared_delegations ADD COLUMN terms_v INTEGER NOT NULL DEFAULT 0;
"""


def upgrade(store) -> None:  # noqa: ANN001
    run_script(store, SCHEMA)
