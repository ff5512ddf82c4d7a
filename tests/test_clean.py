"""transforms.page.clean: real pages through real trafilatura, no mocks."""

from __future__ import annotations

import gzip
from datetime import datetime
from pathlib import Path

import pytest

from transforms.page.clean import body_hash, extract_article, normalize_body
from transforms.page.pagemeta import normalize_language
from transforms.records import Article, FeedEntry, Skipped

PAGES = Path(__file__).parent / "fixtures" / "pages"
SEED_URL = "https://www.dailycourier.example/world/libya-guterres-haftar?utm_source=rss&utm_medium=feed"

# page furniture of the seed fixture: none of it may reach the body
SEED_BOILERPLATE = [
    "Image Credit",  # photo caption
    "shakes hands with military",  # the caption text itself
    "cookies",
    "Accept all",
    "Lifestyle",  # nav menu
    "Search the Courier",
    "By Reuters",  # byline
    "Published:",
    "Last updated",
    "Share",
    "Facebook",
    "WhatsApp",
    "Read more",
    "rival leaders agree to hold elections",  # inline "Read more" link
    "Related stories",
    "Sharara",  # related links
    "detention centres",
    "newsletter",
    "inbox",
    "Subscribe",
    "comments",  # comment section
    "DesertFox71",
    "endless cycle",
    "My family in Misrata",
    "migrant crisis hits the headlines",
    "Tags",
    "All rights reserved",  # footer
    "Privacy policy",
    "Advertisement",
]


def _entry(url: str, **fields) -> FeedEntry:
    base = dict(url=url, guid=url, title="", summary="", content="", author="", published_at=None)
    return FeedEntry(**(base | fields))


def _page(body_html: str, head: str = "", lang: str = "en") -> str:
    return f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">{head}</head><body>{body_html}</body></html>'


@pytest.fixture(scope="module")
def seed_article() -> Article:
    result = extract_article((PAGES / "seed_article.html").read_bytes(), SEED_URL)
    assert isinstance(result, Article), result
    return result


def test_seed_body_keeps_every_paragraph_but_the_caption(seed_article, seed_text):
    paragraphs = [p.strip() for p in seed_text.split("\n\n") if p.strip()]
    caption = paragraphs.pop(1)
    assert caption.endswith("Image Credit: AFP")
    body = seed_article.body.split("\n\n")
    for paragraph in paragraphs:
        assert paragraph in body
    assert len(body) == len(paragraphs)  # nothing else: every body paragraph is a story paragraph


@pytest.mark.parametrize("furniture", SEED_BOILERPLATE)
def test_seed_body_has_no_boilerplate(seed_article, furniture):
    assert furniture.casefold() not in seed_article.body.casefold()


def test_seed_metadata(seed_article):
    assert seed_article.title == "Guterres flies to meet Haftar as eastern forces advance on Tripoli"
    assert seed_article.published_at == datetime(2019, 4, 5, 8, 0)
    assert seed_article.date_source == "page"
    assert seed_article.language == "en"
    assert seed_article.canonical_url == "https://www.dailycourier.example/world/libya-guterres-haftar"
    assert seed_article.url == SEED_URL
    assert seed_article.body_source == "page"
    assert seed_article.body_hash == body_hash(seed_article.body) != ""


def test_seed_page_date_with_time_beats_feed_date():
    entry = _entry(SEED_URL, published_at=datetime(2019, 4, 5, 9, 30))
    result = extract_article((PAGES / "seed_article.html").read_bytes(), SEED_URL, entry)
    assert (result.published_at, result.date_source) == (datetime(2019, 4, 5, 8, 0), "page")


def test_feed_fallback_when_page_has_almost_no_text(seed_text):
    url = "https://news.example.org/2019/04/05/libya-guterres"
    html = _page(
        '<div id="app"><p>Loading…</p><p>Subscribe to continue reading.</p></div>',
        head="<title>Guterres flies to Libya</title>",
    )
    entry = _entry(
        url, title="Guterres flies to Libya", content=seed_text, author="Reuters", published_at=datetime(2019, 4, 5, 7, 58)
    )
    result = extract_article(html.encode(), url, entry)
    assert isinstance(result, Article)
    assert result.body_source == "feed"
    assert "UN Secretary-General Antonio Guterres was flying to eastern Libya" in result.body
    assert (result.published_at, result.date_source) == (datetime(2019, 4, 5, 7, 58), "feed")
    assert result.author == "Reuters"


def test_no_page_date_and_no_feed_date_falls_back_to_url():
    url = "https://news.example.org/world/2019/04/05/libya-talks/"
    html = _page("<article><p>" + "The talks in Tripoli went on late into the night. " * 8 + "</p></article>")
    result = extract_article(html, url)
    assert (result.published_at, result.date_source) == (datetime(2019, 4, 5), "url")


