"""The `reprocess` flow: rebuild clean bodies, entities and events from the stored raw pages when
the extractor, the model or the lexicon changed. No HTTP request: the HTML comes from raw_pages.

Two phases, so that a reader sees the whole range either as it was or as it is now:
1. Each batch is re-extracted and analysed (the slow part) and its rows written as Parquet to a
   work directory of the run (<data_dir>/reprocess/<run id>/); the warehouse is not touched.
2. One transaction replaces the derived rows of every staged article of the range
   (sql/load/replace_derived.sql, DuckDB reading the Parquet files itself); then the work
   directory goes.
Only articles whose recorded versions differ from the current ones are redone (all of them with
`everything`). A reprocess stopped before its commit leaves the range as it was, and the next one
redoes it.
"""

from __future__ import annotations

import dataclasses
import gzip
import shutil
import sys
from collections import Counter
from pathlib import Path

import pyarrow as pa
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from tqdm import tqdm

from flows import staging, warehouse, workers
from flows.articles import Job, _tables, analyze_articles, clean_articles
from flows.http import Response
from flows.ingest import load_staged
from flows.nlp import nlp_version
from flows.runcontrol import RunStopped, run_lock, run_window
from flows.settings import Settings, get_settings
from transforms.sources.backfill import DateWindow, parse_day
from transforms.page.clean import EXTRACTOR_VERSION
from transforms.records import Article, Failed, FeedEntry, Skipped

SQL_DIR = warehouse.SQL_DIR
CANDIDATES_SQL = SQL_DIR / "queries" / "reprocess_candidates.sql"
INPUTS_SQL = SQL_DIR / "queries" / "reprocess_inputs.sql"
REPLACE_SQL = SQL_DIR / "load" / "replace_derived.sql"
# how the first run dated an article when the date did not come from the page itself: that
# date stands in again (the page alone cannot give it back)
_HINT_DATE_SOURCES = {"feed", "sitemap", "list", "warc", "wayback"}
STAGED = ("articles", "entities", "mentions", "events")  # the tables a rebuilt batch stages


@flow(name="reprocess", log_prints=True)
def reprocess(since: str | None = None, until: str | None = None, everything: bool = False,
              db: str | None = None, progress: bool | None = None) -> dict:
    """Re-extract and re-analyse stored articles published between two days (both included).

    Args:
        since, until: YYYY-MM-DD; open ends when omitted (undated articles only when both are).
        everything: redo every article in the range, not only those made by other versions.
        db: the DuckDB file [default: NEWSDUCK_DB].
        progress: show a progress bar (default: when stderr is a terminal).
    """
    settings = get_settings(db=db)
    logger = get_run_logger()
    window = DateWindow.from_days(parse_day(since) if since else None, parse_day(until) if until else None)
    with run_lock(settings.data_dir, "reprocess"), run_window():
        return _reprocess(settings, logger, window, everything,
                          sys.stderr.isatty() if progress is None else progress)


