"""Triage on a labelled set of patient messages: every emergency red, few false reds."""

from __future__ import annotations

import tomllib
from dataclasses import replace

from fixtures.triage_labelled import EMERGENCIES, NOT_URGENT
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic_inbox.core.model import Category, Priority
from clinic_inbox.core.triage import RulesError, build_rules, load_rules, triage

RULES = load_rules()


def test_the_set_is_big_enough():
    assert len(EMERGENCIES) + len(NOT_URGENT) >= 200 and len(EMERGENCIES) >= 80


def test_every_emergency_is_red_and_says_why():
    missed = [t for t in EMERGENCIES if triage("", t, RULES).priority is not Priority.URGENT]
    assert missed == [], f"{len(missed)} emergencies missed: {missed}"
    for t in EMERGENCIES:
        r = triage("", t, RULES)
        assert r.reason.startswith("Urgent:")


def test_false_red_share_is_small_and_reported(capsys):
    false_red = [t for t, _ in NOT_URGENT if triage("", t, RULES).priority is Priority.URGENT]
    share = len(false_red) / len(NOT_URGENT)
    with capsys.disabled():  # reported in the test log, as the issue asks
        print(f"\ntriage false reds: {len(false_red)}/{len(NOT_URGENT)} = {share:.1%}: {false_red}")
    # A false red costs a quick look; a missed emergency costs far more. 5% is the ceiling.
    assert share <= 0.05


def test_category_accuracy_is_reported(capsys):
    labelled = [(t, c) for t, c in NOT_URGENT if c]
    right = sum(triage("", t, RULES).category is Category(c) for t, c in labelled)
    with capsys.disabled():
        print(f"\ntriage category accuracy: {right}/{len(labelled)} = {right / len(labelled):.0%}")
    assert right / len(labelled) >= 0.8


def test_reason_quotes_the_patients_words():
    assert "can't breathe" in triage("", "I can't breathe", RULES).reason
    assert "blood pressure 200/125" in triage("", "My BP is 200/125, headache", RULES).reason


def test_quoted_reply_text_is_ignored():
    body = "Thanks, the pharmacy has it.\n\nOn Mon, Nov 2, Clinic wrote:\n> I have chest pain\n"
    assert triage("Re: chest", body, RULES).priority is not Priority.URGENT
    assert triage("", "Thanks!\n> I have chest pain", RULES).priority is not Priority.URGENT


def test_sensitive_topics():
    for text in (
        "my depression is worse",
        "results of my chlamydia test",
        "relapse with opioids",
        "time to renew my PrEP",
        "I'd like an IUD",
        "my anxiety has been bad since the move",
        "I feel anxious all the time",
    ):
        assert triage("", text, RULES).sensitive, text
    for text in (
        "refill of my metformin please",
        "Have the results come in yet? I'm a bit anxious to hear.",  # worry, not a condition
    ):
        assert not triage("", text, RULES).sensitive, text


def test_a_rule_written_with_oe_reads_the_ligature(tmp_path):
    # a rule's author writes "oe"; patients type "cœur", "sœur", "œil" (the fold keeps the
    # text's length, so it cannot turn one letter into two: the rule reads both instead)
    (tmp_path / "triage_rules.toml").write_text(
        '[[red_flag]]\nid = "custom_oe"\nlabel = "test"\npatterns = ["soeur (a|est) un oeil de boeuf"]\n',
        encoding="utf-8",
    )
    own = load_rules(tmp_path)
    for text in (
        "ma sœur a un œil de bœuf",
        "ma soeur a un oeil de boeuf",
        "ma SŒUR a un Œil de bœuf",
    ):
        assert triage("", text, own).priority is Priority.URGENT, text
    # and the words that keep "oe" as two letters in English are read as before
    assert triage("", "my toes and shoes", own).priority is not Priority.URGENT
    result = triage("", "j'ai le cœur qui serre fort depuis 30 minutes, je sue", RULES)
    assert result.priority is Priority.URGENT and "cœur" in result.reasons[0]


def assert_read_as(not_urgent: tuple[str, ...], urgent: tuple[str, ...]) -> None:
    """Each text of `not_urgent` is not urgent, each of `urgent` is (rules and model)."""
    for text in not_urgent:
        assert triage("", text, RULES).priority is not Priority.URGENT, text
    for text in urgent:
        assert triage("", text, RULES).priority is Priority.URGENT, text


def test_a_feared_condition_is_not_the_facts():
    # the anxious writer names what they fear or read about; what is happening is
    # told by the rest, read as usual
    assert_read_as(
        not_urgent=(
            "my 10 yo has tummy ache since lunch, im scared its appendicitis, no fever, eating fine",
            "J'ai peur de l'appendicite, j'ai des crampes depuis hier, pas de fièvre, je mange",
            "I'm scared I'll have a stroke, my BP was 144/92 at the pharmacy, no headache",
            "J'ai peur de faire un AVC, ma pression était 142/91, aucun mal de tête",
        ),
        urgent=(
            "I'm scared I'm having a heart attack, crushing chest pain for 20 minutes",
            "j'ai peur de faire un AVC, mon bras est faible et je parle croche depuis 10 min",
            "I'm scared I'll kill myself tonight",  # self-harm: when unsure, urgent
            # what was read ends where the writer's own clause begins
            "I read that pills can kill, I took 40 of my pills",
        ),
    )


def test_history_told_as_years_back_clean_or_past_and_a_forms_quoted_questions():
    # "a few years back", "3 years clean", "violence conjugale passée": over; a form's
    # questions quoted after "the medical asks": not the writer's news
    assert_read_as(
        not_urgent=(
            "I overdosed a few years back and I'm in recovery now. Need my suboxone renewed.",
            "Suivi de Mme B. pour violence conjugale passée, elle est relogée. Pour votre dossier.",
            "The passport medical asks 'loss of consciousness, head injury, convulsions'. None for me.",
        ),
        urgent=(
            # "back" of a place or a return is not a time gone by
            "I overdosed on my pills, my husband just brought me back home, I can barely stay awake",
            "she hit her head on the ice and the medical form can wait, she has vomited 3 times",
        ),
    )


def test_an_animals_illness_a_transfer_already_made_and_a_familys_past():
    # a pet's seizure seen by the vet; a nursing station's note that a patient was flown
    # out (a title's point, "Mr.", does not end the sentence); relatives "in their 60s"
    assert_read_as(
        not_urgent=(
            "Hi, our dog had a seizure on the porch last night, vet's seen him today and he's fine.",
            "Bonjour, notre chien a fait une convulsion sur la galerie hier soir, il va bien.",
            "We medevaced Mr. Redsky yesterday with chest pain, he's in Thunder Bay now and stable.",
            "On a transféré M. Bastien en avion hier pour une douleur thoracique, il est stable.",
            "my mom and her sister both had strokes in their 60s, is there anything I should do now",
            "I'm 20 weeks and live far away. When should I head in if something happens, like bleeding?",
        ),
        urgent=(
            "our dog knocked me over and now I have crushing chest pain and can't breathe",
            "Mr. Redsky has chest pain right now, sweating, pain down his left arm",
        ),
    )


def test_a_relatives_death_a_result_that_came_back_and_a_care_plans_instruction():
    assert_read_as(
        not_urgent=(
            # a result "came back", not an illness: the grandfather's death is family history
            "my dad's cholesterol came back high and his dad died of a heart attack at 58.",
            "le cholestérol de mon père est revenu élevé et son père est mort d'une crise de cœur.",
            "My husband's father and uncle both had heart attacks before 55. Should he be checked?",
            "ma fille (maintenant 20 ans) avait fait une tentative de suicide à 17 ans.",
            "pour le plan de soins, ce que le personnel doit faire s'il fait une convulsion de 5 min",
            "Résumé de congé : admis le 3 pour traumatisme crânien, scan de contrôle stable.",
        ),
        urgent=(
            "his results came back high and now he has crushing chest pain and is sweating",
            "my dad died of a heart attack and now I have crushing chest pain down my left arm",
            "elle fait une convulsion depuis 5 minutes, elle ne répond pas",
        ),
    )


def test_a_portal_forms_fields_are_the_patients_own_words():
    # "Symptoms:" is the patient's field in a portal form, not a form's list to ask about
    form = (
        "Reason: Test results\nSymptoms: fever 39.8, headache, stiff neck, light hurts, "
        "purple spots on legs that don't fade\nStarted: this morning\nMedications: Advil\n"
        "Question for the doctor: what do we do"
    )
    assert triage("Test results", form, RULES).priority is Priority.URGENT
    # and a checklist's red flags answered "no" are denied, in either language
    for text in (
        "Motif : Toux\nSymptômes : Fièvre : non / Douleur à la poitrine : non / "
        "Essoufflement : non / Toux : oui\nDepuis : 6 jours",
        "Reason: Stomach\nSymptoms: mild nausea\nRed flags: vomiting blood - no; "
        "black stool - no; fainting - no\nStarted: 2 days",
    ):
        assert triage("", text, RULES).priority is not Priority.URGENT, text
    assert triage("", "Chest pain: yes, crushing, 20 min", RULES).priority is Priority.URGENT


def test_a_faint_at_a_needle_a_local_sting_a_word_inside_a_word_and_a_story_ended():
    # round 39 (part TY): what is not an emergency, by both nets
    assert_read_as(
        not_urgent=(
            "I'm taking my lifeguard course. How do I recognize anaphylaxis vs a panic attack?",
            "I fainted at the blood drive this morning, was out for a few seconds, had juice "
            "and feel normal now. should I tell you?",
            "jai deja perdu connaissance pendant une prise de sang. je peux etre couchée?",
            "piqué par une guêpe sur la main, c'est enflé pis ça pique autour, rien d'autre",
            "Took a ball to the groin at soccer, hurt for a minute, no swelling, everything "
            "looks normal now.",
            "une fille de ma classe a eu un choc anaphylactique en secondaire 3, depuis j'ai "
            "peur des allergies",
            "L'ambulance est venue, ils m'ont donné l'épinéphrine, je suis sortie de "
            "l'hôpital. Je voudrais 2 EpiPen maintenant.",
        ),
        urgent=(
            # the same words, and the emergency after them
            "piqué par une guêpe sur la main, c'est enflé pis là ma gorge serre",
            "he passed out after his vaccine and we can't wake him up",
        ),
    )
    # what the round's new rules catch without the wording model
    rules_alone = replace(RULES, model_path=None)
    for text in (
        "ngl tmrw im bringing my dads rifle 2 school n theyre all gonna pay 4 what they did",
        "je pense que quelqu'un a mis quelque chose dans mon verre, je suis au bar toute "
        "étourdie, je tiens à peine debout pis le gars veut me ramener chez lui",
        "mon ami diabetique type 1 apres le gym en sueur tres mele repond presque plus pas "
        "capable davaler le jus",
        "c bon jai ecrit mes lettres pr ma famille, jai les pilules de ma mere, ce soir qd tt "
        "le monde dort je les prends toutes",
        "allo ma puce a 6 sem pis elle fait 38,6 rectal depuis 1h, boit moins",
        "took a big hit 2 the head @ rugby 3hrs ago, puked 4x, my m8 says 1 pupil is bigger",
        "ma coloc sest renverse de leau bouillante sur le bras et la poitrine la peau se "
        "decolle cest blanc par endroits",
        "jai pris le mifegymiso avant hier et depuis 3 heure je remplis une serviette maxi a "
        "chaque heure",
        "my left eye went dark 40 min ago, like a blind pulled down over it",
    ):
        assert triage("", text, rules_alone).priority is Priority.URGENT, text
    for text in (
        "j'ai écrit mes lettres de motivation ce soir pour mes stages",
        "Je suis enceinte de 6 semaines et j'ai 38,2 de fièvre depuis hier",
    ):
        assert triage("", text, rules_alone).priority is not Priority.URGENT, text


def test_weeks_and_light_bleeding_a_word_inside_a_word_and_a_babys_ordinary_days():
    # round 40 (part PN): pregnancy and the weeks after birth name weeks and bleeding in
    # the same breath; only heavy or new bleeding is an emergency
    rules_alone = replace(RULES, model_path=None)
    for text in (
        "I'm 3 weeks postpartum, bleeding is light and brownish now, no clots, no dizziness.",
        "Je saigne un peu du nez quand je me mouche, ça arrête en 2 minutes. 23 semaines.",
        "Je suis à 4 semaines post-partum, les saignements sont presque finis, pas de caillots",
        "crème pour les hémorroïdes, 3 semaines post partum, un peu de sang sur le papier",
        "Je suis à 30 semaines et j'ai senti bouger le bébé pour la première fois",
        "Enceinte de 28 semaines, les mouvements du bébé sont super forts le soir",
        "Est-ce que je peux entrer avec la poussette dans la salle d'attente?",
        "Enceinte de 34 semaines, mon ventre durcit quelques fois, sans douleur",
        "Mon bébé de 6 mois se réveille plus la nuit. 37,3 de température. Les dents?",
        "My hands go numb and tingly at night, mostly thumb and first fingers, I'm 33 weeks.",
        "He had a febrile seizure at 14 months, none since, he's 3 now. Do I list it?",
        "A coworker of mine had a stroke 3 weeks after her baby was born, she's recovering.",
        "My mother and aunt both had blood clots in their lungs after having babies. I'm due "
        "in 10 weeks.",
        "Our prenatal class mentioned postpartum hemorrhage. How many pads an hour is too much?",
        "we called 911 right away and they took him in, it was a febrile seizure and he's "
        "back to himself now",
        "Our 3-week-old sounds snorty when she breathes. No fever, not working hard to breathe.",
    ):
        assert triage("", text, rules_alone).priority is not Priority.URGENT, text
    for text in (
        "I'm 3 weeks postpartum and the bleeding suddenly got heavy, soaking a pad an hour",
        "enceinte de 34 semaines, j'ai pas senti bouger le bébé depuis hier soir",
        "enceinte de 36 semaines, presque plus de mouvements depuis ce matin",
        "mon bébé fait 39,5 de fièvre et se réveille plus, il est tout mou",
        "Mon conjoint a secouer le bebe ce soir et il ma pousser dans les marche",
        "Dad's out cold on the floor, he's doing these big snorty breaths, looks grey",
        "No sleep 3 days, tonight she says our 2-week-old isn't ours and there's something "
        "evil in him she needs to get out, voices are telling her",
        "37wks, no kicks since ~9pm last nite, its 10am",
        "her words started coming out funny, one side of her mouth is hanging down",
        "Mon bébé de 5 mois a déboulé de la table à langer, il a un gros motton mou sur le "
        "côté de la tête, il a renvoyé trois fois",
        "ma fille a 7 semaines elle a 38 virgule 3 dans le rectum ce soir",
        "24 weeks pregnant with type 1 and my sugar was 2 point 3, shaking and sweating",
    ):
        assert triage("", text, rules_alone).priority is Priority.URGENT, text


Example = str | tuple[str, str]  # a message's text, or its subject and text


def _read_by_the_rules_alone(not_urgent: tuple[Example, ...], urgent: tuple[Example, ...]) -> None:
    """A round's examples, read without the wording model: each one as labelled."""
    rules_alone = replace(RULES, model_path=None)

    def priority(example: Example) -> Priority:
        subject, text = example if isinstance(example, tuple) else ("", example)
        return triage(subject, text, rules_alone).priority

    for example in not_urgent:
        assert priority(example) is not Priority.URGENT, example
    for example in urgent:
        assert priority(example) is Priority.URGENT, example


def test_short_written_sign_language_grammar_and_stories_told_over():
    # round 42 (part DS): a denial after the word ("Fever no."), "finish" for over, a year
    # set off by commas, the age something happened at, posters and care protocols
    _read_by_the_rules_alone(
        not_urgent=(
            "Me Deaf. Yesterday chest pain little after lift sofa. Today finish, no pain.",
            "Deaf. Cough 10 days, small. Fever no. Sleep ok.",
            "Moi Sourd. Mal de gorge 5 jours. Fièvre non. Manger correct.",
            "Avant, 2017, saignement beaucoup, hôpital. Maintenant enceinte 10 semaines, tout correct.",
            "Mon fils a eu une méningite à 8 mois, il a maintenant 6 ans. Formulaire pour l'école?",
            "We'd like a poster of stroke signs (face drooping, arm weakness, speech trouble) for "
            "the day program.",
            "La garderie veut que le médecin signe le protocole d'anaphylaxie de Zoé (EpiPen, 911).",
            "I can't feel my feet well, I have diabetes. Small blister on my heel.",
            "My roommate had a seizure last night and went by ambulance. He's back now.",
            "Her usual seizure this morning, 1 minute, stopped by itself, she is eating now.",
            "Last night my BP went 190/105 with a headache, I emptied my bag and it came down "
            "to 110/70. Fine today.",
            "Je me tue à travailler ce mois-ci, j'aurais besoin d'un billet pour un congé.",
        ),
        urgent=(
            # the same markers do not hide what is happening now
            "Fever no better, baby 5 weeks old, 38.4 tonight",
            "bébé 6 semaines, fièvre 38,5 ce soir",
            "His seizure stopped by itself after 8 minutes but now he won't wake up.",
            "Protocole d'anaphylaxie suivi, EpiPen donné, mais sa gorge enfle et elle respire mal",
            "took 14 of my baclofen an hour ago, now so sleepy and slurring",
            "pris une vingtaine de mes pilules pour dormir, je suis endormie dur",
            "kevin. couteau sous le lit. 2soir je le pique",
            "Night staff pushed me and pulled my hair. She works again tonight. I am scared.",
            "moi sourd. femme visage côté gauche tombe 30 min. bras gauche pas lever",
            "pu capable. ce soir je me tue, j'ai les somnifères",
            "smacked head on the rail getting out of the chair, on apixaban, puked twice",
        ),
    )


def test_all_well_said_first_forms_lists_and_the_words_of_harm_reduction():
    # round 43 (part IH, an inner-city health centre with harm reduction)
    _read_by_the_rules_alone(
        not_urgent=(
            "Tout est correct maintenant. Mon chum m'a donné mon EpiPen pis l'ambulance m'a "
            "amenée, j'ai couché là. Je voudrais une nouvelle prescription.",
            "J'ai le cœur serré des fois quand je pense à mon loyer. Je voudrais parler à quelqu'un.",
            "Ma blonde a fait une crise d'épilepsie au party du mois passé, elle a vu un "
            "neurologue. Quoi faire si ça recommence?",
            "Je remplis ma demande pour l'aide sociale. Il faut mettre mes diagnostics : "
            "dépression, hépatite C, tentatives de suicide.",
            "Nouveau savon à lessive, des plaques rouges qui piquent sur le dos. Les lèvres pis "
            "la langue sont normales.",
            "J'étouffe dans ce refuge-là, on est 40 dans le dortoir. Une lettre pour le logement?",
        ),
        urgent=(
            # what all is well now does not cover: it is happening again
            "All good now. Yesterday my husband had chest pain and the ambulance came. Now he "
            "has chest pain again and can't breathe.",
            "drank my done and my buddys carry then 2 bars, breathing real slow n shallow",
            "tent went up, whole left forearm burned, skin peeling off in sheets",
            "j'ai fait un fix dans le poignet, ma main est blanche pis froide",
            "cracked over the head with a pipe, lights went out, been sick 3 times",
            "une toile noire qui a descendu sur mon œil gauche, je vois pu rien",
            "33 weeks, tried juice and lying on my side, he's just not doing anything",
            "pas fait pipi depuis hier matin pis je vomis toute l'eau que je bois",
        ),
    )


def test_older_writers_news_items_and_a_week_of_pills_at_once():
    # round 44 (part OA, older adults in their own words)
    _read_by_the_rules_alone(
        not_urgent=(
            "Avec ma crise cardiaque de 2012 et mon pontage, est-ce que je prends le vaccin haute dose?",
            "Ma fille voudrait faire installer des barres dans la salle de bain. Pouvez-vous faire la demande au CLSC?",
            "Le Centre antipoison m'a rappelée ce soir-là : les pilules prises deux fois n'étaient pas dangereuses. Tout est correct.",
            "J'ai entendu à la radio qu'une infection peut tourner en septicémie chez les personnes âgées. Comment on reconnaît ça?",
            "J'ai lu dans La Presse que les femmes n'ont pas toujours mal à la poitrine pendant une crise cardiaque. Quels sont les signes?",
        ),
        urgent=(
            "I took the whole week of my blister pack at once by mistake this morning, digoxin and metoprolol, now dizzy",
            "j'ai avalé d'un coup les 7 cases de ma dispensette ce matin",
            "Depuis qu'elle est partie je suis pu capable. J'ai mis de côté ses morphines pis mes pilules pour dormir.",
            "Gilles a tremblé partout 3 minutes, mordu la langue, pas réveillé depuis, il ronfle",
            "a piece of steak stuck in my gullet since supper, can't swallow even my spit",
            "my right leg went cold and pale as a candle an hour ago and it hurts",
            "Le voisin a empoisonné mon chien. Mon calibre 12 est chargé, ce soir je vais régler son cas.",
            # "ce soir-là" is a night in a story; "ce soir" is still tonight
            "Le Centre antipoison m'a dit ce soir que c'était dangereux, j'ai des palpitations",
        ),
    )


def test_stories_already_treated_and_the_words_of_gender_affirming_care():
    # round 45 (part LG, a clinic serving many 2SLGBTQIA+ patients)
    _read_by_the_rules_alone(
        not_urgent=(
            "Finalement la réaction était due aux noix dans le pesto, l'urgence m'a donné de l'épinéphrine et je vais bien. Une ordonnance pour un EpiPen?",
            "On Tuesday I had chest tightness and went to the ER. They did an ECG and blood work, everything normal, a panic attack. I'm feeling okay now.",
            "Une amie de ma famille choisie a fait une crise d'anaphylaxie à mon souper de Noël, les ambulanciers sont venus. Devrais-je avoir un EpiPen?",
            "J'ai appelé le 911 comme vous disiez. Ma blonde a été traitée pour son AVC et elle est en réadaptation maintenant, elle récupère bien.",
            "Update: I went to the ER, they said it was DKA and I was admitted for two days. I'm out now and my new pump works.",
            "Mon ex a fait une tentative de suicide il y a quelques années, et là il a recommencé à m'écrire. Ça me remue, une référence en psychothérapie?",
            "The surgeon's readiness letter template asks you to confirm whether I have a history of suicide attempts, self-harm, or psychiatric admissions. None of those apply to me.",
        ),
        urgent=(
            "took 2 viagra at a party, erection since midnight, 7 hours, really painful and turning purple",
            "4 days post-op phallo, past 2 hrs it went dark purple almost black at the tip and cold",
            "8 days after my vaginoplasty, fever 39.8, shaking chills, heart racing, can barely stand",
            "drank my roommate's G by accident, dizzy, threw up, can't stay awake",
            "locked in the bathroom, my bf hit me, he's banging on the door saying he'll kill me",
            "got bottled outside a bar last nite, KO'd, puked 4x, so sleepy",
            "ya 30 min mon bras g est devenu lourd, face cote g tombe dans le miroir",
            "jpp. jai tt mes pilules pr dormir sur la table, ce soir c'est fini",
            "My friend had anaphylaxis at my Christmas dinner tonight, her throat is closing and she can't breathe",
            "Il a recommencé à parler de se tuer ce soir, il a une corde",
        ),
    )


def test_a_shock_at_the_bill_a_flare_and_the_emergencies_of_chronic_illness():
    # round 46 (part CI, patients living with serious chronic illness)
    _read_by_the_rules_alone(
        not_urgent=(
            "J'ai fait une crise cardiaque en voyant la facture pour le formulaire, 75 $! Est-ce le bon montant?",
            "Parking permit renewal: I'm on home oxygen for COPD and get short of breath walking 20 metres. The form needs your signature.",
            "Depuis que je suis sous prednisone pour ma poussée, je dors mal. Je peux la prendre plus tôt?",
            "Des plaques qui piquent depuis le nouveau savon à lessive. Mes lèvres et ma langue ne sont pas enflées.",
            "Just an update: I went to emerg that night, they gave me epinephrine and switched my antibiotic. I'm home and fine now.",
        ),
        urgent=(
            "J'ai chargé ma carabine et ce soir je vais chez eux le tirer.",
            "jai 2 mois de pilules pr dormir de coté, jvais tte les prendre ce soir",
            "standing to attention down below since 3 am, more than five hours, it really hurts now",
            "Je me suis donné un coup sur le coco contre la porte, avec mes pilules pour éclaircir le sang, j'ai vomi",
            "Neuf jours depuis mon dernier traitement de chimio, je suis brûlante et je claque des dents",
            "She stuck two fresh fentanyl patches on without peeling off the old one and now I can't wake her properly",
            "mon petit fils de 2 ans a pris 3 de mes dilaudid, il est tout endormi",
            "sudden explosive HA back of head, worst ever, maxed in secs",
            "back much worse this week and I couldn't feel myself wiping today",
            # a flare is a noun after "ma"; "il m'a poussée" is still a push
            "Il ma poussée dans l'escalier ce soir, j'ai peur qu'il recommence",
        ),
    )


def test_a_household_alarm_a_tight_cast_a_gun_out_and_stories_that_ended():
    # round 47 (part MV, serving members, veterans and military families)
    _read_by_the_rules_alone(
        not_urgent=(
            "Mon mari va faire une crise de cœur quand il va voir la facture, 80 $ pour un formulaire!",
            "La sertraline me coupe la libido, est-ce qu'on peut essayer autre chose?",
            "The driver's medical form is because of my seizure disorder. Last seizure 6 years ago.",
            "The school needs your signature on her peanut anaphylaxis and EpiPen plan.",
            "As you know I had an overdose back in 2015, clean for years now. My naloxone kit expired.",
            "Ça fait quelques semaines que je me réveille avec trois doigts de la main droite engourdis.",
            "Finalement on a appelé le 911 et ils lui ont donné de l'adrénaline dans l'ambulance. "
            "Il va très bien, il est retourné à l'école aujourd'hui.",
            "To close the loop: she'd swallowed three of my iron pills, they checked her levels and "
            "she was fine. Sent home the next morning. Pills are locked up now!",
        ),
        urgent=(
            "The CO alarm by the furnace went off this morning and we all woke up dizzy with headaches and throwing up",
            "plâtre posé hier, la douleur augmente sans arrêt ce soir, mes orteils sont mauves et froids",
            "The rifle is out of the safe and loaded, I left a letter for each of the kids. Tonight is the night.",
            "la 308 est sortie, chargée, lettres écrites pr chaque enfant, c fini pour moi",
            "The shotgun's in the truck and tonight I'm paying him a visit he won't come back from",
            "The kids and I are locked in the bathroom and he's pounding on the door",
            "I swallowed one of my husband's strong back pills by mistake and my eyes keep closing",
            "I can only get out two or three words at a time, my breathing is awful even sitting",
            "My wife says my lips have gone a greyish blue and the gadget on my finger reads 83",
            "It keeps coming out in spurts, two bath towels are soaked through",
            "last week he choked me and tonite he said hell kill me if i leave",
            "ma mère était correcte hier depuis ce matin elle dit des phrases sans aucun sens elle sait pas où elle est",
        ),
    )


def test_a_scald_never_called_a_burn_edibles_and_a_curtain_over_the_eye():
    # round 48 (part SK, school-age children, teenagers and their families)
    _read_by_the_rules_alone(
        not_urgent=(
            "L'an dernier un élève de l'école s'est effondré au gym, ils ont utilisé le "
            "défibrillateur et il va bien aujourd'hui. Faut-il un ECG pour mon fils?",
            "Pour un élève qui exprimerait des idées noires, quel est le meilleur moyen de le "
            "référer à votre clinique?",
            "My back is screaming after moving the couch, but that's just me being out of shape.",
        ),
        urgent=(
            "Mon gars de 3 ans a renversé la bouilloire, grosses cloques et la peau part sur "
            "presque tout le torse",
            "my toddler ate my brother's THC gummies an hour ago and now he's so sleepy he won't wake up properly",
            "Ma fille de 5 ans a mangé les bonbons « spéciaux » de son oncle, elle est toute molle",
            "Mon père est parti ailleurs dans sa tête depuis le dîner, il me regarde comme un étranger",
            "Depuis midi, tout d'un coup, elle ne me reconnaît plus",
            "he got smoked into the boards, was out cold a minute and has puked twice since",
            "On dirait qu'un rideau descend devant mon œil gauche depuis une heure",
            "My brother's knife is packed in my school bag and tomorrow they're going to pay",
            "j'ai caché une vingtaine de pilules, ce soir quand mes parents dorment je les prends toutes",
            "le sang sort en jets, j'ai trempé trois linges en dix minutes",
            "My youngest got into his sister's ADHD pills, his heart is racing",
        ),
    )


def test_a_jump_decided_a_calibre_in_the_truck_and_a_sting_the_size_of_a_coin():
    # round 49 (part MT, a mountain and lake resort town)
    _read_by_the_rules_alone(
        not_urgent=(
            "Mon grand-père a perdu la vue d'un œil d'un coup quand il avait 70 ans. Est-ce héréditaire?",
            "On m'a opéré pour l'appendicite le soir même, tout s'est bien passé. J'ai besoin d'un papier.",
            "Mes doubles shifts au lodge me tuent, je voudrais une prise de sang pour le fer.",
            "Une guêpe m'a piqué hier, c'est rouge, ça pique pis c'est enflé grand comme une pièce de 2 piasses.",
        ),
        urgent=(
            "pratique de hockey, douleur intense d'un coup au testicule gauche, vomi une fois",
            "About forty minutes ago at breakfast he suddenly dropped his coffee, his hand wouldn't grip. "
            "The right side of his face is drooping and his speech is slurred. He was completely normal "
            "when we woke up.",
            "ce soir après mon shift je vais au belvédère et je saute, c'est décidé, les lettres sont écrites",
            "Après ce soir vous n'aurez plus besoin de garder mon dossier ouvert. J'ai laissé deux "
            "enveloppes sur mon lit, une pour ma mère, une pour mon frère.",
            "jmonte au garage avec ma carabine pis jle tire",
            "Demain je vais régler ça pour de bon avec ma 30-06, elle est prête dans le truck",
            "Our little guy (3) ate a bag of THC gummys and now he's floppy and we can barely wake him",
            "Noah ate 6 or 7 of the cannabis gummies a friend left about an hour ago and now he's very "
            "sleepy and floppy. We can barely wake him up.",
            "Ça fait trois jours que tout ressort par en haut et par en bas. Même une gorgée d'eau "
            "revient. Je ne suis pas allé faire pipi depuis hier matin.",
        ),
    )


def test_a_fever_on_clozapine_lithium_toxicity_and_stories_the_er_ended():
    # round 50 (part PS, shared care with a community mental-health team)
    _read_by_the_rules_alone(
        not_urgent=(
            "Un collègue a fait une overdose en novembre, il s'en est sorti. Ça m'a brassé et je dors mal.",
            "J'ai appelé le 811 et je suis allé à l'urgence, ils ont ajusté mes médicaments, les idées "
            "noires sont parties.",
            "Just following up - the swelling went down after emerg gave me epinephrine and steroids.",
            "Je suis allé à l'urgence, ils m'ont donné de l'épinéphrine et de la cortisone, l'enflure est "
            "partie. Je n'ai plus rien.",
            # (these two guard this round's own new words against a calm level and a workout)
            "My lithium level came back 0.8. I haven't had any tremor, diarrhea or confusion.",
            "bras gauche mou après 100 push-ups lol",
        ),
        urgent=(
            "He's on clozapine and his last CBC was two weeks ago. Since this morning a fever of 39.4.",
            "I'm burning up, 39.6, and I'm on the pill that needs the regular blood checks.",
            "Elle prend du lithium, gastro depuis trois jours, ce soir elle est incapable de marcher droit",
            "Depuis sa piqûre il est barré partout, je suis pas capable de lui plier les bras, il est brûlant",
            "The voices told me. I have my hammer by the door and when he gets home I'm making him stop for good.",
            "Ce soir je vais au pont, c'est décidé, les lettres à mes gars sont écrites",
            "been saving my zopi + quetiapine for a month, im takin all of em 2nite",
            "Mon père ne m'a pas reconnue, il parlait à quelqu'un dans le coin. Hier soir il était parfaitement normal.",
            "Je suis rendue à 33 semaines, ça coule rouge en bas, ma serviette est déjà pleine",
            "a pain under my ribs that bores right through to my back, worst I've ever felt",
            "I haven't been doing my shots properly, I've been leaving most of them out. Sick to my "
            "stomach over and over, panting",
            "Mon mari a vu des éclairs, puis il dit qu'un rideau noir est descendu devant son œil gauche",
            "Tout d'un coup mon bras droit est devenu mou comme de la guenille",
        ),
    )


def test_an_unnamed_hunting_weapon_a_run_on_message_and_words_inside_other_words():
    # round 51 (part TR, travellers and airport workers)
    _read_by_the_rules_alone(
        not_urgent=(
            # "bandeau" is not "bander"; a car on the drive home is not a car left running
            "Mal de tête à la fin de mes quarts de 12 heures, comme un bandeau serré, ça part avec du Tylenol.",
            "My daughter threw up once in the car on the way home, carsick I think. She's playing now.",
            # "and called 911", "was seen at the Children's": a story the writer says ended well
            "We used the EpiPen and called 911, he was seen at the Children's and is completely fine "
            "now. Could we get two new pens?",
        ),
        urgent=(
            "ate a granola bar with nuts, my throat feels like it's closing and my lips are puffing up",
            "I sliced my hand on a box cutter and it's gushing through the second towel even though "
            "I'm pressing on it",
            "Tonight I'm going to make it so I don't have to wake up. The pills are lined up.",
            "Ce soir je compte prendre tout ce qui me reste d'un coup.",
            "Demain matin je vais lui rendre une petite visite avec ce que j'utilise à la chasse, il va comprendre.",
            "Il m'a dit qu'il va aller à l'usine avec sa carabine pour son patron demain matin.",
            "Mon boss m'a mis dehors. Demain j'y vais avec mon fusil au changement de quart.",
            "glissé sur la glace tête sur le ciment, vomi deux fois depuis, je prends du xarelto",
            "Dad was fine at lunch but for the last two hours he's just not with us, he calls me by "
            "my mom's name.",
            "Sudden pain in the back of my head at the gym, full blast in a second, worst ever.",
            "type 2 back from cuba last week stomach flu so i quit my insulin cause im not eating "
            "now the meter says hi and im breathing fast",
            "Mon petit de 3 ans a pogné le sac de sa grand-mère, j'ai trouvé le pot ouvert par terre "
            "et il en manque quatre",
            "Sa langue est collée, tout ce qu'il boit ressort, pas fait pipi depuis hier.",
            "parked by the bridge, been thinking about jumping",
            "Mon lecteur pour le sucre affiche 29, je renvoie tout et je souffle fort.",
        ),
    )
    # "uti" is a word of its own, not the start of "j'utilise"
    assert (
        "uti" not in triage("", "J'utilise la nouvelle crème pour mes mains.", RULES).matched_rules
    )


def test_farm_poisonings_a_pointed_rifle_and_a_pain_never_felt_in_a_lifetime():
    # round 52 (part AG, farming families and agricultural workers)
    _read_by_the_rules_alone(
        not_urgent=(
            "Ma fille s'est coupée samedi, ça saignait beaucoup mais on a fait des points à "
            "l'urgence. La plaie est belle maintenant.",
            "Les foins sont en train de me tuer, pouvez-vous déplacer mon rendez-vous?",
        ),
        urgent=(
            "Mon mari ouvre pas les yeux même quand je le secoue, il est couché dans la grange.",
            "He's drunk and pointed his shotgun at me and the kids, we're hiding in the shed.",
            "Une guêpe m'a piqué, ma bouche est toute grosse pis ma voix sonne bizarre.",
            "C'est comme si quelqu'un était assis sur ma poitrine, ça tire jusque dans mon bras gauche.",
            "En forçant, comme un coup de masse derrière la tête. J'ai jamais eu mal de même de "
            "toute ma vie.",
            "Ma pompe à insuline a lâché hier, je rends tout depuis à matin.",
            "she has a fever and spots on her legs that stay when I press a glass on them",
            "Depuis midi ma mère est pu elle-même d'un coup.",
            "J'ai arrosé les pommiers avec de l'insecticide, là je bave pis mes muscles sautent.",
            "tombé du toit de la grange, os qui sort en bas du genou",
            "Je suis dans mon huitième mois, y'a du rouge qui coule avec des gros morceaux.",
            "Mal au dos depuis lundi, pis là je sens pas le papier quand je m'essuie.",
            "Anything he drinks comes right back up, no pee since yesterday, everything went "
            "black when he stood.",
            "Four generations on this farm. Tonight I'm done. The gun's ready in the shop.",
            "My belly's tight as a drum and I'm bent over, the pain low on the right.",
        ),
    )


