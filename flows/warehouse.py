"""The DuckDB adapter: connections that wait for the file lock, migrations, reads, batch merges.

DuckDB lets one process hold the file for writing, and while it does, other processes cannot
even read it. Connections here are therefore short-lived and wait for the lock within a bound.
The warehouse is that file, or a DuckLake (flows/lake.py) when NEWSDUCK_LAKE is set: the same
migrations, merges and reads run on both.
"""

from __future__ import annotations

import hashlib
import logging
import re
import random
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from flows import lake, runcontrol, staging
from flows.clock import utcnow  # noqa: F401 (warehouse.utcnow: for callers)
from flows.extensions import fts_extension_path, load_statement
from flows.lake import Lake, LakeError  # noqa: F401 (LakeError: for callers)

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
MIGRATIONS_DIR = SQL_DIR / "migrations"
VIEWS_DIR = SQL_DIR / "views"
MERGE_SQL = SQL_DIR / "load" / "merge_batch.sql"
MAX_COMMIT_ATTEMPTS = 20  # a lake transaction that lost to another writer's is run again

Target = Path | Lake  # the DuckDB file, or a DuckLake


class DatabaseBusy(RuntimeError):
    """Another process holds the DuckDB file and did not let go within the wait bound."""


class MigrationError(RuntimeError):
    """A migration that was applied has changed on disk, or failed."""


class WarehouseMissing(LookupError):
    """Opened read-only, there is no warehouse yet: no file, or a lake no load has created."""


def exists(db: Target) -> bool:
    """Whether there is a warehouse to read: the file, or a lake some load has created."""
    if not isinstance(db, Lake):
        return Path(db).exists()
    try:
        lake.open_lake(db, read_only=True).close()
    except lake.LakeMissing:
        return False
    return True


