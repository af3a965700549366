"""Triage cost per message, over every message of both labelled sets.

A message the clinic receives is new: its sentences were never scanned or judged
before. The per-sentence caches (`triage._scan`, `_candidates`, `_idiom_matches`,
`triage_context.affirmed` and `_present`, `triage_gate._present`,
`triage_model._features`, `_read` and `known_features`) are therefore emptied before each
message, or a repeated sentence would be timed at the cost of a dictionary
look-up. The per-word caches (lemmas, known words, spelling fixes) are left to
fill as they do in a running app: the first message pays for its words, later
ones reuse the common words.

    python -m bench.triage_bench        # prints median / p95 in ms
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from bench.common import p50_p95
from clinic_inbox.core import triage as triage_mod
from clinic_inbox.core import triage_context, triage_gate, triage_model, triage_text
from clinic_inbox.core.triage import Rules, load_rules, triage
from clinic_inbox.core.triage_eval import (
    DEVELOPMENT_PARTS,
    HELD_OUT_PART,
    Labelled,
    load_set,
)

SETS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "triage"
PARTS = (*DEVELOPMENT_PARTS, HELD_OUT_PART)


def labelled_messages() -> list[Labelled]:
    """Every message of the development and held-out parts."""
    return [m for part in PARTS for m in load_set(SETS / f"{part}.jsonl")]


def clear_sentence_caches() -> None:
    triage_mod._scan.cache_clear()
    triage_mod._candidates.cache_clear()
    triage_mod._idiom_matches.cache_clear()
    triage_context.affirmed.cache_clear()
    triage_context._present.cache_clear()
    triage_context.engaged.cache_clear()
    triage_context.resolved_story.cache_clear()
    triage_mod._form_questions.cache_clear()
    triage_mod._joked.cache_clear()
    triage_gate._present.cache_clear()
    triage_model._features.cache_clear()
    triage_model._read.cache_clear()
    triage_model.known_features.cache_clear()


def clear_word_caches() -> None:
    """As in a process that has not read a message yet (a new `load_rules()` brings
    a new speller, with its own empty cache)."""
    triage_text.lemma.cache_clear()
    triage_text.is_known.cache_clear()
    triage_text.word_view.cache_clear()
    triage_model._pieces.cache_clear()
    for table in triage_mod._TABLES.values():
        if table is not None:
            table._by_word.clear()  # the places of each word's pieces


def warm_up(rules: Rules) -> None:
    """Load what a running app has loaded once (the wording model, simplemma's
    dictionaries), on a sentence that is not in the sets."""
    triage("Hello", "Could you renew my prescription? Je voudrais un rendez-vous.", rules)
    clear_sentence_caches()


def per_message_ms(
    items: list[Labelled],
    rules: Rules,
    clear: Callable[[], None] = clear_sentence_caches,
) -> list[float]:
    """Wall time of `triage()` for each message, in ms, caches cleared before each."""
    return _timed(items, rules, clear, time.perf_counter)


def per_message_cpu_ms(
    items: list[Labelled],
    rules: Rules,
    clear: Callable[[], None] = clear_sentence_caches,
) -> list[float]:
    """The same in this process's CPU time: what the machine's load does not inflate
    (on a shared machine the wall time includes waiting for a core)."""
    return _timed(items, rules, clear, time.process_time)


def _timed(
    items: list[Labelled], rules: Rules, clear: Callable[[], None], clock: Callable[[], float]
) -> list[float]:
    warm_up(rules)
    times = []
    for item in items:
        clear()
        t = clock()
        triage(item.subject, item.text, rules)
        times.append((clock() - t) * 1000)
    clear()
    return times


def triage_cost() -> dict:
    """The bench row: median and p95 of triage per message (the app's rules and model)."""
    items = labelled_messages()
    times = per_message_ms(items, load_rules())
    p50, p95 = p50_p95(times)
    # the CPU-time pass starts from the same state as the first: no word seen yet
    clear_word_caches()
    cpu50, cpu95 = p50_p95(per_message_cpu_ms(items, load_rules()))
    return {
        "messages": len(items),
        "p50_ms": p50,
        "p95_ms": p95,
        "max_ms": max(times),
        "cpu_p50_ms": cpu50,
        "cpu_p95_ms": cpu95,
    }


if __name__ == "__main__":
    row = triage_cost()
    print(
        f"triage per message over {row['messages']:,} labelled messages: "
        f"median {row['p50_ms']:.3f} ms, p95 {row['p95_ms']:.3f} ms, max {row['max_ms']:.1f} ms; "
        f"CPU time median {row['cpu_p50_ms']:.3f} ms, p95 {row['cpu_p95_ms']:.3f} ms"
    )
