"""Is a mention affirmed, current and the writer's (or the patient's) own?

NegEx-style windows, in English and French, on either view of a sentence (folded
or lemma text; the expressions accept both forms). A mention is set aside when:

- within its clause, a negation stands shortly before it ("no", "denies",
  "without", "pas de", "jamais", "sans") or a resolution follows it ("... is
  gone", "c'est passé");
- within its clause, it is history ("history of", "years ago", "il y a deux
  ans", "as a child") or someone else's past ("my father had", "mon père est
  décédé d'");
- anywhere before it in the sentence (lists and questions run across commas):
  a hypothetical ("what should I do if", "si jamais"), a form or questionnaire
  listing symptoms ("the form asks about", "le questionnaire demande si"), an
  education question ("what's the difference between", "c'est quoi") or a
  professional's work ("we respond to overdoses");

unless the sentence says it is happening now or again ("again", "right now",
"an hour ago", "ce soir", "encore"). A clause ends at ",", ":", " - " or a word
such as "but", "mais", "and my". What the rules call idioms ("this form is
killing me") never count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from typing import Protocol

from clinic_inbox.core.triage_gate import GatedAny, LiteralIndex

_NEG_TRIGGER = re.compile(
    r"\b(no|not|never|denies|denied|deny|without|free of|negative for|none|nor|"
    # ("be not", never "bent": "shin bent and bone poking thru skin")
    r"(do|does|did|have|has|had|is|was|are|were)(n'?t| not)|be not|no longer|absence of|"
    r"rule out|ruled out|(no one|nobody) (is|was|got|has been)|"
    # "nothing like the worst headache ever", "rien comme une crise"
    r"nothing like|nothing close to|rien comme|rien a voir avec|"
    # "nothing on my face or lips", "rien sur le visage"
    r"nothing (on|in|around|near) (my|his|her|the)|rien (sur|dans|autour) (le|la|les|mon|ma|mes|son|sa|ses)|"
    # French: "pas de", "jamais", "aucun", "sans", "ni", "nie", "plus de" after ne
    r"pas|jamais|aucune?|sans|ni|nie|nier|absence de|n'?a plus|n'?ai plus|n'?est plus|"
    r"rien d'?)\b"
)
# Words with a negation inside that do not negate what follows.
_PSEUDO = re.compile(
    r"\b(no (improvement|better|change|relief|help|effect|difference|idea|choice|one(?! (is|was|got|has been) )|matter|wait)|"
    r"nobody(?! (is|was|got|has been) )|"
    r"not (better|improving|going away|stopping|only|just|sure|stop|helping|getting better|working)|"
    # a reading that will not move: "juice twice and it's not coming up shaking sweaty"
    r"(not|never) (coming|going|come|go)( back)? (up|down)|"
    r"(won'?t|will not|doesn'?t|does not|do not|don'?t|can'?t|cannot|isn'?t|is not) "
    r"(stop|go away|get better|know|think so|help|want to bother|seem to|respond)|"
    r"(do|does|did)(n'?t| not) (know|think|care|want to|mean|help|work|stop|go away|matter)|"
    r"(i|je) (sais|sai|c) pas|sais pas|sait pas|pas (mieux|seulement|juste|sur|certaine?)|"
    r"(arrete|passe|part|s'arrete|diminue|aide) pas|personne|n'importe|pas capable|"
    # a symptom, not a denial: "il a pas d'énergie, il pend comme une poupée de chiffon"
    r"pas (d'energie|d'appetit|de force|de jus)|no (energy|appetite|strength)|"
    r"pas arreter|sans arret|sans cesse|sans raison|ne peu[xt] pas|peu[xt] pas|arrive pas|"
    # "je suis pas mal bouffie": "pas mal" is "quite", not a denial (unlike "j'ai pas mal")
    r"(suis|est|etait|es|sont|etaient) pas mal|"
    # ...and right before a mention: "il est pâle, pas mal frais" (quite cool), "pas mal enflé"
    r"pas mal(?=\s*$)|"
    # a quantity: "pas mal d'huile de menthe pouliot" (a fair amount of), never a denial
    r"pas mal (de|d')|"
    r"pas able|pu capable|plus capable|plus (respirer|bouger|parler|voir|marcher))\b"
)
_TERMINATE = re.compile(
    r"\b(but|however|although|though|yet|except|and now|now|still|again|which|"
    r"and (my|i|he|she|his|her|the|now|then|it|today|tonight|this)|"
    r"mais|cependant|pourtant|sauf|maintenant|encore|toujours|et (mon|ma|mes|je|j'|il|elle|la|le))\b"
)
# Only a real contrast ends a list or a question.
_CONTRAST = re.compile(r"\b(but|however|although|though|yet|mais|cependant|pourtant|sauf que)\b")
_POST_NEG = re.compile(
    r"^\W{0,3}(and )?(-?free\b(?! (of|from|sample|clinic|shot|trial))|(sont|est) (parties|partis|partie|disparue?s?|finies?)\b|(have|has) (gone away|disappeared)\b|(went|go) away\b|are (all )?gone now\b|(it|they|the rash|the spots) (fades?|faded|blanch\w*|went white|goes white)|"
    # a checklist answered: "Douleur à la poitrine : non /", "black stool - no;", "Item 9 (...): 0"
    r"[^.:;/\n]{0,40}?\)?\s*[:=-]\s*(non|no|none|nope|aucune?|0|n|negative|negatif|pas du tout|not at all)\b(?![ \t]*(idea|clue|better|change|relief|help|improvement|end|je\b|j'|i\b|it\b|\w+ing))|"
    # the same answer without a colon, in short written sign-language grammar: "Fever no.",
    # "Fièvre non." ("fever no better" is not an answer: the sentence must end there)
    r"\s(no|non|none|nope|aucune?)(?=\s*([.;!,]|$))|"
    r"[^.]{0,60}\) (are|were|sont|etaient) (all |tous |toutes )?(no|non)\b|"
    r"[^.]{0,35}(they'?re|they are|it'?s|it is|was|were|came back|are) (all )?negative|"
    r"[^.]{0,30}[,:] ?(all )?(negative|negatifs?|negatives?)\b|"
    # a cause found, a usual level: "the chest pain was from my gallbladder", "sat 89 % (sa base)"
    r"\W{0,3}was (from|due to|caused by) (my|his|her|the|a|an) |"
    r"[^.]{0,40}\b(sa base|son niveau habituel|baseline|(her|his|my) usual|(sa|son) (base )?habituel\w*)|"
    r"[^.]{0,30}\b(then|and) stopped\b(?! breathing)|"
    # said not to be: "mes lèvres et ma langue ne sont pas enflées", "lips are not swollen"
    r"[^.,;]{0,30}\b(ne )?(sont|est|are|is|were|was)( pas| not) (enfle\w*|swollen|gonfle\w*|puffy|affecte\w*|touche\w*)|"
    # said to be normal: "les lèvres pis la langue sont normales", "lips and tongue look fine"
    r"[^.,;]{0,30}\b(are|is|sont|est|look|looks|semblent?|restent?) (tout a fait |totally |completely )?(normal|normales?|normaux|fine|correcte?s?)\b|"
    # "one of his usual seizures, 2 minutes, stopped by itself"
    r"[^.]{0,40}\b(stopped (by|on) (itself|its own)|s'est arretee? (toute? seule?|d'elle-meme|de lui-meme))|"
    # an explained cause: "numb on one side from the dentist's freezing"
    r"(from|because of|due to|de|a cause de) (the |my |la |le |l')?(dentist\w*|dental|freezing|novocaine|"
    r"anesthe\w*|anaesthe\w*|dentiste|insensibilisation)|"
    r"(is |has |have |had |was |be )?(now )?(gone|resolved|better|stopped|went away|"
    r"cleared|settled|disappeared|fine now|all better|"
    r"est parti|est partie|a disparu|est passe|c'?est passe|est reglee?|va mieux|est fini))\b"
)
_PERIOD = r"(years?|months?|weeks?|wks?|yrs?|winters?|summers?|springs?|falls?|autumns?|seasons?|terms?|semesters?)"
_PERIOD_FR = (
    r"(ans?|annees?|mois|semaines?|hivers?|etes?|automnes?|printemps|sessions?|semestres?|saisons?)"
)
_MONTHS = (
    r"(january|february|march|april|june|july|august|september|october|november|december|"
    r"jan|feb|sept|oct|nov|dec)"
)
_MONTHS_FR = (
    r"(janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre|novembre|decembre)"
)
# A year that is not the date of the mention: the year it is now or one someone thinks it is
# ("we're in 2025", "il pense qu'on est en 1998"), or the date of a death ("décédée en 2015")
_NOT_ITS_YEAR = r"(?<!we're )(?<!we are )(?<!it's )(?<!it is )(?<!died )(?<!passed away )"
_NOT_ITS_YEAR_FR = r"(?<!on est )(?<!on etait )(?<!decedee )(?<!decede )(?<!morte )(?<!\bmort )(?<!partie )(?<!\bparti )"
# "in October", "in the summer", "en juillet", "cet été passé": a time that is not now
_WHEN_PAST = (
    r"(on|over|this past|last) the weekend|on the \d{1,2}(st|nd|rd|th)|over the (summer|winter|holidays)|"
    r"(ce|cet) (printemps|ete|hiver|automne)|"
    r"last (monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekend)|"
    r"(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|la fin de semaine) (passee?|derniere?)|"
    r"in (my|his|her|their|our) (teens|twenties|thirties|forties|fifties|sixties|seventies|eighties|\d0s)|"
    + _NOT_ITS_YEAR
    + r"in the (19|20)?\d0'?s|"
    + _NOT_ITS_YEAR_FR
    + r"dans les annees (19|20)?\d0|"
    r"(in|on) "
    + _MONTHS
    + r"( \d{1,2}(st|nd|rd|th)?)?|le \d{1,2}(er)? "
    + _MONTHS_FR
    + r"|in the (summer|spring|fall|autumn|winter)(?! (kitchen|camp|house|cottage|cabin|job))|this past (summer|spring|fall|autumn|winter)|"
    r"(en|au mois de) " + _MONTHS_FR + r"|(cet|l') ?(ete|hiver|automne) (passe|dernier)|"
    r"(au|le) printemps (passe|dernier)"
)
_OTHERS = (
    r"(father|mother|dad|mom|mum|brother|sister|grand(father|mother|pa|ma)|uncle|aunt|cousin|"
    r"friend|neighbou?r|coworker|colleague|boss|son|daughter|nephew|niece|husband|wife|"
    r"partner|roommate|classmate|teammate|guy|girl|kid)"
)
_OTHERS_FR = (
    r"(pere|mere|papa|maman|frere|s(?:oe|œ)ur|belle-s(?:oe|œ)ur|beau-frere|grand-?(pere|mere)|oncle|tante|cousine?|amie?|"
    r"voisine?|collegue|patron|fils|fille|neveu|niece|mari|femme|conjointe?|gars|chum|blonde)"
)
# History and other people's past: within the clause.
_CONTEXT = re.compile(
    r"\b(history of|hx of|previous|prior|(died|passed away|passed) (of|from|after)|"
    r"(est |etait )?(mort|morte|decedee?) (d'|de |des suites d')|avai(s|t|ent) (fait|eu|pris)|had had|"
    + _PERIOD
    + r" ago|last "
    + _PERIOD
    + r"|"
    + _WHEN_PAST
    + r"|"
    # the calls a crew goes out on: "on arrive souvent les premiers sur les appels de surdose"
    r"(appels|calls|interventions) (de|d'|pour|for|about|sur)( des| les| of)? $|"
    # what one sees now and then at work, people in general: "On voit parfois des voyageurs avec
    # des douleurs à la poitrine dans la file"
    r"((on voit|on a|nous voyons|we see|we get) (parfois|souvent|des fois|sometimes|often|now and then|regularly)|"
    r"we (sometimes|often|regularly) (see|get)) (des |of )?"
    r"(voyageurs|travell?ers|passagers|passengers|clients|customers|visiteurs|visitors|gens|people|patients) "
    r"(avec|with|qui ont|who have)( des| une?| a| an)?\s*$|"
    # a question about the signs, a list for the fridge: "what are the signs my dad is having a
    # stroke"; how a practice handles calls: "observe how a family practice handles calls about"
    r"(what are|what're|quels sont|c'est quoi) (the |les )?(warning )?(signs|symptoms|signes|symptomes)\b[^.?!]{0,40}$|"
    r"(handles?|handling|deals? with|dealing with|manages?|managing) (\w+ )?(calls|messages|questions|cases|appels) (about|for|on|sur|pour)\b[^.?!]{0,60}$|"
    # treated already: "was seen at the ER for", "vu à l'urgence pour"
    r"(was|were|been|got) (seen|treated|checked|assessed|admitted|hospitali[sz]ed) (at|in|by) (the )?"
    r"(er|emerg\w*|hospital|ambulance|paramedics)|"
    # a dentist's work as the cause, told first: "deux heures après mon plombage, j'ai encore la
    # lèvre engourdie"
    # (not a likeness: "my cheek feels like after the dentist's freezing")
    r"(?<!like )(?<!comme )(apres|after|since|depuis|from|de) (mon|ma|le|la|the|my|his|her|son|sa) (plombage|filling|root canal|"
    r"traitement de canal|extraction|dentiste|dentist\w*|dental (work|appointment|freezing))|"
    # a stay told after it: "our daughter was admitted at 6 weeks old for a fever"
    r"(was|were) (admitted|hospitali[sz]ed) (at|when|for|with|as)\b|(vu|vue|traitee?|soignee?|hospitalisee?) "
    r"(a|par) (l'|les )?(urgence|hopital|ambulanciers)|"
    + _NOT_ITS_YEAR
    + r"in (19|20)\d\d|when (i|he|she|we|they|(my|his|her|our) (\w+ ){0,2}\w+) (was|were)(?! \w+ing\b)|"
    r"as an? (child|kid|teen(ager)?|baby|toddler|infant|newborn)|back in|"
    r"(a|ai|as|avait|avais|avons) deja (fait|eu)|"
    # treated already: "went to emerg Saturday for", "on est allés à Sainte-Justine parce que"
    r"(went|been|gone|was|were|ended up) (to|in|at) (the )?(er|emerg\w*|hospital|urgent care|walk-?in|icu) ([\w-]+ ){0,2}(for|with|because)|"
    r"(fait operer|ete operee?|operated on|had surgery|surgery) (pour|for)|(chirurgie|operation)( d'urgence)? (pour|for)|(had|got) (an? )?(emergency )?(surgery|operation) (for|on)|"
    # a mother's pregnancy with the writer: "my mom had eclampsia with me and had seizures"
    r"with me (and|,)|pregnant with me|enceinte de moi|"
    # how it turned out, told after it was treated: "finalement c'était l'appendicite",
    # "it turned out to be a torsion, he had surgery"
    r"finalement c'etait|(it )?turned out (it was|to be)|"
    # relatives named together: "my father and my uncle both had strokes" (the clause is cut at
    # "and my", so the plural is what is left to read)
    r"\b(both|tous les deux|toutes les deux) (had|have had|got|suffered|ont eu|ont fait)\b|"
    r"(neighbou?r|friend|sister|brother|mother|father|mom|mum|dad|cousin|coworker|colleague|aunt|uncle|boss)( \w+)? (said|says|told me) (that )?(she|he|they) (had|has had|got)|c'est quoi trop (de|d')|(what'?s|what is) too much|(concussion|commotion) (protocol|policy|training|course|form)|protocole (de|sur la) commotion|had (my|his|her) \w+ (out|removed)|"
    r"(alle|allee|alles|allees|ete) (a|au|aux) (l')?([\w'-]+ ){0,7}(pour|parce)|"
    r"(took|brought|drove) (him|her|them|my \w+) to (the )?(er|emerg\w*|hospital|urgent care)( \w+)? for|"
    r"suite a (mon|ma|son|sa|une?)|following (my|his|her) |"
    r"in (university|college|high school|school)|used to (have|get)|"
    # "a coworker of mine had a stroke", "my mother and aunt both had blood clots"
    r"(a|an|one) (\w+ )?(friend|coworker|colleague|neighbou?r|cousin|classmate|roommate|teammate) of (mine|ours|my \w+) (had|was|got|went|nearly|almost)|"
    r"(my|our|his|her) (mother|mom|mum|father|dad|sister|brother|aunt|uncle|grand(mother|father|ma|pa)|cousin)s? "
    r"(and|&) (my |our |his |her )?\w+ (both |all )?(had|have|got)\b|"
    # "ma mère et sa sœur ont toutes les deux fait des AVC"
    r"(ma|mon|notre|sa|son) (mere|pere|soeur|frere|tante|oncle|grand-mere|grand-pere|cousine?) "
    r"(et|pis) (sa|son|ma|mon|notre|leur) [\w-]+ (ont )?((toutes|tous) les deux |aussi )?(ont )?(fait|eu)\b|"
    r"hospitalisation (de|du|d')|"
    # a school year gone by: "en secondaire 3", "au primaire", "in grade 9"
    r"en (secondaire|sec) [1-5]\b|au (primaire|secondaire)\b|in (grade|gr\.?) \d{1,2}\b|"
    r"(une?|la|le) (\w+ )?(fille|gars|amie?|eleve|joueu(r|se)|personne) (de|dans) (ma|mon|notre) "
    r"(classe|ecole|equipe|residence|groupe) (a eu|a fait|avait)|"
    r"(a|pendant|lors de) ma (premiere|derniere|precedente) grossesse|(during|in) my (first|last|previous) pregnancy|une fois,? (j'ai|il a|elle a)|"
    r"(dit|disait|m'a dit) que (son|sa|leur) (\w+ ){0,2}(a fait|a eu|avait)|(the |l')(er|emerg\w*|hospital|urgence|hopital|paramedics|ambulanciers) (\w+ )?$|avait l'habitude (de|d')|(tse |tu sais )?la fois (que|ou)|the time (that|when) (i|he|she|we)|"
    r"hospitalisee?s? (au|en|pour|apres|pendant|l'|le|la)|(ete|was|been) hospitali[sz]ed|"
    r"au printemps|a l'automne|cet (ete|hiver|automne)|(l'ete|l'hiver|l'automne) (passe|dernier)|"
    # someone else who died of it; "my son had a seizure at school" is today's news
    r"(my|his|her|our|their|a) (\w+'s )?" + _OTHERS + r"('s)? (died|passed away|passed) (of|from)|"
    r"family history|runs in (my|the) family|"
    # fiction: "a hospital drama where a pregnant woman had seizures", "un personnage a fait un AVC"
    r"(show|series|movie|film|episode|drama|novel|book|story|roman|serie|emission|feuilleton|podcast) "
    r"(where|in which|about|ou|dans lequel|dans laquelle)|(a|one|the|un|le|une|la) (\w+ )?(character|personnage)|"
    r"(writing|reading|watched|watching|ecris|lis|lu|regarde|vu) (a|an|un|une|le|la) (\w+ )?"
    r"(novel|book|story|roman|livre|serie|show|movie|film|episode)|"
    # a leaflet's warning: "came with a warning about suicidal thoughts"
    r"(warning|warnings|mise en garde|avertissement)s? (about|on|of|sur|concernant|au sujet)|"
    r"(depliant|feuillet|notice|leaflet|insert|pamphlet|app|appli|application|website|site|booklet|guide) ([\w'-]+ ){0,5}(parle|talks?|mentions?|says?|dit)|"
    # "after my seizure in September", "après ma convulsion"
    # (not a shift, a workout or a meal: "after my workout I have crushing chest pain")
    r"(after|apres|following) (my|his|her|their|ma|mon|sa|son) "
    r"(?!(shift|work|workout|run|jog|game|match|practice|training|session|class|walk|hike|ride|"
    r"swim|meal|dinner|supper|lunch|breakfast|coffee|shower|nap|quart|travail|entrainement|"
    r"course|partie|diner|souper|dejeuner|marche|cours|job|service)s?\b)|"
    r"(my|his|her|our|a) ((late|ex|former) )?(\w+'s )?((older|younger|little|big|best|late|ex|oldest|youngest) )?(sister|brother|friend|cousin|aunt|uncle|neighbou?r|coworker|colleague|boss|"
    r"classmate|teammate|roommate|sister-in-law|brother-in-law|friend's \w+|neighbou?r's \w+)"
    r"( \([^)]{0,20}\)| (in|from|at|back in|out in) [\w-]+( [\w-]+)?)?( both| all| also| too)? (had|bled|got|was|went|lost|nearly|almost)|a (kid|boy|girl|child|baby|student|teacher|player|man|woman|guy|lady|worker|resident|parent) "
    r"(on|in|at|from) (my|his|her|our) |"
    # French
    r"antecedents? de|historique de|il y a (\w+ )?" + _PERIOD_FR + r"|l'? ?an (dernier|passe)|"
    # a slow disease's doing: "had glaucoma and lost the sight in one eye"
    r"(glaucoma|glaucome|macular degeneration|degenerescence maculaire|retinopathy|retinopathie) (and|et|then|puis)"
    r"(?! (suddenly|soudain\w*|tout d'un coup|d'un coup|all of a sudden))|"
    r"went in (with|for) |(after|following) \w+'s |"
    r"(ca|cela) fait (\w+ )?" + _PERIOD_FR + r" (que|qu') ?(j'ai|il a|elle a|on a) (ete|eu|fait)|"
    r"it'?s been (\w+ )?" + _PERIOD + r" since ((i|he|she|we) (was|were|had)|(my|his|her|our) )|"
    r"l'?annee (derniere|passee)|(le|la|l') ?(\w+ )?"
    + _PERIOD_FR
    + r" (passee?|derniere?)|"
    + _NOT_ITS_YEAR_FR
    + r"(en|de) (19|20)\d\d|quand (j'|il |elle |on )?(etais|etait|avais|avait)|dans mon enfance|"
    r"(mon|ma|son|sa|notre|un|une) (\w+ )?" + _OTHERS_FR + r" (de \w+ )?(\w+ )?(est mort|est morte|"
    r"est decedee?|decede) (d'|de))(?:\b|(?<=\s))"
)
# The years before this one, written out (a message about this year's event may name it).
_PAST_YEARS = "(" + "|".join(str(y) for y in range(1930, date.today().year)) + ")"
# A time in the past said earlier in the sentence: "Last month I had ..., I used my EpiPen".
_HISTORY_TIME = re.compile(
    r"\b(as an? (baby|child|kid|toddler|infant|teen|teenager|newborn)|"
    + _PERIOD
    + r" ago|last "
    + _PERIOD
    + r"|"
    + _WHEN_PAST
    + r"|"
    + _NOT_ITS_YEAR
    + r"in (19|20)\d\d|"
    + _NOT_ITS_YEAR_FR
    + r"(en|de) (19|20)\d\d|"
    # out of hospital already: "mon fils est sorti de l'hôpital hier, c'était une acidocétose"
    r"(est|suis|etait|sont) sortie?s? de l'(hopital|urgence)|(discharged|released|home) from (the )?(hospital|er|emerg\w*)|"
    # "I had a concussion at 12 playing hockey, knocked out for a few seconds"
    r"\b(had|got|broke|needed) (a|an|my|his|her) \w+ at (age )?\d{1,2}\b(?! ?(:|h\b|\d|pm|am|o'?clock|tonight|today))|"
    # a year on its own, set off by commas, before this year: "Avant, 2019, bébé perdu, ..."
    r"(^|[,;(] ?|\b(before|avant),? )"
    + _PAST_YEARS
    + r"\b(?! ?[-/:h\d]| ?(mg|ml|mcg|g|units?|iu|ui|\$))|"
    # (a birth told this way is an age: "ma fille, née il y a 9 jours")
    r"(?<!ne )(?<!nee )(?<!born )il y a (\w+ )?"
    + _PERIOD_FR
    + r"|(le|la|l') ?(\w+ )?"
    + _PERIOD_FR
    + r" (passee?|derniere?)|"
    # (not the moment it struck: "at 2 o'clock when I was parching the rice it went dark")
    r"l'? ?an (dernier|passe)|l'?annee (derniere|passee)|when (i|he|she) was(?! \w+ing\b)|quand (j'|il |elle )?(etais|etait|avais|avait)|"
    r"(^|(?<=^ )|[,;] ?|(?<=qu'))a \d{1,2} ans\b|"
    # an anniversary: "it's 10 years this week since my brother's suicide attempt", "the fifth
    # anniversary of my overdose", "ça fera 10 ans cette semaine depuis sa tentative"
    # (the "since" itself is taken out before this is read)
    r"(it'?s|its|it is|it will be|it'?ll be|it'?s been|ca fait|ca fera|cela fait|ca va faire) "
    r"(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty|un|deux|trois|quatre|cinq|dix|quinze|vingt) "
    r"(years?|yrs?|ans|annees) (this (week|month)|today|tomorrow|cette semaine|ce mois-ci|aujourd'hui|demain)\b|"
    r"(\d{1,2}(st|nd|rd|th)?|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|twentieth) anniversary of|"
    r"(\d{1,2}e|premier|deuxieme|troisieme|cinquieme|dixieme) anniversaire (de|d')|"
    # seen already by a specialist: "le neurologue m'a vu, c'était un AVC mineur"
    r"(le |la |mon |ma )?(neurologue|cardiologue|specialiste|urgentologue|neurologist|cardiologist|specialist) "
    r"(m'a|l'a|lui a|nous a|has|had|saw|a) ?(vue?|examinee?|seen|checked|me|him|her|us))\b"
)
# Hypotheticals: within the clause, across "and".
_HYPOTHETICAL = re.compile(
    # ("as if someone pulled a blind", "comme si quelqu'un avait tiré une toile": a simile)
    r"\b((?<!as )if (i|he|she|we|they|my|someone|somebody|a|the|you|your|our|her|his|it) |"
    r"in case|what if|what (should|do|would) (i|we|you|they|the \w+|he|she) do if|what to do if|"
    r"for example|for instance|par exemple|(it|this|that|they) (can|could|may|might) (make|cause|give)|"
    r"what would happen if|qu'?est-ce qui (arriverait|se passerait) si|watch (out )?for|look out for|"
    r"keep an eye out for|red flags|signes? d'alarme|"
    r"what happens if|how (do|would|can|will|should) (we|i|you|they) (know|tell|recogni[sz]e)|"
    r"(?<!comme )si (jamais|je|j'|il|elle|on|mon|ma|mes|notre|nos|vous|le|la|les|un|une|quelqu'?un|ca|cela)|au cas ou|que faire si|quoi faire si|"
    # "qu'est-ce que je devrais faire s'il devient soudainement plus confus"
    r"(faire|fais|fait|do) s'(il|ils|elle|elles)\b|"
    # a condition in the imperfect: "s'il avait une douleur à la poitrine là-bas, qu'est-ce qu'on
    # devrait faire" (not a question put to him: "je lui ai demandé s'il avait mal")
    r"(?<!comme )(?<!demande )(?<!demandee )(?<!demandais )(?<!demandait )(?<!sais pas )(?<!savoir )(?<!voir )"
    r"s'(il|ils|elle|elles) (avait|avaient|etait|etaient|faisait|faisaient|devenait|devenaient|tombait|tombaient|perdait|perdaient)\b|"
    # someone's hand that the writer denies: "je ne veux pas que vous pensiez que
    # quelqu'un m'a frappée", "I don't want you to think someone hit me" (only that: "I
    # don't want you to think I'm exaggerating, I have crushing chest pain" is today's)
    r"(veux|voudrais|voulais) pas que (vous|tu|le docteur|la docteure|les gens|personne) (pensiez|penses|pense|croyiez|crois|croie|imaginiez) "
    r"(que |qu')?(quelqu'un|on|mon mari|mon chum|mon conjoint|ma femme|ma blonde|il|elle) (m'a|m'ait|l'a|l'ait|nous a) |"
    r"(don'?t|do not|didn'?t) want (you|anyone|people|the doctor|you guys) to (think|assume|believe) "
    r"(that )?(someone|somebody|anyone|my (husband|wife|partner|boyfriend|girlfriend)|he|she) (hit|hurt|beat|did this to|grabbed) |"
    r"en cas (de|d')|if \w+ (is|isn't|was|wasn't|has|hasn't|gets|starts|stops|doesn't|does|can't|ever) |"
    r"comment (on )?(le |la )?(reconnai\w*|savoir)|"
    # a kind of person, in the conditional: "pour un élève qui exprimerait des idées noires",
    # "for a student who might talk about ending it"
    r"(un|une) (eleve|jeune|patiente?|cliente?|enfant|ado|adolescente?|personne|etudiante?) qui \w+(rait|raient)|"
    r"an? (student|patient|client|kid|child|teen|teenager|person|camper|athlete) who (might|may|would|could) |"
    # a drug given to a kind of person: "is it safe to give to someone who is pregnant and not
    # breathing after an overdose?" (a first responder's question)
    r"(give|giving|use|using|administer|administering) (it |this |that |them |naloxone |narcan )?(to|on) "
    r"(someone|somebody|anyone|a person|a patient|une personne|quelqu'un) (who|that) |"
    # the kind of case a worker meets: "When a student tells me about suicidal thoughts we follow
    # the district protocol", "quand un élève me parle d'idées suicidaires"
    r"when (a|an|one of (my|our|the)) (student|patient|client|kid|child|teen|teenager|employee|worker|camper|resident|member)s? "
    r"(tells?|talks?|says?|mentions?|shows?|comes|brings?|discloses?)\b|"
    r"quand (un|une|un de mes|une de mes|un de nos|une de nos) (eleve|etudiante?|patiente?|cliente?|jeune|ado|employee?|travailleur|travailleuse|resident|residente)s? "
    r"(me |nous )?(dit|parle|mentionne|montre|confie|arrive)\b|"
    # a question of what a thing would be called: "Would that be an overdose?"
    r"(would|could|will|is) (that|this|it) (be|count as|mean|be called) |"
    # (not a wish: "ce serait plus simple pour tout le monde si je n'étais plus là")
    r"(serait-ce|est-ce que (ce|ca) serait|est-ce que (ce|ca) (compte|compterait) comme) )\b"
)
# A question about when to worry: "At what temperature should we worry for a newborn?"
_WORRY_QUESTION = re.compile(
    r"\b((should|do|would|must) (we|i|you) (worry|be worried|be concerned|start worrying)|"
    r"(when|at what \w+|how high|how long|how many) .{0,40}(worry|call|go to)|a partir de (quand|quel\w*|combien)|"
    r"faut-il (s'inquieter|aller|appeler)|(doit|dois|devrait|devrais) (on|je)( m'| s')? ?inquieter)\b"
)
_HABITUAL = re.compile(
    r"\b(i|he|she|we|they|and) (usually |always |often |sometimes |still )?gets? (a bit |a little |very |really |so |more )?$"
)
_NO_MORE_BEFORE = re.compile(r"(^|\s)(plus|pu|pus|pas) (d'|de )?$")
_SINCE_AFTER = re.compile(
    r"\W{0,3}([\w'-]+ ){0,2}depuis (des|deux|trois|quatre|quelques|plusieurs|\d+|un|une|longtemps|le|la|l')\b"
)
_EN_TRAIN = re.compile(r"\b(pas|plus|jamais) en train (de|d')")
_JUST_HAPPENED = re.compile(
    r"\b(just|juste|vient d'|vient de|viens de) (\w+ed|ate|bit|drank|took|swallowed|fell|hit|broke|"
    r"got|threw|passed|found|woke|ran|swallow|avale|mange|bu|pris|tombe|tombee|frappe|trouve|"
    # the same in dictionary form (patients write "just chew", "just eat")
    r"chew|eat|bite|drink|take|fall|get|throw|pass|find|wake|run|lick)\b"
)
# "Mon fils a eu une méningite à 6 mois", "she had meningitis at 2 years old": the age it
# happened at, said right after a "had" (not "bébé fièvre à 2 mois", a baby's age today)
_AT_AGE_AFTER = re.compile(
    r"\W{0,3}(a|at|vers|around) (l'age de |age )?\d{1,2} (mois|ans|months?|years?)( old)?\b"
    # a newborn's: "il a fait de la fièvre à 2 semaines de vie"
    r"|\W{0,3}(a|at) \d{1,2} (semaines?|jours?|weeks?|days?) (de vie|of life|old)\b"
    r"|\W{0,3}at \d{1,2} (weeks?|days?)( of age)? (and|,) (was|went|got|were|had)\b"
    # a few words on: "un choc anaphylactique aux arachides quand j'avais 10 ans"
    r"|[^.?!;]{0,30}\b(quand j'?avais|lorsque j'?avais|when i was) (\d{1,2}|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|quinze|seize|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen)( ans| years?( old)?)?\b"
    # or as a child: "une anaphylaxie aux arachides quand j'étais petit"
    r"|[^.?!;]{0,30}\b(quand j'?etais|lorsque j'?etais|when i was) (petite?|jeune|enfant|bebe|ado|little|a (kid|child|baby|toddler))\b"
    # or the holiday it happened at: "my wife had a seizure at Christmas"
    r"|\W{0,3}(at|over|a|aux|pendant les) (christmas|xmas|easter|thanksgiving|noel|paques|fetes|the holidays)\b"
    # someone else's age then, in words: "my nephew had a serious anaphylaxis when he was two"
    r"|[^.?!;]{0,30}\b(when (he|she) was|quand (il|elle) avait) (\d{1,2}|one|two|three|four|five|six|seven|"
    r"eight|nine|ten|eleven|twelve|a baby|a toddler|little|un an|deux|trois|quatre|cinq|bebe|petite?)\b"
)
# A grandparent's event told with the age it happened at, a few words on: "mon grand-père
# a perdu la vue d'un œil d'un coup vers 70 ans", "my grandma had a stroke at 68".
_ELDER_BEFORE = re.compile(
    r"\b(grand-?(pere|mere|papa|maman|pa|ma)|grand(father|mother|pa|ma|dad|mom)|grannie|granny|"
    r"kokum|mushum|nukum|aieule?|arriere-grand-\w+|great-grand\w+)('s)? (a |avait |had |has )?\s*$"
)
_AGE_LATER = re.compile(
    r"[^.?!;]{0,30}\b(vers|autour de|a l'age de|at age|at the age of|around age|"
    r"when (he|she) was|quand (il|elle) avait) \d{2}( ans| years( old)?)?\b"
)
_HAD_BEFORE = re.compile(
    r"\b(a eu|j?ai eu|avait eu|avait fait|a fait|j?ai fait|had|got|attempted)( (une?|des|la|le|a|an|de la|du))?"
    # "my nephew had a serious anaphylaxis when he was two"
    r"( (serious|severe|bad|big|major|scary|grave|grosse?|mauvaise?|serieuse?))?"
    # "j'ai fait une tentative de suicide à 19 ans"
    r"( tentatives? de| tentatives? d'| (suicide )?attempt at| choc| crise| reaction)?\s*$"
)
_AGE_AFTER = re.compile(
    r"\W{0,3}(bebe|enfant|petite?|ado|etant (bebe|enfant|petite?|jeune)|as an? (baby|kid|child|teen|toddler))\b"
)
# Counted events are a history: "ma mère a fait deux AVC", "he have stroke two times".
_COUNT_BEFORE = re.compile(
    r"\b(a fait|a eu|ai fait|ai eu|avait fait|avait eu|ont fait|has had|have had|had had|he have|she have|"
    r"had) (deux|trois|quatre|cinq|plusieurs|two|three|four|five|several|multiple|[2-5]) ?$"
)
_TIMES_AFTER = re.compile(
    r"\W{0,3}((two|three|four|five|several|many|multiple|[2-5]) times|(deux|trois|quatre|cinq|plusieurs) fois)\b"
)
_WHICH = re.compile(r"\b(what|which|quelle?s?)\s*$")
_HISTORY_RIGHT_AFTER = re.compile(
    r"s?\W{0,3}((tous|toutes) les (deux|trois|quatre) |both (of them )?)?((a|au|aux|en|in|at|to|for|from|with|on|sur|dans|avec) [\w'-]+ ){0,2}(before (the age of |age )?\d{2}\b|avant (l'age de )?\d{2} ans|in (may|"
    + _MONTHS
    + r")|en "
    + _MONTHS_FR
    + r"|(le |la |l')(mois|semaine|annee|ete|hiver|automne|printemps|fin de semaine) (passee?|derniere?)|(back )?"
    + _NOT_ITS_YEAR
    + r"in (19|20)\d\d|"
    + _NOT_ITS_YEAR_FR
    + r"en (19|20)\d\d|(de|of|from) (19|20)\d\d\b(?! ?(mg|ml|\$|h))|last "
    + _MONTHS
    + r"\b|last (year|month|summer|winter|spring|fall|term|season|easter|christmas|passover|thanksgiving|ramadan|eid)|"
    r"(a |au )?(paques|noel|l'action de grace|ramadan) (dernier|derniere|passe)|"
    # an operation for it: "in March I had appendicitis operation at St. Mary's, all healed now"
    r"(operation|surgery|chirurgie) (in|en|last|at|a|au|il y a|done|faite)\b|"
    r"(\w+ ){0,2}(years?|months?) ago|in the past(?! (\d+|few|couple( of)?|two|three|24|48) (hours?|hrs?|minutes?|mins?|days?))|dans le passe|as an? (child|kid|teen|baby)|"
    r"il y a (\w+ ){0,2}(ans|annees|mois)|il y a (bien |tres |trop )?longtemps|"
    r"dans (la|leur|sa) (vingtaine|trentaine|quarantaine|cinquantaine|soixantaine|septantaine|soixante-dizaine)|in (their|her|his) (\d0s|twenties|thirties|forties|fifties|sixties|seventies)|l'an (dernier|passe)|l'annee (derniere|passee)|"
    # "une acidocétose au printemps", "Dad's stroke was in 2024"
    r"(au|a l'|cet |ce |l')(printemps|ete|automne|hiver) (passe|dernier)?|"
    r"(was|happened|occurred|etait|a eu lieu) (in|en|back in|last|l'an|il y a) |"
    r"(a|at|au) (mon |ma |my |notre |our |the |son |sa )?(souper|party|diner|dinner|reveillon|fete|brunch) (de |du |for |on )?(noel|christmas|thanksgiving|l'action de grace|jour de l'an|new year'?s?( eve)?|paques|easter)|"
    r"(at|a) (the |our |my |a )?(\w+ )?(christmas|xmas|holiday|new year'?s?|thanksgiving) (\w+ )?(party|dinner|supper|lunch)\b(?! (tonight|today|this|right now|just now))|"
    # "une crise d'épilepsie au party du mois passé", "at the wedding last month"
    r"(au|a la|a l'|at the|at a|at our) [\w'-]+ (du|de la|de l'|last|the) ?(mois|semaine|annee|ete|hiver|fin de semaine|week|month|year|weekend|summer|winter)( passee?| derniere?| before)?|"
    # "ma mère a fait une crise cardiaque jeune", "dad had a stroke young"
    r"(jeune|young|dans sa jeunesse|in (his|her) youth)(?=\W|$))\b"
)
# Nothing taken after all, said later in the sentence: "got hold of my pills on the counter this
# morning, but the foil seal was still on the bottle and we counted all 30 pills, none missing"
# (a time like "this morning" would otherwise make it today's event)
_NOTHING_TAKEN_AFTER = re.compile(
    r"\b(but|mais) (the |le |la |l')?(foil |safety |childproof |paper )?(seal|sceau|opercule|cap|bouchon|lid|couvercle)"
    r"( \w+){0,3} (was|etait|est|is) (still )?(on|intact|sealed|scelle|ferme|closed|encore (la|dessus|ferme|scelle))\b"
    r"|\b(none|aucune?|rien) (was |were |is )?(missing|ne manqu\w*|manquant\w*)"
)
# The first aid for it, a topic taught, whenever it is: "next week we do seizure first aid and
# CPR", "our crew did choking first aid today"
_TAUGHT_AFTER = re.compile(
    r" (first aid|first-aid|awareness (training|day|week|month)|response training|drills?)\b"
)
# the cases one attends at work: "the CO poisoning cases we attend"
_CASES_AFTER = re.compile(
    r" (cases|calls|files|dossiers|cas|appels|interventions) (we|that we|i|qu'on|que (nous|je|j')) ?"
    r"(attend|handle|see|get|respond to|answer|gere|traite|voit|vois|fait|fais|couvre)\b"
)
_HOW_MUCH = re.compile(r"\b(how (much|many|bad|high|long)|combien( de)?)\s*$")
_OPEN_IF = re.compile(
    r"\b(if|si|s'|(?<!comme )s'(il|ils|elle|elles)|(?<!as )if (he|she|they|it|i|we|you))\s*$"
)
# A threat with its condition, the victim's act: "si je pars il va me retrouver", "if I leave
# he'll kill me", "if I ever call the police he will find us" (a promise, not a hypothetical)
_THREAT_IF = re.compile(
    r"\b(si|s'|if) (jamais |ever )?(je|j'|i|on|we)\b[^.?]{0,60}\b(il|elle|he|she|y|they|ils)"
    r"('ll|'d)?( (will|would|va|vas|vont|allait|irait|is going to|'s going to|is gonna|gonna|going to))?"
    r"( (me|nous|us|la|le|les|m'))?[ «»\"“”]{0,4}(tuer\w*|kill|retrouver|find (me|us|her|the kids)\b(?! a\b)|"
    r"hunt (me|us|her)|finir la job|finish (me|the job)|faire la peau|burn the house|mettre le feu|"
    # the children taken away: "if I go to the hospital or tell anyone he will take our baby"
    r"take (the |our |my )?(baby|kids|children|son|daughter|boy|girl)\b|partir avec (le bebe|les enfants))|"
    # "...he will take Liam to his mother in Timmins and I will never see him again"
    r"\b(if|si) (jamais |ever )?(i|je|j')\b[^.?]{0,120}\b(i|i'll|je) (will )?(never|ne \w+ jamais) (see|reverrai) (him|her|them|my \w+)( again)?\b|"
    # or as the one who will not be around: "if I talk to anyone or go somewhere I won't be around
    # anymore", "si je parle je serai plus là"
    r"\b(if|si) (jamais |ever )?(i|je|j')\b[^.?]{0,80}\b(i won'?t be around|i will not be around|je (ne )?serai (plus|pu) l[aà])|"
    # the victim named as the one who will end up dead: "si je parle, je finis dans la fosse à
    # lisier", "if I tell anyone I'll end up in the river"; or as the one who will not see the
    # spring: "si j'en parle je verrai pas le printemps"
    r"\b(si|s'|if) (jamais |ever )?(je |j'|j|i )\w*[^.?]{0,40}\b(je |j'|j|i)"
    r"(('ll |'ll| will | vais )?(finis|finir|finirai|mourrai|end up (dead|in)|die)"
    r"|('ll |'ll| will | )?(verrai\w*|verrais|see|live to see) (pas |plus |pu |never )?"
    r"(le printemps|l'ete|noel|the spring|spring|christmas))\b"
)
# "How would I know if he was having a stroke?": a hypothetical, whatever "know if" says.
_HOW_WOULD_I_KNOW = re.compile(
    r"\bhow (do|would|can|will|should|could) (we|i|you|they) (know|tell|recogni[sz]e)\b"
)
# "I don't know if I should go to the ER": not a hypothetical.
_NOT_HYPOTHETICAL = re.compile(
    r"\b((if|whether) (i|we) (should|need to|have to)|(know|wonder\w*|sure|think|unsure|ask\w*|see|check) (if|whether)|"
    r"(tell|let) (me|him|her|us|them) (know )?(if|whether)|"
    # an aside that winks, not a condition: "he's parking in the wrong place, if you know what I mean"
    r"(if|si) (you|u|vous|tu) (know|get|catch|see|voyez|vois) (what i mean|my drift|ce que (je veux dire|j'veux dire))|"
    r"si (je|on) (dois|devrais)|(sais|sait|demande|savoir|voir|demander|verifier) (pas )?si|"
    # a wish to be gone, not a condition: "ce serait plus simple pour tout le monde si je disparaissais"
    r"(pour (tout le monde|tous|eux|ma famille|les autres)|for (everyone|everybody|them|my family)) (si|if) (je|j'|i)|"
    r"(plus (simple|facile)|mieux|easier|better) (si|if) (je|j'|i)|"
    # a threat told with its condition, the harm promised if the victim acts: "il dit que si je
    # vais chez ma sœur il va finir la job", "he said if I leave he'll kill me"
    r"((il|elle|he|she|y) )?(m'a |me |lui a |nous a |a |m'|l'|lui )?(dit|dis|said|says|told (me|her|him)|tells (me|her|him)|"
    r"threaten\w*|menace\w*|fait comprendre|laisse entendre|made it clear|warned)"
    r"( some stuff| des affaires| des choses)?,?( like)?( que| qu'| that)? (si|s'|if) (je|j'|i|we|on|tu|you|elle|il|she|he)\b[^.]{0,80}\b(il|elle|he|she|y)"
    r"('ll|'d)?( (will|would|va|vas|allait|irait))?( (me|nous|la|le|vous|us|her|him))?"
    # ("he'll burn the house with me in it", "il va mettre le feu")
    r" (finir\w*|terminer\w*|finish|tuer\w*|kill|hurt|faire mal|frapper\w*|beat|burns?|burning|brul\w*|mettre le feu|set fire)|"
    # the same threat with the house as its subject: "if I ever talked to the police the house
    # would go up with me in it"
    r"(si|s'|if) (je|j'|i)\b[^.]{0,60}\b(the house|the place|la maison) (would|will|'?ll|va|irait|allait) (go up|burn|bruler|passer au feu))\b"
)
# "on the paper" is the news, "on the paper guillotine" a machine at work: both the sentence's
# context and what follows a mention read the news only when no machine follows.
_NOT_A_MACHINE = r"(?![- ](guillotine|cutter|machine|roll|mill|press|plant|jam|towel|shredder))"
# Forms, education and work: anywhere earlier in the sentence (lists run across commas).
_SENTENCE_CONTEXT = re.compile(
    # what one has heard or read about: "j'ai entendu parler de taches qui partent pas quand on
    # pèse avec un verre", "I read about a rash that doesn't fade"
    r"\b((entendu parler (de|d'|du|des)|heard (about|of)|lu (sur|que|qu')|read (about|that)|reading (about|that|up on))|"
    # the calls a crew goes to: "We go to car crashes, overdoses, cardiac arrests, lots of blood"
    r"\b(we|on) (go|respond|va|repond)\w* (to|a|aux) (car crash\w*|calls?|accidents?|appels?|fires?|incendies?)\b|"
    # what runs in a family: "epilepsy runs in my husbands family his sister and his dad both have
    # seizures" (one run-on sentence)
    r"\bruns in (my|our|his|her|their|the) ([\w']+ ){0,2}family\b|"
    # what a class studies: "We've been studying toxicology this term (overdose, poisoning, ...)"
    r"\b(we'?ve been|we have been|we are|we'?re|i'?ve been|i have been|i am|i'?m) (studying|learning about|covering)\b|"
    # a policy or protocol written for a population: "We're updating our policy for residents who
    # are at risk of suicide or self-harm"
    r"\b(our|the|notre|la|nos|les|their|leur) (policy|policies|politique|politiques|protocol|protocols|protocole|protocoles|procedures?)( [\w']+){0,2} (for|on|about|pour|sur|concernant)\b|"
    # ...or does: "We do a lot of medical calls now, overdoses, car accidents with bleeding"
    r"\b(we|on) (do|get|fait|fais|answer|take|run)s? (a lot of |lots of |many |plenty of |more |beaucoup d'|plein d')?(medical |medicaux )?(calls|appels)\b|"
    # those a shelter or a service takes in: "Plusieurs femmes qui arrivent chez nous après de la
    # violence conjugale n'ont pas de médecin"
    r"\b(femmes|personnes|clientes?|gens|familles|jeunes|women|people|clients|families|residents) (qui|who) "
    r"(arrivent|viennent|nous arrivent|come|arrive) (chez nous|ici|au refuge|a la maison|to us|here|to the shelter)\b|"
    # resources listed for victims: "Je prépare une liste de ressources pour les victimes de
    # violence conjugale dans la région (maisons d'hébergement, lignes d'écoute)"
    r"\b(listes?|lists?|brochures?|depliants?|pamphlets?|ressources|resources) (de |of )?(ressources |resources )?(pour|for) (les |the )?(victimes|victims|survivors|survivantes?)\b|"
    # any patient at work: "Quand un patient de la clinique est transféré chez nous pour une douleur
    # à la poitrine, pourriez-vous nous faxer sa liste de médicaments?"
    r"\b(quand|lorsque|when|whenever) (un|une|a|an) (patient|patiente|client|cliente|usager|usagere|resident|residente)\b|"
    # what a course will cover: "le cours de premiers soins est samedi. On va voir les hémorragies,
    # le garrot, l'étouffement", "we'll go over choking and bleeding"
    r"\b(on va|nous allons|on voit) (voir|couvrir|apprendre|pratiquer) (les|le|la|l')|"
    r"\b(we'?ll|we will|we'?re going to|we are going to|they'?ll|they will) (cover|learn|practi[cs]e|go over|be covering|be learning|be practi[cs]ing)\b|"
    # two relatives who both had it: "mon grand-père et ma tante ont eu un glaucome aigu et mon
    # grand-père a perdu la vue d'un œil", "my grandfather and my aunt both had"
    r"\b(mon|ma|mes|my) (grand-?\w+|tante|oncle|aunt|uncle|pere|mere|father|mother|dad|mom|cousine?|cousin|soeur|frere|sister|brother)s? "
    r"(et|and) (mon|ma|mes|my|his|her|son|sa) [\w-]+ (ont|avaient|both|have|had|ont tous|ont toutes)\b|"
    # what a crew or a guard deals with, listed: "We deal with stabbings, overdoses, you name it"
    r"\b(we|on|nous) (deal|dealt|handle|handled|gere|gerons|gerait) (with )?([\w'-]+, ){1,4}|"
    # ...or counted: "We deal with a lot of self-harm and violent incidents on the unit"
    r"\b(we|on|nous) (deal|dealt|handle|handled|see|saw|gere|gerons|voit|voyons) (with |avec )?"
    r"(a lot of|lots of|plenty of|so much|tons of|beaucoup (de|d')|pas mal (de|d')|plein (de|d'))|"
    # stepping in at work: "Au travail je dois souvent intervenir lors de tentatives de suicide"
    r"(au travail|a la job|a l'ouvrage|at work|on the job|on shift),? (je|j'|on|nous|we|i) ([\w']+ ){0,3}"
    r"(intervenir|interviens|intervient|intervenons|respond to|deal with|attend)\b|"
    # the people a counsellor or a teacher sees at work: "Sometimes I see students who are
    # self-harming or talking about suicide"
    r"\b(i|we|je|on|nous) (often |sometimes |regularly |souvent |parfois )?(see|meet|work with|support|counsel|vois|rencontre|accompagne)\w* "
    r"(students|kids|clients|patients|youth|teens|young people|families|eleves|jeunes|clients|patients) (who|qui)\b|"
    # ...or has in its care: "We sometimes have people on suicide watch who are your patients"
    r"\b(we|on|nous) (often |sometimes |regularly |souvent |parfois )?(have|get|see|a|avons) "
    r"(people|inmates|patients|clients|residents|youth|kids|teens|students|detenus|jeunes|gens)( [\w']+){0,2} (on|in|en|sous)\b|"
    # a nurse's or a carer's patients: "Je m'occupe de patients après des AVC et des hémorragies"
    r"\b(je|j'|on|nous) (m'|me |nous )?(occupe|occupons|soigne|soignons) (de |des )?(patients|patientes|residents|clients|personnes)( (agees|ages))? (apres|avec|qui|en)\b|"
    # what a course covers or practises: "On y parle d'hémorragies", "practised on a dummy for choking"
    r"\bon y (parle|voit|apprend|traite|couvre)|\by (parle|apprend|couvre) (de|des|du)\b|"
    # a course's topics, in its own words: "On parle de noyade, d'hypothermie et d'hémorragie."
    r"((?<=^)|(?<=^ ))on (parle|parler|jase|jaser|discute|discuter) (de|d'|des|du)\b|"
    # how a clinic handles it, asked by a student: "Je me demandais comment la clinique gère une
    # douleur thoracique quand l'avion-ambulance ne peut pas voler"
    r"\b(je me demandais|je me demande|je me demander|i was wondering|i wonder|i'?m curious) (comment|how) (la |une |the |a |your )?(clinique|clinic|vous|you|on|les medecins|doctors|nurses|infirmieres|staff)\b|"
    # how a team handles it, to be reviewed together: "une rencontre avec les médecins pour revoir
    # ensemble la prise en charge des douleurs thoraciques et des AVC sur la 167"
    r"\b(revoir|reviser|discuter|parler|organiser|ameliorer|review|discuss|improve)( [\w']+){0,3} (la |notre |nos |the |our )?(prise en charge|protocoles?|management|handling|protocols?) (des|de la|du|de|d'|of)\b|"
    # a pain brought on by breathing deeply, not breathing that fails: "un pincement sur le côté
    # des côtes quand je respire très fort ou que je tousse"
    r"\b(pincement|point|douleur|mal|pain|pinch|hurts?|sore|ache|elance\w*)( [\w']+){0,10} (quand|lorsque|when) (je|j'|i) ?$|"
    # what a kit should hold, for whom: "anything the doctor would suggest adding for chest pain
    # or allergic reactions", "un garrot au camp pour les clients qui ... se coupent gravement"
    r"\b(suggest|recommend|conseill)\w*( [\w']+){0,2} (adding|to add|ajouter|to keep|garder|avoir|to have)( [\w']+){0,3} (for|pour|in case of|en cas de)\b|"
    r"\b(pour|for) (les|nos|our|the|mes|my) (clients|guests|customers|campers|hunters|employes|employees|workers|crew|eleves|students|residents|chasseurs|passengers|passagers)( [\w']+){0,2} (qui|who|that)\b|"
    # a workplace's procedure for a kind of person: "notre procédure pour un étudiant qui parle de
    # suicide"
    r"\b(procedures?|protocoles?|policy|policies|politiques?|plan)( [\w']+){0,2} (pour|for) (un|une|a|an|les|the|nos|our) [\w']+ (qui|who)\b|"
    # a coach's or a teacher's talk: "L'entraîneur nous a parlé des commotions"
    r"\b(nous|vous|leur|les) a (parle|explique|presente) (des|de la|du|de l')|(told|taught|talked to|spoke to) (us|the parents|the team|the players) about\b|(practi[sc]ed|practi[sc]ing|pratique\w*) (on|sur) (a |an |un |une )?(dummy|mannequin|manikin|doll)|"
    # a crew's patients in general: "Pour les transferts vers Regina des patients en AVC"
    r"\b(pour|for|lors) (les |des |the |our )?(transferts?|transports?|transfers?|transfer calls)( [\w']+){0,3} (des|de nos|of|of our) (patients|clients|residents)\b|"
    # a crew's patient: "on a transporté un de vos patients à Whitehorse pour une douleur
    # thoracique", "when we bring a patient who has had a seizure to your service point"
    r"\b(we|on|nous) (have |a |avons |had |often |sometimes )?(transport\w*|brought|bring|take|took|amene\w*|ramene\w*|conduit)"
    r"( [\w']+){0,2} (un de vos patients|une de vos patientes|one of your patients|an? patient|un patient|une patiente|"
    r"des patients|vos patients|your patients|patients (de|from) (votre|your))\b|"
    # what a student wants to watch: "J'aimerais voir comment un médecin de famille gère les cas
    # de douleur thoracique, d'overdose ou de crise d'asthme"
    r"\b(voir|see|learn|apprendre|observer|observe|comprendre|understand) (comment|how) (un|une|le|la|les|a|an|the|your|vos) "
    r"(medecins?|doctors?|clinic|clinique|infirmieres?|infirmiers?|nurses?|equipe|team)( [\w']+){0,4} "
    r"(gere|gerent|handles?|manages?|treats?|traite|traitent|prend en charge)\b|"
    # a school paper: "Pour un travail, je dois décrire comment une clinique évalue le risque"
    r"pour un (travail|devoir|projet),? (je|j'|on|nous) (dois|doit|devons)|(for|pour) (a|an|my|mon|un) (paper|essay|assignment|school project|class project)\b|"
    r"(decrire|describe|expliquer) (comment|how) (une?|la|le|les|a|an|the) |"
    # cards and posters for the people who live it: "posters and wallet cards for people
    # experiencing family violence"
    r"(posters?|pamphlets?|brochures?|wallet cards?|cartes?|depliants?|affiches?)( (and|et|ou|or) [\w' -]{1,25})? "
    r"(for|pour) (people|persons|victims|families|survivors|les (gens|personnes|victimes|familles)|des (gens|personnes|victimes))\b|"
    # people one meets at work who talk of it: "des gens en crise ... qui parlent de se faire du mal"
    r"(des gens|les gens|people|clients|customers|visitors|passengers|passagers) ([\w',]+ ){0,8}(qui )?"
    r"(parlent|talk|talking|speak) (de|of|about) |(said|says|told us|teach|teaches|taught|ont dit|disent|dit|nous a dit) (to )?(call|appeler|composer|faire le) (911|9-1-1)|((prenatal|antenatal|childbirth|birthing|first aid|cpr|lifeguard|babysitting) (class|classes|course)|"
    r"cours (prenatals?|prenataux|de secourisme|de premiers soins|de gardiens?)) "
    r"(\w+ )?(mentioned|talked about|covered|taught|said|learned|learnt|parlait|a parle|parle|a mentionne|mentionne|appris)|"
    # a first-aid kit's contents, a crew's training: "On refait la trousse de premiers soins :
    # garrot pour les hémorragies", "We review medical emergencies on board like seizures"
    r"(trousse|kit) (de premiers soins|de premiers secours|medicale|de secours)|first[- ]aid kit|"
    # an evening of first aid for a club: "a first aid evening for our dog mushing club: cuts,
    # frostbite, how to stop heavy bleeding on the trail"
    r"(first[- ]aid|cpr|premiers soins|secourisme|rcr) (evening|night|session|workshop|soiree|atelier|journee)s?\b|"
    r"(recurrent|annual|yearly|refresher) training|"
    # what a course covers, said of it: "the wilderness first-aid course ... They cover hypothermia
    # and severe bleeding"
    r"\b(they|the course|the class|the training|le cours|la formation|ils) (cover|covers|covered|teach|teaches|taught|couvre|couvrent|enseigne|enseignent|voit|voient)\b|"
    # a talk given, a manual's pages: "I'm giving a talk at the Legion about when to call 911 for
    # chest pain or stroke"; "Dans le manuel on parle de l'hypoglycémie et des convulsions"
    r"\b(giving|give|gave|doing|preparing|prepare|donner|donne|pr[eé]parer?) (a |an |une )?(talk|presentation|conference|conf[eé]rence|pr[eé]sentation|causerie|atelier|workshop) ([\w' ]{0,40} )?(about|on|sur|au sujet d\w*|concernant)\b(?![^.]{0,60}\b(now|maintenant|and then|et l[aà])\b)|"
    r"\b(dans|in) (le|the|mon|my|notre|our) (manuel|manual|livre|book|textbook|guide|cahier)( \w+){0,2},? (on parle|ils parlent|it talks|they talk|it covers|on voit|on explique)\b|"
    # said by the one who teaches it: "I teach the babysitting course ... We cover choking, fevers
    # in babies and when to call 911"
    r"\bwe (cover|teach|go over|review|practi[cs]e)\b(?! (for|with) (my|our|his|her))|\bnous (couvrons|enseignons|voyons)\b|"
    # a class and what it studies: "In class we're studying chest pain and heart attacks",
    # "Dans le cours, on parle d'anaphylaxie", "learn how to talk with an employee who may be..."
    # (not where the writer is: "at 10:15 in class I got a sudden pain in my left testicle")
    r"dans (le|mon|notre|ce) cours,? (on|nous|ils|le prof\w*) (parle|parlons|parlent|voit|voyons|etudie|etudions|apprend)|"
    r"(we'?re|we are|on|nous) (studying|learning|etudie|etudions|apprend|apprenons)\b|"
    r"learn (how )?to (talk|recogni[sz]e|help|respond|spot|deal|support|intervene)|"
    # teaching others the signs: "j'explique aux aînés comment reconnaître un AVC : ..."
    r"(explique\w*|expliquer|enseigne\w*|montre\w*|explain\w*|teach\w*|show\w*) ([\w']+ ){0,3}(comment|how to) (reconnaitre|recogni[sz]e|spot|reperer)|"
    # "I'd like to teach the kids what anaphylaxis looks like"
    r"\bteach\w* (the |my |our |a |his |her )?(kids|class|children|students|grade \d+|campers|staff|team|parents) (what|how)\b|"
    r"apprendre (a|comment) (parler|reconnaitre|aider|reagir|intervenir|reperer)|formation (recurrente|annuelle|d'appoint)|"
    r"(we|on) (review|revise|revoit|cover|practi[cs]e)\w*( [\w']+){0,3} (medical )?(emergencies|urgences|procedures?|protocoles?)|(form|questionnaire|application|checklist|report|fiche|formulaire|rapport|assurance|letter|template|lettre|modele)\w* .{0,60}"
    r"(asks?|lists?|questions?|wants to know|demande|pose|sections?)|(questionnaire|form|formulaire)s? (about|sur|on|asking about) |"
    # (what a form asks, not what the writer asked someone: "when I asked what was going on he
    # said 'tonight at high tide I'm driving off the end of the wharf'")
    r"(?<!\bi )(?<!\bwe )(?<!\bi just )ask(s|ed)? (if|whether|about|yes|how|what|when)|"
    r"questions? (on|about)|the question|yes/no|oui/non|demande si|demande (oui|pour)|"
    r"demande (a partir de|combien|quand|comment)|(asks?|asked|wants? to know) (how long|when|how many|at what)|"
    # fiction, anywhere before in the sentence: "Watching a medical show last night, a woman's heart attack..."
    r"(writing|reading|watched|watching|ecris|lis|lu|regarde|vu) (a|an|un|une|le|la) (\w+ )?"
    r"(novel|book|story|roman|livre|serie|show|movie|film|episode|drama)|"
    r"(la|une) question (sur|a propos)|"
    # the news: "j'ai entendu à la radio que", "j'ai lu dans La Presse que"
    r"(entendu|lu|vu|heard|read|saw) (a|sur|dans|on|in) (la |le |l'|the |a )?(radio|tele|television|journal|journaux|nouvelles|news|newspaper|paper|presse|devoir|soleil|globe|star|gazette|citizen|magazine|revue)|"
    r"symptom list|list of symptoms|(it|which|that|they) (lists|asks)|"
    # what a form asks to write down: "il faut mettre mes diagnostics : ..."
    r"(mettre|inscrire|indiquer|lister|ecrire|list|put down|write down|fill in) (tous |toutes |all )?(mes|les|ses|my|the|his|her) "
    r"(diagnostics?|diagnoses|diagnosis|conditions|antecedents|problemes de sante|maladies|health problems)|"
    # teaching material and care papers: "a picture poster of stroke signs (face drooping, ...)",
    # "signer le protocole d'anaphylaxie de Théo"
    # ("le lecteur affiche des lettres": the verb, a screen showing something)
    r"(posters?|pamphlets?|handouts?|brochures?|leaflets?|"
    r"(?<!\bil )(?<!\belle )(?<!\bca )(?<!lecteur )(?<!appareil )(?<!ecran )(?<!machine )(?<!glucometre )affiches?|depliants?|feuillets?|pictogrammes?) "
    r"(of|on|about|with|for|showing|sur|des|de|du|avec|pour|qui montre\w*) |"
    r"(protocole|protocol|plan d'action|plan d'urgence|action plan|emergency plan)s?(?= (d'|de |du |for |pour |on )| ?$)|"
    # a workplace's plan written or revised: "we're updating our plan for ammonia leaks and for
    # people collapsing on the floor"
    r"(updating|update|updated|reviewing|review|revising|writing|drafting|mettre a jour|mettons a jour|revoir|revoyons|rediger|redigeons) "
    r"(our|the|a|notre|le|un|nos|les) ([\w-]+ ){0,2}(plans?|procedures?|protocols?|protocoles?|policies|politiques?) "
    # ("notre protocole écrit pour les hypoglycémies")
    r"((ecrits?|written|d'urgence|medicale?s?|medical|interne|internal) )?(for|pour|on|about|sur|en cas de)\b|"
    # a care plan's instruction: "ce que le personnel doit faire s'il fait une convulsion"
    r"(doit|doivent|devrait|devraient|should|must) (faire|do) (s'il|s'ils|si|quand|lorsqu'?|if|when)|"
    r"what (to|we should|staff should|they should) do (if|when)|plans? de soins|care plan|"
    # a hospital's discharge summary: "résumé de congé : admis le 3 pour traumatisme crânien"
    r"(resume|sommaire|feuille|note|rapport) de (conge|depart|sortie)|discharge (summary|note|papers|letter)|"
    r"admise? (le \d+ )?pour|admitted (on \w+ )?(with|for)|"
    # a transfer already made: "we medevaced Mr. R. yesterday with chest pain, he's stable"
    r"medevac\w*|airlifted|flown out|(transfere|transferee|evacuee?) (en |par )?(avion|helicoptere)|"
    r"(on a|we|nous avons|j'ai|i) (transfere|transferred|sent|envoye) (m\.?|mr\.?|mrs\.?|ms\.?|mme\.?|the patient|le patient|la patiente|your patient|votre patient\w*) |"
    # a talk or a course on the subject: "un conférencier pour parler de la violence conjugale"
    r"(conferenc\w*|presentations?|ateliers?|formations?|modules?|workshops?|(?<!\bin )(?<!\bat )(?<!\bduring )trainings?|seminars?|seminaires?|webinaires?|webinars?) .{0,40}(de|sur|about|on|regarding) |"
    r"(pamphlet|leaflet|brochure|handout|sheet|article|video) (about|on|sur)|"
    # a talk given at a school, a lesson to a class: "after a talk at his school about teen
    # suicide", "a short lesson with the class on what anaphylaxis looks like" (not "a talk
    # about my thoughts")
    r"(a |an |the )(talk|lesson|lecture|assembly) (at|in|during) (his|her|my|the|their|our) (school|class|classroom|college|church) .{0,20}(about|on) |"
    r"lessons? (with (the|my|a) (class|students|kids|group) )?(on|about) (what )?|"
    # what a class's leader talked about: "L'animatrice a parlé de la fièvre chez les nouveau-nés"
    r"(animatrice|animateur|prof|professeur|enseignante?|instructor|teacher|nurse|infirmiere) (a |has )?(parle|explique|talked|spoke|explained) (de |about |of )|"
    r"what (kind|sort|type|signs|symptoms)|quel(le)?s? (genre|type|sorte|signes|symptomes)|a partir de quel(le)?|"
    r"(should|do|need to) (we|i) know about|what to know about|learn about|"
    r"(higher|greater|increased|bigger) (chance|risk|likelihood|odds)|"
    r"(vu|lu|entendu) (sur|dans) (facebook|internet|tiktok|instagram|un article|la tele|les nouvelles)|"
    r"(saw|read|heard) (on|in) (facebook|the news|internet|online|tiktok|instagram)|"
    # ("on pratique", a first-aid drill; not "à la pratique de hockey", a team's practice)
    r"cpr|recertif\w*|lifeguard|sauveteur|secourisme|on pratique|(pratique|pratiquer|pratiquons) (de |des |la |le |les |sur )?(premiers soins|rcr|secourisme|reanimation|mannequins?|manoeuvres?)|we (teach|train|practi[cs]e)|"
    r"i teach|j'enseigne|formateur|formatrice|instructor|mannequins?|manikins?|"
    r"(j'ai )?lu (\w+ \w+ )?(que|qu')|read (that|somewhere)|(peut|peuvent|can|could|may|might) (etre|be) (le |la |un |une |a |an |the )?(signe|sign|syndrome|symptome|symptom)|"
    # the news and the web: "a story in the paper about a man who got sepsis"
    r"(story|article|report|reportage|nouvelle|post|video) (in|on|dans|sur) (the |a |la |le |un )?(paper|news|newspaper|journal|nouvelles|tele|tv|radio|facebook|google|youtube|reddit|internet|web)|"
    r"(in|on) the (paper|news|newspaper|radio)" + _NOT_A_MACHINE + "|"
    r"dans (le|les) (journal|journaux)|aux nouvelles|"
    r"(vu|lu|entendu|cherche) (sur|dans) (google|youtube|reddit|le web|un site|un forum|les reseaux)|"
    r"(read|saw|googled|searched) (on|in) (google|youtube|reddit|a forum|a website)|"
    # a form's box and a document to confirm: "une case « risque suicidaire »", "to confirm her anaphylaxis"
    r"(il y a|there'?s|there is|has|avec) (une|a|la|the) (case|checkbox|check ?box|box|section|rubrique)|"
    r"(to|pour|de) (confirm|confirmer|attest|certify|certifier|document|documenter) (that )?(her|his|their|my|son|sa|ses|mon|ma|the|le|la|l')|"
    r"demande (s'il|s'ils|combien|quand|comment|quoi)|(the|le) (word|term|mot|terme)|"
    r"in (his|her|my) (old )?(notes|file|chart)|dans (son|mon|sa) dossier|"
    r"different from|differente? de|(?<!\bhe )(?<!\bshe )(?<!\bthey )(says|said|told me) (that )?(a|an)\b|(?<!\bil )(?<!\belle )(?<!\bils )(?<!\belles )(dit|disait|disent|disaient) (que |qu')(un|une)\b|"
    # an article's claim, a form's list after "they ask", what a reading means
    r"(dans|in) (un|une|an|a|the|le|la) (article|reportage|video|post|publication|brochure|depliant|pamphlet|leaflet)|"
    r"(ils|elles|they) (demandent|ask|want to know|veulent savoir|veulent (le|la|les|un|une)|want (the|a|my|her|his))\b|"
    r"(veut|veulent|voulait|voulaient) savoir (si|s'|combien|quand)|wants? to know (if|whether)|"
    r"(would|does|could|should) (\w+ )?count as|(compte|compterait|compteraient|considere|considerait) comme|"
    r"(messages|cases|calls|situations|emergencies|urgences|appels|conditions) (like|such as|comme|tels? que)|"
    # a student's project and what was taught: "For a project on newborn care, could someone tell
    # me...", "On a appris le garrot pour les hémorragies" (not the news: "on a appris la nouvelle")
    r"(for|pour) (a|my|our|un|mon|notre) (school |class |nursing |research )?(project|projet|assignment|travail) (on|about|sur|au sujet)|"
    # ...and a project said to be on it: "her health project is on anaphylaxis", "son projet
    # porte sur la méningite"
    r"\b(project|projet|assignment|presentation|essay|paper|expose|travail de recherche) (is|was|will be|est|sera|porte) (on|about|sur)\b|"
    # a group for those bereaved by it: "un groupe de soutien pour les familles endeuillées par
    # suicide", "a support group for people bereaved by suicide"
    r"\b(endeuill\w*|bereaved|survivants?|survivors?) (par|by|apres|after|du|de|of)\b|"
    r"(on a|nous avons|we|we'?ve|i) (appris|learned|learnt|been taught|were taught|was taught) (a |comment |how |to |le |la |les |l'|the |about )(?!(mauvaise |triste |terrible |bad |sad )?(nouvelle|news))|"
    # what a course's teacher spoke of: "On nous a parlé de l'étouffement et de la fièvre chez
    # les nouveau-nés"
    r"(on|ils|elles?|il) nous (a|ont) (parle|explique|montre|appris|enseigne) (de |d'|du |des |comment |a )|"
    # an old event named by what it followed: "hemorrhoids since my second pregnancy"
    r"(since|depuis) (my|her|ma|sa) (first|second|third|last|premiere|deuxieme|troisieme|derniere) \s*$|"
    r"(our|my|the|an?) (assignment|homework|school project|essay)|(?<!note )(?<!letter )for (health |science |a |my |the )?class|(?<!note )for school|"
    # (a note for my class is a request, not a school topic: "un billet pour mon cours")
    # (nor a message sent to me: "Julie vient de m'écrire sur Messenger : son chum ...")
    r"(?<!billet )(?<!papier )(?<!lettre )pour (l'ecole|un cours|mon cours|le cours)|un travail (sur|scolaire)|write about|(?<!m')(?<!me )(?<!nous )(?<!t')ecrire (sur|un texte)|"
    r"(tell|explain to|explain) (me|us) (what|why|how)|why (it|does|do|would|is|are|can|could) |"
    r"on m'a dit (que|qu')|(i was|we were) told that|someone told me that|j'ai entendu (dire )?(que|qu')|"
    r"(il y a|there'?s|there is|avec) (une|a) question|(une|a|la|the) ((last|first|next|derniere|premiere|\d+(st|nd|rd|th|e)) )?question\s*,?\s*[\"'«:]|"
    r"(evaluation|assessment|screening|depistage) (du |de |of )?(the )?(risque|risk)|"
    r"(incident|accident) report|rapport d'(incident|accident)|asking (about|if|whether)|"
    # a questionnaire's questions quoted: "the respirator questionnaire (the one with "do you get...")"
    r"(questionnaire|form|formulaire|checklist|survey|sondage|fiche( sante| medicale)?)s? \(?[\"'«]?(the one |celui |celle )?(with|that asks|that has|that lists|qui demande|qui liste|avec) |"
    r"(dans|sur) la liste|(in|on) the list|(ils|elles|they) (parlent|talk|mention)\w* (de |d'|about )|"
    r"plan d'(urgence|action)|emergency plan|action plan|(les |the )?(signes|signs|symptomes|symptoms) \(|"
    r"(and|that|which|it) causes? |(could|can|would|will|might) (i|he|she|we|you|they) (have|get|develop|go into)( a| an)?\s*$|"
    r"(refresher|training|formation) (on|sur|about)|how to (give|use|administer)|comment (donner|administrer|utiliser)|"
    # (a colour joined to another is no zone: "dure, rouge-mauve, vomi deux fois")
    r"(green|yellow|red|vert|jaune|rouge)( zone)? ?(:|-(?=\s))|zone (verte|jaune|rouge)|(rouge|red),? c'est|when to go to (the )?(emergency|er)|"
    r"standing orders?|ordonnances? collectives?|(protocol|protocole) (for|pour|de|d'|du)|(concussion|commotion) protocol|"
    # what one studies: "Dans mes notes, les signes d'hypoglycémie sont ..."
    r"(dans|in) (mes|my|the|les|nos|our) (notes|cours|course notes|class notes|textbook|manuel|livre de cours)\b|"
    # what relatives died of: "ma mère et ma tante sont mortes d'une hémorragie cérébrale"
    r"(?<!almost )(?<!nearly )(?<!failli )(died|passed away|morte?s?|decedee?s?) (of|from|d'une?|de la|du|des|d') ?$|"
    # what a kit or a plan is for, said just before it: "tourniquets for severe bleeding in the
    # kit", "the parents gave me a plan for low sugars"
    r"(tourniquets?|kits?|trousses?|dressings?|pansements?|supplies|materiel|equipment|equipement) (for|pour) ?$|"
    # ...with another item first: "garder dans la trousse pour les réactions allergiques et les
    # douleurs à la poitrine"
    r"(kits?|trousses?) (for|pour)( [\w'-]+){1,6} (et|and|ou|or) (les |des |the |la |le )?$|"
    r"(gave|given|handed|sent) (me|us|the \w+|him|her) (a|the) plan (for|pour) ?$|"
    r"(m'ont|nous ont|lui ont|m'a|nous a) (donne|remis|envoye) (un|le) plan pour ?$|"
    # what old people in general may do: "les personnes âgées peuvent devenir confuses"
    r"(les )?(personnes agees|aines|older people|elderly people|old people|the elderly|seniors) (peuvent|can|may|might|could)\b|"
    # a list or a policy's words: "la liste de questions parle de", "their policy sheet, which says"
    r"(liste|list|sheet|fiche|policy|politique|guidelines?|regles?|reglement)s?,? ([\w'-]+,? ){0,4}(parle|parlent|talks?|mentions?|says?|states?|lists?|dit|disent)\b|"
    # a threshold asked about: "c'est quoi trop de saignement?", "how long is bleeding supposed to last?"
    r"c'est quoi trop|(what'?s|what is) too much|(combien|how much) ([\w'-]+ ){0,4}(trop|too much)|how long (is|are|does|do|should|will) |"
    r"(il y a|y a|y'a|there are|it has) des (cases|boxes|questions)|(cases|boxes) (pour|for) |"
    r"(there are|it has|with) (\w+ )?(boxes|checkboxes|questions|sections) (about|for|on|like|asking)|"
    r"est-ce (que )?(c'est|c'est-tu) vrai (que|qu')|is it true (that )?|why did (they|you|the \w+|he|she) |"
    r"(joking|jokes|joke|joked|blague\w*|niaise\w*) (about|sur|avec) |"
    # (a lesson, not a witness: "mon coach dit que j'ai perdu connaissance")
    r"(teacher|coach|prof|professeure?|enseignante?|nurse|infirmiere|instructor|class|course|cours) (said|says|told (us|me|him|her|them)|a dit|dit) (that |que |qu')?+"
    r"(?!(j'|jai |je |i |i'|il |elle |he |she |you |tu |t'|my |mon |ma |mes )\w)|"
    r"a quel age|at what age|(it has|has|with) boxes (like|for)|boxes like|(more|less) likely to|plus (a risque|de chances?) (de|d')|"
    r"how (is|are) (it|they|that|this) different|c'est quoi la difference|en quoi (c'est|est-ce) different|"
    r"why can'?t (i|we|you)|pourquoi (je|on|j') ?(peux|peut|peu|dois|doit) (pas|plus|pu)|"
    r"(affiche|poster|publicite|pub|campagne) ([\w']+ ){0,6}(pour|sur|about|on|for) |"
    r"what (is|are|'s)\s*$|c'est quoi (le |la |l'|un |une )?\s*$|"
    r"(garderie|ecole|school|daycare|cpe|clsc|pharmacie|pharmacy|employer|employeur|camp|club) ([\w']+ ){0,4}"
    r"(note|lettre|letter|avis|memo|notice|flyer|feuillet) (sur|about|on|concernant|regarding) |"
    r"rapport (mensuel|hebdomadaire|trimestriel|de suivi)|(monthly|weekly|quarterly|progress) report|signes? (de|d'|du|des) |symptomes? (de|d'|du|des) |"
    r"what does (it|that|this) mean|(qu'?est-ce que|que) (ca|cela) (veut dire|signifie)|(ca|cela) veut dire quoi|"
    r"(nutritionniste|dietetiste|infirmiere|pharmacien\w*|professeure?|prof|enseignante?|medecin|docteure?|dre?|"
    r"endocrinologue|specialiste|gyneco\w*|sage-femme|pediatre) (parle|parlait|a parle|m'a parle|nous a parle) (de |d(?=')|\s*$)|"
    r"(have|has) (you|your \w+) (had|been)|(symptoms|signs) (such as|like|including)|"
    r"symptomes (comme|tels que)|describe (the )?(symptoms|signs)|"
    r"(peut|peuvent|may|can|could|might) (augmenter|increase|cause|causer|raise|trigger|provoquer)|"
    r"c'est ecrit|it says(?! ?\d| (hi|lo|high|low)\b)(?! ?$)|"
    r"(en|in) (readaptation|rehab\w*)|recovering from|convalescence|"
    r"(leaflet|label|insert|pamphlet|brochure|monograph|article|website|post|feuillet|notice|depliant|"
    r"sheet|handout|information|info) "
    r".{0,40}(says|said|mentions|warns|dit|mentionne)|"
    r"read (a|an|the|this|that) ([\w-]+ ){0,2}(post|article|story|thread|blog|leaflet|pamphlet|book)|"
    r"(question|q) ?\d{1,2}(?![\d-]| ?h\b| ?hrs?\b|h)|(have|has) (you|your \w+|the \w+) ever (had|been|experienced)|"
    r"(avez-vous|as-tu|a-t-il|a-t-elle) (deja|jamais)|"
    r"all (good|fine|better|ok|okay) now|(was|were) (observed|monitored|kept) for|discharged|"
    r"sent (me|him|her|us) home|counts as (a )?(fever|high|low)|"
    r"(saw|seen|watched|read|heard|listened to) (a|an|the|this|that) ([\w-]+ ){0,2}"
    r"(tiktok|video|post|article|podcast|story|documentary|show|reel|thread)|"
    r"(form|questionnaire|formulaire|checklist|sheet) has (\w+ )?(boxes|checkboxes|check boxes|tick boxes|fields|questions)|boxes (for|to tick)|cases a cocher|"
    r"what (temperature|number|reading|level) (is|counts|would|should|does)|"
    r"(is|was) (that|it|this) the same (thing )?as|same thing as|pareil que|la meme chose que|"
    r"liste (de|des) symptomes|"
    r"should (we|i|you) (worry|be worried|be concerned)|(when|at what \w+|how high) .{0,30}"
    r"(should|do|would|to) (we|i|you)? ?(worry|be worried|be concerned)|a partir de quand|dans quels? cas|in (what|which) cases?|"
    r"quand (est-ce qu'?)?(on|je) (doit|dois|devrai|devrais|devrait) (s'|m')?inquieter|"
    r"watch (out )?for|warning signs|signs? of|symptoms? of|signes? d|symptomes? d|"
    # ("what's a bit odd is that ...": a statement about oneself, not a question about a word)
    r"difference between|what'?s (a|an|the) (?!(bit|little|tad|lot) |(weird|odd|strange|funny|scary|worst|worrying)\b)|"
    r"what is (a|an|the) (?!(bit|little|tad|lot) |(weird|odd|strange|funny|scary|worst|worrying)\b)|explain|kept (saying|mentioning)|"
    r"talked about|read (online|about)|difference entre|c'?est quoi|expliquer|parlai\w* d'?|"
    # (an athlete's "in training" or "at training" is practice, not a course)
    r"(a|the|first aid|training|cpr) course|(?<!\bin )(?<!\bat )(?<!\bduring )(?<!\bafter )(?<!\bfrom )training|workshop|volunteer\w*|firefighter|paramedic|"
    # (a course in first aid or nursing, not "mon cours de stats" that a student needs a note for)
    r"we respond to|(nous |on )?interv(enons|ient|enir) ([\w']+ ){0,5}(pour|aupres) (des|de|les)|cours sur|(?<!pendant mon )(?<!durant mon )(?<!pendant son )(?<!durant son )(?<!pendant le )"
    r"cours de (?!(stats?|statistiques|maths?|mathematiques|francais|anglais|natation|patin\w*|yoga|zumba|"
    r"spinning|aquaforme|cuisine|musique|piano|guitare|peinture|karate|judo|boxe|ski|tennis|hockey|"
    r"chimie|physique|philo\w*|histoire|economie|compta\w*|danse|conduite|programmation|droit|gestion)\b)|formation|benevole|pompier|ambulancier|on repond|"
    # a care plan's instruction: "donner l'adrénaline si enflure de la gorge"
    r"(give|administer|donner|donnez|administrer) (the |an? |l'|le |la )?(adrenaline|epinephrine|epi-?pen|"
    r"auto-?inject\w*|glucagon|naloxone|narcan) (if|si|when|quand|lorsque|en cas))(?:\b|(?<=\s))"
)
# History told after the mention: "I had a seizure as a child", "... two years ago".
_POST_CONTEXT = re.compile(
    # a choking cleared by back blows: "choked on a grape at lunch, i did back blows and it came
    # right out"
    r"\b(back blows|heimlich|tapes dans le dos|claques dans le dos)[^.]{0,30}\b(came|est sortie?|a sorti|popped) (right |straight |tout de suite )?(out|up)\b|"
    # (a black stool from what was taken: "Selles noires après le Pepto", "after my iron pills")
    r"\b((apres|after|from|avec|with|due to) (le |du |la |les |my |the |taking |prendre |mes |mon )?"
    r"(pepto\w*|bismuth|iron pills?|iron|fer|supplements? de fer|comprimes de fer|blueberr\w*|bleuets|black licorice|reglisse noire)\b|"
    # a chest sore from a cough: "Sore chest from coughing", "mal a la poitrine a force de tousser"
    r"(from|with all the|a force de) (coughing|the cough|my cough|all the coughing|tousser)\b(?! up)|"
    r"(\w+ )?"
    + _PERIOD
    + r" ago|(\w+ )?"
    + _PERIOD
    + r" back\b(?! (to|into|in|home|up|on|out|from))|(\d+|a|one|two|three|five|ten) "
    + _PERIOD
    + r" (clean|sober)|"
    # "j'ai eu une tentative de suicide à 19 ans il y a 15 ans", "un infarctus sur la piste il y a
    # deux ans": the French "years ago" (English's is above)
    r"il y a (\w+ ){0,2}(ans|annees)\b|in (the |my |our |his |her )?(\w+ )?family\b|dans (la|ma|notre|sa) famille|(?<!\by sont )(?<!\by est )passees?\b(?! (pas|plus|pu|jamais))|as an? (child|kid|teen(ager)?|baby|toddler|infant|newborn)|"
    + _NOT_ITS_YEAR
    + r"in (19|20)\d\d|"
    # practice on a manikin: "did CPR on the dummies"
    r"(on|sur) (the |a |les |des |un |une )?(dummies|dummy|mannequins?|manikins?|poupees? de pratique)\b|"
    # what a crew sees at work: "les surdoses et les hémorragies qu'on voit sur les appels"
    r"(qu'?on|que nous|que je|qu'?ils) (voit|voyons|vois|voient|traite|traitons|gere)( [\w']+){0,2} (sur|dans|lors de|pendant|a) (les|nos|mes) (appels|interventions|quarts|shifts|calls)\b|"
    r"(we|i) (see|deal with|get|handle) (on|at|during) (calls|the job|work|shifts?)\b|"
    # the kind of call a kit is stocked for: "an epipen and aspirin for chest pain calls"
    r"(?<=^ )(calls|appels)\b(?! (me|him|her|us|you|it|for help|911|an? |the ))|"
    # a slow change said not to be sudden: "il cherche ses mots parfois, mais rien de soudain"
    r"(mais |but )?(rien de soudain|nothing (was |is |that'?s )?sudden)\b|"
    # the news: "a meningitis case in the news"
    # (not words that "come out wrong on the radio": a crane operator's radio, now)
    # (nor a voice heard on a work radio: "dispatch says im slurring on the radio")
    r"(?<!wrong )(?<!garbled )(?<!slurring )(?<!slurred )(?<!slurry )(?<!talking )(?<!sounding )(?<!sound )(?<!sounded )(in|on) the (news|paper|radio)"
    + _NOT_A_MACHINE
    + r"|aux nouvelles|dans (le|les) journal|"
    # treated and fine, or said to be harmless, right after it: "They gave her adrenaline and she
    # was fine", "called the poison centre ... they said a small amount of that soap is not dangerous"
    r"(and|et) (she|he|i|we|they|elle|il|on) (was|were|allait|etait) (totally |completely |just )?(fine|ok|okay|well|better|bien|correcte?)\b|"
    # slowly, over a life: "elle est devenue aveugle sur le tard", "went blind with age"
    r"sur le tard|en vieillissant|avec l'age|late in life|in (her|his|their) old age|"
    r"(said|says|told (me|us)|ont dit|a dit) ([\w']+ ){0,6}(is|was|are|were|est|etait) (not dangerous|harmless|non-?toxic|safe|pas dangereu\w*|sans danger)\b|"
    # a course named right after it, as a subject does: "Choking - first aid course"
    r"(?<=- )(first aid|cpr|premiers soins|secourisme|rcr|prenatal|babysitting) (course|class|classes|training|cours|formation)\b|"
    # a task the arm will not do, said right after: "je ne peux plus lever le bras pour accrocher
    # mon linge" (a stiff shoulder); what is happening now is read before this
    r"(pour|to) (accrocher|atteindre|me peigner|me coiffer|peigner|m'habiller|enfiler|attacher|reach|comb|brush|do up|hang|put on)\b|"
    # stage fright: "my chest feels tight before I go on"
    r"before (i|we) go on( stage)?\b|before (a|every|each) (show|performance|gig|presentation|exam|audition)|"
    r"avant (de monter sur (la )?scene|chaque (show|spectacle)|un (show|spectacle|examen)|les (shows|spectacles|oraux|examens|exams))|"
    r"so (i|we) (think|worry|wonder|stress|obsess)\w* about (it|that|this|them)|"
    # pain only when pressed or turned: the chest wall, not the heart ("juste quand j'appuie dessus")
    r"(juste|seulement|only|just) (quand|lorsque|when|if) (j'appuie|j'y touche|je pese|je touche|i press|i push|i touch|"
    r"je me tourne|je tourne|i turn|i twist|je me penche)|"
    # a cold's chest: "un peu de serrement dans la poitrine quand je tousse"
    # (not blood brought up: "du sang quand je tousse" stays a finding)
    r"(quand|lorsque|when) (je tousse|i cough)\b(?![^.]{0,40}\b(sang|blood|rouge|red)\b)|"
    # out of emergency the same evening: "ils m'ont donné de l'épinéphrine et je suis sorti de
    # l'urgence le soir même"
    r"(je suis|il est|elle est|on est|we were|i was|he was|she was) (sortie?s?|released|discharged|home) "
    r"(de l'|from (the )?)(urgence|hopital|hospital|er|emerg\w*)|"
    r"(she|he|i|we|they|elle|il|on) (coughed|spat|spit|brought) (it|the \w+) (right |straight |back )?(out|up)|(l'a|a) (recrache|tousse)|"
    r"it stopped (with|after|on its own|by itself|eventually)|(they|ils) (packed|cauterized|cauterised|stitched|glued) it|(hasn'?t|has not|didn'?t|did not) (started|come back|bled|begun) again|"
    r"s'est arrete\w* (avec|apres|tout seul|toute seule|de lui-meme)|(a|ont) pas recommence|"
    r"(il|elle) a \d{1,2} ans maintenant|(he|she)('s| is) (now )?\d{1,2} years old|"
    r"(on m'a|ils m'ont|ils lui ont|on lui a|they) (fait|mis|gave|put in) (\d+|des|quelques|\w+) (points|stitches|sutures)|got (\d+|a few|some) stitches|"
    + _WHEN_PAST
    + r"|"
    # (a slot asked for: "can I change my physical to a Tuesday morning")
    r"(?<!from )(?<!to )(?<!to a )(?<!for a )(?<!through )(?<!until )(?<!born )(on )?(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
    # (not the day of an appointment to come: "cancel my thursday appointment")
    r"(?! (morning|night|evening|afternoon|to|through|until|appoint\w*|appt\w*|visit|meeting|shift))|"
    # not a pill box's compartments: "du lundi au jeudi", "from Monday to Thursday"
    # (nor a slot asked for: "déplacer mon examen à un mardi matin")
    # (nor a baby's birthday told after its age: "ma fille a 6 jours (née lundi)")
    r"(?<!du )(?<!au )(?<!a )(?<!un )(?<!rendez-vous de )(?<!rendez-vous )(?<!rdv de )(?<!rdv )(?<!ne )(?<!nee )"
    # (nor today's day said: "pas uriné depuis lundi matin, et on est mardi après-midi")
    r"(?<!on est )(?<!c'est )(?<!nous sommes )(?<!aujourd'hui )"
    r"(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)( passe| dernier)?|"
    r"before(?=\s*[(,.;)]|\s*$)|"
    r"in high school|au secondaire|recovered|s'en est remise?|from (19|20)\d\d|"
    r"(took|brought) (him|her|them|me) to (the )?(er|emerg\w*|hospital)|(ct|scan|x-?ray|ecg) (was|came back) (clear|normal)|"
    r"(ca|cela|it|that|the bleeding) (a arrete|has stopped|stopped)|(bebe|baby) va bien|baby is fine|"
    r"last "
    + _PERIOD
    + r"|went away|resolved|when (i|he|she) was(?! \w+ing\b)|in (university|college)|as a teen(ager)?|"
    # (not a time without its colon: "at lunch at 11 30")
    # (a clock time is no age: "tomorrow at 6 when he reaches in", "i was fine at 1 oclock": the
    # last time seen well, the clock that matters in a stroke; nor after a reading, "38.4 at
    # 10:30 and 38.6 at 11")
    # (nor the hour a dose was taken: "10 tablets, at 7, so it works faster"; nor the hour of
    # last night: "a fox bit the back of my right hand last night at 7 at our cabin")
    r"(?<!tomorrow )(?<!tonight )(?<!today )(?<!morning )(?<!evening )(?<!night )(?<!afternoon )(?<!shift )(?<!fine )(?<!normal )(?<!\d )"
    r"(?<!tablets, )(?<!tablets )(?<!pills, )(?<!pills )(?<!units )(?<!unites )"
    # (nor a clock after a change: "still gone at 1", "it went at 4")
    r"(?<!gone )(?<!went )(?<!started )(?<!began )(?<!since )(?<!until )(?<!till )"
    # (nor the hour one woke: "all 3 of us woke at 6 with pounding headaches")
    r"(?<!woke )(?<!woken )(?<!wake )(?<!woke up )(?<!awake )"
    # (nor a clock the event goes on from: "a rattler bit my hand at 3 when I reached", "got me
    # at 3 on back of left hand", "pain in my left testical at 11 playin a game"; an age may go on
    # too: "a heart attack at 52 while shovelling")
    # (nor the first of two clock readings: "38.8 at 3 and 38.9 at 6")
    r"at (age )?\d{1,2}\b(?! ?(min|minute|hour|h\b|pm|am|:|o'? ?clock|weeks?|wks?|months?|days?|mois|semaines|jours)| \d{2}\b| and \d| (when i \w+ed|when i was \w+ing|on (the )?back of|this|today|tonight|right|just|sharp|playin|playing|gaming|sitting|watching|lying|laying)\b)|"
    r"(is|are|was|were) (now )?(completely|totally|fully|all) (gone|cleared|resolved|better|healed)|"
    # found too late, long ago: "she went blind in her right eye before they caught it"
    r"before (they|the doctors?|anyone|we|the eye doctor) (caught|found|noticed|diagnosed|treated) (it|her|him)\b|"
    # a date: "mon infarctus date de 2021"; a slow disease's doing: "from glaucoma"
    r"(date|datent|remonte|remontent) (de |a |au |en )?(19|20)\d\d|dates? (from|back to) (19|20)\d\d|"
    r"(from|due to|because of|a cause du|du au|de) (glaucoma|glaucome|macular degeneration|cataracts?|"
    r"degenerescence maculaire|diabetic retinopathy|retinopathie)|"
    # the dentist's freezing: "numb on one side from the dentist's freezing"
    # (not a likeness: "my cheek feels like after the dentist's freezing")
    r"(?<!like )(?<!comme )(?<!comme quand )(from|because of|due to|since|after|de|a cause de|depuis|apres) (the |my |la |le |l')?(dentist\w*|dental|freezing|"
    r"anesthe\w*|anaesthe\w*|novocaine|gelure du dentiste|dentiste|insensibilisation)|"
    r"de "
    + _MONTHS_FR
    + r"\b|de l'(ete|hiver|automne)|du printemps|(in|among|chez) (les )?(young people|youth|teens|teenagers|children|kids|"
    r"adolescents|jeunes|ados|enfants|young adults)|"
    # "got into the pods but the pack was still sealed"
    r"but (the )?(pack|package|bottle|container|lid|cap|box|pods?|pills?|tub) (was|were|is|are) (still )?"
    r"(sealed|closed|shut|intact|unopened|full|all there)|none (of them )?(was |were )?(opened|open|missing|gone)|"
    r"nothing in (his|her|their) mouth|"
    # a harmless cause said with it: slept on the arm, sat cross-legged, bit the lip, a
    # cold sore, no dentures, the tests at the ER normal, the attack passed
    # (not a likeness: "comme quand on a dormi dessus, sauf que ça part pas")
    r"(?<!comme quand on a )(?<!comme quand j'ai )(?<!comme si j'avais )(?<!like when you )(?<!like when you've )(?<!like when i )(?<!like i )(?<!as if i )(?<!as if you )"
    r"(slept|sleeping|sleep|dormi|dormais|dormir|dors|dort) (on (it|my \w+|his \w+|her \w+)|dessus|croche|wrong|funny)|"
    r"(puffer|pompe|inhaler|inhalateur|ventolin|salbutamol) (\w+ )?(settles|regle|fixes|helps|aide|calme|works|marche)|winter asthma|exercise asthma|asthme (d'hiver|a l'effort)|"
    # a known asthma's tightness: "the very cold air makes my chest a bit tight, like my asthma"
    r"(like|comme) (my|mon|his|her|son) (usual |old |habituel )?(asthma|asthme)\b(?! (attack|crise|is worse|empire))|"
    r"(a |ca a |c'est |s'est )?arretee? (avec|apres) (un|une|le|la|des|mon|ma) (plaster|diachylon|pansement|band-?aid|bandage|compresse|glace)|"
    r"all good\b(?!\?)|(an? )?(early |warning )?(signs?|symptoms?) (in|for|among) (women|men|kids|children|adults|seniors|femmes|hommes)|"
    r"(is|feels|'s) (perfectly |completely |totally )?(fine|good|well) now|(is )?home now|"
    r"maintenant (il|elle|ca|je) (va|est|suis) (tres |tout a fait |completement )?(bien|mieux|guerie?|correcte?)|"
    r"(he|she|they)('s| is| are) (in|at) (the )?(hospital|icu)|(il|elle) est (a l'hopital|aux soins intensifs)|"
    r"(they|ils) (put|placed|mis|pose) (in )?(a |un )?(stent|tuteur)|normale? again|(redevenue?|revenue?) normale?|"
    r"(clean|sober|sobre) (for |depuis )?(\d+|two|three|four|five|deux|trois|quatre|cinq) (years?|months?|ans|mois)|"
    # how it has been for a month: "after supper most nights for about a month"
    r"(most|every|many) (nights|days|evenings|mornings) for (about |over |almost )?(a|\d+|two|three|four|six) (months?|weeks?|years?)|"
    r"(sit|sat|sitting|assise?|assis) (\w+ )?(cross[- ]?legged|en indien|too long|trop longtemps)|cross[- ]?legged|en indien|"
    r"where (i|he|she) bit|bit (it|my lip|his lip|her lip)|(me suis |s'est )?mordu|feu sauvage|cold sore|bouton de fievre|"
    r"(sans|without) (son|sa|ses|mon|ma|mes|his|her|my) (dentier|dentiers|prothese|dentures|false teeth)|"
    r"(all )?(the )?(tests?|results?|bloodwork|ecg|ekg|prises de sang) (were |was |are |came back |tout )?(normal|clear|negative|fine|normaux|negatifs?)|"
    r"(est|s'est) (passee?|terminee?)|"
    # mottled only when cold, gone once dressed: the skin of a healthy baby
    r"quand (il|elle) a (froid|chaud)|when (he|she|it)('s| is| gets) (cold|chilly)|"
    r"(is|was) in my (file|chart)|it'?s in my (file|chart)|"
    r"il y a (\w+ )?" + _PERIOD_FR + r"|l'? ?an (dernier|passe)|l'?annee (derniere|passee)|"
    r"(le|la|l') ?(\w+ )?"
    + _PERIOD_FR
    + r" (passee?|derniere?)|"
    + _NOT_ITS_YEAR_FR
    + r"en (19|20)\d\d|"
    r"quand (j'|il |elle )?(etais|etait|avais|avait)|"
    # "à 19 ans", the age it happened at; not "il a 80 ans", the age someone is (a noun
    # before it is left to mean "at": "mon grand-père à 50 ans et mon oncle à 52")
    r"(?<!\bil )(?<!\belle )(?<!\bqui )(?<!\bj'ai )a \d{1,2} ans|"
    # "y a 5 ans", "ya 2 ans": years ago (not weeks: "test positif y'a deux semaines" goes on)
    r"(il y a|y a|ya|y'a) (\d+|une?|deux|trois|quatre|cinq|six|dix|quelques|plusieurs) (ans|annees)\b|"
    r"(est|c'?est) dans mon dossier|dans le temps|(a|ai|ont) maintenant \d{1,2} ans|(is|he'?s|she'?s) now \d{1,2}( years old)?|"
    # someone it took: "ma mère a fait 2 AVC, le deuxième l'a emportée"
    r"(c'est|c'etait|tout est|ca a) (completement |toute |tout |vite )?(parti|passe|disparu|fini)|"
    r"(ils|on) (l'|les|m')ont (traite|soigne|opere)e?s?|(il|elle) en (avait|a) pas (avale|bu|mange)|(didn'?t|did not) (swallow|drink|eat) any|(paramedics|ambulance|they) took (me|him|her) in|(i|he|she) was out by|"
    r"clot buster|\btpa\b|thrombolys\w*|already walking|"
    r"(est|etait) (ben |bien |tout )?correcte?( asteure| maintenant)?|"
    r"(on a|j'ai|il a|elle a|nous avons) ete a l'(hopital|urgence)|in the past(?! (\d+|few|couple( of)?|two|three|24|48) (hours?|hrs?|minutes?|mins?|days?))|dans le passe|"
    r"(traitee?|soignee?|vue?) (a|par) (l'|les )?(urgence|hopital|ambulanciers)|treated (at|in) (the )?(er|emerg\w*|hospital)|"
    r"came (out|up) (right away|straight away|quickly|immediately|on (its|the) (own|first))|"
    r"(ont|a) (diminue|baisse)|(have|has) (decreased|gone down|dropped|been reduced)|(decreased|down|dropped) from \d+|"
    r"l'a emportee?|les a emporte(e|s|es)?|(killed|took) (him|her) (in|at|from)|which killed (him|her))\b"
)
_RECURRENCE = re.compile(
    r"\b(again|is back|came back|come back|returned|started again|now|right now|rn|today|tonight|tonite|2nite|2day|"
    r"this morning|this afternoon|this evening|currently|at the moment|just now|"
    r"since (this|last (night|nite)|yesterday|an hour|lunch|noon|dinner|breakfast|\d+ ?(min|minutes|hours?|hrs?|h)\b)|"
    r"(\d+|an|a|one|two|few|couple of) (hours?|hrs?|minutes?|mins?) ago|"
    r"(il y a|ya|y'a) (\d+|une|deux|trois|quelques|dix|vingt|trente) (heures?|h|minutes?|mins?)|"
    r"encore|de nouveau|revenu|revenue|maintenant|aujourd'?hui|ce soir(?!-la)|ce matin(?!-la)|"
    r"en ce moment|la (il|elle)|tantot|(vient|viens|venons|viennent) de|"
    r"(depuis )?a matin|a soir|"
    r"depuis (ce|hier|une heure|\d+ ?(min|minutes|heures?|h)\b|tantot|le diner|le souper|le dejeuner|midi))\b"
)
# "she's fine now", "I'm 34 now", "now that...": "now" that does not say it is happening.
_NOT_RECUR = re.compile(
    # ("he's back at work now" after a co-worker's collapse last month: over, not again)
    r"\b((back )?home now|back (at|to) (work|school|the mill|the plant|the job)( now)?|discharged now|never( \w+){0,5} again|plus jamais|(fine|ok|okay|good|well|better) now|"
    # someone taking up contact again, not the event again
    r"(recommence\w*|started|start) (a |to )?(m'ecrire|m'appeler|me texter|ecrire|appeler|texting|writing|calling|text|write|call|message)\w*|"
    # come to after a faint, not back again: "il est revenu en 15 minutes"
    r"(est|suis|etait|sont) revenue?s? (a (lui|elle|soi) )?(en|apres|au bout de) (\d+|quelques|une|deux|cinq|dix|quinze) (minutes?|secondes?|min)\b|"
    r"(est|suis|etait|sont) revenue?s? (a (lui|elle|soi|moi) )?(tout de suite|rapidement|vite|aussitot)\b|"
    # what one still manages, not the event again: "il fait encore son épicerie", "elle conduit
    # encore", "he still does his own groceries"
    r"(fait|fais|font|conduit|conduis|conduisent|vit|vis|va|vont|gere|cuisine) encore (seule?s? |tout seule?s? )?(son|sa|ses|leur|leurs|le|la|les|a|au)\b|"
    # a result, not a return: "cholesterol came back high", "est revenu élevé"
    r"(came|come|comes|coming) back (high|low|normal|elevated|positive|negative|ok|okay|fine|clear|borderline)|"
    r"(est|sont|etait) (revenue?s?) (eleve|elevee?s?|bas|basse|normale?s?|normaux|positifs?|positives?|negatifs?|negatives?|correcte?s?|limite)|now (ok|okay|fine|good|better|well|stable|home|recovered)\b|"
    r"tout est (correct|beau|ok|bien|normal) maintenant|maintenant tout est (correct|beau|ok|bien|normal)|everything'?s? (fine|ok|okay|good|normal) now|"
    r"maintenant (ok|correcte?|stable|a la maison|hospitalisee?|a l'hopital|admise?)|now (in (the )?hospital|admitted)|"
    # "il va bien aujourd'hui": fine today, the event over
    # ("je vais très bien aujourdhui": the apostrophe left out)
    r"(il|elle|je|ca|tout|he|she|i) (va|vais|vont|allait|is|'s|am|'m) (tres |super |ben |very )?(bien|mieux|well|fine|ok|okay)( \w+)? (aujourd'?hui|maintenant|now|today)|"
    # the danger put away since: "Pills are locked up now!", "les pilules sont sous clé maintenant"
    r"(locked|put|stored) (up|away) now|now (locked|stored|put) (up|away)|(sous cle|barrees?|rangee?s?|cachee?s?) maintenant|maintenant (sous cle|barrees?|rangee?s?)|"
    # back at school today: the event is over ("il est retourné à l'école aujourd'hui")
    r"(retourne\w*|back|rentre\w*|went|gone) (a l'ecole|a la garderie|au travail|a la job|au cpe|to school|to work|to daycare|at school|at work)( (aujourd'hui|today|ce matin|this morning|hier|yesterday))?|"
    # "(he's back driving now)": back at it, the event over
    r"back (driving|working|at work|on the job|on (his|her|my) feet|on the road|on shift|to normal|to himself|to herself) now|"
    # back at work, not the event back: "il a été opéré et il est revenu travailler"
    r"(est|suis|sont|etait|a ete) (revenue?s?|retournee?s?) (travailler|au travail|a la job|a l'ouvrage|a l'ecole|a la maison|chez (lui|elle|nous|moi))( (aujourd'hui|today|ce matin|this morning|hier|yesterday|hier soir))?|"
    r"(?<=\()(maintenant|now) \d{1,2}( ans| years old| yo)?(?=\))|maintenant (il|elle) est (guerie?|retablie?)|maintenant (ca|il|elle) va (mieux|bien)|"
    r"now (he|she)('s| is) (recovered|cured|healed)|a \d{1,2} ans maintenant|maintenant (il|elle) a \d{1,2} ans|"
    r"(hasn'?t|has not|didn'?t|did not|haven'?t) (started|come back|bled|begun|happened) again|(a|ont) pas recommence|(i'?m|i am|he'?s|he is|she'?s|she is|they'?re|they are|it'?s|it is|is|are|all|"
    r"doing|feels?|feeling|been|breathing|eating|sleeping|walking|talking) (\w+ )?(fine|ok|okay|good|well|better|great|normal|healthy|"
    r"stable|steady|controlled|under control|normally|home|back home|discharged|careful|cautious|vigilant|prudente?|"
    r"\d+( years old)?) now|now that|by now|for now|for (\w+ ){0,2}(years|months|ages|a (long )?while) now|"
    # an age: "had a fever seizure at 2, now 7"
    r"now \d{1,2}( years old| yo| y/o| ans)?\b(?! ?(min|minutes?|hours?|hrs?|h\b|am|pm|:|mg|degrees|°|/))|"
    # "...last month and now my son is anxious about it": now is about the worry
    # ("and now I'm paranoid": "I'm" is one word with its apostrophe)
    r"(and|but|so) now (\w+ ){0,3}(\w+'(s|m|re) |(is|are|am|feels?|seems?|gets?) )(\w+ )?(anxious|worried|scared|"
    r"nervous|afraid|stressed|asking|wondering|curious|upset|fine|ok|okay|better|paranoid|freaked out|inquiete?|stressee?)|"
    r"(va|vont|allait|se porte) (tres |tout a fait )?bien maintenant|"
    r"maintenant (il|elle|je|j'|on) (va|vais|vont|suis|est) (tres )?(bien|correct)|"
    # recovered, not back: "my speech went funny for 10 minutes and came back"
    r"(speech|vision|sight|feeling|strength|movement|colou?r|voice|hearing|words) ([\w,]+ ){0,8}(came|come|comes) back|"
    # results and feelings that came back, not symptoms: "everything came back and the scans were okay"
    r"(came|come|comes) back (normal|clear|negative|fine|ok|okay|good)|everything came back|"
    r"for [\w ]{1,20}(minutes|mins|seconds|hours) (and|then) (came|come) back|"
    r"(hi|hello|hey|bonjour|allo|salut) again|again this year|encore cette annee|once again|thanks again|"
    r"merci encore|encore merci|"
    # "if he falls again": a case that may come, not something happening again
    r"(if|si|when|quand|next time|la prochaine fois) (\w+ ){1,8}(again|encore|de nouveau)|"
    r"(last \w+|\w+ ago|"
    + _NOT_ITS_YEAR
    + r"in (19|20)\d\d|l'an (dernier|passe)|il y a \w+ \w+) (and|et) (now|since|maintenant|depuis)|"
    r"(watch|look out|keep an eye( out)?|check on (her|him|them)|surveiller) (\w+ ){0,2}(for )?(tonight|today|ce soir|aujourd'?hui)|"
    r"(on|taking) (\w+ )?(meds|medication|medicine|pills|treatment|anticonvulsants?) now|"
    r"(est|sont) (revenue?s?|rentree?s?) ((a la maison|chez nous)( (ce matin|a matin|aujourd'hui|hier soir))?|et (boit|mange|dort|va|joue)|le soir meme|le lendemain|la meme journee|apres)|"
    r"(revenue?s?|rentree?s?|sortie?s?|de retour) (de|du) (la |l')?(readaptation|hopital|rehab|urgence|centre)|"
    # home again, a child now older, a lasting aftermath: not "now" or "again"
    r"(revenue?s?|rentree?s?|de retour) (a la maison|chez (elle|lui|nous|moi|eux))( (ce matin|a matin|aujourd'hui|hier soir))?|(came|come|coming|got|is|was) back home( (this morning|today|last night))?|"
    r"(a|ai|as|avons|ont|has|is|he'?s|she'?s) now \d{1,2}( years old)?|(a|ai|as|ont) maintenant \d{1,2} (ans|mois)|maintenant (il|elle|j') ?(a|ai) \d{1,2} (ans|mois)|maintenant (il|elle|je) (n'a|n'ai|a|ai) (plus|pu) (de |d')(fievre|douleur|symptomes?|nausees?|diarrhee|vomissements?)\b|"
    r"(marche|marchait|walks?|walking|uses?|utilise) (encore|still|toujours) (avec |with )?(a |une )?(cane|walker|canne|marchette|wheelchair|fauteuil)|"
    r"(still|encore|toujours) (walks?|uses?|marche|utilise) (with |avec )?(a |une )?(cane|walker|canne|marchette|wheelchair|fauteuil)|(in recovery|sober|clean|doing (well|great|good|fine)) now|tout est revenu|"
    r"(est|sont) revenue?s? (a la )?normale?|"
    # a condition someone has, not an event now: "and my mom has it too now"
    r"(has|have|got) it (too |as well |also )?now|"
    # a baby's age: "she's 10 weeks now and fever-free since Saturday"
    r"(is|he'?s|she'?s|a) \d{1,2} (weeks|wks|semaines|months|mois)( old)? (now|maintenant)|"
    # "he's in a treatment program now and doing well"
    r"(in|at) (a |an |the )?(treatment|rehab|recovery|detox)( program| programme| centre| center| facility)? now|now and doing (well|fine|good|great|better)|l'a (aussi |maintenant aussi |elle aussi |lui aussi )?maintenant)\b"
)
# A question about things in general ("Is sepsis contagious?", "Do antidepressants
# raise suicidal thoughts in teenagers?"): no one in particular, nothing now.
_QUESTION_OPENER = re.compile(
    r"^\W*(is|are|was|were|do|does|did|can|could|should|would|will|how|what|what'?s|why|when|"
    r"which|who|est-ce|est ce|peut-on|peut on|c'?est quoi|qu'?est-ce|quels?|quelles?|"
    r"pourquoi|comment|c'?est comment|quand|combien|y a-t-il|existe-t-il)\b"
)
_PERSONAL = re.compile(
    r"\b(i|i'm|i've|i'd|me|my|mine|myself|we|us|our|he|him|his|she|her|they|them|their|"
    r"this|it|that|these|those|someone|somebody|je|j|moi|mon|ma|mes|nous|notre|nos|il|elle|"
    r"lui|son|sa|ses|ils|elles|leur|leurs|ca|cela|quelqu'un|son|daughter|husband|wife|mom|"
    r"dad|mother|father|baby|fils|fille|mari|femme|bebe)\b"
)
# Words that say a named condition is happening to someone now: "is having a seizure",
# "I think it's sepsis", "call 911", "right now".
_ACUTE = re.compile(
    r"\b((is|am|are|'s|'m|'re|keeps?|kept|started|starting|still) (\w+ )?(having|going into|in|into)|"
    r"having (a|an|another|what)|went into|going into|"
    r"(think|thinks|thought|worried|afraid|scared|sure|wonder\w*) (that )?(i|he|she|it|this|they|we|my|his|her)|"
    r"might be|may be|could be|must be|looks? like|seems? like|sounds? like|is (this|it|that)|"
    r"could (this|it)|help (me|him|her|us)|please help|911|ambulance|asap|hurry|"
    r"(est-ce|est ce) (que c'?est|un|une)|c'?est-?tu|on dirait|je pense (que )?(c'?est|il|elle|je|j')|"
    r"je crois (que )?(c'?est|il|elle|je|j')|en train de|au secours|vite)\b"
)
# What stands just before a condition's name when it is someone's: "he had a
# seizure", "she's septic", "my stroke", "il fait une convulsion", "sa convulsion".
_NAME_LEAD = re.compile(
    r"\b(had|has|have|having|got|gets|getting|get|went into|going into|go into|is in|"
    r"suffer\w*|is|are|was|were|be|been|being|my|his|her|their|our|"
    r"a eu|ai eu|as eu|avait|avoir|fait|fais|faire|font|en|sa|son|ses|mon|ma|mes|est|etait)"
    r"( (a|an|another|the|une?|des|d'une?|la|le|l'))?( [\w-]+)?\s*$"
    r"|\w'(s|m)( (a|an|another|the))?( [\w-]+)?\s*$"
)
# The nouns that name a list or a form whose items follow a colon ("la trousse des patrouilleurs :
# réaction allergique grave, hypoglycémie"); triage's form questions read the same ones.
LIST_NOUNS = (
    r"questionnaire|formulaire|form|checklist|liste|list|trousse|first[- ]aid kit|"
    # a class's words: "this week our vocabulary is for calling 911: unconscious, bleeding"
    r"vocabulary|vocabulaire|vocab"
)
# A form's list after a colon: "un questionnaire : douleur thoracique, essoufflement".
_LIST_INTRO = re.compile(
    # ("different question:", "autre question:" introduce the writer's own news)
    # (a portal form's own field, "Symptoms: fever 39.8, stiff neck", is the patient's news:
    # "symptoms" introduces a list only after other words, "the symptoms they list:")
    # ("autre chose que le formulaire :", "besides the form:" turn to the writer's own news)
    # ("l'infirmière du camp qui écrit pour Camille, 19 ans : fièvre 39,8" writes for a patient)
    # ("Julie m'a écrit à partir de sa tablette : son chum ..." passes on her own news)
    r"\b(?<!chose que le )(?<!chose que la )(?<!besides the )(?<!other than the )(?<!apart from the )"
    r"("
    + LIST_NOUNS
    + r"|grille|par-?q|(?<=\w )(?:symptoms|symptomes)|policy|politique|protocol|protocole|guidelines|"
    r"(?<!different )(?<!other )(?<!another )(?<!quick )(?<!new )(?<!second )(?<!autre )(?<!petite )(?<!nouvelle )question( \d+)?|"
    r"left blank|(?<!\bi )(?<!\bwe )(?<!\bshe )(?<!\bhe )(?<!\bthey )(?<!\bjust )checked|ticked|cochee?s?|laisse en blanc|signs|signes|asks?|(?<!m'a )(?<!m'as )(?<!nous a )(?<!lui a )(?<!m')ecrit(?! pour| au nom)|dessus|says|demande)[^.:]{0,60}:(?!\d)|"
    # "the WSIB form has checkboxes for head injury, loss of consciousness, chest pain"
    r"\b(check ?boxes|tick ?boxes|boxes to (check|tick)|cases a cocher) (for|pour|de)\b|"
    # what a kit is stocked with: "What should we stock for allergic reactions and chest pain"
    r"\b(stock|stocker|garnir|keep on hand)( [\w']+){0,3} (for|pour)\b|"
    # ...or quoted straight after: "une fiche médicale avec des cases « convulsions fébriles »,
    # « réaction allergique grave »", "boxes like 'seizures', 'severe allergy'"
    r"\b(des|les|with|the|avec) (cases|boxes|checkboxes|check ?boxes|tick ?boxes)( (comme|like|such as|for|pour))?\s*['\"«‘“]|"
    # "the concussion form says 'if headache worsens, vomiting...'"
    r"\b(sections?|parties|partie|une section|questions?) (on|about|sur|concernant)\b|"
    # "the sections are anaphylaxis, asthma, seizures and diabetes"
    r"\b(sections|headings|categories|rubriques) (are|sont|include|comprennent)\b|"
    # a talk's topics: "qu'une infirmière vienne parler aux jeunes de sécurité à la ferme :
    # l'étouffement dans les silos", "talk to our students about farm safety: ..."
    r"\b(parler|jaser|talk|speak|present) (aux|a nos|a des|to (the|our|a)) (jeunes|enfants|eleves|etudiants|membres|"
    r"kids|children|students|youth|members|class|group|club)\b[^.:]{0,60}:(?!\d)|"
    # (not what a person wrote to the writer, a goodbye: "il m'a écrit « pardonne-moi »")
    r"\b(?<!m')(?<!t')(?<!nous )(?<!lui )(ont|a|avez|they) (ecrit|written|wrote) (dessus|on it|sur le formulaire)?\s*['\"«]|"
    # a form's questions quoted: "the passport medical asks 'loss of consciousness, head injury'"
    r"\b(medical|physical|exam|examen|form|formulaire|questionnaire) (asks?|lists?|demande)\s*['\"«‘“]|"
    r"\b(demande|demandent|asks?|asked) (si|s'ils?|if|whether)\b|(know|learn|recogni[sz]e|reviewed) the (warning )?signs|"
    r"\b(notes|records|dossier|report|rapport|renseignements) (cliniques? |medical |medicaux )?(concernant|about|regarding|sur|on) (son|sa|ses|his|her|their)\b|"
    r"\b(a signaler|to report|to watch for|a surveiller|to call (for|about))[^.:]{0,30}:(?!\d)|"
    r"\b(form|formulaire|sheet|leaflet|pamphlet|handout|feuillet|fiche|brochure|poster|affiche|policy|policies|politique|rules|regles|guidelines|"
    r"protocole|protocol|page|section|plan de soins|care plan) "
    r"(\w+ ){0,2}(says|said|dit|disait|states|reads|lists|mentions|mentionne)\b"
)
# "...and what do we do if it happens?": the whole sentence is about a case that may come
_IF_IT_HAPPENS = re.compile(
    r"\b(if (it|that|this|one|something|anything) (ever )?(happens|happened|occurs|comes|goes wrong)|in case (it|that|this) (happens|occurs)|"
    r"si (jamais )?(ca|cela|quelque chose|qqch) (arrive|se produit|se presente|se passe))\b"
)
# "Some children have seizures with a fever": no one in particular
_GENERIC_SUBJECT = re.compile(
    r"\b((some|certain|many|most|a lot of|lots of) (kids|children|people|babies|adults|patients|teens|seniors)|"
    r"(from|with|help|helping|for|support|supporting) (people|callers|clients|patients|teens|youth|students)|"
    # those one serves, in the plural: "naloxone on site for travellers who overdose", "an AED for
    # crew members with chest pain"
    r"(for|help|helping|support|supporting|pour|aider) (travell?ers|passengers|customers|visitors|workers|employees|"
    r"crew members|crews|voyageurs|passagers|clients|visiteurs|travailleurs|employes|membres d'equipage) "
    r"(who|that|with|qui|avec)\b|"
    # "resources for someone who says theyre thinking about suicide"
    r"(for|to help|help|helping|support) (someone|somebody|a person|anyone|quelqu'un|une personne) (who|that|qui)\b|"
    # a vaccine against it, what to take during one: nobody has it
    r"(vaccin\w*|vaccine|shot|immuni[sz]ation|booster) (contre|against|for|pour) (la |le |les |l')?|"
    r"(take|taking|use|using|give|giving|chew|chewing) (\w+ ){0,2}(during|in case of|in the event of) (a|an)|"
    r"(certains|certaines|beaucoup d'|plusieurs) ?(enfants|bebes|gens|personnes|patients|adultes)|"
    # "there have been overdoses at other camps": news of others, nobody here
    r"(there (have|has|had) been|il y a eu)( (a few|some|several|many|lots of|a lot of|plusieurs|des|quelques))?(?=\s*$)|"
    # anyone's: "what to do when someone has a seizure", "si quelqu'un fait une convulsion"
    r"(when|if|quand|si|lorsque) (someone|somebody|a person|anyone|quelqu'un|une personne|"
    # one of those one serves: "quand un passager a une douleur à la poitrine"
    r"a passenger|un passager|une passagere|a customer|un client|une cliente|an employee|un employe|une employee) "
    r"(has|is having|having|gets|fait|a|have)( a| an| une| un)?(?=\s*$)|"
    # an animal's: "our dog had a seizure", "notre chien a fait une convulsion"
    r"(our|my|the|his|her|their|notre|mon|ma|le|la|son|sa|leur) (old |young |vieux |vieille |jeune )?"
    r"(dog|cat|puppy|kitten|horse|mare|cow|calf|heifer|pet|chien|chienne|chat|chatte|chiot|cheval|jument|vache|veau|taure)s? "
    r"(\w+ ){0,3}(had|has|having|is having|got|a fait|fait|a eu|fais)( a| an| une| un| des| another| encore)?(?=\s*$)|"
    # one of those in the writer's care, a fact of work: "One of my students has seizures", "On
    # gère souvent des détenus en surdose"
    r"(one of my|un de mes|une de mes) (students|pupils|clients|patients|residents|campers|players|eleves|joueurs) "
    r"(has|have|had|a|fait|fais)( a| an| une| un| des)?(?=\s*$)|"
    r"(on gere|on voit|on trouve|on doit (parfois |souvent )?gerer|nous gerons|"
    r"we (often |sometimes |regularly )?(handle|manage|deal with|see|find|get)) "
    r"(souvent |often |regularly |parfois |des fois |sometimes )?(des |les |un |une |a |an )?"
    r"(detenus?|inmates?|patients?|clients?|residents?|prisoners?|voyageurs|travell?ers|passagers?|passengers?|visiteurs|visitors) "
    r"(en|in|with|avec|qui font des?|(qui|who|that)( [\w']+){0,3})( une| un| des| a| an)?(?=\s*$)|"
    # a call-taker's work: "years of nights taking calls about stabbings, overdoses and suicides"
    r"(taking|take|took|answer\w*|handl\w*|dispatch\w*|prendre|prends|repondre a) (\w+ ){0,2}(calls|appels) "
    r"(about|for|involving|on|pour|sur|de)( [\w']+,?){0,6}(?=\s*$)|"
    # a case at work: "ce qu'on doit faire pour un patient diabétique inconscient"
    r"(pour|for|avec|with) (un|une|a|an) (patient|patiente|client|cliente|resident|residente|detenu|detenue|"
    r"inmate|passenger|passager|passagere|victime|victim|customer)( [\w']+){0,2}(?=\s*$)|"
    # "can someone my age have a stroke?", "une personne de mon âge peut faire un AVC?"
    r"(someone|anyone|people|a person|a guy|a girl|quelqu'un|une personne|les gens|un jeune|une jeune) "
    r"(of |de |a )?(my|mon|ton|your|votre) age)\b"
)
# The next sentence says it is over: "It passed in about 15 minutes and I've been fine since."
_RESOLVED_AFTER = re.compile(
    r"\b(harmless|non-?toxic|(said|says|told (me|us)) (it|that|this)('s| is| was) "
    r"(fine|ok|okay|nothing|not (dangerous|serious)|a (tiny|small|safe) amount)|"
    r"^\W*(it|that|this|the \w+|everything) (all )?(passed|went away|stopped|resolved|settled|cleared)|"
    # written sign-language grammar: "Today finish, no pain.", "Maintenant fini."
    r"^\W*((today|now|maintenant|aujourd'hui|ce matin|this morning),? )?(finish|finished|fini|finie|termine)\b|"
    # "Nothing since.", "Aucune réaction depuis."
    r"^\W*(nothing|none|no (more |other )?(reactions?|episodes?|seizures?|problems?|attacks?)) since\b|"
    r"^\W*(rien|aucune? (autre )?(reaction|crise|episode|probleme)) depuis\b|"
    # (not a symptom that goes on: "It isn't letting up sitting in the cab")
    r"^\W*(ce n'?en est pas|c'?en est pas|it'?s not that|it isn'?t(?! \w+ing\b| (better|gone|over))|it wasn'?t(?! \w+ing\b))\b|"
    # (not pills stopped: "Il a arrêté ses pilules pour la fibrillation le mois passé")
    r"back to normal|(redevenue?|revenue?) (a la )?normale?|(ca|cela|il|elle) a arrete"
    r"(?! (ses|son|sa|mes|mon|ma|les|le|la|ces|cet|cette|l'|de (prendre|boire|manger|fumer))\b)|"
    # well at once after a faint: "je me suis sentie bien tout de suite après et depuis aussi"
    r"\b(me suis sentie?|felt) (bien|fine|ok|okay|normal|good) (tout de suite|right|straight) ?(apres|after|away)\b|"
    # come to at once after a faint: "I came around in a few seconds and I was fine after juice"
    r"\bcame (around|to) (in|after) (a few|\d+|a couple of|two|three) (seconds|secs|minutes)\b|"
    # what choked on came out at once: "I did back blows ... and it came out right away"
    r"\b(it|the \w+) came (out|up|back up) (right away|at once|straight away|immediately|on the first (try|blow))\b|"
    r"\b(il|elle|c') ?(est|s'est) (sortie?|ressortie?|debloquee?) (tout de suite|aussitot|du premier coup)\b|"
    # ...in French: "Je suis revenu tout de suite et l'infirmière m'a gardé une heure avec du jus"
    r"^\W*(je suis|il est|elle est|j'suis|chu) (revenue?|revenue? a (moi|lui|elle)) (tout de suite|rapidement|vite|en (quelques|deux|trois) secondes)\b|"
    # over the same day, or only while the cause lasts: "the bleeding stopped that day",
    # "(it) goes away once I'm in the wheelhouse", "ça part dès que je me réchauffe"
    r"stopped (that|the same|later that) (day|night|evening|afternoon)|"
    r"(showed|said) (the baby|everything|all) (was|is|looked) (fine|ok|okay|normal|good)|"
    r"^\W*(it |that |this )?(goes|go) away (once|when|after|as soon as|if)\b|"
    r"^\W*(ca |cela )?(part|passe|s'en va) (des que|quand|apres que?|aussitot que)\b|"
    r"(surgery|operation|l'operation|la chirurgie) (went|s'est) (well|fine|bien)|healing (fine|well)|"
    r"(ca )?guerit bien|tout va bien|"
    r"(i'?ve|he'?s|she'?s|we'?ve|they'?ve|it'?s|i have|he has|she has|it has) been (totally |completely |perfectly )?"
    r"(fine|good|ok|okay|well|great|normal) (ever )?since|"
    # (not the place: "tout est correct dans l'appart, c'est éteint" after a fire, said by someone burnt)
    r"(ca|cela|c') ?(a|est) passe|tout est (rentre dans l'ordre|negatif|correct|beau)(?! dans (l'appart\w*|la maison|le logement|la cuisine|le garage|le bloc))|"
    # (not his own claim left in doubt: "bouche croche ... parle pâteux. dit qu'il va bien...";
    # "elle dit qu'elle va bien et je la crois" is believed)
    r"(il|elle) va (tres |tout a fait )?bien(?<!dit qu'il va bien)(?<!dit qu'elle va bien)|"
    r"(?<=dit qu')(il|elle) va (tres |tout a fait )?bien(?!\s*(\.\.|…))|"
    # a form's question answered on its own line: "Douleur thoracique à l'effort? Non."
    r"^\W*(non|no|nope|negative|negatif)(?=\W*$)|"
    # how it has always been, said after an emoji: "ma bouche croche 😅 toujours été de même"
    r"^\W*((a |j'ai |il a |elle a )?toujours ete (de meme|comme ca|pareil)|same as always|always been (like (this|that)|this way)))\b"
)
# "If she gets a fever afterwards, what temperature...": a sentence that opens
# with a condition is about that condition throughout.
_LEADING_IF = re.compile(
    r"^\W*(if|si|s'il|s'ils|suppose|supposing|let'?s say|say|imagine|hypothetically|"
    # (not a litote: "Disons que ça a pas bien passé : j'ai été malade toute la nuit" says what
    # happened, the way "let's just say" does)
    r"mettons|disons(?! que (ca|c'|cela) ?(a|n'a|est|n'est|etait|n'etait) pas)|admettons|supposons|imaginons) "
)
_POLITE_IF = re.compile(
    r"^\W*(if (you|u) (can|could|get|have|are able)|if (possible|not|so|needed|that'?s)|"
    r"si (possible|vous (pouvez|pourriez|avez)|oui|non|besoin)|s'il (vous|te) plait)\b"
)
# Long-standing: "engourdie la nuit depuis un mois", "for two years".
_CHRONIC = re.compile(
    r"\b((for|since|depuis) (a|one|two|three|four|several|a few|quelques|un|deux|trois|\d+) "
    r"(months?|years?|mois|ans|annees)|"
    # how it has always been: "droopy eyelid same as always", "toujours été de même"
    r"for years|depuis (des annees|toujours|la naissance|sa naissance|ma naissance)|since birth|"
    # what always sets it off: "throat feels tight when stressed"
    r"when (i'?m |i am |i get |i feel )?(stressed|anxious|nervous|upset)( out| at work)?|quand (je suis |je me sens )?(stresse|anxieuse?|nerveuse?)e?|"
    # since childhood: "my sister has epilepsy and has had seizures since she was a teenager"
    r"since (she|he|i|they) (was|were) (a |an )?(teen\w*|kid|child|little|baby|toddler|young)|depuis (l'enfance|l'adolescence|son enfance|mon enfance|son adolescence|mon adolescence)|"
    # now and then, with what sets it off: "le cœur serré des fois quand j'y pense"
    r"(des fois|parfois|de temps en temps|sometimes|once in a while|now and then)( \w+){0,2} (quand|lorsque|when)|"
    # now and then, said last: "il cherche ses mots des fois."
    # (not a breath "juste de temps en temps": one now and then is a breath failing)
    r"(?<!juste )(?<!only )(?<!seulement )(des fois|parfois|sometimes)(?=\s*([.,;!]|$))|"
    r"all (his|her|my|their) li(fe|ves)|toute (sa|ma|leur) vie|(same|like|as) (as )?always|comme (toujours|d'habitude)|always been (like (this|that)|this way|that way)|"
    r"(a |j'ai |il a |elle a )?toujours ete (de meme|comme ca|pareil|comme cela))\b"
)
# a lasting condition or a document named after it, not an event: "because of my seizure
# disorder", "a signature for her peanut anaphylaxis and EpiPen plan"
_KIND_OR_PLAN_AFTER = re.compile(
    r"\s?(disorder|trouble convulsif|((and|et) [\w-]+ )?(action |emergency |care |safety |treatment |d'urgence )?"
    r"(plan|protocol|protocole))\b"
)
_TO_DIE = re.compile(r"suicid|kill (my|him|her|them)sel|self-?harm")
# "My sister bled in her first pregnancy": someone else's past, said just before.
_OTHER_PAST_LEAD = re.compile(
    r"(\b(my|his|her|our|a|both (of )?my|un|une|mon|ma|mes|le|la) (\w+'s )?"
    r"((older|younger|little|big|best|late|ex|grande?|petite?) )?(sister|brother|friend|cousin|aunt|uncle|"
    r"neighbou?r|co-?worker|colleague|boss|classmate|teammate|roommate|sister-in-law|brother-in-law|best friend|"
    r"grand-?(pere|mere|parents|pa|ma|mother|father)s?|grandmothers?|grandfathers?|grandparents|"
    r"s(?:oe|œ)ur|frere|amie?|cousine?|tante|oncle|voisine?|collegue|chum de (travail|job|shop|gang)|"
    r"(compagnon|camarade) de travail)s?( (de|of) (ma|mon|my|our|notre) [\w-]+( [\w-]+)?)?|"
    r"\b(my|our|a) (neighbou?r|friend|coworker|colleague|cousin|boss|sister|brother|aunt|uncle|sister-in-law|brother-in-law)'s \w+|"
    r"\b(le|la|les) (fils|fille|enfant|frere|s(?:oe|œ)ur|mari|femme) (de|d') (mon|ma|notre|\w+) ?\w*)"
    r"( \(\d+\))?( (had|have had|has had|got|was|went|nearly|almost|said (that )?(she|he|they)|told me (that )?(she|he|they)|a eu|a fait|avait|ont fait|ont eu|"
    r"s'est|se sont)( (des|une?|a))?( [\w-]+)?)?\s*$"
    # (a bare "my friend" before what is happening to him is a caregiver's report:
    # "my friend not waking up")
    r"(?<!\bfriend )(?<!\bami )(?<!\bamie )(?<!\broommate )(?<!\bcoloc )"
)
# (with the spellings of a hurried message: "depui vendredi", "dp vend soir", "sinse last fall")
_SINCE = re.compile(r"\b(since|ever since|sinse|sence|depuis|depui|dpuis|dp)\b[^,]{0,40}")
# (two spaces: where a full stop was left out, "not answering  gasping  lips blue")
_CLAUSE_BREAKS = (",", " - ", ":", "  ")
SENTENCE_REACH = 150  # characters before a mention that a list or question covers


class Idioms(Protocol):
    """What idioms offer: their matches in a text (triage.IdiomSet)."""

    def finditer(self, text: str) -> Iterable[re.Match[str]]: ...


_G = {
    name: GatedAny(rx)
    for name, rx in {
        "neg": _NEG_TRIGGER,
        "post_neg": _POST_NEG,
        "context": _CONTEXT,
        "history": _HISTORY_TIME,
        "hypo": _HYPOTHETICAL,
        "threat_if": _THREAT_IF,
        "not_hypo": _NOT_HYPOTHETICAL,
        "sentence": _SENTENCE_CONTEXT,
        "list_intro": _LIST_INTRO,
        "if_it_happens": _IF_IT_HAPPENS,
        "generic_subject": _GENERIC_SUBJECT,
        "recur": _RECURRENCE,
        "not_recur": _NOT_RECUR,
        "acute": _ACUTE,
        "personal": _PERSONAL,
        "post": _POST_CONTEXT,
        "contrast": _CONTRAST,
        "terminate": _TERMINATE,
    }.items()
}


def _found(name: str, text: str, present: frozenset[str]) -> bool:
    """Context expression `name` in `text`, run only when a word it needs is in the
    sentence (one scan of the sentence finds those words for every expression)."""
    return _G[name].search(text, present)


@lru_cache(maxsize=4096)
def _present(sentence: str) -> frozenset[str]:
    return frozenset(_INDEX.present(sentence))


# A denied list that goes on past its first comma: "no weakness, numbness or trouble talking",
# "pas de fièvre, de frissons ou de raideur": the clause break cuts the list, not the "no"
_LIST_DENIED_HEAD = re.compile(
    r"(?:^|[.;:!?]\s*|\b(?:and|et|with|avec)\s+)(no|not|without|never|denies|sans|pas de|pas d'|aucune?|jamais|"
    # ...or a verb denied: "I didn't feel shaky, sweaty or confused at all"
    r"(?:(?:i|he|she|we|they) )?(?:did ?n'?t|did not|do ?n'?t|do not|does ?n'?t|does not|never) "
    r"(?:feel|felt|have|get|notice|seem|look))\b"
    # (a lost function is a symptom, not a denial: "no strength in my arm, numbness or ...")
    r"(?! (more |longer )?(strength|feeling|sensation|control|power|grip|vision|sight|air|breath|voice|force|sensibilite|energie|voix))"
    r"[^,;.!?]{0,30}$"
)
# the words that carry a list on ("X, Y or Z"); a negation reaches further back over them
_LIST_GOES_ON = frozenset({"or", "nor", "ou", "ni"})
_LIST_TURNS = frozenset(
    {"but", "mais", "except", "sauf", "however", "yet", "then", "puis", "now", "maintenant"}
)


def _denied_list_goes_on(before: str, cut: int, words: list[str]) -> bool:
    """Is the mention the last item of a list whose head, before the clause break, is denied?"""
    if not cut or len(words) > 4 or not (_LIST_GOES_ON & set(words)) or _LIST_TURNS & set(words):
        return False
    head = before[:cut].rstrip(" ,")
    head = head[head.rfind(",") + 1 :].strip()
    return _LIST_DENIED_HEAD.search(head) is not None


@lru_cache(maxsize=4096)
def affirmed(
    sentence: str, start: int, end: int, idioms: Idioms | None = None, about_others: bool = False
) -> bool:
    """Is the mention at [start, end) of `sentence` an affirmed, current one? (`about_others`:
    a threat, where the person named before it is the one at risk.)"""
    if idioms is not None:
        for m in idioms.finditer(sentence):
            if m.start() < end and start < m.end():
                return False
    present = _present(sentence)
    before = sentence[max(0, start - 60) : start]
    cut = _clause_start(before, present)
    # "chu pas en train de penser à me suicider": "pas" denies what the phrase introduces
    scope = _EN_TRAIN.sub(r"\1 de", _PSEUDO.sub(" ", before[cut:]))
    words = scope.split()
    reach = 10 if _LIST_GOES_ON & set(words[-5:]) else 5
    if _found("neg", " ".join(_own_negations(words[-reach:])), present):
        return False
    if _denied_list_goes_on(before, cut, words):
        return False
    if _found("post_neg", sentence[end : end + 50], present):
        return False
    if (
        _NOTHING_TAKEN_AFTER.search(sentence, end, end + 140)
        or _TAUGHT_AFTER.match(sentence, end)
        or _CASES_AFTER.match(sentence, end)
    ):
        return False  # nothing taken after all; a topic taught; the cases one attends
    if _SEEN_AT_WORK_BEFORE.search(before) and _DAILY_AFTER.match(sentence, end):
        return False  # a paramedic's "je vois des hémorragies et des blessés tous les jours"
    if _NE_STATE_INSIDE.search(sentence, start, end) or (
        _NE_STATE_END.search(sentence, start, end) and _PAS_NEXT.match(sentence, end)
    ):
        return False  # "ma langue ne sont pas enflées", "ma gorge ne serre | pas": denied
    if _NO_MORE_BEFORE.search(before) and _SINCE_AFTER.match(sentence, end):
        return False  # "plus d'idées noires depuis des mois": none of it for months
    whole = sentence[:start]
    contrast = 0
    if _found("contrast", whole, present):
        for m in _CONTRAST.finditer(whole):
            contrast = m.end()
    clause = whole[max(contrast, _list_start(whole)) :]
    if (
        sentence.rstrip().endswith("?")
        and _WORRY_QUESTION.search(sentence)
        and not _JUST_HAPPENED.search(sentence[:end])
        and not _now(sentence, present)
    ):
        return False  # "when should we worry about a fever?", not "she just chewed a pod, should I worry?"
    if _AGE_AFTER.match(sentence, end):
        return False  # "j'ai eu une méningite bébé"
    if _AT_AGE_AFTER.match(sentence, end) and _HAD_BEFORE.search(before):
        return False  # "il a eu une méningite à 6 mois"
    if (
        _ELDER_BEFORE.search(before)
        and _AGE_LATER.match(sentence, end)
        and not _now(sentence, present)
    ):
        return False  # "mon grand-père a perdu la vue d'un œil d'un coup vers 70 ans"
    if sentence.rstrip().endswith("?") and _WHICH.search(before):
        return False  # "what temperature counts, and how do I take it on a newborn?"
    if sentence.rstrip().endswith("?") and _HOW_MUCH.search(whole[-20:]):
        return False  # "how much bleeding, ...?": a question about a threshold
    # a threat told with its condition is no hypothetical: "si je pars il va me retrouver"
    threat = _found("threat_if", sentence, present)
    if not threat and _OPEN_IF.search(clause) and not _NOT_HYPOTHETICAL.search(clause[-30:]):
        return False  # "...or if baby isn't moving": the mention is the condition
    # the mention's own words close a condition that ends right before it ("if a seizure")
    upto = clause + sentence[start:end]
    if (
        not threat
        and _found("hypo", upto, present)
        and (
            _HOW_WOULD_I_KNOW.search(upto) or _HYPOTHETICAL.search(_NOT_HYPOTHETICAL.sub(" ", upto))
        )
    ):
        # unless what follows the condition says it is happening now ("...if his results
        # came in. Right now he just fell": a run-on message without full stops)
        last = [m.end() for m in _HYPOTHETICAL.finditer(clause)]
        after = clause[last[-1] :] if last else ""
        if not (last and (_now(after, _present(after)) or _CONDITION_MET.search(after))):
            return False
    if (
        not threat
        and (
            (_LEADING_IF.match(sentence) and not _POLITE_IF.match(sentence))
            or _found("if_it_happens", sentence, present)
        )
        and not _now(sentence, present)
    ):
        return False
    # a form's list or a question reaches this far back; further is another matter
    # (without punctuation a whole message is one "sentence")
    # ...but not past a new clause in the writer's own voice (`own_clause`)
    if _G["sentence"].may_match(present) or _G["list_intro"].may_match(present):
        reach = own_clause(whole[max(contrast, start - SENTENCE_REACH) :])
        if _found("sentence", reach, present) or _found("list_intro", reach, present):
            return False
    lo = max(0, start - 80)
    if _G["list_intro"].may_match(present) and any(
        lo + m.end() > start for m in _LIST_INTRO.finditer(sentence[lo:end])
    ):
        return False  # the match runs from a form's heading into its list
    if _HISTORY_RIGHT_AFTER.match(sentence, end):
        return False  # "had a stroke in 2022 and now needs help": its date, then today
    if _now(sentence, present):
        return True
    if _HABITUAL.search(before):
        return False  # "I get short of breath walking to the mailbox": how it always is
    told = _after_decision(before[cut:])
    history = _history_reach(whole[contrast:])
    if _OWN_DEATH.search(sentence, start, end) and _INTENT.search(
        sentence, max(0, start - 25), end
    ):
        told, history = _after_own_intent(told), _after_own_intent(history)
        if _PACT_TO.search(told):
            told, history = _after_last(_TO_AT_END, told), _after_last(_TO_AT_END, history)
    if _found("context", told, present) or _found("history", _SINCE.sub(" ", history), present):
        return False
    if (
        (
            _CHRONIC.search(sentence[end : end + 70])
            # "j'ai jamais eu mal de même de toute ma vie": never before, not all along
            and not _NEVER.search(sentence[max(0, start - 20) : end])
            # "g gardé mes pilules pr dormir depuis 1 mois": how long the gathering took
            and not _GATHERED.search(sentence, start, end)
        )
        or (not about_others and _OTHER_PAST_LEAD.search(before))
    ):
        return False
    kind = _KIND_OR_PLAN_AFTER.match(sentence, end)
    # "my seizure disorder", "her peanut anaphylaxis and EpiPen plan"; but a bare plan after
    # suicide is a plan to die ("I have a suicide plan"), not a care plan
    if kind and not (kind.group(0).strip() == "plan" and _TO_DIE.search(sentence, start, end)):
        return False
    post = _SINCE.sub(" ", sentence[end : end + 70])
    if _OWN_PLAN_BEFORE.search(before):
        # the day of the writer's own plan (the mention itself) is to come: "im going to
        # swallow them all on saturday when mom leaves" is no past event
        post = _WEEKDAY_AHEAD.sub(" ", post, count=1)
    return not _found("post", post, present)


# the writer's own plan, said just before the mention
_OWN_PLAN_BEFORE = re.compile(
    r"\b((i'?m|im|i am) (going to|gonna|planning to|about to)|i will|i'll|ill|je vais|j'vais|jvais|"
    r"je m'en vais)( (just|simply|finally|all|tous|toutes|juste|enfin|me|les|m'|l'))* ?$"
)
# a day named first after the mention ("on saturday", "samedi")
_WEEKDAY_AHEAD = re.compile(
    r"^\W*(\w+ ){0,3}?(on |this |ce |cette )?(monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\b"
)


# the condition said to be met right after it: "dr said to write if it got bad its bad",
# "vous m'avez dit d'écrire si ça empirait, c'est rendu pire"
_CONDITION_MET = re.compile(
    r"\b(it'?s|its|it is|things are) (bad|that bad|worse|happening|here|now)\b|"
    r"\b(it|that) (did|has|is now)\b|\b(c'?est|cest|ca l'est) (rendu )?(pire|la|le cas|maintenant)\b"
)
_NEVER = re.compile(r"\b(jamais|never)\b")
_GATHERED = re.compile(
    r"\b(garde|cache|accumule|ramasse|mis de cote|mets de cote|saved|saving|stashed|stashing|"
    r"hoarded|hoarding|collected|collecting|kept|keeping)\b"
)
_FR_AFTER_VERB = frozenset({"pas", "plus", "pu", "jamais"})
_FR_LINK_WORDS = frozenset(
    {"a", "me", "m'", "se", "s'", "te", "le", "la", "les", "l'", "en", "y", "de", "du", "des", "faire",
     "dans", "au", "aux",
     "penser", "vouloir", "avoir", "eu", "un", "une"}
)  # fmt: skip


# "sans"/"aucun"/"without" deny the noun after them; a subject after that starts a new
# clause they do not reach (run-on messages without punctuation)
_NOUN_NEGATIONS = frozenset({"sans", "aucun", "aucune", "without"})
_SUBJECTS = frozenset({"elle", "il", "je", "j'", "on", "ils", "elles", "she", "he", "i", "they"})
# "sans manger", "without eating", "without food": the meal is what is denied, not what is
# said after it ("14 unités de humalog a 6h sans manger mon sucre est en bas de 3")
_MEAL_WORDS = frozenset(
    {"manger", "dejeuner", "diner", "souper", "boire", "eating", "drinking", "food"}
)


def _history_reach(whole: str) -> str:
    """How far back a time in the past covers a mention: a whole sentence, but in a
    message typed without any punctuation (one run-on "sentence") only the last words;
    "back from mexico last week ... throwing up all night ... meter says hi" is today."""
    if len(whole) <= _RUN_ON_REACH or _PUNCTUATION.search(whole):
        reach = whole
    else:
        reach = whole[-_RUN_ON_REACH:]
        # where a full stop was left out, two spaces often remain: "on a manqué celui de la
        # semaine passée  Il a 20 mois  Il y a une demi heure il a avalé une pile"
        gap = reach.rfind("  ")
        if gap >= 0:
            reach = reach[gap + 2 :]
    # a decision now ends what a past time covers: "ma femme est partie au printemps jai decide
    # de me suicider demain matin"
    return _after_decision(reach)


_RUN_ON_REACH = 110
_DECIDED_NOW = re.compile(r"\b(j'?ai|i'?ve|i have|i) (decide|decided|choisi|made up my mind)\b")


# A plan of one's own death said now, in a new clause, is not covered by a past time told
# before it: "Jenna left last week, I've been drinking every night and I'm going to kill myself
# tomorrow" (the leaving is last week's; the plan is today's), also typed without punctuation
# ("jenna moved out last week ... every night im going to kill myself"). "Last year I was going
# to kill myself" stays the past: no "I'm", "I will" or "je" begins the plan.
_INTENT = re.compile(
    r"\b(going to|gonna|about to|planning to|plan to|ready to|vais|m'en vais|i'?ll|i will|pact)\b"
)
_OWN_DEATH = re.compile(
    r"suicid|kill (my|him|her|them|our)sel|self-?harm|end (it|my life)|me tuer|m'enlever la vie|"
    r"me suicider|en finir|me pendre"
)
_OWN_INTENT_CLAUSE = re.compile(r"\b(i'?m|i am|im|i'?ll|i will|je|j'|jvais|j'vais)(?![\w'])")
# A pact to die: when it was made ("made a pact last week to") is not when the act is.
_TO_AT_END = re.compile(r"\bto\s*$")
_PACT_TO = re.compile(r"\bpact\b[^.;!?]{0,40}" + _TO_AT_END.pattern)


def _after_own_intent(words: str) -> str:
    """What follows the writer's last "I'm", "I will" or "je" (for a plan to die)."""
    return _after_last(_OWN_INTENT_CLAUSE, words)


