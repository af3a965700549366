"""Triage: red flags, same-day signs, categories and sensitive topics.

The rules live in `resources/triage_rules.toml` (a clinic may extend or replace
them with its own copy). Matching is per sentence, NegEx-style: a mention
preceded in the same clause by a negation ("no", "denies", "without"...), or
framed as history, someone else's past, a hypothetical or a form's checklist,
does not raise the priority. Quoted reply text is ignored, so an old
emergency quoted in a reply does not turn red again.

Every result says why, quoting the patient's own words.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path

from clinic_inbox.core import triage_context
from clinic_inbox.core.model import Category, Priority
from clinic_inbox.core.resources import resource_path
from clinic_inbox.core.triage_category_model import CategoryModel, load_category_model
from clinic_inbox.core.triage_context import (
    LIST_NOUNS,
    affirmed,
    counted,
    engaged,
    feared,
    generic_question,
    generic_subject,
    happening_now,
    history_inside,
    lasting,
    resolved_after,
    resolved_story,
    says_now,
    small_or_treated,
)
from clinic_inbox.core.triage_gate import (
    Gated,
    GatedAny,
    GateTable,
    Vocabulary,
    compiled,
    lower_ascii,
)
from clinic_inbox.core.triage_model import FeatureTable, WordingModel, load_model
from clinic_inbox.core.triage_text import (
    Mender,
    Sentence,
    Speller,
    fold,
    guess_language,
    lemma,
    prepare,
    strip_quoted,
    words_of,
)


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the rule."""


@dataclass(frozen=True)
class Rule:
    id: str
    label: str
    source: str  # all its patterns as one (`regex`), to re-check part of a match
    patterns: tuple[Gated, ...] = ()
    # a cluster: one pattern of every group must be mentioned somewhere in the message
    requires: tuple[tuple[Gated, ...], ...] = ()
    # patterns that only name the condition ("sepsis"): they count when the sentence
    # puts it on someone now (triage_context.engaged); their sources (a pattern and its
    # case-free twin have the same)
    names: frozenset[str] = frozenset()
    # self-harm: when unsure, urgent (a crisis-line reply costs little); only a
    # question about things in general is set aside
    prefer_urgent: bool = False
    # threats: a joking marker in the sentence ("🙄", "lol") sets the mention aside
    banter_aside: bool = False
    # threats: the person named is the one at risk, not the one it happened to ("he says
    # my brother will not see tomorrow"), so "someone else's past" does not set it aside
    about_others: bool = False
    # a cluster's groups that state a standing fact (a medicine taken: "he's on clozapine
    # and his last CBC was two weeks ago"): found anywhere, their sentence's tense or
    # question aside; the other groups are judged in context as usual
    background: frozenset[int] = frozenset()

    @cached_property
    def regex(self) -> re.Pattern[str]:
        """Compiled when first needed (rarely: a match whose end is peeled off)."""
        return _regex(self.source)

    @property
    def gated(self) -> tuple[Gated, ...]:
        """Every pattern of the rule as the gate reads it: its own, then its groups'."""
        return (*self.patterns, *(g for group in self.requires for g in group))


@dataclass(frozen=True, eq=False)
class Section:
    """All rules of one kind. A sentence is scanned once for the words the patterns need
    (triage_gate), then only the patterns that could match are run."""

    rules: tuple[Rule, ...]
    gates: GateTable  # which patterns could match a sentence
    # the simple rule a pattern belongs to: (rule's place, pattern's place in it, rule)
    owner: dict[Gated, tuple[int, int, Rule]]
    clusters: tuple[Rule, ...] = ()  # the rules with `requires`, in rule order
    # the clusters' groups as numbers (one per cluster's group): a pattern's groups, each
    # group's cluster, each cluster's groups
    group_ids: dict[Gated, frozenset[int]] = field(default_factory=dict)
    cluster_of: tuple[int, ...] = ()
    groups_of: tuple[frozenset[int], ...] = ()

    @classmethod
    def of(cls, rules: tuple[Rule, ...], vocabulary: Vocabulary | None = None) -> Section:
        every = [g for r in rules for g in r.gated]
        owner = {g: (i, j, r) for i, r in enumerate(rules) for j, g in enumerate(r.patterns)}
        clusters = tuple(r for r in rules if r.requires)
        group_ids: dict[Gated, set[int]] = {}
        cluster_of: list[int] = []
        groups_of: list[frozenset[int]] = []
        for c, rule in enumerate(clusters):
            first = len(cluster_of)
            for k, group in enumerate(rule.requires):
                for g in group:
                    group_ids.setdefault(g, set()).add(first + k)
                cluster_of.append(c)
            groups_of.append(frozenset(range(first, len(cluster_of))))
        return cls(
            rules,
            GateTable(every, vocabulary),
            owner,
            clusters,
            {g: frozenset(v) for g, v in group_ids.items()},
            tuple(cluster_of),
            tuple(groups_of),
        )

    @cached_property
    def owned(self) -> frozenset[Gated]:
        """The simple rules' patterns: of a sentence's ~50 candidates, ~2 on average (the
        rest are clusters' groups), picked out by one set intersection."""
        return frozenset(self.owner)

    @cached_property
    def grouped(self) -> frozenset[Gated]:
        """The patterns of the clusters' groups."""
        return frozenset(self.group_ids)

    @cached_property
    def place(self) -> dict[str, int]:
        """Each rule id's place in the section (ids are unique: `_build` refuses a twice)."""
        return {r.id: n for n, r in enumerate(self.rules)}

    def live_clusters(self, live: frozenset[Gated]) -> list[Rule]:
        """The cluster rules every group of which has a pattern in `live`, in rule order."""
        found = frozenset().union(*map(self.group_ids.__getitem__, live & self.grouped))
        if not found:
            return []
        cluster_of, groups_of = self.cluster_of, self.groups_of
        return [
            self.clusters[c]
            for c in sorted({cluster_of[n] for n in found})
            if groups_of[c] <= found
        ]

    def scan(self, view: str) -> tuple[tuple[Rule, re.Match[str]], ...]:
        """Every match of every simple (non-cluster) rule, in rule order."""
        return _scan(self, view)

    def group_said(self, group: tuple[Gated, ...], view: str) -> bool:
        """Has `view` a match of a pattern of `group`? (`group_matches`, asked only
        whether it finds one)"""
        hits = _candidates(self, view).intersection(group)  # (order does not matter here)
        if not hits:
            return False
        fast = lower_ascii(view)
        return any((g.fast if fast else g.regex).search(view) is not None for g in hits)

    def group_matches(self, group: tuple[Gated, ...], view: str) -> tuple[re.Match[str], ...]:
        live = _candidates(self, view)
        if live.isdisjoint(group):
            return ()
        fast = lower_ascii(view)
        return tuple(
            m for g in group if g in live for m in (g.fast if fast else g.regex).finditer(view)
        )


class IdiomSet:
    """The idioms, gated like the rules; `finditer` gives every idiom's matches in a
    text, found once per text however many mentions are judged in it."""

    def __init__(self, patterns: tuple[Gated, ...], vocabulary: Vocabulary | None = None) -> None:
        self.patterns = patterns
        self.gates = GateTable(patterns, vocabulary)

    def finditer(self, text: str) -> tuple[re.Match[str], ...]:
        return _idiom_matches(self, text)


