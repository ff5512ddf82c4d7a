"""Dependency-parse helpers for event arguments: clause climbing, noun phrases to entities (pure).

An event's arguments are read off the parse: the subject of the trigger (or of the verb it
complements: "failed to take", "flying ... to meet", "issued a statement welcoming"), resolved to
an entity through the noun phrase ("Haftar's forces", "LNA forces", "forces allied to Serraj",
"the assembly president, Aguila Saleh", "who" -> its antecedent, "his" -> the last person named).
"""

from __future__ import annotations

from collections.abc import Iterator

from spacy.tokens import Doc, Span, Token

from transforms.nlp.entities import ResolvedEntities
from transforms.nlp.mentions import EVIDENCE_NOUNS

# Heads of noun phrases that stand for the entity that modifies them ("LNA forces", "Russian
# missiles", "lawmakers of the House"): armed forces, weapons, groups, delegations, officials.
MILITARY_NOUNS = frozenset({
    "force", "troop", "army", "soldier", "fighter", "militia", "militiaman", "militant", "rebel",
    "unit", "brigade", "battalion", "convoy", "column", "tank", "military", "jet", "warplane",
    "aircraft", "drone", "missile", "rocket", "artillery", "navy", "warship", "airstrike",
    "strike", "shell", "bomb", "gunman", "insurgent", "jihadist", "commando", "marine",
    "paratrooper", "sniper", "police", "policeman", "guard", "coalition", "loyalist",
})
GROUP_NOUNS = MILITARY_NOUNS | frozenset({
    "group", "faction", "delegation", "official", "envoy", "diplomat", "negotiator", "lawmaker",
    "legislator", "minister", "spokesman", "spokeswoman", "spokesperson", "representative",
    "member", "leader", "commander", "chief", "head", "supporter", "ally", "backer", "camp",
    "side", "mission", "team", "authority", "regime", "administration", "agent", "operative",
    "ambassador", "counterpart", "movement", "organisation", "organization", "alliance", "front", "association",
    "council", "committee", "network", "agency", "company", "firm", "party", "wing",
    # office holders stand for their state: "the Sri Lankan president", "Iran's president"
    "president", "premier", "chancellor", "king", "queen", "emir", "monarch", "ruler",
    # who commits violence stands for whom he belongs to: "Taliban attackers", "ISIS bombers"
    "attacker", "assailant", "bomber", "kidnapper", "abductor", "hijacker", "pirate", "raider",
    # what is attacked stands for whom it belongs to: "al-Shabaab positions", "Houthi targets"
    "position", "target", "stronghold", "outpost", "hideout", "headquarters", "installation",
})
GOVERNMENT_NOUNS = frozenset({
    "government", "authority", "administration", "junta", "cabinet", "ministry", "regime",
    "parliament", "leadership", "state", "presidency",
})
SPEECH_NOUNS = frozenset({
    "demand", "call", "request", "proposal", "offer", "plan", "appeal", "accusation", "claim",
    "criticism", "statement", "ultimatum", "warning", "pressure", "invitation", "plea",
})
MEASURE_NOUNS = frozenset({
    "company", "hundred", "thousand", "dozen", "number", "convoy", "shipment", "batch", "ton",
    "tonne", "load", "group", "unit", "contingent", "battalion", "wave", "column", "fleet",
    "squad", "team", "million", "billion", "consignment", "delivery", "planeload", "truckload",
    "lot", "kind", "type", "amount", "quantity", "supply", "package", "round", "crowd",
})
CROWD_NOUNS = frozenset({
    "consumer", "shopper", "voter", "fan", "pilgrim", "refugee", "migrant", "prisoner",
    "hostage", "detainee", "captive", "civilian", "patient", "victim", "fisherman", "sailor",
    "protester", "protestor", "demonstrator", "crowd", "people", "thousand", "hundred",
    "dozen", "worker", "student", "supporter", "resident", "doctor", "teacher", "employee",
    "union", "activist", "farmer", "driver", "citizen", "nurse", "woman", "man", "youth",
    "villager", "miner", "trader", "shopkeeper", "pensioner", "opposition", "marcher",
})
PLACE_NOUNS = frozenset({
    "city", "town", "village", "checkpoint", "base", "airbase", "airport", "area", "region",
    "district", "territory", "position", "neighbourhood", "neighborhood", "capital", "province",
    "border", "crossing", "port", "hill", "island", "suburb", "outpost", "stronghold", "bridge",
    "road", "highway", "camp", "compound", "headquarters", "facility", "plant", "refinery",
    "field", "oilfield", "valley", "enclave", "settlement", "garrison", "front", "frontline",
})
PERSON_NOUNS = frozenset(EVIDENCE_NOUNS["PERSON"]) | frozenset({
    "prisoner", "hostage", "detainee", "captive", "activist", "journalist", "soldier", "civilian",
    "opponent", "dissident", "protester", "worker", "leader", "official", "man", "woman",
    "child", "person", "people", "politician", "member", "suspect",
})
# the judiciary acts by its office: "a court sentenced", "prosecutors charged" (CAMEO's JUD)
JUDICIAL_NOUNS = frozenset({"court", "judge", "prosecutor", "tribunal", "magistrate", "jury"})
# "issued a statement welcoming": the participle is the event. Not "calls to withdraw": that is
# a demand, and the withdrawal has not happened.
# Unnamed but codable actors: armed and security forces, groups, officials, governments, courts.
GENERIC_ACTORS = (MILITARY_NOUNS | GROUP_NOUNS | CROWD_NOUNS | GOVERNMENT_NOUNS | JUDICIAL_NOUNS) - {
    "people", "man", "woman", "fan", "thousand", "hundred", "dozen", "member", "side", "team",
    "unit", "agent", "network", "wing", "body",
    "company", "firm", "head", "camp", "target", "position", "youth", "consumer", "shopper",
    "president", "premier", "chancellor", "king", "queen", "emir", "monarch", "ruler",
    "voter", "patient", "victim", "driver", "state", "leadership",
}
LIGHT_NOUNS = frozenset({
    "statement", "communique", "letter", "message", "declaration", "tweet", "post", "speech",
    "address", "resolution", "decree", "order", "report", "note",
})
_ALLIANCE_VERBS = frozenset({"ally", "back", "support", "affiliate", "link", "align",
                             "associate", "loyal", "tie", "sponsor", "arm", "fund", "belong"})
