"""A held reply on screen: "Your reply is held", then sent anyway or discarded.

Two workstations of one clinic on a real PostgreSQL, the clinic's mailbox on a real
Dovecot and its SMTP server (aiosmtpd). "Office" prepared the server; "Front desk"
was enrolled by fingerprint, so the server knows its name. Two patients write; on
Office Dr Patel answers both, but her replies wait (not sent yet) while Dr Okafor
answers the same patients at the front desk and his replies reach the server first:
Office holds Dr Patel's. Her board marks both conversations; the conversation panel
(the app, offscreen) says whose answer came first and from where, with "Send mine
anyway" and "Discard mine" for her only. Sent anyway, her reply reaches the real SMTP
server at the next send; discarded, it never does; both are in the audit trail.
"""

from __future__ import annotations

import os

import pytest
from support.screenshots import shots_dir
from test_auto_reply_once import (  # noqa: F401 - fixtures
    MAILBOX,
    PASSWORD,
    _add_mailbox,
    _mail,
    dovecot,
    smtp_server,
)
from workstations import login, new_workstation

from clinic_inbox.core import services, views
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.core.model import Role
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.store import shared_queries as shq
from clinic_inbox.shared import enrol, reply_hold
from clinic_inbox.shared import server as srv
from clinic_inbox.shared import sync as shared_sync
from clinic_inbox.sources import sync

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytest.importorskip("pytestqt")

OKAFOR_PASSWORD = "harbour cobalt thistle ember"
MINE = ["Your results are normal, Mr Brannigan.", "Your X-ray is booked for Tuesday."]
HIS = ["Your results came back normal.", "The X-ray clinic will call you."]


def _cards(win) -> dict[int, object]:  # noqa: ANN001
    return {b.row.id: b for col in win.board.columns.values() for b in col.model.rows}


def _sent_replies(sink) -> list[str]:  # noqa: ANN001
    """The bodies of the replies the SMTP server received."""
    return [
        m.get_body(("plain",)).get_content()
        for m in sink.messages()
        if m["Subject"].startswith("Re:")
    ]


