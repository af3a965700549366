"""A claimer whose kept connection the server dropped (a restart, a cut link that came
back) claims at its first try once the server answers again.

Found by the mail fault harness: after every server restart the first claim of each
workstation failed on its dead connection, so the workstation holding the ingest lease
sent its safety replies unclaimed, and another workstation that pulled the same message
could claim and send it too. On a real PostgreSQL: the claimer's server process is ended
(what a restart does to every connection); the next claim is still decided by the server.
"""

from __future__ import annotations

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from test_claim_own_name import clinic3  # noqa: F401

from clinic_inbox.core.send_claims import Verdict
from clinic_inbox.shared.reply_claims import ServerClaims

APP = "ci-claims-stale-connection"


def _end_the_claimers_connections(admin_dsn: str) -> int:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (APP,),
        ).fetchall()
    return len(rows)


def test_a_dropped_connection_is_opened_again_for_the_same_claim(clinic3, empty_db):  # noqa: F811
    c = clinic3
    front = ServerClaims(c.dsn["front"], c.keys, c.id["front"], app=APP)
    office = ServerClaims(c.dsn["office"], c.keys, c.id["office"], app=APP)
    try:
        assert front.claim("<first@patients.example>", "safety") is Verdict.SEND
        assert office.claim("<second@patients.example>", "safety") is Verdict.SEND
        assert _end_the_claimers_connections(empty_db) == 2
        # the server answers again: each asks it, on a new connection, at the first try
        assert front.claim("<third@patients.example>", "safety") is Verdict.SEND
        assert office.claim("<third@patients.example>", "safety") is Verdict.ELSEWHERE
        assert front.problem is None and office.problem is None
        # and a claim already made stays its maker's
        assert office.claim("<first@patients.example>", "safety") is Verdict.ELSEWHERE
        assert front.claim("<first@patients.example>", "safety") is Verdict.SEND
    finally:
        front.close()
        office.close()


def test_a_connection_that_cannot_be_opened_again_is_said_once(clinic3, empty_db):  # noqa: F811
    c = clinic3
    claims = ServerClaims(c.dsn["office"], c.keys, c.id["office"], app=APP)
    user = conninfo_to_dict(c.dsn["office"])["user"]
    try:
        assert claims.claim("<one@patients.example>", "ack") is Verdict.SEND
        # its connection dropped, and its login may not connect any more: one try on a new
        # connection, then the receipt waits and the reason is given
        with psycopg.connect(empty_db, autocommit=True) as conn:
            conn.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(sql.Identifier(user)))
        assert _end_the_claimers_connections(empty_db) == 1
        assert claims.claim("<two@patients.example>", "ack") is Verdict.UNKNOWN
        assert claims.problem, "no reason given"
        assert "password" not in claims.problem
    finally:
        claims.close()
        with psycopg.connect(empty_db, autocommit=True) as conn:
            conn.execute(sql.SQL("ALTER ROLE {} LOGIN").format(sql.Identifier(user)))
