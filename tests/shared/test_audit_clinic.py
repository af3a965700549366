"""The clinic-wide audit trail on a real PostgreSQL: three workstations (each its own
data folder, keys in a real gnome-keyring) ship their chains; `verify_clinic` checks
them, and each way of tampering is reported at the right place."""

from __future__ import annotations

import hashlib
import json

import psycopg
import pytest
from workstations import login, new_workstation, receive

from clinic_inbox.core import services
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.store import queries as q
from clinic_inbox.shared import SharedQueueError, sync
from clinic_inbox.shared import server as srv
from clinic_inbox.shared.audit_clinic import (
    break_glass_review_clinic,
    clinic_entries,
    export_clinic_audit,
    verify_clinic,
    verify_clinic_audit,
)
from clinic_inbox.shared.audit_ship import ShippedRow, row_mac, ship, ship_key
from clinic_inbox.shared.audit_sign import SignedHead
from clinic_inbox.shared.schema import workstation_role

PATIENT = ("Quennell", "Zoë", "1961-04-02", "CH-88412")
REASON = "Zoë Quennell phoned in distress about her thyroxine, opening at once"


@pytest.fixture()
def keyring(secret_service):
    return secret_service.backend()


def _custody(clinic, keyring):
    return KeyCustody(clinic.home, backend=keyring)


def _link(clinic, keyring):
    return srv.open_link(clinic, _custody(clinic, keyring))


class Clinic3:
    """Three workstations on one server; A received the mail, all three looked at it."""

    def __init__(self, tmp_path, keyring, dsn):
        self.keyring, self.dsn = keyring, dsn
        self.ws = {n: new_workstation(tmp_path / n, keyring) for n in "abc"}
        a = self.ws["a"]
        init = srv.init_server(a, login(a, "admin"), dsn, _custody(a, keyring))
        for n in "bc":
            srv.connect_workstation(
                self.ws[n],
                login(self.ws[n], "admin"),
                dsn,
                init.clinic_code,
                _custody(self.ws[n], keyring),
            )
        self.links = {n: _link(w, keyring) for n, w in self.ws.items()}
        self.patient = {}
        for n, w in self.ws.items():
            doc = q.staff_login_row(w.store, "dr.patel")[0].id
            with w.store.transaction():
                self.patient[n] = q.add_patient(w.store, *PATIENT, responsible_physician_id=doc)
        (t,) = receive(a, 1)
        conv = sync.publish_conversation(a, self.links["a"], t, None)
        self.thread = {"a": t}
        for n in "bc":
            sync.pull(self.ws[n], self.links[n])
            self.thread[n] = self.ws[n].store.one("SELECT id FROM threads WHERE uuid = ?", (conv,))
        self.conv = conv
        for n, w in self.ws.items():
            reception = login(w, "reception.moreau")
            services.link_patient(w, reception, self.thread[n], self.patient[n])
            services.show_thread(w, login(w, "dr.patel"), self.thread[n])

    def ship_all(self):
        return {n: ship(w, self.links[n], _custody(w, self.keyring)) for n, w in self.ws.items()}

    def chain(self, n):
        return self.links[n].workstation_id

    def operator(self):
        """The server's operator: the superuser, with the append-only triggers off."""
        conn = psycopg.connect(self.dsn, autocommit=True)
        conn.execute("SET session_replication_role = replica")
        return conn

    def verify(self, n="b"):
        return verify_clinic(self.ws[n], self.links[n])

    def close(self):
        for link in self.links.values():
            link.conn.close()
        for w in self.ws.values():
            w.close()


@pytest.fixture()
def three(tmp_path, keyring, empty_db):
    c = Clinic3(tmp_path, keyring, empty_db)
    yield c
    c.close()


def test_three_chains_ship_verify_and_export_covers_every_workstation(three):
    shipped = three.ship_all()
    assert all(r.sent > 5 for r in shipped.values())
    # nothing new: a second shipment sends nothing and the chain stays whole
    assert three.ship_all()["a"].sent == 0
    report = three.verify("c")
    assert report.ok, report.describe()
    assert report.chains == 3
    assert report.entries == sum(r.on_server for r in shipped.values())
    assert report.anchors == report.entries
    # the patient's trail, read on C, names views made on A, B and C
    rows = clinic_entries(three.ws["c"], three.links["c"], patient_id=three.patient["c"])
    views = [r for r in rows if r.action == "thread.view"]
    assert len({r.workstation for r in views}) == 3, rows
    assert {r.actor for r in views} == {"dr.patel"}
    assert all(r.patient_id == three.patient["c"] for r in rows)
    assert all(r.conversation == three.conv for r in views)
    assert all(r.thread_id == three.thread["c"] for r in views)
    # every local entry is on the server, in order, for each workstation
    for n, w in three.ws.items():
        count = w.store.one("SELECT count(*) FROM audit")
        assert shipped[n].on_server + 1 >= count  # + the anchor entries written after


