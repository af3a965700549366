"""Which of the clinic's languages a patient's message is written in.

Runs on every incoming message (triage), so it must stay cheap: about 0.1 ms of CPU
for a 500-character message (0.05 ms of it py3langid's scoring). The statistics come
from `py3langid` (a maintained fork of langid.py: a naive Bayes model over byte
n-grams, 4.5 MB installed, needs numpy; loaded once per process in ~0.8 s, ~50 MB
resident once the languages we cannot answer in are dropped, ~105 MB at the peak
of loading). It was chosen over `simplemma`'s detector (dictionary coverage:
0.12 ms and ~45 MB, but it read unaccented or misspelt French such as "pkoi jai pas
eu mes resultats" as English, and gives up on "slt" or "oui svp") and
`lingua-language-detector` (96 MB installed, 0.15 ms, and it took English sentences
with French names in them for French).

n-gram models are trained on edited text; patients write "slt", "tkt", "chu pu
capable", "ok merci". A short list of words that only one of the languages uses in
such writing tips the balance for the very short messages where the model has
almost nothing to go on; on a message of a sentence or more it cannot outvote it.
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Sequence
from typing import Any

# The languages the clinic can answer in (reply templates exist for them).
KNOWN: dict[str, str] = {"en": "English", "fr": "French"}

# Each marker word adds this much to its language's log-score (the model's scores
# for a 500-character message differ by ~100; for "ok merci" by ~4).
_MARKER_WEIGHT = 8.0
# Closer than this and the message is too short or too mixed to tell.
_UNSURE_MARGIN = 2.0
# Enough to tell any language; keeps the cost flat for long messages.
_MAX_CHARS = 1500

_MARKERS: dict[str, frozenset[str]] = {
    "fr": frozenset(
        """
        bonjour bonsoir salut slt merci svp stp tkt jsuis chui chu jpeux jveux jvoudrais
        jpense jme jsais jai cest pkoi pcq pck kesse kossé rdv dla dmain auj ajd ouais
        pantoute tsé bebe bébé sem résultats resultats
        """.split()
    ),
    "en": frozenset(
        """
        hi hello hey thanks thank thx ty pls plz please yes yeah yep nope im ive dont
        cant wont didnt isnt u ur appt asap lol omg tmrw results
        """.split()
    ),
}

_QUOTED = re.compile(r"^\s*>.*$", re.MULTILINE)
# Where a mail program starts the older message it quotes without ">" marks.
_REPLY_HEADER = re.compile(
    r"^\s*(?:On\b.{0,200}\bwrote:|Le\b.{0,200}\ba écrit ?:"
    r"|-{2,} ?(?:Original Message|Message d'origine|Message original) ?-{2,}"
    r"|(?:From|De) ?: .{1,200}\n\s*(?:Sent|Envoyé|Date) ?: )",
    re.MULTILINE | re.IGNORECASE,
)
_LINKS = re.compile(r"\S+@\S+|\b(?:https?://|www\.)\S+", re.IGNORECASE)
_WORDS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")

_lock = threading.Lock()
_known_model: Any = None
_by_languages: dict[tuple[str, ...], Any] = {}


def _identifier(languages: tuple[str, ...]) -> Any:
    """The model restricted to `languages`, loaded once per process (~0.8 s)."""
    global _known_model
    found = _by_languages.get(languages)
    if found is not None:
        return found
    with _lock:
        if _known_model is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            full = LanguageIdentifier.from_model_file(MODEL_FILE)
            # Only the languages we can answer in are ever asked about: keep their
            # columns and let the other 140 go (28 MB of the ~75 MB the model takes).
            full.set_languages(list(KNOWN))
            full._full_model = (full.nb_ptc.copy(), full.nb_pc.copy(), list(full.nb_classes))
            full.set_languages(None)
            _known_model = full
        # a shallow copy shares the automaton; restricting it slices the columns
        restricted = copy.copy(_known_model)
        restricted.set_languages(list(languages))
        _by_languages[languages] = restricted
        return restricted


def preload(languages: Sequence[str] = ("en", "fr")) -> None:
    """Load the model now (~0.8 s, ~50 MB) rather than on the first message: for a
    worker process's start-up. Nothing to load for a clinic with one language."""
    candidates = tuple(dict.fromkeys(lang for lang in languages if lang in KNOWN))
    if len(candidates) >= 2:
        _identifier(candidates)


