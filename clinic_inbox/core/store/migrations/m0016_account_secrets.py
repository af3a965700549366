"""Schema 16: mail and portal passwords sealed inside the store (issue 16).

Until now an account's password or token lived in the OS keyring, where any process
of the desktop user could read it without a prompt. From this step it is a row here,
encrypted a second time (AES-GCM, core.account_secrets) under a key derived from the
store's audit key, so it exists only while a staff member has unlocked the store.

The entries an older version left in the keyring are moved in at the next open that
can reach the keyring (core.account_secrets.move_from_keyring), not here: a migration
has neither the keyring nor the keys.
"""

from clinic_inbox.core.store.migrations._script import run_script

VERSION = 16

SCHEMA = """
CREATE TABLE account_secrets (
    account_name TEXT PRIMARY KEY,
    sealed       BLOB NOT NULL,
    updated_at   TEXT NOT NULL,
    moved_from_keyring_at TEXT
);
"""


def upgrade(store) -> None:  # noqa: ANN001
    run_script(store, SCHEMA)
