"""A receipt is claimed in the claiming workstation's own name (server schema 14).

The server works out the workstation from the login (own_name_schema.caller_workstation)
instead of taking the name its caller gives. On a real PostgreSQL, with the clinic's
mailbox on a real Dovecot and its SMTP server (aiosmtpd):

- the front desk prepared the server (it keeps the owner login), Office 2 was enrolled
  by approval (a login of its own), the nurse room joined with the clinic code under a
  login an administrator made for it;
- each login trying to claim in another workstation's name is refused and nothing is
  recorded; claiming in its own name is recorded under its own workstation;
- a claimer whose login does not belong to its workstation says so in plain words, and
  its receipt waits;
- the honest path: the front desk and Office 2 fetch the same new mail, the SMTP server
  receives exactly one receipt per new conversation and one safety reply;
- a server left at schema 13 takes a claim in another's name (the gap), the app tells
  the administrator to upgrade, and after `server upgrade` the same claim is refused.
"""

from __future__ import annotations

import uuid

import psycopg
import pytest
from test_auto_reply_once import MAILBOX, PASSWORD, _add_mailbox, _mail, dovecot, smtp_server  # noqa: F401
from workstations import login, new_workstation

from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.send_claims import Verdict
from clinic_inbox.shared import SharedQueueError, clinic_keys, enrol
from clinic_inbox.shared import server as srv
from clinic_inbox.shared.live import LiveSync
from clinic_inbox.shared.reply_claims import ServerClaims
from clinic_inbox.shared.schema import DDL_2, SCHEMA_VERSION, workstation_role
from clinic_inbox.sources import sync

NURSE_PW = "nurse-room-login-pw"


class Clinic3:
    """Front desk (owner login), Office 2 (enrolled: its own login), Nurse room (clinic
    code, a login of its own made by an administrator)."""

    def __init__(self, tmp_path, keyring_factory, dsn, postgres):  # noqa: ANN001
        rings = {n: keyring_factory() for n in ("front", "office", "nurse")}
        self.ws = {n: new_workstation(tmp_path / n, r.backend()) for n, r in rings.items()}
        self.custody = {
            n: KeyCustody(w.home, backend=rings[n].backend()) for n, w in self.ws.items()
        }
        front, office, nurse = self.ws["front"], self.ws["office"], self.ws["nurse"]
        init = srv.init_server(front, login(front, "admin"), dsn, self.custody["front"])
        self.clinic_id = init.clinic_id
        self.code = init.clinic_code
        lf = srv.open_link(front, self.custody["front"])
        asked = enrol.request(
            office, login(office, "admin"), dsn, "Office 2", self.custody["office"]
        )
        enrol.approve(front, login(front, "admin"), lf, asked.fingerprint)
        enrol.finish(office, login(office, "admin"), self.custody["office"])
        lf.conn.close()
        dbname = psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]
        # roles belong to the whole cluster: a name of its own for each test
        self.nurse_login = f"nurse_room_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                f"CREATE ROLE {self.nurse_login} LOGIN PASSWORD '{NURSE_PW}' "
                f"IN ROLE {workstation_role(init.clinic_id)}"
            )
        self.nurse_dsn = postgres.dsn(dbname, user=self.nurse_login, password=NURSE_PW)
        srv.connect_workstation(
            nurse, login(nurse, "admin"), self.nurse_dsn, init.clinic_code, self.custody["nurse"]
        )
        self.dsn = {n: clinic_keys.load(w).dsn for n, w in self.ws.items()}
        self.id = {n: _ws_id(w) for n, w in self.ws.items()}
        self.keys = clinic_keys.load(front).keys

    def close(self) -> None:
        for w in self.ws.values():
            w.close()


def _ws_id(clinic) -> str:  # noqa: ANN001
    from clinic_inbox.core.store import shared_queries as shq

    return shq.workstation_id(clinic.store)


@pytest.fixture()
def clinic3(tmp_path, keyring_factory, empty_db, postgres):
    c = Clinic3(tmp_path, keyring_factory, empty_db, postgres)
    yield c
    c.close()


def _claim(dsn: str, key: str, ws: str) -> bool:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute("SELECT claim_auto_reply(%s, %s)", (key, ws)).fetchone()[0]


def _claims(dsn: str) -> dict[str, str]:
    with psycopg.connect(dsn) as conn:
        return dict(conn.execute("SELECT key, ws::text FROM auto_reply_claim").fetchall())


