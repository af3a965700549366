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
from dataclasses import dataclass, field
from pathlib import Path

from clinic_inbox.core.model import Category, Priority
from clinic_inbox.core.resources import resource_path


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the rule."""


@dataclass(frozen=True)
class Rule:
    id: str
    label: str
    regex: re.Pattern[str]


@dataclass(frozen=True)
class Section:
    """All rules of one kind in one alternation, so each sentence is scanned once."""

    rules: tuple[Rule, ...]
    combined: re.Pattern[str]

    @classmethod
    def of(cls, rules: tuple[Rule, ...], sources: list[str]) -> Section:
        if not rules:
            return cls(rules, re.compile(r"(?!x)x"))
        body = "|".join(f"(?P<g{i}>{src})" for i, src in enumerate(sources))
        return cls(rules, re.compile(r"\b(?:" + body + ")", re.IGNORECASE))

    def rule_of(self, m: re.Match[str]) -> Rule:
        return self.rules[int((m.lastgroup or "g0")[1:])]


@dataclass(frozen=True)
class Rules:
    red: Section
    same_day: Section
    categories: tuple[tuple[Category, re.Pattern[str]], ...]
    sensitive: Section
    category_section: Section | None = None


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


def _expand(pattern: str) -> str:
    for plain, rx in _CONTRACTIONS:
        pattern = pattern.replace(plain, rx)
    return pattern


def _source(rule_id: str, patterns: list[str]) -> str:
    if not patterns or not all(isinstance(p, str) and p.strip() for p in patterns):
        raise RulesError(f"Triage rule {rule_id!r} needs a list of non-empty patterns.")
    return "(?:" + "|".join(_expand(p) for p in patterns) + ")"


def _compile(rule_id: str, patterns: list[str]) -> re.Pattern[str]:
    try:
        return re.compile(r"\b" + _source(rule_id, patterns), re.IGNORECASE)
    except re.error as exc:
        raise RulesError(
            f"Triage rule {rule_id!r} has a pattern that is not valid: {exc}."
        ) from None


def _merge(default: list[dict], own: list[dict]) -> list[dict]:
    by_id = {r.get("id"): r for r in default}
    order = [r.get("id") for r in default]
    for r in own:
        if r.get("id") not in by_id:
            order.append(r.get("id"))
        by_id[r.get("id")] = r
    return [by_id[i] for i in order]


def load_rules(path: Path | None = None) -> Rules:
    """The shipped rules, extended or overridden by `path` (a clinic's own file,
    or a clinic's data folder holding triage_rules.toml) when given."""
    with open(resource_path("triage_rules.toml"), "rb") as fh:
        data = tomllib.load(fh)
    if path is not None:
        path = Path(path)
        if path.is_dir():
            path = path / "triage_rules.toml"
        if path.exists():
            try:
                with open(path, "rb") as fh:
                    own = tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:
                raise RulesError(
                    f"The triage rules file {path} is not valid TOML: {exc}."
                ) from None
            for section in ("red_flag", "same_day", "category", "sensitive"):
                data[section] = _merge(data.get(section, []), own.get(section, []))
    return _build(data)


def _build(data: dict) -> Rules:
    def rules(section: str) -> Section:
        out, sources = [], []
        for i, r in enumerate(data.get(section, [])):
            rid = r.get("id") or f"{section}#{i + 1}"
            label = r.get("label", rid.replace("_", " "))
            out.append(Rule(rid, label, _compile(rid, r.get("patterns", []))))
            sources.append(_source(rid, r.get("patterns", [])))
        return Section.of(tuple(out), sources)

    cats = []
    for i, r in enumerate(data.get("category", [])):
        rid = r.get("id") or f"category#{i + 1}"
        try:
            cat = Category(rid)
        except ValueError:
            raise RulesError(f"Unknown category {rid!r} in the triage rules.") from None
        cats.append((cat, _compile(rid, r.get("patterns", []))))
    return Rules(
        rules("red_flag"), rules("same_day"), tuple(cats), rules("sensitive"), rules("category")
    )


# -- text handling -------------------------------------------------------------------
_QUOTE_HEADER = re.compile(
    r"^\s*(on .{0,200}wrote:|-{2,} ?original message ?-{2,}|from: .+)$", re.I
)
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+|(?<=\))\s+")