def test_a_pill_organiser_drugs_from_the_ward_and_words_that_only_look_urgent():
    # round 53 (part SH, health-care workers and their families)
    _read_by_the_rules_alone(
        not_urgent=(
            "Je suis à bout de souffle avec les examens, pouvez-vous déplacer mon rendez-vous?",
            "Mon poids ce matin est 81,5 kg, j'ai perdu 2 kg depuis le mois passé.",
            "Still a tickly cough 4 weeks after the flu, no fever, breathing fine. Can I book a visit?",
            "A callus on the ball of my foot hurts after long shifts, could you look at it?",
        ),
        urgent=(
            "Found our son (3) with grandma's pill organizer open, two days of her pills gone, "
            "he's very sleepy now.",
            "She told me she took insulin and syringes from the unit and will use them tonight.",
            "I've brought home what I need from work and I'm not going to be here after tonight.",
            "Mon gars de 2 ans, le pot était ouvert à terre pis il en manque quatre.",
            "Des peanuts dans le gâteau, ma langue est en train de gonfler pis ma voix change.",
            "hurt my back lifting, now can't feel the TP when i wipe",
            "gastro x2j, vomi tout même l'eau, 0 urine depuis hier matin",
            "I'm 8 months along and I fill a pad in 15 minutes with bright red blood.",
            "A dark curtain has been creeping up over the bottom half of my left eye.",
            "Ma mère a fait une convulsion, là elle en fait une deuxième.",
            "My leg went cold and white below the knee and we can't find a pulse in the foot.",
        ),
    )


def test_names_left_alone_and_a_fishing_towns_words():
    # round 54 (part AC, Acadian and other francophone communities outside Québec)
    _read_by_the_rules_alone(
        not_urgent=(
            # a name is not a misspelling: "Mélanie" is not "mélangée", "Chloé" not "choke"
            "Ma fille Mélanie est partie au camp ce matin, pouvez-vous renouveler sa pompe?",
            "Last night Chloé (2) had a fever seizure, the ambulance took her and they sent her "
            "home. She's playing and eating today.",
            "Update: I went straight to the ER and they gave me epinephrine. I'm home now and fine.",
            "J'ai fait une tentative de suicide à 17 ans, je vais très bien aujourd'hui, c'est "
            "pour mon dossier.",
            "The pilot medical form has checkboxes for seizures, fainting and chest pain. I have "
            "none of those.",
            "Stung by a wasp on the ankle, it's swollen there, lips not swollen, breathing fine.",
        ),
        urgent=(
            "jambe G blanche + froide dep 2h, sens pu le pied",
            "Ate chowder with shrimp in it, my mouth's gone all thick and puffy and I'm whistling "
            "when I breathe.",
            "He came off the ladder and landed on the back of his head, he was out for about a minute.",
            "g des pilules de cachées depuis 1 mois jles prends a soir",
            "He had me by the throat and now he's yelling that I won't see the morning.",
            "Mal dans le dos depuis lundi, quand je m'essuie je sens plus rien en dessous.",
            "Our boy got into his grandpa's pill box, at least 3 pills gone, he can barely stay awake.",
            "C'est comme une ancre posée sur mon estomac, ça me pogne jusque dans les dents.",
            "I'm 84 and nothing stays down, I haven't had to pee since yesterday morning.",
        ),
    )
    # a subject naming a question's topic, the body denying it: not urgent
    _read_by_the_rules_alone(
        not_urgent=(
            (
                "Saignement enceinte",
                "Je suis enceinte de 12 semaines. Dans quels cas un saignement est-il urgent? "
                "Je n'ai aucun saignement.",
            ),
        ),
        urgent=(
            (
                "Saignement enceinte",
                "Je suis enceinte de 12 semaines. Pas de douleur mais je saigne beaucoup depuis "
                "une heure.",
            ),
        ),
    )


def test_a_cold_leg_in_plain_words_a_threat_in_text_speak_and_questions_asked_ahead():
    # round 55 (part GO, Gatineau–Ottawa, public servants and voice dictation)
    _read_by_the_rules_alone(
        not_urgent=(
            "J'étouffe dans le trafic tous les matins sur le pont, est-ce que mon rendez-vous "
            "peut être en vidéo?",
            # a febrile seizure the ER saw, the child playing today (French), and back to
            # herself with no fever since (English)
            "Mon fils a fait une convulsion avec la fièvre samedi. L'urgence nous a dit que "
            "c'était une convulsion fébrile. Il joue et mange normalement aujourd'hui.",
            "A coworker collapsed at the depot last winter (he's back driving now). Should I "
            "get my heart checked?",
        ),
        urgent=(
            "About an hour ago my left leg from the knee down got very painful. It's cold to "
            "the touch and the toes are going blue. I can't feel a pulse on my foot.",
            "The glass opened my arm, it's pumping out with every heartbeat and the towel is red "
            "right through.",
            "Generator running in the attached garage since last night, our heads are in a vice "
            "and my son keeps drifting off.",
            "mon chum y m'a pogné par le cou, jsuis barrée dans la sdb",
            "y dit kil va me tuer si j'appelle la police, il a un couteau",
            # "testicul" in French is "testicule", not the English "testicle"
            "douleur super forte au testicul gauche depuis 5h, c'est enflé",
            # warts that "partent pas" are not spots; spots that do not fade under a glass,
            # misspelled, still are
            "fievre 40, cou raid, des taches qui s'efface pas sous le vere",
        ),
    )
    # a subject that asks, a body that asks ahead of time: a question, not a fever now
    _read_by_the_rules_alone(
        not_urgent=(
            "J'ai une verrue qui part pas avec le produit de la pharmacie.",
            (
                "Fièvre chez un nouveau-né?",
                "Mon bébé a 4 semaines et va très bien. Si jamais il fait de la fièvre dans les "
                "prochaines semaines, à partir de quelle température faut-il aller à l'urgence?",
            ),
        ),
        urgent=(
            (
                "Fièvre chez un nouveau-né?",
                "Mon bébé a 4 semaines, il fait 38,6 de fièvre depuis ce matin et boit mal, on "
                "fait quoi?",
            ),
        ),
    )


def test_a_scald_a_wish_for_it_to_end_and_stories_told_for_the_record():
    # round 56 (part NC, remote northern communities and work camps)
    _read_by_the_rules_alone(
        not_urgent=(
            # a grandparent's event with the age it happened at
            "Mon grand-père a perdu la vue d'un œil d'un coup vers 70 ans. Est-ce héréditaire?",
            "I had DKA twice as a teenager, but my sugars have been great for years now. Can I "
            "get a pump?",
            "I about had a heart attack when the pharmacy said my refill was cancelled.",
            "Le dispensaire lui a donné l'épinéphrine, il est revenu à la maison ce matin et il va "
            "très bien.",
            "There was a meningitis case in the news up north. What signs should parents watch for?",
            "Samedi j'ai perdu connaissance au gym, à l'urgence électro, prises de sang, tout normal.",
        ),
        urgent=(
            # "il a 80 ans" is how old he is, not when it happened; "il y a 20 minutes" is now
            "Mon grand-père a perdu la vue d'un œil tout d'un coup il y a 20 minutes, il a 80 ans.",
            "Je veux juste que tout ça finisse. La carabine est sur mon lit, j'ai écrit des lettres "
            "pour ma mère.",
            "Ma fille de 2 ans s'est renversé de l'eau bouillante sur le ventre, il y a des grosses "
            "cloques.",
            "i found him and im going to his place to shoot him tonight",
            "She hasn't gone to the bathroom to pee since yesterday morning and even water comes "
            "right back up.",
        ),
    )
    # the subject names it, the body tells it as the wrist's nightly numbness
    _read_by_the_rules_alone(
        not_urgent=(
            (
                "Main engourdie",
                "Ma main droite s'engourdit la nuit depuis des mois, surtout le pouce. Elle la "
                "secoue et ça revient.",
            ),
        ),
        urgent=(
            (
                "Main engourdie",
                "Depuis 20 minutes ma main droite est engourdie et ma bouche tombe d'un côté.",
            ),
        ),
    )


def test_acetaminophen_too_often_a_leg_hard_as_wood_and_a_coach_who_saw_it():
    # round 57 (part AR, the performing arts in Montréal)
    _read_by_the_rules_alone(
        not_urgent=(
            # stage fright, before going on: how it always is, not now
            "I get stage fright and my chest feels tight before I go on. How do I tell a panic "
            "attack from a heart attack?",
            # a wrist that "doesn't wake me up" is not someone who cannot be woken
            "My wrist aches after training, full range, no swelling, it doesn't wake me up at night.",
            # paracetamol at a normal interval, and a flu
            "I took 2 Tylenol every 6 hours for my fever and I threw up once with this flu.",
            # a low treated, "this morning" dating how well he is now
            "Dad had a low of 2.9 yesterday, we gave him juice and 15 minutes later he was at 6.0 "
            "and back to himself. This morning he's at 7.1 and fine.",
        ),
        urgent=(
            # "q2-3h" is a dosing interval, not question 2 of a form
            "toothache so been taking 2 tylenol ES q2-3h x 4 days (~16/day) + nyquil, now "
            "nauseous and pain under R ribs",
            "J'ai pris deux Tylenol extra-fort aux deux-trois heures, environ 24 comprimés en 30 "
            "heures, là j'ai mal au cœur et mal sous les côtes à droite.",
            # "in training" is a practice, not a course
            "fell off the pole in training and hit my shin, now the lower leg is swollen and hard "
            "like wood and the pain keeps getting worse",
            "chu ds mon truck derrière le théâtre ac ma carabine. qd il sort après le show jle tue",
            "ma ptite a 6 sem, 38,6 rectal ce soir, boit moins",
            "My back's been bad since a lift, now my bum and the whole area down there feel asleep "
            "and hardly anything comes out when I pee.",
            "Le petit tube de ma pompe s'est décroché hier, mon lecteur donne même plus de chiffre "
            "et je vomis.",
            "Like someone cracked me on the back of the skull with a bat at warm-up, I've been sick "
            "twice and can't turn my neck.",
            # a coach who saw it is a witness, not a lesson
            "je suis tombée du mât chinois sur la tête à lentraînement mon coach dit que jai perdu "
            "connaissance quelques secondes depuis jai vomi trois fois",
        ),
    )


def test_a_threat_thought_out_caffeine_by_the_dozen_and_six_words_read_rightly():
    # round 58 (part TK, people who work in technology)
    _read_by_the_rules_alone(
        not_urgent=(
            # "râpe" is a scrape, a laptop's "AVC" a crash, an ear's "nothing coming out" no
            # discharge, "nothing on my lips" a negation, a foot asleep from how one sits,
            # mosquito bites that swelled where they are
            "Petite chute de vélo, j'ai juste une belle râpe au genou, nettoyée au savon.",
            "Mon laptop a fait un AVC en plein milieu de mon envoi, avez-vous reçu mon formulaire?",
            "Back from a flight with a cold, my ear feels blocked. No pain, nothing coming out.",
            "Hives on my back since we changed detergent. Nothing on my face or lips.",
            "When I sit cross-legged my right foot goes numb and tingly, it goes away when I stand.",
            "J'ai trois piqûres de maringouins sur le mollet qui ont enflé, ça me fait ça chaque été.",
        ),
        urgent=(
            "I can't stop thinking about hurting my old boss. I took my dad's rifle from the "
            "cottage on the weekend and I'm going to his place tonight.",
            "Probably fifteen caffeine pills plus energy drinks, my watch says 172 and I've thrown "
            "up twice.",
            "Hier soir elle allait très bien, mais depuis son réveil elle est toute mêlée, elle "
            "sait pas quelle année on est.",
            "Ma fille a accroché la bouilloire qui venait de bouillir, sa poitrine a des grosses "
            "bulles pleines d'eau.",
            "Le coin droit de ma bouche est descendu et mon bras droit m'obéit plus.",
            "34 sem, mal de tête, lumières qui scintillent, TA 164/110",
            "Our toddler's diaper has been bone dry since yesterday and he's like a rag doll.",
            "Allô, des pinottes dans la barre, j'ai des lèvres de canard pis la langue est enflée.",
        ),
    )


def test_fits_that_start_again_pills_gathered_and_a_fever_denied():
    # round 59 (part AF, African and Caribbean Canadian families)
    _read_by_the_rules_alone(
        not_urgent=(
            # a fever its own words deny, a bite the size of a coin, paperwork that
            # smothers, a push to buy a cuff, exam nerves, a low fixed with juice
            "Ma fille a trois semaines et elle n'a pas de fièvre, 36,8 ce matin, elle boit bien.",
            "Une piqûre de guêpe sur la main, rouge et enflée comme une pièce de un dollar.",
            "J'étouffe sous les factures ce mois-ci, est-ce que je peux payer en deux fois?",
            "Ma voisine est en réadaptation après son AVC. Ça m'a poussée à acheter un tensiomètre.",
            "J'ai le coeur qui serre quand je pense aux examens, mais je dors et je mange.",
            "Jeudi j'ai fait une hypoglycémie au marché, je tremblais, on m'a donné un jus et en "
            "cinq minutes j'étais correcte.",
        ),
        urgent=(
            "Ma femme est tombée, son corps s'est mis à sauter, elle n'est pas revenue à elle et "
            "maintenant ça recommence.",
            "ma mère tombée, tremble tt le corps, arrêté qq min ms se réveille pa, ça recommence",
            "jai rassemblé toutes mes pilules pour ce soir et jai écrit une lettre pour chacun",
            "A glass broke in my hand, blood shooting out each time my heart beats.",
            "I'm carrying my baby, 29 weeks, blood just flowing down and I changed my pad twice.",
            "my left side of my face is hanging and my words are not coming out right",
            "dpuis hier vomi et diarrhée, pa uriné dpuis ce matin, failli tomber tantôt",
            "My father woke up and he's not with us, calling me by my late uncle's name, last "
            "night he was talking normally.",
            "found my uncle on the bathroom floor, not answering me, snoring loudly",
            "My erection won't go down since 3 in the night, I have sickle cell.",
            "J'ai mangé quelque chose de la mer à la fête, ma bouche devient grosse et l'air "
            "passe mal.",
            "chest v heavy x20 mins goin down L arm n jaw",
            "La petite machine montre plus de chiffre, pu de piqûres depuis deux jours, mon "
            "souffle va vite.",
            "L'air ne rentre plus, j'ai tiré sur ma pompe bleue dix fois.",
        ),
    )


def test_a_deep_burn_a_knife_on_the_stone_and_a_faint_already_checked():
    # round 60 (part LA, Latin American and Portuguese-speaking families)
    _read_by_the_rules_alone(
        not_urgent=(
            # a faint checked and over ("I feel good today"), an attack treated ("ça va
            # beaucoup mieux, je respire normal"), a first-aid course named in the subject,
            # heartburn told as it feels, heavy legs at the end of a day standing
            "Yesterday I fainted at the bus stop, the ER checked my heart and blood, all normal. "
            "I feel good today.",
            "Je suis allée à l'urgence samedi, c'était une crise d'asthme. On m'a donné de la "
            "cortisone et ça va beaucoup mieux, je respire normal.",
            ("Choking - first aid course", "Do you have a poster about babies for our daycare?"),
            "After spicy food I get a burning in the chest going up to the throat, Tums fix it.",
            "Debout toute la journée au comptoir, le soir j'ai les jambes lourdes avec des varices.",
        ),
        urgent=(
            "La friteuse s'est renversée sur ma main, la peau est toute blanche et je la sens pas.",
            "He keeps passing the knife on the stone and says the neighbour will not see tomorrow.",
            # the person a threat names is the one at risk, not someone else's past
            "He keeps passing the knife on the stone and says my brother will not see tomorrow.",
            "Le coin de ma bouche à droite pend et mon côté droit m'écoute plus.",
            "Je me suis coupé, le sang sort comme d'un boyau d'arrosage, par petits coups.",
            "Enceinte de 34 semaines, la pression est 168 sur 112 et je vois des petites étoiles "
            "qui clignotent.",
            "He put his hands on me, also around my throat, and said this time he will finish "
            "with me.",
            "The air doesn't want to go in, I took the blue pump many times.",
            "Mum hasn't gone to pass water since yesterday, sick both ways, and her legs gave out.",
        ),
    )


def test_a_named_baby_pills_put_aside_for_weeks_and_a_snorers_pauses():
    # round 61 (part EA, East and Southeast Asian Canadian families)
    _read_by_the_rules_alone(
        not_urgent=(
            # a snorer's pauses that end by themselves, a pregnancy whose troubles are all
            # denied, an allergy treated and settled ("tout est rentré dans l'ordre"), a
            # newborn's fever long treated ("maintenant il a 3 mois"), a bruise the writer
            # says nobody made
            "Ma femme ronfle fort, des fois elle arrête de respirer quelques secondes et "
            "reprend. Pouvez-vous nous envoyer pour un test du sommeil?",
            "I'm 31 weeks pregnant and all is well: no bleeding, no cramps, baby kicks a lot.",
            "Suite à ma réaction de samedi, j'ai pris l'EpiPen et l'ambulance m'a amenée à "
            "l'hôpital, tout est rentré dans l'ordre. J'ai besoin d'un nouvel EpiPen.",
            "Ma fille a fait de la fièvre à 3 semaines de vie, elle a été hospitalisée 4 jours. "
            "Maintenant elle a 3 mois, elle boit bien. Je voudrais un rendez-vous.",
            "J'ai des bleus sur le bras après le bénévolat au comptoir alimentaire, je ne veux "
            "pas que vous pensiez que quelqu'un m'a frappée.",
        ),
        urgent=(
            # only someone's hand is denied so: a preamble that plays it down is not a denial
            "I don't want you to think I'm exaggerating, I have crushing chest pain going down "
            "my left arm for an hour.",
            "je veux pas que vous pensiez que jexagere jai une douleur dans la poitrine qui "
            "descend dans le bras gauche depuis une heure",
            # a baby named by a parent, a fever by the thermometer or the touch
            "Ici la maman de Linh, 6 semaines, elle a 38,4 ce soir et elle tète pas.",
            "papa de minh 4 sem, fièvre, dort tout le temps",
            # pills put aside for weeks are a plan, not a long-standing thing
            "J'ai gardé mes pilules pour dormir depuis deux mois, les lettres sont écrites.",
            "Depuis des semaines je mets de côté mes comprimés, et maintenant ça fait assez.",
            "heavy pressure mid chest x30min going 2 L arm + jaw, sweaty",
            "Mon ventre est comme une planche depuis midi, je reste en boule sans bouger.",
            "The blood jumps out every time my heart beats and the towel is soaked.",
            "Hot oil went all over my leg, the skin is white and I don't feel nothing there.",
            "My little one got into the pills, 6 of them are gone and now she is droopy like "
            "a rag doll.",
            "Il a sa carabine de chasse dans le char, il dit que son boss va payer pour de bon.",
        ),
    )


def test_a_barbecue_in_the_basement_a_bridge_tonight_and_stories_told_as_over():
    # round 62 (part PE, South Asian Canadian families)
    _read_by_the_rules_alone(
        not_urgent=(
            # mild, with the reason said: a lip bitten while frozen, heartburn after meals,
            # a numb thumb at the wheel, a rash from a new washing powder
            "My upper lip is swollen because I bit it after the dentist froze it.",
            "I get a burning in my chest after meals with chili, antacids settle it.",
            "Mon pouce et mon index deviennent engourdis quand je conduis longtemps.",
            "I switched to a new laundry detergent and my arms itch, no swelling of the lips.",
            # told as history or over: two relatives, a place before the date, a newborn's
            # fever long ago, a relative's drive to the ER, a patient stable and sent home
            "Mon père et son frère ont tous les deux fait des AVC vers 70 ans. Dois-je "
            "prendre de l'aspirine?",
            "Ma tante a fait un AVC à Chennai en février, elle marche avec une canne.",
            "Our daughter had a fever at 4 weeks and was admitted for two days. She is "
            "6 months now, can we book her shots?",
            "J'ai pris l'EpiPen et ma fille m'a amenée à l'urgence, tout s'est bien passé. "
            "Je vais bien maintenant.",
            "Last night the paramedics took him to the hospital, it was a seizure from a low "
            "sugar. He is stable and being discharged today.",
            "Vendredi notre fille a fait une convulsion avec la fièvre, on a appelé le 911. "
            "Maintenant elle n'a plus de fièvre et elle est comme d'habitude.",
        ),
        urgent=(
            "On a fait marcher le barbecue au charbon dans le sous-sol cette nuit, ce matin on "
            "a tous mal à la tête.",
            "Ventolin 8 times, no benefit, I can only say a few words.",
            "Dad had a sip from the wrong bottle, the drain opener, his throat is on fire.",
            "Elle saigne du nez depuis une heure, deux serviettes pleines, elle prend Eliquis.",
            "c'est fini ce soir, jvais au pont quand tout le monde dort",
            "Her diaper has been dry since breakfast and she is floppy, no tears.",
            "Je suis tombé, il y a quelque chose de blanc qui sort de la peau de mon tibia.",
            "My brother took the axe and says he will finish the neighbour tonight.",
        ),
    )


def test_a_crowbar_and_a_head_to_break_meat_stuck_and_a_dark_curtain():
    # round 63 (part MA, Arab, North African and Middle Eastern Canadian families): the two
    # emergencies both nets missed on the held-out set were a threat with a crowbar
    _read_by_the_rules_alone(
        not_urgent=(
            "Mon patron ne m'a pas payé, je vais aller le voir demain avec mon comptable.",
            "I need a new crowbar for the renovation, my back hurts from the old one.",
        ),
        urgent=(
            "Je l'attends devant chez lui avec la barre de fer, quand il sort je lui casse "
            "la tête.",
            "jsuis devant chez lui ac le pied de biche, jlui casse la tête qd il sort",
            "I'm outside his place with a tire iron, I'm going to smash his head when he "
            "comes out.",
            "A piece of chicken got stuck an hour ago, I can't swallow even my saliva.",
            "It was like a black curtain falling over my left eye, now I see only light.",
            "Grandpa slid off his chair at lunch and he is not with us, he doesn't answer at all.",
            "Papa est à 2,4 au glucomètre, il tremble et il transpire.",
            "The Ventolin 10 times and I can only say a few words.",
            "ce soir jvais sauter du pont, voulais juste ke qqn sache",
            "Since she woke up she's talking to people who aren't there.",
            "mon bébé a 6 semaines, il a 38 et demi ce soir",
        ),
    )


def test_mushrooms_from_the_woods_blood_through_the_towels_and_a_hunting_gun():
    # round 64 (part EU, Eastern European Canadian families): what the rules alone missed
    # there (the wording model caught all of it), and look-alikes they marked urgent
    _read_by_the_rules_alone(
        not_urgent=(
            "My grandmother had a seizure at the church last Christmas, she's fine now.",
            "Ma tante a fait un empoisonnement aux champignons en Pologne il y a longtemps.",
            "I had the appendicitis operation in June and I'm healed, I need a work note.",
            "Avec les travaux chez nous j'ai la tête qui explose, haha. Un rendez-vous svp?",
            "We're painting the whole place, I can't breathe in this chaos lol, can I move "
            "my appointment?",
            "Je prépare une formation pour les préposées, un module sur la confusion soudaine "
            "chez les aînés.",
            "L'école demande une fiche santé avec « convulsions, idées suicidaires », il n'a "
            "rien de ça.",
            "Les champignons du marché étaient très bons hier soir, merci pour la recette.",
        ),
        urgent=(
            "On a mangé hier soir des champignons ramassés en forêt, depuis ce matin on "
            "vomit tous les deux.",
            "we picked mushrooms in the woods saturday, since this morning diarrhea and "
            "puking nonstop",
            "Je presse avec une serviette mais le sang passe à travers, c'est la troisième.",
            "Mon lecteur affiche des lettres au lieu d'un chiffre et je vomis tout.",
            "Comme si on avait baissé un store sur mon oeil gauche, je ne vois que le bas.",
            "Something burst in my head while lifting a box, the pain is unbearable.",
            "Dad hasn't passed water since yesterday, nothing stays down, not even a sip of water.",
            "My rifle is in the car. He will pay tonight, and not with money.",
            "Mon fusil est chargé sur la table, ce serait plus simple pour tout le monde si je "
            "n'étais plus là.",
            "Ma langue a gonflé depuis la nouvelle pilule et quelque chose me serre dans la gorge.",
            "J'ai avalé un morceau de brochette trop vite et il est resté pris, même l'eau "
            "revient, je crache.",
            "Autre chose que le formulaire : un morceau de poulet est coincé, même pas ma "
            "salive ne passe.",
            "enceinte 6 sem, douleur terrible bas du ventre à D, un peu de sang, mal à l'épaule",
        ),
    )


def test_a_cleaner_drunk_by_mistake_knives_for_the_chef_and_a_bent_shin():
    # round 65 (part RS, restaurant, bar, hotel and food-service workers): what the rules
    # alone missed there (the wording model caught all of it), and a plan read into
    # medicines taken as prescribed
    _read_by_the_rules_alone(
        not_urgent=(
            "Since the stent I feel fine and I'm taking all the new pills, can I book a follow-up?",
            "I've been taking all my meds like the pharmacist said.",
            "The fence post is bent and the gate won't close, sorry I'm late for my visit.",
            "Do you give the 2-month vaccines on Saturdays? She has no fever, she feeds well.",
        ),
        urgent=(
            "I drank from a water bottle that had drain cleaner in it, my mouth burns and I "
            "keep drooling.",
            "Mon fils a bu une gorgée de dégraissant, il bave et il a vomi.",
            "J'ai mes couteaux, je vais attendre le gérant dans le stationnement pour le planter.",
            "The shotgun is loaded in the truck and after my shift I'll use it on myself.",
            "Il m'a serré la gorge avec ses mains et il dit qu'il va me tuer ce soir.",
            "One side of his face is drooping and the arm won't go up.",
            "My head went BANG while lifting crates, zero to the worst pain ever.",
            "Something is sitting on my chest like a bag of cement, going into my jaw.",
            "I threw up blood, a cupful, and now black tar-like stool and I'm dizzy.",
            "wrist bent wrong way and bone poking thru skin",
            "Pour ses vaccins de 2 mois on a rendez-vous jeudi, mais ce soir il fait 38,4 et "
            "il boit beaucoup moins.",
            "I'm taking all my pills tonight.",
            # "after my ..." told a past event only of an event, not a shift or a workout
            "After my workout I have crushing chest pain going down my left arm.",
            "Après mon quart j'ai une douleur écrasante dans la poitrine qui va dans le bras.",
        ),
    )


def test_a_bat_in_the_lot_a_shin_hard_as_wood_and_a_thermometer_that_read():
    # round 66 (part SP, sport and exercise): what the rules alone missed there (the
    # wording model caught all of it), and six false reds: a device's "read 38.4" was
    # taken for something read about, "pendant 20 minutes" for a face hanging, a
    # hospital "40 minutes" away for a fever of 40, a runner's "keep running" for
    # waters leaking
    _read_by_the_rules_alone(
        not_urgent=(
            "J'ai eu des fourmis dans le visage pendant 10 minutes après ma boisson "
            "d'avant-gym, pas d'enflure, je respire bien.",
            "La nuit, deux doigts de la main gauche engourdis, ça revient quand je la secoue.",
            "Mon père oublie des noms, ça s'est installé lentement depuis deux ans, rien de "
            "soudain.",
            "We'll be camping with our 5 week old, the hospital is 40 minutes away. What if "
            "she gets a fever?",
            "I'm 20 weeks pregnant and all is well. Can I keep running at an easy pace?",
            "Mon oncle a eu un AVC et a été traité à temps. Il est maintenant en "
            "réadaptation et récupère bien.",
        ),
        urgent=(
            "He says he'll wait for the ref in the rink parking lot with a hockey stick and "
            "make sure he never refs again.",
            "Je vais l'attendre avec mon bâton de baseball, il coachera pu jamais.",
            "Took a kick to the shin Sunday, now the calf is swollen and hard as a board, "
            "pain much worse and my toes are pale and cold.",
            "Coup de genou sur la cuisse hier, la jambe enfle, dure comme du bois, bien pire "
            "ce matin et le pied picote.",
            "thermometer in her armpit read 38.6, she's 6 wks",
            "baby theo 4 wks, temp 38.3, not feeding",
            "My husband's face slid down on one side and his arm won't stay up.",
            "Sa face a comme glissé d'un bord pis son bras veut pu rester en l'air.",
            "I scooped a heaping spoon of the pure caffeine powder, heart pounding, threw up "
            "twice.",
            "Pris une dizaine de pilules pour rester réveillé, mon cœur part en peur.",
            "Coupé par un patin, ça pisse rouge à travers, trois serviettes trempées.",
            "Elle a couru son demi-marathon, elle sait pas quel jour on est pis elle me "
            "redemande la même chose depuis une heure.",
            "Mon grand-père est tombé au sauna, je l'appelle, je le secoue, rien.",
            "Pump tubing came loose overnight, meter won't show a number, I keep throwing up.",
            "Weight cut all week, now everything's coming out both ends and I haven't peed "
            "since yesterday.",
        ),
    )


def test_a_fire_set_tonight_a_count_guessed_and_a_rope_rule_that_was_never_urgent_first():
    # round 67 (part FI, fishing and coastal families): what the rules alone missed there
    # (the wording model caught all of it). A rule of several groups marked prefer_urgent
    # was loaded without it (only single-pattern rules kept it), so "je pense le faire ce
    # soir" was read as a fear; "je pense 15 par jour" too. And six false reds: a chest that
    # hurts only when pressed, "about made my head explode", a workplace's plan for
    # collapses, a relative who "has it too now", bleeding that stopped the same day, a
    # cut that "doesn't look deep"
    _read_by_the_rules_alone(
        not_urgent=(
            "J'ai un point dans la poitrine depuis lundi, seulement quand je me tourne pour "
            "lever les boîtes.",
            "The warehouse radio all shift nearly made my head explode. Can I renew my "
            "allergy spray?",
            "I'm the safety rep at the depot and we're reviewing our procedures for a driver "
            "who collapses on the dock. Do you give training?",
            "My uncle had diabetes and went blind in one eye, and my aunt has it too now. "
            "Should I be tested?",
            "At 10 weeks I had some bleeding and went in. The scan said the baby was fine and "
            "the bleeding stopped the same day. Can you send the report?",
            "Nicked my finger on the box cutter, small cut, doesn't look deep. Is my tetanus "
            "up to date?",
        ),
        urgent=(
            "J'ai mis une corde dans le garage. Je pense le faire cette nuit.",
            "La corde est prête au sous-sol. Cette nuit, quand tout le monde dort, je vais "
            "le faire.",
            "He's drunk in his car outside his ex's place with a jerry can, says he'll burn "
            "her house down tonight.",
            "Je vais mettre le feu chez lui cette nuit, j'ai l'essence dans le char.",
            "J'ai ce qu'il faut dans le coffre pour une belle flambée, ce soir il va me le payer.",
            "Took about 14 regular Tylenol a day since Friday for my back, now nauseous and "
            "sore under my right ribs.",
            "J'avale des pilules blanches pour la douleur, je pense 14 chaque jour depuis "
            "quatre jours, j'ai vomi ce matin.",
            "Cut my hand on a pallet nail, there's a red streak running up to my elbow, 39.4 "
            "and shaking.",
            "Ligne rouge qui remonte le bras depuis la coupure, 39,2, je grelotte.",
            "Hurt my back lifting a case Monday. Since this morning I can't feel anything "
            "when I wipe.",
            "Mes pompes, je les prends aux 15 minutes, ça donne rien, je dis deux mots pis "
            "je suis à bout.",
            "L'air rentre pas, ma pompe bleue fait rien, mes lèvres sont grises.",
        ),
    )


def test_a_car_aimed_at_a_pillar_pinpoint_pupils_and_a_year_that_is_the_confusion():
    # round 68 (part WH, warehouse, delivery and gig workers): what the rules alone missed
    # there (the wording model caught all of it): a vehicle driven into a pillar on purpose,
    # eleven euphemisms, and "elle pense qu'on est en 1985" read as a story from 1985. And
    # eleven false reds, among them a "scanner gun", "fever-free", a cough's chest, a form's
    # checkboxes, "makes my head explode", a son "sorti de l'hôpital hier"
    _read_by_the_rules_alone(
        not_urgent=(
            "My wrist is sore from squeezing the scanner gun all shift. Could I get a brace?",
            "She had a fever last week, she's 8 weeks now and fever-free since Monday.",
            "Un peu de serrement dans la poitrine quand je tousse avec mon rhume, pas de fièvre.",
            "The insurance form has checkboxes for chest pain, seizures and head injury. None "
            "apply. Can you sign it?",
            "Traffic on the 15 makes my head explode every morning. Can I move my appointment?",
            "Ma fille est sortie de l'hôpital hier, c'était une acidocétose. Elle va bien, il "
            "lui faut des bandelettes.",
            "I'm all confused with my new pill schedule since I went on nights. Morning or "
            "evening for the blood pressure one?",
            "My cousin overdosed two years ago, she's in a recovery program now and doing "
            "well. Where can I get a naloxone kit?",
        ),
        urgent=(
            "Lost my job and my truck payments are behind. Tonight I'm going to drive into "
            "the bridge abutment on the 20, I've decided.",
            "Ce soir je fonce dans le mur du viaduc avec le char, j'ai choisi l'endroit.",
            "Mon père pense qu'on est en 1979, il me reconnaît pas, hier il allait bien.",
            "The pain started by my belly button and now it's low on the right, every bump in "
            "the road is a knife, 38.4 and I threw up.",
            "Ma batterie a pris feu dans le garage, j'ai perdu mes sourcils et je crache noir.",
            "Woke up with my left ball pulled up higher than the other, hurts like hell, threw up.",
            "Je suis enceinte de 6 semaines, ça tire en bas à gauche et j'ai mal à l'épaule, "
            "j'ai vu tout noir.",
            "He took pain pills off a guy from work, now his pupils are tiny and he's "
            "breathing so slowly.",
            "Three towels gone through already and it's pumping from the cut on my leg.",
            "My dad's rifle is out of the case and he says he'll settle it for good with the "
            "neighbour tonight.",
            "Quelque chose de pesant au milieu depuis une heure, ça descend dans le bras "
            "gauche, je sue.",
            "Ça serre dans le fond de la gorge depuis la nouvelle pilule, mes lèvres sont enflées.",
            "Puffer every few minutes, I can't get a sentence out and my lips are a weird colour.",
            # a cough's chest is set aside, blood brought up by the cough is not
            "J'ai du sang rouge quand je tousse, ça arrête pas, je suis étourdi.",
        ),
    )


def test_oil_shot_into_a_finger_a_freight_train_and_a_loaded_12_behind_the_seat():
    # round 69 (part SY, shipyard, port, rail and steel): what the rules alone missed there
    # (the wording model caught all of it): every phrasing of hydraulic oil injected into a
    # fingertip, a train, a truck left idling in the snow, "ma 12 est chargée"; and false
    # reds: sleep "tout mélangé", epinephrine given and "sorti de l'urgence le soir même"
    _read_by_the_rules_alone(
        not_urgent=(
            "Depuis que je fais les nuits, mon horaire de sommeil est tout mélangé. Un papier "
            "pour le syndicat?",
            "J'ai fait une réaction, ils m'ont donné de l'épinéphrine et je suis sorti de "
            "l'urgence le soir même. Tout va bien.",
        ),
        urgent=(
            "A grease gun went off and shot grease into my palm an hour ago, tiny hole but "
            "the hand is swelling and going numb.",
            "Une giclée d'huile hydraulique dans le bout du pouce, le pouce est blanc et enflé.",
            "C'est décidé, après mon quart je me couche sur la voie ferrée derrière l'usine.",
            "Tonight I'm going to step in front of the 11 o'clock train, my mind is made up.",
            "We slept in the cab with the engine idling, snow all around, we both have "
            "headaches and she's hard to wake.",
            "Mon fusil de chasse est dans le truck, chargé. Demain je tire dans l'autobus des "
            "scabs.",
            "Threw up a bowl of dark red twice and my stools are black like tar, I nearly fainted.",
            "The rifle's out and it's ready. After tonight I won't be anybody's problem.",
            "Squeezing right across the front like somebody parked on me, my left arm aches.",
            "Ça ressort par en haut et par en bas, pipi, rien depuis hier, noir devant les yeux.",
            "Back hurt since Friday, and now everything down below feels asleep and my legs "
            "are like jelly.",
        ),
    )


