"""Schema 11: sign-in lockout and forced password change after an administrator's reset.

`sign_in_guard` counts failed sign-ins per typed name, known or not, so that a
locked account and an unknown name answer alike (names cannot be probed). The
staff columns say that an administrator reset the password, when and who: the
next sign-in must choose a new one and is told why.
"""

from clinic_inbox.core.store.migrations._script import run_script

VERSION = 11

SCHEMA = """
CREATE TABLE sign_in_guard (
    name           TEXT PRIMARY KEY,
    failures       INTEGER NOT NULL DEFAULT 0,
    last_failed_at TEXT,
    locked_until   TEXT
);
ALTER TABLE staff ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN password_reset_at TEXT;
ALTER TABLE staff ADD COLUMN password_reset_by INTEGER REFERENCES staff(id);
"""


def upgrade(store) -> None:  # noqa: ANN001
    run_script(store, SCHEMA)