_RELATIVE = frozenset({"who", "which", "that", "whom", "whose"})
_HE_SHE = frozenset({"he", "his", "him", "she", "her", "hers"})
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})


HEADLINE_MAX_TOKENS = 16


def is_headline(sent: Span) -> bool:
    """A short sentence without a final stop."""
    words = [t for t in sent if not t.is_space]
    return 2 < len(words) <= HEADLINE_MAX_TOKENS and words[-1].text not in (".", "?", "!", '"')


# subject pronouns that can stand for whoever said the clause they are in
SPEAKER_PRONOUNS = ("it", "they", "we", "i")


def speaks_for(pronoun: Token, speaker: Token | None) -> bool:
    """The pronoun (one of SPEAKER_PRONOUNS) in what `speaker` said is the speaker: "NATO said it
    would deploy", Kim said "I welcome"; but a single person's "they" are others ("they have
    asked Britain," one official said)."""
    if speaker is None:
        return False
    one_person = speaker.lower_ in ("one", "he", "she") or speaker.ent_type_ == "PERSON" or (
        speaker.tag_ == "NN" and noun_lemma(speaker) in PERSON_NOUNS)
    return not (pronoun.lower_ == "they" and one_person)


def source_of(verb: Token, prep: str) -> Token | None:
    """The object of the verb's `prep` phrase, on the verb or on its object ("received a loan
    from Japan", "received from Japan a loan"): a lexicon row's source, who really acts."""
    heads = [verb, *(c for c in verb.children if c.dep_ in ("dobj", "nsubjpass"))]
    for head in heads:
        for c in head.children:
            if c.dep_ == "prep" and c.lower_ == prep:
                pobj = next((o for o in c.children if o.dep_ == "pobj"), None)
                if pobj is not None:
                    return pobj
    return None