def _after_decision(words: str) -> str:
    """What follows the writer's last decision made now ("...partie au printemps jai decide")."""
    return _after_last(_DECIDED_NOW, words)


def _after_last(marker: re.Pattern[str], words: str) -> str:
    """`words` from the start of the last `marker` on (all of them if there is none)."""
    cuts = [m.start() for m in marker.finditer(words)]
    return words[cuts[-1] :] if cuts else words


_PUNCTUATION = re.compile(r"[.,;:!?]")
# French "ne ... pas" around a state inside a mention a rule let run over it: "ma langue ne sont
# pas enflées", "ma gorge ne serre pas" (not "il ne respire pas", which is the emergency itself)
_NE_STATE = r"\b(ne|n')\s?(sont|est|etre|serre|serrent|serrer|enfle|enflent|enfler|gonfle|gonflent|gonfler|saigne|saignent|saigner)"
_NE_STATE_INSIDE = re.compile(
    _NE_STATE + r" (pas|plus|pu|jamais)\b|"
    # the spoken form without "ne": "ma tête a pas frappé", "j'ai pas perdu connaissance"
    r"\b(a|ai|as|ont|est|sont|avait) (pas|jamais|pu) (frappe\w*|cogne\w*|touche\w*|saigne\w*|enfle\w*|gonfle\w*|perdu\w*|vomi\w*)\b"
)
_NE_STATE_END = re.compile(_NE_STATE + r"\s*$")
_PAS_NEXT = re.compile(r"\s+(pas|plus|pu|jamais)\b")
# what one sees at work every day: "Je vois des hémorragies et des blessés tous les jours"
_SEEN_AT_WORK_BEFORE = re.compile(
    r"\b((je vois|on voit|nous voyons|we see|i see)\s+(des|beaucoup de|plein de|lots of|a lot of)|"
    # files handled, cases managed: "je traite des dossiers de violence familiale ... toute la
    # journée", "j'ai géré trois traumatismes crâniens ... cette saison"
    r"(je traite|on traite|je gere|on gere|i handle|we handle|i deal with|we deal with|je m'occupe)"
    r"( des| de| d')? ?(dossiers|cas|files|cases) (de|d'|of|involving)|"
    r"(j'ai gere|on a gere|i handled|we handled|i managed|we managed)"
    r"( (\d+|deux|trois|quatre|cinq|two|three|four|five|plusieurs|several|quelques|a few))?)\s*$"
)
_DAILY_AFTER = re.compile(
    r"[^.;]{0,40}\b(tous les jours|chaque jour|every day|daily|all the time|a la job|au travail|at work|on calls|sur les appels|"
    r"toute la journee|all day|cette saison|this season|cette annee|this year|chaque semaine|every week)\b"
)


