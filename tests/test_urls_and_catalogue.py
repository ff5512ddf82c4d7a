"""URL canonicalisation and the feed catalogue (CSV and OPML)."""

from __future__ import annotations

import pytest

from flows.catalogue import CatalogueError, read_catalogue
from transforms.urls import article_id, canonicalize_url, pick_canonical


@pytest.mark.parametrize("raw, expected", [
    ("https://News.Example.com/a/b?utm_source=x&id=3&fbclid=1#frag", "https://news.example.com/a/b?id=3"),
    ("http://www.example.com:80/x?b=2&a=1", "http://www.example.com/x?a=1&b=2"),
    ("https://www.bbc.co.uk/news/world-1?at_medium=RSS&at_campaign=KARANGA", "https://www.bbc.co.uk/news/world-1"),
    ("file:///etc/passwd", ""),
    ("javascript:alert(1)", ""),
    ("mailto:desk@example.com", ""),
    ("", ""),
])
def test_canonicalize_url(raw, expected):
    assert canonicalize_url(raw) == expected


def test_relative_links_resolve_against_the_feed():
    assert canonicalize_url("../a/1?utm_medium=rss", "https://example.com/feeds/world.xml") == "https://example.com/a/1"


def test_pick_canonical_rejects_homepages_and_other_sites():
    page = "https://www.example.com/world/story-1?utm_source=rss"
    assert pick_canonical("/world/story-1", page) == "https://www.example.com/world/story-1"
    assert pick_canonical("https://amp.example.com/world/story-1", page) == "https://amp.example.com/world/story-1"
    assert pick_canonical("https://www.example.com/", page) == "https://www.example.com/world/story-1"
    assert pick_canonical("https://elsewhere.net/world/story-1", page) == "https://www.example.com/world/story-1"
    assert pick_canonical(None, page) == "https://www.example.com/world/story-1"


def test_article_id_is_stable():
    assert article_id("https://example.com/a") == article_id("https://example.com/a") != article_id("https://example.com/b")
    assert len(article_id("https://example.com/a")) == 16


def test_csv_catalogue(tmp_path):
    path = tmp_path / "feeds.csv"
    path.write_text("\ufeffURL,Name,language,tags\n"
                    "https://a.example/rss,A,EN,world;politics\n"
                    "not a url,Bad,,\n"
                    "https://a.example/rss,Duplicate,,\n"
                    "https://b.example/atom,,,\n")
    feeds = read_catalogue(path)
    assert [(f.url, f.name, f.language, f.tags) for f in feeds] == [
        ("https://a.example/rss", "A", "en", ("world", "politics")),
        ("https://b.example/atom", "", "", ()),
    ]


def test_any_csv_with_a_url_column(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("title,url,extra\nX,https://x.example/feed,1\n")
    assert [f.url for f in read_catalogue(path)] == ["https://x.example/feed"]


def test_csv_without_url_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("link,name\nhttps://x.example/feed,X\n")
    with pytest.raises(CatalogueError, match="url"):
        read_catalogue(path)


def test_opml_catalogue_with_folders(tmp_path):
    path = tmp_path / "subscriptions.opml"
    path.write_text("""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>My feeds</title></head><body>
  <outline text="World" title="World">
    <outline type="rss" text="BBC World" title="BBC World" xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml" htmlUrl="https://www.bbc.co.uk/news/world"/>
    <outline type="rss" text="No feed URL"/>
  </outline>
  <outline type="rss" text="Al Jazeera" xmlUrl="https://www.aljazeera.com/xml/rss/all.xml"/>
</body></opml>""")
    feeds = read_catalogue(path)
    assert [(f.url, f.name, f.tags) for f in feeds] == [
        ("https://feeds.bbci.co.uk/news/world/rss.xml", "BBC World", ("World",)),
        ("https://www.aljazeera.com/xml/rss/all.xml", "Al Jazeera", ()),
    ]


def test_opml_with_an_external_entity_is_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    path = tmp_path / "evil.opml"
    path.write_text(f"""<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file://{secret}">]>
<opml version="2.0"><body><outline text="&x;" xmlUrl="https://x.example/feed"/></body></opml>""")
    with pytest.raises(CatalogueError) as refused:
        read_catalogue(path)
    assert "external entity" in str(refused.value) and "TOPSECRET" not in str(refused.value)


def test_default_catalogue_is_real_publisher_feeds():
    from pathlib import Path

    feeds = read_catalogue(Path(__file__).parent.parent / "seeds" / "feeds.csv")
    assert len(feeds) >= 15
    assert all(f.url.startswith("https://") and f.name for f in feeds)
