"""DuckLake: the warehouse as Parquet files plus a catalog in PostgreSQL, for many writers.

With NEWSDUCK_LAKE set (`postgres:dbname=newsduck host=db.internal user=newsduck`), every
connection is an in-memory DuckDB with the lake attached as `lake` and made the default
database, so the same migrations, merge statements, views and queries run against it. Many
processes can load at once and readers never wait for a file lock.

Two things differ from a DuckDB file:
- DuckLake tables have no primary keys, unique constraints or indexes: `lake_ddl` drops them from
  the migrations, and the merge statements never rely on them (no `on conflict`).
- DuckLake checks conflicts per table at commit, and two transactions that only insert never
  conflict — so two writers inserting the same new article would both commit it. Every writing
  transaction therefore first bumps the one row of `newsduck_lake`: of two concurrent
  writers the later commit fails (`is_conflict`), and the loader runs its transaction again,
  seeing the other's rows this time. Writers are serialised at commit, not while they work.

The extensions load from their PyPI wheels (duckdb-extension-ducklake, -postgres), never from
the network.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import duckdb

from flows.extensions import extension_path, load_statement, postgres_extension_path, quote

ALIAS = "lake"
STATE = "newsduck_lake"  # one row: the commit lock's counter, and the views' checksum


@dataclass(frozen=True, slots=True)
class Lake:
    """Where a DuckLake lives: its catalog (`postgres:...`, or a DuckDB file) and its data files
    (needed to create the lake; an existing lake knows where its files are)."""

    catalog: str
    data_path: str | None = None

    def __str__(self) -> str:
        return "ducklake:" + re.sub(r"password=\S+", "password=***", self.catalog)


class LakeError(RuntimeError):
    """The lake cannot be opened as configured."""


class LakeMissing(LakeError):
    """Opened read-only, the lake does not exist yet (the first load creates it)."""


def open_lake(lake: Lake, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lake attached as the default database."""
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        if lake.catalog.startswith("postgres:"):
            con.execute(load_statement(postgres_extension_path()))
        con.execute(load_statement(extension_path("duckdb_extension_ducklake", "ducklake")))
        options = [f"data_path {quote(lake.data_path)}"] if lake.data_path else []
        options += ["read_only"] if read_only else []
        attach = (f"attach {quote('ducklake:' + lake.catalog)} as {ALIAS}"
                  + (f" ({', '.join(options)})" if options else ""))
        for attempt in range(1, 6):
            try:
                con.execute(attach)
                break
            except duckdb.Error as exc:
                # two writers creating a new lake at once: the loser's catalog tables collide
                if "already exists" not in str(exc) or attempt == 5:
                    raise
                time.sleep(0.2 * attempt)
        con.execute(f"use {ALIAS}")
    except duckdb.Error as exc:
        con.close()
        if "creating a new DuckLake is explicitly disabled" in str(exc):
            raise LakeMissing(f"{lake} does not exist yet: the first load creates it") from exc
        if "data_path is not set" in str(exc):
            raise LakeError(f"{lake} does not exist yet: set NEWSDUCK_LAKE_DATA_PATH to where its "
                            "data files go (shared storage every writer can reach) to create it") from exc
        raise
    return con


def is_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether this connection's warehouse is a lake (a DuckDB file may be named lake.duckdb)."""
    return bool(con.execute("select count(*) from duckdb_databases() where database_name = ?"
                            " and type = 'ducklake'", [ALIAS]).fetchone()[0])


def bootstrap(con: duckdb.DuckDBPyConnection, *tables: str) -> None:
    """Create the given tables (`create table if not exists` DDL) and the one-row table every
    writing transaction updates (see the module docstring).

    Two writers starting on a new lake at once: one's create conflicts, and it looks again; if
    both insert the row, the lock works on two rows just as well."""
    for attempt in range(1, 4):
        try:
            for ddl in tables:
                con.execute(lake_ddl(ddl))
            con.execute(f"create table if not exists {STATE} (writes bigint not null, views_checksum varchar)")
            if not con.execute(f"select count(*) from {STATE}").fetchone()[0]:
                con.execute(f"insert into {STATE} values (0, null)")
            return
        except duckdb.Error as exc:
            if not is_conflict(exc) or attempt == 3:
                raise


def take_commit_lock(con: duckdb.DuckDBPyConnection) -> None:
    """Inside a transaction: make it conflict with any other writer's that commits first."""
    con.execute(f"update {STATE} set writes = writes + 1")


def views_checksum(con: duckdb.DuckDBPyConnection) -> str | None:
    """The checksum of the view files the lake's views were last created from."""
    return con.execute(f"select max(views_checksum) from {STATE}").fetchone()[0]


def record_views_checksum(con: duckdb.DuckDBPyConnection, checksum: str) -> None:
    con.execute(f"update {STATE} set views_checksum = ?", [checksum])


def is_conflict(exc: BaseException) -> bool:
    """A commit that lost to another writer's: run the transaction again."""
    return isinstance(exc, duckdb.TransactionException) and "conflict" in str(exc).lower()


_CONSTRAINT = re.compile(r"\s+(?:primary key|unique)(?=\s*[,\n(-])", re.I)
_TABLE_KEY = re.compile(r",\s*\n\s*primary key\s*\([^)]*\)", re.I)
_INDEX = re.compile(r"^\s*create\s+(?:unique\s+)?index\b[^;]*;", re.I | re.M)
_SET_NOT_NULL = re.compile(r"^\s*alter\s+table\s+\w+\s+alter\s+column\s+\w+\s+set\s+not\s+null\s*;", re.I | re.M)


def lake_ddl(sql: str) -> str:
    """A migration for DuckLake: without primary keys, unique constraints and indexes, which it
    does not support (uniqueness is the merge statements' job; see sql/load/), and without
    `set not null` on an existing column, which it cannot check (it keeps no column stats)."""
    return _SET_NOT_NULL.sub("", _INDEX.sub("", _CONSTRAINT.sub("", _TABLE_KEY.sub("", sql))))
