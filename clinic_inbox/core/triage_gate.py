"""Which rule patterns could match this sentence at all? A fast gate before the regexes.

Hundreds of patterns with windows (".{0,60}") cost tens of milliseconds a message
when every one is tried at every position. But each pattern has words that any
match must contain ("chest", or one of "breathe|breath|respirer"): those are read
from the pattern itself (`required_literals`), all of them are found in one scan
with a trie-shaped regex (`LiteralIndex`), and only the patterns whose words are
present are run. A pattern whose words cannot be worked out is always run.

Nearly every sentence triage reads is folded to lower-case ASCII. For such a text a
pattern has a cheaper twin (`Gated.fast`): the same pattern without IGNORECASE
(there is no upper-case letter for it to match), gated more finely (`ascii_gate`:
two-letter words and digits count too, so "od" or "\\d{1,2} weeks" no longer make a
pattern run on every sentence). Any other text is read as before.
"""

from __future__ import annotations

import re
import re._parser as sre_parse  # the standard library's own regex parser
from collections.abc import Callable, Iterable
from functools import cached_property, lru_cache
from itertools import pairwise
from operator import itemgetter

try:  # a compiled Aho-Corasick automaton finds the gates' words (LiteralIndex)
    import ahocorasick
except ImportError:  # pragma: no cover - the regex below finds the same words, slower
    ahocorasick = None

try:  # how IGNORECASE compares letters: the regex engine's own tables
    from _sre import unicode_tolower
    from re._casefix import _EXTRA_CASES
except ImportError:  # pragma: no cover - another Python: compare lower case only
    _EXTRA_CASES = {}

    def unicode_tolower(cp: int) -> int:
        low = chr(cp).lower()
        return ord(low) if len(low) == 1 else cp


_c = sre_parse  # constants live on the parser module's namespace
MIN_LITERAL = 3  # shorter words are everywhere and gate nothing
# On lower-case ASCII text a short word still rules out most sentences ("od"), and so
# does a digit ("\\d" matches only 0-9 there).
MIN_LITERAL_ASCII = 2
# Per-pattern caches hold one entry per pattern compiled in the process: the shipped
# rules need ~2,900, a clinic's own file a few more. Bounded so that a long-running app
# whose administrator edits the rules many times does not keep every old pattern.
PATTERN_CACHE_SIZE = 8192
_DIGITS = frozenset("0123456789")
# The letters IGNORECASE lets match a lower-case ASCII letter other than themselves:
# A-Z, and U+0130 "İ", U+0131 "ı", U+017F "ſ", U+212A "K" (Kelvin).
_FOLDS_TO_ASCII = frozenset(range(ord("A"), ord("Z") + 1)) | {0x130, 0x131, 0x17F, 0x212A}


class _CaseClasses(dict):
    """Code point -> the one code point standing for every letter IGNORECASE takes
    for it ("K", "k" and the Kelvin sign; "i", "I", "İ" and the dotless "ı"), filled
    as letters are met (str.translate asks for each)."""

    def __missing__(self, cp: int) -> int:
        low = unicode_tolower(cp)
        same = min((low, *_EXTRA_CASES.get(low, ())))
        self[cp] = same
        return same


_CASE_CLASSES = _CaseClasses()


def gate_fold(text: str) -> str:
    """`text` with every letter replaced by the one standing for its IGNORECASE class,
    letter for letter: a literal a pattern needs occurs in a text, as IGNORECASE reads
    it, exactly when its gate_fold occurs in the text's gate_fold."""
    if text.isascii():
        return text.lower()
    return text.translate(_CASE_CLASSES)


def _folded(literals: frozenset[str] | None) -> frozenset[str] | None:
    return None if literals is None else frozenset(map(gate_fold, literals))


@lru_cache(maxsize=2 * PATTERN_CACHE_SIZE)
def compiled(pattern: str, flags: int) -> re.Pattern[str]:
    """`re.compile`, kept per pattern for the process (the standard library keeps 512;
    the shipped rules have ~3,200 gated patterns, most with a case-free twin, and ~2,200
    rules whole): one object for one pattern wherever it is used."""
    return re.compile(pattern, flags)