def _own_negations(window: list[str]) -> list[str]:
    """French "pas" follows the verb it negates: "me reconnait pas depuis ce matin, elle
    sait pas où..." does not deny what comes three words later. It denies a mention
    right after it, or one it introduces ("pas de fièvre")."""
    out = []
    for i, w in enumerate(window):
        if w in _FR_AFTER_VERB and i < len(window) - 2:
            # "pas de fièvre", "pas eu de douleur": it introduces what follows
            de = next(
                (
                    j
                    for j in range(i + 1, min(i + 3, len(window)))
                    if window[j] in {"de", "du", "des", "d'"}
                    or window[j].startswith("d'")
                    # "j'ai jamais pensé à me faire du mal": the thought denied
                    or (window[j] == "a" and window[j - 1] in {"pense", "songe"})
                ),
                None,
            )
            # ...but not a mention several words on ("pas de rendez-vous la corde est"),
            # while "pas de penser à me suicider" still is: only content words count
            between = (
                [x for x in window[de + 1 :] if x not in _FR_LINK_WORDS] if de is not None else []
            )
            if de is None or len(between) > 1:
                continue
        if w in _NOUN_NEGATIONS and _SUBJECTS & set(window[i + 2 :]):
            continue  # "des phrases sans aucun sens elle sait pas où elle est": a new clause
        if w in _NOUN_NEGATIONS and i + 2 < len(window) and window[i + 1] in _MEAL_WORDS:
            continue  # "sans manger mon sucre est en bas de 3": the meal denied, not the low
        out.append(w)
    return out


