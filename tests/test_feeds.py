"""Feed parsing: every RSS flavour and Atom, and the ways real feeds go wrong."""

from __future__ import annotations

from datetime import datetime

from transforms.sources.feeds import html_to_text, parse_feed
from transforms.records import ParsedFeed, Skipped

BASE = "https://news.example.com/feeds/world.xml"

RSS091 = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<rss version="0.91"><channel><title>Caf\xe9 News</title><link>https://news.example.com/</link>
<description>d</description><language>en</language>
<item><title>Caf\xe9 opens in Tripoli</title><link>https://news.example.com/a/cafe</link><description>A caf\xe9.</description></item>
</channel></rss>"""

RSS092 = b"""<?xml version="1.0"?><rss version="0.92"><channel><title>T</title><link>https://news.example.com/</link>
<item><title>One</title><link>/a/one</link><description>&lt;p&gt;First &lt;b&gt;para&lt;/b&gt;&lt;/p&gt;&lt;p&gt;Second&lt;/p&gt;</description></item>
</channel></rss>"""

RSS10 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://news.example.com/"><title>RDF</title><link>https://news.example.com/</link><description>d</description>
<items><rdf:Seq><rdf:li rdf:resource="https://news.example.com/a/rdf"/></rdf:Seq></items></channel>
<item rdf:about="https://news.example.com/a/rdf"><title>RDF story</title><link>https://news.example.com/a/rdf</link>
<dc:date>2019-04-05T08:00:00+02:00</dc:date><dc:creator>Jane Roe</dc:creator></item></rdf:RDF>"""

RSS20 = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>World</title>
<link>https://news.example.com/</link><description>d</description>
<item><title>Full content</title><link>https://news.example.com/a/full?utm_source=rss&amp;id=7#comments</link>
<guid>https://news.example.com/a/full?id=7</guid><pubDate>Fri, 05 Apr 2019 08:00:00 GMT</pubDate>
<description>Short summary.</description><content:encoded><![CDATA[<p>Paragraph one.</p><p>Paragraph two.</p><script>x()</script>]]></content:encoded></item>
<item><title>Same link again</title><link>https://news.example.com/a/full?id=7&amp;utm_medium=feed</link></item>
<item><title>Permalink guid only</title><guid isPermaLink="true">https://news.example.com/a/guid</guid></item>
<item><title>No link at all</title><description>orphan</description></item>
<item><title>From the future</title><link>https://news.example.com/a/future</link><pubDate>Sat, 05 Apr 2031 08:00:00 GMT</pubDate></item>
<item><title>Bad date</title><link>https://news.example.com/a/bad-date</link><pubDate>the day after tomorrow</pubDate></item>
<item><link>https://news.example.com/a/untitled</link></item>
<item><title>Script link</title><link>javascript:alert(1)</link></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://news.example.com/">
<title>Atom</title><id>urn:x</id><updated>2019-04-05T10:00:00Z</updated>
<entry><title type="html">Atom &lt;em&gt;story&lt;/em&gt;</title><link rel="alternate" href="/a/atom"/><id>urn:1</id>
<published>2019-04-05T09:30:00Z</published><updated>2019-04-05T10:00:00Z</updated><author><name>Ann Lee</name></author>
<content type="html">&lt;p&gt;Atom body.&lt;/p&gt;</content></entry></feed>"""

NOW = datetime(2019, 4, 6, 0, 0)


def _parse(raw: bytes, **kw) -> ParsedFeed:
    parsed = parse_feed(raw, BASE, now=NOW, **kw)
    assert isinstance(parsed, ParsedFeed), parsed
    return parsed


def test_rss_091_with_latin1_declaration():
    feed = _parse(RSS091)
    assert feed.version == "rss091u" or feed.version.startswith("rss09")
    assert feed.title == "Café News"
    assert feed.entries[0].title == "Café opens in Tripoli"


def test_rss_092_relative_link_and_html_summary():
    [entry] = _parse(RSS092).entries
    assert entry.url == "https://news.example.com/a/one"
    assert entry.summary == "First para\n\nSecond"


def test_rss_10():
    feed = _parse(RSS10)
    assert feed.version == "rss10"
    [entry] = feed.entries
    assert entry.url == "https://news.example.com/a/rdf"
    assert entry.published_at == datetime(2019, 4, 5, 6, 0)  # +02:00 -> UTC
    assert entry.author == "Jane Roe"


def test_rss_20_items_good_and_bad():
    feed = _parse(RSS20)
    assert feed.version == "rss20"
    by_url = {e.url: e for e in feed.entries}
    full = by_url["https://news.example.com/a/full?id=7"]  # tracking and fragment dropped
    assert full.content == "Paragraph one.\n\nParagraph two."  # scripts gone
    assert full.published_at == datetime(2019, 4, 5, 8, 0)
    assert "https://news.example.com/a/guid" in by_url
    assert by_url["https://news.example.com/a/future"].published_at is None  # dates ahead of now are wrong
    assert by_url["https://news.example.com/a/bad-date"].published_at is None
    assert by_url["https://news.example.com/a/untitled"].title == ""
    assert len(feed.entries) == 5  # the repeated link once, the javascript: link and the orphan not at all
    assert [s.reason for s in feed.skipped] == ["no_link", "no_link"]


def test_atom():
    feed = _parse(ATOM)
    assert feed.version == "atom10"
    [entry] = feed.entries
    assert (entry.url, entry.title, entry.content, entry.author) == (
        "https://news.example.com/a/atom", "Atom story", "Atom body.", "Ann Lee")
    assert entry.published_at == datetime(2019, 4, 5, 9, 30)


def test_html_served_as_a_feed():
    parsed = parse_feed(b"<!DOCTYPE html><html><head><title>Home</title></head><body><p>Hi</p></body></html>", BASE)
    assert isinstance(parsed, Skipped) and parsed.reason == "not_a_feed"


def test_truncated_feed():
    parsed = parse_feed(RSS20[:300], BASE)
    assert isinstance(parsed, Skipped) and parsed.reason == "malformed_feed"


def test_recoverable_feed_keeps_its_items_and_says_why():
    broken = RSS20.replace(b"<title>Bad date</title>", b"<title>Bad & date</title>")
    feed = _parse(broken)
    assert feed.warning
    assert feed.entries


def test_html_to_text_keeps_paragraphs():
    assert html_to_text("<div><p>One</p><ul><li>a</li><li>b</li></ul>tail</div>") == "One\n\na\n\nb\n\ntail"
    assert html_to_text("plain &amp; simple") == "plain &amp; simple"
