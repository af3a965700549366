"""The mended view: a mention's context judged on the words the patient meant.

The rules match on the lemma view, where misspellings of the rules' own words are
corrected ("herat" is "heart"). The context (told as past, an idiom, a joke, a date) was
judged on the words as written, so a slip in a context word kept the mention and lost
what set it aside: "almost had a herat attack when I saw the bill" went red. The mended
view corrects both the rules' words and the context's own, for judging only.
"""

from __future__ import annotations

from clinic_inbox.core.model import Priority
from clinic_inbox.core.triage import load_rules, triage
from clinic_inbox.core.triage_text import Mender, Speller, prepare

RULES = load_rules()


def _one(text: str, mender: Mender | None = RULES.mender):
    (s,) = prepare(text, RULES.speller, "en", None, mender)
    return s


def test_misspelt_context_words_are_mended_and_offsets_follow():
    s = _one("I almost had a herat attack last saturady when I saw the bill")
    assert s.mended == "i almost had a heart attack last saturday when i saw the bill"
    a = s.folded.index("herat attack")
    start, end = s.mend(a, a + len("herat attack"))
    assert s.mended[start:end] == "heart attack"
    # a word that grew or shrank moves what follows it
    s = _one("We went in auugust and he fell on the stairs")
    assert s.mended == "we went in august and he fell on the stairs"
    a = s.folded.index("fell")
    start, end = s.mend(a, a + 4)
    assert s.mended[start:end] == "fell"
    # inside a mended word: as far in, never past its end
    a = s.folded.index("auugust")
    assert s.mend(a + 7, a + 7) == (a + 6, a + 6)


def test_known_words_names_and_a_sentence_without_slips_stay_as_written():
    s = _one("My heart was racing on Saturday")
    assert s.mended is s.folded and s.mend(3, 8) == (3, 8)
    # a name the lemma view keeps is kept here too
    (s,) = prepare("Hier soir Boyer a fait une chute", RULES.speller, "fr", None, RULES.mender)
    assert "boyer" in s.mended
    # without a mender (a caller that does not judge context): the folded view
    s = _one("a herat attack last saturady", mender=None)
    assert s.mended == s.folded


def test_a_rule_word_is_mended_as_the_lemma_view_corrects_it():
    # the context reads the same word the rule matched, whatever the context's words offer
    speller = RULES.speller
    assert speller is not None
    mender = Mender(speller, {"brethe"})
    assert mender.mend("brething", "brething", "en") == "breathing"
    assert speller.correct("brething", "en") == "breathing"
    # a word only the context knows is mended towards it
    assert Mender(Speller({"heart"}), {"saturday"}).mend("saturady", "saturady", "en") == "saturday"
    assert Mender(Speller({"heart"}), set()).mend("saturady", "saturady", "en") == "saturady"


def test_words_the_patient_meant_are_not_mended():
    mender = RULES.mender
    assert mender is not None
    # known as written, accents kept: "opéré" folded is "opere", which no dictionary knows
    for folded, written in [("operer", "opérer"), ("febriles", "fébriles"), ("alles", "allés")]:
        assert mender.mend(folded, written, "fr") == folded
    # known in the other language: "le stress des agents"
    assert mender.mend("stress", "stress", "fr") == "stress"
    # never into a denial: "quand javais 10 ans" is not "quand jamais"
    assert mender.mend("javais", "javais", "fr") == "javais"
    # only one letter off a context word (the speller's index also pairs some two apart)
    assert mender.mend("gerer", "gerer", "fr") == "gerer"
    # "emerg" is the emergency department, not "energ(y)"
    assert mender.mend("emerg", "emerg", "en") == "emerg"


def test_a_slipped_idiom_or_date_sets_the_mention_aside_as_written_does():
    for clean, slipped in [
        (
            "I almost had a heart attack when I saw the bill",
            "I almost had a herat attack when I saw the bill",
        ),
        (
            "J'ai suivi un cours de secourisme: RCR, DEA, controle des hemorragies",
            "J'ai suivi un cours de secourisme: RCR, DEA, cintrole des hemorragies",
        ),
    ]:
        assert triage("", clean, RULES).priority is not Priority.URGENT, clean
        assert triage("", slipped, RULES).priority is not Priority.URGENT, slipped


def test_mending_sets_no_emergency_aside():
    # the same emergencies, slipped where a context word could be read into them
    for text in [
        "I think I'm having a herat attack right now, crushing pain in my chest",
        "my dad collapsed and isnt breathng, his lips are blue",
        "je pense que je fais une crise cardiaqe en ce moment, douleur a la poitrine",
        "I have been thinking about killing myself evry night and today I bought rope",
    ]:
        result = triage("", text, RULES)
        assert result.priority is Priority.URGENT, (text, result.reasons)