@lru_cache(maxsize=4096)
def _idiom_matches(idioms: IdiomSet, text: str) -> tuple[re.Match[str], ...]:
    live = idioms.gates.candidates(text)
    fast = lower_ascii(text)
    return tuple(
        m
        for g in idioms.patterns
        if g in live
        for m in (g.fast if fast else g.regex).finditer(text)
    )


@lru_cache(maxsize=8192)
def _scan(section: Section, view: str) -> tuple[tuple[Rule, re.Match[str]], ...]:
    found = []
    fast = lower_ascii(view)
    owned = _candidates(section, view) & section.owned
    if not owned:
        return ()  # most sentences: only clusters' words, or none
    owner = section.owner
    for g in owned:
        i, j, rule = owner[g]
        for m in (g.fast if fast else g.regex).finditer(view):
            found.append((i, m.start(), j, rule, m))
    # two patterns of a rule matching at the same place: the one written first is quoted
    # (the candidates are a set, whose order changes from one process to the next)
    found.sort(key=lambda x: x[:3])
    return tuple((rule, m) for _i, _s, _j, rule, m in found)


@lru_cache(maxsize=8192)
def _candidates(section: Section, view: str) -> frozenset[Gated]:
    return section.gates.candidates(view)


@dataclass(frozen=True)
class Rules:
    red: Section
    same_day: Section
    categories: tuple[tuple[Category, re.Pattern[str]], ...]
    sensitive: Section
    category_section: Section | None = None
    idioms: IdiomSet | None = None
    speller: Speller | None = None
    model_path: Path | None = None  # the wording model (loaded once per process)
    category_model_path: Path | None = None  # what an everyday message is about
    # how a mention's context is judged (sentence, start, end, idioms) -> affirmed;
    # None: triage_context.affirmed. A hook to measure another judge (bench/).
    context: Callable[[str, int, int, IdiomSet | None], bool] | None = None
    origin: Path | None | bool = False  # what load_rules was given (False: built otherwise)

    def compile_all(self) -> None:
        """Compile every pattern now, not when a sentence first needs it: the parse
        workers' fork server does, so that the workers forked from it share them."""
        sections = (self.red, self.same_day, self.sensitive, self.category_section)
        every = [
            g for section in sections if section is not None for r in section.rules for g in r.gated
        ]
        for g in (*every, *(self.idioms.patterns if self.idioms else ())):
            g.regex, g.fast  # noqa: B018 - compiled and kept on first use
        self.mender  # noqa: B018 - built and kept on first use

    @cached_property
    def mender(self) -> Mender | None:
        """What mends a sentence's words for its context to be judged (built when first
        needed: a process that never judges a mention does without)."""
        if self.speller is None:
            return None
        return Mender(self.speller, _context_words(self.idioms))

    def __reduce__(self):
        if not any(cached is self for cached in _LOADED.values()):
            return super().__reduce__()  # built or changed otherwise: sent whole
        # a worker process compiles the same rules once and keeps them
        return (_rebuild, (self.origin,))

    def model(self) -> WordingModel | None:
        return load_model(self.model_path)

    def category_model(self) -> CategoryModel | None:
        return load_category_model(self.category_model_path)

    def feature_table(self) -> FeatureTable | None:
        """Both models' features in one table (built once per process and pair)."""
        key = (self.model_path, self.category_model_path)
        if key not in _TABLES:
            wording, category = self.model(), self.category_model()
            both = wording is not None or category is not None
            _TABLES[key] = FeatureTable(wording, category) if both else None
        return _TABLES[key]


_TABLES: dict[tuple[Path | None, Path | None], FeatureTable | None] = {}


@dataclass
class TriageResult:
    priority: Priority
    category: Category
    sensitive: bool
    reasons: list[str] = field(default_factory=list)
    matched_rules: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        return self.reasons[0] if self.reasons else ""


# -- compiling ---------------------------------------------------------------------
_CONTRACTIONS = [
    ("can't", r"(?:can'?t|can ?not)"),
    ("won't", r"(?:won'?t|will not)"),
    ("n't", r"(?:n'?t| not)"),
]


# French words written with the ligature (cœur, sœur, œil, œdème, fœtal, bœuf, œuf):
# a rule says "oe" and also reads "œ", which folding cannot turn into two letters
# without moving every offset that maps a match back to the patient's words. Only
# where French puts the ligature: before "u", at a word's start, and in "foet".
_LIGATURE = re.compile(r"(?<![a-z])oe|(?<=\\b)oe|oe(?=u)|(?<=f)oe(?=t)")


def _expand(pattern: str) -> str:
    for plain, rx in _CONTRACTIONS:
        pattern = pattern.replace(plain, rx)
    return _LIGATURE.sub("(?:oe|œ)", pattern.replace("(?:oe|œ)", "oe"))


def _source(rule_id: str, patterns: list[str]) -> str:
    if not patterns or not all(isinstance(p, str) and p.strip() for p in patterns):
        raise RulesError(f"Triage rule {rule_id!r} needs a list of non-empty patterns.")
    return "(?:" + "|".join(_expand(p) for p in patterns) + ")"


# `whole_words = true` on a rule: each pattern ends where a word ends, or with an ending
# that only inflects it ("seizures", "enflée", "frapper", "ended"), so "mou" does not read
# "mouth", "char" not "chart", "die" not "dietitian", "la pousse" not "la poussette"
# (a rule without it may end in a stem)
_WORD_END = r"(?!(?!(?:s|e|es|ed|d|ing|ee|ees|er)\b)\w)"


def _regex(pattern: str) -> re.Pattern[str]:
    """`re.compile(pattern, re.IGNORECASE)`, kept for the process (triage_gate.compiled):
    a clinic's own rules file is compiled merged with the shipped ones, whose patterns
    are then compiled already, here and in the parse workers forked from the server
    that compiled the shipped rules."""
    return compiled(pattern, re.IGNORECASE)


def _invalid(rule_id: str, exc: re.error) -> RulesError:
    return RulesError(f"Triage rule {rule_id!r} has a pattern that is not valid: {exc}.")


def _compile(rule_id: str, patterns: list[str], end: str = "") -> re.Pattern[str]:
    try:
        return _regex(r"\b" + _source(rule_id, patterns) + end)
    except re.error as exc:
        raise _invalid(rule_id, exc) from None


# How a rule's pattern is gated: from its source and flags (Gated.of_source: compiled
# when first run when the shipped gate file knows it, at once otherwise)
GateOf = Callable[[str, int], Gated]


def _checked(rule: Rule) -> Rule:
    """A rule with a pattern the shipped gate file does not know (a clinic's own, compiled
    at once) is compiled whole now too: a pattern that cannot stand beside the others is
    refused at load, in words, not at the first message it should have read."""
    if any(g.is_compiled for g in rule.gated):
        try:
            rule.regex  # noqa: B018 - compiled and kept
        except re.error as exc:
            raise _invalid(rule.id, exc) from None
    return rule


def _gated(
    rule_id: str,
    patterns: list[str],
    gate: GateOf = Gated.of_source,
    end: str = "",
) -> tuple[Gated, ...]:
    _source(rule_id, patterns)  # a rule without patterns is refused in words
    try:
        return tuple(gate(r"\b(?:" + _expand(p) + ")" + end, re.IGNORECASE) for p in patterns)
    except re.error as exc:
        raise _invalid(rule_id, exc) from None