def _now(sentence: str, present: frozenset[str]) -> bool:
    """Does the sentence say it is happening now or again?"""
    if not _found("recur", sentence, present):
        return False
    if _found("not_recur", sentence, present):
        sentence = _NOT_RECUR.sub(" ", sentence)
        return _RECURRENCE.search(sentence) is not None
    return True


def counted(sentence: str, start: int, end: int) -> bool:
    """A condition's name counted as past events ("ma mère a fait deux AVC", "he have
    stroke two times"): a history, unless the sentence says it is happening now.
    Only for names: a symptom counted is today's ("vomi du sang deux fois")."""
    if not (
        _COUNT_BEFORE.search(sentence[max(0, start - 40) : start])
        or _TIMES_AFTER.match(sentence, end)
    ):
        return False
    return not _now(sentence, _present(sentence))


def generic_question(sentence: str) -> bool:
    """A question about things in general, about no one in particular."""
    text = sentence.strip()
    return (
        text.endswith("?")
        and _QUESTION_OPENER.match(text) is not None
        and not _found("personal", text, _present(text))
    )


_NEAR_BEFORE, _NEAR_AFTER = 70, 50
_RECORDED = re.compile(
    r"\s*(\w+ )?(listed|noted|documented|recorded|charted|on (the|her|his|their|my) "
    r"(chart|file|record|profile|allergy list)|inscrite? (au|dans le) dossier|notee? (au|dans le) dossier)\b"
)
_NAME_WORD = re.compile(r"[\w'-]+")
_SINCE_MY = re.compile(r"\b(since|depuis|after|apres) (mon|ma|son|sa|my|his|her|their|leur) $")
_FORMER_MY = re.compile(
    r"\b(mon|ma|son|sa|notre|leur|my|his|her|their|our) (ancienne?|vieille|vieil|precedente?|old|former|previous|past) $"
)
_OTHERS_POSSESSIVE = re.compile(
    r"\b(teammate|classmate|friend|neighbou?r|coworker|co-worker|colleague|boss|student|player|roommate)'s ([\w-]+ )?$"
)
# The name used as an adjective: "our stroke and heart attack slides", "a stroke unit"
_ATTRIBUTIVE = re.compile(
    r"\s*([\w-]+ )?((and|or|et|ou|&|/) [\w' -]{1,25}? )?(slides?|presentations?|course|training|posters?|modules?|"
    r"awareness|prevention|unit|ward|team|program\w*|month|walk|fundraiser|research|study|protocols?|"
    r"guidelines?|pamphlets?|brochures?|class(es)?|workshops?|kits?|survivors?|support group|foundation|"
    r"society|association|diapositives|campagne|fondation|calls|runs|scenarios|simulations?|drills?|"
    # "a questionnaire about my overdose history", "ses antécédents"
    r"history|histories|risk|screening|kits?|antecedents?)\b"
)


