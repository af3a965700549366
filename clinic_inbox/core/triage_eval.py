"""Scoring triage on a labelled set: the figures the tests print and the README shows.

A labelled set is JSON Lines (see tests/fixtures/triage/README.md): one message per
line with `text`, `subject`, `urgent`, `lang`, `class` and `category`. The scores
are given for the rules alone, the wording model alone, and both together (what
the app uses: a message is urgent when either net says so).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from clinic_inbox.core.model import Category, Priority
from clinic_inbox.core.triage import Rules, TriageResult, model_subject, triage
from clinic_inbox.core.triage_text import strip_quoted

# The labelled parts in tests/fixtures/triage/ (names without ".jsonl"): each round's
# held-out part becomes development once it has been scored, and a new author's part
# takes its place as "heldout". The trainer, the tests and the bench read this list.
DEVELOPMENT_PARTS = (
    "dev", "dev_b", "dev_c", "dev_d", "dev_e", "dev_f", "dev_g",
    "dev_h", "dev_i", "dev_j", "dev_k", "dev_l", "dev_m", "dev_n", "dev_o", "dev_p", "dev_q", "dev_r", "dev_s", "dev_t", "dev_u", "dev_v", "dev_x", "dev_w", "dev_y", "dev_z", "dev_aa", "dev_ab", "dev_ac", "dev_sa", "dev_sb", "dev_se", "dev_sd", "dev_na", "dev_wa", "dev_pf", "dev_pg", "dev_qa", "dev_ru", "dev_cg", "dev_ty", "dev_pn", "dev_oc", "dev_ds", "dev_ih", "dev_oa", "dev_lg", "dev_ci", "dev_mv", "dev_sk", "dev_mt", "dev_ps", "dev_tr", "dev_ag", "dev_sh", "dev_acd", "dev_go", "dev_nc", "dev_ar", "dev_tk", "dev_af", "dev_la", "dev_ea", "dev_pe", "dev_ma", "dev_eu", "dev_rs", "dev_sp", "dev_fi", "dev_wh", "dev_sy", "dev_et", "dev_pw", "dev_cp", "dev_sv", "dev_sl", "dev_mc", "dev_dt", "dev_fp", "dev_ae", "dev_sw", "dev_lv", "dev_cx", "dev_rm", "dev_ln", "dev_cn", "dev_at", "dev_bc", "dev_pt", "dev_cs", "dev_tm", "dev_pr", "dev_md", "dev_no", "dev_mb", "dev_al", "dev_ns", "dev_yk", "dev_gb", "dev_ml", "dev_ev", "dev_pp", "dev_gy", "dev_fa", "dev_nh", "dev_we", "dev_iq", "dev_su", "dev_ke", "dev_lw", "dev_np", "dev_rg", "dev_kl", "dev_wd", "dev_mi", "dev_el", "dev_jb", "dev_im", "dev_kc", "dev_cb", "dev_yn", "dev_ok", "dev_tb", "dev_nw", "dev_th", "dev_lb", "dev_km", "dev_pa", "dev_dp", "dev_wl", "dev_vf", "dev_lc", "dev_bm",
)  # fmt: skip
HELD_OUT_PART = "heldout"


@dataclass(frozen=True)
class Labelled:
    id: str
    lang: str
    subject: str
    text: str
    urgent: bool
    kind: str  # the emergency class, or the kind of look-alike
    category: str | None
    scenario: str = ""
    variant: str = ""


def load_set(path: Path) -> list[Labelled]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                out.append(
                    Labelled(
                        d["id"],
                        d.get("lang", "en"),
                        d.get("subject", ""),
                        d["text"],
                        bool(d["urgent"]),
                        d.get("class", ""),
                        d.get("category"),
                        d.get("scenario", ""),
                        d.get("variant", ""),
                    )
                )
            except (KeyError, ValueError) as exc:
                raise ValueError(f"{path}:{n}: not a labelled message ({exc})") from None
    return out


@dataclass
class Score:
    """Emergencies caught and look-alikes flagged, for one way of deciding."""

    name: str
    emergencies: int = 0
    caught: int = 0
    others: int = 0
    false_red: int = 0
    missed: list[Labelled] = field(default_factory=list)
    false_reds: list[Labelled] = field(default_factory=list)
    missed_by_class: Counter = field(default_factory=Counter)

    @property
    def recall(self) -> float:
        return self.caught / self.emergencies if self.emergencies else 1.0

    @property
    def false_red_share(self) -> float:
        return self.false_red / self.others if self.others else 0.0

    def add(self, item: Labelled, flagged: bool) -> None:
        if item.urgent:
            self.emergencies += 1
            if flagged:
                self.caught += 1
            else:
                self.missed.append(item)
                self.missed_by_class[item.kind] += 1
        else:
            self.others += 1
            if flagged:
                self.false_red += 1
                self.false_reds.append(item)

    def line(self) -> str:
        return (
            f"{self.name:<22} emergencies urgent {self.caught}/{self.emergencies} "
            f"({self.recall:.1%}); look-alikes urgent {self.false_red}/{self.others} "
            f"({self.false_red_share:.1%})"
        )


def rules_alone(rules: Rules) -> Rules:
    """The same rules without the wording model: what the rules alone decide."""
    from dataclasses import replace

    return replace(rules, model_path=None)


def urgent_by_rules(result: TriageResult) -> bool:
    """Did the rules make this result urgent? The app asks the wording model only when the
    rules have not, and names it ("classifier") when its word made the message urgent."""
    return result.priority is Priority.URGENT and "classifier" not in result.matched_rules


def triage_all(items: Iterable[Labelled], rules: Rules) -> list[TriageResult]:
    """The app's triage of each item, in order: one pass that the scores, the categories
    and the tests of the cards' wording can all read."""
    return [triage(item.subject, item.text, rules) for item in items]


