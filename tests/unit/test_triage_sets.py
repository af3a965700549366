"""Triage on the labelled sets of issue 15 (tests/fixtures/triage/).

Sixty-four authors, none of whom saw the rules. dev.jsonl (author A) was written to tune
against; dev_b to dev_ac, dev_sb, dev_sd, dev_na, dev_wa, dev_pf, dev_pg, dev_qa, dev_ru,
dev_cg, dev_ty, dev_pn, dev_oc, dev_ds, dev_ih, dev_oa, dev_lg, dev_ci, dev_mv, dev_sk, dev_mt, dev_ps and dev_tr were the held-out parts of rounds 1-50, each scored
once (the README's table has every round's figures) and then, their misses known, moved to
development; dev_sa and dev_se were written as development parts from the start.
heldout.jsonl (authors AG, one per language: farming families and agricultural workers) is
round 51's held-out part (100% / 1.0%), only ever scored here. Every part is reported in the test log; the held-out assertions
are floors at the figures first measured (a regression guard), the targets are asserted
on the development parts (README).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from clinic_inbox.core.model import Category, Priority
from clinic_inbox.core.triage import load_rules, triage
from clinic_inbox.core.triage_eval import (
    DEVELOPMENT_PARTS,
    HELD_OUT_PART,
    evaluate,
    load_set,
    report,
)
from clinic_inbox.core.triage_model import WordingModel
from clinic_inbox.core.triage_text import fold

SETS = Path(__file__).resolve().parents[1] / "fixtures" / "triage"
RULES = load_rules()
DEV_PARTS = tuple(f"{name}.jsonl" for name in DEVELOPMENT_PARTS)
DEV = [item for name in DEV_PARTS for item in load_set(SETS / name)]
HELD_OUT = load_set(SETS / f"{HELD_OUT_PART}.jsonl")
CLASSES = {
    "suicide_self_harm", "overdose_poisoning", "cardiac_chest_pain", "stroke", "breathing",
    "anaphylaxis", "severe_bleeding", "glycaemic", "sepsis_meningitis", "infant_fever",
    "pregnancy", "severe_abdominal_pain", "head_injury", "seizure", "testicular_pain",
    "thunderclap_headache", "sudden_confusion", "severe_dehydration", "vision_loss",
    "cauda_equina", "abuse_danger_at_home", "threat_to_others",
}  # fmt: skip
# the 22 classes, and one more of the author's choosing: a collapse in the parts
# up to round 29; from round 30 "other_emergency" (a button battery swallowed, a bone
# through the skin, carbon monoxide at home)
EXTRA_CLASSES = {"collapse_unresponsive", "other_emergency"}


def test_the_sets_are_built_to_generalise():
    both = DEV + HELD_OUT
    urgent = [i for i in both if i.urgent]
    assert len(both) >= 600 and len(urgent) >= 250
    assert sum(i.lang == "fr" for i in both) / len(both) >= 0.20
    for part in (*(load_set(SETS / name) for name in DEV_PARTS), HELD_OUT):
        kinds = {i.kind for i in part if i.urgent}
        assert CLASSES <= kinds <= CLASSES | EXTRA_CLASSES  # every class in each part
        phrasings = Counter(i.scenario for i in part if i.urgent)
        assert min(phrasings.values()) >= 8
    # split by author: no message in two parts (a few classic presentations,
    # e.g. a curtain over one eye, were written by several, each in their own words)
    # (a short message's words may all be in its subject, its body "?" or "see subject":
    # a message is its subject and its body together)
    shared = {(i.subject, i.text) for i in DEV} & {(i.subject, i.text) for i in HELD_OUT}
    # two authors may write the same short everyday line ("are my blood test results in?")
    assert all(len(s + t) < 120 for s, t in shared) and len(shared) <= 2
    assert not shared & {(i.subject, i.text) for i in DEV + HELD_OUT if i.urgent}
    assert not {i.id for i in DEV} & {i.id for i in HELD_OUT}


def test_every_emergency_of_the_development_part_is_urgent(capsys):
    scores = evaluate(DEV, RULES)
    with capsys.disabled():
        print("\n" + report("the development part (tuned against)", DEV, RULES, scores))
    both = scores["both (the app)"]
    assert [i.id for i in both.missed] == []
    assert both.false_red_share <= 0.05


def test_held_out_part_is_scored_and_reported(capsys):
    scores = evaluate(HELD_OUT, RULES)
    with capsys.disabled():
        print("\n" + report("the held-out part (never tuned against)", HELD_OUT, RULES, scores))
        print("  targets: 100% of emergencies urgent, at most 5% of look-alikes urgent")
    both = scores["both (the app)"]
    # floors at the figures first measured on this part (authors AG, farming families and
    # agricultural workers, one author per language: 224/224 = 100% / 3/304 = 1.0%,
    # 2026-12-03): a regression guard, not the targets
    assert both.caught >= 224
    assert both.false_red_share <= 3 / 304
    # the two nets together catch at least what either does alone, and more than the rules
    # (on parts I-R, T-AC, SB, SD, NA, WA, PF, PG and QA both together caught more than the model alone; on part S the
    # model alone caught the same 247 of 248: the rules added no emergency there)
    assert both.caught > scores["rules alone"].caught
    assert both.caught >= scores["wording model alone"].caught


def test_urgent_cards_quote_the_patients_own_words():
    for item in DEV:
        result = triage(item.subject, item.text, RULES)
        if result.priority is not Priority.URGENT:
            continue
        written = fold(f"{item.subject} {item.text}")
        reason = next(r for r in result.reasons if r.startswith("Urgent:"))
        for quoted in re.findall(r"'([^']+)'", reason.replace("' and '", "''")):
            words = [w for w in re.split(r"', '|\s+", fold(quoted)) if w]
            assert all(w in written for w in words), (item.id, reason)


def test_the_shipped_model_is_what_the_development_part_trains():
    pytest.importorskip("sklearn")
    from clinic_inbox.core.resources import resource_path
    from clinic_inbox.core.triage_train import train

    model, stats = train([SETS / name for name in DEV_PARTS])
    shipped = WordingModel.load(resource_path("triage_model.json"))
    assert abs(model.threshold - shipped.threshold) < 1e-4
    assert model.weights.keys() == shipped.weights.keys()
    assert max(abs(model.weights[k] - shipped.weights[k]) for k in shipped.weights) < 1e-3
    assert stats["oof_false_red"] <= 0.02


def test_the_trainer_refuses_the_held_out_part(tmp_path):
    from clinic_inbox.core.triage_train import main

    assert main([str(SETS / "heldout.jsonl"), "--out", str(tmp_path / "m.json")]) == 2
    assert not (tmp_path / "m.json").exists()


def test_the_model_file_is_plain_data():
    from clinic_inbox.core.resources import resource_path

    data = json.loads(resource_path("triage_model.json").read_text(encoding="utf-8"))
    assert data["format"] == "clinic-inbox-triage-model/1"
    assert all(isinstance(v, float | int) for v in data["weights"].values())


def test_held_out_categories_are_scored_against_the_keyword_count(capsys):
    """What an everyday message is about, on text no model or keyword saw: the model
    (with the keyword count when it is unsure) against the keyword count alone."""
    import dataclasses

    everyday = [i for i in HELD_OUT if i.kind == "everyday" and i.category]
    keywords_only = dataclasses.replace(RULES, category_model_path=None)
    app = sum(triage(i.subject, i.text, RULES).category == i.category for i in everyday)
    kw = sum(triage(i.subject, i.text, keywords_only).category == i.category for i in everyday)
    with capsys.disabled():
        print(
            f"\nheld-out everyday categories: model + keywords {app}/{len(everyday)}, "
            f"keywords alone {kw}/{len(everyday)}"
        )
    # floor at the first scoring (authors AG: 63/64, keywords alone 53/64)
    assert app >= 63 and app > kw


def test_an_unsure_or_missing_category_model_leaves_the_keyword_count():
    import dataclasses

    keywords_only = dataclasses.replace(RULES, category_model_path=None)
    short = "Refill please"  # too few words for the model: the keyword decides
    assert triage("", short, RULES).category == triage("", short, keywords_only).category
    assert triage("", short, RULES).category == "refill"
    model = RULES.category_model()
    assert model is not None and model.predict("Thanks!") == ("", 0.0)
    # what the model reads that a keyword count does not: the insurer's receipt is billing
    text = (
        "Hi, my insurance company needs an itemized receipt for the sick note fee I paid "
        "in October, with the clinic's stamp. Could you send it to me by email?"
    )
    found, p = model.predict(text)
    assert found == "billing" and p >= model.threshold
    assert triage("", text, RULES).category == "billing"


def test_the_shipped_category_model_is_what_the_development_part_trains():
    pytest.importorskip("sklearn")
    from clinic_inbox.core.resources import resource_path
    from clinic_inbox.core.triage_category_model import CategoryModel
    from clinic_inbox.core.triage_train import train_categories

    model = train_categories([SETS / name for name in DEV_PARTS])
    shipped = CategoryModel.load(resource_path("triage_category_model.json"))
    assert model.classes == shipped.classes and model.threshold == shipped.threshold
    assert model.weights.keys() == shipped.weights.keys()
    worst = max(
        abs(a[1] - b[1])
        for f in shipped.weights
        for a, b in zip(model.weights[f], shipped.weights[f], strict=True)
    )
    assert worst < 1e-3
    assert "heldout" not in shipped.trained_on


def test_the_category_model_file_is_plain_data():
    from clinic_inbox.core.resources import resource_path

    data = json.loads(resource_path("triage_category_model.json").read_text(encoding="utf-8"))
    assert data["format"] == "clinic-inbox-category-model/1"
    assert sorted(data["classes"]) == sorted(c.value for c in Category)
    assert all(isinstance(v, float | int) for pairs in data["weights"].values() for v in pairs)