def strip_quoted(text: str) -> str:
    """Drop quoted replies: '>' lines and everything after 'On ... wrote:'."""
    out = []
    for line in text.splitlines():
        if _QUOTE_HEADER.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        out.append(line)
    return "\n".join(out)


def normalise(text: str) -> str:
    text = (
        text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'").replace("\u00a0", " ")
    )
    return text.lower()


_NEG_TRIGGER = re.compile(
    r"\b(no|not|never|denies|denied|deny|without|free of|negative for|none|nor|"
    r"(do|does|did|have|has|had|is|was|are|were)(n'?t| not)|no longer|absence of|rule out|ruled out)\b"
)
_PSEUDO = re.compile(
    r"\b(no (improvement|better|change|relief)|not (better|improving|going away|stopping|only|sure (if|whether) it)|"
    r"(won'?t|will not|doesn'?t|does not|can'?t|cannot) (stop|go away|get better)|no one|nobody|not helping|"
    r"no (idea|choice))\b"
)
_TERMINATE = re.compile(
    r"\b(but|however|although|though|yet|except|and now|now|still|again|which)\b"
)
_POST_NEG = re.compile(
    r"^\W{0,3}(is|has|have|had|was)? ?(now )?(gone|resolved|better|stopped|went away|cleared|settled|disappeared)\b"
)
_CONTEXT = re.compile(
    r"\b(history of|hx of|previous|prior|years? ago|last (year|month|summer|winter|spring|fall)|"
    r"in (19|20)\d\d|when i was|as a child|"
    r"(my|his|her|our) (father|mother|dad|mom|mum|brother|sister|grand(father|mother|pa|ma)|uncle|aunt|cousin|friend|neighbou?r)"
    r"('s)? (had|died|passed)|"
    r"(father|mother|dad|mom|mum|brother|sister|grand\w+|uncle|aunt) (had|died|passed)|"
    r"if (i|he|she|we|they) (ever )?(get|have|develop|notice|feel|start)|in case|what (if|should i do if)|"
    r"watch (out )?for|signs of|warning signs|form|questionnaire|checklist|asks (if|whether|about))\b"
)
# History told after the mention: "I had a seizure as a child", "... two years ago".
_POST_CONTEXT = re.compile(
    r"\b((\w+ )?(years?|months?|weeks?) ago|as a (child|kid|teen)|in (19|20)\d\d|"
    r"last (year|month|summer|winter|spring|fall)( \w+)* (went away|is gone|has gone|resolved)|"
    r"went away|(is|was) in my (file|chart)|it'?s in my (file|chart))\b"
)
_RECURRENCE = re.compile(
    r"\b(again|is back|came back|come back|returned|started again|now|right now|today|tonight)\b"
)


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(text) if s.strip()]


def _affirmed(sentence: str, start: int, end: int) -> bool:
    """Is the mention at [start, end) an affirmed, current one?"""
    before = sentence[max(0, start - 60) : start]
    # A clause break ends the scope of any negation or context before it.
    cut = 0
    for m in _TERMINATE.finditer(before):
        cut = m.end()
    for sep in (",", " - ", ":"):
        idx = before.rfind(sep)
        if idx >= 0 and sep == ",":
            cut = max(cut, idx + 1)
    scope = before[cut:]
    scope_wo_pseudo = _PSEUDO.sub(" ", scope)
    words_before = scope_wo_pseudo.split()
    if _NEG_TRIGGER.search(" ".join(words_before[-6:])):
        return False
    if _POST_NEG.search(sentence[end : end + 40]):
        return False
    if _CONTEXT.search(sentence[max(0, start - 80) : start]) and not _RECURRENCE.search(sentence):
        return False
    if _POST_CONTEXT.search(sentence[end : end + 70]) and not _RECURRENCE.search(sentence):
        return False
    return True


def _find(section: Section, sentences: list[str]) -> list[tuple[Rule, str]]:
    """Affirmed matches, one per rule, in the order the rules are written."""
    found: dict[str, tuple[Rule, str]] = {}
    for s in sentences:
        for m in section.combined.finditer(s):
            rule = section.rule_of(m)
            if rule.id not in found and _affirmed(s, m.start(), m.end()):
                found[rule.id] = (rule, m.group(0).strip())
    return [found[r.id] for r in section.rules if r.id in found]