def evaluate(
    items: Iterable[Labelled], rules: Rules, results: list[TriageResult] | None = None
) -> dict[str, Score]:
    """Scores for: rules, model, both (the app), and each language under 'both'.

    One triage per item (`results`, when the caller has them already): the app asks the
    wording model only when the rules have not made a message urgent, and says so
    ("classifier" among the matched rules) when the model's word made it urgent; so the
    rules alone said urgent exactly when the app did without the model, and the model
    has to be asked apart only where the rules had already decided
    (tests/unit/test_triage_sets.py checks this against separate passes)."""
    items = list(items)
    results = results if results is not None else triage_all(items, rules)
    model = rules.model()
    scores = {k: Score(k) for k in ("rules alone", "wording model alone", "both (the app)")}
    per_lang: dict[str, Score] = {}
    for item, result in zip(items, results, strict=True):
        both = result.priority is Priority.URGENT
        by_classifier = "classifier" in result.matched_rules
        by_rules = urgent_by_rules(result)
        by_model = by_classifier or (
            by_rules
            and model is not None
            and model.probability(f"{model_subject(item.subject)}\n{strip_quoted(item.text)}")
            >= model.threshold
        )
        scores["rules alone"].add(item, by_rules)
        scores["wording model alone"].add(item, by_model)
        scores["both (the app)"].add(item, both)
        lang = per_lang.setdefault(item.lang, Score(f"  both, {item.lang}"))
        lang.add(item, both)
    return {**scores, **{f"lang:{k}": v for k, v in sorted(per_lang.items())}}


def category_accuracy(
    items: Iterable[Labelled], rules: Rules, results: list[TriageResult] | None = None
) -> tuple[int, int]:
    """Right / labelled, over everyday (non-urgent) messages with a category."""
    right = total = 0
    items = list(items)
    for n, item in enumerate(items):
        if item.urgent or not item.category or item.kind != "everyday":
            continue
        total += 1
        if results is not None:
            got = results[n].category
        else:
            got = triage(item.subject, item.text, rules).category
        right += got is Category(item.category)
    return right, total


def report(
    name: str,
    items: list[Labelled],
    rules: Rules,
    scores: dict[str, Score] | None = None,
    results: list[TriageResult] | None = None,
) -> str:
    """The printed figures; `scores` and `results` when the caller has them already
    (triaging a whole part again costs as much as the first time)."""
    results = results if results is not None else triage_all(items, rules)
    scores = scores if scores is not None else evaluate(items, rules, results)
    right, total = category_accuracy(items, rules, results)
    lines = [f"triage on {name} ({len(items)} messages):"]
    lines += ["  " + s.line() for s in scores.values()]
    if total:
        lines.append(
            f"  category of everyday messages right: {right}/{total} ({right / total:.0%})"
        )
    return "\n".join(lines)