def test_a_page_date_in_the_future_is_not_believed():
    url = "https://news.example.org/world/2031/04/05/libya-talks/"
    head = '<meta property="article:published_time" content="2031-04-05T08:00:00Z">'
    html = _page("<article><p>" + "The talks in Tripoli went on late into the night. " * 8 + "</p></article>", head)
    now = datetime(2026, 12, 1, 12, 0)
    assert extract_article(html, url).published_at == datetime(2031, 4, 5, 8, 0)  # no clock given
    result = extract_article(html, url, now=now)
    assert (result.published_at, result.date_source) == (None, "none")  # neither the page nor its URL
    entry = _entry(url, published_at=datetime(2026, 11, 30, 9, 0))
    result = extract_article(html, url, entry, now=now)
    assert (result.published_at, result.date_source) == (datetime(2026, 11, 30, 9, 0), "feed")
    # within a day's slack (a page a time zone ahead) it stands
    soon = _page("<article><p>" + "The talks in Tripoli went on late into the night. " * 8 + "</p></article>",
                 '<meta property="article:published_time" content="2026-12-02T06:00:00+00:00">')
    assert extract_article(soon, url, now=now).published_at == datetime(2026, 12, 2, 6, 0)


@pytest.mark.parametrize("source", ["sitemap", "list", "wayback"])
def test_a_backfill_source_date_in_the_future_is_not_believed(source):
    # A sitemap's news:publication_date, a URL list's column or an archive's capture date reach
    # the cleaner as the entry's date: after now, they are no date either, and the URL's is used.
    url = "https://news.example.org/world/2019/04/05/libya-talks/"
    html = _page("<article><p>" + "The talks in Tripoli went on late into the night. " * 8 + "</p></article>")
    entry = _entry(url, published_at=datetime(2031, 4, 5), date_source=source)
    result = extract_article(html, url, entry, now=datetime(2026, 12, 1, 12, 0))
    assert (result.published_at, result.date_source) == (datetime(2019, 4, 5), "url")


@pytest.mark.parametrize(
    ("feed_date", "expected", "source"),
    [
        (datetime(2019, 4, 5, 21, 15), datetime(2019, 4, 5, 21, 15), "feed"),  # agrees: adds the time
        (datetime(2019, 4, 9, 10, 0), datetime(2019, 4, 5), "page"),  # disagrees: the page's own date
    ],
)
def test_feed_timestamp_against_date_only_page_value(feed_date, expected, source):
    url = "https://news.example.org/world/libya-talks"
    head = '<meta name="date" content="2019-04-05">'
    html = _page("<article><p>" + "The talks in Tripoli went on late into the night. " * 8 + "</p></article>", head)
    result = extract_article(html, url, _entry(url, published_at=feed_date))
    assert (result.published_at, result.date_source) == (expected, source)


def test_feed_fallback_when_page_body_is_a_teaser(seed_text):
    url = "https://news.example.org/libya-guterres"
    teaser = "<p>Tripoli: UN Secretary-General Antonio Guterres was flying to eastern Libya on Friday to meet commander Khalifa Haftar, whose forces are advancing on the capital.</p>"
    html = _page(f"<article><h1>Guterres flies to Libya</h1>{teaser}<p>Subscribe to read the full story.</p></article>")
    result = extract_article(html, url, _entry(url, content=seed_text))
    assert result.body_source == "feed"
    assert len(result.body.split("\n\n")) == len([p for p in seed_text.split("\n\n") if p.strip()])
    page_only = extract_article(html, url, _entry(url, summary="Guterres flies to Libya to meet Haftar."))
    assert page_only.body_source == "page"  # a short feed summary never replaces the page


@pytest.mark.parametrize(
    "raw",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10",
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01",
        b'{"status": "ok", "items": [{"title": "<b>not a page</b>"}]}',
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>',
        gzip.compress(b"%PDF-1.4 compressed"),
    ],
    ids=["pdf", "png", "jpeg", "json", "rss", "gzipped-pdf"],
)
def test_not_html_is_skipped(raw):
    result = extract_article(raw, "https://example.org/file")
    assert isinstance(result, Skipped)
    assert (result.url, result.reason) == ("https://example.org/file", "not_html")


@pytest.mark.parametrize(
    "html",
    [
        "",
        "<html><head><title>Nothing</title></head><body></body></html>",
        "<html><head><style>body{color:red}</style><script>var a = 'x'.repeat(500);</script></head>"
        "<body><script>document.write('" + "lorem ipsum dolor sit amet " * 40 + "')</script>"
        "<style>.x{display:none}</style><noscript>Enable JavaScript</noscript></body></html>",
    ],
    ids=["empty", "empty-body", "scripts-and-styles"],
)
def test_empty_page_is_skipped(html):
    result = extract_article(html.encode(), "https://example.org/empty")
    assert isinstance(result, Skipped)
    assert result.reason == "empty_body"


