"""`clinic-inbox server …` as an administrator types it: real processes, a real keyring
per workstation, a real PostgreSQL. Refusals are in plain words, name the server, and
leave the local store as it was."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from workstations import admin_cli as run
from workstations import new_workstation, receive

from clinic_inbox.shared.schema import workstation_role

REPO = Path(__file__).resolve().parents[2]


def _dsn(postgres, db: str) -> str:
    from support.postgres import SUPERUSER

    return f"host={postgres.host} port={postgres.port} dbname={db} user={SUPERUSER}"


def test_server_init_connect_publish_sync_from_the_command_line(tmp_path, postgres, secret_service):
    db = "cli_clinic"
    postgres.create_database(db)
    dsn, pw = _dsn(postgres, db), postgres.password
    a = new_workstation(tmp_path / "a", secret_service.backend())
    receive(a, 2)
    a.close()
    b = new_workstation(tmp_path / "b", secret_service.backend())
    b.close()

    done = run(tmp_path / "a", secret_service, "server", "init", "--dsn", f"{dsn} password={pw}")
    assert done.returncode == 1 and "Leave the password out of --dsn" in done.stderr

    done = run(tmp_path / "a", secret_service, "server", "init", "--dsn", dsn, server_pw="wrong")
    assert done.returncode == 1
    assert (
        f"Could not connect to the shared server {postgres.host}:{postgres.port}/{db}"
        in done.stderr
    )
    assert "refused this workstation's user name or password" in done.stderr
    assert "Traceback" not in done.stderr

    done = run(tmp_path / "a", secret_service, "server", "init", "--dsn", dsn, server_pw=pw)
    assert done.returncode == 0, done.stderr
    assert "CLINIC CODE" in done.stdout
    code = done.stdout.split("CLINIC CODE", 1)[1].splitlines()[1].strip()
    assert pw not in done.stdout

    # a second init of the same server, and a connect with a wrong code, change nothing
    done = run(tmp_path / "b", secret_service, "server", "init", "--dsn", dsn, server_pw=pw)
    assert done.returncode == 1 and "already a clinic's shared server" in done.stderr
    done = run(
        tmp_path / "b",
        secret_service,
        "server",
        "connect",
        "--dsn",
        dsn,
        "--code-stdin",
        stdin="AAAA-BBBB-CCCC\n",
        server_pw=pw,
    )
    assert done.returncode == 1 and "That clinic code does not unlock" in done.stderr
    done = run(tmp_path / "b", secret_service, "server", "status")
    assert "works alone" in done.stdout

    done = run(
        tmp_path / "b",
        secret_service,
        "server",
        "connect",
        "--dsn",
        dsn,
        "--code-stdin",
        stdin=code + "\n",
        server_pw=pw,
    )
    assert done.returncode == 0, done.stderr
    done = run(tmp_path / "a", secret_service, "server", "publish")
    assert done.returncode == 0 and "Published 2 conversations" in done.stdout, done.stderr
    done = run(tmp_path / "b", secret_service, "server", "sync")
    assert done.returncode == 0 and "received 4" in done.stdout, done.stderr
    done = run(tmp_path / "b", secret_service, "list", "--json")
    assert done.returncode == 0 and done.stdout.count('"thread_id"') == 2  # A's two, on B
    done = run(tmp_path / "b", secret_service, "server", "status", "--json")
    assert '"waiting_to_send": 0' in done.stdout and f"/{db}" in done.stdout

    # a third computer joins by fingerprint, approved on A, with a login of its own
    c = new_workstation(tmp_path / "c", secret_service.backend())
    c.close()
    done = run(
        tmp_path / "c",
        secret_service,
        "server",
        "join",
        "--dsn",
        dsn,
        "--name",
        "Desk 3",
        server_pw=pw,
    )
    assert done.returncode == 0, done.stderr
    fpr = done.stdout.split("FINGERPRINT:", 1)[1].split()[0]
    done = run(tmp_path / "c", secret_service, "server", "join", "--finish")
    assert done.returncode == 1 and "Not approved yet" in done.stdout
    done = run(tmp_path / "a", secret_service, "server", "pending")
    assert fpr in done.stdout and "Desk 3" in done.stdout
    done = run(tmp_path / "a", secret_service, "server", "approve", fpr)
    assert done.returncode == 0 and "Approved Desk 3" in done.stdout, done.stderr
    done = run(tmp_path / "c", secret_service, "server", "join", "--finish")
    assert done.returncode == 0 and "now works with the shared server" in done.stdout, done.stderr
    done = run(tmp_path / "c", secret_service, "server", "sync")
    assert done.returncode == 0 and "received 4" in done.stdout, done.stderr


def test_init_with_a_login_that_may_not_create_tables_says_so(tmp_path, postgres, secret_service):
    db = "cli_lowly"
    postgres.create_database(db)
    with psycopg.connect(postgres.dsn(db), autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS lowly")
        conn.execute("CREATE ROLE lowly LOGIN PASSWORD 'lowly-pw'")
    a = new_workstation(tmp_path / "a", secret_service.backend())
    a.close()
    dsn = f"host={postgres.host} port={postgres.port} dbname={db} user=lowly"
    done = run(tmp_path / "a", secret_service, "server", "init", "--dsn", dsn, server_pw="lowly-pw")
    assert done.returncode == 1, done.stdout
    assert "The login 'lowly'" in done.stderr and "may not create" in done.stderr
    assert "Traceback" not in done.stderr
    done = run(tmp_path / "a", secret_service, "server", "status")
    assert "works alone" in done.stdout
    with psycopg.connect(postgres.dsn(db), autocommit=True) as conn:
        assert conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ).fetchone() == (0,)
        conn.execute("DROP ROLE lowly")


def test_the_workstation_role_may_read_but_not_write_the_shared_tables(
    postgres, empty_db, tmp_path, secret_service
):
    from workstations import login

    from clinic_inbox.core.keys import KeyCustody
    from clinic_inbox.shared.server import init_server

    a = new_workstation(tmp_path / "a", secret_service.backend())
    done = init_server(
        a, login(a, "admin"), empty_db, KeyCustody(a.home, backend=secret_service.backend())
    )
    dbname = psycopg.conninfo.conninfo_to_dict(empty_db)["dbname"]
    with psycopg.connect(empty_db, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS ws_probe")
        conn.execute(
            f"CREATE ROLE ws_probe LOGIN PASSWORD 'probe-pw' IN ROLE {workstation_role(done.clinic_id)}"
        )
    probe = postgres.dsn(dbname, user="ws_probe", password="probe-pw")
    with psycopg.connect(probe, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM conversation_field").fetchone() == (0,)
        for stmt in (
            "UPDATE conversation_field SET value = 'done'",
            "DELETE FROM op_receipt",
            "INSERT INTO change_log (seq, kind, conv, ref, ws) VALUES "
            "(99, 'field', gen_random_uuid(), 'x', gen_random_uuid())",
            "UPDATE change_counter SET seq = 0",
            "SELECT next_change('field', gen_random_uuid(), 'x', gen_random_uuid())",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(stmt)
    with psycopg.connect(empty_db, autocommit=True) as conn:
        conn.execute("DROP OWNED BY ws_probe")
        conn.execute("DROP ROLE ws_probe")