class Gated:
    """One pattern, and the words any match of it must contain (None: unknown).

    The pattern is compiled when it is first run (`regex`, `fast`): a sentence's words
    rule most patterns out, so a process that triages a few messages compiles a few of
    the thousands of shipped patterns. What the gate needs of a shipped pattern is read
    from a file made when the rules change (triage_gate_cache), not worked out again in
    every process."""

    def __init__(
        self,
        pattern: str,
        flags: int,
        gate: frozenset[str] | None,
        ascii_gate: frozenset[str] | None,
        twin: bool,
        regex: re.Pattern[str] | None = None,
    ) -> None:
        self.pattern, self.flags = pattern, flags
        self.gate, self.ascii_gate = gate, ascii_gate
        # for lower-case ASCII text the same pattern without IGNORECASE finds the same
        # matches, faster (see the module's doc); False: read every text as written
        self.twin = twin
        if regex is not None:
            self.__dict__["regex"] = regex

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return compiled(self.pattern, self.flags)

    @property
    def is_compiled(self) -> bool:
        """Compiled already: given compiled, or run once (a pattern the shipped gate file
        does not know is compiled when it is loaded)."""
        return "regex" in self.__dict__

    @cached_property
    def fast(self) -> re.Pattern[str]:
        """For lower-case ASCII text: the same matches, found faster."""
        if not self.twin:
            return self.regex
        return compiled(self.pattern, self.flags & ~re.IGNORECASE)

    @classmethod
    def of(cls, regex: re.Pattern[str]) -> Gated:
        return cls(regex.pattern, regex.flags, *analyse(regex.pattern, regex.flags), regex=regex)

    @classmethod
    def of_source(cls, pattern: str, flags: int) -> Gated:
        """`of(re.compile(pattern, flags))`, compiled only when first run if the shipped
        gate file knows the pattern (it compiled when that file was made); otherwise
        compiled now, so that a clinic's pattern that is not valid is refused at once."""
        from clinic_inbox.core.triage_gate_cache import known

        held = known(pattern, flags)
        if held is not None:
            return cls(pattern, flags, *held)
        return cls.of(compiled(pattern, flags))

    @classmethod
    def ungated(cls, regex: re.Pattern[str]) -> Gated:
        """The pattern with no gate: run on every text, as written."""
        return cls(regex.pattern, regex.flags, None, None, False, regex=regex)

    def may_match(self, present: frozenset[str] | set[str]) -> bool:
        """False only when none of the words a match needs is in the text."""
        return self.gate is None or not self.gate.isdisjoint(present)

    def pattern_for(self, text: str) -> re.Pattern[str]:
        """The pattern to run on `text`: the fast twin when `text` allows it."""
        return self.fast if lower_ascii(text) else self.regex


Analysis = tuple[frozenset[str] | None, frozenset[str] | None, bool]


def analyse(pattern: str, flags: int) -> Analysis:
    """What `Gated` needs of a pattern: its gate, its gate on lower-case ASCII text, and
    whether its case-free twin reads such text (all from the pattern's source)."""
    # the words as IGNORECASE reads them ("CANT" is there in "cant"); for a pattern
    # without IGNORECASE the gate is only looser
    gate = _folded(required_literals(pattern))
    ignorecase = bool(flags & re.IGNORECASE)
    free = not ignorecase or _case_free_source(pattern, flags)
    # shorter words than a gate is worth, but better than running on every text
    # (one branch of a long alternation, "q ?\\d", left all the rest ungated)
    loose = gate if gate is not None else _loose(pattern)
    if not free:  # IGNORECASE could matter: read every text as written
        return loose, loose, False
    if gate is not None:
        return gate, gate, ignorecase
    ascii_gate = _folded(required_literals(pattern, MIN_LITERAL_ASCII, True))
    return loose, loose if ascii_gate is None else ascii_gate, ignorecase


