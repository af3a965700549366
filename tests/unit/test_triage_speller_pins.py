"""The speller's corrections on the labelled sets, pinned.

The speller corrects a misspelt word towards the words the rules name, so a new rule can
change a correction that older rules relied on without any rule of theirs changing (round
68: a new `testicul\\w*` put "testicul" in the vocabulary, the speller stopped correcting
"testicul" to "testicule" and five emergencies that needed "testicule" were lost). This
test makes such a change visible where it happens: each correction the speller makes on a
word of the labelled sets is pinned in `speller_corrections.json`, and a change fails here
naming the word, the old correction and the new one. A change made on purpose is kept by
writing the file again:

    PYTHONPATH=. python tests/unit/test_triage_speller_pins.py --write

and the diff of the file says which corrections changed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from clinic_inbox.core.triage import load_rules
from clinic_inbox.core.triage_eval import load_set
from clinic_inbox.core.triage_text import Speller, _words_rx, fold, guess_language, word_view

SETS = Path(__file__).resolve().parents[1] / "fixtures" / "triage"
PINS = SETS / "speller_corrections.json"


def corrections() -> dict[str, str]:
    """'lang|word as written' -> the lemma view's word, for every word of the labelled
    sets that the speller changes."""
    speller = load_rules().speller
    out: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    for part in sorted(SETS.glob("*.jsonl")):
        for item in load_set(part):
            for text in (item.subject, item.text):
                folded = fold(text)
                lang = guess_language(_words_rx(folded).findall(folded))
                lowered = text.lower()
                if len(lowered) != len(folded):
                    continue  # a letter whose lower case is longer: no way back to the words
                for m in _words_rx(folded).finditer(folded):
                    written = lowered[m.start() : m.end()]
                    key = (lang, written)
                    if key in seen:
                        continue
                    seen.add(key)
                    fixed = word_view(m.group(0), written, lang, speller)
                    if fixed != word_view(m.group(0), written, lang, None):
                        out[f"{lang}|{written}"] = fixed
    return dict(sorted(out.items()))


def test_the_speller_corrects_the_labelled_words_as_pinned():
    pinned: dict[str, str] = json.loads(PINS.read_text(encoding="utf-8"))
    speller = load_rules().speller
    changed = []
    for key, expected in pinned.items():
        lang, written = key.split("|", 1)
        now = word_view(fold(written), written, lang, speller)
        if now != expected:
            changed.append(f"{key}: {expected!r} -> {now!r}")
    assert not changed, (
        "the speller now corrects these words differently (a rule's new words change what "
        "it corrects towards; if meant, write the pins again: see this module's docstring):\n"
        + "\n".join(changed[:50])
    )
    assert len(pinned) > 1000  # the pins are the labelled sets' corrections, not a sample


def test_a_new_rule_word_can_change_a_correction_the_pins_would_catch():
    # why the pins exist: a vocabulary grown by one rule word ("testicul", from a rule's
    # `testicul\w*`) stops a correction older rules need
    speller = load_rules().speller
    assert word_view("testicul", "testicul", "fr", speller) == "testicule"
    grown = Speller(set(speller.vocabulary) | {"testicul"})
    assert word_view("testicul", "testicul", "fr", grown) == "testicul"


if __name__ == "__main__" and "--write" in sys.argv:
    pins = corrections()
    PINS.write_text(json.dumps(pins, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"{len(pins)} corrections pinned in {PINS}")
