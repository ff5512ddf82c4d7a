"""Actor coding with the PETRARCH2 / Phoenix dictionaries: a country and a role for entities and
for the actors and targets of events (pure).

The dictionaries (their entries and formats: transforms/coding/phoenix.py) come in as the
compact seed seeds/make_actor_dictionary.py writes (`parse_actor_seed`, read by flows/nlp.py). A
code is a CAMEO actor code: a 3-letter country (ISO 3166-1 alpha-3 in Phoenix) or an international prefix (IGO, NGO,
IMG, MNC), then 3-letter role blocks: "LBYMIL", "EGYGOVMIL", "IGOUNO". The country is the first
block when the dictionary lists it as a country, "IGO" for an intergovernmental body, else None;
the role is the first role block (GOV, MIL, REB, COP, CVL, ...), "IGO"/"NGO"/"IMG"/"MNC" for
international actors.

Matching is on words, case- and diacritic-insensitive: a name is looked up whole (one dict
lookup per form); a phrase is scanned left to right for the longest actor or agent phrase at each
word (a dict lookup per candidate length). Date restrictions hold as in PETRARCH: `[CODE a-b]`
from a (inclusive) to b (exclusive), `<b` before, `>a` from; a code that holds at the date beats
an undated one, and with no date only undated codes count. Names whose dictionary entries give
different countries stay uncoded, as does anything the dictionaries do not know.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from spacy.tokens import Doc

from transforms.coding.phoenix import (
    COUNTRIES,
    NULL_CODE,
    ActorEntry,
    AgentEntry,
    CodeSpan,
    phrase_key,
    read_actor_seed,
    words_of,
)
from transforms.nlp.entities import ResolvedEntities
from transforms.nlp.names import PERSON_TITLES, fold, strip_title_words
from transforms.records import Entity, Event

# CAMEO role and sector codes (CAMEO manual, actor codebook): domestic roles, international
# actor types, religions; a first block that is none of these and no country is a region
ROLES = frozenset({
    "COP", "GOV", "INS", "JUD", "MIL", "OPP", "PTY", "REB", "SEP", "SPY", "UAF", "AGR", "BUS",
    "CRM", "CVL", "DEV", "EDU", "ELI", "ENV", "HLH", "HRI", "LAB", "LEG", "MED", "REF", "MOD",
    "RAD", "IGO", "IMG", "MNC", "NGM", "NGO", "UIS", "REL", "ADR", "ALE", "ATH", "BAH", "BUD",
    "CHR", "CON", "CPT", "CTH", "DOX", "DRZ", "HIN", "HSD", "ITR", "JAN", "JEW", "JHW", "LDS",
    "MOS", "MRN", "MUS", "NEW", "ORT", "PRO", "SHI", "SIK", "SUF", "SUN", "TAO", "UDX", "ZRO",
})
CODED_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP"})
# "UN-backed government", "Iranian-sponsored militia": the modifier is not the actor's side
_NOT_MEMBER = frozenset({"backed", "led", "sponsored", "funded", "supported", "brokered",
                         "allied", "aligned", "mediated", "hosted", "imposed", "linked"})
# words that start the prepositional part of a phrase ("protesters in Cairo")
_PREPOSITIONS = frozenset({"of", "in", "from", "at", "to", "with", "for", "on", "near", "by",
                           "against", "across", "inside", "outside", "into", "under", "over",
                           "between", "among", "within", "around", "throughout", "toward",
                           "towards", "via", "loyal", "allied"})
_STOP = frozenset({",", ";", "who", "which", "that", "whose", "whom", "where", "when"})
_TITLE_STARTS = frozenset(title.split()[0] for title in PERSON_TITLES)
_FUNCTION_WORDS = frozenset({"of", "the", "and", "for", "to", "in", "on", "a", "an", "at"})
_TOKEN = re.compile(r"[^\W_]+(?:[.'-][^\W_]+)*\.?|[,;]")

# -- the dictionary ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActorCode:
    """A coded actor: the full CAMEO code (None when only a role is known), country and role."""

    code: str | None
    country: str | None
    role: str | None


_NOTHING = ActorCode(None, None, None)


class ActorDictionary:
    """Actor and agent phrases indexed for word lookups; build once, share (read-only)."""

    __slots__ = ("entries", "actors", "agents", "countries", "_actor_len", "_agent_len")

    def __init__(self, entries: Sequence[ActorEntry], agents: Sequence[AgentEntry]) -> None:
        self.entries = tuple(entries)
        actors: dict[str, list[int]] = {}
        for i, entry in enumerate(self.entries):
            for key in _entry_keys(entry):
                ids = actors.setdefault(key, [])
                if i not in ids:
                    ids.append(i)
        self.actors = {key: tuple(ids) for key, ids in actors.items()}
        self.agents: dict[str, str] = {}
        for agent in agents:  # a later entry wins, as in PETRARCH (and the seed's overrides)
            for key in agent.phrases:
                if key:
                    self.agents[key] = agent.code
        self.countries = frozenset(c.code for e in self.entries if e.source == COUNTRIES
                                   for c in e.codes if len(c.code) == 3 and c.code.isalpha())
        self._actor_len = _max_lengths(self.actors)
        self._agent_len = _max_lengths(self.agents)

    def code_of(self, code: str | None, role_only: str | None = None) -> ActorCode:
        """Country and role of a CAMEO code (or a bare role when there is no actor code).

        "LBYGOVMIL" -> LBY, GOV; "IGOUNO" -> IGO, IGO; "IMGMUSALQ" -> None, IMG; a region or a
        former state that is no country of the dictionary ("MEAREB", "YUGHRV") -> None and its
        first role block, if any.
        """
        if not code:
            return ActorCode(None, None, role_only)
        blocks = [code[i:i + 3] for i in range(0, len(code), 3)]
        if blocks[0] == "IGO":
            return ActorCode(code, "IGO", "IGO")
        if blocks[0] in self.countries:
            return ActorCode(code, blocks[0], blocks[1] if len(blocks) > 1 else None)
        return ActorCode(code, None, next((b for b in blocks if b in ROLES), None))

    def lookup(self, name: str, when: date | None) -> str | None:
        """The code of a whole name at a date: None if unknown or ambiguous, NULL_CODE if blocked."""
        key = phrase_key(name)
        ids = self.actors.get(key)
        if ids is None and key.startswith("the "):
            ids = self.actors.get(key[4:])
        return self.resolve(ids, when) if ids else None

    def resolve(self, ids: Sequence[int], when: date | None) -> str | None:
        picks = [(p, self.entries[i].source) for i in ids if (p := _pick(self.entries[i].codes, when))]
        dated = [code for (code, is_dated), _ in picks if is_dated]
        # newsduck's own entries (source N) date offices after Phoenix's end (about 2014), where
        # Phoenix's ranges are often left open: one that holds at the date decides
        own = [code for (code, is_dated), source in picks if is_dated and source == "N"]
        codes = own or dated or [code for (code, _), _ in picks]
        if not codes:
            return None
        if NULL_CODE in codes:
            return NULL_CODE
        if len({self.code_of(c).country or c for c in codes}) > 1:
            return None  # entries disagree on the country: not a guess we make
        return codes[0]

    def longest(self, words: Sequence[str], i: int, agents: bool) -> tuple[int, str] | None:
        """The longest actor (or agent) phrase starting at words[i]: (end, code or ids key)."""
        table, lengths = (self.agents, self._agent_len) if agents else (self.actors, self._actor_len)
        for n in range(min(lengths.get(words[i], 0), len(words) - i), 0, -1):
            key = " ".join(words[i:i + n])
            if key in table:
                return i + n, key
        return None


def _max_lengths(table: Mapping[str, object]) -> dict[str, int]:
    lengths: dict[str, int] = {}
    for key in table:
        first, n = key.split(" ", 1)[0], key.count(" ") + 1
        lengths[first] = max(lengths.get(first, 0), n)
    return lengths


def _entry_keys(entry: ActorEntry) -> list[str]:
    """An entry's keys: each phrase, and the phrase without a leading title or "the" when that
    still names someone ("PRESIDENT_GEORGE_W._BUSH" -> "george w bush")."""
    keys = []
    for phrase in entry.phrases:
        keys.append(phrase)
        words = phrase.split()
        if words[:1] == ["the"]:
            words = words[1:]
        if words[:1] and words[0] in _TITLE_STARTS:
            words = strip_title_words(words, PERSON_TITLES)
        if len(words) >= 2 and words[0] not in _FUNCTION_WORDS:
            keys.append(" ".join(words))
    return keys


def _pick(codes: Sequence[CodeSpan], when: date | None) -> tuple[str, bool] | None:
    """The entry's code at a date: the first dated code that holds, else the first undated;
    for an undated text a country's code since its last change ("Ukraine": UKR since 1991, not
    the Soviet republic), never an office holder's."""
    if when is not None:
        for span in codes:
            if span.dated and span.holds(when):
                return span.code, True
    for span in codes:
        if not span.dated:
            return span.code, False
    if when is None:
        for span in codes:
            if span.end is None and len(span.code) == 3:
                return span.code, True
    return None


