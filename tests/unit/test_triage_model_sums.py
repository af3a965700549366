"""The wording and category models' sums, taken faster, are the same floats to the last bit."""

from __future__ import annotations

import math
from pathlib import Path

from clinic_inbox.core.triage import load_rules, model_subject
from clinic_inbox.core.triage_eval import load_set
from clinic_inbox.core.triage_model import FeatureTable, _features, features, known_features

SETS = Path(__file__).resolve().parents[1] / "fixtures" / "triage"


def _texts() -> list[str]:
    return [
        f"{model_subject(item.subject)}\n{item.text}"
        for path in sorted(SETS.glob("*.jsonl"))
        for item in load_set(path)[::10]
    ]


def test_the_category_models_table_adds_exactly_what_the_loop_adds():
    model = load_rules().category_model()
    assert model is not None and model._table is not None
    texts = _texts()
    assert len(texts) > 500
    for text in texts:
        feats, _origin = features(text)
        norm = 1.0 / math.sqrt(len(feats))
        # the loop as it was written: every feature in order, each class it weighs
        z = list(model.intercepts)
        for f in feats:
            for j, weight in model.weights.get(f, ()):
                z[j] += norm * weight
        assert model._scores(norm, frozenset(feats)) == z


def test_the_wording_models_sum_skips_only_additions_of_nothing():
    model = load_rules().model()
    assert model is not None
    w = model.weights
    for text in _texts():
        found, _origin = _features(text)
        every = sum(w.get(f, 0.0) for f in sorted(found))
        assert sum(map(w.__getitem__, sorted(w.keys() & found))) == every


def test_one_look_up_for_both_models_gives_the_same_floats():
    """The shared feature table (one look-up of each feature for both models, sorted
    by place) gives each model exactly what its own look-up gives."""
    rules = load_rules()
    wording, category = rules.model(), rules.category_model()
    table = rules.feature_table()
    assert wording is not None and category is not None and table is not None
    assert table.wording is wording and table.category is category
    for text in _texts():
        assert wording._probability(text, table) == wording._probability(text)
        assert wording.score(text, table=table) == wording.score(text)
        assert category.predict(text, table) == category.predict(text)
        # and the category's sums themselves, not only the winner
        feats, _origin = _features(text)
        norm = 1.0 / math.sqrt(len(feats))
        rows = known_features(table, text)[1]
        assert category._sum_rows(norm, rows) == category._scores(norm, feats)
        # a word's pieces looked up once per word: the same weights and rows, in order
        assert table.known_in(text) == table.known(feats)
        assert table.known_in(text) == table.known(feats)  # the second time from the words kept
    # a table built for other models is not used by these
    other = FeatureTable(None, None)
    assert wording.score("my chest hurts and I can't breathe at all since an hour", table=other)
