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
    # "herat" is "heart" or "heat": mended only inside the match the rule read as "heart"
    assert s.mended == "i almost had a herat attack last saturday when i saw the bill"
    a = s.folded.index("herat attack")
    view, start, end = s.mended_for(a, a + len("herat attack"))
    assert view == "i almost had a heart attack last saturday when i saw the bill"
    assert view[start:end] == "heart attack"
    # a word that grew or shrank moves what follows it
    s = _one("We went in auugust and he fell on the stairs")
    assert s.mended == "we went in august and he fell on the stairs"
    a = s.folded.index("fell")
    view, start, end = s.mended_for(a, a + 4)
    assert view[start:end] == "fell"
    # a match that ends inside a mended word: as far in, never past its end
    a = s.folded.index("auugust")
    assert s.mended_for(a + 7, a + 7)[1:] == (a + 6, a + 6)


def test_known_words_names_and_a_sentence_without_slips_stay_as_written():
    s = _one("My heart was racing on Saturday")
    assert s.mended is s.folded and s.mended_for(3, 8) == (s.folded, 3, 8)
    # a name the lemma view keeps is kept here too
    (s,) = prepare("Hier soir Boyer a fait une chute", RULES.speller, "fr", None, RULES.mender)
    assert "boyer" in s.mended
    # without a mender (a caller that does not judge context): the folded view
    s = _one("a herat attack last saturady", mender=None)
    assert s.mended == s.folded


def test_a_word_is_mended_only_when_one_word_is_that_near():
    mender = RULES.mender
    assert mender is not None
    assert mender.mend("brething", "brething", "en")[0] == "breathing"  # a rule's word
    # a word only the context knows is mended towards it
    assert (
        Mender(Speller({"heart"}), {"saturday"}).mend("saturady", "saturady", "en")[0] == "saturday"
    )
    assert Mender(Speller({"heart"}), set()).mend("saturady", "saturady", "en")[0] == "saturady"
    # "sinse" is "since" or "sense": a guess would decide what is set aside ("old mix
    # that's been there sinse last fall, 20 min later hives all over, lips swelling")
    assert Mender(Speller({"sense"}), {"since"}).mend("sinse", "sinse", "en")[0] == "sinse"
    assert Mender(Speller(set()), {"since"}).mend("sinse", "sinse", "en")[0] == "since"
    # ...while inside a match it is read as the rule read it
    assert Mender(Speller({"sense"}), {"since"}).mend("sinse", "sinse", "en")[1] == "sense"


def test_words_the_patient_meant_are_not_mended():
    mender = RULES.mender
    assert mender is not None
    # known as written, accents kept: "opéré" folded is "opere", which no dictionary knows
    for folded, written in [("operer", "opérer"), ("febriles", "fébriles"), ("alles", "allés")]:
        assert mender.mend(folded, written, "fr") == (folded, folded)
    # the rules' and the context's own words, whether a dictionary knows them or not
    assert mender.mend("souvent", "souvent", "fr") == ("souvent", "souvent")
    assert mender.mend("surdose", "surdose", "fr") == ("surdose", "surdose")
    # known in the other language: "le stress des agents"
    assert mender.mend("stress", "stress", "fr") == ("stress", "stress")
    # an elision without its apostrophe, and never into a denial: "quand javais 10 ans"
    # is neither "quand jvais" nor "quand jamais"
    assert mender.mend("javais", "javais", "fr") == ("javais", "javais")
    assert Mender(Speller({"jamais"}), set()).mend("jamaos", "jamaos", "fr") == ("jamaos", "jamaos")
    # only one letter off (the speller's index also pairs some words two apart)
    assert Mender(Speller({"genre"}), set()).mend("gerer", "gerer", "fr") == ("gerer", "gerer")
    # "emerg" is the emergency department, not "energ(y)"
    assert mender.mend("emerg", "emerg", "en") == ("emerg", "emerg")
    # a dropped g is the writer's way of writing: "my gut is killin me" is not the idiom
    assert mender.mend("killin", "killin", "en") == ("killin", "killin")


def test_a_slipped_idiom_or_date_sets_the_mention_aside_as_written_does():
    for clean, slipped in [
        (
            "I almost had a heart attack when I saw the bill",
            "I almost had a herat attack when I saw the bill",
        ),
        (
            "I almost had a heart attack when I saw the bill for the missed appointment",
            "i almost had a heart attck when i saw the bill for the missed appointment",
        ),
        (
            "J'ai failli faire une crise cardiaque en voyant la facture de 90 $ pour une lettre!",
            "j'ai failli faire une crise cardiaqee en voyant la facture de 90 $ pour une lettre!",
        ),
        # someone else's, years ago
        (
            "Mon cousin a eu une méningite au cégep il y a quelques années.",
            "mon cousni a eu une meningite au cegep il y a quelquse annese.",
        ),
        (
            "My cousin's baby had meningitis a few years ago.",
            "my couisn's baby had meningitis a few yearrs ago.",
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
        # a word two ways near ("sinse": since or sense) is left as written
        "urgent - alergic reation. ate pancakes at camp from old mix thats been there sinse "
        "last fall, 20 min later hives all over, lips and tounge sweling, throat tite and im "
        "wheezing. no epipen, took 1 benadril.",
        "my gut is killin me for real, goes thru to my back, pukin all nite, cant even keep water down",
    ]:
        result = triage("", text, RULES)
        assert result.priority is Priority.URGENT, (text, result.reasons)
        assert "classifier" not in result.matched_rules, (text, result.reasons)


def test_a_heart_attack_written_as_it_sounds():
    # "hart" is a word of its own (a deer) and too short for the speller: the rule and the
    # idioms read it as written
    for text in ["I think I'm having a hart attack right now", "im having a hart atack"]:
        assert triage("", text, RULES).priority is Priority.URGENT, text
    for text in [
        "I almost had a hart attack when I saw the bill",
        "my dad had a hart attack in 2015, is there a test I should get?",
        "What does a hart attack feel like in women?",
    ]:
        assert triage("", text, RULES).priority is not Priority.URGENT, text


def test_a_day_named_for_the_writers_own_plan_is_to_come():
    # "on saturday" after a self-harm plan is when it will happen, not a past event
    for text in [
        "i have about forty of my sertraline saved up and im going to swallow them all on "
        "saturday when mom leaves",
        "i will take them all on friday",
    ]:
        result = triage("", text, RULES)
        assert result.priority is Priority.URGENT and "classifier" not in result.matched_rules, (
            text,
            result.reasons,
        )
    # someone else's past, told after a plan of the writer's, stays past
    assert (
        triage("", "I'm going to bring my son who had a seizure on monday", RULES).priority
        is not Priority.URGENT
    )
