"""Events of headlines the parser misreads (pure): "UN envoy visits Yemen", "North Korea fires
missile into sea", "Kenyan police fire tear gas at protesters in Nairobi".

Headline syntax (no determiners, present tense, no final stop) often gets the verb tagged as a
plural noun. In a short sentence without a final stop that yielded no event, a word whose lemma
is a verb of the lexicon, right after a noun phrase that names a party (the actor) and before
the noun phrase it acts on (the object), is read as subject - verb - object; the target is a
name in the object, or after at/against/on/with; the location a place after in/at.
"""

from __future__ import annotations

from datetime import date

from spacy.tokens import Doc, Span, Token

from transforms.nlp.entities import ResolvedEntities
from transforms.nlp.lexicon import Lexicon
from transforms.nlp.syntax import (
    CROWD_NOUNS,
    GENERIC_ACTORS,
    PLACE_LABELS,
    entity_of,
    is_headline,
    noun_lemma,
)
from transforms.nlp.triggers import match_word
from transforms.records import Event

_STOP_POS = frozenset({"ADP", "PUNCT", "SCONJ", "CCONJ", "PART", "AUX", "PRON", "DET", "ADV"})
_TARGET_PREPS = frozenset({"at", "against", "on", "with", "to"})


def _is_verb(token: Token, lexicon: Lexicon) -> str:
    """The lexicon verb a word is, or ""."""
    if token.pos_ not in ("NOUN", "PROPN", "VERB"):
        return ""
    for lemma in (token.lemma_.lower(), noun_lemma(token)):
        if lemma in lexicon.by_trigger or lemma in lexicon.verbs:
            return lemma
    return ""


def headline_events(doc: Doc, sent: Span, index: int, res: ResolvedEntities, lexicon: Lexicon,
                    published: date | None, prev_start: int) -> list[Event]:
    """The events of a misparsed headline (call it for a sentence that yielded none).

    Returns:
        One event per actor (one in all for symmetric types), or nothing.
    """
    if not is_headline(sent):
        return []
    for token in sent:
        if token.i in res.token_entity or token.i == sent.start:
            continue
        lemma = _is_verb(token, lexicon)
        if not lemma:
            continue
        left = _run(doc, token.i - 1, sent.start - 1, -1, lexicon)
        if not left or not any(t.i in res.token_entity or noun_lemma(t) in GENERIC_ACTORS
                               or noun_lemma(t) in CROWD_NOUNS for t in left):
            continue
        right = _run(doc, token.i + 1, sent.end, 1, lexicon)
        matched = match_word(lemma, right[-1] if right else None, left[-1], lexicon, res)
        if matched is None:
            continue
        text, entry = matched
        actors = _named(left, res, prev_start)
        after = right[-1].i + 1 if right else token.i + 1
        targets = _named(right, res, prev_start, places=True) or _after_prep(
            doc, after, sent.end, _TARGET_PREPS, res, prev_start)
        if entry.symmetric and len(actors) > 1 and not targets:
            actors, targets = actors[:1], actors[1:2]
        # nobody named on either side: an event still when the actor is a role ("Police fire
        # tear gas at protesters", "Protesters storm parliament"), as for a parsed verb
        # ("Thousands march in Tel Aviv": a crowd protests, as for a parsed verb)
        generic = not actors and any(noun_lemma(t) in GENERIC_ACTORS or entry.event_type == "PROTEST"
                                     and noun_lemma(t) in CROWD_NOUNS for t in left)
        if entry.generated and not targets or not actors and not targets and not generic:
            continue
        location = next((eid for eid in _after_prep(doc, after, sent.end, {"in", "at"}, res,
                                                     prev_start, places_only=True)), None)
        start = sent.start_char + (len(sent.text) - len(sent.text.lstrip()))
        end = sent.end_char - (len(sent.text) - len(sent.text.rstrip()))
        out = []
        for actor in actors or [None]:
            target = next((t for t in targets if t != actor), None)
            out.append(Event(
                sentence=index, start=start, end=end, trigger=text, event_type=entry.event_type,
                cameo_root=entry.cameo_root, quad_class=entry.quad_class,
                # one party: its whole phrase, which the actor coder reads ("Sudan army": MIL)
                actor_text=_text(left) if not actor or len(actors) == 1 else res.by_id[actor].name,
                actor_id=actor, target_text=res.by_id[target].name if target else "",
                target_id=target, location_text=res.by_id[location].name if location else "",
                location_id=location, event_date=published, date_precision="day",
                date_source="publish_date" if published else "none", negated=False,
                cameo_code=entry.cameo_code))
        return out
    return []


def _run(doc: Doc, i: int, stop: int, step: int, lexicon: Lexicon, limit: int = 5) -> list[Token]:
    """The noun phrase next to the verb: words up to a preposition, a clause word or another
    verb of the lexicon (commas and "and" inside, between names: "US, Iran")."""
    out: list[Token] = []
    while i != stop and len(out) < limit:
        t = doc[i]
        if t.is_space or t.pos_ in _STOP_POS and t.text not in (",", "-") and t.lower_ != "and" \
                or t.pos_ in ("VERB", "AUX") and _is_verb(t, lexicon) \
                or t.like_num and step < 0 and not (t.is_alpha and t.lower_.endswith("s")):
            # a number before the verb ends its subject, but "Thousands", "Hundreds" are one
            break
        out.append(t)
        i += step
    out = [t for t in out if t.text not in (",", "-") and t.lower_ != "and"]
    return sorted(out, key=lambda t: t.i)


def _named(tokens: list[Token], res: ResolvedEntities, prev_start: int,
           places: bool = False) -> list[str]:
    """The parties named in a phrase, in order (a place only when it is a country or capital)."""
    out: list[str] = []
    for t in tokens:
        eid = entity_of(t, res, prev_start)
        if eid is None or eid in out:
            continue
        if places and res.by_id[eid].label in PLACE_LABELS \
                and res.kind.get(eid) not in ("country", "capital"):
            continue
        out.append(eid)
    return out


def _after_prep(doc: Doc, i: int, stop: int, preps: set[str] | frozenset[str],
                res: ResolvedEntities, prev_start: int, places_only: bool = False) -> list[str]:
    """Names right after one of `preps` in the rest of the headline."""
    out = []
    for j in range(i, stop - 1):
        if doc[j].lower_ in preps:
            for t in doc[j + 1:min(stop, j + 5)]:
                if t.pos_ in ("ADP", "VERB", "PUNCT"):
                    break  # "at protesters in Nairobi": the phrase of "at" ends at "in"
                eid = entity_of(t, res, prev_start)
                if eid is None:
                    continue
                place = res.by_id[eid].label in PLACE_LABELS
                if places_only and place or not places_only and (
                        not place or res.kind.get(eid) in ("country", "capital")):
                    out.append(eid)
                    break
    return out


def _text(tokens: list[Token]) -> str:
    return tokens[0].doc[tokens[0].i:tokens[-1].i + 1].text if tokens else ""