def parse_actor_seed(lines: Iterable[str]) -> ActorDictionary:
    """The dictionary from seed lines (transforms.coding.phoenix.format_actor_seed)."""
    return ActorDictionary(*read_actor_seed(lines))


# -- coding -----------------------------------------------------------------------------------


def _mix(actor: str | None, agent: str) -> str | None:
    """PETRARCH's combination: "~MIL" appended to the actor code (once), "IGO~" put before it."""
    if agent.endswith("~"):
        prefix = agent[:-1]
        return prefix + (actor or "") if not (actor or "").startswith(prefix) else actor
    if actor is None:
        return None
    return actor if agent[1:] in actor else actor + agent[1:]


Word = tuple[str, bool]  # (matching word, written with a capital)
Fixed = Mapping[int, tuple[int, ActorCode]]  # word index -> (end, code) of a coded entity mention


def text_words(text: str) -> list[Word]:
    """The words of a phrase with their capitalisation; "," and ";" kept as stops."""
    out: list[Word] = []
    for token in _TOKEN.findall(fold(text)):
        if token in (",", ";"):
            out.append((token, False))
            continue
        capital = token[:1].isupper()
        out += [(w, capital) for w in words_of(token)]
    return out


def code_words(d: ActorDictionary, words: Sequence[Word], when: date | None,
               fixed: Fixed | None = None) -> ActorCode | None:
    """Code a noun phrase the PETRARCH way: its actor (the first in the phrase before any
    preposition, else the first after it: "protesters in Cairo") mixed with its agent (the last
    one before the preposition, else the first after: "Egyptian police" -> EGY + ~COP).

    Args:
        d: the dictionary.
        words: the phrase's words (text_words); the scan stops at a comma or a relative pronoun.
        when: the date the codes must hold at (None: undated codes only).
        fixed: codes already known for spans of words (the doc's coded entity mentions).

    Returns:
        The code, or None when the phrase names no actor and no agent.
    """
    plain = [w for w, _ in words]
    actors: list[list[ActorCode]] = [[], []]  # [head, prepositional part]
    agents: list[list[str]] = [[], []]
    part, i = 0, 0
    while i < len(plain):
        word = plain[i]
        if word in _STOP and (i or actors[0] or agents[0]):
            break
        if word in _PREPOSITIONS and i:
            part = 1
        if fixed and i in fixed:
            end, code = fixed[i]
            if code.code or code.country:
                _add_actor(actors[part], code, plain, end)
            elif code.role:
                agents[part].append("~" + code.role)
            i = end
            continue
        # actors are proper names: "US" is the United States, "us" is not
        found = d.longest(plain, i, agents=False) if words[i][1] else None
        if found is not None:
            end, key = found
            code = d.resolve(d.actors[key], when)
            if code == NULL_CODE:
                i = end
                continue
            if code is not None:
                _add_actor(actors[part], d.code_of(code), plain, end)
                i = end
                continue
        found = d.longest(plain, i, agents=True) if not _not_agent(plain, i) else None
        if found is not None:
            agents[part].append(d.agents[found[1]])
            i = found[0]
            continue
        i += 1
    actor = actors[0][0] if actors[0] else actors[1][0] if actors[1] else None
    agent = agents[0][-1] if agents[0] else agents[1][0] if agents[1] else None
    if agent is None:
        return actor
    if actor is None:
        if agent.endswith("~"):
            return d.code_of(agent[:-1])
        return d.code_of(None, agent[1:4])
    return d.code_of(_mix(actor.code, agent)) if actor.code else replace(actor, role=actor.role or agent[1:4])


