"""Full-text search over article titles and bodies with DuckDB's fts extension.

DuckDB's fts index is a snapshot: it does not follow inserts. So it is rebuilt, whole, at the end
of a load (the loader calls `refresh_after_load`) when the articles changed since the last build.
The index is the schema `fts_main_articles` (the extension's tables and its `match_bm25` macro);
beside them `fts_main_articles.newsduck_state` records what it was built from, so a load that
brought nothing new costs one checksum query (~3 ms for 10k articles).

A rebuild takes ~0.4 s for 1k articles and ~4-5 s for 10k (bench/search_index.py, 2 cores), under
the write lock. While rebuilds are cheap (< 2 s) every load that brought articles rebuilds. On a
bigger archive a load rebuilds only once the unindexed articles reach 10% of the indexed ones,
or the index is 10 minutes old: a big backfill (a load every 200 articles) then does not spend
most of its time re-indexing, and a scheduled run (every 15 minutes) still finds an index to
rebuild. `newsduck search` says how many articles arrived after the index was built.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from flows import lake, warehouse
from flows.extensions import fts_extension_path, load_statement, quote
from flows.analysis.queries import bind_params
from transforms.snippets import Snippet, make_snippet

log = logging.getLogger(__name__)

INDEX_SCHEMA = "fts_main_articles"
STATE_TABLE = f"{INDEX_SCHEMA}.newsduck_state"
LAKE_INDEX = "lake_search"  # a lake reader's index file, as attached for a search
SEARCH_SQL = warehouse.SQL_DIR / "search" / "search_articles.sql"
TERMS_SQL = warehouse.SQL_DIR / "search" / "query_terms.sql"

# Porter stemming and English stopwords: the fts defaults, and the language of the NLP stage.
BUILD_INDEX = "pragma create_fts_index('articles', 'article_id', 'title', 'body', overwrite = 1)"
FINGERPRINT = (
    "select count(*), coalesce(sum(hash(article_id, title, body_hash)), 0)::varchar from articles"
)


# When a stale index is rebuilt (see the module docstring).
CHEAP_REBUILD_SECONDS = 2.0
MAX_UNINDEXED_FRACTION = 0.10
MAX_INDEX_AGE = timedelta(minutes=10)


class NoSearchIndex(RuntimeError):
    """The database has no full-text index yet."""


@dataclass(frozen=True, slots=True)
class SearchHit:
    rank: int
    article_id: str
    title: str | None
    day: date
    source: str | None
    url: str
    score: float
    snippet: Snippet


def index_state(con: duckdb.DuckDBPyConnection) -> dict | None:
    """What the current index was built from: articles, fingerprint, built_at, seconds."""
    exists = con.execute(
        "select 1 from information_schema.tables where table_schema = ? and table_name = 'newsduck_state'",
        [INDEX_SCHEMA],
    ).fetchone()
    if not exists:
        return None
    row = con.execute(f"select articles, fingerprint, built_at, seconds from {STATE_TABLE}").fetchone()
    return dict(zip(("articles", "fingerprint", "built_at", "seconds"), row)) if row else None


def should_rebuild(state: dict | None, articles: int, fingerprint: str, now: datetime) -> bool:
    """Whether a load should rebuild the index, given what it was built from (None: no index)."""
    if state is None:
        return True
    if state["fingerprint"] == fingerprint:
        return False
    if state["seconds"] < CHEAP_REBUILD_SECONDS:
        return True
    if abs(articles - state["articles"]) >= MAX_UNINDEXED_FRACTION * max(state["articles"], 1):
        return True
    return now - state["built_at"] >= MAX_INDEX_AGE


def refresh_index(con: duckdb.DuckDBPyConnection, *, force: bool = False) -> float | None:
    """Rebuild the index when `should_rebuild` says so (or `force`).

    Returns the seconds the rebuild took, or None when it was not rebuilt. The rebuild is one
    transaction: a failure leaves the previous index in place.
    """
    count, fingerprint = con.execute(FINGERPRINT).fetchone()
    state = index_state(con)
    if not force and not should_rebuild(state, count, fingerprint, warehouse.utcnow()):
        return None
    warehouse.load_extensions(con)
    started = time.perf_counter()
    con.begin()
    try:
        con.execute(BUILD_INDEX)
        seconds = time.perf_counter() - started
        _record_index_state(con, count, fingerprint, seconds)
        con.commit()
    except Exception:
        con.rollback()
        raise
    return seconds


def _record_index_state(con: duckdb.DuckDBPyConnection, articles: int, fingerprint: str, seconds: float) -> None:
    """Beside a freshly built index, what it was built from (read back by `index_state`)."""
    con.execute(
        f"create table {STATE_TABLE} as select"
        " $articles::bigint as articles, $fingerprint as fingerprint,"
        " $built_at::timestamp as built_at, $seconds::double as seconds",
        {"articles": articles, "fingerprint": fingerprint, "built_at": warehouse.utcnow(), "seconds": seconds},
    )


def refresh_after_load(con: duckdb.DuckDBPyConnection) -> None:
    """The loader's last step. The index is derived data: a failed rebuild is logged, not raised,
    so it never undoes or fails a load (the next load tries again). A lake's readers keep their
    own indexes (`use_lake_index`): nothing to do here."""
    if lake.is_lake(con):
        return
    try:
        seconds = refresh_index(con)
    except (duckdb.Error, ImportError, OSError) as exc:
        log.warning("search index not rebuilt (the next load tries again): %s", exc)
        return
    if seconds is not None:
        articles = con.execute("select count(*) from articles").fetchone()[0]
        log.info("search index rebuilt over %s articles in %.2fs", articles, seconds)


def search(con: duckdb.DuckDBPyConnection, query: str, *, since: date | None = None,
           limit: int = 10, lake_index: Path | None = None) -> list[SearchHit]:
    """Articles matching `query`, best first, each with a snippet around the matched words.

    On a lake, `lake_index` is where this reader keeps its index (see `use_lake_index`).
    Raises NoSearchIndex when the database has no index yet.
    """
    warehouse.load_extensions(con)
    if lake.is_lake(con):
        if lake_index is None:
            raise ValueError("searching a lake needs a path for its local index")
        use_lake_index(con, lake_index)
    elif index_state(con) is None:
        raise NoSearchIndex("this database has no search index yet: it is built after each load "
                            "(run `newsduck load`, or an ingest run)")
    terms_sql = TERMS_SQL.read_text(encoding="utf-8")
    terms = [row[0] for row in con.execute(terms_sql, bind_params(terms_sql, {"query": query})).fetchall()]
    search_sql = SEARCH_SQL.read_text(encoding="utf-8")
    params = bind_params(search_sql, {
        "query": query,
        "since": since.isoformat() if since else "all",
        "limit": str(limit),
    })
    rows = con.execute(search_sql, params).fetchall()
    return [
        SearchHit(rank, article_id, title, day, source, url, score, make_snippet(body, terms))
        for rank, (article_id, title, day, source, url, score, body) in enumerate(rows, start=1)
    ]


def use_lake_index(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Search a lake through this reader's own index file.

    The fts extension cannot index a DuckLake table, so a reader keeps a DuckDB file at `path`
    with a copy of the lake's articles and their index (~0.5 s per 1,000 articles to build), and
    builds it again only when the lake's articles differ from the copy (the fingerprint of the
    file warehouse's index). It is built beside `path` and moved over it whole, so a search
    running at the same moment keeps the file it opened. The connection then reads the index
    file first and the lake for the rest (the views).
    """
    _, fingerprint = con.execute(FINGERPRINT).fetchone()
    if _lake_index_fingerprint(path) != fingerprint:
        try:
            _build_lake_index(con, path)
        except (OSError, duckdb.IOException) as exc:  # e.g. a data directory this reader cannot write
            log.warning("no lake search index at %s (%s): indexing in memory for this search", path, exc)
            _index_lake_copy(con, "memory")
            _search_in(con, "memory")
            return
    con.execute(f"attach {quote(str(path))} as {LAKE_INDEX} (read_only)")
    _search_in(con, LAKE_INDEX)


