"""Filing to the chart, then moving the emails to the Filed folder on a network worker
(issue 19): a mail server that does not answer holds up no other action, what did not
happen is said in plain words, and the next sync makes the move.

Real parts: Dovecot, the clinic's SQLCipher store, the app's writer and network
threads; the silent server is a real socket that takes the connection and never
answers (a black hole), the closed one a port nothing listens on.
"""

from __future__ import annotations

import socket
import time
from dataclasses import replace

import pytest
from support.mailgen import make_message

from clinic_inbox.core import app_actions, app_filing, services
from clinic_inbox.core import services_filed_moves as sfm
from clinic_inbox.core import services_patients as sp
from clinic_inbox.core import services_settings as ss
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.accounts import ImapAccount, imap_accounts
from clinic_inbox.core.home import create_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Role
from clinic_inbox.core.store import filed_move_queries as fq
from clinic_inbox.core.store import queries as q
from clinic_inbox.sources import filed_folder, sync
from clinic_inbox.ui.actions import ActionRunner
from clinic_inbox.ui.main_window import MainWindow

USER, MAILBOX_PW = "filing@clinic.example", "mailbox-pw"
ADMIN_PW, DOC_PW = "quartz lantern meadow violin", "kettle orbit maple frost"
NO_WAIT = {"sleep": lambda s: None}


class Setup:
    def __init__(self, clinic, admin, doc, thread_id, out) -> None:  # noqa: ANN001
        self.clinic, self.admin, self.doc, self.thread_id, self.out = (
            clinic,
            admin,
            doc,
            thread_id,
            out,
        )

    def point_mail_at(self, port: int) -> None:
        """The account's IMAP port changed in Settings (its password kept)."""
        account = imap_accounts(self.clinic.store)[0]
        ss.update_account(self.clinic, self.admin, account.id, replace(account, port=port))


@pytest.fixture()
def filed(tmp_path, dovecot, secret_service):
    """A clinic whose mail account moves filed emails to "Filed", one email of a patient
    of Dr Patel's, linked and confirmed, ready to be filed."""
    dovecot.add_user(USER, MAILBOX_PW)
    home = tmp_path / "clinic"
    clinic, _ = create_clinic(
        home, lambda p, c: "unused", KeyCustody(home, backend=secret_service.backend())
    )
    services.create_first_admin(clinic, "admin", "Alex Admin", ADMIN_PW)
    admin = services.login(clinic, "admin", ADMIN_PW, **NO_WAIT)
    account = ImapAccount(
        name="Clinic email",
        host=dovecot.host,
        port=dovecot.port,
        username=USER,
        security="none",
        from_address=USER,
        filed_folder="Filed",
    )
    services.add_imap_account(clinic, admin, account, MAILBOX_PW)
    doc = services.add_staff(clinic, admin, "dr.patel", "Dr Patel", Role.PHYSICIAN, DOC_PW)
    dovecot.append_many(USER, [make_message(1, to=USER), make_message(2, to=USER)])
    assert sync.run_once(clinic, send=False).stored == 2
    session = services.login(clinic, "dr.patel", DOC_PW, **NO_WAIT)
    thread = q.list_threads(clinic.store)[0]
    patient = sp.add_patient(clinic, admin, sp.PatientDetails("Roe", "Jane", "1970-01-02"))
    services.set_responsible_physician(clinic, admin, patient.id, doc.id)
    if thread.patient_id is None:
        services.link_patient(clinic, session, thread.id, patient.id)
    if q.get_thread(clinic.store, thread.id).sender_unverified:
        services.confirm_sender(clinic, session, thread.id, "She phoned the desk to confirm.")
    out = tmp_path / "chart"
    out.mkdir()
    yield Setup(clinic, admin, session, thread.id, out)
    clinic.close()


