"""A break-glass opening marked reviewed on one workstation is reviewed on every one.

The three workstations of test_break_glass_review_clinic (Front desk, Office 2, Nurse
room; Nurse Chen's openings on each) on a real PostgreSQL, the clinic's staff on the
server, the app offscreen:

- the administrator marks an opening in the front desk's Break-glass review tab; Office
  2's live sync pulls the mark and its open tab shows "reviewed by Admin on … (Front
  desk)" after a Refresh, and the opening Office 2 made itself shows reviewed there
  even with the server away;
- a nurse or a receptionist marks nothing by any path (the dialog, the service
  functions, the app's actions, the command with and without --workstation, a call to
  the server function in their name); a physician marks her own patients' openings
  only, on any workstation, from the command line;
- with the front desk cut off, an opening made there is marked at once and waits (the
  tab says so), one made elsewhere is refused in plain words; healed, the mark goes
  and reaches Office 2;
- the server's record is append-only, holds no reason, name or patient (pg_dump), and a
  mark changed on the server is refused by the workstation that pulls it.
"""

from __future__ import annotations

import json

import psycopg
import pytest
from test_break_glass_review_clinic import MARC_REASON, REASONS, _rows, glass  # noqa: F401
from workstations import login, staff_cli

from clinic_inbox.core import app_actions, services
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.store import break_glass_mark_queries as bq
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import ServerUnreachable, audit_app, break_glass_clinic, sync
from clinic_inbox.shared import server as srv
from clinic_inbox.shared.glass_review_op import opening_ref
from clinic_inbox.shared.replica import staff_ref
from clinic_inbox.shared.seal import TamperedError


def _staff_on_server(g) -> None:  # noqa: ANN001
    """The front desk publishes the clinic's staff; the others take them on."""
    sync.push(g.ws["front-desk"], g.links["front-desk"])
    for n in ("office-2", "nurse-room"):
        sync.pull(g.ws[n], g.links[n])


def _server(dsn: str, sql: str, args: tuple = ()) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql, args).fetchall()


def _ws(g, name: str) -> str:  # noqa: ANN001
    return shq.workstation_id(g.ws[name].store)


def _opening(g, where: str, reason: str) -> int:  # noqa: ANN001
    return g.ws[where].store.one("SELECT id FROM break_glass WHERE reason = ?", (reason,))


def test_a_mark_made_in_the_front_desks_tab_reaches_office_2s_tab(
    qtbot,
    glass,  # noqa: F811
    secret_service,
    empty_db,
):
    from clinic_inbox.shared.live import LiveSync
    from clinic_inbox.ui.actions import InlineRunner
    from clinic_inbox.ui.admin import AdminDialog

    _staff_on_server(glass)
    front, office = glass.ws["front-desk"], glass.ws["office-2"]
    with secret_service.activated():
        there = AdminDialog(office, login(office, "admin"), runner=InlineRunner(office))
        qtbot.addWidget(there)
        before = {r[5]: r for r in _rows(there)}
        assert before[REASONS["front-desk"]][8] == "not yet"
        live = LiveSync(office, app="office-live").start()
        try:
            here = AdminDialog(front, login(front, "admin"), runner=InlineRunner(front))
            qtbot.addWidget(here)
            rows = _rows(here)
            for reason in (REASONS["front-desk"], REASONS["office-2"]):
                here.glass_table.selectRow([r[5] for r in rows].index(reason))
                here.glass_mark.click()
                assert "marked reviewed." in here.message.text(), here.message.text()
                rows = _rows(here)
            marks = _server(empty_db, "SELECT ws::text FROM break_glass_review")
            assert marks == [(_ws(glass, "front-desk"),)] * 2  # in the front desk's name
            # Office 2's live sync pulls both marks
            qtbot.waitUntil(lambda: len(bq.first_marks(office.store)) == 2, timeout=10_000)
        finally:
            live.stop()
        there.glass_refresh.click()
        after = {r[5]: r for r in _rows(there)}
        for reason in (REASONS["front-desk"], REASONS["office-2"]):
            said = after[reason][8]
            assert said.startswith("reviewed by Admin on ") and said.endswith("(Front desk)"), said
        assert after[REASONS["nurse-room"]][8] == "not yet"
        # nothing left to mark on those two rows: the button stays off
        there.glass_table.selectRow([r[5] for r in _rows(there)].index(REASONS["front-desk"]))
        assert not there.glass_mark.isEnabled()
    # the opening Office 2 made is reviewed on Office 2 itself, server or not
    own = break_glass_clinic.this_computer(office, login(office, "admin"))
    mine = next(o for o in own if o.reason == REASONS["office-2"])
    assert (mine.reviewed_by, mine.reviewed_on, mine.reviewed_here) == (
        "Admin",
        "Front desk",
        False,
    )
    local = services.break_glass_review(office, login(office, "admin"))
    assert {r[4]: r[8] for r in local}[REASONS["office-2"]] == "Admin"
    # marking it again, anywhere, adds nothing
    again = break_glass_clinic.mark_reviewed(
        office, login(office, "dr.patel"), _opening(glass, "office-2", REASONS["office-2"])
    )
    assert (again.new, again.by) == (False, "Admin")
    assert len(_server(empty_db, "SELECT id FROM break_glass_review")) == 2


