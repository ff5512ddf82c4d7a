"""Which verbs are event triggers: lexicon rows matched against the parse (pure).

A verb triggers a row when its lemma (or lemma + particle: "pull out", "call for") is the row's
trigger, its clause is asserted (not "forces backed by Turkey", "calls to withdraw", "a deal
meant to reopen ports"), and the row's object/subject constraints hold. A trigger inside
another typed trigger's complement ("agreed to withdraw", "accused X of attacking", "marched to
denounce") or under a denial or a command ("denied attacking", "ordered police to block") is
folded into it: it is not an event of its own.
"""

from __future__ import annotations

from collections.abc import Mapping

from spacy.tokens import Token

from transforms.nlp.entities import ResolvedEntities
from transforms.nlp.lexicon import Lexicon, LexiconEntry, quad_class
from transforms.nlp.patterns import BLOCKED, match_generated
from transforms.nlp.syntax import (
    CROWD_NOUNS,
    GOVERNMENT_NOUNS,
    GROUP_NOUNS,
    LIGHT_NOUNS,
    MEASURE_NOUNS,
    MILITARY_NOUNS,
    PERSON_NOUNS,
    PLACE_LABELS,
    PLACE_NOUNS,
    SPEAKER_PRONOUNS,
    agent_of,
    direct_object,
    governors,
    is_headline,
    noun_lemma,
    relative_clause,
    source_of,
    speaks_for,
    subject_of,
)

# "denied attacking", "ordered police to block roads": the embedded act is not asserted
BLOCKERS = frozenset({"deny", "dismiss", "rule", "order", "instruct", "tell", "direct",
                      # wishes and needs: "Beijing wants Trump to provide relief"
                      "want", "wish", "hope", "need", "like", "prefer", "see", "fear"})


_MONEY_NOUNS = frozenset({"dollar", "euro", "pound", "yen", "yuan", "rupee", "franc", "rouble",
                          "ruble", "shekel", "riyal", "dirham", "lira", "$", "€", "£"})


def _obj_lemmas(obj: Token) -> set[str]:
    """The object's lemma, its compounds', and a measured noun's ("aid convoys" -> convoy, aid;
    "companies of soldiers" -> company, soldier)."""
    lemmas = {noun_lemma(obj)} | {noun_lemma(c) for c in obj.children if c.dep_ == "compound"}
    measured = noun_lemma(obj) in MEASURE_NOUNS or obj.like_num  # "two companies of soldiers"
    # "500 million euros in aid", "$2 billion in loans"
    money = noun_lemma(obj) in _MONEY_NOUNS or any(c.lower_ in _MONEY_NOUNS for c in obj.children)
    if measured or money:
        for prep in obj.children:
            if prep.dep_ == "prep" and (prep.lower_ == "of" or money and prep.lower_ == "in"):
                for pobj in prep.children:
                    if pobj.dep_ == "pobj":
                        lemmas |= _obj_lemmas(pobj)
    return lemmas


def _fits_object(entry: LexiconEntry, obj: Token | None, res: ResolvedEntities,
                 verb: Token | None = None) -> bool:
    """The row's object constraint, any of: lemmas; PLACE / PERSON / ENTITY / PARTY (a named
    party, people or a group of them: "met officials", not "met the demand"); XCOMP (a
    to-infinitive: "offered to mediate"); +prep ("talked with/to someone", "asked for"); or
    NONE alone (intransitive: "protesters demonstrated", not "demonstrate ways")."""
    if entry.source and not (verb is not None and source_of(verb, entry.source) is not None):
        return False  # "received a loan" from nobody named: no giver to code
    if not entry.objects:
        return True
    if "NONE" in entry.objects:
        return obj is None
    children = list(verb.children) if verb is not None else []
    # "+for": a preposition; "+on strike": a preposition with that object ("went on strike")
    required = [o[1:].split(" ", 1) for o in entry.objects if o.startswith("+")]
    # the preposition on the verb, or on its object as the parser often hangs it ("accused the
    # army of war crimes", "asked the government for help")
    below = children + (list(obj.children) if obj is not None else [])
    if required and any(c.dep_ == "prep" and [c.lower_] == r[:1] and (
            len(r) == 1 or any(o.dep_ == "pobj" and noun_lemma(o) == r[1] for o in c.children)) and (
            "PARTY" not in entry.objects  # "met with X": X is a party
            or any(o.dep_ == "pobj" and _is_party(o, res) for o in c.children))
            for c in below for r in required):
        return True
    if "XCOMP" in entry.objects and any(  # the parser often calls "asked X ... to help" advcl
        c.dep_ == "xcomp" or c.dep_ == "advcl" and any(a.dep_ == "aux" and a.lower_ == "to"
                                                       for a in c.children)
        for c in children
    ):
        return True
    # "provided Ukraine with air defence systems": the party is the object, the thing "with"
    if any(_obj_lemmas(o) & entry.objects for c in children if c.dep_ == "prep" and c.lower_ == "with"
           for o in c.children if o.dep_ == "pobj"):
        return True
    if obj is None:
        return False
    lemmas = _obj_lemmas(obj)
    if lemmas & entry.objects:
        return True
    eid = res.token_entity.get(obj.i)
    label = res.by_id[eid].label if eid else ""
    if "PLACE" in entry.objects and (label in PLACE_LABELS or lemmas & PLACE_NOUNS and not (
            obj.i + 1 < len(obj.doc) and obj.doc[obj.i + 1].lower_ == "that")):
        return True  # but "took the position that ..." is a view, not a place
    if "PERSON" in entry.objects and (label == "PERSON" or lemmas & PERSON_NOUNS
                                      or label == "NORP" and obj.tag_ in ("NNS", "NNPS")):
        return True  # "freed five Americans": a nationality in the plural is people
    if "PARTY" in entry.objects and _is_party(obj, res):
        return True
    return "ENTITY" in entry.objects and bool(label)


