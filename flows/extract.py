"""`newsduck extract`: the transforms on files or URLs, no database, no Prefect.

One document's failure (the cleaner or the NLP raising on it) is that document's `error` object;
the others are extracted all the same.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

from flows.http import Fetcher, FetchError
from flows.nlp import analyze_texts
from flows.settings import Settings
from flows.clock import utcnow  # not flows.warehouse: a worker needs no DuckDB
from transforms.page.clean import extract_article
from transforms.records import Article, DocAnalysis, Failed, Skipped

log = logging.getLogger(__name__)


def extract_documents(sources: list[str], url: str | None, settings: Settings) -> Iterator[dict]:
    """One JSON-ready dict per source: metadata, body, entities with mentions, events.

    A source that cannot be used for a known reason gives {"url", "skipped", "detail"}; one that a
    stage raised on gives {"url", "error": {"stage", "reason", "detail"}} (see `Failed`).
    """
    for source in sources:
        yield _extracted(source, url, settings)


def _extracted(source: str, url: str | None, settings: Settings) -> dict:
    """The output object of one source; an exception costs this source only."""
    where, stage = source, "clean"
    try:
        where = _source_url(source, url)
        article = _article(source, url, settings)
        if isinstance(article, Skipped):
            return {"url": article.url, "skipped": article.reason, "detail": article.detail}
        where, stage = article.canonical_url or article.url, "nlp"
        published = article.published_at.date() if article.published_at else None
        [analysis] = analyze_texts([(article.text, published)], settings.model, lexicon_path=settings.lexicon)
        if isinstance(analysis, Failed):
            return _error(where, analysis)
        return _document(article, analysis)
    except Exception as exc:  # one document's bug costs that document, not the command
        log.warning("extract failed on %s: %s", where, exc)
        return _error(where, Failed.from_exception(exc, stage))


def _source_url(source: str, url: str | None) -> str:
    """The URL a source is reported under before its page is read (as _article names it)."""
    if source.startswith(("http://", "https://")):
        return source
    return url or Path(source).resolve().as_uri()


def _error(url: str, failed: Failed) -> dict:
    return {"url": url, "error": {"stage": failed.stage, "reason": failed.reason, "detail": failed.detail}}


def _article(source: str, url: str | None, settings: Settings) -> Article | Skipped:
    if source.startswith(("http://", "https://")):
        try:
            response = asyncio.run(_fetch(source, settings))
        except FetchError as exc:
            return Skipped(source, exc.reason, exc.detail)
        return extract_article(response.body, response.final_url, now=utcnow())
    path = Path(source)
    if not path.is_file():
        return Skipped(source, "not_found", "no such file")
    if path.suffix.lower() == ".txt":
        try:
            body = path.read_bytes().decode("utf-8").replace("\r\n", "\n").strip()
        except UnicodeDecodeError as exc:
            return Skipped(url or path.resolve().as_uri(), "not_utf8", str(exc))
        return Article(url or path.resolve().as_uri(), url or "", "", "", None, "none", "", body, "text", "")
    return extract_article(path.read_bytes(), url or path.resolve().as_uri(), now=utcnow())


async def _fetch(url: str, settings: Settings):
    async with Fetcher(settings) as fetcher:
        return await fetcher.fetch(url, max_bytes=settings.max_page_bytes, robots=settings.respect_robots)


def _document(article: Article, analysis: DocAnalysis) -> dict:
    """Mention and sentence offsets count in the body, then the captions after a blank line
    (Article.text), as in the warehouse."""
    mentions: dict[str, list[dict]] = {}
    for m in analysis.mentions:
        mentions.setdefault(m.entity_id, []).append({"text": m.text, "start": m.start, "end": m.end})
    text = article.text
    return {
        "url": article.canonical_url or article.url,
        "title": article.title,
        "author": article.author,
        "published_at": article.published_at,
        "date_source": article.date_source,
        "language": article.language,
        "body_source": article.body_source,
        "body": article.body,
        "captions": list(article.captions),
        "focus_country": analysis.focus_country,
        "tone": analysis.tone,
        "entities": [
            {"id": e.entity_id, "name": e.name, "label": e.label, "aliases": list(e.aliases),
             "mentions": mentions.get(e.entity_id, []), "country": e.country, "role": e.role,
             "actor_code": e.actor_code, "geo": _geo(e.geo)}
            for e in analysis.entities
        ],
        "events": [
            {"type": e.event_type, "cameo_root": e.cameo_root, "quad_class": e.quad_class, "trigger": e.trigger,
             "actor": e.actor_text, "actor_id": e.actor_id, "target": e.target_text, "target_id": e.target_id,
             "location": e.location_text, "location_id": e.location_id, "date": e.event_date,
             "date_precision": e.date_precision, "date_source": e.date_source, "negated": e.negated,
             "cameo_code": e.cameo_code or None, "goldstein": e.goldstein, "tone": e.tone,
             "actor_country": e.actor_country, "actor_role": e.actor_role, "actor_code": e.actor_code,
             "target_country": e.target_country, "target_role": e.target_role, "target_code": e.target_code,
             "lat": e.lat, "lon": e.lon, "geonameid": e.geo_id,
             "sentence": text[e.start:e.end]}
            for e in analysis.events
        ],
    }


def _geo(geo) -> dict | None:
    """A place's GeoNames feature, for the JSON."""
    if geo is None:
        return None
    return {"geonameid": geo.geonameid, "name": geo.name, "lat": geo.lat, "lon": geo.lon, "country": geo.country,
            "admin1": geo.admin1 or None, "feature_class": geo.feature_class}
