"""Events named by a noun (pure): "the bombing of the hospital by Russian jets", "talks between
Israel and Hamas", "a protest by farmers against the law", "Russia's invasion of Ukraine".

A noun of the lexicon's event nouns (transforms/nlp/lexicon.py: Lexicon.nouns) heading its
phrase is an event of its own only where no event verb governs it: "condemned the attack" is the
condemnation, "held talks" the meeting. Its actor is its "by" phrase, its possessor, or a name
modifying it ("Israeli airstrikes", "Houthi attack"), but what is done to someone names him
by his possessive ("his arrest", "Khashoggi's murder"); for a movement ("the withdrawal of Russian
troops") its "of" phrase. Its target is its "of" phrase ("the arrest of X"), or "on/against" X
("an attack on Z", "sanctions against X"), "with" X ("talks with X", "clashes with X"), "to/into"
X ("a visit to X", "an incursion into X"); "between A and B" gives both. One of them must be named,
both for a meeting; forces move, not persons ("his withdrawal" from a race).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from spacy.tokens import Doc, Span, Token

from transforms.nlp.entities import ResolvedEntities
from transforms.nlp.lexicon import Lexicon, LexiconEntry, quad_class
from transforms.nlp.syntax import (
    CROWD_NOUNS,
    PLACE_LABELS,
    conjunct_text,
    coordination,
    entity_of,
    noun_lemma,
    subject_of,
)
from transforms.nlp.whenwhere import event_date, mention_text, places
from transforms.records import Event

# verbs whose object is an event that has not happened: "to prevent an attack", "plans talks"
NOT_HAPPENED = frozenset({"prevent", "avoid", "plan", "propose", "consider", "fear", "risk",
                          "threaten", "warn", "urge", "demand", "call", "want", "seek", "deny",
                          "reject", "rule", "oppose", "stop", "postpone", "cancel", "delay",
                          "suspend", "need", "hope", "expect", "prepare", "schedule", "invite",
                          "request", "ask", "offer", "agree", "refuse", "discuss", "study",
                          "prefer", "await", "watch", "trigger", "provoke", "spark", "fear"})
_MODALS = frozenset({"could", "would", "might", "may", "should", "can", "must"})
# prepositions whose object is the party acted upon, by event type
_TARGET_PREPS = {
    "ASSAULT": ("of", "on", "against", "upon", "at", "into", "with"),
    "COERCE": ("of", "on", "against", "upon", "into"),
    "SANCTION": ("on", "against", "of"),
    "PROTEST": ("against", "over"),
    "CONSULT": ("with", "to"),
    "AID": ("to", "for", "of"),
    "RETREAT": ("of",),
    "MOBILIZE": ("against",),
}
_MOVEMENT_CODES = ("087", "15")
# "flew to Washington for talks with Biden", "arrived in Moscow on a visit": the traveller's
# purpose is an event of the traveller's
_TRAVEL_VERBS = frozenset({"arrive", "fly", "travel", "go", "come", "head", "leave", "return",
                           "land", "depart", "set", "journey", "jet", "be"})
_BETWEEN_TYPES = frozenset({"CONSULT", "AGREE", "COOPERATE"})  # two parties or none  # "the withdrawal of Russian troops": the troops moved
_LABOUR = frozenset({"hunger", "general", "labour", "labor", "national", "nationwide", "worker",
                     "union", "teacher", "doctor", "rail", "transport", "sit", "wildcat"})
_PROTEST_STRIKE = LexiconEntry("strike", "PROTEST", "143", quad_class("143"), generated=True)


def event_noun(token: Token, lexicon: Lexicon) -> LexiconEntry | None:
    """The lexicon's event noun a token heads ("bombing", "Talks" in a headline), or None."""
    if token.pos_ not in ("NOUN", "PROPN") or token.dep_ in ("compound", "amod", "nmod"):
        return None
    for key in (noun_lemma(token), token.lower_):
        entry = lexicon.nouns.get(key)
        if entry is not None:
            if key == "strike" and _labour_strike(token):
                return _PROTEST_STRIKE  # "a general strike", "a strike by workers"
            return entry
    return None


def _labour_strike(token: Token) -> bool:
    for c in token.children:
        if c.dep_ in ("compound", "amod") and noun_lemma(c) in _LABOUR:
            return True
        if c.dep_ in ("prep", "agent") and c.lower_ == "by":
            return any(noun_lemma(o) in CROWD_NOUNS for o in c.children)
    return False


def _objects(token: Token, preps: Collection[str]) -> list[Token]:
    return [o for p in token.children if p.dep_ in ("prep", "agent") and p.lower_ in preps
            for o in p.children if o.dep_ == "pobj"]


def _happening(token: Token, event_heads: Collection[int]) -> bool:
    """No event verb governs the noun, nor a verb of something that has not happened."""
    for a in token.ancestors:
        if a.i in event_heads:
            return False
        if a.pos_ in ("VERB", "AUX") and (a.lemma_.lower() in NOT_HAPPENED or any(
                c.dep_ == "aux" and c.lower_ in _MODALS for c in a.children)):
            return False  # "could trigger retaliation", "would prefer U.S. retaliation"
    return not any(c.dep_ == "neg" or c.lower_ in ("no", "any") for c in token.children)


def nominal_events(doc: Doc, sent: Span, index: int, res: ResolvedEntities, lexicon: Lexicon,
                   event_heads: Collection[int], published: date | None, prev_start: int
                   ) -> list[Event]:
    """The events named by nouns in one sentence.

    Args:
        doc: the parsed body.
        sent: the sentence.
        index: its index in the body.
        res: the doc's resolved entities.
        lexicon: the event lexicon (its event nouns).
        event_heads: token indices of the sentence's verb triggers that made events.
        published: the publish date.
        prev_start: where pronoun look-back may start.

    Returns:
        One event per actor and target pair of each event noun.
    """
    if not lexicon.nouns:
        return []
    out = []
    for token in sent:
        entry = event_noun(token, lexicon)
        if entry is None or token.i in res.token_entity or not _happening(token, event_heads):
            continue
        out += _events(doc, sent, index, token, entry, res, published, prev_start)
    return out


