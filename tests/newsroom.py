"""A small news archive for the analysis tests: thirteen stories (the seed article, the gold set's
nine texts and three more fixture texts) on a local site behind four feeds, loaded into DuckDB by
one real `ingest-feeds` flow run.

`fill_database` is what the session-scoped `filled_db` fixture (tests/conftest.py) calls: the
views, queries, search and report tests all read the one database it fills.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from tests.conftest import FIXTURES
from tests.sitekit import Item, Site, atom, news_page, rss10, rss20

SEED_HTML = (FIXTURES / "pages" / "seed_article.html").read_text(encoding="utf-8")
SEED_PATH = "/news/libya-guterres"
SEED_TITLE_START = "Guterres flies to meet Haftar"

# (feed, path, fixture text, published): the dates of the gold set's README and test_ingest.
STORIES = [
    ("world", "/world/sudan-bread-protests", "gold/sudan_bread_protests", "2018-01-16T09:00:00Z"),
    ("world", "/world/saudi-pakistan-visit", "gold/saudi_pakistan_visit", "2019-02-18T12:00:00Z"),
    ("americas", "/americas/venezuela-aid-border", "gold/venezuela_aid_border", "2019-02-23T18:00:00Z"),
    ("africa", "/africa/congo-ebola-attacks", "gold/congo_ebola_attacks", "2019-02-28T15:00:00Z"),
    ("africa", "/africa/mozambique-cyclone-aid", "gold/mozambique_cyclone_aid", "2019-03-22T11:00:00Z"),
    ("world", "/world/japan-korea-trade", "gold/japan_korea_trade", "2019-07-24T10:00:00Z"),
    ("africa", "/africa/mali-ecowas-sanctions", "gold/mali_ecowas_sanctions", "2022-01-10T08:00:00Z"),
    ("world", "/world/odesa-port-strike", "gold/odesa_port_strike", "2022-07-24T16:00:00Z"),
    ("world", "/world/kosovo-kfor-clashes", "gold/kosovo_kfor_clashes", "2023-05-30T14:00:00Z"),
    ("world", "/news/sudan-talks", "texts/sudan_talks", "2023-05-09T10:00:00Z"),
    ("world", "/business/grain-deal", "texts/grain_deal", "2023-08-16T07:30:00Z"),
    ("americas", "/asia/myanmar-protest", "texts/myanmar_protest", "2023-07-29T15:00:00Z"),
]
FEEDS = {"world": ("World", rss20), "africa": ("Africa", rss10), "americas": ("Americas and Asia", atom)}


def _page(name: str, published: str) -> tuple[str, str]:
    text = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")
    title, *paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    return title, news_page(title, paragraphs, published)


def add_news_archive(site: Site, directory: Path) -> Path:
    """Add the stories and feeds to `site`; write the feed catalogue into `directory`."""
    site.add("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    site.add(SEED_PATH, SEED_HTML)
    site.add("/world/libya-guterres-haftar", SEED_HTML)  # where the seed page's canonical points
    items: dict[str, list[Item]] = {feed: [] for feed in FEEDS}
    items["world"].append(Item("Guterres flies to meet Haftar", site.url(SEED_PATH), datetime(2019, 4, 5, 8)))
    for feed, path, name, published in STORIES:
        title, html = _page(name, published)
        site.add(path, html)
        items[feed].append(Item(title, site.url(path), datetime.fromisoformat(published[:19])))
    lines = ["url,name,language,tags"]
    for feed, (name, build) in FEEDS.items():
        url = site.add(f"/feeds/{feed}.xml", build(name, site.url("/"), items[feed]),
                       content_type="application/xml")
        lines.append(f"{url},{name},en,{feed}")
    catalogue = directory / "feeds.csv"
    catalogue.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return catalogue


@contextmanager
def _environment(values: dict[str, str]):
    """Set environment variables for the run only, so a session fixture leaks nothing."""
    old = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def fill_database(directory: Path) -> Path:
    """Serve the archive, run the ingest flow over it once, and return the database path.

    Needs the Prefect test harness (the `prefect_harness` fixture) to be active.
    """
    from flows.ingest import ingest_feeds

    db = directory / "news.duckdb"
    site = Site()
    try:
        catalogue = add_news_archive(site, directory)
        with _environment({
            "NEWSDUCK_DB": str(db),
            "NEWSDUCK_DATA_DIR": str(directory / "data"),
            "NEWSDUCK_ALLOW_PRIVATE_HOSTS": "1",
            "NEWSDUCK_PER_HOST_DELAY": "0",
            "NEWSDUCK_MAX_RETRY_WAIT": "2",
            "NEWSDUCK_LOCK_WAIT": "5",
        }):
            result = ingest_feeds(feeds_file=str(catalogue), db=str(db))
    finally:
        site.close()
    expected = len(STORIES) + 1
    assert result["articles_new"] == expected, f"the archive should load {expected} articles: {result}"
    return db