@pytest.fixture()
def black_hole():
    """A port that takes connections and never says a word."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield sock.getsockname()[1]
    sock.close()


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now: the connection is refused at once
    return port


def test_a_silent_mail_server_holds_up_no_action_and_the_sync_makes_the_move(
    qtbot, filed, black_hole, dovecot, monkeypatch
):
    # the silent server's wait, shortened: still twice the 5 s the assign below may take,
    # so the move is surely under way when the assign has answered
    monkeypatch.setattr(filed_folder, "TIMEOUT", 10.0)
    c = filed
    c.point_mail_at(black_hole)
    runner = ActionRunner(c.clinic)
    win = MainWindow(c.clinic, c.doc, runner)
    qtbot.addWidget(win)
    win.show()
    try:
        qtbot.waitUntil(lambda: not win.loading, timeout=30_000)
        win.open_thread(c.thread_id)
        qtbot.waitUntil(lambda: win.panel.thread_id == c.thread_id, timeout=10_000)
        win.panel.export_to(str(c.out), DOC_PW)
        qtbot.waitUntil(lambda: "Moving its emails" in win.panel.info.text(), timeout=30_000)
        assert "Filed to the chart as" in win.panel.info.text()
        assert sorted(p.suffix for p in c.out.iterdir()) == [".hl7", ".json", ".pdf"]

        # the next action, while the network worker waits on the silent server
        answered: list[float] = []
        started = time.monotonic()
        runner.submit(
            app_actions.assign,
            c.doc,
            c.thread_id,
            c.doc.staff.id,
            done=lambda _v: answered.append(time.monotonic() - started),
        )
        qtbot.waitUntil(lambda: bool(answered), timeout=10_000)
        assert "Moving its emails" in win.panel.info.text(), "the move is still under way"
        assert answered[0] < 5.0, answered
        print(f"\nassign answered in {answered[0] * 1000:.0f} ms while the move waited")

        # then the move gives up: said in plain words, kept for the next sync
        qtbot.waitUntil(lambda: "next sync" in win.panel.info.text(), timeout=40_000)
        said = win.panel.info.text()
        assert "Clinic email: the emails stay in INBOX" in said and "Traceback" not in said
        assert fq.is_waiting(c.clinic.store, c.thread_id)
        assert dovecot.message_count(USER, "INBOX") == 2
    finally:
        runner.stop()
        win.close()

    c.point_mail_at(dovecot.port)  # the server is back
    report = sync.run_once(c.clinic, send=False)
    assert [(m.thread_id, m.moved, m.problems) for m in report.filed_moves] == [
        (c.thread_id, 1, ())
    ]
    assert "1 email of a filed conversation moved to the Filed folder" in report.lines()
    assert dovecot.message_count(USER, "Filed") == 1 and dovecot.message_count(USER) == 1
    assert not fq.is_waiting(c.clinic.store, c.thread_id)
    assert sync.run_once(c.clinic, send=False).filed_moves == []  # made once, not again


def test_filing_with_the_server_up_moves_at_once_and_a_refused_connection_waits(
    qtbot, filed, dovecot
):
    import threading

    c = filed
    first = app_filing.file_thread(c.clinic, c.doc, c.thread_id, c.out, DOC_PW)
    assert first.value.move_waits and first.changes.threads == {c.thread_id}
    # on the app's network worker: its own connection, and the mailbox password with it
    where, got = [], []

    def move(clinic, thread_id):  # noqa: ANN001, ANN202
        where.append(threading.current_thread().name)
        return filed_folder.move_filed(clinic, thread_id)

    runner = ActionRunner(c.clinic)
    try:
        runner.network.submit(app_filing.move_filed, c.doc, c.thread_id, move=move, done=got.append)
        qtbot.waitUntil(lambda: bool(got), timeout=30_000)
    finally:
        runner.stop()
    assert where == ["clinic-inbox-network"]
    moved = got[0]
    assert moved.lines() == ["1 email moved to the Filed folder on the mail server"]
    assert dovecot.message_count(USER, "Filed") == 1
    assert not fq.is_waiting(c.clinic.store, c.thread_id)
    # asked again with nothing waiting: nothing is done
    assert sfm.move_now(c.clinic, c.doc, c.thread_id, filed_folder.move_filed).moved == 0

    other = next(t for t in q.list_threads(c.clinic.store) if t.id != c.thread_id)
    c.point_mail_at(_closed_port())
    with c.clinic.store.transaction():
        fq.ask(c.clinic.store, other.id, "2026-12-01T00:00:00+00:00")
    report = sync.run_once(c.clinic, send=False)
    assert report.offline == ["Clinic email"] and report.filed_moves == []  # waits
    assert fq.is_waiting(c.clinic.store, other.id)
    # tried anyway (as the network worker does): refused, said, kept with its words
    (tried,) = sfm.retry_waiting(c.clinic, filed_folder.move_filed)
    assert tried.moved == 0 and tried.problems[-1] == sfm.NEXT_SYNC
    assert tried.problems[0].startswith("Clinic email: the emails stay in INBOX (")
    tries, problem = fq.last_problem(c.clinic.store, other.id)
    assert tries == 1 and problem == tried.problems[0]


def test_a_person_who_may_not_file_cannot_make_the_move(filed):
    c = filed
    desk = services.add_staff(
        c.clinic, c.admin, "desk", "Dana Desk", Role.RECEPTIONIST, "maple frost kettle orbit"
    )
    session = services.login(c.clinic, "desk", "maple frost kettle orbit", **NO_WAIT)
    with c.clinic.store.transaction():
        fq.ask(c.clinic.store, c.thread_id, "2026-12-01T00:00:00+00:00")
    with pytest.raises(AccessDenied):
        sfm.move_now(c.clinic, session, c.thread_id, filed_folder.move_filed)
    assert fq.is_waiting(c.clinic.store, c.thread_id) and desk.id


def test_the_command_line_s_filing_keeps_a_move_it_could_not_make_for_the_sync(filed, dovecot):
    """`clinic-inbox file` moves at once (no window to keep free); a refused connection
    is said, and the next sync makes the move as it does for the app's."""
    from clinic_inbox.sources.chart_network import LIVE

    c = filed
    c.point_mail_at(_closed_port())
    done = services.file_to_chart(
        c.clinic,
        c.doc,
        c.thread_id,
        formats=("pdf",),
        out_dir=c.out,
        password=DOC_PW,
        network=LIVE,
        **NO_WAIT,
    )
    assert done.emails_moved == 0 and done.problems[-1] == sfm.NEXT_SYNC
    assert done.problems[0].startswith("Clinic email: the emails stay in INBOX (")
    assert fq.is_waiting(c.clinic.store, c.thread_id)
    c.point_mail_at(dovecot.port)
    report = sync.run_once(c.clinic, send=False)
    assert [(m.thread_id, m.moved) for m in report.filed_moves] == [(c.thread_id, 1)]
    assert dovecot.message_count(USER, "Filed") == 1
