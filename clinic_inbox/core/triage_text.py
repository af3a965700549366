"""Text preparation for triage: what the patient wrote now, in comparable forms.

Patients write "killing myself", "my arm went all heavy", "cant breath", "j'ai
avalé toutes mes pilules" without accents or punctuation. Rules are matched on
two views of each sentence:

- the *folded* text: lower case, accents removed, typographic quotes plain; it
  has exactly the length of the original, so a match quotes the patient's own
  words from the original;
- the *lemma* text: each word replaced by its dictionary form (simplemma, English
  then French), with common misspellings of the rules' own words corrected, so
  "killing" meets a rule written "kill", "vomitting" one written "vomit".

A mention's context (told as past, denied, a joke, an idiom) is judged on a third
view, made only when a mention is judged: the *mended* text, the folded words with
the same misspellings corrected and those of the context's own words ("herat attack"
is the idiom, "last saturady" a past date), so a slip does not keep a mention while
losing what said it was not happening.

Quoted reply text is dropped first, so an old emergency quoted below a reply does
not turn red again.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import simplemma

LEMMA_LANGS = ("en", "fr")
MAX_WORD = 40  # longer "words" (hostile input, base64) are kept as written, never looked up

# -- quoted replies ---------------------------------------------------------------
_QUOTE_HEADER = re.compile(
    # (the colon may be lost: a phone's dictation, a copy that dropped punctuation)
    r"^\s*(on .{0,200}wrote\s*:?|le .{0,200}a [ée]crit\s*:?|-{2,} ?(original message|message d'origine)"
    r" ?-{2,}|(from|de|envoy[ée]) ?: .+|sent from my \w+.{0,40}$)$",
    re.I,
)


def strip_quoted(text: str) -> str:
    """Drop quoted replies: '>' lines and everything after 'On ... wrote:'."""
    out = []
    for line in text.splitlines():
        if _QUOTE_HEADER.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        out.append(line)
    return "\n".join(out)


# -- folding (length-preserving) ----------------------------------------------------
def _fold_char(c: str) -> str:
    low = c.lower()
    if len(low) != 1:
        return c
    base = unicodedata.normalize("NFKD", low)
    base = "".join(ch for ch in base if not unicodedata.combining(ch))
    return base if len(base) == 1 else low


_FOLD = {cp: _fold_char(chr(cp)) for cp in range(0x80, 0x250) if _fold_char(chr(cp)) != chr(cp)}
_FOLD.update(
    {
        0x0130: "i",
        0x2019: "'",
        0x2018: "'",
        0x02BC: "'",
        0x0060: "'",
        0x00B4: "'",
        0x201C: '"',
        0x201D: '"',
        0x00A0: " ",
        0x202F: " ",
        0x2013: "-",
        0x2014: "-",
    }
)


def fold(text: str) -> str:
    """Lower case without accents, the same length as `text`."""
    return text.translate(_FOLD).lower() if text.isascii() is False else text.lower()


# -- sentences and words ------------------------------------------------------------
# A sentence ends at . ! ? ; or a line break; "..." and "!!" stay one break; "e.g."
# and "i.e." do not end one (a form's "(e.g. hospitalized, unconscious)" is one list).
# An emoji before a space ends one too: "mon pere tombé répond pu 😭 Aussi, ..." (with
# the variation selector and joiner phones add: "38.3 🌡️ not eating")
_SENTENCE_END = re.compile(
    # (not the point of a title: "we medevaced Mr. Redsky", "on a transféré M. Bastien";
    # the look-ahead first: the look-behinds run only where a point is, not at every letter)
    r"(?=[.!?;])(?<!\be\.g)(?<!\bi\.e)(?<!\bmr)(?<!\bmrs)(?<!\bms)(?<!\bdr)(?<!\bm)(?<!\bmme)(?<!\bmlle)"
    r"(?<!\bdre)(?<!\bst)(?<!\bste)[.!?;]+(?=\s|$)|[\u2600-\u27bf\U0001f300-\U0001faff][\u2600-\u27bf\U0001f300-\U0001faff\ufe0f\u200d]*(?=\s)|\n+"
)
_WORD = re.compile(r"[a-z0-9\u00c0-\u024f]+(?:'[a-z]+)?", re.I)
# The same words in a lower-case ASCII text (nearly every folded sentence), found
# without IGNORECASE's per-letter case checks: there, no letter is upper case and
# none of \u00c0-\u024f or their case partners ("ı", "ſ" for "i", "s") occurs.
_WORD_LOWER_ASCII = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def _words_rx(folded: str) -> re.Pattern[str]:
    return _WORD_LOWER_ASCII if folded.isascii() and folded.islower() else _WORD


@dataclass(frozen=True)
class Sentence:
    """One sentence in two views, with a way back to the patient's words."""

    start: int  # offset of the sentence in the (unquoted) text
    original: str  # the patient's words, as written
    folded: str
    lemmas: str
    # for each word in `lemmas`: (start in lemmas, end in lemmas, start in folded, end in folded)
    spans: tuple[tuple[int, int, int, int], ...]
    # what the mended view is made with: None reads context on `folded` as it is
    mender: Mender | None = field(default=None, compare=False, repr=False)
    lang: str = field(default="en", compare=False, repr=False)
    names: frozenset[int] = field(default=frozenset(), compare=False, repr=False)

    @cached_property
    def _mends(self) -> tuple[tuple[int, int, str, str], ...]:
        """Each word the mender changes: (start, end in folded, the word mended, the word
        as the rule view read it: inside a judged match)."""
        if self.mender is None:
            return ()
        folded, out = self.folded, []
        for n, (_ls, _le, fs, fe) in enumerate(self.spans):
            if n in self.names:
                continue
            word = folded[fs:fe]
            mended, ruled = self.mender.mend(word, self.original[fs:fe].lower(), self.lang)
            if mended != word or ruled != word:
                out.append((fs, fe, mended, ruled))
        return tuple(out)

    def _built(
        self, start: int = 0, end: int = 0
    ) -> tuple[str, tuple[tuple[int, int, int, int], ...]]:
        """The mended view, words overlapping `start:end` as the rule view read them (none
        by default); and for each word changed: (start, end in folded, start, end in the
        view)."""
        folded, parts, changed = self.folded, [], []
        pos = shift = 0
        for fs, fe, mended, ruled in self._mends:
            fixed = ruled if fe > start and fs < end else mended
            if fixed == folded[fs:fe]:
                continue
            parts += (folded[pos:fs], fixed)
            changed.append((fs, fe, fs + shift, fs + shift + len(fixed)))
            shift += len(fixed) - (fe - fs)
            pos = fe
        if not changed:
            return folded, ()
        parts.append(folded[pos:])
        return "".join(parts), tuple(changed)

    @cached_property
    def mended(self) -> str:
        """`folded` with slips of the rules' and the context's words mended."""
        return self._built()[0] if self._mends else self.folded

    def mended_for(self, start: int, end: int) -> tuple[str, int, int]:
        """The mended view for judging the match at `start:end` of `folded` (its own words
        read as the rule read them: "herat attack" is "heart attack" there, whatever else
        "herat" could be), and the match's offsets in it."""
        if not self._mends:
            return self.folded, start, end
        text, changed = self._built(start, end)
        return text, _moved(start, changed), _moved(end, changed)

    def surface(self, lemma_start: int, lemma_end: int) -> tuple[int, int]:
        """Offsets in `folded` of the words a match in `lemmas` covers."""
        first = last = None
        for ls, le, fs, fe in self.spans:
            if le > lemma_start and ls < lemma_end:
                first = fs if first is None else first
                last = fe
        if first is None or last is None:
            return 0, 0
        return first, last


