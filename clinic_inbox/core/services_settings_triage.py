"""Settings > Urgent words (administrators): the clinic's own words that make a
message urgent, per language. The change is audited by which languages' lists
changed, never the words; the next message triaged uses them (the triage re-reads the
clinic's rules file when it changes), without a restart."""

from __future__ import annotations

from clinic_inbox.core.changes import Outcome
from clinic_inbox.core.clinic_triage_words import (
    WordsError,
    _own,
    cleaned,
    read_words,
    rules_text,
    write_rules,
)
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.services_common import _audit
from clinic_inbox.core.services_settings import _admin
from clinic_inbox.core.signin import Session


def urgent_words(clinic: Clinic, session: Session) -> dict[str, list[str]]:
    _admin(clinic, session, "settings.view")
    return read_words(clinic.home)


def save_urgent_words(clinic: Clinic, session: Session, words: dict[str, list[str]]) -> list[str]:
    """Checked (WordsError names every problem), written whole, audited. Returns the
    names of the lists that changed ("urgent_words_en"...)."""
    _admin(clinic, session, "settings.triage_words")
    new, problems = cleaned(words)
    if problems:
        raise WordsError(problems)
    own = _own(clinic.home)
    before = read_words(clinic.home)
    changed = [f"urgent_words_{lang}" for lang in new if new[lang] != before.get(lang, [])]
    if not changed:
        return []
    path = clinic.home / "triage_rules.toml"
    old_text = path.read_text("utf-8") if path.exists() else None
    written = False
    try:
        with clinic.store.transaction():
            write_rules(clinic.home, rules_text(own, new))
            written = True
            _audit(clinic, session, "settings.triage_words", detail={"changed": changed})
    except BaseException:
        # the audit entry did not commit: the file goes back to what it was
        if written:
            if old_text is None:
                path.unlink(missing_ok=True)
            else:
                write_rules(clinic.home, old_text)
        raise
    return changed


def save_urgent_words_action(
    clinic: Clinic, session: Session, words: dict[str, list[str]]
) -> Outcome:
    return Outcome(save_urgent_words(clinic, session, words))