# One letter gates only when it is rare in English and French ("q ?\\d"); "i" or "a"
# is in nearly every sentence, and finding each one costs more than it saves.
_RARE_LETTERS = frozenset("qxz")


def _loose(pattern: str) -> frozenset[str] | None:
    """A gate of words shorter than MIN_LITERAL, for a pattern that has none longer."""
    found = _folded(required_literals(pattern, 1))
    if found is None or any(len(x) == 1 and x not in _RARE_LETTERS for x in found):
        return None
    return found


def lower_ascii(text: str) -> bool:
    """Lower-case ASCII: what a folded sentence nearly always is."""
    return text.isascii() and text.islower()


# (kept per pattern, as required_literals: a clinic's own rules file is compiled with
# every shipped pattern again)
@lru_cache(maxsize=PATTERN_CACHE_SIZE)
def _case_free_source(pattern: str, flags: int) -> bool:
    """True when `pattern` without IGNORECASE finds exactly the same matches in any
    lower-case ASCII text (no literal that IGNORECASE lets match another letter there)."""
    try:
        parsed = sre_parse.parse(pattern, flags)
    except re.error:
        return False
    return _case_free_items(list(parsed))


def _case_free_items(items: list) -> bool:
    for op, arg in items:
        name = str(op)
        if name in ("LITERAL", "NOT_LITERAL"):
            if arg in _FOLDS_TO_ASCII:
                return False
        elif name == "IN":
            for sub_op, sub_arg in arg:
                sub = str(sub_op)
                if sub == "LITERAL" and sub_arg in _FOLDS_TO_ASCII:
                    return False
                if sub == "RANGE" and any(sub_arg[0] <= c <= sub_arg[1] for c in _FOLDS_TO_ASCII):
                    return False
                if sub not in ("LITERAL", "RANGE", "CATEGORY", "NEGATE"):
                    return False  # a form not checked here: keep IGNORECASE
        elif name == "SUBPATTERN":
            if arg[1] or arg[2]:  # inline flags: keep it as written
                return False
            if not _case_free_items(list(arg[-1])):
                return False
        elif name == "BRANCH":
            if not all(_case_free_items(list(b)) for b in arg[1]):
                return False
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            if not _case_free_items(list(arg[2])):
                return False
        elif name in ("ASSERT", "ASSERT_NOT"):
            if not _case_free_items(list(arg[1])):
                return False
        elif name == "ATOMIC_GROUP":
            if not _case_free_items(list(arg)):
                return False
        elif name not in ("AT", "ANY", "GROUPREF", "CATEGORY"):
            return False  # a form not checked here: keep IGNORECASE
    return True


# Kept per pattern for the process (a pure function of its arguments; one entry per
# pattern compiled here): a clinic's own rules file is compiled merged with the shipped
# rules, and every shipped pattern was read again.
@lru_cache(maxsize=PATTERN_CACHE_SIZE)
def required_literals(
    pattern: str, shortest: int = MIN_LITERAL, digits: bool = False
) -> frozenset[str] | None:
    """Strings of which at least one occurs in every match of `pattern`, or None.
    Literals are `shortest` characters or more; with `digits`, a digit class counts
    as the ten (or fewer) digits it allows (true of ASCII text only)."""
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return None
    found = _seq(list(parsed), shortest, digits)
    return _shortest_only(found) if found else None


def _shortest_only(found: set[str]) -> frozenset[str]:
    """`found` without the strings that hold another of its strings (" weeks" beside
    "weeks"): wherever they occur the shorter one does, so the gate says the same with
    fewer words to look for."""
    lengths = sorted({len(x) for x in found})
    return frozenset(
        x
        for x in found
        if not any(
            x[i : i + n] in found for n in lengths if n < len(x) for i in range(len(x) - n + 1)
        )
    )