def _reprocess(settings: Settings, logger, window: DateWindow, everything: bool, progress: bool) -> dict:
    from prefect.runtime import flow_run

    started = warehouse.utcnow()
    run_id = str(flow_run.id or started.strftime("local-%Y%m%dT%H%M%S"))
    version = nlp_version(settings.model, settings.lexicon)
    ids = read_candidates(settings, window, everything, version)
    logger.info("reprocess: %s articles to redo (extractor %s, NLP %s)%s", len(ids), EXTRACTOR_VERSION, version,
                f", published {window.describe()}" if not window.open else "")
    work_root = settings.data_dir / "reprocess"
    remove_work_dirs(work_root)
    work = work_root / run_id
    status = "completed"
    try:
        done, failed = stage_rebuilt(settings, logger, ids, work, run_id, version, progress)
        if done:
            logger.info("reprocess: replacing the derived rows of %s articles in one transaction", done)
            replace_derived(settings, work)
            logger.info("reprocess: %s articles replaced, %s kept as they were", done, sum(failed.values()))
    except RunStopped:  # before the commit: the range stays as it was, and a rerun redoes it
        workers.abandon()
        logger.warning("reprocess stopped by a signal before its commit: nothing was replaced")
        status, done, failed = "stopped", 0, Counter()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    summary = _summary(run_id, window, len(ids), done, failed, version)
    logger.info("%s", summary)
    create_markdown_artifact(key="reprocess-summary", markdown=summary, description="newsduck reprocess run")
    row = {"run_id": run_id, "flow": "reprocess", "started_at": started, "finished_at": warehouse.utcnow(),
           "status": status, "articles_failed": sum(failed.values()), "summary_md": summary}
    staging.write_batch(settings.staging_dir, f"{started.strftime('%Y%m%dT%H%M%S')}-{run_id[:8]}-zz-reprocess",
                        {"runs": staging.to_table("runs", [row])})
    load_staged(settings)
    return {"run_id": run_id, "status": status, "candidates": len(ids), "reprocessed": done, "kept": dict(failed),
            "extractor_version": EXTRACTOR_VERSION, "nlp_version": version}


def remove_work_dirs(work_root: Path) -> None:
    """Drop the work directories of earlier reprocess runs.

    Only a killed run leaves one (a run that fails removes its own). Its range was never
    committed, so its articles are still on the old versions and this run simply redoes them (or
    the kill came after the commit, and they are no longer candidates). No other reprocess is
    using them: the caller holds the reprocess run lock.
    """
    if work_root.exists():
        for path in work_root.iterdir():
            shutil.rmtree(path, ignore_errors=True)


def stage_rebuilt(settings: Settings, logger, ids: list[str], work: Path, run_id: str, version: str,
                  progress: bool) -> tuple[int, Counter]:
    """Phase 1: rebuild the articles batch by batch and stage each batch under `work`, one
    directory per batch (only one batch is in memory at a time). Returns the number of articles
    rebuilt and the reasons of those kept as they were."""
    done, failed = 0, Counter()
    with tqdm(total=len(ids), desc="reprocess", unit="article", disable=not progress, file=sys.stderr) as bar:
        for number, start in enumerate(range(0, len(ids), settings.batch_size)):
            chunk = ids[start:start + settings.batch_size]
            tables, failures = rebuild_batch(settings, chunk, run_id, version)
            if tables["articles"].num_rows:
                staging.write_batch(work, f"{number:06d}", _without_pages(
                    {name: tables[name] for name in STAGED}))
            done += tables["articles"].num_rows
            failed.update(failures)
            bar.update(len(chunk))
            logger.info("reprocess: %s of %s articles rebuilt, %s kept as they were", done, len(ids),
                        sum(failed.values()))
    return done, failed