def _merge(default: list[dict], own: list[dict]) -> list[dict]:
    """The shipped rules with a clinic's: a clinic's rule replaces the shipped one of
    the same id, in its place; the others come after. (A rule without an id is its own:
    it never replaces another.)"""
    by_id: dict[object, dict] = {r.get("id") or ("shipped", n): r for n, r in enumerate(default)}
    order = list(by_id)
    for n, r in enumerate(own):
        key = r.get("id") or ("own", n)
        if key not in by_id:
            order.append(key)
        by_id[key] = r
    return [by_id[k] for k in order]


SECTIONS = ("red_flag", "same_day", "idiom", "category", "sensitive")


_LOADED: dict[tuple, Rules] = {}


def load_rules(path: Path | None = None) -> Rules:
    """The shipped rules, extended or overridden by `path` (a clinic's own file,
    or a clinic's data folder holding triage_rules.toml) when given.

    Loading takes under a second (a pattern is compiled when a sentence first needs
    it), and rules are kept per process for as long as the files are unchanged; sent
    to a worker process, they travel as this call and are loaded there once (not once
    per batch)."""
    own = None
    if path is not None:
        own = Path(path)
        if own.is_dir():
            own = own / "triage_rules.toml"
        if not own.exists():
            # a clinic without a rules file has exactly the shipped rules: kept once per
            # process under None, not compiled again for every clinic folder (~2 s each)
            own = None
    key = (own, *(_stamp(f) for f in (resource_path("triage_rules.toml"), own)))
    rules = _LOADED.get(key)
    if rules is None:
        rules = _LOADED[key] = replace(_load(own), origin=own)
    return rules


def _stamp(path: Path | None) -> tuple[int, int] | None:
    try:
        st = path.stat() if path is not None else None
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size) if st else None


def _background(rule_id: str, given: object, groups: int) -> frozenset[int]:
    if not isinstance(given, list) or not all(
        isinstance(i, int) and 0 <= i < groups for i in given
    ):
        raise RulesError(
            f"Triage rule {rule_id!r}: 'background' lists the numbers of its groups "
            f"(0 to {groups - 1})."
        )
    if len(set(given)) >= groups:
        raise RulesError(f"Triage rule {rule_id!r}: at least one group must be judged in context.")
    return frozenset(given)


def _word_ends(data: dict) -> dict:
    """A rules file's `red_flag_whole_words = true` makes each of its red flags end at a
    word's end unless the rule says `whole_words = false`. Applied to the shipped file
    before a clinic's own rules are merged in: those keep the plain reading (a stem
    such as "dog bit" still reads "dog bites") unless they ask for whole words."""
    if not data.get("red_flag_whole_words", False):
        return data
    red = [{"whole_words": True, **r} for r in data.get("red_flag", [])]
    return {**data, "red_flag": red}


def _load(path: Path | None) -> Rules:
    with open(resource_path("triage_rules.toml"), "rb") as fh:
        data = _word_ends(tomllib.load(fh))
    if path is not None and path.exists():
        try:
            with open(path, "rb") as fh:
                own = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise RulesError(f"The triage rules file {path} is not valid TOML: {exc}.") from None
        for section in SECTIONS:
            data[section] = _merge(data.get(section, []), own.get(section, []))
    return _build(data)


def _rebuild(origin: Path | None) -> Rules:
    return load_rules(origin)


def build_rules(data: dict, gated: bool = True) -> Rules:
    """Rules from the content of a rules file (its sections as lists of tables), not
    merged with the shipped ones. `gated=False`: every pattern is run on every sentence,
    as written (no gate, no case-free twin): the reference the gate must agree with."""
    return _build(_word_ends(data), Gated.of_source if gated else _ungated)


def _ungated(pattern: str, flags: int) -> Gated:
    return Gated.ungated(compiled(pattern, flags))


def build_shipped_rules(gate: GateOf) -> Rules:
    """The shipped rules, each pattern gated by `gate` (triage_gate_cache: what the gate
    file must hold)."""
    with open(resource_path("triage_rules.toml"), "rb") as fh:
        return _build(_word_ends(tomllib.load(fh)), gate)


def _build(data: dict, gate: GateOf = Gated.of_source) -> Rules:
    vocabulary: set[str] = set()
    # the words every gate needs, found once per sentence for all the sections
    gate_words = Vocabulary()

    def rules(section: str) -> Section:
        out = []
        seen: set[str] = set()
        for i, r in enumerate(data.get(section, [])):
            rid = r.get("id") or f"{section}#{i + 1}"
            # two rules under one id: a clinic's file that names it would replace both
            # with its own, and one of them would quietly be lost
            if rid in seen:
                raise RulesError(
                    f"Triage rule {rid!r} is defined twice: give each rule its own id."
                )
            seen.add(rid)
            label = r.get("label", rid.replace("_", " "))
            groups = r.get("requires")
            end = _WORD_END if r.get("whole_words", False) else ""
            if groups is not None:
                if not isinstance(groups, list) or len(groups) < 2:
                    raise RulesError(f"Triage rule {rid!r}: 'requires' needs two or more lists.")
                out.append(
                    _checked(
                        Rule(
                            rid,
                            label,
                            r"\b" + _source(rid, groups[0]) + end,
                            requires=tuple(_gated(rid, g, gate, end) for g in groups),
                            background=_background(rid, r.get("background", []), len(groups)),
                            prefer_urgent=bool(r.get("prefer_urgent", False)),
                            banter_aside=bool(r.get("banter_aside", False)),
                            about_others=bool(r.get("about_others", False)),
                        )
                    )
                )
                for g in groups:
                    vocabulary.update(_words_of_patterns(g))
                continue
            pats, names = r.get("patterns", []), r.get("names", [])
            named = _gated(rid, names, gate, end) if names else ()
            out.append(
                _checked(
                    Rule(
                        rid,
                        label,
                        r"\b" + _source(rid, pats + names) + end,
                        _gated(rid, pats, gate, end) + named if pats else named,
                        names=frozenset(g.pattern for g in named),
                        prefer_urgent=bool(r.get("prefer_urgent", False)),
                        banter_aside=bool(r.get("banter_aside", False)),
                        about_others=bool(r.get("about_others", False)),
                    )
                )
            )
            vocabulary.update(_words_of_patterns(pats + names))
        return Section.of(tuple(out), gate_words)

    cats = []
    for i, r in enumerate(data.get("category", [])):
        rid = r.get("id") or f"category#{i + 1}"
        try:
            cat = Category(rid)
        except ValueError:
            raise RulesError(f"Unknown category {rid!r} in the triage rules.") from None
        cats.append((cat, _compile(rid, r.get("patterns", []))))
    red, same_day = rules("red_flag"), rules("same_day")
    idiom_patterns = [p for r in data.get("idiom", []) for p in r.get("patterns", [])]
    idioms = IdiomSet(_gated("idiom", idiom_patterns, gate), gate_words) if idiom_patterns else None
    sensitive, category = rules("sensitive"), rules("category")
    gate_words.index  # noqa: B018 - compiled now, once every section has added its words
    return Rules(
        red,
        same_day,
        tuple(cats),
        sensitive,
        category,
        idioms=idioms,
        speller=Speller(vocabulary),
        model_path=Path(resource_path("triage_model.json"))
        if data.get("use_wording_model", True)
        else None,
        category_model_path=Path(resource_path("triage_category_model.json"))
        if data.get("use_category_model", True)
        else None,
    )