def _name_end(sentence: str, start: int) -> int:
    m = _NAME_WORD.match(sentence, start)
    return m.end() if m else start


# What the writer fears or read about, named right before the words: "I'm scared it's
# appendicitis", "j'ai peur que ce soit un AVC", "j'ai lu sur le syndrome de la queue de
# cheval", "thought it was a bleed in my eye". The fear is not the facts: what is
# happening is told by the other words of the message, which are read as usual.
# ("I'm scared I'm having a heart attack" is not here: that is someone in it now.)
_FEARED = re.compile(
    r"\b((scared|afraid|worried|terrified|frightened|paranoid|freaking out|freaked out|panick\w*|"
    r"fear\w*|stress\w*|anxious) (that )?(it'?s|it is|it was|it might be|it could be|it may be|"
    r"this is|this might be|of|of (having|getting)|about|i'?d|i might|i'?ll|i was going to|"
    r"(i'?ll|i will|i might|i'?d|i could|i'?m going to) (have|get|be having))|"
    # a device's "read 38.4" ("the thermometer in the bum read 38.4") is a reading
    r"(i )?(?<!\bit )(?<!thermometer )(?<!meter )(?<!monitor )(?<!scale )(?<!watch )(?<!cuff )"
    r"(?<!strip )(?<!screen )(?<!machine )(?<!bum )(?<!ear )(?<!armpit )(?<!forehead )"
    r"(read|reading|googled|looked up|saw online)( about| that| online| up)?|"
    r"(dr\.? )?google (says|said)|(the )?internet (says|said)|"
    r"(thought|thinking|think|thinks) (it was|it's|it might be|it could be|of|about)|"
    r"(signs?|symptoms?|risk|chances?) of|"
    r"(peur|crainte|inquiete?|stresse?e?|panique\w*|angoisse\w*) (que ce soit|que ca soit|que c'est|que c'etait|"
    r"que ce serait|d'avoir|de faire|d'une?|de l'|de la|du|des|de|d')|"
    r"(j'ai )?lu (sur|a propos de|que|sur internet)?|en lisant (sur)?|vu sur (internet|google|tiktok)|"
    r"(pense|pensais|pensait|pense tout de suite|tout de suite pense) (a|que c'etait|que c'est)?|"
    r"comme (j'ai lu|sur internet)|(signes?|symptomes?|risques?) (d'|de|du|des))"
    r"( (a|an|the|my|un|une|le|la|les|l'|des|du|de|d'|mon|ma|syndrome de la|syndrome du))*\s*$"
)


