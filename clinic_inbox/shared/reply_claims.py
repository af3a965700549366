"""The server side of `core.send_claims`: a unique claim per automatic reply.

The claim's key is a keyed HMAC of the incoming message's Message-ID and the reply's
purpose, the same on every workstation and meaningless to the server. Asked from the
mail sync's thread, so it has a connection of its own (opened when first needed,
dropped after an error and opened again next time).

The live sync registers one for as long as it runs. A sync pass run where no claimer
is registered (a one-off `clinic-inbox sync --once`, the app's sync process) opens one
for the pass (`pass_claims`): it claims the same rows, and gives up for the rest of
the pass at the first failure (the receipts wait, due again at the next pass).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg

from clinic_inbox.core import send_claims
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.send_claims import Verdict
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import (
    ServerUnreachable,
    SharedQueueError,
    clinic_keys,
    key_rotation,
    refusals,
)
from clinic_inbox.shared.audit_sign import signing_key
from clinic_inbox.shared.seal import ClinicKeys, identity
from clinic_inbox.shared.server import APP_NAME, connect, server_label

# After a failure the server is asked again only after this long (a live sync's claimer;
# one for a pass asks once): a server that does not answer is not asked for every
# receipt that waits, each time for the connection's whole timeout.
RETRY_SECONDS = send_claims.CLAIM_RETRY_SECONDS

log = logging.getLogger(__name__)


def claim_key(keys: ClinicKeys, incoming_id: str, purpose: str) -> str:
    return identity(keys, "auto-reply", f"{purpose}|{incoming_id.strip()}")


class ServerClaims:
    def __init__(
        self,
        dsn: str,
        keys: ClinicKeys,
        workstation_id: str,
        app: str = APP_NAME,
        *,
        once: bool = False,
        register: Callable[[psycopg.Connection], None] | None = None,
    ):
        self._dsn, self._keys, self._ws, self._app = dsn, keys, workstation_id, app
        # registers this workstation's receiving key (see register_own_key): asked once,
        # when the server refuses a claim because the login speaks for no workstation yet
        self._register = register
        self._conn: psycopg.Connection | None = None
        self._lock = threading.Lock()
        self._once = once  # one pass: after a failure, not asked again
        self.problem: str | None = None  # why the server could not be asked, in words
        self._failed_at: float | None = None

    def claim(self, incoming_id: str, purpose: str) -> Verdict:
        key = claim_key(self._keys, incoming_id, purpose)
        with self._lock:
            if self._failed_at is not None and (
                self._once or time.monotonic() - self._failed_at < RETRY_SECONDS
            ):
                return Verdict.UNKNOWN  # not asked again for every receipt that waits
            try:
                mine = self._claim_on_a_live_connection(key)
            except ServerUnreachable:
                self.problem = f"the server {server_label(self._dsn)} could not be reached."
                self._failed()
                return Verdict.UNKNOWN
            except SharedQueueError as exc:  # a refusal: its own words say what to do
                self.problem = str(exc)
                self._failed()
                return Verdict.UNKNOWN
            except psycopg.errors.InsufficientPrivilege:
                # since schema 14 the server takes a claim only in the name of the
                # workstation its login belongs to (own_name_schema)
                self.problem = (
                    f"the server {server_label(self._dsn)} refused this computer's claim: "
                    "the login it connects with does not belong to this workstation there. "
                    "Tell your administrator (the workstation may need to be connected again)."
                )
                self._failed()
                return Verdict.UNKNOWN
            except psycopg.Error:
                self.problem = f"the server {server_label(self._dsn)} stopped answering."
                self._failed()
                return Verdict.UNKNOWN
            self.problem = self._failed_at = None
        return Verdict.SEND if mine else Verdict.ELSEWHERE

    def _claim_on_a_live_connection(self, key: str) -> bool:
        """Claims on the connection kept from before, or a new one. A kept connection the
        server dropped meanwhile (it restarted, the link was cut and came back) fails at
        its first use while the server answers again: that one claim is asked once more
        on a new connection. Else the workstation holding the ingest lease sent its
        safety replies unclaimed after every server restart, and another workstation that
        pulled the same message could claim it and send it too before the first one's
        copy was in the Sent folder (the mail fault harness: one reply sent by two)."""
        reused = self._conn is not None and not self._conn.closed
        if not reused:
            self._conn = connect(self._dsn, autocommit=True, app=self._app)
        try:
            return self._claim(key)
        except psycopg.OperationalError:
            if not reused or not self._conn.broken:
                raise
        self._drop()
        self._conn = connect(self._dsn, autocommit=True, app=self._app)
        return self._claim(key)

    def _claim(self, key: str) -> bool:
        assert self._conn is not None

        def ask() -> bool:
            return self._conn.execute(
                "SELECT claim_auto_reply(%s, %s)", (key, self._ws)
            ).fetchone()[0]

        try:
            return ask()
        except psycopg.errors.InsufficientPrivilege as exc:
            if self._register is None or not refusals.is_not_this_workstation(exc):
                raise
            # a workstation joined with the clinic code before schema 10 has no
            # receiving key on the server, and its login speaks for no workstation until
            # it registers one (schema 14, 16): registered once, then asked again
            register, self._register = self._register, None
            with self._conn.transaction():
                has_key = self._conn.execute(
                    "SELECT 1 FROM seal_key_holder WHERE holder = %s", (self._ws,)
                ).fetchone()
                if has_key is not None:
                    raise  # registered already: the login is another's
                register(self._conn)
            return ask()

    def server_back(self) -> None:
        """The live sync reached the server again: the next claim asks it at once. (No
        lock: a claim in progress may hold it for a connection's timeout, and the live
        sync must not wait on it; one assignment is atomic.)"""
        self._failed_at = None

    def _failed(self) -> None:
        self._failed_at = time.monotonic()
        self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except psycopg.Error:
                pass
            self._conn = None

    def close(self) -> None:
        self._drop()


@contextmanager
def pass_claims(clinic: Clinic, app: str = APP_NAME) -> Iterator[ServerClaims | None]:
    """A claimer for one sync pass on a joined workstation where nothing in this process
    claims yet (else None: the live sync's claims, or a workstation alone). It connects
    only when a receipt or safety reply is about to go."""
    store = clinic.store
    if not send_claims.needs_claimer(store):
        yield None
        return
    try:
        found = clinic_keys.load(clinic)
    except SharedQueueError:
        found = None
    ws = shq.workstation_id(store)
    if found is None or ws is None:
        yield None  # no keys to claim with: receipts wait for the server (core.send_claims)
        return
    claims = ServerClaims(
        found.dsn,
        found.keys,
        ws,
        app=app,
        once=True,
        register=register_own_key(clinic, found.keys, ws),
    )
    send_claims.register(store.path, claims)
    try:
        yield claims
    finally:
        send_claims.unregister(store.path, claims)
        claims.close()


def register_own_key(
    clinic: Clinic, keys: ClinicKeys, ws: str
) -> Callable[[psycopg.Connection], None] | None:
    """What registers this workstation's receiving key on a claimer's connection (the
    live sync does it at its first exchange, key_rotation.keep_current). `keys`, `ws`:
    the clinic's keys and this workstation's id, as the caller read them. Its own keys
    are read here, before a sync pass, not from the mail thread while it stores a batch."""
    try:
        private = key_rotation._own_private(clinic)  # made (and kept) now if it has none
        signer = signing_key(clinic)
    except SharedQueueError:
        return None
    except Exception as exc:  # noqa: BLE001 - run from LiveSync.start on the main thread
        # a local store or keyring fault must not stop the app starting: claims go on
        # without registering (the live sync registers at its first exchange, and a
        # pass's claimer asks again); only the fault's kind is logged, no contents
        log.warning("receiving key not read for claims: %s", type(exc).__name__)
        return None

    def register(conn: psycopg.Connection) -> None:
        key_rotation.register(conn, keys, ws, private, signer)

    return register