def noun_lemma(token: Token) -> str:
    """Lowercased lemma, singular even for capitalised plurals the lemmatizer keeps ("Rebels")."""
    lemma = token.lemma_.lower()
    plural_tag = token.tag_ in ("NNS", "NNPS") or token.tag_ == "NNP" and token.is_sent_start
    if lemma == token.lower_ and plural_tag:  # "Rebels of ..." at the start of a sentence
        for suffix, repl in (("ies", "y"), ("ses", "s"), ("s", "")):
            if lemma.endswith(suffix) and len(lemma) > len(suffix) + 2:
                return lemma[: -len(suffix)] + repl
    return lemma


def climb(token: Token) -> Token | None:
    """The verb a non-finite clause complements, or None at a clause with its own subject.

    "failed to take" (xcomp), "succeed in taking" (pcomp), "flying ... to meet" (advcl),
    "issued a statement welcoming" (acl of a statement noun that is the verb's object), "is
    about to restore", "is ready to sign" (the adjective complements the verb: acomp).
    """
    if any(c.dep_ in ("nsubj", "nsubjpass", "csubj", "expl") for c in token.children):
        return None
    dep, head = token.dep_, token.head
    if head.i == token.i:
        return None
    if dep in ("xcomp", "advcl") and head.pos_ in ("VERB", "AUX", "ADJ"):
        return head
    if dep == "acomp" and token.pos_ == "ADJ" and head.pos_ in ("VERB", "AUX"):
        return head
    if dep == "attr" and token.pos_ == "VERB" and head.pos_ == "AUX":
        return head  # "Qatar is mediating": a progressive the parser read as "is" + attribute
    if dep == "pcomp" and head.dep_ == "prep" and head.head.pos_ in ("VERB", "AUX", "ADJ"):
        return head.head
    if dep == "acl" and head.lemma_.lower() in LIGHT_NOUNS and head.dep_ in ("dobj", "nsubjpass"):
        return head.head
    if dep == "conj" and head.pos_ in ("VERB", "AUX"):
        return head
    return None


def governors(token: Token) -> list[Token]:
    """The chain of verbs above a trigger through climb(), nearest first."""
    out: list[Token] = []
    current: Token | None = token
    while (current := climb(current)) is not None and len(out) < 6:  # type: ignore[arg-type]
        out.append(current)
    return out


def subject_of(token: Token) -> tuple[Token | None, bool]:
    """The subject of a trigger, climbing to the verb it complements; (subject, passive)."""
    subject, passive = _subject_of(token)
    if not passive and token.tag_ == "VBN" and any(c.dep_ == "agent" for c in token.children):
        # "to repair a pipeline destroyed by an earthquake" read as a complement: a participle
        # with a "by" phrase is passive, whatever subject the climb found
        return subject, True
    return subject, passive


