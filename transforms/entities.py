"""Entities of one article: named-entity mentions reconciled with the gazetteer, grouped into one
Entity per real-world referent, labels fixed by evidence; plus cross-article linking (pure).

Within an article, mentions are merged when they share a gazetteer id or a normalised form; a
one-word name joins the one multi-word person whose surname it is (Haftar -> Khalifa Haftar); an
acronym joins the name it abbreviates ("Libyan National Army (LNA)", or initials of exactly one
multi-word name in the article, or the gazetteer's list); spelling variants of a multi-word name
join (Fayez Al Sarraj ~ Fayez Al Serraj, token by token with rapidfuzz). Two different gazetteer
referents never merge (Tripoli and Libya). A cluster's label is a weighted vote: gazetteer 5,
an appositive such as "Gharyan, a city" 3, each statistical NER mention 1.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace

from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from transforms.gazetteer import SPANS_KEY, is_acronym, split_span_id
from transforms.names import (
    NAMED_LABELS,
    PERSON_TITLES,
    coarse_label,
    initials,
    make_entity_id,
    name_tokens,
    normalize_alias,
    similar_tokens,
    spelling_variants,
)
from transforms.records import DocAnalysis, Entity, Mention

# Head nouns of an appositive or a "the city of X" construction that tell the label of X.
_EVIDENCE_NOUNS = {
    "GPE": {"city", "town", "village", "capital", "country", "province", "region", "district",
            "state", "county", "suburb", "neighbourhood", "neighborhood", "enclave", "oasis",
            "governorate", "municipality", "island", "port", "nation", "kingdom", "republic"},
    "FAC": {"checkpoint", "airport", "airbase", "base", "crossing", "bridge", "gate", "camp",
            "prison", "hospital", "compound", "square", "stadium", "palace", "refinery",
            "terminal", "harbour", "harbor", "highway", "road"},
    "PERSON": {"president", "minister", "commander", "leader", "spokesman", "spokeswoman",
               "spokesperson", "general", "chief", "envoy", "ambassador", "official",
               "secretary", "speaker", "chairman", "chairwoman", "founder", "politician",
               "activist", "journalist", "analyst", "king", "prince", "emir", "mayor", "governor",
               "senator", "lawmaker", "candidate", "officer", "director", "premier", "diplomat",
               "warlord", "strongman", "head", "man", "woman", "father", "mother", "son",
               "daughter", "brother", "sister", "wife", "husband", "researcher", "professor",
               "lawyer", "judge", "negotiator", "mediator", "successor", "predecessor"},
    "ORG": {"group", "organisation", "organization", "agency", "company", "party", "militia",
            "movement", "coalition", "alliance", "army", "bank", "ministry", "council",
            "parliament", "assembly", "firm", "network", "newspaper", "broadcaster", "faction",
            "union", "body", "court", "institute", "charity", "outlet", "agency"},
}
_SPATIAL_PREPS = {"from", "to", "at", "in", "near", "into", "towards", "toward", "outside",
                  "inside", "around", "through", "across"}
_LAW_WORDS = {"act", "law", "code", "constitution", "resolution", "treaty", "accord", "agreement",
              "convention", "charter", "protocol", "amendment", "article", "bill", "directive",
              "regulation", "declaration", "rule", "statute", "order", "decree", "plan", "pact"}
_WEIGHT_GAZETTEER, _WEIGHT_EVIDENCE, _WEIGHT_NER = 5, 3, 1
_DETERMINERS = {"the", "a", "an", "this", "that"}


@dataclass(slots=True)
class _Mention:
    """A working mention: span, initial label, gazetteer id, evidence label, cluster."""

    start: int  # token offsets
    end: int
    text: str
    label: str
    canonical: str  # gazetteer canonical name, or ""
    evidence: str  # label implied by the syntax ("Gharyan, a city" -> GPE), or ""
    key: str  # normalize_alias(text)
    kind: str = ""  # gazetteer kind (country, city, demonym, armed, ...)
    of: str = ""  # gazetteer country of a demonym or city


# -- sentences -------------------------------------------------------------------------------


def sentence_spans(doc: Doc) -> list[Span]:
    """The doc's sentences that contain something other than whitespace, in order."""
    return [s for s in doc.sents if not all(t.is_space for t in s)]


def sentence_of_tokens(doc: Doc) -> list[int]:
    """Index (into sentence_spans) of every token's sentence; whitespace gets the one before."""
    index = [0] * len(doc)
    current = -1
    for sent in doc.sents:
        if not all(t.is_space for t in sent):
            current += 1
        for t in sent:
            index[t.i] = max(current, 0)
    return index