def _clean(text: str) -> str:
    """The patient's own words: not an older message quoted below, not addresses."""
    text = text[: _MAX_CHARS * 2]
    header = _REPLY_HEADER.search(text)
    if header is not None and sum(ch.isalpha() for ch in text[: header.start()]) >= 2:
        text = text[: header.start()]
    if ">" in text:
        text = _QUOTED.sub(" ", text)
    if "@" in text or "http" in text or "www" in text:
        text = _LINKS.sub(" ", text)
    return text[:_MAX_CHARS]


def _marker_hits(text: str, languages: tuple[str, ...]) -> dict[str, int]:
    words = _WORDS.findall(text.lower())
    return {
        lang: sum(1 for w in words if w.replace("’", "'") in _MARKERS.get(lang, ()))
        for lang in languages
    }


def detect_language(text: str, languages: Sequence[str] = ("en", "fr")) -> str:
    """The most likely of `languages` for `text`; the first one when unsure (empty,
    too short, or as much of one as of the other)."""
    if not languages:
        raise ValueError("detect_language needs at least one language to choose from")
    default = languages[0]
    candidates = tuple(dict.fromkeys(lang for lang in languages if lang in KNOWN))
    if len(candidates) < 2:
        return default
    cleaned = _clean(text or "")
    if len(cleaned.split()) < 3:
        # "OUI", "CONFIRM": too few words of their own; the conversation they answer
        # (the clinic's quoted reminder) says which language it is held in
        whole = (text or "")[:_MAX_CHARS]
        cleaned = _LINKS.sub(" ", whole) if ("@" in whole or "http" in whole) else whole
    if sum(ch.isalpha() for ch in cleaned) < 2:
        return default
    scores = dict(_identifier(candidates).rank(cleaned))
    hits = _marker_hits(cleaned, candidates)
    for lang in candidates:
        # a text with no n-gram the model knows scores a huge negative floor: count it as 0
        model = scores.get(lang, 0.0)
        scores[lang] = (model if model > -1e30 else 0.0) + hits[lang] * _MARKER_WEIGHT
    ranked = sorted(candidates, key=lambda lang: scores[lang], reverse=True)
    best, second = ranked[0], ranked[1]
    if scores[best] - scores[second] < _UNSURE_MARGIN:
        return default
    return best


def message_language(
    subject: str | None, body: str | None, languages: Sequence[str] = ("en", "fr")
) -> str:
    """The language of a message: its body's, with the subject read too when the body
    is a word or two ("bye" under "jumping off the bridge tonight")."""
    body = body or ""
    if len(_clean(body).split()) < 3 and subject:
        return detect_language(f"{subject}\n{body}", languages)
    return detect_language(body or subject or "", languages)


def check_languages(codes: Sequence[object]) -> tuple[str, ...]:
    """The clinic's languages from clinic.toml, or a plain error naming what is wrong."""
    known = ", ".join(f'"{code}" ({name})' for code, name in KNOWN.items())
    if isinstance(codes, str) or not isinstance(codes, Sequence) or not codes:
        raise ValueError(
            'clinic.toml: "languages" must list the languages the clinic answers in, '
            f'for example languages = ["en", "fr"]. Clinic Inbox knows {known}.'
        )
    out: list[str] = []
    for code in codes:
        norm = str(code).strip().lower()
        if norm not in KNOWN:
            raise ValueError(
                f'clinic.toml: the language "{code}" is not one Clinic Inbox can answer in. '
                f"It knows {known}."
            )
        if norm not in out:
            out.append(norm)
    return tuple(out)
