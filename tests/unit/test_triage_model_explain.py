"""The wording model's explanation: the patient's words that carry the meaning."""

from clinic_inbox.core.triage_model import WordingModel


def _model(weights: dict[str, float]) -> WordingModel:
    return WordingModel(weights, -1.0, 0.5, "test")


def test_a_negation_a_greeting_or_a_time_word_alone_explains_nothing() -> None:
    # the shipped model weighs "pas", "not" and "ago" heavily (emergencies are told with
    # them: "respire pas", "an hour ago"); a card saying "('pas', 'sans', 'depuis')" tells a
    # receptionist nothing, the words they go with do
    model = _model(
        {
            "w:pas": 9.0,
            "w:sans": 3.0,
            "w:depuis": 2.5,
            "w:bonjour": 2.4,
            "w:h": 2.2,
            "b:respirer pas": 2.0,
            "w:bleu": 1.5,
        }
    )
    p, words = model.score("Bonjour, depuis 14 h il respire pas bien, sans arrêt, il est bleu.")
    assert p > 0.5
    assert words == ["respire pas", "bleu"]


def test_an_english_negation_stays_with_its_word() -> None:
    model = _model({"w:not": 6.0, "w:ago": 6.9, "b:not n:breathing": 3.0, "w:grey": 1.0})
    _p, words = model.score("Hi, an hour ago he was not breathing right and his lips went grey.")
    assert words == ["not breathing", "grey"]