# -- candidate spans -------------------------------------------------------------------------


def _trim(doc: Doc, start: int, end: int, label: str) -> tuple[int, int]:
    """Drop leading determiners/punctuation, trailing possessives/punctuation, person titles."""
    while start < end and (doc[start].lower_ in _DETERMINERS or doc[start].is_punct
                           or doc[start].is_space):
        start += 1
    while end > start and (doc[end - 1].tag_ == "POS" or doc[end - 1].is_punct
                           or doc[end - 1].is_space or doc[end - 1].text in ("'s", "\u2019s")):
        end -= 1
    if label == "PERSON":
        words = [t.lower_ for t in doc[start:end]]
        changed = True
        while changed and end - start > 1:
            changed = False
            for title in PERSON_TITLES:
                # titles are matched on token texts; hyphenated ones span three tokens
                parts = [p for p in title.replace("-", " - ").split()]
                n = len(parts)
                if n < len(words) and words[:n] == parts:
                    start += n
                    words = words[n:]
                    changed = True
                    break
    return start, end


def _split_possessive(span: Span) -> list[tuple[int, int]]:
    """Split "Haftar's Libyan National Army" into its possessor and the possessed name."""
    parts, start = [], span.start
    for t in span[1:-1]:
        if t.tag_ == "POS" or t.text in ("'s", "\u2019s"):
            parts.append((start, t.i))
            start = t.i + 1
    parts.append((start, span.end))
    return parts


def _candidates(doc: Doc) -> list[tuple[int, int, str, str]]:
    """(start, end, label, span id) of named-entity spans reconciled with gazetteer matches.

    A gazetteer match covering a statistical entity replaces it (label and id from the gazetteer);
    a longer statistical entity containing a match is kept ("New York Times" over "New York");
    crossing spans go to the gazetteer; unmatched gazetteer spans are added (recall).
    """
    gaz = filter_spans(doc.spans[SPANS_KEY]) if SPANS_KEY in doc.spans else []
    gaz_spans = [(g.start, g.end, g.label_, g.id_ or g.text) for g in gaz]  # id: name|kind|of
    ner: list[tuple[int, int, str]] = []
    for ent in doc.ents:
        if ent.label_ not in NAMED_LABELS:
            continue
        for start, end in _split_possessive(ent):
            start, end = _trim(doc, start, end, ent.label_)
            if start < end:
                ner.append((start, end, ent.label_))
    out: list[tuple[int, int, str, str]] = []
    consumed: set[int] = set()
    for start, end, label in ner:
        overlapping = [i for i, g in enumerate(gaz_spans) if g[0] < end and start < g[1]]
        if not overlapping:
            out.append((start, end, label, ""))
        elif all(start <= gaz_spans[i][0] and gaz_spans[i][1] <= end for i in overlapping) and not any(
            gaz_spans[i][0] == start and gaz_spans[i][1] == end for i in overlapping
        ):
            consumed.update(overlapping)
            out.append((start, end, label, ""))
    for i, (start, end, label, canonical) in enumerate(gaz_spans):
        if i not in consumed:
            out.append((start, end, label, canonical))
    return sorted(out)


def _evidence_label(doc: Doc, start: int, end: int, label: str) -> str:
    """A label implied by syntax: appositives ("Gharyan, a city"), "the city of X", prepositions."""
    span = doc[start:end]
    root = span.root
    nouns = [c for c in root.children if c.dep_ == "appos" and c.i >= end]
    if root.dep_ == "appos" and root.head.i < start:
        nouns.append(root.head)
    of_head = root.head.head if root.dep_ == "pobj" and root.head.lower_ == "of" else None
    if of_head is not None and of_head.lemma_.lower() in _EVIDENCE_NOUNS["GPE"]:
        return "GPE"  # "the city of Gharyan" (but "lawmakers of the House" says nothing)
    nouns += [c for c in root.children if c.dep_ in ("compound", "amod") and c.i < start
              and c.pos_ == "NOUN"]  # "the capital Tripoli"
    for noun in nouns:
        for evidence, heads in _EVIDENCE_NOUNS.items():
            if noun.lemma_.lower() in heads and noun.pos_ in ("NOUN", "PROPN"):
                return evidence
    if label in ("LAW", "WORK_OF_ART", "PRODUCT") and root.dep_ == "pobj":
        words = {t.lower_ for t in span}
        if root.head.lower_ in _SPATIAL_PREPS and not words & _LAW_WORDS:
            return "FAC"  # "withdrew from the so-called Gate 27"
    return ""