# a new clause in the writer's own voice ends what a fear or a reading covers: "I read
# that pills can kill, I took 40 of my pills" tells what happened after the comma (not
# "on m'a dit que", "il paraît que": hearsay that goes on)
_NEW_SUBJECT = re.compile(
    r"[,;]\s+(and |et |then |puis |pis |so |alors |but |mais )?"
    r"(i|i'?ve|i'?m|i'?d|je|j'|j'ai)\b"
)


# ...but a form's question goes on through the writer's "I": "l'assurance me demande si, dans
# les 6 derniers mois, j'ai eu : douleur à la poitrine, AVC"
_ASKED_IF = re.compile(
    r"\b(demande|demandent|asks?|asked|wants? to know|veut savoir|veulent savoir) (si|s'ils?|if|whether)\b[^.;]{0,40}$"
)


def own_clause(before: str) -> str:
    """What of `before` (the words before a mention) follows the last new clause in the
    writer's own voice: what a fear, a reading or a form covers ends there."""
    cuts = (
        m.end() for m in _NEW_SUBJECT.finditer(before) if not _ASKED_IF.search(before, 0, m.start())
    )
    return before[max(cuts, default=0) :]


def feared(sentence: str, start: int) -> bool:
    """Are the words at `start` what the writer fears or read about, not what is happening?"""
    clause = own_clause(sentence[max(0, start - 70) : start])
    if not _found("feared", clause, _present(sentence)):
        return False  # (the common case, told by the sentence's words)
    m = _FEARED.search(clause)
    if m is None:
        return False
    # "je pense 15 chaque jour", "I think 20 of them": a count guessed, not a fear
    return not (_BARE_THINK.search(m.group(0)) and _NUMBER_AT.match(sentence, start))