def test_a_vets_euthanasia_solution_a_kick_to_the_head_and_an_orchards_insecticide():
    # round 70 (part ET, the Eastern Townships' farms, animals and border): what the rules
    # alone missed there (the wording model caught all of it): a vet's euthanasia solution
    # taken home to inject, an insecticide's flooding signs, a horse's kick to the head, a
    # mouth "qui part d'un bord", a loaded .303 for a neighbour; and false reds: a lip numb
    # after a filling, a muffled sound, a snorer's pauses, warm compresses, a colleague back
    # at work, a past admission, "drowning in calves"
    _read_by_the_rules_alone(
        not_urgent=(
            "Deux heures après mon plombage, j'ai encore la lèvre engourdie du côté droit. "
            "Je parle normalement. Est-ce normal?",
            "Depuis le concert j'ai le son un peu étouffé dans l'oreille gauche, pas de douleur.",
            "Mon mari dit que je ronfle et que j'arrête de respirer quelques secondes la "
            "nuit. Un test du sommeil?",
            "Mon bébé de 4 semaines tète bien; moi j'ai le sein sensible, je mets des "
            "compresses chaudes. Pas de fièvre.",
            "Il y a deux ans mon beau-frère a perdu la vue d'un œil d'un coup, il a été opéré "
            "et il est revenu travailler. Moi je n'ai rien, un examen?",
            "Our son was admitted at 5 weeks old for a fever; every test was negative and "
            "he's thriving. A follow-up visit?",
            "I'm drowning in lambs this week so I need to move Friday's visit.",
            "Mon physio m'a parlé de la queue de cheval. Quels signes devraient m'inquiéter?",
            # the dentist's work told first, with no time word after it
            "Après le dentiste j'ai la joue engourdie du côté droit.",
        ),
        urgent=(
            "I took the euthanasia solution home from the practice and I'm going to use it "
            "on myself tonight.",
            "J'ai rapporté le pentobarbital de la clinique, je vais me l'injecter ce soir.",
            "Spraying the orchard with the bug killer this morning and now my pupils are "
            "pinpoint and the spit keeps pouring out.",
            "Il a arrosé les pommiers avec l'insecticide sans masque, ses bras sautent tout "
            "seuls et il bave.",
            "The horse kicked him in the side of the head, he was out for a minute and he's "
            "thrown up twice since.",
            "Une ruade en pleine tête ce matin, j'ai vomi trois fois et je vois double.",
            "Ma mère a la bouche qui part d'un bord pis son bras est lourd comme une roche.",
            "My husband's rifle is loaded in the truck and he says he's going over there to "
            "settle it for good.",
            "He went rigid and his whole body was shaking, he never came back to himself and "
            "now it's happening again.",
            "Y'a un morceau blanc qui dépasse de la peau de mon tibia après ma chute.",
        ),
    )


def test_a_plough_driven_at_a_foreman_deep_frostbite_and_lying_down_in_the_snow():
    # round 71 (part PW, the people who keep Montréal and Laval running): what the rules alone
    # missed there (the wording model caught all of it): a machine driven over a person, deep
    # frostbite, lying down in the snow, several days of a blister pack at once, all of one's
    # insulin pens, a throat squeezed "jusqu'à ce que je voie noir"; and false reds: a body
    # asking how to recognise what its subject names, what one has heard about, "du temps", a
    # father who walks less, a child's small sips
    _read_by_the_rules_alone(
        not_urgent=(
            ("Méningite", "Bonjour, quels sont les signes à surveiller chez un enfant de 4 ans?"),
            "J'ai entendu parler de taches qui partent pas sous un verre. C'est quoi au juste?",
            "La gastro est finie mais ça prend du temps à revenir, les selles sont encore molles.",
            "Mon grand-père de 85 ans sort moins à cause de la glace, il bouge moins. Une "
            "physio à domicile?",
            "Ma fille boit son Pedialyte par petites gorgées depuis ce matin et fait pipi, "
            "pas de fièvre.",
        ),
        urgent=(
            "Ce soir quand il sort du garage je vais lui passer dessus avec la souffleuse, "
            "personne va rien voir.",
            "I'm going to run him over with the loader tonight in the yard, nobody will see "
            "it in the snow.",
            "Three hours outside at minus 28 waiting for the tow, my toes are white and hard "
            "like wax and now there are blisters full of blood.",
            "Ce soir je bois la bouteille et je vais me coucher dans la neige derrière le "
            "garage, je me relèverai pas.",
            "Ma mère a pris les pilules de quatre jours de son pilulier d'un coup ce matin, "
            "elle est toute molle.",
            "He texted that he will inject all of his insulin tonight, he doesn't want to be "
            "here anymore.",
            "Hier il m'a serré le cou jusqu'à ce que je voie noir et il a dit qu'il va finir "
            "ce qu'il a commencé.",
            "My arm just quit on me at my desk and my face looks crooked in the mirror.",
            "I threw up twice and it was red, like the bottom of the coffee pot, and my poop "
            "is black like tar.",
            "Enceinte de 32 semaines, depuis hier elle bouge presque plus.",
            # (once read only as a pregnancy's "elle bouge pas")
            "Mon oncle est à terre dans le garage, il bouge pas pis il réagit à rien.",
        ),
    )


def test_a_trampoline_forearm_bent_with_a_cold_hand_and_other_suburban_emergencies():
    # round 72 (part CP, teachers, daycare educators and young families of the suburbs): what
    # the rules alone missed there (the wording model caught all of it): a forearm bent at an
    # odd angle with the hand pale, cold or numb; "wasn't with us" after a fall on the head;
    # a suicide decided, told by a sister; "arrêter tout ça pour de bon"; vape liquid in a
    # toddler's mouth; "the weed ones"; an ambush in a parking lot; a toddler's soft spot sunk
    # in; a thunderclap headache during a swimming class; and false reds: a negated numbness
    # across a run-on sentence, an idiom each, a late husband's brother, "pas de mal dans la
    # poitrine ni dans le bras", five years since an attempt, bleeding gums, a form's sections
    _read_by_the_rules_alone(
        not_urgent=(
            "Pour mon mal de dos, je vous confirme que je n'ai aucun engourdissement entre "
            "les jambes et que j'urine normalement.",
            "My head is exploding with grading and meetings, can we move my physical?",
            "Le trafic sur le pont ce matin m'a donné une crise cardiaque, je serai en retard.",
            "My late husband's brother had seizures as a young man. Should my grandson be tested?",
            "J'ai mal à la mâchoire quand je mâche. Pas de mal dans la poitrine ni dans le bras.",
            "It's been six years since my suicide attempt and I'm doing well; I'd like a new "
            "psychologist.",
            "Mes gencives saignent un peu quand je passe la soie dentaire depuis que je suis "
            "enceinte.",
            "The daycare form's sections are anaphylaxis, asthma and seizures; she has none.",
        ),
        urgent=(
            "Il est tombé du trampoline, son avant-bras est plié dans un angle pas normal et "
            "sa main est froide et blanche.",
            "She fell off the monkey bars, her wrist is bent at a weird angle and she can't "
            "feel her fingers.",
            "He landed on the back of his head off the trampoline, wasn't with us for a bit, "
            "and has been sick to his stomach twice.",
            "My brother texted that he has decided to kill himself tonight.",
            "Je me suis encore fait mal ce soir, cette nuit je vais arrêter tout ça pour de bon.",
            "La petite a mis la bouteille de jus pour ma vape dans sa bouche, elle a renvoyé "
            "deux fois et elle bave.",
            'Our 3-year-old got into his dad\'s "adult" candies, the weed ones, and now he '
            "is like a rag doll.",
            "Tomorrow I'll be waiting in my truck and he's not walking out of there alive.",
            "Her diaper is dry since last night and the soft part on top of her head goes in. "
            "She is like a rag, hard to make her wake.",
            "Pendant mon cours de natation, mal de tête d'un coup, le pire de ma vie, j'ai vomi.",
        ),
    )


def test_a_period_soaking_a_pad_an_hour_a_hammer_for_the_neighbour_and_a_ferry_with_no_return():
    # round 73 (part SV, the people who serve customers in Québec City and Lévis): what the
    # rules alone missed there (the wording model caught all of it): a period soaking a pad
    # within the hour with clots or a faint; "le faire taire pour de bon" with a hammer; a
    # pressure and a pulse both very low; "like a thing broke in there"; a ferry with no trip
    # back; a sugar meter that reads too high with vomiting; a child and false-nail remover;
    # "1h ago" before a cold, pale hand; a jump from a ferry; and false reds: relatives who
    # "both had" it, "pas de pipi au lit", "no peeing all the time", legs heavy in the evening,
    # people one meets at work who talk of self-harm, what it "turned out" to be once treated
    _read_by_the_rules_alone(
        not_urgent=(
            "My mother and my aunt both had strokes, so I check my pressure every week.",
            "Mes enfants vont bien, pas de soif, pas de pipi au lit. Un test de dépistage?",
            "My sugars are 9 this week. I feel fine, no thirst, no peeing all the time.",
            "Après la journée à la caisse, les jambes sont lourdes le soir. Des bas de "
            "compression?",
            "Au centre d'achats on croise des clients en crise, agressifs ou qui parlent de se "
            "faire du mal. Une formation?",
            "Finalement c'était l'appendicite, j'ai été opéré et ça va bien. Un billet?",
        ),
        urgent=(
            "My period: I soak a night pad and a super tampon in less than one hour, and "
            "there are clots big as a plum.",
            "Il a dit qu'il allait le faire taire pour de bon et il a pris le marteau.",
            "The little machine shows 78 over 45 and my heart at 38. I'm cold and weak.",
            "One hour ago I was turning the mattress and bang, something in the back of my "
            "head, like a thing broke in there. In two seconds it was as bad as it can be. My "
            "neck is hard.",
            "Je voulais vous saluer une dernière fois. Ce soir je prends le bateau et je vais "
            "rester dans l'eau.",
            "Mon tube de pompe était décollé à matin. Mon appareil pour le sucre veut juste plus "
            "me donner de chiffre, il dit que c'est trop haut. Je renvoie tout depuis le matin.",
            "My pens ran out two days ago. My number on the machine is at 31 today and I've "
            "been bringing everything back up since last night.",
            "Ma petite de 2 ans a goûté au dissolvant pour les ongles, elle a renvoyé deux fois.",
            "1h ago my hand got stuck in the baler, fingers pale and cold, cant move them.",
            "Ce soir je prends le dernier traversier et je saute au milieu du fleuve, je n'en "
            "peux plus.",
        ),
    )


def test_a_shock_on_a_line_the_thin_ice_a_splitting_maul_and_a_tearing_belly():
    # round 74 (part SL, the smelters, dams and forests of Saguenay–Lac-Saint-Jean): what the
    # rules alone missed there (the wording model caught all of it): a shock on a power line
    # with a skipping heart or a weak arm; a walk to the thin ice with no coming back; "if it
    # got bad its bad" before a loaded rifle; a maul and a threat to smash a head in; a tearing
    # pain from the belly to the back; a blow that knocked someone out, then vomiting and
    # drowsiness; a second seizure before waking; torch fuel swallowed by a child; a heater
    # left on all night in a closed hut; seafood, then a swollen mouth and a changed voice; a
    # weight in the middle that pulls into the left arm; a bleed through the towels despite
    # pressure; and false reds: a co-worker's suicide ("chum de travail"), "never ... again",
    # "hypothétique" and the surname Tremblay read as a low sugar, swelling denied, a faint at
    # a blood draw, bites that swell the ankles, the poison number, a blocked nose, a chest
    # wall that hurts when pressed
    _read_by_the_rules_alone(
        not_urgent=(
            "Mon chum de travail s'est enlevé la vie au printemps. Je dors mal, pas d'idées "
            "noires. Une référence pour le deuil?",
            "My grandfather had a stroke in the 90s and he never talked again. What lowers "
            "my risk?",
            "Question hypothétique : et si je perdais connaissance au volant un jour? Signé "
            "Guy Tremblay.",
            "Quand je mange une pomme crue la bouche pique. Mes lèvres enflent pas, ma "
            "gorge est correcte, je respire bien.",
            "When they took my blood this morning I got lightheaded and almost fainted, "
            "fine after 5 minutes.",
            "Les mouches noires m'ont piquée, mes chevilles sont enflées et ça gratte. Je "
            "respire bien.",
            "We go to the chalet with the grandkids. Is there a poison number we should put "
            "on the fridge?",
            "My nose is so stuffy at night I can't breathe through it. Nasal spray?",
            "My chest hurts on the right since I carried the anodes, it hurts when I twist "
            "or press on the ribs.",
        ),
        urgent=(
            "Kev ici, choc sur une ligne y a 2h ds un poteau, brûlure paume droite, bras "
            "droit picote/faible.",
            "Ce soir je vais marcher sur le lac jusqu'à la glace mince et je reviendrai pas.",
            "dr said to write if it got bad its bad rifle loaded on the table told my "
            "brother to take the dog im doing it tonight",
            "I'm in my truck outside his house with the splitting maul. When he comes out "
            "I'm going to smash his head in.",
            "Sudden terrible pain in my belly an hour ago, going through to my back like "
            "tearing. Cold sweat, white as a sheet.",
            "A branch fell on my helmet yesterday and knocked me out. Today I threw up "
            "three times and can't stay awake.",
            "My husband never had a seisure before. 15 minutes ago he had one, he never "
            "woke up and now hes having another one, his arm keeps jerking.",
            "My 2-year-old took a swallow of the torch refill, he is coughing and his "
            "breathing is quick.",
            "On a dormi dans la cabane avec la chaufferette allumée toute la nuit, tout "
            "fermé. À matin la tête nous bat et Luc, on a de la misère à le garder "
            "réveillé.",
            "J'ai mangé des crevettes au souper, ma bouche et mes yeux sont gros et ma voix "
            "est drôle.",
            "Après le toit, comme un poids en plein milieu qui tire dans le bras gauche, je "
            "suis tout mouillé.",
            "La scie m'a accroché la cuisse, les serviettes suffisent pas et ça continue de "
            "couler.",
        ),
    )


def test_a_plan_to_wait_and_kill_pills_for_tonight_methotrexate_daily_and_a_newborn():
    # round 75 (part MC, the people who answer emergencies and keep order in the Mauricie):
    # what the rules alone missed there (the wording model caught all of it): a plan to wait
    # for someone "et le tuer", the killing told after the waiting; a loaded crossbow; pills to
    # take all at once tonight; a pet and passwords handed over, "im done"; methotrexate taken
    # daily; lost on the way home with a fever; a blackout with a racing heart; a cast, then
    # breathlessness; a saddle "asleep" after "what's a bit odd is"; a bitten tongue and the
    # bladder let go after spasms; hands around the neck until it went dark; a baby's gastro
    # with no wet diaper; a baby days old with a fever; a pain that moved low on the right;
    # iron tablets missing from the jar; a heaviness behind the breastbone; buckwheat, then a
    # puffy mouth; and false reds: a headache's signs denied one by one, what a first-aid
    # course covered, a service's naloxone, a student's exam, snoring with pauses
    _read_by_the_rules_alone(
        not_urgent=(
            "Ce n'est pas le pire mal de tête de ma vie, ce n'est pas arrivé d'un coup. Pas "
            "de fièvre.",
            "J'ai fait mon cours de secourisme. On a vu quoi faire pour un étouffement, une "
            "crise d'asthme et l'anaphylaxie.",
            "Our fire service now carries naloxone spray for overdoses. Do we need a note?",
            "For my nursing exam I'm studying stroke signs. Is your poster available?",
            "Ma femme dit que je ronfle comme un moteur de souffleuse et que des fois "
            "j'arrête de respirer quelques secondes la nuit. Je suis fatigué le jour.",
        ),
        urgent=(
            "Le gars sort du garage à 7 h. Demain matin je vais l'attendre et le tuer.",
            "J'ai chargé mon arbalète et elle est dans mon pick-up, pour le gars qui a "
            "agressé ma fille.",
            "J'ai les pilules de morphine de mon père. J'ai décidé de toutes les prendre ce "
            "soir après mon quart.",
            "tonite after my wife leaves im done. will written, dog w my bro",
            "I took my methotrexate every morning for 8 days instead of once a week. Mouth "
            "full of sores, fever.",
            "Since yesterday a fever of 38.9. Today I got lost driving home and I don't "
            "know what day it is.",
            "He went down on the gangway, didn't respond to us for a minute. When he came "
            "to his heart was racing and skipping.",
            "Two weeks in the cast. Since this morning I couldn't get my wind back, there's "
            "a stitch when I take a deep breath, my watch shows 124.",
            "My back is still sore. What's a bit odd is that since this morning the area "
            "where you'd sit on a bike saddle feels like it's asleep. Nothing much has come "
            "out when I go.",
            "Ma femme dit que j'ai eu des spasmes, les yeux vers le haut. J'ai la langue "
            "amochée et un accident de vessie.",
            "Hier ses mains se sont retrouvées autour de mon cou, tout est devenu noir "
            "quelques secondes.",
            "Zoé 11 mois gastro depuis dimanche. Derniere couche mouiller hier 22h, "
            "fontanel creuse, toute molle.",
            "bb nathan 19 jrs 38,3 rectal dur a reveiller",
            "Un inconfort au milieu du ventre qui s'est déplacé cette nuit vers le bas, "
            "côté droit. J'ai 38,4 et mon repas est ressorti deux fois.",
            "Léo a ouvert mon pot de sulfate ferreux 300 mg sur le comptoir et il en manque "
            "à peu près 20. À 16 h il a vomi deux fois.",
            "Since 6:40 a heaviness behind the breastbone going into my jaw and left arm, clammy.",
            "Après une galette de sarrasin, la bouche et les yeux bouffis et la voix qui accroche.",
        ),
    )


def test_an_oxygen_reading_a_jar_of_drain_cleaner_the_same_questions_and_a_low_sugar():
    # round 76 (part DT, downtown Montréal's offices): what the app missed there (a clot after a
    # flight from Singapore, "O2 88%": no rule read an oxygen saturation) and what the rules
    # alone missed: drain cleaner meant for a face; the same questions every few minutes; a low
    # sugar given as bare figures after insulin or gliclazide; one side of the face gone
    # "paresseux" with words chewed; bleeding after a tonsil operation; waters broken at 32
    # weeks; a detergent packet bitten; a belly stiff as a plank; "doing it 2nite" with
    # e-mails scheduled; a gastro where even water does not stay down; "wasn't with it for a
    # few seconds" then vomiting; shaking for minutes with a bitten tongue; and false reds:
    # blind from glaucoma, "drowning at work", an anaphylaxis told "enfant,"
    _read_by_the_rules_alone(
        not_urgent=(
            "Mon grand-père est devenu aveugle d'un glaucome. J'ai 45 ans, un examen de la vue?",
            "I'm drowning at work and my head is about to explode, but I want to start "
            "running. A checkup?",
            "Enfant, j'ai fait une réaction anaphylactique aux arachides. Mon EpiPen "
            "expire, deux nouveaux?",
        ),
        urgent=(
            "back frm SG sat nite. SOB since am, stopped 3x walking. O2 88% HR 124 on watch.",
            "My watch is showing 88 for the oxygen thing and 124 for the heart rate.",
            "i filled a jar with drain cleaner its in my truck tomorrow at 7 im throwing it "
            "in his face",
            "Depuis 13 h il me pose les mêmes questions aux deux ou trois minutes et il ne "
            "se souvient pas de sa matinée.",
            "8u humalog à 19h, souper jamais arrivé. 21h10 = 2,3. 2 jus. 21h25 = 2,6, "
            "tremble, trempé.",
            "En réunion, ils m'ont fait remarquer que j'avais le côté gauche de la figure "
            "un peu « paresseux » et que je mâchais mes mots.",
            "On m'a enlevé les amygdales il y a 8 jours et je crache pas mal de rouge, un "
            "demi-verre en 20 minutes.",
            "Je suis à 32 semaines, j'ai eu une fuite de beaucoup d'eau claire d'un coup et "
            "ça continue.",
            "Léo had a taste of one of those little soap packets, he coughed and gagged and "
            "is very sleepy.",
            "Something grabbed me high under the ribs and now the whole belly is stiff as a plank.",
            "doing it 2nite after i drop sam. emails sched fri 8am 2 my bro. got what i need",
            "Even water doesn't stay put with this bug, and I haven't needed to pee since "
            "yesterday. I'm wobbly.",
            "I walked into a beam yesterday. The guard says I wasn't with it for a few "
            "seconds. Today I brought my breakfast back up three times.",
            "On the train I was shaking for about three minutes, I bit my tongue and had an "
            "accident in my pants.",
        ),
    )


def test_an_oxygen_reading_below_90_is_urgent_unless_it_is_the_usual_or_a_plan():
    # round 76: a saturation below 90% is urgent, 90-92% the same day; someone's usual low
    # (lung disease, home oxygen) is the same day at most, and "if it drops into the 80s" is a
    # plan, not a reading
    def priority(text: str) -> Priority:
        return triage("", text, RULES).priority

    assert priority("My oxygen is at 86% this morning and I'm short of breath.") is Priority.URGENT
    assert priority("Mon saturomètre affiche 87 % depuis ce matin.") is Priority.URGENT
    assert priority("My oximeter says 91% today.") is Priority.SAME_DAY
    assert priority("My oxygen is 97% and I feel fine.") is not Priority.URGENT
    usual = "Mon saturomètre indique 89 % le matin avec mes 2 litres d'oxygène, c'est ma cible."
    assert priority(usual) is not Priority.URGENT
    plan = "If my oxygen reading drops into the 80s while I'm shopping, what should I do?"
    assert priority(plan) is not Priority.URGENT
    assert priority("Last year in hospital my oxygen was 85%.") is not Priority.URGENT
    copd = "J'ai la MPOC, ma base est 90 %, mais ce matin l'oxymètre affiche 84 %."
    assert priority(copd) is Priority.URGENT  # below even a lung patient's target
    breasts = "Is it normal to leak a bit of yellowy fluid from my breasts at 32 weeks?"
    assert priority(breasts) is not Priority.URGENT


def test_a_bath_for_a_newborn_a_parking_garage_roof_colchicine_and_no_stool_or_gas():
    # round 77 (part FP, food processing and factories of Centre-du-Québec): what the rules
    # alone missed there (the wording model caught all but one): a mother who hears a voice and
    # fills the bath for her baby; a plan to jump from a parking garage's roof; fourteen
    # colchicine tablets; no stool and no gas with vomiting; an eye gone black with weeks of a
    # temple and jaw ache; an afternoon's confusion after a normal lunch; two seizures with no
    # waking between, or the epilepsy pills run out; "il va finir la job" told with its "si";
    # a walk into the water at a dam; "jveux pu vivre"; a blackout with a gastro; a key fob's
    # battery and a drooling toddler; a varicose vein that let go; a Benadryl dare; a pupil
    # bigger after a box to the head; a glucose over 30 read from "la machine" with drowsiness
    # or thirst; and false reds: haemorrhoids "depuis ma grossesse", a cut at the "deboning" line
    _read_by_the_rules_alone(
        not_urgent=(
            "J'ai des hémorroïdes depuis ma grossesse et j'ai vu un peu de sang rouge sur le "
            "papier. Une crème?",
            "I nicked my finger, a small cut at the deboning line. Is my tetanus shot up to date?",
        ),
        urgent=(
            "Mon père allait bien au dîner. Depuis 13 h il ne reconnaît plus la maison et il "
            "demande sa mère, décédée en 1980.",
            "Mom was sharp as a tack at lunch. Since about 2 she keeps asking where her late "
            "husband is.",
            "Il a fait deux crises ce matin et entre les deux il ne s'est pas vraiment réveillé.",
            "Plus de Tegretol depuis trois jours et ce matin il a eu une crise, il s'est mordu la "
            "langue.",
            "Il m'a dit que si je partais chez ma mère il allait finir la job.",
            "Après mon quart je vais aller au barrage et je vais rentrer dans l'eau. J'en peux "
            "plus.",
            "jveux pu vivre",
            "Diarrhée liquide depuis deux jours, ce matin tout est devenu noir et je me suis "
            "retrouvé par terre, mon cœur cogne.",
            "The battery from the car key remote is missing, I think my son swallowed it, now he "
            "drools and coughs.",
            "Tonight I will climb to the top of the parking garage and jump.",
            "I took my old colchicine one an hour, 12 tablets, and now I'm vomiting with diarrhea.",
            "One of the old veins on my left shin let go and it keeps seeping through the cloth, "
            "I'm woozy.",
            "Ma conjointe entend une voix qui dit que le bébé doit retourner à Dieu, elle a fait "
            "couler le bain pour lui.",
            "Pas de gaz ni de selles depuis samedi et j'ai vomi trois fois.",
            "A new ache at my temple for two weeks, my jaw hurts when I chew, and this morning my "
            "left eye went black.",
            "Mon ado a pris 10 Benadryl pour un défi, il parle à du monde qui est pas là.",
            "Kevin a mangé une boîte sur le coco hier; Jessica dit que sa pupille gauche est plus "
            "grosse que l'autre.",
            "Le glucomètre dit 31,5 depuis ce matin, il dort tout le temps et on a de la misère à "
            "le garder réveillé.",
            "Mon sucre est haut, la machine dit 33,2, j'ai soif tout le temps et la bouche comme "
            "du carton.",
        ),
    )


def test_a_one_way_flight_a_truck_for_the_hr_manager_hydrofluoric_acid_and_a_red_toilet():
    # round 78 (part AE, aviation and aerospace of Mirabel, Saint-Laurent and Dorval): what the
    # app missed there (a pilot's plan to fly a club's Cessna out and not come back, in English
    # and in French) and what the rules alone missed: a plan to run down the HR manager with a
    # truck; hydrofluoric acid on the fingertips, then a tingling mouth; a toilet red with clots
    # and a faint; a headache during sex; a meter at "HI" in French; diving, then a flight; an
    # early pregnancy with pain at the shoulder tip; a grey curtain rising; two seizures in a
    # morning; a knock to the head, "a little nap", then vomiting; twelve puffs and grey lips;
    # pain "down there" with a side sitting higher; lips gone "fat"; talking to people who are
    # not there; a mouth that "fait la baboune"; a knife to the neck; a baby's fever told with
    # the hour; a low pressure read from a cuff, with a fever; and false reds: "depuis ma
    # deuxième grossesse", a signature "Mélanie Dorais" read as "mêlée", a first-aid kit, a
    # crew's training, "quand un passager a une douleur", "s'il devient soudainement confus"
    _read_by_the_rules_alone(
        not_urgent=(
            "J'ai des hémorroïdes connues depuis ma deuxième grossesse et un peu de sang rouge "
            "sur le papier. Une crème?",
            "Hi, my daughter is 6 months old and today she is drooling a lot. Teeth?\nMélanie "
            "Dorais",
            "On refait la trousse de premiers soins : garrot pour les hémorragies, couverture. "
            "Un EpiPen général?",
            "I'm doing my recurrent training next month. We review medical emergencies on board "
            "like seizures, fainting and chest pain.",
            "On révise notre procédure : quand un passager a une douleur à la poitrine, on sort "
            "l'aspirine.",
            "Mon père commence l'Alzheimer. Qu'est-ce que je devrais faire s'il devient "
            "soudainement plus confus en voyage?",
        ),
        urgent=(
            "I booked the club's Cessna for Sunday and I'll fly out over the river and never "
            "come back.",
            "J'ai réservé l'avion du club, un aller simple vers le nord. Je dors plus depuis la "
            "séparation.",
            "Tomorrow at 5 I'll wait in the lot and run down Marc from HR with my pickup.",
            "J'ai frotté le lavabo avec un antirouille à l'acide fluorhydrique et là ça picote "
            "autour de la bouche.",
            "Trois fois du sang rouge avec des caillots dans la toilette depuis ce matin et je "
            "suis étourdi.",
            "Pendant qu'on faisait l'amour j'ai eu une douleur explosive derrière la tête.",
            "Mon glucomètre écrit HI depuis hier soir, je prends de la prednisone.",
            "Deux plongées hier à Cuba, puis le vol du retour; ce matin mes épaules ont une "
            "douleur profonde et ma peau est marbrée.",
            "Enceinte de 6 semaines, j'ai mal au bout de l'épaule droite et j'ai failli tomber "
            "dans la toilette, je suis pâle.",
            "ce matin rideau gris en bas, monte depuis 1h, pas mal",
            "2 seizures this am, first one in bed, second on the bathroom floor.",
            "Came down on the back of my noggin on the hangar floor. The guys say I had a "
            "little nap for a minute. I've brought up my breakfast 3 times.",
            "The blue puffer isn't really touching it, I'm at 12 puffs. The guys say my lips "
            "are a funny colour.",
            "A really bad pain in my private area, left side, out of nowhere. The left side is "
            "sitting higher up than the right and puffy.",
            "My lips feel a bit fat and my tongue too, and there's a sort of lump in my throat.",
            "Ma mère parle avec du monde que je ne vois pas depuis hier soir, elle fait 38,4.",
            "J'ai senti que ma bouche faisait la baboune d'un côté, et mon bras droit s'est "
            "endormi d'un coup.",
            "He held the knife against my neck last night.",
            "My daughter is 6 weeks old. She had 38.4 rectally at 3 a.m.",
            "The cuff says 84/50 and I have a fever of 39.6 with shivers.",
        ),
    )


def test_a_tug_and_a_quay_fentanyl_patches_an_eye_gone_black_and_a_late_wifes_pills():
    # round 79 (part SW, heavy industry and the river of Sorel-Tracy, Bécancour and Valleyfield):
    # what the rules alone missed there (the wording model caught all of it): a plan to crush a
    # brother-in-law between a tug's hull and the quay; fentanyl patches piled up; an eye gone
    # black in a second; "je ne verrais pas le matin"; a baby's 38 4 "rectal" without
    # punctuation; a car running in a closed garage, told in pieces; heat stroke; a late wife's
    # hydromorphone tonight; wintergreen oil; a first seizure told in short; an aneurysm's
    # sudden pain; blue lips and pauses mid-sentence; food stuck and the spit coming back; a
    # quiet baby at 35 weeks after the cold drink; "parti une minute" after a rock; a blackout
    # in the shower after days of vomiting; a belly gone hard at 33 weeks (caught until now only
    # because "tout le temps" was read as a temperature); "worst hedache" (the lemma view read
    # "worst" as "bad": it now keeps it); and false reds: "un mal de tête en bande", "tout le temps" as a
    # temperature
    _read_by_the_rules_alone(
        not_urgent=(
            "J'ai souvent un mal de tête en bande à la fin de mes quarts de 12 heures. Mes "
            "lunettes?",
            "Pied d'athlète qui revient tout le temps, la crème marche 2 semaines pis ça "
            "recommence.",
        ),
        urgent=(
            "Demain quand on accoste je vais le coincer entre la coque et le quai. Il n'en "
            "sortira pas.",
            "Took my shot after the night shift and fell asleep; the little machine said 1.9, "
            "I'm clammy and wobbly.",
            "Grandpa has 3 fentanyl patches on, the old ones never came off, and he is "
            "breathing slowly.",
            "My right arm just went to sleep on me and won't do what it's told. Don says my "
            "face looks a bit lopsided on the right.",
            "My left eye went completely black at breakfast, in one second, and now only light "
            "and dark.",
            "Il m'a dit que je ne verrais pas le matin.",
            "mon bebe leo a 9 semaines il a 38 5 rectal ce matin",
            "I'm writing from my car in the closed garage, the engine's been running about ten "
            "minutes. I'm getting dizzy.",
            "After a day at the furnace he's hot, red, dry skin, 40.2, and he calls me by the "
            "wrong name.",
            "Ce soir après le souper je vais prendre les comprimés de morphine de ma femme.",
            "Mila (2 ans) a goûté à la petite bouteille d'huile de gaulthérie de son père.",
            "convulsion 6h ds lit ~3min, langue mordue, uriné. 1ere fois. 9h la: mal tete ++, "
            "mêlée",
            "Vous connaissez ma bosse sur le gros vaisseau. Depuis 10 h un mal de ventre arrivé "
            "d'un coup qui me traverse jusque dans les reins.",
            "Je fais des pauses au milieu de mes phrases. Les gars disent que j'ai les lèvres "
            "d'une drôle de couleur, un peu bleutées.",
            "Some pork is sitting low in my chest and does not want to go further. Everything I "
            "drink comes back up, also my spit.",
            "35 weeks. The baby has been very calm since yesterday evening. I tried a cold "
            "drink and lying on my left side for an hour.",
            "Il s'est accroché la tête sur une roche, il a été parti une minute, et il a "
            "renvoyé trois fois.",
            "Depuis trois jours rien ne reste. Ce matin je me suis retrouvée assise par terre "
            "dans la douche. Mon cœur court tout seul.",
            "Je suis à 33 semaines, j'ai mal au ventre sans arrêt, pas comme des vagues, et ma "
            "bedaine est toute raide. Un peu de foncé dans ma culotte.",
            "nicole here. worst hedache of my life, hit full force in a second, puked twice",
        ),
    )


def test_a_balcony_tonight_lithium_doubled_a_red_eye_with_halos_and_a_pillow():
    # round 80 (part LV, shops and services of Laval and Terrebonne, round 79's blind set): what
    # the app missed there (a jump from a 14th-floor balcony tonight, "the stuff i ordered online
    # 2 end it", a slicer's cut soaking cloth after cloth, a low sugar going down again after
    # juice) and what the rules alone missed: a sudden stabbing pain low on one side; "next time
    # I won't get up"; rainbow halos and a red eye; waking not knowing where she is; lithium
    # doubled during a gastro; a pillow for a husband's face; "pas mal bouffie" ("pas mal" is
    # "quite"); a low placenta and bleeding; a fever after chemotherapy; an ileostomy's bag every
    # hour; numb "en dessous" as after a bike; a leg swollen, then breathless; homemade vodka and
    # snowy eyes; a toddler's bump, then vomiting; pink foam; a baby of 27 days; and false reds:
    # a signature "Mélanie, maman de ...", a chest that hurts when the arm moves or it is pressed
    _read_by_the_rules_alone(
        not_urgent=(
            "Allo, mon fils a l'œil rouge depuis hier, il voit bien. Un rendez-vous?\nMélanie, "
            "maman de Léo Tremblay",
            "New deadlift program since Monday and my chest hurts when I move my arm or press "
            "on the spot.",
        ),
        urgent=(
            "J'ai décidé de sauter de mon balcon au 12e ce soir après mon quart.",
            "jsaute du balcon 9e a soir. dsl",
            "the stuff i ordered online 2 end it came today, its in my car",
            "Je me suis coupé à la trancheuse, j'en suis à mon troisième linge et ça traverse, "
            "je me sens léger.",
            "I was at 2.1, had juice, it came up to 3.9 but it's going down again, 2.5, and I'm "
            "foggy.",
            "My tummy's been acting up since about 5, a sharp thing low on the left. I threw up "
            "3 times and can't really stand up all the way.",
            "He knelt on my chest last night and said next time I won't get up.",
            "Mon œil gauche fait très mal, il est rouge et je vois des cercles arc-en-ciel "
            "autour des lumières.",
            "Ma mère s'est réveillée sans savoir où elle est, elle était normale hier soir.",
            "Je prends du lithium; avec la gastro j'ai repris une deuxième dose et ce matin je "
            "tremble tellement que je ne peux pas tenir ma tasse.",
            "Tonight when he sleeps I will put the pillow on his face.",
            "J'ai pris deux Advil et je suis bouffie autour de la bouche, j'ai comme une boule "
            "dans la gorge.",
            "Je suis à 26 semaines avec le placenta placé bas. J'ai dû changer ma serviette au "
            "complet après une demi-heure et il y a des petits morceaux.",
            "Tonight I have 38.7 with shaking chills. It's 8 days after my 3rd chemo.",
            "My ileostomy bag fills every hour, 15 times yesterday, and I'm light-headed.",
            "Mon dos depuis le déménagement; en dessous je sens plus rien, comme après le vélo, "
            "et ça veut pas sortir à la toilette.",
            "Ma jambe droite est grosse et sensible depuis 4 jours et là j'ai le souffle court.",
            "He drank homemade vodka on Saturday and now his eyes are fuzzy like a snowy TV.",
            "She bumped her head at the store and since lunch she brought her food back up and "
            "it's hard to keep her awake.",
            "He coughs up pinkish foam and can't lie down.",
            "Little Linh (27 days old) feels a bit warm. The thermometer in the bottom said "
            "38.4 at 7.",
        ),
    )