def test_empty_page_without_feed_text_is_empty_body():
    html = _page("<nav><a href='/'>Home</a></nav><p>Share</p>")
    entry = _entry("https://example.org/a", summary="Read more")
    result = extract_article(html, "https://example.org/a", entry)
    assert isinstance(result, Skipped) and result.reason == "empty_body"


LATIN1_TEXT = (
    "Le président a défendu sa réforme des retraites devant les députés réunis à l'Assemblée. "
    "« Nous irons jusqu'au bout », a-t-il déclaré, évoquant une société plus équitable. "
    "Les syndicats, déçus, prévoient déjà une nouvelle journée de grève générale à la fin du mois."
)
CYRILLIC_TEXT = (
    "Министр иностранных дел заявил в пятницу, что переговоры о прекращении огня продолжатся на следующей неделе. "
    "По его словам, стороны договорились об обмене пленными и гуманитарном коридоре для мирных жителей. "
    "Наблюдатели считают, что соглашение остаётся хрупким, а обстрелы в приграничных районах не прекращаются."
)


@pytest.mark.parametrize(
    ("text", "encoding", "declared"),
    [
        (LATIN1_TEXT, "latin-1", True),
        (LATIN1_TEXT, "cp1252", False),
        (CYRILLIC_TEXT, "windows-1251", True),
        (CYRILLIC_TEXT, "windows-1251", False),
    ],
    ids=["latin1-declared", "cp1252-undeclared", "cp1251-declared", "cp1251-undeclared"],
)
def test_legacy_encodings_decode(text, encoding, declared):
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={encoding}">' if declared else ""
    html = f"<html><head>{meta}<title>Article</title></head><body><article><p>{text}</p><p>{text}</p></article></body></html>"
    result = extract_article(html.encode(encoding), "https://example.org/a")
    assert isinstance(result, Article), result
    assert result.body.split("\n\n")[0] == text


def test_page_language_normalised():
    assert normalize_language("en-GB") == "en"
    assert normalize_language("pt_BR") == "pt"
    assert normalize_language("ENG") == "en"
    assert normalize_language("x-default") == ""
    assert normalize_language("") == ""


def test_body_hash_ignores_whitespace_and_typography():
    one = "Guterres flew to Benghazi.\n\nHe met Haftar’s aides on Friday."
    two = "  Guterres flew to\tBenghazi.\nHe met  Haftar's aides\r\non Friday. "
    assert body_hash(one) == body_hash(two)
    assert normalize_body(one) == "Guterres flew to Benghazi. He met Haftar's aides on Friday."
    assert body_hash(one) != body_hash(one.replace("Friday", "Saturday"))
    assert body_hash("") == body_hash(" \n ") == ""
    assert len(body_hash(one)) == 40


FILLER = "<p>" + "The talks in Tripoli went on late into the night, officials said. " * 3 + "</p>"


@pytest.mark.parametrize(
    "paragraph",
    [
        "Cookies are a classic of the season, and the bakery sold more than ten thousand of them during the week before the holiday.",
        "The newsletter, which the company started in 2015, now reaches three million subscribers every morning, its editor said.",
        "Related charges were filed against two other men in federal court in Manhattan on Tuesday, prosecutors said.",
        "By the end of the year the company expects to have hired another 2,000 engineers, most of them in India.",
        "By Friday, the rebels had retreated.",
        "Posted on the wall were notices from the council.",
        "Copyright law changes were approved by parliament on Tuesday.",
        "Research by Harvard scientists shows the effect is small.",
        "Regulators said cookie consent banners confuse most users.",
        "Scam emails landing in your inbox often imitate banks, police warned.",
        "Share prices fell 4% in early trading.",
        "Photographs of the scene were shared widely.",
    ],
)
def test_real_paragraphs_survive_post_cleaning(paragraph):
    html = _page(f"<article><h1>Title</h1>{FILLER}<p>{paragraph}</p>{FILLER}</article>")
    result = extract_article(html, "https://example.org/a")
    assert paragraph in result.body.split("\n\n")


@pytest.mark.parametrize(
    "line",
    [
        "A protester waves a flag outside parliament. Photo: Reuters",
        "Image Credit: AFP",
        "By Jane Doe and John Roe, Staff Writers",
        "Updated at 1:23 p.m.",
        "Share this article",
        "READ MORE: Libya's rival leaders agree to hold elections",
        "Related: Oil output at Sharara resumes",
        "Sign up for our daily newsletter to get the top stories.",
        "Get the latest updates right in your inbox. Subscribe to our newsletters.",
        "We use cookies to improve your experience on our site.",
        "Reporting by Jane Doe; Editing by John Roe",
        "Jane Doe contributed to this report.",
        "Follow us on Twitter and Facebook for the latest news.",
        "© 2019 The Daily Courier. All rights reserved.",
        "This copy is for your personal, non-commercial use only.",
        "Tags: Libya, United Nations",
        "Advertisement",
    ],
)
def test_boilerplate_lines_are_dropped(line):
    html = _page(f"<article><h1>Title</h1>{FILLER}<p>{line}</p>{FILLER}</article>")
    result = extract_article(html, "https://example.org/a")
    assert line not in result.body