def _subject_of(token: Token) -> tuple[Token | None, bool]:
    current: Token | None = token
    via = ""  # how the climb reached `current`
    while current is not None:
        # the subject, or one the parser hung on the auxiliary ("the minister did ... scrap")
        kids = list(current.children)
        # "The Philippines was heavily and unjustly criticized": a subject hung on the passive
        # auxiliary is the passive's subject
        on_auxpass = {g.i for c in kids if c.dep_ == "auxpass" for g in c.children}
        kids += [g for c in kids if c.dep_ in ("aux", "auxpass") for g in c.children]
        if any(c.dep_ == "nsubj" and _destination(current, c) for c in kids):
            # "left for Washington to discuss": Washington is where he went; he discusses
            via, current = current.dep_, current.head
            continue
        for c in kids:
            if c.dep_ in ("nsubj", "csubj"):
                return c, c.i in on_auxpass and via != "xcomp"
            if c.dep_ == "nsubjpass":
                # "Gros is expected to ask", "companies were allowed to press": a passive's
                # subject does what its infinitive complement says
                return c, via != "xcomp"
        if current.dep_ == "relcl" and current.head.pos_ in ("NOUN", "PROPN"):
            return current.head, False  # "forces, which took ..." without a pronoun
        if current is token:
            headline = headline_subject(token) or _to_headline_subject(token)
            if headline is not None:
                return headline, False
        via = current.dep_
        below, current = current, climb(current)
        if current is not None and via == "xcomp" and current.pos_ == "VERB" \
                and current.lemma_.lower() not in _SUBJECT_CONTROL:
            # "encouraged Kurdish rebels to support", "expect three tankers to reinforce": the
            # object of the verb above does what its infinitive says
            obj = next((c for c in current.children if c.dep_ == "dobj" and c.i < below.i), None)
            if obj is not None and obj.pos_ in ("NOUN", "PROPN", "PRON"):
                return obj, False
    return None, False


def _destination(clause: Token, subject: Token) -> bool:
    """The parser's misreading of "left for Washington to discuss": a "for" clause whose
    subject is a place, complementing the verb of a journey."""
    return clause.dep_ == "advcl" and subject.ent_type_ in ("GPE", "LOC", "FAC") and any(
        c.dep_ == "mark" and c.lower_ == "for" and c.i < subject.i for c in clause.children)


# verbs whose subject, not their object, does what their infinitive says: "promised the UN to"
_SUBJECT_CONTROL = frozenset({"promise", "vow", "pledge", "threaten"})


# how the parser hangs a headline's subject on its verb: "Russia attacks Ukraine" (compound),
# "Mali junta expels French ambassador" (amod + compound), "Merkel, Macron meet" (npadvmod)
HEADLINE_SUBJECT_DEPS = frozenset({"compound", "npadvmod", "nmod", "amod", "dep", "appos"})


def headline_subject(verb: Token) -> Token | None:
    """The subject of a finite verb in headline syntax, which the parser hung on the verb as a
    modifier: the last noun before it, when the verb has no subject and its clause starts the
    sentence ("Russia attacks Ukraine", "Syrian army shells rebel-held town")."""
    if verb.tag_ not in ("VBZ", "VBP", "VBD", "VB") or verb.dep_ not in ("ROOT", "conj"):
        return None
    left = [c for c in verb.lefts if c.dep_ in HEADLINE_SUBJECT_DEPS and c.pos_ in ("NOUN", "PROPN")]
    if not left or any(c.dep_ in ("nsubj", "nsubjpass", "csubj", "expl") for c in verb.children):
        return None
    if any(t.pos_ in ("VERB", "AUX", "ADP", "SCONJ") for t in verb.doc[left[0].left_edge.i:verb.i]):
        return None  # "In Cairo police arrest ..." has a clause before: not a headline subject
    return left[-1]


def _to_headline_subject(verb: Token) -> Token | None:
    """"Blinken to visit China", "Turkey to withdraw troops": the name that starts the headline
    before "to" (the parser may call it anything, even a verb)."""
    to = next((c for c in verb.children if c.dep_ == "aux" and c.lower_ == "to"), None)
    if to is None or to.i != verb.i - 1 or to.i == 0:
        return None
    name = verb.doc[to.i - 1]
    start = name.sent.start
    if not (name.is_title or name.is_upper) or name.i - start > 3 or any(
            t.pos_ in ("ADP", "SCONJ", "AUX") or not (t.is_title or t.is_upper or t.is_punct)
            for t in verb.doc[start:name.i]):
        return None
    return name


