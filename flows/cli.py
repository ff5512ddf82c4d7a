"""The `newsduck` command line. Each command's docstring is its --help."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from flows.settings import get_settings

app = typer.Typer(
    help="newsduck: news feeds -> clean articles -> entities and events -> DuckDB.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DbOption = typer.Option(None, "--db", envvar="NEWSDUCK_DB", help="DuckDB file [default: ./newsduck.duckdb]")


class Runner(str, Enum):
    local = "local"
    dask = "dask"


ShardOption = typer.Option(None, "--shard", help="i/n: only this shard of the work (n workers split it; "
                           "sha1 of the feed's host / of the backfill unit)")
RunnerOption = typer.Option(None, "--task-runner", help="where cleaning and NLP run: local worker processes, "
                            "or dask (NEWSDUCK_DASK_ADDRESS, else a LocalCluster) [default: NEWSDUCK_TASK_RUNNER]")
LoadOption = typer.Option(None, "--load/--no-load", help="merge into DuckDB, or only stage the batches for "
                          "`newsduck load` [default: NEWSDUCK_LOAD, true]", show_default=False)


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


def _fail(message: str, code: int = 1) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _no_warehouse(settings) -> None:
    _fail(f"no database at {settings.warehouse}: run `newsduck init` or `newsduck run` first", 2)


@app.command()
def init(db: Optional[Path] = DbOption) -> None:
    """Create the database, or migrate it to the current schema.

    Example: newsduck init --db /srv/news/newsduck.duckdb
    """
    from flows import warehouse

    settings = get_settings(db=db)
    try:
        with warehouse.connect(settings.warehouse, wait=settings.lock_wait) as con:
            applied = warehouse.migrate(con)
            version = warehouse.schema_version(con)
    except (warehouse.DatabaseBusy, warehouse.LakeError) as exc:
        _fail(str(exc))
    typer.echo(f"{settings.warehouse}: schema version {version}" + (f" (applied {', '.join(applied)})" if applied else ""))


@app.command()
def run(
    feeds: Optional[Path] = typer.Option(None, "--feeds", help="CSV with a url column, or an OPML file [default: seeds/feeds.csv]"),
    max_articles: Optional[int] = typer.Option(None, "--max-articles", help="fetch at most N new articles"),
    max_seconds: Optional[float] = typer.Option(None, "--max-seconds", envvar="NEWSDUCK_MAX_SECONDS",
                                                help="start no new work after N seconds; the rest waits for the "
                                                     "next runs [default: no limit]"),
    shard: Optional[str] = ShardOption,
    task_runner: Optional[Runner] = RunnerOption,
    load: Optional[bool] = LoadOption,
    db: Optional[Path] = DbOption,
) -> None:
    """Run one ingest now: poll the feeds, fetch new articles, extract, load.

    Exits 0 when the run finished, even if some feeds or pages failed (the summary lists them),
    and when it ended early on its --max-seconds deadline or on SIGTERM/SIGINT (what was staged is
    kept; the summary's status says so and the next run takes the rest); non-zero only when it
    could not run (2: unreadable catalogue, 3: another run in progress).

    With --shard i/n it takes only the feeds whose host hashes to shard i: n workers split the
    catalogue site by site (README, "Scaling out").

    Example: newsduck run --feeds my-feeds.opml --max-articles 200

    Example: newsduck run --shard 0/4 --task-runner dask --no-load
    """
    from flows.catalogue import CatalogueError, read_catalogue
    from flows.runcontrol import RunInProgress, run_lock
    from transforms.sources.shards import parse_shard

    settings = get_settings(db=db, feeds=feeds)
    try:
        part = parse_shard(shard) if shard else None
        read_catalogue(settings.feeds)
        from flows.ingest import lock_name

        with run_lock(settings.data_dir, lock_name(part)):
            pass  # only a check: the flow takes the lock itself
    except ValueError as exc:
        _fail(str(exc), 2)
    except CatalogueError as exc:
        _fail(str(exc), 2)
    except RunInProgress as exc:
        _fail(str(exc), 3)

    from flows.serve import prefect_api

    with prefect_api(settings):
        from flows.ingest import ingest_feeds

        result = ingest_feeds(feeds_file=str(settings.feeds), max_articles=max_articles, db=str(settings.db),
                              shard=shard, task_runner=task_runner.value if task_runner else None, load=load,
                              max_seconds=max_seconds)
    typer.echo(json.dumps(result))


@app.command()
def serve(
    cron: str = typer.Option("*/15 * * * *", "--cron", help="schedule as a cron expression (UTC)"),
    interval: Optional[int] = typer.Option(None, "--interval", help="schedule every N seconds instead of --cron"),
    feeds: Optional[Path] = typer.Option(None, "--feeds", help="feed catalogue for the scheduled runs"),
    max_seconds: Optional[float] = typer.Option(None, "--max-seconds", envvar="NEWSDUCK_MAX_SECONDS",
                                                help="each run starts no new work after N seconds "
                                                     "[default: half the schedule's interval]"),
    db: Optional[Path] = DbOption,
) -> None:
    """Run the ingest on a schedule (default every 15 minutes) until stopped.

    Uses the Prefect server at PREFECT_API_URL; when that is unset it starts one on 127.0.0.1
    (state under the data directory) and stops it on exit. Each run ends well within its
    interval (--max-seconds); SIGTERM or SIGINT stops the run in hand and the server within
    seconds.

    Example: newsduck serve --cron "*/30 * * * *"
    """
    from flows.serve import serve_ingest

    settings = get_settings(db=db, feeds=feeds, max_seconds=max_seconds)
    serve_ingest(settings, cron=None if interval else cron, interval=interval)


@app.command()
def load(
    staging_dir: Optional[Path] = typer.Option(None, "--staging-dir", envvar="NEWSDUCK_STAGING_DIR",
                                               help="where the batches are [default: newsduck-data/staged]"),
    db: Optional[Path] = DbOption,
) -> None:
    """Merge staged batches into the database: those a run could not load (the database was
    locked), and those staged by workers that only stage (--no-load). The one writer: run it on
    the machine that holds the DuckDB file. Idempotent: a batch is merged once.

    Example: newsduck load --staging-dir /mnt/shared/newsduck-staged
    """
    from flows import warehouse
    from flows.serve import prefect_api

    settings = get_settings(db=db, staging_dir=staging_dir)
    try:
        with prefect_api(settings):
            from flows.load import load_staged_batches

            counts = load_staged_batches(db=str(settings.db), staging_dir=str(settings.staging_dir))
    except warehouse.DatabaseBusy as exc:
        _fail(str(exc))
    typer.echo(json.dumps(counts))


@app.command()
def sql(
    query: Optional[str] = typer.Argument(None, help="SQL to run (read-only)"),
    file: Optional[Path] = typer.Option(None, "--file", help="run the query in this .sql file"),
    param: list[str] = typer.Option([], "--param", help="k=v for a $k parameter; repeatable"),
    format: Format = typer.Option(Format.table, "--format", help="table, csv or json"),
    max_rows: int = typer.Option(100, "--max-rows", help="rows shown in table format"),
    db: Optional[Path] = DbOption,
) -> None:
    """Run read-only SQL against the database.

    If a run holds the write lock, waits briefly (NEWSDUCK_SQL_LOCK_WAIT seconds), then says
    which process holds it.

    A --file declares its parameters and their defaults in `-- @param NAME DEFAULT` lines;
    sql/queries/ holds example questions.

    Example: newsduck sql "select count(*) from articles"

    Example: newsduck sql --file sql/queries/who_met_whom.sql --param days=30
    """
    from flows import warehouse

    settings = get_settings(db=db)
    if (query is None) == (file is None):
        _fail("give a QUERY or --file, not both", 2)
    text = file.read_text(encoding="utf-8") if file else query
    params = dict(p.split("=", 1) for p in param) if param else None
    if file:
        from flows.analysis.queries import QueryParamError, bind_params

        try:
            params = bind_params(text, params or {}) or None
        except QueryParamError as exc:
            _fail(str(exc), 2)
    try:
        with warehouse.connect(settings.warehouse, read_only=True, wait=settings.sql_lock_wait) as con:
            warehouse.load_extensions(con)
            relation = con.sql(text, params=params)
            if relation is None:
                return
            columns = relation.columns
            rows = relation.fetchall()
    except warehouse.WarehouseMissing:
        _no_warehouse(settings)
    except warehouse.DatabaseBusy as exc:
        _fail(f"{exc}. Try again when it has finished.")
    except Exception as exc:  # a user's SQL error: say it plainly
        _fail(f"{type(exc).__name__}: {exc}", 1)
    _print_rows(columns, rows, format, max_rows)


def _print_rows(columns: list[str], rows: list[tuple], format: Format, max_rows: int) -> None:
    if format is Format.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    elif format is Format.json:
        for row in rows:
            typer.echo(json.dumps(dict(zip(columns, row)), default=_json_default, ensure_ascii=False))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(*columns, show_lines=False)
        for row in rows[:max_rows]:
            table.add_row(*("" if v is None else str(v) for v in row))
        console = Console()
        console.print(table)
        if len(rows) > max_rows:
            console.print(f"({len(rows)} rows, {max_rows} shown; --max-rows or --format csv for all)")


def _json_default(value: object) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


@app.command()
def search(
    query: str = typer.Argument(..., help="words to look for in titles and bodies"),
    since: Optional[datetime] = typer.Option(None, "--since", formats=["%Y-%m-%d"], help="only articles from this day on"),
    limit: int = typer.Option(10, "--limit", help="how many results"),
    json_lines: bool = typer.Option(False, "--json", help="one JSON object per result"),
    db: Optional[Path] = DbOption,
) -> None:
    """Full-text search over article titles and bodies, best match first, with snippets.

    Ranked by BM25 (DuckDB's fts extension; words are stemmed, so "talks" finds "talk").
    The index is rebuilt after each load that brings new articles.

    Example: newsduck search "Haftar Tripoli" --since 2019-04-01 --limit 5
    """
    from flows.analysis import search as fts
    from flows import warehouse

    settings = get_settings(db=db)
    try:
        with warehouse.connect(settings.warehouse, read_only=True, wait=settings.sql_lock_wait) as con:
            hits = fts.search(con, query, since=since.date() if since else None, limit=limit,
                              lake_index=settings.data_dir / "lake-search.duckdb")
            lag = fts.index_lag(con)
    except warehouse.WarehouseMissing:
        _no_warehouse(settings)
    except warehouse.DatabaseBusy as exc:
        _fail(f"{exc}. Try again when it has finished.")
    except fts.NoSearchIndex as exc:
        _fail(str(exc), 2)
    if lag:
        typer.secho(f"note: {lag} articles arrived after the search index was built; "
                    "a load rebuilds it within 10 minutes", err=True, fg=typer.colors.YELLOW)
    if not hits and not json_lines:
        typer.echo("no matches")
    fts.print_hits(hits, as_json=json_lines)


@app.command()
def report(
    since: Optional[datetime] = typer.Option(None, "--since", formats=["%Y-%m-%d"], help="first day [default: first day with data]"),
    until: Optional[datetime] = typer.Option(None, "--until", formats=["%Y-%m-%d"], help="last day [default: last day with data]"),
    out: Path = typer.Option(Path("report.html"), "--out", help="HTML file to write"),
    db: Optional[Path] = DbOption,
) -> None:
    """Write one self-contained HTML report with charts: entity mention trends, an event timeline
    by type, the QuadClass balance over time, top dyads, top sources, a map of events by type,
    country dyads over time and the most reported events.

    The file needs no server and no network (the chart library is inlined): open it in a browser.

    Example: newsduck report --since 2019-04-01 --until 2019-04-30 --out april.html
    """
    from flows import warehouse
    from flows.analysis.report import build_report

    settings = get_settings(db=db)
    try:
        result = build_report(settings.warehouse, out, since=since.date() if since else None,
                              until=until.date() if until else None, wait=settings.sql_lock_wait)
    except warehouse.WarehouseMissing:
        _no_warehouse(settings)
    except warehouse.DatabaseBusy as exc:
        _fail(f"{exc}. Try again when it has finished.")
    empty = [c.title for c in result.charts if c.spec is None]
    typer.echo(f"{out}: {result.size / 1e6:.1f} MB, {result.first_day} to {result.last_day}, "
               f"{len(result.rendered)} charts" + (f" (no data for: {', '.join(empty)})" if empty else ""))


@app.command()
def status(db: Optional[Path] = DbOption) -> None:
    """Feed health, recent runs, table sizes and staged batches waiting to load.

    Example: newsduck status
    """
    from flows import staging, warehouse

    settings = get_settings(db=db)
    queries = {
        "Tables": "select * from v_table_counts",
        "Feeds (failing first)": (
            "select coalesce(name, feed_url) as feed, last_status, last_error, consecutive_errors,"
            " last_success_at, items_seen from feeds order by consecutive_errors desc, feed limit 50"),
        "Recent runs": (
            "select run_id, flow, started_at, finished_at - started_at as took, feeds_total, feeds_failed,"
            " articles_new, articles_duplicate, articles_failed from runs order by started_at desc limit 10"),
        "Skips by reason (7 days)": (
            "select stage, reason, count(*) as n from skips where skipped_at > now()::timestamp - interval 7 day"
            " group by all order by n desc limit 20"),
    }
    try:
        with warehouse.connect(settings.warehouse, read_only=True, wait=settings.sql_lock_wait) as con:
            for title, query in queries.items():
                relation = con.sql(query)
                typer.secho(title, bold=True)
                _print_rows(relation.columns, relation.fetchall(), Format.table, 50)
    except warehouse.WarehouseMissing:
        _no_warehouse(settings)
    except warehouse.DatabaseBusy as exc:
        _fail(str(exc))
    typer.echo(f"staged batches waiting to load: {len(staging.pending_batches(settings.staging_dir))}")


@app.command()
def extract(
    sources: list[str] = typer.Argument(..., help="HTML or .txt files, or http(s) URLs"),
    url: Optional[str] = typer.Option(None, "--url", help="the page's URL, for a single HTML file"),
) -> None:
    """Run the transforms on files or URLs without touching the database; print JSON lines.

    .txt files are taken as clean text; HTML files and URLs are cleaned first. One JSON object per
    document: a document that cannot be used (missing file, not HTML...) gives its "skipped"
    reason; one the cleaner or the NLP raised on gives an "error" object (stage, reason, detail)
    and the others are still extracted.

    Exits 0 when every document was extracted or skipped; 1 when at least one had an error
    (after printing them all).

    Example: newsduck extract article.html --url https://example.com/story
    """
    from flows.extract import extract_documents

    settings = get_settings()
    errors = 0
    for document in extract_documents(sources, url, settings):
        errors += "error" in document
        typer.echo(json.dumps(document, default=_json_default, ensure_ascii=False))
    if errors:
        raise typer.Exit(1)


@app.command()
def backfill(
    files: list[Path] = typer.Argument(None, help="more WARC/ARC files, after --warc (so shell globs work)",
                                       show_default=False),
    urls: list[Path] = typer.Option([], "--urls", help="file of URLs: one per line, or a CSV with url "
                                    "(and optionally published_at); repeatable"),
    sitemap: list[str] = typer.Option([], "--sitemap", help="sitemap, news sitemap or sitemap index URL; repeatable"),
    warc: list[Path] = typer.Option([], "--warc", help="WARC/ARC file (plain or .gz) or a directory of them"),
    wayback: list[str] = typer.Option([], "--wayback", help="URL prefix: its captures in the Wayback Machine"),
    since: Optional[str] = typer.Option(None, "--since", help="YYYY-MM-DD: articles published on or after"),
    until: Optional[str] = typer.Option(None, "--until", help="YYYY-MM-DD: articles published on or before"),
    domain: list[str] = typer.Option([], "--domain", help="only pages on this domain or its subdomains; repeatable"),
    max_pages: Optional[int] = typer.Option(None, "--max-pages", help="process at most N new pages in this run"),
    fresh: bool = typer.Option(False, "--fresh", help="ignore checkpoints: list the sources again "
                               "(stored pages are still skipped; transient failures are retried)"),
    shard: Optional[str] = ShardOption,
    task_runner: Optional[Runner] = RunnerOption,
    load: Optional[bool] = LoadOption,
    db: Optional[Path] = DbOption,
) -> None:
    """Load historical articles from URL lists, sitemaps, WARC/ARC archives or the Wayback Machine.

    Pages go through the same cleaning, NLP and loading as `newsduck run`. Resumable: run the same
    command again after Ctrl-C or a crash and it goes on where it stopped; once finished, running
    it again adds and fetches nothing. Shows a progress bar; prints a JSON summary at the end.

    With --shard i/n it takes only the units (a WARC file, a URL list, one sitemap of an index, a
    Wayback prefix) that hash to shard i: n workers given the same sources share them out.

    Example: newsduck backfill --warc crawl/CC-NEWS-*.warc.gz --domain apnews.com --since 2024-01-01

    Example: newsduck backfill --warc /mnt/shared/cc-news/ --shard 1/3 --no-load
    """
    from flows.backfill_sources import warc_files
    from flows.runcontrol import RunInProgress, run_lock
    from transforms.sources.backfill import parse_day
    from transforms.sources.shards import parse_shard

    settings = get_settings(db=db)
    if files and not warc:
        _fail("extra arguments are WARC/ARC files: give them after --warc", 2)
    warcs = [str(p) for p in [*warc, *(files or [])]]
    if not (urls or sitemap or warcs or wayback):
        _fail("nothing to backfill: give --urls, --sitemap, --warc or --wayback", 2)
    try:
        for day in (since, until):
            if day:
                parse_day(day)
        missing = [str(p) for p in [*urls, *warc_files(warcs)] if not p.is_file()]
        if missing:
            _fail(f"no such file: {', '.join(missing)}", 2)
        part = parse_shard(shard) if shard else None
        lock = "backfill" if part is None else f"backfill-shard-{part.index}-of-{part.count}"
        with run_lock(settings.data_dir, lock):
            pass  # only a check: the flow takes the lock itself
    except ValueError as exc:
        _fail(str(exc), 2)
    except RunInProgress as exc:
        _fail(str(exc).replace("newsduck run", "newsduck backfill"), 3)

    from flows import warehouse
    from flows.serve import prefect_api

    try:
        with prefect_api(settings):
            from flows.backfill import backfill as backfill_flow

            result = backfill_flow(urls=[str(p) for p in urls] or None, sitemap=sitemap or None,
                                   warc=warcs or None, wayback=wayback or None, since=since, until=until,
                                   domain=domain or None, max_pages=max_pages, fresh=fresh, db=str(settings.db),
                                   shard=shard, task_runner=task_runner.value if task_runner else None, load=load)
    except warehouse.DatabaseBusy as exc:  # its checkpoints could not be read: nothing was done
        _fail(f"{exc}. Try again when it has finished.")
    typer.echo(json.dumps(result, default=str))


@app.command()
def reprocess(
    since: Optional[str] = typer.Option(None, "--since", help="YYYY-MM-DD: articles published on or after"),
    until: Optional[str] = typer.Option(None, "--until", help="YYYY-MM-DD: articles published on or before"),
    everything: bool = typer.Option(False, "--all", help="redo every article in the range, not only those "
                                    "made by an older extractor, model or lexicon"),
    db: Optional[Path] = DbOption,
) -> None:
    """Rebuild clean bodies, entities and events from the stored raw HTML, without any HTTP request.

    For after an upgrade of the extractor, the spaCy model or the lexicon: only articles whose
    recorded versions differ from the current ones are redone (all with --all). The whole range
    is replaced in one transaction. Undated articles are included only when no range is given.

    Example: newsduck reprocess --since 2024-01-01 --until 2024-03-31
    """
    from flows import warehouse
    from flows.runcontrol import RunInProgress, run_lock
    from transforms.sources.backfill import parse_day

    settings = get_settings(db=db)
    if not warehouse.exists(settings.warehouse):
        _fail(f"no database at {settings.warehouse}: nothing to reprocess", 2)
    try:
        for day in (since, until):
            if day:
                parse_day(day)
        with run_lock(settings.data_dir, "reprocess"):
            pass  # only a check: the flow takes the lock itself
    except ValueError as exc:
        _fail(str(exc), 2)
    except RunInProgress as exc:
        _fail(str(exc).replace("newsduck run", "newsduck reprocess"), 3)

    from flows.serve import prefect_api

    try:
        with prefect_api(settings):
            from flows.reprocess import reprocess as reprocess_flow

            result = reprocess_flow(since=since, until=until, everything=everything, db=str(settings.db))
    except warehouse.DatabaseBusy as exc:  # nothing was replaced: the range is all or nothing
        _fail(f"{exc}. Nothing was replaced. Run it again when it has finished: it redoes the range.")
    typer.echo(json.dumps(result, default=str))


if __name__ == "__main__":
    app()