def _seq(items: list, shortest: int = MIN_LITERAL, digits: bool = False) -> set[str] | None:
    """The best any-of set for a sequence: the longest run of what it matches exactly,
    or a group's set.

    A run goes on through a small group with only exact ways through ("di(t|sait)"
    as the regex parser factors "dit|disait": "dit" or "disait", not the two letters
    "di"), an optional piece ("od'?d": "odd" or "od'd") and zero-width assertions
    (\\b, lookarounds: they take no character, so the letters either side of them
    are next to each other in every match)."""
    candidates: list[set[str]] = []
    run: set[str] = {""}  # the strings the sequence read so far ends with, exactly

    def flush() -> None:
        nonlocal run
        # (with `digits`, a digit counts whatever its length: one of ten, not of 26)
        if all(len(x) >= shortest or (digits and _DIGITS.intersection(x)) for x in run):
            candidates.append(run)
        run = {""}

    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            ch = chr(arg)
            run = {x + ch for x in run}
            continue
        if name in _ZERO_WIDTH:
            continue
        exact = _exact([(op, arg)], digits)
        if exact is not None and len(run) * len(exact) <= MAX_EXACT:
            run = {x + y for x in run for y in exact}
            continue
        # the run ends here, with how this piece starts ("has (you|your \\w+)": "has you")
        lead = _lead([(op, arg)], digits)
        if len(run) * len(lead) <= MAX_EXACT:
            run = {x + y for x in run for y in lead}
        flush()
        if name == "SUBPATTERN":
            sub = _seq(list(arg[-1]), shortest, digits)
            if sub:
                candidates.append(sub)
        elif name == "BRANCH":
            sub = _branch(arg[1], shortest, digits)
            if sub:
                candidates.append(sub)
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _high, body = arg
            if low >= 1:
                sub = _seq(list(body), shortest, digits)
                if sub:
                    candidates.append(sub)
        elif name == "IN" and digits:
            sub = _digit_class(arg)
            if sub:
                candidates.append(sub)
    flush()
    if not candidates:
        return None
    # the set whose shortest member is longest gates best (spaces not counted: " sur "
    # is a common word, not five letters)
    return max(candidates, key=lambda s: (min(len(x.replace(" ", "")) for x in s), -len(s)))


# Zero-width: they match a place, not a character.
_ZERO_WIDTH = frozenset({"AT", "ASSERT", "ASSERT_NOT"})
MAX_EXACT = 64  # strings a run may stand for; more gate no better, and cost more


def _lead(items: list, digits: bool = False) -> set[str]:
    """Strings one of which every match of `items` starts with ({""}: nothing known)."""
    out: set[str] = {""}
    for op, arg in items:
        exact = _exact([(op, arg)], digits)
        if exact is not None and len(out) * len(exact) <= MAX_EXACT:
            out = {x + y for x in out for y in exact}
            continue
        name = str(op)
        if name == "SUBPATTERN":
            part = _lead(list(arg[-1]), digits)
        elif name == "BRANCH":
            part = set().union(*(_lead(list(b), digits) for b in arg[1]))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and arg[0] >= 1:
            part = _lead(list(arg[2]), digits)
        else:
            part = {""}
        if len(out) * len(part) <= MAX_EXACT:
            out = {x + y for x in out for y in part}
        return out
    return out


def _exact(items: list, digits: bool = False) -> set[str] | None:
    """Every string `items` can match, when there are few (at most MAX_EXACT); else None.
    With `digits`, a digit class is its digits (true of ASCII text only)."""
    out: set[str] = {""}
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            ch = chr(arg)
            out = {x + ch for x in out}
            continue
        if name in _ZERO_WIDTH:
            continue
        if name == "SUBPATTERN":
            part = _exact(list(arg[-1]), digits)
        elif name == "BRANCH":
            part = set()
            for b in arg[1]:
                sub = _exact(list(b), digits)
                if sub is None:
                    return None
                part |= sub
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and arg[:2] in (
            (0, 1),
            (1, 1),
        ):
            part = _exact(list(arg[2]), digits)
            if part is not None and arg[0] == 0:
                part = part | {""}
        elif name == "IN":
            part = _letters(arg) or (_digit_class(arg) if digits else None)
        else:
            return None
        if part is None or len(out) * len(part) > MAX_EXACT:
            return None
        out = {x + y for x in out for y in part}
    return out


