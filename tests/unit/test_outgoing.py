"""Outgoing mail is well-formed and refuses header injection."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default

import pytest

from clinic_inbox.core import outgoing
from clinic_inbox.core.resources import resource_path
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
            "patient_first_name": "Zoë",
            "clinic_name": "Riverside",
            "turnaround": "2 working days",
            "emergency_advice": "Call 911.",
            "phone": "555",
        },
    )
    assert subject == "Your message to Riverside"
    assert "Dear Zoë" in body and "2 working days" in body and "Call 911." in body
    _, body = outgoing.render_template("please_call", {"clinic_name": "Riverside"})
    assert "{patient_first_name}" in body and "{phone}" in body


TEMPLATES = resource_path("reply_templates")
NAMES = sorted(p.stem for p in TEMPLATES.glob("*.txt"))
FIELDS = {
    "patient_first_name": "Zoë",
    "clinic_name": "Clinique Riverside",
    "turnaround": "2 jours ouvrables",
    "emergency_advice": "Composez le 911.",
    "phone": "613-555-0142",
    "emergency_number": "911",
    "crisis_line": "9-8-8",
}


def test_every_template_has_a_french_twin_and_nothing_else_is_there():
    assert len(NAMES) >= 7
    assert sorted(p.stem for p in (TEMPLATES / "fr").glob("*.txt")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_french_templates_are_french_and_fill_every_field(name):
    subject, body = outgoing.render_template(name, FIELDS, "fr")
    english_subject, english_body = outgoing.render_template(name, FIELDS, "en")
    assert subject and subject != english_subject and body != english_body
    assert "{" not in subject + body and "}" not in subject + body
    assert "Bonjour Zoë," in body
    # fields the English template uses are used in French too
    for key, value in FIELDS.items():
        assert (value in english_body) <= (value in body), key


@pytest.mark.parametrize("name", NAMES)
def test_a_french_letter_from_the_shipped_policy_has_no_english_in_it(name):
    from clinic_inbox.core.config import load_config

    cfg = load_config()
    fields = {**outgoing.standard_fields(cfg, "Zoë", "fr"), "turnaround": "2 jours ouvrables"}
    _, body = outgoing.render_template(name, fields, "fr")
    english = ("If this is an emergency", "Do not use email", "Dear", "Hello", " the ", " you ")
    assert not [w for w in english if w in body], body


def test_the_safety_reply_in_french_names_911_and_the_crisis_line():
    subject, body = outgoing.render_template("safety", FIELDS, "fr")
    assert subject.startswith("Important")
    assert "composez le 911" in body and "9-8-8 (Ligne d'aide en cas de crise suicidaire)" in body
    assert "vous" in body and " tu " not in body  # vouvoiement


@pytest.mark.parametrize("name", ["acknowledgement", "safety"])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_automatic_replies_have_no_field_for_the_incoming_subject(name, language):
    text = outgoing.template_path(name, language).read_text("utf-8")
    assert "{subject}" not in text
    subject, _ = outgoing.render_template(
        name, {**FIELDS, "subject": "http://evil.example"}, language
    )
    assert "evil" not in subject


def test_a_language_without_templates_falls_back_to_english():
    assert outgoing.render_template("refill_sent", FIELDS, "de") == outgoing.render_template(
        "refill_sent", FIELDS, "en"
    )
    assert outgoing.template_path("refill_sent", "de") == TEMPLATES / "refill_sent.txt"
    assert outgoing.template_path("refill_sent", "fr") == TEMPLATES / "fr" / "refill_sent.txt"


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
