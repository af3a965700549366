"""The shipped models are what the development parts train (issue 15): retrained here
from the labelled sets and compared with the files in resources/. A file of its own,
so that the other triage tests run beside the two trainings on the other test worker."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinic_inbox.core.triage_eval import DEVELOPMENT_PARTS
from clinic_inbox.core.triage_model import WordingModel

SETS = Path(__file__).resolve().parents[1] / "fixtures" / "triage"
DEV_PARTS = tuple(f"{name}.jsonl" for name in DEVELOPMENT_PARTS)


@pytest.mark.slow(seconds=82)
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


@pytest.mark.slow(seconds=134)
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
