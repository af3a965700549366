"""The break-glass review covers every workstation, in the app and on the command line.

Three workstations of one clinic (Front desk, Office 2, Nurse room) on a real
PostgreSQL, keys in a real gnome-keyring, the app offscreen: Nurse Chen breaks the
glass on each of them. On the front desk, Administration > Break-glass review lists the
four openings with the computer each was made on, the same answer as
`break-glass-review --clinic` (a real process); with the front desk's link to the server
cut, it says so in plain words and still lists the front desk's own opening. A nurse or
a receptionist reaches the clinic-wide list by no path (the app's dialog, its service
functions, the command with and without --json, the clinic-wide audit export), and a
physician sees only the openings on her own patients. The reasons stay sealed on the
server. An opening marked reviewed on one computer shows as reviewed, by whom, when and
where, on the others (tests/shared/test_break_glass_marks.py has the rest).
"""

from __future__ import annotations

import json
import os

import psycopg
import pytest
from support.link_cutter import LinkCutter
from support.screenshots import shots_dir
from workstations import login, new_workstation, receive, staff_cli

from clinic_inbox.core import services
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.store import queries as q
from clinic_inbox.shared import audit_ship, break_glass_clinic, sync
from clinic_inbox.shared import server as srv

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# the name each workstation registers with (its host's name and folder in real life)
NAMES = {"front-desk": "Front desk", "office-2": "Office 2", "nurse-room": "Nurse room"}
ZOE = ("Quennell", "Zoë", "1961-04-02", "CH-88412")  # Dr Patel's patient
MARC = ("Ouellet", "Marc", "1958-11-23", "CH-70231")  # nobody's patient yet
REASONS = {
    "front-desk": "Zoë Quennell at the desk, short of breath, chart needed at once",
    "office-2": "Zoë Quennell called back about her thyroxine dose, urgent",
    "nurse-room": "Zoë Quennell fainted in the waiting room, reading her messages",
}
MARC_REASON = "Marc Ouellet's daughter phoned: confusion since this morning"
PASSWORD = "kettle orbit maple frost"


class Glass:
    """The three workstations; the front desk talks to the server through a relay that
    the test can cut."""

    def __init__(self, tmp_path, keyring, dsn, relay, port):  # noqa: ANN001
        self.keyring, self.dsn = keyring, dsn
        self.ws = {n: new_workstation(tmp_path / n, keyring) for n in NAMES}
        front = self.ws["front-desk"]
        custody = {n: KeyCustody(w.home, backend=keyring) for n, w in self.ws.items()}
        via_relay = dsn.replace(f"port={port}", f"port={relay.port}")
        assert via_relay != dsn
        init = srv.init_server(front, login(front, "admin"), via_relay, custody["front-desk"])
        for n in ("office-2", "nurse-room"):
            w = self.ws[n]
            srv.connect_workstation(w, login(w, "admin"), dsn, init.clinic_code, custody[n])
        self.links = {n: srv.open_link(w, custody[n]) for n, w in self.ws.items()}
        zoe_conv, marc_conv = receive(front, 2)
        convs = [
            sync.publish_conversation(front, self.links["front-desk"], t, None)
            for t in (zoe_conv, marc_conv)
        ]
        self.thread: dict[str, dict[str, int]] = {}
        for n, w in self.ws.items():
            sync.pull(w, self.links[n])
            zoe_t, marc_t = (
                w.store.one("SELECT id FROM threads WHERE uuid = ?", (c,)) for c in convs
            )
            self.thread[n] = {"zoe": zoe_t, "marc": marc_t}
            doc = q.staff_login_row(w.store, "dr.patel")[0].id
            with w.store.transaction():
                zoe = q.add_patient(w.store, *ZOE, responsible_physician_id=doc)
                marc = q.add_patient(w.store, *MARC)
            desk = login(w, "reception.moreau")
            services.link_patient(w, desk, zoe_t, zoe)
            services.link_patient(w, desk, marc_t, marc)
        # Nurse Chen breaks the glass on each computer; on Office 2 on Marc's too
        for n, w in self.ws.items():
            services.break_glass(
                w, login(w, "nurse.chen"), self.thread[n]["zoe"], REASONS[n], PASSWORD
            )
        office = self.ws["office-2"]
        services.break_glass(
            office,
            login(office, "nurse.chen"),
            self.thread["office-2"]["marc"],
            MARC_REASON,
            PASSWORD,
        )
        for n, w in self.ws.items():
            audit_ship.ship(w, self.links[n], custody[n])

    def close(self) -> None:
        for link in self.links.values():
            link.conn.close()
        for w in self.ws.values():
            w.close()