def _is_party(token: Token, res: ResolvedEntities) -> bool:
    """A named party, a person or a group: "met officials", "met him"; not "met its target",
    "targets that Congress must meet", "met with strong objections"."""
    eid = res.token_entity.get(token.i)
    if eid and res.by_id[eid].label in _AGENT_LABELS:
        return True
    if token.pos_ == "PRON":
        return token.lower_ in _PERSONAL_OBJECTS
    return bool(_obj_lemmas(token) & _PARTY_LEMMAS)


def _fits_subject(entry: LexiconEntry, subj: Token | None, res: ResolvedEntities) -> bool:
    if not entry.subjects:
        return True
    if subj is None:
        return False
    lemma = noun_lemma(subj)
    if lemma in entry.subjects:
        return True
    eid = res.token_entity.get(subj.i)
    if "MILITARY" in entry.subjects and (
        lemma in MILITARY_NOUNS or eid and res.kind.get(eid) == "armed"
        or any(c.lemma_.lower() in MILITARY_NOUNS for c in subj.children if c.dep_ == "compound")
    ):
        return True
    if "AGENT" in entry.subjects and (
        eid and res.by_id[eid].label in _AGENT_LABELS or lemma in GROUP_NOUNS or lemma in CROWD_NOUNS or lemma in PERSON_NOUNS
        or subj.lower_ in ("he", "she", "they", "we", "who")
    ):
        return True  # someone acted: not "the storm killed", "the curbs threaten"
    if "STATE" in entry.subjects and (  # a named party, armed forces, a government: no crowd
        eid and res.by_id[eid].label in _AGENT_LABELS or lemma in MILITARY_NOUNS or lemma in GOVERNMENT_NOUNS
    ):
        return True
    return "CROWD" in entry.subjects and lemma in CROWD_NOUNS


_AGENT_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP"})  # not "the Black Death"
_PARTY_NOUNS = frozenset({"colleague", "partner", "creditor", "investor", "banker", "union",
                          "executive", "counterpart", "delegate", "rival", "opposition"})
# verbs whose -ing complement is still undecided ("is considering asking", "mulled sending")
_UNDECIDED = frozenset({"consider", "contemplate", "mull", "weigh", "ponder", "debate",
                        "study", "explore"})
# things a GROUP_NOUNS entry stands for in an attack ("Houthi targets"), not parties one meets
_PARTY_LEMMAS = (PERSON_NOUNS | GROUP_NOUNS | GOVERNMENT_NOUNS | CROWD_NOUNS | _PARTY_NOUNS) - {
    "position", "target", "stronghold", "outpost", "hideout", "headquarters", "installation"}
_PERSONAL_OBJECTS = frozenset({"him", "her", "them", "us", "me", "you", "whom", "who",
                               "each", "one", "himself", "herself", "themselves"})
_INDEFINITE = frozenset({"anyone", "anybody", "whoever", "everyone", "everybody", "those",
                         "someone", "somebody", "anything", "whatever"})