def _context_words(idioms: IdiomSet | None) -> set[str]:
    """Whole words the context judge and the idioms name (triage_context's expressions
    and this module's own): what a misspelling is mended towards for judging."""
    sources = [g.pattern for g in idioms.patterns] if idioms is not None else []
    for module in (triage_context, sys.modules[__name__]):
        for value in vars(module).values():
            for v in value if isinstance(value, tuple | list) else (value,):
                if isinstance(v, re.Pattern):
                    sources.append(v.pattern)
                elif isinstance(v, GatedAny):
                    sources.append(v.regex.pattern)
    return _words_of_patterns(sources)


_PATTERN_WORD = re.compile(r"(?<![\\a-z])[a-z]{4,}(?![a-z(\\])")


def _words_of_patterns(patterns: list[str]) -> set[str]:
    """Whole words the rules name: what a misspelling is corrected towards."""
    out: set[str] = set()
    for p in patterns:
        for w in _PATTERN_WORD.findall(p.replace("\\w", " ").replace("\\b", " ")):
            out.add(w)
            out.add(lemma(w))
    return out


READ_CHARS = 50_000  # of a body: far past any message a patient types

_REPLY = re.compile(r"^\s*((re|tr|fw|fwd|aw|rep)\s*(\[\d+\])?\s*:\s*)+", re.I)


def model_subject(subject: str | None) -> str:
    """The subject as the wording model reads it: a reply's subject is the old topic."""
    return "" if _REPLY.match(subject or "") else subject or ""


# -- matching --------------------------------------------------------------------------
_BANTER = re.compile(
    "(\U0001f644|\U0001f602|\U0001f923|\U0001f605|\U0001f606|\U0001f61c|\U0001f61d|\U0001f609|"
    r"\b(lol|lmao|rofl|jk|j/k|mdr|ptdr|hehe+|ha(ha)+|just kidding|je blague|je niaise)\b)",
    re.IGNORECASE,
)
_INSIDE_CONTRAST = re.compile(r"\b(but|however|although|mais|cependant|pourtant)\b")
# a match that ends on a fever its own words deny: no fever is never a sign
_FEVER_DENIED_AT_END = re.compile(
    r"\b(pas de|pas d'|pa de|sans|aucune|no|without|not any|never had any|hasn'?t had any|n'a jamais eu de) "
    r"(fievre|fever|temperature|temp)$"
)
_TAIL_NEGATION = re.compile(
    r"^\W*(no|not|never|without|none|nor|pas|jamais|aucune?|sans|ni|rien)\b(?! (one|longer|only|stopping|better))|"
    # "small cut, doesn't look deep": the look denied (not "doesn't stop", which is the danger)
    r"^\W*((doesn'?t|does not|didn'?t|did not) (look|seem|appear)|(isn'?t|is not|wasn'?t|was not) "
    r"(that |very |too |really )?(deep|bad|big|serious)|(semble|a l'air) pas)\b"
)


def _affirmed_in(
    s: Sentence,
    view: str,
    start: int,
    end: int,
    rules: Rules,
    rx: re.Pattern[str],
    rule: Rule | None = None,
    naming: bool = False,
) -> bool:
    """A match is affirmed when its context says so, it does not straddle a contrast
    ("stung yesterday but fine now"), and it does not lean on words after its last
    comma that are negated ("14 weeks pregnant and all is well, no bleeding"; a rule
    whose own words say "no" before that comma still holds: "no wet diaper, no tears")."""
    inner = view[start:end]
    if _INSIDE_CONTRAST.search(inner):
        return False
    if (
        " " in inner.strip()
        and len(inner) > 20
        and history_inside(inner)
        and not happening_now(s.mended)
    ):
        return False
    if _FEVER_DENIED_AT_END.search(inner):
        return False  # "mon bébé a six semaines et il n'a pas de fièvre"
    chunks = inner.split(",")[1:]
    if len(chunks) >= 2 and all(_TAIL_NEGATION.search(c) for c in chunks):
        return False  # "amoxicilline hier, pas de plaques, pas d'enflure, pas de difficulté"
    # peel denied items off the end one by one ("..., no bleeding, no headaches, no
    # swelling"): what is left must still be a match by itself
    cut = max(inner.rfind(","), inner.rfind(";"))
    while cut > 0 and _TAIL_NEGATION.search(inner[cut + 1 :]):
        if not rx.match(inner[:cut]):
            return False
        inner = inner[:cut]
        end = start + cut
        cut = max(inner.rfind(","), inner.rfind(";"))
    if view is s.lemmas:
        # context and idioms are written in the patient's words: judge the same words there
        start, end = s.surface(start, end)
    # ...as the patient meant them: misspellings mended ("herat attack" is the idiom)
    view, start, end = s.mended_for(start, end)
    if rule is not None and rule.banter_aside and _BANTER.search(s.original):
        return False
    if (
        rule is not None
        and not rule.prefer_urgent
        and (
            feared(view, start)  # "I'm scared it's appendicitis": the fear, not the facts
            # "enflé grand comme une pièce", "opéré pour l'appendicite le soir même"
            or small_or_treated(view, start, end)
            # "ça fait quelques semaines que je me réveille avec la main engourdie"
            or lasting(view, start)
        )
    ):
        return False
    if rule is not None and (naming or not rule.prefer_urgent):
        if generic_question(view):
            return False
        if naming and not rule.prefer_urgent and not engaged(view, start):
            return False
        # (for a rule not marked prefer_urgent, any of its words: "on voit souvent des résidents
        # qui deviennent confus d'un coup")
        if generic_subject(view, start):
            return False
        if naming and counted(view, start, end):
            return False
    if rules.context is not None:
        return rules.context(view, start, end, rules.idioms)
    return affirmed(view, start, end, rules.idioms, rule is not None and rule.about_others)


def _find(section: Section, sentences: list[Sentence], rules: Rules) -> dict[str, tuple[Rule, str]]:
    """Affirmed matches, one per rule, each with the patient's own words."""
    found: dict[str, tuple[Rule, str]] = {}
    scans = [(s, view, section.scan(view)) for s in sentences for view in (s.folded, s.lemmas)]
    # cluster rules: every group needs one of its words somewhere before any pattern is run
    clusters = (
        section.live_clusters(
            frozenset().union(*(_candidates(section, view) for _s, view, _m in scans))
        )
        if section.clusters
        else []
    )
    if clusters:
        # a cluster one of whose groups is not said at all needs no judging (four in five
        # of those whose words are present): asked once per group, the context aside
        # (a sentence whose words are all in their dictionary form has one view twice)
        views = list(dict.fromkeys(view for _s, view, _m in scans))
        said: dict[tuple[Gated, ...], bool] = {}
        clusters = [r for r in clusters if all(_said(section, g, views, said) for g in r.requires)]
    if not clusters and not any(hits for _s, _v, hits in scans):
        return found  # no rule's words: nothing to judge (the common case)
    mended = tuple(s.mended for s in sentences)
    over = _told_as_over(sentences) | _form_questions(mended)
    joked = _joked(mended)
    story = resolved_story(mended)
    for i, (s, view, hits) in enumerate(scans):
        n = i // 2
        if n in over:
            continue
        for rule, m in hits:
            if rule.id in found or _over_for(rule, n, story):
                continue
            if n in joked and not rule.prefer_urgent:
                continue
            if not _affirmed_in(
                s, view, m.start(), m.end(), rules, rule.regex, rule, m.re.pattern in rule.names
            ):
                continue
            found[rule.id] = (rule, _quote(s, view, m.start(), m.end()))
    for rule in clusters:
        if rule.id not in found:
            quotes = []
            skip = over | {n for n in range(len(sentences)) if _over_for(rule, n, story)}
            if not rule.prefer_urgent:
                skip |= joked
            for gi, group in enumerate(rule.requires):
                judged = gi not in rule.background
                hit = _first_affirmed(
                    section, group, sentences, rules, rule, frozenset(skip), judged=judged
                )
                if hit is None:
                    break
                quotes.append(hit)
            else:
                found[rule.id] = (rule, "' and '".join(dict.fromkeys(quotes)))
    return found


