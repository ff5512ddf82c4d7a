"""kill -9 at any moment, then run again: the tables end exactly as after an undisturbed run.
And a reader holding the database past the lock bound costs a wait, never a row."""

from __future__ import annotations

import gzip
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from tests.backfillkit import stalled_cli, wait_for_marker
from tests.conftest import FIXTURES
from tests.sitekit import Item, Site, news_page, rss20

GOLD = sorted((FIXTURES / "gold").glob("*.txt"))
REPO = Path(__file__).resolve().parent.parent


def _snapshot(db) -> dict[str, list[tuple]]:
    """Every table's content without what only says when or by which run it was written.

    `db`: a DuckDB file, or a DuckLake (flows/lake.py)."""
    from flows import warehouse

    queries = {
        "articles": "select * exclude (fetched_at, run_id) from articles",
        "article_urls": "select * exclude (first_seen_at) from article_urls",
        "raw_pages": "select article_id, url, http_status, content_type, html_gz from raw_pages",
        "entities": "select * exclude (first_seen_at) from entities",
        "entity_aliases": "select * from entity_aliases",
        "article_entities": "select * from article_entities",
        "mentions": "select * from mentions",
        "events": "select * from events",
        "feeds": "select feed_url, title, etag, last_status, last_error, consecutive_errors, items_seen,"
                 " last_item_count from feeds",
        "feed_items": "select feed_url, url from feed_items",
        "skips": "select distinct stage, url, reason from skips",
        "url_failures": "select url, reason, permanent, attempts from url_failures",
    }
    with warehouse.connect(db, read_only=True) as con:
        snap = {name: sorted(con.execute(q).fetchall(), key=repr) for name, q in queries.items()}
    snap["raw_pages"] = [row[:-1] + (hashlib.sha1(gzip.decompress(row[-1])).hexdigest(),) for row in snap["raw_pages"]]
    return snap


@pytest.fixture(scope="module")
def crash_site():
    site = Site()
    links = []
    for i, path in enumerate(GOLD):
        title, *paragraphs = [p for p in path.read_text().split("\n\n") if p.strip()]
        links.append(site.add(f"/story/{path.stem}", news_page(title.strip(), paragraphs, f"2019-04-{i + 1:02d}T08:00:00Z")))
    links.insert(3, site.url("/story/gone"))  # a 404 among them
    half = len(links) // 2
    for name, part in (("a", links[:half]), ("b", links[half:])):
        site.add(f"/feeds/{name}.xml", rss20(name, site.url("/"), [Item(f"s{i}", u, datetime(2019, 4, 5)) for i, u in enumerate(part)]),
                 content_type="application/rss+xml", etag=f'"{name}1"')
    yield site
    site.close()


def _env(tmp: Path) -> dict[str, str]:
    return {"NEWSDUCK_DB": str(tmp / "news.duckdb"), "NEWSDUCK_DATA_DIR": str(tmp / "data"),
            "NEWSDUCK_ALLOW_PRIVATE_HOSTS": "1", "NEWSDUCK_PER_HOST_DELAY": "0.05", "NEWSDUCK_BATCH_SIZE": "4",
            "NEWSDUCK_LOCK_WAIT": "2"}


def _catalogue(site: Site, tmp: Path) -> Path:
    path = tmp / "feeds.csv"
    path.write_text(f"url\n{site.url('/feeds/a.xml')}\n{site.url('/feeds/b.xml')}\n")
    return path


def _run_in_process(site: Site, tmp: Path) -> dict:
    from flows.ingest import ingest_feeds

    with pytest.MonkeyPatch.context() as mp:
        for key, value in _env(tmp).items():
            mp.setenv(key, value)
        return ingest_feeds(feeds_file=str(_catalogue(site, tmp)))


