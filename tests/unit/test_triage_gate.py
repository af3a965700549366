"""The gate before triage's regexes: it may only skip a pattern that cannot match.

A lower-case ASCII sentence (nearly every folded one) is read with each pattern's
case-free twin and a finer gate (two-letter words, digits); these tests hold that
path to exactly the matches of the pattern as written, on every labelled message.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import triage_round_checks

from clinic_inbox.core import triage_context
from clinic_inbox.core.triage import load_rules
from clinic_inbox.core.triage_eval import load_set
from clinic_inbox.core.triage_gate import (
    SPLIT_AGAIN,
    Gated,
    GatedAny,
    GateTable,
    LiteralIndex,
    alternatives,
    lower_ascii,
    required_literals,
    ways_through,
)
from clinic_inbox.core.triage_text import fold, prepare

SETS = Path(__file__).resolve().parents[1] / "fixtures" / "triage"


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def test_short_words_and_digits_gate_lower_case_ascii_only():
    od = Gated.of(_rx(r"\b(?:overdos\w*|\bod\b|\bod on\b)"))
    # no word of three letters or more in every match: the gate takes shorter ones
    assert required_literals(od.regex.pattern) is None
    # ("od on" holds "od": wherever it is, so is "od", and the gate needs only that)
    assert od.gate == od.ascii_gate == {"overdos", "od"}
    weeks = Gated.of(_rx(r"\b(?:\d{1,2} ?(weeks|wks)\b|pregnant)"))
    assert weeks.gate is not None and weeks.ascii_gate is not None
    for text, holds in (("12 weeks", True), ("3wks", True), ("pregnant", True), ("a cold", False)):
        assert any(lit in text for lit in weeks.ascii_gate) is holds
    tens = Gated.of(_rx(r"\b(?:\d{2,3})\b"))
    assert tens.gate is None  # "\d" reads any script's digits
    assert tens.ascii_gate == set("0123456789")  # in ASCII text, only these ten
    cm = Gated.of(_rx(r"\b(?:\d{2} ?(cm|mm)\b)"))
    assert cm.gate == cm.ascii_gate == {"cm", "mm"}
    assert required_literals(r"[2-6]", 2, digits=True) == set("23456")
    assert required_literals(r"[2-6]x", 2, digits=True) == {"2x", "3x", "4x", "5x", "6x"}
    # "any character but a digit" says nothing about which are there
    assert required_literals(r"[^\d]+", 2, digits=True) is None


def test_the_gate_reads_whole_words_through_groups_options_and_assertions():
    """The regex parser factors "dit|disait" into "di(t|sait)": the gate still needs the
    whole word, and so on through an optional letter, a \\b or a lookbehind."""
    assert required_literals(r"\b(dit|disait) (que|qu')") == {
        "dit que",
        "disait que",
        "dit qu'",
        "disait qu'",
    }
    assert required_literals(r"\bod'?d\b") == {"odd", "od'd"}
    assert required_literals(r"(?<!\bhe )(says|said) that") == {"says that", "said that"}
    # a group with a way through that is not exact: how its ways start
    assert required_literals(r"has (you|your \w+) ") == {"has you"}
    assert required_literals(r"(en|in) re(adaptation|hab\w*)") == {
        "en readaptation",
        "in readaptation",
        "en rehab",
        "in rehab",
    }
    # a one-letter way through: no gate worth three letters, a loose one of one
    assert required_literals(r"\bq(uestion)? ?\d") is None
    assert Gated.of(re.compile(r"\bq(uestion)? ?\d")).gate == {"q"}
    # ...but not of a letter in nearly every sentence: finding each "i" costs more
    assert Gated.of(re.compile(r"\b(i|j)\b")).gate is None


def test_a_pattern_where_case_could_matter_keeps_its_ignorecase_and_its_gate():
    for pattern in (r"\bBP\b", r"\b[A-Z]{2} gauge", r"(?i:x)yz", r"\bk\u0131ll"):
        g = Gated.of(_rx(pattern))
        assert g.fast is g.regex
        assert g.ascii_gate == g.gate
    free = Gated.of(_rx(r"\bchest pain"))
    assert free.fast is not free.regex and not free.fast.flags & re.IGNORECASE


def test_text_that_is_not_lower_case_ascii_is_read_as_written():
    g = Gated.of(_rx(r"\bkill myself"))
    # IGNORECASE lets "i" match a dotless "ı": that text takes the pattern as written
    assert not lower_ascii("i want to kıll myself")
    assert g.pattern_for("i want to kıll myself").search("i want to kıll myself")
    assert g.pattern_for("kill myself") is g.fast
    table = GateTable([Gated.of(_rx(r"\b(?:od'?d\b)"))])
    assert table.candidates("he odd on pills")  # "od" is there
    assert not table.candidates("he took pills")
    # not lower-case ASCII: no gate known (three letters or more), the pattern is tried
    assert table.candidates("HE ODD ON PILLS")


def test_the_literal_index_finds_every_literal_anywhere():
    index = LiteralIndex(["chest", "chest pain", "pain", "ain", "od", "7"])
    assert index.present("crushing chest pains since 7") == {
        "chest",
        "chest pain",
        "pain",
        "ain",
        "7",
    }
    assert index.present("good blood") == {"od"}
    assert index.present("") == set()


@pytest.fixture(scope="module")
def views() -> list[str]:
    rules = load_rules()
    out: list[str] = []
    for path in sorted(SETS.glob("*.jsonl")):
        # every part; every 80th message in a triage round, every 160th in `make test`
        for item in load_set(path)[:: triage_round_checks.step(80)]:
            out.append(fold(item.text))
            for s in prepare(item.text, rules.speller):
                out += [s.folded, s.lemmas]
    # each text once (4% were there twice: a message of one sentence, a sentence
    # already in its dictionary forms, a line several messages share)
    return list(dict.fromkeys(out))


@pytest.mark.slow(seconds=89)
def test_every_shipped_pattern_finds_the_same_matches_on_the_fast_path(views):
    """The case-free twin and the finer gate against the pattern as written, on the
    labelled messages' sentences and whole texts."""
    rules = load_rules()
    sections = (rules.red, rules.same_day, rules.sensitive, rules.category_section)
    patterns = {g for section in sections for r in section.rules for g in r.gated}
    assert len(patterns) > 500
    index = LiteralIndex({lit for g in patterns for lit in (g.ascii_gate or ())})
    fast_views = [v for v in views if lower_ascii(v)]
    assert len(fast_views) > 0.9 * len(views)
    for view in fast_views:
        present = index.present(view)
        assert present == {lit for lit in index.literals if lit in view}
        for g in patterns:
            slow = [m.span() for m in g.regex.finditer(view)]
            if g.ascii_gate is not None and g.ascii_gate.isdisjoint(present):
                assert slow == [], (g.regex.pattern, view)
            else:
                assert [m.span() for m in g.fast.finditer(view)] == slow, g.regex.pattern


