"""The audit anchored off the workstation, in a folder of the clinic's own IMAP
account: real Dovecot, the real Secret Service (gnome-keyring), real SQLCipher.

The thorough insider puts an older clinic.db back AND wipes the counter kept on
this computer (the state file and the keyring entry): the anchors on the mail
server still name the rollback."""

from __future__ import annotations

import email
import imaplib
import shutil

import pytest
from support.insider_cli import ADMIN, ADMIN_PASSWORD, run

from clinic_inbox.core import services
from clinic_inbox.core.accounts import ImapAccount
from clinic_inbox.core.audit_anchor import AnchorRecord, place_of
from clinic_inbox.core.audit_check import full_check
from clinic_inbox.core.audit_witness import state_folder
from clinic_inbox.core.home import create_clinic, open_clinic
from clinic_inbox.core.keys import SERVICE, KeyCustody
from clinic_inbox.core.model import Category, Direction, Priority, Source
from clinic_inbox.core.staff_keys import release
from clinic_inbox.core.store import queries as q
from clinic_inbox.sources.audit_anchor_imap import (
    FOLDER,
    HEADER,
    configured_sinks,
    publish_anchor,
)

MAILBOX, MAIL_PW = "inbox@clinic.test", "imap account secret"


def _never(prompt: str, confirm: bool) -> str:
    raise AssertionError("a keyring clinic never asks for a passphrase")


@pytest.fixture()
def dovecot():
    from support.dovecot import DovecotServer, DovecotUnavailable

    try:
        server = DovecotServer().start()
    except DovecotUnavailable as exc:
        pytest.fail(str(exc))
    server.add_user(MAILBOX, MAIL_PW)
    yield server
    server.close()


def _folder(dovecot) -> list[bytes]:
    conn = imaplib.IMAP4(dovecot.host, dovecot.port)
    conn.login(MAILBOX, MAIL_PW)
    try:
        typ, _ = conn.select(f'"{FOLDER}"', readonly=True)
        if typ != "OK":
            return []
        _, data = conn.search(None, "ALL")
        out = []
        for num in data[0].split():
            _, msg = conn.fetch(num, "(BODY.PEEK[])")
            out.append(msg[0][1])
        return out
    finally:
        conn.logout()


def _open(home, backend):
    # the key is released by an administrator's password (key slots), not by the keyring
    # alone; opened without a sign-in entry, so the check sees the store as it was left
    custody = KeyCustody(home, backend=backend)
    found = release(home, custody, ADMIN, ADMIN_PASSWORD)
    return open_clinic(home, _never, custody, found=found)


def _busy(clinic, times: int) -> None:
    for _ in range(times):
        s = services.login(clinic, ADMIN, ADMIN_PASSWORD)
        services.logout(clinic, s)