@contextmanager
def connect(db: Target, *, read_only: bool = False, wait: float = 0.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the database, waiting up to `wait` seconds for another process's lock to go.

    A lake has no file lock: many processes read and write it at once."""
    if isinstance(db, Lake):
        try:
            con = lake.open_lake(db, read_only=read_only)
        except lake.LakeMissing as exc:
            raise WarehouseMissing(str(exc)) from exc
        try:
            con.execute("set TimeZone = 'UTC'")
            yield con
        finally:
            con.close()
        return
    if read_only and not Path(db).exists():
        raise WarehouseMissing(f"no database at {db}")
    deadline = time.monotonic() + wait
    delay = 0.1
    while True:
        try:
            con = duckdb.connect(str(db), read_only=read_only)
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            remaining = deadline - time.monotonic()
            if remaining <= 0 or runcontrol.stopped():  # a stopping run does not wait for the lock
                raise DatabaseBusy(f"{db} is locked by another process ({lock_holder(exc)}) "
                                   f"and stayed locked for {wait:.0f}s") from exc
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 2.0)
    try:
        con.execute("set TimeZone = 'UTC'")
        yield con
    finally:
        con.close()


def load_extensions(con: duckdb.DuckDBPyConnection) -> None:
    """Load the full-text search extension from its installed wheel: never from the network."""
    con.execute(load_statement(fts_extension_path()))


def lock_holder(exc: Exception) -> str:
    """The 'held in <program> (PID n)' part of DuckDB's lock error, for humans."""
    match = re.search(r"held in (.+?\(PID \d+\))", str(exc))
    return match.group(1) if match else "unknown process"


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending migrations in order, each in its own transaction; re-apply the views.

    Returns the names of the migrations applied now (empty when the schema was current).
    """
    in_lake = lake.is_lake(con)
    migrations_table = (
        "create table if not exists schema_migrations ("
        " version integer primary key, name varchar not null,"
        " checksum varchar not null, applied_at timestamp not null)"
    )
    if in_lake:
        lake.bootstrap(con, migrations_table)
    else:
        con.execute(migrations_table)
    applied_sql = "select version, checksum from schema_migrations"
    paths = sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql"))
    applied = dict(con.execute(applied_sql).fetchall())
    newest = max(applied, default=0)
    if paths and newest > int(paths[-1].name[:4]):
        raise MigrationError(f"the warehouse's schema is at version {newest}, newer than this newsduck's "
                             f"{int(paths[-1].name[:4])}: upgrade newsduck (on a shared lake, every writer)")
    done = []
    for path in paths:
        version, text = int(path.name[:4]), path.read_text(encoding="utf-8")
        checksum = hashlib.sha256(text.encode()).hexdigest()
        if version in applied:  # no transaction: on a lake each one would be a catalog snapshot
            if applied[version] != checksum:
                raise MigrationError(f"{path.name} changed after it was applied; add a new migration instead")
            continue

        def apply() -> bool:
            if version in dict(con.execute(applied_sql).fetchall()):
                return False  # another writer of the lake applied it meanwhile
            con.execute(lake.lake_ddl(text) if in_lake else text)
            con.execute("insert into schema_migrations values (?, ?, ?, ?)",
                        [version, path.stem, checksum, utcnow()])
            return True

        try:
            if in_transaction(con, apply):
                done.append(path.stem)
        except duckdb.Error as exc:
            raise MigrationError(f"{path.name} failed: {exc}") from exc

    texts = [path.read_text(encoding="utf-8") for path in sorted(VIEWS_DIR.glob("*.sql"))]
    checksum = hashlib.sha256("\n".join(texts).encode()).hexdigest()

    def views() -> None:
        for text in texts:
            con.execute(text)
        if in_lake:
            lake.record_views_checksum(con, checksum)

    # In a lake every write is a catalog snapshot shared by all: views only when they changed.
    if not in_lake or done or lake.views_checksum(con) != checksum:
        in_transaction(con, views)
    return done


def in_transaction(con: duckdb.DuckDBPyConnection, work, *args):
    """Run `work(*args)` in one transaction and return its result.

    In a lake the transaction first takes the commit lock (flows/lake.py), and when its commit
    loses to another writer's it is run again from the start, up to MAX_COMMIT_ATTEMPTS times.
    """
    in_lake = lake.is_lake(con)
    for attempt in range(1, MAX_COMMIT_ATTEMPTS + 1):
        con.begin()
        try:
            if in_lake:
                lake.take_commit_lock(con)
            result = work(*args)
            con.commit()
            return result
        except Exception as exc:
            try:
                con.rollback()
            except duckdb.TransactionException:
                pass  # a failed commit has rolled back already
            if not (in_lake and lake.is_conflict(exc)) or attempt == MAX_COMMIT_ATTEMPTS:
                raise
            log.info("lake commit lost to another writer's (attempt %s); running it again", attempt)
            time.sleep(random.uniform(0.05, 0.2) * attempt)
    raise AssertionError("unreachable")


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select coalesce(max(version), 0) from schema_migrations").fetchone()[0]


def read_statements(path: Path) -> list[str]:
    """Statements of a .sql file; a line `-- include: NAME.sql` stands for that file's statements
    (same folder; it may include others in turn)."""
    return split_statements(_included(path))


def _included(path: Path) -> str:
    return re.sub(r"(?m)^-- include: (\S+\.sql)\s*$", lambda m: _included(path.parent / m.group(1)),
                  path.read_text(encoding="utf-8"))


def split_statements(text: str) -> list[str]:
    """Statements of a .sql file: separated by a ';' that ends a line. Comment lines dropped."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in re.split(r";\s*$", "\n".join(lines), flags=re.M) if s.strip()]


_MERGE_STATEMENTS: list[str] | None = None


def merge_batch(con: duckdb.DuckDBPyConnection, batch_dir: Path, run_id: str | None = None) -> dict[str, int] | None:
    """Merge one staged batch in one transaction. None when it had been merged already.

    A batch the database refuses as a whole (one article's row breaks a constraint, say) is
    merged article by article instead: each that goes in is stored, each refused one becomes a
    `skips` row (stage "load") and is not fetched again until the code versions change.
    """
    batch_id = batch_dir.name
    if not batch_dir.is_dir():  # another loader merged it (or set it aside) since it was listed
        return None
    if con.execute("select 1 from loaded_batches where batch_id = ?", [batch_id]).fetchone():
        return None
    tables = staging.read_batch(batch_dir)
    run_id = run_id or _run_of(tables)
    try:
        return _merge_tables(con, batch_id, tables, run_id)
    except _DATA_ERRORS as exc:
        if tables["articles"].num_rows == 0:
            raise
        log.warning("batch %s cannot be merged whole (%s: %s); merging its articles one by one",
                    batch_id, type(exc).__name__, str(exc)[:200])
        return _merge_apart(con, batch_id, tables, run_id)


_PER_ARTICLE = ("articles", "entities", "mentions", "events")
# What one article's rows can do wrong; anything else (a full disk, a lost connection, memory) is
# the warehouse's trouble: it stops the load and the batches stay staged for the next one.
_DATA_ERRORS = (duckdb.ConstraintException, duckdb.ConversionException, duckdb.InvalidInputException,
                duckdb.OutOfRangeException)


def _merge_apart(con: duckdb.DuckDBPyConnection, batch_id: str, tables: dict, run_id: str | None) -> dict[str, int]:
    """The batch's articles one at a time (each recorded as its own part, so a rerun skips the
    parts merged already), then the rest of the batch with a skip for every refused article."""
    totals = {"articles_new": 0, "articles_duplicate": 0}
    refused = []
    articles = tables["articles"]
    for i, aid in enumerate(articles.column("article_id").to_pylist()):
        part = {name: (table.filter(pc.equal(table["article_id"], aid)) if name in _PER_ARTICLE
                       else staging.empty_table(name)) for name, table in tables.items()}
        part_id = f"{batch_id}~{i:05d}"
        if con.execute("select 1 from loaded_batches where batch_id = ?", [part_id]).fetchone():
            continue
        try:
            counts = _merge_tables(con, part_id, part, run_id)
        except _DATA_ERRORS as exc:
            row = articles.slice(i, 1).to_pylist()[0]
            log.warning("article %s refused by the database: %s: %s", row["canonical_url"], type(exc).__name__, exc)
            refused += [{"run_id": run_id, "stage": "load", "url": url["url"], "feed_url": row["feed_url"],
                         "reason": type(exc).__name__, "detail": f"{str(exc)[:400]} (merging its rows)",
                         "permanent": True, "skipped_at": utcnow(),
                         "versions": f"{row['extractor_version']}+{row['nlp_version']}"} for url in row["urls"]]
            continue
        for key in totals:
            totals[key] += (counts or {}).get(key, 0)
    rest = {name: staging.empty_table(name) if name in _PER_ARTICLE else table for name, table in tables.items()}
    rest["skips"] = pa.concat_tables([tables["skips"], staging.to_table("skips", refused)])
    _merge_tables(con, batch_id, rest, run_id)
    return totals


def _merge_tables(con: duckdb.DuckDBPyConnection, batch_id: str, tables: dict, run_id: str | None) -> dict[str, int] | None:
    global _MERGE_STATEMENTS
    if _MERGE_STATEMENTS is None:
        _MERGE_STATEMENTS = read_statements(MERGE_SQL)
    params = {"batch_id": batch_id, "run_id": run_id, "now": utcnow()}

    def merge() -> dict[str, int] | None:
        # asked again inside the transaction: another writer of a lake may have merged it since
        if con.execute("select 1 from loaded_batches where batch_id = ?", [batch_id]).fetchone():
            return None
        for statement in _MERGE_STATEMENTS:
            used = {k: v for k, v in params.items() if f"${k}" in statement}
            con.execute(statement, used or None)
        new, duplicate = con.execute(
            "select articles_new, articles_duplicate from loaded_batches where batch_id = ?", [batch_id]
        ).fetchone()
        return {"articles_new": new, "articles_duplicate": duplicate}

    for name, table in tables.items():
        con.register(f"stage_{name}", table)
    try:
        return in_transaction(con, merge)
    finally:
        for name in tables:
            con.unregister(f"stage_{name}")


def _run_of(tables: dict) -> str | None:
    for name in ("runs", "articles", "skips"):
        column = tables[name].column("run_id")
        if len(column):
            return column[0].as_py()
    return None


def load_staged(db: Target, staging_dir: Path, *, wait: float, refresh_search: bool = True) -> dict[str, int]:
    """Migrate, then merge every staged batch oldest first, removing each once merged; then
    rebuild the full-text search index if the articles changed (flows/analysis/search.py) — unless
    `refresh_search` is off (a run loading batch after batch indexes once, at its end), or the
    warehouse is a lake (the fts extension cannot index its tables).

    Raises DatabaseBusy when the lock does not come within `wait`; the batches stay staged
    and the next call (the next run) merges them.
    """
    totals = {"batches": 0, "articles_new": 0, "articles_duplicate": 0}
    batches = staging.pending_batches(staging_dir)
    with connect(db, wait=wait) as con:
        migrate(con)
        for batch_dir in batches:
            try:
                counts = merge_batch(con, batch_dir)
            except _DATA_ERRORS as exc:  # not even its rows apart: set it aside, the others go on
                aside = staging.set_aside(batch_dir)
                log.error("batch %s cannot be merged (%s: %s); moved to %s", batch_dir.name, type(exc).__name__,
                          exc, aside)
                continue
            staging.remove_batch(batch_dir)
            if counts:
                totals["batches"] += 1
                for key, value in counts.items():
                    totals[key] += value
        from flows.analysis import search  # not at the top: it imports this module

        if refresh_search:
            search.refresh_after_load(con)
    return totals


def migrate_now(db: Target, *, wait: float) -> list[str]:
    """Bring the warehouse to the current schema (a run does this before its reads)."""
    with connect(db, wait=wait) as con:
        return migrate(con)


# Reads used by the flows before the network work. They open the file read-only and briefly,
# and return nothing when the database does not exist yet.

def read_feed_states(db: Target, *, wait: float) -> dict[str, dict]:
    """Validators and counters of every known feed, by feed URL."""
    rows = _read(db, wait, "select feed_url, etag, last_modified, consecutive_errors from feeds")
    return {r[0]: {"etag": r[1], "last_modified": r[2], "consecutive_errors": r[3]} for r in rows}


def read_known_urls(db: Target, urls: Iterable[str], *, wait: float, max_attempts: int,
                    versions: str | None = None) -> set[str]:
    """Which of these URLs need no fetch: stored, or failed for good (or too often). A page our
    own code raised on is failed for good only for the code `versions` that raised."""
    urls = list(set(urls))
    if not urls:
        return set()
    rows = _read(
        db,
        wait,
        "select url from article_urls where url in (select unnest($urls))"
        " union select url from url_failures where url in (select unnest($urls))"
        " and ((permanent and (versions is null or versions = $versions)) or attempts >= $max_attempts)",
        {"urls": urls, "max_attempts": max_attempts, "versions": versions},
    )
    return {r[0] for r in rows}


def read_pending_items(db: Target, feed_urls: Iterable[str], *, wait: float, max_attempts: int,
                       versions: str | None = None) -> list[tuple[str, str, object, str | None]]:
    """Items these feeds listed that no run has stored or given up on yet, newest first:
    (feed URL, item URL, published_at, title). Items a run deferred (the per-feed cap, a failing
    host, the deadline, a stop) wait here even after the feed has dropped them."""
    query = """
        with listed as (
            select
                feed_url,
                url,
                published_at,
                title,
                first_seen_at
            from feed_items
            where feed_url in (select unnest($feeds))
        ),
        given_up as (
            select url
            from url_failures
            where (permanent and (versions is null or versions = $versions)) or attempts >= $max_attempts
        ),
        final as (
            select
                feed_url,
                url,
                published_at,
                title
            from listed
            anti join article_urls using (url)
            anti join given_up using (url)
            order by published_at desc nulls last, first_seen_at desc, url
        )
        select * from final
    """
    params = {"feeds": list(feed_urls), "max_attempts": max_attempts, "versions": versions}
    return [tuple(r) for r in _read(db, wait, query, params)]


def read_article_fates(db: Target, run_id: str, staged: list[tuple[str, str]], *,
                       wait: float) -> dict[str, tuple[bool, bool, bool]]:
    """What the loads made of each staged (URL, article id), by URL: (stored as an article by this
    run, stored as an article before it, URL linked to a stored article)."""
    if not staged:
        return {}
    query = """
        with staged as (
            select
                unnest($urls) as url,
                unnest($ids) as article_id
        ),
        final as (
            select
                staged.url,
                coalesce(articles.run_id = $run_id, false) as new_here,
                articles.article_id is not null and not coalesce(articles.run_id = $run_id, false) as stored_before,
                article_urls.url is not null as linked
            from staged
            left join articles using (article_id)
            left join article_urls on article_urls.url = staged.url
        )
        select * from final
    """
    params = {"urls": [u for u, _ in staged], "ids": [a for _, a in staged], "run_id": run_id}
    rows = _read(db, wait, query, params)  # nothing while there is no (migrated) warehouse
    return {url: (new_here, before, linked) for url, new_here, before, linked in rows}


def _read(db: Target, wait: float, query: str, params: dict | None = None) -> list[tuple]:
    try:
        with connect(db, read_only=True, wait=wait) as con:
            return _read_migrated(con, query, params)
    except WarehouseMissing:
        return []


def _read_migrated(con: duckdb.DuckDBPyConnection, query: str, params: dict | None) -> list[tuple]:
    """The query's rows; none while the warehouse has no schema yet."""
    if not con.execute(
        "select 1 from information_schema.tables where table_name = 'schema_migrations'"
        " and table_catalog = current_database()"
    ).fetchone():
        return []
    return con.execute(query, params).fetchall()