def test_the_automaton_and_the_regex_find_the_same_literals(views):
    rules = load_rules()
    index = rules.red.gates.vocabulary.index
    assert index._automaton is not None  # pyahocorasick is installed with the app
    odd = ["İ CAN'T BREATHE", "kıll myself", "ſevere \u212aeeps", "😂 chest", "a\x00b", ""]
    for view in views + odd:
        assert index.present(view) == index.present_by_regex(view), view


def test_literals_are_found_as_ignorecase_reads_them():
    """A pattern's words are found in a text wherever the pattern could match them:
    'kill' in 'kıll' (dotless i), 'CANT' in 'cant', 'severe' in 'ſevere' (long s)."""
    index = LiteralIndex(["kill", "CANT", "severe", "keeps", "od"])
    assert index.present("i want to kıll myself") == {"kill"}
    assert index.present("i cant") == {"cant"}
    assert index.present("ſevere pain, \u212aeeps going") == {"severe", "keeps"}
    assert index.present("gOOD") == {"od"}
    for pattern, text in (
        (r"\bCANT\b", "i cant breathe"),
        (r"\bkill myself", "i want to kıll myself"),
        (r"\bsevere (pain|bleeding)", "ſevere pain"),
    ):
        g = Gated.of(_rx(pattern))
        assert g.regex.search(text)
        assert GateTable([g]).candidates(text) == {g}, pattern


def test_gate_fold_keeps_the_length_and_matches_ignorecase_letter_for_letter():
    from clinic_inbox.core.triage_gate import gate_fold

    for a in map(chr, range(0x20, 0x2200)):
        fa = gate_fold(a)
        assert len(fa) == 1
        for b in ("i", "k", "s", "a", "\u00e9", "\u03c3", "\u00b5"):
            same = re.fullmatch(re.escape(b), a, re.IGNORECASE) is not None
            assert same == (fa == gate_fold(b)), (a, b)


