"""Events from the dependency parse: who did what to whom, where and when (pure).

Precision first: only typed triggers (transforms/nlp/triggers.py) make events; a sentence without
one yields nothing. For each: the actor is the subject (climbing from "failed to take" to the
verb it complements), resolved through the noun phrase (transforms/nlp/syntax.py); the target is the
object or a with/against/between/on phrase of the verb or its object; the location a place
attached to the verb or its object ("in X", a captured town), else an "in X" of the sentence
outside other events' clauses; the date a DATE/TIME expression of the clause resolved against
the publish date (transforms/dates.py), else the publish date flagged "publish_date". Negated: a
"not" on the trigger or a verb it complements, or a "fail to" above it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date

from spacy.tokens import Doc, Span, Token

from transforms.nlp.entities import ResolvedEntities
from transforms.nlp.mentions import sentence_spans
from transforms.nlp.headlines import headline_events
from transforms.nlp.nominal import nominal_events
from transforms.nlp.lexicon import (  # re-exported: flows/nlp.py and tests import them from here
    PLOVER_TYPES,
    Lexicon,
    LexiconEntry,
    parse_lexicon,
    quad_class,
)
from transforms.records import Event
from transforms.nlp.syntax import (
    CROWD_NOUNS,
    MEASURE_NOUNS,
    PLACE_LABELS,
    SPEAKER_PRONOUNS,
    agent_of,
    conjunct_text,
    coordination,
    GENERIC_ACTORS,
    direct_object,
    entity_of,
    governors,
    noun_lemma,
    phrase_text,
    relative_clause,
    represented,
    source_of,
    speaks_for,
    subject_of,
    subject_phrase,
    subtree_bfs,
)
from transforms.nlp.triggers import WARN, match_trigger, subsumed, threat
from transforms.nlp.whenwhere import event_date as _event_date
from transforms.nlp.whenwhere import is_future as _is_future
from transforms.nlp.whenwhere import locative as _locative
from transforms.nlp.whenwhere import mention_text as _mention_text
from transforms.nlp.whenwhere import negated as _negated
from transforms.nlp.whenwhere import places as _places

__all__ = ["PLOVER_TYPES", "Lexicon", "LexiconEntry", "extract_events", "parse_lexicon",
           "quad_class"]

# Longer "sentences" are lists, tables or run-on pages that the parser could not split: no
# event is read from them (the longest of the 8,668 sentences of the 181 extraction benchmark
# articles has 104 tokens), since reading one costs time quadratic in its length.
MAX_SENTENCE_TOKENS = 400
_HE_SHE_ITS = frozenset({"his", "her", "its", "their", "our", "my", "your"})
# texts and measures, which act for no one as a subject ("the resolution supports ...")
_TEXT_NOUNS = frozenset({
    "resolution", "report", "plan", "proposal", "bill", "law", "statement", "document", "study",
    "survey", "poll", "letter", "memo", "memorandum", "editorial", "article", "agreement",
    "accord", "treaty", "deal", "budget", "measure", "amendment", "legislation", "package",
    "program", "programme", "policy", "rule", "regulation", "decree", "ruling", "verdict",
    "constitution", "charter", "communique", "declaration", "draft", "paper", "scheme"})
# talks and agreements are "on" or "over" a topic, not a party
_TOPIC_TYPES = frozenset({"CONSULT", "AGREE"})
# prepositions that introduce the party acted upon
_TARGET_PREPS = frozenset({"against", "with", "between", "on", "at", "to", "toward", "towards",
                           "into", "upon", "over"})
# "skirmishes with forces allied to Serraj", "to defend the capital against Haftar's forces"
_DEEP_TARGET_PREPS = frozenset({"against", "with", "between"})
# countries can be the party acted upon; movements go to places ("withdrew from Syria")
_STATE_TARGET_TYPES = frozenset(PLOVER_TYPES)
_MOVEMENT_TYPES = frozenset({"MOBILIZE", "RETREAT", "AID", "CONSULT"})
_MOVEMENT_PREPS = frozenset({"to", "into", "towards", "toward", "from", "on", "onto"})
# acts one threatens with ("vowed to retaliate"); "vowed to help" is a promise
_FORCE_TYPES = frozenset({"ASSAULT", "COERCE", "SANCTION", "MOBILIZE"})
# what is done to a thing may go without a named party ("ceded the islands"); not what is said
_MATERIAL = frozenset({"CONCEDE", "RETREAT", "AID", "COERCE", "ASSAULT", "SANCTION", "PROTEST"})
# where a PETRARCH verb went, came from or stayed: "flew to Libya", "arrived in Bogota"
_PLACE_PREPS = frozenset({"to", "into", "towards", "toward", "from", "in", "at", "for", "onto"})




def _target(trigger: Token, obj: Token | None, skip: set[int], res: ResolvedEntities,
            sent_start: int, entry: LexiconEntry) -> tuple[str | None, Token | None]:
    """The party acted upon: the object's entity (or its possessor: "struck Ukraine's port"),
    else a prepositional phrase of the verb or its object ("sanctions on Mali", "met with X",
    "skirmishes with forces allied to Serraj", "mediate between A and B"); first the phrase a
    PETRARCH pattern marks as the target ("withdrew from +"). A PETRARCH verb's place in a
    prepositional phrase ("flew to Libya", "arrived in Bogota") is where it went, not a party,
    unless a country receives something ("ceded the islands to Nicaragua")."""
    event_type = entry.event_type

    def usable(eid: str | None, prep: str = "") -> bool:
        if not eid:
            return False
        entity = res.by_id[eid]
        if entity.label not in PLACE_LABELS:
            return True
        if entry.generated and event_type in ("CONSULT", "AGREE", "MOBILIZE", "RETREAT") and (
                prep in _PLACE_PREPS or event_type == "CONSULT"):
            return False  # "flew to Libya", "arrived in Bogota": where it went, not a party
        if entry.generated and prep in _PLACE_PREPS and res.kind.get(eid) != "country":
            return False  # "ceded the islands to Nicaragua" is a party; "to Taiz" a place
        # a country, or a capital standing for its government ("accused Beijing of ...")
        return res.kind.get(eid) in ("country", "capital") and event_type in _STATE_TARGET_TYPES

    marked = {p.prep for p in entry.pattern.preps if p.role == "target"} if entry.pattern else set()
    for tok, _depth in subtree_bfs(trigger, skip, clauses=False) if marked else ():
        if tok.dep_ in ("prep", "agent", "dative") and tok.lower_ in marked:
            for pobj in tok.children:
                eid = entity_of(pobj, res, sent_start) if pobj.dep_ == "pobj" else None
                if usable(eid):
                    return eid, pobj
    if obj is not None:
        eid = entity_of(obj, res, sent_start)
        if usable(eid):
            return eid, obj
        if eid is None:  # "struck Ukraine's port", "ordered the release of Pakistani prisoners"
            near = [*obj.children, *(g for c in obj.children if c.dep_ == "compound"
                                     for g in c.children)]  # "Ukraine's EU bid"
            for c in near:
                if c.dep_ == "poss":
                    eid = entity_of(c, res, sent_start)
                    if usable(eid):
                        return eid, c
            for prep in obj.children:
                if prep.dep_ == "prep" and prep.lower_ == "of":
                    for pobj in prep.children:
                        eid = entity_of(pobj, res, sent_start) if pobj.dep_ == "pobj" else None
                        if usable(eid) and res.by_id[eid].label not in PLACE_LABELS:
                            return eid, pobj
    preps = _TARGET_PREPS | ({"from"} if event_type == "SANCTION" else set())
    # "held talks on Ukraine", "agreed on Gaza": the topic (but "agreed to lift sanctions on
    # Belarus" names the party of the act agreed)
    topical = {trigger.i} | ({obj.i} if obj is not None else set()) \
        if event_type in _TOPIC_TYPES else set()
    # the verb and a to-infinitive it governs ("agreed to lift sanctions on Belarus"), and objects
    verbs = {trigger.i} | {c.i for c in trigger.children if c.dep_ in ("xcomp", "advcl")
                           and c.i not in skip}
    objects = {c.i for v in verbs for c in trigger.doc[v].children if c.dep_ in ("dobj", "obj")}
    for tok, _depth in subtree_bfs(trigger, skip, clauses=False):
        if tok.dep_ != "prep" or tok.lower_ not in preps \
                or tok.lower_ in ("on", "over") and tok.head.i in topical:
            continue
        if event_type in ("MOBILIZE", "RETREAT") and tok.head.i == trigger.i \
                and tok.lower_ in _MOVEMENT_PREPS:
            continue  # "marching on Tripoli", "withdrew to X": places, not parties
        if tok.head.i in verbs or tok.head.i in objects or tok.lower_ in _DEEP_TARGET_PREPS:
            for pobj in tok.children:
                if pobj.dep_ == "pobj":
                    eid = entity_of(pobj, res, sent_start)
                    if usable(eid, tok.lower_):
                        return eid, pobj
    return None, None


def extract_events(doc: Doc, res: ResolvedEntities, published: date | None,
                   lexicon: Lexicon) -> tuple[Event, ...]:
    """Typed events of one parsed article.

    Args:
        doc: the parsed body (parser needed).
        res: its resolved entities (transforms.nlp.entities.resolve_entities).
        published: the publish date relative dates are resolved against.
        lexicon: the event lexicon.

    Returns:
        One Event per typed trigger, in document order.
    """
    if not (lexicon.by_trigger or lexicon.verbs or lexicon.nouns):
        return ()
    sentences = sentence_spans(doc)
    events = []
    seen: dict[tuple, int] = {}
    for index, sent in enumerate(sentences):
        if len(sent) > MAX_SENTENCE_TOKENS:
            continue  # a list or a run-on page, no sentence: its events cost time quadratic in it
        prev_start = sentences[index - 1].start if index else sent.start
        triggers = {}
        for token in sent:
            matched = match_trigger(token, lexicon, res)
            if matched:
                triggers[token.i] = matched
        chains = {i: governors(doc[i]) for i in triggers}
        own = {i: m for i, m in triggers.items()
               if not subsumed(doc[i], m[1], chains[i], triggers)}
        made: set[int] = set()
        for i, (text, entry) in own.items():
            trigger = doc[i]
            chain = chains[i]
            event, more_actors, more_targets = _build(doc, sent, index, trigger, text, entry,
                                                      chain, own, res, published, prev_start)
            # "recalled ambassadors and suspended aid": conjoined verbs of one type, one event
            first = trigger
            while first.dep_ == "conj" and first.head.i in own:
                first = first.head
            if event.actor_id is None and event.target_id is None \
                    and not _generic_actor(trigger, entry.event_type):
                continue  # nobody does anything to anybody we can name: not a codable event
            if entry.generated and (event.actor_id is None
                                    and not _generic_actor(trigger, entry.event_type)
                                    or event.target_id is None and not (
                                        entry.event_type in _MATERIAL and (
                                            _acts_on(trigger, text) or _names_a_thing(entry)))):
                continue  # PETRARCH's verbs are broad ("lead", "arrive"): someone does something
            # one event per party of a coordination: "France and Germany condemned" is two
            # (but "Serraj and Haftar met" one: _build makes the other the target)
            actors = [event] + [replace(event, actor_id=a, actor_text=t) for a, t in more_actors]
            made.add(i)
            for variant in actors:
                _add(events, seen, (first.i, variant.event_type, variant.actor_id), variant)
                for b, t in more_targets:
                    if b != variant.actor_id:
                        _add(events, seen, (first.i, variant.event_type, variant.actor_id, b),
                             replace(variant, target_id=b, target_text=t))
        heads = made | {i for i in triggers if any(g.i in made for g in chains[i])}
        done = {e.event_type for e in events if e.sentence == index}
        named = [e for e in nominal_events(doc, sent, index, res, lexicon, heads, published,
                                           prev_start)
                 if e.event_type not in done]  # "imposed sanctions ..., freezing assets": one
        if not made and not named:  # a headline the parser misread: "UN envoy visits Yemen"
            named = headline_events(doc, sent, index, res, lexicon, published, prev_start)
        for event in named:
            _add(events, seen, ("noun", event.sentence, event.trigger, event.event_type,
                                event.actor_id, event.target_id), event)
    return tuple(events)


def _add(events: list[Event], seen: dict[tuple, int], key: tuple, event: Event) -> None:
    """Add an event unless one with the same key (trigger, type, actor; and target for another
    target of a coordination) is there; then only fill in its missing target."""
    if key not in seen:
        seen[key] = len(events)
        events.append(event)
        return
    known = events[seen[key]]
    if known.target_id is None and event.target_id is not None:
        events[seen[key]] = replace(known, target_id=event.target_id, target_text=event.target_text)


def _names_a_thing(entry: LexiconEntry) -> bool:
    """The PETRARCH pattern itself names what is acted upon ("withdrew from the treaty")."""
    return entry.pattern is not None and any(p.nouns for p in entry.pattern.preps)


def _acts_on(trigger: Token, text: str) -> bool:
    """The verb has an object, a thing acted upon ("ceded the islands", "relinquished control",
    "cordoned off the square": the object of its own particle), which stands in for a named
    target for a PETRARCH verb (its dyad)."""
    obj = direct_object(trigger)
    if obj is None:
        subj, passive = subject_of(trigger)
        obj = subj if passive else None
    if obj is None:
        words = text.split()[1:]
        obj = next((o for c in trigger.children if c.dep_ == "prep" and c.lower_ in words
                    for o in c.children if o.dep_ == "pobj"), None)
    return obj is not None and obj.pos_ in ("NOUN", "PROPN")


def _generic_actor(trigger: Token, event_type: str) -> bool:
    """The subject is a role even if unnamed: police, troops, rebels, protesters (CAMEO's
    generic actors), not "I", "you" or "people" visiting a profile; for a protest, a crowd
    ("thousands of people marched": civilians, CAMEO's CVL)."""
    subj, passive = subject_of(trigger)
    if passive:
        subj = agent_of(trigger)
    if subj is not None and subj.lower_ in ("they", "it", "we"):
        clause = (governors(trigger) or [trigger])[-1]  # "the rebels warned they would attack"
        if clause.dep_ == "ccomp" and clause.head.pos_ in ("VERB", "AUX"):
            subj = subject_of(clause.head)[0] or subj
    if subj is not None and subj.lower_ in ("who", "which", "that"):
        clause = relative_clause(subj)  # "troops who attacked the village"
        subj = clause.head if clause is not None else None
    if subj is None:
        return False
    lemma = noun_lemma(subj)
    if event_type == "PROTEST" and (lemma in CROWD_NOUNS or lemma in MEASURE_NOUNS and any(
            noun_lemma(o) in CROWD_NOUNS for p in subj.children if p.lower_ == "of"
            for o in p.children if o.dep_ == "pobj")):
        return True
    return lemma in GENERIC_ACTORS or any(
        noun_lemma(c) in GENERIC_ACTORS for c in subj.children if c.dep_ == "compound")


def _in_subtree(token: Token, heads: set[int]) -> bool:
    """The token is in the subtree of one of `heads` (is one, or has one above it). Walking up
    from the token, not down from every head: in a run-on sentence with many triggers the
    heads' subtrees were quadratic (a 10,000-character sentence took 40 s)."""
    return token.i in heads or any(a.i in heads for a in token.ancestors)


def _build(doc: Doc, sent: Span, index: int, trigger: Token, text: str, entry: LexiconEntry,
           chain: list[Token], triggers: Mapping[int, object], res: ResolvedEntities,
           published: date | None, prev_start: int
           ) -> tuple[Event, list[tuple[str, str]], list[tuple[str, str]]]:
    """Fill one event's arguments from the parse around its trigger; also the other parties of
    a coordinated actor or target joined by "and" ("France and Germany condemned", "attacked
    Ukraine and Georgia"), as (entity id, text) pairs."""
    subj, passive = subject_of(trigger)
    obj = direct_object(trigger)
    if passive:
        obj, subj = subj, agent_of(trigger)
    if entry.source:  # "the Philippines received a loan from Japan": Japan gives, to it
        obj, subj = subj, source_of(trigger, entry.source)
    clause = chain[-1] if chain else trigger
    speaker = clause.head if clause.dep_ == "ccomp" and clause.head.pos_ in ("VERB", "AUX") else None
    if speaker is not None and speaker.lemma_.lower() in WARN and _is_future([trigger, *chain]):
        # "warned that the EU would impose sanctions": the warning is the event, a threat
        entry = threat(entry)
        text = f"{speaker.lemma_.lower()} {text}"
        subj, _ = subject_of(speaker)
    elif chain and chain[0].lemma_.lower() in WARN and trigger.dep_ == "xcomp" \
            and entry.event_type in _FORCE_TYPES:
        # "vows to retaliate", "threatens to cut ties": the threat is the event
        entry = threat(entry)
        text = f"{chain[0].lemma_.lower()} {text}"
    elif speaker is not None and subj is not None and subj.lower_ in SPEAKER_PRONOUNS:
        # "NATO said it would deploy": it = NATO; Kim said, "I welcome ...": I = Kim
        said_by, _ = subject_of(speaker)
        if speaks_for(subj, said_by):
            subj = said_by
    if subj is not None and noun_lemma(subj) in _TEXT_NOUNS and not _names_a_party(subj, res, prev_start):
        # a text is no party: its issuer acts ("the UN resolution condemned"), if it names one
        # ("the resolution supports", "his plan would call for": nobody we can name)
        subj = next((c for c in subj.children if c.dep_ in ("compound", "poss", "amod", "nmod")
                     and c.lower_ not in _HE_SHE_ITS and (_names_a_party(c, res, prev_start)
                                                         or noun_lemma(c) in GENERIC_ACTORS)),
                    None)
    moved = None
    if entry.event_type in ("MOBILIZE", "RETREAT") and obj is not None:
        moved, obj = obj, None  # "deployed the army": the force moved, not a party acted upon
        if subj is None:
            subj = moved  # "the People's Liberation Army could be deployed"
    actor_id = second_id = None
    actor_text = ""
    more_actors: list[tuple[str, str]] = []
    if subj is not None:
        conjuncts = subject_phrase(subj.head, subj) if subj.lower_ not in ("who", "which", "that") \
            else [subj]
        ids = [entity_of(c, res, prev_start) for c in conjuncts]
        if len(conjuncts) == 1 and subj.lower_ in ("who", "which", "that"):
            head = subj.head
            while head.dep_ != "relcl" and head.head.i != head.i:
                head = head.head
            if head.dep_ == "relcl":  # "Serraj and Haftar, who met": both parties
                conjuncts = coordination(head.head)
                ids = [entity_of(c, res, prev_start) for c in conjuncts]
        named = [(eid, c) for eid, c in zip(ids, conjuncts, strict=True) if eid]
        if named:
            actor_id = named[0][0]
            actor_text = phrase_text(named[0][1]) if not named[0][1].is_ancestor(trigger) \
                else named[0][1].text  # "Blinken to visit China": the parser's root is the name
            second_id = next((eid for eid, _ in named[1:] if eid != actor_id), None)
            if not _alternatives(conjuncts):
                more_actors = list({eid: conjunct_text(c) for eid, c in named[1:]
                                    if eid != actor_id}.items())
                if more_actors:  # "France and Germany condemned": France's event says France
                    actor_text = conjunct_text(named[0][1])
        else:  # "Troops allied to the Tripoli government": the government, though unnamed
            # ("a proposal that would ban": the proposal, not "that")
            if subj.lower_ in ("who", "which", "that") and conjuncts[0].i < subj.i:
                actor_text = doc[conjuncts[0].left_edge.i:subj.i].text.strip(" ,")
            else:
                actor_text = phrase_text(represented(subj))
    subject_tokens = set()
    if subj is not None and subj.i >= sent.start and subj.i < sent.end:
        subject_tokens = {t.i for t in subj.subtree}
    # never wander into another trigger's clause or into the subject
    skip = subject_tokens | {j for j in triggers if j != trigger.i}
    place_skip = set(skip)
    skip |= {t.i for t in doc[sent.start:sent.end] if t.dep_ == "relcl" and t.i != trigger.i}
    target_id, target_tok = _target(trigger, obj, skip, res, prev_start, entry)
    if target_id is None:
        for g in chain:  # "moved vehicles ... to defend the capital against Haftar's forces"
            target_id, target_tok = _target(g, None, skip | {trigger.i}, res, prev_start, entry)
            if target_id:
                break
    if target_id is None and second_id and entry.symmetric:
        target_id = second_id  # "Serraj and Haftar met": one meeting, one with the other
        more_actors = []
    if target_id == actor_id:
        target_id = None
    target_text = phrase_text(target_tok) if target_tok is not None and target_id else (
        res.by_id[target_id].name if target_id else "")
    more_targets: list[tuple[str, str]] = []
    between = target_tok is not None and any(  # "mediate between A and B": one pair, one event
        t.dep_ == "pobj" and t.head.lower_ == "between" for t in coordination(target_tok))
    if target_tok is not None and target_id and not between \
            and not _alternatives(coordination(target_tok)):
        for c in coordination(target_tok):
            eid = entity_of(c, res, prev_start)
            if eid and eid not in (target_id, actor_id) and eid not in dict(more_targets) and (
                    res.by_id[eid].label not in PLACE_LABELS
                    or res.kind.get(eid) in ("country", "capital")):
                more_targets.append((eid, phrase_text(c)))
    # location: the clause, then the verbs it complements, then the sentence
    used = {actor_id, target_id} | {a for a, _ in more_actors} | {b for b, _ in more_targets}
    directional = entry.event_type in _MOVEMENT_TYPES
    location_id, location_text = None, ""
    where = clause.dep_ == "relcl" and any(c.lower_ in ("where", "when") for c in clause.children)
    if where:  # "fly to New Delhi on Tuesday, where he will meet Modi": the place before "where"
        before = [(eid, doc[start:end].text) for start, end, eid in res.mention_spans
                  if sent.start <= start < clause.left_edge.i
                  and res.by_id[eid].label in PLACE_LABELS and eid not in used]
        if before:
            location_id, location_text = before[-1]
    for head in (trigger, *chain) if location_id is None else ():
        places = [p for p in _places(head, place_skip | ({trigger.i} if head.i != trigger.i else set()),
                                     res, directional or head.i != trigger.i)
                  if p[1] not in used]
        if places:
            location_id, location_text = places[0][1], _mention_text(doc, res, places[0][2].i)
            break
    if location_id is None:  # "in X" elsewhere in the sentence, outside other events' clauses
        elsewhere = skip - subject_tokens
        near = [(abs(start - trigger.i), eid, doc[start:end].text)
                for start, end, eid in res.mention_spans
                if sent.start <= start < sent.end and res.by_id[eid].label in PLACE_LABELS
                and eid not in used and start not in subject_tokens
                and not _in_subtree(doc[start], elsewhere) and _locative(doc[start:end].root)]
        if near:
            _, location_id, location_text = min(near)
    future = _is_future([trigger, *chain])
    dated = [trigger, *chain]
    if where:  # the time of the clause "where"/"when" hangs on
        anchor = clause.head
        while anchor.pos_ not in ("VERB", "AUX") and anchor.head.i != anchor.i:
            anchor = anchor.head
        dated.append(anchor)
    event_date, precision, source = _event_date(doc, sent, dated, published, future)
    start_char = sent.start_char + (len(sent.text) - len(sent.text.lstrip()))
    end_char = sent.end_char - (len(sent.text) - len(sent.text.rstrip()))
    return Event(
        sentence=index, start=start_char, end=end_char, trigger=text,
        event_type=entry.event_type, cameo_root=entry.cameo_root, quad_class=entry.quad_class,
        actor_text=actor_text, actor_id=actor_id, target_text=target_text, target_id=target_id,
        location_text=location_text, location_id=location_id, event_date=event_date,
        date_precision=precision, date_source=source, negated=_negated(trigger, chain),
        cameo_code=entry.cameo_code,
    ), more_actors, more_targets


def _names_a_party(token: Token, res: ResolvedEntities, prev_start: int) -> bool:
    eid = entity_of(token, res, prev_start)
    return eid is not None and res.by_id[eid].label in ("PERSON", "ORG", "GPE", "NORP")


def _alternatives(conjuncts: list[Token]) -> bool:
    """Conjuncts joined by "or"/"nor" ("neither Russia nor Belarus"): not all of them acted."""
    return any(c.dep_ in ("cc", "preconj") and c.lower_ in ("or", "nor", "neither", "either")
               for t in conjuncts for c in t.children)