def test_imap_anchors_name_a_rollback_after_the_local_counter_is_wiped(
    tmp_path, secret_service, dovecot
):
    home = tmp_path / "clinic"
    backend = secret_service.backend()
    clinic, _ = create_clinic(home, _never, KeyCustody(home, backend=backend))
    services.create_first_admin(clinic, ADMIN, "Boss", ADMIN_PASSWORD)
    admin = services.login(clinic, ADMIN, ADMIN_PASSWORD)
    services.add_imap_account(
        clinic,
        admin,
        ImapAccount(
            name="Clinic",
            host=dovecot.host,
            port=dovecot.port,
            username=MAILBOX,
            security="none",
            smtp_host="127.0.0.1",
            smtp_security="none",
        ),
        MAIL_PW,
    )
    with clinic.store.transaction():
        pid = q.add_patient(clinic.store, "Lefèvre", "Zoë", "1984-02-29", "RFH-1")
        tid = q.create_thread(
            clinic.store,
            q.NewThread("Refill", Category.REFILL, Priority.ROUTINE, q.utcnow(), pid),
        )
        q.insert_message(
            clinic.store,
            q.NewMessage(
                tid, Source.EMAIL, Direction.INBOUND, q.utcnow(), sender="zoe@example.org",
                subject="Refill metformin", body_text="Please renew my metformin", patient_id=pid,
            ),
        )  # fmt: skip
    services.show_thread(clinic, admin, tid)  # an audited view naming the patient's id
    assert publish_anchor(clinic) == []
    assert publish_anchor(clinic) == []  # the same head is not sent twice
    clinic.store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy2(home / "clinic.db", tmp_path / "old.db")
    _busy(clinic, 3)
    assert publish_anchor(clinic) == []
    sinks, why = configured_sinks(clinic)
    assert why is None and "Clinic Inbox Audit" in sinks[0].description
    honest = full_check(clinic, sinks)
    assert honest.ok, honest.describe()
    assert "2 anchor(s), all in this history" in honest.describe()
    store_id, place = clinic.custody.store_id, place_of(home)
    clinic.close()

    # anchors carry no patient data, only the head of the chain
    kept = _folder(dovecot)
    assert len(kept) == 2
    for raw in kept:
        assert b"Lef" not in raw and b"metformin" not in raw and b"Zo" not in raw
        body = email.message_from_bytes(raw).get_payload(decode=True).decode()
        assert "contains no patient information" in body
        rec = AnchorRecord.from_json(body.strip().splitlines()[-1])
        assert rec.store_id == store_id and rec.place == place

    # the thorough insider: older store back, both local copies of the counter gone
    for name in ("clinic.db-wal", "clinic.db-shm"):
        (home / name).unlink(missing_ok=True)
    shutil.copy2(tmp_path / "old.db", home / "clinic.db")
    for f in state_folder().glob(f"audit-{store_id}-*.json"):
        f.unlink()
    backend.delete_password(SERVICE, f"{store_id}:audit-counter:{place}")

    with _open(home, secret_service.backend()) as clinic:
        sinks, _ = configured_sinks(clinic)
        report = full_check(clinic, sinks)
    text = report.describe()
    assert not report.ok and "older" in report.kinds
    assert "mail server 127.0.0.1" in text and "this store is OLDER" in text
    assert "nothing kept yet" in text  # the wiped counter is said, not hidden

    # the same through the command an administrator runs
    done = run(
        home, "--user", ADMIN, "audit", "verify", keyring_env=secret_service.env, timeout=120
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "this store is OLDER" in done.stdout and "mail server" in done.stdout


def test_a_forged_anchor_on_the_server_is_named(tmp_path, secret_service, dovecot):
    home = tmp_path / "clinic"
    backend = secret_service.backend()
    clinic, _ = create_clinic(home, _never, KeyCustody(home, backend=backend))
    services.create_first_admin(clinic, ADMIN, "Boss", ADMIN_PASSWORD)
    admin = services.login(clinic, ADMIN, ADMIN_PASSWORD)
    services.add_imap_account(
        clinic,
        admin,
        ImapAccount(
            name="Clinic",
            host=dovecot.host,
            port=dovecot.port,
            username=MAILBOX,
            security="none",
            smtp_host="127.0.0.1",
            smtp_security="none",
        ),
        MAIL_PW,
    )
    assert publish_anchor(clinic) == []
    real = AnchorRecord.from_json(
        email.message_from_bytes(_folder(dovecot)[0])
        .get_payload(decode=True)
        .decode()
        .split("\n")[-2]
    )
    fake = AnchorRecord(real.store_id, real.place, 0, 1, "0" * 64, real.at, "f" * 64)
    raw = (
        f"From: x@clinic.test\r\nSubject: anchor\r\n{HEADER}: {real.store_id}\r\n\r\n"
        f"{fake.to_json()}\r\n"
    ).encode()
    conn = imaplib.IMAP4(dovecot.host, dovecot.port)
    conn.login(MAILBOX, MAIL_PW)
    conn.append(f'"{FOLDER}"', None, None, raw)
    conn.logout()
    sinks, _ = configured_sinks(clinic)
    report = full_check(clinic, sinks)
    assert not report.ok and "forged" in report.kinds
    assert "fails its authentication check" in report.describe()
    clinic.close()


def test_a_restore_is_anchored_on_the_server_at_once_as_a_new_epoch(
    tmp_path, secret_service, dovecot
):
    home = tmp_path / "clinic"
    backend = secret_service.backend()
    clinic, _ = create_clinic(home, _never, KeyCustody(home, backend=backend))
    services.create_first_admin(clinic, ADMIN, "Boss", ADMIN_PASSWORD)
    admin = services.login(clinic, ADMIN, ADMIN_PASSWORD)
    services.add_imap_account(
        clinic,
        admin,
        ImapAccount(
            name="Clinic",
            host=dovecot.host,
            port=dovecot.port,
            username=MAILBOX,
            security="none",
            smtp_host="127.0.0.1",
            smtp_security="none",
        ),
        MAIL_PW,
    )
    clinic.close()
    env = secret_service.env
    backup = tmp_path / "b.db"
    done = run(home, "--user", ADMIN, "backup", "--out", str(backup), keyring_env=env)
    assert done.returncode == 0, done.stderr
    _busy_cli = run(home, "--user", ADMIN, "user", "list", keyring_env=env)
    assert _busy_cli.returncode == 0, _busy_cli.stderr
    before = len(_folder(dovecot))
    with _open(home, backend) as clinic:
        clinic.store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray((home / "clinic.db").read_bytes())  # damaged: what the option is for
    data[2 * 4096 + 100 : 2 * 4096 + 164] = bytes(64)
    (home / "clinic.db").write_bytes(bytes(data))
    restored = run(
        home, "--user", ADMIN, "restore", str(backup), "--replace-damaged", keyring_env=env
    )
    assert restored.returncode == 0, restored.stderr
    anchors = [
        AnchorRecord.from_json(
            email.message_from_bytes(raw).get_payload(decode=True).decode().split("\n")[-2]
        )
        for raw in _folder(dovecot)
    ]
    assert len(anchors) == before + 1 and max(a.epoch for a in anchors) == 1
    verified = run(home, "--user", ADMIN, "audit", "verify", keyring_env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "Restore recorded" in verified.stdout and "all in this history" in verified.stdout


def test_the_keyring_copy_of_the_counter_names_a_rollback_when_the_file_is_wiped(
    tmp_path, secret_service
):
    home = tmp_path / "clinic"
    clinic, _ = create_clinic(home, _never, KeyCustody(home, backend=secret_service.backend()))
    services.create_first_admin(clinic, ADMIN, "Boss", ADMIN_PASSWORD)
    _busy(clinic, 1)
    clinic.store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy2(home / "clinic.db", tmp_path / "old.db")
    _busy(clinic, 3)
    store_id = clinic.custody.store_id
    clinic.close()  # the keyring copy is brought up to date at close
    for name in ("clinic.db-wal", "clinic.db-shm"):
        (home / name).unlink(missing_ok=True)
    shutil.copy2(tmp_path / "old.db", home / "clinic.db")
    for f in state_folder().glob(f"audit-{store_id}-*.json"):
        f.unlink()
    with _open(home, secret_service.backend()) as clinic:
        report = full_check(clinic, [], "no mail account in this test")
    text = report.describe()
    assert not report.ok and "older" in report.kinds
    assert "The counter in the keyring: this store is OLDER" in text
    assert "The counter file" in text and "nothing kept yet" in text