def asserted(token: Token) -> bool:
    """The clause of a verb is asserted, not a modifier of a noun: "forces backed by Turkey",
    "calls to withdraw", "a deal meant to reopen ports" are not events ("a statement welcoming"
    is: the statement is the act)."""
    if any(c.dep_ == "aux" and c.lower_ in _MODALS for c in token.children):
        return False  # "each nation must negotiate", "Tokyo could remove": a duty or a chance
    current: Token | None = token
    while current is not None:
        head = current
        while head.dep_ == "conj" and head.head.i != head.i:
            head = head.head
        if head.dep_ in ("amod", "compound", "nmod"):
            return False
        if head.dep_ == "acl" and head.head.lemma_.lower() not in LIGHT_NOUNS:
            return False
        if head.dep_ == "relcl" and any(c.dep_ == "aux" and c.lower_ == "to" for c in head.children) \
                and not (head.head.dep_ == "ROOT" and head.head.i < head.i and is_headline(head.sent)):
            return False  # "calls to withdraw": an infinitival relative is not asserted (but
            # "Macron to visit China" is a headline the parser read as one)
        if head.dep_ == "relcl" and head.head.lower_ in _INDEFINITE:
            return False  # "anyone who tried to block roads": nobody in particular did
        if head.dep_ in ("advcl", "ccomp", "csubj") and any(
            c.dep_ == "mark" and c.lower_ in ("if", "unless", "whether") for c in head.children
        ):
            return False  # "if convicted", "whether Trump will agree": conditions, not facts
        if head.dep_ == "pcomp" and head.head.head.pos_ in ("NOUN", "PROPN"):
            return False  # "his fear of being extradited": a noun's complement
        if head.dep_ == "xcomp" and head.head.lemma_.lower() in _UNDECIDED:
            return False  # "is considering asking": nothing asked yet
        if head.dep_ in ("xcomp", "advcl") and head.head.pos_ in ("ADJ", "ADV") and any(
                c.lower_ == "too" for c in head.head.children):
            return False  # "too high for companies to meet": it will not happen
        if head.dep_ == "xcomp" and head.head.lemma_.lower() in _RELUCTANT:
            return False  # "Iran would be reluctant to launch": it has not ("unable": FAIL)
        if head.dep_ not in ("xcomp", "pcomp", "advcl", "conj"):
            return True
        current = head.head if head.head.i != head.i else None
    return True


_RELUCTANT = frozenset({"reluctant", "unlikely", "hesitant", "loath", "loth", "afraid"})
_ADVERB_PARTICLES = frozenset({"back", "down", "off", "out", "over", "up", "away"})


def match_trigger(token: Token, lexicon: Lexicon, res: ResolvedEntities) -> tuple[str, LexiconEntry] | None:
    """The lexicon row a verb token triggers, with the trigger text, or None.

    The order: the hand rows (in file order, a verb with its particle first: the first that fits
    wins); then the generated PETRARCH patterns of the verb, most specific first (one with no
    PLOVER type stops here: "released a statement" is no release); then the PETRARCH verb's
    default code, unless the hand layer has the verb (its rows say when the verb is an event:
    "visit" a place or a person, not a web page).
    """
    if token.pos_ != "VERB" or token.dep_ in ("amod", "compound", "nmod", "aux", "auxpass"):
        return None
    if not asserted(token):
        return None  # "forces backed by Turkey", "a deal meant to reopen ports": not events
    if token.i in res.token_entity:
        return None  # "Volatiles Investigating Polar Exploration Rover" is a name
    if _says_nothing(token):
        return None  # "an official who asked not to be named" requests nothing; "refused to comment"
    lemma = token.lemma_.lower()
    particles = [c.lower_ for c in token.children if c.dep_ == "prt"]
    preps = [c.lower_ for c in token.children if c.dep_ == "prep"]
    # the parser often tags a particle as an adverb ("pulled back"): it names a hand row all the same
    adverbs = [c.lower_ for c in token.children
               if c.dep_ == "advmod" and c.i > token.i and c.lower_ in _ADVERB_PARTICLES]
    keys = [f"{lemma} {p}" for p in particles + adverbs + preps if f"{lemma} {p}" in lexicon.by_trigger]
    if not particles or keys:
        keys.append(lemma)  # but "took over Washington" is not "took Washington"
    obj = direct_object(token)
    syntactic_subject, passive = subject_of(token)
    subj = syntactic_subject
    if passive:
        obj, subj = subj, agent_of(token)
    # a relative pronoun stands for its antecedent: "protesters who marched" are a crowd,
    # "targets that Congress must meet" no party
    subj, obj = _speaker(token, _antecedent(subj)), _antecedent(obj)
    senses = _senses(token, lemma, lexicon) if _stated(token) else None
    for key in keys:
        for entry in lexicon.by_trigger.get(key, ()):
            if _fits_object(entry, obj, res, token) and _fits_subject(entry, subj, res):
                if senses and not (entry.objects - {"NONE"} or entry.subjects):
                    # a bare (or intransitive) hand row yields to a PETRARCH pattern naming a
                    # preposition's object: "withdrew from the treaty" is a break (161), not a
                    # retreat
                    found = match_generated(token, senses, syntactic_subject, direct_object(token),
                                            particles, default=False, prep_nouns_only=True)
                    if found is not None and found is not BLOCKED \
                            and found[1].event_type != entry.event_type:
                        return found
                return _text(token, key, entry, obj), entry
    if senses:
        found = match_generated(token, senses, syntactic_subject, direct_object(token), particles,
                                default=False)
        if found is BLOCKED:
            return None
        if found is not None:
            return found
    if senses and lemma not in lexicon.hand_verbs:
        found = match_generated(token, senses, syntactic_subject, direct_object(token), particles,
                                default=True)
        if found is not None and found is not BLOCKED:
            return found
    return None


