"""Entities of one article: name mentions (transforms/nlp/mentions.py) grouped into one Entity per
real-world referent, labels fixed by evidence (pure). Linking across articles happens when a
batch is loaded (sql/load/derived_rows.sql).

Within an article, mentions are merged when they share a gazetteer id or a normalised form; an
acronym joins the name it abbreviates ("Libyan National Army (LNA)", or the one multi-word name
in the article with those initials; the gazetteer already knows UN, EU, NATO...); spelling
variants of a multi-word name join (Fayez Al Sarraj ~ Fayez Al Serraj, token by token with
rapidfuzz); a one-word name joins the one multi-word person whose surname (else first name) it
is (Haftar -> Khalifa Haftar, "Prince Mohammed" -> Mohammed bin Salman); a shortened name joins
the one longer name it ends ("Communist Party" -> Sudanese Communist Party, "Congo" ->
Democratic Republic of Congo). Two different gazetteer referents never merge (Tripoli and
Libya); an ambiguous surname joins nobody. A cluster's label is a weighted vote: gazetteer 5,
syntactic evidence ("Gharyan, a city") 3, each statistical NER mention 1. The entity_id is
derived from the coarse label and the canonical name (names.make_entity_id).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from spacy.tokens import Doc

from transforms.nlp.gazetteer import is_acronym
from transforms.nlp.mentions import RawMention, extract_mentions, sentence_of_tokens
from transforms.nlp.names import (
    coarse_label,
    initials,
    make_entity_id,
    name_tokens,
    similar_tokens,
    spelling_variants,
)
from transforms.records import Entity, Mention

_WEIGHT_GAZETTEER, _WEIGHT_EVIDENCE, _WEIGHT_NER = 5, 3, 1


def _shortens(short: str, full: str, family: str) -> bool:
    """`short` is a shortened form of `full` (both normalised): see _cluster."""
    st, ft = short.split(), full.split()
    if not st or len(st) >= len(ft):
        return False
    if family == "ORG":
        return len(st) >= 2 and ft[-len(st):] == st
    # the words after the first "of" between two words; a key may start or end with "of"
    # ("west bank city of"), which has no such part
    of = next((i for i in range(1, len(ft) - 1) if ft[i] == "of"), None)
    if of is None:
        return False
    tail = ft[of + 1:]
    tail = tail[1:] if tail[:1] == ["the"] else tail
    return tail == st


class _Clusters:
    """Union-find over mentions that refuses to join two different gazetteer referents."""

    def __init__(self, mentions: list[RawMention]) -> None:
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


def _vote(mentions: list[RawMention]) -> tuple[str, bool]:
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


def _cluster(doc: Doc, mentions: list[RawMention], pairs: dict[str, str]) -> list[list[int]]:
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

    # One-word names -> the one multi-word person whose surname (else first name) they are:
    # "Haftar" -> Khalifa Haftar, "Prince Mohammed" -> Mohammed bin Salman.
    groups = summaries()
    persons = [(g, [name_tokens(k) for k in keys if len(k.split()) > 1])
               for g, lbl, _, keys in groups if lbl == "PERSON"
               and any(len(k.split()) > 1 for k in keys)]
    for group, label, strong, keys in groups:
        if any(len(k.split()) > 1 for k in keys) or clusters.canonical[clusters.find(group[0])]:
            continue
        if strong and label != "PERSON":
            continue
        for position in (-1, 0):
            targets = [g for g, names in persons if g is not group and any(
                similar_tokens(k, n[position], 88.0) for k in keys for n in names)]
            roots = {clusters.find(g[0]) for g in targets}
            if len(roots) == 1:
                clusters.union(targets[0][0], group[0])
            if targets:
                break

    # Shortened names: "Communist Party" -> "Sudanese Communist Party" (a multi-word organisation
    # name ending another one), "Congo" -> "Democratic Republic of Congo" (the "of" part of a place).
    groups = summaries()
    for group, label, _, keys in groups:
        family = coarse_label(label)
        if family not in ("ORG", "GPE"):
            continue
        targets = []
        for other, other_label, _, other_keys in groups:
            if other is group or coarse_label(other_label) != family:
                continue
            if any(_shortens(k, o, family) for k in keys for o in other_keys):
                targets.append(other)
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
    titles: Mapping[str, str] = field(default_factory=dict)  # "finance minister" -> entity_id
    # entity_id of a demonym/city -> the gazetteer's name of its country, named in the doc or not
    of_name: Mapping[str, str] = field(default_factory=dict)


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
    mentions, pairs = extract_mentions(doc)
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
                            {e.entity_id: e for e in entities}, kind, country_of,
                            _title_index(mentions, entity_of), of_name)


def _title_index(mentions: list[RawMention], entity_of: Mapping[int, Entity]) -> dict[str, str]:
    """Titles that name exactly one person of the article: "finance minister" -> Ahmed Hassan,
    and the title's head word when only one person carries it ("prince" -> the crown prince)."""
    owners: dict[str, set[str]] = defaultdict(set)
    for i, m in enumerate(mentions):
        if m.title:
            owners[m.title].add(entity_of[i].entity_id)
            owners[m.title.split()[-1]].add(entity_of[i].entity_id)
    return {title: next(iter(ids)) for title, ids in owners.items() if len(ids) == 1}
