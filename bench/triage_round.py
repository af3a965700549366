"""The tools of a triage round (issue 15), kept with the code so a new machine has them.

A round: tune on the last held-out part (moved to development), write its round test, then
merge a new held-out part written by two independent authors and score it once. These
commands read the labelled parts of the checkout they run in (run them from its top folder):

    python -m bench.triage_round verdicts OUT.json     # every id's verdicts, all parts
    python -m bench.triage_round compare BASE.json NEW.json   # what changed, id by id
    python -m bench.triage_round misses PART [--model] # the rules' (or the app's) misses
    python -m bench.triage_round why ID...             # the rules that fired, with words
    python -m bench.triage_round probe TEXT [SUBJECT]  # the rules' and the app's verdict
    python -m bench.triage_round examples MODULE.py    # a round test's examples, as judged
    python -m bench.triage_round merge DIR PREFIX SEED OUT   # en.jsonl + fr.jsonl -> a part

`compare` prints NEW MISS / NEW FR lines (for the rules alone and for the app): a round's
tuning should leave none. Make the baseline (`verdicts BASE.json`) before the first edit of the
rules, or from another checkout: each worker compiles the rules file when it starts, so an edit
made while a baseline runs leaks into it and hides what that edit changed.

`examples` reads NOT and URG tuples from a Python file; run it on the code before and after a
round: every example should be judged wrong before.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import sys
from collections import Counter
from multiprocessing import Pool
from pathlib import Path

from clinic_inbox.core.model import Priority
from clinic_inbox.core.triage import Rules, load_rules, model_subject, triage
from clinic_inbox.core.triage_eval import (
    DEVELOPMENT_PARTS,
    HELD_OUT_PART,
    Labelled,
    load_set,
    rules_alone,
    urgent_by_rules,
)

SETS = Path("tests/fixtures/triage")
FIELDS = ["id", "lang", "subject", "text", "urgent", "class", "scenario", "variant", "category"]


def _rules() -> tuple[Rules, Rules]:
    """The app's rules (with the wording model) and the rules alone."""
    rules = load_rules()
    return rules, rules_alone(rules)


def _part(name: str) -> list[Labelled]:
    return load_set(SETS / f"{name}.jsonl")


def _parts() -> list[str]:
    held = [HELD_OUT_PART] if (SETS / f"{HELD_OUT_PART}.jsonl").exists() else []
    return [*DEVELOPMENT_PARTS, *held]


def _verdicts_of(name: str) -> tuple[str, dict[str, list]]:
    rules, _alone = _rules()
    out = {}
    for item in _part(name):
        result = triage(item.subject, item.text, rules)
        app = result.priority is Priority.URGENT
        out[item.id] = [
            item.urgent,
            app,
            urgent_by_rules(result),
            result.category.value,
            item.category,
        ]
    return name, out


def verdicts(out: str) -> None:
    with Pool(2) as pool:
        found = dict(pool.map(_verdicts_of, _parts(), chunksize=1))
    Path(out).write_text(json.dumps(found))
    for label, names in (("dev", DEVELOPMENT_PARTS), ("held-out", (HELD_OUT_PART,))):
        rows = [v for n in names for v in found.get(n, {}).values()]
        urgent = [r for r in rows if r[0]]
        others = [r for r in rows if not r[0]]
        print(
            f"{label}: emergencies app {sum(r[1] for r in urgent)}/{len(urgent)}, rules "
            f"{sum(r[2] for r in urgent)}; look-alikes urgent app {sum(r[1] for r in others)}/"
            f"{len(others)}, rules {sum(r[2] for r in others)}"
        )


def compare(base: str, new: str) -> None:
    def flat(path: str) -> dict[str, list]:
        return {
            i: v for part in json.loads(Path(path).read_text()).values() for i, v in part.items()
        }

    before, after = flat(base), flat(new)
    counts: Counter[str] = Counter()
    for item_id, now in after.items():
        old = before.get(item_id)
        if old is None:
            continue
        for k, who in ((1, "APP"), (2, "RULES")):
            if now[0] and old[k] != now[k]:
                what = "fixed miss" if now[k] else "NEW MISS"
            elif not now[0] and old[k] != now[k]:
                what = "NEW FR" if now[k] else "fixed fr"
            else:
                continue
            counts[f"{what} {who}"] += 1
            if what.startswith("NEW"):
                print(what, who, item_id)
    for what, n in sorted(counts.items()):
        print(f"{n:5d} {what}")


