"""Which rule patterns could match this sentence at all? A fast gate before the regexes.

Hundreds of patterns with windows (".{0,60}") cost tens of milliseconds a message
when every one is tried at every position. But each pattern has words that any
match must contain ("chest", or one of "breathe|breath|respirer"): those are read
from the pattern itself (`required_literals`), all of them are found in one scan
with a trie-shaped regex (`LiteralIndex`), and only the patterns whose words are
present are run. A pattern whose words cannot be worked out is always run.
"""

from __future__ import annotations

import re
import re._parser as sre_parse  # the standard library's own regex parser
from collections.abc import Iterable
from dataclasses import dataclass

_c = sre_parse  # constants live on the parser module's namespace
MIN_LITERAL = 3  # shorter words are everywhere and gate nothing


@dataclass(frozen=True, eq=False)
class Gated:
    """One pattern, and the words any match of it must contain (None: unknown)."""

    regex: re.Pattern[str]
    gate: frozenset[str] | None

    @classmethod
    def of(cls, regex: re.Pattern[str]) -> Gated:
        return cls(regex, required_literals(regex.pattern))

    def may_match(self, present: frozenset[str] | set[str]) -> bool:
        """False only when none of the words a match needs is in the text."""
        return self.gate is None or not self.gate.isdisjoint(present)


def required_literals(pattern: str) -> frozenset[str] | None:
    """Strings of which at least one occurs in every match of `pattern`, or None."""
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return None
    found = _seq(list(parsed))
    return frozenset(found) if found else None


def _seq(items: list) -> set[str] | None:
    """The best any-of set for a sequence: the longest literal run, or a group's set."""
    candidates: list[set[str]] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) >= MIN_LITERAL:
            candidates.append({"".join(run)})
        run.clear()

    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            run.append(chr(arg))
            continue
        flush()
        if name == "SUBPATTERN":
            sub = _seq(list(arg[-1]))
            if sub:
                candidates.append(sub)
        elif name == "BRANCH":
            sub = _branch(arg[1])
            if sub:
                candidates.append(sub)
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _high, body = arg
            if low >= 1:
                sub = _seq(list(body))
                if sub:
                    candidates.append(sub)
    flush()
    if not candidates:
        return None
    # the set whose shortest member is longest gates best
    return max(candidates, key=lambda s: (min(len(x) for x in s), -len(s)))


def _branch(branches: Iterable) -> set[str] | None:
    out: set[str] = set()
    for b in branches:
        sub = _seq(list(b))
        if not sub:
            return None  # one way through without a known word: no gate
        out |= sub
    return out


class LiteralIndex:
    """Finds, in one pass, which of many literal strings occur in a text."""

    def __init__(self, literals: Iterable[str]) -> None:
        self.literals = frozenset(literals)
        trie: dict = {}
        for lit in self.literals:
            node = trie
            for ch in lit:
                node = node.setdefault(ch, {})
            node[""] = True
        self._rx = re.compile("(?=(" + _trie_regex(trie) + "))") if self.literals else None
        # every literal that is a prefix of a longer one is present wherever the longer is
        self._prefixes = {
            lit: frozenset(p for p in self.literals if lit.startswith(p)) for lit in self.literals
        }

    def present(self, text: str) -> set[str]:
        if self._rx is None:
            return set()
        out: set[str] = set()
        for m in self._rx.finditer(text):
            out |= self._prefixes[m.group(1)]
        return out


def _trie_regex(node: dict) -> str:
    alts = [re.escape(ch) + _trie_regex(child) for ch, child in sorted(node.items()) if ch]
    if not alts:
        return ""
    body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    return f"(?:{body})?" if "" in node else body