def _without_pages(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """The tables without the compressed pages: a reprocess never rewrites raw_pages, so the
    work directory need not hold a second copy of them."""
    articles = tables["articles"]
    index = articles.schema.get_field_index("html_gz")
    return tables | {"articles": articles.set_column(index, "html_gz", pa.nulls(articles.num_rows, pa.binary()))}


def read_candidates(settings: Settings, window: DateWindow, everything: bool, version: str) -> list[str]:
    """Ids of the articles to redo, oldest first."""
    if not warehouse.exists(settings.warehouse):
        return []
    params = {"since": window.since, "until": window.until, "everything": everything,
              "extractor_version": EXTRACTOR_VERSION, "nlp_version": version}
    with warehouse.connect(settings.warehouse, wait=settings.lock_wait) as con:
        warehouse.migrate(con)
        return [r[0] for r in con.execute(CANDIDATES_SQL.read_text(encoding="utf-8"), params).fetchall()]


@task(name="read-raw-pages", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def read_inputs(settings: Settings, ids: list[str]) -> list[dict]:
    """The raw pages and stored metadata of a batch of articles."""
    with warehouse.connect(settings.warehouse, read_only=True, wait=settings.lock_wait) as con:
        cursor = con.execute(INPUTS_SQL.read_text(encoding="utf-8"), {"ids": ids})
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]


def rebuild_batch(settings: Settings, ids: list[str], run_id: str, version: str) -> tuple[dict, Counter]:
    """Clean and analyse a batch again from its raw pages: the staged-table shapes of a new batch."""
    rows = read_inputs(settings, ids)
    pages = [(_job(row), _response(row)) for row in rows]
    cleaned, _ = clean_articles([(response.body, response.final_url, job.entry) for job, response in pages], settings)
    kept: list[tuple[Job, Response, Article]] = []
    failures: Counter = Counter()
    for (job, response), row, got in zip(pages, rows, cleaned):
        if isinstance(got, (Skipped, Failed)):
            failures[got.reason] += 1  # the article stays as it is: a reprocess never deletes one
        else:
            # the article keeps its identity even if the new extractor reads the canonical otherwise
            kept.append((job, response, dataclasses.replace(got, canonical_url=row["canonical_url"])))
    analyses, _ = analyze_articles([article for _, _, article in kept], settings)
    tables, unstageable = _tables(kept, analyses, run_id, version)
    failures.update(failed.reason for _, failed in unstageable)  # those keep their stored rows too
    failures.update(a.reason for a in analyses if isinstance(a, Failed))  # stored again, marked failed
    return tables, failures


def _job(row: dict) -> Job:
    hint_date = row["published_at"] if row["date_source"] in _HINT_DATE_SOURCES else None
    entry = FeedEntry(
        url=row["canonical_url"], guid="", title=row["title"] or "", summary="",
        content=row["body"] if row["body_source"] == "feed" else "",  # the feed's text was the body
        author=row["author"] or "", published_at=hint_date,
        date_source=row["date_source"] if hint_date else "feed",
    )
    return Job(row["canonical_url"], row["feed_url"], entry)


def _response(row: dict) -> Response:
    return Response(url=row["url"], final_url=row["url"], status=row["http_status"] or 200,
                    headers={"content-type": row["content_type"] or ""}, body=gzip.decompress(row["html_gz"]))


_REPLACE_STATEMENTS: list[str] | None = None


@task(name="replace-derived", retries=2, retry_delay_seconds=[5, 30], cache_policy=NO_CACHE)
def replace_derived(settings: Settings, work: Path) -> None:
    """Phase 2: replace the derived rows of every article staged under `work` in one transaction."""
    global _REPLACE_STATEMENTS
    if _REPLACE_STATEMENTS is None:
        _REPLACE_STATEMENTS = warehouse.read_statements(REPLACE_SQL)
    batches = staging.pending_batches(work)
    if not batches:
        return

    def replace() -> None:
        # It only reads the staged files, so it can run again from the start: in a lake
        # in_transaction does so when the commit loses to another writer's.
        for statement in _REPLACE_STATEMENTS:
            con.execute(statement, {"now": warehouse.utcnow()} if "$now" in statement else None)

    with warehouse.connect(settings.warehouse, wait=settings.lock_wait) as con:
        for name in STAGED:
            # a view over the batches' Parquet files: DuckDB streams them, the range is never
            # gathered in Python
            con.register(f"stage_{name}", con.read_parquet([str(batch / f"{name}.parquet") for batch in batches]))
        try:
            warehouse.in_transaction(con, replace)
        finally:
            for name in STAGED:
                con.unregister(f"stage_{name}")


def _summary(run_id: str, window: DateWindow, candidates: int, done: int, failed: Counter, version: str) -> str:
    reasons = ", ".join(f"{reason} ×{n}" for reason, n in failed.most_common()) or "none"
    return "\n".join([
        f"## newsduck reprocess `{run_id}`",
        "",
        f"Articles to redo{f' (published {window.describe()})' if not window.open else ''}: {candidates}; "
        f"rebuilt: {done}; kept as they were (the new extractor could not use the page): "
        f"{sum(failed.values())} ({reasons}).",
        "",
        f"Extractor `{EXTRACTOR_VERSION}`, NLP `{version}`. No HTTP request was made.",
    ])
