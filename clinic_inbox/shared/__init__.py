"""The clinic's shared queue on a PostgreSQL server (no Qt here).

- `schema`: the server's tables and its one apply function, versioned.
- `seal`: patient data sealed (AES-256-GCM) and identities keyed (HMAC) on the
  workstation, before anything reaches the server.
- `clinic_keys`: the clinic's keys, kept in this workstation's keyring.
- `server`: `server init` and `server connect`: the checks that a server is this
  clinic's, at this schema version, before anything local changes.
- `sync`: push pending operations, pull the change log by cursor.
- `live`: LISTEN to wake, pull by cursor, push on demand (a background thread).
"""


class SharedQueueError(Exception):
    """A shared-server problem in words for the person at the desk; nothing local changed."""