# A form's questions, one per sentence: "Les questions: perte de conscience à l'effort?
# douleur à la poitrine à l'effort?", "It asks 'have you ever passed out...? Chest pain
# during exercise? ...' I answered no."
_LIST_OPENER = re.compile(
    r"(" + LIST_NOUNS + r"|questions?)[^.:]{0,60}:(?!\d)|"
    r"\b(asks?|asked|demande|demandent|says|ecrit|written)\s*:?\s*['\"«“]|"
    # the questions written straight after it: "insurance form asks depression? suicide attempt?"
    r"\b(form|formulaire|questionnaire)s? (asks?|demande)\b(?! (if|si|s'|whether|for|pour|me|you|vous|my|mon|ma|to|de|d')\b)"
)
_WATCH_LIST = re.compile(
    r"\b(red flags|warning signs|watch (out )?for|look out for|signes? d'alarme|quoi surveiller|"
    r"a surveiller|what to (watch|look) for)\b"
)
_CLOSING_QUOTE = re.compile(r"\?\s*['\"»]")


@lru_cache(maxsize=1024)
def _form_questions(sentences: tuple[str, ...]) -> frozenset[int]:
    """Sentences that go on with a form's list of questions opened in an earlier one
    (the list's first item is read in the opening sentence itself)."""
    out: set[int] = set()
    for n, s in enumerate(sentences):
        text = s.strip()
        # "The nurse said to watch for red flags but I forgot what they were.
        # Confusion? Fever coming back?": short guesses at a list, not news
        guesses = _WATCH_LIST.search(text) is not None
        if not guesses and (
            not (text.endswith("?") or text.endswith(":")) or not _LIST_OPENER.search(text)
        ):
            continue
        for m in range(n + 1, min(n + 8, len(sentences))):
            item = sentences[m].strip()
            if happening_now(item):
                break
            if item.endswith("?") and (not guesses or len(item.split()) <= 5):
                out.add(m)
                continue
            if _CLOSING_QUOTE.search(item):
                out.add(m)  # the list's last question, then the writer's own words
            break
    return frozenset(out)


# What looks fine can still be dangerous hours later (swallowed pills, a blow to the
# head): for these only a professional's word closes the story.
_DELAYED = frozenset(
    {
        "overdose",
        "chemical_swallowed",
        "pill_box_emptied",
        "head_injury",
        "head_injury_cluster",
        "head_injury_more",
    }
)


def _over_for(rule: Rule, n: int, story: tuple[frozenset[int], frozenset[int]]) -> bool:
    """Is sentence `n` part of a story that ended well, as far as `rule` goes?"""
    if rule.prefer_urgent:
        return False  # self-harm: when unsure, urgent
    fine, cleared = story
    return n in cleared or (n in fine and rule.id not in _DELAYED)


_STILL = re.compile(r"\b(still|toujours|encore|yet)\b")


# The next sentence takes it back as a joke: "j'ai fait une crise cardiaque! Je niaise, mais...",
# "Nearly had a heart attack. Just kidding, but..." (not "lol", which a frightened patient writes
# too; and never for self-harm, where a crisis-line reply costs little)
_KIDDING = re.compile(
    r"^\W*(je (niaise|blague|farce|rigole|te niaise|vous niaise)|c'(est|etait) (une (blague|farce|joke)|pour rire)|"
    r"(just|only|i'?m|im|i am) (kidding|joking)|kidding|jk)\b(?! (pas|pantoute|point|du tout))"
)


# ...unless the writer turns round again: "Just kidding, no. It's real, please call."
_IN_EARNEST = re.compile(
    r"\b(it'?s|its|it is|this is|c'est|cest|c'?est pas une) (real|serious|no joke|for real|vrai|serieux|une vraie|blague)\b|"
    r"\b(for real|pour vrai|seriously|serieusement|no really|not really kidding|sans blague|ce n'est pas une blague)\b|"
    r"\b(kidding|joking|niaise|blague)\W+(no|non|not|pas)\b"
)


@lru_cache(maxsize=1024)
def _joked(sentences: tuple[str, ...]) -> frozenset[int]:
    """Sentences whose next one says it was a joke (and nothing after says it was not)."""
    return frozenset(
        n
        for n in range(len(sentences) - 1)
        if _KIDDING.search(sentences[n + 1])
        and not happening_now(sentences[n])
        and not _IN_EARNEST.search(" ".join(sentences[n + 1 :]))
    )


def _told_as_over(sentences: list[Sentence]) -> frozenset[int]:
    """Sentences whose next one says it is over ("It passed in 15 minutes and I've been
    fine since"), and that do not themselves say it is happening now."""
    return frozenset(
        n
        for n in range(len(sentences) - 1)
        if resolved_after(sentences[n + 1].mended)
        and not happening_now(sentences[n].mended)
        # "It stopped ten minutes ago but he still can't be woken": not over
        and not says_now(sentences[n + 1].mended)
        and not _STILL.search(sentences[n + 1].mended)
    )


def _mentioned(section: Section, sentences: list[Sentence]) -> set[str]:
    """Rules whose words appear at all, affirmed or not: a simple rule's match, or a
    match of any one pattern of any group of a cluster."""
    out = set()
    group_ids, cluster_of, clusters = section.group_ids, section.cluster_of, section.clusters
    for s in sentences:
        for view in (s.folded, s.lemmas):
            out.update(rule.id for rule, _m in section.scan(view))
            # only the patterns the sentence's words let through, each run once (asking
            # every cluster's every group in turn cost ~30 ms a sentence)
            fast = lower_ascii(view)
            hit: set[int] = set()
            for g in _candidates(section, view) & section.grouped:
                of = {cluster_of[k] for k in group_ids[g]}
                if of <= hit:
                    continue
                if (g.fast if fast else g.regex).search(view) is not None:
                    hit |= of
            out.update(clusters[c].id for c in hit)
    return out


# A subject that names a question's topic ("Newborn fever question"): the body says
# what is happening, the subject only what the question is about.
_TOPIC_SUBJECT = re.compile(
    r"\b(question|questions|info|information|advice|conseils?|renseignements?|inquiry)\b"
)
# ...and so does one whose body asks how to recognise it ("Crise d'asthme grave" above "À quoi
# je peux reconnaître une crise grave où il faut aller à l'urgence?")
_SIGNS_QUESTION = re.compile(
    r"\b(a quoi (je peux |on peut |peut-on |je |on )?(la |le |les |l')?(reconnaitre|savoir|voir)|"
    r"comment (je peux |on peut |peut-on )?(reconnaitre|savoir si|differencier|faire la difference)|"
    r"quels sont les (signes|symptomes)|what are the (warning )?(signs|symptoms)|"
    r"how (do|can|would|will|should) (i|we|you) (tell|recogni[sz]e|know|spot)|"
    r"(signs|signes) (to watch for|to look for|a surveiller))\b"
)