def _speaker(verb: Token, subj: Token | None) -> Token | None:
    """"The unions said they have launched strikes": "they" are the unions (as for the event's
    actor, transforms/nlp/events.py)."""
    if subj is None or subj.lower_ not in SPEAKER_PRONOUNS:
        return subj
    clause = (governors(verb) or [verb])[-1]
    if clause.dep_ == "ccomp" and clause.head.pos_ in ("VERB", "AUX"):
        said_by = subject_of(clause.head)[0]
        if speaks_for(subj, said_by):
            return said_by
    return subj


def _antecedent(token: Token | None) -> Token | None:
    if token is not None and token.lower_ in ("who", "whom", "which", "that"):
        clause = relative_clause(token)
        if clause is not None and clause.head.pos_ in ("NOUN", "PROPN"):
            return clause.head
    return token


_SOURCE_NAMING = frozenset({"identify", "name", "quote"})
# CAMEO 011 "decline comment", which PLOVER does not code: "refused to comment", "declined to
# say whether", "would not confirm"; not "refused to discuss a ceasefire" (125, a rejection)
_REFUSING = frozenset({"refuse", "decline"})
_COMMENTING = frozenset({"comment", "elaborate", "speculate", "confirm", "say", "specify",
                         "disclose", "reveal", "respond", "answer"})


def _says_nothing(token: Token) -> bool:
    """The news formulas of a source that says nothing: asked "not to be identified" or
    "requested anonymity" (an anonymous source), "refused to comment" (no comment)."""
    if token.lemma_.lower() in _REFUSING and any(
            c.dep_ == "xcomp" and c.lemma_.lower() in _COMMENTING
            or c.dep_ == "dobj" and c.lemma_.lower() == "comment" for c in token.children):
        return True
    if any(c.dep_ == "dobj" and c.lemma_.lower() == "anonymity" for c in token.children):
        return True  # "an official, who requested anonymity"
    if any(c.dep_ == "xcomp" and c.lemma_.lower() in ("remain", "stay", "be") and any(
            g.lower_ in ("anonymous", "unnamed", "unidentified", "nameless") for g in c.children)
            for c in token.children):
        return True  # "who asked to remain anonymous"
    return any(c.dep_ == "xcomp" and c.lemma_.lower() in _SOURCE_NAMING
               and any(g.dep_ == "neg" for g in c.children) for c in token.children)


def _senses(token: Token, lemma: str, lexicon: Lexicon) -> tuple:
    """The PETRARCH senses of a verb: by its lemma, else by its form with a regular ending
    taken off, as PETRARCH generates them (the lemmatizer makes "cordone" of "cordoned")."""
    found = lexicon.verbs.get(lemma)
    if found:
        return found
    form = token.lower_
    for ending, back in (("ied", "y"), ("ies", "y"), ("ing", ""), ("ing", "e"), ("ed", ""),
                         ("ed", "e"), ("d", ""), ("es", ""), ("s", "")):
        if form.endswith(ending) and len(form) > len(ending) + 2:
            stem = form[: -len(ending)] + back
            for candidate in (stem, stem[:-1] if len(stem) > 3 and stem[-1] == stem[-2] else ""):
                if candidate and candidate in lexicon.verbs:
                    return lexicon.verbs[candidate]
    return ()