def _mentions(doc: Doc) -> list[_Mention]:
    """Working mentions for every candidate span that looks like a name."""
    out = []
    for start, end, label, gaz_id in _candidates(doc):
        canonical, kind, of = split_span_id(gaz_id) if gaz_id else ("", "", "")
        span = doc[start:end]
        if not any(c.isupper() for c in span.text):
            continue  # English names are capitalised; lowercase NER output is noise
        key = normalize_alias(span.text)
        if not key:
            continue
        evidence = "" if canonical else _evidence_label(doc, start, end, label)
        out.append(_Mention(start, end, span.text, label, canonical, evidence, key, kind, of))
    return out


def _acronym_mentions(doc: Doc, mentions: list[_Mention]) -> tuple[list[_Mention], dict[str, str]]:
    """Learn "Name (ACR)" pairs; add mentions for acronym tokens the NER missed.

    Returns:
        The mentions (sorted, with the added ones) and the learned pairs: acronym key -> name key.
    """
    learned: dict[str, tuple[str, str]] = {}  # acronym text -> (name key, label)
    for m in mentions:
        if m.end - m.start < 2 or m.end + 2 >= len(doc):
            continue
        opening, acr, closing = doc[m.end], doc[m.end + 1], doc[m.end + 2]
        if opening.text == "(" and closing.text == ")" and is_acronym(acr.text):
            letters = acr.text.replace(".", "")
            if _abbreviates(letters, m.text):
                learned[acr.text] = (m.key, m.label)
    if not learned:
        return mentions, {}
    covered = {i for m in mentions for i in range(m.start, m.end)}
    added = [
        _Mention(t.i, t.i + 1, t.text, learned[t.text][1], "", "", normalize_alias(t.text))
        for t in doc
        if t.text in learned and t.i not in covered
    ]
    pairs = {normalize_alias(acr): key for acr, (key, _) in learned.items()}
    return sorted(mentions + added, key=lambda m: m.start), pairs


def _abbreviates(letters: str, name: str) -> bool:
    """ACR abbreviates name: its initials, or its letters in order among the name's capitals."""
    if letters == initials(name):
        return True
    capitals = [c for c in name if c.isupper()]
    it = iter(capitals)
    return bool(capitals) and letters[0] == capitals[0] and all(c in it for c in letters)


class _Clusters:
    """Union-find over mentions that refuses to join two different gazetteer referents."""

    def __init__(self, mentions: list[_Mention]) -> None:
        self.mentions = mentions
        self.parent = list(range(len(mentions)))
        self.canonical = [m.canonical for m in mentions]

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> bool:
        ri, rj = self.find(i), self.find(j)
        if ri == rj:
            return True
        ci, cj = self.canonical[ri], self.canonical[rj]
        if ci and cj and ci != cj:
            return False
        self.parent[rj] = ri
        self.canonical[ri] = ci or cj
        return True

    def groups(self) -> list[list[int]]:
        by_root: dict[int, list[int]] = defaultdict(list)
        for i in range(len(self.mentions)):
            by_root[self.find(i)].append(i)
        return sorted(by_root.values(), key=lambda g: g[0])


def _vote(mentions: list[_Mention]) -> tuple[str, bool]:
    """A cluster's label by weighted vote, and whether non-NER evidence decided it."""
    votes: Counter[str] = Counter()
    strong = False
    for m in mentions:
        if m.canonical:
            votes[m.label] += _WEIGHT_GAZETTEER
            strong = True
        elif m.evidence:
            votes[m.evidence] += _WEIGHT_EVIDENCE
            strong = True
        else:
            votes[m.label] += _WEIGHT_NER
    coarse: Counter[str] = Counter()
    for label, n in votes.items():
        coarse[coarse_label(label)] += n
    best = max(coarse, key=lambda c: (coarse[c], c == "PERSON"))
    fine = max((lbl for lbl in votes if coarse_label(lbl) == best), key=lambda lbl: votes[lbl])
    return fine, strong