def _find_in_message(
    section: Section, subject: list[Sentence], body: list[Sentence], rules: Rules
) -> list[tuple[Rule, str]]:
    """Matches in the body, and those of the subject that the body does not contradict:
    a subject names the topic ("Meningitis vaccine?"), the body says whether it is
    happening; when the body mentions it only as history or a question, so is the
    subject's mention."""
    found = _find(section, body, rules)
    extra = (
        {k: v for k, v in _find(section, subject, rules).items() if k not in found}
        if subject
        else None
    )
    if extra and not (
        body
        and (
            _TOPIC_SUBJECT.search(" ".join(s.mended for s in subject))
            or _SIGNS_QUESTION.search(" ".join(s.mended for s in body))
        )
    ):
        body_mentions = _mentioned(section, body)
        found.update(
            {
                k: v
                for k, v in extra.items()
                if k not in body_mentions and not _body_denies(v[1], body, subject, rules)
            }
        )
    return [found[k] for k in sorted(found, key=section.place.__getitem__)]


_NO_BEFORE = re.compile(
    r"\b(?:aucune?|pas de|pas d'|pu de|plus de|no|not any|without|sans|never had any) (?:\w+ )?$"
)
# a question asked ahead of time: "si jamais elle fait de la fièvre dans les prochaines
# semaines, à partir de quelle température...?", "dans quels cas un saignement devient urgent?"
_AHEAD = re.compile(
    r"\b(si jamais|if ever|what if|au cas ou|in case|d'avance|in advance|ahead of time|"
    r"a l'avenir|in the future|dans quels? cas|in (what|which) cases?|a partir de quand|"
    r"when (is|does|should)|prochaine?s? (semaines|mois)|next (few )?(weeks|months))\b"
)


def _body_denies(words: str, body: list[Sentence], subject: list[Sentence], rules: Rules) -> bool:
    """Does the body, every time it says a word of the subject's match, deny it, ask
    about it ahead of time, or tell it as something the context rules do not read as
    happening? Subject "Saignement de femme enceinte", body "Dans quels cas un saignement
    devient urgent? Je n'ai aucun saignement"; subject "main engourdie", body "sa main
    droite s'engourdit la nuit" (the wrist's nerve): the subject names the topic. Asking
    alone is enough only when the subject itself is a question."""
    subject_asks = any(s.mended.rstrip().endswith("?") for s in subject)
    lang = body[0].lang if body else "en"
    for word, written in zip(fold(words).split(), words.lower().split(), strict=False):
        if len(word) < 5 or not word.isalpha():
            continue
        if rules.mender is not None:
            word = rules.mender.mend(word, written, lang)[0]  # the body is read mended too
        said = denied = asked = told = 0
        stem = re.compile(rf"\b{word[:6]}\w*")
        for s in body:
            for m in stem.finditer(s.mended):
                said += 1
                if _NO_BEFORE.search(s.mended[: m.start()]):
                    denied += 1
                elif s.mended.rstrip().endswith("?") and _AHEAD.search(s.mended):
                    asked += 1
                elif not affirmed(s.mended, m.start(), m.end(), rules.idioms):
                    told += 1
        if said and denied + asked + told == said and (denied or told or subject_asks):
            return True
    return False


def _said(section: Section, group: tuple[Gated, ...], views: list[str], said: dict) -> bool:
    """Has any of `views` a match of a pattern of `group`? (kept in `said` per group)"""
    known = said.get(group)
    if known is None:
        known = said[group] = any(section.group_said(group, view) for view in views)
    return known


def _first_affirmed(
    section: Section,
    group: tuple[Gated, ...],
    sentences: list[Sentence],
    rules: Rules,
    rule: Rule | None = None,
    over: frozenset[int] = frozenset(),
    judged: bool = True,
) -> str | None:
    """A group's first mention that its context affirms; unjudged (a background group,
    Rule.background), its first mention wherever it is said."""
    for n, s in enumerate(sentences):
        if judged and n in over:
            continue
        for view in (s.folded, s.lemmas):
            for m in section.group_matches(group, view):
                if not judged or _affirmed_in(s, view, m.start(), m.end(), rules, m.re, rule):
                    return _quote(s, view, m.start(), m.end())
    return None


def _quote(s: Sentence, view: str, start: int, end: int) -> str:
    """The patient's own words for a match in either view of the sentence."""
    if view is s.lemmas and view != s.folded:
        start, end = s.surface(start, end)
    words = " ".join(s.original[start:end].split())
    return words[:80]


