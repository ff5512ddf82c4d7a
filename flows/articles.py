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

from flows import compute, runcontrol, staging, warehouse, workers
from flows.http import Deferred, Fetcher, FetchError, HostBreaker, Response
from flows.nlp import nlp_version
from flows.settings import Settings
from transforms.page.clean import EXTRACTOR_VERSION
from transforms.coding.stories import story_buckets
from transforms.nlp.names import normalize_alias
from transforms.records import Article, DocAnalysis, Failed, FeedEntry, Skipped
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
    deferred: list[tuple[str, str]] = field(default_factory=list)  # (url, reason): left for a later run
    seconds: Counter = field(default_factory=Counter)  # time per stage: fetch, clean, nlp, events, stage


def process_batch(jobs: list[Job], settings: Settings, run_id: str, batch_id: str, *,
                  accept: Callable[[Article], str | None] | None = None,
                  extra_tables: Mapping[str, object] | None = None,
                  fetched: tuple[list[Response | FetchError | Deferred], float] | None = None) -> BatchResult:
    """Fetch, clean, analyse and stage one batch. Returns which job URLs were staged or failed.

    `accept` may refuse a clean article with a reason (a backfill's date window): it is then
    neither analysed nor stored, only recorded as a skip. `extra_tables` are staged with the
    batch (a backfill's checkpoint rows), so they are merged together with it or not at all.
    `fetched` is fetch_pages' result when the caller fetched the batch ahead of time.

    A document any stage raises on costs that document: a skip with the exception, and with the
    extractor and NLP versions, so that it is not fetched again until they change. Pages the
    fetch deferred (a failing host, the run's deadline) are neither stored nor failed. Raises
    RunStopped when a stop signal came: nothing of the batch is staged, and a later run does it.
    """
    logger = get_run_logger()
    result = BatchResult()
    fetched, result.seconds["fetch"] = fetched or fetch_pages(jobs, settings)
    runcontrol.check_stopped()
    version = nlp_version(settings.model, settings.lexicon)
    versions = code_versions(settings)
    skips: list[dict] = []

    pages: list[tuple[Job, Response]] = []
    for job, got in zip(jobs, fetched):
        if isinstance(got, Deferred):
            result.deferred.append((job.url, got.reason))
        elif isinstance(got, FetchError):
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
        if isinstance(got, Failed):
            _fail(result, skips, run_id, job, got.stage, got.reason, got.detail, False, versions)
        elif isinstance(got, Skipped):
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
    for (job, _, article), analysis in zip(articles, analyses):
        if analysis is None:
            skips.append(_skip(run_id, job, "nlp", "unsupported_language", article.language, False))
        elif isinstance(analysis, Failed):  # the article is kept, without entities and events
            skips.append(_skip(run_id, job, "nlp", analysis.reason, analysis.detail, False, versions))

    clock = time.perf_counter()
    tables, unstageable = _tables(articles, analyses, run_id, version)
    for job, failed in unstageable:
        _fail(result, skips, run_id, job, failed.stage, failed.reason, failed.detail, False, versions)
    tables["skips"] = staging.to_table("skips", skips)
    stage_batch(settings, batch_id, tables | dict(extra_tables or {}))
    result.seconds["stage"] += time.perf_counter() - clock
    dropped = {job.url for job, _ in unstageable}
    staged = set(tables["articles"].column("article_id").to_pylist())
    result.staged_ids = {job.url: aid for job, _, article in articles if job.url not in dropped
                         and (aid := article_id(article.canonical_url)) in staged}
    logger.info("batch %s: %s articles staged, %s failed%s", batch_id, len(result.staged_ids), len(result.failures),
                f", {len(result.deferred)} left for a later run" if result.deferred else "")
    return result


def code_versions(settings: Settings) -> str:
    """The extractor and NLP versions together: a page our code raised on is tried again once
    they change (url_failures.versions)."""
    return f"{EXTRACTOR_VERSION}+{nlp_version(settings.model, settings.lexicon)}"


@task(name="fetch-pages", retries=1, retry_delay_seconds=10, cache_policy=NO_CACHE)
def fetch_pages(jobs: list[Job], settings: Settings,
                breaker: HostBreaker | None = None) -> tuple[list[Response | FetchError | Deferred], float]:
    """Fetch the batch's pages concurrently (per-host limits, robots.txt, retries).

    Returns a response, the reason it failed, or why it was deferred, per job, and the seconds
    it took. `breaker` (shared by the batches of a run) defers the pages of a host that keeps
    failing; the run's deadline defers the pages not yet started, and a stop signal abandons
    the requests in flight too.
    """
    clock = time.perf_counter()
    return asyncio.run(_fetch_pages(jobs, settings, breaker)), time.perf_counter() - clock


