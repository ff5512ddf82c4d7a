"""The `ingest-feeds` flow: poll the feeds, fetch new articles, clean them, find entities and
events, stage each batch on disk, merge the staged batches into DuckDB.

Tasks work on batches (all feeds; a few hundred articles), never on one article. The network
and NLP work of a batch is staged as Parquet before the database is touched, so a locked
database or a crash costs at most a wait, never the work.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from flows import compute, run_summary, runcontrol, staging, warehouse, workers
from flows.run_summary import FeedOutcome
from flows.articles import Job, code_versions, fetch_pages, process_batch
from flows.catalogue import FeedSource, read_catalogue
from flows.http import Fetcher, FetchError, HostBreaker
from flows.runcontrol import run_lock, run_window
from flows.settings import Settings, get_settings
from transforms.sources.feeds import parse_feed
from transforms.records import Failed, FeedEntry, ParsedFeed
from transforms.sources.shards import Shard, feed_key, parse_shard


@task(name="fetch-feeds", retries=1, retry_delay_seconds=10, cache_policy=NO_CACHE)
def fetch_feeds(sources: list[FeedSource], states: dict[str, dict], settings: Settings) -> list[FeedOutcome]:
    """Fetch and parse every feed concurrently, with conditional GETs."""
    return asyncio.run(_fetch_feeds(sources, states, settings))


async def _fetch_feeds(sources: list[FeedSource], states: dict[str, dict], settings: Settings) -> list[FeedOutcome]:
    async with Fetcher(settings) as fetcher:
        polls = [asyncio.ensure_future(_fetch_feed(fetcher, s, states.get(s.url, {}), settings)) for s in sources]
        waiting = set(polls)
        while waiting:
            _, waiting = await asyncio.wait(waiting, timeout=0.2)
            if waiting and runcontrol.stopped():  # a stop signal: the feeds still polling wait too
                for poll in waiting:
                    poll.cancel()
                await asyncio.gather(*waiting, return_exceptions=True)
                break
        return [FeedOutcome(source, "stopped", warehouse.utcnow()) if poll.cancelled() else poll.result()
                for source, poll in zip(sources, polls)]


async def _fetch_feed(fetcher: Fetcher, source: FeedSource, state: dict, settings: Settings) -> FeedOutcome:
    try:
        return await _poll_feed(fetcher, source, state, settings)
    except Exception as exc:  # a bug of ours on one feed costs that feed, not the run
        failed = Failed.from_exception(exc, "feed")
        return FeedOutcome(source, "error", warehouse.utcnow(), etag=state.get("etag"),
                           last_modified=state.get("last_modified"), error=failed.reason, detail=failed.detail)


async def _poll_feed(fetcher: Fetcher, source: FeedSource, state: dict, settings: Settings) -> FeedOutcome:
    outcome = FeedOutcome(source, "error", warehouse.utcnow(),
                          etag=state.get("etag"), last_modified=state.get("last_modified"))
    headers = {}
    if state.get("etag"):
        headers["If-None-Match"] = state["etag"]
    if state.get("last_modified"):
        headers["If-Modified-Since"] = state["last_modified"]
    try:
        response = await fetcher.fetch(source.url, max_bytes=settings.max_feed_bytes, headers=headers, robots=False)
    except FetchError as exc:
        outcome.error, outcome.detail = exc.reason, exc.detail
        return outcome
    outcome.http_status = response.status
    if response.status == 304:
        outcome.status = "not_modified"
        return outcome
    parsed = parse_feed(response.body, response.final_url, now=outcome.fetched_at,
                        content_type=response.headers.get("content-type", ""))
    if not isinstance(parsed, ParsedFeed):
        outcome.error, outcome.detail = parsed.reason, parsed.detail
        return outcome
    outcome.status = "ok"
    outcome.title = parsed.title
    outcome.entries = list(parsed.entries)
    outcome.etag = response.headers.get("etag")
    outcome.last_modified = response.headers.get("last-modified")
    outcome.item_skips = list(parsed.skipped)
    return outcome


@task(name="load-staged", retries=0, cache_policy=NO_CACHE)
def load_staged(settings: Settings, refresh_search: bool = True) -> dict[str, float] | None:
    """Merge every staged batch into DuckDB; None when the database stayed locked.

    Returns the merged counts and the seconds it took (`seconds`).
    """
    logger = get_run_logger()
    clock = time.perf_counter()
    try:
        counts = warehouse.load_staged(settings.warehouse, settings.staging_dir, wait=settings.lock_wait,
                                       refresh_search=refresh_search)
    except warehouse.DatabaseBusy as exc:
        logger.warning("%s; the staged batches wait for the next run", exc)
        return None
    logger.info("loaded %s staged batches: %s new articles, %s duplicates",
                counts["batches"], counts["articles_new"], counts["articles_duplicate"])
    return counts | {"seconds": time.perf_counter() - clock}


@flow(name="ingest-feeds", log_prints=True)
def ingest_feeds(feeds_file: str | None = None, max_articles: int | None = None, db: str | None = None,
                 shard: str | None = None, task_runner: str | None = None, load: bool | None = None,
                 max_seconds: float | None = None) -> dict:
    """Poll the feed catalogue and load new articles, entities and events into DuckDB.

    Args:
        feeds_file: the catalogue [default: NEWSDUCK_FEEDS].
        max_articles: fetch at most this many new articles.
        db: the DuckDB file [default: NEWSDUCK_DB].
        shard: "i/n": only the feeds whose host hashes to shard i of n (transforms/sources/shards.py),
            so n workers split the catalogue site by site; each shard has its own run lock.
        task_runner: "local" or "dask": where cleaning and NLP run [default: NEWSDUCK_TASK_RUNNER].
        load: merge the staged batches into DuckDB (False: stage only, for `newsduck load`)
            [default: NEWSDUCK_LOAD].
        max_seconds: start no new work after this many seconds; what is left waits for the next
            runs [default: NEWSDUCK_MAX_SECONDS, none].
    """
    settings = get_settings(db=db, feeds=feeds_file, max_articles=max_articles, task_runner=task_runner, load=load,
                            max_seconds=max_seconds)
    part = parse_shard(shard) if shard else None
    logger = get_run_logger()
    with run_lock(settings.data_dir, lock_name(part)), run_window(settings.max_seconds), compute.cpu_stage(settings):
        return _ingest(settings, logger, part)


def lock_name(shard: Shard | None) -> str:
    """The run lock of an ingest: one per shard, so shards on one machine do not block each other."""
    return "run" if shard is None else f"run-shard-{shard.index}-of-{shard.count}"


def _ingest(settings: Settings, logger, shard: Shard | None = None) -> dict:
    from prefect.runtime import flow_run

    run_id = str(flow_run.id or warehouse.utcnow().strftime("local-%Y%m%dT%H%M%S"))
    started, cpu_started = warehouse.utcnow(), time.process_time()
    staging.remove_orphans(settings.staging_dir)
    if settings.load:
        # the reads below use the current schema; work a locked database held back goes in first
        _read_or_empty(lambda: warehouse.migrate_now(settings.warehouse, wait=settings.lock_wait), None, logger)
        if staging.pending_batches(settings.staging_dir):
            load_staged(settings)
    sources = read_catalogue(Path(settings.feeds))
    if shard is not None:
        sources = [s for s in sources if shard.holds(feed_key(s.url))]
    logger.info("polling %s feeds from %s%s", len(sources), settings.feeds,
                f" (shard {shard})" if shard else "")

    states = _read_or_empty(lambda: warehouse.read_feed_states(settings.warehouse, wait=settings.lock_wait), {}, logger)
    outcomes = fetch_feeds(sources, states, settings)
    versions = code_versions(settings)

    # Each new URL belongs to the first feed that lists it; stored URLs are skipped. Items earlier
    # runs left for later (the per-feed cap, a failing host, the deadline, a stop) come back from
    # feed_items, whether the feed still lists them or not.
    owner: dict[str, tuple[FeedOutcome, FeedEntry]] = {}
    for outcome in outcomes:
        for entry in outcome.entries:
            owner.setdefault(entry.url, (outcome, entry))
    by_feed = {o.source.url: o for o in outcomes}
    backlog = _read_or_empty(lambda: warehouse.read_pending_items(
        settings.warehouse, by_feed, wait=settings.lock_wait, max_attempts=settings.max_page_attempts,
        versions=versions), [], logger)
    for feed_url, url, published_at, title in backlog:
        if url not in owner:
            by_feed[feed_url].backlog += 1
            owner[url] = (by_feed[feed_url], FeedEntry(url, url, title or "", "", "", "", published_at))
    known = _read_or_empty(
        lambda: warehouse.read_known_urls(settings.warehouse, owner, wait=settings.lock_wait,
                                          max_attempts=settings.max_page_attempts, versions=versions), set(), logger)
    queue = plan_queue(owner, known, settings)

    staged: list[tuple[str, str]] = []  # (job URL, article id) in staging order
    # A pipeline over batches: the next batch downloads while this one is cleaned and analysed on
    # the worker processes, and the previous one is merged into DuckDB.
    totals: Counter = Counter()
    seconds: Counter = Counter()
    breaker = HostBreaker(settings.host_failures)  # one per run: a host that keeps failing waits
    host_waits: dict[str, list] = {}  # host the breaker opened -> [its first deferred URL, pages deferred]
    batches = [queue[i:i + settings.batch_size] for i in range(0, len(queue), settings.batch_size)]
    if batches and settings.task_runner == "local":
        workers.prestart(settings)  # the workers load the model while the first pages download
    fetching = fetch_pages.submit(batches[0], settings, breaker) if batches else None
    loading = None
    ended: str | None = None  # why the run ended early: runcontrol.STOPPED or DEADLINE
    for number, jobs in enumerate(batches):
        fetched = fetching.result()
        ended = runcontrol.stopping()
        later = batches[number + 1] if number + 1 < len(batches) else None
        fetching = fetch_pages.submit(later, settings, breaker) if later and not ended else None
        try:
            result = process_batch(jobs, settings, run_id, f"{_stamp(started)}-{run_id[:8]}-{number:05d}",
                                   fetched=fetched)
        except runcontrol.RunStopped:  # nothing of this batch was staged: the next run does it
            ended = runcontrol.STOPPED
            _defer(owner, [(job.url, ended) for job in jobs])
            break
        seconds.update(result.seconds)
        for url, reason, transient in result.failures:
            outcome = owner[url][0]
            outcome.failed[reason] += 1
            outcome.incomplete |= transient
        _defer(owner, result.deferred)
        for url, reason in result.deferred:
            if (host := urlsplit(url).hostname or "") in breaker.tripped:
                host_waits.setdefault(host, [url, 0])[1] += 1
        staged += result.staged_ids.items()
        totals["failed"] += len(result.failures)
        totals["staged"] += len(result.staged_ids)
        _add_load(loading, totals, seconds)  # one writer: the previous load ends before the next
        if settings.load and not totals["busy"]:
            loading = load_staged.submit(settings, refresh_search=False)
        else:
            loading = None
        if ended:
            break
    for jobs in batches[number + 1:] if batches and ended else []:  # never started
        _defer(owner, [(job.url, ended) for job in jobs])
    _add_load(loading, totals, seconds)  # after a stop the loader gives up its lock wait at once
    totals["deferred"] = sum(sum(o.deferred.values()) for o in outcomes)
    if ended == runcontrol.DEADLINE and not totals["deferred"]:
        ended = None  # the deadline came with nothing left to do
    if ended == runcontrol.STOPPED:
        workers.abandon()  # idle or still loading the model: no reason to wait for them at exit
    if ended:
        logger.warning("the run ended early (%s): %s items wait for the next runs", ended, totals["deferred"])

    # The loader counts new articles per batch; which feed each belongs to is read back from the
    # database. Stage only, nothing is merged yet: the counts stay unknown rather than guessed.
    fates = _read_or_empty(
        lambda: warehouse.read_article_fates(settings.warehouse, run_id, staged, wait=settings.lock_wait),
        None, logger) if settings.load and ended != runcontrol.STOPPED else None
    counted = run_summary.count_fates(owner, staged, fates)
    summary = run_summary.summary_markdown(run_id, outcomes, totals, len(queue), stage_only=not settings.load,
                                           counted=counted, ended=ended, tripped=breaker.tripped)
    logger.info("%s", summary)
    create_markdown_artifact(key="ingest-summary", markdown=summary, description="newsduck ingest run")
    tables = {
        "feeds": staging.to_table("feeds", (_feed_row(o, states) for o in outcomes if o.status != "stopped")),
        "skips": staging.to_table("skips", _feed_skips(run_id, outcomes) + _host_skips(run_id, breaker, host_waits,
                                                                                        owner)),
        "feed_items": staging.to_table("feed_items", (
            {"feed_url": o.source.url, "url": e.url, "first_seen_at": o.fetched_at, "published_at": e.published_at,
             "title": e.title or None} for o in outcomes for e in o.entries)),
        "runs": staging.to_table("runs", [_run_row(run_id, started, outcomes, totals, summary, ended)]),
    }
    staging.write_batch(settings.staging_dir, f"{_stamp(started)}-{run_id[:8]}-zz-feeds", tables)
    clock = time.perf_counter()
    if settings.load and ended == runcontrol.STOPPED:  # seconds count: no search index, a short lock wait
        loaded = load_staged(settings.model_copy(update={"lock_wait": min(settings.lock_wait, 2.0)}),
                             refresh_search=False)
    else:
        loaded = load_staged(settings) if settings.load else None  # else: `newsduck load` merges them
    seconds["load"] += time.perf_counter() - clock
    seconds["flow"] = (warehouse.utcnow() - started).total_seconds()
    seconds["flow_process_cpu"] = time.process_time() - cpu_started  # this process, all its threads
    return {
        "run_id": run_id,
        "status": ended or "completed",
        "feeds": len(outcomes),
        "feeds_failed": sum(o.status == "error" for o in outcomes),
        "articles_new": totals["articles_new"],
        "articles_duplicate": totals["articles_duplicate"],
        "articles_failed": totals["failed"],
        "articles_known": sum(o.known for o in outcomes),
        "articles_staged": totals["staged"],
        "articles_deferred": totals["deferred"],
        "deferred": dict(sum((o.deferred for o in outcomes), Counter()).most_common()),
        "loaded": loaded is not None,
        "per_feed": [run_summary.feed_summary(o, counted) for o in run_summary.summary_order(outcomes)],
        "seconds": {stage: round(value, 2) for stage, value in sorted(seconds.items())},
    }


def plan_queue(owner: dict[str, tuple[FeedOutcome, FeedEntry]], known: set[str], settings: Settings) -> list[Job]:
    """The run's jobs: each feed's new items newest first, at most `max_items_per_feed` of them
    (the rest are deferred: they wait in feed_items for the next runs), interleaved host by host
    so that every batch mixes the hosts and one slow or dead host never holds a whole batch.
    Within a host, feeds keep their catalogue order."""
    fresh: dict[str, list[tuple[FeedOutcome, FeedEntry]]] = defaultdict(list)
    for url, (outcome, entry) in owner.items():
        if url in known:
            outcome.known += 1
        else:
            fresh[outcome.source.url].append((outcome, entry))
    by_host: dict[str, list[tuple[FeedOutcome, FeedEntry]]] = defaultdict(list)
    for items in fresh.values():
        items.sort(key=lambda item: _newest_first(item[1]))
        cap = settings.max_items_per_feed or len(items)
        for outcome, entry in items[cap:]:
            outcome.deferred["per_feed_cap"] += 1
            outcome.incomplete = True
        for outcome, entry in items[:cap]:
            by_host[urlsplit(entry.url).hostname or ""].append((outcome, entry))
    ranked = []
    for host_index, items in enumerate(by_host.values()):
        ranked += [(rank, host_index, outcome, entry) for rank, (outcome, entry) in enumerate(items)]
    ranked.sort(key=lambda r: (r[0], r[1]))
    queue = [Job(entry.url, outcome.source.url, entry) for _, _, outcome, entry in ranked]
    if settings.max_articles is not None and len(queue) > settings.max_articles:
        for job in queue[settings.max_articles:]:
            owner[job.url][0].deferred["max_articles"] += 1
            owner[job.url][0].incomplete = True
        queue = queue[: settings.max_articles]
    return queue


def _newest_first(entry: FeedEntry) -> tuple:
    """Sort key: dated items newest first, then undated ones; ties keep the feed's order. (Days
    counted back from the largest date: any date sorts, year 1 included.)"""
    if entry.published_at is None:
        return (1, 0.0)
    return (0, (datetime.max - entry.published_at).total_seconds())


def _defer(owner: dict[str, tuple[FeedOutcome, FeedEntry]], deferred: list[tuple[str, str]]) -> None:
    """Count items left for a later run; their feeds keep the old validators (the items wait in
    feed_items either way)."""
    for url, reason in deferred:
        outcome = owner[url][0]
        outcome.deferred[reason] += 1
        outcome.incomplete = True


def _add_load(loading, totals: Counter, seconds: Counter) -> None:
    """Wait for a submitted load and count what it merged; a locked database stops the loads."""
    if loading is None:
        return
    counts = loading.result()
    if counts is None:
        totals["busy"] = 1  # the rest stays staged; the final load tries once more
        return
    seconds["load"] += counts.pop("seconds")
    totals.update(counts)


def _read_or_empty(read, empty, logger):
    """Reads before the network work are an optimisation: a locked database costs bandwidth, not the run."""
    try:
        return read()
    except warehouse.DatabaseBusy as exc:
        logger.warning("%s; going on without stored state", exc)
        return empty


def _stamp(when: datetime) -> str:
    return when.strftime("%Y%m%dT%H%M%S")


def _feed_row(outcome: FeedOutcome, states: dict[str, dict]) -> dict:
    old = states.get(outcome.source.url, {})
    keep_old = outcome.status != "ok" or outcome.incomplete
    return {
        "feed_url": outcome.source.url,
        "name": outcome.source.name or None,
        "language": outcome.source.language or None,
        "tags": list(outcome.source.tags) or None,
        "title": outcome.title or None,
        "etag": old.get("etag") if keep_old else outcome.etag,
        "last_modified": old.get("last_modified") if keep_old else outcome.last_modified,
        "last_status": outcome.status,
        "last_http_status": outcome.http_status,
        "last_error": f"{outcome.error}: {outcome.detail}"[:500] if outcome.error else None,
        "last_fetched_at": outcome.fetched_at,
        "last_success_at": outcome.fetched_at if outcome.status != "error" else None,
        "consecutive_errors": int(outcome.status == "error"),
        "items_seen": 0,  # counted from feed_items when merged
        "last_item_count": len(outcome.entries) if outcome.status == "ok" else None,
        "first_seen_at": outcome.fetched_at,
    }


def _feed_skips(run_id: str, outcomes: list[FeedOutcome]) -> list[dict]:
    """Failed feeds and unusable feed items, for the skips table."""
    rows = []
    for o in outcomes:
        if o.status == "error":
            rows.append({"run_id": run_id, "stage": "feed", "url": o.source.url, "feed_url": o.source.url,
                         "reason": o.error, "detail": o.detail[:500], "permanent": False, "skipped_at": o.fetched_at})
        for item in o.item_skips:
            rows.append({"run_id": run_id, "stage": "feed", "url": item.url, "feed_url": o.source.url,
                         "reason": item.reason, "detail": item.detail[:500], "permanent": True,
                         "skipped_at": o.fetched_at})
    return rows


def _host_skips(run_id: str, breaker: HostBreaker, host_waits: dict[str, list],
                owner: dict[str, tuple[FeedOutcome, FeedEntry]]) -> list[dict]:
    """One row per host the breaker opened: why, and how many of its pages wait (stage 'defer':
    not a failure of those pages, which later runs fetch)."""
    now = warehouse.utcnow()
    return [{"run_id": run_id, "stage": "defer", "url": f"{urlsplit(url).scheme}://{urlsplit(url).netloc}/",
             "feed_url": owner[url][0].source.url,
             "reason": "host_failing", "detail": f"{breaker.tripped[host]}; {count} more of its pages wait "
             "for later runs", "permanent": False, "skipped_at": now}
            for host, (url, count) in host_waits.items()]


def _run_row(run_id: str, started: datetime, outcomes: list[FeedOutcome], totals: Counter, summary: str,
             ended: str | None) -> dict:
    return {
        "run_id": run_id,
        "flow": "ingest-feeds",
        "started_at": started,
        "finished_at": warehouse.utcnow(),
        "status": ended or "completed",  # stopped: a stop signal; deadline: out of time
        "feeds_total": len(outcomes),
        "feeds_ok": sum(o.status == "ok" for o in outcomes),
        "feeds_not_modified": sum(o.status == "not_modified" for o in outcomes),
        "feeds_failed": sum(o.status == "error" for o in outcomes),
        "articles_new": totals["articles_new"],
        "articles_known": sum(o.known for o in outcomes),
        "articles_duplicate": totals["articles_duplicate"],
        "articles_failed": totals["failed"],
        "summary_md": summary,
        "articles_deferred": totals["deferred"],
    }
