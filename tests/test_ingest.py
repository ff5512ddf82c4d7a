"""The ingest-feeds flow end to end: real feeds and pages on a local server, a real DuckDB file,
the real spaCy model, a real Prefect flow run. Run twice: the second run changes nothing."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from uuid import UUID

import duckdb
import pytest

from tests.conftest import FIXTURES
from tests.sitekit import Item, atom, news_page, rss10, rss20

SEED_HTML = (FIXTURES / "pages" / "seed_article.html").read_text(encoding="utf-8")
WHEN = datetime(2019, 4, 5, 9, 0)


def _text_page(name: str, published: str) -> str:
    title, *paragraphs = [p.strip() for p in (FIXTURES / "texts" / f"{name}.txt").read_text().split("\n\n") if p.strip()]
    return news_page(title, paragraphs, published)


@pytest.fixture
def news_site(site, tmp_path):
    """Four feeds (RSS 2.0, RSS 1.0, Atom, one malformed) over pages that cover the hard cases."""
    site.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    site.add("/news/libya-guterres", SEED_HTML)
    site.add("/world/libya-guterres-haftar", SEED_HTML)  # where the seed page's canonical points
    site.add("/mirror/libya", SEED_HTML.replace('<link rel="canonical" href="/world/libya-guterres-haftar">', ""))
    site.add("/news/sudan-talks", _text_page("sudan_talks", "2023-05-09T10:00:00Z"))
    site.add("/business/grain-deal", _text_page("grain_deal", "2023-08-16T07:30:00Z"), statuses=[500])
    site.add("/asia/myanmar-protest", _text_page("myanmar_protest", "2023-07-29T15:00:00Z"))
    site.add("/files/report.pdf", b"%PDF-1.7\n...", content_type="application/pdf")
    site.add("/private/secret", news_page("Secret", ["Not for robots."] * 30, "2019-04-05T00:00:00Z"))

    world = [
        Item("Guterres flies to meet Haftar", site.url("/news/libya-guterres?utm_source=rss&utm_medium=feed#top"), WHEN),
        Item("Sudan talks", site.url("/news/sudan-talks"), WHEN),
        Item("Gone", site.url("/news/gone"), WHEN),
        Item("Annual report", site.url("/files/report.pdf"), WHEN),
        Item("Secret", site.url("/private/secret"), WHEN),
    ]
    business = [
        Item("Grain talks", site.url("/business/grain-deal"), WHEN),
        Item("Libya (mirror)", site.url("/mirror/libya"), WHEN),
    ]
    asia = [Item("Yangon protest", site.url("/asia/myanmar-protest"), WHEN)]
    site.add("/feeds/world.xml", rss20("World", site.url("/"), world), content_type="application/rss+xml", etag='"w1"')
    site.add("/feeds/business.rdf", rss10("Business", site.url("/"), business), content_type="application/rdf+xml",
             etag='"b1"')
    site.add("/feeds/asia.atom", atom("Asia", site.url("/"), asia), content_type="application/atom+xml", etag='"a1"')
    site.add("/feeds/broken.xml", "<rss><channel><item><title>cut off", content_type="application/rss+xml")

    catalogue = tmp_path / "feeds.csv"
    catalogue.write_text(
        "url,name,language,tags\n"
        f"{site.url('/feeds/world.xml')},World,en,world;politics\n"
        f"{site.url('/feeds/business.rdf')},Business,en,business\n"
        f"{site.url('/feeds/asia.atom')},Asia,en,\n"
        f"{site.url('/feeds/broken.xml')},Broken,,\n"
    )
    return site, catalogue


def _counts(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                for t in ("articles", "article_urls", "raw_pages", "entities", "entity_aliases",
                          "article_entities", "mentions", "events", "skips", "url_failures", "feeds", "runs")}


def _feed_table(summary: str) -> dict[str, dict[str, str]]:
    """The per-feed rows of a run summary's markdown table, by feed name."""
    lines = [line for line in summary.splitlines() if line.startswith("| ")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = [dict(zip(header, (c.strip() for c in line.strip("|").split("|")))) for line in lines[1:]]
    return {row["feed"]: row for row in rows}


def _header_counts(summary: str) -> dict[str, int]:
    found = re.search(r"(\d+) new, (\d+) duplicates of stored bodies, (\d+) already seen, (\d+) failed", summary)
    return dict(zip(("new", "duplicates", "already seen", "failed"), map(int, found.groups())))


def _read_summary_artifact(flow_run_id: str):
    """The run's markdown artifact, read back from the Prefect API."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        return client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=["ingest-summary"]),
            flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(flow_run_id)])))


def test_ingest_twice(prefect_harness, env, news_site):
    from flows.ingest import ingest_feeds

    site, catalogue = news_site
    first = ingest_feeds(feeds_file=str(catalogue))
    assert first["articles_new"] == 4  # seed, sudan, grain, myanmar; the mirror is the seed's body
    assert first["articles_duplicate"] == 1
    assert first["feeds_failed"] == 1
    assert site.hits["/business/grain-deal"] == 2  # a 500, then the retry

    # Per feed, "new" is what was stored new: Business's mirror page is the seed's body, stored once.
    per_feed = {row["name"]: row for row in first["per_feed"]}
    assert {name: (r["items"], r["new"], r["duplicates"], r["already_seen"], r["failed"], r["pending"])
            for name, r in per_feed.items()} == {
        "World": (5, 2, 0, 0, 3, 0), "Business": (2, 1, 1, 0, 0, 0),
        "Asia": (1, 1, 0, 0, 0, 0), "Broken": (0, 0, 0, 0, 0, 0)}
    assert per_feed["World"]["reasons"] == {"http_404": 1, "not_html": 1, "robots": 1}
    assert per_feed["Broken"]["status"] == "error" and per_feed["Broken"]["error"] == "malformed_feed"
    assert sum(r["new"] for r in per_feed.values()) == first["articles_new"]
    assert sum(r["duplicates"] for r in per_feed.values()) == first["articles_duplicate"]

    con = duckdb.connect(str(env.db), read_only=True)
    seed_id, body, published, date_source, source = con.execute(
        "select a.article_id, body, published_at, date_source, body_source from articles a"
        " join article_urls u using (article_id) where u.url like '%/news/libya-guterres'").fetchone()
    assert published.date().isoformat() == "2019-04-05" and date_source == "page" and source == "page"
    assert "Late on Thursday, the assembly president, Aguila Saleh" in body
    assert "cookie" not in body.lower() and "Share on" not in body

    # The same story under two URLs is one article linked to both, and tracking junk is gone.
    urls = dict(con.execute("select url, kind from article_urls where article_id = ?", [seed_id]).fetchall())
    assert urls[site.url("/mirror/libya")] == "duplicate_body"
    assert urls[site.url("/news/libya-guterres")] == "fetched"  # utm_* and #top dropped
    assert urls[site.url("/world/libya-guterres-haftar")] == "canonical"

    names = {r[0] for r in con.execute("select name from article_entities where article_id = ?", [seed_id]).fetchall()}
    for expected in ("Khalifa Haftar", "Antonio Guterres", "Tripoli", "Libya", "Misrata", "Libyan National Army"):
        assert expected in names
    assert names & {"Fayez Al Sarraj", "Fayez Al Serraj"}
    assert con.execute("select count(*) from mentions where article_id = ?", [seed_id]).fetchone()[0] > 30
    # Mentions' offsets point into the stored body, and past it into the captions (read after it).
    (captions,) = con.execute("select captions from articles where article_id = ?", [seed_id]).fetchone()
    assert captions and "Fayez Al Sarraj" in captions[0]
    text_read = body + "\n\n" + "\n".join(captions)
    for text, start, end in con.execute("select text, start_char, end_char from mentions where article_id = ?",
                                        [seed_id]).fetchall():
        assert text_read[start:end] == text

    skips = dict(con.execute("select url, reason from skips").fetchall())
    assert skips[site.url("/news/gone")] == "http_404"
    assert skips[site.url("/files/report.pdf")] == "not_html"
    assert skips[site.url("/private/secret")] == "robots"
    assert site.hits["/private/secret"] == 0

    feeds = {r[0]: r[1:] for r in con.execute(
        "select feed_url, last_status, last_error, etag, consecutive_errors, items_seen, tags from feeds").fetchall()}
    assert feeds[site.url("/feeds/broken.xml")][0] == "error"
    assert feeds[site.url("/feeds/broken.xml")][1].startswith("malformed_feed")
    assert feeds[site.url("/feeds/world.xml")][:4] == ("ok", None, '"w1"', 0)
    assert feeds[site.url("/feeds/world.xml")][4:] == (5, ["world", "politics"])  # items seen, tags
    run = con.execute("select status, feeds_total, feeds_failed, articles_new, summary_md from runs").fetchone()
    assert run[:4] == ("completed", 4, 1, 4)
    assert "malformed_feed" in run[4]
    con.close()

    # The same summary as a Prefect markdown artifact of the flow run; its feed rows add up to its header.
    [artifact] = _read_summary_artifact(first["run_id"])
    assert artifact.type == "markdown" and artifact.data == run[4]
    table = _feed_table(artifact.data)
    columns = ("new", "duplicates", "already seen", "failed")
    assert {name: tuple(row[c] for c in columns) for name, row in table.items()} == {
        "World": ("2", "0", "0", "3"), "Business": ("1", "1", "0", "0"),
        "Asia": ("1", "0", "0", "0"), "Broken": ("0", "0", "0", "0")}
    assert table["Broken"]["status"] == "error: malformed_feed"
    assert {"http_404 ×1", "not_html ×1", "robots ×1"} == set(table["World"]["reasons"].split(", "))
    assert _header_counts(artifact.data) == {
        column: sum(int(row[column]) for row in table.values()) for column in columns}

    before = _counts(env.db)
    page_hits = site.total_hits - sum(site.hits[p] for p in site.hits if p.startswith("/feeds/"))
    second = ingest_feeds(feeds_file=str(catalogue))
    after = _counts(env.db)

    assert second["articles_new"] == 0
    assert all(row["new"] == 0 and row["pending"] == 0 for row in second["per_feed"])
    # One more run row, and one more skip: the malformed feed, again. Nothing else.
    assert {k: after[k] - before[k] for k in after} == {k: 0 for k in after} | {"runs": 1, "skips": 1}
    # Unchanged feeds cost one 304 each; no page was fetched again (the 404 and the PDF are permanent).
    assert site.not_modified["/feeds/world.xml"] == 1
    assert site.not_modified["/feeds/business.rdf"] == 1
    assert site.not_modified["/feeds/asia.atom"] == 1
    assert site.total_hits - sum(site.hits[p] for p in site.hits if p.startswith("/feeds/")) == page_hits
    with duckdb.connect(str(env.db), read_only=True) as con:
        assert con.execute("select consecutive_errors from feeds where feed_url = ?",
                           [site.url("/feeds/broken.xml")]).fetchone()[0] == 2
        assert con.execute("select last_status from feeds where feed_url = ?",
                           [site.url("/feeds/world.xml")]).fetchone()[0] == "not_modified"


def test_max_articles_keeps_the_rest_for_the_next_run(prefect_harness, env, news_site):
    from flows.ingest import ingest_feeds

    _, catalogue = news_site
    assert ingest_feeds(feeds_file=str(catalogue), max_articles=2)["articles_new"] >= 1
    # The feed whose items were cut off keeps its old validators, so the next run sees them again.
    ingest_feeds(feeds_file=str(catalogue))
    with duckdb.connect(str(env.db), read_only=True) as con:
        assert con.execute("select count(*) from articles").fetchone()[0] == 4


def test_stage_only_run_does_not_guess_what_is_new(prefect_harness, env, site):
    """Stage only, nothing is merged: which articles are new (the mirror is not) is the loader's to say."""
    from flows import warehouse
    from flows.ingest import ingest_feeds

    site.add("/news/libya", SEED_HTML)
    site.add("/mirror/libya", SEED_HTML.replace('<link rel="canonical" href="/world/libya-guterres-haftar">', ""))
    site.add("/feeds/world.xml", rss20("World", site.url("/"), [
        Item("Libya", site.url("/news/libya"), WHEN), Item("Libya (mirror)", site.url("/mirror/libya"), WHEN)]),
        content_type="application/rss+xml")
    catalogue = env.data_dir.parent / "feeds.csv"
    catalogue.write_text(f"url,name\n{site.url('/feeds/world.xml')},World\n")

    result = ingest_feeds(feeds_file=str(catalogue), load=False)
    [row] = result["per_feed"]
    assert (row["new"], row["duplicates"], row["pending"], row["already_seen"]) == (None, None, 2, 0)
    assert result["articles_staged"] == 2 and not env.db.exists()

    [artifact] = _read_summary_artifact(result["run_id"])
    table = _feed_table(artifact.data)
    assert "new" not in table["World"] and table["World"]["staged, not merged"] == "2"
    assert "which of them are new is known once it merges them" in artifact.data

    counts = warehouse.load_staged(env.warehouse, env.staging_dir, wait=5)
    assert (counts["articles_new"], counts["articles_duplicate"]) == (1, 1)


def test_summary_credits_each_staged_url_once():
    """Each staged URL counts once for its feed; what the loads left staged is said, not guessed."""
    from collections import Counter

    from flows.catalogue import FeedSource
    from flows.run_summary import FeedOutcome, count_fates, summary_markdown
    from transforms.records import FeedEntry

    feed = FeedOutcome(FeedSource(url="http://127.0.0.1/feed.xml", name="World"), "ok", WHEN, known=1)
    urls = [f"http://127.0.0.1/{n}" for n in range(5)]
    feed.entries = [FeedEntry(u, u, "", "", "", "", None) for u in urls]
    owner = {u: (feed, e) for u, e in zip(urls, feed.entries)}
    staged = list(zip(urls, ["a", "a", "b", "c", "d"]))  # the first two: one article under two URLs
    fates = {urls[0]: (True, False, True),  # stored new by this run
             urls[1]: (True, False, True),  # the same article again: already seen
             urls[2]: (False, True, True),  # its canonical URL was stored before the run
             urls[3]: (False, False, True)}  # same body as a stored article; urls[4]: not merged

    assert count_fates(owner, staged, fates)
    assert (feed.new, feed.stored, feed.duplicates, feed.pending) == (1, 2, 1, 1)
    summary = summary_markdown("r1", [feed], Counter(failed=0, staged=5), 5)
    assert _header_counts(summary) == {"new": 1, "duplicates": 1, "already seen": 3, "failed": 0}
    assert "1 articles staged but not merged" in summary
    row = _feed_table(summary)["World"]
    assert (row["new"], row["duplicates"], row["staged, not merged"], row["already seen"]) == ("1", "1", "1", "3")