_DIGIT = re.compile(r"\d")  # any digit the readings' patterns read (any script's)
_BP = re.compile(r"\b(\d{2,3}) ?(?:/|over|sur) ?(\d{2,3})\b")
_BP_CONTEXT = re.compile(
    r"\b(bp|blood pressure|pressure|reading|readings|mmhg|systolic|tension|pression|\bta\b|cuff|brassard|"
    r"tensiometre)\b|over|sur"
)
_GLUCOSE = re.compile(r"\b(\d{1,3}(?:[.,]\d)?) ?(mmol(?:/l)?|mg/?dl)\b")
# A meter's reading without its unit ("son glucomètre dit 2,1", "finger prick came up 2.1"):
# a figure with a decimal is mmol/L.
_GLUCOSE_READING = re.compile(
    r"\b(glucometre|glycemie|lecteur|sucre|sugar|sugars|meter|finger ?prick|bg|glucose|reading|"
    r"machine|appareil|capteur|sensor|libre|dexcom)"
    r"\D{0,25}?\b(\d{1,2}[., ]\d)\b(?! ?(mmol|mg|%|kg|lb|c\b|°))"
)
# An oxygen saturation (a pulse oximeter, a watch): "O2 88%", "my watch is showing 88 for the
# oxygen thing", "saturation à 89 %". Below 90% is urgent, 90-92% the same day.
_SPO2 = re.compile(
    r"\b(o2|oxygen|oxygene|saturation|sats?(?= ?(?:at|is|was|of|:|=|a|de|\d))|spo2|sp ?o2|"
    # ("loxymetre": "l'oxymètre" typed without its apostrophe)
    r"pulse ?ox\w*|l?oxim[ae]t\w*|l?oxym[ae]t\w*|saturom[ae]t\w*|"
    # the device named by where it sits: "son petit appareil au doigt dit 87"
    r"(?:appareil|machine|pince|clip|bidule|gadget|device|monitor|thing) (?:\w+ )?(?:au|sur (?:le|son|mon)|on (?:my|his|her|the)) (?:doigt|finger)|"
    r"(?:finger|doigt) (?:gadget|clip|thing|thingy|monitor|device|machine|reader))"
    r"\b[^.\n\d]{0,30}?\b([5-9]\d)"
    # (a full stop may follow the figure, a decimal may not: "au doigt dit 87. Je vais...")
    r"(?: ?%)?(?![\d/:]|[.,]\d|\s?(?:min|ans|years|yrs|kg|lb|km|mg|bpm))"
)
_SPO2_BEFORE = re.compile(
    r"\b([5-9]\d) ?%? (?:for|pour|d'|de|of) (?:the |my |l'|mon |ma |la )?(o2|oxygen|oxygene|saturation|sats?)\b"
)
# A low reading that is someone's usual (lung disease, home oxygen): the same day at most.
_SPO2_USUAL = re.compile(
    r"\b(copd|mpoc|emphys\w*|baseline|(sa|ma|his|her|my) (base|cible|target)|usual|habituel\w*|"
    r"\d ?(l|litres?|liters?)\b|l/min|home oxygen|oxygene a domicile|depuis des annees|for years)"
)
# "if it drops into the 80s", "si ma saturation descend dans les 80": a plan, not a reading
_SPO2_IF = re.compile(r"\b(if|si|what if|au cas ou|in case)\b")
_BP_SYMPTOMS = re.compile(
    r"\b(headache|dizzy|dizziness|blurr(y|ed) vision|confus|chest|short of breath|nose ?bleed|"
    r"mal de tete|etourdi|vision (floue|trouble)|poitrine|essouffl|saigne du nez|"
    # in everyday words: "a real thumper at the back of the head, things a bit fuzzy to look at,
    # lost my breakfast once and had a bit of a bleed from the nose"
    r"thumper|pounding head|fuzzy|bleed\w* from (the|my|his|her) nose|lost (my|his|her) (breakfast|lunch|supper|dinner)|"
    r"threw up|throwing up|vomit|vomi|renvoy)"
)
# a fever or shaking chills, for a low blood pressure: "running hot, 40.1, and I've got the
# shivers", "38,9 de fièvre et des frissons"
_FEVER = re.compile(
    r"\b(fever|feverish|fievre|fiev|frissons?|rigors|shivers|shivering|chills|running hot|"
    r"temp(erature)? (of |is |de |at )?(3[89]|4[01])|(3[89]|4[01])[.,]\d ?(°|c\b|degres|de fievre)?)"
)
_LOW_SUGAR_SYMPTOMS = re.compile(
    r"\b(shak|sweat|confus|drowsy|won'?t wake|can'?t wake|passed out|slurr|tremble|sueur|confus|"
    r"somnolent|reveille pas|perdu connaissance|"
    # in everyday words: "all clammy and wobbly ... things look a bit doubled and I'm fuzzy"
    r"clammy|wobbly|fuzzy|doubled|double vision|moite|vois double|pas clair)"
)
_HIGH_SUGAR_SYMPTOMS = re.compile(
    r"\b(vomit|throw(ing)? up|threw up|confus|drowsy|fruity|ketone|breathing (fast|deep)|"
    r"vomi|confus|somnolent|cetone|haleine|"
    # drowsy or muddled, in everyday words: "il dort tout le temps, j'ai de la misère à le garder
    # réveillé", "je cogne des clous", "can't stay awake", "calling people by the wrong name"
    r"(dort|dors|sleeps?|sleeping) (tout le temps|all the time|all day)|garder (eveille|reveille)|"
    r"(can'?t|cannot|hard to) (stay|keep (him|her)) awake|cogne\w* des clous|dans la lune|"
    r"wrong name|mauvais nom|not making sense|making no sense)"
)
# A reading this high is an emergency with thirst and a body drying out too (a hyperosmolar
# state in someone older with the flu): "32,4 ... soif tout le temps ... bouche comme du carton"
_VERY_HIGH_SUGAR_SYMPTOMS = re.compile(
    r"\b(thirst\w*|soif|dry mouth|mouth (is )?(dry|like cardboard)|bouche (seche|comme du carton|pateuse)|"
    r"levres (toutes )?seches|peeing (all the time|constantly)|urine (constamment|tout le temps)|"
    r"(passe|passes) (ma|sa) vie aux toilettes|weak|faible|dizzy|etourdi)"
)


def _sentence_start(text: str, pos: int) -> int:
    """Where the sentence holding `pos` starts (after the last full stop or line before it)."""
    return max(text.rfind(c, 0, pos) for c in ".!?\n") + 1


def _told_as_past(text: str, start: int, end: int) -> bool:
    """A reading in a sentence that tells history ("Last winter my sugar dropped to 2.3")."""
    first = _sentence_start(text, start)
    last = min((i for i in (text.find(c, end) for c in ".!?\n") if i >= 0), default=len(text))
    sentence = text[first:last]
    return history_inside(sentence) and not happening_now(sentence)


def _measurements(text: str) -> list[tuple[Priority, str]]:
    """Blood pressure, blood sugar and oxygen figures: same day when out of range, urgent
    when far out of range (with symptoms, for pressure and sugar)."""
    found: list[tuple[Priority, str]] = []
    for m in _BP.finditer(text):
        sys_, dia = int(m.group(1)), int(m.group(2))
        window = text[max(0, m.start() - 40) : m.end() + 10]
        if not (70 <= sys_ <= 280 and 40 <= dia <= 180 and sys_ > dia) or not _BP_CONTEXT.search(
            window
        ):
            continue
        if sys_ >= 180 or dia >= 120:
            if _BP_SYMPTOMS.search(text):
                found.append((Priority.URGENT, f"blood pressure {sys_}/{dia} with symptoms"))
            else:
                found.append((Priority.SAME_DAY, f"blood pressure {sys_}/{dia}"))
        elif sys_ < 90 and _FEVER.search(text):
            # a low pressure with a fever or shaking chills: sepsis
            found.append((Priority.URGENT, f"blood pressure {sys_}/{dia} with a fever"))
        elif sys_ >= 160 or dia >= 100 or sys_ < 90:
            found.append((Priority.SAME_DAY, f"blood pressure {sys_}/{dia}"))
    oxygen = [(m, int(m.group(2))) for m in _SPO2.finditer(text)]
    oxygen += [(m, int(m.group(1))) for m in _SPO2_BEFORE.finditer(text)]
    for m, level in oxygen:
        if (
            _told_as_past(text, m.start(), m.end())
            or _SPO2_IF.search(text, _sentence_start(text, m.start()), m.start())
            or text.startswith("s", m.end())  # "the 80s"
        ):
            continue
        # someone's usual low (lung disease: a target of 88-92%) is the same day; below 88 is
        # below even that target, and urgent
        if 88 <= level < 90 and _SPO2_USUAL.search(text):
            level = 90
        if level < 90:
            found.append((Priority.URGENT, f"oxygen at {level}%"))
        elif level <= 92:
            found.append((Priority.SAME_DAY, f"oxygen at {level}%"))
    readings = [
        (m.group(0), float(m.group(1).replace(",", ".")), m.group(2))
        for m in _GLUCOSE.finditer(text)
        if not _told_as_past(text, m.start(), m.end())
    ]
    if not readings:
        readings = [
            (m.group(0), float(m.group(2).replace(",", ".").replace(" ", ".")), "mmol")
            for m in _GLUCOSE_READING.finditer(text)
            if not _told_as_past(text, m.start(), m.end())
        ]
    for said, value, unit in readings:
        mmol = value if unit.startswith("mmol") else value / 18.0
        if mmol < 3.0 and _LOW_SUGAR_SYMPTOMS.search(text):
            found.append((Priority.URGENT, f"blood sugar {said} with symptoms"))
        elif (mmol > 25 and _HIGH_SUGAR_SYMPTOMS.search(text)) or (
            mmol >= 30 and _VERY_HIGH_SUGAR_SYMPTOMS.search(text)
        ):
            found.append((Priority.URGENT, f"blood sugar {said} with symptoms"))
        elif mmol > 20 or mmol < 4:
            found.append((Priority.SAME_DAY, f"blood sugar {said}"))
    return found


