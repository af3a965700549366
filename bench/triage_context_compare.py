"""medspaCy's ConText against our own context judge (issue 15, item 3).

Triage asks one question of a mention's context: is it affirmed, current and the
patient's own? `Rules.context` lets another judge answer it. Here that judge is
medspaCy's ConText: the sentence becomes a spaCy Doc (a blank English pipeline,
medspaCy's tokenizer, no model to download), the mention becomes its one entity,
and ConText with its shipped rules marks it negated, historical, hypothetical or
about a family member; anything else counts as affirmed (uncertain too: a doubt
about an emergency is still urgent). The idiom check ("this form is killing me")
stays in front of both judges, so only the handling of context is compared.

The judge gets the sentence as triage reads it (lower case, accents removed) and
as one sentence (triage splits sentences first), so ConText's scope is that
sentence, as ours is.

Scored with `triage_eval.evaluate` on both labelled parts, English and French
apart, for three judges: ours; ConText with its default (English) rules on every
sentence; ConText with medspaCy's French rules for sentences in French (its
`language_code="fr"` resource, converted from FastConText; its words folded
as triage folds the sentence, since "père" reaches the judge as "pere"). The
held-out part is
only scored: nothing is tuned on what it shows.

medspaCy 1.3 needs spaCy < 3.8 and so NumPy < 2, while the app's py3langid 0.4
needs NumPy >= 2: the two cannot share a venv. Triage itself needs only
simplemma, so the comparison runs from the source tree in a venv of its own:

    python -m venv /tmp/compare
    /tmp/compare/bin/pip install "medspacy>=1.3" "simplemma>=1.1"   # the `compare` extra
    PYTHONPATH=. /tmp/compare/bin/python -m bench.triage_context_compare [--diff]
        [--prune-target-overlap] [--family-affirmed]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache

from bench.common import p50_p95
from bench.triage_bench import PARTS, SETS, clear_sentence_caches, per_message_cpu_ms
from clinic_inbox.core.model import Priority
from clinic_inbox.core.triage import IdiomSet, Rules, load_rules, triage
from clinic_inbox.core.triage_context import affirmed
from clinic_inbox.core.triage_eval import Labelled, Score, evaluate, load_set
from clinic_inbox.core.triage_text import fold, guess_language, words_of

Judge = Callable[[str, int, int, IdiomSet | None], bool]

# what medspaCy's rule files call the categories that set a mention aside
_SET_ASIDE = ("is_negated", "is_historical", "is_hypothetical", "is_family")


def _in_idiom(sentence: str, start: int, end: int, idioms: IdiomSet | None) -> bool:
    """The same idiom check as `triage_context.affirmed` makes first."""
    if idioms is None:
        return False
    return any(m.start() < end and start < m.end() for m in idioms.finditer(sentence))


class ConTextJudge:
    """A `Rules.context` judge built on medspaCy's ConText."""

    def __init__(
        self,
        french_rules: bool = False,
        prune_target_overlap: bool = False,
        family_sets_aside: bool = True,
    ) -> None:
        import spacy
        from medspacy.context import ConText
        from medspacy.custom_tokenizer import create_medspacy_tokenizer

        self.nlp = spacy.blank("en")
        self.nlp.tokenizer = create_medspacy_tokenizer(self.nlp)
        # prune_target_overlap: a trigger inside the mention ("doesn't know what year it
        # is", "can't breathe") does not negate it; medspaCy's default lets it
        self.english = ConText(
            self.nlp,
            name="context_en",
            language_code="en",
            prune_on_target_overlap=prune_target_overlap,
        )
        self.set_aside = tuple(a for a in _SET_ASIDE if family_sets_aside or a != "is_family")
        self.french = None
        if french_rules:
            # the French file names a hypothetical CONDITIONAL; map it like the English one
            attrs = {
                "NEGATED_EXISTENCE": {"is_negated": True},
                "UNCERTAIN": {"is_uncertain": True},
                "HISTORICAL": {"is_historical": True},
                "CONDITIONAL": {"is_hypothetical": True},
                "FAMILY": {"is_family": True},
            }
            self.french = ConText(
                self.nlp,
                name="context_fr",
                language_code="fr",
                rules=None,
                span_attrs=attrs,
                prune_on_target_overlap=prune_target_overlap,
            )
            self.french.add(_folded_rules(self.french.DEFAULT_RULES_FILEPATH))
        self.calls = 0
        self.seconds = 0.0
        self.judge = lru_cache(maxsize=4096)(self._judge)

    def _judge(self, sentence: str, start: int, end: int, idioms: IdiomSet | None = None) -> bool:
        if _in_idiom(sentence, start, end, idioms):
            return False
        t = time.perf_counter()
        try:
            return self._affirmed(sentence, start, end)
        finally:
            self.calls += 1
            self.seconds += time.perf_counter() - t

    def _affirmed(self, sentence: str, start: int, end: int) -> bool:
        from spacy.tokens import Span

        context = self.english
        if self.french is not None and guess_language(words_of(sentence)) == "fr":
            context = self.french
        doc = self.nlp.make_doc(sentence)
        if len(doc) == 0:
            return True
        # one sentence, as triage split it: ConText's scope is the whole of it
        for i, token in enumerate(doc):
            token.is_sent_start = i == 0
        span = doc.char_span(start, end, label="MENTION", alignment_mode="expand")
        if span is None:
            return True
        doc.ents = [Span(doc, span.start, span.end, label="MENTION")]
        context(doc)
        mention = doc.ents[0]
        return not any(getattr(mention._, attr) for attr in self.set_aside)


