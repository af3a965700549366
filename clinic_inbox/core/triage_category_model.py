"""What an everyday message is about (refill, appointment, forms...), read by a model.

Keyword counts put 80% of the development parts' everyday messages in the right
category; patients' own words ("the pharmacy faxed you", "can I come in earlier",
"my insurance wants a note") are read better by a multinomial logistic regression
over the same features as the wording model (words, word pairs, pieces of words),
trained on the development parts (`python -m clinic_inbox.core.triage_train`) and
shipped as plain JSON in `resources/triage_category_model.json`. When the model is
unsure (its best category below `threshold`) the keyword count decides.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from clinic_inbox.core.triage_model import (
    MIN_WORDS,
    FeatureTable,
    _features,
    known_features,
)

FORMAT = "clinic-inbox-category-model/1"


@dataclass(frozen=True)
class CategoryModel:
    classes: tuple[str, ...]
    intercepts: tuple[float, ...]
    # feature -> ((class index, weight), ...): only the weights that count
    weights: dict[str, tuple[tuple[int, float], ...]]
    threshold: float
    trained_on: str = ""

    @classmethod
    def load(cls, path: Path) -> CategoryModel:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        if data.get("format") != FORMAT:
            raise ValueError(f"{path} is not a Clinic Inbox category model.")
        weights = {
            str(f): tuple((int(pairs[i]), float(pairs[i + 1])) for i in range(0, len(pairs), 2))
            for f, pairs in data["weights"].items()
        }
        return cls(
            tuple(data["classes"]),
            tuple(float(b) for b in data["intercepts"]),
            weights,
            float(data["threshold"]),
            str(data.get("trained_on", "")),
        )

    def to_json(self) -> str:
        flat = {
            f: [x for j, w in pairs for x in (j, round(w, 4))]
            for f, pairs in sorted(self.weights.items())
        }
        return json.dumps(
            {
                "format": FORMAT,
                "trained_on": self.trained_on,
                "classes": list(self.classes),
                "intercepts": [round(b, 6) for b in self.intercepts],
                "threshold": round(self.threshold, 4),
                "weights": flat,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    def predict(self, text: str, table: FeatureTable | None = None) -> tuple[str, float]:
        """(the likeliest category, its probability); ("", 0.0) for too few words.
        `table`: a FeatureTable built with this model, to look the features up in (the
        same result, found faster)."""
        feats, origin = _features(text)  # as the wording model read them, if it did
        if len(origin) < MIN_WORDS // 2:
            return "", 0.0  # "Thanks!": nothing to read
        norm = 1.0 / math.sqrt(len(feats))
        if table is not None and table.category is self and self._table is not None:
            z = self._sum_rows(norm, known_features(table, text)[1])
        else:
            z = self._scores(norm, feats)
        top = max(z)
        exp = [math.exp(v - top) for v in z]
        best = max(range(len(z)), key=z.__getitem__)
        return self.classes[best], exp[best] / sum(exp)

    def _scores(self, norm: float, feats: frozenset[str] | set[str]) -> list[float]:
        """Each class's intercept plus norm x weight of each feature the model knows,
        added one at a time in the features' sorted order: by NumPy's running sum down
        a features x classes table (a class a feature does not weigh adds 0.0, which
        changes no sum), or one by one in Python for a model whose table cannot be built."""
        table = self._table
        if table is None:
            z = list(self.intercepts)
            for f in sorted(self.weights.keys() & feats):
                for j, weight in self.weights[f]:
                    z[j] += norm * weight
            return z
        rows = table[0]
        # the table's rows are in the features' sorted order
        return self._sum_rows(norm, sorted(map(rows.__getitem__, rows.keys() & feats)))

    def _sum_rows(self, norm: float, known: list[int]) -> list[float]:
        """The sums down the table's `known` rows (in sorted order), as `_scores`."""
        import numpy as np

        table = self._table
        assert table is not None
        _rows, weights, start = table
        sums = np.empty((len(known) + 1, len(self.intercepts)), dtype=np.float64)
        sums[0] = start
        np.multiply(weights[known], norm, out=sums[1:])
        # add.accumulate adds row after row: the same roundings as the loop above
        np.add.accumulate(sums, axis=0, out=sums)
        return sums[-1].tolist()

    def feature_rows(self) -> dict[str, int]:
        """Feature -> its row in the summing table (none when there is no table)."""
        table = self._table
        return table[0] if table is not None else {}

    @cached_property
    def _table(self) -> tuple[dict[str, int], Any, Any] | None:
        """Feature -> row (in sorted order), the features x classes weights and the
        intercepts; None when NumPy is missing or a feature weighs a class twice (the
        table would keep one)."""
        try:
            import numpy as np
        except ImportError:  # pragma: no cover - NumPy comes with the language detector
            return None
        rows = {f: i for i, f in enumerate(sorted(self.weights))}
        table = np.zeros((len(rows), len(self.classes)), dtype=np.float64)
        for f, i in rows.items():
            pairs = self.weights[f]
            if len({j for j, _w in pairs}) != len(pairs):
                return None
            for j, weight in pairs:
                table[i, j] = weight
        return rows, table, np.array(self.intercepts, dtype=np.float64)


_LOADED: dict[Path, CategoryModel | None] = {}


def load_category_model(path: Path | None) -> CategoryModel | None:
    """The model at `path`, loaded once per process; None when there is none."""
    if path is None:
        return None
    if path not in _LOADED:
        _LOADED[path] = CategoryModel.load(path) if path.exists() else None
    return _LOADED[path]
