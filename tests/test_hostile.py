"""Hostile input: one ingest run over a local site full of broken, lying and malicious feeds and
pages. Each case must end with a clear recorded reason for that feed or page, and the good
articles beside them must load as if nothing happened."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from tests.backfillkit import story_page
from tests.conftest import FIXTURES
from tests.sitekit import Item, Site, news_page, rss20

WHEN = datetime(2019, 4, 5, 9, 0)
SEED_HTML = (FIXTURES / "pages" / "seed_article.html").read_text(encoding="utf-8")
STORY = [p for p in (FIXTURES / "texts" / "sudan_talks.txt").read_text().split("\n\n") if p.strip()][1:]
SECRET = "TOPSECRET-4242"
FUTURE = "Sat, 05 Apr 2031 08:00:00 GMT"
MAX_ARTICLES = 60
HOSTILE_TITLE = "Robert'); drop table articles; -- \" ; select * from feeds where '1'='1"


def _story(tag: str) -> list[str]:
    """The Sudan story with a paragraph of its own, so each page is a distinct article."""
    return [f"This report ({tag}) was filed from the newsroom on a busy day for the foreign desk.", *STORY]


def _bare(tag: str) -> str:
    """A page with no title, heading or date of its own: its article takes the feed item's."""
    return "<html><body><div><p>" + "</p><p>".join(_story(tag)) + "</p></div></body></html>"


def _rss(site: Site, name: str, links: list[str], **kw) -> str:
    items = [Item(f"{name} {i}", link, WHEN) for i, link in enumerate(links)]
    return site.add(f"/feeds/{name}.xml", rss20(name, site.url("/"), items), content_type="application/rss+xml", **kw)


def _feed_doc(title: str, item_title: str, link: str, declaration: str = "") -> str:
    return (f"{declaration}<rss version=\"2.0\"><channel><title>{title}</title><link>http://x/</link>"
            f"<item><title>{item_title}</title><link>{link}</link></item></channel></rss>")


FEEDS: dict[str, tuple[str, str | None]] = {}  # case -> (feed path, expected last_error reason or None)
READ: dict[str, tuple[str | None, list[str]]] = {}  # odd feed -> (its title as stored, the item paths it keeps)
TITLED_BY_ITEM: dict[str, str] = {}  # page path -> the article title its feed item gives it
PAGES: dict[str, tuple[str, str]] = {}  # case -> (page path, expected skip reason)
BROKEN_FEEDS = ("truncated_xml", "empty_feed", "html_as_feed", "feed_404", "feed_500_forever", "feed_too_large")
ODD_FEEDS = ("latin1_feed", "cp1251_feed", "lying_utf8_declaration", "gb2312_in_header_only", "utf8_bom",
             "billion_laughs", "external_entity", "duplicate_guids", "no_link_no_title", "future_date",
             "ten_thousand_items")
BAD_PAGES = ("gzip_bomb", "fifty_megabytes", "slow_drip", "redirect_loop", "too_many_redirects", "pdf", "image",
             "image_labelled_html", "retry_after_too_long", "503_forever", "empty_page", "scripts_and_styles_only",
             "redirect_to_file_scheme", "robots_disallowed", "not_found")


