"""Automatic variants of a patient's message for metamorphic triage tests.

Each variant keeps the meaning: an emergency must stay urgent under every one.
Deterministic (seeded per message) so a failure can be reproduced.
"""

from __future__ import annotations

import random
import re

from clinic_inbox.core.triage_text import lemma

_WORD = re.compile(r"[A-Za-zÀ-ÿ]+(?:'[A-Za-z]+)?")

EVERYDAY_EN = (
    "Hi, hope you are all well. I also wanted to ask about my prescription renewal, the "
    "pharmacy said they sent a fax last week. My daughter's school form is due Friday too. "
)
EVERYDAY_EN_AFTER = (
    " Also, can I change my physical to a Tuesday morning? And is parking still free on "
    "weekends? Thanks so much for everything, have a good day."
)
EVERYDAY_FR = (
    "Bonjour, j'espère que vous allez bien. Je voulais aussi demander pour mon renouvellement, "
    "la pharmacie dit qu'elle a envoyé un fax la semaine passée. Le formulaire de l'école de "
    "ma fille est dû vendredi aussi. "
)
EVERYDAY_FR_AFTER = (
    " Aussi, est-ce que je peux déplacer mon examen annuel à un mardi matin? Le stationnement "
    "est-il encore gratuit la fin de semaine? Merci pour tout, bonne journée."
)
QUOTED_EN = (
    "\n\nOn Mon, Nov 2, 2026 at 9:00 AM, Riverside Family Clinic wrote:\n"
    "> Hello, this is a reminder of your appointment on Thursday at 10:30.\n"
    "> Please bring your health card.\n"
)
QUOTED_FR = (
    "\n\nLe lun. 2 nov. 2026 à 09:00, Clinique des Érables a écrit :\n"
    "> Bonjour, ceci est un rappel de votre rendez-vous jeudi à 10 h 30.\n"
    "> Apportez votre carte d'assurance maladie.\n"
)


def upper(text: str) -> str:
    return text.upper()


def lower(text: str) -> str:
    return text.lower()


def no_punctuation(text: str) -> str:
    return re.sub(r"[^\w\s']", " ", text)


def inflections_swapped(text: str, lang: str) -> str:
    """Every word in its dictionary form ("killing myself" -> "kill myself")."""
    # a contraction is kept whole: lemmatising "doesn't" gives "do't", which no one writes
    return _WORD.sub(
        lambda m: m.group(0) if "'" in m.group(0) else lemma(m.group(0).lower(), lang), text
    )


def slip(word: str, rng: random.Random) -> str:
    """One slip in `word` (of 3+ letters): a letter dropped, doubled, swapped or replaced,
    never the first letter (also bench/triage_noisy.py's, for many words at once)."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("drop", "double", "swap", "replace"))
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rng.choice("aeiou") + word[i + 1 :]


def one_typo(text: str, seed: int) -> str:
    """One slip in one word of 5+ letters."""
    rng = random.Random(seed)
    words = [m for m in _WORD.finditer(text) if len(m.group(0)) >= 5]
    if not words:
        return text
    m = rng.choice(words)
    return text[: m.start()] + slip(m.group(0), rng) + text[m.end() :]


def wrapped(text: str, lang: str) -> str:
    """Inside a long everyday message."""
    if lang == "fr":
        return EVERYDAY_FR + text + EVERYDAY_FR_AFTER
    return EVERYDAY_EN + text + EVERYDAY_EN_AFTER


def above_a_quote(text: str, lang: str) -> str:
    """The emergency written above an older, harmless quoted message."""
    return text + (QUOTED_FR if lang == "fr" else QUOTED_EN)


def variants(text: str, lang: str, seed: int) -> dict[str, str]:
    return {
        "upper case": upper(text),
        "lower case": lower(text),
        "punctuation stripped": no_punctuation(text),
        "inflections swapped": inflections_swapped(text, lang),
        "one typo": one_typo(text, seed),
        "another typo": one_typo(text, seed + 7919),
        "wrapped in an everyday message": wrapped(text, lang),
        "above a quoted reply": above_a_quote(text, lang),
    }