def _letters(members: list) -> set[str] | None:
    """The characters a class of single characters allows ("[e']", as the parser writes
    "(e|')"); None for anything else (ranges, negations, categories)."""
    if not all(str(op) == "LITERAL" for op, _arg in members):
        return None
    return {chr(arg) for _op, arg in members} or None


def _digit_class(members: list) -> set[str] | None:
    """The digits a class such as \\d, [0-9] or [2-6] allows; None if it allows more."""
    out: set[str] = set()
    for op, arg in members:
        name = str(op)
        if name == "CATEGORY" and str(arg) == "CATEGORY_DIGIT":
            out |= _DIGITS
        elif name == "RANGE" and ord("0") <= arg[0] <= arg[1] <= ord("9"):
            out |= {chr(c) for c in range(arg[0], arg[1] + 1)}
        elif name == "LITERAL" and chr(arg) in _DIGITS:
            out.add(chr(arg))
        else:
            return None
    return out or None


def _branch(
    branches: Iterable, shortest: int = MIN_LITERAL, digits: bool = False
) -> set[str] | None:
    out: set[str] = set()
    for b in branches:
        sub = _seq(list(b), shortest, digits)
        if not sub:
            return None  # one way through without a known word: no gate
        out |= sub
    return out


_second = itemgetter(1)


class LiteralIndex:
    """Finds, in one pass, which of many literal strings occur in a text, as IGNORECASE
    reads it: literals and text are compared by `gate_fold` (a lower-case ASCII text,
    nearly every folded sentence, is its own gate_fold). Literals are given folded.

    An Aho-Corasick automaton (pyahocorasick, compiled) reports every occurrence of
    every literal, overlapping ones included, in one walk over the text; without it, a
    trie-shaped regex is tried at every place (about five times slower)."""

    def __init__(self, literals: Iterable[str]) -> None:
        self.literals = frozenset(map(gate_fold, literals))
        # (an empty literal is never reported, as the regex below never reports it)
        words = sorted(self.literals - {""})
        self._automaton = None
        if words and ahocorasick is not None:
            automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY)
            for lit in words:
                automaton.add_word(lit, lit)
            automaton.make_automaton()
            self._automaton = automaton
        self._regex: tuple[re.Pattern[str] | None, dict[str, frozenset[str]]] | None = None

    def _by_regex(self) -> tuple[re.Pattern[str] | None, dict[str, frozenset[str]]]:
        """The trie-shaped regex and each literal's prefixes among the literals, compiled
        when first needed (with the automaton, never: it takes longer than the automaton)."""
        if self._regex is None:
            trie: dict = {}
            for lit in self.literals:
                node = trie
                for ch in lit:
                    node = node.setdefault(ch, {})
                node[""] = True
            rx = re.compile("(?=(" + _trie_regex(trie) + "))") if self.literals else None
            # every literal that is a prefix of a longer one is present wherever the longer is
            prefixes = {
                lit: frozenset(lit[:n] for n in range(1, len(lit) + 1) if lit[:n] in self.literals)
                for lit in self.literals
            }
            self._regex = (rx, prefixes)
        return self._regex

    def present(self, text: str) -> set[str]:
        if not lower_ascii(text):
            text = gate_fold(text)
        if self._automaton is not None:
            # (end, literal) for every occurrence, the literals kept at C speed
            return set(map(_second, self._automaton.iter(text)))
        return self.present_by_regex(text)

    def present_by_regex(self, text: str) -> set[str]:
        """The same without the automaton (when pyahocorasick is missing)."""
        if not lower_ascii(text):
            text = gate_fold(text)
        rx, prefixes = self._by_regex()
        if rx is None:
            return set()
        out: set[str] = set()
        # the longest literal at each place, each distinct one expanded once
        for lit in set(rx.findall(text)):
            out |= prefixes[lit]
        return out


