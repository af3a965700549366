"""Bounces (RFC 3464) are tied to the message they concern, and forged ones are not
believed: on a real encrypted store."""

from __future__ import annotations

import pytest
from support.clinics import new_clinic
from support.dsn import make_dsn

from clinic_inbox.core import accounts, bounces, dashboard, services
from clinic_inbox.core import services_compose as sc
from clinic_inbox.core.model import Status
from clinic_inbox.core.store import compose_queries as cq
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.store import queries as q

FROM = "inbox@riverside.example"


@pytest.fixture()
def sent(tmp_path):
    """A clinic whose reminder to Luc has left the outbox."""
    clinic, _, doc = new_clinic(tmp_path / "c")
    with clinic.store.transaction():
        accounts.add_imap_account(
            clinic.store,
            accounts.ImapAccount(
                name="Mail",
                host="127.0.0.1",
                port=1143,
                username=FROM,
                security="none",
                smtp_host="127.0.0.1",
                smtp_port=1025,
                smtp_security="none",
                from_address=FROM,
            ),
        )
        pid = q.add_patient(
            clinic.store, "Tremblay", "Luc", None, "C-1", None, doc.id, ("luc@patients.example",)
        )
    session = services.login(clinic, "dr.patel", "kettle orbit maple frost")
    started = sc.start_message(
        clinic,
        session,
        pid,
        sc.Request(template="reminder", fields={"what": "your blood test", "when": "Monday"}),
    )
    with clinic.store.transaction():
        oq.mark_sending(clinic.store, started.outbox_id)
        oq.mark_sent(clinic.store, started.outbox_id)
    clinic.started = started  # type: ignore[attr-defined]
    clinic.raw = oq.get(clinic.store, started.outbox_id).payload  # type: ignore[attr-defined]
    yield clinic
    clinic.close()


def _record(clinic, raw):
    with clinic.store.transaction():
        return bounces.record(clinic.store, clinic.audit_key, raw)


def _not_delivered_audits(clinic):
    return clinic.store.one("SELECT count(*) FROM audit WHERE action = 'message.not_delivered'")


def test_a_report_is_read_with_headers_or_the_whole_message_returned():
    original = (
        b"From: a@x.org\r\nTo: luc@patients.example\r\nMessage-ID: <id1@x.org>\r\n"
        b"Subject: s\r\n\r\nbody\r\n"
    )
    for headers_only in (True, False):
        dsn = bounces.parse_dsn(
            make_dsn(original, "Luc@Patients.example", to="a@x.org", headers_only=headers_only)
        )
        assert dsn.original_message_id == "<id1@x.org>"
        [r] = dsn.failed
        assert r.final_recipient == "luc@patients.example" and r.status == "5.1.1"
    assert bounces.parse_dsn(original) is None
    assert bounces.parse_dsn(b"\xff\xfe garbage") is None


def test_a_bounce_marks_the_message_not_delivered_and_brings_the_conversation_back(sent):
    started = sent.started
    assert q.get_thread(sent.store, started.thread_id).status is Status.WAITING
    found = _record(sent, make_dsn(sent.raw, "luc@patients.example", to=FROM))
    assert found.message_id == started.message_id and found.thread_id == started.thread_id
    state, detail = cq.delivery(sent.store, started.message_id)
    assert state == "not_delivered" and detail.startswith("5.1.1")
    assert q.get_thread(sent.store, started.thread_id).status is Status.NEW
    assert cq.not_delivered_open(sent.store) == [started.thread_id]
    assert q.get_thread(sent.store, started.thread_id).not_delivered
    board = dashboard.build(sent.store, sent.config)
    assert board.not_delivered == 1 and board.busiest_patients == []  # ours do not count
    _record(sent, make_dsn(sent.raw, "luc@patients.example", to=FROM))  # the same report again
    assert _not_delivered_audits(sent) == 1


@pytest.mark.parametrize(
    "forgery",
    [
        "another recipient",  # the report names someone this message was not sent to
        "unknown id",  # a Message-ID the clinic never sent
        "only delayed",  # "delayed" is not "not delivered"
        "not sent yet",  # still in the outbox: nothing can have bounced
    ],
)
def test_forged_or_irrelevant_reports_change_nothing(sent, forgery):
    raw = sent.raw
    recipient, action = "luc@patients.example", "failed"
    if forgery == "another recipient":
        recipient = "attacker@evil.example"
    elif forgery == "unknown id":
        raw = raw.replace(b"Message-ID: <", b"Message-ID: <x")
    elif forgery == "only delayed":
        action = "delayed"
    elif forgery == "not sent yet":
        with sent.store.transaction():
            sent.store.execute(
                "UPDATE outbox SET state = 'pending' WHERE id = ?", (sent.started.outbox_id,)
            )
    assert _record(sent, make_dsn(raw, recipient, to=FROM, action=action)) is None
    assert cq.delivery(sent.store, sent.started.message_id) == (None, None)
    assert q.get_thread(sent.store, sent.started.thread_id).status is Status.WAITING
    assert _not_delivered_audits(sent) == 0
    assert not q.get_thread(sent.store, sent.started.thread_id).not_delivered
