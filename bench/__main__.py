"""Benchmarks, printed as one table and written to bench/results.json.

Medians over repeated runs, ratios to the peer measured in the same run.
Real parts only: a Dovecot on 127.0.0.1, the SQLCipher store, offscreen Qt.

    python -m bench [--n 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import imaplib
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from support.dovecot import DovecotServer  # noqa: E402
from support.mailgen import corpus  # noqa: E402

from clinic_inbox.core import services  # noqa: E402
from clinic_inbox.core.accounts import ImapAccount  # noqa: E402
from clinic_inbox.core.credentials import Credentials  # noqa: E402
from clinic_inbox.core.home import create_clinic  # noqa: E402
from clinic_inbox.core.ingest import ingest  # noqa: E402
from clinic_inbox.core.keys import KeyCustody  # noqa: E402
from clinic_inbox.core.store import create_store  # noqa: E402
from clinic_inbox.core.store import queries as q  # noqa: E402
from clinic_inbox.core.triage import load_rules  # noqa: E402
from clinic_inbox.sources import email_sync, mime  # noqa: E402

USER, PASSWORD = "inbox@clinic.example", "bench-password"


class MemoryKeyring:
    """Holds the account password for the run (the keyring itself is not what is measured)."""

    def __init__(self) -> None:
        self.d: dict = {}

    def set_password(self, s, u, p):  # noqa: ANN001, ANN201
        self.d[(s, u)] = p

    def get_password(self, s, u):  # noqa: ANN001, ANN201
        return self.d.get((s, u))


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def bare_fetch(server: DovecotServer) -> float:
    t = time.perf_counter()
    conn = imaplib.IMAP4(server.host, server.port)
    conn.login(USER, PASSWORD)
    conn.select("INBOX", readonly=True)
    typ, data = conn.uid("FETCH", "1:*", "(BODY.PEEK[])")
    conn.logout()
    assert typ == "OK"
    return time.perf_counter() - t


def clinic_sync(server: DovecotServer, n: int) -> tuple[float, object]:
    home = Path(tempfile.mkdtemp(prefix="bench-clinic-"))
    clinic, _ = create_clinic(
        home, lambda p, c: "bench passphrase 123", KeyCustody(home, detect=False)
    )
    clinic.credentials = Credentials(MemoryKeyring(), "bench")
    services.create_first_admin(clinic, "admin", "Admin", "admin-pw")
    admin = services.login(clinic, "admin", "admin-pw")
    account = ImapAccount(
        name="Bench",
        host=server.host,
        port=server.port,
        username=USER,
        security="none",
        smtp_host=server.host,
        smtp_security="none",
        from_address=USER,
    )
    services.add_imap_account(clinic, admin, account, PASSWORD)
    account = q  # noqa: F841 - keep the name free
    from clinic_inbox.core import accounts as acc

    account = acc.imap_accounts(clinic.store)[0]
    rules = load_rules()
    t = time.perf_counter()
    report = email_sync.sync_account(clinic, rules, account, PASSWORD, batch_size=200)
    elapsed = time.perf_counter() - t
    assert report.stored == n, report
    return elapsed, clinic


def store_ingest(raw: list[bytes], encrypted: bool) -> float:
    """Parse, sanitise, triage, index and write, without the network: encryption's cost."""
    from datetime import UTC, datetime

    from clinic_inbox.core.config import load_config
    from clinic_inbox.sources.imap import Fetched

    folder = Path(tempfile.mkdtemp(prefix="bench-store-"))
    store = create_store(folder / "s.db", os.urandom(32), encrypted=encrypted)
    cfg, rules = load_config(), load_rules()
    account = ImapAccount(
        name="x",
        host="127.0.0.1",
        port=1,
        username=USER,
        security="none",
        smtp_host="127.0.0.1",
        smtp_security="none",
        id=1,
    )
    with store.transaction():
        q.ensure_account(store, "x", "imap")
    t = time.perf_counter()
    for start in range(0, len(raw), 200):
        batch = [
            Fetched(i + 1, r, len(r), datetime.now(UTC))
            for i, r in enumerate(raw[start : start + 200], start)
        ]
        msgs = [email_sync.to_incoming(account, f, 1, mime.DEFAULT_LIMITS) for f in batch]
        with store.transaction():
            for m in msgs:
                ingest(store, cfg, rules, m)
    elapsed = time.perf_counter() - t
    store.close()
    return elapsed


