"""Portal ingest: N FHIR R4 Communications pulled from the loopback FHIR server into a
fresh clinic store, through the same sync the app runs (sources.sync.run_once).

    python -m bench.portal_bench            # 10,000 Communications
    python -m bench.portal_bench 1000
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from support.fhir import FhirServer  # noqa: E402

from bench.common import MemoryKeyring  # noqa: E402
from clinic_inbox.core import services  # noqa: E402
from clinic_inbox.core.accounts import FhirAccount  # noqa: E402
from clinic_inbox.core.credentials import Credentials  # noqa: E402
from clinic_inbox.core.home import create_clinic  # noqa: E402
from clinic_inbox.core.keys import KeyCustody  # noqa: E402
from clinic_inbox.sources import sync  # noqa: E402

PASSPHRASE = "bench passphrase 123"
CHUNK = 500

FAMILIES = ["Tremblay", "Gagnon", "Roy", "Côté", "Okafor", "Silva", "Haddad", "Lefèvre", "Wei"]
GIVEN = ["Zoë", "Priya", "Noah", "Chloé", "Amir", "Sofia", "Liam", "Maya", "Jonas", "Aïcha"]
TEXTS = [
    "Could you renew my metformin? I have three days left.",
    "Is my cholesterol result back yet?",
    "I need to move my appointment on Monday to later in the week.",
    "The pharmacy says the refill for lisinopril needs your approval.",
    "My knee is still swollen after the physiotherapist visit.",
    "Can I get a sick note for my absence last Thursday and Friday?",
    "My blood pressure readings this week: 142/91, 138/88, 145/93.",
    "The rash on my arm is spreading, should I come in?",
    "Do I need to fast before the HbA1c and ferritin blood work?",
    "Please send the referral to the cardiologist, they have not received it.",
    "I have had headaches every morning since starting the new dose.",
    "Which vaccines does my son need before school starts?",
    "Can you fill in the insurance form I dropped off at the front desk?",
    "The ultrasound clinic asked for a new requisition.",
    "My shoulder pain is better, can I stop the ibuprofen?",
    "I can't sleep more than four hours a night, what can I try?",
    "Is it safe to take vitamin D with levothyroxine?",
    "My TSH results came in the portal, what do they mean?",
    "Chest pain since this morning and short of breath.",
    "Thank you, the salbutamol inhaler is working well.",
]
PRIORITIES = ["urgent", "asap", "routine", "stat"]


def _patient(i: int) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "name": [{"family": FAMILIES[i % len(FAMILIES)], "given": [GIVEN[i % len(GIVEN)]]}],
        "birthDate": f"{1940 + i % 70}-{1 + i % 12:02d}-{1 + i % 28:02d}",
        "telecom": [{"system": "email", "value": f"p{i}@example.org"}],
    }


def _comm(i: int, prac: str, patient: str) -> dict[str, Any]:
    """Like tests/integration/test_portal.py's _comm: short text, some with a priority."""
    day, minute = 1 + i % 28, i % (24 * 60)
    res: dict[str, Any] = {
        "resourceType": "Communication",
        "status": "completed",
        "subject": {"reference": f"Patient/{patient}"},
        "sender": {"reference": f"Patient/{patient}"},
        "recipient": [{"reference": f"Practitioner/{prac}"}],
        "sent": f"2026-11-{day:02d}T{minute // 60:02d}:{minute % 60:02d}:00Z",
        "payload": [{"contentString": f"{TEXTS[i % len(TEXTS)]} (ref {i})"}],
    }
    if i % 7 == 0:
        res["priority"] = PRIORITIES[(i // 7) % len(PRIORITIES)]
    return res


def _load(
    server: FhirServer, resources: list[dict[str, Any]], paths: set[str]
) -> list[dict[str, Any]]:
    """Create resources in transaction Bundles of CHUNK; create_many if that is refused."""
    out: list[dict[str, Any]] = []
    for start in range(0, len(resources), CHUNK):
        chunk = resources[start : start + CHUNK]
        bundle = {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                {
                    "fullUrl": f"urn:uuid:00000000-0000-4000-8000-{start + k:012d}",
                    "resource": r,
                    "request": {"method": "POST", "url": r["resourceType"]},
                }
                for k, r in enumerate(chunk)
            ],
        }
        status, body = server.transaction(bundle)
        created = [e.get("resource") for e in body.get("entry", [])] if status < 300 else []
        if len(created) == len(chunk) and all(c and c.get("id") for c in created):
            out += created
            paths.add("transaction")
        else:
            out += server.create_many(chunk)
            paths.add(f"create_many (transaction gave {status})")
    return out


def _one_sync(server: FhirServer, prac: str, n: int) -> float:
    home = Path(tempfile.mkdtemp(prefix="bench-portal-"))
    clinic = None
    try:
        clinic, _ = create_clinic(home, lambda p, c: PASSPHRASE, KeyCustody(home, detect=False))
        clinic.credentials = Credentials(clinic, MemoryKeyring())
        services.create_first_admin(clinic, "admin", "Admin", "quartz lantern meadow violin")
        admin = services.login(clinic, "admin", "quartz lantern meadow violin")
        account = FhirAccount(name="Portal", base_url=server.base_url, practitioners=[prac])
        services.add_fhir_account(clinic, admin, account, None)
        t = time.perf_counter()
        report = sync.run_once(clinic, send=False)
        elapsed = time.perf_counter() - t
        assert not report.accounts[0].error, report.accounts[0].error
        stored = clinic.store.execute(
            "SELECT count(*) FROM messages WHERE source = 'portal' AND direction = 'in'"
        ).fetchone()[0]
        assert stored == n, (stored, n, report)
        return elapsed
    finally:
        if clinic is not None:
            clinic.close()
        shutil.rmtree(home, ignore_errors=True)


def portal_ingest(n: int = 10_000, patients: int = 500, repeat: int = 1) -> dict:
    server = FhirServer().start()
    try:
        t = time.perf_counter()
        prac = server.create(
            {"resourceType": "Practitioner", "name": [{"family": "Patel", "given": ["Anjali"]}]}
        )["id"]
        paths: set[str] = set()
        pids = [p["id"] for p in _load(server, [_patient(i) for i in range(patients)], paths)]
        _load(server, [_comm(i, prac, pids[i % len(pids)]) for i in range(n)], paths)
        print(
            f"  loaded {patients:,} patients, {n:,} Communications in "
            f"{time.perf_counter() - t:.1f} s via {', '.join(sorted(paths))}",
            flush=True,
        )
        runs = [_one_sync(server, prac, n) for _ in range(repeat)]
    finally:
        server.close()
    seconds = statistics.median(runs)
    return {"messages": n, "seconds": seconds, "msgs_per_s": n / seconds}


if __name__ == "__main__":
    print(portal_ingest(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