def _trie_regex(node: dict) -> str:
    alts = [re.escape(ch) + _trie_regex(child) for ch, child in sorted(node.items()) if ch]
    if not alts:
        return ""
    body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    return f"(?:{body})?" if "" in node else body


class _Table:
    """Patterns by the words they need, under one kind of gate."""

    def __init__(
        self, patterns: tuple[Gated, ...], gate_of: Callable[[Gated], frozenset[str] | None]
    ) -> None:
        by_literal: dict[str, list[Gated]] = {}
        for g in patterns:
            for lit in gate_of(g) or ():
                by_literal.setdefault(lit, []).append(g)
        self.literals = frozenset(by_literal)
        # (sets: a union of sets reuses their members' stored hashes)
        self.by_literal = {k: frozenset(v) for k, v in by_literal.items()}
        self.ungated = frozenset(g for g in patterns if not gate_of(g))  # tried on every text

    def candidates(self, present: frozenset[str]) -> frozenset[Gated]:
        return self.ungated.union(*map(self.by_literal.__getitem__, present & self.literals))


class Vocabulary:
    """Every word the gates of one set of rules need, found in a text in one scan
    (however many tables of patterns then read the result)."""

    def __init__(self) -> None:
        self._literals: set[str] = set()
        self._index: LiteralIndex | None = None

    def add(self, literals: Iterable[str]) -> None:
        if self._index is not None:
            raise RuntimeError("the vocabulary is complete: no word can be added")
        self._literals.update(literals)

    def present(self, text: str) -> frozenset[str]:
        """The vocabulary's words in `text`."""
        return _present(self, text)

    @property
    def index(self) -> LiteralIndex:
        if self._index is None:  # compiled once, after the last table added its words
            self._index = LiteralIndex(self._literals)
        return self._index


@lru_cache(maxsize=8192)
def _present(vocabulary: Vocabulary, text: str) -> frozenset[str]:
    return frozenset(vocabulary.index.present(text))


class GateTable:
    """Which of many patterns could match a text: those whose words are in it (for
    lower-case ASCII text, by the finer `ascii_gate`)."""

    def __init__(self, patterns: Iterable[Gated], vocabulary: Vocabulary | None = None) -> None:
        every = tuple(dict.fromkeys(patterns))
        self._any = _Table(every, lambda g: g.gate)
        self._plain = _Table(every, lambda g: g.ascii_gate)
        self.vocabulary = vocabulary or Vocabulary()
        self.vocabulary.add(self._any.literals | self._plain.literals)

    def candidates(self, text: str) -> frozenset[Gated]:
        table = self._plain if lower_ascii(text) else self._any
        return table.candidates(self.vocabulary.present(text))


def _top_bars(pattern: str) -> list[tuple[int, int, list[int]]]:
    """The groups of `pattern` (start, end, bar positions inside at their own level) and,
    as (-1, len, bars), the bars at the top level. Escapes and [classes] are skipped."""
    out: list[tuple[int, int, list[int]]] = []
    stack: list[tuple[int, list[int]]] = [(-1, [])]
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i += 1
            if i < n and pattern[i] == "^":
                i += 1
            if i < n and pattern[i] == "]":
                i += 1
            while i < n and pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
        elif ch == "(":
            stack.append((i, []))
        elif ch == ")":
            start, bars = stack.pop()
            if len(stack) == 1:  # a group at the top level
                out.append((start, i, bars))
        elif ch == "|":
            stack[-1][1].append(i)
        i += 1
    out.append((-1, n, stack[0][1]))
    return out