def subject_phrase(verb: Token, subject: Token) -> list[Token]:
    """The tokens that may name the subject's party, nearest the verb last: its conjuncts
    ("Serraj and Haftar"), and in headline syntax the other nouns and adjectives the parser
    hung on the verb ("Merkel, Macron meet", "Syrian army shells")."""
    tokens = coordination(subject)
    doc = subject.doc
    tokens += [c for c in subject.lefts  # "Armenia, Azerbaijan agree": a name, a comma, a name
               if c.dep_ in HEADLINE_SUBJECT_DEPS and c.pos_ == "PROPN"
               and doc[c.right_edge.i + 1].text == ","]
    tokens += [c for c in subject.rights  # "Ukraine, Russia agree": a bare name of the same kind
               if c.dep_ == "appos" and c.pos_ == "PROPN" and c.ent_type_ == subject.ent_type_
               and c.ent_type_ in ("GPE", "PERSON", "ORG", "NORP") and doc[c.i - 1].text == ","
               and not any(g.dep_ not in ("compound", "punct") for g in c.children)]
    if subject.head.i == verb.i:
        tokens += [c for c in verb.lefts if c.i < subject.i and c.dep_ in HEADLINE_SUBJECT_DEPS
                   and c.pos_ in ("NOUN", "PROPN", "ADJ")]
        # "Saudi Arabia, Iran restore ties": the parser gives the verb two subjects
        tokens += [c for c in verb.lefts if c.dep_ == "nsubj" and c.i > subject.i
                   and c.pos_ == "PROPN" and doc[c.left_edge.i - 1].text == ","]
    return sorted(set(tokens), key=lambda t: t.i)


def agent_of(token: Token) -> Token | None:
    """The "by" phrase of a passive verb: "was taken by LNA forces" -> forces."""
    for c in token.children:
        if c.dep_ == "agent":
            for g in c.children:
                if g.dep_ == "pobj":
                    return g
    return None


def direct_object(token: Token) -> Token | None:
    """The direct object of a verb (or the object of its particle construction)."""
    for c in token.children:
        if c.dep_ in ("dobj", "obj"):
            return c
    for c in token.children:  # "open fire", "set fire" are parsed with odd labels sometimes
        if c.dep_ in ("attr", "oprd") and c.pos_ in ("NOUN", "PROPN"):
            return c
    for c in token.rights:  # a headline's object: "expels French ambassador", "visits Yemen"
        if c.dep_ == "npadvmod" and c.pos_ in ("NOUN", "PROPN") and not c.like_num \
                and c.ent_type_ not in ("DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY"):
            return c
    return None


def coordination(token: Token) -> list[Token]:
    """The conjuncts a token belongs to, first one first: "Serraj and Haftar" -> [Serraj, Haftar]."""
    root = token
    while root.dep_ == "conj" and root.head.i != root.i:
        root = root.head
    out = [root]
    stack = [root]
    while stack:
        t = stack.pop()
        for c in t.children:
            if c.dep_ == "conj":
                out.append(c)
                stack.append(c)
    return sorted(out, key=lambda t: t.i)


def relative_clause(pronoun: Token) -> Token | None:
    """The verb of the relative clause a "who/which/whose" belongs to (its head is the antecedent)."""
    for t in pronoun.ancestors:
        if t.dep_ in ("relcl", "acl"):
            return t
        if t.pos_ in ("VERB", "AUX") and t.dep_ not in ("xcomp", "advcl", "conj"):
            return None
    return None


def _last_person_before(doc: Doc, token: Token, res: ResolvedEntities, sent_start: int) -> str | None:
    """The entity id of the last PERSON mention before a pronoun, in its sentence or the one before."""
    best = None
    for start, _end, eid in res.mention_spans:
        if start >= token.i:
            break
        if res.by_id[eid].label == "PERSON" and start >= sent_start:
            best = eid
    return best


