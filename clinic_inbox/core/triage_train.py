"""Train the triage wording model on the development part of the labelled set.

    python -m clinic_inbox.core.triage_train [DEV.jsonl ...] [--out resources/triage_model.json]
        [--categories-out resources/triage_category_model.json] [--category-figures]

Only the development parts are read (dev.jsonl; dev_b.jsonl and dev_c.jsonl: the
first and second rounds' held-out parts, each scored once and then used for
development); the held-out part is never seen here. The
decision threshold is chosen from out-of-fold scores (folds keep every phrasing of
one scenario together, so a score is never helped by a twin of the message in the
training fold): the lowest threshold at which no more than `MAX_FALSE_RED` of the
out-of-fold look-alikes would be flagged. Needs scikit-learn (a test dependency);
the app reads only the JSON it writes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from clinic_inbox.core.resources import resource_path
from clinic_inbox.core.triage import model_subject
from clinic_inbox.core.triage_eval import DEVELOPMENT_PARTS, Labelled, load_set
from clinic_inbox.core.triage_model import WordingModel, features
from clinic_inbox.core.triage_text import strip_quoted

_SETS = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "triage"
DEFAULT_SETS = tuple(_SETS / f"{name}.jsonl" for name in DEVELOPMENT_PARTS)
MAX_FALSE_RED = 0.01  # of look-alikes, out of fold: the rules already spend most of the 5%
C = 4.0  # inverse regularisation, chosen by out-of-fold recall on the development set
FOLDS = 5
MIN_WEIGHT = 1e-3  # smaller weights are dropped from the shipped file


def _text(item: Labelled) -> str:
    return f"{model_subject(item.subject)}\n{strip_quoted(item.text)}"


def _vectorise(items: list[Labelled]):  # -> (feature names, csr_matrix)
    """Each message's features, read once, as unit-length rows over one sorted
    vocabulary: what scikit-learn's DictVectorizer makes of them, built directly (it
    checks the type of every value, a fifth of a training's time).

    The last messages vectorised are kept: the category model is trained on some of the
    wording model's messages (those with a category), and its out-of-fold figures on
    some of those; their rows are taken from the kept matrix, and the columns no taken
    row uses are dropped, which is the matrix their own vectorising makes, to the bit
    (a row's values depend only on its own features; its columns keep their order)."""
    global _last
    texts = [_text(i) for i in items]
    if _last is not None:
        row_of, names, x = _last
        rows = [row_of.get(t) for t in texts]
        if None not in rows:
            return _take(names, x, rows)
    names, x = _vectorise_texts(texts)
    _last = ({t: n for n, t in enumerate(texts)}, names, x)
    return names, x


_last = None  # (text -> row, feature names, matrix) of the last messages vectorised


def _vectorise_texts(texts: list[str]):  # -> (feature names, csr_matrix)
    from scipy.sparse import csr_matrix
    from sklearn.preprocessing import normalize

    rows = [features(t)[0] for t in texts]  # each sorted, without repeats
    names = sorted({f for row in rows for f in row})
    column = {name: n for n, name in enumerate(names)}
    indptr, indices = [0], []
    for row in rows:
        indices += [column[f] for f in row]
        indptr.append(len(indices))
    x = csr_matrix(
        ([1.0] * len(indices), indices, indptr), shape=(len(rows), len(names)), dtype=float
    )
    return names, normalize(x)


def _take(names: list[str], x, rows: list[int]):  # -> (feature names, csr_matrix)
    """`rows` of `x` over the columns they use, renumbered in their order."""
    import numpy as np
    from scipy.sparse import csr_matrix

    sub = x[rows]
    used = np.unique(sub.indices)
    place = np.full(x.shape[1], -1, dtype=np.int64)
    place[used] = np.arange(len(used))
    out = csr_matrix(
        (sub.data, place[sub.indices], sub.indptr), shape=(len(rows), len(used)), dtype=float
    )
    return [names[c] for c in used], out


def _fit_rows(x, y: list[int]):  # -> LogisticRegression
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(
        C=C, class_weight="balanced", max_iter=2000, solver="liblinear", random_state=0
    )
    clf.fit(x, y)
    return clf


def _as_model(names: list[str], clf, threshold: float, trained_on: str) -> WordingModel:
    weights = {
        name: float(w) for name, w in zip(names, clf.coef_[0], strict=True) if abs(w) >= MIN_WEIGHT
    }
    return WordingModel(weights, float(clf.intercept_[0]), threshold, trained_on)


def out_of_fold(items: list[Labelled], vectorised=None) -> list[float]:  # noqa: ANN001
    """Each message scored by a model that never saw its scenario (`vectorised`: the
    items' `_vectorise`, when the caller has it)."""
    from sklearn.model_selection import GroupKFold

    groups = [i.scenario or i.id for i in items]
    scores = [0.0] * len(items)
    # the features are read and the vocabulary built once for all folds: a word that no
    # training message of a fold has is a column of zeros there, which the regularised
    # fit leaves at weight 0 (dropped from the fold's model): the same model as a fold
    # vectorised on its own, in a fifth of the time
    names, x = vectorised if vectorised is not None else _vectorise(items)
    y = [int(i.urgent) for i in items]
    for train, test in GroupKFold(n_splits=FOLDS).split(items, groups=groups):
        clf = _fit_rows(x[train], [y[k] for k in train])
        model = _as_model(names, clf, 0.5, "fold")
        for k in test:
            scores[k] = model.probability(_text(items[k]))
    return scores


def choose_threshold(items: list[Labelled], scores: list[float]) -> float:
    others = sorted((s for i, s in zip(items, scores, strict=True) if not i.urgent), reverse=True)
    allowed = int(MAX_FALSE_RED * len(others))
    # just above the score of the (allowed + 1)-th highest look-alike
    return min(0.99, max(0.5, others[allowed] + 1e-6)) if others else 0.5


def everyday_examples() -> list[Labelled]:
    """The demo clinic's everyday messages (refills, bookings, forms...), one of each
    template: without them a common refill ("down to my last 4 pills, going away
    Friday") read as urgent and filled the demo board with red. They are the project's
    own writing, not the held-out part; they only ever count as "not urgent"."""
    import random

    from clinic_inbox import demo

    rnd = random.Random(20261201)
    ctx = {"given": "Sam", "family": "Lee", "physician": "Dr Patel"}
    out = []
    for cat, templates in demo._templates().items():
        if cat in ("red_flag", "replies", "follow_up") or not isinstance(templates, list):
            continue
        for n, t in enumerate(x for x in templates if isinstance(x, dict) and "body" in x):
            subject = demo._fill(t.get("subject", ""), rnd, dict(ctx))
            body = demo._fill(t["body"], rnd, dict(ctx))
            out.append(Labelled(f"demo-{cat}-{n}", "en", subject, body, False, "everyday", None))
    return out


def train(paths: Path | list[Path] | tuple[Path, ...]) -> tuple[WordingModel, dict[str, float]]:
    paths = [paths] if isinstance(paths, Path) else list(paths)
    labelled = [item for path in paths for item in load_set(path)]
    items = labelled + everyday_examples()
    names, x = _vectorise(items)
    scores = out_of_fold(items, (names, x))[: len(labelled)]
    # the threshold and the figures come from the labelled set alone
    threshold = choose_threshold(labelled, scores)
    caught = sum(s >= threshold for i, s in zip(labelled, scores, strict=True) if i.urgent)
    flagged = sum(s >= threshold for i, s in zip(labelled, scores, strict=True) if not i.urgent)
    n_urgent = sum(i.urgent for i in labelled)
    stats = {
        "threshold": threshold,
        "oof_recall": caught / n_urgent,
        "oof_false_red": flagged / (len(labelled) - n_urgent),
    }
    clf = _fit_rows(x, [int(i.urgent) for i in items])
    trained_on = (
        f"{' + '.join(p.name for p in paths)} ({len(labelled)})"
        f" + demo everyday messages ({len(items) - len(labelled)})"
    )
    return _as_model(names, clf, threshold, trained_on), stats


# The category model: C and the threshold were chosen from out-of-fold accuracy on
# the development parts (2026-12-01, twelve parts): everyday messages 94.5% right
# (keyword counts alone: 79.6%), every non-urgent message 85.4% (71.5%).
CATEGORY_C = 8.0
CATEGORY_THRESHOLD = 0.3
CATEGORY_MIN_WEIGHT = 0.05  # smaller weights change nothing a person would see


def _category_items(paths: list[Path]) -> list[Labelled]:
    from clinic_inbox.core.model import Category

    known = {c.value for c in Category}
    labelled = [i for p in paths for i in load_set(p) if i.category in known]
    demo = [
        Labelled(i.id, i.lang, i.subject, i.text, False, "everyday", cat)
        for i in everyday_examples()
        if (cat := i.id.split("-")[1]) in known
    ]
    return labelled + demo


def _fit_categories(items: list[Labelled]):
    from sklearn.linear_model import LogisticRegression

    names, x = _vectorise(items)
    clf = LogisticRegression(C=CATEGORY_C, max_iter=3000, class_weight="balanced")
    clf.fit(x, [i.category for i in items])
    return names, clf


def _as_category_model(names: list[str], clf, trained_on: str):
    from clinic_inbox.core.triage_category_model import CategoryModel

    weights: dict[str, tuple[tuple[int, float], ...]] = {}
    for col, name in enumerate(names):
        pairs = tuple(
            (j, float(clf.coef_[j, col]))
            for j in range(len(clf.classes_))
            if abs(clf.coef_[j, col]) >= CATEGORY_MIN_WEIGHT
        )
        if pairs:
            weights[str(name)] = pairs
    return CategoryModel(
        tuple(str(c) for c in clf.classes_),
        tuple(float(b) for b in clf.intercept_),
        weights,
        CATEGORY_THRESHOLD,
        trained_on,
    )


def train_categories(paths: Path | list[Path] | tuple[Path, ...]):
    paths = [paths] if isinstance(paths, Path) else list(paths)
    items = _category_items(paths)
    names, clf = _fit_categories(items)
    trained_on = f"{' + '.join(p.name for p in paths)} + demo everyday messages ({len(items)})"
    return _as_category_model(names, clf, trained_on)


def category_figures(paths: list[Path]) -> dict[str, float]:
    """Out-of-fold accuracy of the model with the keyword fallback, and of the keywords
    alone (folds keep a scenario's phrasings together)."""
    from sklearn.model_selection import GroupKFold

    from clinic_inbox.core.triage import _category, load_rules
    from clinic_inbox.core.triage_text import fold

    rules = load_rules()
    items = [i for i in _category_items(paths) if not i.id.startswith("demo-")]
    groups = [i.scenario or i.id for i in items]
    got = [""] * len(items)
    for train, test in GroupKFold(n_splits=FOLDS).split(items, groups=groups):
        names, clf = _fit_categories([items[k] for k in train])
        model = _as_category_model(names, clf, "fold")
        for k in test:
            found, p = model.predict(_text(items[k]))
            got[k] = found if p >= model.threshold else ""
    out = {}
    for name, keep in (
        ("everyday", lambda i: i.kind == "everyday"),
        ("non-urgent", lambda i: not i.urgent),
    ):
        sel = [k for k, i in enumerate(items) if keep(i)]
        kw = [
            _category(rules, fold(items[k].subject), fold(strip_quoted(items[k].text))).value
            for k in sel
        ]
        both = [got[k] or kw[n] for n, k in enumerate(sel)]
        out[f"{name} (model + keywords)"] = sum(
            b == items[k].category for b, k in zip(both, sel, strict=True)
        ) / len(sel)
        out[f"{name} (keywords)"] = sum(
            c == items[k].category for c, k in zip(kw, sel, strict=True)
        ) / len(sel)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="*", type=Path, default=list(DEFAULT_SETS))
    ap.add_argument("--out", type=Path, default=resource_path("triage_model.json"))
    ap.add_argument(
        "--categories-out", type=Path, default=resource_path("triage_category_model.json")
    )
    ap.add_argument("--category-figures", action="store_true", help="out-of-fold accuracy (slow)")
    args = ap.parse_args(argv)
    if any("heldout" in path.name for path in args.sets):
        print("The held-out part is only ever scored, never trained on.", file=sys.stderr)
        return 2
    model, stats = train(args.sets)
    args.out.write_text(model.to_json() + "\n", encoding="utf-8")
    print(
        f"wrote {args.out} ({len(model.weights)} weights); threshold {stats['threshold']:.3f}; "
        f"out of fold: emergencies {stats['oof_recall']:.1%}, look-alikes {stats['oof_false_red']:.1%}"
    )
    categories = train_categories(args.sets)
    args.categories_out.write_text(categories.to_json() + "\n", encoding="utf-8")
    print(f"wrote {args.categories_out} ({len(categories.weights)} features)")
    if args.category_figures:
        for name, share in category_figures(list(args.sets)).items():
            print(f"  categories out of fold, {name}: {share:.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
