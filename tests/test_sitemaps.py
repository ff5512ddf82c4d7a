"""Sitemap parsing: indexes, urlsets with the news extension, gzip by magic bytes, text sitemaps,
and hostile input (entities, bombs, HTML)."""

from __future__ import annotations

import gzip
from datetime import datetime

from transforms.records import Skipped
from transforms.sources.sitemaps import parse_sitemap

BASE = "https://news.example.com/sitemap.xml"

URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url>
    <loc>https://news.example.com/world/story-1?utm_source=sitemap</loc>
    <lastmod>2024-02-03T10:00:00+01:00</lastmod>
    <news:news>
      <news:publication><news:name>The Ledger</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>2024-02-03</news:publication_date>
      <news:title>Talks resume in Jeddah</news:title>
    </news:news>
    <image:image><image:loc>https://cdn.example.com/a.jpg</image:loc></image:image>
  </url>
  <url><loc>/relative/story-2</loc><lastmod>2024-01</lastmod></url>
  <url><loc>javascript:alert(1)</loc></url>
  <url><loc>https://news.example.com/world/story-1</loc></url>
</urlset>"""


def test_urlset_with_news_extension():
    parsed = parse_sitemap(URLSET, BASE)
    assert parsed.kind == "urlset"
    first, second = parsed.entries
    assert first.url == "https://news.example.com/world/story-1"  # tracking dropped, repeat merged
    assert (first.lastmod, first.published_at, first.title) == (
        datetime(2024, 2, 3, 9, 0), datetime(2024, 2, 3), "Talks resume in Jeddah")
    assert second.url == "https://news.example.com/relative/story-2"
    assert (second.lastmod, second.published_at) == (datetime(2024, 1, 1), None)
    assert [s.reason for s in parsed.skipped] == ["bad_url"]


def test_index_and_gzip_by_magic_bytes():
    index = (b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
             b"<sitemap><loc>https://news.example.com/s1.xml.gz</loc><lastmod>2024-03-01</lastmod></sitemap>"
             b"<sitemap><loc>https://news.example.com/s2.xml</loc></sitemap></sitemapindex>")
    parsed = parse_sitemap(gzip.compress(index), "https://news.example.com/index.xml")  # no .gz in the name
    assert parsed.kind == "index"
    assert [(s.url, s.lastmod) for s in parsed.sitemaps] == [
        ("https://news.example.com/s1.xml.gz", datetime(2024, 3, 1)), ("https://news.example.com/s2.xml", None)]


def test_no_namespace_and_text_sitemaps():
    bare = b"<urlset><url><loc>https://a.example.com/x</loc></url></urlset>"
    assert [e.url for e in parse_sitemap(bare, BASE).entries] == ["https://a.example.com/x"]
    text = parse_sitemap(b"https://a.example.com/1\n\nhttps://a.example.com/2\nnot a url\n", BASE)
    assert text.kind == "text" and len(text.entries) == 2 and text.skipped[0].reason == "bad_url"


def test_entities_are_never_expanded():
    xxe = (b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY x SYSTEM "file:///etc/passwd">'
           b'<!ENTITY y "https://evil.example.com/">]>'
           b"<urlset><url><loc>&y;a</loc></url><url><loc>https://ok.example.com/&x;</loc></url></urlset>")
    parsed = parse_sitemap(xxe, BASE)
    urls = [e.url for e in parsed.entries]
    assert len(urls) == 2 and not any("evil" in u or "root" in u for u in urls)
    assert BASE not in urls  # an empty <loc> is not the sitemap itself


def test_gzip_bomb_is_capped():
    bomb = gzip.compress(b"<urlset>" + b" " * 5_000_000 + b"</urlset>")
    got = parse_sitemap(bomb, BASE, max_bytes=1_000_000)
    assert isinstance(got, Skipped) and got.reason == "too_large"


def test_not_a_sitemap():
    assert parse_sitemap(b"<html><body>Hello</body></html>", BASE).reason == "not_sitemap"
    assert parse_sitemap(b"", BASE).reason == "empty"
    assert parse_sitemap(b"\x1f\x8bnot really gzip", BASE).reason == "malformed_sitemap"
    assert parse_sitemap(b"just some words", BASE).reason == "not_sitemap"
