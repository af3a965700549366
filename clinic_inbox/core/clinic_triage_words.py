"""The clinic's own urgent words: words or phrases, one list per language, that make a
message urgent on top of the shipped triage rules (a clinic that sees many patients
on anticoagulants may add "black stools"). Kept in the clinic's own rules file,
`triage_rules.toml` in its data folder, which the triage already reads and re-reads
when it changes (core.triage.load_rules): as one red-flag rule per language, written
here with every word escaped, so a word can never be a broken pattern. The triage's
negation and history checks apply to them as to every rule. Other rules a clinic
wrote in that file by hand are kept.

No Qt; core/services_settings_triage.py checks access and audits."""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from clinic_inbox.core.triage_text import fold

RULES_FILE = "triage_rules.toml"
LANGUAGES = {"en": "English", "fr": "French"}
MAX_WORDS = 200
_ID = "clinic_urgent_{}"
_EDGE = "".join(chr(c) for c in range(0x20, 0x7F) if not chr(c).isalnum()) + "«»“”‘’…–—"
_HEADER = (
    "# This clinic's own triage rules, on top of the shipped ones (resources/triage_rules.toml).\n"
    "# The clinic_urgent_* rules are written by Administration > Settings > Urgent words.\n"
)


class WordsError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _own(home: Path) -> dict[str, Any]:
    path = Path(home) / RULES_FILE
    if not path.exists():
        return {}
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise WordsError(
            [f"The clinic's own triage rules file ({path}) cannot be read ({exc}); ask IT "
             "support to correct it before changing the urgent words."]
        ) from None  # fmt: skip


def read_words(home: Path) -> dict[str, list[str]]:
    """The clinic's urgent words per language, as staff typed them."""
    rules = {r.get("id"): r for r in _own(home).get("red_flag", [])}
    return {lang: list(rules.get(_ID.format(lang), {}).get("words", [])) for lang in LANGUAGES}


def cleaned(words: dict[str, list[str]]) -> tuple[dict[str, list[str]], list[str]]:
    """Words trimmed, blank lines and repeats dropped; and what cannot be a word."""
    out, problems = {}, []
    for lang, name in LANGUAGES.items():
        seen: dict[str, str] = {}
        for raw in words.get(lang, []):
            # whole words only: what starts or ends it must be a letter or a digit
            word = " ".join(raw.split()).strip(_EDGE)
            if not word:
                continue
            if len(word) < 3 or len(word) > 60 or not any(c.isalpha() for c in word):
                problems.append(
                    f"{name}: “{word[:60]}” is not a word or short phrase (3 to 60 characters)."
                )
                continue
            seen.setdefault(fold(word), word)
        if len(seen) > MAX_WORDS:
            problems.append(f"{name}: at most {MAX_WORDS} words (there are {len(seen)}).")
        out[lang] = list(seen.values())
    return out, problems


def pattern(word: str) -> str:
    """A word as a rule pattern: the folded text matched literally (any spacing between
    a phrase's words), whole words only."""
    return r"\s+".join(re.escape(part) for part in fold(word).split()) + r"\b"


def rules_text(own: dict[str, Any], words: dict[str, list[str]]) -> str:
    """The clinic's rules file with its clinic_urgent_* rules replaced (dropped for a
    language without words); every other rule kept as it was."""
    data = dict(own)
    ours = {_ID.format(lang) for lang in LANGUAGES}
    kept = [r for r in data.get("red_flag", []) if r.get("id") not in ours]
    for lang, name in LANGUAGES.items():
        if words.get(lang):
            kept.append(
                {
                    "id": _ID.format(lang),
                    "label": f"a word the clinic marks urgent ({name})",
                    "words": list(words[lang]),
                    "patterns": [pattern(w) for w in words[lang]],
                }
            )
    if kept:
        data["red_flag"] = kept
    else:
        data.pop("red_flag", None)
    return _HEADER + tomli_w.dumps(data)


def write_rules(home: Path, text: str) -> None:
    """Replace the clinic's rules file whole or not at all (temporary file beside it,
    flushed, renamed), owner-only."""
    home = Path(home)
    fd, tmp_name = tempfile.mkstemp(prefix=".triage_rules.", suffix=".tmp", dir=home)
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, home / RULES_FILE)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
