"""Every decision triage makes on the labelled sets, dumped to JSON to compare two
versions of the code: a speed change must leave every one of them as it was.

For each message of every part (and the metamorphic variants the set tests build
from it): priority, category, sensitive, reasons and rules (in order), the language
triage reads it in, the language the clinic answers in, and the wording model's
score and words.

    python -m bench.triage_decisions dump before.json
    python -m bench.triage_decisions compare before.json after.json
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from bench.triage_bench import labelled_messages
from clinic_inbox.core.language import message_language
from clinic_inbox.core.triage import load_rules, model_subject, triage
from clinic_inbox.core.triage_text import guess_language, strip_quoted, words_of

TESTS = Path(__file__).resolve().parents[1] / "tests"


def _variants() -> object:
    sys.path.insert(0, str(TESTS))
    from support.triage_variants import variants

    return variants


def decisions() -> dict[str, dict]:
    variants = _variants()
    rules = load_rules()
    model = rules.model()
    out: dict[str, dict] = {}
    for item in labelled_messages():
        seed = int(re.sub(r"\D", "", item.id) or 0)
        texts = {"": item.text, **variants(item.text, item.lang, seed)}
        for name, text in texts.items():
            r = triage(item.subject, text, rules)
            body = strip_quoted(text)
            score, words = model.score(f"{model_subject(item.subject)}\n{body}")
            out[f"{item.id}|{name}"] = {
                "text": text,
                "priority": r.priority.value,
                "category": r.category.value,
                "sensitive": r.sensitive,
                "reasons": r.reasons,
                "matched": r.matched_rules,
                "lang": guess_language(words_of(f"{item.subject} {body}")),
                "answer_lang": message_language(item.subject, text),
                "score": score,
                "words": words,
            }
    return out


def compare(a: dict[str, dict], b: dict[str, dict]) -> list[str]:
    diffs = [f"only in one: {k}" for k in sorted(a.keys() ^ b.keys())]
    for k in sorted(a.keys() & b.keys()):
        for field, va in a[k].items():
            vb = b[k].get(field)
            same = abs(va - vb) <= 1e-9 if field == "score" else va == vb
            if not same:
                diffs.append(f"{k} {field}: {va!r} -> {vb!r}")
    return diffs


if __name__ == "__main__":
    if sys.argv[1] == "dump":
        Path(sys.argv[2]).write_text(json.dumps(decisions(), ensure_ascii=False), encoding="utf-8")
    else:
        found = compare(*(json.loads(Path(p).read_text(encoding="utf-8")) for p in sys.argv[2:4]))
        print("\n".join(found[:50]) or "identical")
        print(f"{len(found)} differences")
        sys.exit(1 if found else 0)