_BARE_THINK = re.compile(r"\b(pense|pensais|pensait|think|thought)\s*$")
_NUMBER_AT = re.compile(r"\d")


@lru_cache(maxsize=4096)
def engaged(sentence: str, start: int) -> bool:
    """For a condition's bare name ("sepsis", "anaphylaxis", "stroke"): does the
    sentence put it on someone now? A name alone is as often a vaccine, a plan, a
    course, a question or a story ("the anaphylaxis plan section", "is sepsis
    contagious?") as an emergency; the patient's own description of what is
    happening is read by the other patterns."""
    present = _present(sentence)
    if _RECORDED.match(sentence, _name_end(sentence, start)):
        return False  # "had an anaphylaxis listed to penicillin": a chart entry
    if _ATTRIBUTIVE.match(sentence, _name_end(sentence, start)):
        return False
    # the words that put it on someone stand near the name, not anywhere in a long
    # sentence ("the vaccine against meningitis, is it given at school?" asks nothing now)
    if _SINCE_MY.search(sentence[max(0, start - 40) : start]):
        return False  # "ça fait 3 mois depuis mon infarctus", "since his stroke": the past
    if _FORMER_MY.search(sentence[max(0, start - 40) : start]):
        return False  # "mon ancienne méningite", "my old stroke": one that is over
    near = sentence[max(0, start - _NEAR_BEFORE) : start + _NEAR_AFTER]
    if _now(near, present) or _found("acute", near, present):
        return True
    if _found("generic_subject", sentence[:start], present):
        return False
    if _OTHERS_POSSESSIVE.search(sentence[max(0, start - 40) : start]):
        return False  # "teammate's cardiac arrest": someone else's, told as a topic
    return _NAME_LEAD.search(sentence[max(0, start - 40) : start]) is not None


def _clause_start(before: str, present: frozenset[str]) -> int:
    cut = 0
    if _found("terminate", before, present):
        for m in _TERMINATE.finditer(before):
            cut = m.end()
    for sep in _CLAUSE_BREAKS:
        idx = before.rfind(sep)
        if idx >= 0:
            cut = max(cut, idx + len(sep))
    return cut


def _list_start(text: str) -> int:
    """Where the clause before a mention starts, reading back over the short items
    of a list ("in case of cardiac arrest, stroke, or sudden collapse")."""
    cut = _comma(text)
    for _ in range(4):
        if cut == 0 or len(text[cut:].split()) > 4:
            break
        before = text[: cut - 1]
        prev = _comma(before)
        if len(before[prev:].split()) > 6:
            return prev
        cut = prev
    return cut


def generic_subject(sentence: str, start: int) -> bool:
    """Is the mention at `start` said of people in general ("calls from people thinking
    about suicide", "certains enfants font des convulsions")?"""
    return _found("generic_subject", sentence[max(0, start - 60) : start], _present(sentence))


# weeks of it, said first: "ça fait quelques semaines que je me réveille avec la main
# engourdie", "it's been a few weeks that my fingers go numb at night"
_WEEKS_LEAD = re.compile(
    r"\b(ca fait|cela fait|sa fait|it'?s been|for the (past|last)) (quelques|plusieurs|deux|trois|quatre|"
    r"\d+|a few|several|two|three|four|many) (semaines|mois|ans|annees|weeks|months|years)( que| now|,)|"
    # ...or as the sentence's first words: "bonjour depuis quelques mois je vois un peu flou"
    r"^\W*((bonjour|allo|salut|hi|hello),? )?depuis (environ |a peu pres |presque |pres d'|plus d'|au moins )?"
    r"((quelques|plusieurs|deux|trois|quatre|\d+) (semaines|mois|ans|annees)|(un|une) (mois|an|annee))\b|"
    # "For about a year, she has been losing words": the same, in English
    r"^\W*((hi|hello),? )?(for|over) (about |around |nearly |almost |more than |over )?"
    r"((a few|several|two|three|\d+) (years|months)|(a|one) (year|month))\b"
)


# small and local, by its size: "enflé grand comme une pièce de 2 piasses", "the size of a loonie",
# "rouge et enflée comme une pièce de deux dollars"
_SMALL_AFTER = re.compile(
    r"\s?((grand|gros|grosse|large|big|the size of|size of|la grandeur d')( comme| as)?|comme|like) (une?|a|an) "
    r"(piece|loonie|toonie|quarter|dime|nickel|coin|trente sous|vingt-cinq sous|pois|pea|grain de riz|bouton)\b"
)
# treated already: "on m'a opéré pour l'appendicite le soir même"
_TREATED_BEFORE = re.compile(
    r"\b(opere|operee|operated on|had surgery|removed|enleve|enlevee)( \w+){0,2} (pour|for|de|d') ?(l'|la |le |une? |an? |my |mon |ma |his |her )?$"
)


def small_or_treated(sentence: str, start: int, end: int) -> bool:
    """The mention is a small local one by its size, or one already operated on, or the
    sentence says it hurts where a rib is pressed, is eased by antacids or lasted a second."""
    present = _present(sentence)
    return (
        bool(_SMALL_AFTER.match(sentence, end))
        or _found("treated_before", sentence[max(0, start - 50) : start], present)
        or _found("sore_or_fleeting", sentence, present)
    )


# sore where it is pressed, heartburn that antacids settle, a pang over in a second: "une douleur
# dans la poitrine quand j'appuie sur une côte", "the burning ... goes away with Tums", "un petit
# serrement dans la poitrine en riant hier, une seconde"
_SORE_OR_FLEETING = re.compile(
    r"\b((poitrine|chest)( [\w']+){0,6} (quand|lorsque|when|if) (j'? ?|je |i )?(appuie|press\w*) (sur|on) "
    r"(une |la |ma |a |the |my )?(cote|cotes|rib|ribs|sternum|breastbone)|"
    r"like a pulled muscle|comme un muscle (etire|froisse)|"
    r"(goes|go|went|gone|part|passe) (away )?(with|avec) (a |une? |des? |les? )?(tums|rolaids|gaviscon|rennie|antacids?|antiacides?)|"
    r"(tums|rolaids|gaviscon|rennie|antacids?|antiacides?) (settles?|settled|helps?|fixes|fait passer|soulage\w*)|"
    # (not "blacked out for a second": a faint is what is told)
    # (nor "chest pain, a second attack this week": only the pang's length, said last)
    r", (une|a|one) (seconde|second)(?=\s*([.;!?]|$)))"
)
# slowly, not at once: "elle cherche ses mots ... tout doucement, pas d'un coup". Read by lasting(),
# so never for a rule marked prefer_urgent; its older twin, "rien de soudain" said right after the
# mention, is in _POST_CONTEXT and reads for every rule
_GRADUAL = re.compile(
    r"\b(pas d'un coup|pas soudain\w*|not (all of a |)sudden(ly)?|tout doucement|peu a peu|petit a petit|"
    r"little by little|bit by bit)\b"
)


def lasting(sentence: str, start: int) -> bool:
    """Does the sentence open by saying the mention has gone on for weeks or more, or say
    that it came slowly ("tout doucement, pas d'un coup"), with nothing saying it is new or
    worse today? (Not for self-harm: weeks of it is urgent.)"""
    present = _present(sentence)
    return (
        _found("weeks_lead", sentence[:start], present) or _found("gradual", sentence, present)
    ) and not _now(sentence, present)


def history_inside(words: str) -> bool:
    """A match that spans its own history: "a reaction to penicillin as a baby, my face swelled"."""
    present = _present(words)
    return _found("context", words, present) or _found("history", _SINCE.sub(" ", words), present)


def resolved_after(next_sentence: str) -> bool:
    """Does this sentence say that what the one before told is over?"""
    # (a sentence keeps the space after the full stop before it; "^" means its first word)
    # (the words of the whole sentence gate the stripped one: the same words)
    return _found("resolved_after", next_sentence.strip(), _present(next_sentence))


