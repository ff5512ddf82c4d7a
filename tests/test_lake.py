"""Many writers: the warehouse as a DuckLake with its catalog in a real local PostgreSQL
(NEWSDUCK_LAKE). An ingest into the lake gives the DuckDB file's tables; two loaders merging at
the same moment store each article once; readers never wait for a writer."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from flows import warehouse
from flows.settings import default_data_dir
from flows.lake import Lake, lake_ddl
from tests.pgkit import pg_bin, start_postgres
from tests.test_crash import _snapshot
from tests.test_load import Newsroom, _run

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(pg_bin() is None, reason="PostgreSQL is not installed "
                                "(Debian: apt-get install postgresql; .ci/run installs it)")


@pytest.fixture(scope="module")
def postgres():
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture
def lake(postgres, tmp_path) -> Lake:
    """A new, empty lake: its own PostgreSQL database, its data files under tmp_path."""
    return Lake(postgres.createdb(f"lake_{uuid.uuid4().hex[:8]}"), f"{tmp_path.as_posix()}/lake-files/")


def lake_env(lake: Lake) -> dict[str, str]:
    return {"NEWSDUCK_LAKE": lake.catalog, "NEWSDUCK_LAKE_DATA_PATH": lake.data_path}


@pytest.fixture(scope="module")
def newsroom():
    site = Newsroom()
    yield site
    site.close()


@pytest.fixture(scope="module")
def reference(prefect_harness, newsroom, tmp_path_factory) -> dict:
    """The tables of one ordinary run into a DuckDB file."""
    tmp = tmp_path_factory.mktemp("lake-reference")
    assert _run(newsroom, tmp, "file")["articles_new"] == 9
    return _snapshot(tmp / "file" / "news.duckdb")


def test_lake_schema_is_the_file_schema_without_keys(lake, tmp_path):
    with warehouse.connect(tmp_path / "file.duckdb") as con:
        warehouse.migrate(con)
        file_columns = con.execute("select table_name, column_name, data_type from duckdb_columns()"
                                   " where database_name = current_database() order by all").fetchall()
    with warehouse.connect(lake) as con:
        assert warehouse.migrate(con)  # applied now
        assert warehouse.migrate(con) == []  # and not again
        lake_columns = con.execute("select table_name, column_name, data_type from duckdb_columns()"
                                   " where database_name = current_database()"
                                   " and table_name <> 'newsduck_lake' order by all").fetchall()
        views = {r[0] for r in con.execute("select view_name from duckdb_views()"
                                           " where database_name = current_database()").fetchall()}
    assert lake_columns == file_columns
    assert {p.stem for p in warehouse.VIEWS_DIR.glob("*.sql")} <= views
    assert "primary key" in (warehouse.MIGRATIONS_DIR / "0001_create_core_tables.sql").read_text()
    assert "primary key" not in lake_ddl((warehouse.MIGRATIONS_DIR / "0001_create_core_tables.sql").read_text())


def test_an_ingest_into_the_lake_gives_the_duckdb_tables(prefect_harness, newsroom, reference, lake, tmp_path):
    first = _run(newsroom, tmp_path, "lake", **lake_env(lake))
    assert first["articles_new"] == 9 and first["loaded"] is True
    assert _snapshot(lake) == reference
    assert not (tmp_path / "lake" / "news.duckdb").exists()  # the lake replaces the file

    # the second run reads the feeds' validators and the stored URLs from the lake
    not_modified = sum(site.not_modified["/feed.xml"] for site in newsroom.sites)
    again = _run(newsroom, tmp_path, "lake", **lake_env(lake))
    assert again["articles_new"] == 0 and again["articles_staged"] == 0
    assert sum(site.not_modified["/feed.xml"] for site in newsroom.sites) == not_modified + 4
    after = _snapshot(lake)
    assert [row[3] for row in after.pop("feeds")] == ["not_modified"] * 4
    assert after == {name: rows for name, rows in reference.items() if name != "feeds"}


_LOADER = """
import json, logging, sys, time
from pathlib import Path
from flows import warehouse
from flows.lake import Lake
catalog, data_path, staging, go = sys.argv[1:]
logging.basicConfig(level=logging.INFO)
while not Path(go).exists():
    time.sleep(0.01)
