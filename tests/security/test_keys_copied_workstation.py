"""Issue 16: a copied store does not go on as the shared server's workstation it came from.

A workstation's server login and audit signing key live inside its store, so a backup
restored elsewhere, or a data folder copied to another folder or computer, used to
carry them: two computers sending changes (and signing audit heads) as one. As a
clinic's administrator would do it: `clinic-inbox` in its own processes, a real
keyring (gnome-keyring on a private D-Bus), a real PostgreSQL as the shared server.
The copy gives the identity up (audited, said in plain words at each sign-in, every
message kept) and can join the clinic again as a workstation of its own; the original
keeps working throughout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from support.clinic_details import INIT_DETAILS
from support.fast_kdf import child_pythonpath

from clinic_inbox.core import workstation_identity
from clinic_inbox.core.config import load_config
from clinic_inbox.core.ingest import Incoming, ingest
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Source
from clinic_inbox.core.staff_keys import open_signed_in
from clinic_inbox.core.store import queries as q
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.core.store import workstation_secret_queries as wsq
from clinic_inbox.core.triage import load_rules

REPO = Path(__file__).resolve().parents[2]
ADMIN, ADMIN_PW = "boss", "granite willow echo lantern"
ALLOW_SKIP = os.environ.get("CLINIC_INBOX_ALLOW_SKIP") == "1"


@pytest.fixture(scope="module")
def postgres():
    from support.postgres import PostgresServer, PostgresUnavailable

    try:
        server = PostgresServer().start()
    except PostgresUnavailable as exc:
        if ALLOW_SKIP:
            pytest.skip(str(exc))
        pytest.fail(str(exc))
    yield server
    server.stop("immediate")
    server.close()


def cli(keyring, home: Path, *args: str, server_pw: str | None = None, stdin: str | None = None):  # noqa: ANN001, ANN201
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS", "CLINIC_INBOX"))}
    env.update(keyring.env)
    env.pop("PYTHON_KEYRING_BACKEND", None)
    env.update({"CLINIC_INBOX_HOME": str(home), "CLINIC_INBOX_PASSWORD": ADMIN_PW})
    env["PYTHONPATH"] = child_pythonpath(REPO)
    if server_pw is not None:
        env["CLINIC_INBOX_SERVER_PASSWORD"] = server_pw
    who = [] if args[0] == "init" else ["--user", ADMIN]
    return subprocess.run(
        [sys.executable, "-m", "clinic_inbox", *who, *args],
        env=env,
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def ok(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def receive(home: Path, backend, n: int, tag: str) -> None:  # noqa: ANN001
    """n patient e-mails, as a mail sync files them."""
    clinic, _ = open_signed_in(home, ADMIN, ADMIN_PW, custody=KeyCustody(home, backend))
    with clinic:
        cfg, rules = load_config(home), load_rules(home)
        with clinic.store.transaction():
            acct = q.ensure_account(clinic.store, "Inbox", "imap", {})
            for i in range(n):
                ingest(
                    clinic.store,
                    cfg,
                    rules,
                    Incoming(
                        source=Source.EMAIL,
                        account_id=acct,
                        received_at=datetime.now(UTC),
                        sender_address=f"patient.{tag}{i}@example.org",
                        sender_name=f"Patient {tag}{i}",
                        subject=f"Repeat prescription {tag}{i}",
                        body_text=f"My tablets ran out. Ref {tag}{i}",
                        message_id=f"<{tag}{i}@example.org>",
                        imap_mailbox="INBOX",
                        imap_uidvalidity=1,
                        imap_uid=hash(tag) % 1000 * 100 + i + 1,
                    ),
                )


def joined_clinic(tmp_path: Path, keyring, postgres, db: str) -> tuple[Path, str, str, str]:  # noqa: ANN001
    """The original workstation: a clinic that prepared the shared server and put two
    conversations on it. Returns its folder, the server address, the clinic code and
    the workstation id the server knows it by."""
    from support.postgres import SUPERUSER

    home = tmp_path / "front-desk"
    ok(cli(keyring, home, "init", "--admin", ADMIN, *INIT_DETAILS))
    postgres.create_database(db)
    dsn = f"host={postgres.host} port={postgres.port} dbname={db} user={SUPERUSER}"
    said = ok(cli(keyring, home, "server", "init", "--dsn", dsn, server_pw=postgres.password))
    code = said.split("CLINIC CODE", 1)[1].splitlines()[1].strip()
    ws = said.split("This workstation: ", 1)[1].split()[0]
    receive(home, keyring.backend(), 2, "a")
    ok(cli(keyring, home, "server", "publish"))
    return home, dsn, code, ws


def on_server(postgres, db: str, sql: str) -> list[tuple]:  # noqa: ANN001
    with psycopg.connect(postgres.dsn(db, password=postgres.password)) as conn:
        return conn.execute(sql).fetchall()


def look_inside(home: Path, backend) -> dict:  # noqa: ANN001
    """What the copy's store holds, read with a signed-in administrator's keys."""
    clinic, session = open_signed_in(home, ADMIN, ADMIN_PW, custody=KeyCustody(home, backend))
    with clinic:
        s = clinic.store
        return {
            "notices": session.notices,
            "secrets": wsq.names(s),
            "linked": shq.linked_clinic(s),
            "workstation": shq.workstation_id(s),
            "messages": q.message_count(s),
            "retired": [
                (json.loads(r[0]), r[1])
                for r in s.execute(
                    "SELECT detail, actor FROM audit WHERE action = ?",
                    (workstation_identity.ACTION,),
                )
            ],
        }


def test_a_restored_backup_cannot_sync_as_the_original_and_joins_again(
    tmp_path, secret_service, postgres
):
    db = "restored_copy"
    original, dsn, code, ws = joined_clinic(tmp_path, secret_service, postgres, db)
    backup = tmp_path / "backups" / "monday.cib"
    ok(cli(secret_service, original, "backup", "--out", str(backup)))
    copy = tmp_path / "second-computer"
    said = ok(cli(secret_service, copy, "restore", str(backup)))
    assert "Restored 2 messages" in said

    # the copy refuses before it talks to the server, in plain words, and says what to do
    refused = cli(secret_service, copy, "server", "sync")
    assert refused.returncode != 0
    assert "Traceback" not in refused.stderr
    assert "was restored from a backup" in refused.stderr
    assert "no longer exchanges changes with the clinic's shared server" in refused.stderr
    assert "`clinic-inbox server join`" in refused.stderr

    said = ok(cli(secret_service, copy, "doctor"))
    assert "Shared-queue keys: none in the store (given up: this copy of the clinic" in said
    inside = look_inside(copy, secret_service.backend())
    assert inside["secrets"] == []  # the server login and the signing key are gone
    assert inside["linked"] is None and inside["workstation"] is None
    assert inside["messages"] == 2  # every message kept
    (retired,) = inside["retired"]  # audited once, by the restore
    assert (retired[0]["workstation"], retired[0]["why"]) == (ws, "restored")
    assert sorted(retired[0]["secrets_removed"]) == ["audit-sign", "shared"]
    assert retired[1] == "system"
    (notice,) = inside["notices"]  # said at every sign-in until it joins again
    assert notice.startswith("This computer's copy of the clinic was restored from a backup")

    # the original still works with the server, as itself
    receive(original, secret_service.backend(), 1, "b")
    ok(cli(secret_service, original, "server", "publish"))
    assert "Sent 0 changes" in ok(cli(secret_service, original, "server", "sync"))
    assert on_server(postgres, db, "SELECT DISTINCT ws::text FROM change_log") == [(ws,)]
    assert on_server(postgres, db, "SELECT count(*) FROM conversation") == [(3,)]

    # an administrator joins the copy again: a workstation of its own, which then syncs
    joined = ok(
        cli(
            secret_service,
            copy,
            "server",
            "connect",
            "--dsn",
            dsn,
            "--code-stdin",
            stdin=code + "\n",
            server_pw=postgres.password,
        )
    )
    new_ws = joined.split("(workstation ", 1)[1].split(")")[0]
    assert new_ws != ws
    pulled = ok(cli(secret_service, copy, "server", "sync"))
    assert "received" in pulled
    inside = look_inside(copy, secret_service.backend())
    assert inside["notices"] == () and inside["workstation"] == new_ws
    assert inside["messages"] == 3  # the original's new conversation came down
    receive(copy, secret_service.backend(), 1, "c")
    ok(cli(secret_service, copy, "server", "publish"))
    by_ws = on_server(
        postgres, db, "SELECT ws::text, count(*) FROM change_log GROUP BY ws ORDER BY 2 DESC"
    )
    assert {w for w, _ in by_ws} == {ws, new_ws}
    ok(cli(secret_service, original, "server", "sync"))  # and the original goes on


def test_a_data_folder_copied_elsewhere_gives_up_the_identity_at_its_first_sign_in(
    tmp_path, secret_service, postgres
):
    db = "copied_folder"
    original, _dsn, _code, ws = joined_clinic(tmp_path, secret_service, postgres, db)
    copy = tmp_path / "usb-stick" / "clinic"
    copy.parent.mkdir()
    shutil.copytree(original, copy)  # the whole folder, as someone with file access would

    refused = cli(secret_service, copy, "server", "sync")
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "is now used on another computer or in another data folder" in refused.stderr
    assert "`clinic-inbox server join`" in refused.stderr
    inside = look_inside(copy, secret_service.backend())
    assert inside["secrets"] == [] and inside["linked"] is None
    assert inside["messages"] == 2
    (retired,) = inside["retired"]
    assert (retired[0]["workstation"], retired[0]["why"]) == (ws, "opened_elsewhere")

    # the original, in its own folder, keeps its identity and syncs
    assert "Sent 0 changes" in ok(cli(secret_service, original, "server", "sync"))
    assert look_inside(original, secret_service.backend())["workstation"] == ws
    assert on_server(postgres, db, "SELECT DISTINCT ws::text FROM change_log") == [(ws,)]


def test_a_store_that_never_joined_a_server_is_left_alone(tmp_path, secret_service):
    """No link, no secrets: a restore says nothing about a shared server."""
    home = tmp_path / "alone"
    ok(cli(secret_service, home, "init", "--admin", ADMIN, *INIT_DETAILS))
    backup = tmp_path / "alone.cib"
    ok(cli(secret_service, home, "backup", "--out", str(backup)))
    copy = tmp_path / "alone-restored"
    ok(cli(secret_service, copy, "restore", str(backup)))
    synced = cli(secret_service, copy, "server", "sync")
    assert synced.returncode == 0 and "works alone" in synced.stdout
    inside = look_inside(copy, secret_service.backend())
    assert inside["retired"] == [] and inside["notices"] == ()


def test_restored_in_its_own_place_it_stays_the_same_workstation(
    tmp_path, secret_service, postgres
):
    """The computer lost its store (a dead disk, a damaged file) and is restored where
    it was: no other copy is left in that place, so it goes on as itself. The old
    folder, kept aside and opened again, is the copy that gives the identity up."""
    db = "restored_in_place"
    original, _dsn, _code, ws = joined_clinic(tmp_path, secret_service, postgres, db)
    backup = tmp_path / "backups" / "monday.cib"
    ok(cli(secret_service, original, "backup", "--out", str(backup)))
    aside = tmp_path / "old-disk"
    original.rename(aside)
    ok(cli(secret_service, original, "restore", str(backup)))

    assert "Sent 0 changes" in ok(cli(secret_service, original, "server", "sync"))
    inside = look_inside(original, secret_service.backend())
    assert inside["workstation"] == ws and inside["retired"] == [] and inside["notices"] == ()
    assert sorted(inside["secrets"]) == ["audit-sign", "shared"]

    refused = cli(secret_service, aside, "server", "sync")
    assert refused.returncode != 0
    assert "is now used on another computer or in another data folder" in refused.stderr
    assert look_inside(aside, secret_service.backend())["secrets"] == []
    assert "Sent 0 changes" in ok(cli(secret_service, original, "server", "sync"))


def test_the_same_folder_on_another_computer_is_another_place(tmp_path, monkeypatch):
    """A data folder carried to another computer at the same path (a USB disk mounted
    alike): the machine id tells them apart. A renamed computer is still itself."""
    from clinic_inbox.core import services, workstation_secrets
    from clinic_inbox.core.home import create_clinic

    home = tmp_path / "clinic"
    clinic, _ = create_clinic(
        home, lambda *_: "a passphrase for this test", KeyCustody(home, None, detect=False)
    )
    with clinic:
        services.create_first_admin(clinic, ADMIN, "The Boss", ADMIN_PW)
        with clinic.store.transaction():
            shq.link(clinic.store, "clinic-1", "ws-1", "server.lan:5432/clinic")
            workstation_secrets.put(clinic.store, clinic.audit_key, "audit-sign", "00" * 32)
        workstation_identity.remember_place(clinic)
        monkeypatch.setattr("socket.gethostname", lambda: "front-desk-renamed")
        if Path("/etc/machine-id").exists():
            assert not workstation_identity.check_place(clinic)  # renamed: the same computer
        monkeypatch.setattr(workstation_identity, "_machine", lambda: "another computer")
        assert workstation_identity.check_place(clinic)
        assert shq.workstation_id(clinic.store) is None and wsq.names(clinic.store) == []
        assert "is now used on another computer" in workstation_identity.retired_notice(
            clinic.store
        )
        assert not workstation_identity.check_place(clinic)  # once: nothing left to give up