def test_a_wild_root_a_closing_throat_a_kayak_not_coming_back_and_a_voice_about_a_baby():
    # round 81 (part CX, tourism and the land of Charlevoix, round 80's blind set): what the
    # app missed there (caustic soda in an eye told as "milky"; the same questions in text-speak)
    # and what the rules alone missed: a wild root eaten, then drooling and twitching; a throat
    # that will not let saliva down, leaning forward to breathe; going out on the water tonight
    # "and not coming back"; "afraid of what I'll do to the baby"; a voice saying the baby is not
    # hers; lips bigger and a throat that feels small; an upper belly boring into the back; a night
    # of vomiting with little dark urine; a fever without a spleen; chest pressure into the arm
    # and jaw, misspelled; speech "went slurred"; a head hit "all at once like someone hit me";
    # someone who will not stir when shaken; a pregnant belly knocked; a baby's "6 semaine"; a low
    # sugar that will not come up; "doesn't recognise"; "je ne me relèverais pas"; a child's skin
    # pulling in between the ribs; "dolor" in a testicle; and false reds: an attempt or a
    # colleague's heart attack years ago ("il y a 15 ans", "je vais bien aujourdhui"), a class, a
    # course for managers, a fainting at a Christmas party, an insurance form's questions
    _read_by_the_rules_alone(
        not_urgent=(
            "jai fait une tentative de suicide à 19 ans il y a 12 ans je vais bien aujourdhui "
            "est-ce que ça paraît dans mon dossier",
            "ma sœur a fait un infarctus sur le sentier il y a deux ans on l'a réanimée elle va "
            "bien aujourdhui je voudrais faire vérifier mon cholestérol",
            "In class we're studying strokes and chest pain this week. Could I shadow a doctor?",
            "Dans le cours, on parle d'hypoglycémie et de convulsions. Offrez-vous des stages?",
            "Our team leads want to learn how to talk with a coworker who may be thinking of "
            "suicide. Any resources?",
            "I fainted at the office Christmas party. The hospital checked me, everything was "
            "normal.",
            "L'assurance me demande si, dans la dernière année, j'ai eu : douleur à la poitrine, "
            "AVC. Je n'ai rien eu.",
            "the form asks overdose? suicide attempt? seizures? all no. please sign it",
        ),
        urgent=(
            "I chewed a wild carrot root from the field an hour ago, now I'm drooling and my "
            "face is twitching.",
            "He ate a white root by the creek and now his arms are jumping by themselves and "
            "he's throwing up a lot.",
            "My throat is so bad I can't swallow my saliva, I'm drooling and I have to lean "
            "forward to breathe.",
            "Je suis pas capable d'avaler ma salive, je bave, et je dois me pencher en avant "
            "pour respirer.",
            "Got some drain cleaner in my right eye at work, rinsed it but everything is cloudy "
            "now.",
            "Tonight I'm taking the canoe out on the lake and I'm not coming back.",
            "Ce soir je pars sur le lac en chaloupe et je reviendrai pas, j'ai laissé les clés à "
            "ma sœur.",
            "J'ai peur de ce que je vais faire au bébé cette nuit.",
            "une voix me dit que c'est pas mon vrai bébé pis que je dois le mettre dehors dans "
            "le froid, il a 3 semaines",
            "Mes lèvres sont plus grosses que d'habitude après le souper et ma gorge me semble "
            "petite.",
            "mal de ventre en haut qui me barre jusque dans le dos, j'ai renvoyé 7 fois",
            "Vomi toute la nuit, pipi une fois ce matin presque rien brun foncé, étourdie quand "
            "je me lève.",
            "No spleen since my accident in 2012 and tonight 39.6 with chills.",
            "chest presure like a wieght going in my left arm and jaw, sweatting",
            "My words went slurred at the meeting and my right hand is numb and clumsy.",
            "a funny turn in my head came on all at once like someone hit me, neck is stiff, I'd "
            "rather keep the curtains closed",
            "He won't stir even when I shake him and shout his name, his breathing has long "
            "pauses.",
            "I'm 30 weeks pregnant and a door knocked my belly, now it's hard all the time and "
            "I'm spotting.",
            "ma fille zoé 6 semaine a 38,7 rectal a 9h",
            "mon appareil disait 2,2 j'ai pris un jus et 15 minutes après il disait 2,4, j'ai "
            "les mains qui branlent",
            "He keeps asking the same questions every few minutes and doesn't recognise our house.",
            "Il m'a dit que la prochaine fois je ne me relèverais pas.",
            "Il siffle à chaque inspiration même au repos et on voit sa peau qui rentre entre "
            "les côtes.",
            "a 5h en travaillant dolor tres forte d un coup dans le testicule droit. enflé y "
            "plus haut. vomi",
        ),
    )


def test_a_harness_unclipped_wheel_nuts_loosened_mussels_and_vials_taken_from_work():
    # round 82 (part RM, wind energy, the sea and public services of Rimouski and the Gaspé
    # coast, round 81's blind set): what the app missed there (a plan to unclip a harness at the
    # top of a turbine and step off; wheel nuts loosened on a foreman's pickup) and what the
    # rules alone missed: an arm held on a stove and "next time my face"; mussels from a closed
    # shore with tingling and trouble swallowing; vials taken from work to inject tonight; a hand
    # gone purple with blisters and a fever; a sudden belly pain with atrial fibrillation; an arm
    # that stopped listening with chewed words; "the worst pain of her life" at the back of the
    # head; a fever and confusion after a trip without malaria pills; a belly hard as rock and
    # heavy losses late in a pregnancy; a cracked helmet, then vomiting; "the family jewels"
    # pulled up; "so I checked: 38.6 rectal" (not a form's ticked list); "in class" as where a
    # pain began (round 81 had read every "in class" as a course); nothing staying down, no pee,
    # woozy; "2 et quelque" after two juices; and a false red: a corn that "me fait mal quand je
    # marche" read as abuse
    _read_by_the_rules_alone(
        not_urgent=(
            "J'ai un cor sous le pied, elle me fait mal quand je marche toute la journée. Un "
            "rendez-vous?",
        ),
        urgent=(
            "Tomorrow when I reach the top of the tower I'm going to unclip and step off.",
            "On the roof tomorrow I won't be clipping my lanyard, it will be my last climb.",
            "I loosened the lug nuts on my boss's car last night, he drives to work at 6. If he "
            "doesn't crash I'll finish it another way.",
            "He held my hand on the stove last night and said next time it's my face.",
            "J'ai mangé des palourdes d'un secteur fermé, mes lèvres picotent et j'ai de la "
            "misère à avaler.",
            "J'ai ramené trois fioles de morphine du travail et ce soir je vais me les injecter.",
            "The cut on my foot has gone dark purple with blisters and I have a fever of 39.2.",
            "My mother has AFib; since noon a horrible pain in her belly came on all at once, "
            "she vomited twice.",
            "Ma main gauche a décidé de ne plus m'écouter et je mâchonne mes mots.",
            "At 9 in class I got a sudden pain in my left testicle, no injury, I threw up and "
            "it's swollen.",
            "Elle dit que c'est la pire douleur de sa vie, à l'arrière de la tête, et elle a vomi.",
            "Revenu du Mali y a 2 semaines sans pilules contre le palu, il grelotte pis depuis à "
            "matin il a oublié mon prénom.",
            "Je suis à 30 semaines, mon bedon reste serré comme une roche et j'ai rempli une "
            "serviette en une demi-heure.",
            "The helmet's cracked, I was dazed for a bit, and today I've been sick three times.",
            "Bad pain down below in the family jewels since this morning, one side is pulled up "
            "and I threw up.",
            "I checked: 38.6 rectal at 5 am, she is 6 weeks old.",
            "Nothing stays down, not even water, haven't needed to pee since yesterday and I'm "
            "woozy.",
            "Mon appareil dit 2 et quelque et les deux jus n'ont rien changé, je tremble.",
        ),
    )


def test_foxglove_tea_a_poker_behind_the_door_a_hernia_stuck_out_and_a_time_is_no_heading():
    # round 83 (part LN, the hospital, schools, printing plants and fields of Joliette and
    # Lanaudière, round 82's blind set, where the app caught every emergency): what the rules
    # alone missed there: foxglove tea, then vomiting and yellow halos; a man waiting behind the
    # door with a poker for someone expected today; a hernia that will not go back in; an
    # erection lasting hours; a blow to an eye, then only light and shadow; silo gas, then
    # breathless; watery diarrhoea a dozen times a day with falls; a body that moved by itself,
    # stiff, a bitten tongue; dragged by the hair and locked outside in the cold; a cut soaking
    # "3 shop towels"; and readings mended in the context: a time's colon ("he says it started
    # around 5:15") is no form's heading, "on the paper guillotine" is no newspaper, "rouge-mauve"
    # is no action plan's red zone; and false reds: what a course "covers", a reaction "to peanuts
    # at daycare in 2021", "my boss will have a heart attack if..."
    _read_by_the_rules_alone(
        not_urgent=(
            "I signed up for the wilderness first-aid course. They cover hypothermia and severe "
            "bleeding. Do I need a tetanus shot?",
            "Our daughter had a severe allergic reaction to peanuts at daycare in 2021 and she "
            "now carries two EpiPens. They expire soon.",
            "My boss will have a heart attack if I ask for another day off, so can I book an "
            "evening slot?",
        ),
        urgent=(
            "My mother made a tea with foxglove leaves by mistake, she's throwing up and sees "
            "yellow around the lights.",
            "Il attend le voisin derrière la porte avec une hache, il dit qu'il repartira pas "
            "d'ici.",
            "Ma hernie est sortie ce matin et elle rentre plus, c'est dur et mauve, j'ai vomi.",
            "Did the Caverject shot at 11 last night, still erect at 5 am, painful and darker.",
            "A branch whipped my left eye an hour ago and now I only see light and dark with it.",
            "J'ai travaillé dans le silo hier, une fumée jaune orangé, et depuis la nuit je "
            "m'essouffle pour rien.",
            "Diarrhée d'eau une quinzaine de fois par jour depuis 3 jours, je suis tombé deux "
            "fois ce matin.",
            "Hier soir son corps a bougé tout seul, raide, 3 minutes, et il s'est mordu la langue.",
            "Il m'a traînée par les cheveux et m'a barrée dehors sur la galerie à -20, il a pris "
            "mon cell.",
            "He says it started around 6:40 this morning, a heavy pressure in his chest going "
            "down his left arm, in a cold sweat.",
            "Got a bad cut on the paper cutter, soaked 2 shop towels already, I'm pale and dizzy.",
            "La bosse est dure, rouge-mauve, vomi deux fois, ventre gonflé, ma hernie rentre plus.",
            "the part where I sit feels asleep since last night, my back hurts, and I could not "
            "go to the bathroom since 6",
            # what follows a mention read "on the paper" as the news too (mended after the round)
            "I'm bleeding a lot from my hand on the paper cutter at work.",
            "He is bleeding heavily on the paper machine, he's pale.",
            "Blood is gushing from my wrist on the paper guillotine.",
        ),
    )


def test_ecstasy_a_gaff_in_the_truck_the_bay_if_she_tells_and_a_cold_white_foot():
    # round 84 (part CN, iron ore, aluminium, the port and the dams of the Côte-Nord, round 83's
    # blind set): what the app missed there (a partner back off the ore train tonight who broke
    # a finger and said she would "end up in the bay" if she told) and what the rules alone
    # missed: ecstasy at a party, then 40.2 and a heart at 150; a gaff and bear spray in the
    # truck to "make him pay" tonight; drinking stopped at once, then bugs on the wall and not
    # knowing the day; pills kept for months to take tonight with whisky; a foot gone white and
    # cold; a grinder's fragment with a pupil out of shape; gallstones with a fever and yellow
    # eyes; a pressure of 88/52 with a fever, without the word "pressure"; and readings mended
    # in the context: "pas mal" right before a word (quite cool) or after "coule" (flows quite a
    # lot) is no denial, "deux serviettes y sont passées" (used up) is no past event; and false
    # reds: "tous les deux avant 65 ans" (a family's history), a nursing project, what a first-
    # aid course taught ("on a appris le garrot pour les hémorragies")
    _read_by_the_rules_alone(
        not_urgent=(
            "I'm a nursing student. For a project on infant care, what temperature counts as a "
            "fever in a baby under 3 months?",
            "Mon père et mon oncle ont fait un infarctus tous les deux avant 60 ans. Je devrais "
            "me faire suivre?",
            "J'ai suivi le cours de premiers soins. On a appris le garrot pour les hémorragies, "
            "où en acheter un?",
            "My toes go numb and white when I walk the dog at -25 and come back pink inside. "
            "Just the cold?",
        ),
        urgent=(
            "Took two molly pills at the rave at midnight, now it's 3 and I'm at 40.5, heart "
            "160, jaw clenched.",
            "Deux pilules d'ecstasy au festival à minuit, mon cœur est à 160 et je suis brûlant.",
            "Give me something to calm me down or I'll do it, his house is 10 minutes away and "
            "the rifle is in my truck.",
            "He twisted my arm back till it cracked last week, he gets home tonight at 6 and has "
            "my phone.",
            "She said I'd end up in the river if I told anyone. He's back tonight.",
            "Quit drinking cold turkey 3 days ago, now I see spiders on the walls and I didn't "
            "recognize my wife this morning.",
            "Depuis midi mon pied gauche est blanc et froid, je bouge à peine les orteils.",
            "My foot went white and cold suddenly an hour ago, the other foot is warm.",
            "J'ai reçu un éclat de métal dans l'œil en meulant, ma pupille est ovale et il coule "
            "du liquide clair.",
            "A metal chip flew into my eye while grinding, the pupil looks like a teardrop.",
            "I have gallstones, now a fever of 39 with chills and my eyes are yellow.",
            "Mes calculs biliaires me font mal, j'ai 39 de fièvre et l'urine foncée comme du coke.",
            "Feeling hot and cold with shakes, the pharmacy machine said 84/50.",
            "Ça coule pas mal, par giclées, trois serviettes y sont passées, je suis étourdi.",
        ),
    )


def test_fits_every_ten_minutes_contractions_at_31_weeks_and_a_shot_to_stand_beside():
    # round 85 (part AT, the mines, smelter, forests and farms of Abitibi-Témiscamingue, round
    # 84's blind set): what the app missed there (contractions every five minutes at 29 weeks, in
    # text-speak) and what the rules alone missed: a baby's fits every few minutes with the legs
    # drawn up and stools like red jelly; cyanide splashed at a mill; explosives taken to set off
    # and stand beside; an arm "not listening" with words that come out thick; eyes gone up to the
    # ceiling while the body shook; a headache "explosive ... worst of my life" however spelled;
    # "son petit appareil au doigt dit 87." (the oxygen reading missed its device's name and
    # read no figure before a full stop); and false reds: a threat over a forgotten appointment ("je vais étrangler mon chum s'il
    # oublie"), a cold that tightens the chest "like my asthma"
    _read_by_the_rules_alone(
        not_urgent=(
            "Je vais tuer mon mari s'il oublie encore de sortir les poubelles! Mon rendez-vous "
            "peut être déplacé?",
            "Running in the cold air makes my chest a little tight, like my asthma. Two puffs fix "
            "it. Refill please.",
        ),
        urgent=(
            "My 8-month-old screams every 10 minutes pulling his knees up, and his diaper has red "
            "jelly in it.",
            "I'm 31 weeks and my belly has been going hard every 4 minutes for an hour.",
            "I took dynamite from the quarry, tonight I'll set it off and stand next to it.",
            "His right arm isn't listening and his words come out thick.",
            "Il ne sait pas nager, demain je vais l'emmener sur le lac en chaloupe.",
            "Ses yeux sont partis vers le plafond et son corps tremblait 3 minutes.",
            "explosive headake back of head, worst of my life, vomited",
            # a finger oximeter named by where it sits, its figure before a full stop
            "Ma mère est mauve, le petit appareil sur son doigt dit 84.",
        ),
    )


def test_contact_lenses_a_pot_left_open_the_house_burned_with_me_in_it_and_a_quarry():
    # round 86 (part BC, the factories, sugar bushes, farms and roads of Beauce and Les
    # Etchemins, round 85's blind set, where the app caught every emergency): what the rules
    # alone missed there: contact lenses slept in, then a white spot and only shapes; a child
    # with a pill pot left open and pills missing, then limp; the rest of a bottle swallowed
    # with drink; a threat to burn the house "with me in it", told with its condition ("if I go
    # to the police"); talking to children on the wall since this morning; a cattle antibiotic's
    # needle, then the heart; breath "de moins en moins" after a cow's crush; "ce soir je vais à
    # la falaise et je saute"; a "pop" behind the head; and a false red: what a paramedic "sees
    # every day" (and "the odd skipped beat", where "odd" was read as an overdose)
    _read_by_the_rules_alone(
        not_urgent=(
            "I'm a paramedic; I see lots of hemorrhages and injuries every day. Is my hepatitis B "
            "shot in my file?",
        ),
        urgent=(
            "Slept in my contacts all weekend, now my right eye has a white spot and I only see "
            "shapes.",
            "J'ai dormi avec mes lentilles, mon œil a une tache blanche et je ne peux pas l'ouvrir "
            "à la lumière.",
            "J'ai trouvé le pot ouvert, il manque environ 4 comprimés, il est mou et dur à "
            "réveiller.",
            "I took the rest of my sleeping pills, about 30, with vodka, I wanted out.",
            "He said he'd burn the house down with me in it if I leave.",
            "says if i call the cops he burns the house w/ me in it",
            "Depuis ce matin elle parle aux enfants sur le mur, hier elle allait bien.",
            "Giving Micotil to a steer, the needle went into my hand, now my heart is skipping.",
            "J'ai de moins en moins d'air pour respirer depuis que la vache m'a écrasé.",
            "Ce soir je vais à la falaise et je saute.",
            "Comme un gros « pop » en arrière de la tête, tout d'un coup, j'ai vomi.",
        ),
    )


def test_the_wrong_insulin_pen_an_eye_after_cataract_surgery_and_rat_poison_in_a_sugar_bowl():
    # round 87 (part PT, the forests, rivers and farms of the Haute-Gatineau and the Pontiac,
    # round 86's blind set, where the app caught every emergency): what the rules alone missed
    # there: a rapid insulin taken instead of the long one, then a falling sugar; a painful eye
    # with sight going days after cataract surgery; rat poison in a sugar bowl only the home-care
    # aide uses; horse ivermectin against a cold; a dead sister's name and picking at the air
    # since this morning; blood pulsing through towels; pills saved in number for tonight; and a
    # false red: drowned in paperwork, "j'étouffe!"
    _read_by_the_rules_alone(
        not_urgent=(
            "Je suis noyée sous la paperasse, j'étouffe! Pouvez-vous m'envoyer mon carnet?",
        ),
        urgent=(
            "I took my Humalog instead of my Lantus by mistake, now 3.1 and shaking.",
            "Cataract surgery on Tuesday, now the eye is red and painful and I only see light.",
            "J'ai mis de la mort-aux-rats dans le sucrier, c'est elle qui prend du sucre, elle "
            "vient demain.",
            "Dad took the horse ivermectin paste for his cold, now he's seeing double and "
            "staggering.",
            "Since this morning Mom calls me by her dead sister's name and keeps picking at the "
            "air; yesterday she was fine.",
            "It's pulsing through three towels even with pressure.",
            "got 40 oxys saved, tonight taking them all at the end of the road",
        ),
    )


def test_yew_berries_one_side_of_sight_gone_in_both_eyes_and_a_press_brought_down_on_hands():
    # round 88 (part CS, the plants, farms and river of the Côte-du-Sud, round 87's blind set):
    # what the app missed there (the quoted phrasing of a press-brake operator's plan to bring the
    # ram down on his foreman's hands) and what the rules alone missed: yew berries eaten by a
    # child; one side of sight gone in both eyes, whichever eye is shut; a machine's guard
    # defeated to hurt someone; tied to an anchor; a belly worse after polyps were removed; a silo
    # climbed to jump tonight; a grain fumigant breathed; a hand over a face until one went out;
    # blood "comme des jets"; a head knock with double vision ("hed", "dubble"); a thermometer's
    # "it says 38.2" (read as a leaflet's words); a meter called "the little machine"; a birth told
    # as "bébé arrivé"; lips "bouffies"; "next time he won't stop"; "savait pu où elle était"; and
    # false reds: what old people in general "can" become, "ball game", fingers numb at night for
    # months, and a school's plan for a pupil's low sugars
    _read_by_the_rules_alone(
        not_urgent=(
            "We were told old people can become confused all of a sudden with an infection. If "
            "that happens, do we call you?",
            "Les personnes âgées peuvent devenir confuses d'un coup avec une infection, nous a-t-"
            "on dit. Si ça arrive, on vous appelle?",
            "Sprained my ankle at ball game on Sunday, it's swollen but I can walk. X-ray?",
            "Depuis des mois je me réveille avec l'index et le majeur de la main droite "
            "engourdis. Tunnel carpien?",
            "The parents gave me a plan for low sugars with glucagon. Could a nurse train the "
            "staff?",
        ),
        urgent=(
            "Mon gars de 2 ans a mangé des baies rouges dans la haie d'if chez sa tante, il vomit.",
            "My toddler chewed some berries off the yew hedge at the park and is now very sleepy.",
            "Depuis midi je vois plus rien du côté droit, peu importe l'œil que je ferme.",
            "Since lunch I can't see anything on my left side with either eye.",
            "I know how to get around the guard on the shear, and when he reaches in tomorrow "
            "he'll lose his fingers, it'll come down on his hands.",
            "Ce soir je m'attache à l'ancre et je saute du quai.",
            "After the scope on Monday where they snipped 3 polyps, my tummy is tight and sore, "
            "38.5 this morning.",
            "Doesn't matter now. After 11 when they sleep I'm climbing the feed silo and jumping."
            " 60 feet.",
            "put fostoxin tablets in the oat bin at 8, mask slipped. since noon puked 3 times, "
            "dizy",
            "He held a pillow over my face until everything went black.",
            "Le sang sort comme des jets de son avant-bras, il a rempli deux guenilles.",
            "hit back of my hed on the ice, out like 20 sec, now seeing dubble",
            "The little machine says 31.8 this morning and I lost my breakfast, a bit fuzzy.",
            "Our son is 12 days old. I checked in his bottom at 6 and it says 38.2. Maybe the "
            "blankets?",
            "Bébé arrivé il y a 5 jours, mal de tête qui cogne et des lumières devant les yeux, "
            "162/106.",
            "Ça pique partout, je suis bouffie des lèvres et j'ai un motton dans la gorge.",
            "Il m'a dit que la prochaine fois il arrêtera pas, il rentre ce soir à 6 h.",
            "On faisait des tartes et vers 14 h dun coup elle savait pu où elle était.",
        ),
    )


def test_a_bypass_belly_detonators_for_a_garage_magnets_and_a_man_lost_in_a_parking_lot():
    # round 89 (part TM, the quarries, mills and farms of the Appalaches and the Granit, round
    # 88's blind set): what the app missed there (the text-speak phrasing of a man lost in a
    # hardware store's parking lot since breakfast) and what the rules alone missed: cramping
    # belly pain after a gastric bypass; explosives taken to blow up someone's garage; several
    # magnets swallowed; bleeding hours after teeth were pulled; a baby "née il y a 3 semaines"
    # with 38.4; a hand that stopped obeying while writing; a blow to a pregnant belly; a meter
    # that shows only "HI"; a blow to the temple; a champagne cork to an eye ("just light");
    # "asleep down there"; "can't seem to rouse him"; "la bouche pâteuse"; "il m'achève"; pills
    # put "de côté"; and false reds: a breath "pas vite" and ribs that "rentrent pas"; a kit's
    # list and its tourniquets "for severe bleeding"; blood "mêlé au mucus"; a diaper rash that
    # a cream does not clear; black-fly bites; hair "coming out" after a pregnancy; "je garde pas
    # d'enfants"; a hypo that is over ("il est revenu en 10 minutes"); a clock's "10:40" and a
    # Nadia read as a fever after chemotherapy
    _read_by_the_rules_alone(
        not_urgent=(
            "My baby has a cold. No fever, he drinks well, he is not breathing fast.",
            "Bébé a le rhume, il respire pas vite, ses côtes rentrent pas, il boit bien.",
            "On prépare la trousse du camp : réaction allergique grave, coup de chaleur. Pouvez-"
            "vous valider la liste?",
            "Our AED pads and the tourniquets for severe bleeding in the kit expire this spring, "
            "where do we order more?",
            "J'ai vu un peu de sang mêlé au mucus en me mouchant ce matin, rien depuis.",
            "His diaper rash isn't going away with the zinc cream after 5 days, he is playing and"
            " eating.",
            "Mon gars a des piqûres de maringouins dans le cou, c'est enflé et ça pique.",
            "My hair is coming out in handfuls since the pregnancy, is that normal?",
            "Je garde pas d'enfants, je veux juste savoir pour mon cours de gardien averti.",
            "Samedi il a fait une hypo, il était mêlé, il est revenu en 10 minutes et il va bien "
            "depuis.",
            "Can you send the requisition again? Sent at 10:40. Thanks, Nadia",
        ),
        urgent=(
            "Mal de ventre par vagues depuis 3 h, je me tortille et j'ai renvoyé 4 fois. Depuis "
            "mon opération à l'estomac je suis plus sensible.",
            "Had weight loss surgery 2 years ago. Since 4am cramping belly pain 9/10 and I can't "
            "stay still.",
            "J'ai de la dynamite dans mon camion, je sais où il reste, ce soir je fais sauter sa "
            "maison.",
            "Three of those tiny magnet balls went down the hatch an hour ago, he has a sore "
            "tummy.",
            "Had 2 molars pulled at 10, at 7 pm I still soak the gauze every 10 minutes, "
            "lightheaded.",
            "Mon garçon né il y a 2 semaines fait 38,2 ce soir.",
            "Writing a letter, my hand just stopped cooperating and the pen keeps slipping, and "
            "I'm mixing up my words.",
            "A heifer butted me in the belly this morning, I'm 28 weeks, a bit of fresh red on "
            "the pad.",
            "J'ai essayé la petite machine de ma mère, ça affichait juste HI. Il renvoie depuis "
            "hier.",
            "Elle est tombée sur la glace et s'est cogné sur la tempe, elle a vomi 2 fois et sa "
            "main droite est maladroite.",
            "A golf ball hit me right in the eye, now I just see light and there's blood at the "
            "bottom of the iris.",
            "My back is acting up, since this morning everything feels asleep down there and the "
            "plumbing is not answering.",
            "He slid off his chair and I can't seem to rouse him, he is snoring and grey.",
            "Rien ne reste en dedans depuis 2 jours, ce matin mes jambes ont plié et j'ai la "
            "bouche pâteuse.",
            "Il m'a dit que la prochaine fois il m'achève, il rentre ce soir à 17 h.",
            "Je mets mon Seroquel de côté depuis 6 semaines, j'en ai 40. Ce soir mon chum "
            "travaille de nuit à l'usine et je vais les prendre avec du vin.",
            "dunno why im here, cant find my car, wat day is it. was fine at breakfast",
        ),
    )


def test_a_highway_shoulder_a_knife_sharpened_for_tonight_a_scald_and_an_eye_full_of_ink():
    # round 90 (part PR, the farms, plants and highway of Prescott and Russell, round 89's blind
    # set, where the app caught every emergency): what the rules alone missed there: a highway's
    # shoulder and a truck to step in front of; a knife sharpened for tonight for a child's
    # abuser; a large scald (blisters like eggs, white skin that feels nothing); an eye filled
    # with black like ink, then only light; a low that juice does not move; a gas engine run
    # inside; one side "endormi" with a face that folds; a pain that moved from the navel to the
    # lower right; coughing blood by the half-cup; a belt used on a teenager kept in; a weight on
    # the front to the left arm and jaw; yellow halos and a slow heart; a baby who "stop breathe
    # 10-15 secund"; "pire d'ma vie"; a route forgotten; a seatbelt across a pregnant belly; and
    # false reds: a student's notes, what relatives died of, "reading about", paperwork that makes
    # a head "exploser", pauses in a snorer's breath "des fois", and "he's home all day" read as
    # a discharge. Two guards (not false reds before): adrenaline given "and she was fine", and a
    # blister the size of a pea
    _read_by_the_rules_alone(
        not_urgent=(
            "Dans mes notes de cours, les signes d'hypoglycémie sont tremblements et sueurs. Est-"
            "ce juste?",
            "My wife was at the emergency last week for a bad allergic reaction to a new "
            "antibiotic. They gave her adrenaline and she was fine the same day. The doctor said "
            "she needs an EpiPen.",
            "Ma mère et ma tante sont mortes d'une hémorragie cérébrale dans la cinquantaine. Un "
            "test?",
            "I keep reading about teens and self harm online, what signs should I watch for?",
            "Avec toute la paperasse de mon père, ma tête va exploser. Il me faut le formulaire "
            "signé.",
            "Des fois on dirait qu'il arrête de respirer quelques secondes la nuit quand il "
            "ronfle.",
            "Burned my finger on the stove, a blister the size of a pea. Cream?",
        ),
        urgent=(
            "Last night I stood on the shoulder of the highway waiting for a truck to step out in"
            " front of. Tonight I'm going back.",
            "a soir apres le souper → autoroute 40 sortie 5 devant un camion. adieu",
            "Hoof knife's sharpened. 2nite after milking going 2 his place, hes done touching "
            "kids.",
            "Eau bouillante sur le bras à la job, des cloques grosses comme des œufs partout sur "
            "l'avant-bras.",
            "The steam got my chest, the skin is white and waxy and I can't feel anything there.",
            "Mon œil gauche s'est rempli de noir comme de l'encre, je vois juste de la lumière.",
            "My numbers are low, I had juice and candy but they won't come up, I'm shaking.",
            "pressure washing the barn 2 hrs with the gas washer inside doors closed cause of the"
            " cold, both poundng headache",
            "J'ai dormi dans une mauvaise position, mon côté droit est tout endormi et ma face "
            "fait un drôle de pli.",
            "It started in the middle and now it has settled low on the right, he's hunched and "
            "won't jump.",
            "Ma toux est plus rouge, j'ai rempli une demi-tasse au déjeuner et ça sort en "
            "morceaux.",
            "he used his belt on me, a couple marks are open, he had the key and kept my phone",
            "Comme un poids sur le devant, ça tire dans le bras gauche et la mâchoire, j'ai le "
            "cœur qui lève.",
            "Les lumières ont une auréole jaune et mon cœur est lent, 42.",
            "he cough cough and get blue on the lips and stop breathe 10-15 secund",
            "Mes chiffres sont bas, j'ai bu du jus pis mangé des bonbons mais ça bouge presque "
            "pas, j'ai la tremblote.",
            "Une bibitte m'a piqué au cou, ma bouche est comme grosse, je parle un peu drôle.",
            "éternué → BOOM mal de tête derrière la tête, pire d'ma vie",
            "Sylvain m'a appelée vers 14h, il se rappelait plus sa route, il m'a reposé la même "
            "question.",
            "Haven't really needed to go pee since yesterday, ended up on the bathroom floor this"
            " morning.",
            "Petit accrochage ce matin, la ceinture a serré sur la bedaine, future maman, ma "
            "bedaine se met en boule aux cinq minutes.",
        ),
    )


def test_a_cable_across_a_trail_a_tampon_a_spleen_after_mono_and_a_threat_if_she_leaves():
    # round 91 (part MD, the woods, mills and potato fields of the Madawaska, round 90's blind
    # set, where the app caught every emergency but 16 of 304 look-alikes came out urgent): what
    # the rules alone missed there: a cable strung across a trail at chest height, "tant pis"; a
    # tampon, a high fever and a sunburn-like rash; a spleen after mono and a blow to the left
    # ribs; twitching that goes on after a seizure; something bulging mid-pregnancy; a phone and
    # keys taken with a threat to find her if she leaves (and any threat told with its
    # condition, "si je pars il va me tuer", which the context read as a hypothetical); a drink
    # spiked; a head on a rock, then vomiting; a face that hangs with an arm that flops; a low
    # back down after juice; the worst pain ever at the back of the head; a meter's 31 with
    # drowsiness; no answer when shaken; the fourth towel; pills missing with big pupils; a
    # tongue swelling on an ACE inhibitor; "I was fine at 1 o'clock" read as an age; "ending
    # it"; "presque pas d'urine"; a baby "né samedi"; and "I have a suicide plan", which an
    # idiom had read as a care plan. False reds: 40 minutes read as 40 degrees, a talk or a
    # lesson at school, "last April", relatives who "se sont enlevé la vie", "never had to use
    # it again" read as a recurrence, a name the speller bent ("Mélanie" to "mélange"), paying
    # that "étouffe", a heart attack at opening a bill. Guards (right before too): a faint at a
    # blood drive, a glaucoma told, mono long ago, a high reading with only thirst
    _read_by_the_rules_alone(
        not_urgent=(
            "Nous partons au chalet avec notre bébé de 5 semaines, à 40 minutes de l'hôpital. "
            "À quelle température faut-il partir?",
            "After an assembly at her school about teen suicide, my daughter asked good "
            "questions. Any reading for parents?",
            "I'd like to do a lesson with my class on what anaphylaxis looks like. Do you have "
            "posters?",
            "My father had a stroke last March; he finished rehab and walks with a cane. Home "
            "care forms attached.",
            "Mes deux oncles se sont enlevé la vie, je voudrais en parler avec quelqu'un. Moi "
            "je vais bien.",
            "J'ai fait une petite perte de connaissance en donnant du sang jeudi, l'infirmière "
            "m'a gardée une heure et je suis repartie en forme.",
            "Mon gars a mal à l'oreille depuis la plage. Il joue pareil. Des gouttes? Merci, "
            "Mélanie",
            "I had anaphylaxis from a wasp when I was 9 and have carried an EpiPen since "
            "(never had to use it again). Renewal please.",
            "My grandmother had glaucoma and went blind in one eye before they caught it. Do I "
            "need a pressure check?",
            "J'étouffe avec les paiements depuis mon arrêt de travail, y a-t-il un générique "
            "moins cher?",
            "J'ai fait une crise cardiaque en ouvrant la facture du formulaire! 60 $ pour une "
            "page?",
            "I had mono two years ago. My left shoulder is sore after the gym and I'm pale in "
            "winter, normal?",
            "The machine said 28.4 this morning and I'm thirsty, should I change my insulin dose?",
            "si je pars en voyage il va me trouver un cadeau",
        ),
        urgent=(
            "i have a suicide plan",
            "J'ai acheté de la broche et ce soir je la tends en travers du chemin des VTT, à "
            "la hauteur du cou. S'ils se font mal, tant pis.",
            "J'ai oublié un tampon deux nuits, 39,8 de fièvre, je vomis et je suis rouge "
            "partout comme un coup de soleil.",
            "Mono since last week. Took a knee to the left ribs at soccer, now pain high on "
            "the left going to the shoulder tip, dizzy standing, heart racing.",
            "He had a big seizure at 6 this morning and since then his left hand and cheek "
            "twitch every few minutes, it won't stop.",
            "I'm 23 weeks and this morning I felt something bulging at the opening when I wiped.",
            "Il m'a ôté mon cell et les clés du char. Il dit que si je pars il va me "
            "retrouver, moi pis les petits.",
            "I think someone put something in her drink at the bar, now I can barely wake her "
            "and her breathing is slow.",
            "Tombé du toit de la remise, la tête sur une roche. Il a vomi deux fois et il "
            "répète les mêmes questions.",
            "She was fine at 2 o'clock. Now her mouth hangs on the right and her right arm "
            "just flops, she is dragging her foot.",
            "3.0 at 6, I had juice, it came up to 4.1, then went back down to 2.7. Shaky and "
            "sweaty, alone.",
            "shovelling snow @3, BAM worst pain ever at the back of my head, puked, neck stiff",
            "My mother's meter says 31.2, she's drowsy and muddled and the room spins when she "
            "stands.",
            "Found him face down by the woodpile, he doesn't answer when I shake him, he's "
            "snoring.",
            "Cut my forearm on a broken window, we're on the fourth towel and it won't stop.",
            "Le petit a trouvé les comprimés pour le mal des transports, il en manque 8. Ses "
            "pupilles sont énormes et il voit des araignées.",
            "On lisinopril 3 years. Since waking my tongue is swollen and too big, I can't "
            "swallow my spit.",
            "il vomit tout, presque pas d'urine depuis hier, failli perdre connaissance dans "
            "l'escalier",
            "mon bébé de 9 jour (né samedi) fait 38,2 et dort tout le temps",
            "rifle in the truck. tonight after supper im ending it",
            "Il dit que si je pars il va me retrouver pis me tuer.",
            "He said if I leave he will find me and kill me.",
        ),
    )