QUERIES = [
    "metformin",
    "cholesterol",
    "appointment",
    "refill",
    "knee",
    "Zoë",
    "Tremblay",
    "blood pressure",
    "form",
    "invoice",
    "ultrasound",
    "lisinopril",
    "dermatologist",
    "Monday",
    "pharmacy",
    "TSH",
    "shoulder",
    "sleep",
    "physiotherapist",
    "OHIP",
    "readings",
    "vaccines",
    "rash",
    "hip",
    "Haddad",
    "Reference 1-1",
    "salbutamol",
    "specialist",
    "results",
    "ibuprofen",
    "Lefèvre",
    "cardiologist",
    "vitamin",
    "HbA1c",
    "ferritin",
    "sick note",
    "absence",
    "levothyroxine",
    "back",
    "headaches",
    "Wei",
    "Priya",
    "Noah",
    "Chloé",
    "Okafor",
    "Silva",
    "Gagnon",
    "Roy",
    "Côté",
    "Raman",
]


def search_latency(clinic) -> tuple[float, float]:  # noqa: ANN001
    times = []
    for _ in range(2):
        for text in QUERIES:
            t = time.perf_counter()
            q.list_messages(clinic.store, q.MessageFilter(search=text, limit=200))
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return times[len(times) // 2], times[int(len(times) * 0.95) - 1]


def board_paint(clinic) -> float:  # noqa: ANN001
    from PySide6.QtWidgets import QApplication

    from clinic_inbox.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    session = services.login(clinic, "admin", "admin-pw")
    t = time.perf_counter()
    win = MainWindow(clinic, session)
    win.resize(1600, 940)
    win.show()
    app.processEvents()
    win.grab()
    elapsed = time.perf_counter() - t
    win.close()
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    raw = corpus(args.n, seed=11)
    server = DovecotServer().start()
    try:
        server.add_user(USER, PASSWORD)
        server.append_many(USER, raw)
        fetch = [bare_fetch(server) for _ in range(args.repeat)]
        syncs, clinic = [], None
        for _ in range(args.repeat):
            elapsed, clinic = clinic_sync(server, args.n)
            syncs.append(elapsed)
    finally:
        server.close()
    enc = [store_ingest(raw, True) for _ in range(args.repeat)]
    plain = [store_ingest(raw, False) for _ in range(args.repeat)]
    p50, p95 = search_latency(clinic)
    paint = board_paint(clinic)
    n = args.n
    rows = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "messages": n,
        "bare_fetch_msgs_per_s": n / median(fetch),
        "sync_msgs_per_s": n / median(syncs),
        "sync_vs_bare_fetch": median(fetch) / median(syncs),
        "ingest_encrypted_msgs_per_s": n / median(enc),
        "ingest_plain_msgs_per_s": n / median(plain),
        "encryption_cost": median(enc) / median(plain) - 1,
        "search_p50_ms": p50,
        "search_p95_ms": p95,
        "board_paint_s": paint,
    }
    (ROOT / "bench" / "results.json").write_text(json.dumps(rows, indent=2))
    print(
        f"\nClinic Inbox benchmarks — {rows['machine']}, {n} messages, medians of {args.repeat}\n"
    )
    print(f"{'measure':42} {'value':>14}")
    print(f"{'-' * 42} {'-' * 14}")
    print(
        f"{'bare IMAP fetch (imaplib UID FETCH 1:*)':42} {rows['bare_fetch_msgs_per_s']:>10,.0f} m/s"
    )
    print(
        f"{'clinic-inbox sync (parse, triage, encrypt)':42} {rows['sync_msgs_per_s']:>10,.0f} m/s"
    )
    print(f"{'  ratio to the bare fetch':42} {rows['sync_vs_bare_fetch']:>13.2f}x")
    print(
        f"{'ingest into the encrypted store':42} {rows['ingest_encrypted_msgs_per_s']:>10,.0f} m/s"
    )
    print(
        f"{'ingest into a plain store (test switch)':42} {rows['ingest_plain_msgs_per_s']:>10,.0f} m/s"
    )
    print(f"{'  encryption cost':42} {rows['encryption_cost']:>13.1%}")
    print(f"{'search p50 / p95 (50 queries x 2)':42} {p50:>6.1f} / {p95:.1f} ms")
    print(f"{'board built and painted (offscreen)':42} {paint:>12.2f} s")
    print(
        "\nNot measured yet: mbsync + notmuch peers, 100,000-message runs, portal ingest, memory."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
