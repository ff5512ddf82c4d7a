"""Feed bytes -> entries. RSS 0.9x/1.0/2.0 and Atom through feedparser, never a URL."""

from __future__ import annotations

import calendar
import re
from datetime import datetime

import feedparser
import lxml.html
from lxml import etree

from transforms.page.decode import decode_html
from transforms.dates import FUTURE_SLACK
from transforms.records import FeedEntry, ParsedFeed, Skipped
from transforms.urls import canonicalize_url

_XML_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?)\s+encoding\s*=\s*["'][^"']*["']""")
_BLOCK_TAGS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANKS = re.compile(r"\n\s*\n+")


def parse_feed(raw: bytes, base_url: str, *, now: datetime | None = None,
               content_type: str = "") -> ParsedFeed | Skipped:
    """Parse a feed document.

    Args:
        raw: the response body, any encoding (feedparser reads the XML declaration / BOM).
        base_url: the feed's URL, to resolve relative item links.
        now: the caller's clock (naive UTC), to drop publish dates in the future.
        content_type: the HTTP Content-Type, an encoding hint when the document declares none.

    Returns:
        ParsedFeed with entries (links canonicalised, duplicates dropped) and per-item skips,
        or Skipped when the bytes are no feed at all.
    """
    parsed = _feedparser(raw, base_url, content_type)
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if isinstance(problem, feedparser.CharacterEncodingOverride):
        # The declared charset is a lie (the bytes do not decode with it): detect the real one,
        # hand feedparser UTF-8, and keep the warning.
        text = _XML_ENCODING.sub(r"\1", decode_html(raw), count=1)
        reparsed = _feedparser(text.encode("utf-8"), base_url, "application/xml; charset=utf-8")
        if reparsed.entries or not parsed.entries:
            parsed = reparsed
    if isinstance(problem, feedparser.NonXMLContentType) and not content_type:
        problem = None  # we passed no Content-Type, so there was none to be wrong
    warning = _describe(problem)
    if not parsed.entries and not parsed.get("version"):
        return _unusable(raw, base_url, warning)

    entries: list[FeedEntry] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    for item in parsed.entries:
        url = _item_url(item, base_url)
        if not url:
            skipped.append(Skipped(item.get("id", "") or base_url, "no_link", item.get("title", "")[:200]))
            continue
        if url in seen:
            continue
        seen.add(url)
        published = _item_date(item)
        if published and now and published > now + FUTURE_SLACK:
            published = None
        entries.append(FeedEntry(
            url=url,
            guid=str(item.get("id", "")),
            title=html_to_text(item.get("title", "")),
            summary=html_to_text(item.get("summary", "")),
            content=html_to_text(_item_content(item)),
            author=html_to_text(item.get("author", "")),
            published_at=published,
        ))
    if problem and not entries:
        return _unusable(raw, base_url, warning)
    return ParsedFeed(
        title=html_to_text(parsed.feed.get("title", "")),
        version=parsed.get("version", "") or "unknown",
        entries=tuple(entries),
        skipped=tuple(skipped),
        warning=warning,
    )


def _feedparser(raw: bytes, base_url: str, content_type: str) -> feedparser.FeedParserDict:
    """feedparser on bytes only: a str would be taken as a URL or a file name to open."""
    headers = {"content-location": base_url}
    if content_type:
        headers["content-type"] = content_type
    return feedparser.parse(bytes(raw), response_headers=headers, sanitize_html=True, resolve_relative_uris=True)


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment, paragraphs separated by blank lines."""
    if not fragment or "<" not in fragment:
        return _tidy(fragment or "")
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return _tidy(re.sub(r"<[^>]+>", " ", fragment))
    for bad in root.xpath("//script|//style"):
        bad.drop_tree()
    for el in root.iter(*_BLOCK_TAGS):
        el.tail = "\n\n" + (el.tail or "")
    return _tidy(root.text_content())


def _tidy(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def _item_url(item: feedparser.FeedParserDict, base_url: str) -> str:
    """The item's article link; a permalink GUID when the link is missing."""
    links = [item.get("link", "")]
    links += [link.get("href", "") for link in item.get("links", []) if link.get("rel") == "alternate"]
    guid = item.get("id", "")
    if item.get("guidislink", False) or guid.startswith(("http://", "https://")):
        links.append(guid)
    for candidate in links:
        url = canonicalize_url(candidate, base_url) if candidate.strip() else ""
        if url:
            return url
    return ""


def _item_content(item: feedparser.FeedParserDict) -> str:
    """The longest full-content element (content:encoded, atom:content)."""
    values = [c.get("value", "") for c in item.get("content", []) or []]
    return max(values, key=len, default="")


def _item_date(item: feedparser.FeedParserDict) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = dict.get(item, key)  # plain dict lookup: no feedparser fallback mapping or warning
        if value:
            try:
                return datetime.utcfromtimestamp(calendar.timegm(value))
            except (OverflowError, ValueError, OSError):
                continue
    return None


def _unusable(raw: bytes, base_url: str, warning: str) -> Skipped:
    reason = "not_a_feed" if _looks_like_html(raw) else "malformed_feed"
    return Skipped(base_url, reason, warning or "no feed elements found")


def _looks_like_html(raw: bytes) -> bool:
    head = raw[:2048].lower()
    return b"<html" in head or b"<!doctype html" in head


def _describe(exc: object) -> str:
    return f"{type(exc).__name__}: {exc}"[:300] if exc else ""
