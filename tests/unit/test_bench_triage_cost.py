"""The bench's triage cost: every message is timed as new to the sentence caches."""

from __future__ import annotations

import functools

from bench import triage_bench
from clinic_inbox.core import triage, triage_context, triage_gate, triage_model, triage_text
from clinic_inbox.core.triage import load_rules
from clinic_inbox.core.triage_eval import Labelled

# caches keyed by one word: a running app keeps them, and so does the bench
WORD_CACHES = {
    triage_text.lemma,
    triage_text.is_known,
    triage_text.word_view,
    triage_model._pieces,
}
# caches keyed by a rule's pattern: what compiling rules reads, never a message
PATTERN_CACHES = {
    triage_gate.compiled,
    triage_gate.required_literals,
    triage_gate._case_free_source,
}


def _caches(module: object) -> set:
    return {
        f
        for f in vars(module).values()
        if isinstance(f, functools._lru_cache_wrapper) and f.__module__ == module.__name__
    }


def test_every_sentence_cache_of_triage_is_cleared() -> None:
    """A cache added to triage later, keyed by a sentence, must be cleared too (or the
    bench would time repeated sentences as look-ups): this lists them all."""
    rules = load_rules()
    triage.triage("Chest pain", "My father had a stroke. No chest pain since yesterday.", rules)
    caches = set().union(
        *(_caches(m) for m in (triage, triage_context, triage_gate, triage_model, triage_text))
    )
    assert any(c.cache_info().currsize for c in caches - WORD_CACHES - PATTERN_CACHES)
    triage_bench.clear_sentence_caches()
    left = {c.__name__ for c in caches - WORD_CACHES - PATTERN_CACHES if c.cache_info().currsize}
    assert not left, f"sentence caches not cleared by the bench: {left}"


def test_one_timing_per_message_each_new_to_the_caches() -> None:
    items = [
        Labelled(f"t{i}", "en", "Refill", text, False, "everyday", "refill")
        for i, text in enumerate(
            ["Could you renew my metformin? I have chest pain since an hour."] * 3
        )
    ]
    rules = load_rules()
    seen: list[int] = []

    def clear() -> None:
        triage_bench.clear_sentence_caches()
        seen.append(triage._scan.cache_info().currsize)

    times = triage_bench.per_message_ms(items, rules, clear)
    assert len(times) == 3 and all(t > 0 for t in times)
    # cleared before each of the three identical messages (and once at the end)
    assert seen == [0, 0, 0, 0]
    assert triage._scan.cache_info().currsize == 0


def test_both_labelled_sets_are_timed() -> None:
    items = triage_bench.labelled_messages()
    ids = {m.id for m in items}
    assert len(ids) == len(items) > 1000
    assert any(i.startswith("dev-") for i in ids) and any(i.startswith("ho-") for i in ids)


def test_careless_writing_is_lower_case_bare_and_slipped_as_asked():
    from bench.triage_noisy import careless

    text = "Ma fille a avalé des comprimés, elle respire très difficilement MAINTENANT"
    once = careless(text, 0.5, seed=3)
    assert once == careless(text, 0.5, seed=3)  # seeded: a run can be repeated
    assert once == once.lower() and "é" not in once and "è" not in once
    assert careless(text, 0.0, seed=3) == (
        "ma fille a avale des comprimes, elle respire tres difficilement maintenant"
    )
    words, bare = once.split(), careless(text, 0.0, seed=3).split()
    slipped = [(a, b) for a, b in zip(words, bare, strict=True) if a != b]
    assert slipped and all(a[0] == b[0] and len(b) >= 5 for a, b in slipped)
    assert careless(text, 1.0, seed=3).split() != bare