def test_vials_for_tonight_a_lockout_lock_a_whole_belly_and_a_baby_hot_at_11():
    # round 92 (part NO, the mines, mills and bush of Kapuskasing, Hearst and Timmins, round 91's
    # blind set, where the app caught every emergency with 9 of 304 look-alikes urgent): what the
    # rules alone missed there: "38.4 at 10:30 and 38.6 at 11" read "at 11" as an age (four
    # phrasings of a 29-day-old's fever, which a dozen rules would have read); something taken
    # home to use on oneself tonight; a death made to look like the heart; a co-worker's lockout
    # lock pulled and start hit; "done, this time for good" with a mug thrown at a head; a pain
    # now across the whole belly, the worst, with a fever; a fever with tightenings
    # mid-pregnancy; an eye gone white with only light and shapes; nothing felt between the legs
    # with no urine; litres of water as a cleanse, then confusion; a sensor's low still falling,
    # alone; a blow to the head, out a minute, then vomiting and the same question; a testicle
    # higher than the other; a stiff neck with a high fever; a flash to the face with the voice
    # going; a rope taken and no coming back tonight; a towel soaked and blood on the floor; no
    # waking even shaken, blue lips; no pee since, everything grey; something that "exploded"
    # in the back of the head. False reds: a faint at a blood donor clinic, a spouse to
    # "strangle" over a chore, a guard whose inmates overdose, a crew mate "alive and doing okay
    # now", one of a teacher's students who has seizures. Guards (right before too): a child
    # hot at 11 of 7 years, a testicle high since birth, water drunk for the skin
    _read_by_the_rules_alone(
        not_urgent=(
            "His temperature was 37.9 at 9 and 38.2 at 11. He is 7 years old, playing, eating "
            "well. Tylenol?",
            "I fainted at the blood donor clinic on Tuesday, the nurses gave me juice and I "
            "was fine. Should I donate again?",
            "I'm going to strangle my husband if he doesn't call you about his knee, so here I "
            "am booking for him.",
            "Je suis gardienne au centre de détention, on gère souvent des détenus en surdose. "
            "Mon vaccin contre l'hépatite B est-il à jour?",
            "Last winter a co-worker collapsed at the shop and we did CPR until the ambulance "
            "came. He's alive and doing well now. I still think about it.",
            "I'm a teacher's aide and one of my students has seizures. Could you explain how "
            "the nasal spray works?",
            "My son's testicle has sat higher than the other since birth, the doctor said it's "
            "normal, no pain.",
            "Je bois 3 litres d'eau par jour pour ma peau, est-ce trop? Je suis en forme.",
        ),
        urgent=(
            "She is 6 weeks old, 38.3 at 8 and 38.5 at 10, feeding poorly and sleepy.",
            "I brought insulin pens home from work and I'm going to use them on myself tonight "
            "when the kids are at their mom's.",
            "it will look like my heart stopped, nobody will know. tonight.",
            "When Pete goes in to clear the conveyor tonight I'm pulling his lock and hitting "
            "start.",
            "He texted that when he gets home I'm done, for good this time. Last spring he "
            "threw a plate at my head.",
            "Started on the left two days ago, now my whole belly hurts, worst pain I've had, "
            "can't stand up straight, 38.9.",
            "Mon œil gauche est devenu tout blanc d'un coup, je distingue juste le jour et des "
            "formes.",
            "Enceinte de 24 semaines, 39,2 de fièvre et mon ventre durcit aux 10 minutes "
            "depuis une heure.",
            "Depuis ce matin je sens plus rien entre les jambes, pas pissé depuis hier soir, "
            "mon pied droit traîne.",
            "Je fais une cure, 5 litres d'eau par jour depuis 3 jours, ce soir je savais plus "
            "où j'étais et j'ai vomi.",
            "Mon capteur est à 2,4 pis ça descend encore, je suis seul au chalet, je tremble "
            "et je vois flou.",
            "Banged my head on the hatch yesterday, out for a minute, today I puked twice and "
            "asked the date 4 times.",
            "sudden pain in my left testicle an hour ago, it's higher than the other one and I "
            "threw up",
            "Her neck is so stiff she can't touch her chin, 39.6, and the light hurts her eyes.",
            "Un flash électrique dans la face, j'ai perdu mes sourcils et ma voix part, ça "
            "chauffe dans la gorge quand je respire.",
            "Il monte au chalet ce soir avec une corde, il dit qu'il reviendra pas, il a donné "
            "son chien au voisin.",
            "On est rendus à la troisième serviette trempée, ça coule par terre, il est blême. "
            "La lame l'a coupé au bras.",
            "He came back from night shift and fell asleep in the truck, I can't wake him even "
            "shaking and yelling, his lips are blue.",
            "I haven't needed the bathroom for pee since yesterday, vomiting for two days, "
            "everything went grey when I stood.",
            "Mid-game she grabbed her head and said something exploded in the back of her "
            "head, vomited, neck stiff.",
        ),
    )


def test_a_dose_taken_twice_rocks_in_the_pockets_and_a_threat_the_victim_ends_up_dead():
    # round 93 (part MB, the barns, plants, villages and floods of south-eastern Manitoba, round
    # 92's blind set, where the app missed one text-speak emergency): what the rules alone missed
    # there: an opioid dose taken twice, then nodding off and tiny pupils; a hand that stops
    # with a mouth that goes down; walking into water with rocks in the pockets tonight; a knee
    # on the chest; sickle cell with a fever and chest pain; a cloudy dialysis bag; a reliever
    # without effect and only a few words; an eye gone out like a switch; an old man in
    # pyjamas in the cold who does not know the month; a stunner for oneself; a triple dose for
    # a patient "so he sleeps for good"; a furnace vent buried by snow; lips that swell with a
    # lump in the throat; benzodiazepines run out, then jerking; a glucose in the high twenties
    # with ketones; a baby "née il y a 10 jours"; "worst HA of life"; a threat where the victim
    # "finis dans la fosse" if she talks (the context now reads a threat told with its
    # condition whatever pronouns it takes). False reds: a firefighter crew's calls, a snorer's
    # pauses "puis il reprend en ronflant", a closing "Merci beaucoup, Mélanie" the speller bent,
    # what a prenatal class's leader talked about, "I could kick myself, I forgot". Guards (right
    # before too): a methadone patient sleepy in the afternoons, water drunk by the litre, well
    _read_by_the_rules_alone(
        not_urgent=(
            "Hi, I'm a new volunteer firefighter. We go to car crashes and overdoses, lots of "
            "blood sometimes. Do I need a tetanus shot?",
            "Il me semble qu'il arrête de respirer quelques secondes la nuit, puis il reprend "
            "en ronflant. Une étude du sommeil?",
            "J'ai encore un feu sauvage, du valacyclovir svp. Merci beaucoup, Mélanie",
            "Au cours prénatal, l'animatrice a parlé de la fièvre chez les nouveau-nés; "
            "avez-vous le document?",
            "ugh I could kick myself, I forgot my appointment again. Can I rebook?",
            "I'm on methadone 80 mg and I get sleepy in the afternoons, is that normal? Pupils "
            "are fine.",
            "Je bois 2 litres d'eau par jour, c'est assez? Tout va bien.",
        ),
        urgent=(
            "Took my 60 mg methadone at the pharmacy and then my carry at home by mistake, now "
            "I keep nodding off and my pupils are pinpoint.",
            "at 5 my left hand stop, can not hold the cup, drop it. my mouth left side go down "
            "and words come wrong",
            "Ce soir je vais marcher dans le lac avec des roches dans mes poches. J'ai écrit "
            "mes mots de passe.",
            "Il m'a plaquée au plancher avec son genou sur ma poitrine, j'avais plus d'air. Il "
            "a cassé mon cell.",
            "I have sickle cell, chest pain since last night, 38.7 and out of breath, my "
            "finger clip says 88.",
            "Ma dialyse de nuit : le sac est trouble ce matin et j'ai mal au ventre partout, 38,6.",
            "12 puffs de ventolin depuis une heure pis ça fait rien, je dis juste trois mots à "
            "la fois.",
            "The sight in my left eye went out like a light switched off, I can only see the "
            "lamp as a glow, no pain.",
            "Found Dad in the barn in his pyjamas at -30, he doesn't know the month and didn't "
            "know my voice on the phone. Fine at breakfast.",
            "The stunner from the barn is in my truck. Tonight after my shift I'm done.",
            "À soir je lui donne une triple dose d'hydromorphone pour qu'il dorme pour de bon.",
            "La neige a bouché les tuyaux de la fournaise, tout le monde a mal à la tête et "
            "grand-maman est confuse.",
            "Mes lèvres et mes yeux sont gros, j'ai une boule dans la gorge et avaler c'est "
            "difficile.",
            "Ça fait 4 jours que je suis à court de mon clonazepam, ce matin tout mon corps a "
            "sauté et j'ai la langue mordue.",
            "Pen cracked since Friday, 26.4 this morning, ketones 3.8, throwing up and "
            "breathing fast.",
            "ma fille, née il y a 10 jours, fait 38,3 rectal et dort tout le temps",
            "sudden worst HA of life at the gym, vomit x2, neck stiff",
            "Il a dit que si je parle, je finis dans la fosse à lisier.",
            "si jparle a qqn jfinis ds la fosse",
            "Hit my head on the beam yesterday, out for a minute, today I threw up 3 times and "
            "keep asking the date.",
        ),
    )


def test_a_shaken_baby_a_lighter_to_the_hair_and_a_fever_after_a_caesarean():
    # round 94 (part AL, the oil sands, ranches and air base of north-eastern Alberta, round
    # 93's blind set, where the app caught every emergency): what the rules alone missed there:
    # a father alone with a colicky baby who shook him hard and wants to throw him at the wall;
    # an ex with a key and a tracker who held a lighter to the hair ("next time the house with
    # me in it"); chloroquine taken all at once for a fever; a fever after a caesarean with a
    # red, discharging wound; Addison's disease with the steroid doses vomited and a low
    # pressure; a crash with the belt across a belly that swells and the top of the left
    # shoulder; spurts told as "pousse par petits coups"; a cracked hard hat, then vomiting and
    # "repeating myself"; a sensor on the arm reading low; a mother who says not a word when
    # shaken; "moved up" down below; pills a friend counted for tonight; an eye "comme si
    # quelqu'un avait éteint la lumière". False reds: what a guard "deals with" at work,
    # stepping in at work "lors de tentatives de suicide", a school paper "pour un travail",
    # wallet cards "for people experiencing family violence", "une petite crise cardiaque en
    # ouvrant la facture", an anaphylaxis "quand j'avais 8 ans" (written without apostrophes), a
    # piece of apple "he coughed it right out", haemorrhoids "depuis ma grossesse" with drops
    # of blood on the paper. Guards (right before too): a prison guard's list, lips and a
    # throat after a nut cake.
    _read_by_the_rules_alone(
        not_urgent=(
            "I'm a prison guard. We deal with fights, overdoses, you name it. Do I "
            "need a hepatitis B booster?",
            "Je suis agent de sécurité. Au travail je dois souvent intervenir lors de "
            "tentatives de suicide dans le métro, j'aimerais voir un psychologue.",
            "Pour un travail, je dois décrire comment une infirmière évalue le risque "
            "suicidaire. Une entrevue serait possible?",
            "We'd like to leave pamphlets and wallet cards for people experiencing "
            "family violence in your waiting room.",
            "j'ai fait une petite crise cardiaque en ouvrant la facture d'Hydro! C'est "
            "normal ce montant pour un formulaire?",
            "jai fait une reaction anaphylactique aux noix quand javais 8 ans, il me "
            "faut un nouvel epipen",
            "J'ai des hémorroïdes depuis ma grossesse et ce matin quelques gouttes de "
            "sang rouge sur le papier. Une crème plus forte?",
            "My son (3) choked on a piece of apple at lunch, he coughed it right out "
            "and has been playing normally since. I cut them smaller now.",
        ),
        urgent=(
            "It's 2 am, I'm alone with our 6 week old, she screamed for 3 hours and I "
            "shook her hard. I wanted to throw her against the wall. I'm scared of "
            "what I'll do.",
            "my sister says she shook her 8-week-old son hard tonight, he won't stop "
            "screaming, and she's afraid she'll hurt him",
            "My ex let himself in with an old key last night and held a lighter to my "
            "hair, he said next time it's the house with me inside.",
            "took 8 chloroquine at once for my malaria, now I'm dizzy and my heart is skipping",
            "césarienne il y a 10 jours, fièvre 39,2, la cicatrice est rouge et il "
            "coule un liquide qui sent mauvais",
            "Juste une gastro, mais mes pilules pour les glandes (hydrocortisone) sont "
            "ressorties deux fois, mon appareil dit 80/52 et je suis dans la brume.",
            "Rolled the quad into a ditch yesterday, the belt was fine, but my belly "
            "is swollen and the top of my left shoulder hurts, dizzy when I stand up.",
            "Probablement rien, mais depuis le gâteau aux noix j'ai les lèvres un peu "
            "grosses, ça me serre dans le fond de la gorge et ma voix est drôle.",
            "Mon chien m'a pincé le bras, ça coule pas mal, ça pousse par petits "
            "coups, j'ai mis ma ceinture autour du bras.",
            "Little bump at work yesterday, the hat took most of it, it's cracked. "
            "Lost my breakfast a few times today, the ache is getting worse, she says "
            "I'm repeating myself.",
            "The little gadget on my arm keeps beeping, says 2.3 and going down, "
            "candies didn't do much, I'm sweaty.",
            "On dirait qu'elle dort très dur, elle ne m'a pas dit un mot même quand je "
            "l'ai brassée un peu. Elle ronfle lentement.",
            "Something's been really hurting down below since this morning, you know "
            "where. It's puffy and it looks like it moved up a bit.",
            "Mon amie a compté 40 pilules de son voisin et elle veut les prendre ce "
            "soir quand les enfants dorment.",
            "vers 9 h c'est comme si quelqu'un avait éteint la lumière de mon oeil "
            "gauche, pas de douleur, encore tout sombre à part une petite lueur",
        ),
    )


def test_a_chemical_in_the_eye_a_truck_off_the_wharf_and_a_flare_pistol():
    # round 95 (part NS, the wharves, fish plants and boatyards of Nova Scotia's Acadian shore,
    # round 94's blind set, where the app caught every emergency with 3 of 304 look-alikes
    # urgent): what the rules alone missed there: a catalyst or a degreaser splashed into an
    # eye that burns and sees milky; a truck to be driven off the end of a wharf tonight (and,
    # structural, "when I asked what was going on he said ..." was read as a form's question);
    # a workshop's chemical taken home to drink tonight; a flare pistol for a man's face; the
    # top half of one eye gone (and, structural, "still gone at 1" read as an age); a threat of
    # not seeing the spring if she tells; a pain through to the back with vomiting all night,
    # bent forward; "the black part of her eyes is tiny" and "hard to rouse" after another
    # client's pills; seizures told as "mes passes" with an arm that jumps for twenty minutes;
    # a pain low on the left at six weeks with the eyes gone black; seasickness where not even
    # water stays; a calf cut that "pumps out". False reds: eczema that "isn't responding to the
    # creams" (the unconsciousness rule read "respond" inside "responding"), the heart that
    # tightens "avant les oraux". Guards (right before too): a swelling "gone by the evening",
    # a drive on the wharf road, the antifreeze taken home to drink tonight, the pain low on
    # the left at six weeks, the calf cut.
    _read_by_the_rules_alone(
        not_urgent=(
            "The eczema on my daughter's hands isn't responding to the creams. Could "
            "we see a dermatologist?",
            "Avec les examens j'ai de la misère à dormir et le cœur me serre un peu "
            "avant les oraux. Ça va mieux la fin de semaine.",
            "Sunday my eyelid swelled a little after a new mascara, took a Benadryl "
            "and it was gone by the evening. Should I get allergy testing?",
            "We drove off the wharf road tonight to the lobster supper and I twisted "
            "my knee on the steps.",
        ),
        urgent=(
            "Got degreaser in my right eye at 2 pm, rinsed it a few minutes, it's "
            "burning and I can't open it, everything milky.",
            "catalyst in l eye at work, burning bad cant open it",
            "Tonight after the kids are asleep I'm going to drive the car off the end "
            "of the pier. My will is on the table.",
            "when I asked what was wrong he said 'tonight I'm driving off the end of "
            "the wharf', he gave me his dog this morning",
            "J'ai ramené une bouteille d'antigel de la shop. À soir je vas la boire, "
            "personne aura plus à s'occuper de moi.",
            "J'ai chargé le pistolet à fusées du bateau, demain matin je lui tire dans "
            "la face quand il arrive au quai.",
            "The top half of my left eye went dark at noon, no pain, still gone at 1.",
            "Elle m'a un peu brassée, elle dit que si j'en parle je verrai pas le "
            "printemps. Elle revient à soir.",
            "Depuis hier soir ça serre en haut du ventre et ça tire jusque dans le "
            "dos, j'ai rendu toute la nuit, je suis mieux assis penché, le ventre est "
            "dur.",
            "My client got another client's pills by mistake, the black part of her "
            "eyes is tiny and she's hard to rouse.",
            "j'ai eu trois de mes passes ce matin pis mon bras gauche fait des petits "
            "sauts depuis une vingtaine de minutes",
            "6 weeks pregnant, a pain low on the left since morning, some spotting, my "
            "eyes went black at work and I had to sit on the floor.",
            "Ça fait trois jours que je vomis sur le bateau, même pas l'eau reste, pas "
            "eu besoin d'aller aux toilettes depuis hier, je me suis retrouvé à terre.",
            "Cut my calf with the knife, it pumps out when I lift my hand, two towels "
            "done, feeling light in the head.",
        ),
    )


def test_a_bucket_for_a_trailer_a_neck_after_a_sled_and_a_father_with_play_money():
    # round 96 (part YK, the creeks, camps, trails and towns of the Yukon, round 95's blind
    # set, where the app caught 221 of 224 emergencies with 7 of 304 look-alikes urgent): what
    # the rules alone missed there: an excavator's bucket to be dropped on a neighbour's trailer
    # tonight; a step off the cliffs after dark; a neck hurt head-first into a spruce with both
    # arms tingling; an old father normal at breakfast and since mid-afternoon paying with play
    # money and not knowing his son's name; a meter that shows no number, only letters, with
    # weeks of thirst and vomiting; mercury heated with gold in a closed cabin, then a cough and
    # a fever; green-brown waters with the baby moving less; a cracked helmet, "out like a
    # minute", seeing double; a weight "en dedans" to the arm and the lower teeth; a smile "tout
    # d'un côté"; "un gros boum" behind the skull; "dark purplish bubbles" on a cut shin with
    # fever; a low sugar told in words ("deux point un"). Structural, from the full check of
    # every automatic variant: two spaces where a full stop was stripped now end a clause ("not
    # answering  gasping") and what a past time covers in a run-on; "to a Tuesday morning" is
    # a slot asked for, not a day in the past; infinitives swapped in ("se reveiller pas",
    # "explode", "bounce", "hurl"); a sugar of 31 with vomiting. False reds: a paramedic's
    # patient transported "pour une douleur thoracique" or brought "who has had a seizure";
    # "s'il avait une douleur à la poitrine" (a condition in the imperfect); a grandmother blind
    # "sur le tard"; "I'm going to kill my husband, he threw out my prescription bottle"; a head
    # "about to explode" over paperwork. Guards (right before too): a question in the
    # imperfect, a neck stiff from the couch with hands tingling "like when you slept on them",
    # the bluffs, a sugar of 33 while vomiting, green-brown waters, a weight to the arm and the
    # teeth, a meter with two letters, a head knock on blood thinners.
    _read_by_the_rules_alone(
        not_urgent=(
            "I'm a paramedic in Teslin. Last night we transported one of your "
            "patients to Whitehorse for chest pain; he asked that our report go to "
            "you. What's your fax?",
            "On amène souvent un patient qui a fait une convulsion au poste de soins "
            "le soir. Qui est le médecin de garde à appeler?",
            "Je me demandais : s'il faisait une crise cardiaque au camp de pêche, on "
            "fait quoi en attendant l'avion?",
            "Ma tante est devenue aveugle sur le tard à cause de la dégénérescence. "
            "Est-ce que je devrais faire vérifier mes yeux?",
            "I'm going to kill my wife, she recycled my requisition for the blood "
            "test. Can you send another one?",
            "These tax forms for my mother are a nightmare, I've been at them all "
            "weekend and my head is about to explode. Can someone help?",
            "My neck is stiff from sleeping on the couch and my hands tingle a bit in "
            "the morning, like when you slept on them. Could I see the physio?",
        ),
        urgent=(
            "The grader's fuelled. Tonight when he's asleep I'm dropping the blade on "
            "his camper. I mean it.",
            "2nite after dark im going up the bluffs and stepping off, gave my cat to my sister",
            "Tombé en motoneige la tête la première dans un banc de neige, mal au cou "
            "et les deux bras qui picotent jusqu'aux doigts.",
            "Ma mère était correcte ce matin au déjeuner. Depuis 14 h elle ne sait "
            "plus mon nom et veut payer l'épicerie avec des bouts de papier.",
            "My sugar meter says 33, can't keep anything down since supper, breathing "
            "fast. Type 1.",
            "Hier soir j'ai chauffé du mercure pour séparer l'or sur le poêle, ce "
            "matin je tousse et je suis essoufflé, 38,7.",
            "38 semaines, j'ai perdu mes eaux à 6 h, le liquide est vert-brun et le "
            "bébé bouge presque plus.",
            "rolled the quad, helmet's got a crack right across it, was out like a "
            "minute, puked 3 times, seeing double",
            "Un peu de pesanteur en dedans depuis une heure, ça descend dans le bras "
            "gauche et dans les dents, je suis trempe.",
            "Petit malaise, mon sourire est tout d'un côté et je mâche mes mots depuis 10 minutes.",
            "Comme un gros boum derrière la tête pendant le spectacle, d'un coup, "
            "j'ai vomi deux fois.",
            "The first aid attendant's meter couldn't even give a number, just two "
            "letters. I've been sick 5 times and I'm breathing hard.",
            "Shin cut on a rock 3 days ago, now purplish bubbles up the leg and a fever of 39.4.",
            "diabete type un je suis a deux point deux j'ai pris deux jus et je suis "
            "a un point neuf je tremble",
            "Dad bonked his head on the ice, he's on blood thinners and isn't making much sense.",
        ),
    )


def test_gopher_bait_a_rattlesnake_a_bale_spear_and_a_signature_on_the_last_line():
    # round 97 (part GB, the farms, ranches, elevators and Fransaskois villages of southern
    # Saskatchewan, round 96's blind set, where the app caught every emergency with 6 of 304
    # look-alikes urgent): what the rules alone missed there: a child in strychnine gopher bait
    # (twitching, startled, a stiff jaw); a rattlesnake's bite with the arm swelling (and,
    # structural, "at 3 when I reached" and "at 3 on back of" are clocks, not ages); a colitis
    # flare with a belly swollen like a balloon and fever; a bale spear to be driven into a
    # neighbour's cab with him inside (a threat with its weapon and its hour is not set aside as
    # a long quarrel); a beating with a tool's handle, then "you'll see tonight" or the phone
    # taken; not even water, no urine since yesterday, a faint; one eye gone dark "like somebody
    # turned the lights off"; a chickenpox spot spreading past a hand with a high fever; an old
    # woman fine at supper who types random letters and does not know the month; a young man
    # sunk to the chest in a grain bin, then breathless; a rope over the barn's beam tonight;
    # "kill my self"; a testicle told as "une gosse" gone up and bigger; two pots of
    # blood-pressure pills emptied at once with a pulse in the forties; towels soaked red in ten
    # minutes; "It isn't letting up" (not "it isn't that": the pain goes on); a baby named before
    # her age ("le papa de Jade, 20 jours"). False reds: a signature after the last sentence on
    # the same line ("... des gouttes? Mélanie Fortier") bent by the speller to "mélangé"; a
    # crew's transfers of patients in general; a low raised with juice, "then fine". Guards
    # (right before too): an age "at 61 while splitting wood", the transfers, the low "then
    # fine", "it isn't serious", the gopher poison, a beating and "you'll see tonight", an eye
    # gone dark, fine at supper, a grain bin, a rope over a beam, a testicle gone up, towels.
    _read_by_the_rules_alone(
        not_urgent=(
            "My grandfather had a heart attack at 61 while splitting wood. I'm 50 "
            "now, should I get my cholesterol checked?",
            "Pour les transferts de nos patients en arrêt cardiaque vers Regina, "
            "pouvez-vous nous faxer la liste des médicaments? EMS Ponteix",
            "Yesterday my sugar was 3.1 at lunch, shaky. Juice and a sandwich and in "
            "10 minutes I was 5.8, then fine the rest of the day. Should my pills "
            "change?",
            "Ma fille a les yeux collés et rouges depuis ce matin, pas de fièvre, "
            "elle voit bien. Une prescription de gouttes? Mélanie Gagnon",
            "My back is killing me after the harvest. It isn't serious, just stiff in "
            "the mornings. Could I get a physio referral?",
        ),
        urgent=(
            "Found my boy (4) in the shed with the strychnine gopher poison, green "
            "oats in his mouth. Now he jumps at every noise and his jaw is stiff.",
            "A rattlesnake bit my ankle at 2 when I stepped off the quad, it's "
            "swelling fast and my lips tingle.",
            "Ma colite est en poussée depuis une semaine, ce soir mon ventre est "
            "gonflé comme un ballon et dur, j'ai 38,9 et le cœur à 118.",
            "J'ai mis le pique-balles sur le tracteur, demain matin je vais le "
            "planter dans la cabine de son camion, lui avec.",
            "Il m'a frappée avec le manche du balai hier, il a pris mon cell et il a "
            "dit que j'allais voir ce soir.",
            "Même l'eau passe pas depuis deux jours, pas allée uriner depuis hier, je "
            "me suis retrouvée par terre dans la salle de bain.",
            "My left eye went dark at breakfast like someone turned the lights off, "
            "no pain, still that way an hour later.",
            "Mon fils fait la varicelle, un bouton sur le bras est rouge, chaud et "
            "gonflé, plus grand que ma main, il fait 40,2 et il somnole.",
            "Mom was fine at supper, this morning she typed random letters in her "
            "email and doesn't know what month it is.",
            "My son sank to his chest in the wheat bin this afternoon, now he's short "
            "of breath and his lips are grey.",
            "the rope is over the beam in the barn, tonight when everyone is asleep",
            "Ive decided to kill my self tonite, nobody will miss me.",
            "Mon gars a reçu un coup dans une gosse en levant des poches, elle est "
            "remontée et plus grosse, il a vomi.",
            "À 20 h j'ai vidé mes deux pots de pilules de pression d'un coup, là j'ai "
            "le pouls à 40 et les mains froides.",
            "Cut my leg with the chainsaw chain, 3 towels are soaked red in 10 "
            "minutes even with pressure, I'm dizzy.",
            "Pressure in the middle of my chest for 30 minutes, into my jaw and left "
            "arm. It isn't letting up sitting down.",
            "Bonsoir, le papa de Jade, 20 jours, elle est chaude, 38,3 rectal, elle boit moins.",
        ),
    )


def test_aconite_soup_eye_drops_a_toddler_drank_and_knives_for_an_impostor():
    # round 98 (part ML, the port, mills, film sets and farms of Maillardville and the Fraser
    # Valley, round 97's blind set, where the app caught every emergency with 7 of 304
    # look-alikes urgent): what the rules alone missed there: aconite (fu zi) in an herbal soup
    # with numb lips and a skipping heart; a toddler who drank redness eye drops, floppy and hard
    # to wake; an eye swollen shut and pushed forward after a sinus cold, with fever; a husband
    # with dementia who hid knives for the "impostor"; thirty acetaminophen taken so as not to
    # wake up (the taking a standing fact, "last night" or not); not a sip kept down and no urine
    # since yesterday; an ovarian cyst that pops, then a faint; needles in the back, then a
    # sharp chest pain and breathlessness; the top half of an eye gone, told in French; vomiting
    # red by the bowlful with stools like tar; an IVF belly tense with kilos gained in days; a
    # low that tablets leave "still 2.6" in the next sentence; a confusion whose day before was
    # "comme d'habitude" and who sees cats on the curtains; a helmet's blow with slurring and
    # drifting off; sugars of 31 and 33 read with their hours. False reds: "thank you for
    # everything" and "the end of the month"; snoring "au point que"; a youth worker who meets
    # teens who self-harm; a mosquito bite on the lip; a course that "practised on a dummy" or
    # where "on y parle d'hémorragies"; words that "come out wrong on the radio" are no news.
    # Guards (right before too, told otherwise than in the set): the mosquito bite, the dummy,
    # the CPR course, thirty Tylenol, the cyst at the gym, the acupuncture, half an eye on the
    # bus, a low still low after tablets in one sentence.
    _read_by_the_rules_alone(
        not_urgent=(
            "I'm moving to Halifax at the end of the month for work. Please send my "
            "file to my new doctor. Thank you for everything over the years.",
            "Mon chum ronfle tellement depuis l'hiver, au point que je dors sur le "
            "divan. Il dort bien sinon. Une clinique du sommeil?",
            "I'm a youth worker; I often meet teens who are self-harming. Can "
            "families book your counsellor directly?",
            "Piqûre de maringouin sur la lèvre hier, enflée d'un côté, la langue et "
            "la gorge correctes. Une crème?",
            "My son did the first aid course at school, they practised on a dummy for "
            "choking. Does he get a certificate?",
            "Le cours de RCR est lundi, on y parle d'arrêt cardiaque et "
            "d'hémorragies. Est-il offert en français?",
        ),
        urgent=(
            "Made the herbal soup with fu zi again, had two bowls, now my lips and "
            "hands are numb and my heart is skipping, pulse 45.",
            "Ma petite de 2 ans a bu mes gouttes Visine, la bouteille est presque "
            "vide, elle est toute molle et dure à réveiller.",
            "Après un rhume, mon œil droit est enflé presque fermé, il a l'air poussé "
            "vers l'avant, je vois double, 38,9.",
            "my dad (dementia) says mom is an impostor, we found knives under his "
            "mattress and he said the fake one will be gone tonight",
            "last night I took 30 extra strength tylenol because I didn't want to "
            "wake up, I feel ok this morning",
            "Can't keep even a sip of water down since yesterday, last time I peed "
            "was yesterday morning, dark brown.",
            "My 4 cm cyst popped at the gym, now my whole belly hurts 9/10 and I "
            "fainted in the change room.",
            "Had acupuncture on my upper back this morning, now sharp chest pain and "
            "short of breath, finger reads 90.",
            "Ce matin dans l'autobus, d'un coup la moitié du haut de mon œil gauche "
            "est noire, pas mal.",
            "J'ai rendu deux fois et c'était rouge, un bol chaque fois, et mes selles "
            "sont noires comme du goudron depuis hier.",
            "Ponction il y a 10 jours, le ventre est tendu, 3 kg en deux jours, je "
            "fais pipi une seule fois depuis hier.",
            "CGM 2.3 at noon. Ate 3 glucose tabs and a juice and it's still 2.5, I'm "
            "shaking and sweating.",
            "Hier il était comme d'habitude; depuis 14 h il voit des chats sur les "
            "rideaux et il pense qu'il n'est pas chez lui.",
        ),
    )


def test_a_freezer_padlock_a_seacock_snorted_pills_and_a_blow_under_the_ribs():
    # round 99 (part EV, the potato farms, wharves and Acadian villages of Prince Edward
    # Island's Évangéline region, round 98's blind set, where the app caught every emergency
    # with 8 of 304 look-alikes urgent): what the rules alone missed there: a supervisor to be
    # padlocked in a plant's freezer to die; a blow under the ribs, then pain over the whole
    # belly, the shoulder tip and a faint on standing; a boat to be sunk with its captain by
    # opening the seacock; prescription pills snorted, then a racing heart and jerking arms;
    # confusion and dozing weeks after a knock to the head; curing salt in a stew, then grey
    # lips; a period soaking through every half hour with a faint; a baby's "point mou" sunken;
    # a warp whipped across an eye; "kil va « finir la job »" (a threat's quote marks); "im out
    # on the ice" is work, not out of hospital; a ball to the temple with vomiting and thick
    # speech; a grandmother who writes for a grandchild of days; a pressure of 220 told as "a
    # real thumper" and "fuzzy". False reds: "c'est à se pendre" over a form; "j'étouffe" over
    # prices; "rien de soudain"; a relative's anaphylaxis "when she was one"; a coach who "nous a
    # parlé des commotions"; a suicide attempt "à 17 ans" at a message's start.
    _read_by_the_rules_alone(
        not_urgent=(
            "Le formulaire de prestations pour mon père, c'est à se pendre, quarante "
            "pages. Je peux le laisser à la réception vendredi?",
            "Avec le prix de l'huile à chauffage pis les taxes cette année, "
            "j'étouffe. Avez-vous encore des rendez-vous le soir?",
            "Mal de tête en fin de journée au bureau, comme d'habitude, rien de "
            "soudain, je vois bien. Des lunettes peut-être?",
            "My granddaughter had a bad anaphylaxis to egg when she was one and now "
            "carries two EpiPens. Should our baby be tested before we give him egg?",
            "L'entraîneur nous a parlé des commotions. S'il se cogne la tête pendant "
            "un match, quels signes? Vomissements, confusion? C'est pour le frigo.",
            "À 17 ans j'ai fait une tentative de suicide. Ça fait 20 ans. Le "
            "formulaire d'assurance le demande, je dois l'écrire?",
        ),
        urgent=(
            "Mon beau-frère dit qu'à la fin du quart il va barrer le contremaître "
            "dans la chambre froide avec un cadenas pis qu'il y restera. Il a l'air "
            "sérieux.",
            "La vague m'a lancé contre le rebord du bateau à 5 h, côté droit sous les "
            "côtes. Là ça fait mal partout dans le ventre pis au bout de l'épaule, "
            "étourdi debout.",
            "My brother says tonight he's taking the boat out past the point, opening "
            "the seacock and going down with her. He gave me his dog.",
            "My son snorted a bunch of his Adderall at a party, now his heart is 160 "
            "and his arms keep jerking, he's shaking.",
            "Mom is not herself since last night, she couldn't find the light switch "
            "in her own kitchen, called me by my aunt's name, headache, keeps dozing. "
            "She slipped on the step and hit her head a month ago.",
            "On a mis du sel nitrité dans le ragoût au lieu du sel. Depuis, on a le "
            "bout des doigts pis les lèvres un peu gris, mal de tête, la tête qui "
            "tourne.",
            "Bad time of the month, going through my biggest stuff, both at once, "
            "every half hour, there are lumps about the size of a loonie, went wobbly "
            "in the bath.",
            "Mon bébé de 4 semaines vomit en jet, seulement une couche mouillée "
            "depuis hier soir, le point mou est creux.",
            "line snapped off the drum, whipped L eye. cant see outta it, just light + shadows",
            "il dit kil va « finir la job » si je pars chez ma mère",
            "im out on the ice on the bay digging clams took my humalog at breakfast "
            "and missed lunch at 1 my meter said 2 point 1 i had juice and 4 dex tabs "
            "at 115 and at 130 its only 2 point 2 im shaking sweating and blurry",
            "Mon mari a reçu une balle de baseball sur la tempe, il a renvoyé 3 fois "
            "pis il parle pâteux.",
            "Je suis la grand-mère de Léa Roy, 12 jours, elle fait 38,3 ce soir, elle boit pas.",
            "Truck driver, out of my pressure pills a week, cuff says 220/128, a real "
            "thumper at the back of my head and things look fuzzy.",
        ),
    )