def _last_party_before(token: Token, res: ResolvedEntities, sent_start: int) -> str | None:
    """The last country, organisation or people named before "its", in its sentence or the one
    before (as a state: "Russian" is Russia when Russia is named)."""
    best = None
    for start, _end, eid in res.mention_spans:
        if start >= token.i:
            break
        entity = res.by_id[eid]
        if start >= sent_start and (entity.label in ("ORG", "NORP")
                                    or res.kind.get(eid) == "country"):
            best = eid
    return _state(best, res) if best else None


def entity_of(token: Token, res: ResolvedEntities, sent_start: int, depth: int = 0,
              state: bool = True) -> str | None:
    """The entity a noun phrase headed by `token` stands for, or None.

    Args:
        token: the head of the phrase (a subject, object or prepositional object).
        res: the doc's resolved entities.
        sent_start: token index where pronoun look-back may start (the previous sentence).
        depth: recursion guard.
        state: a demonym stands for its country ("Russian missiles" -> Russia); off for
            civilians ("South Korean consumers" stay South Korean).
    """
    if depth > 5:
        return None
    if token.i in res.token_entity:
        eid = res.token_entity[token.i]
        return _state(eid, res) if state else eid
    lower = token.lower_
    if lower in _RELATIVE:
        clause = relative_clause(token)
        if clause is not None:
            return entity_of(coordination(clause.head)[0], res, sent_start, depth + 1)
        return None
    if lower in _HE_SHE:
        return _last_person_before(token.doc, token, res, sent_start)
    if lower == "its" and token.dep_ == "poss":  # "India's navy ..., where its sailors"
        return _last_party_before(token, res, sent_start)
    children = list(token.children)
    for c in children:
        if c.dep_ == "appos":
            found = entity_of(c, res, sent_start, depth + 1)
            if found:
                return found
    lemma = noun_lemma(token)
    if lemma in MEASURE_NOUNS or token.like_num:  # "hundreds of supporters of the party"
        for o in _of_objects(token):
            return entity_of(o, res, sent_start, depth + 1, state)
    title = _title_phrase(token)
    if title and any(c.dep_ == "det" and c.lower_ == "the" for c in children):
        for key in (title, lemma):  # "the finance minister", "the crown prince"
            if key in res.titles:
                return res.titles[key]
    if lemma in GOVERNMENT_NOUNS:  # "Mali's government" is Mali; "the Tripoli government" nobody
        for c in children:
            if c.dep_ in ("poss", "compound", "amod", "nmod") and c.i in res.token_entity:
                eid = _state(res.token_entity[c.i], res)
                if res.kind.get(eid) == "country":
                    return eid
        return None
    if lemma in SPEECH_NOUNS:  # "demands by the opposition", "calls from Borrell"
        for c in children:
            if c.dep_ == "poss":
                return entity_of(c, res, sent_start, depth + 1)
            if c.dep_ in ("prep", "agent") and c.lower_ in ("by", "from"):
                for o in c.children:
                    if o.dep_ == "pobj":
                        return entity_of(o, res, sent_start, depth + 1)
        return None
    if lemma in CROWD_NOUNS:
        for c in children:
            if c.dep_ in ("compound", "amod", "nmod") and c.i in res.token_entity:
                return res.token_entity[c.i]  # "ethnic Serb protesters": the people, not a state
            if c.dep_ == "poss" and c.lower_ == "its":  # "its sailors": the state's
                return entity_of(c, res, sent_start, depth + 1)
        for o in _of_objects(token):  # "supporters of the Sudanese Communist Party"
            return entity_of(o, res, sent_start, depth + 1)
    if lemma in GROUP_NOUNS:
        for c in sorted(children, key=lambda c: -c.i):  # nearest modifier first
            if c.dep_ in ("compound", "nmod", "amod") and c.i < token.i:
                found = entity_of(c, res, sent_start, depth + 1)
                if found:
                    return found
        for c in children:
            if c.dep_ == "poss":
                found = entity_of(c, res, sent_start, depth + 1)
                if found:
                    return found
        for c in children:
            if c.dep_ in ("acl", "amod") and c.lemma_.lower() in _ALLIANCE_VERBS:
                for p in c.children:
                    if p.dep_ in ("prep", "agent"):
                        for o in p.children:
                            if o.dep_ == "pobj":
                                return entity_of(o, res, sent_start, depth + 1)
            if c.dep_ == "prep" and c.lower_ == "of":
                for o in c.children:
                    if o.dep_ == "pobj":
                        return entity_of(o, res, sent_start, depth + 1)
    return None


