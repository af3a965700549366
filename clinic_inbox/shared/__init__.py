"""The clinic's shared queue on a PostgreSQL server (no Qt here).

- `schema`: the server's tables and its one apply function, versioned.
- `seal`: patient data sealed (AES-256-GCM) and identities keyed (HMAC) on the
  workstation, before anything reaches the server; MACs over plain workflow values.
- `clinic_keys`: the clinic's keys and the server's address, sealed in this workstation's
  store (core.workstation_secrets), never in the keyring.
- `server`: `server init` and `server connect`, and the checks (this clinic's server,
  this schema version, these keys) made before anything local changes.
- `enrol`: a new workstation joins by a fingerprint an administrator approves.
- `publish`, `push`, `pull` (gathered in `sync`), `replica`: conversations to the
  server, queued changes to `apply_op`, the others' changes back by cursor.
- `live`: LISTEN to wake, pull by cursor, push on demand, presence (a background thread).
- `presence`, `conflicts`: who has a conversation open; changes someone else beat.
- `cli_server`: the `clinic-inbox server …` commands.
"""


class SharedQueueError(Exception):
    """A shared-server problem in words for the person at the desk; nothing local changed."""


class ServerUnreachable(SharedQueueError):
    """The server did not answer (down, cut off, too slow): this computer goes on with
    what it holds, and says that it does."""


def _contact_before_refusing(clinic) -> bool:  # noqa: ANN001 - core.home.Clinic
    """A sign-in on a workstation out of touch too long: one pull from the server first
    (core.offline_signin has no network of its own)."""
    from clinic_inbox.shared.staff_sync import contact_now

    return contact_now(clinic)


def _register() -> None:
    from clinic_inbox.core import offline_signin

    offline_signin.on_capped(_contact_before_refusing)


_register()