def happening_now(sentence: str) -> bool:
    return _now(sentence, _present(sentence))


# "Today finish, no pain.": "today" there dates the end, not the symptom
_FINISHED_TODAY = re.compile(
    r"^\W*(today|now|maintenant|aujourd'hui|ce matin|this morning),? (finish|finished|fini|finie|termine)\b"
)


def says_now(next_sentence: str) -> bool:
    """Does a sentence that may say "it is over" also say something is happening now?"""
    return happening_now(_FINISHED_TODAY.sub(" ", next_sentence.strip()))


def _comma(text: str) -> int:
    return max(text.rfind(sep) + len(sep) if text.rfind(sep) >= 0 else 0 for sep in _CLAUSE_BREAKS)


# -- a story that is over ------------------------------------------------------------
# "On Saturday my father got shaky and sweaty, his meter said 2.8. I gave him juice
# and 20 minutes later he was fine. No lows since." A message that tells a past event
# and says later that it ended well: the event's sentences are history, unless any
# sentence says something is happening now or again.
_STORY_PAST = re.compile(
    r"\b(yesterday|last night|the other day|over the weekend|after (delivery|the birth|birth|my c-section)|apres l'accouchement|on est alle\w*|we went|we took (him|her)|la fois (que|ou)|au mois d'?\w+|at (lunch|breakfast|supper|dinner)|quand \w+ a (fait|eu)|this past weekend|on the weekend|"
    r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
    # treated in time, then told as mending: "a été traité à temps ... il récupère bien"
    r"(a|ont|avait) ete (traite|soigne|pris en charge|opere|hospitalise)e?s? (a temps|rapidement|tout de suite|vite)|"
    r"(was|were|got) treated (in time|right away|quickly|fast)|"
    # a past perfect and an update's opening: "she'd swallowed two of my pills", "to close the loop"
    r"(she|he|i|we|they|you)'d (swallowed|taken|eaten|drunk|drank|got into|gotten into)|(just )?to close the loop|"
    # "after emerg gave me epinephrine", "ils m'ont donné de l'épinéphrine"
    r"(emerg|the er|the hospital|l'urgence|the paramedics|ambulance) (gave|has given|have given) (me|him|her|us) (epi\w*|adrenaline|steroids?|a shot|an injection)|"
    r"(ils|ambulanciers|on) (m'ont|m'a|lui ont|lui a) (donne|administre) (de l'|la |le |des |une )?(epinephrine|adrenaline|cortisone|injection)|"
    r"(l'urgence|the er|emerg|l'hopital|the hospital) (m'a|m'ont|gave me|has given me) (donne|gave|given|traite\w*|soigne\w*)|"
    # May, not the modal: "in May my daughter had an allergic reaction", "en mai"
    r"in may,? (my|his|her|our|we|i|he|she|they|the|of|last)\b|(en|au mois de) mai\b|"
    r"(avait|avaient|j'avais) (saigne|eu|fait|perdu)|(de|en|au mois de|in|last) (janvier|fevrier|mars|avril|juin|juillet|aout|septembre|octobre|novembre|decembre|january|february|march|april|june|july|august|september|october|november|december)|"
    r"(le dispensaire|l'infirmiere|l'hopital|l'urgence|the nursing station|the nurse) (m'a|lui a|nous a|leur a|gave (me|him|her|us)) (donne|administre|epi\w*|adrenaline)|"
    r"(j'ai fait|j'ai eu|i made|i had) (une|a|an) (tentative|suicide attempt|attempt|overdose|surdose)( [\w']+){0,3} (a|at|when i was|quand j'avais) \d{1,2}( ans| years old)?\b|(i|we) went (straight |right |directly )?to (the )?(er|emerg\w*|hospital|walk-in)|(they|the doctors?|the nurses?) (gave|had given) (me|him|her|us) (epi\w*|adrenaline|steroids)|(je suis|on est|nous sommes) alle\w* a l'(urgence|hopital)|ce soir-la|cette nuit-la|ce jour-la|that (night|evening|day)|(\d+|a|one|two|three|few|couple of) "
    r"(days?|weeks?|months?|years?) ago|last (week|month|year|\w+day|easter|christmas|passover|thanksgiving)|"
    + _WHEN_PAST
    + r"|hier|avant-hier|l'autre jour|(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)|"
    r"(la|cette) (fin de )?semaine (passee|derniere)|en fin de semaine|il y a (\w+ )?(jours?|semaines?|mois|ans?)|"
    r"hospitalisee?s? (\d+|quelques|deux|trois|quatre) jours|"
    r"l'ambulance (l'|les|m') ?a (amenee?|emmenee?|transportee?)|the ambulance took (him|her|me)|"
    r"(mon mari|ma femme|mon chum|ma blonde|mon fils|ma fille|mon pere|ma mere|mon frere|ma soeur) (m'a|l'a|nous a) (amenee?|emmenee?|conduite?) a l'(urgence|hopital)|"
    r"(the )?(paramedics|ambulance) took (him|her|them|me) to|(ils|they) (m'ont|l'ont|kept me|kept him|kept her) (gardee?|for) \d+ (heures|hours)|"
    r"(l'ambulance|les ambulanciers|les paramedics) (est|sont) (venue?s?|arrivee?s?)|(the )?(ambulance|paramedics) (came|arrived)|"
    r"(we|i|she|he|and|then) called 911|(was|were) seen (at|in|by) (the )?(er|emerg\w*|hospital|children'?s|walk-in|urgent care)|(on a|j'ai|il a|elle a) appele (le )?911|(they|paramedics) took (him|her|them|me) in|"
    r"(fait|eu|mis|pose) des points (a l'hopital|a l'urgence|au sans rendez-vous|a la clinique)|(got|had|needed) stitches (at|in) (the )?(er|emerg\w*|hospital|walk-in|clinic)|"
    r"(a eu|a passe|had|got) (son|sa|ses|his|her|the|a) (scan|scanner|ct|irm|mri|radio\w*|x-?rays?|tests?|examens?)|(was|were) (in (the )?hospital|admitted|hospitali[sz]ed) for (\d+|a few|two|three|four) days)\b"
)
# It ended well, in the writer's words.
_STORY_FINE = re.compile(
    # the swelling gone after the ER's treatment: "l'enflure est partie. Je n'ai plus rien."
    r"\b((l'enflure|la rougeur|les plaques|l'urticaire|the swelling|swelling|the rash|the hives|hives)( \w+)? "
    r"(est partie|sont parties|went down|is gone|are gone|has gone down|disparu\w*|a degonfle)|je n'ai plus rien|"
    r"and (is|are|was) (now )?(totally |completely |perfectly |doing )?(fine|ok|okay|well|good|better) now|"
    r"(he|she|i|we|they|it|dad|mom)('s|'re|'m| was| were| is| are| am| has been| have been|'ve been|'s been| been) "
    r"(totally |completely |perfectly |back to |all |doing )?(fine|ok|okay|well|normal|better|good|great|"
    r"himself|herself|myself|healed)|completely (herself|himself|fine|recovered)|"
    # survived and recovering: "He's alive and doing okay now"
    r"(he|she|they)('s|'re| is| are) alive and (doing )?(fine|ok|okay|well|good|better)|"
    # "she's fully recovered now"
    r"(he|she|i|they)('s|'m|'re| is| am| are| has| have) (fully|completely|totally) recovered( now)?|"
    # "ce matin, elle est redevenue elle-même"
    r"((ce matin|this morning|aujourd'hui|today),? )?((elle|il|je) )?(est |etait |suis )?redevenue? (elle|lui|moi)[- ]meme|"
    r"no (more )?(lows|seizures|episodes|symptoms|problems|pain|bleeding|reactions?|fever) since|no more since|none since|(pas|plus) d'autres? depuis|"
    r"(tout est|tout s'est|c'est|ca s'est) (parti|passe|disparu)|(c'est |est )?(completement |tout )?guerie?\b|(je suis|il est|elle est) retournee? au travail|"
    # ("in 15 minutes he was 6.1, then fine all day")
    r"in \d+ (minutes|mins) (i|he|she) was ([\d.,]+,? )?(and |then )?(fine|ok|okay|better|good)|"
    r"en (\d+|cinq|dix|quinze|vingt) (minutes|min) (j'etais|j'allais|il etait|elle etait|il allait|elle allait) (correcte?|bien|ok|mieux)|"
    r"(was|were) (at )?[\d.,]+ and back to (himself|herself|myself|normal)|"
    # a later reading back in range: "Drank juice and it was 6.8 fifteen minutes later, and it's
    # 7.1 this morning", "c'était remonté à 6,2 vingt minutes après"
    r"(it'?s|it is|it was|i'?m|i was|he'?s|she'?s|he was|she was|c'est|c'etait|il etait|elle etait|j'etais) (back )?(up )?(at |to |a |remonte a |rendu a )?[4-9][.,]\d( \w+){0,2} (later|after|afterwards|this morning|ce matin|apres|plus tard)|(he'?s|she'?s|i'?m|he is|she is|i am) at [\d.,]+ and (fine|ok|okay|good|normal)|(pas|plus) de fievre depuis|"
    r"(il|elle) (joue|mange|boit|court)( et (joue|mange|boit|court))? (normalement|bien|comme d'habitude|comme avant)|"
    r"healed (up )?(nicely|well|fine)|(almost|all|completely) gone|back to normal|"
    # "Took a Benadryl and it was gone by the evening."
    r"(it|they|the swelling|the rash|the hives)( was| were|'s| had)? (all |completely )?gone by (the )?(evening|night|morning|next day|bedtime|supper)|"
    # "Fine today.", "He's back now.", "Correcte aujourd'hui."
    r"(?<![\w'] )(all )?(fine|ok|okay|good|well|correcte?|bien) (today|now|since|aujourd'hui|maintenant|depuis)(?=\W*$)|"
    r"(he|she|they)('s|'re| is| are) (back|home)( home)? now|"
    r"(?<!dit qu')(il|elle|je|j') ?(va|vais|allait|allais) (tres |super |tout a fait |ben |bien )?bien|"
    r"(?<=dit qu')(il|elle) va (tres |super |tout a fait |ben |bien )?bien(?!\s*(\.\.|…))|"
    r"(il|elle|je|et) (recupere|se remet|se retablit|prend du mieux) (bien|tranquillement|vite)|(is|he'?s|she'?s) recovering (well|nicely)|"
    # (not medicines taken as usual: "Je prends mes pilules de pression comme d'habitude")
    r"tout est (rentre dans l'ordre|correct|beau|normal|revenu)|"
    r"(?<!pression )(?<!pilules )(?<!medicaments )(?<!remedes )(?<!insuline )(?<!pompes )comme d'habitude|"
    r"(tout s'est|ca s'est) (bien|tres bien|super bien) passe|(is|he'?s|she'?s) stable( and (being )?discharged)?|being discharged|"
    r"((ce matin|this morning|aujourd'hui|today) )?((elle|il|je) (est|suis) )?redevenue? (elle|lui|moi)-meme|back to (herself|himself|myself)|"
    r"((maintenant|depuis) )?((il|elle|je|j') ?)?(n')?(a|ai|avait) plus de (fievre|symptomes|douleur)|(il|elle|j') ?(a|ai) tout recupere|(fully|completely) recovered|recupere (completement|au complet)|(est|etait) (revenue? )?correcte?|came (right )?(around|to)|"
    r"(je|il|elle|j') ?(respire|respirait|dors|mange|marche) (tres |ben |bien |super )?(bien|normalement|normal|mieux)|"
    r"(ca|cela) va (beaucoup|bien|ben|tellement) mieux|(i|je) (feel|me sens) (good|fine|ok|okay|well|better|bien|mieux)( today| now| aujourd'hui| maintenant)|"
    r"(ca|cela) va (tres |super |ben |vraiment )?(bien|ben)|"
    r"(i'?m|i am|he'?s|she'?s|he is|she is) breathing (fine|well|normally|ok|okay|better)|"
    r"breathing (totally |completely |perfectly )?(normal|normally|fine)|(feeling|i felt) (stronger|better|okay|ok|fine|good|well|normal)|(la plaie|la coupure|la blessure|the cut|the wound|the gash)( \w+)? (est|is) (belle|beau|propre|clean|healing|healed|guerie?|fermee?|healing (well|nicely))|"
    # treated and on the mend: "elle est en réadaptation maintenant", "I'm out now" (not "im out on
    # the ice doing mussels": out at work)
    # (not what she does not know: "dosnt know the day or that shes home")
    r"(est|is|are|sont) (maintenant |now )?(en readaptation|in rehab\w*|en convalescence)|(?<!thinks )(?<!believes )(?<!thought )(?<!that )(?<!know )(?<!knows )(i'?m|i am|he'?s|she'?s|he is|she is) (out|discharged|back home|home)\b(?! (all day|all the time|tonight|today|tomorrow|at \d|by \d|alone|with (me|us|them|the kids)|from (nights|days|work|(his|her|the) shift|the (mine|plant|mill|camp|site|rig|pit))))(?<!out(?= (on|in|at|here|there|of|doing|fishing|hunting|working|picking|hauling|past|by)\b))|(je suis|il est|elle est) sorti\w* de l'hopital|(i'?m|je suis) (home|a la maison) now|(running around|playing|acting|eating) (totally |completely |perfectly )?(normal|normally|fine|like (himself|herself|usual))|(he'?s|she'?s|he is|she is|they'?re|they are) (playing|eating|drinking|running around|laughing)( and (playing|eating|drinking|running around|laughing))? (today|now|again|fine|normally|like (himself|herself|usual))|(il|elle|je) va (beaucoup |bien |ben )?mieux)"
    r"( now| maintenant| depuis| since| with \w+| aujourd'hui| today| ce matin| this morning)?\b"
)
# How someone was before it began, not how it ended: "she was fine yesterday",
# "hier elle était correcte".
_BASELINE = re.compile(
    r"\b((was|were|etait|etaient|allait) (totally |completely |perfectly |tout a fait )?(fine|ok|okay|normal|well|good|"
    r"correcte?|bien|normale?|comme d'habitude) (yesterday|hier|before|avant|until|jusqu'a|last night|la veille|"
    r"the day before|this morning|ce matin|a matin|at (breakfast|lunch|supper|dinner|noon|midday)|a midi|"
    # "he was completely normal when we woke up": how it was before, not how it ended
    r"when (we|he|she|i|they) (woke up|got up|went to bed|left|had breakfast)|quand (on|il|elle|je|j') (s'est|se sont|me suis|s'est) (leve|levee|leves|reveille|reveillee|couche|couchee)s?|au (reveil|lever|dejeuner))|"
    r"(yesterday|hier|before|avant|last night|la veille|this morning|ce matin|a matin|hier soir|hier au soir|yesterday evening)[, ]+(he|she|il|elle|i|je|j') "
    # ("Hier soir il était comme d'habitude.": how he was before, not how it ended)
    r"(was|were|etait|allait|etais|allais) (totally |completely |perfectly |tout a fait |tres |super |ben )?(fine|ok|okay|normal|well|good|correcte?|bien|normale?|comme d'habitude|his usual self|her usual self))\b"
)
# Someone qualified cleared it: "the ER said it was a febrile seizure", "scans were okay",
# "le Centre antipoison a dit qu'il y avait pas de danger".
_STORY_CLEARED = re.compile(
    r"\b((er|emerg\w*|doctors?|dr|nurses?|paramedics|hospital|they|poison control|urgence|medecins?|"
    r"ambulanciers|centre antipoison|ils|neurologue|cardiologue) ([\w']+ ){0,3}(said|told (me|us|him|her|them)|"
    r"ont dit|a dit|m'a dit|nous a dit|dit que|disent que)|"
    r"(scans?|tests?|ecgs?|ct|x-?rays?|bloodwork|electro|results?) (were|was|came back|all) (ok|okay|normal|clear|fine)|"
    r"everything (was |is |came back |looked )?(normal|fine|ok|okay|clear)|"
    r"(they|ils) (said|ont dit) (the amount|it|que (c'?etait|la quantite)) ?(was|is|etait)? ?(safe|fine|ok|okay|harmless|sans danger|correct)|"
    r"(amount|dose|quantite) (was|is|etait|est) (safe|fine|ok|sans danger)|"
    r"pas de danger|(c'etait|c'est) pas grave|(n'etai(en)?t|n'est|ne sont|n'etaient) pas dangereu\w*|(wasn'?t|weren'?t|was not|were not|not) (dangerous|harmful)|tout (etait|est) (beau|correct|normal|ok|negatif)|"
    # (after other words: "the scan showed no bleeding", "didn't hit my head, no bleeding"; a
    # sentence of its own, "No bleeding.", or "... but no bleeding" after new symptoms is a
    # symptom denied, not a story cleared: "a sudden stabbing pain ... vomited 4 times ... No
    # bleeding.")
    r"(?<=[\w,;] )(?<!but )(?<!and )(?<!mais )(?<!et )(?<!pis )(sans saignement|no bleed\w*|pas de saignement)|"
    r"turned out (to be|it was) (a |an |just |only |nothing)|(c'etait|it was) (juste |just |only |seulement )(un|une|a|an) (muscle|claquage|pulled|strain|tendon|muscle froisse)|"
    r"(a eu|got|received|had) (le|son|sa|the|his|her) (traitement|treatment|clot buster) (a temps|in time)|"
    r"(scan|scanner|ct|tests?|radio\w*|resultats?)( \w+){0,3} (etait|etaient|sont|est|was|were) (beaux?|corrects?|normale?s?|normaux|ok|negatifs?|clear|fine)|no tests needed|discharged|not toxic|non-?toxic|"
    r"(watched|observed|monitored|kept) (for )?(\d+|a few|several|six|four|five) (hours|hrs)|(gardee?|surveillee?) (\d+|quelques|six|quatre) heures|"
    r"(soignee?|traitee?|treated) (a|at) l?'?(hopital|urgence|the hospital|the er|emerg)|(le dispensaire|the nursing station|l'infirmiere|the nurse) (m'a|l'a|nous a|m'ont|les a) (traitee?s?|soignee?s?)|(the nursing station|the nurse) treated (me|him|her|us)|"
    r"(electro|ecg|ekg|prises de sang|bloodwork|blood tests?|tests?)([, ]+[\w']+){0,4},? (tout )?(normal|normaux|normales?|clear|fine)|tout (etait |est )?normal\b|(est|is|was|etait) (maintenant |now )?(\w+ et |\w+ and )?stable\b|"
    r"sent (us|her|him|me|them) home|(was |were |got |been )?sent home(?! (from|early from) (work|school|daycare|class|the office|my shift))|"
    # "they checked her levels and she was fine", "ils ont vérifié pis tout était beau"
    r"(they|ils|the doctors?|the er|the nurses?|on l'a|on m'a) (checked|tested|monitored|examined|ont (verifie|teste|examine)|verifie|teste|examine)( [\w']+){0,3},? (and|et|pis) (she|he|it|il|elle|they|everything|tout|i|je|j')( \w+)? (was|were|etait|etaient|est|allait) (fine|ok|okay|normal|correcte?|beaux?|bien)|"
    r"(il|elle) est (revenue?|de retour) (a la maison|chez (lui|elle|nous))|"
    r"(back|came) home from (the )?hospital|(sortie?|released) (de l'hopital|from (the )?hospital)|(they|paramedics|ambulance) (didn'?t|did not) (take|bring) (him|her|me|them) (in|to)|(ils|ambulanciers) (l'|les|m') ?ont (pas|pas eu besoin de l') ?(amenee?s?|emmenee?s?|transportee?s?)|(nous|l'|les|m') ?(a|ont) (renvoye|retourne)e?s? a la maison|negatifs?|negatives?)\b"
)


_ONLY_A_TIME = re.compile(
    r"^\W*(this morning|today|tonight|now|ce matin|a matin|aujourd'hui|ce soir|maintenant)?\W*$"
)


# a story told and how it ended, found as the context expressions are (`_found`)
_G.update(
    story_past=GatedAny(_STORY_PAST),
    story_fine=GatedAny(_STORY_FINE),
    story_cleared=GatedAny(_STORY_CLEARED),
    # asked of every sentence after the first of a message that mentions anything
    resolved_after=GatedAny(_RESOLVED_AFTER),
    # asked of most mentions before their context is judged (`feared`, `lasting`,
    # `small_or_treated`): gated by the words of the whole sentence, a window's too
    feared=GatedAny(_FEARED),
    weeks_lead=GatedAny(_WEEKS_LEAD),
    gradual=GatedAny(_GRADUAL),
    treated_before=GatedAny(_TREATED_BEFORE),
    sore_or_fleeting=GatedAny(_SORE_OR_FLEETING),
)
_INDEX = LiteralIndex(lit for g in _G.values() for lit in g.literals)


# All is well now, said first: "Tout est correct maintenant.", "All good now, thanks."
_FINE_NOW = re.compile(
    r"^\W*(tout est (correct|beau|ok|correcte|rentre dans l'ordre)|all (good|fine|ok|okay|better)|"
    r"everything('s| is) (fine|ok|okay|good)|i'?m (fine|ok|okay|good|all right)|je vais bien|ca va bien)"
    r"( now| maintenant| asteure| astheure)\b"
)


# What the writer asks for after the story, "now" meaning from here on ("je voudrais 2
# EpiPen maintenant", "could I get a refill now"): not the event happening again.
_REQUEST_NOW = re.compile(
    r"\s*((je voudrais|j'aimerais|je veux|pourrais-je|est-ce que je (peux|pourrais)|i'?d like|i would like|"
    r"could i (get|have)|can i (get|have)|may i (get|have)|i need (a|an|my|the|some|\d)|"
    r"j'ai besoin (de|du|des|d'(?!aide)\w+)) "
    # a plan, not a relapse: "We want to try again." (for a baby), "we want to travel again"
    r"|(we|i|he|she) (wants?|would like|'d like|hopes?|are hoping|is hoping|am hoping|plans?) to "
    r"(try|travel|go|start|work|fly|drive|play|swim|run|ski|hunt|fish|camp|get pregnant|conceive)( \w+)? again\b)"
    r"(?!.*\b(help|aide|ambulance|911|urgence|er)\b)"
)


@lru_cache(maxsize=1024)
def resolved_story(sentences: tuple[str, ...]) -> tuple[frozenset[int], frozenset[int]]:
    """Sentences of a past event that a later sentence says ended well: (by the
    writer's word, by a professional's). Nothing when any sentence of the message,
    from the event on, says it is happening now or again."""
    if not any(_found("story_past", s, _present(s)) for s in sentences):
        return frozenset(), frozenset()  # no past event told: the common case, one scan
    sentences = tuple(_BASELINE.sub(" ", s) for s in sentences)
    fine = [n for n, s in enumerate(sentences) if _found("story_fine", s, _present(s))]
    cleared = [n for n, s in enumerate(sentences) if _found("story_cleared", s, _present(s))]
    last = max(fine + cleared, default=-1)
    if last < 0:
        return frozenset(), frozenset()
    start = next((n for n in range(last + 1) if _STORY_PAST.search(sentences[n])), None)
    if start is None and fine == [0] and _FINE_NOW.search(sentences[0]):
        # it opens by saying all is well now, then tells what happened: "Tout est correct
        # maintenant. Mon amie m'a donné mon EpiPen pis l'ambulance m'a amenée"
        start = next(
            (n for n in range(1, len(sentences)) if _STORY_PAST.search(sentences[n])), None
        )
        last = len(sentences) - 1
        # what it said first holds for the story after it
        fine, cleared = fine + [last], cleared + ([last] if 0 in cleared else [])
    if start is None:
        return frozenset(), frozenset()
    if any(
        happening_now(rest := _STORY_FINE.sub(" ", s))
        and not _REQUEST_NOW.match(s)
        # "This morning he's at 7.2 and fine.": the time dates how well he is
        and not (rest != s and _ONLY_A_TIME.match(rest))
        for s in sentences[start:]
    ):
        return frozenset(), frozenset()
    story = frozenset(range(start, last + 1))
    ends = max(fine, default=-1) >= start, max(cleared, default=-1) >= start
    return (story if ends[0] else frozenset()), (story if ends[1] else frozenset())
