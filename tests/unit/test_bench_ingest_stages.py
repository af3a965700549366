"""The bench's per-stage ingest costs run, on the bench's own corpus, every stage timed."""

from __future__ import annotations

from support.mailgen import corpus

from bench import ingest_stages


def test_every_stage_is_timed_and_the_corpus_goes_the_lean_way() -> None:
    out = ingest_stages.stage_costs(corpus(40, seed=2))
    assert out["messages"] == 40
    assert out["lean_share"] == 1.0  # the generated mail is the everyday shape
    for key in (
        "parse_stdlib_ms",
        "parse_lean_ms",
        "parse_and_sender_check_ms",
        "triage_ms",
        "store_with_index_ms",
        "index_ms",
    ):
        assert out[key] > 0, key