@pytest.fixture()
def glass(tmp_path, secret_service, empty_db, postgres, monkeypatch):
    monkeypatch.setattr(audit_ship, "workstation_name", lambda clinic: NAMES[clinic.home.name])
    relay = LinkCutter(postgres.host, postgres.port)
    g = Glass(tmp_path, secret_service.backend(), empty_db, relay, postgres.port)
    g.relay = relay
    yield g
    g.close()
    relay.close()


def _rows(dlg) -> list[list[str]]:  # noqa: ANN001
    t = dlg.glass_table
    return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]


def test_the_app_lists_every_workstations_openings_as_the_command_does(
    qtbot, glass, secret_service
):
    from clinic_inbox.ui.actions import InlineRunner
    from clinic_inbox.ui.admin import AdminDialog

    front = glass.ws["front-desk"]
    # Dr Patel marked the opening made on Office 2 reviewed there; the front desk pulled it
    office = glass.ws["office-2"]
    patel = login(office, "dr.patel")
    office_opening = services.break_glass_review(office, patel)[0][0]
    done = break_glass_clinic.mark_reviewed(office, patel, office_opening)
    assert done.new and done.on_server, done
    sync.pull(front, glass.links["front-desk"])
    with secret_service.activated():
        dlg = AdminDialog(front, login(front, "admin"), runner=InlineRunner(front))
        qtbot.addWidget(dlg)
        heads = [dlg.glass_table.horizontalHeaderItem(c).text() for c in range(9)]
        rows = _rows(dlg)
        assert heads == [
            "#", "Workstation", "Who", "Conversation", "Patient", "Reason", "From", "Until",
            "Reviewed",
        ]  # fmt: skip
        assert len(rows) == 4, rows
        by_reason = {r[5]: r for r in rows}
        assert set(by_reason) == {*REASONS.values(), MARC_REASON}
        assert by_reason[REASONS["front-desk"]][1] == "Front desk (this computer)"
        assert by_reason[REASONS["office-2"]][1] == "Office 2"
        assert by_reason[REASONS["nurse-room"]][1] == "Nurse room"
        assert by_reason[MARC_REASON][1] == "Office 2"
        assert {r[2] for r in rows} == {"Nurse Mei Chen"}
        zoe_rows = [by_reason[r] for r in REASONS.values()]
        assert {r[4] for r in zoe_rows} == {"Zoë Quennell"}
        assert by_reason[MARC_REASON][4] == "Marc Ouellet"
        # one conversation, by the number every desk reads out
        number = services.seen_as(front, login(front, "admin"), [glass.thread["front-desk"]["zoe"]])
        assert {r[3] for r in zoe_rows} == {number[glass.thread["front-desk"]["zoe"]].label}
        assert by_reason[REASONS["front-desk"]][8] == "not yet"
        # reviewed on another computer: shown here, with who, when and where
        said = by_reason[REASONS["office-2"]][8]
        assert said.startswith("reviewed by Dr Anjali Patel on ") and said.endswith("(Office 2)"), (
            said
        )
        assert "every computer of the clinic: 4, 3 not reviewed" in dlg.glass_note.text()
        assert dlg.tabs.tabText(dlg.tabs.indexOf(dlg.glass_page)) == "Break-glass review (4)"
        # the administrator marks the nurse room's opening from here, with the button
        assert not dlg.glass_mark.isEnabled()
        dlg.glass_table.selectRow(rows.index(by_reason[REASONS["nurse-room"]]))
        assert dlg.glass_mark.isEnabled()
        dlg.glass_mark.click()
        said = dlg.message.text()
        assert said == "Break-glass opening 1 (Nurse room) marked reviewed.", said
        rows = _rows(dlg)
        by_reason = {r[5]: r for r in rows}
        said = by_reason[REASONS["nurse-room"]][8]
        assert said.startswith("reviewed by Admin on ") and said.endswith("(this computer)"), said
        assert by_reason[REASONS["office-2"]][8].endswith("(Office 2)")
        dlg.tabs.setCurrentWidget(dlg.glass_page)
        dlg.resize(1640, 400)
        assert dlg.grab().save(str(shots_dir() / "break-glass-review.png"))
    # the review is recorded, as the command's is
    last = front.store.execute(
        "SELECT action, detail FROM audit WHERE action = 'break_glass.review'"
    ).fetchall()
    assert last and json.loads(last[-1][1]) == {"rows": 4, "clinic": True}
    marked = front.store.execute(
        "SELECT detail FROM audit WHERE action = 'break_glass.reviewed'"
    ).fetchall()
    assert [json.loads(d)["break_glass_id"] for (d,) in marked] == [1]

    # the same answer as `break-glass-review --clinic`, in a process of its own
    for link in glass.links.values():
        link.conn.close()
    glass.links.clear()
    front.close()
    done = staff_cli(front.home, secret_service, "admin", "break-glass-review", "--clinic")
    assert done.returncode == 0, done.stderr
    cli = json.loads(done.stdout)
    assert sorted((o["workstation"], o["reason"], o["number"]) for o in cli) == sorted(
        (r[1].removesuffix(" (this computer)"), r[5], r[3]) for r in rows
    )
    assert {o["this_computer"] for o in cli if o["workstation"] == "Front desk"} == {True}
    assert all(o["staff"] == "nurse.chen" and o["patient"] for o in cli)
    reviewed = {
        o["workstation"]: (o["reviewed_by"], o["reviewed_here"]) for o in cli if o["reviewed_at"]
    }
    assert reviewed == {"Office 2": ("Dr Anjali Patel", False), "Nurse room": ("Admin", True)}


