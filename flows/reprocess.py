"""The `reprocess` flow: rebuild clean bodies, entities and events from the stored raw pages when
the extractor, the model or the lexicon changed. No HTTP request: the HTML comes from raw_pages.

Each batch is re-extracted, analysed, and its derived rows replaced in one transaction
(sql/load/replace_derived.sql), so a reader sees every article either as it was or as it is now,
never half of it. Only articles whose recorded versions differ from the current ones are redone
(all of them with `everything`), so a reprocess cut off midway goes on where it stopped.
"""

from __future__ import annotations

import dataclasses
import gzip
import sys
from collections import Counter

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from tqdm import tqdm

from flows import staging, warehouse
from flows.articles import Job, _tables, analyze_articles, clean_articles
from flows.http import Response
from flows.ingest import load_staged
from flows.nlp import nlp_version
from flows.runlock import run_lock
from flows.settings import Settings, get_settings
from transforms.backfill import DateWindow, parse_day
from transforms.clean import EXTRACTOR_VERSION
from transforms.records import Article, FeedEntry, Skipped

SQL_DIR = warehouse.SQL_DIR
CANDIDATES_SQL = SQL_DIR / "queries" / "reprocess_candidates.sql"
INPUTS_SQL = SQL_DIR / "queries" / "reprocess_inputs.sql"
REPLACE_SQL = SQL_DIR / "load" / "replace_derived.sql"
# how the first run dated an article when the date did not come from the page itself: that
# date stands in again (the page alone cannot give it back)
_HINT_DATE_SOURCES = {"feed", "sitemap", "list", "warc", "wayback"}


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
    with run_lock(settings.data_dir, "reprocess"):
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
    done, failed = 0, Counter()
    with tqdm(total=len(ids), desc="reprocess", unit="article", disable=not progress, file=sys.stderr) as bar:
        for start in range(0, len(ids), settings.batch_size):
            chunk = ids[start:start + settings.batch_size]
            tables, failures = rebuild_batch(settings, chunk, run_id, version)
            replace_derived(settings, tables)
            done += tables["articles"].num_rows
            failed.update(failures)
            bar.update(len(chunk))
            logger.info("reprocess: %s of %s articles redone, %s kept as they were", done, len(ids),
                        sum(failed.values()))

    summary = _summary(run_id, window, len(ids), done, failed, version)
    logger.info("%s", summary)
    create_markdown_artifact(key="reprocess-summary", markdown=summary, description="newsduck reprocess run")
    row = {"run_id": run_id, "flow": "reprocess", "started_at": started, "finished_at": warehouse.utcnow(),
           "status": "completed", "articles_failed": sum(failed.values()), "summary_md": summary}
    staging.write_batch(settings.staging_dir, f"{started.strftime('%Y%m%dT%H%M%S')}-{run_id[:8]}-zz-reprocess",
                        {"runs": staging.to_table("runs", [row])})
    load_staged(settings)
    return {"run_id": run_id, "candidates": len(ids), "reprocessed": done, "kept": dict(failed),
            "extractor_version": EXTRACTOR_VERSION, "nlp_version": version}


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
        if isinstance(got, Skipped):
            failures[got.reason] += 1  # the article stays as it is: a reprocess never deletes one
        else:
            # the article keeps its identity even if the new extractor reads the canonical otherwise
            kept.append((job, response, dataclasses.replace(got, canonical_url=row["canonical_url"])))
    analyses, _ = analyze_articles([article for _, _, article in kept], settings)
    return _tables(kept, analyses, [], run_id, version), failures


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
def replace_derived(settings: Settings, tables: dict) -> None:
    """Replace the batch's articles' derived rows in one transaction."""
    global _REPLACE_STATEMENTS
    if _REPLACE_STATEMENTS is None:
        _REPLACE_STATEMENTS = warehouse.read_statements(REPLACE_SQL)
    if not tables["articles"].num_rows:
        return
    names = ("articles", "entities", "mentions", "events")
    def replace() -> None:
        for statement in _REPLACE_STATEMENTS:
            con.execute(statement, {"now": warehouse.utcnow()} if "$now" in statement else None)

    with warehouse.connect(settings.warehouse, wait=settings.lock_wait) as con:
        for name in names:
            con.register(f"stage_{name}", tables[name])
        try:
            warehouse.in_transaction(con, replace)
        finally:
            for name in names:
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
