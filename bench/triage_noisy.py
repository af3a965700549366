"""Triage of messages written carelessly: the labelled messages lower-cased, their
accents dropped and a share of their longer words slipped (a letter dropped, doubled,
swapped or replaced, never the first), as a patient typing on a phone writes them.

The metamorphic tests (`tests/support/triage_variants.py`) hold every emergency
urgent under one slip or a change of case; this measures how far that holds when
all of it comes at once, part by part. A measure, not a set to tune against: the
slips are random (seeded per message), and the held-out part stays held out.

    python -m bench.triage_noisy [PART ...] [--rate 0.15 --rate 0.35]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

from clinic_inbox.core.triage import Priority, load_rules, triage
from clinic_inbox.core.triage_eval import HELD_OUT_PART, load_set, urgent_by_rules
from clinic_inbox.core.triage_text import fold

TESTS = Path(__file__).resolve().parents[1] / "tests"
SETS = TESTS / "fixtures" / "triage"
_WORD = re.compile(r"[A-Za-zÀ-ÿ]+")
# the metamorphic tests' slip (tests/support), reached as bench.triage_decisions reaches it
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))
from support.triage_variants import slip  # noqa: E402


def careless(text: str, rate: float, seed: int) -> str:
    """`text` in lower case, without accents, a `rate` share of its words of five
    letters or more slipped."""
    rng = random.Random(seed)
    return _WORD.sub(
        lambda m: (
            slip(m.group(0), rng) if len(m.group(0)) >= 5 and rng.random() < rate else m.group(0)
        ),
        fold(text),
    )


def score(part: str, rate: float | None) -> dict[str, int]:
    """Emergencies and look-alikes urgent, by the app and by its rules, on `part` as
    written (`rate` None) or written carelessly."""
    rules = load_rules()
    out = dict.fromkeys(("emergencies", "app", "rules", "others", "app_fr", "rules_fr"), 0)
    for n, item in enumerate(load_set(SETS / f"{part}.jsonl")):
        subject, text = item.subject, item.text
        if rate is not None:
            subject, text = careless(subject, rate, n + 99_991), careless(text, rate, n)
        result = triage(subject, text, rules)
        app, by_rules = result.priority is Priority.URGENT, urgent_by_rules(result)
        if item.urgent:
            out["emergencies"] += 1
            out["app"] += app
            out["rules"] += by_rules
        else:
            out["others"] += 1
            out["app_fr"] += app
            out["rules_fr"] += by_rules
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("parts", nargs="*", default=[HELD_OUT_PART])
    ap.add_argument("--rate", type=float, action="append")
    args = ap.parse_args(argv)
    for part in args.parts:
        for rate in (None, *(args.rate or (0.15, 0.35))):
            r = score(part, rate)
            how = "as written" if rate is None else f"careless, {rate:.0%} of words slipped"
            print(
                f"{part:<10} {how:<34} emergencies urgent: app {r['app']}/{r['emergencies']}, "
                f"rules {r['rules']}; look-alikes urgent: app {r['app_fr']}/{r['others']}, "
                f"rules {r['rules_fr']}",
                flush=True,
            )


if __name__ == "__main__":
    main()