def alternatives(pattern: str) -> list[str] | None:
    """`pattern` as its ways through, each a pattern of its own, when it is one
    alternation: at its top level ("a|b|c") or in one plain group at its top level
    that no quantifier follows ("\\b(a|b|c)\\b" gives "\\b(?:a)\\b", ...). A text has a
    match of `pattern` where, and only where, it has a match of one of them; None
    when the pattern is not such an alternation, or refers to its own groups."""
    if "(?P" in pattern or re.search(r"\\\d", pattern):
        return None  # named groups and back-references: a split could change them
    groups = _top_bars(pattern)
    top = groups[-1]
    if top[2]:
        cuts = [-1, *top[2], len(pattern)]
        return [pattern[a + 1 : b] for a, b in pairwise(cuts)]
    best: tuple[int, int, list[int]] | None = None
    for start, end, bars in groups[:-1]:
        plain = pattern.startswith("(?:", start) or pattern[start + 1 : start + 2] != "?"
        quantified = pattern[end + 1 : end + 2] in ("?", "*", "+", "{")
        if bars and plain and not quantified and (best is None or len(bars) > len(best[2])):
            best = (start, end, bars)
    if best is None:
        return None
    start, end, bars = best
    head = start + (3 if pattern.startswith("(?:", start) else 1)
    cuts = [head - 1, *bars, end]
    prefix, suffix = pattern[:start], pattern[end + 1 :]
    return [f"{prefix}(?:{pattern[a + 1 : b]}){suffix}" for a, b in pairwise(cuts)]


# A way through longer than this is split again where it is itself one alternation: a
# context expression written as "\b(a|b)...|\b(c|d|...)\b" had its long second way
# (11,552 characters, a thousand words) run whole whenever any one of its words was in
# the sentence, ~0.2 ms each time
SPLIT_AGAIN = 400


def ways_through(pattern: str) -> list[str] | None:
    """`alternatives(pattern)`, each long way split again the same way (None: the
    pattern is not an alternation). A text has a match of `pattern` where, and only
    where, it has a match of one of them."""
    parts = alternatives(pattern)
    if parts is None:
        return None
    out: list[str] = []
    for part in parts:
        again = ways_through(part) if len(part) > SPLIT_AGAIN and part != pattern else None
        out.extend(again if again else [part])
    return out


class GatedAny:
    """A pattern asked only whether it matches a text, read as its ways through
    (`alternatives`), each gated on its own words: a long alternation gated as a whole
    ran whole whenever any one of its many words was present; now only the ways whose
    own words are present run (a way with no word to gate on runs on every text)."""

    def __init__(self, regex: re.Pattern[str]) -> None:
        self.regex = regex
        sources = ways_through(regex.pattern) or [regex.pattern]
        flags = regex.flags & ~re.UNICODE
        try:
            parts = [Gated.of(re.compile(s, flags)) for s in sources]
        except re.error:  # a way through that cannot stand alone: read it whole
            parts = [Gated.of(regex)]
        by_literal: dict[str, list[re.Pattern[str]]] = {}
        for p in parts:
            for lit in p.gate or ():
                by_literal.setdefault(lit, []).append(p.regex)
        self._by_literal = {k: tuple(v) for k, v in by_literal.items()}
        self._ungated = frozenset(p.regex for p in parts if not p.gate)
        # every word any way through needs (what a sentence's scan must look for)
        self.literals: frozenset[str] = frozenset(by_literal)
        self.gate: frozenset[str] | None = None if self._ungated else self.literals
        self._for_words: dict[frozenset[str], tuple[re.Pattern[str], ...]] = {}

    def may_match(self, present: frozenset[str] | set[str]) -> bool:
        """False only when no way through has its words in the text."""
        return self.gate is None or not self.gate.isdisjoint(present)

    def search(self, text: str, present: frozenset[str]) -> bool:
        """Does `text` hold a match? (`present`: words known to be in a text that holds
        `text`, as the gates read them.)"""
        live = self._for_words.get(present)
        if live is None:
            live = self._live(present)
        for rx in live:
            if rx.search(text) is not None:
                return True
        return False

    def _live(self, present: frozenset[str]) -> tuple[re.Pattern[str], ...]:
        live = self._ungated.union(*map(self._by_literal.__getitem__, self.literals & present))
        if len(self._for_words) > 4096:  # one entry a sentence: a bound for long runs
            self._for_words.clear()
        out = self._for_words[present] = tuple(live)
        return out