def test_a_held_reply_is_shown_to_its_author_sent_anyway_for_real_or_discarded(
    qtbot,
    tmp_path,
    postgres,
    empty_db,
    keyring_factory,
    dovecot,  # noqa: F811
    smtp_server,  # noqa: F811
):
    from PySide6.QtCore import Qt

    from clinic_inbox.ui.actions import ActionRunner
    from clinic_inbox.ui.main_window import MainWindow

    dovecot.add_user(MAILBOX, PASSWORD)
    rings = [keyring_factory(), keyring_factory()]
    homes = [tmp_path / "office", tmp_path / "front-desk"]
    office, desk = (new_workstation(h, r.backend()) for h, r in zip(homes, rings, strict=True))
    c_office, c_desk = (
        KeyCustody(h, backend=r.backend()) for h, r in zip(homes, rings, strict=True)
    )
    for ws in (office, desk):
        services.add_staff(
            ws, login(ws, "admin"), "dr.okafor", "Dr Femi Okafor", Role.PHYSICIAN, OKAFOR_PASSWORD
        )
        _add_mailbox(ws, dovecot, smtp_server)
    srv.init_server(office, login(office, "admin"), empty_db, c_office)
    link_o = srv.open_link(office, c_office)
    asked = enrol.request(desk, login(desk, "admin"), empty_db, "Front desk", c_desk)
    enrol.approve(office, login(office, "admin"), link_o, asked.fingerprint)
    enrol.finish(desk, login(desk, "admin"), c_desk)
    link_d = srv.open_link(desk, c_desk)

    # two patients write; the front desk fetches and publishes, the office pulls
    dovecot.append_many(
        MAILBOX,
        [
            _mail(1, "Are my blood test results back yet?"),
            _mail(2, "When is my X-ray appointment?"),
        ],
    )
    assert sync.run_once(desk, send=False).stored == 2
    on_desk = [t for t, _ in shq.shared_threads(desk.store)] or sorted(
        r[0] for r in desk.store.execute("SELECT id FROM threads")
    )
    convs = [shared_sync.publish_conversation(desk, link_d, t, None) for t in on_desk]
    shared_sync.pull(office, link_o)
    on_office = [shq.thread_by_uuid(office.store, cv) for cv in convs]

    # Dr Patel answers both at the office: her replies wait there (nothing sent yet)
    patel = login(office, "dr.patel")
    mine = [
        services.queue_reply(office, patel, t, text, consent_reason="The patient wrote first")
        for t, text in zip(on_office, MINE, strict=True)
    ]
    # Dr Okafor answers the same patients at the front desk; his reach the server first
    okafor = services.login(desk, "dr.okafor", OKAFOR_PASSWORD)
    for t, text in zip(on_desk, HIS, strict=True):
        services.queue_reply(desk, okafor, t, text, consent_reason="The patient wrote first")
        shared_sync.publish_conversation(desk, link_d, t, None)
    shared_sync.pull(office, link_o)
    assert [w.outbox_id for w in reply_hold.held_replies(office, patel)] == mine
    # someone else at the office is told whose reply waits, and may not decide for her
    okafor_here = services.login(office, "dr.okafor", OKAFOR_PASSWORD)
    (theirs,) = reply_hold.held_here(office, okafor_here, on_office[0])
    assert not theirs.mine
    assert theirs.words.startswith("Dr Anjali Patel's reply is held: Dr Femi Okafor answered")
    with pytest.raises(AccessDenied):
        reply_hold.discard_held(office, okafor_here, mine[1])
    with pytest.raises(AccessDenied):
        reply_hold.send_anyway(office, okafor_here, mine[1])
    # held: the office's next send sends none of hers
    sync.run_once(office, fetch=False)
    assert not any(text in body for body in _sent_replies(smtp_server) for text in MINE)

    # -- the office's app, as Dr Patel -------------------------------------------------
    runner = ActionRunner(office)
    win = MainWindow(office, patel, runner)
    qtbot.addWidget(win)
    win.resize(1500, 900)
    win.show()
    qtbot.waitExposed(win)
    win.views.setCurrentRow(list(views.View).index(views.View.ALL))
    try:
        qtbot.waitUntil(lambda: set(on_office) <= set(_cards(win)), timeout=15_000)
        for t in on_office:  # the board marks both conversations
            b = _cards(win)[t]
            col = win.board.columns[b.row.status].model
            said = col.index(col.rows.index(b)).data(Qt.ItemDataRole.AccessibleTextRole)
            assert "Reply held" in said
        win.open_thread(on_office[0])
        qtbot.waitUntil(lambda: win.panel.thread_id == on_office[0], timeout=10_000)
        banner = win.panel.held
        qtbot.waitUntil(lambda: len(banner.rows) == 1, timeout=10_000)
        row = banner.rows[0]
        assert row.words.text().startswith(
            "Your reply is held: Dr Femi Okafor answered this patient first, from Front desk, at "
        )
        assert row.words.text().endswith("Read their answer, then send yours anyway or discard it.")
        assert row.send.isVisible() and row.discard.isVisible()
        assert win.panel.grab().save(str(shots_dir() / "held-reply.png"))

        # "Send mine anyway": no longer held, and the next send takes it to the patient
        row.send.click()
        qtbot.waitUntil(lambda: banner.rows == [], timeout=10_000)
        assert "no longer held" in banner.notice.text()
        qtbot.waitUntil(
            lambda: "Reply held" not in " ".join(_facts(win, on_office[0])), timeout=10_000
        )

        # "Discard mine" on the second: asked first, then never sent
        win.open_thread(on_office[1])
        qtbot.waitUntil(lambda: win.panel.thread_id == on_office[1], timeout=10_000)
        qtbot.waitUntil(lambda: len(banner.rows) == 1, timeout=10_000)
        asked_first = []
        banner.confirm = lambda text: asked_first.append(text) or True
        banner.rows[0].discard.click()
        qtbot.waitUntil(lambda: banner.rows == [], timeout=10_000)
        assert asked_first and "never be sent" in asked_first[0]
        assert "discarded" in banner.notice.text()
    finally:
        win.close()
        runner.stop()

    report = sync.run_once(office, fetch=False)  # the office's next send, for real
    assert report.outbox.sent == 1, report.outbox
    bodies = _sent_replies(smtp_server)
    assert [b for b in bodies if MINE[0] in b] and not [b for b in bodies if MINE[1] in b]
    assert [i.id for i in oq.in_state(office.store, "sent", "email")] == [mine[0]]
    assert [i.id for i in oq.in_state(office.store, "cancelled", "email")] == [mine[1]]
    actions = [r[0] for r in office.store.execute("SELECT action FROM audit ORDER BY id")]
    assert "reply.send_anyway" in actions and "reply.discard_held" in actions
    assert "reply.discard_held.refused" in actions and "reply.send_anyway.refused" in actions
    link_o.conn.close()
    link_d.conn.close()
    office.close()
    desk.close()


def _facts(win, thread_id: int) -> list[str]:  # noqa: ANN001
    from clinic_inbox.ui.board import card_facts

    b = _cards(win).get(thread_id)
    return card_facts(b) if b else []