def test_a_spinning_room_a_sharpened_blade_rocks_in_a_coat_and_eucalyptus_oil():
    # round 100 (part PP, the fishing villages, quarry, old air base and Franco-Newfoundland
    # peninsula of Stephenville and Port-au-Port, round 99's blind set, where the app missed one
    # emergency and made 6 of 304 look-alikes urgent): what the rules alone missed there: the
    # room spinning with double vision, thick speech, a clumsy hand or walking crooked (a stroke
    # at the back of the brain); a blade sharpened and kept at hand for a named person tonight;
    # a coat's pockets filled with rocks and the end of a wharf; a toddler who drank an essential
    # oil; a head held under water with a threat of next time; pills taken "so as not to wake
    # up" named by their own name ("18 of my trazodone"); a fall on the belly late in pregnancy
    # with tightenings or a quiet baby; a pot pulled down while the water boiled; lime in an eye
    # told with an arrow; a laugh, then "un gros coup de poing en arrière"; a throat "a bit full"
    # and a voice "a bit rough"; a child who has not been "for pee" since; hand sanitizer drunk;
    # "assis sur le devant" with the left arm; "my Gabriel, 22 days". False reds: a kit's
    # contents "for chest pain"; a camp's kit "pour les chasseurs qui se coupent"; a procedure
    # "pour un résident qui parle de suicide"; a seizure "at Easter", no more since; a reaction
    # "in May" (the month, not the modal); snoring that ends in a snort (round 99's own).
    _read_by_the_rules_alone(
        not_urgent=(
            "I'm restocking the first aid kit on our tour boat. What would you "
            "suggest adding for chest pain or a bad allergic reaction, and can you "
            "prescribe it?",
            "Bonjour, je garde un kit au chalet de chasse pour les chasseurs qui se "
            "coupent gravement. Un garrot, c'est une bonne idée?",
            "Nous révisons notre procédure pour un résident qui parle de suicide. "
            "Avez-vous des dépliants sur la ligne 988?",
            "Hello, my husband had a seizure at Easter, the neurologist started him "
            "on medication and no more since. He needs a form for his licence.",
            "In May my son had a reaction to shrimp at a party, his lips swelled and "
            "he was wheezy. The paramedics gave him the EpiPen and he was fine after "
            "a night in hospital. Can you refer us to an allergist?",
            "My wife says I stop breathing at night and then snort, and the snoring "
            "is shaking the walls. Can I have a sleep study?",
        ),
        urgent=(
            "Since 10 the whole room spins, I see double and my words come out thick, "
            "I keep leaning to the right when I walk.",
            "J'ai aiguisé le vieux sabre de mon père. Ce soir à la fête je vais "
            "régler ça avec Marc, je sais pas si je vais pouvoir m'arrêter.",
            "I put a real edge on the machete, it's in my truck. I keep picturing "
            "settling things with Dave at the bar tonight.",
            "My 3 year old drank from a bottle of tea tree oil, about half is gone, "
            "he's coughing and wobbly.",
            "Last night my boyfriend held my head under the water in the bathtub, he "
            "said next time he won't let me up. My neck is bruised.",
            "Mon père a vendu son bateau, il a les poches de son manteau pleines de "
            "roches pis il parle d'aller au bout du quai ce soir.",
            "permit refused today and 40 min ago i swallowed 18 of my zopiclone 7.5 i "
            "didnt want to wake up im alone",
            "I'm 30 weeks, slipped and fell on my belly on the stairs, now the baby "
            "is quiet and my belly tightens every few minutes.",
            "Mon gars de 3 ans a tiré la marmite pendant que l'eau bouillait, la peau "
            "part sur sa poitrine.",
            "sac de ciment déchiré -> œil G, je vois juste la lumière",
            "J'ai ri fort au spectacle pis il s'est passé quelque chose dans ma tête. "
            "Comme un gros coup de poing en arrière. J'ai été malade deux fois, les "
            "lumières m'agressent.",
            "A horse fly got me 20 minutes ago, lips and eyes gone puffy, throat "
            "feels a bit full, voice a bit rough.",
            "My daughter, 4, has had gastro since Sunday. She hasn't been to the "
            "bathroom for pee since last night and she is like soft.",
            "Mon père (démence) a bu du gel hydroalcoolique, il est difficilement réveillable.",
            "C'est comme quelque chose d'assis sur le devant, pis ça tire le long du bras gauche.",
            "My Noah, 19 days, has 38.2 rectal tonight.",
        ),
    )


def test_lightning_a_neck_swelling_after_a_thyroid_operation_mothballs_and_a_joke_taken_back():
    # round 101 (part GY, the Franco-Ontarian villages, marinas, cottages and hospitals of
    # Penetanguishene, Lafontaine and Georgian Bay, round 100's blind set, where the app caught
    # every emergency and made 4 of 304 look-alikes urgent): what the rules alone missed there:
    # a man thrown down by lightning, with a racing heart and a numb leg; a neck swelling under
    # the dressing days after a thyroid operation, with whistling breath and saliva that will not
    # go down; a stomach sleeve days old, with fever and a heart at 128; mothballs chewed by a
    # toddler; a weight "sitting on me" that goes to the jaw and down the left arm; a hand that
    # "quit" and a cheek "like after the dentist's freezing" (a likeness, not its cause); paint
    # stripper in a shut boathouse; a loaded gun and "c'est fini pour moi"; pushed out of a moving
    # truck; a tearing at an old caesarean scar in labour, or a baby gone very still; a toboggan
    # "into a post" and vomiting; "doesn't know the yr", "calls me Papa"; and slurring "on the
    # radio" read as the news. False reds: "10 years this week since my brother's suicide
    # attempt"; a guard who deals "with a lot of self-harm" at work; a daycare form's boxes
    # quoted; "j'ai fait une crise cardiaque! Je niaise" (a joke taken back, never for self-harm).
    _read_by_the_rules_alone(
        not_urgent=(
            "It's 3 years this month since my sister's suicide attempt, she's well "
            "now. I'd like to see someone to talk it through.",
            "J'ai fait un AVC quand j'ai vu mon compte de taxes! Je niaise. "
            "Pouvez-vous m'envoyer mes reçus?",
            "We see lots of overdoses and self-harm at the shelter where I work. Can "
            "I get the naloxone training through you?",
            "I'm a youth worker at the group home, we deal with a lot of self-harm "
            "and overdoses and I'd like to talk to someone about burnout. Referral "
            "needed?",
            "Le formulaire de l'école a des cases « convulsions », « diabète », « "
            "allergie grave ». Ma fille n'a rien de ça, pouvez-vous le signer?",
        ),
        urgent=(
            "since 5am the left side of my face is numb and dispatch says im slurring on the radio",
            "Lightning hit the fence I was fixing, it threw me and I was out a few "
            "seconds, now my legs are numb and my heart is racing.",
            "Ma mère a été opérée de la thyroïde jeudi. Ce soir son cou enfle sous le "
            "pansement, elle respire en sifflant et elle peut pas avaler sa salive.",
            "Gastric sleeve in Mexico 6 days ago, since this morning fever 38.9, "
            "heart at 135 and pain in my upper belly, can't keep water down.",
            "Mon petit de 3 ans a mâché des boules à mites dans le placard de sa "
            "grand-mère, il en manque deux et il a vomi.",
            "It's like a heavy weight pressing on me, it goes up into my jaw and down "
            "my left arm, been 30 minutes.",
            "my right hand just quit on me at work and my cheek feels like after the "
            "dentist freezing, my buddy says i sound drunk",
            "Stripped the paint off the old boat in the garage with the door shut all "
            "afternoon, now pounding headache, I threw up twice and I feel drunk.",
            "Mon frère a des balles pour son .22 dans le truck et il m'a dit « demain "
            "après la run c'est fini pour moi ».",
            "il m a poussée hors du pick-up en marche sur le rang hier, la proch fois "
            "il arrête pas dit-il, j'ai peur",
            "39 weeks, labour since 4, there's a ripping at my c-section scar and fresh blood.",
            "Ma fille de 9 ans a foncé dans un arbre en ski hier, ce matin elle a "
            "vomi 4 fois et elle est difficile à réveiller.",
            "Dad is 84, fine at lunch, since 2pm he can't tell me the year and calls me mom.",
        ),
    )


def test_a_joke_taken_back_is_set_aside_but_never_self_harm_and_never_once_taken_back_again():
    # "Je niaise" after an idiom sets the idiom aside (round 101); the same words after a plan
    # to die do not (a crisis-line reply costs little), nor after "Je niaise pas", nor when the
    # writer says afterwards that it is real.
    _read_by_the_rules_alone(
        not_urgent=(
            "Quand j'ai vu la facture, j'ai fait une crise cardiaque! Je niaise, mais c'est "
            "couvert par l'OHIP?",
            "Saw the parking fee and had a stroke. Just kidding. Can I park at the side door?",
        ),
        urgent=(
            "I have the pills ready to end my life tonight. Just kidding.",
            "Je vais me tuer ce soir. Je niaise.",
            "My chest is crushing and going down my left arm. Just kidding, no. It's real, "
            "please call.",
            "J'ai une douleur qui serre dans la poitrine et qui descend dans le bras. Je "
            "niaise pas.",
        ),
    )


def test_oxalic_acid_a_pipe_wrench_tonight_a_pupil_not_round_and_dialysis_missed():
    # round 102 (part FA, the Franco-Albertan farms, honey country, oil patch and Métis
    # settlements of Falher and the Peace Country, round 101's blind set, where the app caught
    # every emergency and made 7 of 304 look-alikes urgent): what the rules alone missed there:
    # oxalic acid, the beekeeper's mite treatment, swallowed in coffee or syrup; a drunk man going
    # over tonight with a pipe wrench to someone's skull; phone and keys taken, a threat, a mother
    # and child locked in a bathroom; pills named by a drug no list had, "dont want 2 wake up";
    # a cut that pulses and soaks towels; barbed wire in an eye, blood in it, the pupil not round;
    # a tyre ring to the forehead, "came round", then sick and dozy; dialysis missed in a storm,
    # breathless and sleeping in a chair; the top of a grain elevator and "je saute, c'est
    # décidé". False reds: two relatives who both had it (family history); "quand un patient est
    # transféré" (a paramedic's work); a course that will cover bleeding and choking; "la tête qui
    # va exploser" over forms; "me fait faire une crise de cœur chaque fois"; a faint at a blood
    # drive, "revenu tout de suite" (come to, not come back).
    _read_by_the_rules_alone(
        not_urgent=(
            "My grandmother and my uncle both had a stroke in their sixties, and my "
            "grandmother lost the use of her arm. I'm 45, should I be screened for "
            "anything?",
            "Je suis infirmière au foyer. Quand un résident fait une chute avec perte "
            "de connaissance, est-ce qu'on vous envoie le rapport par fax?",
            "The babysitting course is on Saturday at the rec centre. We'll cover "
            "choking, bleeding and burns. Could the clinic lend us a CPR dummy?",
            "Avec les formulaires de la CNESST j'ai la tête qui va exploser. "
            "Pouvez-vous remplir la partie du médecin?",
            "Ma fille me fait faire une crise cardiaque chaque fois qu'elle monte sur "
            "le toit de la grange. Elle a besoin d'un vaccin contre le tétanos.",
            "Hier au don de sang j'ai perdu connaissance quelques secondes. Je suis "
            "revenue tout de suite et on m'a donné du jus. Je vais bien, je peux "
            "travailler demain?",
        ),
        urgent=(
            "My dad put oxalic acid in his tea by mistake, the jar for the bees. His "
            "mouth burns and he vomited, his hands are cramping.",
            "He's drunk and says he's going over to Dale's tonight with the tire iron "
            "to break his head, he's got it in the truck.",
            "He took my phone and the keys, said he'd put me in the river if I call "
            "anyone. I'm locked in the bedroom with the baby, my hand is broken.",
            "I took about 40 of my metoprolol an hour ago with rum, I don't want to wake up.",
            "Je me suis coupé l'avant-bras sur une tôle, ça pulse et trois serviettes y ont passé.",
            "Un fil de fer m'a fouetté l'œil gauche, il y a du sang dans l'œil et la "
            "pupille est pas ronde.",
            "A chain snapped and caught him on the forehead, he came round after a "
            "minute and now he's throwing up and drowsy.",
            "J'ai manqué ma dialyse deux fois à cause de la tempête, j'ai le souffle "
            "court et je dors assis dans le fauteuil.",
            "ce soir je monte en haut du silo pis je saute, c'est décidé",
        ),
    )


def test_through_the_ice_a_truck_into_the_ditch_a_hook_in_the_eye_and_a_bulging_jar():
    # round 103 (part NH, the Franco-Ontarian mill town, bush camps and Constance Lake of Hearst
    # on Highway 11, round 102's blind set, where the app caught 222 of 224 emergencies and made
    # 5 of 304 look-alikes urgent): what the rules alone missed there: through the ice on a
    # snowmobile, soaked at -28, the shivering stopped, slurring; a truck to push an ex into the
    # ditch on her way to work ("-> fossé", "un accident c'est vite arrivé, surtout quand on l'a
    # voulu"); preterm labour with a range of minutes ("every 4 to 5", "ctx q4-5"); a drug strip
    # chewed by a toddler, hard to rouse; a fish hook left in an eye; no urine but a few drops and
    # a belly swollen hard; two seizures without waking between; home-canned meat from a bulging
    # jar, then double sight; a split spruce into the side and breath getting worse; a face gone
    # "lazy" with a hand that let go; "away with the fairies" since last night; "swolen" lips and
    # a "tite" throat; keys and health card taken, "on règle ça pour de bon"; a bottle taken whole
    # with drink; a baby's age in days since birth or "21j" with a rectal fever; numb "where you'd
    # sit on a bike seat". False reds: resources listed for victims of violence conjugale; "rien
    # de soudain" after finding words; a denial after a colon ("pas dans les parties : pas mal
    # aux testicules"); a kit "pour les coupures et les douleurs à la poitrine"; a fire crew's
    # medical calls.
    _read_by_the_rules_alone(
        not_urgent=(
            "Je suis travailleur social à l'école. Je monte une liste de ressources "
            "pour les victimes de violence conjugale, avez-vous des dépliants?",
            "Ma mère (79 ans) cherche ses mots de temps en temps, mais rien de "
            "soudain, elle conduit encore son auto. Peut-on faire un test de mémoire?",
            "Mon fils a reçu une rondelle sur la cuisse, pas dans les parties : pas "
            "mal aux testicules, rien d'enflé. Peut-il jouer demain?",
            "Je suis secouriste au chantier. Que garder dans la trousse pour les "
            "coupures et les douleurs à la poitrine?",
            "I'm a volunteer with the fire department. We do a lot of medical calls, "
            "overdoses, people collapsed. Can I get my hepatitis B shots here?",
        ),
        urgent=(
            "Went through the ice on the quad and got soaked, rode home at -25. Now "
            "he stopped shivering and he's slurring and stumbling.",
            "Demain matin je vais l'attendre sur le rang avec mon camion chargé pis "
            "la tasser dans le fossé.",
            "I'm 30 weeks and the contractions come every 5 to 6 minutes since midnight.",
            "A fish hook went into my son's eye, it's still hanging there and he says "
            "it's all dim on that side.",
            "Pas pissé depuis hier midi, juste quelques gouttes, le bas du ventre est gonflé dur.",
            "On a mangé du chevreuil en conserve maison, le couvercle était bombé. Ce "
            "matin je vois double pis j'avale mal.",
            "My face went lazy on the right side and my hand let go of the cup, my "
            "wife says I'm talking like I had a few.",
            "ate shrimp at lunch and my lips are swolen, throat feels tite",
            "My back went after moving the couch, now it's numb where you'd sit on a "
            "bike seat and nothing's come out since morning.",
            "Une épinette a fendu croche pis m'a accroché le côté. Je dois m'arrêter "
            "après une dizaine de pas, ça empire.",
            "Dad has been away with the fairies since last night, he thinks we're at "
            "somebody else's house. He started the prednisone Monday.",
            "cles + carte sante prises. il dit a soir on regle ca pr de bon. jai peur",
            "J'ai pris ma bouteille d'ativan au complet avec du vin rouge.",
            "lea 21j, 38.2 rectal x2, tete presque pas",
        ),
    )


def test_acid_for_a_face_a_bleeding_circumcision_pills_for_tonight_and_a_firework_eye():
    # round 104 (part WE, the Franco-Ontarian shore, car plants, border and greenhouses of
    # Tecumseh and Windsor-Essex, round 103's blind set, where the app caught every emergency
    # and made 9 of 304 look-alikes urgent): what the rules alone missed there: pool acid kept
    # to throw in an ex's face; a newborn bleeding after a circumcision; methanol fondue fuel
    # drunk by a toddler; waters leaking with fever after an amniocentesis; pills bought and all
    # to be taken tonight when the partner leaves; painkillers bought at different drugstores;
    # "next time you won't wake up" after a head put into a car window; a swallowed toothpick,
    # then belly pain and fever; a firework into an eye; a fever, then not knowing the day and
    # calling someone by a dead relative's name; "both ends", no pee, seeing black; a tea of
    # trumpet flowers, then a racing heart and a mouth like sand. False reds: "rhume" read as
    # "rhum" (rum); CPR done on dummies; what "runs in" a family; what a paramedic sees "sur les
    # appels"; what students "have been studying"; a policy "for" clients at risk; an EpiPen
    # the emergency department "m'a donné" (a prescription, not a dose).
    _read_by_the_rules_alone(
        not_urgent=(
            "jai un rhume depuis 2 jours mon inhalateur bleu marche bien pas de "
            "levres bleues juste le nez bouche je peux prendre du sirop avec mes "
            "pilules",
            "Last night at the babysitting class we did CPR on the dummies. Do you "
            "have a pamphlet on choking for toddlers?",
            "epilepsy runs in my wifes family her mom and her brother both have "
            "seizures should our son be tested",
            "Je suis paramédic. Avec les hémorragies qu'on voit sur les appels, je "
            "voudrais mon rappel de vaccin.",
            "I'm a nursing student and we've been studying poisoning and overdose "
            "this month. Can I shadow at the clinic?",
            "We're rewriting our policy for clients at risk of self-harm at the group "
            "home. Can you send your crisis numbers?",
            "Samedi j'ai réagi à des arachides, j'ai passé la nuit à l'urgence. Ça va "
            "bien maintenant. L'urgence m'a donné un EpiPen, je voudrais une "
            "référence.",
        ),
        urgent=(
            "He's got a jug of pool acid in his car and says he'll throw it in his "
            "ex's face tonight when she leaves work.",
            "Mon bébé de 8 jours a été circoncis hier, il saigne depuis la nuit, deux "
            "couches pleines de sang.",
            "Amniocentèse mardi, depuis ce matin de l'eau coule sur mes jambes et "
            "j'ai de la fièvre à 38,5.",
            "J'ai trois bouteilles de pilules pour dormir. À soir quand Julie part je "
            "les prends toutes.",
            "I bought 6 boxes of Tylenol at different drugstores so nobody would "
            "notice. Tonight I'm taking them all.",
            "My head ended up against the car window, there's a lump, and he said "
            "next time I wouldn't wake up.",
            "Swallowed a toothpick at a wedding on Saturday, now belly pain 8/10 on "
            "the right and a fever of 38.9.",
            "Un pétard m'a éclaté près de l'œil gauche, c'est tout embrouillé, je "
            "vois juste le clair et le foncé.",
            "Il fait 38,7 depuis hier. Ce matin il savait pas trop quel jour on était "
            "et il m'a appelée par le nom de sa défunte mère.",
            "Coming out both ends since yesterday, water won't stay down, haven't had "
            "to pee since last night and I see black when I stand.",
            "We made a tea with the trumpet flowers from the garden, now my heart is "
            "at 150 and my mouth feels like sand.",
        ),
    )


def test_rubbing_alcohol_a_fox_bite_one_wet_diaper_and_a_pellet_in_an_eye():
    # round 105 (part IQ, the Inuit families, hunters, postings and francophone community of
    # Iqaluit, Nunavut, round 104's blind set, where the app missed one emergency and made 6 of
    # 304 look-alikes urgent): what the rules alone missed there: rubbing alcohol drunk when the
    # store was closed; a fox (or another rabies carrier) that bit, acting strangely, no rabies
    # shots, and the hour of "last night at 7" read as an age; a newborn with one wet diaper;
    # pills saved, "il compte tout prendre ce soir"; upper belly pain through to the back; double
    # vision, drooping eyelids and trouble swallowing after fermented food; a weapon made ready
    # and "il se relèvera pas"; "wanted 2 die"; a head that bounced on the ice, then "fait dodo"
    # and repeating; a pellet into an eye, only light and dark; red on the pads in pregnancy; a
    # baby's age beside its name, then a fever; numb "where you sit" and unable to pass urine.
    # False reds: a first aid kit stocked "for chest pain calls"; women a shelter takes in
    # "après de la violence conjugale".
    _read_by_the_rules_alone(
        not_urgent=(
            "I'm the first aid lead at the warehouse. Should our kit have aspirin for "
            "chest pain calls, or do we leave that to the paramedics?",
            "Je travaille au refuge. Des femmes qui arrivent chez nous après de la "
            "violence conjugale cherchent un médecin de famille, comment les référer?",
        ),
        urgent=(
            "With the store closed he had a few sips of the 99% stuff from the first "
            "aid box, now the room is spinning and he's drowsy.",
            "A raccoon bit my son's ankle in the shed, it was wobbling and not afraid "
            "of us. He never had rabies shots.",
            "Last night at 9 at the trailer a fox bit my finger, two punctures, it was staggering.",
            "Ma fille de 4 jours a eu une seule couche mouillée depuis hier et elle dort au sein.",
            "Il a gardé sa venlafaxine depuis un mois. Il m'a dit qu'il compte tout "
            "avaler avec son rhum après 22 h.",
            "Douleur au haut du ventre qui passe jusqu'au dos depuis minuit, 9/10, "
            "j'ai vomi trois fois.",
            "Je vois double depuis ce matin, mes paupières tombent et j'avale mal. On "
            "a mangé des conserves maison samedi.",
            "Il a sorti sa hache du garage et dit que le voisin va pas se relever ce soir.",
            "fight w my dad last nite n i wanted 2 die, still kinda do",
            "Au hockey bottine sa tête a rebondi sur la glace, il a fait dodo une "
            "minute et depuis il radote.",
            "A bb came back off the steel door into my eye, things are just bright "
            "and dark on that side.",
            "28 wks, red on my pads since the bumpy ride.",
            "Mon fils Noé, 12 jours, fait 38,3 depuis ce matin.",
            "Lifted the snowblower into the truck Friday, now it's kind of asleep "
            "where you sit and I haven't been able to go since noon.",
        ),
    )


def test_a_wrist_twisted_till_it_cracked_a_step_into_the_shaft_and_a_list_of_names():
    # round 106 (part SU, the mines, smelter, Franco-Ontarian Valley, lakes and highways of
    # Greater Sudbury, round 105's blind set, where the app caught every emergency and made 9 of
    # 304 look-alikes urgent): what the rules alone missed there: a wrist twisted until it
    # cracked or a partner thrown into the dryer, the keys taken and "if I go to the hospital or
    # tell anyone he will take the baby"; a plan to step into the open shaft tonight; a list of
    # names beside bear spray and a knife, "they'll all be sorry"; no urine since Sunday with a
    # fall, a dry tongue, a frozen well; "on n'arrive pas à le faire revenir"; a ketone strip
    # dark purple; "sait pu jour/année"; "pris ~25 baclofène", "lourde, étourdie, j'm'endors"; an
    # eye that tells only light from dark; a blow under the left ribs, then the point of the
    # shoulder and going white; "a little nap for maybe 10 seconds", "sick to my stomach".
    # False reds: a nurse who cares for patients "après des AVC et des hémorragies"; "si
    # quelquun perd connaissance" asked ahead; teaching a class what anaphylaxis looks like; a
    # grape choked on that "came out right away".
    _read_by_the_rules_alone(
        not_urgent=(
            "Je m'occupe de patients après des hémorragies cérébrales à l'hôpital, "
            "mon formulaire d'immunisation est-il prêt?",
            "I want to teach my class what a seizure looks like before the field "
            "trip, do you have a poster?",
            "My son choked on a candy at the fair. I did back blows and it came out "
            "right away. He's been playing since, is he ok?",
        ),
        urgent=(
            "My boyfriend bent my arm until it snapped and he took my car keys so I can't leave.",
            "Après mon quart ce soir je vais sauter dans le raise. I'm going to jump "
            "into the raise tonight after my shift.",
            "I'm going to step into the ore pass tonight, I already signed my truck "
            "over to my son.",
            "My son has pepper spray and a knife in his room and made a list of "
            "names. He says they'll all be sorry on Monday.",
            "Mom hasn't needed the bathroom since Tuesday, the well pipe froze and "
            "her tongue is dry as paper.",
            "Mon père sait plus jour ni année depuis sa chute de la semaine passée.",
            "J'ai pris ~20 clonazépam, j'me sens lourde, étourdie, je m'endors.",
            "Depuis midi je distingue juste le clair du noir avec mon oeil droit.",
            "The jackleg hit me on the left side under the ribs and now there's pain "
            "at the point of my left shoulder and I went white.",
        ),
    )


def test_holes_in_an_ice_road_lye_for_soap_a_shallow_dive_and_apricot_kernels():
    # round 107 (part KE, the lake, the mill, the float planes and the Treaty 3 communities of
    # Kenora and Dryden, round 106's blind set, where the app missed one emergency and made 7 of
    # 304 look-alikes urgent): what the rules alone missed there: holes augered in an ice road
    # for an ex's truck, "ils vont caler"; lye water for soap drunk by a toddler; a man home from
    # his shift not knowing the day, calling his wife by his sister's name ("normal at noon" is
    # how he was, not how it ended); a shallow dive, the head on the bottom, tingling hands; an
    # eye gone dark "like somebody closed a door"; bupropion by the dozen; vomiting dozens of
    # times, not a sip kept; "my sugar is 1 point 8"; all the pills "and not wake up"; a toilet
    # red three times in an hour after a procedure; not finishing one's sentences for breath; a
    # bang at the back of the head like never before; jerking without answering, the tongue
    # bitten, again; a mouth "droopin" with an arm gone heavy; bitter apricot kernels; a fall
    # belly-first onto a float plane's spreader bar, then the left shoulder. False reds: what a
    # lodge should stock "for" chest pain; people a service has "on suicide watch"; black stools
    # after Pepto or iron; a co-worker's collapse last month, "back at work now".
    _read_by_the_rules_alone(
        not_urgent=(
            "We're the safety crew at the lodge. What should we stock for seizures "
            "and chest pain until the float plane comes?",
            "I work at the youth centre. We sometimes have kids on suicide watch who "
            "see your doctors, how do we send notes?",
            "J'ai des selles noires après mes comprimés de fer, je me sens bien, est-ce normal?",
            "My brother-in-law collapsed at the plant in March and they did CPR, he's "
            "back to work now. Where can I take a CPR class?",
        ),
        urgent=(
            "Mon chum a percé une rangée de trous à la tarière sur le chemin de glace "
            "pour que le char de son ex passe au travers ce soir, y dit qu'y vont "
            "caler.",
            "Dad came in from the bush not sure what day it is and calling me by his "
            "sister's name.",
            "My son dove off the raft into shallow water and hit his head on the "
            "bottom, now both hands are tingling.",
            "J'ai pris environ 25 Wellbutrin il y a une heure.",
            "J'ai mangé des noyaux d'abricot moulus ce matin et là j'ai mal à la tête et je vomis.",
            "Je suis tombé sur la barre du quai ce matin, le ventre côté gauche, j'ai "
            "mal à l'épaule gauche et je suis étourdi.",
        ),
    )


def test_a_rusty_nail_and_a_locked_jaw_sheep_laurel_tea_and_an_edge_on_a_chisel():
    # round 108 (part LW, the iron-ore mines, rail line and Quebec border towns of Labrador
    # City, Wabush and Fermont, round 107's blind set, where the app caught every emergency and
    # made 7 of 304 look-alikes urgent): what the rules alone missed there: a rusty nail, then a
    # jaw that opens one finger and spasms that arch the back (tetanus); "2 virgule 3" on
    # insulin, shaking; a child burned with a cigarette by a mother's boyfriend; a fall head
    # first, out a minute, then asking what day it is; an edge put on an ice chisel to wait for
    # the plough driver; an eye "devenu noir d'un coup"; "gelé entre les jambes", nothing comes
    # out; a break every few words for breath; sheep laurel brewed for Labrador tea; "un motton
    # dans le cou" after almond milk; dish towels soaked in minutes; "une claque derrière la
    # tête"; a snowboard rail to the left side, then the top of the shoulder, woozy; a testicle
    # "at 11 playin a game" (a clock, not an age). False reds: an old anaphylaxis "quand
    # j'étais petit"; a sister's seizures "since she was a teenager"; "I nearly had a fit when";
    # a mother confused last night who "est redevenue elle-même" this morning.
    _read_by_the_rules_alone(
        not_urgent=(
            "My brother has epilepsy and has had seizures since he was a kid. Can it run in "
            "families?",
        ),
        urgent=(
            "Il y a dix jours je me suis planté un clou rouillé dans le pied, depuis hier ma "
            "mâchoire est barrée et j'ouvre à peine d'un doigt.",
            "diabète type 1, 12 unités ce midi, là je suis à 2 virgule 4 et je tremble pis je sue",
            "He's been sharpening his axe all night and says he'll be waiting at the end of the "
            "lane for the neighbour to settle it.",
            "He made tea from what turned out to be sheep laurel and now he's drooling and his "
            "pulse is 40.",
            "J'ai comme un motton dans la gorge qui m'empêche d'avaler depuis la crème aux "
            "amandes, j'ai pris mon EpiPen.",
            "Ce matin c'est comme si quelqu'un m'avait donné une claque derrière la tête, j'ai "
            "le cou barré et j'ai vomi.",
            "my son came down on a rail on his left side snowboarding, now his belly hurts and "
            "he's woozy when he stands",
            "ethan 15 sudden bad pain in my left testicle at 10 playing a game, left one is "
            "higer and threw up",
        ),
    )


def test_bug_spray_swallowed_a_red_snow_a_rifle_in_the_lot_and_a_locked_basement():
    # round 109 (part NP, the lake, the air base, the rail shops and the Franco-Ontarian
    # villages of North Bay, West Nipissing and Mattawa, round 108's blind set, where the app
    # caught every emergency and made 7 of 304 look-alikes urgent): what the rules alone missed
    # there: DEET bug lotion swallowed by a toddler, then sleepy, wobbly, twitching; a leg torn
    # by a snowmobile track, a puddle in the snow, a strap for a tourniquet, faint; a 30-30 in
    # the truck and a wait in the clinic's parking lot, "il va payer"; a bear that put a man on
    # the ground and bit his forearm; a kidney-transplant patient who cannot keep the
    # anti-rejection pills down; a partner who locked her in the basement with a padlock; belly
    # pain spreading days after the gallbladder came out; no food, no water, the pills put
    # aside, "m'éteindre doucement". False reds: resources "for someone who says" they are
    # thinking about suicide; a throat tight "when I'm stressed", for years; a miscarriage in
    # March, "fully recovered now", "we want to try again"; "what are the signs my dad is having
    # a stroke"; how a practice "handles calls about" chest pain; a chest sore "from coughing";
    # a father who "sest suicidé quand j'avais dix ans".
    _read_by_the_rules_alone(
        not_urgent=(
            "My husband had a heart attack in March with a lot of chest pain, he's fully "
            "recovered now. We want to travel again, does he need a check first?",
            "what are the signs my mom is having a stroke, i want a list for her fridge",
            "For my placement I'd like to see how your nurses handle calls about overdoses and "
            "chest pain. Who can I ask?",
            "mon oncle sest suicidé quand javais douze ans, je voulais que ce soit dans mon "
            "dossier",
        ),
        urgent=(
            "My daughter (3) drank some of the DEET bug spray at the camp and now she's really "
            "sleepy and wobbly.",
            "Chainsaw kicked back into my shin, there's a puddle in the snow and I feel faint.",
            "J'ai une greffe de foie et je vomis mes pilules anti-rejet depuis hier, presque pas "
            "d'urine.",
            "On m'a enlevé la vésicule mardi, là j'ai mal partout dans le ventre 10/10, il est "
            "gonflé et j'ai vomi.",
            "Je mange plus depuis une semaine et j'ai mis mes pilules de côté, je veux juste "
            "m'éteindre.",
        ),
    )


def test_trees_on_a_foremans_truck_a_rip_on_a_blood_thinner_and_cough_pearls_chewed():
    # round 110 (part RG, the river, the mills, the bridge to Listuguj and the Acadian and
    # Scottish towns of the Restigouche, round 109's blind set, where the app caught every
    # emergency and made 2 of 304 look-alikes urgent): what the rules alone missed there: a
    # feller-buncher operator who will drop trees on his foreman's pickup "with him in it"
    # (and "a few trees might just happen to come down on him, if you know what I mean": an
    # aside, not a condition); a tear felt in the belly while coughing on warfarin, then a hard
    # lump that grows, a spreading bruise, dizzy, a pulse of 118; benzonatate (Tessalon) cough
    # capsules chewed by a toddler, drooling and floppy; three months of mirtazapine saved with
    # a bottle of rum "to take it all" tonight; a block-heater cord pulled round a neck "til i
    # past out"; an old man back from Rimouski asking for his wife "qui est décédée en 2015"
    # and thinking it is 1998 (a year that dates a death is not the date of the confusion);
    # "il sait pas trop où il est"; "my throat's kind of snug"; "oeil D tout noir dun coup";
    # "le sourire un peu de travers"; pain "in my private area" that "came on when I was
    # doing flyers" and looks like it "moved up" ("when I was doing" is what he was doing,
    # not his childhood). False red: a border officer who "sometimes sees" travellers with
    # chest pain and asks for a defibrillator course.
    _read_by_the_rules_alone(
        not_urgent=(
            "We sometimes see travellers with chest pain at the border crossing. Is there a "
            "short defibrillator course for our team?",
            "On voit souvent des passagers avec des douleurs à la poitrine dans l'autobus, y "
            "a-tu une formation pour nous?",
        ),
        urgent=(
            "My brother says when the boss walks under the landing tomorrow he's going to drop "
            "a log on him, he knows where he stands.",
            "Mon chum dit qu'il va faire tomber des arbres sur le char du contremaître demain "
            "matin avec lui dedans.",
            "I'm on Eliquis. Lifting the snowblower I felt something rip in my belly, now a "
            "firm lump that keeps getting bigger and I'm light headed.",
            "my 3 year old chewed one of my tessalon perles from the walk in and now he's "
            "drooling and limp",
            "Il m'a mis une corde autour du cou hier soir et il a serré jusqu'à ce que je perde "
            "connaissance.",
            "oeil G tout noir dun coup en pelletant ce matin, pas de douleur",
            "he's 15, sore in his private area since 4, it came on when he was shovelling and "
            "it looks like it moved up, he threw up",
            "Tomorrow at 7, if you know what I mean, he's getting what's coming with my 12 "
            "gauge in the truck.",
        ),
    )