def _build(site: Site, secret: Path) -> list[str]:
    """Serve every case; return the catalogue's feed URLs, good feed first."""
    page = news_page("Sudan talks resume", STORY, "2023-05-09T10:00:00Z")
    site.add("/good/sudan", page)
    site.add("/good/libya", SEED_HTML)
    feeds = [_rss(site, "good", [site.url("/good/sudan"), site.url("/good/libya")])]

    def feed(case: str, path: str, body: bytes | str, reason: str | None, read: tuple | None = None, **kw) -> None:
        FEEDS[case] = (path, reason)
        if read is not None:
            READ[case] = read
        feeds.append(site.add(path, body, **kw))

    def item_page(path: str, item_title: str) -> str:
        TITLED_BY_ITEM[path] = item_title
        return site.add(path, _bare(path.rsplit("/", 1)[-1]))

    xml = "application/rss+xml"
    feed("truncated_xml", "/f/truncated.xml", '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><ti', "malformed_feed", content_type=xml)
    feed("empty_feed", "/f/empty.xml", b"", "malformed_feed", content_type=xml)
    feed("html_as_feed", "/f/html.xml", "<!DOCTYPE html><html><body><h1>Home</h1></body></html>", "not_a_feed", content_type="text/html")
    # Each encoding case links to a page of its own with no title: the article's title is the
    # item's, so the item text must have decoded too, not only the channel title.
    feed("latin1_feed", "/f/latin1.xml", _feed_doc("Caf\xe9", "Caf\xe9 story", item_page("/enc/latin1", "Café story"), '<?xml version="1.0" encoding="ISO-8859-1"?>').encode("latin-1"), None, ("Café", ["/enc/latin1"]), content_type=xml)
    feed("cp1251_feed", "/f/cp1251.xml", _feed_doc("Новости", "Главное", item_page("/enc/cp1251", "Главное"), '<?xml version="1.0" encoding="windows-1251"?>').encode("cp1251"), None, ("Новости", ["/enc/cp1251"]), content_type=xml)
    feed("lying_utf8_declaration", "/f/lying.xml", _feed_doc("Новости мира и экономики", "Правительство объявило о новых мерах поддержки", item_page("/enc/lying", "Правительство объявило о новых мерах поддержки"), '<?xml version="1.0" encoding="utf-8"?>').encode("cp1251"), None, ("Новости мира и экономики", ["/enc/lying"]), content_type=xml)
    feed("gb2312_in_header_only", "/f/gb2312.xml", _feed_doc("新闻", "北京新闻", item_page("/enc/gb2312", "北京新闻")).encode("gb2312"), None, ("新闻", ["/enc/gb2312"]), content_type="application/rss+xml; charset=gb2312")
    feed("utf8_bom", "/f/bom.xml", b"\xef\xbb\xbf" + _feed_doc("BOM", "With BOM", item_page("/enc/bom", "With BOM"), '<?xml version="1.0" encoding="utf-8"?>').encode(), None, ("BOM", ["/enc/bom"]), content_type=xml)
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    feed("billion_laughs", "/f/laughs.xml", f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{laughs}]><rss version="2.0"><channel><title>&l9;</title><item><title>&l9;</title><link>{site.url("/good/sudan")}</link></item></channel></rss>', None, ("&l9;", ["/good/sudan"]), content_type=xml)
    feed("external_entity", "/f/xxe.xml", f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]><rss version="2.0"><channel><title>&x;</title><item><title>&x;</title><link>{site.url("/good/sudan")}</link><description>&x;</description></item></channel></rss>', None, (None, ["/good/sudan"]), content_type=xml)
    # Four items, one GUID, two links: items are told apart by link, the first item of a link wins.
    dup = "".join(f"<item><title>d{i}</title><link>{site.url('/dup/story')}?copy={i % 2}</link><guid>same-guid</guid></item>" for i in range(4))
    for copy in (0, 1):
        TITLED_BY_ITEM[f"/dup/story?copy={copy}"] = f"d{copy}"
        site.add(f"/dup/story?copy={copy}", _bare(f"dup{copy}"))
    feed("duplicate_guids", "/f/dups.xml", f'<rss version="2.0"><channel><title>D</title>{dup}</channel></rss>', None, ("D", ["/dup/story?copy=0", "/dup/story?copy=1"]), content_type=xml)
    site.add("/untitled/story", news_page("The page's own title", _story("untitled"), "2023-05-09T10:00:00Z"))
    feed("no_link_no_title", "/f/nolink.xml", f'<rss version="2.0"><channel><title>N</title><item><title>no link here</title></item><item><link>{site.url("/untitled/story")}</link><pubDate>not a date at all</pubDate></item></channel></rss>', None, ("N", ["/untitled/story"]), content_type=xml)
    # Neither page states a date: the feed's is the only one, believed when past, not when future.
    site.add("/future/story", story_page(60, None))
    site.add("/future/control", story_page(61, None))
    feed("future_date", "/f/future.xml", f'<rss version="2.0"><channel><title>F</title><item><title>t</title><link>{site.url("/future/story")}</link><pubDate>{FUTURE}</pubDate></item><item><title>c</title><link>{site.url("/future/control")}</link><pubDate>Tue, 09 May 2023 10:00:00 GMT</pubDate></item></channel></rss>', None, ("F", ["/future/story", "/future/control"]), content_type=xml)
    feed("feed_404", "/f/missing.xml", "", "http_404", status=404)
    feed("feed_500_forever", "/f/down.xml", "", "http_500", status=500)
    feed("feed_too_large", "/f/huge.xml", b"<rss>" + b" " * 3_000_000 + b"</rss>", "too_large", content_type=xml)
    many = "".join(f"<item><title>n{i}</title><link>{site.url('/many/')}{i}</link></item>" for i in range(10_000))
    feed("ten_thousand_items", "/f/many.xml", f'<rss version="2.0"><channel><title>M</title>{many}</channel></rss>', None, ("M", [f"/many/{i}" for i in range(10_000)]), content_type=xml, etag='"many-1"')

    def page(case: str, path: str, reason: str, body: bytes | str = b"", **kw) -> str:
        PAGES[case] = (path, reason)
        return site.add(path, body, **kw)

    links = [
        page("gzip_bomb", "/p/bomb", "too_large", b"<html>" + b" " * 30_000_000, gzip=True),
        page("fifty_megabytes", "/p/huge", "too_large", b"x" * 50_000_000),
        page("slow_drip", "/p/drip", "timeout", b"y" * 100, drip=0.2),
        page("redirect_loop", "/p/loop-a", "redirect_loop", status=302, headers={"Location": "/p/loop-b"}),
        page("too_many_redirects", "/p/r0", "too_many_redirects", status=302, headers={"Location": "/p/r1"}),
        page("pdf", "/p/report.pdf", "not_html", b"%PDF-1.7 ...", content_type="application/pdf"),
        page("image", "/p/photo.jpg", "not_html", b"\xff\xd8\xff\xe0" + b"\0" * 100, content_type="image/jpeg"),
        page("image_labelled_html", "/p/photo-html", "not_html", b"\x89PNG\r\n\x1a\n" + b"\0" * 200),
        page("retry_after_too_long", "/p/later", "http_429", status=429, headers={"Retry-After": "86400"}),
        page("503_forever", "/p/down", "http_503", status=503),
        page("empty_page", "/p/empty", "empty_body", b""),
        page("scripts_and_styles_only", "/p/scripts", "empty_body", "<html><head><style>p{}</style></head><body><script>" + "var x=1;" * 500 + "</script></body></html>"),
        page("redirect_to_file_scheme", "/p/to-file", "bad_scheme", status=302, headers={"Location": "file:///etc/passwd"}),
        page("robots_disallowed", "/private/page", "robots", news_page("Private", STORY, "2023-05-09T10:00:00Z")),
        page("not_found", "/p/gone", "http_404", status=404),
    ]
    site.add("/p/loop-b", status=302, headers={"Location": "/p/loop-a"})
    for i in range(1, 12):
        site.add(f"/p/r{i}", status=302, headers={"Location": f"/p/r{i + 1}"})
    site.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    # Pages that are odd but usable: they must load.
    links.append(site.add("/ok/429-then-200", news_page("Busy then fine", _story("busy"), "2023-05-09T10:00:00Z"),
                          statuses=[429], headers={"Retry-After": "1"}))
    broken = "<html><body><div><p>" + "</p><p>".join(_story("broken")) + "<table><tr><td>unclosed"
    links.append(site.add("/ok/broken-markup", broken.replace("Jeddah", "Jidda")))
    mixed = news_page("Mixed encodings: Café in Zürich", [p.replace("Saudi", "Saudí") for p in _story("mixed")], "2023-05-09T10:00:00Z")
    links.append(site.add("/ok/mixed-encoding", mixed.encode("utf-8").replace("Zürich".encode(), "Zürich".encode("latin-1"))))
    links.append(site.add("/ok/sql%27injection?q=1%3Bdrop+table+articles",
                          news_page(HOSTILE_TITLE, [f"{p} '); delete from mentions; --" for p in _story("sql")], "2023-05-09T10:00:00Z")))
    feeds.append(_rss(site, "pages", links))
    feeds.append(feeds.pop(feeds.index(site.url("/f/many.xml"))))  # last: --max-articles cuts it, not the pages
    assert set(FEEDS) == set(BROKEN_FEEDS) | set(ODD_FEEDS) and set(PAGES) == set(BAD_PAGES) and set(READ) == set(ODD_FEEDS)
    return feeds