def test_words_of_a_lower_case_ascii_text_are_found_the_same_without_ignorecase():
    from clinic_inbox.core.triage_text import _WORD, _WORD_LOWER_ASCII

    chars = [chr(c) for c in range(128) if not chr(c).isupper()]
    for a in chars:
        for b in chars:
            for text in (a + b, f"{a}'{b}", f"x'{a}{b}", f"{a}{b}'s"):
                if text.isascii() and text.islower():
                    spans = [m.span() for m in _WORD.finditer(text)]
                    assert [m.span() for m in _WORD_LOWER_ASCII.finditer(text)] == spans


def test_a_pattern_splits_into_its_ways_through_only_where_that_keeps_its_matches():
    assert alternatives(r"ab|c(d|e)|f") == ["ab", "c(d|e)", "f"]
    # one group holding the alternation, edges kept on each way through
    assert alternatives(r"\b(chest|poitrine) pain\b") == [
        r"\b(?:chest) pain\b",
        r"\b(?:poitrine) pain\b",
    ]
    assert alternatives(r"x(?:a|b)[|(]y") == ["x(?:a)[|(]y", "x(?:b)[|(]y"]
    # the group with the most ways is split; the other stays whole in each
    assert alternatives(r"(a|b) (c|d|e)") == ["(a|b) (?:c)", "(a|b) (?:d)", "(a|b) (?:e)"]
    assert alternatives(r"no alternation \|") is None
    assert alternatives(r"(a|b)+c") is None  # a quantified group repeats its choice
    assert alternatives(r"(?!a|b)c") is None  # a look-ahead's "or" is not the pattern's
    assert alternatives(r"(a|b) \1") is None  # a back-reference needs its group
    assert alternatives(r"(?P<w>a|b)") is None


