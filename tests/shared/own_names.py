"""Made-up workstations for tests that call the server's functions directly.

Since server schema 16 (own_name_all_schema) every function that takes a workstation
works it out from the login (caller_workstation) and refuses another's name. A login
that no enrolled workstation has speaks for the workstations whose receiving key it
registered, as the owner login does for the first workstation: so a test that plays
several workstations through the owner login registers a key for each first.
"""

from __future__ import annotations

import hashlib

import psycopg


def speak_for(conn: psycopg.Connection, *workstations: str) -> None:
    """This connection's login now speaks for these workstations (a key registered for
    each; the same key again is a no-op)."""
    for ws in workstations:
        conn.execute(
            "SELECT register_seal_holder(%s, %s, 'test')",
            (ws, hashlib.sha256(ws.encode()).digest()),
        )