@pytest.fixture(scope="module")
def hostile_run(prefect_harness, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    site = Site()
    secret = tmp / "secret.txt"
    secret.write_text(SECRET)
    try:
        feeds = _build(site, secret)
        catalogue = tmp / "feeds.csv"
        catalogue.write_text("url\n" + "\n".join(feeds) + "\n")
        with pytest.MonkeyPatch.context() as mp:
            for key, value in {"NEWSDUCK_DB": tmp / "news.duckdb", "NEWSDUCK_DATA_DIR": tmp / "data",
                               "NEWSDUCK_ALLOW_PRIVATE_HOSTS": 1, "NEWSDUCK_PER_HOST_DELAY": 0,
                               "NEWSDUCK_PER_HOST_CONCURRENCY": 8, "NEWSDUCK_MAX_RETRY_WAIT": 2,
                               "NEWSDUCK_HTTP_RETRIES": 1, "NEWSDUCK_REQUEST_DEADLINE": 3, "NEWSDUCK_HOST_FAILURES": 0,
                               "NEWSDUCK_MAX_FEED_BYTES": 2_000_000, "NEWSDUCK_MAX_PAGE_BYTES": 2_000_000}.items():
                mp.setenv(key, str(value))
            from flows.ingest import ingest_feeds

            result = ingest_feeds(feeds_file=str(catalogue), max_articles=MAX_ARTICLES)
        con = duckdb.connect(str(tmp / "news.duckdb"), read_only=True)
        yield site, con, result
        con.close()
    finally:
        site.close()


@pytest.mark.parametrize("case", BROKEN_FEEDS)
def test_broken_feed_is_recorded_with_its_reason(hostile_run, case):
    site, con, _ = hostile_run
    path, reason = FEEDS[case]
    status, error, errors = con.execute("select last_status, last_error, consecutive_errors from feeds where feed_url = ?",
                                        [site.url(path)]).fetchone()
    assert (status, error.split(":")[0], errors) == ("error", reason, 1)
    assert con.execute("select count(*) from skips where stage = 'feed' and url = ? and reason = ?",
                       [site.url(path), reason]).fetchone()[0] == 1


@pytest.mark.parametrize("case", ODD_FEEDS)
def test_odd_feed_is_read(hostile_run, case):
    """Every item of the feed is read and recorded, once per link: the state says how many."""
    site, con, _ = hostile_run
    path, _ = FEEDS[case]
    title, items = READ[case]
    state = con.execute("select title, last_status, last_error, last_item_count, items_seen from feeds"
                        " where feed_url = ?", [site.url(path)]).fetchone()
    assert state == (title, "ok", None, len(items), len(items))
    listed = con.execute("select url from feed_items where feed_url = ?", [site.url(path)]).fetchall()
    assert sorted(url for (url,) in listed) == sorted(site.url(item) for item in items)


def test_feed_titles_decode_whatever_the_declaration(hostile_run):
    site, con, _ = hostile_run
    titles = dict(con.execute("select feed_url, title from feeds").fetchall())
    assert titles[site.url("/f/latin1.xml")] == "Café"
    assert titles[site.url("/f/cp1251.xml")] == "Новости"
    assert titles[site.url("/f/lying.xml")] == "Новости мира и экономики"
    assert titles[site.url("/f/gb2312.xml")] == "新闻"
    assert titles[site.url("/f/bom.xml")] == "BOM"


def test_item_titles_decode_too(hostile_run):
    """The pages behind the encoding cases have no title of their own: their articles carry the
    feed item's title, decoded from latin-1, cp1251 (declared or lied about), gb2312, UTF-8+BOM."""
    site, con, _ = hostile_run
    titles = dict(con.execute("select url, title from articles join article_urls using (article_id)").fetchall())
    assert {path: titles.get(site.url(path)) for path in TITLED_BY_ITEM} == TITLED_BY_ITEM


def test_duplicate_guids_collapse_by_link(hostile_run):
    """Four items share one GUID and two links: one fetch, one article and one feed item per link
    (a GUID is not trusted to tell articles apart), the first item of each link kept."""
    site, con, _ = hostile_run
    feed = site.url("/f/dups.xml")
    for copy in (0, 1):
        path = f"/dup/story?copy={copy}"
        assert site.hits[path] == 1
        rows = con.execute("select a.title, a.feed_url, u.kind from articles a join article_urls u using (article_id)"
                           " where u.url = ?", [site.url(path)]).fetchall()
        assert rows == [(f"d{copy}", feed, "canonical")]
    assert con.execute("select count(*) from articles where feed_url = ?", [feed]).fetchone()[0] == 2


def test_no_external_entity_or_expansion_reaches_the_database(hostile_run):
    _, con, _ = hostile_run
    for table, column in (("feeds", "title"), ("articles", "title"), ("articles", "body"), ("skips", "detail")):
        assert con.execute(f"select count(*) from {table} where {column} like '%' || ? || '%'",
                           [SECRET]).fetchone()[0] == 0
    assert con.execute("select max(length(title)) from feeds").fetchone()[0] < 1000


def test_items_without_link_are_counted_skips_and_untitled_items_load(hostile_run):
    site, con, _ = hostile_run
    assert con.execute("select count(*) from skips where feed_url = ? and reason = 'no_link'",
                       [site.url("/f/nolink.xml")]).fetchone()[0] == 1
    title, date_source = con.execute(
        "select title, date_source from articles join article_urls using (article_id) where url = ?",
        [site.url("/untitled/story")]).fetchone()
    assert title == "The page's own title" and date_source == "page"


def test_a_future_feed_date_is_not_believed(hostile_run):
    """Neither page states a date, so the feed's date is the only candidate: believed for the
    control item (2023), dropped for the item dated 2031, which is stored undated."""
    site, con, _ = hostile_run
    dates = {url: row for url, *row in con.execute(
        "select url, published_at, date_source, fetched_at from articles join article_urls using (article_id)"
        " where url in (?, ?)", [site.url("/future/story"), site.url("/future/control")]).fetchall()}
    assert dates[site.url("/future/control")][:2] == [datetime(2023, 5, 9, 10, 0), "feed"]
    published, source, fetched = dates[site.url("/future/story")]
    assert (published, source) == (None, "none"), f"believed {FUTURE} (fetched {fetched})"


def test_a_huge_feed_is_read_whole_and_fetched_up_to_the_caps(hostile_run):
    """All 10,000 items are read (test_odd_feed_is_read), but one run takes at most
    NEWSDUCK_MAX_ITEMS_PER_FEED (200) of them, and --max-articles bounds the pages the run
    fetches: the huge feed, last in the catalogue, gets what the others leave of the budget, its
    first items in feed order (they are undated), each fetched once, nothing beyond; the rest
    wait in feed_items for later runs. (Every page here is on one host, so the host breaker is
    off: tests/test_bounded_runs.py has it.)"""
    site, con, result = hostile_run
    many = site.url("/f/many.xml")
    others = con.execute("select count(distinct url) from feed_items where feed_url <> ?", [many]).fetchone()[0]
    budget = MAX_ARTICLES - others
    assert 0 < budget < 200
    fetched = {path: n for path, n in site.hits.items() if path.startswith("/many/") and n}
    assert fetched == {f"/many/{i}": 1 for i in range(budget)}
    assert result["articles_staged"] + result["articles_failed"] == MAX_ARTICLES
    assert con.execute("select count(*) from skips where feed_url = ? and reason = 'http_404'",
                       [many]).fetchone()[0] == budget
    assert result["deferred"] == {"per_feed_cap": 10_000 - 200, "max_articles": 200 - budget}
    assert result["articles_deferred"] == 10_000 - budget


def test_a_huge_feed_is_capped_not_lost(hostile_run):
    site, con, result = hostile_run
    # --max-articles stops the run; the feed keeps no validators (its server sent an ETag), so the
    # next run gets its items again instead of a 304.
    etag_kept = con.execute("select etag from feeds where feed_url = ?", [site.url("/f/many.xml")]).fetchone()[0]
    assert etag_kept is None and site.routes["/f/many.xml"].etag
    assert site.hits["/many/9999"] == 0


@pytest.mark.parametrize("case", BAD_PAGES)
def test_bad_page_is_a_recorded_skip(hostile_run, case):
    site, con, _ = hostile_run
    path, reason = PAGES[case]
    rows = con.execute("select reason from skips where url = ?", [site.url(path)]).fetchall()
    assert rows == [(reason,)]
    assert con.execute("select count(*) from article_urls where url = ?", [site.url(path)]).fetchone()[0] == 0


def test_odd_but_usable_pages_load(hostile_run):
    site, con, _ = hostile_run
    bodies = dict(con.execute("select url, body from articles join article_urls using (article_id)").fetchall())
    assert "Jidda" in bodies[site.url("/ok/broken-markup")]
    assert "Saudí" in bodies[site.url("/ok/mixed-encoding")]
    assert site.url("/ok/429-then-200") in bodies


def test_sql_in_content_is_only_data(hostile_run):
    site, con, _ = hostile_run
    url = site.url("/ok/sql%27injection?q=1%3Bdrop+table+articles")  # the canonical form of ' and ;
    title, body = con.execute("select title, body from articles join article_urls using (article_id) where url = ?",
                              [url]).fetchone()
    assert title == HOSTILE_TITLE
    assert "'); delete from mentions; --" in body
    assert con.execute("select count(*) from mentions").fetchone()[0] > 0


def test_the_good_articles_load_beside_the_hostile_ones(hostile_run):
    site, con, result = hostile_run
    loaded = {r[0] for r in con.execute("select url from article_urls").fetchall()}
    assert {site.url("/good/sudan"), site.url("/good/libya")} <= loaded
    assert con.execute("select count(*) from articles where title like 'Guterres%'").fetchone()[0] == 1
    # Nothing twice: one article per body, one row per URL.
    assert con.execute("select count(*) - count(distinct body_hash) from articles").fetchone()[0] == 0
    assert result["feeds_failed"] == sum(1 for _, reason in FEEDS.values() if reason)


def test_feeds_on_private_addresses_are_refused_by_default(prefect_harness, tmp_path, monkeypatch):
    from flows.ingest import ingest_feeds

    catalogue = tmp_path / "feeds.csv"
    catalogue.write_text("url\nhttp://169.254.169.254/latest/meta-data/\nhttp://localhost:9/feed.xml\n"
                         "http://192.168.1.1/rss\n")
    monkeypatch.setenv("NEWSDUCK_DB", str(tmp_path / "news.duckdb"))
    monkeypatch.setenv("NEWSDUCK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("NEWSDUCK_ALLOW_PRIVATE_HOSTS", raising=False)
    result = ingest_feeds(feeds_file=str(catalogue))
    assert result["feeds_failed"] == 3
    with duckdb.connect(str(tmp_path / "news.duckdb"), read_only=True) as con:
        errors = dict(con.execute("select feed_url, last_error from feeds").fetchall())
    metadata = errors["http://169.254.169.254/latest/meta-data/"]
    assert metadata.startswith("private_address: 169.254.169.254 resolves to 169.254.169.254")
    assert "NEWSDUCK_ALLOW_PRIVATE_HOSTS=1" in metadata
    assert all(e.startswith("private_address") for e in errors.values())
