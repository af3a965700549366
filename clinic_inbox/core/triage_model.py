"""The second net: a small wording model that flags emergencies the rules' words miss.

A logistic regression over the message's words (dictionary forms), word pairs and
four-letter pieces of words (which survive typos and inflections), trained on the
development part of the labelled set (`python -m clinic_inbox.core.triage_train`)
and shipped as plain JSON weights in `resources/triage_model.json`: no pickle is
ever loaded, and scoring needs nothing beyond the standard library.

The model only ever raises a message to urgent; it never lowers what the rules
found. Its explanation names the patient's words that weighed most.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any

from clinic_inbox.core.triage_text import fold, guess_language, lemma

_WORD = re.compile(r"[a-z0-9\u00c0-\u024f]+(?:'[a-z]+)?")
_TOKEN = re.compile(r"[a-z0-9\u00c0-\u024f]+(?:'[a-z]+)?|[,.;:!?()]")
# Words read as denied ("no chest pain", "pas de fièvre") until the clause ends: a
# denied word is a different feature ("n:chest"), so "no shortness of breath"
# no longer weighs like "shortness of breath" (negation marking, as in sentiment work).
_NEGATION = frozenset(
    """no not never without none nor didn't don't doesn't isn't wasn't aren't weren't
    hasn't haven't hadn't can't won't denies denied pas jamais aucun aucune sans ni rien""".split()
)
_CLAUSE_END = frozenset(",.;:!?()") | {"but", "however", "mais", "although", "except", "sauf"}
NEGATION_REACH = 6  # words a negation covers at most
CHAR_N = 4
# Function words are no explanation a person can use ("and", "up", "going").
_NOT_AN_EXPLANATION = frozenset(
    """a an and are as at be but by can could did do does for from had has have he her him
    his how i i'm i've if in into is it it's its just me my of on or our out over she so
    some than that the their them then there they this to too up us very was we were what
    when where which who will with would you your going go get got like also im ive well
    still really much more any all am about after before here le la les de des du un une et
    ou je j'ai tu il elle on nous vous me te se mon ma mes son sa ses ce cette que qui dans
    sur pour par avec est suis ai a au aux en y ca mais si tres bien aussi pis puis""".split()
) | (
    # nor are a negation, a greeting or a word of time on their own ("'pas', 'sans',
    # 'depuis'" told a receptionist nothing): they weigh only with the word they go with,
    # as in "respire pas" or "can't breathe", which stay (words with an apostrophe are
    # left out below, and so are single letters and bare numbers)
    _NEGATION
    | frozenset(
        """ne plus pu since depuis ago comme toute toutes tout tous hi hello hey dear bonjour
        salut allo merci thanks thank dr docteur doc madame monsieur please svp stp hier
        yesterday today cet""".split()
    )
)
MAX_WORDS = 400  # a long message is scored on its first 400 words (emergencies come early)
MIN_WORDS = 8  # fewer words are too little evidence: "Thanks!" is not an emergency
# A long message is also read a few sentences at a time: an emergency buried in a
# refill request is diluted when the whole message is weighed at once.
MAX_WORDS_KEPT = 100_000  # words whose pieces' places a FeatureTable keeps
PASSAGE_WORDS = 45  # a passage: consecutive sentences up to about this many words
LONG_WORDS = 60  # messages longer than this are read passage by passage too
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")


