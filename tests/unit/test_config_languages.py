"""The clinic's languages in clinic.toml: English alone unless the clinic says more."""

from __future__ import annotations

import pytest

from clinic_inbox.core.config import load_config


def test_an_existing_clinic_without_a_word_about_languages_answers_in_english(tmp_path):
    (tmp_path / "clinic.toml").write_text('[clinic]\nname = "Old Clinic"\n', "utf-8")
    cfg = load_config(tmp_path)
    assert cfg.name == "Old Clinic" and cfg.languages == ("en",)
    assert load_config().languages == ("en",)
    assert "urgence" in cfg.advice("fr")  # the shipped French wording, should it be asked
    assert cfg.advice("de") == cfg.emergency_advice  # none: the English one


def test_a_bilingual_clinic_and_its_french_emergency_advice(tmp_path):
    (tmp_path / "clinic.toml").write_text('languages = ["fr", "en"]\n', "utf-8")
    cfg = load_config(tmp_path)
    assert cfg.languages == ("fr", "en")
    assert "911" in cfg.advice("fr") and "urgence" in cfg.advice("fr")
    assert cfg.advice("en") == cfg.emergency_advice and "emergency" in cfg.advice("en")


def test_a_clinic_can_write_its_own_french_advice(tmp_path):
    (tmp_path / "clinic.toml").write_text(
        'languages = ["en", "fr"]\n[clinic]\nemergency_advice_fr = "Composez le 911."\n', "utf-8"
    )
    assert load_config(tmp_path).advice("fr") == "Composez le 911."


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ('languages = ["en", "klingon"]', '"klingon" is not one Clinic Inbox can answer in'),
        ("languages = []", "must list the languages"),
        ('languages = "fr"', "must list the languages"),
    ],
)
def test_unknown_languages_are_refused_in_plain_words(tmp_path, line, words):
    (tmp_path / "clinic.toml").write_text(line + "\n", "utf-8")
    with pytest.raises(ValueError, match=words) as caught:
        load_config(tmp_path)
    assert '"en" (English), "fr" (French)' in str(caught.value)
