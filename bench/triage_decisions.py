"""Every decision triage makes on the labelled sets, dumped to JSON to compare two
versions of the code: a speed change must leave every one of them as it was.

For each message of every part (and the metamorphic variants the set tests build
from it), the unit tests' labelled messages, the hostile mail corpus, the bench's
everyday mail corpus (each parsed as the sync parses it) and hostile texts made for
triage: priority, category, sensitive, reasons and rules (in order), the language
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
from clinic_inbox.core.triage import Rules, load_rules, model_subject, triage
from clinic_inbox.core.triage_text import guess_language, strip_quoted, words_of

TESTS = Path(__file__).resolve().parents[1] / "tests"


def _variants() -> object:
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    from support.triage_variants import variants

    return variants


def hostile_texts() -> list[tuple[str, str]]:
    """Text no patient writes but triage must read the same: odd letters and scripts,
    letters whose lower case is longer, control characters, base64, enormous words and
    bodies past what triage reads, quoting and reply headers in odd places."""
    sigma = "ΣΟΦΟΚΛΗΣ ΕΙΠΕ ΣΤΟΝ ΓΙΑΤΡΟ: ΠΟΝΟΣ ΣΤΟ ΣΤΗΘΟΣ"
    return [
        ("dotted-i", "İ CAN'T BREATHE. İ have CHEST PAİN since an hour"),
        ("dotless-i", "i want to kıll myself tonight, i bought rope"),
        ("kelvin-long-s", "ſevere bleeding \u212aeeps going, I'm ſweating"),
        ("greek-sigma", sigma),
        ("rtl", "\u202eniap tsehc\u202c I have chest pain \u200f and can't breathe"),
        ("zero-width", "che\u200bst pain and I can\u200dt breathe, sui\u00adcide"),
        ("emoji", "🙄 lol I'm going to kill him 😂 he ate my fries. 💔 chest pain 🚑🚑"),
        ("controls", "chest\x00pain\x07 and \x1b[31mbleeding\x1b[0m won't stop\r\n"),
        ("tabs-crlf", "chest pain\r\n\r\n\tsince 9\r\nBP 190/125 headache\r\n"),
        ("base64", "aGVsbG8gY2hlc3QgcGFpbg==" * 400),
        ("long-word", "chest" + "a" * 5000 + " pain and bleeding"),
        ("huge", ("I would like a refill please. " * 2500) + " I can't breathe"),
        ("huge-start", "I can't breathe. " + "renew my metformin. " * 4000),
        ("digits", " ".join(str(i) for i in range(3000)) + " 200/130 sugar 2.1 shaking"),
        ("punctuation", "!!!???...;;;,,,:::---" * 200 + "chest pain!!!"),
        ("quote-first", "On Mon someone wrote:\nI have chest pain\n> old"),
        ("quote-markers", "> > > chest pain\n>chest pain\nok thanks\n  > bleeding"),
        ("fr-mixed", "Bonjour, J'AI MAL À LA POITRINE depuis 1h, ÇA SERRE. Merci!!"),
        ("fullwidth", "ｃｈｅｓｔ ｐａｉｎ and ＢＰ ２００/１３０"),
        ("arabic-digits", "sugar ٢.١ mmol and shaking, BP ١٩٠/١٢٥"),
        ("only-space", " \n\t \u00a0\u2003 "),
        ("empty", ""),
        ("surrogates", "chest pain \udce9\udcff and bleeding"),
    ]


def decisions() -> dict[str, dict]:
    variants = _variants()
    rules = load_rules()
    out: dict[str, dict] = {}
    for item in labelled_messages():
        seed = int(re.sub(r"\D", "", item.id) or 0)
        texts = {"": item.text, **variants(item.text, item.lang, seed)}
        for name, text in texts.items():
            out[f"{item.id}|{name}"] = decision(item.subject, text, rules)
    from fixtures.triage_labelled import EMERGENCIES, NOT_URGENT

    for i, text in enumerate([*EMERGENCIES, *(t for t, _c in NOT_URGENT)]):
        out[f"unit-{i}"] = decision("", text, rules)
    for name, text in hostile_texts():
        out[f"hostile-text-{name}"] = decision(name, text, rules)
        out[f"hostile-text-{name}|subject"] = decision(text[:2000], "Thanks", rules)
    for name, subject, body in mail_corpora():
        out[name] = decision(subject, body, rules)
    return out


def mail_corpora() -> list[tuple[str, str, str]]:
    """The hostile mail corpus and the bench's everyday corpus, read as the sync reads
    them (subject and text of each message)."""
    from support.hostile_mail import hostile_messages
    from support.mailgen import corpus

    from clinic_inbox.sources.mime import DEFAULT_LIMITS, UnparseableEmail, parse_email

    out = []
    raw = [(f"hostile-mail-{n}", m) for n, m in hostile_messages(include_huge=False)]
    raw += [(f"everyday-{i}", m) for i, m in enumerate(corpus(2000, seed=23))]
    for name, message in raw:
        try:
            parsed = parse_email(message, DEFAULT_LIMITS)
        except UnparseableEmail:
            continue  # refused before triage: nothing to decide
        out.append((name, parsed.subject, parsed.body_text))
    return out


def decision(subject: str, text: str, rules: Rules) -> dict:
    model = rules.model()
    assert model is not None
    r = triage(subject, text, rules)
    body = strip_quoted(text)
    score, words = model.score(f"{model_subject(subject)}\n{body}")
    return {
        "text": text[:2000],
        "priority": r.priority.value,
        "category": r.category.value,
        "sensitive": r.sensitive,
        "reasons": r.reasons,
        "matched": r.matched_rules,
        "lang": guess_language(words_of(f"{subject} {body}")),
        "answer_lang": message_language(subject, text),
        "score": score,
        "words": words,
    }


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
        Path(sys.argv[2]).write_text(json.dumps(decisions()), encoding="utf-8")
    else:
        found = compare(*(json.loads(Path(p).read_text(encoding="utf-8")) for p in sys.argv[2:4]))
        print("\n".join(found[:50]) or "identical")
        print(f"{len(found)} differences")
        sys.exit(1 if found else 0)