def features(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Binary features of a text, and for each word-level feature the word it came from
    (for the explanation)."""
    found, origin = _features(text)
    return sorted(found), list(origin)


@lru_cache(maxsize=64)
def _features(text: str) -> tuple[frozenset[str], tuple[tuple[str, str], ...]]:
    """The features as a set, and their words; kept for the message being read (the
    wording model and the category model read the same text)."""
    found, origin, _pieced = _read(text)
    return found, origin


@lru_cache(maxsize=64)
def _read(
    text: str,
) -> tuple[frozenset[str], tuple[tuple[str, str], ...], tuple[str, ...]]:
    """`_features`, and the words whose four-letter pieces are among them (a table
    looks a word's pieces up once per word, not once per message)."""
    folded = fold(text)
    words: list[str] = []
    denied: list[bool] = []
    reach = 0
    for tok in _TOKEN.findall(folded):
        if tok in _CLAUSE_END:
            reach = 0
            if not tok.isalpha():
                continue
        words.append(tok)
        denied.append(reach > 0)
        reach = NEGATION_REACH if tok in _NEGATION else max(0, reach - 1)
        if len(words) >= MAX_WORDS:
            break
    lang = guess_language(words)
    lemmas = [("n:" if d else "") + lemma(w, lang) for w, d in zip(words, denied, strict=True)]
    out: set[str] = set()
    add = out.add
    origin: list[tuple[str, str]] = []
    pieced: dict[str, None] = {}
    before = ""
    for i, (w, lem) in enumerate(zip(words, lemmas, strict=True)):
        f = "w:" + lem
        if f not in out:
            add(f)
            origin.append((f, w))
        if i:
            f = f"b:{lemmas[i - 1]} {lem}"
            if f not in out:
                add(f)
                origin.append((f, f"{before} {w}"))
        # (a word met again adds the same pieces: once is enough)
        if w not in pieced and len(w) >= CHAR_N and not denied[i]:
            out.update(_pieces(w))
            pieced[w] = None
        before = w
    return frozenset(out), tuple(origin), tuple(pieced)


_first = itemgetter(0)


@lru_cache(maxsize=100_000)
def _pieces(word: str) -> tuple[str, ...]:
    """The four-letter pieces of a word, marked at both ends (kept per word: a passage
    of a long message reads the same words again)."""
    padded = f"<{word}>"
    return tuple("c:" + padded[j : j + CHAR_N] for j in range(len(padded) - CHAR_N + 1))


class FeatureTable:
    """The features the wording model and the category model know, in one dictionary:
    feature -> its place in their sorted order. A text's features are looked up once
    for both models (each look-up in a table of ~150,000 features costs a memory read)
    and put in sorted order by their places (integers) instead of by their text: each
    model then adds exactly the weights it added before, in the same order."""

    def __init__(self, wording: WordingModel | None, category: Any) -> None:
        self.wording = wording
        self.category = category  # a CategoryModel (triage_category_model), or None
        weights = wording.weights if wording is not None else {}
        rows: dict[str, int] = category.feature_rows() if category is not None else {}
        every = sorted(weights.keys() | rows.keys())
        self._place = {f: n for n, f in enumerate(every)}
        import numpy as np  # (numpy comes with the category model)

        # by place: the wording weight and the category row; NaN and -1 where a model
        # lacks the feature (a trained weight is never NaN, a row never negative)
        self._weight = np.array([weights.get(f, math.nan) for f in every], dtype=np.float64)
        self._row = np.array([rows.get(f, -1) for f in every], dtype=np.int64)
        # word -> the places of its known four-letter pieces (see known_in)
        self._by_word: dict[str, tuple[int, ...]] = {}

    def known_in(self, text: str) -> tuple[list[float], list[int]]:
        """`known(_features(text)[0])`, found with fewer look-ups in the big table: a
        word's pieces (two thirds of a message's features) are looked up once per word
        and kept, and the word-level features come from the explanation's list."""
        _feats, origin, pieced = _read(text)
        get = self._place.get
        places = set(map(get, map(_first, origin)))
        places.discard(None)
        by_word = self._by_word
        kept = list(map(by_word.get, pieced))
        if None in kept:  # words not met before: their pieces looked up once
            for n, w in enumerate(pieced):
                if kept[n] is None:
                    known = kept[n] = tuple(m for m in map(get, _pieces(w)) if m is not None)
                    if len(by_word) < MAX_WORDS_KEPT:
                        by_word[w] = known
        places.update(*kept)
        return self._in_order(places)

    def known(self, feats: frozenset[str]) -> tuple[list[float], list[int]]:
        """The wording weights and the category rows of the features of `feats` the
        models know, each in the features' sorted order."""
        places = set(map(self._place.get, feats))
        places.discard(None)
        return self._in_order(places)

    def _in_order(self, places: set[int]) -> tuple[list[float], list[int]]:
        """Both models' entries at `places`, in the places' order, each without the
        places its model lacks (taken by array, the same floats as one by one)."""
        import numpy as np

        order = np.fromiter(places, dtype=np.int64, count=len(places))
        order.sort()
        weight, row = self._weight[order], self._row[order]
        return weight[~np.isnan(weight)].tolist(), row[row >= 0].tolist()


@lru_cache(maxsize=64)
def known_features(table: FeatureTable, text: str) -> tuple[list[float], list[int]]:
    """`table.known` for a text's features; kept for the message being read (both
    models read the same text)."""
    return table.known_in(text)


@dataclass(frozen=True)
class WordingModel:
    weights: dict[str, float]
    intercept: float
    threshold: float
    trained_on: str = ""

    @classmethod
    def load(cls, path: Path) -> WordingModel:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        if data.get("format") != "clinic-inbox-triage-model/1":
            raise ValueError(f"{path} is not a Clinic Inbox wording model.")
        return cls(
            {str(k): float(v) for k, v in data["weights"].items()},
            float(data["intercept"]),
            float(data["threshold"]),
            str(data.get("trained_on", "")),
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": "clinic-inbox-triage-model/1",
                "trained_on": self.trained_on,
                "intercept": round(self.intercept, 6),
                "threshold": round(self.threshold, 6),
                "weights": {k: round(v, 5) for k, v in sorted(self.weights.items())},
            },
            ensure_ascii=False,
            indent=0,
        )

    def probability(self, text: str) -> float:
        return self.score(text)[0]

    def score(
        self, text: str, explain: int = 3, table: FeatureTable | None = None
    ) -> tuple[float, list[str]]:
        """(probability that the text is an emergency, the patient's words that weighed
        most): the whole text, or the passage of it that reads most like one. `table`:
        a FeatureTable built with this model, to look the features up in (the same
        result, found faster)."""
        best = self._probability(text, table)
        for passage in passages(text):
            found = self._probability(passage, table)
            if found[0] > best[0]:
                best = found
        p, origin = best
        # only the passage that counts is explained (explain=0: the score alone)
        return (p, self._explain(origin, explain) if explain else []) if p else (0.0, [])

    def _probability(
        self, text: str, table: FeatureTable | None = None
    ) -> tuple[float, tuple[tuple[str, str], ...]]:
        """The probability for `text`, and its word-level features' words (none, and
        0.0, for a text too short to judge)."""
        feats, origin = _features(text)
        if len(origin) < MIN_WORDS:
            return 0.0, ()
        norm = 1.0 / math.sqrt(len(feats))
        # the weights of the features the model knows, added in the features' order:
        # the same sum, to the last bit, as adding 0.0 for every unknown one
        if table is not None and table.wording is self:
            total = sum(known_features(table, text)[0])
        else:
            w = self.weights
            total = sum(map(w.__getitem__, sorted(w.keys() & feats)))
        z = self.intercept + norm * total
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z)))), origin

    def _explain(self, origin: tuple[tuple[str, str], ...], explain: int) -> list[str]:
        w = self.weights
        # only words that weigh towards an emergency can explain it
        top = sorted(((w[f], word) for f, word in origin if w.get(f, 0.0) > 0), reverse=True)
        words: list[str] = []
        for _weight, word in top:
            if len(words) >= explain:
                break
            if all(
                w in _NOT_AN_EXPLANATION or "'" in w or len(w) < 2 or w.isdigit()
                for w in word.split()
            ):
                continue
            if not any(word in other or other in word for other in words):
                words.append(word)
        return words


def passages(text: str) -> list[str]:
    """Runs of consecutive sentences of about PASSAGE_WORDS words, one starting at each
    sentence, for a text longer than LONG_WORDS words; none for a short text."""
    sentences = [m.group(0) for m in _SENTENCE.finditer(text[:20_000]) if m.group(0).strip()]
    counts = [len(s.split()) for s in sentences]
    if sum(counts) <= LONG_WORDS:
        return []
    out = []
    for i in range(len(sentences)):
        words, j = 0, i
        while j < len(sentences) and (words == 0 or words + counts[j] <= PASSAGE_WORDS):
            words += counts[j]
            j += 1
        if words >= MIN_WORDS:
            out.append(" ".join(sentences[i:j]))
        if j == len(sentences):
            break
    return out


_LOADED: dict[Path, WordingModel | None] = {}


def load_model(path: Path | None) -> WordingModel | None:
    """The model at `path`, loaded once per process; None when there is none."""
    if path is None:
        return None
    if path not in _LOADED:
        _LOADED[path] = WordingModel.load(path) if path.exists() else None
    return _LOADED[path]
