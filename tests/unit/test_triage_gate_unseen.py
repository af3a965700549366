"""The gate holds for any rules, not only the shipped ones.

Triage skips most patterns on most sentences (the words a pattern needs are not
there) and reads lower-case ASCII with case-free twins. Rule sets made here at random,
from the labelled messages' own words and the regex forms rules use (windows, short
words, digits, look-arounds, upper-case literals, clusters, names, idioms), were
never seen by the gate's author: with the gate and without it (every pattern run on
every sentence, as written) triage must decide every message the same.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from support import triage_round_checks

from clinic_inbox.core.model import Category
from clinic_inbox.core.triage import build_rules, load_rules, triage
from clinic_inbox.core.triage_eval import load_set
from clinic_inbox.core.triage_text import fold

SETS = Path(__file__).resolve().parents[1] / "fixtures" / "triage"
_WORD = re.compile(r"[a-z]{2,}(?:'[a-z]+)?")


def _messages(step: int) -> list[tuple[str, str]]:
    out = []
    for path in sorted(SETS.glob("*.jsonl")):
        out += [(m.subject, m.text) for m in load_set(path)[::step]]
    # text off the fast path: upper case, dotless and dotted i, long s, Kelvin sign
    out += [
        ("URGENT", "I CAN'T BREATHE AND MY CHEST HURTS, 12 WEEKS PREGNANT"),
        ("", "i want to kıll myself, İ bought rope. ſevere pain for 2 hours"),
        ("Re: x", "\u212aeeps bleeding since 3 am; my baby is 6 wks old"),
    ]
    return out


def _words(messages: list[tuple[str, str]]) -> list[str]:
    counts: dict[str, int] = {}
    for subject, text in messages:
        for w in _WORD.findall(fold(f"{subject} {text}")):
            counts[w] = counts.get(w, 0) + 1
    # common words make patterns that match often, rare ones patterns that rarely do
    return sorted(counts, key=lambda w: (-counts[w], w))[:3000]


def _pattern(rnd: random.Random, words: list[str]) -> str:
    def w() -> str:
        # mostly common words, so that the rules fire on many sentences
        return words[min(int(rnd.expovariate(1 / 150)), len(words) - 1)]

    a, b, c = w(), w(), w()
    forms = [
        a,
        rf"{a}\w*",
        rf"{a} (\w+ ){{0,2}}{b}",
        rf"({a}|{b}) {c}",
        rf"{a}.{{0,30}}{b}",
        rf"\d{{1,2}} ?{a}",
        rf"{a[:2]}\b",
        rf"(?<!no ){a}",
        rf"{a}(?! {b})",
        rf"[a-z]+ {a}",
        a.upper(),  # an upper-case literal: case could matter, IGNORECASE kept
        rf"{a}s?\b",
        rf"\b{a[:2]} {b}",
        rf"{a} \d+",
        rf"(can't|won't|don't) {a}",
        rf"{a}[^.]{{0,20}}\b{b}",
        rf"(?:{a}|{b[:2]})",
        r"\d{2,3} ?/ ?\d{2,3}",
    ]
    return rnd.choice(forms)


def _rule_set(seed: int, words: list[str]) -> dict:
    rnd = random.Random(seed)

    def pats(n: int) -> list[str]:
        return [_pattern(rnd, words) for _ in range(n)]

    red = []
    for i in range(40):
        rule: dict = {"id": f"r{seed}_{i}", "label": f"red {i}"}
        kind = rnd.random()
        if kind < 0.3:
            rule["requires"] = [pats(rnd.randint(1, 3)) for _ in range(rnd.randint(2, 3))]
        else:
            rule["patterns"] = pats(rnd.randint(1, 4))
            if kind < 0.45:
                rule["names"] = pats(1)
            rule["prefer_urgent"] = rnd.random() < 0.2
            rule["banter_aside"] = rnd.random() < 0.2
        red.append(rule)
    return {
        "use_wording_model": False,  # decisions here come from the rules alone
        "use_category_model": False,
        "red_flag": red,
        "same_day": [{"id": f"s{seed}_{i}", "patterns": pats(3)} for i in range(12)],
        "idiom": [{"patterns": pats(2)} for _ in range(6)],
        "sensitive": [{"id": f"x{seed}_{i}", "patterns": pats(3)} for i in range(5)],
        "category": [{"id": c.value, "patterns": pats(4)} for c in Category][:6],
    }


def _decide(rules, messages: list[tuple[str, str]]) -> list[tuple]:  # noqa: ANN001
    out = []
    for subject, text in messages:
        r = triage(subject, text, rules)
        out.append((r.priority, r.category, r.sensitive, r.reasons, r.matched_rules))
    return out


@pytest.mark.slow(seconds=15)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rules_never_seen_decide_the_same_with_and_without_the_gate(seed: int) -> None:
    messages = _messages(step=triage_round_checks.step(24))
    data = _rule_set(seed, _words(messages))
    gated, plain = build_rules(data), build_rules(data, gated=False)
    # the two really differ in how they read: most patterns are gated in one, none in the other
    assert any(g.gate or g.ascii_gate for r in gated.red.rules for g in r.patterns)
    assert not any(g.gate or g.ascii_gate for r in plain.red.rules for g in r.patterns)
    with_gate, without = _decide(gated, messages), _decide(plain, messages)
    assert with_gate == without
    # and the rules did decide things: urgent, same-day, sensitive and categories all occur
    priorities = {d[0].value for d in with_gate}
    assert {"urgent", "same_day"} <= priorities, priorities
    assert any(d[2] for d in with_gate)
    assert len({d[1] for d in with_gate}) > 2
    assert any(" and " in r for d in with_gate for r in d[3])  # a cluster rule fired


@pytest.mark.slow(seconds=32)
def test_the_shipped_rules_decide_the_same_without_the_gate() -> None:
    import tomllib

    from clinic_inbox.core.resources import resource_path

    with open(resource_path("triage_rules.toml"), "rb") as fh:
        data = tomllib.load(fh)
    messages = _messages(step=triage_round_checks.step(60))
    shipped = load_rules()
    plain = build_rules(data, gated=False)
    assert _decide(shipped, messages) == _decide(plain, messages)