def _cluster(doc: Doc, mentions: list[_Mention], pairs: dict[str, str]) -> list[list[int]]:
    """Group mentions into referents (see the module docstring for the rules)."""
    clusters = _Clusters(mentions)
    first_by: dict[str, int] = {}
    for i, m in enumerate(mentions):
        for key in (f"canon:{m.canonical}" if m.canonical else "", f"key:{m.key}"):
            if key:
                if key in first_by:
                    clusters.union(first_by[key], i)
                else:
                    first_by[key] = i
    for acr_key, name_key in pairs.items():
        if f"key:{acr_key}" in first_by and f"key:{name_key}" in first_by:
            clusters.union(first_by[f"key:{name_key}"], first_by[f"key:{acr_key}"])

    def summaries() -> list[tuple[list[int], str, bool, set[str]]]:
        out = []
        for group in clusters.groups():
            label, strong = _vote([mentions[i] for i in group])
            out.append((group, label, strong, {mentions[i].key for i in group}))
        return out

    # Acronym -> the one multi-word name in the article with those initials.
    groups = summaries()
    for group, label, _, keys in groups:
        acr = [mentions[i].text for i in group if is_acronym(mentions[i].text)]
        if not acr or len(acr) != len(group) or clusters.canonical[clusters.find(group[0])]:
            continue
        letters = acr[0].replace(".", "")
        targets = [g for g, lbl, _, _ in groups if g is not group and coarse_label(lbl) != "PERSON"
                   and any(mentions[i].end - mentions[i].start > 1
                           and initials(mentions[i].text) == letters for i in g)]
        if len(targets) == 1:
            clusters.union(targets[0][0], group[0])

    # Spelling variants of multi-word names with the same label family.
    groups = summaries()
    for a in range(len(groups)):
        for b in range(a + 1, len(groups)):
            ga, la, _, ka = groups[a]
            gb, lb, _, kb = groups[b]
            if coarse_label(la) != coarse_label(lb):
                continue
            if any(spelling_variants(x, y) for x in ka for y in kb):
                clusters.union(ga[0], gb[0])

    # One-word names -> the one multi-word person whose surname they are.
    groups = summaries()
    persons = [(g, {name_tokens(k)[-1] for k in keys if len(k.split()) > 1})
               for g, lbl, _, keys in groups if lbl == "PERSON"
               and any(len(k.split()) > 1 for k in keys)]
    for group, label, strong, keys in groups:
        if any(len(k.split()) > 1 for k in keys) or clusters.canonical[clusters.find(group[0])]:
            continue
        if strong and label != "PERSON":
            continue
        targets = [g for g, surnames in persons if g is not group and any(
            similar_tokens(k, s, 88.0) for k in keys for s in surnames)]
        roots = {clusters.find(g[0]) for g in targets}
        if len(roots) == 1:
            clusters.union(targets[0][0], group[0])
    return clusters.groups()


# -- entities --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResolvedEntities:
    """The entities and mentions of one doc, plus the token -> entity_id map events need."""

    entities: tuple[Entity, ...]
    mentions: tuple[Mention, ...]
    token_entity: Mapping[int, str]  # token index -> entity_id
    mention_spans: tuple[tuple[int, int, str], ...]  # (start token, end token, entity_id)
    by_id: Mapping[str, Entity]
    kind: Mapping[str, str]  # entity_id -> gazetteer kind ("country", "city", "armed", ...)
    country_of: Mapping[str, str]  # entity_id of a demonym/city -> entity_id of its country
                                   # when that country is named in the same doc


def _canonical_name(forms: list[tuple[str, str]], label: str, canonical: str) -> str:
    """The name of a cluster from its (text, key) forms in document order."""
    if canonical:
        return canonical
    counts = Counter(text for text, _ in forms)
    order = {text: i for i, (text, _) in reversed(list(enumerate(forms)))}

    def rank(text: str) -> tuple[int, ...]:
        words = len(text.split())
        if label == "PERSON":  # the full name: most words, then most frequent, then first
            return (words, counts[text], -order[text])
        return (not is_acronym(text), counts[text], words, -order[text])

    return max(counts, key=rank)