def _folded_rules(path: str) -> list:
    """medspaCy's rules with their words folded as triage folds the sentence it
    judges ("père" is read "pere"), each rule once."""
    from medspacy.context import ConTextRule

    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)["context_rules"]
    seen: set[tuple[str, str, str]] = set()
    out = []
    for d in data:
        d = {**d, "literal": fold(d["literal"])}
        key = (d["literal"], d["category"], d["direction"])
        if key not in seen and not d.get("pattern"):
            seen.add(key)
            out.append(ConTextRule.from_dict(d))
    return out


def _ours(sentence: str, start: int, end: int, idioms: IdiomSet | None = None) -> bool:
    return affirmed(sentence, start, end, idioms)


@dataclass
class Judged:
    name: str
    rules: Rules
    reset: Callable[[], None]


def _clear_all(judge: ConTextJudge | None) -> Callable[[], None]:
    def clear() -> None:
        clear_sentence_caches()
        if judge is not None:
            judge.judge.cache_clear()

    return clear


def _scores(items: list[Labelled], rules: Rules) -> dict[str, dict[str, Score]]:
    """Rules alone and both (the app), for all, English and French messages."""
    out = {}
    for lang in ("all", "en", "fr"):
        part = [i for i in items if lang == "all" or i.lang == lang]
        s = evaluate(part, rules)
        out[lang] = {"rules alone": s["rules alone"], "both (the app)": s["both (the app)"]}
    return out


def _cell(s: Score) -> str:
    return (
        f"{s.caught:>3}/{s.emergencies:<3} {s.recall:6.1%}  "
        f"{s.false_red:>3}/{s.others:<3} {s.false_red_share:5.1%}"
    )


def _differences(items: list[Labelled], a: Rules, b: Rules) -> list[str]:
    """Messages the two judges decide differently, under the app's decision."""
    out = []
    for item in items:
        x = triage(item.subject, item.text, a).priority is Priority.URGENT
        y = triage(item.subject, item.text, b).priority is Priority.URGENT
        if x != y:
            truth = "emergency" if item.urgent else "look-alike"
            out.append(
                f"    {item.id} ({item.lang}, {truth}, {item.kind}/{item.variant}): "
                f"ours {'urgent' if x else 'not urgent'}, ConText {'urgent' if y else 'not urgent'}"
            )
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--diff", action="store_true", help="list messages the judges decide apart")
    ap.add_argument(
        "--prune-target-overlap",
        action="store_true",
        help="drop ConText triggers that lie inside the mention (medspaCy's option)",
    )
    ap.add_argument(
        "--family-affirmed",
        action="store_true",
        help="a mention about a family member counts (a parent writing about a child)",
    )
    args = ap.parse_args()

    base = load_rules()
    t = time.perf_counter()
    config = {
        "prune_target_overlap": args.prune_target_overlap,
        "family_sets_aside": not args.family_affirmed,
    }
    english = ConTextJudge(**config)
    both_langs = ConTextJudge(french_rules=True, **config)
    print(f"medspaCy ConText pipelines built in {time.perf_counter() - t:.1f} s")
    print(
        "ConText sets a mention aside when it is "
        + ", ".join(a.removeprefix("is_") for a in english.set_aside)
        + "; triggers inside the mention "
        + ("dropped" if args.prune_target_overlap else "kept (medspaCy's default)")
    )
    judges = [
        Judged("ours (triage_context)", replace(base, context=_ours), _clear_all(None)),
        Judged(
            "ConText, English rules",
            replace(base, context=english.judge),
            _clear_all(english),
        ),
        Judged(
            "ConText, + French rules",
            replace(base, context=both_langs.judge),
            _clear_all(both_langs),
        ),
    ]
    parts = {p: load_set(SETS / f"{p}.jsonl") for p in PARTS}

    head = f"{'part / language / decision':34} {'judge':26} {'emergencies urgent':>18}  {'look-alikes urgent':>18}"
    print()
    print(head)
    print("-" * len(head))
    for part, items in parts.items():
        results = {j.name: _scores(items, j.rules) for j in judges}
        for lang in ("all", "en", "fr"):
            for decision in ("rules alone", "both (the app)"):
                for j in judges:
                    s = results[j.name][lang][decision]
                    print(f"{part + ' / ' + lang + ' / ' + decision:34} {j.name:26} {_cell(s)}")
            print()

    print("cost of triage per message, both parts, sentence caches cleared before each (CPU ms)")
    every = [m for items in parts.values() for m in items]
    for j in judges:
        for judge in (english, both_langs):
            judge.calls, judge.seconds = 0, 0.0
        times = per_message_cpu_ms(every, j.rules, j.reset)
        p50, p95 = p50_p95(times)
        extra = ""
        for judge in (english, both_langs):
            if j.rules.context == judge.judge and judge.calls:
                extra = (
                    f"; {judge.calls:,} ConText calls, "
                    f"{judge.seconds / judge.calls * 1000:.2f} ms each (wall)"
                )
        print(
            f"  {j.name:26} median {p50:6.2f} ms, p95 {p95:6.2f} ms, "
            f"mean {sum(times) / len(times):6.2f} ms{extra}"
        )

    if args.diff:
        for part, items in parts.items():
            for j in judges[1:]:
                lines = _differences(items, judges[0].rules, j.rules)
                print(f"\n{part}: ours vs {j.name}, {len(lines)} messages decided apart")
                print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
