"""Typed records that flow between the pure transforms and the flows.

Everything here is a frozen, slotted dataclass: cheap to build, safe to share between threads,
picklable for process pools and Dask workers.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class Skipped:
    """An input a transform could not use, with a short machine-readable reason."""

    url: str
    reason: str  # e.g. "not_html", "empty_body", "no_link", "malformed_feed"
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Failed:
    """A document a stage raised on: it costs one recorded skip, never the batch or the run."""

    stage: str  # clean | nlp | stage | load
    reason: str  # the exception's type, e.g. "IndexError"
    detail: str  # its message and the function it was raised in

    @classmethod
    def from_exception(cls, exc: BaseException, stage: str) -> Failed:
        """The failure of `exc`: where it was raised, and the innermost newsduck code it passed."""
        frames = traceback.extract_tb(exc.__traceback__)
        ours = [f for f in frames if "/transforms/" in f.filename or "/flows/" in f.filename]
        places = list(dict.fromkeys(_place(f) for f in frames[-1:] + ours[-1:]))
        where = f" (in {', called from '.join(places)})" if places else ""
        return cls(stage, type(exc).__name__, f"{str(exc)[:300]}{where}")


def _place(frame: traceback.FrameSummary) -> str:
    """A frame as "transforms/nlp/entities.py:_shortens, line 49" (the path from our package on)."""
    parts = frame.filename.replace("\\", "/").split("/")
    ours = [i for i, part in enumerate(parts) if part in ("transforms", "flows", "site-packages", "tests")]
    start = ours[-1] + (parts[ours[-1]] == "site-packages") if ours else len(parts) - 1
    return f"{'/'.join(parts[start:])}:{frame.name}, line {frame.lineno}"


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One item of a feed, links already canonicalised, text already plain."""

    url: str
    guid: str
    title: str
    summary: str
    content: str  # the item's full content (content:encoded / atom:content) as plain text, or ""
    author: str
    published_at: datetime | None  # naive UTC
    # where published_at comes from: "feed"; a backfill's "sitemap" / "list" (declared dates) or
    # "warc" / "wayback" (capture dates: only an upper bound, used when the page has no date)
    date_source: str = "feed"


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed feed: its entries and the items it had to skip."""

    title: str
    version: str  # feedparser's version string: rss20, rss10, atom10, ...
    entries: tuple[FeedEntry, ...]
    skipped: tuple[Skipped, ...]
    warning: str = ""  # why the XML was not well-formed, when feedparser recovered anyway


@dataclass(frozen=True, slots=True)
class Article:
    """A clean article: the body and metadata extracted from a page (or the feed's fallback)."""

    url: str  # the URL the page was fetched from
    canonical_url: str  # <link rel=canonical> when sane, else the canonicalised url
    title: str
    author: str
    published_at: datetime | None  # naive UTC
    date_source: str  # "page" | "feed" | "url" | "none", or a backfill hint's: "sitemap" | "list" | "warc" | "wayback"
    language: str  # ISO 639-1, or "" when unknown
    body: str
    body_source: str  # "page" | "feed"
    body_hash: str  # hash of the normalised body: the same story under two URLs
    captions: tuple[str, ...] = ()  # the page's photo captions, apart from the body
    minhash: tuple[int, ...] = ()  # the body's MinHash signature (transforms/coding/stories.py)

    @property
    def text(self) -> str:
        """What the NLP reads: the body, then a blank line and the captions one per line, so that
        a name only a caption gives joins the body's mentions of it. Mention offsets count in
        this text: past the body's end they point into the captions."""
        return "\n\n".join([self.body, "\n".join(self.captions)]) if self.captions else self.body


@dataclass(frozen=True, slots=True)
class Mention:
    """One occurrence of a named entity in an article body."""

    text: str
    label: str  # spaCy label after label fixes: PERSON, ORG, GPE, LOC, NORP, FAC, ...
    start: int  # char offsets into the body
    end: int
    sentence: int  # index of the sentence in the body
    entity_id: str  # the resolved Entity this mention refers to


@dataclass(frozen=True, slots=True)
class GeoFeature:
    """The GeoNames feature a place entity resolves to (transforms/coding/geo.py)."""

    geonameid: int | None  # None only for a first-level region the package has no feature for
    name: str  # GeoNames' name, diacritics kept ("Janzūr")
    lat: float  # a town's own point; a country's or region's centre (flows/geodata.py)
    lon: float
    country: str | None  # ISO 3166 alpha-3; None for a continent
    admin1: str  # GeoNames first-level admin code within the country ("77", "TX"), or ""
    feature_class: str  # GeoNames class: "P" town or city, "A" country or region, "L" continent
    population: int


@dataclass(frozen=True, slots=True)
class Entity:
    """One real-world referent within an article, with its canonical name and surface forms."""

    entity_id: str  # stable across articles and machines: derived from label and name
    name: str
    label: str
    aliases: tuple[str, ...]  # every other surface form seen in this article
    mention_count: int
    geo: GeoFeature | None = None  # a place's GeoNames feature (GPE/LOC); None when unknown
    # actor coding (transforms/coding/actors.py, PETRARCH2/Phoenix dictionaries); None = unknown
    country: str | None = None  # ISO 3166-1 alpha-3, or "IGO" for an intergovernmental body
    role: str | None = None  # CAMEO role/sector block: GOV, MIL, REB, COP, CVL, IGO, NGO, ...
    actor_code: str | None = None  # the full CAMEO actor code: "LBYMIL", "IGOUNO"


@dataclass(frozen=True, slots=True)
class Event:
    """Who did what to whom, where and when: one typed trigger in one sentence."""

    sentence: int
    start: int  # char span of the sentence in the body
    end: int
    trigger: str  # lemma or phrase that matched the lexicon
    event_type: str  # PLOVER type: AGREE, CONSULT, ..., ASSAULT
    cameo_root: str  # two-digit CAMEO root code, e.g. "04"
    quad_class: int  # GDELT QuadClass 1..4
    actor_text: str
    actor_id: str | None
    target_text: str
    target_id: str | None
    location_text: str
    location_id: str | None
    event_date: date | None
    date_precision: str  # "day" | "month" | "year"
    date_source: str  # "expression" | "publish_date" | "none"
    negated: bool
    # the action place: the GeoNames point of location_id's entity (None without one)
    lat: float | None = None
    lon: float | None = None
    geo_id: int | None = None  # its geonameid
    # actor coding of the actor and target (transforms/coding/actors.py); None = unknown
    actor_country: str | None = None  # ISO alpha-3 or "IGO"
    actor_role: str | None = None  # GOV, MIL, REB, COP, CVL, ...
    actor_code: str | None = None  # full CAMEO code, e.g. "EGYCOP"
    target_country: str | None = None
    target_role: str | None = None
    target_code: str | None = None
    # the full CAMEO event code of the trigger ("0356", "190"); cameo_root is its first two digits
    cameo_code: str = ""
    goldstein: float | None = None  # the Goldstein value of cameo_code (-10 .. +10)
    tone: float | None = None  # the tone of its sentence (-100 .. +100; transforms/coding/scales.py)


@dataclass(frozen=True, slots=True)
class DocAnalysis:
    """Everything the NLP stage found in one article body."""

    entities: tuple[Entity, ...]
    mentions: tuple[Mention, ...]
    events: tuple[Event, ...]
    focus_country: str | None = None  # alpha-3 of the country most place mentions fall in
    tone: float | None = None  # the mean tone of its sentences (-100 .. +100)