_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "dr"})
# a "force" that fights nobody
_NOT_FORCES = frozenset({"task", "work", "labor", "labour", "driving", "market"})


def _not_agent(words: Sequence[str], i: int) -> bool:
    """The word is a surname ("Mr. King") or part of a compound that is no agent ("task
    force members")."""
    before = words[i - 1] if i else ""
    return before in _HONORIFICS or words[i] == "force" and before in _NOT_FORCES


def _add_actor(found: list[ActorCode], code: ActorCode, words: Sequence[str], end: int) -> None:
    if end < len(words) and words[end] in _NOT_MEMBER:
        return  # "UN-backed": not the UN
    found.append(code)


def code_phrase(d: ActorDictionary, text: str, when: date | None) -> ActorCode | None:
    """Code a phrase from its text alone: "Libyan forces" -> LBYMIL (LBY, MIL)."""
    return code_words(d, text_words(text), when)


def code_entity(d: ActorDictionary, entity: Entity, when: date | None,
                country_name: str = "") -> ActorCode | None:
    """Code an entity by its names: the name, then each alias, as a whole dictionary phrase; for
    an organisation or a group the phrase rule over its name ("Egyptian Interior Ministry");
    for a place the country it lies in (`country_name`, from the gazetteer).

    Returns:
        The code, or None for an unknown (or ambiguous) entity and for other labels.
    """
    if entity.label not in CODED_LABELS:
        return None
    for form in (entity.name, *entity.aliases):
        code = d.lookup(form, when)
        if code == NULL_CODE:
            return None
        if code is not None:
            return d.code_of(code)
    if entity.label in ("ORG", "NORP"):
        code = code_phrase(d, entity.name, when)
        if code is not None:
            return code
    if country_name:
        country = d.lookup(country_name, when)
        if country and country != NULL_CODE:
            found = d.code_of(country)
            return ActorCode(found.country, found.country, None) if found.country else None
    return None