def misses(name: str, with_model: bool) -> None:
    rules, alone = _rules()
    missed = false_red = 0
    for item in _part(name):
        result = triage(item.subject, item.text, rules if with_model else alone)
        urgent = result.priority is Priority.URGENT
        if item.urgent and not urgent:
            missed += 1
            print(
                f"MISS {item.id} {item.scenario} {item.variant} | {item.subject} | {item.text!r}\n"
            )
        elif urgent and not item.urgent:
            false_red += 1
            print(
                f"FR {item.id} {item.kind} | {item.subject} | {item.text!r}\n   -> {result.reasons[:3]}\n"
            )
    print("misses", missed, "false reds", false_red)


def why(ids: list[str]) -> None:
    _rules_, alone = _rules()
    wanted = set(ids)
    for name in _parts():
        for item in _part(name):
            if item.id in wanted:
                result = triage(item.subject, item.text, alone)
                print(
                    item.id,
                    item.urgent,
                    result.priority.name,
                    result.matched_rules,
                    result.reasons[:3],
                )


def probe(text: str, subject: str) -> None:
    rules, alone = _rules()
    for label, which in (("rules", alone), ("app", rules)):
        result = triage(subject, text, which)
        print(label, result.priority.name, result.category.value, result.reasons[:4])
    model = rules.model()
    if model is not None:
        p = model.probability(f"{model_subject(subject)}\n{text}")
        print(f"model p={p:.3f} threshold={model.threshold:.3f}")


def examples(path: str) -> None:
    spec = importlib.util.spec_from_file_location("round_examples", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _app, alone = _rules()

    def urgent(example: str | tuple[str, str]) -> tuple[bool, str]:
        # an example is a body, or (subject, body) as the round tests write it
        subject, text = example if isinstance(example, tuple) else ("", example)
        shown = f"{subject} | {text}" if subject else text
        return triage(subject, text, alone).priority is Priority.URGENT, shown[:70]

    for example in module.NOT:
        wrong, shown = urgent(example)
        print("NOT", "FAIL" if wrong else "ok  ", shown)
    for example in module.URG:
        right, shown = urgent(example)
        print("URG", "ok  " if right else "FAIL", shown)


def merge(folder: str, prefix: str, seed: int, out: str) -> None:
    rows = []
    for lang in ("en", "fr"):
        for line in (Path(folder) / f"{lang}.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if list(row) != FIELDS or row["lang"] != lang:
                    sys.exit(
                        f"{lang}.jsonl {row.get('id')}: fields or language not as the brief says"
                    )
                rows.append(row)
    if len(rows) != 528 or len({(r["subject"], r["text"]) for r in rows}) != 528:
        sys.exit(f"{len(rows)} rows, or a message written twice: expected 528 different ones")
    print(Counter((r["lang"], r["urgent"]) for r in rows))
    random.Random(seed).shuffle(rows)
    with open(out, "w", encoding="utf-8") as fh:
        for n, row in enumerate(rows, 1):
            fh.write(json.dumps({**row, "id": f"{prefix}-{n:04d}"}, ensure_ascii=False) + "\n")
    print("wrote", out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.triage_round", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("verdicts").add_argument("out")
    c = sub.add_parser("compare")
    c.add_argument("base")
    c.add_argument("new")
    m = sub.add_parser("misses")
    m.add_argument("part")
    m.add_argument("--model", action="store_true")
    sub.add_parser("why").add_argument("ids", nargs="+")
    p = sub.add_parser("probe")
    p.add_argument("text")
    p.add_argument("subject", nargs="?", default="")
    sub.add_parser("examples").add_argument("path")
    g = sub.add_parser("merge")
    g.add_argument("folder")
    g.add_argument("prefix")
    g.add_argument("seed", type=int)
    g.add_argument("out")
    args = parser.parse_args(argv)
    if args.command == "verdicts":
        verdicts(args.out)
    elif args.command == "compare":
        compare(args.base, args.new)
    elif args.command == "misses":
        misses(args.part, args.model)
    elif args.command == "why":
        why(args.ids)
    elif args.command == "probe":
        probe(args.text, args.subject)
    elif args.command == "examples":
        examples(args.path)
    else:
        merge(args.folder, args.prefix, args.seed, args.out)


if __name__ == "__main__":
    main()