def test_the_service_checks_access_records_itself_and_exports_break_glass(three):
    b = three.ws["b"]
    nurse = login(b, "nurse.chen")
    services.break_glass(b, nurse, three.thread["b"], REASON, "kettle orbit maple frost")
    with pytest.raises(services.AccessDenied):
        verify_clinic_audit(
            b, login(b, "reception.moreau"), three.links["b"], _custody(b, three.keyring)
        )
    report = verify_clinic_audit(b, login(b, "admin"), three.links["b"], _custody(b, three.keyring))
    assert report.ok, report.describe()
    a = three.ws["a"]
    rows = export_clinic_audit(
        a,
        login(a, "admin"),
        three.links["a"],
        patient_id=three.patient["a"],
        custody=_custody(a, three.keyring),
    )
    glass = [r for r in rows if r.action == "break_glass"]
    assert [(g.actor, g.reason) for g in glass] == [("nurse.chen", REASON)]
    assert glass[0].thread_id == three.thread["a"]  # B's conversation, by A's own number
    # the break-glass review is clinic-wide: Dr Patel on C sees the opening made on B
    c = three.ws["c"]
    with pytest.raises(services.AccessDenied):
        break_glass_review_clinic(c, login(c, "reception.moreau"), three.links["c"])
    review = break_glass_review_clinic(
        c, login(c, "dr.patel"), three.links["c"], _custody(c, three.keyring)
    )
    assert [(g.actor, g.reason, g.thread_id) for g in review] == [
        ("nurse.chen", REASON, three.thread["c"])
    ]
    assert q.get_meta(a.store, "audit_head") is not None
    last = a.store.execute("SELECT action, detail FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    assert last[0] == "audit.export" and json.loads(last[1])["clinic"] is True


def test_the_server_holds_no_patient_data_from_the_trail(three, postgres, empty_db):
    b = three.ws["b"]
    services.break_glass(
        b, login(b, "nurse.chen"), three.thread["b"], REASON, "kettle orbit maple frost"
    )
    services.list_messages(
        b, login(b, "dr.patel"), q.MessageFilter(search="thyroxine levothyroxine")
    )
    three.ship_all()
    dbname = psycopg.conninfo.conninfo_to_dict(empty_db)["dbname"]
    dump = postgres.pg_dump(dbname)
    assert b"COPY public.audit_entry" in dump
    secrets = [
        b"Quennell",
        "Zoë".encode(),
        b"CH-88412",
        b"1961-04-02",
        b"thyroxine",
        b"levothyroxine",
        b"distress",
        b"dr.patel",
        b"nurse.chen",
        b"zoe.quennell",
    ]
    for s in secrets:
        assert s not in dump, s
    postgres.checkpoint()
    for path in postgres.data.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for s in secrets:
                assert s not in data, (s, path)


def test_workstation_roles_cannot_change_or_delete_rows_and_links_are_checked(
    three, postgres, empty_db
):
    three.ship_all()
    role = workstation_role(three.links["a"].keys.clinic_id)
    dbname = psycopg.conninfo.conninfo_to_dict(empty_db)["dbname"]
    with psycopg.connect(empty_db, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE ci_ws_audittest LOGIN PASSWORD 'pw-audit-test' IN ROLE {role}")
    ws_dsn = postgres.dsn(dbname, user="ci_ws_audittest", password="pw-audit-test")
    chain = three.chain("a")
    for sql in (
        "UPDATE audit_entry SET action = 'x' WHERE chain = %s",
        "DELETE FROM audit_entry WHERE chain = %s",
        "DELETE FROM audit_head WHERE chain = %s",
        "UPDATE audit_signer SET name = 'x' WHERE ws = %s",
        "INSERT INTO audit_head SELECT * FROM audit_head WHERE chain = %s",
    ):
        with psycopg.connect(ws_dsn, autocommit=True) as conn:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql, (chain,))
    # even the owner meets the append-only trigger unless it switches it off
    with psycopg.connect(empty_db, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM audit_entry WHERE chain = %s", (chain,))
        last = conn.execute(
            "SELECT seq, mac FROM audit_entry WHERE chain = %s ORDER BY seq DESC LIMIT 1", (chain,)
        ).fetchone()
    # a login that is not A's may not append to A's chain at all (server schema 16)
    with psycopg.connect(ws_dsn, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="may not act as"):
            conn.execute(
                "SELECT * FROM audit_append(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                (chain, 0, last[0] + 1, "2026-01-01T00:00:00+00:00", "x", "a")
                + (None, None, None, b"x", last[1], "e" * 64),
            )
    # and through A's own login, the server refuses an entry that does not link to the
    # one before, or skips one
    with psycopg.connect(three.links["a"].dsn, autocommit=True) as conn:
        args = (
            chain,
            0,
            last[0] + 1,
            "2026-01-01T00:00:00+00:00",
            "x",
            "a",
            None,
            None,
            None,
            b"x",
            "f" * 64,
            "e" * 64,
        )
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("SELECT * FROM audit_append(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)", args)
        args = (
            chain,
            0,
            last[0] + 2,
            "2026-01-01T00:00:00+00:00",
            "x",
            "a",
            None,
            None,
            None,
            b"x",
            last[1],
            "e" * 64,
        )
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("SELECT * FROM audit_append(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)", args)


def _entry_count(three, n):
    with psycopg.connect(three.dsn) as conn:
        return conn.execute(
            "SELECT max(seq) FROM audit_entry WHERE chain = %s", (three.chain(n),)
        ).fetchone()[0]


def test_one_shipped_row_changed_is_named(three):
    three.ship_all()
    with three.operator() as op:
        op.execute(
            "UPDATE audit_entry SET action = 'search' WHERE chain = %s AND seq = 4",
            (three.chain("a"),),
        )
    report = three.verify("b")
    first = report.first_broken(three.chain("a"))
    assert (first.kind, first.seq) == ("altered", 4), report.describe()
    assert "entry 4" in first.text and "changed on the server" in first.text
    assert report.first_broken(three.chain("c")) is None


def test_one_shipped_row_deleted_is_named(three):
    three.ship_all()
    with three.operator() as op:
        arrival = op.execute(
            "DELETE FROM audit_entry WHERE chain = %s AND seq = 3 RETURNING arrival",
            (three.chain("c"),),
        ).fetchone()[0]
    report = three.verify("a")
    first = report.first_broken(three.chain("c"))
    assert (first.kind, first.seq) == ("missing", 3), report.describe()
    gap = [p for p in report.problems if p.kind == "anchor-gap"]
    assert gap and gap[0].arrival == arrival


def test_two_rows_reordered_by_the_operator_are_named(three):
    three.ship_all()
    with three.operator() as op:
        rows = op.execute(
            "SELECT arrival FROM audit_entry ORDER BY arrival LIMIT 2 OFFSET 5"
        ).fetchall()
        x, y = rows[0][0], rows[1][0]
        op.execute("UPDATE audit_entry SET arrival = -1 WHERE arrival = %s", (x,))
        op.execute("UPDATE audit_entry SET arrival = %s WHERE arrival = %s", (x, y))
        op.execute("UPDATE audit_entry SET arrival = %s WHERE arrival = -1", (y,))
    report = three.verify("a")
    anchor = [p for p in report.problems if p.kind == "anchor"]
    assert anchor and anchor[0].arrival == x, report.describe()
    assert f"position {x}" in anchor[0].text


def test_reordering_and_recomputing_the_whole_anchor_chain_is_caught_by_signed_heads(three):
    three.ship_all()
    with three.operator() as op:
        rows = op.execute(
            "SELECT chain::text, epoch, seq, mac, arrival FROM audit_entry ORDER BY arrival"
        ).fetchall()
        rows[1], rows[2] = rows[2], rows[1]  # A's second and third arrivals swapped
        prev = "0" * 64
        op.execute("UPDATE audit_entry SET arrival = -arrival")
        for i, (chain, epoch, seq, mac, _) in enumerate(rows, start=1):
            prev = hashlib.sha256(f"{prev}|{chain}|{epoch}|{seq}|{mac}".encode()).hexdigest()
            op.execute(
                "UPDATE audit_entry SET arrival = %s, anchor = %s WHERE chain = %s AND seq = %s",
                (i, prev, chain, seq),
            )
        op.execute("UPDATE audit_anchor_head SET hash = %s", (prev,))
    report = three.verify("b")
    assert not report.ok
    # the recomputed chain is self-consistent, but not what the workstations signed
    assert {p.kind for p in report.problems} == {"anchor"}, report.describe()
    assert any("signed" in p.text for p in report.problems)


def test_a_truncated_workstation_chain_is_named(three):
    three.ship_all()
    n_a = _entry_count(three, "a")
    # A writes more and ships it, then the operator cuts A's last three entries
    a = three.ws["a"]
    for _ in range(3):
        services.show_thread(a, login(a, "nurse.chen"), three.thread["a"])
    ship(a, three.links["a"], _custody(a, three.keyring))
    total = _entry_count(three, "a")
    with three.operator() as op:
        op.execute(
            "DELETE FROM audit_entry WHERE chain = %s AND seq > %s", (three.chain("a"), total - 3)
        )
    report = three.verify("b")
    first = report.first_broken(three.chain("a"))
    assert first.kind == "truncated" and first.seq == total - 2, report.describe()
    assert n_a < total - 2
    # also with A's signed heads removed: A itself knows what it sent, B the anchor it saw
    with three.operator() as op:
        op.execute(
            "DELETE FROM audit_head WHERE chain = %s AND seq > %s", (three.chain("a"), total - 3)
        )
        op.execute(
            "UPDATE audit_anchor_head SET pos = (SELECT max(arrival) FROM audit_entry), "
            "hash = (SELECT anchor FROM audit_entry ORDER BY arrival DESC LIMIT 1)"
        )
    from_a = three.verify("a")
    assert any(p.kind == "truncated" and p.chain == three.chain("a") for p in from_a.problems), (
        from_a.describe()
    )


def test_one_workstation_forging_anothers_history_is_named(three):
    """B holds the clinic keys (so it can make valid MACs) but not A's signing key."""
    three.ship_all()
    b_link, chain_a = three.links["b"], three.chain("a")
    key = ship_key(b_link.keys)
    with b_link.conn.transaction():
        seq, mac = b_link.conn.execute(
            "SELECT seq, mac FROM audit_entry WHERE chain = %s ORDER BY seq DESC LIMIT 1",
            (chain_a,),
        ).fetchone()
    from clinic_inbox.shared.audit_ship import sealed_place
    from clinic_inbox.shared.seal import seal

    sealed = seal(
        b_link.keys, "audit_entry", sealed_place(chain_a, 0, seq + 1), "details", 1, b"{}"
    )
    row = ShippedRow(
        chain_a,
        0,
        seq + 1,
        "2026-12-01T10:00:00+00:00",
        "audit.verify",
        "x",
        None,
        None,
        None,
        sealed,
        mac,
    )
    row = ShippedRow(**{**row.__dict__, "mac": row_mac(key, row)})
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    with b_link.conn.transaction():
        arrival, anchor = b_link.conn.execute(
            "SELECT arrival, anchor FROM audit_append(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
            (
                row.chain,
                row.epoch,
                row.seq,
                row.at,
                row.action,
                row.actor,
                None,
                None,
                None,
                row.sealed,
                row.prev_mac,
                row.mac,
            ),
        ).fetchone()
        head = SignedHead(
            chain_a, 0, row.seq, row.mac, arrival, anchor, "2026-12-01T10:00:00+00:00"
        )
        head = head.signed(Ed25519PrivateKey.generate(), b_link.keys.clinic_id)
        b_link.conn.execute(
            "SELECT audit_sign_head(%s,%s,%s,%s,%s,%s,%s,%s)",
            (
                head.chain,
                head.epoch,
                head.seq,
                head.mac,
                head.anchor_pos,
                head.anchor_hash,
                head.signed_at,
                head.signature,
            ),
        )
    # a second key cannot be registered for A either
    with b_link.conn.transaction():
        same = b_link.conn.execute(
            "SELECT audit_register_signer(%s, 'B pretending', %s)", (chain_a, b"\x01" * 32)
        ).fetchone()[0]
    assert same is False
    report = three.verify("c")
    kinds = {(p.kind, p.seq) for p in report.problems if p.chain == chain_a}
    assert ("forged-head", seq + 1) in kinds, report.describe()
    assert ("unsigned", seq + 1) in kinds
    # A notices the entry in its name at its next shipment, and sends nothing on top of it
    a = three.ws["a"]
    services.show_thread(a, login(a, "dr.patel"), three.thread["a"])
    with pytest.raises(SharedQueueError, match=f"entry {seq + 1}.*did not write"):
        ship(a, three.links["a"], _custody(a, three.keyring))
    # the entries themselves link and check: only the signature tells
    assert not any(p.kind in ("altered", "link", "missing") for p in report.problems)


def test_a_server_prepared_before_the_audit_step_gets_it_added(
    tmp_path, keyring, empty_db, monkeypatch
):
    from clinic_inbox.shared import audit_schema, cli_audit

    a = new_workstation(tmp_path / "old", keyring)
    with monkeypatch.context() as m:  # the older app had no audit step
        m.setattr(audit_schema, "install", lambda *args: False)
        srv.init_server(a, login(a, "admin"), empty_db, _custody(a, keyring))
    link = _link(a, keyring)
    try:
        with pytest.raises(SharedQueueError, match="no clinic-wide audit yet"):
            ship(a, link, _custody(a, keyring))
        with pytest.raises(services.AccessDenied):
            cli_audit.enable_on_server(a, login(a, "dr.patel"), empty_db)
        said = cli_audit.enable_on_server(a, login(a, "admin"), empty_db)
        assert "now keeps the clinic-wide audit" in said
        assert "already" in cli_audit.enable_on_server(a, login(a, "admin"), empty_db)
        assert ship(a, link, _custody(a, keyring)).sent > 3
        report = verify_clinic(a, link)
        assert report.ok, report.describe()
    finally:
        link.conn.close()
        a.close()


def test_shipping_is_exactly_once_across_a_lost_connection(three, postgres):
    three.ship_all()
    a = three.ws["a"]
    for _ in range(4):
        services.show_thread(a, login(a, "dr.patel"), three.thread["a"])
    three.links["a"].conn.close()  # the link drops before the next shipment
    with pytest.raises(Exception):  # noqa: B017 - the closed connection, whatever psycopg calls it
        ship(a, three.links["a"], _custody(a, three.keyring))
    three.links["a"] = _link(a, three.keyring)
    got = ship(a, three.links["a"], _custody(a, three.keyring))
    assert got.sent >= 4
    report = three.verify("a")
    assert report.ok, report.describe()


def test_a_restored_workstation_ships_a_new_epoch_beside_the_old_history(three, tmp_path):
    """A restore from backup starts a new epoch of the local trail (core.backup): it is
    shipped as a chain of its own from its first entry, and the entries written after
    the backup stay on the server in the old epoch's chain."""
    from workstations import ADMIN_PASSWORD, reopen

    from clinic_inbox.core.backup import restore_backup, write_backup

    three.ship_all()
    a, home = three.ws["a"], three.ws["a"].home
    backup = tmp_path / "a-backup.db"
    write_backup(a, backup)
    for _ in range(3):  # after the backup: on the server, then lost with the disk
        services.show_thread(a, login(a, "nurse.chen"), three.thread["a"])
    before = ship(a, three.links["a"], _custody(a, three.keyring)).on_server
    three.links["a"].conn.close()
    a.close()
    home.rename(tmp_path / "lost-disk")
    # the key is released by an administrator's password (key slots, core.staff_keys)
    check = services.restore_sign_in(
        "admin", ADMIN_PASSWORD, backup_name=backup.name, replaced_damaged=False
    )
    restore_backup(backup, home, lambda *_: "", custody=_custody(a, three.keyring), authorize=check)
    a = three.ws["a"] = reopen(home, three.keyring)
    three.links["a"] = _link(a, three.keyring)
    services.show_thread(a, login(a, "dr.patel"), three.thread["a"])
    got = ship(a, three.links["a"], _custody(a, three.keyring))
    with psycopg.connect(three.dsn) as conn:
        epochs = dict(
            conn.execute(
                "SELECT epoch, max(seq) FROM audit_entry WHERE chain = %s GROUP BY epoch",
                (three.chain("a"),),
            ).fetchall()
        )
    assert epochs[0] == before and epochs[1] == got.on_server
    for n in "ab":
        report = three.verify(n)
        assert report.ok, report.describe()
        assert report.chains == 4