def test_lily_of_the_valley_berries_the_grown_ups_glasses_and_a_rifle_for_the_bailiff():
    # round 111 (part KL, the gold mines, the Clay Belt farms and the lake towns of Kirkland
    # Lake and Temiskaming Shores, round 110's blind set, where the app caught every emergency
    # and made 3 of 304 look-alikes urgent): what the rules alone missed there: a toddler who
    # ate lily-of-the-valley berries ("des petites boules orange sur les fleurs blanches en
    # clochettes"), then vomiting, pale and a slow heart; a dairy farmer's .30-06 loaded for
    # the bailiff ("je vais tirer le huissier", "je l'attends avec ma 30-06", "il ne repartira
    # pas tout court"); a three-year-old into the grown-ups' glasses at a party, wobbly and hard
    # to keep awake; a groin that bleeds through two towels the day after an angiogram; a fever
    # of 39.8 with shaking chills and vomiting at 22 weeks; a pulse of 34 to 38 with near-faints;
    # a cattle prod used on a wife and "next time it will be the children"; nothing passed
    # since the morning with one kidney and flank pain; a jump from Devil's Rock tonight; a
    # baby's bouncy seat off a counter, then vomiting and sleepy; "tout mouillé" and talk that
    # does not follow at 1.9 on insulin; lithium put aside, "all of them at once"; "throat
    # tite"; "sinse last fall" (a misspelt "since" starts a duration, not a story). False reds:
    # an arm that cannot be lifted "pour accrocher mon linge" (a stiff shoulder); words sought
    # "des fois", nothing sudden; a firefighter's "appels de surdose".
    _read_by_the_rules_alone(
        not_urgent=(
            "Mon épaule droite est gelée depuis l'automne, je peux plus lever le bras pour me "
            "peigner. Pouvez-vous me référer en physio?",
            "My wife can't lift her arm to do up her bra since the winter, her shoulder is stiff.",
            "Ma mère de 88 ans cherche ses mots des fois. Rien de soudain. Peut-on avoir un "
            "rendez-vous?",
        ),
        urgent=(
            "My 2 year old ate some foxglove leaves in the garden an hour ago and he's thrown up "
            "and his heart seems slow.",
            "Ma petite (4) a bu le fond des verres de vin sur la table pendant le party, elle "
            "titube et elle vomit.",
            "He finished the leftovers of the punch bowl and now I can barely keep him awake.",
            "Je suis enceinte de 30 semaines, fièvre 39,6 avec des frissons et je vomis tout.",
            "I'm 26 weeks pregnant, temp 39.4 with shaking chills and vomiting.",
            "Je n'ai qu'un seul rein et depuis ce matin plus rien ne sort, j'ai mal au flanc et "
            "je vomis.",
            "the bouncy seat slid off the table and my 4 month old hit the floor, she threw up "
            "twice",
            "Son lecteur affiche 2,1, il est tout mouillé et ses phrases se suivent pas, il fait "
            "de l'insuline.",
        ),
    )


def test_an_eye_after_its_injection_a_dog_shot_and_pick_handles_for_tonight():
    # round 112 (part WD, the sawmill and gold-mine towns, the railway divisions and the Lake
    # Superior shore of Wawa, Dubreuilville, White River and Chapleau, round 111's blind set,
    # where the app caught every emergency and made 9 of 304 look-alikes urgent): what the rules
    # alone missed there: an eye red, more and more painful and seeing "juste des formes" days
    # after an injection for macular degeneration; a partner who shot the family's dog with a
    # .22 and said "I'm next"; men going "tonight after dark with pick handles" so a released
    # abuser "never walks again"; a propane heater in a wall tent, "all 3 of us woke at 6 with
    # pounding headaches" (the hour one woke is not an age); "38.8 at 3 and 38.9 at 6" in a baby
    # of two months (the first of two clock readings is not an age either); a daycare child at
    # 40.2 "holding her head really still" with "bruise-looking dots"; a drinker lost in his own
    # flat with eyes that jump; "comme si j'étais resté assis ... sur une selle de bicycle" and
    # "la plomberie marche pas"; vomiting and yellow eyes at 34 weeks; a toddler's eight
    # Diclectin, a racing heart and huge pupils; lips and tongue bigger and a throat "comme si
    # ça rétrécissait"; twenty minutes in a lake at 5 degrees, then no more shivering and a lazy
    # tongue; a goodbye quoted in French ("il m'a écrit « pardonne-moi »") is not a form's
    # heading. False red: black fly bites where "ça pique" (it itches, it is not a sting).
    _read_by_the_rules_alone(
        not_urgent=(
            "Les mouches noires m'ont mangée au chalet, ça pique, c'est enflé en petites bosses "
            "sur les chevilles. Une crème plus forte?",
        ),
        urgent=(
            "Piqûre dans l'oeil gauche jeudi pour ma DMLA, depuis hier il est rouge et fait mal, "
            "ce matin je vois juste des ombres.",
            "had my eye injection for macular degeneration on monday, now it's red and sore and "
            "I only see shapes out of it",
            "He shot our cat with his rifle last night in front of the kids and told me I'm next.",
            "Me and my brother are going over there tonight with baseball bats, he'll never walk "
            "again after what he did to her.",
            "Ma fille de 3 ans fait 40,1 depuis hier, elle tient sa tête bien droite et pleure "
            "quand je lui lève la tête.",
            "My son is 4, fever 39.8, he's holding his head really still and cries if I try to "
            "lift it.",
            "Mon père boit beaucoup, il se perd dans sa propre maison depuis hier et ses yeux "
            "sautent de côté quand il regarde.",
            "Depuis ce matin c'est comme si j'étais resté assis sur une selle de vélo toute la "
            "journée, et rien ne sort quand je vais aux toilettes.",
            "je suis enceinte de 35 semaines je vomis tout depuis 2 jours et mes yeux sont jaunes",
            "Il est tombé dans le lac à 4 degrés pendant 15 minutes, maintenant il a arrêté de "
            "grelotter et sa langue est lourde.",
            "we ran the propane heater all night with the flaps shut and all of us woke at 6 "
            "with headaches and my dad is confused",
            "Baby is 7 weeks, 38.6 at 2 and 38.9 at 5, very sleepy and not feeding.",
            "Ce soir il m'a écrit « pardonne-moi » et il dit qu'il voulait en finir, la "
            "bouteille de pilules est vide.",
        ),
    )


def test_a_mill_conveyor_to_jump_from_a_bow_for_the_adjuster_and_cola_coloured_urine():
    # round 113 (part MI, the Miramichi river towns, the Acadian fishing shore and the salmon
    # rivers, round 112's blind set, where the app caught every emergency and made 5 of 304
    # look-alikes urgent, but the rules alone caught only 172 of 224): what the rules alone
    # missed there: a drinker going "up the old chip conveyor at the mill ... and jump off the
    # top"; a compound bow for the insurance adjuster, "je vais lui en planter une dans le
    # ventre"; urine "dark brown like Coke" with swollen, rock-hard muscles after a workout; an
    # oyster knife held to a wife's throat and "la prochaine fois il manquerait pas"; a man of 72
    # found in his yard in his socks who did not know his neighbour and keeps asking the day;
    # "mad honey" and a pulse of 38; sudden pain in waves with a known ovarian cyst at 9 weeks,
    # where the writer's own "No bleeding." had been read as a story cleared; fifteen bouts a
    # day and no urine "depuis lundi matin, et on est mardi" (today's weekday is not a past day),
    # after which the writer takes his blood-pressure pills "comme d'habitude" (his medicines as
    # usual, not the story ended well); right-sided pain that "s'est tout calmé d'un coup", then
    # a tense belly and 39.2; an eye dimmed "like somebody drew the shade"; three bath towels and
    # fifteen minutes of pressure; a meter that "won't even give a number, it just says HI".
    _read_by_the_rules_alone(
        not_urgent=(
            "Fell in the yard yesterday, didn't hit my head, no bleeding, just a bruised hip. "
            "I'm on warfarin, should I get my INR checked?",
        ),
        urgent=(
            "I've had a few drinks tonight and I'm going up the old water tower behind the rink "
            "to jump off. Just so somebody knows.",
            "Mon frère dit qu'il va aller au garage du contracteur demain avec son arbalète pour "
            "lui en planter une dans le dos.",
            "did a crossfit comp saturday, today my legs are swollen and rock hard and my pee is "
            "brown like cola",
            "Hier soir il m'a mis un couteau sur la gorge et il a dit que la prochaine fois il "
            "manquerait pas.",
            "I know I have a cyst on my left ovary, since noon a sudden sharp pain on that side "
            "and I've thrown up three times, I'm pale and sweaty.",
            "Mal en bas à droite depuis jeudi, ça s'est calmé d'un coup hier, mais là le ventre "
            "est dur et j'ai 39,1.",
            "My left eye dimmed all at once this morning like somebody pulled the blind, no pain.",
            "Au 30 semaines, pas uriné depuis mardi, on est jeudi, et je vomis dix fois par jour, "
            "je suis tombée en me levant.",
            "I'm 10 weeks pregnant and the scan last week showed a 5 cm cyst on my right ovary. "
            "Since this morning I have sudden stabbing pain low on the right and I've thrown up "
            "five times. No bleeding.",
            "Samedi j'ai mangé des huîtres crues au mariage de mon neveu. Depuis dimanche je "
            "vomis et j'ai la diarrhée, une quinzaine de fois par jour. J'ai pas uriné depuis "
            "lundi matin, et on est mardi soir. Je suis tombé deux fois en me levant, ma bouche "
            "est sèche. Je prends mes pilules de pression comme d'habitude.",
        ),
    )


def test_a_boat_through_a_swim_area_a_burn_like_leather_and_a_list_denied_past_its_comma():
    # round 114 (part EL, the retirement and old uranium-mining town, the mill towns and the
    # North Channel shore of Elliot Lake, round 113's blind set, where the app caught every
    # emergency and made 6 of 304 look-alikes urgent): what the rules alone missed there: a boat
    # driven "right through their swim area" to "make it look like I never saw him"; white
    # burns "comme du cuir", larger than two hands, from a sauna's stove; a canoe thwart under
    # the left ribs, then a swollen belly, the tip of the left shoulder and a faint (a torn
    # spleen); a helium tank "that isn't for birthday balloons" and a letter; "me and the kids
    # won't be found" said as a condition, after a night that ended against the woodbox; "ma
    # bouche est devenu croche ... mon bras droit est lour"; insulin meant for someone else and a
    # sugar that "slid back to 2.6"; water not staying down and no bathroom all day after two
    # days lost in the heat; red urine with clots after a prostate operation and "ça bloque";
    # "Anna, 36 days" at 38.4; a husband with myeloma talking with his dead brother, lost in his
    # own town ("Hier soir il était comme d'habitude" is how he was before, not how it ended);
    # "comme si le rideau s'était fermé" over one eye. False reds: "no weakness, numbness or
    # trouble talking" (a denied list runs on past its first comma); "J'ai cordé deux cordes de
    # bois" (stacking firewood, not a rope).
    _read_by_the_rules_alone(
        not_urgent=(
            "I need my sumatriptan refilled. Same headaches as always, no weakness, numbness or "
            "trouble speaking, nothing new.",
            "J'ai cordé trois cordes de bois hier, j'ai mal au dos. Je peux prendre des Advil?",
        ),
        urgent=(
            "Tomorrow when he swims out to the dock I'm taking the boat through their swim area "
            "and making it look like an accident.",
            "Je suis tombé sur le poêle à bois, j'ai des plaques blanches comme du cuir sur le "
            "bras et la main.",
            "I bought a helium tank and wrote Sheila a letter explaining things, tonight I end it.",
            "Things got out of hand last night after he'd had a few and I ended up against the "
            "wood stove, my ear is still ringing. This morning he said if I talk to anybody, me "
            "and the kids won't be found.",
            "They gave Dad the wrong insulin at the home, juice got him to 3.5 then he slid back "
            "to 2.4.",
            "Depuis mon opération de la prostate, mon urine est rouge avec des caillots et là ça "
            "bloque, rien ne passe.",
            "Mon oeil gauche, c'est comme si un rideau s'était fermé d'un coup ce matin.",
        ),
    )
    # a lost function heading the list is a symptom, not a denial
    assert (
        triage(
            "", "No strength in my left arm, numbness or trouble talking since noon.", RULES
        ).priority
        is Priority.URGENT
    )


def test_cough_syrup_by_the_bottle_a_biopsy_that_bleeds_inside_and_a_name_read_as_a_name():
    # round 115 (part JB, the railhead and mill towns and the James Bay coast of Cochrane, Smooth
    # Rock Falls, Iroquois Falls, Moosonee and Moose Factory, round 114's blind set, where the app
    # caught every emergency and made 8 of 304 look-alikes urgent): what the rules alone missed
    # there: a bottle of DM cough syrup drunk "pour tripper", a pulse of 148 and things seen that
    # are not there; a liver biopsy in the morning, then pain climbing into the right shoulder, a
    # swelling belly, dizzy on standing and a pulse of 118 (bleeding inside); a brother's camp
    # locks changed, the chainsaw in the truck and "je le découpe en morceaux"; a wife tied to the
    # garage post with tie-wraps and "tu vas payer quand je vais te trouver"; a puck to the front
    # of the neck, then a whisper of a voice, saliva that will not go down and a whistle breathing
    # in; "tout ce que j'avale revient", no toilet since Sunday and a faint on rising; "3
    # bouteilles diltiazem de côté ... toutes avec whisky"; "fine this am ... suddenly dont know
    # me"; a hand "gone lazy" and a mouth "sagging". False reds: "quand j'ai vu la facture ...
    # j'ai fait une crise cardiaque! Haha"; a health project "on anaphylaxis"; "seizure first
    # aid"; a support group "pour les familles endeuillées par suicide"; "qu'à 19 ans j'ai fait
    # une tentative de suicide"; a pill bottle whose seal "was still on", none missing; a low
    # treated with juice and back at 6.8; and "Bonjour, c'est Mélanie ..." read as "mélangée"
    # (confused) by the speller, which made two real emergencies look caught for the wrong
    # reason: the rules now catch them for the right one (a threat that "next time" she will not
    # come back, with a loaded rifle; "finir la job une fois que je dormirais").
    _read_by_the_rules_alone(
        not_urgent=(
            "Quand j'ai vu la facture du dentiste, j'ai fait une crise cardiaque! Sérieusement, "
            "est-ce couvert par l'assurance?",
            "My son's science project is on seizures, could a nurse answer a few questions by "
            "phone?",
            "Our crew did seizure first aid today. Can I book my physical?",
            "Je cherche un groupe pour les familles endeuillées par suicide, mon oncle est "
            "décédé en 2019.",
            "Je voulais que vous sachiez qu'à 17 ans j'ai fait une tentative de suicide. Je vais"
            " bien depuis longtemps.",
            "My 3-year-old got hold of my blood thinner pills this morning, but the cap was "
            "still on the bottle and we counted them, none missing.",
            "Last night I woke up sweaty and shaky, my sugar was 2.7 even with less insulin. Had"
            " juice and it was 5.9 twenty minutes later. Should I lower my dose?",
            "Bonjour, c'est Mélanie Tremblay. On arrive de Montréal vers 4 h, est-ce que mon "
            "rendez-vous peut être plus tard?",
        ),
        urgent=(
            "J'ai bu une bouteille entière de sirop pour la toux il y a une heure, mon cœur est "
            "à 150 et je vois des choses qui sont pas là.",
            "J'ai eu une biopsie du rein ce matin, la douleur augmente et je suis étourdi quand "
            "je me lève, pouls 120.",
            "Mon voisin a volé mon quad, ce soir je monte avec ma hache et je vais le découper "
            "en morceaux.",
            "He tied me to a chair with zip ties last night, I got away and he texts that I'll "
            "pay when he gets me.",
            "Took a hockey puck to the throat at practice last night, now I can only whisper and"
            " it whistles when I breathe in.",
            "Tout ce que je bois revient depuis trois jours, je suis pas allée à la toilette "
            "depuis hier matin et j'ai vu noir en me levant.",
            "2 boites de dilaudid de côté, à soir toutes avec du fort. Voulais que qqn le sache.",
            "gran 80 fine this am, 11:30 suddenly dont know me, grabbing at air",
            "Since 9 his right hand went lazy and his mouth is sagging on that side.",
            "Steve m'a frappée samedi. Il a dit que la prochaine fois j'en reviendrais pas.",
            "Il m'a accrochée avec l'aviron, après il a dit qu'il allait « finir la job » une "
            "fois que je dormirais.",
        ),
    )


def test_a_smokehouse_a_barricaded_door_a_filler_and_a_letter_dropped_not_changed():
    # round 116 (part IM, the fishing harbours, the salt mine and the English-speaking islands of the
    # Îles-de-la-Madeleine, round 115's blind set, where the app caught every emergency and made 6 of
    # 304 look-alikes urgent): what the rules alone missed there: a night tending a herring
    # smokehouse's fires with the doors shut, found on the floor, vomiting, no memory of sitting down
    # (carbon monoxide); a sealing club sharpened and a plan to "finish" the cottage renters next door
    # while they sleep; a mother's drinking boyfriend at a 14-year-old's bedroom door, and "that
    # dresser won't stop him tonight"; 40 pregabalin capsules "gardés" for "à soir"; a filler between
    # the brows, then "comme si on avait fermé la lumière" over one eye; myasthenia after an
    # antibiotic, saliva that will not go down and drink back through the nose; "le fond de culotte
    # est tout endormi" and "la plomberie ne marche plus"; "puffed up around the lips and eyes" and a
    # throat "a bit snug"; "belly buton" read "baton" by the speller, which now prefers a letter
    # dropped to a letter changed; "when I was digging I got a really bad pain" (the moment it struck,
    # not a past time). False reds: a bill that "m'a presque fait tomber sans connaissance"; "On parle
    # de noyade, d'hypothermie et d'hémorragie" (a course's topics); a student's "Je me demandais
    # comment la clinique gère une douleur thoracique"; a paramedic's "appels pour des douleurs
    # thoraciques"; a pinch in the ribs "quand je respire fort".
    _read_by_the_rules_alone(
        not_urgent=(
            "Votre facture pour la lettre m'a presque fait tomber sans connaissance, 60 $! C'est"
            " normal?",
            "Je fais mon cours de sauveteur. On parle de noyade, de convulsions et d'hémorragie."
            " Pouvez-vous signer mon formulaire?",
            "Je me demandais comment la clinique gère une douleur thoracique quand l'avion ne "
            "vole pas. Merci!",
            (
                "Point quand je respire fort",
                "Depuis ma grippe j'ai mal aux côtes, surtout quand j'appuie. Je peux avoir un "
                "rendez-vous?",
            ),
            "On a souvent des appels pour des douleurs thoraciques au quai, loin de l'hôpital. "
            "Pourriez-vous nous envoyer la liste?",
        ),
        urgent=(
            "Tended the fire in the smokehouse all night with the door shut, my brother found me"
            " on the floor, I threw up and my head is pounding.",
            "I put an edge on Dad's old club last night. Once their lights are out I'm going "
            "over to settle things for good.",
            "He came into my bedroom at 3 and grabbed my arm, I put a chair against the door and"
            " he said it won't stop him tonight.",
            "Had filler between my eyebrows at 2, now my right eye hurts and I can't see out of "
            "it.",
            "Je prends du Mestinon. Depuis ce matin ma salive ne descend plus et quand je bois "
            "ça revient par le nez.",
            "Le fond de culotte est engourdi depuis hier et ce matin la plomberie ne marche "
            "plus, j'ai mal au dos.",
            "Ate shrimp at the wedding, I'm puffed up around the lips and eyes and my throat "
            "feels snug.",
            "pain near belly buton since last night, vomit 4 time, temp 38.8",
            "When I was lifting the canoe I got a sudden terrible pain in my right testicle, I "
            "threw up.",
        ),
    )


def test_jerry_cans_a_parish_supper_a_high_tide_and_a_lobster_pot():
    # round 117 (part KC, the lobster harbours, smokehouses and Acadian villages of Kent County and the
    # Shediac shore, round 116's blind set, where the app caught every emergency and made 3 of 304
    # look-alikes urgent): what the rules alone missed there: jerry cans of gas in a smokehouse and a
    # plan to shut the door and light it with the writer inside; a threat to open a parish hall's gas
    # stoves and "les faire sauter" at a supper; a walk out on an oyster lease at high tide in waders,
    # "et continuer tout droit"; boiling water from the lobster pot thrown by a husband who comes back
    # at closing time; a fisherman overcome in a bait tote and dragged out; a child after a
    # tonsillectomy with no pee since yesterday and no tears; green vomiting at 12 days; a hand that
    # "does not want to close" and a face that "feels lazy"; puffers that do not work and dark lips;
    # the waters leaking for a day, then fever and a foul, tea-coloured fluid; a mechanical valve,
    # teeth pulled and a fever (endocarditis); a line drive in the eye, blood in front of the iris;
    # a headache at "full tilt in a couple of seconds". False reds: "j'étouffe dans mes pantalons"
    # after the holidays; "j'ai jamais pensé à me faire du mal" (a thought denied).
    _read_by_the_rules_alone(
        not_urgent=(
            "Après les Fêtes pis toutes les tourtières, j'étouffe dans mes pantalons! Je "
            "voudrais voir la nutritionniste.",
            "Depuis la séparation je pleure souvent. J'ai jamais pensé à me faire du mal, je "
            "voudrais juste une référence en psychologie.",
        ),
        urgent=(
            "The bank is taking the garage. I put three jerry cans of gas in there today and "
            "tonight I'll shut the door and light it with me inside.",
            "Mon frère a dit qu'au bingo de dimanche il va ouvrir le gaz des poêles de la "
            "cuisine et les faire sauter. Il a la clé de la salle.",
            "Ce soir à la marée haute je vais marcher au large avec mes bottes-culottes pis "
            "continuer tout droit.",
            "Il m'a lancé l'eau bouillante du chaudron, j'ai des cloches sur le bras, et il "
            "revient à la fermeture du bar.",
            "Jumped into the bait tank to clear it, the smell got the better of me and my buddy "
            "was dragging me out. Coughing and foggy now.",
            "Depuis jeudi il boude ses verres d'eau, il est pas allé faire pipi depuis hier 8 h "
            "et quand il pleure ça coule pas.",
            "Mon bébé de 10 jours a rendu 3 fois, c'est vert foncé, elle a la bedaine dure.",
            "My right hand does not want to close since this morning and my face on that side "
            "feels lazy.",
            "Mes pompes font pas leur ouvrage aujourd'hui, 10 fois depuis midi, ma femme dit que "
            "j'ai les lèvres foncées.",
            "Due in under two weeks. A little leak yesterday, today it's tea-coloured and not a "
            "nice smell, thermometer says 38.9.",
            "J'ai une valve mécanique, on m'a arraché deux dents il y a dix jours et là j'ai "
            "39,2 avec des frissons.",
            "got hit in my rite eye by a line drive at softball. i only see lite and blury "
            "shapes. mom says theres blood at the botom of the colored part",
            "Sore head came on all at once hauling a crate up the ladder, like a whack from "
            "behind, lost my supper twice.",
        ),
    )


def test_a_spa_tablet_sharpener_blades_a_hunting_stand_and_a_sledgehammer():
    # round 118 (part CB, the mines, sawmills and Cree communities of Chibougamau-Chapais,
    # Oujé-Bougoumou and Mistissini, round 117's blind set, where the app missed one emergency of 224
    # and made 7 of 304 look-alikes urgent): what the rules alone missed there: a toddler who chewed a
    # spa's chlorine tablet; pencil-sharpener blades swallowed on purpose; one eye nearly all dark on
    # waking, "juste un peu de clarté au bord"; a fall from a hunting stand at 27 weeks, then cramps
    # every few minutes; a jaw punched out of line and "hell kill me" if she tells; a man who asks who
    # his daughter is and thinks it is another year; a propane flash in the face, singed brows and grey
    # spit; "un sourire tout de travers" and words chewed; "un coup de masse" behind the head drawing a
    # bow; a heaviness that pulls into the lower teeth; a log under the left ribs, then the tip of the
    # left shoulder; "a big handful" of lupus pills; a tumble off a stand onto the head; a 12-gauge and
    # "settle things with him ... for good". False reds: the Canadiens' overtime "crise de cœur";
    # periods "every 3 weeks, sometimes 6 weeks"; a meeting to "revoir la prise en charge des douleurs
    # thoraciques".
    _read_by_the_rules_alone(
        not_urgent=(
            "allo, les Canadiens m'ont encore donné une crise de cœur en prolongation hier. "
            "Avez-vous reçu mon papier pour le retour au travail?",
            "Hello, since September my periods come every 3 weeks, sometimes 6 weeks. Normal amount of bleeding. Could I book with the doctor?",
            "Je voudrais organiser une rencontre pour revoir la prise en charge des douleurs thoraciques avec les ambulanciers. Qui contacter?",
        ),
        urgent=(
            "Mon gars de 3 ans a mâché une pastille de chlore de la piscine, il bave et il pleure quand il avale.",
            "16a. avalé les 2 lames d'aiguisoir ya 1h. mal qd j'avale. veux encore me faire mal",
            "Au réveil mon œil droit est presque tout noir, juste un peu de clarté sur le bord.",
            "27 semaine enceinte. chu tombé du mirador sur le ventre. depuis des cramps au 5-6 minute, ventre dure, le bébé bouge moin.",
            "my boyfreind puncht me last nite. my jaw wont close right and the teeth dont touch on the left. he took my phone and said if i tell anybody hell kill me",
            "Depuis le souper mon mari m'a demandé qui elle était en parlant de notre fille, il "
            "pense qu'on est dans une autre année.",
            "Le vieux poêle du camp m'a fait un coup de chaleur en pleine face. Plus grand-chose "
            "comme sourcils, quand je crache c'est grisâtre.",
            "Drôle de moment à l'aréna : mon bras gauche veut plus rien tenir. Ma fille trouve "
            "que je mâche mes mots. C'est sûrement de la fatigue?",
            "Je pratiquais mon arc et j'ai eu comme un claquement derrière la tête. Depuis ça "
            "cogne fort en arrière, le cou est barré. J'ai dû forcer trop?",
            "Un genre de pesanteur en plein milieu, qui me tire jusque dans les dents d'en bas. "
            "J'ai le cœur sur le bord des lèvres.",
            "log rolled off loader, hit L side under ribs. now sharp pain tip of L shoulder, dizzy standing",
            "I took a big handful of my blood pressure pills, I didn't want to be here anymore.",
            "Dad had a tumble off the ladder, 10 feet, came down on his head, now he's repeating "
            "himself.",
            "The 12-gauge is loaded by the door. I'm going to settle things with him at the "
            "wharf, for good.",
        ),
    )


def test_a_sickle_cell_flight_a_windshield_a_fight_bite_and_a_twin_otter():
    # Round 119 (tuned on part YN): what the rules alone missed there, in other words than
    # the set's, and three look-alikes they had marked urgent (a fish hook's crushed barb, a club's
    # first aid evening, a meningitis long over).
    _read_by_the_rules_alone(
        not_urgent=(
            "Hier mon beau-frère m'a accroché le doigt avec son hameçon. L'ardillon était écrasé, ça a saigné un peu, j'ai mis un diachylon. Faut-il un rappel de tétanos?",
            "We're organizing a first aid evening for our curling club: sprains, frostbite, how to stop heavy bleeding at the rink. Could you recommend someone?",
            "Bonjour, est-ce que mon ancienne méningite change quelque chose pour les vaccins du voyage?",
        ),
        urgent=(
            "J'ai l'anémie falciforme, je suis revenu en avion hier. Depuis la nuit j'ai mal en haut à gauche du ventre, ça monte dans l'épaule, et j'ai vomi deux fois.",
            "Le camion a glissé dans le fossé et ma tête a rencontré le pare-brise, un petit somme d'une minute. Ce soir j'ai eu le cœur sur le bord deux fois et ma blonde dit que je radote.",
            "Dimanche j'ai donné un coup de poing dans la gueule d'un gars, ses dents m'ont ouvert la jointure. Là ma main est enflée jusqu'au coude et je fais des frissons à 39,5.",
            "Ma sœur m'a écrit de sa tablette : son chum lui a donné un coup de tête, il a jeté son téléphone dans le lac et il dit que personne va la retrouver.",
            "Flew home with the cabin heater on full. Both of us have a pounding headache and my wife is so drowsy I can't keep her awake. The CO card has gone black.",
            "Je vais mettre du sucre dans le réservoir de l'autobus scolaire ce soir, il part à 7 h avec 30 enfants.",
            "maman de léo 50 jour. a 22h temperature 38 virgule 7 dans les fesses, il tète seulement quelques minutes.",
            "The chainsaw nicked the inside of his leg up high. It's coming in little pushes, three towels through, we put a belt above it and he's woozy.",
            "Mom is 88 and a little mixed up since the walk-in gave her valacyclovir for the shingles, she's living in the past.",
            "Mon petit de 4 mois est devenu raide et ses bras tressautaient, les yeux partis en l'air, maintenant il est tout mou.",
            "When I bend down to start the snowblower something happen in my head, like a big bang. I bring up my breakfast and I want the room dark.",
            "At the airstrip my right eye dimmed to grey, within seconds. Now I can only tell if it's bright or dark on that side.",
            "My back is bad and now it's like sitting on a block of ice down there, only a trickle when I pee even though I feel full.",
            "A bull in the pasture gave me a toss. Caught me on the left ribs. My breathing is short and quick and there's pink when I cough.",
            "Grand-papa boit presque rien depuis trois jours, pas d'urine depuis hier et il est pas capable de se lever.",
        ),
    )


def test_a_plan_for_tomorrow_a_black_spider_a_burst_sprayer_and_a_rolling_pin():
    # Round 120 (tuned on part OK): a plan to die told after a clause about last week, 'en finir
    # avec ma vie' (an idiom list had read it as being done with a chore), and what else the rules
    # alone missed there, in other words than the set's; a course's 'we cover choking' is a topic,
    # and 'last year I was going to kill myself' stays the past.
    _read_by_the_rules_alone(
        not_urgent=(
            "Hi, I run the first aid course for new lifeguards at the pool. We cover choking, seizures and when to call 911. Do you have posters we could use?",
            "Last year I was going to kill myself but I got help, and I'm doing well now. Could I book my yearly check-up?",
        ),
        urgent=(
            "My wife moved out last month, I've been drinking every night and I'm going to kill myself tomorrow.",
            "Mon chum est parti la semaine passée pis je vais en finir avec ma vie ce soir.",
            "J'ai chargé la carabine, elle est cachée dans le camion. Ce soir je vais au fond du champ pis jme tire.",
            "I've made up my mind about Saturday. I'll walk out past the guardrail at the lookout. Nobody will have to worry about me after that.",
            "En cueillant des bleuets une araignée noire avec du rouge en dessous m'a mordue. Là j'ai des crampes dans le ventre et je transpire.",
            "bjr vitre éclatée, coupure 3cm au cou g. 2 essuies trempés, j'appuie ça coule tjs. tête tourne.",
            "papa 72a au chalet, bras + jambe d mous, bouche croche a d, parle pateux. dit qu'il va bien...",
            "We ate what we took for wild onions from the ditch. Now we're both vomiting and my heart is at 38 on my watch.",
            "Le boyau a lâché pendant que j'arrosais le verger. Depuis je salive sans arrêt, j'ai des petits tics dans les bras pis j'ai été malade des deux bords.",
            "Took a knock from my own paddleboard, left side of the head. Zoned out for half a minute. Tonight I lost my supper twice and can't keep my eyes open.",
            "Since 3 am the pain is up top and goes straight through to my back, I've been sick 7 times and my heart is 130.",
            "There was trouble at home last night and my arm got hurt with the frying pan. He says if I talk to anyone I won't be around anymore.",
            "The shotgun is cleaned and loaded in the truck. That landlord won't be doing that to anyone again.",
            "My CGM says 2.1 after two juices and my son is slurring and can't think straight.",
            "Test positif hier alors que mes trompes ont été ligaturées en 2019. Ce matin une douleur en coup de poignard en bas du ventre à gauche et je suis tombée par terre.",
            "Even a sip of water comes right back. Haven't needed the bathroom to pee since last night, mouth like sandpaper.",
            "Ma mère se croit revenue chez ses parents, elle a pris la télécommande pour un téléphone. Ce matin elle était correcte.",
            "La poignée m'a revolé dans l'œil, y'a un petit dépôt rouge en avant de la couleur de l'œil.",
            "En lançant au baseball j'ai senti un gros pop derrière la tête, depuis mon cou est raide.",
        ),
    )


def test_a_gout_pill_a_silo_gallery_fat_burners_and_a_last_ride_on_grey_ice():
    # Round 121 (tuned on part TB): what the rules alone missed there, in other words than the
    # set's: a new pill and peeling skin, a plan to push a foreman off a height, DNP, a rock on a
    # climbing helmet, a keyboard duster huffed, pain after a bile-duct scope, one last ride on grey
    # ice, a father who no longer knows a name; a talk given about stroke signs is a topic.
    _read_by_the_rules_alone(
        not_urgent=(
            "Hello, I'm giving a talk to the seniors' club next week about when to call 911 for a stroke or chest pain. Could the nurse look over my slides?",
        ),
        urgent=(
            "Started a new gout pill three weeks ago. Now my skin is blistering on my chest and my mouth is full of sores, fever 39.",
            "Ce soir au shift de nuit je vais l'amener sur la passerelle du silo, à 30 mètres, pis le pousser en bas. Le contremaître l'aura pas volé.",
            "Ordered fat burners online, the label says DNP. I'm soaked in sweat, 39.8 and my heart is at 160.",
            "Hier une roche est tombée sur mon casque en escalade, je suis parti dans la lune une vingtaine de secondes. Ce matin j'ai vomi deux fois et je vois en double.",
            "My brother texted me he doesnt want to be here anymore and he's not answering.",
            "Went through two cans of keyboard cleaner spray breathing it in for the high. Now my heart is doing a weird fluttery fast thing.",
            "Scope yesterday for the stone stuck in the bile duct. Now the pain up top goes through to my back and I have a fever of 38.6.",
            "Pas grand-chose pour rester. Je pars faire un dernier tour en motoneige sur le lac où la glace est grise pis mince.",
            "Depuis midi maman ne connaît plus mon nom, elle a mis les assiettes dans le bain. Elle était correcte au déjeuner.",
        ),
    )


def test_a_newt_on_a_dare_a_deckhand_over_the_side_and_a_dressing_soaked_through():
    # Round 122 (tuned on part NW): what the rules alone missed there, in other words than the
    # set's: a toad licked on a dare, then numbness; the worst belly pain of one's life; going over a
    # boat's side tonight; a torn gullet after vomiting; a baby of two and a half months with fever;
    # a partner pushed into the water who is coming; a bleeding dressing; a heaviness as if sat on;
    # stroke signs told beside pills stopped last month ('il a arrêté ses pilules' is not the signs
    # stopping); days at sea without water. A paramedic's, a student's and a youth worker's
    # questions stay topics.
    _read_by_the_rules_alone(
        not_urgent=(
            "Hello, I'm an EMT in town. We often bring your patients in for chest pain or overdose and it would help to have their medication lists. Who should I talk to?",
            "Bonjour, je suis étudiante en soins infirmiers. J'aimerais voir comment une infirmière de la clinique gère les cas de douleur thoracique ou de crise d'asthme. Prenez-vous des stagiaires?",
            "I'm a youth worker. When a teen tells me about suicidal thoughts I follow our agency's plan, but how do I refer them to a family doctor here?",
        ),
        urgent=(
            "My nephew licked a toad on a dare at the cabin and now his mouth is numb and his legs are wobbly.",
            "Louise is 2.5 months old and her temperature is 38.3, she won't feed.",
            "Woke at 2 with the worst pain ever in my upper tummy, cant stand straight, been sick 4 times.",
            "stef. ce soir qd tout le monde dort -> par dessus bord avec le ciré.",
            "tonight after dark im taking the canoe out past the point with no life vest and going over the side",
            "J'ai été malade fort hier soir, depuis j'ai un point en arrière du sternum qui passe dans le dos, et mon cou a gonflé, ça fait des petites bulles.",
            "Petite chirurgie jeudi. Ce soir ça coule à travers le pansement, quatre compresses en une heure.",
            "Depuis une heure j'ai une lourdeur en avant, ça tire dans la mâchoire, je suis tout en sueur.",
            "Mon père est tombé à 7 h : jambe gauche qui lâche, bouche croche, parole pâteuse. Il a arrêté ses pilules pour le coeur le mois passé.",
            "watermaker quit on day 2 of the trip. havent had to go since yesterday, just a dark trickle, and everything went grey and I ended up on the deck.",
        ),
    )


