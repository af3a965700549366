"""The clinic-wide audit from the command line, with three workstation processes
working at once against a real PostgreSQL (keys in a real gnome-keyring): each views
the patient's conversation and runs `audit verify --clinic` (which ships its chain
first) while the others do the same; the arrivals interleave on the server and every
chain, head and anchor still checks. `audit export --csv --patient` on one workstation
lists the views made on all three; an entry deleted on the server is named by
`audit verify --clinic` on another."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
from support.fast_kdf import child_pythonpath
from workstations import ADMIN_PASSWORD, STAFF_PASSWORD, login, new_workstation, receive

from clinic_inbox.core import services
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.store import queries as q
from clinic_inbox.shared import server as srv
from clinic_inbox.shared import sync

REPO = Path(__file__).resolve().parents[2]
ROUNDS = 3


def run(home: Path, keyring, user: str, *args: str) -> subprocess.CompletedProcess:  # noqa: ANN001
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS", "CLINIC_INBOX"))}
    env.update(keyring.env)
    password = ADMIN_PASSWORD if user == "admin" else STAFF_PASSWORD
    env.update({"CLINIC_INBOX_HOME": str(home), "CLINIC_INBOX_PASSWORD": password})
    env["PYTHONPATH"] = child_pythonpath(REPO)
    return subprocess.run(
        [sys.executable, "-m", "clinic_inbox", "--user", user, *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _prepare(tmp_path, postgres, secret_service):  # noqa: ANN001, ANN202
    dsn = postgres.create_database("audit_three_processes")
    backend = secret_service.backend()
    homes = {n: tmp_path / f"ws-{n}" for n in "abc"}
    ws = {n: new_workstation(h, backend) for n, h in homes.items()}
    custody = {n: KeyCustody(w.home, backend=backend) for n, w in ws.items()}
    init = srv.init_server(ws["a"], login(ws["a"], "admin"), dsn, custody["a"])
    for n in "bc":
        srv.connect_workstation(ws[n], login(ws[n], "admin"), dsn, init.clinic_code, custody[n])
    links = {n: srv.open_link(w, custody[n]) for n, w in ws.items()}
    # the mail account as `account add-imap` leaves it (its password is not in the keyring
    # here, so no IMAP anchor is attempted)
    with ws["a"].store.transaction():
        q.ensure_account(
            ws["a"].store,
            "Inbox",
            "imap",
            {"name": "Inbox", "host": "127.0.0.1", "port": 9, "username": "inbox@clinic.test"},
        )
    (t,) = receive(ws["a"], 1)
    conv = sync.publish_conversation(ws["a"], links["a"], t, None)
    threads, patients = {"a": t}, {}
    for n in "bc":
        sync.pull(ws[n], links[n])
        threads[n] = ws[n].store.one("SELECT id FROM threads WHERE uuid = ?", (conv,))
    for n, w in ws.items():
        doc = q.staff_login_row(w.store, "dr.patel")[0].id
        with w.store.transaction():
            patients[n] = q.add_patient(
                w.store, "Quennell", "Zoë", "1961-04-02", "CH-88412", responsible_physician_id=doc
            )
        services.link_patient(w, login(w, "reception.moreau"), threads[n], patients[n])
        links[n].conn.close()
        w.close()
    return dsn, homes, threads, patients


def test_three_processes_ship_at_once_and_the_clinic_trail_holds(
    tmp_path, postgres, secret_service
):
    dsn, homes, threads, patients = _prepare(tmp_path, postgres, secret_service)
    results: dict[str, list[subprocess.CompletedProcess]] = {n: [] for n in homes}

    def work(n: str) -> None:
        for _ in range(ROUNDS):
            results[n].append(run(homes[n], secret_service, "dr.patel", "show", str(threads[n])))
            results[n].append(run(homes[n], secret_service, "admin", "audit", "verify", "--clinic"))

    workers = [threading.Thread(target=work, args=(n,)) for n in homes]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for n, done in results.items():
        for r in done:
            assert r.returncode == 0, (n, r.args, r.stdout, r.stderr)
        assert "Clinic audit trail intact" in done[-1].stdout, done[-1].stdout
        assert "Zoë" not in done[-1].stdout  # the check names ids, never the patient
    # the arrivals of the three chains interleaved on the server
    with psycopg.connect(dsn) as conn:
        order = [r[0] for r in conn.execute("SELECT chain FROM audit_entry ORDER BY arrival")]
    switches = sum(1 for x, y in zip(order, order[1:], strict=False) if x != y)
    assert len(set(order)) == 3 and switches >= 3, switches

    exported = run(
        homes["c"],
        secret_service,
        "admin",
        "audit",
        "export",
        "--csv",
        "--patient",
        str(patients["c"]),
    )
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    views = [r for r in rows if r["action"] == "thread.view"]
    per_ws: dict[str, int] = {}
    for r in views:
        per_ws[r["workstation"]] = per_ws.get(r["workstation"], 0) + 1
    assert sorted(per_ws.values()) == [ROUNDS] * 3, per_ws
    assert {r["actor"] for r in views} == {"dr.patel"}
    assert {r["thread_id"] for r in views} == {str(threads["c"])}
    assert {r["patient_id"] for r in rows} == {str(patients["c"])}
    # the local-only export still exists, and covers this computer alone
    local = run(
        homes["c"],
        secret_service,
        "admin",
        "audit",
        "export",
        "--local",
        "--patient",
        str(patients["c"]),
    )
    assert local.returncode == 0
    assert len(list(csv.DictReader(io.StringIO(local.stdout)))) < len(rows)

    # the operator deletes one of B's entries: A's check names it, and fails
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        b_chain = conn.execute(
            "SELECT chain FROM audit_entry WHERE seq = 1 ORDER BY arrival OFFSET 1 LIMIT 1"
        ).fetchone()[0]
        conn.execute("DELETE FROM audit_entry WHERE chain = %s AND seq = 5", (b_chain,))
    broken = run(homes["a"], secret_service, "admin", "audit", "verify", "--clinic")
    assert broken.returncode == 1
    assert "entry 5 is missing from the server" in broken.stdout, broken.stdout
