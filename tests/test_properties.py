"""Property tests: the pure transforms return their documented record (or a Skipped reason) and
never raise, whatever the text or bytes: empty and whitespace-only text, a 200,000-character
sentence, names made only of punctuation or digits, "of"/"the"/possessives at a name's edges,
zero-width and bidi characters, emoji, mixed scripts, unbalanced quotes, HTML entities left in
text, random bytes for the byte-level parsers. Cheap invariants are checked where they are
obvious (mention offsets inside the body and `body[start:end] == text`).

Derandomised, so CI sees the same examples every run; set NEWSDUCK_HYPOTHESIS=hunt for a longer,
random search (ten times the examples), e.g. after changing a transform.
"""

from __future__ import annotations

import gzip
import json
import os
import string
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from transforms.dates import ResolvedDate, resolve_date
from transforms.nlp.analyze import analyze_doc
from transforms.nlp.gazetteer import is_acronym, split_span_id
from transforms.nlp.mentions import abbreviates
from transforms.nlp.names import (
    coarse_label,
    fold,
    initials,
    make_entity_id,
    normalize_alias,
    similar_tokens,
    spelling_variants,
    strip_title_words,
)
from transforms.page.clean import body_hash, extract_article, normalize_body
from transforms.page.decode import decode_html, sniff_binary
from transforms.page.pagemeta import clean_title, normalize_language, pick_date
from transforms.records import Article, DocAnalysis, FeedEntry, ParsedFeed, Skipped
from transforms.snippets import Snippet, find_matches, make_snippet
from transforms.sources.backfill import DateWindow, backfill_id, in_domains, parse_day, parse_w3c_datetime
from transforms.sources.feeds import html_to_text, parse_feed
from transforms.sources.shards import feed_key, parse_shard, shard_of
from transforms.sources.sitemaps import ParsedSitemap, parse_sitemap
from transforms.sources.urllists import parse_url_list
from transforms.sources.warc import classify_record
from transforms.sources.wayback import CdxPage, cdx_params, parse_cdx_json, parse_timestamp14, snapshot_url
from transforms.urls import article_id, canonicalize_url, host_of, pick_canonical