async def _fetch_pages(jobs: list[Job], settings: Settings,
                       breaker: HostBreaker | None) -> list[Response | FetchError | Deferred]:
    def deferral(host: str) -> str | None:
        return runcontrol.stopping() or (breaker.reason(host) if breaker else None)

    async with Fetcher(settings, defer=deferral) as fetcher:
        async def one(job: Job) -> Response | FetchError | Deferred:
            if job.response is not None:
                return job.response
            url = job.fetch_url or job.url
            try:
                response = await fetcher.fetch(url, max_bytes=settings.max_page_bytes, robots=settings.respect_robots)
            except Deferred as exc:
                return exc
            except FetchError as exc:
                if breaker:
                    breaker.record(url, exc.reason)
                return exc
            except Exception as exc:  # a bug of ours on one URL costs that URL (retried by later runs)
                failed = Failed.from_exception(exc, "fetch")
                return FetchError(failed.reason, failed.detail, transient=True)
            if breaker:
                breaker.record(url, None)
            if job.fetch_url:  # an archived copy: the article's URLs are the page's own
                response = dataclasses.replace(response, url=job.url, final_url=job.url, redirects=())
            return response

        tasks = [asyncio.ensure_future(one(job)) for job in jobs]
        waiting = set(tasks)
        while waiting:
            _, waiting = await asyncio.wait(waiting, timeout=0.2)
            if waiting and runcontrol.stopped():  # a stop signal: abandon the requests in flight
                for request in waiting:
                    request.cancel()
                await asyncio.gather(*waiting, return_exceptions=True)
                break
        return [Deferred(runcontrol.STOPPED) if request.cancelled() else request.result() for request in tasks]


@task(name="clean-articles", cache_policy=NO_CACHE)
def clean_articles(items: list[tuple[bytes, str, FeedEntry | None]],
                   settings: Settings) -> tuple[list[Article | Skipped], Counter]:
    """Extract clean bodies and metadata from (html, url, feed entry) triples, on the worker
    processes (or inline on a Dask worker: flows/compute.py). Returns them and the seconds spent."""
    timings: Counter = Counter()
    return workers.clean_pages(items, settings, timings), timings


@task(name="analyze-articles", cache_policy=NO_CACHE)
def analyze_articles(items: list[Article], settings: Settings) -> tuple[list[DocAnalysis | Failed | None], Counter]:
    """Entities and events for the English articles of the batch (None for the others, Failed for
    one the NLP raised on), and the seconds spent per stage."""
    timings: Counter = Counter()
    wanted = [i for i, a in enumerate(items) if a.language in NLP_LANGUAGES]
    found = workers.analyze(
        [(items[i].text, items[i].published_at.date() if items[i].published_at else None) for i in wanted],
        settings, timings)
    analyses: list[DocAnalysis | Failed | None] = [None] * len(items)
    for i, analysis in zip(wanted, found):
        analyses[i] = analysis
    return analyses, timings


@task(name="stage-batch", cache_policy=NO_CACHE)
def stage_batch(settings: Settings, batch_id: str, tables: dict) -> str:
    """Write the batch to the staging directory (the commit point of the network and NLP work)."""
    return str(staging.write_batch(settings.staging_dir, batch_id, tables))


def _fail(result: BatchResult, skips: list[dict], run_id: str, job: Job, stage: str,
          reason: str, detail: str, transient: bool, versions: str | None = None) -> None:
    result.failures.append((job.url, reason, transient))
    skips.append(_skip(run_id, job, stage, reason, detail, transient, versions))


def _skip(run_id: str, job: Job, stage: str, reason: str, detail: str, transient: bool,
          versions: str | None = None) -> dict:
    """A skips row; `versions` when our code raised on the document (an upgrade retries it)."""
    return {"run_id": run_id, "stage": stage, "url": job.url, "feed_url": job.feed_url, "reason": reason,
            "detail": (detail or "")[:500], "permanent": not transient, "skipped_at": warehouse.utcnow(),
            "versions": versions}