def test_a_nurse_or_receptionist_marks_nothing_by_any_path(
    qtbot,
    glass,  # noqa: F811
    secret_service,
    empty_db,
):
    from clinic_inbox.ui.admin import AdminDialog

    _staff_on_server(glass)
    front = glass.ws["front-desk"]
    office_ws = _ws(glass, "office-2")
    for user in ("nurse.chen", "reception.moreau"):
        session = login(front, user)
        with pytest.raises(AccessDenied):
            AdminDialog(front, session)
        for call, args in (
            (services.mark_break_glass_reviewed, (1,)),
            (app_actions.mark_break_glass_reviewed, (1,)),
            (break_glass_clinic.mark_reviewed, (1,)),
            (break_glass_clinic.mark_reviewed, (1, office_ws)),
            (break_glass_clinic.mark_reviewed, (1, "Office 2")),
            (audit_app.mark_reviewed, (1, office_ws)),
        ):
            with pytest.raises(AccessDenied, match="physicians and administrators"):
                call(front, session, *args)
    # the server refuses a mark in a nurse's name, whoever's login sends it
    keys, link = glass.links["front-desk"].keys, glass.links["front-desk"]
    for who, ws in (("nurse.chen", link.workstation_id), ("reception.moreau", office_ws)):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="may not review"):
            with link.conn.transaction():
                link.conn.execute(
                    "SELECT mark_break_glass_reviewed(gen_random_uuid(), %s, %s, %s, now(), "
                    "'\\x01')",
                    (ws, opening_ref(keys, office_ws, 1), staff_ref(keys, who)),
                )
    # ...and one in the name of a workstation that is not the caller's
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="may not act as"):
        with link.conn.transaction():
            link.conn.execute(
                "SELECT mark_break_glass_reviewed(gen_random_uuid(), gen_random_uuid(), 'x', "
                "%s, now(), '\\x01')",
                (staff_ref(keys, "admin"),),
            )

    # on the command line, as processes of their own
    for link in glass.links.values():
        link.conn.close()
    glass.links.clear()
    for w in glass.ws.values():
        w.close()
    home = front.home
    for user in ("nurse.chen", "reception.moreau"):
        for args in (
            ["--mark", "1"],
            ["--mark", "1", "--json"],
            ["--mark", "1", "--workstation", "Office 2"],
            ["--mark", "2", "--workstation", office_ws, "--json"],
        ):
            done = staff_cli(home, secret_service, user, "break-glass-review", *args)
            said = done.stdout + done.stderr
            assert done.returncode != 0, (user, args, said)
            assert "physicians and administrators" in said and "Traceback" not in said, said
    assert _server(empty_db, "SELECT count(*) FROM break_glass_review") == [(0,)]
    # Dr Patel marks her own patient's opening made in the nurse room, from the front
    # desk; Marc is not her patient
    theirs = staff_cli(
        home,
        secret_service,
        "dr.patel",
        "break-glass-review",
        "--mark",
        "2",
        "--workstation",
        "Office 2",
    )
    assert theirs.returncode != 0 and "own patients only" in theirs.stderr, theirs.stderr
    done = staff_cli(
        home,
        secret_service,
        "dr.patel",
        "break-glass-review",
        "--mark",
        "1",
        "--workstation",
        "Nurse room",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert (got["new"], got["by"], got["on_server"]) == (True, "Dr Anjali Patel", True)
    assert _server(empty_db, "SELECT count(*) FROM break_glass_review") == [(1,)]


def test_offline_the_mark_waits_and_the_server_keeps_it_sealed_and_append_only(
    qtbot,
    glass,  # noqa: F811
    secret_service,
    empty_db,
    postgres,
):
    from clinic_inbox.ui.actions import InlineRunner
    from clinic_inbox.ui.admin import AdminDialog

    _staff_on_server(glass)
    front, office, nurse = (glass.ws[n] for n in ("front-desk", "office-2", "nurse-room"))
    admin = login(front, "admin")
    glass.relay.cut()
    done = break_glass_clinic.mark_reviewed(front, admin, 1)
    assert done.new and done.mark and not done.on_server
    with pytest.raises(ServerUnreachable, match="only while the server can be reached"):
        break_glass_clinic.mark_reviewed(front, admin, 1, _ws(glass, "office-2"))
    with secret_service.activated():
        dlg = AdminDialog(front, admin, runner=InlineRunner(front))
        qtbot.addWidget(dlg)
        (row,) = _rows(dlg)
        assert row[8].startswith("reviewed by Admin on "), row
        assert row[8].endswith("(this computer); not on the clinic's server yet"), row
    assert _server(empty_db, "SELECT count(*) FROM break_glass_review") == [(0,)]
    glass.relay.heal()
    glass.links["front-desk"].conn.close()
    link = glass.links["front-desk"] = srv.open_link(front)
    sync.push(front, link)  # the next exchange sends it
    assert bq.get(front.store, done.mark).on_server
    sync.pull(office, glass.links["office-2"])
    seen = break_glass_clinic.review(office, login(office, "admin"))
    theirs = next(o for o in seen if o.reason == REASONS["front-desk"])
    assert (theirs.reviewed_by, theirs.reviewed_on) == ("Admin", "Front desk")

    # the server's record: append-only, for the workstations' logins and its owner alike
    ws_role = glass.links["office-2"].conn
    for sql in ("UPDATE break_glass_review SET reviewer = 'x'", "DELETE FROM break_glass_review"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            with ws_role.transaction():
                ws_role.execute("SET LOCAL ROLE " + _clinic_role(empty_db))
                ws_role.execute(sql)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            _server(empty_db, sql)
    # no reason, no patient, no person's name or user name in the server's dump
    dump = postgres.pg_dump(psycopg.conninfo.conninfo_to_dict(empty_db)["dbname"])
    assert b"COPY public.break_glass_review" in dump
    for s in [*REASONS.values(), MARC_REASON, "Quennell", "Ouellet", "Nurse Mei Chen"]:
        assert s.encode() not in dump, s
    for s in ("Dr Anjali Patel", "dr.patel", "nurse.chen"):
        assert s.encode() not in dump, s

    # a mark changed on the server (its owner switched the guard off) is refused by the
    # workstation that pulls it, and nothing of that pull is applied
    with psycopg.connect(empty_db, autocommit=True) as conn:
        conn.execute(
            "ALTER TABLE break_glass_review DISABLE TRIGGER break_glass_review_append_only"
        )
        conn.execute(
            "UPDATE break_glass_review SET reviewer = %s",
            (staff_ref(link.keys, "dr.patel"),),
        )
    with pytest.raises(TamperedError, match="break-glass review"):
        sync.pull(nurse, glass.links["nurse-room"])
    assert bq.first_marks(nurse.store) == {}


def _clinic_role(dsn: str) -> str:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT rolname FROM pg_roles WHERE rolname LIKE 'ci_clinic_%'"
        ).fetchone()[0]