def match_word(lemma: str, obj: Token | None, subj: Token | None, lexicon: Lexicon,
               res: ResolvedEntities) -> tuple[str, LexiconEntry] | None:
    """The row a verb lemma triggers with a given object and subject, when the parser did not
    see the verb ("UN envoy visits Yemen" tagged "visits" a noun): the hand rows, else the
    PETRARCH verb's default code."""
    for entry in lexicon.by_trigger.get(lemma, ()):
        if _fits_object(entry, obj, res) and _fits_subject(entry, subj, res):
            text = f"{lemma} {obj.lemma_.lower()}" if obj is not None \
                and obj.lemma_.lower() in entry.objects else lemma
            return text, entry
    if lemma in lexicon.hand_verbs:
        return None
    for sense in lexicon.verbs.get(lemma, ()):
        if not sense.before and not sense.after and sense.default is not None \
                and sense.default.event_type:
            return lemma, sense.default
    return None


_MODALS = frozenset({"could", "might", "may", "should", "can", "must"})


def _stated(token: Token) -> bool:
    """A clause that says something happened or will: a finite verb, or one with an auxiliary
    ("has withdrawn", "to visit"), not a bare participle ("lawmakers, also allied to Haftar";
    "clashed with soldiers, injuring 30") nor a possibility ("Tokyo could remove"). PETRARCH's
    broad verbs are taken only from such clauses."""
    head = token
    while head.dep_ == "conj" and head.head.i != head.i:
        head = head.head
    aux = {c.lower_ for c in head.children if c.dep_ in ("aux", "auxpass")}
    if aux & _MODALS:
        return False
    return bool(aux) or head.tag_ in ("VBD", "VBZ", "VBP") or head.tag_ == "VB" and head.dep_ == "ROOT"


def _text(token: Token, key: str, entry: LexiconEntry, obj: Token | None) -> str:
    """The trigger text of a hand row: "impose sanction", "issue statement welcome"."""
    text = key
    if obj is not None and obj.lemma_.lower() in entry.objects:
        text = f"{key} {obj.lemma_.lower()}"  # "impose sanction"
    if token.dep_ == "acl" and token.head.dep_ == "dobj":  # "issue statement welcome"
        text = f"{token.head.head.lemma_.lower()} {token.head.lemma_.lower()} {text}"
    return text


def subsumed(trigger: Token, entry: LexiconEntry, chain: list[Token],
              triggers: Mapping[int, tuple[str, LexiconEntry]]) -> bool:
    """A trigger that is part of another event, or of a denial, is not an event of its own.

    "agreed to withdraw" is the agreement, "accused X of attacking" the accusation, "met ... to
    discuss" one meeting; "denied attacking" is nothing. "moved troops to attack" stays two.
    """
    if any(g.lemma_.lower() in BLOCKERS for g in chain):
        return True
    if not chain:
        return False
    governor = chain[0]
    if governor.i not in triggers or triggers[governor.i][1].generated \
            and triggers[governor.i][1].event_type not in _SPEECH_TYPES:
        return False  # a PETRARCH verb ("fly", "seek") is too broad to swallow what it governs
    if trigger.dep_ == "conj":  # "closing borders and freezing assets": as its first conjunct
        return triggers[governor.i][1].event_type == entry.event_type and subsumed(
            governor, triggers[governor.i][1], chain[1:], triggers)
    if trigger.dep_ in ("xcomp", "pcomp", "ccomp", "acl"):
        return True
    # "marched to denounce", "met to discuss": a purpose is part of the act it follows
    return trigger.dep_ == "advcl" and (
        triggers[governor.i][1].event_type == entry.event_type
        or any(c.dep_ == "aux" and c.lower_ == "to" for c in trigger.children)
    )


WARN = frozenset({"warn", "threaten", "vow"})
# a PETRARCH verb of these types takes what it governs in ("warned NATO against deploying")
_SPEECH_TYPES = frozenset({"THREATEN", "ACCUSE", "REQUEST", "REJECT"})


def threat(entry: LexiconEntry) -> LexiconEntry:
    """The THREATEN row for a warned-of act: force (138), sanctions (1312), else 130."""
    if entry.event_type in ("ASSAULT", "MOBILIZE"):
        code = "138"
    elif entry.event_type in ("COERCE", "SANCTION"):
        code = "1312"
    else:
        code = "130"
    return LexiconEntry(entry.trigger, "THREATEN", code, quad_class(code))