def code_actors(doc: Doc, res: ResolvedEntities, events: Sequence[Event], published: date | None,
                d: ActorDictionary) -> tuple[tuple[Entity, ...], tuple[Event, ...]]:
    """Code the entities of a doc (at the publish date) and the actors and targets of its events
    (at the event's date, else the publish date).

    Args:
        doc: the parsed body.
        res: its resolved entities.
        events: its events (transforms.nlp.events.extract_events).
        published: the article's publish date.
        d: the actor dictionary.

    Returns:
        The entities and events with country, role and code filled in where the dictionaries
        know them (None elsewhere).
    """
    names = {e.entity_id: e.name for e in res.entities}
    codes: dict[str, ActorCode] = {}
    for entity in res.entities:
        country = res.of_name.get(entity.entity_id, "") or names.get(
            res.country_of.get(entity.entity_id, ""), "")
        code = code_entity(d, entity, published, country)
        if code is not None:
            codes[entity.entity_id] = code
    entities = tuple(replace(e, country=c.country, role=c.role, actor_code=c.code)
                     if (c := codes.get(e.entity_id)) else e for e in res.entities)
    coded = []
    for event in events:
        when = event.event_date or published
        actor = _code_side(doc, res, event, event.actor_text, event.actor_id, codes, when, d)
        target = _code_side(doc, res, event, event.target_text, event.target_id, codes, when, d)
        coded.append(replace(
            event,
            actor_country=actor.country, actor_role=actor.role, actor_code=actor.code,
            target_country=target.country, target_role=target.role, target_code=target.code))
    return entities, tuple(coded)


def _code_side(doc: Doc, res: ResolvedEntities, event: Event, text: str, entity_id: str | None,
               codes: Mapping[str, ActorCode], when: date | None, d: ActorDictionary) -> ActorCode:
    """One side of an event: its phrase (with the doc's coded mentions in it), then its entity."""
    entity = codes.get(entity_id) if entity_id else None
    phrase = _phrase_code(doc, res, event, text, codes, when, d) if text else None
    if phrase is not None and (phrase.country or phrase.code):
        return phrase
    if entity is None:
        return phrase or _NOTHING
    if phrase is not None and phrase.role and entity.code:  # "the assembly president, X"
        return d.code_of(_mix(entity.code, "~" + phrase.role))
    return entity


def _phrase_code(doc: Doc, res: ResolvedEntities, event: Event, text: str,
                 codes: Mapping[str, ActorCode], when: date | None,
                 d: ActorDictionary) -> ActorCode | None:
    """Code an event's actor or target text where it stands in the event's sentence."""
    # the sentence's own text: doc.text is rebuilt on every call (quadratic over a long document)
    sentence = doc.char_span(event.start, event.end, alignment_mode="expand")
    found = sentence.text.find(text) if sentence is not None else -1
    at = sentence.start_char + found if found >= 0 else -1
    span = doc.char_span(at, at + len(text), alignment_mode="expand") if at >= 0 else None
    if span is None:
        return code_phrase(d, text, when)
    words: list[Word] = []
    first_word: dict[int, int] = {}
    for token in span:
        first_word[token.i] = len(words)
        if token.text in (",", ";"):
            words.append((token.text, False))
        else:
            words += [(w, token.text[:1].isupper()) for w in words_of(token.text)]
    fixed: dict[int, tuple[int, ActorCode]] = {}
    for start, end, eid in res.mention_spans:
        if start in first_word and end - 1 in first_word and eid in codes:
            stop = first_word[end] if end in first_word else len(words)
            if stop > first_word[start]:
                fixed[first_word[start]] = (stop, codes[eid])
    return code_words(d, words, when, fixed)
