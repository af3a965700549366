"""The server side of `core.send_claims`: a unique claim per automatic reply.

The claim's key is a keyed HMAC of the incoming message's Message-ID and the reply's
purpose, the same on every workstation and meaningless to the server. Asked from the
mail sync's thread, so it has a connection of its own (opened when first needed,
dropped after an error and opened again next time).
"""

from __future__ import annotations

import threading

import psycopg

from clinic_inbox.core.send_claims import Verdict
from clinic_inbox.shared import SharedQueueError
from clinic_inbox.shared.seal import ClinicKeys, identity
from clinic_inbox.shared.server import APP_NAME, connect


def claim_key(keys: ClinicKeys, incoming_id: str, purpose: str) -> str:
    return identity(keys, "auto-reply", f"{purpose}|{incoming_id.strip()}")


class ServerClaims:
    def __init__(self, dsn: str, keys: ClinicKeys, workstation_id: str, app: str = APP_NAME):
        self._dsn, self._keys, self._ws, self._app = dsn, keys, workstation_id, app
        self._conn: psycopg.Connection | None = None
        self._lock = threading.Lock()

    def claim(self, incoming_id: str, purpose: str) -> Verdict:
        key = claim_key(self._keys, incoming_id, purpose)
        with self._lock:
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = connect(self._dsn, autocommit=True, app=self._app)
                mine = self._conn.execute(
                    "SELECT claim_auto_reply(%s, %s)", (key, self._ws)
                ).fetchone()[0]
            except (psycopg.Error, SharedQueueError):
                self.close()
                return Verdict.UNKNOWN
        return Verdict.SEND if mine else Verdict.ELSEWHERE

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except psycopg.Error:
                pass
            self._conn = None