def _moved(at: int, changed: tuple[tuple[int, int, int, int], ...]) -> int:
    """Offset `at` of the folded view in the mended one (inside a mended word: as far in,
    at most its end)."""
    shift = 0
    for fs, fe, ms, me in changed:
        if at <= fs:
            break
        if at < fe:
            return min(ms + at - fs, me)
        shift = me - fe
    return at + shift


def split_sentences(folded: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for m in _SENTENCE_END.finditer(folded):
        piece = folded[pos : m.end()]
        if piece.strip():
            out.append((pos, piece))
        pos = m.end()
    if folded[pos:].strip():
        out.append((pos, folded[pos:]))
    return out


# -- lemmas and spelling ------------------------------------------------------------
# Patients' shorthand, read as the words it stands for (the lemma view only).
SHORTHAND = {
    "u": "you",
    "ur": "your",
    "r": "are",
    "pls": "please",
    "plz": "please",
    "rly": "really",
    "2nite": "tonight",
    "2night": "tonight",
    "tonite": "tonight",
    "2day": "today",
    "b4": "before",
    "w": "with",
    "n": "and",
    "wat": "what",
    "wut": "what",
    "gonna": "going to",
    "wanna": "want to",
    "goin": "going",
    "hr": "hour",
    "hrs": "hours",
    "mins": "minutes",
    "cant": "can't",
    "dont": "don't",
    "wont": "won't",
    "im": "i'm",
    "ive": "i've",
    "didnt": "didn't",
    "doesnt": "doesn't",
    "dosent": "doesn't",
    "dosnt": "doesn't",
    "doesent": "doesn't",
    "isnt": "isn't",
    "hasnt": "hasn't",
    "havent": "haven't",
    "wasnt": "wasn't",
    "couldnt": "couldn't",
    "aint": "ain't",
    "shes": "she's",
    "hes": "he's",
    "thats": "that's",
    "idk": "i don't know",
    "bc": "because",
    "cuz": "because",
    "ppl": "people",
    "bf": "boyfriend",
    "gf": "girlfriend",
    "preg": "pregnant",
    "abt": "about",
    "smth": "something",
    "kms": "kill myself",  # "gonna kms tonite"
    # misspellings too short or too close to a known word for the speller
    "pian": "pain",
    "suger": "sugar",
    "breth": "breath",
    "pillule": "pilule",  # French, doubled l: a form the dictionary knows, so the speller keeps it
    "pillules": "pilules",
    # French (Quebec and text-speak)
    "pus": "plus",
    "chu": "je suis",
    "jsuis": "je suis",
    "chui": "je suis",
    "jveux": "je veux",
    "jpeux": "je peux",
    "jvais": "je vais",
    "jsais": "je sais",
    "jsp": "je sais pas",
    "jai": "j'ai",
    "ds": "dans",
    "pcq": "parce que",
    "qd": "quand",
    "2soir": "ce soir",
    "asoir": "ce soir",
    "tjrs": "toujours",
    "tt": "tout",
    "bcp": "beaucoup",
    "mtn": "maintenant",
    "jfais": "je fais",
    "jme": "je me",
    "jte": "je te",
    "ya": "il y a",
    "pi": "puis",
    "slt": "salut",
    "dsl": "desole",
    "svp": "s'il vous plait",
}

_FR_HINTS = frozenset(
    "le la les de des du je j' pas est et un une mon ma mes il elle que qui pour dans avec ca "
    "pis chu suis ai au aux sur ce cette son sa ses nous vous tout mais ne plus tres bonjour "
    "merci depuis fait jai chez".split()
)
_EN_HINTS = frozenset(
    "the and i my is to of a it in for have with was he she not this that you me can has "
    "are be been on at just but so hi hello thanks please from his her since".split()
)


def guess_language(words: list[str]) -> str:
    """'fr' or 'en' from function words: enough to pick the dictionary a word is looked
    up in first (the clinic's language detector decides which language to answer in)."""
    fr = sum(map(_FR_HINTS.__contains__, words))
    en = sum(map(_EN_HINTS.__contains__, words))
    return "fr" if fr > en else "en"


@lru_cache(maxsize=200_000)
def lemma(word: str, lang: str = "en") -> str:
    """Dictionary form of a lower-case word (the message's language first), folded.
    Short words are kept as written: they are the negations and pronouns the context
    rules read ("pas", "not", "his")."""
    if len(word) <= 3 or len(word) > MAX_WORD or not word.isalpha():
        return fold(word)
    try:
        out = simplemma.lemmatize(word, lang=(lang, "fr" if lang == "en" else "en"))
    except (ValueError, KeyError):  # pragma: no cover - simplemma refuses odd input
        out = word
    return fold(out)


@lru_cache(maxsize=200_000)
def is_known(word: str, lang: str = "en") -> bool:
    return simplemma.is_known(word, lang=lang)


class Speller:
    """Corrects a word within one edit (a letter missing, extra, wrong or two swapped)
    of the rules' own vocabulary, when the word is not a known English or French word.

    A symmetric-delete index: a word and a vocabulary entry are one edit apart when
    they share a one-letter deletion (or one is the other's deletion)."""

    MIN_LENGTH = 5  # shorter words have too many one-edit neighbours

    def __init__(self, vocabulary: set[str]) -> None:
        self.vocabulary = frozenset(w for w in vocabulary if len(w) >= self.MIN_LENGTH - 1)
        index: dict[str, set[str]] = {}
        for w in self.vocabulary:
            index.setdefault(w, set()).add(w)
            for d in _deletes(w):
                index.setdefault(d, set()).add(w)
        self._index = {k: tuple(sorted(v)) for k, v in index.items()}
        self._longest = max((len(w) for w in self.vocabulary), default=0) + 1
        self._cache: dict[str, str] = {}

    def correctable(self, word: str) -> bool:
        """Long enough to correct, not too long to be any word's slip, and none of its own."""
        return self.MIN_LENGTH <= len(word) <= self._longest and word not in self.vocabulary

    def correct(self, word: str, lang: str = "en") -> str:
        if not self.correctable(word):
            return word
        key = f"{lang}:{word}"
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        out = word
        if not word.isalpha() or is_known(word, lang):
            pass
        else:
            near = self.near(word)
            if near:
                # a word of the message's language first: "testicul" in French is
                # "testicule", not "testicle"; then the word with an ending added ("taked"
                # is "take", not "talked"); then a letter the writer dropped over one changed
                # ("belly buton" is "button", not "baton"; "mothr" is "mother", not "moth")
                out = min(
                    near,
                    key=lambda c: (
                        not is_known(c, lang),
                        not _ending_added(word, c),
                        word not in _deletes(c),
                        c,
                    ),
                )
        if len(self._cache) < 100_000:
            self._cache[key] = out
        return out

    def near(self, word: str) -> list[str]:
        """Vocabulary words one edit from `word` (some two: see `_one_edit`), with the
        same first letter (people rarely mistype the first letter)."""
        candidates: set[str] = set(self._index.get(word, ()))
        for d in _deletes(word):
            candidates.update(self._index.get(d, ()))
            if d in self.vocabulary:
                candidates.add(d)
        candidates.discard(word)
        return [c for c in candidates if c[0] == word[0] and abs(len(c) - len(word)) <= 1]


# Words whose dictionary form loses what the rules read: simplemma makes "worst" "bad", and
# "the worst headache of my life" is a red flag that "a bad headache" is not. (The rules'
# lemma view only: the wording model was trained on `lemma` as it is.) And medicines' short names
# the speller would bend into a rule's word: "ma spiro" (spironolactone) is not "sirop"; and
# French words no dictionary here knows: "une bûche" (a log) is not "une bouche", "un glaçon" not
# "un garçon". And words a rule's new word would pull towards it: the village of Cocagne is
# not "cocaine", "un détail" not "dental", Gripe Water not "grimper", "thanks" not "tank"; the
# HELLP syndrome and "hello" are not "hell", Chloé is not "chlore", the town of Chapais not
# "champis" (mushrooms), Dettah not "detach", the Dénés not "dents", "lait de chèvre" and "lait
# maternisé" not "chevet" and "maternité", Polson Park not "poison", the village of Masset not "masse",
# a staph infection not "stamp".
_KEPT_AS_WRITTEN = frozenset(
    {
        "worst", "spiro", "buche", "bucher", "glacon", "cocagne", "detail", "thanks", "trans",
        "gripe", "hellp", "hello", "chloe", "chapais", "dettah", "denes", "dene", "chevre",
        "maternise", "polson", "masset", "staph",
        "conge",  # "en congé" (on leave) had been bent to "cogne" (hit)
        "coteau",  # Coteau-du-Lac, Coteau-Landing: a place, not "couteau" (a knife)
        "sauveur", "malbaie", "angus",  # Saint-Sauveur, La Malbaie, a name: not "sauteur", "maladie", "anus"
        "emerg",  # Canadians' word for the emergency department, not "energ(y)"
    }
)  # fmt: skip


@lru_cache(maxsize=200_000)
def word_view(word: str, written: str, lang: str, speller: Speller | None) -> str:
    """A word of the lemma view: `word` folded, `written` as the patient wrote it (lower
    case, accents kept: the dictionaries know "évanoui"). Kept per word, as lemmas are."""
    lem = SHORTHAND.get(word)
    if lem is not None:
        return lem
    if word in _KEPT_AS_WRITTEN:
        return word
    lem = lemma(written, lang)
    if speller is not None and lem == word:
        if word.endswith("in") and word + "g" in speller.vocabulary:
            fixed = word + "g"  # "seizin", "bleedin": the g people drop
        else:
            fixed = speller.correct(word, lang)
        lem = lemma(fixed, lang) if fixed != word else lem
    return lem


class Mender:
    """Mends a folded word for the context judge: a slip of one letter off a word of
    the rules or of the context's own ("saturady", "herat", "cousni"), when only one such
    word is that near (a wrong guess would decide what is set aside); inside the match
    being judged, as the rule view read it ("herat" is "heart" or "heat", but the chest
    pain rule matched "heart attack"). A word either
    dictionary knows (as written, accents kept: "opéré", "fébriles"), a short one,
    shorthand, a dropped g ("killin") and the words kept as written stay as they are; and
    no word is mended into a denial ("javais" is not "jamais"), which would set aside
    what the patient said."""

    def __init__(self, speller: Speller, context_words: set[str]) -> None:
        self.rules = speller
        self.context = Speller((set(speller.vocabulary) | context_words) - _NEVER_MENDED_TO)
        self._cache: dict[tuple[str, str, str], tuple[str, str]] = {}

    def mend(self, word: str, written: str, lang: str) -> tuple[str, str]:
        """`word` mended, and as the rule view reads it (when one letter off)."""
        if len(word) < Speller.MIN_LENGTH or word in _KEPT_AS_WRITTEN or word in SHORTHAND:
            return word, word
        key = (word, written, lang)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        out = ruled = word
        # ("killin", "trainin" are written so on purpose: the rule view reads them with
        # their g, the context as written: "my gut is killin me" is not the idiom)
        if (
            self.context.correctable(word)  # (not a rule's or the context's own word)
            and word.isalpha()
            and not word.endswith("in")
            and not any(is_known(w, lg) for w in {written, word} for lg in LEMMA_LANGS)
            and not _elided(word)
        ):
            # one letter off (the speller's index also pairs some words two apart: "gerer"
            # and "genre"), never a denial (not in the vocabulary), and only one such word,
            # or one of the message's language: "sinse" is "since" or "sense", and a wrong
            # guess here decides what is set aside ("been there sense last fall")
            near = [c for c in self.context.near(word) if _one_edit(word, c)]
            if len(near) > 1:
                near = [c for c in near if is_known(c, lang)]
            if len(near) == 1:
                out = near[0]
            ruled = self.rules.correct(word, lang)
            if ruled in _NEVER_MENDED_TO or not _one_edit(word, ruled):
                ruled = out
        if len(self._cache) < 100_000:
            self._cache[key] = (out, ruled)
        return out, ruled


def _elided(word: str) -> bool:
    """A French elision written without its apostrophe: "javais" (j'avais), "lhopital"."""
    return (
        len(word) > 3
        and word[0] in "jldmnstc"
        and word[1] in "aeiouhy"
        and is_known(word[1:], "fr")
    )


# what the patient did not write: a slip mended into a denial would set a mention aside
_NEVER_MENDED_TO = frozenset(
    {
        "never", "nothing", "nobody", "without", "neither", "nowhere", "none",
        "jamais", "aucun", "aucune", "aucunement", "personne", "rien", "nulle", "sans",
    }
)  # fmt: skip


def _one_edit(a: str, b: str) -> bool:
    """`a` and `b` one letter apart: one added, dropped or changed, or two swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :] or (
            a[i + 2 :] == b[i + 2 :] and a[i : i + 2] == b[i + 1] + b[i]
        )
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[i + 1 :] == shorter[i:]


_NO_NAMES: frozenset[int] = frozenset()


def _ending_added(word: str, known: str) -> bool:
    """`word` is `known` with a plural or a past ending put on: "weaks", "taked"."""
    return word == known + "s" or (known.endswith("e") and word == known + "d")


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def prepare(
    text: str,
    speller: Speller | None = None,
    lang: str | None = None,
    folded: str | None = None,
    mender: Mender | None = None,
) -> list[Sentence]:
    """The sentences of `text` (already unquoted) in folded and lemma views (`folded`:
    `fold(text)`, when the caller has it already), and the mended view when asked for
    (`mender`)."""
    folded = fold(text) if folded is None else folded
    if lang is None:
        lang = guess_language(_words_rx(folded).findall(folded))
    out: list[Sentence] = []
    pieces = split_sentences(folded)
    for k, (start, piece) in enumerate(pieces):
        parts: list[str] = []
        spans: list[tuple[int, int, int, int]] = []
        pos = 0
        original = text[start : start + len(piece)]
        # lower-cased once for the sentence, unless a letter's lower case is longer ("İ")
        lowered = original.lower()
        same_length = len(lowered) == len(original)
        matches = list(_words_rx(piece).finditer(piece))
        # the last line, on a line of its own, may be a signature ("Mélanie Dorais")
        signed = (
            k == len(pieces) - 1
            and k > 0
            and (
                folded[:start].rstrip(" ").endswith("\n")
                or piece.lstrip(" ").startswith("\n")
                # or after the last full stop on the same line, a name and a surname no
                # dictionary knows: "...pour des gouttes? Mélanie Fortier"
                or _bare_name(original, matches, lang)
            )
        )
        # (a sentence without a capital has no name to look for: the common case)
        names = (
            _name_like(original, matches, signed)
            if same_length and speller is not None and lowered != original
            else ()
        )
        for n, m in enumerate(matches):
            a, b = m.span()
            written = lowered[a:b] if same_length else original[a:b].lower()
            lem = word_view(m.group(0), written, lang, None if n in names else speller)
            if pos:
                parts.append(" ")
                pos += 1
            spans.append((pos, pos + len(lem), a, b))
            parts.append(lem)
            pos += len(lem)
            # keep a clause break visible to the context rules
            after = piece[b : b + 1]
            if after == "," or after == ":" or (after == " " and piece[b + 1 : b + 2] == "-"):
                parts.append(" ,")
                pos += 2
        out.append(
            Sentence(
                start, original, piece, "".join(parts), tuple(spans), mender, lang,
                names or _NO_NAMES,
            )
        )  # fmt: skip
    return out


_CLOSING = re.compile(
    r"\W*(merci|thanks|thank you|cheers|bye|regards|cordialement|bonne (journee|journée|soiree|soirée)|"
    r"a bientot|à bientôt|take care)\b",
    re.IGNORECASE,
)


def _bare_name(original: str, matches: list[re.Match[str]], lang: str) -> bool:
    """Two or three words in title case, the first one no dictionary knows: a name signed
    after the last sentence ("Mélanie Fortier"), not "Severe Chest Pian"."""
    if not 2 <= len(matches) <= 3:
        return False
    words = [original[m.start() : m.end()] for m in matches]
    return all(w[:1].isupper() and w[1:].islower() for w in words) and not is_known(
        words[0].lower(), lang
    )


# "Bonjour, c'est Mélanie Lapointe.", "Hi, this is Bob Smith": a greeting, then a name
_GREETING_AND_NAME = re.compile(
    r"^\W*(?i:(bonjour|bonsoir|salut|allo|hi|hello|hey|good (morning|afternoon|evening))\b[ ,!-]*"
    r"(c'est|c’est|it'?s|it’s|this is|je suis|i'?m|i’m|i am|my name is|je m'appelle|je m’appelle|ici))\s+"
    r"[A-ZÀ-Ý][a-zà-ÿ'’-]+( [A-ZÀ-Ý][a-zà-ÿ'’-]+){0,2}\W*$"
)


def _name_like(original: str, matches: list[re.Match[str]], signed: bool = False) -> frozenset[int]:
    """Positions of words written like a name (capital first, then lower case, not first in
    the sentence unless alone in it), in a sentence not written in capitals or title case.
    The speller leaves them alone: "Chloé" is not "choke", "Mélanie" is not "mélangée".
    (`signed`: the message's last line, on its own: a first name and a surname there are a
    signature, "Mélanie Dorais" or "Mélanie Cloutier, agente de bord", and so is a first name
    and a comma, "Mélanie, maman de Rosalie Dufour".)"""

    def title(m: re.Match[str]) -> bool:
        return original[m.start()].isupper() and original[m.start() + 1 : m.end()].islower()

    if signed and 2 <= len(matches) <= 6 and title(matches[0]):
        # a first name and a surname, or a first name and a comma ("Mélanie, maman de Rosalie")
        if title(matches[1]) or "," in original[matches[0].end() : matches[1].start()]:
            return frozenset(n for n, m in enumerate(matches) if title(m))
    titled = [
        n
        for n, m in enumerate(matches)
        # a word alone on its line is a signature ("Mélanie"), the first word of a
        # sentence may be anything
        if (n or len(matches) == 1) and title(m)
    ]
    if not titled:
        return frozenset()
    # a closing and a name after a comma ("Merci, Mélanie", "Merci beaucoup, Mélanie", "Thanks
    # so much, Chloé"), not a subject in title case
    if len(matches) <= 4 and _CLOSING.match(original):
        comma = original.rfind(",")
        if comma >= 0:
            return frozenset(n for n in titled if matches[n].start() > comma)
    if len(matches) == 2 and "," in original[matches[0].end() : matches[1].start()]:
        return frozenset(titled)
    capitalised = sum(1 for m in matches if original[m.start()].isupper())
    # (a greeting and who writes is no subject in title case: "Bonjour, c'est Mélanie Lapointe.")
    if (
        len(matches) > 1
        and capitalised * 2 > len(matches)  # "Severe Chest Pian", "I CANT BREATH"
        and not _GREETING_AND_NAME.match(original)
    ):
        return frozenset()
    return frozenset(titled)


def words_of(text: str) -> list[str]:
    return words_in(fold(text))


def words_in(folded: str) -> list[str]:
    """The words of a text already folded."""
    return _words_rx(folded).findall(folded)
