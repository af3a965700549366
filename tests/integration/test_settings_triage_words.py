"""Settings > Urgent words on a real store: the clinic's words, per language, written to
its own rules file (other hand-written rules kept) and used by the very next triage,
with the triage's negation check; cleaned and checked, administrators only, audited
by which list changed and never the words; and a message synced after the change is
urgent, without a restart."""

from __future__ import annotations

import pytest
from support.clinics import new_clinic

from clinic_inbox.core import audit, services
from clinic_inbox.core import services_settings_triage as words
from clinic_inbox.core.access import AccessDenied
from clinic_inbox.core.clinic_triage_words import WordsError
from clinic_inbox.core.model import Priority
from clinic_inbox.core.triage import load_rules, triage

MSG = "The pump alarm keeps beeping since yesterday, can someone look at the settings?"


def test_urgent_words_are_kept_per_language_and_used_at_once(tmp_path):
    clinic, admin, _doc = new_clinic(tmp_path / "c")
    with clinic:
        own = clinic.home / "triage_rules.toml"
        own.write_text(
            '[[category]]\nid = "billing"\npatterns = ["invoice number"]\n', "utf-8"
        )  # a clinic's hand-written rule
        assert words.urgent_words(clinic, admin) == {"en": [], "fr": []}
        before = triage("Question", MSG, load_rules(clinic.home))
        assert before.priority is Priority.ROUTINE  # an insulin pump clinic wants it urgent

        with pytest.raises(WordsError) as caught:
            words.save_urgent_words(clinic, admin, {"en": ["ok", "12345"], "fr": []})
        assert len(caught.value.problems) == 2 and "“ok”" in caught.value.problems[0]
        assert "black" not in own.read_text()

        changed = words.save_urgent_words(
            clinic, admin,
            {"en": ["  pump   alarm ", "“Pump ALARM!”", ""], "fr": ["pompe sonne"]},
        )  # fmt: skip
        assert changed == ["urgent_words_en", "urgent_words_fr"]
        assert words.urgent_words(clinic, admin) == {
            "en": ["pump alarm"],
            "fr": ["pompe sonne"],
        }
        assert "invoice number" in own.read_text()
        assert oct(own.stat().st_mode & 0o777) == "0o600"
        (entry,) = [e for e in audit.entries(clinic.store) if e.action == "settings.triage_words"]
        assert entry.detail == {"changed": ["urgent_words_en", "urgent_words_fr"]}
        assert "pump" not in str(entry.detail) and "pompe" not in str(entry.detail)

        rules = load_rules(clinic.home)  # what the next sync pass loads
        after = triage("Question", MSG, rules)
        assert after.priority is Priority.URGENT, after
        assert "clinic_urgent_en" in after.matched_rules
        assert any("pump alarm" in r for r in after.reasons), after.reasons
        fr = triage(
            "Question", "Depuis hier la pompe sonne sans arrêt, pouvez-vous regarder ?", rules
        )
        assert fr.priority is Priority.URGENT and "clinic_urgent_fr" in fr.matched_rules
        # the triage's own negation check still applies
        denied = triage("Question", "No pump alarm since the new battery, thank you.", rules)
        assert "clinic_urgent_en" not in denied.matched_rules
        # the hand-written rule still loads beside them
        assert triage("Bill", "About invoice number 4411", rules).category.value == "billing"

        # emptied: the rule goes, the words no longer make a message urgent
        assert words.save_urgent_words(clinic, admin, {"en": [], "fr": ["pompe sonne"]}) == [
            "urgent_words_en"
        ]
        assert "clinic_urgent_en" not in triage("Q", MSG, load_rules(clinic.home)).matched_rules
        assert words.save_urgent_words(clinic, admin, {"en": [], "fr": ["pompe sonne"]}) == []

        doc = services.login(clinic, "dr.patel", "kettle orbit maple frost")
        with pytest.raises(AccessDenied):
            words.save_urgent_words(clinic, doc, {"en": ["anything"], "fr": []})
        assert [e.action for e in audit.entries(clinic.store)][-1] == (
            "settings.triage_words.refused"
        )


def _mail(n: int, body: str) -> bytes:
    from datetime import UTC, datetime
    from email.message import EmailMessage
    from email.utils import format_datetime

    msg = EmailMessage()
    msg["From"] = "Sam Rivers <sam.rivers@example.net>"
    msg["To"] = "inbox@clinic.example"
    msg["Subject"] = "My pump"
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = f"<pump-{n}@example.net>"
    msg.set_content(body)
    return msg.as_bytes()


def test_a_message_synced_after_the_change_is_urgent(tmp_path, dovecot):
    """Through a real Dovecot and the real sync: the words saved in Settings are read by
    the next sync pass, with no restart."""
    from clinic_inbox.core.accounts import ImapAccount
    from clinic_inbox.core.store import queries as q
    from clinic_inbox.sources import sync

    dovecot.add_user("inbox@clinic.example", "mailbox-password")
    clinic, admin, _doc = new_clinic(tmp_path / "c")
    with clinic:
        services.add_imap_account(
            clinic, admin,
            ImapAccount(name="Clinic email", host=dovecot.host, port=dovecot.port,
                        username="inbox@clinic.example", security="none"),
            "mailbox-password",
        )  # fmt: skip
        dovecot.append_many("inbox@clinic.example", [_mail(1, MSG)])
        assert sync.run_once(clinic, send=False).stored == 1
        words.save_urgent_words(clinic, admin, {"en": ["pump alarm"], "fr": []})
        dovecot.append_many("inbox@clinic.example", [_mail(2, "Sorry, again: " + MSG)])
        assert sync.run_once(clinic, send=False).stored == 1
        inbound = [m for m in q.list_messages(clinic.store) if m.direction.value == "in"]
        first, second = sorted(inbound, key=lambda m: m.id)
        # read before the words were saved: not urgent (routine or, as the category model
        # may call a question about settings an appointment, administrative)
        assert first.priority in (Priority.ROUTINE, Priority.ADMIN)
        assert second.priority is Priority.URGENT