def _index_lake_copy(con: duckdb.DuckDBPyConnection, catalog: str) -> None:
    """Copy the lake's articles into `catalog` and index them there (the connection moves to it)."""
    con.execute(f"create table {catalog}.main.articles as"
                f" select article_id, title, body, body_hash from {lake.ALIAS}.main.articles")
    con.execute(f"use {catalog}")
    con.execute(BUILD_INDEX)


def _search_in(con: duckdb.DuckDBPyConnection, catalog: str) -> None:
    """The index and its articles from `catalog`, everything else (the views) from the lake."""
    con.execute(f"use {catalog}")
    con.execute(f"set search_path = '{catalog}.main,{lake.ALIAS}.main'")


def _lake_index_fingerprint(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        with duckdb.connect(str(path), read_only=True) as index:
            state = index_state(index)
    except duckdb.Error:  # unreadable: build it again
        return None
    return state["fingerprint"] if state else None


def _build_lake_index(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    for left in path.parent.glob(f".{path.name}.building-*"):  # a build's file (and WAL) of a killed search
        pid = int(re.search(r"building-(\d+)", left.name).group(1))
        if pid == os.getpid() or not _running(pid):
            left.unlink(missing_ok=True)
    building = path.with_name(f".{path.name}.building-{os.getpid()}")
    started = time.perf_counter()
    con.execute(f"attach {quote(str(building))} as lake_search_build")
    try:
        _index_lake_copy(con, "lake_search_build")
        count, fingerprint = con.execute(FINGERPRINT).fetchone()  # of the copy, not the lake now
        _record_index_state(con, count, fingerprint, time.perf_counter() - started)
        con.execute(f"use {lake.ALIAS}")
        con.execute("detach lake_search_build")
    except BaseException:
        con.execute(f"use {lake.ALIAS}")
        con.execute("detach if exists lake_search_build")
        for left in (building, building.with_name(building.name + ".wal")):
            left.unlink(missing_ok=True)
        raise
    os.replace(building, path)
    log.info("lake search index rebuilt over %s articles in %.2fs", count, time.perf_counter() - started)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        pass
    return True


def index_lag(con: duckdb.DuckDBPyConnection) -> int:
    """Articles stored since the index was built (0 when current; a lake's is checked per search)."""
    if lake.is_lake(con):
        return 0
    state = index_state(con)
    count, fingerprint = con.execute(FINGERPRINT).fetchone()
    if state is None or state["fingerprint"] == fingerprint:
        return 0
    return max(1, count - state["articles"])


def hit_json(hit: SearchHit) -> str:
    """One hit as a JSON line."""
    record = asdict(hit)
    record["day"] = hit.day.isoformat()
    record["snippet"] = hit.snippet.text
    return json.dumps(record, ensure_ascii=False)


def print_hits(hits: list[SearchHit], *, as_json: bool = False) -> None:
    """Ranked hits for a terminal: title, then date, source and score, then the snippet with the
    matched words highlighted (plain text when not a terminal)."""
    if as_json:
        for hit in hits:
            print(hit_json(hit))
        return
    from rich.console import Console
    from rich.padding import Padding
    from rich.text import Text

    console = Console(highlight=False)
    for hit in hits:
        console.print(Text(f"{hit.rank:>2}. {hit.title or '(untitled)'}", style="bold"))
        snippet = Text(hit.snippet.text)
        for start, end in hit.snippet.highlights:
            snippet.stylize("bold yellow", start, end)
        console.print(Padding(Text(f"{hit.day} · {hit.source or '?'} · score {hit.score:.3f}", style="dim"), (0, 0, 0, 4), expand=False))
        console.print(Padding(Text(hit.url, style="dim"), (0, 0, 0, 4), expand=False), soft_wrap=True)
        console.print(Padding(snippet, (0, 0, 0, 4), expand=False))
        console.print()


def fts_load_statement() -> str:
    """The SQL that loads the fts extension from the installed wheel, for other DuckDB 1.5.5
    clients (the DuckDB CLI, harlequin) working offline."""
    return load_statement(fts_extension_path()) + ";"


if __name__ == "__main__":  # python -m flows.analysis.search > fts.sql
    print(fts_load_statement())