_BP = re.compile(r"\b(\d{2,3}) ?(?:/|over) ?(\d{2,3})\b")
_BP_CONTEXT = re.compile(r"\b(bp|blood pressure|pressure|reading|readings|mmhg|systolic)\b|over")
_GLUCOSE = re.compile(r"\b(\d{1,3}(?:\.\d)?) ?(mmol(?:/l)?|mg/?dl)\b")
_SYMPTOMS = re.compile(
    r"\b(headache|dizzy|dizziness|blurr(y|ed) vision|confus|chest|short of breath|nose ?bleed)"
)


def _measurements(text: str) -> list[tuple[Priority, str]]:
    found: list[tuple[Priority, str]] = []
    for m in _BP.finditer(text):
        sys_, dia = int(m.group(1)), int(m.group(2))
        window = text[max(0, m.start() - 40) : m.end() + 10]
        if not (70 <= sys_ <= 280 and 40 <= dia <= 180 and sys_ > dia) or not _BP_CONTEXT.search(
            window
        ):
            continue
        if sys_ >= 180 or dia >= 120:
            urgent = _SYMPTOMS.search(text) is not None
            found.append(
                (Priority.URGENT if urgent else Priority.SAME_DAY, f"blood pressure {sys_}/{dia}")
            )
        elif sys_ >= 160 or dia >= 100 or sys_ < 90:
            found.append((Priority.SAME_DAY, f"blood pressure {sys_}/{dia}"))
    for m in _GLUCOSE.finditer(text):
        value, unit = float(m.group(1)), m.group(2)
        mmol = value if unit.startswith("mmol") else value / 18.0
        if mmol > 20 or mmol < 4:
            found.append((Priority.SAME_DAY, f"blood sugar {m.group(0)}"))
    return found


def _category(rules: Rules, subject: str, body: str) -> Category:
    """The category with the most keyword hits (the subject counts double)."""
    section = rules.category_section
    assert section is not None
    scores: dict[str, int] = {}
    for text, weight in ((subject, 2), (body, 1)):
        for m in section.combined.finditer(text):
            rid = section.rule_of(m).id
            scores[rid] = scores.get(rid, 0) + weight
    if not scores:
        return Category.OTHER
    order = [r.id for r in section.rules]
    best = max(scores, key=lambda rid: (scores[rid], -order.index(rid)))
    return Category(best)


def triage(
    subject: str,
    body: str,
    rules: Rules,
    sender_priority: Priority | None = None,
    sender_category: Category | None = None,
) -> TriageResult:
    subj = normalise(subject or "")
    text = normalise(strip_quoted(body or ""))
    sentences = _sentences(subj) + _sentences(text)
    reasons: list[str] = []
    matched: list[str] = []
    priority: Priority | None = None
    for rule, words in _find(rules.red, sentences):
        matched.append(rule.id)
        reasons.append(f"Urgent: mentions '{words}' ({rule.label})")
        priority = Priority.URGENT
    for level, what in _measurements(f"{subj}\n{text}"):
        matched.append("measurement")
        if level is Priority.URGENT:
            reasons.append(f"Urgent: {what} with symptoms")
            priority = Priority.URGENT
        else:
            reasons.append(f"Same day: {what}")
            priority = priority or Priority.SAME_DAY
    if priority is None:
        for rule, words in _find(rules.same_day, sentences):
            matched.append(rule.id)
            reasons.append(f"Same day: mentions '{words}' ({rule.label})")
            priority = Priority.SAME_DAY
    category = sender_category or _category(rules, subj, text)
    if priority is None:
        priority = Priority.ADMIN if category.administrative else Priority.ROUTINE
    # The sender's own priority may be raised by triage, never lowered.
    if sender_priority is not None and sender_priority.rank < priority.rank:
        priority = sender_priority
        reasons.insert(0, f"{priority.label}: marked {priority.label.lower()} by the sender")
    hit_ids = {
        rules.sensitive.rule_of(m).id
        for s in sentences
        for m in rules.sensitive.combined.finditer(s)
    }
    sensitive_hits = [r for r in rules.sensitive.rules if r.id in hit_ids]
    for r in sensitive_hits:
        matched.append(r.id)
        reasons.append(f"Sensitive: {r.label}")
    return TriageResult(priority, category, bool(sensitive_hits), reasons, matched)


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