def _tables(articles: list[tuple[Job, Response, Article]], analyses: list[DocAnalysis | Failed | None],
            run_id: str, version: str) -> tuple[dict, list[tuple[Job, Failed]]]:
    """The batch's articles, entities, mentions and events as staged Arrow tables; one article
    row per article id (URLs of repeats merged).

    Returns them and the articles whose rows could not be built (each a Failed of stage
    "stage"), which the tables leave out.
    """
    now = warehouse.utcnow()
    built: dict[str, dict[str, list[dict]]] = {}  # article id -> its rows per table
    jobs: dict[str, Job] = {}
    unstageable: list[tuple[Job, Failed]] = []
    for (job, response, article), analysis in zip(articles, analyses):
        try:
            aid = article_id(article.canonical_url)
            urls = _urls(job, response, article)
            if aid in built:
                known = built[aid]["articles"][0]["urls"]
                known += [u for u in urls if u not in known]
                continue
            built[aid] = _article_rows(aid, job, response, article, urls, analysis, run_id, version, now)
            built[aid]["articles"][0]["position"] = len(built) - 1
            jobs[aid] = job
        except Exception as exc:  # one article's rows, not the batch
            unstageable.append((job, Failed.from_exception(exc, "stage")))
    names = ("articles", "entities", "mentions", "events")
    try:
        tables = {name: staging.to_table(name, (r for rows in built.values() for r in rows[name])) for name in names}
    except Exception:  # a value Arrow refuses: find the articles it belongs to, keep the rest
        for aid, rows in list(built.items()):
            try:
                for name in names:
                    staging.to_table(name, rows[name])
            except Exception as exc:
                unstageable.append((jobs[aid], Failed.from_exception(exc, "stage")))
                del built[aid]
        tables = {name: staging.to_table(name, (r for rows in built.values() for r in rows[name])) for name in names}
    return tables, unstageable


def _article_rows(aid: str, job: Job, response: Response, article: Article, urls: list[dict],
                  analysis: DocAnalysis | Failed | None, run_id: str, version: str, now: datetime) -> dict[str, list[dict]]:
    """One article's rows: the article, and its entities, mentions and events when analysed.
    An article whose NLP failed records that in its nlp_version, so `reprocess` tries it again."""
    analysed = isinstance(analysis, DocAnalysis)
    failed = isinstance(analysis, Failed)
    made_by = f"failed:{version}" if failed else version
    row = _article_row(aid, job, response, article, urls, run_id, made_by, now)
    rows: dict[str, list[dict]] = {"articles": [row], "entities": [], "mentions": [], "events": []}
    if not analysed:
        return rows
    row |= {"focus_country": analysis.focus_country, "tone": analysis.tone}
    rows["entities"] = [{
        "article_id": aid, "entity_id": e.entity_id, "name": e.name, "name_norm": normalize_alias(e.name),
        "label": e.label, "aliases": list(e.aliases),
        "alias_norms": sorted({normalize_alias(a) for a in (e.name, *e.aliases)} - {""}),
        "mention_count": e.mention_count, "nlp_version": version,
        "country": e.country, "role": e.role, "actor_code": e.actor_code,
        **(_geo_columns(e.geo) if e.geo else {}),
    } for e in analysis.entities]
    place_country = {e.entity_id: e.geo.country for e in analysis.entities if e.geo}
    rows["mentions"] = [{
        "article_id": aid, "start_char": m.start, "end_char": m.end, "text": m.text, "label": m.label,
        "sentence_idx": m.sentence, "entity_id": m.entity_id, "nlp_version": version,
    } for m in analysis.mentions]
    rows["events"] = [{
        "article_id": aid, "sentence_idx": e.sentence, "start_char": e.start, "end_char": e.end,
        "trigger": e.trigger, "event_type": e.event_type, "cameo_root": e.cameo_root,
        "quad_class": e.quad_class, "actor_id": e.actor_id, "actor_text": e.actor_text,
        "target_id": e.target_id, "target_text": e.target_text, "location_id": e.location_id,
        "location_text": e.location_text, "event_date": e.event_date, "date_precision": e.date_precision,
        "date_source": e.date_source, "negated": e.negated, "nlp_version": version,
        "cameo_code": e.cameo_code or None, "goldstein": e.goldstein, "tone": e.tone,
        "actor_country": e.actor_country, "actor_role": e.actor_role, "actor_code": e.actor_code,
        "target_country": e.target_country, "target_role": e.target_role, "target_code": e.target_code,
        "geo_id": e.geo_id, "lat": e.lat, "lon": e.lon,
        "action_country": place_country.get(e.location_id) if e.lat is not None else None,
    } for e in analysis.events]
    return rows


def _geo_columns(geo) -> dict:
    """A place's GeoNames feature as article_entities columns."""
    return {"geonameid": geo.geonameid, "geo_name": geo.name, "lat": geo.lat, "lon": geo.lon,
            "geo_country": geo.country, "admin1": geo.admin1 or None, "feature_class": geo.feature_class}


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
        "captions": list(article.captions) or None,
        "minhash": list(article.minhash), "story_buckets": list(story_buckets(article.minhash)),
    }