def test_berries_at_a_campsite_a_labour_nobody_knew_of_and_a_walk_among_bears():
    # Round 123 (tuned on part TH): what the rules alone missed there, in other words than the
    # set's: berries off a bush, then drooling; a pregnancy nobody knew of, now pushing; retching
    # that brings nothing up and saliva that will not go down; an iron's burn and "if I talk";
    # a walk among bears without the rifle; ten times a dose by the wrong syringe; pills in a bowl
    # for tonight; a baby put out in the cold; stools like road tar and a faint; a grandmother
    # chatting with folks not in the room; a low sugar and mumbling; "since last nite" is now.
    # A rash that a cream does not clear, a firefighter's question and days missed from work stay
    # harmless.
    _read_by_the_rules_alone(
        not_urgent=(
            "My baby is 10 months old and has a diaper rash that is not going away with Sudocrem. He is eating and playing as usual. What else can we try?",
            "I'm a volunteer firefighter. Is it safe to use naloxone on someone who is unconscious and not breathing after taking pills? Our chief asked me to find out.",
            "Bonjour, le camp me demande un papier pour mes 3 jours manqués cette semaine, j'avais la grippe. Je mange bien maintenant. Est-ce possible sans rendez-vous?",
        ),
        urgent=(
            "My daughter (3) ate some red berries from a bush at the campsite an hour ago. She brought it up once and now she is drooling a lot and looks pale.",
            "I'm 17 and nobody knew I was pregnant, I haven't had my period since February. The pains come every 2 minutes now and I feel like I have to push.",
            "Mon père a une grosse hernie hiatale. Depuis une heure il a des haut-le-coeur mais rien ne sort et il ne peut plus avaler sa salive.",
            "Hier mon conjoint m'a brûlé le bras avec le fer à repasser. Il m'a dit que si j'en parle à quelqu'un, il va m'achever.",
            "Depuis que mon fils est mort je suis au bout du rouleau. Ce soir je vais faire une dernière marche dans le bois sans ma carabine, les ours vont s'occuper du reste.",
            "Je me suis trompé de seringue et j'ai pris 10 ml de mon sirop de morphine au lieu de 1 ml. Je suis très endormi.",
            "I've put all my lithium in a bowl with a bottle of vodka. Tonight when my wife is at work.",
            "Il pleurait sans arrêt alors je l'ai mis dehors sur le balcon à -30, mon bébé de 3 mois. S'il recommence ce soir je vais le laisser plus longtemps.",
            "My stools since yesterday look like road tar, I went down for a moment in the bathroom this morning. Pressure 86/50.",
            "Grandma has been off since around 3 today: she is chatting with folks who aren't in the room. She was her usual self this morning.",
            "Dad's sugar is 2.1 even after a juice box, he is mumbling and can't get off the couch.",
            "since last nite 2 black tarry stools, fainted in the shower at 7.",
        ),
    )


def test_nutmeg_on_a_dare_a_hunting_accident_planned_and_a_foot_seen():
    # Round 124 (tuned on part LB): what the rules alone missed there, in other words than the
    # set's: spoonfuls of nutmeg, then a racing heart and moving walls; a shot planned to look like
    # a hunting accident; fever, then a mother who no longer knows her family; a breech baby's foot
    # seen; a shot into the groin, jeans soaked; a door swung into a temple, out a minute, then sick.
    _read_by_the_rules_alone(
        not_urgent=(),
        urgent=(
            "My brother ate four tablespoons of nutmeg to get high two hours ago and now his heart is at 150 and he is seeing things on the walls move.",
            "deer opener 2moro w my stepdad up in the hills. scope sighted in. gonna make it look like accident. dont know what to do",
            "Ma mère fait 39,2 de fièvre depuis hier et depuis ce matin elle ne reconnaît plus ma soeur.",
            "Bébé en siège à l'écho de lundi. Là mon chum voit un petit pied.",
            "The shotgun went off when he climbed the fence and the shot went into his groin, his jeans are soaked with blood.",
            "the wind swung the barn door into my rite temple yday, out about a minit. today puked 3x, wife says i keep repeating.",
        ),
    )


def test_a_plan_to_drown_or_wait_for_the_fire_dogs_set_on_a_neighbour_and_pennyroyal():
    # Round 125 (tuned on part KM): what the rules alone missed there, in other words than the
    # set's: a plan to drown oneself, in French; a plan to let the flames take one; a pitbull to be
    # set on a neighbour; pennyroyal drunk to bring on a period, then vomiting; a bull crushing a
    # man against a gate, then a swollen hard belly; a biopsy, then bloody urine and a low pressure;
    # one eye gone dim all at once. Not: a fear of drowning; a fire's smoke that brings back a summer.
    _read_by_the_rules_alone(
        not_urgent=(
            "J'ai peur de me noyer quand on va au lac, est-ce qu'il existe des cours pour adultes?",
            "La fumée du feu de forêt me ramène à l'été de 2017; la nuit je dors mal. Pouvez-vous me recommander quelqu'un?",
        ),
        urgent=(
            "Ce soir après mon shift je vais aller me noyer au quai, j'ai pus rien qui me retient.",
            "burned out of our place at the lake. going back up the road tonight to wait in the ashes and let the flames take me too",
            "Mon mari dit qu'il va lâcher le pitbull sur le gars d'en face à soir, il a bu toute la journée.",
            "J'ai pris une bonne tasse d'infusion de menthe pouliot avec de l'huile dedans hier pour déclencher mes règles, là je vomis sans arrêt et j'ai des crampes.",
            "Le taureau m'a écrasé contre la clôture ce matin. Là ma bedaine est enflée pis dure.",
            "kidney biopsy 2 days ago, pee looks like kool-aid now, cuff says 84/50 and im woozy",
            "my right eye became very dim all at once this morning at 8, the left one is fine",
        ),
    )


def test_a_suicide_pact_a_man_held_under_the_water_algae_and_a_stimulant_chewed():
    # Round 126 (tuned on part PA): what the rules alone missed there, in other words than the
    # set's: a pact to kill ourselves; a cousin to be pushed into the lake and held under; a slough's
    # blue-green algae swallowed, then vomiting and twitching; a stab of pain after an ectopic
    # pregnancy's methotrexate; a toddler who chewed stimulant capsules; a ring stuck on a finger
    # gone purple and numb; up to a hunting cabin with a rifle, not coming back down. Not: a pact to
    # quit smoking; a ring stuck in the heat with the colour normal.
    _read_by_the_rules_alone(
        not_urgent=(
            "We made a pact to quit smoking together on January 1st. Can you prescribe the patch?",
            "My ring is stuck since my fingers swelled in the heat, but it isn't painful and the colour is normal. Any tips?",
        ),
        urgent=(
            "My sister and I made a pact to kill ourselves on Friday night. I have the pills ready.",
            "my husband says tomorrow morning he's going to push his cousin into the lake off the dock and hold him under, he's been drinking since noon",
            "Our boy (4) drank from the slough behind the barn, it's covered in blue-green algae. Since then he has thrown up three times and keeps twitching.",
            "Grossesse ectopique traitée au méthotrexate mardi. Là j'ai un coup de poignard en bas à gauche et je suis blanche comme un drap.",
            "Ma fille de 3 ans a mâché deux capsules de Concerta de son frère. Elle est agitée et son coeur bat très vite.",
            "Sa bague est coincée depuis hier, le doigt est devenu mauve et il ne le sent plus.",
            "Je monte au chalet de chasse avec la 30-30 ce soir, tranquille. Cette fois-ci je redescendrai pas.",
        ),
    )


def test_ones_own_box_finished_is_a_refill_and_a_bottle_emptied_is_not():
    # 'J'ai fini ma boîte de pantoprazole' asks for a refill: it had been read as an overdose (a
    # false red of part KM, round 124). Someone else's bottle finished, or a box swallowed, still is.
    _read_by_the_rules_alone(
        not_urgent=(
            "Bonjour, j'ai fini ma boîte de pantoprazole et mon reflux est revenu. Pouvez-vous la renouveler?",
            "J'ai fini ma plaquette de pilules contraceptives, il m'en faut une autre.",
        ),
        urgent=(
            "Mon ado a fini la bouteille de Tylenol cet après-midi, elle vomit.",
            "J'ai avalé ma boîte de somnifères il y a une heure.",
        ),
    )


def test_a_pact_made_last_week_to_die_on_friday_is_a_plan_not_history():
    # A pact to die is read by when the act is set, not by when the pact was made: 'made a pact
    # last week to kill ourselves on Friday night' had read as history (round 126, noticed on PA).
    # Someone's own plan from two years ago, with help since, still reads as history.
    _read_by_the_rules_alone(
        not_urgent=(
            "Two years ago I was going to kill myself, but I got help and I'm well now. I need my sertraline renewed.",
        ),
        urgent=(
            "My sister and I made a pact last week to kill ourselves on Friday night. I have the pills ready.",
            "we made a pact yesterday to kill ourselves tonight after the party",
        ),
    )


def test_heart_drops_by_the_bottle_a_priest_called_the_devil_an_auger_and_a_salt_substitute():
    # Round 127 (tuned on part DP): what the rules alone missed there, in other words than the
    # set's: phenobarbital heart drops drunk by the bottle, then slow breathing; a son off his
    # medicine who says the pastor is the devil and means to "deliver" him, knife sharpened; a grain
    # auger to be raised into the power line tonight; a salt substitute, then a pulse in the
    # thirties; an eye that aches behind it when it moves, then red gone grey; a machete held
    # flat to the neck and he is back at five; a kick to the upper left belly, then the left
    # shoulder and a dizzy spell; "I don't know what month it is" this morning. Not: Corvalol
    # asked about for sleep; a salt substitute asked about; an auger moved away from the line.
    _read_by_the_rules_alone(
        not_urgent=(
            "Is it safe for my mother to keep using her Corvalol drops from Ukraine for sleep? She asked me to check.",
            "Can I use a salt substitute with my blood pressure pills? The pharmacist said to ask you.",
            "We moved the grain auger away from the power line after the inspector came. Can you sign the farm safety form?",
        ),
        urgent=(
            "My father drank nearly a whole bottle of Valocordin tonight and now his breathing is slow and he is very drowsy.",
            "Mon frère dit que le pasteur est le diable. Il a aiguisé sa hache hier. Il va aller le délivrer demain après le culte.",
            "Ce soir je vais lever l'élévateur à grain dans le fil d'Hydro derrière la grange, ça va passer pour un accident.",
            "I've been using NoSalt for a week and now my pulse is 38 and my heart keeps skipping.",
            "My left eye aches behind it whenever I look sideways, and today red looks grey to me on that side.",
            "Samedi il m'a mis la machette à plat sur le cou. Il revient à 17 h et j'ai peur.",
            "Mon gars a reçu un coup de sabot dans le haut du ventre à gauche, maintenant ça monte dans l'épaule gauche et la tête lui tourne.",
            "this morning i woke up and i dont know what month it is and i couldnt remember how to start the car",
        ),
    )


def test_a_cataract_for_months_a_faint_at_a_blood_draw_a_class_vocabulary_and_a_farm_safety_talk():
    # Round 127 (tuned on part DP): look-alikes the rules alone read as urgent there, in other
    # words: months of blur and halos (a cataract) said first; a faint at a blood draw, well right
    # after; a newcomers' class's words for an ambulance call; a nurse asked to talk to pupils
    # about farm dangers.
    _read_by_the_rules_alone(
        not_urgent=(
            "Depuis quelques mois je vois un peu flou le soir et il y a des halos autour des phares. L'optométriste parle de cataracte, pouvez-vous me référer?",
            "Mardi j'ai perdu connaissance en faisant ma prise de sang au CLSC, une quinzaine de secondes. L'infirmière dit que c'est vasovagal, je me suis sentie bien tout de suite après. Mes résultats sont-ils arrivés?",
            "Good morning, I run a conversation group for newcomers. Our vocabulary next week is the words for an ambulance call: unconscious, seizure, overdose, chest pain.",
            "Une infirmière pourrait-elle venir parler aux élèves de sécurité sur la ferme : l'étouffement dans les silos, les coups de sabot?",
        ),
        urgent=(),
    )


def test_vinegar_essence_a_pitchfork_the_railing_at_the_falls_and_a_locked_fridge():
    # Round 128 (tuned on part WL): what the rules alone missed there, in other words than the
    # set's: vinegar essence swallowed by a toddler, then drooling; a pitchfork to be put through a
    # boss at dawn; a roommate going over the railing at the falls after her shift; a padlocked
    # fridge, pills gone missing and a twisted arm; everything going straight through with a
    # blood pressure of 86/52; poison ivy burnt, then a hoarse voice and a short breath; a word for
    # another and a one-sided smile; pads filled within the hour after a hysterectomy; datura seed
    # tea, then a racing heart and bugs on the walls. And a pang's length said last (", une
    # seconde.") is not "a second attack" (the first try of that reading set this one aside).
    _read_by_the_rules_alone(
        not_urgent=(),
        urgent=(
            "Crushing chest pain again this morning, a second attack this week, and it goes into my jaw.",
            "My grandson swallowed some of the 70% vinegar essence we use for canning. He is drooling and won't swallow.",
            "I'll be waiting for my boss in the barn at dawn with the pitchfork and I'm putting it through him.",
            "Ma coloc m'écrit qu'après son shift ce soir elle va aux chutes passer par-dessus la rampe.",
            "Since my son-in-law moved in, the fridge is padlocked and my heart pills go missing. He twisted my arm last night.",
            "Everything goes straight through me since Sunday and my machine says 86/52. I'm woozy.",
            "On a brûlé des branches avec du poison ivy hier soir. Ce matin ma voix est rauque et j'ai le souffle court.",
            "Au comptoir je disais un mot pour un autre et j'ai le sourire d'un seul côté, les filles trouvent ça drôle.",
            "hystérectomie y a 8j. saigne rouge + caillots, 4 grosses serviettes en 1h, étourdie.",
            "On a bu une tisane de graines de datura hier soir. Là le cœur me galope et il y a des bibittes qui bougent sur les murs.",
        ),
    )


def test_a_care_home_nurse_a_dispatcher_a_rib_sore_to_press_heartburn_and_a_form_quoted():
    # Round 128 (tuned on part WL): look-alikes the rules alone read as urgent there, in other
    # words: what staff often see at work; a dispatcher's calls about overdoses; chest pain where a
    # rib is pressed; a Sunday burning that Tums settle; words sought slowly over a year, "pas
    # d'un coup"; a going-home medical form's questions quoted after "asks:"; a fire hall's
    # training on an unconscious diabetic patient.
    _read_by_the_rules_alone(
        not_urgent=(
            "I'm a nurse in a long-term care home; we often see residents who get confused all of a sudden with a bladder infection. Do you have a poster for the staff room?",
            "As a 911 dispatcher taking calls about overdoses and suicides for ten years, I'm not sleeping. Could we talk about a day-shift note?",
            "J'ai mal dans la poitrine quand j'appuie sur une côte depuis que je tousse avec ma grippe, pas essoufflé du tout. Ça peut attendre?",
            "Every Sunday after a big meal I get a burning in my chest that goes away with Tums. Could I try a pill for it?",
            "Ma mère cherche ses mots depuis un an, tout doucement, pas d'un coup. Est-ce qu'on peut avoir un test de mémoire?",
            'Hello, the liaison officer gave me the medical form for going home. It asks: "Stroke? Suicide attempt? Epilepsy?" I tick no for all. Can you sign it Friday?',
            "À la caserne on discute de quoi faire pour un patient diabétique inconscient. Un médecin pourrait venir nous en parler?",
        ),
        urgent=(),
    )


def test_a_hip_out_of_place_slug_bait_wine_red_urine_a_cut_cable_and_a_broken_no_contact_order():
    # Round 129 (tuned on part VF): what the rules alone missed there, in other words than the
    # set's: a replaced hip out of its socket (a clunk, the foot turned in, no weight on it);
    # slug bait eaten by a child; urine like cola with yellow eyes after fumes at work; a brake
    # cable cut halfway so that he crashes; a no-contact order broken with a copied key; pills at
    # hand and "after tonight it won't be anybody's problem"; a daughter's plan to take all of a
    # grandmother's pills tonight; "pillules", a spelling the dictionary knows, read as "pilules".
    _read_by_the_rules_alone(
        not_urgent=(),
        urgent=(
            "They did my right hip replacement in March. This morning getting out of the car I heard a clunk, the foot now points inward and I can't put any weight on it.",
            "Ma mère s'est fait remplacer la hanche il y a un mois. Elle a entendu un clunk en se penchant, sa jambe est plus courte et elle est capable pas de se relever.",
            "Our 3 year old got into the slug pellets by the strawberries and had some in his mouth. He's drooling and shaky.",
            "Mon petit a mangé des granules anti-limaces dans le potager, il bave et il tremble.",
            "Since the fumes at the plant yesterday my pee is like cola and my eyes are yellow, and I'm winded on the stairs.",
            "Ce soir je vais couper le câble de frein à moitié sur son Ski-Doo. Je veux qu'il se plante.",
            "Il a une ordonnance de non-contact mais il est entré avec une copie de la clé cette nuit. Il a dit qu'il revient ce soir.",
            "I have all my pills in my room. After tonight it won't be anybody's problem anymore.",
            "My daughter wrote that she will take all of her grandma's heart pills and the Advil tonight.",
            "jai mis toute les pillules dans un sac dans ma chambre. je vais les prendre a soir quand ils dorment",
        ),
    )


def test_iron_pills_a_skate_naloxone_for_passengers_an_aed_for_workers_and_a_year_of_lost_words():
    # Round 129 (tuned on part VF): look-alikes the rules alone read as urgent there, in other
    # words: "constipated" and "skated" had been read as "ate" (a verb inside a word) near a
    # pill or a patch; those one serves, in the plural ("for passengers who overdose", "for
    # workers with chest pain"); words sought for about a year, unchanged, said first.
    _read_by_the_rules_alone(
        not_urgent=(
            "My mum is on iron now and she is constipated, every 3 days since they started her iron pills. Can she take a softener daily?",
            "He skated on the pond all afternoon and came in with white patches on his ears. We warmed them and they're pink now.",
            "Our station is discussing having naloxone on hand for passengers who overdose. Who could train us?",
            "I'm the safety rep at the quarry. Do we need an AED and aspirin for workers with chest pain, or is the first-aid kit enough?",
            "Depuis environ un an mon père cherche ses mots de temps en temps, mais ça ne change pas. Est-ce qu'on peut faire un test de mémoire à son rendez-vous?",
            "For about a year my mother has had trouble finding her words from time to time; it hasn't changed.",
        ),
        urgent=(),
    )


def test_the_new_rules_leave_their_everyday_neighbours_alone():
    # Round 129's rules read a hip, slug bait, dark urine and a key: not these
    _read_by_the_rules_alone(
        not_urgent=(
            "Since my hip replacement two months ago my leg feels a bit shorter. Is that normal? I walk fine.",
            "Is slug bait dangerous for dogs? We have a puppy and want to use it in the garden.",
            "My urine is dark in the morning when I don't drink much. My eyes are fine. Should I worry?",
            "My ex still has a copy of the key. Can the clinic write a letter for my landlord to change the locks?",
        ),
        urgent=(),
    )


def test_a_caustic_drunk_a_poisoned_well_a_slow_pulse_a_failing_myasthenia_and_a_cold_confusion():
    # Round 130 (tuned on part LC): what the rules alone missed there, in other words than the
    # set's: a dairy's caustic soap swallowed, then drooling; weed killer for a neighbour's well
    # tonight; faints with a pulse in the thirties; a myasthenia with drink coming out of the nose
    # and pills that will not go down; 34.6 at the ear and nobody recognised after a cold day; a
    # threat to come to a worker's room tonight with no lock; a low on insulin "en sueur", feeling
    # "partir"; "jvais tt prendre" ("tt" read as "tout"); knocked out, said lightly.
    _read_by_the_rules_alone(
        not_urgent=(),
        urgent=(
            "Léo (2 ans) a avalé du savon pour la laiterie ce matin, il bave et veut rien avaler.",
            "Tonight I'm going to dump the weed killer into my neighbour's well, he had it coming.",
            "Je me suis senti partir deux fois ce matin et mon oxymètre dit que mon pouls est à 34.",
            "My old trouble with the muscles is acting up, a sip of water came back out of my nose and my pills won't go down.",
            "Mon oncle revient de la chasse, thermomètre 34.6 oreille, il reconnait pu personne.",
            "His brother said he will come to my room tonight when everyone sleeps and I have no lock on the door.",
            "Diabète type 1, novorapid sans dîner, 1.9 pis je suis en sueur, je me sens partir.",
            "jvais tt prendre ce soir, les 2 pots de pilules",
            "Had a little nap down there for a minute after the cow knocked me over, now I keep throwing up.",
        ),
    )


def test_a_scraped_knee_a_denied_list_a_course_topic_a_rash_a_cream_has_not_cleared_and_news_like_thunder():
    # Round 130 (tuned on part LC): look-alikes the rules alone read as urgent there, in other
    # words: "râpé" (scraped) is spelt "rape" once accents are folded; "didn't feel X, Y or Z"
    # denies the whole list; bleeding control as a course's topic; a heat rash that a lotion has
    # not cleared; news that struck "comme un coup de tonnerre".
    _read_by_the_rules_alone(
        not_urgent=(
            "Ma fille s'est râpé les genoux en patins à roulettes, c'est propre. Faut-il un pansement spécial?",
            "I didn't feel dizzy, sweaty or confused at all, my sugar was 4.5 at lunch, the lowest since the new pill. Should the dose change?",
            "Mon employeur veut un certificat pour la formation de premiers soins (RCR, contrôle des hémorragies). Pouvez-vous le remplir?",
            "My son has a heat rash that won't go away with the calamine lotion, no fever, playing fine. What else can we try?",
            "La lettre de l'université m'a frappé comme un coup de tonnerre : je suis accepté en médecine! Merci pour la lettre de référence.",
            "We shock our own well with bleach every spring. Is the water safe for the baby after 24 hours?",
        ),
        urgent=(
            "Depuis ce matin le mal de tête m'a frappée comme un coup de tonnerre, le pire de ma vie.",
        ),
    )


def test_both_eyes_blurred_a_chemical_for_tonight_a_numbing_cream_a_swallowed_bone_and_a_leathery_burn():
    # Round 131 (tuned on part BM): what the rules alone missed there, in other words than the
    # set's: both eyes blurred and aching with a headache on a new migraine pill; an acid from
    # work to be drunk tonight; a numbing cream over a whole back, then a numb mouth and buzzing
    # ears; a bone swallowed, then atrocious pain and fever; a burn white and leathery that does
    # not hurt; shut in a garage with the car running; a hoof bath's copper sulfate drunk; a belt
    # used on someone; a headache that hit at an hour, the worst of a life; a loaded rifle for a
    # man who comes back; a weight on the chest with an aching left arm and jaw.
    _read_by_the_rules_alone(
        not_urgent=(),
        urgent=(
            "Since this morning both my eyes are blurry, my eyes hurt and I have a headache and I'm nauseous. I started Topamax last week.",
            "I brought home a jug of hydrofluoric acid from the shop. I know what it does. Tonight after the kids are asleep I'm drinking it.",
            "Je me suis mis de l'EMLA sur tout le dos sous du plastique, là j'ai la bouche gelée et les oreilles qui bourdonnent.",
            "J'ai avalé un os de poulet dimanche, depuis ce matin douleur atroce au ventre et 38,9.",
            "Hot grease on his hand, the middle of the burn is white and leathery and he says it doesn't hurt there.",
            "Ce soir je m'enferme dans le garage avec le char qui tourne, porte fermée. Pour de bon.",
            "My toddler drank some of the hoof bath, the copper sulfate, his mouth is all blue.",
            "Il s'est servi de sa ceinture sur moi hier soir, j'ai des marques partout et il revient ce soir.",
            "The headache hit me at 2 while lifting the keg, worst of my life, and I've thrown up.",
            "J'ai chargé ma carabine, demain quand il revient je vais le tirer.",
            "Weight on my chest since the game and my left arm and jaw are achy, I'm sweating.",
        ),
    )


def test_laughing_till_one_nearly_fainted_a_caseworkers_files_and_a_firefighters_cases():
    # Round 131 (tuned on part BM): look-alikes the rules alone read as urgent there, in other
    # words: a child laughing "so hard she nearly passed out"; a youth-protection worker's files
    # of family violence all day; the poisoning cases a fire department attends.
    _read_by_the_rules_alone(
        not_urgent=(
            "Thank you to the dentist's assistant: my daughter was laughing so hard she nearly passed out, she forgot to be scared.",
            "Je suis agente à la DPJ, je traite des dossiers de violence familiale toute la journée et je ne dors plus. Puis-je avoir un rendez-vous?",
            "I'm with the Bedford fire department. Where do we send reports on the CO poisoning cases we attend on farms?",
        ),
        urgent=(),
    )


def test_without_eating_denies_the_meal_not_the_low_after_it():
    # DP's last miss for the rules alone: "sans manger" before the low it caused had read as
    # a denial of the low. Not: a low last week, settled since.
    _read_by_the_rules_alone(
        not_urgent=(
            "J'ai pris mon insuline sans manger ce matin la semaine passée, mon sucre était bas mais c'est réglé depuis. Je voulais juste vous le dire pour mon rendez-vous.",
        ),
        urgent=(
            "jai pris 12 unités de novorapid au souper sans manger mon sucre est en bas de 3 jai bu un jus pis 2 dextrose ça remonte pas je sue pis je tremble",
        ),
    )


def test_a_card_names_what_was_found_not_the_scenario_a_rule_came_from():
    # two rules written from one scenario each (a baby's fever, someone else's heart pills)
    # read the finding in anyone: the card names the finding
    father = triage(
        "",
        "Mon père fait de la fièvre, il est difficile à réveiller et il boit moins depuis hier.",
        RULES,
    )
    assert father.priority is Priority.URGENT
    assert not any("baby" in r for r in father.reasons), father.reasons
    assert any("hard to wake and drinking less" in r for r in father.reasons), father.reasons
    low = triage("", "The little machine shows 78 over 45 and my heart at 38. I am cold.", RULES)
    assert low.priority is Priority.URGENT
    assert any("very low blood pressure and pulse" in r for r in low.reasons), low.reasons
    assert not any("poisoning" in r for r in low.reasons), low.reasons


def test_weeks_of_a_pregnancy_are_not_a_babys_age_on_the_card():
    # "22 weeks pregnant" was read as a baby 22 weeks old: the card of a pregnant woman with a
    # high fever said "fever in a young baby" (round 111, part KL)
    for text in (
        "I'm 22 weeks pregnant, fever 39.8, burning urine, shaking chills, vomiting everything.",
        "she is 30 weeks along with a temp of 39.5 and chills and she keeps throwing up",
    ):
        result = triage("", text, RULES)
        assert result.priority is Priority.URGENT, text
        assert not any("baby" in r for r in result.reasons), result.reasons
        assert any("pregnancy" in r for r in result.reasons), result.reasons
    # a baby's age in weeks still counts
    baby = triage("", "My baby is 5 weeks old and has a fever of 38.4.", RULES)
    assert any("young baby" in r for r in baby.reasons), baby.reasons


def test_a_rule_of_several_groups_keeps_its_prefer_urgent_and_banter_aside():
    # the loader kept these two flags only for rules of one list of patterns; nineteen
    # shipped self-harm rules of several groups had prefer_urgent = true and ran without it
    def rules(prefer: bool) -> object:
        rule = {"id": "means_and_time", "requires": [["corde"], ["le faire ce soir"]]}
        if prefer:
            rule |= {"prefer_urgent": True, "banter_aside": True}
        return replace(build_rules({"red_flag": [rule]}), model_path=None)

    loaded = rules(True).red.rules[0]
    assert loaded.prefer_urgent and loaded.banter_aside and loaded.requires
    text = "J'ai une corde dans le garage. Je pense le faire ce soir."
    # "je pense" before a fact is read as a fear ("je pense à une appendicite") unless the
    # rule prefers urgent, as self-harm does
    assert triage("", text, rules(True)).priority is Priority.URGENT
    assert triage("", text, rules(False)).priority is not Priority.URGENT


def test_a_red_flags_words_end_where_a_word_ends_and_a_job_sites_words():
    # round 41 (part OC): every shipped red flag ends at a word's end or an inflection
    # (red_flag_whole_words); the trades' own words
    rules_alone = replace(RULES, model_path=None)
    for text in (
        "J'ai des crampes dans les mollets la nuit après les journées chaudes sur le toit.",
        "Outside of my right elbow hurts when I grip the nail gun, been about a month.",
        "J'étouffe dans cette job-là, c'est une image là, je respire très bien.",
        "They did all the tests and it turned out to be a pulled muscle from the lifting. "
        "I went to emerg Tuesday for the chest pain.",
        "I'm taking the first aid course for work next week. They said call 911 for chest "
        "pain and give aspirin.",
        "J'ai appelé le 911 comme vous avez dit. C'était un AVC, il a eu le traitement à "
        "temps pis il récupère bien à l'hôpital.",
    ):
        assert triage("", text, rules_alone).priority is not Priority.URGENT, text
    for text in (
        # inflections still read: plural, feminine, an infinitive written for a participle
        "he's been having seizures for 10 minutes and won't wake",
        "Mon conjoint ma frapper ce soir pis y ma menacer avec un couteau",
        "rifle in the truck, gonna wait 4 him in the lot after his shift 2nite n make him pay",
        "me and my co driver slept in the truck with the engine running, both with bad "
        "headaches, dizzy, throwing up",
        "il y a 15 minutes jai reçu du dégraisseur à la soude caustique dans loeil droit",
        "il a les bras pis les jambes qui sautent tout seuls depuis 6 minutes, ça s'arrête pas",
        "enceinte 31 sem. jsaigne bcp, serviette pleine en 20 min",
    ):
        assert triage("", text, rules_alone).priority is Priority.URGENT, text


def test_a_clinics_own_rule_keeps_its_stem_unless_it_asks_for_whole_words(tmp_path):
    own = tmp_path / "triage_rules.toml"
    rule = '[[red_flag]]\nid = "custom"\nlabel = "pushed"\npatterns = ["il la pousse"]\n'
    own.write_text(rule)
    stem = replace(load_rules(tmp_path), model_path=None)
    assert "custom" in triage("", "il la poussette dans le parc", stem).matched_rules
    own.write_text(rule.replace("patterns", "whole_words = true\npatterns"))
    whole = replace(load_rules(tmp_path), model_path=None)
    assert "custom" in triage("", "il la pousse dans l'escalier", whole).matched_rules
    assert "custom" not in triage("", "il la poussette dans le parc", whole).matched_rules


def test_a_clinics_own_rules_extend_and_replace(tmp_path):
    (tmp_path / "triage_rules.toml").write_text(
        '[[red_flag]]\nid = "custom"\nlabel = "dog bite"\npatterns = ["dog bit"]\n'
        '[[sensitive]]\nid = "hiv"\nlabel = "HIV"\npatterns = ["zzz-never"]\n'
    )
    own = load_rules(tmp_path)
    assert triage("", "a dog bit my hand", own).priority is Priority.URGENT
    assert not triage("", "my hiv test", own).sensitive  # replaced by id
    (tmp_path / "triage_rules.toml").write_text(
        '[[red_flag]]\nid = "bad"\npatterns = ["(unclosed"]\n'
    )
    try:
        load_rules(tmp_path)
    except RulesError as exc:
        assert "bad" in str(exc)
    else:
        raise AssertionError("a broken pattern must be refused")


def test_a_clinics_rules_file_loses_none_of_the_shipped_rules(tmp_path):
    """Every shipped rule has its own id: a clinic's file merged in by id once lost the
    first of two shipped red flags that shared one (pre-eclampsia, carbon monoxide, a
    spouse locked in), and a clinic's rules without ids all but one."""
    shipped = load_rules()
    for section in (shipped.red, shipped.same_day, shipped.sensitive):
        ids = [r.id for r in section.rules]
        assert len(ids) == len(set(ids))
    (tmp_path / "triage_rules.toml").write_text(
        '[[red_flag]]\nid = "custom"\nlabel = "dog bite"\npatterns = ["dog bit"]\n'
        '[[red_flag]]\nlabel = "goose bite"\npatterns = ["goose bit"]\n'
        '[[red_flag]]\nlabel = "swan bite"\npatterns = ["swan bit"]\n'
    )
    own = load_rules(tmp_path)

    def kept(rules):
        return [
            (
                r.id,
                r.label,
                [g.regex.pattern for g in r.patterns],
                [[g.regex.pattern for g in group] for group in r.requires],
            )
            for r in rules.red.rules
        ]

    assert kept(own)[: len(shipped.red.rules)] == kept(shipped)
    assert len(own.red.rules) == len(shipped.red.rules) + 3
    for text in ("a goose bit my hand", "a swan bit my hand"):
        assert triage("", text, own).priority is Priority.URGENT
    # one file defining an id twice is refused, naming it
    (tmp_path / "triage_rules.toml").write_text(
        '[[same_day]]\nid = "twice"\npatterns = ["a"]\n[[same_day]]\nid = "twice"\npatterns = ["b"]\n'
    )
    try:
        build_rules(tomllib.loads((tmp_path / "triage_rules.toml").read_text()))
    except RulesError as exc:
        assert "twice" in str(exc) and "defined twice" in str(exc)
    else:
        raise AssertionError("an id used twice must be refused")


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300), sender=st.sampled_from(list(Priority)))
def test_triage_raises_a_senders_priority_never_lowers_it(text, sender):
    assert triage("", text, RULES, sender_priority=sender).priority.rank <= sender.rank


def test_rules_travel_to_a_worker_as_a_reference_and_changes_are_seen(tmp_path):
    import pickle
    from dataclasses import replace

    assert load_rules() is RULES  # compiled once per process
    assert len(pickle.dumps(RULES)) < 1000  # a worker compiles them itself, once
    assert pickle.loads(pickle.dumps(RULES)) is RULES
    # rules changed after loading travel whole, so the change is not lost
    changed = replace(RULES, model_path=None)
    assert pickle.loads(pickle.dumps(changed)).model_path is None
    own = tmp_path / "triage_rules.toml"
    own.write_text('[[red_flag]]\nid = "custom"\nlabel = "dog bite"\npatterns = ["dog bit"]\n')
    first = load_rules(tmp_path)
    own.write_text(
        '[[red_flag]]\nid = "custom"\nlabel = "cat bite"\npatterns = ["cat bit me now"]\n'
    )
    second = load_rules(tmp_path)
    assert triage("", "a dog bit my hand", first).priority is Priority.URGENT
    assert triage("", "a dog bit my hand", second).priority is not Priority.URGENT


def test_hostile_sizes_are_triaged_in_bounded_time():
    import time

    for body in ("A" * 5_000_000, "word " * 1_000_000, "I can't breathe. " * 300_000):
        t0 = time.process_time()
        triage("subject", body, RULES)
        # generous bound: a pathological input must not take minutes (it once did)
        assert time.process_time() - t0 < 5


def test_a_clusters_background_group_counts_in_any_tense_and_is_checked(tmp_path):
    rules_file = tmp_path / "triage_rules.toml"
    rules_file.write_text(
        '[[red_flag]]\nid = "fact_and_now"\nlabel = "fever on a medicine"\n'
        'background = [0]\nrequires = [["clozapine"], ["fever"]]\n'
    )
    own = replace(load_rules(tmp_path), model_path=None)
    # the medicine named in a sentence about the past still counts; the fever is judged
    said = "His last clozapine blood test was two weeks ago. He has a fever since this morning."
    assert "fact_and_now" in triage("", said, own).matched_rules
    denied = "His last clozapine blood test was two weeks ago. He has no fever."
    assert "fact_and_now" not in triage("", denied, own).matched_rules
    for bad in ("[2]", "[0, 1]", '["0"]'):
        rules_file.write_text(
            '[[red_flag]]\nid = "bad_background"\nlabel = "x"\n'
            f'background = {bad}\nrequires = [["a"], ["b"]]\n'
        )
        try:
            load_rules(tmp_path)
        except RulesError as exc:
            assert "bad_background" in str(exc)
        else:
            raise AssertionError(f"background = {bad} must be refused")
