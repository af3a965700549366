"""Settings > Reply templates on a real store: the shipped templates listed in both
languages, one rewritten and one added (the clinic's file keeps only what differs),
mistakes named (an unknown {field}, a repeated name, no text), removed (a shipped one
given its wording back), administrators only,
audited by the template's name and what changed, never the text."""

from __future__ import annotations

import pytest
from support.clinics import new_clinic

from clinic_inbox.core import audit, services
from clinic_inbox.core import services_settings_templates as st
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.reply_templates import ReplyTemplate, TemplateError, render


def _entries(clinic):
    return [e for e in audit.entries(clinic.store) if e.action == "settings.reply_template"]


def test_templates_are_listed_edited_and_added_per_language(tmp_path):
    clinic, admin, _doc = new_clinic(tmp_path / "c")
    with clinic:
        found = st.reply_templates(clinic, admin)
        assert [t.name for t in found] == [
            "refill_sent", "results_normal", "appointment_booked", "please_call",
        ]  # fmt: skip
        refill = found[0]
        assert refill.shipped and refill.texts["en"].startswith("Hello {patient_first_name}")
        assert refill.texts["fr"].startswith("Bonjour {patient_first_name}")

        edited = ReplyTemplate(
            "refill_sent",
            "Prescription sent",
            {"en": refill.texts["en"] + "\n\nPharmacy hours vary on holidays.",
             "fr": refill.texts["fr"]},
        )  # fmt: skip
        saved = st.save_reply_template(clinic, admin, edited)
        assert saved.texts["en"].endswith("vary on holidays.") and saved.shipped
        own = (clinic.home / "reply_templates.toml").read_text()
        assert "holidays" in own and "Bonjour" not in own  # only what differs is kept
        assert oct((clinic.home / "reply_templates.toml").stat().st_mode & 0o777) == "0o600"
        fields = {"patient_first_name": "Zoé"}
        assert "Zoé" in render(clinic.home, "refill_sent", fields, "en")
        assert "Votre ordonnance a été envoyée" in render(clinic.home, "refill_sent", fields, "fr")

        with pytest.raises(TemplateError) as caught:
            st.save_reply_template(
                clinic, admin,
                ReplyTemplate("", "results normal", {"en": "Dear {first_name}, see {phone}."}),
            )  # fmt: skip
        said = "\n".join(caught.value.problems)
        assert "already a template called" in said and "{first_name}" in said
        with pytest.raises(TemplateError, match="at least one language"):
            st.save_reply_template(clinic, admin, ReplyTemplate("", "Flu shots", {"en": " "}))

        added = st.save_reply_template(
            clinic, admin,
            ReplyTemplate("", "Flu shot clinic", {
                "en": "Hello {patient_first_name}, flu shots are on Saturdays. Call {phone}.",
                "fr": "Bonjour {patient_first_name}, la vaccination a lieu le samedi.",
            }),
        )  # fmt: skip
        assert added.name == "clinic_flu_shot_clinic" and not added.shipped
        assert [t.label for t in st.reply_templates(clinic, admin)][-1] == "Flu shot clinic"
        assert "le samedi" in render(clinic.home, added.name, fields, "fr")
        # unchanged: nothing written, no entry
        assert st.save_reply_template(clinic, admin, added) == added

        entries = _entries(clinic)
        assert [e.detail for e in entries] == [
            {"template": "refill_sent", "changed": ["text_en"]},
            {"template": "clinic_flu_shot_clinic", "changed": ["new"]},
        ]
        assert "Saturdays" not in str([e.detail for e in entries])

        # removed: the clinic's own goes; a shipped one gets its shipped wording back
        assert st.remove_reply_template(clinic, admin, "refill_sent") == "reset"
        assert st.reply_templates(clinic, admin)[0].texts["en"] == refill.texts["en"]
        assert st.remove_reply_template(clinic, admin, added.name) == "removed"
        assert [t.name for t in st.reply_templates(clinic, admin)][-1] == "please_call"
        with pytest.raises(TemplateError, match="no longer exists"):
            st.remove_reply_template(clinic, admin, added.name)
        assert [e.detail["changed"] for e in _entries(clinic)][-2:] == [["reset"], ["removed"]]

        doc = services.login(clinic, "dr.patel", "kettle orbit maple frost")
        with pytest.raises(AccessDenied):
            st.save_reply_template(clinic, doc, edited)
        assert [e.action for e in audit.entries(clinic.store)][-1] == (
            "settings.reply_template.refused"
        )