print(json.dumps(warehouse.load_staged(Lake(catalog, data_path), Path(staging), wait=5)))
"""


def test_two_loaders_at_once_store_each_article_once(prefect_harness, newsroom, reference, lake, tmp_path):
    # Two workers with no view of the warehouse, each staging its shard; the first runs twice
    # (it cannot know what is stored, so it stages its shard again), and the second's batches
    # reach both loaders (a retried copy).
    stage_only = {"NEWSDUCK_LOAD": "false"}
    dirs = {name: tmp_path / f"staged-{name}" for name in ("w0", "w1", "w0-again")}
    for name, shard in (("w0", "0/2"), ("w1", "1/2"), ("w0-again", "0/2")):
        run = _run(newsroom, tmp_path, name, shard=shard, NEWSDUCK_STAGING_DIR=str(dirs[name]), **stage_only)
        assert run["loaded"] is False and run["articles_staged"] == 5
    a, b = tmp_path / "loader-a", tmp_path / "loader-b"
    for loader, sources in ((a, ("w0", "w1")), (b, ("w0-again", "w1"))):
        for name in sources:
            shutil.copytree(dirs[name], loader, dirs_exist_ok=True)
    batches = len({p.name for p in [*a.iterdir(), *b.iterdir()]})

    # Both start on the empty lake at the same moment: both migrate it, both merge.
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", _LOADER, lake.catalog, lake.data_path, str(d), str(go)],
                              cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for d in (a, b)]
    time.sleep(1.0)  # both imported and waiting
    go.touch()
    results = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in results]
    counts = [json.loads(out.strip().splitlines()[-1]) for out, _ in results]
    assert sum(c["articles_new"] for c in counts) == 9
    assert sum(c["batches"] for c in counts) == batches  # a batch both had is merged by one
    print("lake commits lost to the other writer and run again:",
          sum(err.count("lost to another writer") for _, err in results))
    # The story both shards list keeps the feed of whichever loader committed it first.
    assert without_feed_url(_snapshot(lake)) == without_feed_url(reference)
    with warehouse.connect(lake, read_only=True) as con:
        assert con.execute("select count(*), count(distinct article_id) from articles").fetchone() == (9, 9)
        assert con.execute("select count(*) from loaded_batches").fetchone()[0] == batches
        assert not con.execute("select article_id from articles anti join feed_items"
                               " on feed_items.feed_url = articles.feed_url"
                               " and feed_items.url = articles.canonical_url").fetchall()


def without_feed_url(snapshot: dict) -> dict:
    """articles.feed_url is the feed that led to an article first: with two loaders, either."""
    return snapshot | {"articles": sorted((row[:2] + row[3:] for row in snapshot["articles"]), key=repr)}


def test_readers_never_wait_for_a_writer(prefect_harness, newsroom, reference, lake, tmp_path):
    staging = tmp_path / "staged"
    _run(newsroom, tmp_path, "w", NEWSDUCK_LOAD="false", NEWSDUCK_STAGING_DIR=str(staging))
    warehouse.load_staged(lake, staging, wait=5)

    # A writer in the middle of a transaction; a DuckDB file would lock every other process out.
    with warehouse.connect(lake) as writer:
        writer.begin()
        writer.execute("update newsduck_lake set writes = writes + 1")
        writer.execute("delete from articles")
        started = time.monotonic()
        answer = newsduck(lake, tmp_path, "sql", "select count(*) as n from articles", "--format", "csv")
        took = time.monotonic() - started
        writer.rollback()
    assert answer.stdout.split() == ["n", "9"]  # what is committed, not the writer's half-work
    assert took < 30

    # full-text search: the fts extension cannot index a lake table, so a reader indexes a copy in
    # a file of its own, and builds it again only when the lake's articles changed
    state = {"XDG_STATE_HOME": str(tmp_path / "state")}  # a lake's data directory: one per lake there

    def search(words: str) -> list[dict]:
        return [json.loads(line) for line in newsduck(lake, tmp_path, "search", words, "--json", env=state).stdout.splitlines()]

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_STATE_HOME", state["XDG_STATE_HOME"])
        index = default_data_dir(Path("unused"), lake_env(lake)["NEWSDUCK_LAKE"]) / "lake-search.duckdb"
    hits = search("Ebola")
    assert hits and hits[0]["title"].startswith("MSF halts Ebola treatment")
    built = index.stat().st_ino
    assert search("Ebola") == hits and index.stat().st_ino == built  # unchanged lake: the same file
    with warehouse.connect(lake) as writer:
        warehouse.in_transaction(writer, lambda: writer.execute(
            "delete from articles where article_id = ?", [hits[0]["article_id"]]))
    assert hits[0]["article_id"] not in {h["article_id"] for h in search("Ebola")}
    assert index.stat().st_ino != built
    assert sorted(p.name for p in index.parent.iterdir() if p.name.startswith(".lake-search")) == []

    # a reader that cannot keep an index file (its data directory cannot be made) indexes in memory
    (tmp_path / "a-file").write_text("")
    answer = newsduck(lake, tmp_path, "search", "Ebola", "--json",
                      env={"NEWSDUCK_DATA_DIR": str(tmp_path / "a-file" / "data")})
    assert "indexing in memory" in answer.stderr, answer.stderr
    assert [json.loads(line)["article_id"] for line in answer.stdout.splitlines()] == [h["article_id"] for h in search("Ebola")]


@pytest.mark.parametrize("command", [["sql", "select 1"], ["search", "Haftar"], ["status"]])
def test_reading_a_lake_no_load_has_created(lake, tmp_path, command):
    # A reader neither fails obscurely nor creates the lake: it points at what to run first.
    answer = newsduck(lake, tmp_path, *command, returncode=2)
    assert "newsduck run" in answer.stderr, answer.stderr
    assert not warehouse.exists(lake)


def newsduck(lake: Lake, cwd: Path, *args: str, env: dict[str, str] | None = None,
             returncode: int = 0) -> subprocess.CompletedProcess:
    """The CLI in its own process, on the lake, not waiting for any lock; `env` adds settings."""
    answer = subprocess.run([str(Path(sys.executable).with_name("newsduck")), *args],
                            env=os.environ | lake_env(lake) | {"NEWSDUCK_SQL_LOCK_WAIT": "0"} | (env or {}),
                            cwd=cwd, capture_output=True, text=True, timeout=60)
    assert answer.returncode == returncode, answer.stderr
    return answer