def _modifier_acts(token: Token, res: ResolvedEntities) -> bool:
    """A name modifying an event noun is its actor when it is a people, group, person or
    country ("Israeli airstrikes", "US sanctions"), not a city ("on Islamabad visit")."""
    eid = res.token_entity.get(token.i)
    if eid is None:
        return False
    return res.by_id[eid].label not in PLACE_LABELS or res.kind.get(eid) == "country"


def _travel_verb(noun: Token) -> Token | None:
    """The verb of travel whose purpose the noun is ("flew ... for talks", "arrived on a
    visit"), or None."""
    prep = noun.head
    if noun.dep_ != "pobj" or prep.dep_ != "prep" or prep.lower_ not in ("for", "on"):
        return None
    verb = prep.head
    if verb.pos_ in ("VERB", "AUX") and verb.lemma_.lower() in _TRAVEL_VERBS:
        return verb
    return None


def _parties(heads: list[Token], res: ResolvedEntities, prev_start: int) -> list[tuple[str, str]]:
    """(entity id, phrase) of the named parties among phrases and their conjuncts."""
    return [(eid, conjunct_text(c)) for t in heads for c in coordination(t)
            if (eid := _party(c, res, prev_start))]


def _party(token: Token, res: ResolvedEntities, prev_start: int) -> str | None:
    eid = entity_of(token, res, prev_start)
    if eid is None:
        return None
    if res.by_id[eid].label in PLACE_LABELS and res.kind.get(eid) not in ("country", "capital"):
        return None  # "the bombing of Dresden": where, not whom
    return eid


# what is done to someone: "his arrest", "Khashoggi's murder" name the one it was done to (but
# "Iran's release of the sailors" names who did it)
_UNDERGONE = frozenset({"arrest", "detention", "deportation", "expulsion", "eviction",
                        "imprisonment", "prosecution", "abduction", "kidnapping", "assassination",
                        "killing", "murder", "torture", "release", "ousting"})


def _events(doc: Doc, sent: Span, index: int, noun: Token, entry: LexiconEntry,
            res: ResolvedEntities, published: date | None, prev_start: int) -> list[Event]:
    kind = entry.event_type
    moved = entry.cameo_code.startswith(_MOVEMENT_CODES)
    actors: list[Token] = _objects(noun, ("by",))
    possessors = [c for c in noun.children if c.dep_ == "poss"]
    undergone = noun_lemma(noun) in _UNDERGONE and not _objects(noun, ("of",))
    actors += [] if undergone else possessors
    if moved:
        actors += _objects(noun, ("of",))
    actors += [c for c in noun.lefts if c.dep_ in ("compound", "amod", "nmod")
               and _modifier_acts(c, res)]  # "Israeli airstrikes", "Houthi attack"
    target_preps = tuple(p for p in _TARGET_PREPS.get(kind, ()) if not (moved and p == "of"))
    targets = _objects(noun, target_preps) + (possessors if undergone else [])
    traveller = _travel_verb(noun) if not actors else None
    if traveller is not None:
        subject, passive = subject_of(traveller)
        actors += [subject] if subject is not None and not passive else []
        if kind == "CONSULT" and not targets:  # "arrived in Moscow for a visit": the host
            targets = _objects(traveller, ("to", "in"))
    pair = _objects(noun, ("between", "among"))
    actor_ids = _parties(actors, res, prev_start)
    target_ids = _parties(targets, res, prev_start)
    if pair:
        both = _parties(pair[:1], res, prev_start)
        if both and not actor_ids:
            actor_ids, both = both[:1], both[1:]
        target_ids = both[:1] + target_ids
    actor_ids = list(dict(actor_ids).items())
    target_ids = [t for t in dict(target_ids).items() if t[0] not in dict(actor_ids)]
    if not actor_ids and not target_ids:
        return []
    if kind in _BETWEEN_TYPES and not (actor_ids and target_ids):
        return []  # "an OPEC meeting", "negotiations with the United States": who with whom?
    if moved and any(res.by_id[a].label == "PERSON" for a, _ in actor_ids):
        return []  # "his withdrawal" from a race or a nomination: not forces moving
    used = {a for a, _ in actor_ids} | {t for t, _ in target_ids}
    where = [p for p in places(noun, set(), res, True) if p[1] not in used]
    location_id = where[0][1] if where else None
    location_text = mention_text(doc, res, where[0][2].i) if where else ""
    verb = next((a for a in noun.ancestors if a.pos_ in ("VERB", "AUX")), None)
    when, precision, source = event_date(doc, sent, [verb] if verb is not None else [], published,
                                         False)
    start = sent.start_char + (len(sent.text) - len(sent.text.lstrip()))
    end = sent.end_char - (len(sent.text) - len(sent.text.rstrip()))

    events = []
    for actor, actor_text in actor_ids or [(None, "")]:
        for target, target_text in target_ids or [(None, "")]:
            events.append(Event(
                sentence=index, start=start, end=end, trigger=noun_lemma(noun),
                event_type=kind, cameo_root=entry.cameo_root, quad_class=entry.quad_class,
                actor_text=actor_text, actor_id=actor, target_text=target_text,
                target_id=target, location_text=location_text, location_id=location_id,
                event_date=when, date_precision=precision, date_source=source, negated=False,
                cameo_code=entry.cameo_code))
    return events