def _category(rules: Rules, subject: str, body: str) -> Category:
    """The category with the most keyword hits (the subject counts double)."""
    section = rules.category_section
    assert section is not None
    scores: dict[str, int] = {}
    for text, weight in ((subject, 2), (body, 1)):
        for rule, _m in section.scan(text):
            scores[rule.id] = scores.get(rule.id, 0) + weight
    if not scores:
        return Category.OTHER
    order = [r.id for r in section.rules]
    best = max(scores, key=lambda rid: (scores[rid], -order.index(rid)))
    return Category(best)


# A subject is the writer's own summary ("Booking", "Refill"): the model overrules
# the keywords it names only when it is this sure.
SUBJECT_OVERRULE = 0.9


def _category_of(
    rules: Rules,
    subject: str,
    text: str,
    folded_subject: str | None = None,
    folded_text: str | None = None,
) -> Category:
    """The model's category when it is sure, else the keyword count's (`folded_*`:
    `fold()` of the subject and text, when the caller has them already)."""
    folded_subject = fold(subject or "") if folded_subject is None else folded_subject
    model = rules.category_model()
    if model is not None:
        found, p = model.predict(f"{model_subject(subject)}\n{text}", rules.feature_table())
        if found and p >= SUBJECT_OVERRULE:
            return Category(found)  # sure enough to overrule even the subject's own words
        section = rules.category_section
        named = section is not None and any(True for _ in section.scan(folded_subject))
        if found and not named and p >= model.threshold:
            return Category(found)  # sure, and no keyword of the subject to weigh against
    keywords = _category(rules, folded_subject, fold(text) if folded_text is None else folded_text)
    if model is None:
        return keywords
    needed = SUBJECT_OVERRULE if named and found != keywords else model.threshold
    return Category(found) if found and p >= needed else keywords


def triage(
    subject: str,
    body: str,
    rules: Rules,
    sender_priority: Priority | None = None,
    sender_category: Category | None = None,
) -> TriageResult:
    # what a person writes in a message is read; a megabyte of pasted text is not
    text = strip_quoted((body or "")[:READ_CHARS])
    subject = subject or ""
    lang = guess_language(words_of(f"{subject} {text}"))
    # folded once for all that reads them below
    folded_subject, folded_text = fold(subject), fold(text)
    # A reply's subject names the old topic ("Re: chest pain"): it is not read for red flags.
    subject_sentences = (
        []
        if _REPLY.match(subject)
        else prepare(subject, rules.speller, lang, folded_subject, rules.mender)
    )
    body_sentences = prepare(text, rules.speller, lang, folded_text, rules.mender)
    folded = f"{folded_subject}\n{folded_text}"
    reasons: list[str] = []
    matched: list[str] = []
    priority: Priority | None = None
    for rule, words in _find_in_message(rules.red, subject_sentences, body_sentences, rules):
        matched.append(rule.id)
        reasons.append(f"Urgent: mentions '{words}' ({rule.label})")
        priority = Priority.URGENT
    # readings told in a story that ended well ("his meter said 2.8 ... he was fine") are history
    # (every reading has a digit: without one there is nothing to set aside)
    fine = cleared = frozenset()
    digits = _DIGIT.search(folded) is not None
    if digits:
        fine, cleared = resolved_story(tuple(s.folded for s in body_sentences))
    measured = folded
    if fine or cleared:
        measured = "\n".join(
            [folded_subject]
            + [s.folded for n, s in enumerate(body_sentences) if n not in fine | cleared]
        )
    for level, what in _measurements(measured) if digits else ():  # (each reading has one)
        matched.append("measurement")
        if level is Priority.URGENT:
            reasons.append(f"Urgent: {what}")
            priority = Priority.URGENT
        else:
            reasons.append(f"Same day: {what}")
            priority = priority or Priority.SAME_DAY
    model = rules.model()
    if priority is not Priority.URGENT and model is not None:
        read = f"{model_subject(subject)}\n{text}"
        score, words = model.score(read, explain=0, table=rules.feature_table())
        if score >= model.threshold:  # explained only then (the same score, read again)
            score, words = model.score(read, table=rules.feature_table())
        if score >= model.threshold and not _only_denied_items(folded, words):
            matched.append("classifier")
            quoted = "', '".join(words) if words else "the wording"
            reasons.append(f"Urgent: reads like an emergency ('{quoted}'; wording model)")
            priority = Priority.URGENT
    if priority is None:
        for rule, words in _find_in_message(
            rules.same_day, subject_sentences, body_sentences, rules
        ):
            matched.append(rule.id)
            reasons.append(f"Same day: mentions '{words}' ({rule.label})")
            priority = Priority.SAME_DAY
    category = sender_category or _category_of(rules, subject, text, folded_subject, folded_text)
    if priority is None:
        priority = Priority.ADMIN if category.administrative else Priority.ROUTINE
    # The sender's own priority may be raised by triage, never lowered.
    if sender_priority is not None and sender_priority.rank < priority.rank:
        priority = sender_priority
        reasons.insert(0, f"{priority.label}: marked {priority.label.lower()} by the sender")
    hit_ids = {
        rule.id
        for s in prepare(subject, None, lang, folded_subject) + body_sentences
        for view in (s.folded, s.lemmas)
        for rule, _m in rules.sensitive.scan(view)
    }
    sensitive_hits = [r for r in rules.sensitive.rules if r.id in hit_ids]
    for r in sensitive_hits:
        matched.append(r.id)
        reasons.append(f"Sensitive: {r.label}")
    return TriageResult(priority, category, bool(sensitive_hits), reasons, matched)


# A checklist's items answered "no" ("vomiting blood - no; black stool - no; fainting - no"):
# the rules read them as denied; the wording model does not read the answer column, so its
# vote stands only if a word it weighed is outside those items.
_ANSWERED_NO = re.compile(
    r"([^:;/\n.=?]{2,40}?)\s*[:=-]\s*(?:no|non|none|nope|aucune?|negative|negatif|0)\b"
    r"(?!\s*(?:idea|clue|better|change|relief|help|improvement))"
)


def _only_denied_items(folded: str, words: list[str]) -> bool:
    """Are all the words the wording model weighed inside a checklist's items answered "no"
    (two items at least)?"""
    denied = [m.group(1) for m in _ANSWERED_NO.finditer(folded)]
    if len(denied) < 2 or not words:
        return False
    items = " ".join(denied)
    return all(re.search(rf"\b{re.escape(fold(w))}\b", items) for w in words)


def _bench() -> None:  # pragma: no cover - `python -m clinic_inbox.core.triage --bench`
    import time

    rules = load_rules()
    text = (
        "Hello doctor, my blood pressure readings this week were 150/95 and 148/92. "
        "I have no chest pain but some headaches in the morning. Could you renew my "
        "lisinopril prescription? I have 5 pills left. Thank you. "
    ) * 6
    n = 3000
    t0 = time.perf_counter()
    for _ in range(n):
        triage("BP readings and refill", text, rules)
    dt = time.perf_counter() - t0
    print(f"{n / dt:,.0f} messages/s ({len(text)} characters each)")


if __name__ == "__main__" and "--bench" in sys.argv:
    _bench()