def represented(token: Token) -> Token:
    """The phrase a group stands for when nothing in it is a named entity: "troops allied to the
    Tripoli government" -> "the Tripoli government"; otherwise the token itself."""
    if noun_lemma(token) in GROUP_NOUNS:
        for c in token.children:
            if c.dep_ in ("acl", "amod") and c.lemma_.lower() in _ALLIANCE_VERBS:
                for p in c.children:
                    if p.dep_ in ("prep", "agent"):
                        for o in p.children:
                            if o.dep_ == "pobj":
                                return o
    return token


def _of_objects(token: Token) -> list[Token]:
    """The objects of a token's "of" phrases."""
    return [o for p in token.children if p.dep_ == "prep" and p.lower_ == "of"
            for o in p.children if o.dep_ == "pobj"]


def _title_phrase(token: Token) -> str:
    """"finance minister" for the phrase "the finance minister" (compounds + head, lowercased)."""
    words = [c.lower_ for c in token.children if c.dep_ in ("compound", "amod") and c.i < token.i
             and not c.ent_type_]
    return " ".join([*words, token.lower_]) if token.pos_ == "NOUN" else ""


def _state(entity_id: str, res: ResolvedEntities) -> str:
    """A demonym acts as its country when the country is named in the doc ("Russian jets")."""
    entity = res.by_id.get(entity_id)
    if entity is not None and entity.label == "NORP":
        return res.country_of.get(entity_id, entity_id)
    return entity_id


def subtree_bfs(token: Token, skip: set[int], clauses: bool = True) -> Iterator[tuple[Token, int]]:
    """Tokens below `token` in breadth-first order with their depth, not entering `skip` heads.

    With clauses=False, embedded clauses are not entered except a to-infinitive of the verb
    itself ("moved vehicles ... to defend the capital against ...", "agreed to lift sanctions
    on Belarus").
    """
    frontier = [(token, 0)]
    while frontier:
        nxt = []
        for t, d in frontier:
            for c in t.children:
                if c.i in skip:
                    continue
                if not clauses and c.pos_ in ("VERB", "AUX") and c.dep_ in (
                    "acl", "relcl", "ccomp", "csubj", "conj", "parataxis", "xcomp", "advcl", "pcomp"
                ) and not (c.dep_ in ("advcl", "xcomp") and t is token and any(
                    a.dep_ == "aux" and a.lower_ == "to" for a in c.children)):
                    continue
                yield c, d + 1
                nxt.append((c, d + 1))
        frontier = nxt


def conjunct_text(token: Token) -> str:
    """The phrase of one conjunct: "Israel" of "Israel and Hamas", else phrase_text."""
    if any(c.dep_ == "conj" for c in token.children):
        return token.doc[token.left_edge.i:token.i + 1].text
    return phrase_text(token)


def phrase_text(token: Token, limit: int = 12) -> str:
    """The text of the noun phrase headed by token, or just up to its head when long."""
    doc = token.doc
    left, right = token.left_edge.i, token.right_edge.i
    if right - left + 1 > limit:
        right = token.i
    for c in token.rights:  # "Haftar, who met Serraj in Abu Dhabi": the name, not the clause
        if c.dep_ == "relcl" or c.tag_ == "POS":  # "Iran's release": Iran
            right = min(right, c.left_edge.i - 1)
    while right > token.i and doc[right].text in (",", ";", ":"):  # "Saudi Arabia, Iran restore"
        right -= 1
    return doc[left:right + 1].text.strip()