HUNT = os.environ.get("NEWSDUCK_HYPOTHESIS") == "hunt"
settings.register_profile("newsduck", deadline=None, database=None, derandomize=not HUNT, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("newsduck")


def examples(n: int) -> settings:
    """n examples (ten times as many when hunting)."""
    return settings(max_examples=n * 10 if HUNT else n)


# -- strategies ------------------------------------------------------------------------------

NASTY = [
    "", " ", "\n", "\n\n", "\t", "\r\n", "\u00a0", "\u2028", "\u200b", "\u200c", "\u200d", "\ufeff",
    "\u00ad", "\u202e", "\u202d", "\u2066", "\u2069", "\u200f", "\u200e", "\u0301", "\ufffd",
    "of", "Of", "OF", "the", "The", "'s", "\u2019s", "s'", "'", "\u2019", "\u2018", '"', "\u201c", "\u201d",
    "(", ")", "[", "]", "-", "\u2013", "\u2014", ".", ",", ";", ":", "!", "?", "...", "&", "/", "#", "@",
    "&amp;", "&#8217;", "&nbsp;", "&lt;b&gt;", "&quot;", "<b>", "</p>", "<script>", "<!--",
    "!!!", "...", "--", "''", "123", "2019", "0", "1987", "4th", "99999999", "\U0001f44d", "\U0001f1f1\U0001f1fe",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467", "\u0422\u0440\u0438\u043f\u043e\u043b\u0438",
    "\u0637\u0631\u0627\u0628\u0644\u0633", "\u6771\u4eac", "\u0939\u093f\u0928\u094d\u0926\u0940", "\u05e2\u05d1\u05e8\u05d9\u05ea",
    "Libya", "Tripoli", "Khalifa", "Haftar", "Haftar's", "United", "Nations", "U.N.", "UN", "LNA", "(LNA)",
    "Democratic", "Republic", "Congo", "West", "Bank", "City", "Tulkarm", "Israel", "Palestinians", "Reuters",
    "President", "Minister", "Prime", "Secretary-General", "al-", "Al", "bin", "Jae-in", "Moon",
    "National", "Army", "Party", "House", "Representatives", "Gate", "27",
    "blamed", "attacked", "met", "said", "warned", "would", "not", "withdrew", "signed", "accused", "visited",
    "in", "on", "at", "from", "to", "and", "who", "which", "where", "Thursday", "last", "month", "ago",
    "years", "February", "31", "10000", "next", "week", "yesterday", "TRIPOLI", "(Reuters)", "Feb", "26",
]

fragment = st.one_of(st.sampled_from(NASTY), st.text(max_size=8))
# A text of nasty fragments, joined with spaces (words) or nothing (glued together).
nasty_text = st.builds(lambda parts, sep: sep.join(parts), st.lists(fragment, max_size=40), st.sampled_from([" ", ""]))
# Sentence-like text: capitalised names and function words around the edges of names.
NAME_WORDS = [w for w in NASTY if w.strip() and not w.startswith(("&", "<"))]
sentences = st.builds(
    lambda words, end: " ".join(words) + end,
    st.lists(st.sampled_from(NAME_WORDS), min_size=1, max_size=30),
    st.sampled_from(["", ".", ".\n", "\n\n", " \u201cQuote", "'"]),
)
any_text = st.one_of(nasty_text, sentences, st.text(max_size=200))
# Long texts stay cheap to build: a short unit repeated up to 200,000 characters.
long_text = st.builds(lambda unit, size: (unit * (size // max(len(unit), 1) + 1))[:size],
                      st.one_of(st.sampled_from(NASTY), sentences), st.sampled_from([0, 1, 5000, 200_000]))
urls = st.one_of(
    st.text(max_size=40),
    st.builds(lambda scheme, host, path: f"{scheme}{host}{path}",
              st.sampled_from(["http://", "https://", "HTTP://", "ftp://", "//", "", "http:/", "https:///"]),
              st.one_of(st.sampled_from(["example.com", "[::1", "[::1]", "a\uff03b.com", "xn--80ak6aa92e.com",
                                         "\u0442\u0435\u0441\u0442.\u0440\u0444", "user:pw@host", "h:99999",
                                         "h:x", "EXAMPLE.com.", "", ".", "a..b", "[", "]"]), st.text(max_size=12)),
              st.one_of(st.sampled_from(["", "/", "/a?utm_source=x&b=1#f", "/%zz", "/\u00e9", "/../..", "?"]),
                        st.text(max_size=20))),
)
published = st.one_of(st.none(), st.dates())


def check_article(result: Article | Skipped) -> None:
    assert isinstance(result, (Article, Skipped))
    if isinstance(result, Article):
        assert result.body.strip() and len(result.body_hash) == 40


# -- URLs and sources ------------------------------------------------------------------------


@examples(300)
@given(urls, st.one_of(st.just(""), urls))
@example("http://[::1", "")  # urlsplit: "Invalid IPv6 URL"
@example("x", "http://[::1")
@example("http://a\uff03b.com/", "")  # urlsplit: the host changes under NFKC
def test_urls(url, base):
    canonical = canonicalize_url(url, base)
    assert canonical == "" or canonical.startswith(("http://", "https://"))
    assert isinstance(pick_canonical(url, base), str)
    assert isinstance(pick_canonical(None, url), str)
    assert host_of(url) == host_of(url).lower()
    assert len(article_id(canonical)) == 16
    assert isinstance(feed_key(url), str) and isinstance(in_domains(url, ["example.com", ""]), bool)
    assert isinstance(clean_title(url, "Site", url), str)
    assert isinstance(pick_date(None, False, None, url), tuple)


@examples(150)
@given(st.binary(max_size=300))
def test_feed_bytes(raw):
    assert isinstance(parse_feed(raw, "https://example.com/feed"), (ParsedFeed, Skipped))


FEED = ('<?xml version="1.0" encoding="{enc}"?><rss version="2.0"><channel><title>{t}</title>'
        "<item><title>{t}</title><link>{u}</link><guid>{u}</guid><description>{t}</description>"
        "<pubDate>{d}</pubDate></item></channel></rss>")
ATOM = ('<feed xmlns="http://www.w3.org/2005/Atom"><title>{t}</title><entry><title type="html">{t}</title>'
        '<link href="{u}"/><id>{u}</id><updated>{d}</updated><content type="html">{t}</content></entry></feed>')


@examples(150)
@given(st.sampled_from([FEED, ATOM]), any_text, urls, st.sampled_from(["utf-8", "iso-8859-1", "bogus"]),
       st.sampled_from(["Fri, 05 Apr 2019 10:00:00 GMT", "", "9999-99-99", "Mon, 01 Jan 0001 00:00:00 +2359",
                        "2019-04-05T10:00:00Z", "not a date"]))
def test_feed_documents(template, text, url, encoding, when):
    raw = template.format(t=text, u=url, d=when, enc=encoding).encode("utf-8", "surrogatepass")
    parsed = parse_feed(raw, "https://example.com/feed", now=datetime(2030, 1, 1), content_type="text/xml")
    assert isinstance(parsed, (ParsedFeed, Skipped))
    if isinstance(parsed, ParsedFeed):
        assert all(isinstance(e, FeedEntry) and e.url.startswith("http") for e in parsed.entries)
    assert isinstance(html_to_text(text), str)


SITEMAP = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
           'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>{u}</loc><lastmod>{d}</lastmod>'
           "<news:news><news:publication_date>{d}</news:publication_date><news:title>{t}</news:title></news:news>"
           "</url></urlset>")
INDEX = ('<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>{u}</loc>'
         "<lastmod>{d}</lastmod></sitemap></sitemapindex>")
W3C_DATES = st.one_of(st.text(max_size=30), st.sampled_from([
    "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2019-04-05", "2019-13", "2019-04-05T10:00:00.1234567Z",
    "2019", "", "2019-04-05 10:00", "20190405"]))


@examples(200)
@given(st.one_of(st.binary(max_size=300),
                 st.builds(lambda tpl, t, u, d: tpl.format(t=t, u=u, d=d).encode("utf-8", "surrogatepass"),
                           st.sampled_from([SITEMAP, INDEX]), any_text, urls, W3C_DATES)),
       st.booleans())
def test_sitemaps(raw, compress):
    if compress:
        raw = gzip.compress(raw)
    parsed = parse_sitemap(raw, "https://example.com/sitemap.xml", max_bytes=10_000)
    assert isinstance(parsed, (ParsedSitemap, Skipped))
    if isinstance(parsed, ParsedSitemap):
        assert all(e.url.startswith("http") for e in parsed.entries)
    truncated = parse_sitemap(gzip.compress(raw)[:20], "https://example.com/s.xml")
    assert isinstance(truncated, (ParsedSitemap, Skipped))


@examples(200)
@given(st.one_of(any_text, long_text,
                 st.builds(lambda rows: "url,published_at\n" + "\n".join(rows),
                           st.lists(st.builds(lambda u, d: f"{u},{d}", urls, W3C_DATES), max_size=5)),
                 st.builds(lambda u: f'url\n"{u}', urls)))
@example("x" * 200_000)  # a field past the csv module's 131,072-character limit
@example("url\nhttp://a.example/1\n" + "http://a.example/" + "x" * 200_000 + "\nhttp://a.example/3")
def test_url_lists(text):
    entries, skipped = parse_url_list(text)
    assert all(e.url.startswith("http") for e in entries)
    assert all(isinstance(s, Skipped) for s in skipped)


@examples(200)
@given(W3C_DATES, st.text(max_size=20), st.one_of(st.none(), st.dates()), st.one_of(st.none(), st.dates()))
@example("0001-01-01T00:00:00+01:00", "", None, date.max)  # before year 1 in UTC; a window to the last day
def test_backfill_helpers(value, text, since, until):
    parsed = parse_w3c_datetime(value)
    assert parsed is None or parsed.tzinfo is None
    try:
        assert isinstance(parse_day(value), date)
    except ValueError:
        pass  # documented: parse_day raises ValueError with a message for the command line
    window = DateWindow.from_days(since, until)
    assert isinstance(window.describe(), str) and isinstance(window.excludes(parsed), bool)
    assert len(backfill_id(text, value, window, [text])) == 16
    assert isinstance(parse_timestamp14(text), (datetime, type(None)))
    try:
        shard = parse_shard(text)
        assert 0 <= shard.index < shard.count
    except ValueError:
        pass  # documented: a message for the command line
    assert 0 <= shard_of(text, 7) < 7


@examples(200)
@given(st.one_of(
    st.binary(max_size=200),
    st.builds(lambda rows: json.dumps(rows).encode(), st.lists(st.lists(st.one_of(st.text(max_size=20), st.integers(),
                                                                                   st.none()), max_size=6), max_size=5)),
    st.builds(lambda rows: json.dumps([["timestamp", "original", "mimetype", "statuscode", "digest"], *rows]).encode(),
              st.lists(st.lists(st.text(max_size=20), max_size=6), max_size=5)),
    st.sampled_from([b"[" * 100_000, b"[[" + b"{" * 50_000]),  # nested past json's recursion limit
))
def test_cdx(raw):
    page = parse_cdx_json(raw)
    assert isinstance(page, (CdxPage, Skipped))
    for snapshot in page.snapshots if isinstance(page, CdxPage) else ():
        assert snapshot.url.startswith("http") and len(snapshot.timestamp) == 14
        assert isinstance(snapshot_url("https://web.archive.org/web/{timestamp}id_/{url}", snapshot), str)


@examples(100)
@given(st.text(max_size=30), st.one_of(st.none(), st.dates()), st.one_of(st.none(), st.dates()),
       st.integers(1, 10_000), st.text(max_size=10), urls, st.one_of(st.none(), st.text(max_size=5)), st.text(max_size=30))
def test_cdx_params_and_warc(prefix, since, until, limit, key, url, status, content_type):
    assert all(isinstance(v, str) for _, v in cdx_params(prefix, since, until, limit=limit, resume_key=key))
    verdict = classify_record("response", url, status, content_type, ["example.com"])
    assert verdict is None or isinstance(verdict, str)


# -- pages -----------------------------------------------------------------------------------

PAGE = ("<!doctype html><html lang=\"{lang}\"><head><meta charset=\"{enc}\"><title>{t} | Site</title>"
        "<meta property=\"article:published_time\" content=\"{d}\"><link rel=\"canonical\" href=\"{u}\">"
        "<script type=\"application/ld+json\">{ld}</script></head><body><article><h1>{t}</h1>"
        "<p>{body}</p><p>{t}</p></article></body></html>")


@examples(120)
@given(any_text, st.one_of(any_text, long_text), urls, W3C_DATES,
       st.sampled_from(["utf-8", "iso-8859-1", "idna", "punycode", "utf-16", "bogus", "rot13", "utf-7"]),
       st.sampled_from(["en-GB", "", "eng", "\u0000", "x" * 50]),
       st.sampled_from(['{"datePublished": "2019-04-05"}', "[" * 5000, '{"@graph": [{"inLanguage": 5}]}', "{", ""]))
def test_pages(title, body, url, when, encoding, lang, ld):
    html = PAGE.format(t=title, body=body, u=url, d=when, enc=encoding, lang=lang, ld=ld)
    raw = html.encode("utf-8", "surrogatepass")
    check_article(extract_article(raw, "https://example.com/2019/04/05/story", now=datetime(2030, 1, 1)))
    check_article(extract_article(html, url))
    assert isinstance(clean_title(title, body[:20], url), str)
    assert isinstance(normalize_language(lang + title), str)


@examples(200)
@given(st.one_of(st.binary(max_size=400),
                 st.builds(lambda head, tail: head + tail,
                           st.sampled_from([b"\x1f\x8b\x08", b"%PDF", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"<html>",
                                            b'<meta charset="idna">', b'<meta charset="punycode">', b"RIFF1234WEBP",
                                            b'<?xml encoding="utf-16"?>', b"<rss>"]),
                           st.binary(max_size=300))))
def test_page_bytes(raw):
    assert isinstance(sniff_binary(raw), str)
    assert isinstance(decode_html(raw), str)
    check_article(extract_article(raw, "https://example.com/story"))


@examples(200)
@given(st.one_of(any_text, long_text))
def test_bodies_and_snippets(text):
    assert isinstance(normalize_body(text), str)
    digest = body_hash(text)
    assert digest == "" or len(digest) == 40
    terms = [w for w in text.split()[:3]] + ["libya", "happi", ""]
    snippet = make_snippet(text, terms)
    assert isinstance(snippet, Snippet)
    assert all(0 <= s < e <= len(snippet.text) for s, e in snippet.highlights)
    assert all(0 <= s < e <= len(text) for s, e, _ in find_matches(text, terms))


# -- dates and names -------------------------------------------------------------------------

DATE_WORDS = st.lists(st.one_of(st.sampled_from([
    "99999999", "10000", "0", "1", "31", "29", "february", "feb.", "sept", "may", "last", "next", "this", "months",
    "years", "weeks", "days", "ago", "later", "earlier", "monday", "today", "yesterday", "9999-12-31", "2019-02-31",
    "0001-01-01", "of", "2019", "1900", "2099", "early", "mid-", "a", "couple", "of", "the", "year", "week",
]), fragment), max_size=8).map(" ".join)


@examples(300)
@given(st.one_of(DATE_WORDS, any_text), st.one_of(st.none(), st.dates(), st.sampled_from([date.min, date.max])),
       st.booleans())
@example("99999999 months ago", date(2019, 4, 5), False)  # before year 1
@example("9999 years later", date(2019, 4, 5), False)
@example("next year", date.max, True)
def test_resolve_date(text, when, future):
    resolved = resolve_date(text, when, future)
    assert resolved is None or isinstance(resolved, ResolvedDate) and resolved.precision in ("day", "month", "year")


@examples(300)
@given(st.one_of(any_text, st.text(alphabet=string.punctuation, max_size=10), st.text(alphabet=string.digits, max_size=10)),
       any_text, st.sampled_from(["PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "LAW", ""]))
def test_names(a, b, label):
    key = normalize_alias(a)
    assert key == key.strip() and "  " not in key
    assert isinstance(fold(a), str) and isinstance(initials(a), str)
    assert len(make_entity_id(label, a)) == 16 and coarse_label(label) in ("PERSON", "ORG", "NORP", "FAC", "GPE", "MISC")
    assert isinstance(similar_tokens(key, normalize_alias(b)), bool)
    assert isinstance(spelling_variants(key, normalize_alias(b)), bool)
    assert len(strip_title_words(a.lower().split() or ["x"])) >= 1
    assert isinstance(is_acronym(a), bool) and len(split_span_id(a)) == 3
    assert isinstance(abbreviates(initials(b) or a[:5], b), bool)


# -- NLP on the real pipeline ----------------------------------------------------------------


@pytest.fixture(scope="module")
def lexicon():
    from flows.nlp import read_lexicon

    return read_lexicon()


def check_analysis(analysis: DocAnalysis, body: str) -> None:
    assert isinstance(analysis, DocAnalysis)
    ids = {e.entity_id for e in analysis.entities}
    for m in analysis.mentions:
        assert 0 <= m.start < m.end <= len(body) and body[m.start:m.end] == m.text
        assert m.entity_id in ids
    for e in analysis.events:
        assert 0 <= e.start <= e.end <= len(body)
        assert e.actor_id is None or e.actor_id in ids
        assert e.target_id is None or e.target_id in ids


@examples(150)
@given(text=st.one_of(sentences, nasty_text, st.builds(lambda a, b: a + "\n" + b, sentences, sentences)),
       when=published)
@example(text="Palestinians blamed Israel for the bombing of Raed Karmi in the West Bank City of Tulkarm, which "
              "has set off a renewed wave of violence.", when=None)  # issue 12
@example(text="", when=None)
@example(text=" \n\t\u200b ", when=None)
def test_analyze_any_text(nlp, lexicon, text, when):
    check_analysis(analyze_doc(nlp(text), when, lexicon), text)


def test_analyze_a_200000_character_sentence(nlp, lexicon):
    # names, possessives and "of" at their edges, no full stop: one sentence of 45,000 tokens
    # (finding the gazetteer spans over each name was quadratic: 30 s for half this length)
    text = ("Haftar's forces in the City of " * 6500)[:200_000]
    check_analysis(analyze_doc(nlp(text), date(2019, 4, 5), lexicon), text)