def resolve_entities(doc: Doc) -> ResolvedEntities:
    """Resolve the named entities of one parsed article.

    Args:
        doc: a Doc from the newsduck pipeline (statistical NER plus the gazetteer span ruler).

    Returns:
        One Entity per referent (stable entity_id from coarse label and canonical name) and every
        mention in document order, pointing at its entity.
    """
    mentions, pairs = _acronym_mentions(doc, _mentions(doc))
    sent_of = sentence_of_tokens(doc)
    entities: list[Entity] = []
    entity_of: dict[int, Entity] = {}
    for group in _cluster(doc, mentions, pairs):
        members = [mentions[i] for i in group]
        label, _ = _vote(members)
        canonical = next((m.canonical for m in members if m.canonical), "")
        forms = [(" ".join(m.text.split()), m.key) for m in members]
        name = _canonical_name(forms, label, canonical)
        aliases = tuple(dict.fromkeys(t for t, _ in forms if t != name))
        entity = Entity(make_entity_id(label, name), name, label, aliases, len(members))
        entities.append(entity)
        for i in group:
            entity_of[i] = entity
    out_mentions = []
    token_entity: dict[int, str] = {}
    spans = []
    for i, m in enumerate(mentions):
        entity = entity_of[i]
        span = doc[m.start:m.end]
        out_mentions.append(Mention(m.text, entity.label, span.start_char, span.end_char,
                                    sent_of[m.start], entity.entity_id))
        spans.append((m.start, m.end, entity.entity_id))
        for t in range(m.start, m.end):
            token_entity[t] = entity.entity_id
    entities.sort(key=lambda e: (-e.mention_count, e.name))
    kind: dict[str, str] = {}
    of_name: dict[str, str] = {}
    for i, m in enumerate(mentions):
        if m.kind:
            kind.setdefault(entity_of[i].entity_id, m.kind)
        if m.of:
            of_name.setdefault(entity_of[i].entity_id, m.of)
    by_name = {e.name: e.entity_id for e in entities}
    country_of = {eid: by_name[name] for eid, name in of_name.items() if name in by_name}
    return ResolvedEntities(tuple(entities), tuple(out_mentions), token_entity, tuple(spans),
                            {e.entity_id: e for e in entities}, kind, country_of)


_CONFUSABLE = frozenset({"PERSON", "ORG", "MISC"})


def _known_id(entity: Entity, label: str, known_aliases: Mapping[tuple[str, str], str]) -> str | None:
    """The one known id the entity's name, or else its aliases, map to under `label`."""
    by_name = known_aliases.get((label, normalize_alias(entity.name)))
    if by_name:
        return by_name
    hits = {known_aliases[k] for a in entity.aliases
            if (k := (label, normalize_alias(a))) in known_aliases}
    return hits.pop() if len(hits) == 1 else None


def link_entities(analysis: DocAnalysis, known_aliases: Mapping[tuple[str, str], str]) -> DocAnalysis:
    """Point an article's entities at referents the warehouse already knows.

    Args:
        analysis: one article's analysis.
        known_aliases: (coarse label, normalize_alias(alias)) -> entity_id, holding only aliases
            that map to exactly one warehouse entity (coarse labels as in names.coarse_label).

    Returns:
        The analysis with entity ids replaced where the entity's name, or else its aliases, map
        to exactly one known id ("Haftar" alone -> Khalifa Haftar's id); mentions and events
        follow. An entity whose own id is already known keeps it. PERSON/ORG/MISC entities that
        find nothing under their own label may link under another of these (and take its label).
    """
    known_ids = set(known_aliases.values())
    remap: dict[str, str] = {}
    relabel: dict[str, str] = {}
    for entity in analysis.entities:
        if entity.entity_id in known_ids:
            continue
        coarse = coarse_label(entity.label)
        # the small model confuses PERSON and ORG ("Haftar's forces" -> ORG): when the article's
        # label finds nothing, a unique hit under the other of these labels is taken, label too
        tries = [coarse] + sorted(_CONFUSABLE - {coarse}) if coarse in _CONFUSABLE else [coarse]
        for label in tries:
            hit = _known_id(entity, label, known_aliases)
            if hit:
                remap[entity.entity_id] = hit
                if label != coarse:
                    relabel[entity.entity_id] = label
                break
    if not remap:
        return analysis

    def new(entity_id: str | None) -> str | None:
        return remap.get(entity_id, entity_id) if entity_id else entity_id

    # two entities of the article can land on one known id: merge them
    merged: dict[str, Entity] = {}
    for e in analysis.entities:
        eid = new(e.entity_id) or e.entity_id
        if eid in merged:
            prev = merged[eid]
            extra = tuple(a for a in (e.name, *e.aliases) if a != prev.name and a not in prev.aliases)
            merged[eid] = replace(prev, aliases=prev.aliases + extra,
                                  mention_count=prev.mention_count + e.mention_count)
        else:
            merged[eid] = replace(e, entity_id=eid, label=relabel.get(e.entity_id, e.label))
    mentions = tuple(replace(m, entity_id=new(m.entity_id) or m.entity_id,
                             label=relabel.get(m.entity_id, m.label))
                     for m in analysis.mentions)
    events = tuple(replace(ev, actor_id=new(ev.actor_id), target_id=new(ev.target_id),
                           location_id=new(ev.location_id)) for ev in analysis.events)
    return DocAnalysis(tuple(merged.values()), mentions, events)
