"""The backfill flow end to end: URL lists, sitemaps, WARC files and a fake Wayback Machine on a
local server, a real DuckDB file, the real model, real Prefect flow runs. Every source is run
twice: the second run adds nothing and fetches nothing."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from tests.backfillkit import Record, stalled_cli, story_page, wait_for_marker, write_warc
from tests.sitekit import Route

TABLES = ("articles", "article_urls", "raw_pages", "article_entities", "mentions", "events", "skips",
          "url_failures", "backfill_checkpoints")


def _counts(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}


def _rows(db: Path, query: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(query, params).fetchall()


def _by_url(db: Path) -> dict[str, tuple]:
    """Each stored article by the URL it was found under: (published_at, date_source, title)."""
    return {r[0]: r[1:] for r in _rows(db, "select u.url, a.published_at, a.date_source, a.title from articles a"
                                           " join article_urls u using (article_id)")}


# -- WARC ----------------------------------------------------------------------------------------


def test_warc_html_responses_only_then_nothing_new(prefect_harness, env, tmp_path):
    from flows.backfill import backfill

    host = "http://news.example.com"
    records = [
        Record("response", f"{host}/2024/01/10/dated-page", story_page(1, "2024-01-10T08:30:00Z").encode()),
        Record("request", f"{host}/2024/01/10/dated-page"),
        Record("response", f"{host}/undated-page", story_page(2, None).encode(), date="2024-01-12T06:00:00Z"),
        Record("metadata", f"{host}/undated-page"),
        Record("response", f"{host}/files/report.pdf", b"%PDF-1.7\n...", "application/pdf"),
        Record("revisit", f"{host}/2024/01/10/dated-page"),
        Record("response", f"{host}/gone", b"not found", "text/html", status="404 Not Found"),
        Record("response", "http://elsewhere.example.org/story", story_page(3, "2024-01-11T08:00:00Z").encode()),
        Record("response", f"{host}/2024/01/11/second", story_page(4, "2024-01-11T09:00:00Z").encode()),
    ]
    warc = write_warc(tmp_path / "crawl.warc.gz", records)

    first = backfill(warc=[str(warc)], domain=["example.com"])
    assert (first["found"], first["articles_new"], first["failed"]) == (3, 3, 0)
    skipped = first["sources"][0]["skipped"]
    assert skipped == {"warcinfo": 1, "request": 1, "metadata": 1, "revisit": 1, "not_html": 1, "http_404": 1,
                       "other_domain": 1}
    stored = _by_url(env.db)
    assert stored[f"{host}/2024/01/10/dated-page"][:2] == (datetime(2024, 1, 10, 8, 30), "page")
    # no date on the page or in its URL: the capture date, and it says so
    assert stored[f"{host}/undated-page"][:2] == (datetime(2024, 1, 12, 6, 0), "warc")
    assert "http://elsewhere.example.org/story" not in stored
    assert _rows(env.db, "select count(*) from mentions")[0][0] > 0
    run = _rows(env.db, "select flow, articles_new, summary_md from runs")[0]
    assert run[:2] == ("backfill", 3) and "revisit ×1" in run[2]

    before = _counts(env.db)
    second = backfill(warc=[str(warc)], domain=["example.com"])
    assert second["sources"][0]["status"] == "already done"
    assert (second["found"], second["articles_new"]) == (0, 0)
    assert _counts(env.db) == before


def test_warc_date_window_uses_the_article_date(prefect_harness, env, tmp_path):
    from flows.backfill import backfill

    host = "http://news.example.com"
    warc = write_warc(tmp_path / "crawl.warc", [  # uncompressed this time
        Record("response", f"{host}/old", story_page(5, "2023-06-01T08:00:00Z").encode(), date="2024-01-15T00:00:00Z"),
        Record("response", f"{host}/in", story_page(6, "2024-01-14T08:00:00Z").encode(), date="2024-01-15T00:00:00Z"),
        Record("response", f"{host}/early", story_page(7, None).encode(), date="2023-12-01T00:00:00Z"),
    ], gzip=False)
    result = backfill(warc=[str(warc)], since="2024-01-01", until="2024-01-31")
    assert result["articles_new"] == 1
    # page date out of the window: cleaned, then dropped; captured before the window: never cleaned
    assert result["sources"][0]["skipped"] == {"warcinfo": 1, "out_of_range": 2}
    assert list(_by_url(env.db)) == [f"{host}/in"]


# -- sitemaps ------------------------------------------------------------------------------------


def _urlset(entries: list[tuple[str, str | None, str | None]]) -> str:
    rows = []
    for loc, lastmod, published in entries:
        news = (f"<news:news><news:publication><news:name>Ledger</news:name><news:language>en</news:language>"
                f"</news:publication><news:publication_date>{published}</news:publication_date>"
                f"<news:title>Headline</news:title></news:news>") if published else ""
        rows.append(f"<url><loc>{loc}</loc>{f'<lastmod>{lastmod}</lastmod>' if lastmod else ''}{news}</url>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
            ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">' + "".join(rows) + "</urlset>")


@pytest.fixture
def sitemap_site(site):
    """An index with two sitemaps (one gzipped, served as a file), pages inside and outside a window."""
    site.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    for i, published in enumerate(["2024-02-01T09:00:00Z", "2024-02-10T09:00:00Z", "2024-03-05T09:00:00Z"]):
        site.add(f"/news/a{i}", story_page(10 + i, published))
    site.add("/news/undated", story_page(13, None))  # its date is the news sitemap's
    site.add("/news/old", story_page(14, "2023-01-01T09:00:00Z"))
    site.add("/private/p", story_page(15, "2024-02-02T09:00:00Z"))
    news = _urlset([(site.url("/news/a0"), None, "2024-02-01T09:00:00Z"),
                    (site.url("/news/undated"), None, "2024-02-03T10:00:00+01:00"),
                    (site.url("/news/a2"), None, "2024-03-05T09:00:00Z"),  # after --until: never fetched
                    (site.url("/private/p"), None, None)])
    archive = _urlset([(site.url("/news/a1"), "2024-02-10", None),
                       (site.url("/news/old"), "2023-01-02", None),  # unchanged since before --since
                       (site.url("/news/a0"), "2024-02-01", None)])  # listed twice
    site.add("/sitemap-news.xml", news, content_type="application/xml")
    site.add("/sitemap-archive.xml.gz", gzip.compress(archive.encode()), content_type="application/x-gzip")
    site.add("/sitemap-2019.xml", _urlset([(site.url("/news/ancient"), "2019-01-01", None)]),
             content_type="application/xml")
    index = ('<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
             f"<sitemap><loc>{site.url('/sitemap-news.xml')}</loc><lastmod>2024-03-05</lastmod></sitemap>"
             f"<sitemap><loc>{site.url('/sitemap-archive.xml.gz')}</loc></sitemap>"
             f"<sitemap><loc>{site.url('/sitemap-2019.xml')}</loc><lastmod>2019-01-02</lastmod></sitemap>"
             "</sitemapindex>")
    site.add("/sitemap.xml", index, content_type="application/xml")
    return site


def test_sitemap_index_with_a_gzipped_child_and_a_date_window(prefect_harness, env, sitemap_site):
    from flows.backfill import backfill

    site = sitemap_site
    first = backfill(sitemap=[site.url("/sitemap.xml")], since="2024-02-01", until="2024-02-29")
    stored = _by_url(env.db)
    assert sorted(stored) == [site.url("/news/a0"), site.url("/news/a1"), site.url("/news/undated")]
    assert stored[site.url("/news/undated")][:2] == (datetime(2024, 2, 3, 9, 0), "sitemap")
    assert stored[site.url("/news/a1")][1] == "page"
    assert first["articles_new"] == 3
    source = first["sources"][0]
    assert source["skipped"] == {"out_of_range": 2, "sitemap_out_of_range": 1}
    assert source["failed"] == {"robots": 1}
    assert source["already_present"] == 1  # a0, listed by both sitemaps
    # filtered by the listing: never requested
    assert site.hits["/news/a2"] == site.hits["/news/old"] == site.hits["/sitemap-2019.xml"] == 0
    assert site.hits["/private/p"] == 0

    before, hits = _counts(env.db), site.total_hits
    second = backfill(sitemap=[site.url("/sitemap.xml")], since="2024-02-01", until="2024-02-29")
    assert second["sources"][0]["status"] == "already done"
    assert _counts(env.db) == before and site.total_hits == hits  # not even the index again

    # Another window is another backfill: the index is read again, stored pages are not fetched.
    third = backfill(sitemap=[site.url("/sitemap.xml")], since="2024-02-01", until="2024-03-31")
    assert third["articles_new"] == 1 and site.hits["/news/a2"] == 1
    assert all(site.hits[f"/news/a{i}"] == 1 for i in range(3))


# -- URL lists -----------------------------------------------------------------------------------


def test_url_list_csv_with_dates(prefect_harness, env, site, tmp_path):
    from flows.backfill import backfill

    site.add("/s/1", story_page(21, None))
    site.add("/s/2", story_page(22, "2024-05-02T10:00:00Z"))
    site.add("/s/3", story_page(23, "2024-05-03T10:00:00Z"))
    listing = tmp_path / "urls.csv"
    listing.write_text("url,published_at\n"
                       f"{site.url('/s/1')}?utm_source=x,2024-05-01\n"
                       f"{site.url('/s/2')},\n"
                       f"{site.url('/s/3')},2021-01-01\n"  # outside the window: not fetched
                       "not a url,\n")
    result = backfill(urls=[str(listing)], since="2024-05-01")
    assert result["articles_new"] == 2
    assert result["sources"][0]["skipped"] == {"bad_url": 1, "out_of_range": 1}
    stored = _by_url(env.db)
    assert stored[site.url("/s/1")][:2] == (datetime(2024, 5, 1), "list")
    assert site.hits["/s/3"] == 0

    plain = tmp_path / "urls.txt"
    plain.write_text(f"# more\n{site.url('/s/2')}\n\n{site.url('/s/3')}\n")
    again = backfill(urls=[str(plain)])  # another list: /s/2 is stored, /s/3 is new
    assert (again["articles_new"], again["already_present"]) == (1, 1)
    assert site.hits["/s/2"] == 1


# -- the Wayback Machine -------------------------------------------------------------------------


def test_wayback_cdx_pages_and_snapshots(prefect_harness, env, site, monkeypatch):
    from flows.backfill import backfill

    originals = [f"http://news.example.com/2024/04/0{i}/story-{i}" for i in range(1, 6)]
    originals[3] = "http://news.example.com/story-4"  # no date in this URL
    rows = [["20240401000000", originals[0], "text/html", "200", "D1"],
            ["20240402000000", originals[1], "text/html", "200", "D2"],
            ["20240403000000", originals[2], "warc/revisit", "-", "D2"],  # the server should not, but may
            ["20240403000000", originals[3], "text/html", "200", "D4"],
            ["20240405000000", originals[4], "text/html", "200", "D5"]]
    queries = []

    def cdx(query: dict[str, list[str]]) -> Route:
        queries.append(query)
        header = [["timestamp", "original", "mimetype", "statuscode", "digest"]]
        if "resumeKey" not in query:
            return Route(json.dumps(header + rows[:3] + [[], ["key-2"]]).encode(), content_type="application/json")
        return Route(json.dumps(header + rows[3:]).encode(), content_type="application/json")

    site.handle("/cdx", cdx)
    for i, (row, original) in enumerate(zip(rows, originals)):
        published = None if i == 3 else f"2024-04-0{i + 1}T07:00:00Z"
        site.add(f"/web/{row[0]}id_/{original}", story_page(30 + i, published))
    monkeypatch.setenv("NEWSDUCK_WAYBACK_CDX_URL", site.url("/cdx"))
    monkeypatch.setenv("NEWSDUCK_WAYBACK_SNAPSHOT_URL", site.url("/web/{timestamp}id_/{url}"))
    monkeypatch.setenv("NEWSDUCK_WAYBACK_PAGE_SIZE", "3")

    result = backfill(wayback=["news.example.com/2024/"], since="2024-04-01", until="2024-04-30")
    assert result["articles_new"] == 4
    assert result["sources"][0]["skipped"] == {"revisit": 1}
    assert queries[0]["url"] == ["news.example.com/2024/"] and queries[0]["matchType"] == ["prefix"]
    assert (queries[0]["from"], queries[0]["to"], queries[0]["limit"]) == (["20240401"], ["20240430"], ["3"])
    assert queries[0]["filter"] == ["statuscode:200", "mimetype:text/html"]
    assert queries[1]["resumeKey"] == ["key-2"] and len(queries) == 2
    # stored under the page's own URL, never the archive's; an undated page takes the capture date
    stored = _by_url(env.db)
    assert sorted(stored) == sorted(originals[:2] + originals[3:])
    assert stored[originals[3]][:2] == (datetime(2024, 4, 3), "wayback")
    assert stored[originals[4]][:2] == (datetime(2024, 4, 5, 7), "page")
    assert _rows(env.db, "select count(*) from article_urls where url like '%/web/%'")[0][0] == 0

    hits = site.total_hits
    again = backfill(wayback=["news.example.com/2024/"], since="2024-04-01", until="2024-04-30")
    assert again["sources"][0]["status"] == "already done" and site.total_hits == hits


# -- interrupted, then resumed -------------------------------------------------------------------


def _snapshot(db: Path) -> dict:
    """What a backfill produced, comparable across databases."""
    return {
        "articles": sorted(_rows(db, "select canonical_url, body_hash, published_at, date_source from articles")),
        "urls": sorted(_rows(db, "select url, kind from article_urls")),
        "derived": sorted(_rows(db, "select a.canonical_url, (select count(*) from mentions m where m.article_id ="
                                    " a.article_id), (select count(*) from events e where e.article_id = a.article_id)"
                                    " from articles a")),
        "checkpoints": sorted(_rows(db, "select backfill_id, unit, source, label, resume_at, done"
                                        " from backfill_checkpoints")),
    }


@pytest.fixture
def ten_pages(site, tmp_path, monkeypatch):
    """Ten pages behind a URL list, batches of two."""
    for i in range(10):
        site.add(f"/p/{i}", story_page(40 + i, f"2024-06-{i + 1:02d}T08:00:00Z"))
    listing = tmp_path / "urls.txt"
    listing.write_text("".join(f"{site.url(f'/p/{i}')}\n" for i in range(10)))
    monkeypatch.setenv("NEWSDUCK_BATCH_SIZE", "2")
    return site, listing


def _reference(listing: Path, tmp_path: Path, monkeypatch) -> dict:
    """The same backfill, undisturbed, into its own database and data directory."""
    from flows.backfill import backfill

    with monkeypatch.context() as m:
        m.setenv("NEWSDUCK_DB", str(tmp_path / "reference.duckdb"))
        m.setenv("NEWSDUCK_DATA_DIR", str(tmp_path / "reference-data"))
        assert backfill(urls=[str(listing)])["articles_new"] == 10
    return _snapshot(tmp_path / "reference.duckdb")


@pytest.mark.parametrize("when", ["before_staging", "after_staging"])
def test_interrupted_backfill_resumes_without_duplicates_or_gaps(prefect_harness, env, ten_pages, tmp_path,
                                                                  monkeypatch, when):
    import flows.backfill
    from flows.backfill import backfill

    site, listing = ten_pages
    expected = _reference(listing, tmp_path, monkeypatch)
    hits = {i: site.hits[f"/p/{i}"] for i in range(10)}

    real, calls = flows.backfill.process_batch, []

    def dies_at_the_third_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3 and when == "before_staging":
            raise KeyboardInterrupt("Ctrl-C while the third batch was being fetched")
        result = real(*args, **kwargs)
        if len(calls) == 3:
            raise KeyboardInterrupt("Ctrl-C after the third batch was staged, before it was loaded")
        return result

    monkeypatch.setattr(flows.backfill, "process_batch", dies_at_the_third_batch)
    with pytest.raises(BaseException):
        backfill(urls=[str(listing)])
    monkeypatch.setattr(flows.backfill, "process_batch", real)
    assert _counts(env.db)["articles"] == 4  # two batches merged; the third is staged or lost

    resumed = backfill(urls=[str(listing)])
    assert (resumed["sources"][0]["status"], resumed["sources"][0]["resumed"]) == ("done", True)
    assert resumed["found"] == (6 if when == "before_staging" else 4)  # it went on; it did not start over
    assert _snapshot(env.db) == expected
    # every page fetched exactly once by the two runs together
    assert {i: site.hits[f"/p/{i}"] - hits[i] for i in range(10)} == {i: 1 for i in range(10)}
    assert backfill(urls=[str(listing)])["sources"][0]["status"] == "already done"


def test_kill_9_midway_then_resume(prefect_harness, env, ten_pages, tmp_path, monkeypatch):
    """A real `newsduck backfill` process, killed with SIGKILL in the middle, then run again."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from prefect.settings import PREFECT_API_URL

    from flows.backfill import backfill

    site, listing = ten_pages
    expected = _reference(listing, tmp_path, monkeypatch)
    before = {i: site.hits[f"/p/{i}"] for i in range(10)}
    monkeypatch.setenv("NEWSDUCK_PER_HOST_DELAY", "0.4")  # slow enough to be caught in the middle
    env_vars = os.environ | {"PREFECT_API_URL": PREFECT_API_URL.value()}
    log = tmp_path / "killed-run.log"
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "flows.cli", "backfill", "--urls", str(listing)],
                                   cwd=Path(__file__).resolve().parent.parent, env=env_vars,
                                   stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while sum(site.hits[f"/p/{i}"] - before[i] for i in range(10)) < 5 and time.monotonic() < deadline:
            assert process.poll() is None, f"the backfill ended before it could be killed:\n{log.read_text()[-3000:]}"
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    killed_hits = sum(site.hits[f"/p/{i}"] - before[i] for i in range(10))
    assert 5 <= killed_hits < 10, log.read_text()[-3000:]

    monkeypatch.setenv("NEWSDUCK_PER_HOST_DELAY", "0")
    resumed = backfill(urls=[str(listing)])
    assert resumed["sources"][0]["resumed"] and resumed["found"] < 10  # went on; did not start over
    assert _snapshot(env.db) == expected
    again = {i: site.hits[f"/p/{i}"] - before[i] for i in range(10)}
    assert all(n >= 1 for n in again.values()), again  # no gap
    assert sum(again.values()) <= 10 + 2, again  # at most the batch in flight was fetched twice