def test_with_the_server_out_of_reach_it_says_so_and_lists_this_computers_openings(
    qtbot, glass, secret_service
):
    from clinic_inbox.ui.actions import InlineRunner
    from clinic_inbox.ui.admin import AdminDialog

    front = glass.ws["front-desk"]
    glass.relay.cut()  # the front desk's cable to the server
    with secret_service.activated():
        dlg = AdminDialog(front, login(front, "admin"), runner=InlineRunner(front))
        qtbot.addWidget(dlg)
        rows = _rows(dlg)
        note = dlg.glass_note.text()
        assert "shared server cannot be reached just now" in note, note
        assert "only the openings made on this computer" in note, note
        assert "Traceback" not in note and "psycopg" not in note
        assert [(r[1], r[5]) for r in rows] == [("this computer", REASONS["front-desk"])]
        assert rows[0][4] == "Zoë Quennell" and rows[0][8] == "not yet"
        assert dlg.tabs.tabText(dlg.tabs.indexOf(dlg.glass_page)) == "Break-glass review (1)"
        glass.relay.heal()  # back: Refresh lists every computer's again
        dlg.glass_refresh.click()
        assert len(_rows(dlg)) == 4
        assert "every computer of the clinic: 4" in dlg.glass_note.text()


def test_a_nurse_or_receptionist_reaches_the_clinic_list_by_no_path(
    qtbot, glass, secret_service, empty_db, postgres
):
    from clinic_inbox.core.access import AccessDenied
    from clinic_inbox.shared import audit_app, break_glass_clinic, cli_audit
    from clinic_inbox.ui.admin import AdminDialog

    front = glass.ws["front-desk"]
    secrets = [*REASONS.values(), MARC_REASON]
    before = front.store.one("SELECT count(*) FROM audit WHERE action = 'break_glass.review'")
    for user in ("nurse.chen", "reception.moreau"):
        session = login(front, user)
        with pytest.raises(AccessDenied):
            AdminDialog(front, session)
        for call in (
            audit_app.clinic_break_glass,
            audit_app.this_computer_break_glass,
            audit_app.clinic_audit_entries,
            break_glass_clinic.review,
            cli_audit.break_glass,
        ):
            with pytest.raises(AccessDenied):
                call(front, session)
    assert (
        front.store.one("SELECT count(*) FROM audit WHERE action = 'break_glass.review'") == before
    )

    # on the command line, as processes of their own, on another workstation too
    for link in glass.links.values():
        link.conn.close()
    glass.links.clear()
    for w in glass.ws.values():
        w.close()
    for where in ("front-desk", "nurse-room"):
        home = glass.ws[where].home
        for user in ("nurse.chen", "reception.moreau"):
            for args in (
                ["break-glass-review", "--clinic"],
                ["break-glass-review", "--clinic", "--json"],
                ["break-glass-review"],
                ["audit", "export", "--csv"],
            ):
                done = staff_cli(home, secret_service, user, *args)
                assert done.returncode != 0, (user, args, done.stdout)
                said = done.stdout + done.stderr
                assert "physicians and administrators" in said or "administrator" in said, said
                assert not any(s in said for s in secrets), said
                assert "Traceback" not in said
    # Dr Patel reviews her own patients' openings (on any computer), not Marc's
    done = staff_cli(
        glass.ws["nurse-room"].home, secret_service, "dr.patel", "break-glass-review", "--clinic"
    )
    assert done.returncode == 0, done.stderr
    mine = json.loads(done.stdout)
    assert sorted(o["reason"] for o in mine) == sorted(REASONS.values())
    assert MARC_REASON not in done.stdout
    # the server holds the reasons sealed: not one of them in its dump
    dump = postgres.pg_dump(psycopg.conninfo.conninfo_to_dict(empty_db)["dbname"])
    assert b"COPY public.audit_entry" in dump
    for s in [*secrets, "Quennell", "Ouellet"]:
        assert s.encode() not in dump, s