@pytest.mark.slow(seconds=20)
def test_a_split_pattern_answers_as_the_whole_one(views):
    """Every context expression read as its gated ways through says exactly what the
    whole expression says, on the labelled messages' sentences and on slices of them
    (the context rules ask about the words before and after a mention)."""
    index = triage_context._INDEX
    exprs = triage_context._G
    assert (
        len(exprs) > 15
        and sum(len(alternatives(g.regex.pattern) or ()) for g in exprs.values()) > 500
    )
    for view in views:
        present = frozenset(index.present(view))
        for text in (view, view[: len(view) // 2], view[-60:]):
            for name, g in exprs.items():
                assert g.search(text, present) == (g.regex.search(text) is not None), (name, text)
                if not g.may_match(present):
                    assert g.regex.search(text) is None


def test_a_long_way_through_is_split_again_where_it_is_one_alternation():
    long_way = r"\b(" + "|".join(f"word{n}" for n in range(80)) + r")\b"
    assert len(long_way) > SPLIT_AGAIN
    ways = ways_through(r"\b(back blows) came out|" + long_way)
    assert ways[0] == r"\b(back blows) came out" and len(ways) == 81
    assert ways[1:3] == [r"\b(?:word0)\b", r"\b(?:word1)\b"]
    # a short way is left whole: splitting it would only add patterns to run
    assert ways_through(r"a|\b(b|c)\b") == ["a", r"\b(b|c)\b"]
    assert ways_through(r"no alternation") is None
    g = GatedAny(re.compile(r"\b(back blows) came out|" + long_way))
    assert g.search("then word42 again", frozenset({"word42"}))
    assert not g.search("then word420 again", frozenset({"word420"}))


def test_no_context_expression_runs_a_long_alternation_whole():
    """The cost this guards: a way of ~11,000 characters run whole whenever any of its
    thousand words was in the sentence (0.2 ms each time, a tenth of triage's time)."""
    for name, g in triage_context._G.items():
        every = {rx for ways in g._by_literal.values() for rx in ways} | set(g._ungated)
        for rx in every:
            assert len(rx.pattern) <= SPLIT_AGAIN or alternatives(rx.pattern) is None, name


def test_a_split_pattern_with_an_ungated_way_runs_that_way_on_every_text():
    g = GatedAny(re.compile(r"\b(ambulance|\d{3}/\d{2,3})\b"))
    assert g.gate is None and "ambulance" in g.literals
    assert g.search("bp 190/120 now", frozenset())
    assert not g.search("bp fine", frozenset())
    assert g.search("call an ambulance", frozenset({"ambulance"}))


def test_the_shipped_gate_file_holds_every_shipped_pattern_as_worked_out_now():
    """resources/triage_gates.json spares each process the parsing of every pattern;
    it must say exactly what parsing says (a rule changed without writing it again
    would only load slower, but a gate that differs could skip a match)."""
    from clinic_inbox.core import triage_gate_cache

    stale = triage_gate_cache.check()
    assert not stale, (
        f"{len(stale)} shipped patterns are not in {triage_gate_cache.FILE} as they are "
        "now: run `python -m clinic_inbox.core.triage_gate_cache` after changing the rules"
    )


def test_a_missing_or_foreign_gate_file_is_worked_out_instead(tmp_path, monkeypatch):
    from clinic_inbox.core import triage_gate_cache
    from clinic_inbox.core.triage_gate import analyse

    pattern = load_rules().red.rules[0].patterns[0].pattern
    held = triage_gate_cache.known(pattern, re.IGNORECASE)
    assert held is not None and held == analyse(pattern, re.IGNORECASE)  # a shipped one
    for content in (None, '{"format": "something else", "patterns": []}', "not json"):
        path = tmp_path / "gates.json"
        if content is not None:
            path.write_text(content, encoding="utf-8")
        monkeypatch.setattr(triage_gate_cache, "resource_path", lambda _name, p=path: p)
        triage_gate_cache.shipped.cache_clear()
        try:
            assert triage_gate_cache.shipped() == {}
            assert triage_gate_cache.known(pattern, re.IGNORECASE) is None
            g = Gated.of_source(pattern, re.IGNORECASE)
            assert (g.gate, g.ascii_gate, g.twin) == held
            assert g.is_compiled  # worked out: compiled at once (checked as valid)
        finally:
            triage_gate_cache.shipped.cache_clear()


def test_loading_the_shipped_rules_compiles_a_pattern_only_when_a_sentence_needs_it():
    """Loading took ~6 s of CPU in every process that triaged (the app, each sync, each
    command): each of ~3,500 patterns was parsed for its gate and compiled twice. Now
    a fresh process compiles none of the gated patterns until a sentence holds their
    words."""
    import subprocess
    import sys

    code = (
        "from clinic_inbox.core.triage_gate import compiled\n"
        "from clinic_inbox.core.triage import load_rules, triage\n"
        "before = compiled.cache_info().currsize\n"
        "rules = load_rules()\n"
        "loaded = compiled.cache_info().currsize\n"
        "r = triage('Chest pain', 'Crushing chest pain for 20 minutes and sweating.', rules)\n"
        "print(before, loaded, compiled.cache_info().currsize, r.priority.value)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    before, loaded, after = map(int, out[:3])
    assert out[3] == "urgent"
    assert loaded - before <= 20  # the categories' few patterns, compiled whole
    assert loaded < after < loaded + 300  # of ~3,200 gated patterns


def test_a_clinics_own_patterns_are_checked_at_load_alone_and_together():
    """A pattern the shipped gate file does not know is compiled at load, and so is its
    rule whole: one that is not valid, or two that cannot stand side by side (the same
    group name twice), are refused in words before the first message."""
    from clinic_inbox.core.triage import RulesError, build_rules

    for patterns in (["(unclosed"], ["(?P<w>ache)", "(?P<w>pain)"]):
        with pytest.raises(RulesError, match="'own_rule' has a pattern that is not valid"):
            build_rules({"red_flag": [{"id": "own_rule", "patterns": patterns}]})
    rules = build_rules({"red_flag": [{"id": "own_rule", "patterns": ["(?P<w>ache)", "pain"]}]})
    assert rules.red.rules[0].regex.search("an ache")


@pytest.mark.slow(seconds=15)
def test_asking_whether_a_group_is_said_answers_as_finding_its_matches(views):
    """Triage skips a cluster one of whose groups has no match at all (`group_said`,
    which stops at the first match, in any order) before judging any mention's context:
    it must say exactly what `group_matches` finds, group by group, view by view."""
    rules = load_rules()
    asked = said = 0
    for section in (rules.red, rules.same_day):
        groups = list(dict.fromkeys(g for rule in section.clusters for g in rule.requires))
        for view in views[::3]:
            for group in groups:
                found = bool(section.group_matches(group, view))
                assert section.group_said(group, view) == found, (group[0].pattern[:60], view)
                asked += 1
                said += found
    assert asked > 100_000 and said > 500  # the check ran, and on groups that are said
