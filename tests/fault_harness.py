"""The fault harness: a child process syncs email and portal messages and sends
what waits, while this process kills it with SIGKILL at random moments, stops
and restarts Dovecot and the FHIR server, and drops IMAP connections. At the
end every message must be stored exactly once, every reply and acknowledgement
sent exactly once, the audit chain and SQLCipher's checks intact.

Standalone:  python tests/fault_harness.py --kills 20 --messages 2000 --portal 500
In the suite: tests/integration/test_fault_harness.py runs it at CI size.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from support.dovecot import DovecotServer  # noqa: E402
from support.fhir import FhirServer  # noqa: E402
from support.mailgen import corpus  # noqa: E402
from support.secret_service import SecretService  # noqa: E402
from support.smtp_server import SmtpServer  # noqa: E402

from clinic_inbox.core import audit, services  # noqa: E402
from clinic_inbox.core.accounts import FhirAccount, ImapAccount  # noqa: E402
from clinic_inbox.core.home import create_clinic  # noqa: E402
from clinic_inbox.core.keys import KeyCustody  # noqa: E402
from clinic_inbox.core.model import Role  # noqa: E402
from clinic_inbox.core.staff_keys import open_signed_in  # noqa: E402
from clinic_inbox.core.store import outbox_queries as oq  # noqa: E402
from clinic_inbox.core.store import queries as q  # noqa: E402

USER, PASSWORD = "inbox@clinic.example", "harness-mail-pw"


@dataclass
class Result:
    kills: int = 0
    dovecot_outages: int = 0
    fhir_outages: int = 0
    drops: int = 0
    emails: int = 0
    portal: int = 0
    sent_email: int = 0
    duplicate_email: list[str] = field(default_factory=list)
    portal_replies: int = 0
    duplicate_portal: list[str] = field(default_factory=list)
    portal_urgent: int = 0  # urgent portal messages planted: each owed one safety reply
    safety_replies: int = 0  # urgent portal messages answered with a safety reply
    audit_ok: bool = False
    integrity: list[str] = field(default_factory=list)
    pending: int = 0
    outbox_rows: dict = field(default_factory=dict)
    duplicate_counts: list[int] = field(default_factory=list)

    def duplicates_explained(self) -> bool:
        """SMTP cannot say whether a message arrived: a kill between the server's
        acceptance and our commit resends once, with the same Message-ID. Every
        duplicate must be exactly that: sent twice, by an interrupted attempt."""
        return (
            all(c == 2 for c in self.duplicate_counts)
            and all(self.outbox_rows.get(d, (None, 0))[1] >= 2 for d in self.duplicate_email)
            and len(self.duplicate_email) <= self.kills
        )

    def line(self) -> str:
        return (
            f"fault harness: {self.kills} kills, {self.dovecot_outages} Dovecot outages, "
            f"{self.fhir_outages} FHIR outages, {self.drops} dropped connections survived; "
            f"{self.emails} emails and {self.portal} portal messages stored; {self.sent_email} emails and "
            f"{self.portal_replies} portal replies sent ({self.safety_replies} of "
            f"{self.portal_urgent} safety replies); duplicates: {len(self.duplicate_email)} + "
            f"{len(self.duplicate_portal)}; audit {'intact' if self.audit_ok else 'BROKEN'}; "
            f"integrity {'ok' if not self.integrity else self.integrity}"
        )


def _child(env: dict[str, str], send: bool = True) -> subprocess.Popen:
    args = [sys.executable, "-m", "clinic_inbox", "--user", "admin", "sync", "--once"]
    if not send:
        args.append("--no-send")
    return subprocess.Popen(
        args, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _reopen(home: Path, keyring: SecretService):  # noqa: ANN202 - Clinic
    """The store opens by a staff password (key slots), not by the keyring alone."""
    clinic, _admin = open_signed_in(
        home, "admin", "quartz lantern meadow violin", custody=KeyCustody(home, keyring.backend())
    )
    return clinic


def _portal_urgent(i: int) -> bool:
    # a few, each from a different one of the 50 patients: each owed its own safety reply
    return i % 97 == 0


def _portal_text(i: int) -> str:
    if _portal_urgent(i):
        return f"Portal message {i}: crushing chest pain and I cannot breathe"
    return f"Portal message {i}: refill please"


def _prac(fhir: FhirServer) -> str:
    return fhir.create({"resourceType": "Practitioner", "name": [{"family": "Patel"}]})["id"]


def run(
    kills: int = 20, messages: int = 2000, portal: int = 500, replies: int = 10, seed: int = 7
) -> Result:
    rnd = random.Random(seed)
    res = Result()
    work = Path(tempfile.mkdtemp(prefix="ci-harness-"))
    keyring = SecretService().start()
    dovecot, smtp, fhir = DovecotServer().start(), SmtpServer().start(), FhirServer().start()
    try:
        dovecot.add_user(USER, PASSWORD)
        dovecot.append_many(USER, corpus(messages, seed=seed))
        prac = _prac(fhir)
        patients = fhir.create_many(
            [
                {"resourceType": "Patient", "name": [{"family": f"F{i}", "given": ["G"]}]}
                for i in range(50)
            ]
        )
        fhir.create_many(
            [
                {
                    "resourceType": "Communication",
                    "status": "completed",
                    "subject": {"reference": f"Patient/{patients[i % 50]['id']}"},
                    "recipient": [{"reference": f"Practitioner/{prac}"}],
                    "payload": [{"contentString": _portal_text(i)}],
                }
                for i in range(portal)
            ]
        )
        res.portal_urgent = sum(_portal_urgent(i) for i in range(portal))
        home = work / "clinic"
        clinic, _ = create_clinic(
            home, lambda p, c: "", KeyCustody(home, backend=keyring.backend())
        )
        services.create_first_admin(clinic, "admin", "Admin", "quartz lantern meadow violin")
        admin = services.login(clinic, "admin", "quartz lantern meadow violin")
        services.add_staff(
            clinic, admin, "dr.patel", "Dr Patel", Role.PHYSICIAN, "lantern quarry mosaic drift"
        )
        services.add_imap_account(
            clinic,
            admin,
            ImapAccount(
                name="Mail",
                host=dovecot.host,
                port=dovecot.port,
                username=USER,
                security="none",
                smtp_host=smtp.host,
                smtp_port=smtp.port,
                smtp_security="none",
                from_address=USER,
            ),
            PASSWORD,
        )
        services.add_fhir_account(
            clinic,
            admin,
            FhirAccount(
                name="Portal",
                base_url=fhir.base_url,
                practitioners=[prac],
                staff_practitioners={"dr.patel": prac},
            ),
            None,
        )
        clinic.close()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CLINIC_INBOX")},
            **keyring.env,
            "CLINIC_INBOX_HOME": str(home),
            "CLINIC_INBOX_PASSWORD": "quartz lantern meadow violin",
        }
        env.pop("PYTHON_KEYRING_BACKEND", None)

        def chaos(rounds: int, send: bool) -> None:
            for _ in range(rounds):
                # each kind of outage at least once, whatever the size and the seed
                missing = [
                    kind
                    for kind, seen in (
                        ("dovecot", res.dovecot_outages),
                        ("fhir", res.fhir_outages),
                        ("drop", res.drops),
                    )
                    if seen == 0
                ]
                fault = (
                    missing[0]
                    if missing
                    else rnd.choice(["none", "none", "dovecot", "fhir", "drop"])
                )
                proc = _child(env, send)
                time.sleep(rnd.uniform(0.2, 2.0))
                if fault == "dovecot":
                    dovecot.stop()
                    res.dovecot_outages += 1
                elif fault == "fhir":
                    fhir.stop()
                    res.fhir_outages += 1
                elif fault == "drop":
                    dovecot.kick(USER)
                    res.drops += 1
                time.sleep(rnd.uniform(0.0, 0.5))
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                    res.kills += 1
                proc.wait()
                if not dovecot.running:
                    dovecot.start()
                if fhir._proc is None:
                    fhir.start()

        chaos(kills - kills // 4, send=True)
        # replies written by the physician while the faults go on
        for _ in range(3):
            _child(env, send=False).wait(600)
        clinic = _reopen(home, keyring)
        with clinic.store.transaction():
            clinic.store.execute("UPDATE patients SET responsible_physician_id = 2")
        doc = services.login(clinic, "dr.patel", "lantern quarry mosaic drift")
        threads = q.list_threads(clinic.store)
        email_threads = [t for t in threads if t.source.value == "email"][:replies]
        portal_threads = [t for t in threads if t.source.value == "portal"][:replies]
        for t in email_threads + portal_threads:
            services.queue_reply(clinic, doc, t.id, f"Reply to conversation {t.id}.")
        clinic.close()
        chaos(kills // 4, send=True)
        for _ in range(4):  # let it finish: everything due goes out
            proc = _child(env, send=True)
            proc.wait(900)
        clinic = _reopen(home, keyring)
        try:
            rows = clinic.store.execute(
                "SELECT imap_uidvalidity, imap_uid, message_id_header FROM messages WHERE source = 'email' "
                "AND direction = 'in'"
            ).fetchall()
            assert len({(r[0], r[1]) for r in rows}) == len(rows), "an IMAP identity stored twice"
            res.emails = (
                len({r[2] for r in rows}) if len({r[2] for r in rows}) == len(rows) else -len(rows)
            )
            prow = clinic.store.execute(
                "SELECT fhir_resource_id FROM messages WHERE source = 'portal' AND direction = 'in'"
            ).fetchall()
            res.portal = (
                len({r[0] for r in prow}) if len({r[0] for r in prow}) == len(prow) else -len(prow)
            )
            counts = oq.counts(clinic.store)
            res.pending = (
                counts.get("pending", 0) + counts.get("sending", 0) + counts.get("failed", 0)
            )
            res.audit_ok = audit.verify(clinic.store, clinic.audit_key).ok
            res.outbox_rows = {
                r[0]: r[1:]
                for r in clinic.store.execute(
                    "SELECT idempotency_key, state, attempts, purpose, copied FROM outbox"
                ).fetchall()
            }
            res.integrity = clinic.store.integrity_check()
        finally:
            clinic.close()
        ids = collections.Counter(str(m["Message-ID"]) for m in smtp.messages())
        res.sent_email = len(ids)
        res.duplicate_email = [k for k, v in ids.items() if v > 1]
        res.duplicate_counts = [ids[k] for k in res.duplicate_email]
        found = fhir.search("Communication", {"identifier": "urn:clinic-inbox:reply|"})
        everything = fhir.search("Communication", {"_count": "500"})
        reply_ids = collections.Counter(
            i["value"]
            for c in everything
            for i in c.get("identifier", [])
            if i.get("system") == "urn:clinic-inbox:reply"
        )
        res.safety_replies = len(
            {
                c["inResponseTo"][0]["reference"]
                for c in everything
                if "(automatic reply)" in (c.get("sender") or {}).get("display", "")
            }
        )
        del found
        res.portal_replies = len(reply_ids)
        res.duplicate_portal = [k for k, v in reply_ids.items() if v > 1]
    finally:
        for server in (dovecot, smtp, fhir):
            server.close()
        keyring.stop()
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--portal", type=int, default=500)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    t = time.monotonic()
    res = run(args.kills, args.messages, args.portal, seed=args.seed)
    print(res.line(), f"({time.monotonic() - t:.0f} s)")
    ok = (
        res.emails == args.messages
        and res.portal == args.portal
        and res.duplicates_explained()  # SMTP's one unavoidable window, each checked
        and not res.duplicate_portal
        and res.safety_replies == res.portal_urgent
        and res.audit_ok
        and not res.integrity
        and res.pending == 0
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