def test_headline_repeated_in_body_is_dropped_and_title_loses_site_name():
    head = '<title>Talks drag on in Tripoli | The Daily Courier</title><meta property="og:site_name" content="The Daily Courier">'
    html = _page(f"<article><h2>Talks drag on in Tripoli</h2>{FILLER}{FILLER}</article>", head)
    result = extract_article(html, "https://www.dailycourier.example/world/talks")
    assert result.title == "Talks drag on in Tripoli"
    assert "Talks drag on" not in result.body


@pytest.mark.parametrize(
    ("value", "expected", "source"),
    [
        ("2019-04-05T12:00:00+04:00", datetime(2019, 4, 5, 8, 0), "page"),  # offset -> UTC
        ("2019-04-05 10:00:00", datetime(2019, 4, 5), "page"),  # no offset: the day only
        ("0001-01-01T00:00:00Z", datetime(2019, 4, 6), "url"),  # CMS placeholder ignored
    ],
)
def test_page_timestamps(value, expected, source):
    url = "https://news.example.org/2019/04/06/story"
    html = _page(f"<article>{FILLER}{FILLER}</article>", f'<meta property="article:published_time" content="{value}">')
    result = extract_article(html, url)
    assert (result.published_at, result.date_source) == (expected, source)


def test_same_page_same_article_bytes_or_text():
    raw = (PAGES / "seed_article.html").read_bytes()
    first = extract_article(raw, SEED_URL)
    assert extract_article(raw, SEED_URL) == first
    assert extract_article(raw.decode("utf-8"), SEED_URL) == first


def test_bare_fragment_is_still_html():
    html = f"<div>{FILLER}{FILLER}</div>"
    result = extract_article(html, "https://example.org/a")
    assert isinstance(result, Article) and result.body.startswith("The talks in Tripoli")


def test_loose_text_split_by_line_breaks_keeps_its_lead_paragraph():
    lead = "Apple plans to release a new notebook with a scissor switch keyboard in the first half of 2020, sources said."
    rest = "The report claims the display size will remain the same as on the current model, officials said. " * 2
    html = _page(
        f'<div class="article"><h1>Notebook</h1><div class="content">{lead}<br> <br>'
        f'<img src="k.jpg" alt="The new keyboard seen from above"><center><em>The new keyboard seen from above</em></center>'
        f"<br>{rest}<br><br>{rest}</div></div>"
    )
    body = extract_article(html, "https://example.org/a").body.split("\n\n")
    assert body[0] == lead
    assert "The new keyboard seen from above" not in body


def test_photo_captions_are_kept_apart_from_the_body():
    """Issue 13: the seed page names Fayez Al Sarraj only in its photo caption. The caption is kept
    in a field of its own (its credit line dropped), never in the body, and the NLP reads it after
    the body."""
    article = extract_article((PAGES / "seed_article.html").read_bytes(), SEED_URL)
    assert article.captions == (
        "The head of Libya’s UN-backed unity government, Fayez Al Sarraj, shakes hands with military and "
        "security commanders of the government forces who supervised recapture of the checkpoint 27 in Janzour.",)
    assert "Sarraj" not in article.body and "Image Credit" not in " ".join(article.captions)
    assert article.text == article.body + "\n\n" + article.captions[0]


@pytest.mark.parametrize("figure, expected", [
    ('<figure><img src="a.jpg"><p class="wp-caption-text">Smoke rises over Gaza City. Photo: Reuters</p></figure>',
     ("Smoke rises over Gaza City.",)),
    ('<figure><img src="a.jpg"><figcaption>Troops near Bakhmut <em>on Monday</em>. (AFP Photo)</figcaption></figure>',
     ("Troops near Bakhmut on Monday.",)),
    ('<div class="caption">Not in a figure: a layout box, not a caption</div>', ()),
    ('<figure><figcaption>Credit: AP</figcaption></figure>', ()),
])
def test_caption_forms(figure, expected):
    paragraphs = "".join(f"<p>Paragraph {i} of a story about the talks in Geneva that went on for days.</p>"
                         for i in range(12))
    article = extract_article(_page(f"<article><h1>Talks</h1>{figure}{paragraphs}</article>"), "https://example.org/a")
    assert article.captions == expected
