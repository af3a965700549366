"""Triage on the labelled sets of issue 15 (tests/fixtures/triage/).

Two hundred and twenty-four authors, none of whom saw the rules. dev.jsonl (author A) was written to tune
against; dev_b to dev_ac, dev_sb, dev_sd, dev_na, dev_wa, dev_pf, dev_pg, dev_qa, dev_ru,
dev_cg, dev_ty, dev_pn, dev_oc, dev_ds, dev_ih, dev_oa, dev_lg, dev_ci, dev_mv, dev_sk, dev_mt, dev_ps, dev_tr, dev_ag, dev_sh, dev_acd (part AC), dev_go, dev_nc, dev_ar, dev_tk, dev_af, dev_la, dev_ea, dev_pe, dev_ma, dev_eu, dev_rs, dev_sp, dev_fi, dev_wh, dev_sy, dev_et, dev_pw, dev_cp, dev_sv, dev_sl, dev_mc, dev_dt, dev_fp, dev_ae, dev_sw, dev_lv, dev_cx, dev_rm, dev_ln, dev_cn, dev_at, dev_bc, dev_pt, dev_cs, dev_tm, dev_pr, dev_md, dev_no, dev_mb, dev_al (part AB), dev_ns, dev_yk, dev_gb, dev_ml, dev_ev, dev_pp, dev_gy, dev_fa, dev_nh, dev_we, dev_iq, dev_su, dev_ke, dev_lw, dev_np, dev_rg, dev_kl, dev_wd, dev_mi, dev_el, dev_jb, dev_im, dev_kc, dev_cb, dev_yn, dev_ok, dev_tb, dev_nw, dev_th, dev_lb, dev_km, dev_pa, dev_dp, dev_wl, dev_vf, dev_lc and dev_bm were the held-out parts of rounds 1-130, each scored
once (the README's table has every round's figures) and then, their misses known, moved to
development; dev_sa and dev_se were written as development parts from the start.
heldout.jsonl (authors RL, one per language: Rivière-du-Loup and the Témiscouata) is
round 131's
held-out part, only ever scored here. Every part is reported in the test log; the held-out assertions
are floors at the figures first measured (a regression guard), the targets are asserted
on the development parts (README).
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from support import triage_round_checks

from clinic_inbox.core.model import Category, Priority
from clinic_inbox.core.triage import load_rules, model_subject, triage
from clinic_inbox.core.triage_eval import (
    DEVELOPMENT_PARTS,
    HELD_OUT_PART,
    evaluate,
    load_set,
    report,
    triage_all,
)
from clinic_inbox.core.triage_text import fold, strip_quoted

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


NON_URGENT_KINDS = {
    "mild", "everyday", "negation", "history", "family_history", "hypothetical", "other_person_past",
    "idiom", "education", "form", "professional", "resolved", "quoted_old",
}  # fmt: skip


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
        # every harmless message is of a kind the figures know (round 85's French author labelled
        # the everyday rows by their category, which hid them from the category scoring)
        assert {i.kind for i in part if not i.urgent} <= NON_URGENT_KINDS
    # split by author: no message in two parts (a few classic presentations,
    # e.g. a curtain over one eye, were written by several, each in their own words)
    # (a short message's words may all be in its subject, its body "?" or "see subject":
    # a message is its subject and its body together)
    shared = {(i.subject, i.text) for i in DEV} & {(i.subject, i.text) for i in HELD_OUT}
    # two authors may write the same short everyday line ("are my blood test results in?")
    assert all(len(s + t) < 120 for s, t in shared) and len(shared) <= 2
    assert not shared & {(i.subject, i.text) for i in DEV + HELD_OUT if i.urgent}
    assert not {i.id for i in DEV} & {i.id for i in HELD_OUT}


@functools.cache
def _dev_triaged():
    """The app's triage of every development message, once for the tests that read it."""
    return triage_all(DEV, RULES)


