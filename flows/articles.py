"""One batch of articles through fetch, clean, NLP and staging: the path every source shares.

The live ingest hands it feed items; a backfill hands it URLs with hints, or pages it already
holds (WARC records). Each stage is a Prefect task over the whole batch.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows import compute, staging, warehouse, workers
from flows.http import Fetcher, FetchError, Response
from flows.nlp import nlp_version
from flows.settings import Settings
from transforms.page.clean import EXTRACTOR_VERSION
from transforms.nlp.names import normalize_alias
from transforms.records import Article, DocAnalysis, FeedEntry, Skipped
from transforms.urls import article_id, canonicalize_url

HTML_TYPES = {"text/html", "application/xhtml+xml", ""}  # "" : servers that send no type
NLP_LANGUAGES = {"en", ""}  # the model is English; "" is unknown, which is mostly English here


@dataclass(frozen=True, slots=True)
class Job:
    """One URL to turn into an article, with what the source already told us about it."""

    url: str
    feed_url: str | None = None
    entry: FeedEntry | None = None  # the feed item (fallback body, date) or a backfill's hints
    response: Response | None = None  # the page when the source already holds it (WARC)
    fetch_url: str | None = None  # where to fetch it when not from url (an archived capture)


@dataclass
class BatchResult:
    staged_ids: dict[str, str] = field(default_factory=dict)  # staged job URL -> its article id, in order
    failures: list[tuple[str, str, bool]] = field(default_factory=list)  # (url, reason, transient)
    filtered: list[tuple[str, str]] = field(default_factory=list)  # (url, reason): refused by `accept`
    seconds: Counter = field(default_factory=Counter)  # time per stage: fetch, clean, nlp, events, stage


def process_batch(jobs: list[Job], settings: Settings, run_id: str, batch_id: str, *,
                  accept: Callable[[Article], str | None] | None = None,
                  extra_tables: Mapping[str, object] | None = None,
                  fetched: tuple[list[Response | FetchError], float] | None = None) -> BatchResult:
    """Fetch, clean, analyse and stage one batch. Returns which job URLs were staged or failed.

    `accept` may refuse a clean article with a reason (a backfill's date window): it is then
    neither analysed nor stored, only recorded as a skip. `extra_tables` are staged with the
    batch (a backfill's checkpoint rows), so they are merged together with it or not at all.
    `fetched` is fetch_pages' result when the caller fetched the batch ahead of time.
    """
    logger = get_run_logger()
    result = BatchResult()
    fetched, result.seconds["fetch"] = fetched or fetch_pages(jobs, settings)
    skips: list[dict] = []

    pages: list[tuple[Job, Response]] = []
    for job, got in zip(jobs, fetched):
        if isinstance(got, FetchError):
            _fail(result, skips, run_id, job, "fetch", got.reason, got.detail, got.transient)
        elif got.content_type not in HTML_TYPES:
            _fail(result, skips, run_id, job, "fetch", "not_html", got.content_type, False)
        else:
            pages.append((job, got))

    clock = time.perf_counter()
    cleaned, spent = compute.run_cpu(clean_articles, [(r.body, r.final_url, j.entry) for j, r in pages], settings)
    result.seconds.update(spent)
    result.seconds["clean_wall"] += time.perf_counter() - clock
    articles: list[tuple[Job, Response, Article]] = []
    for (job, response), got in zip(pages, cleaned):
        if isinstance(got, Skipped):
            _fail(result, skips, run_id, job, "clean", got.reason, got.detail, False)
        elif accept is not None and (refused := accept(got)):
            result.filtered.append((job.url, refused))
            skips.append(_skip(run_id, job, "filter", refused, f"published {got.published_at}", False))
        else:
            articles.append((job, response, got))

    clock = time.perf_counter()
    analyses, spent = compute.run_cpu(analyze_articles, [a for _, _, a in articles], settings)
    result.seconds.update(spent)
    result.seconds["nlp_wall"] += time.perf_counter() - clock
    version = nlp_version(settings.model, settings.lexicon)
    for (job, _, article), analysis in zip(articles, analyses):
        if analysis is None:
            skips.append(_skip(run_id, job, "nlp", "unsupported_language", article.language, False))

    clock = time.perf_counter()
    tables = _tables(articles, analyses, skips, run_id, version) | dict(extra_tables or {})
    stage_batch(settings, batch_id, tables)
    result.seconds["stage"] += time.perf_counter() - clock
    result.staged_ids = {job.url: article_id(article.canonical_url) for job, _, article in articles}
    logger.info("batch %s: %s articles staged, %s failed", batch_id, len(articles), len(result.failures))
    return result


@task(name="fetch-pages", retries=1, retry_delay_seconds=10, cache_policy=NO_CACHE)
def fetch_pages(jobs: list[Job], settings: Settings) -> tuple[list[Response | FetchError], float]:
    """Fetch the batch's pages concurrently (per-host limits, robots.txt, retries).

    Returns a response or the reason it failed per job, and the seconds it took.
    """
    clock = time.perf_counter()
    return asyncio.run(_fetch_pages(jobs, settings)), time.perf_counter() - clock


async def _fetch_pages(jobs: list[Job], settings: Settings) -> list[Response | FetchError]:
    async with Fetcher(settings) as fetcher:
        async def one(job: Job) -> Response | FetchError:
            if job.response is not None:
                return job.response
            try:
                response = await fetcher.fetch(job.fetch_url or job.url, max_bytes=settings.max_page_bytes,
                                               robots=settings.respect_robots)
            except FetchError as exc:
                return exc
            if job.fetch_url:  # an archived copy: the article's URLs are the page's own
                response = dataclasses.replace(response, url=job.url, final_url=job.url, redirects=())
            return response
        return await asyncio.gather(*(one(job) for job in jobs))


@task(name="clean-articles", cache_policy=NO_CACHE)
def clean_articles(items: list[tuple[bytes, str, FeedEntry | None]],
                   settings: Settings) -> tuple[list[Article | Skipped], Counter]:
    """Extract clean bodies and metadata from (html, url, feed entry) triples, on the worker
    processes (or inline on a Dask worker: flows/compute.py). Returns them and the seconds spent."""
    timings: Counter = Counter()
    return workers.clean_pages(items, settings, timings), timings


@task(name="analyze-articles", cache_policy=NO_CACHE)
def analyze_articles(items: list[Article], settings: Settings) -> tuple[list[DocAnalysis | None], Counter]:
    """Entities and events for the English articles of the batch (None for the others), and the
    seconds spent per stage."""
    timings: Counter = Counter()
    wanted = [i for i, a in enumerate(items) if a.language in NLP_LANGUAGES]
    found = workers.analyze(
        [(items[i].body, items[i].published_at.date() if items[i].published_at else None) for i in wanted],
        settings, timings)
    analyses: list[DocAnalysis | None] = [None] * len(items)
    for i, analysis in zip(wanted, found):
        analyses[i] = analysis
    return analyses, timings


@task(name="stage-batch", cache_policy=NO_CACHE)
def stage_batch(settings: Settings, batch_id: str, tables: dict) -> str:
    """Write the batch to the staging directory (the commit point of the network and NLP work)."""
    return str(staging.write_batch(settings.staging_dir, batch_id, tables))


def _fail(result: BatchResult, skips: list[dict], run_id: str, job: Job, stage: str,
          reason: str, detail: str, transient: bool) -> None:
    result.failures.append((job.url, reason, transient))
    skips.append(_skip(run_id, job, stage, reason, detail, transient))


def _skip(run_id: str, job: Job, stage: str, reason: str, detail: str, transient: bool) -> dict:
    return {"run_id": run_id, "stage": stage, "url": job.url, "feed_url": job.feed_url, "reason": reason,
            "detail": (detail or "")[:500], "permanent": not transient, "skipped_at": warehouse.utcnow()}


def _tables(articles: list[tuple[Job, Response, Article]], analyses: list[DocAnalysis | None],
            skips: list[dict], run_id: str, version: str) -> dict:
    """The batch as staged Arrow tables; one row per article id (URLs of repeats merged)."""
    rows: dict[str, dict] = {}
    entity_rows, mention_rows, event_rows = [], [], []
    now = warehouse.utcnow()
    for (job, response, article), analysis in zip(articles, analyses):
        aid = article_id(article.canonical_url)
        urls = _urls(job, response, article)
        if aid in rows:
            rows[aid]["urls"] += [u for u in urls if u not in rows[aid]["urls"]]
            continue
        rows[aid] = _article_row(aid, job, response, article, urls, run_id, version, now) | {"position": len(rows)}
        if analysis is None:
            continue
        entity_rows += [{
            "article_id": aid, "entity_id": e.entity_id, "name": e.name, "name_norm": normalize_alias(e.name),
            "label": e.label, "aliases": list(e.aliases),
            "alias_norms": sorted({normalize_alias(a) for a in (e.name, *e.aliases)} - {""}),
            "mention_count": e.mention_count, "nlp_version": version,
        } for e in analysis.entities]
        mention_rows += [{
            "article_id": aid, "start_char": m.start, "end_char": m.end, "text": m.text, "label": m.label,
            "sentence_idx": m.sentence, "entity_id": m.entity_id, "nlp_version": version,
        } for m in analysis.mentions]
        event_rows += [{
            "article_id": aid, "sentence_idx": e.sentence, "start_char": e.start, "end_char": e.end,
            "trigger": e.trigger, "event_type": e.event_type, "cameo_root": e.cameo_root,
            "quad_class": e.quad_class, "actor_id": e.actor_id, "actor_text": e.actor_text,
            "target_id": e.target_id, "target_text": e.target_text, "location_id": e.location_id,
            "location_text": e.location_text, "event_date": e.event_date, "date_precision": e.date_precision,
            "date_source": e.date_source, "negated": e.negated, "nlp_version": version,
        } for e in analysis.events]
    return {
        "articles": staging.to_table("articles", rows.values()),
        "entities": staging.to_table("entities", entity_rows),
        "mentions": staging.to_table("mentions", mention_rows),
        "events": staging.to_table("events", event_rows),
        "skips": staging.to_table("skips", skips),
    }


def _urls(job: Job, response: Response, article: Article) -> list[dict]:
    seen, urls = set(), []
    for url, kind in ((article.canonical_url, "canonical"), (response.final_url, "fetched"), (job.url, "link")):
        url = canonicalize_url(url) or url
        if url not in seen:
            seen.add(url)
            urls.append({"url": url, "kind": kind})
    return urls


def _article_row(aid: str, job: Job, response: Response, article: Article, urls: list[dict],
                 run_id: str, version: str, now: datetime) -> dict:
    return {
        "article_id": aid, "canonical_url": article.canonical_url, "feed_url": job.feed_url,
        "title": article.title, "author": article.author, "published_at": article.published_at,
        "date_source": article.date_source, "language": article.language, "body": article.body,
        "body_source": article.body_source, "body_hash": article.body_hash,
        "word_count": len(article.body.split()), "fetched_at": now,
        "extractor_version": EXTRACTOR_VERSION, "nlp_version": version, "run_id": run_id, "urls": urls,
        "final_url": response.final_url, "http_status": response.status,
        "content_type": response.headers.get("content-type", ""),
        "html_gz": gzip.compress(response.body, compresslevel=6),
    }
