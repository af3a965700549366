"""`clinic-inbox sync --once` on a joined workstation claims its receipts on the server.

Without the app or `server sync --follow` running, a one-off sync used to keep every
receipt waiting (nothing in its process could claim it). Now the pass claims on the
server itself, the same rows the live sync claims, and the receipts go once per
clinic. Real processes on two workstations of one clinic, a real PostgreSQL, Dovecot
and SMTP server (aiosmtpd):

- each workstation syncing once on the same new mail, one after the other and both at
  once: exactly one receipt per new conversation (and one safety reply per urgent
  message) reaches the SMTP server;
- the server out of reach (the front desk's link cut): the receipt waits, the safety
  reply goes, the command says so and ends with 75; the receipt goes once at the next
  sync that reaches the server;
- a claim that no workstation keeps (a row forged on the server, or replayed, naming a
  workstation that never sends) does not silence a receipt: the copy is looked for in
  the Sent folder, and after a while this workstation sends its own;
- the app's sync process (a process of its own, with no live sync in it) claims too.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import psycopg
import pytest
from support.link_cutter import LinkCutter
from test_auto_reply_once import MAILBOX, _add_mailbox, _mail, dovecot, smtp_server  # noqa: F401
from workstations import cli_env, login, new_workstation, reopen, staff_cli

from clinic_inbox.core import lease_clock, send_claims
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.shared import clinic_keys
from clinic_inbox.shared import server as srv
from clinic_inbox.shared.reply_claims import claim_key
from clinic_inbox.sources import sync
from clinic_inbox.sources.outbox import UNPROVEN_CLAIM_WAIT

ROUTINE = [
    "Could I renew my ramipril prescription please?",
    "Can I move my appointment on Monday to the afternoon?",
]
URGENT = "I have crushing chest pain and I cannot breathe"


class Pair:
    """Front desk and Office 2 of one clinic, both with the clinic's mailbox; the front
    desk reaches the server through a relay the test can cut. Closed after set-up: the
    commands open them as processes of their own."""

    def __init__(self, tmp_path, keyring, dsn, relay, port, mail, smtp):  # noqa: ANN001
        self.keyring, self.dsn = keyring, dsn
        self.homes = {"front": tmp_path / "front-desk", "office": tmp_path / "office-2"}
        ws = {n: new_workstation(h, keyring.backend()) for n, h in self.homes.items()}
        custody = {n: KeyCustody(h, backend=keyring.backend()) for n, h in self.homes.items()}
        via_relay = dsn.replace(f"port={port}", f"port={relay.port}")
        init = srv.init_server(
            ws["front"], login(ws["front"], "admin"), via_relay, custody["front"]
        )
        srv.connect_workstation(
            ws["office"], login(ws["office"], "admin"), dsn, init.clinic_code, custody["office"]
        )
        self.keys = clinic_keys.load(ws["front"]).keys
        for w in ws.values():
            _add_mailbox(w, mail, smtp)
            w.close()

    def sync(self, n: str) -> subprocess.CompletedProcess:
        return staff_cli(self.homes[n], self.keyring, "admin", "sync", "--once")

    def start_sync(self, n: str) -> subprocess.Popen:
        """`sync --once` started, not waited for (two workstations at once)."""
        return subprocess.Popen(
            [sys.executable, "-m", "clinic_inbox", "--user", "admin", "sync", "--once"],
            env=cli_env(self.homes[n], self.keyring, "admin"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def outbox(self, n: str) -> dict[str, int]:
        clinic = reopen(self.homes[n], self.keyring.backend())
        try:
            return oq.counts(clinic.store)
        finally:
            clinic.close()


@pytest.fixture()
def pair(tmp_path, secret_service, empty_db, postgres, dovecot, smtp_server):  # noqa: F811
    dovecot.add_user(MAILBOX, "mailbox-password")
    relay = LinkCutter(postgres.host, postgres.port)
    p = Pair(tmp_path, secret_service, empty_db, relay, postgres.port, dovecot, smtp_server)
    p.relay = relay
    yield p
    relay.close()


def _sent(smtp) -> list:  # noqa: ANN001
    return smtp.messages()


def _receipts(smtp) -> list:  # noqa: ANN001
    return [m for m in smtp.messages() if m["Subject"].startswith("Your message to")]


def _safety(smtp) -> list:  # noqa: ANN001
    return [m for m in smtp.messages() if m["Subject"].startswith("Important")]


def _claims(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT count(*) FROM auto_reply_claim").fetchone()[0]


def test_two_workstations_each_syncing_once_send_one_receipt_per_new_conversation(
    pair,
    dovecot,  # noqa: F811
    smtp_server,  # noqa: F811
):
    dovecot.append_many(MAILBOX, [_mail(1, ROUTINE[0]), _mail(2, ROUTINE[1]), _mail(3, URGENT)])
    front = pair.sync("front")
    assert front.returncode == 0, front.stdout + front.stderr
    assert "Outbox: 3 sent" in front.stdout, front.stdout
    office = pair.sync("office")  # the same new mail, fetched again on Office 2
    assert office.returncode == 0, office.stdout + office.stderr
    assert "0 sent" in office.stdout and "3 sent by another computer" in office.stdout, (
        office.stdout
    )
    assert sorted(m["To"] for m in _receipts(smtp_server)) == [
        "patient1@patients.example",
        "patient2@patients.example",
    ]
    assert [m["To"] for m in _safety(smtp_server)] == ["patient3@patients.example"]
    assert len(_sent(smtp_server)) == 3
    assert _claims(pair.dsn) == 3

    # both at once, on new mail: still one each
    dovecot.append_many(MAILBOX, [_mail(4, ROUTINE[0]), _mail(5, ROUTINE[1]), _mail(6, URGENT)])
    both = [pair.start_sync("front"), pair.start_sync("office")]
    outs = [p.communicate(timeout=300) for p in both]
    for p, (out, err) in zip(both, outs, strict=True):
        assert p.returncode == 0, out + err
    # whichever lost a claim before the other's copy was in Sent settles at its next sync
    for n in ("front", "office"):
        again = pair.sync(n)
        assert again.returncode == 0, again.stdout + again.stderr
    later = _sent(smtp_server)[3:]
    assert sorted(m["To"] for m in later) == [f"patient{i}@patients.example" for i in (4, 5, 6)]
    ids = [m["Message-ID"] for m in smtp_server.messages()]
    assert len(ids) == len(set(ids)) == 6
    for n in ("front", "office"):
        assert pair.outbox(n) == {"sent": 6}, n
    assert _claims(pair.dsn) == 6


def test_with_the_server_out_of_reach_the_receipt_waits_and_the_command_says_so(
    pair,
    dovecot,  # noqa: F811
    smtp_server,  # noqa: F811
):
    dovecot.append_many(MAILBOX, [_mail(1, ROUTINE[0]), _mail(2, URGENT)])
    pair.relay.cut()  # the front desk's cable to the server
    cut = pair.sync("front")
    assert cut.returncode == 75, cut.stdout + cut.stderr  # try again later
    said = cut.stdout
    assert "1 receipt waits for the clinic's shared server" in said, said
    assert "could not be reached" in said and "It goes at the next sync that reaches it." in said
    # the safety reply waits a little: this workstation does not hold the ingest lease,
    # so another may be sending it, claimed (core.send_claims.unclaimed_wait)
    assert "1 safety reply to urgent messages waits for the clinic's shared server" in said
    assert "the next sync sends it from here" in said, said
    assert "Traceback" not in said + cut.stderr
    assert _sent(smtp_server) == []
    # the wait over, with no copy in Sent: the safety reply goes, unclaimed (one twice
    # beats none); the receipt still waits for the server
    _backdate(pair, "front", _unclaimed_wait(pair, "front") + timedelta(seconds=5))
    later = pair.sync("front")
    assert later.returncode == 75, later.stdout + later.stderr
    assert "1 receipt waits for the clinic's shared server" in later.stdout, later.stdout
    assert [m["To"] for m in _sent(smtp_server)] == ["patient2@patients.example"]
    assert _claims(pair.dsn) == 0

    pair.relay.heal()
    back = pair.sync("front")
    assert back.returncode == 0, back.stdout + back.stderr
    assert "Outbox: 1 sent" in back.stdout, back.stdout
    office = pair.sync("office")  # fetches the same two later: sends neither
    assert office.returncode == 0, office.stdout + office.stderr
    assert [m["To"] for m in _receipts(smtp_server)] == ["patient1@patients.example"]
    assert [m["To"] for m in _safety(smtp_server)] == ["patient2@patients.example"]
    assert pair.outbox("office") == {"sent": 2}


def _unclaimed_wait(pair: Pair, n: str) -> timedelta:
    clinic = reopen(pair.homes[n], pair.keyring.backend())
    try:
        return send_claims.unclaimed_wait(clinic.store)
    finally:
        clinic.close()


def _backdate(pair: Pair, n: str, by: timedelta) -> None:
    clinic = reopen(pair.homes[n], pair.keyring.backend())
    try:
        at = (datetime.now(UTC) - by).isoformat(timespec="seconds")
        with clinic.store.transaction():
            clinic.store.execute("UPDATE outbox SET created_at = ? WHERE state = 'pending'", (at,))
    finally:
        clinic.close()


def test_a_claim_no_workstation_keeps_does_not_silence_a_receipt(
    pair,
    dovecot,  # noqa: F811
    smtp_server,  # noqa: F811
):
    mails = [_mail(1, ROUTINE[0]), _mail(2, URGENT)]
    incoming = [message_from_bytes(m, policy=default_policy)["Message-ID"] for m in mails]
    # rows on the server claiming both replies for a workstation that never sends: written
    # by whoever holds the server (a forgery, or a replay). A workstation's login can no
    # longer claim in another's name (schema 14, test_claim_own_name); the owner can
    # still write the table
    with psycopg.connect(pair.dsn) as conn:
        ghost = str(uuid.uuid4())
        for mid, purpose in ((incoming[0], "ack"), (incoming[1], "safety")):
            conn.execute(
                "INSERT INTO auto_reply_claim (key, ws) VALUES (%s, %s)",
                (claim_key(pair.keys, mid, purpose), ghost),
            )
    dovecot.append_many(MAILBOX, mails)
    first = pair.sync("front")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "2 automatic replies are being sent by another computer" in first.stdout, first.stdout
    assert _sent(smtp_server) == []
    assert pair.outbox("front") == {"pending": 2}  # not recorded as sent: nothing proves it

    # past the safety reply's wait, with no copy in Sent: it goes from here
    _backdate(pair, "front", UNPROVEN_CLAIM_WAIT["safety"] + timedelta(seconds=5))
    pair.sync("front")
    assert [m["To"] for m in _sent(smtp_server)] == ["patient2@patients.example"]
    # past the receipt's wait too
    _backdate(pair, "front", UNPROVEN_CLAIM_WAIT["ack"] + timedelta(seconds=5))
    pair.sync("front")
    assert [m["To"] for m in _receipts(smtp_server)] == ["patient1@patients.example"]
    assert len(_sent(smtp_server)) == 2
    # the copies carry the clinic's derived Message-IDs: Office 2, fetching the same mail
    # and meeting the same ghost claims, finds them in the Sent folder and sends none
    assert all(m["Message-ID"].startswith("<auto-") for m in _sent(smtp_server))
    office = pair.sync("office")
    assert office.returncode == 0, office.stdout + office.stderr
    assert len(_sent(smtp_server)) == 2
    assert pair.outbox("office") == {"sent": 2}


def test_the_apps_sync_process_claims_its_receipts(pair, dovecot, smtp_server):  # noqa: F811
    """The app runs each pass in a process of its own (sources.sync_process), where the
    live sync's claimer (in the app's process) is not: its receipts waited for ever."""
    from clinic_inbox.sources.sync_process import SyncProcess

    dovecot.append_many(MAILBOX, [_mail(1, ROUTINE[0]), _mail(2, URGENT)])
    front = reopen(pair.homes["front"], pair.keyring.backend())
    passes = SyncProcess(front)
    try:
        report = passes.run(front)
        assert passes.pid is not None
    finally:
        passes.close()
        front.close()
    assert (report.outbox.sent, report.outbox.for_server) == (2, 0), report.outbox
    office = reopen(pair.homes["office"], pair.keyring.backend())
    try:
        again = sync.run_once(office)  # in this process, no live sync either
    finally:
        office.close()
    assert (again.outbox.sent, again.outbox.elsewhere) == (0, 2), again.outbox
    assert sorted(m["To"] for m in _sent(smtp_server)) == [
        "patient1@patients.example",
        "patient2@patients.example",
    ]


def _lease(pair: Pair, n: str, runs: bool) -> None:
    """As the live sync records it: this workstation's ingest lease running for another
    minute by its own clock, or over (core.lease_clock)."""
    clinic = reopen(pair.homes[n], pair.keyring.backend())
    try:
        until = datetime.now(UTC) + timedelta(minutes=1) if runs else None
        lease_clock.remember(clinic.store.path, until, 30)
    finally:
        clinic.close()


def test_an_unclaimed_safety_reply_goes_at_once_only_under_a_running_lease(
    pair,
    dovecot,  # noqa: F811
    smtp_server,  # noqa: F811
):
    """Found by the mail fault harness (a CI run in three): the lease holder, cut off from
    the server, sent its safety replies unclaimed at once while the workstation that took
    the lease over sent the same ones, claimed: five patients got theirs twice. Now only a
    workstation whose lease still runs by its own clock sends unclaimed at once (nobody
    else fetches under its lease); any other waits, and finds the other's copy."""
    pair.relay.cut()  # the front desk's cable to the server
    # the holder, its lease running: the safety reply goes at once, unclaimed
    _lease(pair, "front", runs=True)
    dovecot.append_many(MAILBOX, [_mail(1, URGENT)])
    first = pair.sync("front")  # an urgent message gets the safety reply, no receipt
    assert first.returncode == 0, first.stdout + first.stderr
    assert [m["To"] for m in _safety(smtp_server)] == ["patient1@patients.example"]
    # its lease over (the office may have taken it over): the next one waits
    _lease(pair, "front", runs=False)
    dovecot.append_many(MAILBOX, [_mail(2, URGENT)])
    waits = pair.sync("front")
    assert waits.returncode == 75, waits.stdout + waits.stderr
    assert "1 safety reply to urgent messages waits" in waits.stdout, waits.stdout
    assert len(_safety(smtp_server)) == 1
    # the office reaches the server: it claims and sends the second, and finds the
    # first in the Sent folder
    office = pair.sync("office")
    assert office.returncode == 0, office.stdout + office.stderr
    assert "1 sent by another computer of the clinic" in office.stdout, office.stdout
    # the front desk's wait over, the server still out of reach: it finds the office's
    # copy in Sent and sends nothing; each patient got one safety reply
    _backdate(pair, "front", _unclaimed_wait(pair, "front") + timedelta(seconds=5))
    later = pair.sync("front")
    assert "sent by another computer of the clinic" in later.stdout, later.stdout
    assert sorted(m["To"] for m in _safety(smtp_server)) == [
        "patient1@patients.example",
        "patient2@patients.example",
    ]
    assert later.returncode == 0, later.stdout + later.stderr
    assert pair.outbox("front") == {"sent": 2}