@pytest.fixture(scope="module")
def undisturbed(prefect_harness, crash_site, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("undisturbed")
    result = _run_in_process(crash_site, tmp)
    assert result["articles_new"] == len(GOLD)
    return _snapshot(tmp / "news.duckdb")


@pytest.fixture(scope="module")
def undisturbed_twice(prefect_harness, crash_site, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("undisturbed-twice")
    _run_in_process(crash_site, tmp)
    assert _run_in_process(crash_site, tmp)["articles_new"] == 0
    return _snapshot(tmp / "news.duckdb")


def _kill_when(site: Site, tmp: Path, trigger, stall: tuple[str, dict] | None = None) -> tuple[str, dict | None]:
    """Run `newsduck run` in a subprocess (against the session's Prefect server) and kill -9 it
    when trigger(log lines, site) says so — or, with `stall` (a tests/backfillkit.py stall and its
    arguments), once the child has stopped there and written its marker. Returns the log and the
    marker's content."""
    from prefect.settings import PREFECT_API_URL

    env = os.environ | _env(tmp) | {"PREFECT_API_URL": PREFECT_API_URL.value()}
    marker = tmp / "stalled.json"
    command = stalled_cli(stall[0], marker=str(marker), **stall[1]) if stall else \
        [sys.executable, "-c", "from flows.cli import app; app()"]
    proc = subprocess.Popen(command + ["run", "--feeds", str(_catalogue(site, tmp))], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    marked = None
    try:
        if stall:
            marked = wait_for_marker(marker, proc, lambda: "".join(lines))
        else:
            deadline = time.monotonic() + 120
            while proc.poll() is None and time.monotonic() < deadline and not trigger(lines, site):
                time.sleep(0.005)
        children = _children(proc.pid)
        if marked:
            marked["workers"] = children
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)  # the flow's process only: its workers must notice
        proc.wait()
        assert proc.returncode == -signal.SIGKILL, "the run finished before the trigger:\n" + "".join(lines[-30:])
        gone_by = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() for pid in children) and time.monotonic() < gone_by:
            time.sleep(0.2)
        assert not [pid for pid in children if Path(f"/proc/{pid}").exists()], "worker processes outlived the run"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return "".join(lines), marked


def _children(pid: int) -> list[int]:
    """Processes whose parent is pid (the run's worker processes)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def _page_hits(site: Site) -> int:
    return sum(n for path, n in site.hits.items() if path.startswith("/story/"))


def _after(task: str, count: int = 1):
    return lambda lines, site: sum(task in line and "Finished in state" in line for line in lines) >= count


# moment -> (trigger(log lines, site), or None with a stall in the child: tests/backfillkit.py)
MOMENTS: dict[str, tuple] = {
    "during fetch": (lambda lines, site: _page_hits(site) >= 1, None),
    # the second batch analysed on a worker process, not yet handed back, not staged
    "during NLP": (None, ("stall_inside_nlp", {"call": 2})),
    # the second batch merge, inside its transaction: articles, URLs, entities and mentions
    # written, its events not yet, the batch not recorded as loaded
    "inside a merge": (None, ("stall_inside_merge", {"merge": 2, "before": "insert into events"})),
    "between batches": (_after("load-staged", 1), None),
}


@pytest.mark.parametrize("moment", MOMENTS)
def test_kill_9_then_rerun_equals_an_undisturbed_run(moment, undisturbed, crash_site, tmp_path):
    crash_site.hits.clear()
    log, marked = _kill_when(crash_site, tmp_path, *MOMENTS[moment])
    if moment == "during NLP":
        _assert_the_batch_was_in_nlp(tmp_path, marked)
    if moment == "inside a merge":
        _assert_the_merge_left_nothing(tmp_path, marked)
    _run_in_process(crash_site, tmp_path)
    assert _snapshot(tmp_path / "news.duckdb") == undisturbed, log[-2000:]


def _assert_the_batch_was_in_nlp(tmp: Path, marked: dict) -> None:
    """A worker process of the run had analysed the second batch, which was neither staged nor
    merged when the run died."""
    assert marked["pid"] in marked["workers"] and marked["texts"] >= 1, marked
    assert not list((tmp / "data" / "staged").glob("*-00001"))
    if (tmp / "news.duckdb").exists():  # the first batch's load may not have begun yet
        with duckdb.connect(str(tmp / "news.duckdb"), read_only=True) as con:
            tables = {name for (name,) in con.execute("select table_name from duckdb_tables()").fetchall()}
            merged = con.execute("select count(*) from loaded_batches where batch_id like '%-00001'").fetchone()[0] \
                if "loaded_batches" in tables else 0
        assert merged == 0


def _assert_the_merge_left_nothing(tmp: Path, marked: dict) -> None:
    """The killed transaction had written rows it could see; none of them is in the file, and its
    batch is still staged for the next run."""
    inside = marked["counts"]
    with duckdb.connect(str(tmp / "news.duckdb"), read_only=True) as con:
        committed = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in inside}
        recorded = con.execute("select count(*) from loaded_batches where batch_id = ?",
                               [marked["batch_id"]]).fetchone()[0]
    assert committed["articles"] < inside["articles"], (committed, inside)
    assert committed["mentions"] < inside["mentions"], (committed, inside)
    assert (committed["events"], committed["loaded_batches"]) == (inside["events"], inside["loaded_batches"])
    assert marked["batch_id"].endswith("-00001") and recorded == 0
    assert (tmp / "data" / "staged" / marked["batch_id"]).is_dir()


def test_a_reader_holding_the_file_past_the_bound_costs_no_rows(undisturbed_twice, crash_site, tmp_path):
    """A person keeps the database open in another process for longer than the lock wait during
    a run: the run stages its batches and says so; the next run loads them first."""
    db = tmp_path / "news.duckdb"
    with duckdb.connect(str(db)) as con:  # create it, so the reader has something to hold
        con.execute("select 1")
    from flows import warehouse

    with warehouse.connect(db) as con:
        warehouse.migrate(con)
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb,sys; c=duckdb.connect({str(db)!r}, read_only=True);"
                               " print('open', flush=True); sys.stdin.read()"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        first = _run_in_process(crash_site, tmp_path)
    finally:
        holder.stdin.close()
        holder.wait()
    assert first["loaded"] is False and first["articles_new"] == 0
    assert len(list((tmp_path / "data" / "staged").iterdir())) >= 2  # the work is on disk, waiting
    crash_site.hits.clear()
    second = _run_in_process(crash_site, tmp_path)
    assert second["loaded"] is True
    assert _page_hits(crash_site) == 0  # it loaded the staged work first, so nothing was fetched twice
    assert _snapshot(db) == undisturbed_twice