def test_each_login_claims_in_its_own_workstations_name_only(clinic3, empty_db):
    c = clinic3
    assert c.dsn["office"] != empty_db and "user=ci_ws_" in c.dsn["office"]
    assert f"user={c.nurse_login}" in c.dsn["nurse"]
    ghost = str(uuid.uuid4())
    for who in ("front", "office", "nurse"):
        for other in [*(o for o in c.id if o != who), "ghost"]:
            named = ghost if other == "ghost" else c.id[other]
            with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
                _claim(c.dsn[who], f"k-{who}-as-{other}", named)
            assert "may not act as workstation" in str(refused.value) or "is the login of" in str(
                refused.value
            )
    assert _claims(empty_db) == {}  # nothing recorded by any refused claim
    # in its own name: taken, under its own workstation; asked again, still its own
    for who in ("front", "office", "nurse"):
        assert _claim(c.dsn[who], f"k-{who}", c.id[who]) is True
        assert _claim(c.dsn[who], f"k-{who}", c.id[who]) is True
    assert _claims(empty_db) == {f"k-{who}": c.id[who] for who in c.id}
    # another's claim is not theirs: False (theirs to send), never taken over
    assert _claim(c.dsn["office"], "k-front", c.id["office"]) is False
    assert _claims(empty_db)["k-front"] == c.id["front"]


def test_a_claimer_whose_login_is_anothers_says_so_and_its_receipt_waits(clinic3):
    c = clinic3
    # Office 2's login, claiming as the front desk (an insider's copy of its settings)
    claims = ServerClaims(c.dsn["office"], c.keys, c.id["front"], once=True)
    try:
        assert claims.claim("<q1@patients.example>", "ack") is Verdict.UNKNOWN
    finally:
        claims.close()
    assert "refused this computer's claim" in (claims.problem or ""), claims.problem
    assert "does not belong to this workstation" in claims.problem
    assert "ci_ws_" not in claims.problem and "password" not in claims.problem
    assert _claims(c.dsn["front"]) == {}


def test_the_honest_path_sends_one_receipt_per_conversation(
    clinic3,
    empty_db,
    dovecot,  # noqa: F811
    smtp_server,  # noqa: F811
):
    c = clinic3
    dovecot.add_user(MAILBOX, PASSWORD)
    front, office = c.ws["front"], c.ws["office"]
    for w in (front, office):
        _add_mailbox(w, dovecot, smtp_server)
    dovecot.append_many(
        MAILBOX,
        [
            _mail(1, "Could I renew my ramipril prescription please?"),
            _mail(2, "Can I move my appointment on Monday to the afternoon?"),
            _mail(3, "I have crushing chest pain and I cannot breathe"),
        ],
    )
    lives = [
        LiveSync(w, custody=c.custody[n], app=f"ws-{n}").start()
        for n, w in (("front", front), ("office", office))
    ]
    try:
        first = sync.run_once(office)  # Office 2, with its own login, fetches first
        second = sync.run_once(front)
    finally:
        for live in lives:
            live.stop()
    assert (first.outbox.sent, first.outbox.elsewhere) == (3, 0), first.outbox
    assert (second.outbox.sent, second.outbox.elsewhere) == (0, 3), second.outbox
    sent = smtp_server.messages()
    receipts = [m for m in sent if m["Subject"].startswith("Your message to")]
    safety = [m for m in sent if m["Subject"].startswith("Important")]
    assert (len(sent), len(receipts), len(safety)) == (3, 2, 1), [m["Subject"] for m in sent]
    # recorded in the name of the workstation whose login claimed
    assert set(_claims(empty_db).values()) == {c.id["office"]}
    assert len(_claims(empty_db)) == 3


def _as_schema_13(dsn: str, role: str) -> None:
    """The server as step 13 left it: step 2's claim function, no caller check. `role`:
    this clinic's workstation role (another test's clinic may share the cluster)."""
    made = DDL_2[DDL_2.index("CREATE FUNCTION claim_auto_reply") :]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "DROP FUNCTION claim_auto_reply(text, uuid); "
            "DROP FUNCTION caller_workstation(uuid); "
            + made.replace("@SCHEMA@", "public")
            + "UPDATE server_info SET schema_version = 13"
        )
        conn.execute(f"GRANT EXECUTE ON FUNCTION claim_auto_reply(text, uuid) TO {role}")


def test_a_schema_13_server_is_told_to_upgrade_and_then_refuses(clinic3, empty_db):
    c = clinic3
    front = c.ws["front"]
    _as_schema_13(empty_db, workstation_role(c.clinic_id))
    assert _claim(c.dsn["office"], "k-gap", c.id["front"]) is True  # the gap: taken
    assert _claims(empty_db) == {"k-gap": c.id["front"]}
    with pytest.raises(SharedQueueError) as old:
        srv.open_link(front, c.custody["front"])
    assert "older schema (13)" in str(old.value) and "server upgrade" in str(old.value)
    assert srv.upgrade_server(front, login(front, "admin"), empty_db) == (13, SCHEMA_VERSION)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _claim(c.dsn["office"], "k-after", c.id["front"])
    assert _claim(c.dsn["office"], "k-after", c.id["office"]) is True
    # a newer server, to the app of this step: update the app first
    with psycopg.connect(empty_db, autocommit=True) as conn:
        conn.execute("UPDATE server_info SET schema_version = %s", (SCHEMA_VERSION + 1,))
    with pytest.raises(SharedQueueError, match="set up by a newer Clinic Inbox"):
        srv.open_link(front, c.custody["front"])