@pytest.mark.slow(seconds=175)
def test_every_emergency_of_the_development_part_is_urgent(capsys):
    results = _dev_triaged()
    scores = evaluate(DEV, RULES, results)
    with capsys.disabled():
        print("\n" + report("the development part (tuned against)", DEV, RULES, scores, results))
    both = scores["both (the app)"]
    assert [i.id for i in both.missed] == []
    assert both.false_red_share <= 0.05


def test_held_out_part_is_scored_and_reported(capsys):
    scores = evaluate(HELD_OUT, RULES)
    with capsys.disabled():
        print("\n" + report("the held-out part (never tuned against)", HELD_OUT, RULES, scores))
        print("  targets: 100% of emergencies urgent, at most 5% of look-alikes urgent")
    both = scores["both (the app)"]
    # floors at the figures first measured on this part (authors RL, Rivière-du-Loup and the
    # Témiscouata, one author per language: 224/224 = 100% / 8/304 = 2.6%, 2026-12-07): a
    # regression guard, not the targets (README)
    assert both.caught >= 224
    assert both.false_red_share <= 8 / 304
    # the two nets together catch at least what either does alone, and more than the rules
    # (on parts I-R, T-AC, SB, SD, NA, WA, PF, PG and QA both together caught more than the model alone; on part S the
    # model alone caught the same 247 of 248: the rules added no emergency there)
    assert both.caught > scores["rules alone"].caught
    assert both.caught >= scores["wording model alone"].caught


@pytest.mark.slow(seconds=18)
def test_one_pass_scores_equal_separate_passes():
    # evaluate() reads the rules alone and the model alone off the app's one triage per
    # message; on a spread sample, asking each apart gives the same figures
    sample = DEV[:: triage_round_checks.step(25)] + HELD_OUT[::5]
    scores = evaluate(sample, RULES)
    rules_alone = replace(RULES, model_path=None)
    model = RULES.model()
    by_rules = [triage(i.subject, i.text, rules_alone).priority is Priority.URGENT for i in sample]
    by_model = [
        model.probability(f"{model_subject(i.subject)}\n{strip_quoted(i.text)}") >= model.threshold
        for i in sample
    ]
    both = [triage(i.subject, i.text, RULES).priority is Priority.URGENT for i in sample]
    for name, flags in (
        ("rules alone", by_rules),
        ("wording model alone", by_model),
        ("both (the app)", both),
    ):
        score = scores[name]
        missed = {i.id for i in score.missed}
        flagged = {i.id for i in sample if i.urgent and i.id not in missed}
        flagged |= {i.id for i in score.false_reds}
        assert flagged == {i.id for i, f in zip(sample, flags, strict=True) if f}, name
    assert any(by_rules) and any(by_model) and by_rules != by_model  # the sample tells them apart


def test_urgent_cards_quote_the_patients_own_words():
    for item, result in zip(DEV, _dev_triaged(), strict=True):
        if result.priority is not Priority.URGENT:
            continue
        written = fold(f"{item.subject} {item.text}")
        reason = next(r for r in result.reasons if r.startswith("Urgent:"))
        for quoted in re.findall(r"'([^']+)'", reason.replace("' and '", "''")):
            words = [w for w in re.split(r"', '|\s+", fold(quoted)) if w]
            assert all(w in written for w in words), (item.id, reason)


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
    # floor at the first scoring (authors RL: 62/64, keywords alone 49/64)
    assert app >= 62 and app > kw


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


def test_the_category_model_file_is_plain_data():
    from clinic_inbox.core.resources import resource_path

    data = json.loads(resource_path("triage_category_model.json").read_text(encoding="utf-8"))
    assert data["format"] == "clinic-inbox-category-model/1"
    assert sorted(data["classes"]) == sorted(c.value for c in Category)
    assert all(isinstance(v, float | int) for pairs in data["weights"].values() for v in pairs)