def test_kill_9_inside_a_merge_then_resume(prefect_harness, env, ten_pages, tmp_path, monkeypatch):
    """A real `newsduck backfill` process, killed with SIGKILL inside the transaction that merges its
    third batch (pages 4 and 5) with its checkpoint: the articles, derived rows and checkpoint are
    written there but not committed. The resumed run merges the staged batch, goes on from the last
    committed checkpoint, and ends as an undisturbed backfill: no duplicate, no gap, no page
    fetched twice."""
    import os
    import signal
    import subprocess

    from prefect.settings import PREFECT_API_URL

    from flows.backfill import backfill

    site, listing = ten_pages
    expected = _reference(listing, tmp_path, monkeypatch)
    before = {i: site.hits[f"/p/{i}"] for i in range(10)}
    marker, log = tmp_path / "stalled.json", tmp_path / "killed-run.log"
    command = stalled_cli("stall_inside_merge", marker=str(marker), merge=3, before="insert into loaded_batches")
    with log.open("wb") as output:
        process = subprocess.Popen(command + ["backfill", "--urls", str(listing)],
                                   cwd=Path(__file__).resolve().parent.parent,
                                   env=os.environ | {"PREFECT_API_URL": PREFECT_API_URL.value()},
                                   stdout=output, stderr=subprocess.STDOUT)
        try:
            marked = wait_for_marker(marker, process, log.read_text)
        finally:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == -signal.SIGKILL

    # Inside the transaction: six articles, the checkpoint at page 6. Committed: neither.
    assert marked["pid"] == process.pid
    assert (marked["counts"]["articles"], marked["checkpoints"]) == (6, [["", '{"index": 6}', False]])
    assert _counts(env.db)["articles"] == 4
    assert _rows(env.db, "select unit, resume_at, done from backfill_checkpoints") == [("", '{"index": 4}', False)]
    assert _rows(env.db, "select count(*) from loaded_batches where batch_id = ?", [marked["batch_id"]]) == [(0,)]
    assert (env.staging_dir / marked["batch_id"]).is_dir()
    assert {i: site.hits[f"/p/{i}"] - before[i] for i in range(10)} == {i: int(i < 6) for i in range(10)}

    resumed = backfill(urls=[str(listing)])
    assert (resumed["sources"][0]["status"], resumed["sources"][0]["resumed"]) == ("done", True)
    assert resumed["found"] == 4  # pages 6 to 9: the staged batch went in first, then its checkpoint held
    assert _snapshot(env.db) == expected
    assert {i: site.hits[f"/p/{i}"] - before[i] for i in range(10)} == {i: 1 for i in range(10)}
    assert backfill(urls=[str(listing)])["sources"][0]["status"] == "already done"
