"""Outgoing mail is well-formed and refuses header injection."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

import pytest

from clinic_inbox.core import outgoing
from clinic_inbox.core.threading import normalise_subject


def _build(**over):
    args = dict(
        from_address="clinic@example.org",
        from_name="Riverside",
        to_address="p@example.org",
        subject="Re: refill",
        body="Done.",
        message_id=outgoing.new_message_id("example.org"),
    )
    args.update(over)
    return outgoing.build_email(**args)


@pytest.mark.parametrize("field", ["to_address", "subject", "from_name", "message_id"])
@pytest.mark.parametrize(
    "evil", ["x\r\nBcc: victim@example.org", "x\nBcc: v@e.org", "x\rY", "x\x00"]
)
def test_header_values_with_line_breaks_are_refused(field, evil):
    with pytest.raises(outgoing.HeaderInjectionError):
        _build(**{field: evil})


def test_reply_headers_and_auto_submitted():
    raw = _build(in_reply_to="<a@x>", references=["<0@x>", "<a@x>"], auto_submitted=True)
    msg = message_from_bytes(raw, policy=default)
    assert msg["In-Reply-To"] == "<a@x>" and msg["References"] == "<0@x> <a@x>"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["Message-ID"].endswith("@example.org>")
    assert msg.get_content().strip() == "Done."


def test_message_ids_are_unique():
    assert len({outgoing.new_message_id("example.org") for _ in range(1000)}) == 1000


def test_templates_fill_fields_and_leave_unknown_ones():
    subject, body = outgoing.render_template(
        "acknowledgement",
        {
            "subject": "Refill",
            "patient_first_name": "Zoë",
            "clinic_name": "Riverside",
            "turnaround": "2 working days",
            "emergency_advice": "Call 911.",
            "phone": "555",
        },
    )
    assert subject == "We received your message: Refill"
    assert "Dear Zoë" in body and "2 working days" in body and "Call 911." in body


@pytest.mark.parametrize(
    ("raw", "norm"),
    [
        ("Re: RE: Fwd: Refill please", "refill please"),
        ("[Portal] AW: Termin", "termin"),
        ("Re[2]: results", "results"),
        ("  Lab   results ", "lab results"),
        ("", ""),
    ],
)
def test_subject_normalisation(raw, norm):
    assert normalise_subject(raw) == norm
